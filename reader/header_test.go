package reader

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// TestDTypeBits parses one tensor of each of the 22 dtypes of the
// reference. Shape [8] makes the span equal to the bit size in bytes.
func TestDTypeBits(t *testing.T) {
	// Dtype::bitsize in huggingface/safetensors safetensors/src/tensor.rs
	// (the FNUZ variants are 8-bit FP8 formats like F8_E4M3/F8_E5M2).
	want := map[DType]uint64{
		BOOL: 8, U8: 8, I8: 8,
		F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8, F8_E4M3FNUZ: 8, F8_E5M2FNUZ: 8,
		I16: 16, U16: 16, F16: 16, BF16: 16,
		I32: 32, U32: 32, F32: 32,
		F64: 64, I64: 64, U64: 64, C64: 64,
		F4: 4, F6_E2M3: 6, F6_E3M2: 6,
	}
	if len(want) != 22 || len(DTypes()) != 22 {
		t.Fatalf("got %d dtypes in the table and %d in DTypes(), want 22", len(want), len(DTypes()))
	}
	for d, bits := range want {
		t.Run(string(d), func(t *testing.T) {
			h, err := ParseHeader(bytes.NewReader(H(`{"t":`+stEntry(string(d), "[8]", 0, bits)+`}`, zeroBytes(int(bits)))), int64(8+len(`{"t":`+stEntry(string(d), "[8]", 0, bits)+`}`)+int(bits)), "x.safetensors", Limits{})
			if err != nil {
				t.Fatalf("got error %v, want %s accepted", err, d)
			}
			got := h.Tensors[0]
			if got.DType != d || got.DType.Bits() != bits || got.Bytes() != bits {
				t.Errorf("got %s with %d bits and %d bytes, want %s with %d bits and %d bytes", got.DType, got.DType.Bits(), got.Bytes(), d, bits, bits)
			}
		})
	}
}

// TestFixtures parses committed header-only stubs of real checkpoints and
// checks what their headers claim against published parameter counts.
func TestFixtures(t *testing.T) {
	tests := []struct {
		path     string
		tensors  int
		elements uint64
		dataLen  uint64
	}{
		// GPT-2 small: 124,439,808 parameters (GPT2LMHeadModel.num_parameters()
		// for openai-community/gpt2), all F32; 148 tensors without the
		// attn.bias buffers: wte, wpe, 12 x 12 per block, ln_f weight and bias.
		{"gpt2/model.safetensors", 148, 124_439_808, 4 * 124_439_808},
		// The same with the 12 causal-mask buffers h.N.attn.bias [1,1,1024,1024]
		// the published file carries: 160 tensors, 124,439,808 + 12 x 1024^2
		// elements. The published model.safetensors is 548,105,171 bytes
		// (its Git LFS pointer), of which 548,090,880 are this data section.
		{"gpt2-with-buffers/model.safetensors", 160, 124_439_808 + 12*1024*1024, 548_090_880},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			path := filepath.Join("..", "testdata", "models", filepath.FromSlash(tc.path))
			if _, err := os.Stat(path); err != nil {
				t.Skipf("fixture not generated: %v", err)
			}
			h, err := OpenFile(path, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			var elems uint64
			for _, x := range h.Tensors {
				elems += x.Elements()
				if x.File != path {
					t.Fatalf("got tensor File %q, want %q", x.File, path)
				}
			}
			if len(h.Tensors) != tc.tensors || elems != tc.elements || h.DataLen != tc.dataLen || !h.Stub {
				t.Errorf("got %d tensors, %d elements, DataLen %d, Stub %v; want %d, %d, %d, true", len(h.Tensors), elems, h.DataLen, h.Stub, tc.tensors, tc.elements, tc.dataLen)
			}
		})
	}
}

// countingReaderAt records every byte range read.
type countingReaderAt struct {
	r     *bytes.Reader
	mu    sync.Mutex
	maxAt int64
	total int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.mu.Lock()
	c.total += int64(n)
	c.maxAt = max(c.maxAt, off+int64(n))
	c.mu.Unlock()
	return n, err
}

