package layouts

import "fmt"

// GPT-NeoX (Pythia) as transformers' GPTNeoXForCausalLM stores it: a
// "gpt_neox." prefix, fused query_key_value with bias, LayerNorms with bias
// before attention and before the MLP (run in parallel when
// use_parallel_residual), rotary positions (nothing stored) and an untied
// embed_out. vocab_size is padded (50304 for Pythia).
func init() {
	register("pythia-1.4b", fromFacts("pythia-1.4b", neoxTensors))
}

// neoxTensors lists the tensors from num_hidden_layers, hidden_size,
// intermediate_size, vocab_size and torch_dtype.
func neoxTensors(c Cfg) []Tensor {
	l, h := c.Int("num_hidden_layers"), c.Int("hidden_size")
	f, v := c.Int("intermediate_size"), c.Int("vocab_size")
	dt := safetensorsDType(c.String("float16", "torch_dtype"))
	ts := []Tensor{{Name: "gpt_neox.embed_in.weight", DType: dt, Shape: []uint64{v, h}}}
	for i := uint64(0); i < l; i++ {
		p := fmt.Sprintf("gpt_neox.layers.%d.", i)
		ts = append(ts,
			Tensor{Name: p + "input_layernorm.weight", DType: dt, Shape: []uint64{h}},
			Tensor{Name: p + "input_layernorm.bias", DType: dt, Shape: []uint64{h}},
			Tensor{Name: p + "post_attention_layernorm.weight", DType: dt, Shape: []uint64{h}},
			Tensor{Name: p + "post_attention_layernorm.bias", DType: dt, Shape: []uint64{h}},
			Tensor{Name: p + "attention.query_key_value.weight", DType: dt, Shape: []uint64{3 * h, h}},
			Tensor{Name: p + "attention.query_key_value.bias", DType: dt, Shape: []uint64{3 * h}},
			Tensor{Name: p + "attention.dense.weight", DType: dt, Shape: []uint64{h, h}},
			Tensor{Name: p + "attention.dense.bias", DType: dt, Shape: []uint64{h}},
			Tensor{Name: p + "mlp.dense_h_to_4h.weight", DType: dt, Shape: []uint64{f, h}},
			Tensor{Name: p + "mlp.dense_h_to_4h.bias", DType: dt, Shape: []uint64{f}},
			Tensor{Name: p + "mlp.dense_4h_to_h.weight", DType: dt, Shape: []uint64{h, f}},
			Tensor{Name: p + "mlp.dense_4h_to_h.bias", DType: dt, Shape: []uint64{h}},
		)
	}
	return append(ts,
		Tensor{Name: "gpt_neox.final_layer_norm.weight", DType: dt, Shape: []uint64{h}},
		Tensor{Name: "gpt_neox.final_layer_norm.bias", DType: dt, Shape: []uint64{h}},
		Tensor{Name: "embed_out.weight", DType: dt, Shape: []uint64{v, h}},
	)
}
