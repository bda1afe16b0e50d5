package quant

import (
	"encoding/binary"
	"slices"
	"testing"

	"github.com/paramscope/paramscope/analysis/findings"
	"github.com/paramscope/paramscope/reader"
)

func i64s(v ...int64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(x))
	}
	return b
}

// TestApplyShape reads exact shapes from side-tensor data: a
// compressed-tensors weight_shape (I64 [2]) and a bitsandbytes quant_state
// (JSON with "shape", as QuantState.as_dict writes it).
func TestApplyShape(t *testing.T) {
	ct := tensors(
		spec{"l.weight_packed", reader.I32, []uint64{4096, 512}},
		spec{"l.weight_scale", reader.F16, []uint64{4096, 32}},
		spec{"l.weight_shape", reader.I64, []uint64{2}},
	)
	qs := []byte(`{"quant_type": "nf4", "blocksize": 64, "dtype": "bfloat16", "shape": [1024, 4096], "nested_blocksize": 256, "nested_dtype": "float32", "nested_offset": 0.012}`)
	bnb := tensors(
		spec{"k.weight", reader.U8, []uint64{1024 * 4096 / 2, 1}},
		spec{"k.weight.absmax", reader.U8, []uint64{1024 * 4096 / 64}},
		spec{"k.weight.quant_state.bitsandbytes__nf4", reader.U8, []uint64{uint64(len(qs))}},
	)
	cfg := `{"quantization_config": {"quant_method": "compressed-tensors", "format": "pack-quantized", "config_groups": {"g": {"targets": ["Linear"], "weights": {"num_bits": 4}}}}}`
	tests := []struct {
		name   string
		ts     []reader.Tensor
		cfg    string
		data   []byte
		level  findings.Level
		weight string
		shape  []uint64
	}{
		// 4096 × 512 words × 8 = 4096 × 4096; the data says so.
		{"weight_shape agrees", ct, cfg, i64s(4096, 4096), findings.Info, "l.weight_packed", []uint64{4096, 4096}},
		// A padded last word: 4095 real columns fit in 512 words.
		{"weight_shape with padding", ct, cfg, i64s(4096, 4095), findings.Info, "l.weight_packed", []uint64{4096, 4095}},
		{"weight_shape too large", ct, cfg, i64s(4096, 8192), findings.Warning, "l.weight_packed", []uint64{4096, 4096}},
		{"weight_shape negative", ct, cfg, i64s(-1, 4096), findings.Warning, "l.weight_packed", []uint64{4096, 4096}},
		{"weight_shape short data", ct, cfg, i64s(4096), findings.Warning, "l.weight_packed", []uint64{4096, 4096}},
		// The bnb weight is flat without config; quant_state gives [1024, 4096].
		{"bnb quant_state", bnb, "", qs, findings.Info, "k.weight", []uint64{1024, 4096}},
		{"bnb quant_state not JSON", bnb, "", append([]byte("x"), qs[1:]...), findings.Warning, "k.weight", []uint64{1024 * 4096}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c *reader.Config
			if tc.cfg != "" {
				c = cfgOf(t, tc.cfg)
			}
			r := Classify(tc.ts, c)
			srcs := ShapeSources(r)
			if len(srcs) != 1 || srcs[0].Weight != tc.weight {
				t.Fatalf("sources: got %+v, want one for %s", srcs, tc.weight)
			}
			f := ApplyShape(r, srcs[0], tc.data)
			if f.Level != tc.level {
				t.Errorf("finding: got %s %s, want level %s", f.Level, f.Message, tc.level)
			}
			w := find(r, tc.weight)
			if !slices.Equal(w.LogicalShape, tc.shape) || w.LogicalParams != product(tc.shape) {
				t.Errorf("weight: got %v (%d), want %v", w.LogicalShape, w.LogicalParams, tc.shape)
			}
		})
	}
}
