package analysis

// famT5 is Google T5 (T5ForConditionalGeneration): an encoder and a decoder
// stack sharing one embedding (shared), attention without biases, RMS-style
// layer_norm without β, relative position biases in the first layer of each
// stack, the decoder's cross attention (EncDecAttention). T5 v1.1 gates the
// MLP (wi_0, wi_1).
var famT5 = &Family{
	Name:       "t5",
	ModelTypes: []string{"t5"},
	Markers:    []string{"SelfAttention.q."},
	Layer: map[string]Role{
		"layer.0.SelfAttention.q":                         RoleAttnQ,
		"layer.0.SelfAttention.k":                         RoleAttnK,
		"layer.0.SelfAttention.v":                         RoleAttnV,
		"layer.0.SelfAttention.o":                         RoleAttnO,
		"layer.0.SelfAttention.relative_attention_bias":   RoleOther,
		"layer.0.layer_norm":                              RoleNorm,
		"layer.1.EncDecAttention.q":                       RoleAttnQ,
		"layer.1.EncDecAttention.k":                       RoleAttnK,
		"layer.1.EncDecAttention.v":                       RoleAttnV,
		"layer.1.EncDecAttention.o":                       RoleAttnO,
		"layer.1.EncDecAttention.relative_attention_bias": RoleOther,
		"layer.1.layer_norm":                              RoleNorm,
		"layer.1.DenseReluDense.wi":                       RoleMLPUp,
		"layer.1.DenseReluDense.wi_0":                     RoleMLPGate,
		"layer.1.DenseReluDense.wi_1":                     RoleMLPUp,
		"layer.1.DenseReluDense.wo":                       RoleMLPDown,
		"layer.2.DenseReluDense.wi":                       RoleMLPUp,
		"layer.2.DenseReluDense.wi_0":                     RoleMLPGate,
		"layer.2.DenseReluDense.wi_1":                     RoleMLPUp,
		"layer.2.DenseReluDense.wo":                       RoleMLPDown,
		"layer.2.layer_norm":                              RoleNorm,
	},
	Global: []GlobalRule{
		{"shared", RoleTokenEmbedding},
		{"embed_tokens", RoleTokenEmbedding},
		{"final_layer_norm", RoleFinalNorm},
		{"lm_head", RoleLMHead},
	},
}
