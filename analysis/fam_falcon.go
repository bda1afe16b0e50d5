package analysis

import "github.com/paramscope/paramscope/reader"

// famFalcon is TII Falcon (FalconForCausalLM): fused query_key_value without
// bias holding A query heads and G key/value heads (multi-query in 7B,
// grouped in 40B's new_decoder_architecture), parallel attention and MLP
// with one LayerNorm (7B) or two (ln_attn, ln_mlp in 40B), rotary positions.
var famFalcon = &Family{
	Name:       "falcon",
	ModelTypes: []string{"falcon", "RefinedWeb", "RefinedWebModel"},
	Markers:    []string{"self_attention.query_key_value"},
	Layer: map[string]Role{
		"input_layernorm":                      RoleNorm,
		"post_attention_layernorm":             RoleNorm,
		"ln_attn":                              RoleNorm,
		"ln_mlp":                               RoleNorm,
		"self_attention.query_key_value":       RoleAttnQKV,
		"self_attention.dense":                 RoleAttnO,
		"mlp.dense_h_to_4h":                    RoleMLPUp,
		"mlp.dense_4h_to_h":                    RoleMLPDown,
		"self_attention.maybe_rotary.inv_freq": RoleBuffer,
	},
	Global: []GlobalRule{
		{"word_embeddings", RoleTokenEmbedding},
		{"ln_f", RoleFinalNorm},
		{"lm_head", RoleLMHead},
	},
	// parallel_attn (FalconConfig, default true); new_decoder_architecture
	// implies it.
	Parallel: func(cfg *reader.Config) (bool, Evidence, bool) {
		if v, ev, ok := configBool(cfg, "new_decoder_architecture"); ok && v {
			return true, ev, true
		}
		if v, ev, ok := configBool(cfg, "parallel_attn"); ok {
			return v, ev, true
		}
		return true, Evidence{Note: "parallel_attn defaults to true in FalconConfig"}, true
	},
}
