package reader

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel errors for callers that branch on the kind of failure; every
// *Error wraps one of them.
var (
	// ErrNotSafetensors: the bytes are some other format (Git LFS pointer,
	// PyTorch zip, pickle, GGUF, gzip, HTML page) or not a file at all.
	ErrNotSafetensors = errors.New("not a safetensors file")
	// ErrHeaderTooLarge: the header length exceeds Limits.MaxHeaderBytes.
	ErrHeaderTooLarge = errors.New("header too large")
	// ErrMalformed: the header, index or config breaks the format's rules.
	ErrMalformed = errors.New("malformed")
	// ErrLimit: the input exceeds one of the caps in Limits.
	ErrLimit = errors.New("over a limit")
	// ErrUnsafePath: a shard name from an index would leave the model folder
	// or is not a safetensors file.
	ErrUnsafePath = errors.New("unsafe shard name")
	// ErrMissing: a file or tensor the checkpoint refers to is absent.
	ErrMissing = errors.New("missing")
)

// Error is a reader failure that names the file, the place and what was
// expected:
//
//	model-00002-of-00003.safetensors: tensor "lm_head.weight": data_offsets [0 8] overlap "model.norm.weight"
type Error struct {
	// File is the file being read (as the user named it, or the shard name).
	File string
	// Offset is the byte offset in File where the problem is, or -1.
	Offset int64
	// Tensor is the tensor name the problem is about, or "".
	Tensor string
	// Msg says what was found and what was expected.
	Msg string
	// Err is the sentinel (ErrMalformed, ...) or the underlying cause.
	Err error
}

func (e *Error) Error() string {
	s := e.File
	if e.Offset >= 0 {
		s += ": byte " + strconv.FormatInt(e.Offset, 10)
	}
	if e.Tensor != "" {
		s += ": tensor " + strconv.Quote(e.Tensor)
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	} else if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the sentinel or cause.
func (e *Error) Unwrap() error { return e.Err }

// errorf builds an *Error; offset -1 means "no particular byte".
func errorf(sentinel error, file string, offset int64, tensor string, format string, args ...any) *Error {
	return &Error{File: file, Offset: offset, Tensor: tensor, Msg: fmt.Sprintf(format, args...), Err: sentinel}
}
