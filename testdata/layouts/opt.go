package layouts

import "fmt"

// OPT as facebook/opt-* store it: the checkpoints were saved from OPTModel,
// so keys start at "decoder." (transformers adds "model." on load) and no
// lm_head is stored (it is tied to embed_tokens). Learned positions keep 2
// extra rows (OPTLearnedPositionalEmbedding's offset of 2), so
// embed_positions is [max_position_embeddings + 2, h].
func init() {
	register("opt-125m", fromFacts("opt-125m", optTensors))
}

// optTensors lists OPT's tensors from num_hidden_layers, hidden_size,
// ffn_dim, vocab_size, max_position_embeddings and word_embed_proj_dim
// (project_in/project_out exist only when it differs from hidden_size, as
// in opt-350m).
func optTensors(c Cfg) []Tensor {
	l, h, f := c.Int("num_hidden_layers"), c.Int("hidden_size"), c.Int("ffn_dim")
	v, pos := c.Int("vocab_size"), c.Int("max_position_embeddings")
	proj := c.IntOr(h, "word_embed_proj_dim")
	dt := safetensorsDType(c.String("float16", "torch_dtype"))
	ts := []Tensor{
		{Name: "decoder.embed_tokens.weight", DType: dt, Shape: []uint64{v, proj}},
		{Name: "decoder.embed_positions.weight", DType: dt, Shape: []uint64{pos + 2, h}},
	}
	if proj != h {
		ts = append(ts,
			Tensor{Name: "decoder.project_out.weight", DType: dt, Shape: []uint64{proj, h}},
			Tensor{Name: "decoder.project_in.weight", DType: dt, Shape: []uint64{h, proj}},
		)
	}
	if c.Bool(true, "do_layer_norm_before") {
		ts = append(ts,
			Tensor{Name: "decoder.final_layer_norm.weight", DType: dt, Shape: []uint64{h}},
			Tensor{Name: "decoder.final_layer_norm.bias", DType: dt, Shape: []uint64{h}},
		)
	}
	for i := uint64(0); i < l; i++ {
		p := fmt.Sprintf("decoder.layers.%d.", i)
		for _, m := range []string{"k_proj", "v_proj", "q_proj", "out_proj"} {
			ts = append(ts,
				Tensor{Name: p + "self_attn." + m + ".weight", DType: dt, Shape: []uint64{h, h}},
				Tensor{Name: p + "self_attn." + m + ".bias", DType: dt, Shape: []uint64{h}},
			)
		}
		ts = append(ts,
			Tensor{Name: p + "self_attn_layer_norm.weight", DType: dt, Shape: []uint64{h}},
			Tensor{Name: p + "self_attn_layer_norm.bias", DType: dt, Shape: []uint64{h}},
			Tensor{Name: p + "fc1.weight", DType: dt, Shape: []uint64{f, h}},
			Tensor{Name: p + "fc1.bias", DType: dt, Shape: []uint64{f}},
			Tensor{Name: p + "fc2.weight", DType: dt, Shape: []uint64{h, f}},
			Tensor{Name: p + "fc2.bias", DType: dt, Shape: []uint64{h}},
			Tensor{Name: p + "final_layer_norm.weight", DType: dt, Shape: []uint64{h}},
			Tensor{Name: p + "final_layer_norm.bias", DType: dt, Shape: []uint64{h}},
		)
	}
	return ts
}
