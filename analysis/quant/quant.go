// Package quant decides what each stored tensor really holds: a parameter
// (with its logical, unpacked shape when quantized), a quantization side
// tensor (scales, zeros, group indices, absmax, ...), or a buffer (causal
// masks, rotary inv_freq, position_ids). It is a pure function of tensor
// metadata and config facts.
//
// Guarantees:
//   - no I/O: the few facts that live in tensor data (a tied copy's bytes,
//     compressed-tensors' weight_shape, bitsandbytes' quant_state) are
//     handed in by a caller that read them (CompareTied, ApplyShape);
//   - every tensor keeps exactly one kind, and the stored elements split
//     into parameters', side tensors' and buffers' (the fuzz target checks
//     it); logical parameters, stored elements, side tensors, buffers and
//     tied copies are separate totals;
//   - nothing is silently miscounted: what no rule places is counted at its
//     stored size and listed in a finding;
//   - module-name patterns from config.json are never compiled as regular
//     expressions: a linear-time matcher runs the subset real configs use;
//   - arithmetic on claimed sizes is checked for overflow; no input panics.
//
// The schemes follow their writers: AutoGPTQ and AutoAWQ (qweight, qzeros,
// scales, g_idx), compressed-tensors pack-quantized (weight_packed,
// weight_scale, weight_zero_point, weight_g_idx, weight_shape),
// bitsandbytes (Params4bit with absmax, quant_map, nested state and
// quant_state; LLM.int8 with SCB), FP8 (weight_scale_inv block scales,
// per-tensor weight_scale and input_scale), MXFP4 (gpt-oss _blocks and
// _scales), NVFP4 (ModelOpt weight_scale and weight_scale_2), FP4 routed
// experts (expert_dtype) and MLX affine (scales and biases). HubCount
// restates the Hugging Face Hub's counting rules so a finding can explain
// where the two counts differ.
package quant

import (
	"fmt"
	"strconv"

	"github.com/paramscope/paramscope/analysis/findings"
	"github.com/paramscope/paramscope/reader"
)

// Kind says what a stored tensor is. It is one byte in each row (a string
// took 16 of a DeepSeek-V3 checkpoint's ~92,000 rows); String and
// MarshalText give its text form, "parameter", "quant_side" or "buffer",
// and "" for the zero Kind.
type Kind uint8

// The kinds of stored tensor; only Parameter counts as model parameters.
const (
	Parameter Kind = iota + 1
	Side
	Buffer
)

// kindNames are the kinds' text forms, indexed by Kind.
var kindNames = [...]string{"", "parameter", "quant_side", "buffer"}

// String returns the kind's text form ("parameter", "quant_side",
// "buffer"), "" for the zero Kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// MarshalText returns the kind's text form, so that JSON and other text
// encodings show the name, as they did when Kind was a string.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a text form that MarshalText gave.
func (k *Kind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if n == string(b) {
			*k = Kind(i)
			return nil
		}
	}
	return fmt.Errorf("quant: unknown tensor kind %q", b)
}

// Tensor is a stored tensor with what it holds.
//
// A row is 64 bytes, one cache line: a DeepSeek-V3-scale checkpoint has
// ~92,000 of them, and at 160 bytes they were 14.7 MB of fresh memory,
// each page of which costs ~1.6 µs to fault in and more to free at exit.
// What few rows differ in (the scheme, the value width, the packing, the
// note, a tied copy's original) sits in one shared, immutable detail that
// the rows point at and the methods Scheme, Bits, PackFactor, Packing,
// DuplicateOf and Note read; Of is kept as the owner tensor or a prefix of
// the row's own name. A row built by hand, without those, reads as stored
// plainly with no owner and no note.
type Tensor struct {
	// Tensor points at the caller's reader.Tensor (the slice given to
	// Classify) rather than copying it: a DeepSeek-V3-scale checkpoint has
	// ~92,000 tensors, and a copy per stage tripled the metadata in memory.
	*reader.Tensor
	// LogicalShape is the shape of the parameter as the architecture has it
	// (a GPTQ qweight [h/8, f] in I32 is logically [f, h]); equal to Shape
	// when the tensor is not packed; nil for side tensors and buffers.
	LogicalShape []uint64
	// LogicalParams is the product of LogicalShape (0 for side and buffer,
	// and 0 for a tied duplicate, see DuplicateOf).
	LogicalParams uint64
	// d holds the fields rows share; nil reads as all zero. It is never
	// written through: a change swaps the pointer (see setDetail).
	d *detail
	// of and ofLen hold Of: the tensor it names, or else the length of the
	// prefix of Name it is (a bitsandbytes weight named by its side
	// tensors, which need not be stored), or else it is in d. Twelve bytes
	// instead of a string's sixteen make the row 64 bytes.
	of    *reader.Tensor
	ofLen uint32
	// Kind says whether the tensor is a parameter, a side tensor or a buffer.
	Kind Kind
}

