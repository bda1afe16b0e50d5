package analysis

import (
	"syscall"
	"unsafe"
)

// madvPopulateWrite is MADV_POPULATE_WRITE (Linux 5.14, include/uapi/
// asm-generic/mman-common.h): fault in every page of a range writable, as
// a write to each would, without changing its contents.
const madvPopulateWrite = 23

// madvHugepage is MADV_HUGEPAGE (include/uapi/asm-generic/mman-common.h).
const madvHugepage = 14

// hugePageBytes is the size of a transparent huge page on amd64 and arm64
// with 4 KiB pages.
const hugePageBytes = 2 << 20

// prefault faults in the whole pages of [p, p+n) in one call. analyze runs
// it on another goroutine for the role rows while quant.Classify works, so
// that AssignRoles, which fills them later, takes no page faults (~2,000
// for DeepSeek-V3's 92,000 rows). The kernel writes no data, so nothing
// races with the rows' later writes; a refusal (kernels before 5.14) only
// leaves the faults where they were.
//
// The whole 2 MiB pages inside the range are first advised huge, as the
// reader does for its slab (transparent_hugepage is "madvise" on many
// distributions and on the reference VM): each is then one fault that
// clears 2 MiB instead of 512 faults.
func prefault(p unsafe.Pointer, n int) {
	if hs, he := (uintptr(p)+hugePageBytes-1)&^(hugePageBytes-1), (uintptr(p)+uintptr(n))&^(hugePageBytes-1); he > hs {
		syscall.Syscall(syscall.SYS_MADVISE, hs, he-hs, madvHugepage)
	}
	const page = 4096
	start := (uintptr(p) + page - 1) &^ (page - 1)
	end := (uintptr(p) + uintptr(n)) &^ (page - 1)
	if end > start {
		syscall.Syscall(syscall.SYS_MADVISE, start, end-start, madvPopulateWrite)
	}
}
