package layouts

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/nlpodyssey/safetensors"
)

// wrDTypes is the position of each dtype in the reference implementation's
// enum Dtype (huggingface/safetensors, safetensors/src/tensor.rs), which
// derives Ord: its writer sorts tensors by this rank, descending, then by
// name. The second number is Dtype::bitsize.
var wrDTypes = map[string]struct{ rank, bits int }{
	"BOOL": {0, 8}, "F4": {1, 4}, "F6_E2M3": {2, 6}, "F6_E3M2": {3, 6},
	"U8": {4, 8}, "I8": {5, 8}, "F8_E5M2": {6, 8}, "F8_E4M3": {7, 8},
	"F8_E8M0": {8, 8}, "F8_E4M3FNUZ": {9, 8}, "F8_E5M2FNUZ": {10, 8},
	"I16": {11, 16}, "U16": {12, 16}, "F16": {13, 16}, "BF16": {14, 16},
	"I32": {15, 32}, "U32": {16, 32}, "F32": {17, 32}, "C64": {18, 64},
	"F64": {19, 64}, "I64": {20, 64}, "U64": {21, 64},
}

// TensorBytes returns the size of t's data: elements × bits / 8, as the
// reference computes it (Metadata::validate in safetensors/src/tensor.rs),
// with an error when the dtype is unknown, the size overflows or a sub-byte
// dtype does not end on a byte boundary.
func TensorBytes(t Tensor) (uint64, error) {
	d, ok := wrDTypes[t.DType]
	if !ok {
		return 0, fmt.Errorf("layouts: tensor %q: unknown dtype %q", t.Name, t.DType)
	}
	n := uint64(d.bits)
	for _, s := range t.Shape {
		hi, lo := bits.Mul64(n, s)
		if hi != 0 {
			return 0, fmt.Errorf("layouts: tensor %q: shape %v overflows", t.Name, t.Shape)
		}
		n = lo
	}
	if n%8 != 0 {
		return 0, fmt.Errorf("layouts: tensor %q: %d bits of %s do not fill whole bytes", t.Name, n, t.DType)
	}
	return n / 8, nil
}

// Elements returns the product of t's shape (1 for a scalar).
func (t Tensor) Elements() uint64 {
	n := uint64(1)
	for _, s := range t.Shape {
		n *= s
	}
	return n
}

