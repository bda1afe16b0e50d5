package quant

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/paramscope/paramscope/analysis/findings"
	"github.com/paramscope/paramscope/reader"
)

// Two formats keep a packed weight's exact logical shape in tensor data
// rather than in the header: compressed-tensors' weight_shape (a 2-element
// integer tensor) and bitsandbytes' serialized quant_state (JSON bytes
// with a "shape" list). A header command cannot see them; a caller that
// reads complete files can hand their bytes to ApplyShape.

// ShapeSource is a side tensor whose data holds the exact logical shape of
// a packed weight.
type ShapeSource struct {
	// Weight is the packed weight the shape belongs to.
	Weight string
	// Source is the side tensor to read (weight_shape or quant_state).
	Source reader.Tensor
	// Format is "weight_shape" or "bnb_quant_state".
	Format string
}

// maxShapeSource bounds the data ApplyShape accepts: a weight_shape is 16
// bytes, a quant_state a few hundred.
const maxShapeSource = 1 << 16

// ShapeSources lists, for the packed weights of r, the side tensors whose
// data gives their exact logical shape.
func ShapeSources(r *Result) []ShapeSource {
	if r == nil {
		return nil
	}
	var out []ShapeSource
	for _, t := range r.Tensors {
		if t.Kind != Side || t.Of() == "" || t.Bytes() > maxShapeSource {
			continue
		}
		switch {
		case strings.HasSuffix(t.Name, ".weight_shape") && (t.DType == reader.I64 || t.DType == reader.I32) && t.Elements() == 2:
			out = append(out, ShapeSource{Weight: t.Of(), Source: *t.Tensor, Format: "weight_shape"})
		case strings.Contains(t.Name, ".quant_state.bitsandbytes__") && t.DType == reader.U8:
			out = append(out, ShapeSource{Weight: t.Of(), Source: *t.Tensor, Format: "bnb_quant_state"})
		}
	}
	return out
}

// ApplyShape reads the exact shape from data (the bytes of s.Source) and,
// when it fits the stored packing, makes it the weight's LogicalShape and
// LogicalParams: a packed container may end in padding, so the stored
// elements × the pack factor is an upper bound the exact shape may stay
// under by less than one container. It returns a finding either way: info
// when the shape was applied, a warning when the data is unreadable or
// contradicts the header.
func ApplyShape(r *Result, s ShapeSource, data []byte) findings.Finding {
	ev := []string{s.Source.Name, s.Weight}
	warn := func(format string, args ...any) findings.Finding {
		return findings.Finding{Level: findings.Warning, Code: "logical_shape_data", Message: fmt.Sprintf(format, args...), Evidence: ev}
	}
	var w *Tensor
	for i := range r.Tensors {
		if r.Tensors[i].Name == s.Weight {
			w = &r.Tensors[i]
			break
		}
	}
	if w == nil || w.Kind != Parameter {
		return warn("%q names no packed weight %q", s.Source.Name, s.Weight)
	}
	if uint64(len(data)) != s.Source.Bytes() || len(data) > maxShapeSource {
		return warn("%q: got %d bytes of data, the header says %d", s.Source.Name, len(data), s.Source.Bytes())
	}
	var shape []uint64
	var err error
	switch s.Format {
	case "weight_shape":
		shape, err = intShape(data, s.Source.DType)
	case "bnb_quant_state":
		shape, err = quantStateShape(data)
	default:
		err = fmt.Errorf("unknown format %q", s.Format)
	}
	if err != nil {
		return warn("%q: %v", s.Source.Name, err)
	}
	n, ok := uint64(1), true
	for _, d := range shape {
		var hi uint64
		hi, n = mul64(n, d)
		if hi != 0 {
			ok = false
		}
	}
	// The exact count may undercut the upper bound by less than one
	// container's worth of values (the last word of a row is padded).
	slack := uint64(0)
	if f := w.PackFactor(); f != "" {
		num, _, _ := strings.Cut(f, "/")
		if v, err := strconv.ParseUint(num, 10, 64); err == nil && v > 0 {
			slack = (v - 1) * max(1, rowsOf(w.LogicalShape))
		}
	}
	upper := product(w.LogicalShape)
	if !ok || n > upper || upper-n > slack {
		return warn("%q gives shape %v (%d values) but %q holds %d values as stored", s.Source.Name, shape, n, s.Weight, upper)
	}
	old := w.LogicalShape
	w.LogicalShape = shape
	if w.DuplicateOf() == "" {
		w.LogicalParams = n
	}
	d := w.detail()
	d.note = "logical shape read from " + s.Source.Name
	w.setDetail(d)
	return findings.Finding{Level: findings.Info, Code: "logical_shape_data",
		Message:  fmt.Sprintf("%q: logical shape %v read from %q (was %v from the header)", s.Weight, shape, s.Source.Name, old),
		Evidence: ev}
}

