package analysis

// famBERT is Google BERT (BertForPreTraining / BertModel): an encoder with
// separate Q, K, V, O with biases, post-LayerNorms, learned positions and
// token types, a pooler and pre-training heads. Old checkpoints spell
// LayerNorm parameters gamma and beta.
var famBERT = &Family{
	Name:       "bert",
	ModelTypes: []string{"bert"},
	Markers:    []string{"attention.self.query."},
	Layer: map[string]Role{
		"attention.self.query":       RoleAttnQ,
		"attention.self.key":         RoleAttnK,
		"attention.self.value":       RoleAttnV,
		"attention.output.dense":     RoleAttnO,
		"attention.output.LayerNorm": RoleNorm,
		"intermediate.dense":         RoleMLPUp,
		"output.dense":               RoleMLPDown,
		"output.LayerNorm":           RoleNorm,
	},
	Global: []GlobalRule{
		{"embeddings.word_embeddings", RoleTokenEmbedding},
		{"embeddings.position_embeddings", RolePositionEmbedding},
		{"embeddings.token_type_embeddings", RoleTokenTypeEmbedding},
		{"embeddings.LayerNorm", RoleEmbeddingNorm},
		{"embeddings.position_ids", RoleBuffer},
		{"cls.predictions.decoder", RoleLMHead},
		{"pooler.dense", RoleOther},
		{"cls.predictions.transform.dense", RoleOther},
		{"cls.predictions.transform.LayerNorm", RoleOther},
		{"cls.predictions", RoleOther}, // cls.predictions.bias, the decoder's bias
		{"cls.seq_relationship", RoleOther},
	},
}
