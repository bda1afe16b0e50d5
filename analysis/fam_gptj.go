package analysis

import "github.com/paramscope/paramscope/reader"

// famGPTJ is EleutherAI GPT-J (GPTJForCausalLM): separate Q, K, V, O without
// biases, one LayerNorm per layer feeding attention and MLP in parallel, an
// untied lm_head with a bias, rotary positions.
var famGPTJ = &Family{
	Name:       "gptj",
	ModelTypes: []string{"gptj"},
	Markers:    []string{"mlp.fc_in."},
	Layer: map[string]Role{
		"ln_1":             RoleNorm,
		"attn.q_proj":      RoleAttnQ,
		"attn.k_proj":      RoleAttnK,
		"attn.v_proj":      RoleAttnV,
		"attn.out_proj":    RoleAttnO,
		"mlp.fc_in":        RoleMLPUp,
		"mlp.fc_out":       RoleMLPDown,
		"attn.bias":        RoleBuffer,
		"attn.masked_bias": RoleBuffer,
	},
	Global: []GlobalRule{
		{"wte", RoleTokenEmbedding},
		{"ln_f", RoleFinalNorm},
		{"lm_head", RoleLMHead},
	},
	// GPT-J's block always computes attn(ln_1(x)) + mlp(ln_1(x))
	// (modeling_gptj.py, GPTJBlock.forward); no config key declares it.
	Parallel: func(*reader.Config) (bool, Evidence, bool) {
		return true, Evidence{Note: "GPT-J blocks are always parallel (one ln_1 feeds attention and MLP)"}, true
	},
}
