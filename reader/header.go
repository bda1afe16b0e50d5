package reader

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
)

// prefixLen is the size of the header length prefix: an 8-byte
// little-endian unsigned integer N (safetensors format spec, "Format";
// N_LEN in safetensors/src/tensor.rs).
const prefixLen = 8

// ParseHeader reads and validates the header of one .safetensors file of
// the given size through r. name is used in errors and warnings.
//
// It reads the 8-byte length prefix and the N header bytes and nothing
// else: N is checked against size and lim.MaxHeaderBytes before the header
// buffer is allocated, and tensor data is never touched. It applies every
// rule of the reference (safetensors/src/tensor.rs) and is stricter where
// the reference would hide a problem: duplicate keys at any level, a
// non-string __metadata__ value and bytes after the last tensor are errors.
// A file that ends exactly after its header while its tensors claim data is
// accepted as a header-only stub (Header.Stub).
//
// Every error is an *Error wrapping ErrNotSafetensors, ErrHeaderTooLarge,
// ErrMalformed or ErrLimit (or the I/O error from r).
func ParseHeader(r io.ReaderAt, size int64, name string, lim Limits) (*Header, error) {
	lim = effectiveLimits(lim)
	hb, err := readHeaderBytes(r, size, name, lim)
	if err != nil {
		return nil, err
	}
	// parse returns *Error; a nil one must not become a non-nil error.
	h, perr := hb.parse(lim, nil)
	if perr != nil {
		return nil, perr
	}
	return h, nil
}

// headerBytes is a header read and framed but not yet parsed, so that the
// file can be closed before the parse and the tensors of many files can be
// parsed into one slice sized from every file's estimate.
type headerBytes struct {
	name string
	// buf is the N header bytes; size is the file's size.
	buf  []byte
	size int64
	// est is at least the number of tensors a valid header holds;
	// brackets is the count of '[' it is computed from (see
	// tensorEstimate).
	est, brackets int
	// sniffed is sniffFile's verdict, taken while the file was open, for a
	// header that does not start like a JSON object: the error a failed
	// parse reports instead of its own when the file is a known other
	// format.
	sniffed *Error
	// mapped says buf is a read-only mapping of the file (see
	// mapHeaderBytes), read only under guardFault: parse then copies
	// every string it keeps out of it. release, when not nil, unmaps it
	// (nil when it lies in a mapRegion, released with the region).
	mapped  bool
	release func()
	// names, when not nil, is where parse copies the strings of a mapped
	// header to.
	names *nameArea
}

// readHeaderBytes reads the 8-byte length prefix and the N header bytes
// of a file of the given size, checking N against the size and
// lim.MaxHeaderBytes before allocating (lim already filled by
// effectiveLimits).
func readHeaderBytes(r io.ReaderAt, size int64, name string, lim Limits) (*headerBytes, error) {
	n, err := readHeaderLen(r, size, name, lim)
	if err != nil {
		return nil, err
	}
	return readHeaderBody(r, size, n, name, lim)
}

// readHeaderLen reads and checks the length prefix of a file of the given
// size: N is returned only when it is positive, within lim.MaxHeaderBytes
// and within the file.
func readHeaderLen(r io.ReaderAt, size int64, name string, lim Limits) (uint64, error) {
	if size < 0 {
		return 0, errorf(ErrMalformed, name, -1, "", "file size %d is negative", size)
	}
	if size == 0 {
		return 0, errorf(ErrNotSafetensors, name, -1, "", "file is empty (0 bytes); a safetensors file starts with an 8-byte header length")
	}
	var prefix [prefixLen]byte
	if size < prefixLen {
		p := make([]byte, size)
		if err := readFullAt(r, p, 0, name); err != nil {
			return 0, err
		}
		return 0, notSafetensors(name, p, fmt.Sprintf("file is %d bytes, shorter than the 8-byte header length prefix", size))
	}
	if err := readFullAt(r, prefix[:], 0, name); err != nil {
		return 0, err
	}
	n := binary.LittleEndian.Uint64(prefix[:])
	avail := uint64(size) - prefixLen
	switch {
	case n > lim.MaxHeaderBytes:
		if e := sniffFile(r, size, name); e != nil {
			return 0, e
		}
		return 0, errorf(ErrHeaderTooLarge, name, 0, "", "header length %d is above the cap of %d bytes (the default is the reference's MAX_HEADER_SIZE; raise the cap to accept it)", n, lim.MaxHeaderBytes)
	case n > avail:
		// Compared as n > size-8 so that n = 2^64-1 cannot overflow 8+n.
		if e := sniffFile(r, size, name); e != nil {
			return 0, e
		}
		return 0, errorf(ErrMalformed, name, 0, "", "header length %d runs past the end of the file: only %d bytes follow the length prefix (truncated, or not a safetensors file)", n, avail)
	case n == 0:
		return 0, errorf(ErrMalformed, name, 0, "", "header length is 0; expected a JSON object")
	}
	return n, nil
}

// readHeaderBody reads the n header bytes (n from readHeaderLen) into a
// new buffer.
func readHeaderBody(r io.ReaderAt, size int64, n uint64, name string, lim Limits) (*headerBytes, error) {
	buf := make([]byte, n)
	if err := readFullAt(r, buf, prefixLen, name); err != nil {
		return nil, err
	}
	hb := &headerBytes{name: name, buf: buf, size: size}
	hb.est, hb.brackets = tensorEstimate(buf, lim)
	if buf[0] != '{' && !jsonSpace(buf[0]) {
		hb.sniffed = sniffFile(r, size, name)
	}
	return hb, nil
}

