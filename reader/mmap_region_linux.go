//go:build linux && (amd64 || arm64)

package reader

import (
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// mapRegionBytes is the address space a mapRegion reserves: room for the
// 11.9 MB of headers of a DeepSeek-V3-sized checkpoint many times over.
// Reserved PROT_NONE and MAP_NORESERVE, it costs no memory; headers past
// it are mapped on their own.
const mapRegionBytes = 256 << 20

// mapRegion is a reserved stretch of address space into which the
// headers of one Open are mapped side by side (MAP_FIXED), so that one
// munmap releases them all. Unmapping each of the DeepSeek-V3-scale
// bigckpt's 163 headers on its own took ~1.5 ms of CPU per run (a TLB
// shootdown across the process's threads and the address-space lock
// taken for writing each time, while the other core faults pages in).
type mapRegion struct {
	mem  []byte
	next atomic.Int64
}

// newMapRegion reserves a region, or returns nil when it cannot.
func newMapRegion() *mapRegion {
	mem, err := syscall.Mmap(-1, 0, mapRegionBytes, syscall.PROT_NONE, syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err != nil {
		return nil
	}
	return &mapRegion{mem: mem}
}

// mapFile maps the first size bytes of f read-only into the region; ok is
// false when the region is full or the mapping fails (the caller then maps
// or reads the file on its own). The bytes stay valid until release.
func (r *mapRegion) mapFile(f *os.File, size int64) (data []byte, ok bool) {
	if r == nil || size <= 0 || size > mapRegionBytes {
		return nil, false
	}
	page := int64(syscall.Getpagesize())
	span := (size + page - 1) / page * page
	end := r.next.Add(span)
	if end > int64(len(r.mem)) {
		return nil, false
	}
	at := end - span
	addr := unsafe.Pointer(&r.mem[at])
	_, _, errno := syscall.Syscall6(syscall.SYS_MMAP, uintptr(addr), uintptr(size), syscall.PROT_READ, syscall.MAP_PRIVATE|syscall.MAP_FIXED, f.Fd(), 0)
	if errno != 0 {
		// The slot stays reserved and unused.
		return nil, false
	}
	return r.mem[at : at+size : at+size], true
}

// release unmaps every header mapped into the region, in one call.
func (r *mapRegion) release() {
	if r != nil {
		_ = syscall.Munmap(r.mem)
	}
}
