//go:build !linux

package analysis

import "unsafe"

// prefault does nothing: only Linux has MADV_POPULATE_WRITE, and the
// rows' pages fault in as AssignRoles writes them.
func prefault(p unsafe.Pointer, n int) {}
