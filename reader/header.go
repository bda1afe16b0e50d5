package reader

import (
	"errors"
	"io"
)

// ParseHeader reads and validates the header of one .safetensors file of
// the given size through r. name is used in errors and warnings.
//
// TODO(issue 2): implement.
func ParseHeader(r io.ReaderAt, size int64, name string, lim Limits) (*Header, error) {
	return nil, errors.New("not implemented")
}

// OpenFile opens path (which must be a regular file), reads and validates
// its header, and closes it.
//
// TODO(issue 2): implement.
func OpenFile(path string, lim Limits) (*Header, error) {
	return nil, errors.New("not implemented")
}
