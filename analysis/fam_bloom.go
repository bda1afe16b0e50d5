package analysis

// famBLOOM is BigScience BLOOM (BloomForCausalLM): fused query_key_value
// with bias, a LayerNorm right after the embedding, ALiBi (no position
// tensors), tied lm_head.
var famBLOOM = &Family{
	Name:       "bloom",
	ModelTypes: []string{"bloom"},
	Markers:    []string{"word_embeddings_layernorm"},
	Layer: map[string]Role{
		"input_layernorm":                RoleNorm,
		"post_attention_layernorm":       RoleNorm,
		"self_attention.query_key_value": RoleAttnQKV,
		"self_attention.dense":           RoleAttnO,
		"mlp.dense_h_to_4h":              RoleMLPUp,
		"mlp.dense_4h_to_h":              RoleMLPDown,
	},
	Global: []GlobalRule{
		{"word_embeddings_layernorm", RoleEmbeddingNorm},
		{"word_embeddings", RoleTokenEmbedding},
		{"ln_f", RoleFinalNorm},
		{"lm_head", RoleLMHead},
	},
}
