package analysis

// famGPT2 is OpenAI GPT-2 as exported by Hugging Face (GPT2LMHeadModel):
// Conv1D layers store weights as [in, out], Q, K and V are fused in c_attn,
// positions are learned (wpe), and each layer keeps its causal mask as the
// buffer attn.bias ([1, 1, n_ctx, n_ctx]).
var famGPT2 = &Family{
	Name:       "gpt2",
	ModelTypes: []string{"gpt2"},
	Markers:    []string{"attn.c_attn."},
	Layer: map[string]Role{
		"ln_1":             RoleNorm,
		"ln_2":             RoleNorm,
		"attn.c_attn":      RoleAttnQKV,
		"attn.c_proj":      RoleAttnO,
		"mlp.c_fc":         RoleMLPUp,
		"mlp.c_proj":       RoleMLPDown,
		"attn.bias":        RoleBuffer, // causal mask, not the c_attn bias
		"attn.masked_bias": RoleBuffer,
	},
	Global: []GlobalRule{
		{"wte", RoleTokenEmbedding},
		{"wpe", RolePositionEmbedding},
		{"ln_f", RoleFinalNorm},
		{"lm_head", RoleLMHead},
	},
	Transposed: true,
}
