//go:build !unix

package reader

import "os"

// mapFile never maps on this platform: the index is read instead.
func mapFile(f *os.File, size int64) (data []byte, unmap func(), ok bool) {
	return nil, nil, false
}
