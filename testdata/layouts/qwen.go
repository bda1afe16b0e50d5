package layouts

func init() {
	// Qwen2.5-7B: Llama layout plus biases on q_proj, k_proj and v_proj
	// (transformers' Qwen2Attention builds them with bias=True; o_proj has
	// none). 4 shards.
	famRegister("qwen2.5-7b", func() (Model, error) {
		return famDecoderModel("qwen2.5-7b", famDecoder{
			export:       famExport{maxShard: 4 * famGB, shards: 4},
			qkvBias:      true,
			forwardOrder: true,
		})
	})
	// Qwen3-0.6B: no biases, a per-head RMSNorm on q and k (q_norm, k_norm
	// [head_dim]), head_dim 128 while hidden_size/num_attention_heads is 64.
	// Its config ties the embeddings, yet the single model.safetensors stores
	// lm_head.weight as well: the Hub counts 751,632,384 elements where the
	// model has 596,049,920 distinct parameters.
	famRegister("qwen3-0.6b", func() (Model, error) {
		return famDecoderModel("qwen3-0.6b", famDecoder{
			export: famExport{tiedHeadStored: true},
			qkNorm: true,
		})
	})
	// Qwen3-8B: untied, 5 shards.
	famRegister("qwen3-8b", func() (Model, error) {
		return famDecoderModel("qwen3-8b", famDecoder{
			export: famExport{maxShard: 4 * famGB, shards: 5},
			qkNorm: true,
		})
	})
}
