package analysis

// llamaLayer is the layer naming of LlamaForCausalLM, shared by Mistral,
// Qwen2/2.5 (with Q/K/V biases), Qwen3 (with q_norm/k_norm) and Gemma
// (Gemma 2/3 add pre/post feed-forward norms).
var llamaLayer = map[string]Role{
	"self_attn.q_proj":              RoleAttnQ,
	"self_attn.k_proj":              RoleAttnK,
	"self_attn.v_proj":              RoleAttnV,
	"self_attn.o_proj":              RoleAttnO,
	"self_attn.q_norm":              RoleAttnQNorm,
	"self_attn.k_norm":              RoleAttnKNorm,
	"mlp.gate_proj":                 RoleMLPGate,
	"mlp.up_proj":                   RoleMLPUp,
	"mlp.down_proj":                 RoleMLPDown,
	"input_layernorm":               RoleNorm,
	"post_attention_layernorm":      RoleNorm,
	"pre_feedforward_layernorm":     RoleNorm,
	"post_feedforward_layernorm":    RoleNorm,
	"self_attn.rotary_emb.inv_freq": RoleBuffer,
	// Qwen2-MoE / Qwen3-MoE keep these names around their experts
	// (mlp.experts.N.gate_proj, placed by the "experts" rule): a router
	// mlp.gate [E, h], one shared expert and its sigmoid gate [1, h].
	"mlp.gate":                    RoleRouter,
	"mlp.shared_expert.gate_proj": RoleSharedGate,
	"mlp.shared_expert.up_proj":   RoleSharedUp,
	"mlp.shared_expert.down_proj": RoleSharedDown,
	"mlp.shared_expert_gate":      RoleRouter,
}

// llamaGlobal is the naming outside layers of the Llama-style models.
var llamaGlobal = []GlobalRule{
	{"embed_tokens", RoleTokenEmbedding},
	{"norm", RoleFinalNorm},
	{"lm_head", RoleLMHead},
	{"rotary_emb.inv_freq", RoleBuffer},
}

// famLlama is Llama 1/2/3 and the models that kept its names: Mistral,
// Qwen2/2.5, Qwen3 (and their MoE variants), Gemma.
var famLlama = &Family{
	Name:       "llama",
	ModelTypes: []string{"llama", "mistral", "qwen2", "qwen3", "qwen2_moe", "qwen3_moe", "gemma", "gemma2", "gemma3_text"},
	Markers:    []string{"self_attn.q_proj.", "mlp.gate_proj."},
	Layer:      llamaLayer,
	Global:     llamaGlobal,
}

// withLayer returns a copy of base with extra entries.
func withLayer(base map[string]Role, extra map[string]Role) map[string]Role {
	out := make(map[string]Role, len(base)+len(extra))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}