// HeaderOrder returns a copy of ts in the order the reference writer lays
// them out: dtype rank descending, then name bytewise (prepare() in
// safetensors/src/tensor.rs). Unknown dtypes sort last.
func HeaderOrder(ts []Tensor) []Tensor {
	out := append([]Tensor(nil), ts...)
	rank := func(d string) int {
		if r, ok := wrDTypes[d]; ok {
			return r.rank
		}
		return -1
	}
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := rank(out[i].DType), rank(out[j].DType)
		if ri != rj {
			return ri > rj
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// EncodeHeader returns the first 8+N bytes of the safetensors file the
// reference writer would produce for ts with metadata md: the little-endian
// header length N, then the JSON header padded with spaces to a multiple of
// 8, with __metadata__ first and the tensors in HeaderOrder with contiguous
// data_offsets. It also returns the size of the data section those offsets
// cover. Metadata keys are written sorted (the reference keeps them in a
// HashMap, so its order is arbitrary; sorted is one of its orders and is
// reproducible).
func EncodeHeader(ts []Tensor, md map[string]string) (header []byte, dataLen uint64, err error) {
	var b bytes.Buffer
	// About 100 bytes per tensor entry; growing once saves the copies of a
	// 10 MB header (DeepSeek-V3 lists 91,991 tensors).
	b.Grow(64 + 100*len(ts))
	b.WriteByte('{')
	first := true
	sep := func() {
		if !first {
			b.WriteByte(',')
		}
		first = false
	}
	if md != nil {
		keys := make([]string, 0, len(md))
		for k := range md {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		sep()
		b.WriteString(`"__metadata__":{`)
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := wrJSONString(&b, k); err != nil {
				return nil, 0, fmt.Errorf("layouts: metadata key: %w", err)
			}
			b.WriteByte(':')
			if err := wrJSONString(&b, md[k]); err != nil {
				return nil, 0, fmt.Errorf("layouts: metadata %q: %w", k, err)
			}
		}
		b.WriteByte('}')
	}
	seen := make(map[string]bool, len(ts))
	var off uint64
	for _, t := range HeaderOrder(ts) {
		if seen[t.Name] {
			return nil, 0, fmt.Errorf("layouts: tensor %q listed twice", t.Name)
		}
		seen[t.Name] = true
		n, err := TensorBytes(t)
		if err != nil {
			return nil, 0, err
		}
		if off+n < off {
			return nil, 0, fmt.Errorf("layouts: tensor %q: data section overflows", t.Name)
		}
		sep()
		if err := wrJSONString(&b, t.Name); err != nil {
			return nil, 0, fmt.Errorf("layouts: tensor name: %w", err)
		}
		b.WriteString(`:{"dtype":"`)
		b.WriteString(t.DType)
		b.WriteString(`","shape":[`)
		for i, s := range t.Shape {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatUint(s, 10))
		}
		b.WriteString(`],"data_offsets":[`)
		b.WriteString(strconv.FormatUint(off, 10))
		b.WriteByte(',')
		b.WriteString(strconv.FormatUint(off+n, 10))
		b.WriteString("]}")
		off += n
	}
	b.WriteByte('}')
	// The reference pads the header with spaces so the data section starts
	// 8-aligned (prepare(): next_multiple_of(N_LEN)).
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	out := make([]byte, 8, 8+b.Len())
	binary.LittleEndian.PutUint64(out, uint64(b.Len()))
	return append(out, b.Bytes()...), off, nil
}

// wrJSONString writes s as serde_json does: quotes, backslashes and
// control characters escaped (\b \f \n \r \t, else \u00xx), everything else
// verbatim, including non-ASCII. A Rust String is valid UTF-8, so invalid
// UTF-8 is an error.
func wrJSONString(b *bytes.Buffer, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%q is not valid UTF-8", s)
	}
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			b.WriteString(`\"`)
		case c == '\\':
			b.WriteString(`\\`)
		case c == '\b':
			b.WriteString(`\b`)
		case c == '\f':
			b.WriteString(`\f`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return nil
}

// WriteStub writes m's tensors as a header-only safetensors file: the header
// exactly as the reference writer lays it out (EncodeHeader), and no data.
// For a sharded model it writes every tensor into one file; WriteModel
// writes the shards.
func WriteStub(w io.Writer, m Model) error {
	h, _, err := EncodeHeader(m.Tensors, m.Metadata)
	if err != nil {
		return fmt.Errorf("layouts: %s: %w", m.Name, err)
	}
	_, err = w.Write(h)
	return err
}

// ShardName returns the Hugging Face file name of shard i (0-based) of n:
// model-00001-of-00002.safetensors (transformers' SAFE_WEIGHTS_NAME with
// the shard suffix of huggingface_hub's split_torch_state_dict_into_shards).
func ShardName(i, n int) string {
	return fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, n)
}

// WriteModel writes m into dir (created if needed): config.json when
// m.Config is set; then model.safetensors, or for m.Shards > 0 the shard
// files plus model.safetensors.index.json. Header-only stubs unless
// m.Complete, in which case every tensor gets deterministic pseudo-random
// bytes (Values) and is written with nlpodyssey/safetensors'
// SerializeToWriter. The same m always gives the same bytes.
func WriteModel(dir string, m Model) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if m.Config != "" {
		if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(m.Config), 0o644); err != nil {
			return err
		}
	}
	if m.Shards <= 0 {
		for _, t := range m.Tensors {
			if t.Shard != 0 {
				return fmt.Errorf("layouts: %s: tensor %q in shard %d of an unsharded model", m.Name, t.Name, t.Shard)
			}
		}
		return wrFile(filepath.Join(dir, "model.safetensors"), m, m.Tensors)
	}
	shards := make([][]Tensor, m.Shards)
	weightMap := make(map[string]string, len(m.Tensors))
	var total uint64
	for _, t := range m.Tensors {
		if t.Shard < 0 || t.Shard >= m.Shards {
			return fmt.Errorf("layouts: %s: tensor %q in shard %d, want 0..%d", m.Name, t.Name, t.Shard, m.Shards-1)
		}
		n, err := TensorBytes(t)
		if err != nil {
			return fmt.Errorf("layouts: %s: %w", m.Name, err)
		}
		total += n
		shards[t.Shard] = append(shards[t.Shard], t)
		weightMap[t.Name] = ShardName(t.Shard, m.Shards)
	}
	for i, ts := range shards {
		if err := wrFile(filepath.Join(dir, ShardName(i, m.Shards)), m, ts); err != nil {
			return err
		}
	}
	// transformers writes the index with json.dumps(index, indent=2,
	// sort_keys=True) + "\n"; encoding/json sorts map keys the same way.
	index := struct {
		Metadata  map[string]uint64 `json:"metadata"`
		WeightMap map[string]string `json:"weight_map"`
	}{map[string]uint64{"total_size": total}, weightMap}
	data, err := json.MarshalIndent(index, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "model.safetensors.index.json"), append(data, '\n'), 0o644)
}

