//go:build !(linux && (amd64 || arm64))

package reader

import "os"

// mapRegion groups header mappings where the platform allows placing
// them; here it never does, and each header is mapped on its own.
type mapRegion struct{}

// newMapRegion returns nil: no region on this platform.
func newMapRegion() *mapRegion { return nil }

// mapFile never maps into a region on this platform.
func (r *mapRegion) mapFile(f *os.File, size int64) (data []byte, ok bool) {
	return nil, false
}

// release does nothing on this platform.
func (r *mapRegion) release() {}
