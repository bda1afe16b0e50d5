package reader

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	st "github.com/nlpodyssey/safetensors"

	"github.com/paramscope/paramscope/testdata/layouts"
)

// nlDTypes maps the dtypes nlpodyssey/safetensors supports (the classic
// ones: no FP8, F4, F6 or C64) to ours.
var nlDTypes = map[st.DType]DType{
	st.BOOL: BOOL, st.U8: U8, st.I8: I8, st.I16: I16, st.U16: U16,
	st.F16: F16, st.BF16: BF16, st.I32: I32, st.U32: U32, st.F32: F32,
	st.F64: F64, st.I64: I64, st.U64: U64,
}

// nlSupports reports whether nlpodyssey knows d.
func nlSupports(d DType) bool {
	for _, x := range nlDTypes {
		if x == d {
			return true
		}
	}
	return false
}

// nlTensor is one tensor as nlpodyssey read it.
type nlTensor struct {
	DType      DType
	Shape      []uint64
	Begin, End uint64
}

// secondOpinion parses file with nlpodyssey/safetensors, turning a panic
// into an error so the fuzzer can compare.
func secondOpinion(file []byte) (ts map[string]nlTensor, md map[string]string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("nlpodyssey panicked: %v", r)
		}
	}()
	_, meta, err := st.ReadMetadata(file)
	if err != nil {
		return nil, nil, err
	}
	ts = map[string]nlTensor{}
	for name, info := range meta.Tensors() {
		ts[name] = nlTensor{DType: nlDTypes[info.DType], Shape: info.Shape, Begin: info.DataOffsets[0], End: info.DataOffsets[1]}
	}
	return ts, meta.Metadata(), nil
}

// compareOpinions reports how h and nlpodyssey's reading of the same file
// differ, or "" when they agree on every tensor and metadata entry.
func compareOpinions(h *Header, ts map[string]nlTensor, md map[string]string) string {
	var diffs []string
	if len(h.Tensors) != len(ts) {
		diffs = append(diffs, fmt.Sprintf("got %d tensors, nlpodyssey %d", len(h.Tensors), len(ts)))
	}
	for _, t := range h.Tensors {
		o, ok := ts[t.Name]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("tensor %q missing in nlpodyssey", t.Name))
		case o.DType != t.DType || !slices.Equal(o.Shape, t.Shape) || o.Begin != t.Begin || o.End != t.End:
			diffs = append(diffs, fmt.Sprintf("tensor %q: got %s %v [%d %d], nlpodyssey %s %v [%d %d]", t.Name, t.DType, t.Shape, t.Begin, t.End, o.DType, o.Shape, o.Begin, o.End))
		}
	}
	if len(h.Metadata) != len(md) {
		diffs = append(diffs, fmt.Sprintf("got %d metadata keys, nlpodyssey %d", len(h.Metadata), len(md)))
	}
	for _, m := range h.Metadata {
		if v, ok := md[m.Key]; !ok || v != m.Value {
			diffs = append(diffs, fmt.Sprintf("metadata %q: got %q, nlpodyssey %q", m.Key, m.Value, v))
		}
	}
	return strings.Join(diffs, "; ")
}

// nlView is a tensor handed to nlpodyssey's writer. Its own TensorView
// cannot hold a scalar (NewTensorView counts a [] shape as 0 elements,
// where the reference and its own header validation count 1).
type nlView struct {
	dtype st.DType
	shape []uint64
	data  []byte
}

func (v nlView) DType() st.DType { return v.dtype }
func (v nlView) Shape() []uint64 { return v.shape }
func (v nlView) Data() []byte    { return v.data }
func (v nlView) DataLen() uint64 { return uint64(len(v.data)) }

// nlWrite serializes tensors with nlpodyssey's SerializeToWriter.
func nlWrite(t testing.TB, tensors map[string]nlView, md map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := st.SerializeToWriter(tensors, md, &b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// randomTensors builds a random checkpoint in nlpodyssey's dtypes: scalars,
// zero-size tensors, names needing escapes, metadata with HTML characters
// that encoding/json escapes as \u003c.
func randomTensors(r *rand.Rand) (map[string]nlView, map[string]string) {
	var kinds []st.DType
	for d := range nlDTypes {
		kinds = append(kinds, d)
	}
	slices.Sort(kinds)
	n := r.IntN(12)
	out := make(map[string]nlView, n)
	for i := range n {
		d := kinds[r.IntN(len(kinds))]
		rank := r.IntN(4)
		shape := make([]uint64, rank)
		elems := uint64(1)
		for j := range shape {
			shape[j] = uint64(r.IntN(5))
			elems *= shape[j]
		}
		data := make([]byte, elems*d.Size())
		for j := range data {
			data[j] = byte(r.Uint32())
		}
		v := nlView{d, shape, data}
		names := []string{"model.layers.%d.weight", "h.%d.attn.<bias>", "emb\u00e9%d\t\"q\"", "%d"}
		out[fmt.Sprintf(names[r.IntN(len(names))], i)] = v
	}
	var md map[string]string
	if r.IntN(2) == 0 {
		md = map[string]string{"format": "pt", "note": "a<b & c>d \u2028", fmt.Sprint(r.IntN(100)): "x"}
	}
	return out, md
}

// TestSecondOpinionAgrees writes files with nlpodyssey/safetensors (random
// ones and the tiny complete layouts) and checks that both parsers read the
// same tensors (name, dtype, shape, offsets) and metadata.
func TestSecondOpinionAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		tensors, md := randomTensors(r)
		file := nlWrite(t, tensors, md)
		t.Run(fmt.Sprint("random", i), func(t *testing.T) { agree(t, file) })
	}
	for _, name := range []string{"tiny-gpt2", "tiny-llama"} {
		t.Run(name, func(t *testing.T) {
			m, err := layouts.Build(name)
			if err != nil {
				t.Skipf("layout not available: %v", err)
			}
			tensors := map[string]nlView{}
			for _, x := range m.Tensors {
				var d st.DType
				var ok bool
				for nd, od := range nlDTypes {
					if string(od) == x.DType {
						d, ok = nd, true
					}
				}
				if !ok {
					t.Skipf("dtype %s not supported by nlpodyssey", x.DType)
				}
				elems := uint64(1)
				for _, s := range x.Shape {
					elems *= s
				}
				tensors[x.Name] = nlView{d, x.Shape, make([]byte, elems*d.Size())}
			}
			agree(t, nlWrite(t, tensors, m.Metadata))
		})
	}
}

