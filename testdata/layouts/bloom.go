package layouts

import "fmt"

// BLOOM as bigscience/bloom-* store it: saved from BloomModel, so keys have
// no "transformer." prefix; a LayerNorm right after the word embeddings
// (word_embeddings_layernorm); fused query_key_value with bias; ALiBi
// positions (nothing stored); lm_head tied to word_embeddings and not
// stored.
func init() {
	register("bloom-560m", fromFacts("bloom-560m", bloomTensors))
}

// bloomTensors lists BLOOM's tensors from n_layer, hidden_size and
// vocab_size; the MLP is 4·hidden_size wide (BloomMLP).
func bloomTensors(c Cfg) []Tensor {
	l, h, v := c.Int("n_layer"), c.Int("hidden_size"), c.Int("vocab_size")
	dt := safetensorsDType(c.String("float16", "torch_dtype"))
	ts := []Tensor{
		{Name: "word_embeddings.weight", DType: dt, Shape: []uint64{v, h}},
		{Name: "word_embeddings_layernorm.weight", DType: dt, Shape: []uint64{h}},
		{Name: "word_embeddings_layernorm.bias", DType: dt, Shape: []uint64{h}},
	}
	for i := uint64(0); i < l; i++ {
		p := fmt.Sprintf("h.%d.", i)
		ts = append(ts,
			Tensor{Name: p + "input_layernorm.weight", DType: dt, Shape: []uint64{h}},
			Tensor{Name: p + "input_layernorm.bias", DType: dt, Shape: []uint64{h}},
			Tensor{Name: p + "self_attention.query_key_value.weight", DType: dt, Shape: []uint64{3 * h, h}},
			Tensor{Name: p + "self_attention.query_key_value.bias", DType: dt, Shape: []uint64{3 * h}},
			Tensor{Name: p + "self_attention.dense.weight", DType: dt, Shape: []uint64{h, h}},
			Tensor{Name: p + "self_attention.dense.bias", DType: dt, Shape: []uint64{h}},
			Tensor{Name: p + "post_attention_layernorm.weight", DType: dt, Shape: []uint64{h}},
			Tensor{Name: p + "post_attention_layernorm.bias", DType: dt, Shape: []uint64{h}},
			Tensor{Name: p + "mlp.dense_h_to_4h.weight", DType: dt, Shape: []uint64{4 * h, h}},
			Tensor{Name: p + "mlp.dense_h_to_4h.bias", DType: dt, Shape: []uint64{4 * h}},
			Tensor{Name: p + "mlp.dense_4h_to_h.weight", DType: dt, Shape: []uint64{h, 4 * h}},
			Tensor{Name: p + "mlp.dense_4h_to_h.bias", DType: dt, Shape: []uint64{h}},
		)
	}
	return append(ts,
		Tensor{Name: "ln_f.weight", DType: dt, Shape: []uint64{h}},
		Tensor{Name: "ln_f.bias", DType: dt, Shape: []uint64{h}},
	)
}
