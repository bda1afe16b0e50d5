package reader

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// writeDataTestFile writes H(header, data) as the safetensors spec lays a
// file out (8-byte little-endian N, N bytes of JSON, the data) and returns
// the header length.
func writeDataTestFile(t *testing.T, path, header string, data []byte) uint64 {
	t.Helper()
	var b bytes.Buffer
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(header)))
	b.Write(n[:])
	b.WriteString(header)
	b.Write(data)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return uint64(len(header))
}

func TestReadTensorData(t *testing.T) {
	dir := t.TempDir()
	const header = `{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]},"z":{"dtype":"U8","shape":[0],"data_offsets":[6,6]}}`
	data := []byte("ABCDEF")
	n := writeDataTestFile(t, filepath.Join(dir, "model.safetensors"), header, data)
	size := 8 + n + uint64(len(data))

	// A truncated copy: the header claims 6 bytes of data, 3 are there.
	nt := writeDataTestFile(t, filepath.Join(dir, "short.safetensors"), header, data[:3])
	// A header-only stub as testdata/layouts writes them.
	ns := writeDataTestFile(t, filepath.Join(dir, "stub.safetensors"), header, nil)
	if err := os.Mkdir(filepath.Join(dir, "sub.safetensors"), 0o755); err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	writeDataTestFile(t, filepath.Join(outside, "x.safetensors"), header, data)
	if err := os.Symlink(filepath.Join(outside, "x.safetensors"), filepath.Join(dir, "link.safetensors")); err != nil {
		t.Fatal(err)
	}

	ck := &Checkpoint{Dir: dir, Files: []*Header{
		{File: "model.safetensors", HeaderLen: n, DataLen: 6, FileSize: size},
		{File: "short.safetensors", HeaderLen: nt, DataLen: 6},
		{File: "stub.safetensors", HeaderLen: ns, DataLen: 6, FileSize: 8 + ns, Stub: true},
		{File: "sub.safetensors", HeaderLen: n, DataLen: 6},
		{File: "link.safetensors", HeaderLen: n, DataLen: 6},
		{File: "../x.safetensors", HeaderLen: n, DataLen: 6},
		{File: "changed.safetensors", HeaderLen: n, DataLen: 6, FileSize: size + 1},
		{File: "gone.safetensors", HeaderLen: n, DataLen: 6},
	}}
	if err := os.Link(filepath.Join(dir, "model.safetensors"), filepath.Join(dir, "changed.safetensors")); err != nil {
		t.Fatal(err)
	}
	tensor := func(file, name string, begin, end uint64) Tensor {
		return Tensor{Name: name, DType: U8, Shape: []uint64{end - begin}, Begin: begin, End: end, File: file}
	}

	tests := []struct {
		name    string
		tensor  Tensor
		max     uint64
		want    string
		wantErr error
	}{
		{"first tensor", tensor("model.safetensors", "a", 0, 4), 100, "ABCD", nil},
		{"second tensor starts at 8+N+Begin", tensor("model.safetensors", "b", 4, 6), 100, "EF", nil},
		{"zero-size tensor", tensor("model.safetensors", "z", 6, 6), 100, "", nil},
		{"exactly max bytes", tensor("model.safetensors", "a", 0, 4), 4, "ABCD", nil},
		{"over max", tensor("model.safetensors", "a", 0, 4), 3, "", ErrLimit},
		{"stub refused", tensor("stub.safetensors", "a", 0, 4), 100, "", ErrMissing},
		{"truncated file", tensor("short.safetensors", "b", 4, 6), 100, "", ErrMalformed},
		{"directory", tensor("sub.safetensors", "a", 0, 4), 100, "", ErrNotSafetensors},
		{"symlink out of the folder", tensor("link.safetensors", "a", 0, 4), 100, "", ErrUnsafePath},
		{"dot-dot name", tensor("../x.safetensors", "a", 0, 4), 100, "", ErrUnsafePath},
		{"size changed since the header was read", tensor("changed.safetensors", "a", 0, 4), 100, "", ErrMalformed},
		{"missing file", tensor("gone.safetensors", "a", 0, 4), 100, "", ErrMissing},
		{"file not in checkpoint", tensor("other.safetensors", "a", 0, 4), 100, "", ErrMissing},
		{"reversed offsets", Tensor{Name: "r", DType: U8, Begin: 4, End: 2, File: "model.safetensors"}, 100, "", ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadTensorData(ck, tc.tensor, tc.max)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("got error %v, want %v", err, tc.wantErr)
				}
				var e *Error
				if !errors.As(err, &e) || e.File != tc.tensor.File || e.Tensor != tc.tensor.Name {
					t.Fatalf("got %#v, want an *Error naming file %q and tensor %q", err, tc.tensor.File, tc.tensor.Name)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if string(got) != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestReadTensorDataNilCheckpoint(t *testing.T) {
	_, err := ReadTensorData(nil, Tensor{Name: "a", File: "f"}, 10)
	if !errors.Is(err, ErrMissing) {
		t.Fatalf("got %v, want ErrMissing", err)
	}
}
