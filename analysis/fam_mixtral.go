package analysis

// famMixtral is Mistral's Mixtral (MixtralForCausalLM): Llama attention, and
// in every layer a router block_sparse_moe.gate [E, h] with E experts whose
// w1 is the gate, w3 the up and w2 the down projection.
var famMixtral = &Family{
	Name:       "mixtral",
	ModelTypes: []string{"mixtral"},
	Markers:    []string{"block_sparse_moe."},
	Layer: withLayer(llamaLayer, map[string]Role{
		"block_sparse_moe.gate":         RoleRouter,
		"block_sparse_moe.experts.*.w1": RoleExpertGate,
		"block_sparse_moe.experts.*.w2": RoleExpertDown,
		"block_sparse_moe.experts.*.w3": RoleExpertUp,
	}),
	Global: llamaGlobal,
}
