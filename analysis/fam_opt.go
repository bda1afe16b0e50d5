package analysis

// famOPT is Meta OPT (OPTForCausalLM): separate Q, K, V, O with biases, two
// LayerNorms per layer, learned positions with 2 extra rows (the position
// offset of OPTLearnedPositionalEmbedding), tied lm_head.
var famOPT = &Family{
	Name:       "opt",
	ModelTypes: []string{"opt"},
	Markers:    []string{"self_attn_layer_norm"},
	Layer: map[string]Role{
		"self_attn.q_proj":     RoleAttnQ,
		"self_attn.k_proj":     RoleAttnK,
		"self_attn.v_proj":     RoleAttnV,
		"self_attn.out_proj":   RoleAttnO,
		"self_attn_layer_norm": RoleNorm,
		"final_layer_norm":     RoleNorm, // inside a layer: the MLP's norm
		"fc1":                  RoleMLPUp,
		"fc2":                  RoleMLPDown,
	},
	Global: []GlobalRule{
		{"embed_tokens", RoleTokenEmbedding},
		{"embed_positions", RolePositionEmbedding},
		{"final_layer_norm", RoleFinalNorm},
		{"project_in", RoleOther},
		{"project_out", RoleOther},
		{"lm_head", RoleLMHead},
	},
}
