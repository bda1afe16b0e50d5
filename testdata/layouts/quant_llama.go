package layouts

import "fmt"

// Quantized exports of Llama-family models: the same architecture stored
// by GPTQ, AWQ, compressed-tensors, bitsandbytes, NVFP4 and MLX, each with
// the tensor names and shapes its quantizer writes (the facts files give
// the sources and derivations). Logical counts are the tests' business; the
// layouts only rebuild what the files hold.
func init() {
	register("quant-llama-3.1-8b-instruct-bnb-4bit", fromFacts("quant-llama-3.1-8b-instruct-bnb-4bit", quantBnB4))
	register("quant-llama-3.1-8b-instruct-w4a16", fromFacts("quant-llama-3.1-8b-instruct-w4a16", func(c Cfg) []Tensor {
		return quantLlama(c, "F16", quantGPTQ(c, true))
	}))
	register("quant-llama-3.3-70b-instruct-w4a16", fromFacts("quant-llama-3.3-70b-instruct-w4a16", func(c Cfg) []Tensor {
		return quantLlama(c, "BF16", quantPackQuantized(c, "BF16", true))
	}))
	register("quant-llama-2-7b-gptq", fromFacts("quant-llama-2-7b-gptq", func(c Cfg) []Tensor {
		return quantLlama(c, "F16", quantGPTQ(c, true))
	}))
	register("quant-llama-2-7b-awq-2l", fromFacts("quant-llama-2-7b-awq-2l", func(c Cfg) []Tensor {
		return quantLlama(c, "F16", quantAWQ(c))
	}))
	register("quant-llama-3.2-1b-instruct-mlx-4bit", fromFacts("quant-llama-3.2-1b-instruct-mlx-4bit", quantMLX))
	register("quant-llama-3.1-8b-instruct-nvfp4-2l", fromFacts("quant-llama-3.1-8b-instruct-nvfp4-2l", func(c Cfg) []Tensor {
		return quantLlama(c, "BF16", quantNVFP4)
	}))
}

// quantLinear is one nn.Linear of a decoder layer: its module path and
// [out, in].
type quantLinear struct {
	module  string
	out, in uint64
}

// quantLinears lists a Llama layer's seven linears from hidden_size,
// intermediate_size, num_attention_heads, num_key_value_heads and head_dim
// (hidden_size / num_attention_heads when absent, as LlamaConfig does).
func quantLinears(c Cfg, layer uint64) []quantLinear {
	h, f := c.Int("hidden_size"), c.Int("intermediate_size")
	a := c.Int("num_attention_heads")
	g := c.IntOr(a, "num_key_value_heads")
	d := c.IntOr(h/a, "head_dim")
	p := fmt.Sprintf("model.layers.%d.", layer)
	return []quantLinear{
		{p + "self_attn.q_proj", a * d, h},
		{p + "self_attn.k_proj", g * d, h},
		{p + "self_attn.v_proj", g * d, h},
		{p + "self_attn.o_proj", h, a * d},
		{p + "mlp.gate_proj", f, h},
		{p + "mlp.up_proj", f, h},
		{p + "mlp.down_proj", h, f},
	}
}

// quantLlama lists a Llama checkpoint whose block linears are written by
// linear and everything else (embeddings, norms, an untied lm_head) is
// stored plainly in dtype.
func quantLlama(c Cfg, dtype string, linear func(l quantLinear) []Tensor) []Tensor {
	h, v := c.Int("hidden_size"), c.Int("vocab_size")
	ts := []Tensor{{Name: "model.embed_tokens.weight", DType: dtype, Shape: []uint64{v, h}}}
	for i := uint64(0); i < c.Int("num_hidden_layers"); i++ {
		p := fmt.Sprintf("model.layers.%d.", i)
		ts = append(ts,
			Tensor{Name: p + "input_layernorm.weight", DType: dtype, Shape: []uint64{h}},
			Tensor{Name: p + "post_attention_layernorm.weight", DType: dtype, Shape: []uint64{h}},
		)
		for _, l := range quantLinears(c, i) {
			ts = append(ts, linear(l)...)
		}
	}
	ts = append(ts, Tensor{Name: "model.norm.weight", DType: dtype, Shape: []uint64{h}})
	if !c.Bool(false, "tie_word_embeddings") {
		ts = append(ts, Tensor{Name: "lm_head.weight", DType: dtype, Shape: []uint64{v, h}})
	}
	return ts
}

// quantGPTQ writes AutoGPTQ's QuantLinear buffers: qweight I32
// [in·bits/32, out], qzeros I32 [in/group, out·bits/32], scales F16
// [in/group, out], g_idx I32 [in], and (withBias) the bias F16 [out] it
// always registers.
func quantGPTQ(c Cfg, withBias bool) func(l quantLinear) []Tensor {
	bits, group := c.Int("quantization_config", "bits"), c.Int("quantization_config", "group_size")
	return func(l quantLinear) []Tensor {
		ts := []Tensor{
			{Name: l.module + ".qweight", DType: "I32", Shape: []uint64{l.in * bits / 32, l.out}},
			{Name: l.module + ".qzeros", DType: "I32", Shape: []uint64{l.in / group, l.out * bits / 32}},
			{Name: l.module + ".scales", DType: "F16", Shape: []uint64{l.in / group, l.out}},
			{Name: l.module + ".g_idx", DType: "I32", Shape: []uint64{l.in}},
		}
		if withBias {
			ts = append(ts, Tensor{Name: l.module + ".bias", DType: "F16", Shape: []uint64{l.out}})
		}
		return ts
	}
}

