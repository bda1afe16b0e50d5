//go:build !linux

package reader

// adviseHuge does nothing on this platform.
func adviseHuge[T any](s []T) {}
