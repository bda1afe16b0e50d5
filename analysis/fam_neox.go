package analysis

import "github.com/paramscope/paramscope/reader"

// famNeoX is EleutherAI GPT-NeoX and Pythia (GPTNeoXForCausalLM): fused
// query_key_value with bias, two LayerNorms per layer used in parallel
// (use_parallel_residual), untied embed_out, rotary positions.
var famNeoX = &Family{
	Name:       "gpt_neox",
	ModelTypes: []string{"gpt_neox"},
	Markers:    []string{"gpt_neox.", "embed_out."},
	Layer: map[string]Role{
		"input_layernorm":               RoleNorm,
		"post_attention_layernorm":      RoleNorm,
		"attention.query_key_value":     RoleAttnQKV,
		"attention.dense":               RoleAttnO,
		"mlp.dense_h_to_4h":             RoleMLPUp,
		"mlp.dense_4h_to_h":             RoleMLPDown,
		"attention.bias":                RoleBuffer,
		"attention.masked_bias":         RoleBuffer,
		"attention.rotary_emb.inv_freq": RoleBuffer,
	},
	Global: []GlobalRule{
		{"embed_in", RoleTokenEmbedding},
		{"final_layer_norm", RoleFinalNorm},
		{"embed_out", RoleLMHead},
	},
	// use_parallel_residual defaults to true (GPTNeoXConfig).
	Parallel: func(cfg *reader.Config) (bool, Evidence, bool) {
		if v, ev, ok := configBool(cfg, "use_parallel_residual"); ok {
			return v, ev, true
		}
		return true, Evidence{Note: "use_parallel_residual defaults to true in GPTNeoXConfig"}, true
	},
}
