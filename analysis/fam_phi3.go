package analysis

// famPhi3 is Microsoft Phi-3 (Phi3ForCausalLM): Llama layout with Q, K, V
// fused in qkv_proj and gate and up fused in gate_up_proj.
var famPhi3 = &Family{
	Name:       "phi3",
	ModelTypes: []string{"phi3"},
	Markers:    []string{"self_attn.qkv_proj.", "mlp.gate_up_proj."},
	Layer: withLayer(llamaLayer, map[string]Role{
		"self_attn.qkv_proj": RoleAttnQKV,
		"mlp.gate_up_proj":   RoleMLPGateUp,
	}),
	Global: llamaGlobal,
}
