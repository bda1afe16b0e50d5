package quant

import (
	"sort"
	"strings"

	"github.com/paramscope/paramscope/reader"
)

// DTypeTotal is one stored dtype's share of a checkpoint, the quantities
// kept apart.
type DTypeTotal struct {
	DType reader.DType `json:"dtype"`
	// Tensors is how many tensors are stored in this dtype; SideTensors
	// and BufferTensors how many of them are side tensors and buffers.
	Tensors       int `json:"tensors"`
	SideTensors   int `json:"side_tensors"`
	BufferTensors int `json:"buffer_tensors"`
	// StoredElements and Bytes are what the header says, all kinds.
	StoredElements uint64 `json:"stored_elements"`
	Bytes          uint64 `json:"bytes"`
	// LogicalParams are the parameters these tensors hold (packed weights
	// unpacked, tied duplicates once); SideElements and BufferElements the
	// stored elements that are not parameters.
	LogicalParams  uint64 `json:"logical_parameters"`
	SideElements   uint64 `json:"side_elements"`
	BufferElements uint64 `json:"buffer_elements"`
}

// ByDType totals the classification per stored dtype, sorted by bytes
// (largest first) then name.
func (r *Result) ByDType() []DTypeTotal {
	m := map[reader.DType]*DTypeTotal{}
	var d *DTypeTotal // the last row used: dtypes come in long runs
	for i := range r.Tensors {
		t := &r.Tensors[i]
		if d == nil || d.DType != t.DType {
			d = m[t.DType]
			if d == nil {
				d = &DTypeTotal{DType: t.DType}
				m[t.DType] = d
			}
		}
		d.Tensors++
		d.StoredElements += t.Elements()
		d.Bytes += t.Bytes()
		switch t.Kind {
		case Parameter:
			d.LogicalParams += t.LogicalParams
		case Side:
			d.SideTensors++
			d.SideElements += t.Elements()
		case Buffer:
			d.BufferTensors++
			d.BufferElements += t.Elements()
		}
	}
	out := make([]DTypeTotal, 0, len(m))
	for _, d := range m {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Bytes != out[j].Bytes {
			return out[i].Bytes > out[j].Bytes
		}
		return out[i].DType < out[j].DType
	})
	return out
}

// SchemeTotal is what one quantization scheme costs: its parameters, the
// bytes that hold them and the bytes of its side tensors.
type SchemeTotal struct {
	// Scheme is Tensor.Scheme; "none" for parameters stored plainly.
	Scheme string `json:"scheme"`
	// Bits is the logical value width (0 when it varies or for "none").
	Bits int `json:"bits"`
	// GroupSize is the quantization group from config.json, 0 when none.
	GroupSize int `json:"group_size,omitempty"`
	// Tensors counts the parameter tensors; SideTensors their side tensors.
	Tensors     int `json:"tensors"`
	SideTensors int `json:"side_tensors"`
	// LogicalParams are the parameters held; ParamBytes and SideBytes the
	// stored bytes of the parameters and of their side tensors.
	LogicalParams uint64 `json:"logical_parameters"`
	ParamBytes    uint64 `json:"parameter_bytes"`
	SideBytes     uint64 `json:"side_bytes"`
}

// EffectiveBits is (ParamBytes + SideBytes) × 8 / LogicalParams: what one
// parameter really costs with its share of scales and zeros (0 when there
// are no parameters).
func (s SchemeTotal) EffectiveBits() float64 {
	if s.LogicalParams == 0 {
		return 0
	}
	return float64(s.ParamBytes+s.SideBytes) * 8 / float64(s.LogicalParams)
}

// BytesPerGroup is the stored bytes one group of GroupSize parameters
// costs with its side tensors (values + scale + zero), 0 without a group.
func (s SchemeTotal) BytesPerGroup() float64 {
	if s.GroupSize == 0 || s.LogicalParams == 0 {
		return 0
	}
	return float64(s.ParamBytes+s.SideBytes) * float64(s.GroupSize) / float64(s.LogicalParams)
}

// Schemes totals parameters and side tensors per scheme, the plain
// parameters as "none", sorted by logical parameters (largest first).
// Duplicates of tied weights are left out so the bytes match the count.
func (r *Result) Schemes() []SchemeTotal {
	m := map[string]*SchemeTotal{}
	var last *SchemeTotal // schemes come in long runs
	lastName := ""
	get := func(name string) *SchemeTotal {
		if last != nil && name == lastName {
			return last
		}
		lastName = name
		if name == "" {
			name = "none"
		}
		s := m[name]
		if s == nil {
			s = &SchemeTotal{Scheme: name, Bits: -1}
			m[name] = s
		}
		last = s
		return s
	}
	for i := range r.Tensors {
		t := &r.Tensors[i]
		switch t.Kind {
		case Parameter:
			if t.DuplicateOf() != "" {
				continue
			}
			s := get(t.Scheme())
			s.Tensors++
			s.LogicalParams += t.LogicalParams
			s.ParamBytes += t.Bytes()
			switch {
			case s.Bits == -1:
				s.Bits = t.Bits()
			case s.Bits != t.Bits():
				s.Bits = 0
			}
		case Side:
			s := get(t.Scheme())
			s.SideTensors++
			s.SideBytes += t.Bytes()
		}
	}
	out := make([]SchemeTotal, 0, len(m))
	for _, s := range m {
		if s.Bits < 0 {
			s.Bits = 0
		}
		s.GroupSize = r.groupSize(s.Scheme)
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].LogicalParams != out[j].LogicalParams {
			return out[i].LogicalParams > out[j].LogicalParams
		}
		return out[i].Scheme < out[j].Scheme
	})
	return out
}

// EffectiveBits is the whole checkpoint's stored bytes of parameters and
// side tensors × 8 per logical parameter (tied duplicates and buffers left
// out); 0 for an empty result.
func (r *Result) EffectiveBits() float64 {
	var b, n uint64
	for _, s := range r.Schemes() {
		b += s.ParamBytes + s.SideBytes
		n += s.LogicalParams
	}
	if n == 0 {
		return 0
	}
	return float64(b) * 8 / float64(n)
}

// groupSize is the number of values sharing one scale under scheme: fixed by
// the format for MXFP4 (32, OCP Microscaling v1.0) and NVFP4 (16, NVIDIA's
// NVFP4 definition), from config.json for the integer schemes.
func (r *Result) groupSize(scheme string) int {
	switch {
	case scheme == SchemeMXFP4:
		return 32
	case scheme == SchemeNVFP4:
		return 16
	case scheme == SchemeGPTQ, scheme == SchemeAWQ, scheme == SchemeMLX, strings.HasPrefix(scheme, SchemeCompressed):
		return r.ConfigGroupSize
	}
	return 0
}
