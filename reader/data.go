package reader

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ReadTensorData reads the data of one tensor of c and nothing else: the
// t.Bytes() bytes at offset 8+N+t.Begin of t.File, where N is the header
// length the reader recorded for that file. It exists for the few checks
// that must compare bytes (a tied embedding stored twice); every other
// command stays header-only.
//
// The file is opened through os.Root on c.Dir, so a shard name cannot lead
// outside the model folder even if the folder changed since Open. It refuses
// header-only stubs (ErrMissing), tensors larger than max (ErrLimit, checked
// before anything is allocated), and files that are shorter than the header
// claimed or changed size since the header was read (ErrMalformed).
func ReadTensorData(c *Checkpoint, t Tensor, max uint64) ([]byte, error) {
	if c == nil {
		return nil, errorf(ErrMissing, t.File, -1, t.Name, "no checkpoint to read from")
	}
	if t.End < t.Begin {
		return nil, errorf(ErrMalformed, t.File, -1, t.Name, "data_offsets [%d %d] are reversed", t.Begin, t.End)
	}
	n := t.Bytes()
	if n > max {
		return nil, errorf(ErrLimit, t.File, -1, t.Name, "tensor data is %d bytes, more than the %d allowed", n, max)
	}
	var h *Header
	for _, f := range c.Files {
		if f != nil && f.File == t.File {
			h = f
			break
		}
	}
	if h == nil {
		return nil, errorf(ErrMissing, t.File, -1, t.Name, "file is not part of the checkpoint")
	}
	if h.Stub {
		return nil, errorf(ErrMissing, t.File, -1, t.Name, "header-only stub: the tensor's %d bytes are not in the file", n)
	}
	// 8 + N + End must not wrap: N is capped by Limits, End by the file's
	// size, but this function may be handed a Checkpoint built by hand.
	start := 8 + h.HeaderLen
	if start < h.HeaderLen || start+t.End < start {
		return nil, errorf(ErrMalformed, t.File, -1, t.Name, "data_offsets [%d %d] overflow after a %d-byte header", t.Begin, t.End, h.HeaderLen)
	}
	want := start + t.End
	if want > 1<<62 {
		return nil, errorf(ErrMalformed, t.File, -1, t.Name, "data_offsets end at byte %d, past any real file", want)
	}

	root, err := os.OpenRoot(c.Dir)
	if err != nil {
		return nil, &Error{File: t.File, Offset: -1, Tensor: t.Name, Msg: fmt.Sprintf("open model folder %q: %v", c.Dir, err), Err: ErrMissing}
	}
	defer root.Close()
	f, err := root.Open(t.File)
	if err != nil {
		sentinel := ErrMissing
		if !errors.Is(err, fs.ErrNotExist) {
			sentinel = ErrUnsafePath
		}
		return nil, &Error{File: t.File, Offset: -1, Tensor: t.Name, Msg: fmt.Sprintf("open: %v", err), Err: sentinel}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &Error{File: t.File, Offset: -1, Tensor: t.Name, Msg: fmt.Sprintf("stat: %v", err), Err: err}
	}
	if !st.Mode().IsRegular() {
		return nil, errorf(ErrNotSafetensors, t.File, -1, t.Name, "not a regular file (%s)", st.Mode().Type())
	}
	size := uint64(st.Size())
	if h.FileSize != 0 && size != h.FileSize {
		return nil, errorf(ErrMalformed, t.File, -1, t.Name, "file is %d bytes now but was %d when its header was read", size, h.FileSize)
	}
	if size < want {
		return nil, errorf(ErrMalformed, t.File, int64(size), t.Name, "file ends at byte %d, %d bytes before the tensor's data ends at %d", size, want-size, want)
	}
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, int64(start+t.Begin)); err != nil && !(errors.Is(err, io.EOF) && n == 0) {
		return nil, &Error{File: t.File, Offset: int64(start + t.Begin), Tensor: t.Name, Msg: fmt.Sprintf("read %d bytes: %v", n, err), Err: err}
	}
	return buf, nil
}
