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
	"github.com/paramscope/paramscope/analysis/findings"
	"github.com/paramscope/paramscope/reader"
)

// Kind says what a stored tensor is.
type Kind string

// The kinds of stored tensor; only Parameter counts as model parameters.
const (
	Parameter Kind = "parameter"
	Side      Kind = "quant_side"
	Buffer    Kind = "buffer"
)

// Tensor is a stored tensor with what it holds.
type Tensor struct {
	// Tensor points at the caller's reader.Tensor (the slice given to
	// Classify) rather than copying it: a DeepSeek-V3-scale checkpoint has
	// ~92,000 tensors, and a copy per stage tripled the metadata in memory.
	*reader.Tensor
	// Kind says whether the tensor is a parameter, a side tensor or a buffer.
	Kind Kind
	// LogicalShape is the shape of the parameter as the architecture has it
	// (a GPTQ qweight [h/8, f] in I32 is logically [f, h]); equal to Shape
	// when the tensor is not packed; nil for side tensors and buffers.
	LogicalShape []uint64
	// LogicalParams is the product of LogicalShape (0 for side and buffer,
	// and 0 for a tied duplicate, see DuplicateOf).
	LogicalParams uint64
	// Scheme names the quantization of this tensor ("" when stored plainly).
	Scheme string
	// Of names the parameter a side tensor belongs to (or the packed weight's
	// own name for the parameter itself), "" when unknown.
	Of string

	// Bits is the width of one logical value of a quantized parameter (4
	// for int4/NF4/MXFP4, 3 for 3-bit GPTQ, 8 for FP8), 0 when stored
	// plainly.
	Bits int
	// PackFactor is how many logical values one stored element holds, as
	// an exact fraction ("8" for int4 in I32, "32/3" for 3-bit GPTQ, "2" for
	// 4-bit in U8); "" when the tensor is not packed.
	PackFactor string
	// Packing explains for people how the stored shape maps to the logical
	// one ("8 int4 values per I32 word along the input dim (GPTQ)").
	Packing string
	// DuplicateOf names the tensor this one duplicates when the config ties
	// them (lm_head stored beside a tied embedding); such a tensor keeps
	// Kind Parameter and its LogicalShape but has LogicalParams 0 so it is
	// counted once.
	DuplicateOf string
	// Note says why the tensor got its kind when that is not obvious
	// (a zero bias written by AutoGPTQ, a causal mask, a derived shape).
	Note string
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
	if r := classify(tensors, cfg, true); r != nil {
		return r
	}
	// Two tensors share a name and some rule may have looked at the
	// second: start over, asking the table every time.
	return classify(tensors, cfg, false)
}

// classify is one classification. With optimistic set, lookups made while
// the name table is still being built are answered from the asking
// tensor's neighbours, which is exact when names are unique; it returns
// nil if the table then finds two tensors with one name.
func classify(tensors []reader.Tensor, cfg *reader.Config, optimistic bool) *Result {
	c := newClassifier(tensors, cfg)
	c.optimistic = optimistic
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
			if x.DuplicateOf != "" {
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