// detail is what a row shares with many others: a checkpoint has a handful
// of distinct schemes, widths, packings and notes (DeepSeek-V3's ~92,000
// rows point at two: its FP8 weights' and their block scales'; the plain
// rest at none), so the classifier interns one copy of each combination
// and rows point at it. A detail is immutable once a row points at it.
type detail struct {
	scheme, packFactor, packing, duplicateOf, note string
	bits                                           int
	// of is Of when it is neither a tensor nor a prefix of the row's name
	// (no rule gives such an owner today).
	of string
}

// Of names the parameter a side tensor belongs to (or the packed weight's
// own name for the parameter itself), "" when unknown.
func (t Tensor) Of() string {
	switch {
	case t.of != nil:
		return t.of.Name
	case t.ofLen > 0:
		return t.Name[:t.ofLen]
	case t.d != nil:
		return t.d.of
	}
	return ""
}

// Scheme names the quantization of this tensor ("" when stored plainly).
func (t Tensor) Scheme() string {
	if t.d == nil {
		return ""
	}
	return t.d.scheme
}

// Bits is the width of one logical value of a quantized parameter (4 for
// int4/NF4/MXFP4, 3 for 3-bit GPTQ, 8 for FP8), 0 when stored plainly.
func (t Tensor) Bits() int {
	if t.d == nil {
		return 0
	}
	return t.d.bits
}

// PackFactor is how many logical values one stored element holds, as an
// exact fraction ("8" for int4 in I32, "32/3" for 3-bit GPTQ, "2" for 4-bit
// in U8); "" when the tensor is not packed.
func (t Tensor) PackFactor() string {
	if t.d == nil {
		return ""
	}
	return t.d.packFactor
}

// Packing explains for people how the stored shape maps to the logical one
// ("8 int4 values per I32 word along the input dim (GPTQ)").
func (t Tensor) Packing() string {
	if t.d == nil {
		return ""
	}
	return t.d.packing
}

// DuplicateOf names the tensor this one duplicates when the config ties
// them (lm_head stored beside a tied embedding); such a tensor keeps Kind
// Parameter and its LogicalShape but has LogicalParams 0 so it is counted
// once. It is "" for every other tensor.
func (t Tensor) DuplicateOf() string {
	if t.d == nil {
		return ""
	}
	return t.d.duplicateOf
}

// Note says why the tensor got its kind when that is not obvious (a zero
// bias written by AutoGPTQ, a causal mask, a derived shape).
func (t Tensor) Note() string {
	if t.d == nil {
		return ""
	}
	return t.d.note
}

// detail returns a copy of t's shared fields, to change and intern.
func (t *Tensor) detail() detail {
	if t.d == nil {
		return detail{}
	}
	return *t.d
}

// setDetail points t at a fresh copy of d; the classifier interns instead
// (classifier.setDetail). Used where a row changes after Classify.
func (t *Tensor) setDetail(d detail) {
	if d == (detail{}) {
		t.d = nil
		return
	}
	p := new(detail)
	*p = d
	t.d = p
}

// Result is the classification of a whole checkpoint.
type Result struct {
	// Tensors are in the order given to Classify.
	Tensors []Tensor
	// Findings report unknown schemes, unplaced tensors, tied duplicates.
	Findings []findings.Finding
	// ConfigScheme is the quantization declared by config.json
	// ("gptq", "compressed-tensors", "mlx", ...), "" when none.
	ConfigScheme string
	// ConfigSource is the config key it was read from
	// ("quantization_config", "quantization"), "" when none.
	ConfigSource string
	// ConfigGroupSize is the quantization group size config.json gives
	// (group_size, or the first compressed-tensors group's), 0 when none.
	ConfigGroupSize int
	// Hub is what the Hugging Face Hub's counting rules give for the same
	// tensors (see HubCount); a finding explains any difference.
	Hub HubTotals
	// sums caches Sums; Classify fills it in its walk over the rows.
	sums *Sums
}

// Classify decides the kind and logical shape of every tensor: buffers by
// name and shape, packed weights by their scheme's naming with the value
// width from config.json (or, without one, from the side tensors' shapes),
// side tensors by the weight they belong to, and tied duplicates from
// tie_word_embeddings. What it cannot place it reports as a finding.
// The rows point into tensors, which must not change while r is used.
// From a few thousand tensors on, names are indexed on a second goroutine,
// which has finished when Classify returns.
func Classify(tensors []reader.Tensor, cfg *reader.Config) *Result {
	if r := classify(tensors, cfg, lookupOptimistic); r != nil {
		return r
	}
	// Two tensors share a name and some rule may have looked at the
	// second: start over, asking the table every time.
	return classify(tensors, cfg, lookupTable)
}

