package reader

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// FuzzParseHeader checks ParseHeader's invariants on arbitrary bytes:
//   - it never panics;
//   - every error is an *Error naming the file and wrapping a sentinel;
//   - an accepted header has every tensor's span equal to its shape times
//     its dtype, offsets that tile [0, DataLen) in order with no hole or
//     overlap, and a file size of exactly 8 + N + DataLen (or 8 + N for a
//     stub);
//   - it never accepts a header that jsontext (go-json-experiment, strict
//     RFC 8259 with duplicate names and invalid UTF-8 refused) rejects;
//   - it agrees with nlpodyssey/safetensors wherever that parser supports
//     the dtypes, except where we are deliberately stricter.
//
// The seed corpus (every small hostile case, files written by nlpodyssey,
// the tiny fixtures) runs in plain go test.
func FuzzParseHeader(f *testing.F) {
	for _, c := range hostileCases() {
		// The 100,000-deep nesting cases (hundreds of KB) stay in the table
		// test: as seeds they make every minimization crawl.
		if c.big == nil && c.lim == (Limits{}) && len(c.file) < 64<<10 {
			f.Add(c.file)
		}
	}
	// Found by the fuzzer: a junk entry hidden by a later duplicate name,
	// which encoding/json's last-wins lets nlpodyssey accept.
	f.Add([]byte("k\x00\x00\x00\x00\x00\x00\x00{\"a\":{\"00000\":\"000\",\"00001\":[0],\"000000000000\":[0,0]},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}00000000"))
	r := rand.New(rand.NewPCG(3, 4))
	for range 20 {
		tensors, md := randomTensors(r)
		f.Add(nlWrite(f, tensors, md))
	}
	fixtures, _ := filepath.Glob(filepath.Join("..", "testdata", "models", "tiny-*", "*.safetensors"))
	for _, p := range fixtures {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		const name = "fuzz.safetensors"
		h, err := ParseHeader(bytes.NewReader(file), int64(len(file)), name, Limits{})
		ts, md, nlErr := secondOpinion(file)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.File != name {
				t.Fatalf("got %T %v, want *Error naming %q", err, err, name)
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNotSafetensors) && !errors.Is(err, ErrHeaderTooLarge) && !errors.Is(err, ErrLimit) {
				t.Fatalf("got %v, want it to wrap a sentinel", err)
			}
			if nlErr == nil && !stricterOnPurpose(err) && jsontextRejects(file) == nil {
				t.Fatalf("got error %v, but nlpodyssey accepts the file and this is not a deliberate strictness", err)
			}
			return
		}
		if jerr := jsontextRejects(file); jerr != nil {
			t.Fatalf("accepted a header that jsontext rejects: %v", jerr)
		}
		checkAccepted(t, h, uint64(len(file)))
		supported := len(h.Warnings) == 0 && !h.Stub
		for _, x := range h.Tensors {
			supported = supported && nlSupports(x.DType)
		}
		if supported {
			if nlErr != nil {
				t.Fatalf("accepted, but nlpodyssey refuses: %v", nlErr)
			}
			if d := compareOpinions(h, ts, md); d != "" {
				t.Fatal(d)
			}
		}
	})
}

// jsontextRejects returns why jsontext refuses the header text of file as
// one JSON value (nil when it accepts it). encoding/json under nlpodyssey
// keeps the last of duplicate names and replaces invalid UTF-8; jsontext
// refuses both by default, as we do, so it tells which of nlpodyssey's
// acceptances we are right to refuse.
func jsontextRejects(file []byte) error {
	if len(file) < 8 {
		return errors.New("no length prefix")
	}
	n := binary.LittleEndian.Uint64(file)
	if n > uint64(len(file)-8) {
		return errors.New("length past the end")
	}
	dec := jsontext.NewDecoder(bytes.NewReader(file[8 : 8+n]))
	if _, err := dec.ReadValue(); err != nil {
		return err
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return fmt.Errorf("trailing data: %v", err)
	}
	return nil
}

