package quant

import (
	"syscall"
	"unsafe"
)

// madvPopulateWrite is MADV_POPULATE_WRITE (Linux 5.14, include/uapi/
// asm-generic/mman-common.h): fault in every page of a range writable, as
// a write to each would, without changing its contents.
const madvPopulateWrite = 23

// prefaultChunk is how much prefaultTail asks the kernel for at a time:
// small enough that it stops soon after meeting the rows the classifier
// has already written, large enough that the calls cost nothing.
const prefaultChunk = 256 << 10

// prefaultTail faults in the whole pages of the second half of [p, p+n),
// last chunk first. newClassifier runs it on another goroutine while it
// fills the rows from the front: a fresh 5.9 MB row slice otherwise takes
// ~1,400 page faults in a row on the main goroutine. The kernel writes no
// data, so the rows' contents are untouched and nothing races with the
// classifier's own writes; a refusal (kernels before 5.14) just stops.
func prefaultTail(p unsafe.Pointer, n int) {
	const page = 4096
	start := (uintptr(p) + uintptr(n)/2 + page - 1) &^ (page - 1)
	end := (uintptr(p) + uintptr(n)) &^ (page - 1)
	for end > start {
		from := max(start, end-prefaultChunk)
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, from, end-from, madvPopulateWrite); errno != 0 {
			return
		}
		end = from
	}
}
