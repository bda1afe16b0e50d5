package reader

import (
	"os"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"unsafe"
)

// mapHeaderBytes is readHeaderBytes for a shard opened as f: the length
// prefix is read and checked as there, then the N header bytes are mapped
// read-only instead of being copied into a new buffer (hb.release unmaps
// them; hb.parse copies out what it keeps). On the DeepSeek-V3-scale
// bigckpt the 163 headers are 11.9 MB: read, each of their pages is a
// fresh heap page to fault in and zero (~1.6 µs each on the reference VM)
// and to free at exit; mapped, the kernel maps the page-cache pages 16 at
// a time with no zeroing and no copy, and only the 4.8 MB of names is
// copied. Where the file cannot be mapped (a platform without mmap, a
// file system that refuses it) the bytes are read, with the same results.
// A file truncated after its size was taken faults while the mapping is
// read; it is then read as before, which reports what is missing. A file
// rewritten in place while it is read may show the validation and the
// copy different bytes, as two reads of it would; the names' hashes and
// duplicate check are taken from the copy callers get.
func mapHeaderBytes(f *os.File, size int64, name string, lim Limits, region *mapRegion) (*headerBytes, error) {
	n, err := readHeaderLen(f, size, name, lim)
	if err != nil {
		return nil, err
	}
	data, ok := region.mapFile(f, prefixLen+int64(n))
	var unmap func()
	if !ok {
		if data, unmap, ok = mapFile(f, prefixLen+int64(n)); !ok {
			return readHeaderBody(f, size, n, name, lim)
		}
	}
	buf := data[prefixLen:]
	hb := &headerBytes{name: name, buf: buf, size: size, mapped: true, release: unmap}
	var first byte
	if guardFault(func() {
		hb.est, hb.brackets = tensorEstimate(buf, lim)
		first = buf[0]
	}) {
		hb.unmap()
		return readHeaderBody(f, size, n, name, lim)
	}
	if first != '{' && !jsonSpace(first) {
		hb.sniffed = sniffFile(f, size, name)
	}
	return hb, nil
}

// unmap releases a mapped hb's bytes (those mapped into a region are
// released with it); it does nothing for read ones.
func (hb *headerBytes) unmap() {
	if hb.release != nil {
		hb.release()
		hb.release = nil
	}
	if hb.mapped {
		hb.mapped = false
		hb.buf = nil
	}
}

// guardFault runs fn, reading memory that may be a file mapping, and
// reports whether it faulted (the file was truncated under the mapping,
// which raises SIGBUS) instead of crashing. Any other panic goes on.
func guardFault(fn func()) (faulted bool) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if _, fault := r.(interface{ Addr() uintptr }); !fault {
				panic(r)
			}
			faulted = true
		}
	}()
	fn()
	return false
}

// ownStrings copies every string of h that lies in buf (tensor names and
// __metadata__ keys and values without escapes, which the parser takes as
// substrings of the header) into an exact-size stretch of area, or of a
// new buffer, so buf can be unmapped. Warnings and errors are built by
// formatting, so they never point into buf. On the DeepSeek-V3-scale
// bigckpt this copies 4.8 MB of the 11.9 MB of headers.
func ownStrings(h *Header, buf []byte, area *nameArea) {
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	hi := lo + uintptr(len(buf))
	in := func(s string) bool {
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		return p >= lo && p < hi
	}
	n := 0
	for i := range h.Tensors {
		if s := h.Tensors[i].Name; in(s) {
			n += len(s)
		}
	}
	for _, m := range h.Metadata {
		if in(m.Key) {
			n += len(m.Key)
		}
		if in(m.Value) {
			n += len(m.Value)
		}
	}
	// Into the shared area when it has room (see nameArea), else into a
	// buffer of this header's own: a Builder grown once allocates without
	// zeroing (the copy overwrites every byte), where make([]byte, n)
	// would clear it first in a long-running process whose heap is reused.
	dst := area.take(n)
	var out strings.Builder
	if dst == nil {
		out.Grow(n)
	}
	at := 0
	own := func(s *string) {
		if !in(*s) {
			return
		}
		if len(*s) == 0 {
			// An empty substring still points into buf.
			*s = ""
			return
		}
		if dst != nil {
			copy(dst[at:], *s)
			*s = unsafe.String(&dst[at], len(*s))
			at += len(*s)
			return
		}
		at := out.Len()
		out.WriteString(*s)
		// Grown once to n: the bytes never move, so the names already
		// copied stay valid.
		*s = out.String()[at:]
	}
	for i := range h.Tensors {
		own(&h.Tensors[i].Name)
	}
	for i := range h.Metadata {
		own(&h.Metadata[i].Key)
		own(&h.Metadata[i].Value)
	}
}

// nameArea is one buffer the strings and shape arenas of many mapped
// headers are put into, side by side, by concurrent parses: one
// allocation whose whole 2 MiB pages can be huge (adviseHuge), instead of
// 326 of ~29 KB and ~9 KB each faulted in page by page for the
// DeepSeek-V3-scale bigckpt.
type nameArea struct {
	buf  []byte
	next atomic.Int64
}

// newNameArea allocates an area of n bytes.
func newNameArea(n int) *nameArea {
	a := &nameArea{buf: make([]byte, n)}
	adviseHuge(a.buf)
	return a
}

// takeWords reserves room for n uint64 (a shape arena) in the area,
// aligned, and returns it empty with that capacity, or nil when the area
// is full (or a is nil). The area holds no pointers, so shapes and names
// can share it.
func (a *nameArea) takeWords(n int) []uint64 {
	const word = int(unsafe.Sizeof(uint64(0)))
	b := a.take(n*word + word - 1)
	if b == nil {
		return nil
	}
	off := int(-uintptr(unsafe.Pointer(unsafe.SliceData(b))) & uintptr(word-1))
	return unsafe.Slice((*uint64)(unsafe.Pointer(&b[off])), n)[:0]
}

// take reserves n bytes of the area, or returns nil when it is full (or
// a is nil).
func (a *nameArea) take(n int) []byte {
	if a == nil || n == 0 {
		return nil
	}
	end := a.next.Add(int64(n))
	if end > int64(len(a.buf)) {
		return nil
	}
	return a.buf[end-int64(n) : end : end]
}
