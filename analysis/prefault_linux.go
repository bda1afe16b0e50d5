package analysis

import (
	"syscall"
	"unsafe"
)

// madvPopulateWrite is MADV_POPULATE_WRITE (Linux 5.14, include/uapi/
// asm-generic/mman-common.h): fault in every page of a range writable, as
// a write to each would, without changing its contents.
const madvPopulateWrite = 23

// prefault faults in the whole pages of [p, p+n) in one call. analyze runs
// it on another goroutine for the role rows while quant.Classify works, so
// that AssignRoles, which fills them later, takes no page faults (~2,000
// for DeepSeek-V3's 92,000 rows). The kernel writes no data, so nothing
// races with the rows' later writes; a refusal (kernels before 5.14) only
// leaves the faults where they were.
func prefault(p unsafe.Pointer, n int) {
	const page = 4096
	start := (uintptr(p) + page - 1) &^ (page - 1)
	end := (uintptr(p) + uintptr(n)) &^ (page - 1)
	if end > start {
		syscall.Syscall(syscall.SYS_MADVISE, start, end-start, madvPopulateWrite)
	}
}
