// Package quant decides what each stored tensor really holds: a parameter
// (with its logical, unpacked shape when quantized), a quantization side
// tensor (scales, zeros, group indices, absmax, ...), or a buffer (causal
// masks, rotary inv_freq, position_ids). It is a pure function of tensor
// metadata and config facts.
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
	reader.Tensor
	// Kind says whether the tensor is a parameter, a side tensor or a buffer.
	Kind Kind
	// LogicalShape is the shape of the parameter as the architecture has it
	// (a GPTQ qweight [h/8, f] in I32 is logically [f, h]); equal to Shape
	// when the tensor is not packed; nil for side tensors and buffers.
	LogicalShape []uint64
	// LogicalParams is the product of LogicalShape (0 for side and buffer).
	LogicalParams uint64
	// Scheme names the quantization of this tensor ("" when stored plainly).
	Scheme string
	// Of names the parameter a side tensor belongs to (or the packed weight's
	// own name for the parameter itself), "" when unknown.
	Of string
}

// Result is the classification of a whole checkpoint.
type Result struct {
	// Tensors are in the order given to Classify.
	Tensors []Tensor
	// Findings report unknown schemes, unplaced tensors, tied duplicates.
	Findings []findings.Finding
}

// Classify decides the kind and logical shape of every tensor.
//
// TODO(issue 4): quantization schemes and buffers; until then every tensor
// is a plain parameter.
func Classify(tensors []reader.Tensor, cfg *reader.Config) *Result {
	out := &Result{Tensors: make([]Tensor, len(tensors))}
	for i, t := range tensors {
		out.Tensors[i] = Tensor{Tensor: t, Kind: Parameter, LogicalShape: t.Shape, LogicalParams: t.Elements()}
	}
	return out
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
}

// Totals sums the classified tensors.
func (r *Result) Totals() Totals {
	var t Totals
	for _, x := range r.Tensors {
		t.StoredElements += x.Elements()
		switch x.Kind {
		case Parameter:
			t.LogicalParams += x.LogicalParams
			t.ParamBytes += x.Bytes()
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
