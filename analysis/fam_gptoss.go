package analysis

// famGPTOSS is OpenAI gpt-oss (GptOssForCausalLM): Llama-style attention
// with biases and a learned sink logit per head (self_attn.sinks), and in
// every layer a router with a bias and stacked experts [E, ...] whose fused
// gate_up_proj and down_proj carry stacked biases; the released weights
// store the experts as MXFP4 _blocks with _scales.
var famGPTOSS = &Family{
	Name:       "gpt_oss",
	ModelTypes: []string{"gpt_oss"},
	Markers:    []string{"self_attn.sinks", "mlp.router."},
	Layer: withLayer(llamaLayer, map[string]Role{
		"self_attn.sinks":                 RoleOther,
		"mlp.router":                      RoleRouter,
		"mlp.experts.gate_up_proj":        RoleExpertGateUp,
		"mlp.experts.gate_up_proj_blocks": RoleExpertGateUp,
		"mlp.experts.gate_up_proj_bias":   RoleExpertGateUp,
		"mlp.experts.gate_up_proj_scales": RoleAux,
		"mlp.experts.down_proj":           RoleExpertDown,
		"mlp.experts.down_proj_blocks":    RoleExpertDown,
		"mlp.experts.down_proj_bias":      RoleExpertDown,
		"mlp.experts.down_proj_scales":    RoleAux,
	}),
	Global: llamaGlobal,
}
