package analysis

// famDeepSeek is DeepSeek-V2/V3 (DeepseekV3ForCausalLM): multi-head latent
// attention (q_a/q_b and kv_a/kv_b low-rank projections with their norms),
// dense MLPs in the first first_k_dense_replace layers, then a router
// mlp.gate with its e_score_correction_bias, routed experts and shared
// experts; V3 appends a multi-token-prediction layer (index
// num_hidden_layers) with embed_tokens, enorm, hnorm, eh_proj and
// shared_head.
var famDeepSeek = &Family{
	Name:       "deepseek",
	ModelTypes: []string{"deepseek_v2", "deepseek_v3"},
	Markers:    []string{"kv_a_proj_with_mqa"},
	Layer: withLayer(llamaLayer, map[string]Role{
		"self_attn.q_proj":             RoleAttnQ, // V2-Lite: no q_lora_rank
		"self_attn.q_a_proj":           RoleMLAQDown,
		"self_attn.q_a_layernorm":      RoleMLAQNorm,
		"self_attn.q_b_proj":           RoleMLAQUp,
		"self_attn.kv_a_proj_with_mqa": RoleMLAKVDown,
		"self_attn.kv_a_layernorm":     RoleMLAKVNorm,
		"self_attn.kv_b_proj":          RoleMLAKVUp,
		"mlp.gate":                     RoleRouter,
		"mlp.experts.*.gate_proj":      RoleExpertGate,
		"mlp.experts.*.up_proj":        RoleExpertUp,
		"mlp.experts.*.down_proj":      RoleExpertDown,
		"mlp.shared_experts.gate_proj": RoleSharedGate,
		"mlp.shared_experts.up_proj":   RoleSharedUp,
		"mlp.shared_experts.down_proj": RoleSharedDown,
		// The MTP layer's own modules (DeepSeek-V3 inference/model.py, MTP).
		"embed_tokens":     RoleTokenEmbedding,
		"enorm":            RoleNorm,
		"hnorm":            RoleNorm,
		"eh_proj":          RoleOther,
		"shared_head.head": RoleLMHead,
		"shared_head.norm": RoleFinalNorm,
	}),
	Global: llamaGlobal,
}