// ClassifyUnique is Classify for tensors whose names the caller knows to
// be unique, as every reader.Checkpoint's are (reader.Open refuses a name
// twice in one header, in two shards, or in two files of a folder).
// Classify indexes every name on a second goroutine to learn whether they
// are unique before it trusts a lookup answered from the asking tensor's
// neighbours; ClassifyUnique trusts those answers at once and indexes the
// names only for a lookup the neighbours cannot answer. On the
// DeepSeek-V3-scale checkpoint of testdata/bench.sh, where every FP8
// weight's scale sits beside it, that is ~13 ms less CPU per paramscope
// inspect (perf stat task-clock 64.7 -> 51.7 ms). Given two tensors of one
// name it places the tensors all the same, but which of the two a rule
// looks at is unspecified.
func ClassifyUnique(tensors []reader.Tensor, cfg *reader.Config) *Result {
	return classify(tensors, cfg, lookupUnique)
}

// lookup says how classify answers "the tensor called X" lookups.
type lookup uint8

const (
	// lookupTable asks the name table every time, which knows which of
	// two tensors of one name comes first.
	lookupTable lookup = iota
	// lookupOptimistic answers from the asking tensor's neighbours while
	// the table is still being built, which is exact when names are
	// unique; classify returns nil if the table then finds two tensors
	// with one name.
	lookupOptimistic
	// lookupUnique answers from the neighbours with no table at all
	// unless they cannot answer: the caller has said names are unique.
	lookupUnique
)

// classify is one classification, its lookups answered as mode says; it
// returns nil when an optimistic answer may have been wrong.
func classify(tensors []reader.Tensor, cfg *reader.Config, mode lookup) *Result {
	c := newClassifier(tensors, cfg, mode)
	// startTable's goroutine is always waited for before classify returns.
	defer c.waitTable()
	c.buffers()
	c.packed()
	c.sides()
	c.quantBiases()
	c.unplaced()
	c.tied()
	c.summarize()
	hub := c.hub()
	if c.guessed {
		c.ensureTable()
		if c.dups {
			return nil
		}
	}
	gs := c.q.groupSize
	for _, g := range c.q.groups {
		if gs == 0 && g.groupSize > 0 {
			gs = g.groupSize
		}
	}
	r := &Result{Tensors: c.out, Findings: c.findings, ConfigScheme: c.q.method, ConfigSource: c.q.source, ConfigGroupSize: gs, Hub: hub}
	r.sums = c.rowSums.finish(r)
	return r
}

// Totals adds up a classification; the quantities stay apart.
type Totals struct {
	// StoredElements is what the header's shapes multiply to, all tensors.
	StoredElements uint64 `json:"stored_elements"`
	// LogicalParams is the model's parameters (packed weights unpacked,
	// tied duplicates counted once).
	LogicalParams uint64 `json:"logical_parameters"`
	// ParamBytes is the stored size of the parameter tensors.
	ParamBytes uint64 `json:"parameter_bytes"`
	// SideTensors, SideElements, SideBytes: quantization side tensors.
	SideTensors  int    `json:"side_tensors"`
	SideElements uint64 `json:"side_elements"`
	SideBytes    uint64 `json:"side_bytes"`
	// BufferTensors, BufferElements, BufferBytes: buffers (masks, inv_freq).
	BufferTensors  int    `json:"buffer_tensors"`
	BufferElements uint64 `json:"buffer_elements"`
	BufferBytes    uint64 `json:"buffer_bytes"`
	// DuplicateTensors and DuplicateParams: tied copies stored twice and
	// left out of LogicalParams.
	DuplicateTensors int    `json:"duplicate_tensors"`
	DuplicateParams  uint64 `json:"duplicate_parameters"`
}

// Totals sums the classified tensors.
func (r *Result) Totals() Totals {
	var t Totals
	for i := range r.Tensors {
		x := &r.Tensors[i]
		t.StoredElements += x.Elements()
		switch x.Kind {
		case Parameter:
			t.LogicalParams += x.LogicalParams
			t.ParamBytes += x.Bytes()
			if x.DuplicateOf() != "" {
				t.DuplicateTensors++
				t.DuplicateParams += product(x.LogicalShape)
			}
		case Side:
			t.SideTensors++
			t.SideElements += x.Elements()
			t.SideBytes += x.Bytes()
		case Buffer:
			t.BufferTensors++
			t.BufferElements += x.Elements()
			t.BufferBytes += x.Bytes()
		}
	}
	return t
}

// product multiplies a shape; the reader has checked stored shapes for
// overflow, and logical shapes are stored shapes times a small factor that
// the classifier checks.
func product(s []uint64) uint64 {
	n := uint64(1)
	for _, d := range s {
		n *= d
	}
	return n
}