// TestReadsOnlyTheHeader checks that a valid file costs exactly 8 + N bytes
// of reads and nothing past them: tensor data is never touched.
func TestReadsOnlyTheHeader(t *testing.T) {
	js := `{"__metadata__":{"format":"pt"},"a":` + stEntry("F32", "[256]", 0, 1024) + `,"b":` + stEntry("BF16", "[512]", 1024, 2048) + `}   `
	file := H(js, bytes.Repeat([]byte{0xAB}, 2048))
	c := &countingReaderAt{r: bytes.NewReader(file)}
	h, err := ParseHeader(c, int64(len(file)), "m.safetensors", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := int64(8 + len(js))
	if c.total != want || c.maxAt != want {
		t.Errorf("got %d bytes read up to byte %d, want %d up to %d", c.total, c.maxAt, want, want)
	}
	if h.HeaderLen != uint64(len(js)) || h.DataLen != 2048 || h.FileSize != uint64(len(file)) || h.Stub {
		t.Errorf("got HeaderLen %d DataLen %d FileSize %d Stub %v, want %d 2048 %d false", h.HeaderLen, h.DataLen, h.FileSize, h.Stub, len(js), len(file))
	}
}

// TestClaimedLengthIsNotAllocated: a length prefix just below the cap on a
// 20-byte file must be refused before the 100 MB buffer is allocated.
func TestClaimedLengthIsNotAllocated(t *testing.T) {
	file := withLen(99_999_999, "{}          ")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ParseHeader(bytes.NewReader(file), int64(len(file)), "m.safetensors", Limits{})
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("got %v, want ErrMalformed", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("got %d bytes allocated, want under 1 MiB", got)
	}
}

// TestErrorMessage pins the shape of a message callers print.
func TestErrorMessage(t *testing.T) {
	js := `{"model.norm.weight":` + stEntry("F32", "[2]", 0, 8) + `,"lm_head.weight":` + stEntry("F32", "[2]", 0, 8) + `}`
	file := H(js, zeroBytes(8))
	_, err := ParseHeader(bytes.NewReader(file), int64(len(file)), "model-00002-of-00003.safetensors", Limits{})
	want := `model-00002-of-00003.safetensors: byte 78: tensor "lm_head.weight": data_offsets [0 8] are the same bytes as "model.norm.weight"`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	var e *Error
	if !errors.As(err, &e) || e.Tensor != "lm_head.weight" || e.Offset != int64(8+strings.Index(js, `"lm_head.weight"`)) {
		t.Errorf("got %#v, want Tensor lm_head.weight at the byte of its name", e)
	}
}

// writeHeaderFile writes b to a new file in dir.
func writeHeaderFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestOpenFile covers the paths that are not regular files: each must fail
// at once (a FIFO would block an Open, /dev/zero would stream forever).
func TestOpenFile(t *testing.T) {
	dir := t.TempDir()
	good := writeHeaderFile(t, dir, "good.safetensors", H(oneTensorJSON, zeroBytes(8)))
	fifo := filepath.Join(dir, "fifo.safetensors")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		fifo = ""
	}
	sock := filepath.Join(dir, "s.safetensors")
	if l, err := net.Listen("unix", sock); err == nil {
		defer l.Close()
	} else {
		sock = ""
	}
	link := filepath.Join(dir, "link.safetensors")
	if err := os.Symlink(good, link); err != nil {
		link = ""
	}
	tests := []struct {
		name, path string
		wantErr    error
		wantMsg    string
	}{
		{"regular file", good, nil, ""},
		{"symbolic link to a regular file", link, nil, ""},
		{"missing file", filepath.Join(dir, "absent.safetensors"), ErrMissing, "no such file"},
		{"directory", dir, ErrNotSafetensors, "is a directory, expected a regular .safetensors file"},
		{"FIFO", fifo, ErrNotSafetensors, "is a named pipe (FIFO), expected a regular .safetensors file"},
		{"/dev/zero", "/dev/zero", ErrNotSafetensors, "is a character device, expected a regular"},
		{"socket", sock, ErrNotSafetensors, "is a socket, expected a regular"},
		{"empty file", writeHeaderFile(t, dir, "empty.safetensors", nil), ErrNotSafetensors, "file is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.path == "" {
				t.Skip("not supported on this system")
			}
			if _, err := os.Lstat(tc.path); tc.wantErr != ErrMissing && err != nil {
				t.Skipf("not available: %v", err)
			}
			h, err := OpenFile(tc.path, Limits{})
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("got error %v, want success", err)
				}
				if h.File != tc.path || len(h.Tensors) != 1 || h.Tensors[0].File != tc.path {
					t.Errorf("got File %q and %d tensors, want %q and 1", h.File, len(h.Tensors), tc.path)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) || !strings.Contains(fmt.Sprint(err), tc.wantMsg) || !strings.HasPrefix(fmt.Sprint(err), tc.path+": ") {
				t.Errorf("got error %v, want %v naming %q and saying %q", err, tc.wantErr, tc.path, tc.wantMsg)
			}
		})
	}
	t.Run("missing file keeps fs.ErrNotExist", func(t *testing.T) {
		_, err := OpenFile(filepath.Join(dir, "absent.safetensors"), Limits{})
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("got %v, want fs.ErrNotExist reachable", err)
		}
	})
}

