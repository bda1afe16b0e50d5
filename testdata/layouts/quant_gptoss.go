package layouts

import "fmt"

// gpt-oss (openai/gpt-oss-20b, -120b): BF16 attention with biases and
// per-head sinks, a BF16 router, and MXFP4 experts stored as _blocks (U8,
// 16 bytes per block of 32 FP4 values) with _scales (U8 E8M0 exponents,
// one per block) and BF16 expert biases.
func init() {
	for _, name := range []string{"quant-gpt-oss-20b", "quant-gpt-oss-120b"} {
		register(name, fromFacts(name, quantGPTOSS))
	}
}

// quantGPTOSS lists the tensors from hidden_size, intermediate_size,
// num_attention_heads, num_key_value_heads, head_dim, num_local_experts,
// num_hidden_layers and vocab_size.
func quantGPTOSS(c Cfg) []Tensor {
	h, f, v := c.Int("hidden_size"), c.Int("intermediate_size"), c.Int("vocab_size")
	a, g, d := c.Int("num_attention_heads"), c.Int("num_key_value_heads"), c.Int("head_dim")
	e := c.Int("num_local_experts")
	// MXFP4 blocks hold 32 values (OCP Microscaling Formats v1.0) in 16 bytes.
	const block, blockBytes = 32, 16
	const bf = "BF16"
	ts := []Tensor{
		{Name: "model.embed_tokens.weight", DType: bf, Shape: []uint64{v, h}},
		{Name: "lm_head.weight", DType: bf, Shape: []uint64{v, h}},
		{Name: "model.norm.weight", DType: bf, Shape: []uint64{h}},
	}
	for i := uint64(0); i < c.Int("num_hidden_layers"); i++ {
		p := fmt.Sprintf("model.layers.%d.", i)
		ts = append(ts,
			Tensor{Name: p + "input_layernorm.weight", DType: bf, Shape: []uint64{h}},
			Tensor{Name: p + "post_attention_layernorm.weight", DType: bf, Shape: []uint64{h}},
			Tensor{Name: p + "self_attn.q_proj.weight", DType: bf, Shape: []uint64{a * d, h}},
			Tensor{Name: p + "self_attn.q_proj.bias", DType: bf, Shape: []uint64{a * d}},
			Tensor{Name: p + "self_attn.k_proj.weight", DType: bf, Shape: []uint64{g * d, h}},
			Tensor{Name: p + "self_attn.k_proj.bias", DType: bf, Shape: []uint64{g * d}},
			Tensor{Name: p + "self_attn.v_proj.weight", DType: bf, Shape: []uint64{g * d, h}},
			Tensor{Name: p + "self_attn.v_proj.bias", DType: bf, Shape: []uint64{g * d}},
			Tensor{Name: p + "self_attn.o_proj.weight", DType: bf, Shape: []uint64{h, a * d}},
			Tensor{Name: p + "self_attn.o_proj.bias", DType: bf, Shape: []uint64{h}},
			Tensor{Name: p + "self_attn.sinks", DType: bf, Shape: []uint64{a}},
			Tensor{Name: p + "mlp.router.weight", DType: bf, Shape: []uint64{e, h}},
			Tensor{Name: p + "mlp.router.bias", DType: bf, Shape: []uint64{e}},
			Tensor{Name: p + "mlp.experts.gate_up_proj_blocks", DType: "U8", Shape: []uint64{e, 2 * f, h / block, blockBytes}},
			Tensor{Name: p + "mlp.experts.gate_up_proj_scales", DType: "U8", Shape: []uint64{e, 2 * f, h / block}},
			Tensor{Name: p + "mlp.experts.gate_up_proj_bias", DType: bf, Shape: []uint64{e, 2 * f}},
			Tensor{Name: p + "mlp.experts.down_proj_blocks", DType: "U8", Shape: []uint64{e, h, f / block, blockBytes}},
			Tensor{Name: p + "mlp.experts.down_proj_scales", DType: "U8", Shape: []uint64{e, h, f / block}},
			Tensor{Name: p + "mlp.experts.down_proj_bias", DType: bf, Shape: []uint64{e, h}},
		)
	}
	return ts
}