// quantAWQ writes AutoAWQ's WQLinear_GEMM buffers: qweight I32
// [in, out·bits/32], qzeros I32 [in/group, out·bits/32], scales F16
// [in/group, out].
func quantAWQ(c Cfg) func(l quantLinear) []Tensor {
	bits, group := c.Int("quantization_config", "bits"), c.Int("quantization_config", "group_size")
	return func(l quantLinear) []Tensor {
		return []Tensor{
			{Name: l.module + ".qweight", DType: "I32", Shape: []uint64{l.in, l.out * bits / 32}},
			{Name: l.module + ".qzeros", DType: "I32", Shape: []uint64{l.in / group, l.out * bits / 32}},
			{Name: l.module + ".scales", DType: "F16", Shape: []uint64{l.in / group, l.out}},
		}
	}
}

// quantPackQuantized writes compressed-tensors' pack-quantized tensors for
// config group group_0: weight_packed I32 [out, in·bits/32], weight_scale
// [out, in/group] in scaleDType, weight_shape I64 [2], and with actorder
// weight_g_idx I32 [in].
func quantPackQuantized(c Cfg, scaleDType string, gidx bool) func(l quantLinear) []Tensor {
	w := []string{"quantization_config", "config_groups", "group_0", "weights"}
	bits, group := c.Int(append(w, "num_bits")...), c.Int(append(w, "group_size")...)
	return func(l quantLinear) []Tensor {
		ts := []Tensor{
			{Name: l.module + ".weight_packed", DType: "I32", Shape: []uint64{l.out, l.in * bits / 32}},
			{Name: l.module + ".weight_scale", DType: scaleDType, Shape: []uint64{l.out, l.in / group}},
			{Name: l.module + ".weight_shape", DType: "I64", Shape: []uint64{2}},
		}
		if gidx {
			ts = append(ts, Tensor{Name: l.module + ".weight_g_idx", DType: "I32", Shape: []uint64{l.in}})
		}
		return ts
	}
}

// quantNVFP4 writes ModelOpt's NVFP4 linear: weight U8 [out, in/2], one
// F8_E4M3 scale per 16 values, and the F32 per-tensor weight and input
// scales.
func quantNVFP4(l quantLinear) []Tensor {
	return []Tensor{
		{Name: l.module + ".weight", DType: "U8", Shape: []uint64{l.out, l.in / 2}},
		{Name: l.module + ".weight_scale", DType: "F8_E4M3", Shape: []uint64{l.out, l.in / 16}},
		{Name: l.module + ".weight_scale_2", DType: "F32", Shape: []uint64{}},
		{Name: l.module + ".input_scale", DType: "F32", Shape: []uint64{}},
	}
}

// quantBnB4 lists a bitsandbytes 4-bit (NF4, double quantization) export:
// each block linear as Params4bit with its quant state, the rest BF16. The
// quant_state lengths total 38,687 bytes (derived in the facts file) and
// are spread 173 bytes for the first 159 linears, 172 for the rest.
func quantBnB4(c Cfg) []Tensor {
	n := 0
	return quantLlama(c, "BF16", func(l quantLinear) []Tensor {
		vals := l.out * l.in
		state := uint64(172)
		if n < 159 {
			state = 173
		}
		n++
		w := l.module + ".weight"
		return []Tensor{
			{Name: w, DType: "U8", Shape: []uint64{vals / 2, 1}},
			{Name: w + ".absmax", DType: "U8", Shape: []uint64{vals / 64}},
			{Name: w + ".nested_absmax", DType: "F32", Shape: []uint64{vals / 64 / 256}},
			{Name: w + ".nested_quant_map", DType: "F32", Shape: []uint64{256}},
			{Name: w + ".quant_map", DType: "F32", Shape: []uint64{16}},
			{Name: w + ".quant_state.bitsandbytes__nf4", DType: "U8", Shape: []uint64{state}},
		}
	})
}

// quantMLX lists an MLX affine export (mlx_lm.convert -q): every linear and
// the embedding as weight U32 [out, in·bits/32] with scales and biases
// [out, in/group] in the model dtype; norms plain; lm_head tied.
func quantMLX(c Cfg) []Tensor {
	bits, group := c.Int("quantization", "bits"), c.Int("quantization", "group_size")
	const dt = "BF16"
	q := func(module string, out, in uint64) []Tensor {
		return []Tensor{
			{Name: module + ".weight", DType: "U32", Shape: []uint64{out, in * bits / 32}},
			{Name: module + ".scales", DType: dt, Shape: []uint64{out, in / group}},
			{Name: module + ".biases", DType: dt, Shape: []uint64{out, in / group}},
		}
	}
	h, v := c.Int("hidden_size"), c.Int("vocab_size")
	ts := q("model.embed_tokens", v, h)
	for _, t := range quantLlama(c, dt, func(l quantLinear) []Tensor { return q(l.module, l.out, l.in) }) {
		if t.Name != "model.embed_tokens.weight" {
			ts = append(ts, t)
		}
	}
	return ts
}