// agree parses file with both parsers and fails on any difference.
func agree(t *testing.T, file []byte) {
	t.Helper()
	h, err := ParseHeader(bytes.NewReader(file), int64(len(file)), "nl.safetensors", Limits{})
	if err != nil {
		t.Fatalf("got error %v on a file nlpodyssey wrote", err)
	}
	ts, md, err := secondOpinion(file)
	if err != nil {
		t.Fatalf("nlpodyssey cannot read its own file: %v", err)
	}
	if d := compareOpinions(h, ts, md); d != "" {
		t.Error(d)
	}
	if h.HeaderLen%8 != 0 {
		t.Errorf("got HeaderLen %d, want the writer's padding to a multiple of 8", h.HeaderLen)
	}
}

// deliberateDifferences lists the hostile cases where paramscope and
// nlpodyssey/safetensors deliberately disagree, and why. Every other
// hostile case must get the same accept/reject answer from both.
var deliberateDifferences = map[string]string{
	// Stricter: encoding/json replaces invalid UTF-8 and lone surrogates
	// with U+FFFD, so two different names could collide silently.
	"invalid UTF-8 in a name":   "stricter: invalid UTF-8",
	"UTF-8 encoded surrogate":   "stricter: invalid UTF-8",
	"lone surrogate escape":     "stricter: lone surrogate",
	"lone low surrogate escape": "stricter: lone surrogate",
	// Stricter: encoding/json reads a null header as an empty map; serde in
	// the reference refuses null where a map is expected, as we do.
	"header null": "stricter: the header must be an object",
	// Stricter: encoding/json keeps the last of duplicate keys.
	"duplicate __metadata__":                  "stricter: duplicate keys",
	"duplicate __metadata__ key":              "stricter: duplicate keys",
	"duplicate tensor names, identical":       "stricter: duplicate keys",
	"duplicate field in a tensor, same value": "stricter: duplicate keys",
	// More lenient, like the reference (serde ignores unknown fields):
	// nlpodyssey requires exactly three keys per entry.
	"unknown extra field":                          "lenient like the reference: unknown field accepted with a warning",
	"unknown field in many tensors is one warning": "lenient like the reference: unknown field accepted with a warning",
	// Header-only stubs are accepted on purpose (Header.Stub); nlpodyssey,
	// like the reference, wants the data.
	"integers above 2^53 stay exact (stub)": "stub accepted",
	"2^61-1 byte tensor stays exact (stub)": "stub accepted",
	"header-only stub":                      "stub accepted",
	// Caps of our own (Limits), stricter than nlpodyssey.
	"long tensor name":             "stricter: MaxNameBytes",
	"long escaped tensor name":     "stricter: MaxNameBytes",
	"rank above a lowered cap":     "stricter: MaxRank",
	"tensors above a lowered cap":  "stricter: MaxTensors",
	"metadata above a lowered cap": "stricter: MaxMetadataBytes",
	"N above a lowered cap":        "stricter: MaxHeaderBytes lowered",
}

// TestSecondOpinionHostile compares accept/reject with nlpodyssey on every
// hostile case whose dtypes it supports.
func TestSecondOpinionHostile(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range hostileCases() {
		if c.big != nil {
			continue
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			if mentionsUnsupportedDType(c.file) {
				t.Skip("dtype not supported by nlpodyssey")
			}
			h, err := ParseHeader(bytes.NewReader(c.file), int64(len(c.file)), "x.safetensors", c.lim)
			ts, md, nlErr := secondOpinion(c.file)
			why, deliberate := deliberateDifferences[c.name]
			agreeOnAnswer := (err == nil) == (nlErr == nil)
			switch {
			case agreeOnAnswer && deliberate:
				t.Errorf("listed as a deliberate difference (%s) but both %s", why, map[bool]string{true: "accept", false: "refuse"}[err == nil])
			case !agreeOnAnswer && !deliberate:
				t.Errorf("got error %v, nlpodyssey error %v: they disagree", err, nlErr)
			case err == nil && nlErr == nil:
				if d := compareOpinions(h, ts, md); d != "" {
					t.Error(d)
				}
			}
		})
	}
	for name := range deliberateDifferences {
		if !seen[name] {
			t.Errorf("deliberateDifferences lists %q, which is not a hostile case", name)
		}
	}
}

// mentionsUnsupportedDType reports whether a header names a dtype that
// nlpodyssey does not know (FP8, F4, F6, C64), where its answer says
// nothing about ours.
func mentionsUnsupportedDType(file []byte) bool {
	for _, d := range DTypes() {
		if !nlSupports(d) && bytes.Contains(file, []byte(`"`+string(d)+`"`)) {
			return true
		}
	}
	return false
}