// TestOpenFileSparse100GB: a 100 GB file (sparse, so it costs no disk) with
// a valid header is answered from its header alone.
func TestOpenFileSparse100GB(t *testing.T) {
	const size = 100 << 30
	js := `{"__metadata__":{"format":"pt"},"w":` + stEntry("U8", "[]", 0, 0) + `}`
	// One U8 tensor filling the rest of the file.
	data := uint64(size - 8 - len(js))
	for {
		next := `{"__metadata__":{"format":"pt"},"w":` + stEntry("U8", fmt.Sprintf("[%d]", data), 0, data) + `}`
		if d := uint64(size - 8 - len(next)); d != data {
			data = d
			continue
		}
		js = next
		break
	}
	p := writeHeaderFile(t, t.TempDir(), "big.safetensors", H(js, nil))
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		t.Skipf("filesystem refuses a sparse 100 GB file: %v", err)
	}
	f.Close()
	h, err := OpenFile(p, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if h.FileSize != size || h.DataLen != data || h.Stub || h.Tensors[0].Bytes() != data {
		t.Errorf("got FileSize %d DataLen %d Stub %v, want %d %d false", h.FileSize, h.DataLen, h.Stub, uint64(size), data)
	}
}

// TestNthTopLevelEntry checks the skim that refuses too many tensors before
// building them: colons inside strings (escaped quotes and backslashes
// included) and nested objects do not count.
func TestNthTopLevelEntry(t *testing.T) {
	tests := []struct {
		data string
		n    int
		want int
	}{
		{`{"a":1,"b":2}`, 2, 10},
		{`{"a":1,"b":2}`, 3, -1},
		{`{"a:\\":1,"b":{"c":1,"d":[{"e":1}]}}`, 2, 13},
		{`{"a\\":1,"b\\\":c":2}`, 2, 18},
		{`{"a\\":1,"b\\\":c":2}`, 3, -1},
		{`{"unterminated`, 1, -1},
	}
	for _, tc := range tests {
		t.Run(tc.data, func(t *testing.T) {
			if got := nthTopLevelEntry(tc.data, tc.n); got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
}

// TestSWARSpecial checks the 8-byte test of the string fast path against a
// byte loop: every special byte in every position, and plain words.
func TestSWARSpecial(t *testing.T) {
	plain := []byte("abcdefgh")
	for _, c := range []byte{'"', '\\', 0x00, 0x01, 0x1f} {
		for pos := range 8 {
			w := bytes.Clone(plain)
			w[pos] = c
			if got := swarSpecial(load64(string(w), 0)); !got {
				t.Errorf("got false for %q, want true", w)
			}
		}
	}
	for _, w := range []string{"abcdefgh", "        ", "\x20\x7f\x80\xff!#[]", "\u00e9\u00e9\u00e9\u00e9", "model.la"} {
		if got := swarSpecial(load64(w, 0)); got {
			t.Errorf("got true for %q, want false", w)
		}
	}
	for c := range 256 {
		w := strings.Repeat(string([]byte{byte(c)}), 8)
		want := c == '"' || c == '\\' || c < 0x20
		if got := swarSpecial(load64(w, 0)); got != want {
			t.Errorf("got %v for byte %#02x, want %v", got, c, want)
		}
	}
}

// TestDTypeBitSize keeps the switch used on the hot path equal to the
// DType.Bits table.
func TestDTypeBitSize(t *testing.T) {
	for _, d := range DTypes() {
		if got, want := dtypeBitSize(d), d.Bits(); got != want {
			t.Errorf("%s: got %d bits, want %d", d, got, want)
		}
	}
	if got := dtypeBitSize("F128"); got != 0 {
		t.Errorf("F128: got %d bits, want 0", got)
	}
}

// TestBracketsDoNotInflateAllocation: the slices are sized from a count of
// '[' (two per tensor entry); an unknown field holding 200,000 empty arrays
// must not make ParseHeader allocate for 100,000 tensors.
func TestBracketsDoNotInflateAllocation(t *testing.T) {
	js := `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":[` + strings.Repeat("[],", 199_999) + `[]]}}`
	file := H(js, zeroBytes(8))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	h, err := ParseHeader(bytes.NewReader(file), int64(len(file)), "m.safetensors", Limits{})
	runtime.ReadMemStats(&after)
	if err != nil || len(h.Tensors) != 1 {
		t.Fatalf("got %v, want one tensor", err)
	}
	if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(5*len(file)); got > limit {
		t.Errorf("got %d bytes allocated for a %d-byte header, want at most %d", got, len(file), limit)
	}
}

// TestResourceCasesAllocation: the three 99 MB hostile headers of
// HOSTILE.md "Resources" are refused with little more allocated than the
// header buffer itself (the one read of N bytes): nothing in proportion to
// the 49.5 million dimensions, the 1.6 million tensors or the 98 MB string.
func TestResourceCasesAllocation(t *testing.T) {
	if testing.Short() {
		t.Skip("large input")
	}
	for _, c := range hostileCases() {
		if c.big == nil {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			r, size := c.big()
			file := make([]byte, size)
			if _, err := r.ReadAt(file, 0); err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := ParseHeader(bytes.NewReader(file), size, "m.safetensors", Limits{})
			runtime.ReadMemStats(&after)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("got %v, want %v", err, c.wantErr)
			}
			if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(size)+1<<20; got > limit {
				t.Errorf("got %d bytes allocated for a %d-byte file, want at most %d", got, size, limit)
			}
		})
	}
}