// tensorEstimate bounds the number of tensors a valid header holds from
// above, cheaply: every tensor entry has exactly two '[' (shape and
// data_offsets) and takes at least minEntryBytes, and no file may hold more
// than lim.MaxTensors. brackets is the count of '[', which the parse sizes
// its slices from without counting again.
func tensorEstimate(buf []byte, lim Limits) (est, brackets int) {
	brackets = bytes.Count(buf, []byte{'['})
	return min(brackets/2, len(buf)/minEntryBytes, lim.MaxTensors), brackets
}

// parse parses and validates the header, appending its tensors to dst
// when dst has room for the estimate (so that many files' tensors can
// share one slice), to a new slice otherwise.
//
// When buf is mapped, nothing returned refers to it: the strings the
// header keeps are copied out before its names are hashed and checked,
// and an error's tensor name is copied too, so buf can be unmapped as soon
// as parse returns.
func (hb *headerBytes) parse(lim Limits, dst []Tensor) (*Header, *Error) {
	mapped := hb.mapped
	h, pos, err := parseHeaderJSON(hb.buf, hb.name, lim, dst, mapped, hb.brackets, hb.names)
	if err != nil {
		if err.Err == ErrMalformed && hb.sniffed != nil {
			return nil, hb.sniffed
		}
		if mapped {
			err.Tensor = strings.Clone(err.Tensor)
		}
		return nil, err
	}
	n := uint64(len(hb.buf))
	h.HeaderLen = n
	h.FileSize = uint64(hb.size)
	if err := checkLayout(h, uint64(hb.size)-prefixLen-n, pos); err != nil {
		// The names were copied already.
		return nil, err
	}
	return h, nil
}

// readFullAt reads len(p) bytes at off, naming a short read as a file that
// changed or is unreadable.
func readFullAt(r io.ReaderAt, p []byte, off int64, name string) *Error {
	got, err := r.ReadAt(p, off)
	if got == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return errorf(ErrMalformed, name, off+int64(got), "", "file ended after %d of the %d bytes expected at byte %d (did it change while being read?)", got, len(p), off)
	}
	return &Error{File: name, Offset: off, Msg: "reading the header: " + err.Error(), Err: err}
}

// sniffFile looks at the start of a file that failed the framing checks
// and, when it is a format people mistake for safetensors, returns an error
// that names it; otherwise nil.
func sniffFile(r io.ReaderAt, size int64, name string) *Error {
	p := make([]byte, min(size, sniffBytes))
	if got, _ := r.ReadAt(p, 0); got > 0 {
		if what := sniff(p[:got]); what != "" {
			return errorf(ErrNotSafetensors, name, 0, "", "%s", what)
		}
	}
	return nil
}

// notSafetensors names the format of p when sniff knows it, else says
// fallback.
func notSafetensors(name string, p []byte, fallback string) *Error {
	if what := sniff(p); what != "" {
		return errorf(ErrNotSafetensors, name, 0, "", "%s", what)
	}
	return errorf(ErrNotSafetensors, name, -1, "", "%s", fallback)
}

// OpenFile opens path (which must be a regular file), reads and validates
// its header, and closes it.
//
// The path is checked with Stat before it is opened, so a FIFO, a device
// (/dev/zero), a socket or a directory is refused at once instead of
// blocking or streaming forever; the file is opened non-blocking and
// checked again to be the same regular file. Only 8 + N bytes are read, so a 100 GB (even
// sparse) file costs what its header costs.
func OpenFile(path string, lim Limits) (*Header, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, openFileError(path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, errorf(ErrNotSafetensors, path, -1, "", "is %s, expected a regular .safetensors file", describeFileMode(fi.Mode()))
	}
	// O_NONBLOCK: should the path be swapped for a FIFO between Stat and
	// Open, the open returns at once instead of waiting for a writer; it
	// changes nothing for a regular file.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, openFileError(path, err)
	}
	defer f.Close()
	fi2, err := f.Stat()
	if err != nil {
		return nil, openFileError(path, err)
	}
	if !fi2.Mode().IsRegular() || !os.SameFile(fi, fi2) {
		return nil, errorf(ErrNotSafetensors, path, -1, "", "changed while being opened (now %s), expected a regular .safetensors file", describeFileMode(fi2.Mode()))
	}
	return ParseHeader(f, fi2.Size(), path, lim)
}

// openFileError wraps a Stat or Open failure, keeping the cause (fs.ErrNotExist,
// fs.ErrPermission) reachable with errors.Is next to ErrMissing for a file
// that is not there.
func openFileError(path string, err error) *Error {
	msg := err.Error()
	var pe *os.PathError
	if errors.As(err, &pe) {
		msg = pe.Op + ": " + pe.Err.Error()
	}
	if errors.Is(err, os.ErrNotExist) {
		return &Error{File: path, Offset: -1, Msg: "no such file", Err: errors.Join(ErrMissing, err)}
	}
	return &Error{File: path, Offset: -1, Msg: msg, Err: err}
}

// describeFileMode names a file type for messages.
func describeFileMode(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsRegular():
		return "a regular file"
	}
	return "not a regular file (mode " + m.String() + ")"
}