// wrFile writes one safetensors file holding ts.
func wrFile(path string, m Model, ts []Tensor) error {
	var buf bytes.Buffer
	if m.Complete {
		if err := wrComplete(&buf, m, ts); err != nil {
			return fmt.Errorf("layouts: %s: %w", m.Name, err)
		}
	} else {
		h, _, err := EncodeHeader(ts, m.Metadata)
		if err != nil {
			return fmt.Errorf("layouts: %s: %w", m.Name, err)
		}
		buf.Write(h)
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// wrComplete serializes ts with real bytes through nlpodyssey/safetensors,
// a second implementation of the format: it supports only its 13 dtypes.
func wrComplete(w io.Writer, m Model, ts []Tensor) error {
	byName := make(map[string]Tensor, len(m.Tensors))
	for _, t := range m.Tensors {
		byName[t.Name] = t
	}
	views := make(map[string]safetensors.TensorView, len(ts))
	for _, t := range ts {
		src := t
		if t.SameAs != "" {
			s, ok := byName[t.SameAs]
			if !ok {
				return fmt.Errorf("tensor %q: SameAs %q is not in the model", t.Name, t.SameAs)
			}
			if s.DType != t.DType || !slices.Equal(s.Shape, t.Shape) {
				return fmt.Errorf("tensor %q: SameAs %q has another dtype or shape", t.Name, t.SameAs)
			}
			src = s
		}
		data, err := Values(m.Name, src)
		if err != nil {
			return err
		}
		dt, err := safetensors.ParseDType(t.DType)
		if err != nil {
			return fmt.Errorf("tensor %q: %w", t.Name, err)
		}
		shape := t.Shape
		if shape == nil {
			shape = []uint64{} // "shape":[] as the reference writes a scalar
		}
		v, err := safetensors.NewTensorView(dt, shape, data)
		if err != nil {
			return fmt.Errorf("tensor %q: %w", t.Name, err)
		}
		views[t.Name] = v
	}
	return safetensors.SerializeToWriter(views, m.Metadata, w)
}

// Values returns the bytes a complete model stores for t: little-endian
// values drawn from splitmix64 (Steele, Lea, Flood 2014) seeded with the
// FNV-1a hash of model name and tensor name, so every tensor differs, and
// the same names always give the same bytes. Floats are uniform in
// [-0.125, 0.125), a plausible initialisation range; integers use the raw
// bits.
func Values(model string, t Tensor) ([]byte, error) {
	n, err := TensorBytes(t)
	if err != nil {
		return nil, err
	}
	if n > 1<<26 {
		return nil, fmt.Errorf("layouts: tensor %q: %d bytes is too large for a complete fixture", t.Name, n)
	}
	seed := uint64(14695981039346656037)
	for _, s := range []string{model, "\x00", t.Name} {
		for i := 0; i < len(s); i++ {
			seed ^= uint64(s[i])
			seed *= 1099511628211
		}
	}
	next := func() uint64 {
		seed += 0x9e3779b97f4a7c15
		z := seed
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		return z ^ (z >> 31)
	}
	// uniform returns a float in [-0.125, 0.125) from 24 random bits.
	uniform := func() float32 {
		return (float32(next()>>40) - (1 << 23)) / (1 << 26)
	}
	out := make([]byte, n)
	switch t.DType {
	case "F32":
		for i := 0; i < len(out); i += 4 {
			binary.LittleEndian.PutUint32(out[i:], math.Float32bits(uniform()))
		}
	case "BF16":
		// bfloat16 is the top half of a float32, so truncating the low
		// 16 bits converts (rounding toward zero, harmless here).
		for i := 0; i < len(out); i += 2 {
			binary.LittleEndian.PutUint16(out[i:], uint16(math.Float32bits(uniform())>>16))
		}
	case "F16":
		for i := 0; i < len(out); i += 2 {
			binary.LittleEndian.PutUint16(out[i:], wrF16(uniform()))
		}
	case "F64":
		for i := 0; i < len(out); i += 8 {
			binary.LittleEndian.PutUint64(out[i:], math.Float64bits(float64(uniform())))
		}
	default:
		for i := range out {
			out[i] = byte(next())
		}
	}
	return out, nil
}

// wrF16 converts a small float32 (|f| < 1) to IEEE 754 binary16 by
// truncation; subnormal results flush to zero, which is harmless for
// fixture values.
func wrF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int((b>>23)&0xff) - 127 + 15
	if exp <= 0 {
		return sign
	}
	return sign | uint16(exp)<<10 | uint16((b>>13)&0x3ff)
}
