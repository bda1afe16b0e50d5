//go:build !linux

package quant

import "unsafe"

// prefaultTail does nothing: only Linux has MADV_POPULATE_WRITE, and the
// rows' pages fault in as the classifier writes them.
func prefaultTail(p unsafe.Pointer, n int) {}
