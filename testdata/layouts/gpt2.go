package layouts

import "fmt"

// GPT-2 as Hugging Face stores it (transformers' GPT2LMHeadModel saved by
// safetensors): keys without the "transformer." prefix, all F32, Conv1D
// weights stored [in, out] (so c_attn.weight is [h, 3h]), learned positions
// wpe [n_positions, h], lm_head tied to wte and not stored. The Hub's files
// also store each layer's causal mask h.N.attn.bias [1, 1, n_ctx, n_ctx], a
// buffer, not a parameter.
func init() {
	register("gpt2", fromFacts("gpt2", func(c Cfg) []Tensor { return gpt2Tensors(c, false) }))
	register("gpt2-with-buffers", fromFacts("gpt2-with-buffers", func(c Cfg) []Tensor { return gpt2Tensors(c, true) }))
	for _, name := range []string{"gpt2-medium", "gpt2-large", "gpt2-xl"} {
		register(name, fromFacts(name, func(c Cfg) []Tensor { return gpt2Tensors(c, false) }))
	}
}

// gpt2Tensors lists GPT-2's tensors from the config keys n_layer, n_embd,
// n_positions, n_ctx, vocab_size and n_inner (null: 4·n_embd, as
// GPT2Block does).
func gpt2Tensors(c Cfg, buffers bool) []Tensor {
	l, h := c.Int("n_layer"), c.Int("n_embd")
	v, pos := c.Int("vocab_size"), c.Int("n_positions")
	ctx := c.IntOr(pos, "n_ctx")
	inner := c.IntOr(4*h, "n_inner")
	const f32 = "F32"
	ts := []Tensor{
		{Name: "wte.weight", DType: f32, Shape: []uint64{v, h}},
		{Name: "wpe.weight", DType: f32, Shape: []uint64{pos, h}},
	}
	for i := uint64(0); i < l; i++ {
		p := fmt.Sprintf("h.%d.", i)
		ts = append(ts,
			Tensor{Name: p + "ln_1.weight", DType: f32, Shape: []uint64{h}},
			Tensor{Name: p + "ln_1.bias", DType: f32, Shape: []uint64{h}},
		)
		if buffers {
			ts = append(ts, Tensor{Name: p + "attn.bias", DType: f32, Shape: []uint64{1, 1, ctx, ctx}})
		}
		ts = append(ts,
			Tensor{Name: p + "attn.c_attn.weight", DType: f32, Shape: []uint64{h, 3 * h}},
			Tensor{Name: p + "attn.c_attn.bias", DType: f32, Shape: []uint64{3 * h}},
			Tensor{Name: p + "attn.c_proj.weight", DType: f32, Shape: []uint64{h, h}},
			Tensor{Name: p + "attn.c_proj.bias", DType: f32, Shape: []uint64{h}},
			Tensor{Name: p + "ln_2.weight", DType: f32, Shape: []uint64{h}},
			Tensor{Name: p + "ln_2.bias", DType: f32, Shape: []uint64{h}},
			Tensor{Name: p + "mlp.c_fc.weight", DType: f32, Shape: []uint64{h, inner}},
			Tensor{Name: p + "mlp.c_fc.bias", DType: f32, Shape: []uint64{inner}},
			Tensor{Name: p + "mlp.c_proj.weight", DType: f32, Shape: []uint64{inner, h}},
			Tensor{Name: p + "mlp.c_proj.bias", DType: f32, Shape: []uint64{h}},
		)
	}
	return append(ts,
		Tensor{Name: "ln_f.weight", DType: f32, Shape: []uint64{h}},
		Tensor{Name: "ln_f.bias", DType: f32, Shape: []uint64{h}},
	)
}