func mul64(a, b uint64) (hi, lo uint64) {
	if a == 0 || b == 0 {
		return 0, 0
	}
	lo = a * b
	if lo/b != a {
		return 1, lo
	}
	return 0, lo
}

// rowsOf is the number of rows a packed row-major weight pads: all dims but
// the last.
func rowsOf(shape []uint64) uint64 {
	if len(shape) < 2 {
		return 1
	}
	return product(shape[:len(shape)-1])
}

// intShape decodes a little-endian I64 or I32 tensor of dimensions.
func intShape(data []byte, d reader.DType) ([]uint64, error) {
	size := 8
	if d == reader.I32 {
		size = 4
	}
	if len(data) == 0 || len(data)%size != 0 {
		return nil, fmt.Errorf("%d bytes are not whole %s values", len(data), d)
	}
	var out []uint64
	for i := 0; i < len(data); i += size {
		var v int64
		if size == 8 {
			v = int64(binary.LittleEndian.Uint64(data[i:]))
		} else {
			v = int64(int32(binary.LittleEndian.Uint32(data[i:])))
		}
		if v < 0 {
			return nil, fmt.Errorf("negative dimension %d", v)
		}
		out = append(out, uint64(v))
	}
	return out, nil
}

// quantStateShape reads the "shape" list of a bitsandbytes quant_state,
// which bitsandbytes serializes as JSON bytes (QuantState.as_dict packed by
// pack_dict_to_tensor); the JSON is read strictly and only that key kept.
func quantStateShape(data []byte) ([]uint64, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	tok, err := dec.ReadToken()
	if err != nil || tok.Kind() != '{' {
		return nil, fmt.Errorf("quant_state is not a JSON object")
	}
	var shape []uint64
	found := false
	for dec.PeekKind() != '}' {
		k, err := dec.ReadToken()
		if err != nil {
			return nil, fmt.Errorf("quant_state: %v", err)
		}
		if k.String() != "shape" {
			if err := dec.SkipValue(); err != nil {
				return nil, fmt.Errorf("quant_state: %v", err)
			}
			continue
		}
		if found {
			return nil, fmt.Errorf("quant_state: duplicate \"shape\"")
		}
		found = true
		if t, err := dec.ReadToken(); err != nil || t.Kind() != '[' {
			return nil, fmt.Errorf("quant_state: \"shape\" is not a list")
		}
		for dec.PeekKind() != ']' {
			t, err := dec.ReadToken()
			if err != nil || t.Kind() != '0' {
				return nil, fmt.Errorf("quant_state: \"shape\" holds a non-number")
			}
			v, err := strconv.ParseUint(t.String(), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("quant_state: dimension %s is not a non-negative integer", t.String())
			}
			if len(shape) >= 8 {
				return nil, fmt.Errorf("quant_state: \"shape\" has more than 8 dimensions")
			}
			shape = append(shape, v)
		}
		if _, err := dec.ReadToken(); err != nil {
			return nil, fmt.Errorf("quant_state: %v", err)
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, fmt.Errorf("quant_state: %v", err)
	}
	if !found {
		return nil, fmt.Errorf("quant_state has no \"shape\"")
	}
	return shape, nil
}
