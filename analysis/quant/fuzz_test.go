package quant

import (
	"testing"

	"github.com/paramscope/paramscope/reader"
)

// FuzzClassify feeds arbitrary config.json text and tensor names and
// shapes to Classify: it must not panic, every tensor must keep one kind,
// and stored elements must split into parameters', side tensors' and
// buffers'.
func FuzzClassify(f *testing.F) {
	f.Add(`{"quantization_config": {"quant_method": "gptq", "bits": 3}}`, "model.layers.0.mlp.down_proj", uint64(384), uint64(4096), uint64(32))
	f.Add(`{"quantization_config": {"quant_method": "compressed-tensors", "config_groups": {"g": {"targets": ["re:.*(gate|up).*"], "weights": {"num_bits": 4}}}}}`, "m.mlp.up_proj", uint64(8), uint64(64), uint64(1))
	f.Add(`{"quantization": {"bits": 4, "group_size": 64}}`, "x", uint64(1), uint64(0), uint64(7))
	f.Add(`{"model_type": "gpt2"}`, "h.0.attn", uint64(1), uint64(1024), uint64(1024))
	f.Fuzz(func(t *testing.T, cfgText, module string, a, b, c uint64) {
		cfg, err := reader.ParseConfig([]byte(cfgText), "config.json", reader.DefaultLimits())
		if err != nil {
			cfg = nil
		}
		// Keep shapes the reader would accept: products within 64 bits.
		a, b, c = a%(1<<20), b%(1<<20), c%(1<<20)
		ts := tensors(
			spec{module + ".qweight", reader.I32, []uint64{a, b}},
			spec{module + ".scales", reader.F16, []uint64{c, b}},
			spec{module + ".g_idx", reader.I32, []uint64{c}},
			spec{module + ".bias", reader.F16, []uint64{b}},
			spec{module + ".weight_packed", reader.I32, []uint64{b, a}},
			spec{module + ".weight_shape", reader.I64, []uint64{2}},
			spec{module + ".weight", reader.U32, []uint64{a, c}},
			spec{module + ".biases", reader.F16, []uint64{a, c}},
			spec{module + "_blocks", reader.U8, []uint64{a, c, 16}},
			spec{module + "_scales", reader.U8, []uint64{a, c}},
			spec{"lm_head.weight", reader.F16, []uint64{a, b}},
			spec{"model.embed_tokens.weight", reader.F16, []uint64{a, b}},
		)
		r := Classify(ts, cfg)
		if len(r.Tensors) != len(ts) {
			t.Fatalf("got %d tensors, want %d", len(r.Tensors), len(ts))
		}
		tot := r.Totals()
		var params uint64
		for _, x := range r.Tensors {
			switch x.Kind {
			case Parameter:
				params += x.Elements()
			case Side, Buffer:
				if x.LogicalParams != 0 || x.LogicalShape != nil {
					t.Errorf("%s %s has logical %v %d", x.Kind, x.Name, x.LogicalShape, x.LogicalParams)
				}
			default:
				t.Errorf("%s: kind %q", x.Name, x.Kind)
			}
		}
		if params+tot.SideElements+tot.BufferElements != tot.StoredElements {
			t.Errorf("elements do not split: %d + %d + %d != %d", params, tot.SideElements, tot.BufferElements, tot.StoredElements)
		}
		r.ByDType()
		r.Schemes()
		r.EffectiveBits()
		for _, s := range ShapeSources(r) {
			ApplyShape(r, s, make([]byte, s.Source.Bytes()))
		}
	})
}