// stricterOnPurpose reports whether err is one of the refusals where
// paramscope is deliberately stricter than nlpodyssey (see
// deliberateDifferences): duplicate keys, invalid UTF-8, lone surrogates,
// a null header, or one of our caps.
func stricterOnPurpose(err error) bool {
	if errors.Is(err, ErrLimit) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"duplicate", "not valid UTF-8", "lone surrogate", "header must be a JSON object, found null"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// checkAccepted verifies an accepted header against the format's rules
// independently of the parser's own bookkeeping.
func checkAccepted(t *testing.T, h *Header, size uint64) {
	t.Helper()
	if h.FileSize != size || h.HeaderLen > size-8 {
		t.Fatalf("got FileSize %d HeaderLen %d for a %d-byte file", h.FileSize, h.HeaderLen, size)
	}
	data := size - 8 - h.HeaderLen
	switch {
	case h.Stub && (data != 0 || h.DataLen == 0):
		t.Fatalf("got Stub with %d data bytes and DataLen %d", data, h.DataLen)
	case !h.Stub && data != h.DataLen:
		t.Fatalf("got DataLen %d, but the file holds %d data bytes", h.DataLen, data)
	}
	names := map[string]bool{}
	for _, x := range h.Tensors {
		if names[x.Name] {
			t.Fatalf("tensor %q accepted twice", x.Name)
		}
		names[x.Name] = true
		if !x.DType.Known() {
			t.Fatalf("tensor %q has unknown dtype %q", x.Name, x.DType)
		}
		elems := uint64(1)
		for _, d := range x.Shape {
			hi, lo := bits.Mul64(elems, d)
			if hi != 0 {
				t.Fatalf("tensor %q: shape %v overflows", x.Name, x.Shape)
			}
			elems = lo
		}
		hi, nb := bits.Mul64(elems, x.DType.Bits())
		if hi != 0 || nb%8 != 0 || x.Begin > x.End || x.End-x.Begin != nb/8 || x.End > h.DataLen {
			t.Fatalf("tensor %q: %s %v at [%d %d] is not a whole, in-bounds span (DataLen %d)", x.Name, x.DType, x.Shape, x.Begin, x.End, h.DataLen)
		}
	}
	sorted := slices.Clone(h.Tensors)
	slices.SortFunc(sorted, func(a, b Tensor) int {
		if a.Begin != b.Begin {
			return compareU64(a.Begin, b.Begin)
		}
		return compareU64(a.End, b.End)
	})
	var end uint64
	for _, x := range sorted {
		if x.Begin != end {
			t.Fatalf("tensor %q at [%d %d]: want it to start at %d", x.Name, x.Begin, x.End, end)
		}
		end = x.End
	}
	if end != h.DataLen {
		t.Fatalf("tensors end at %d, DataLen %d", end, h.DataLen)
	}
}

func compareU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestJSONTextOracle pins what FuzzParseHeader relies on jsontext for: by
// default it refuses duplicate names, invalid UTF-8, lone surrogates and
// trailing data, and accepts the writer's space padding.
func TestJSONTextOracle(t *testing.T) {
	tests := []struct {
		name, js string
		reject   bool
	}{
		{"valid with padding", `{"a":{"b":[1,2]}}    `, false},
		{"duplicate names", `{"a":1,"a":1}`, true},
		{"nested duplicate names", `{"a":{"b":1,"b":2}}`, true},
		{"invalid UTF-8", "{\"a\xff\":1}", true},
		{"lone surrogate", `{"a\ud800":1}`, true},
		{"trailing data", `{"a":1} x`, true},
		{"NUL padding", "{\"a\":1}\x00", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := jsontextRejects(H(tc.js, nil))
			if (err != nil) != tc.reject {
				t.Errorf("got %v, want rejected %v", err, tc.reject)
			}
		})
	}
}
