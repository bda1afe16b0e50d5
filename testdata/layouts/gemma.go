package layouts

func init() {
	// Gemma 7B: the Llama tensor layout (GemmaForCausalLM) with GeGLU in
	// place of SwiGLU (same three matrices), head_dim 256 while
	// hidden_size/num_attention_heads is 192, and tied embeddings: config.json
	// has no tie_word_embeddings key and GemmaConfig defaults it to true, so
	// no lm_head.weight is stored. The RMSNorm weights are stored as w and
	// applied as (1 + w), which changes no shape. 4 shards.
	famRegister("gemma-7b", func() (Model, error) {
		return famDecoderModel("gemma-7b", famDecoder{
			export:      famExport{maxShard: 5 * famGB, shards: 4},
			tiedDefault: true,
		})
	})
}
