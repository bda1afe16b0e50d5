//go:build unix

package reader

import (
	"os"
	"syscall"
)

// mapFile maps the first size bytes of f read-only, so a large index is
// parsed from the page cache without being copied into (and faulted into)
// fresh heap memory; ok is false when it cannot be mapped and the caller
// reads it instead. The mapping must be released with unmap once nothing
// refers to it, and read only under guardFault: a file truncated meanwhile
// raises SIGBUS on access.
func mapFile(f *os.File, size int64) (data []byte, unmap func(), ok bool) {
	if size <= 0 || size > 1<<31 {
		return nil, nil, false
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_PRIVATE)
	if err != nil {
		return nil, nil, false
	}
	return data, func() { _ = syscall.Munmap(data) }, true
}
