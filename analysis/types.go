package analysis

import (
	"github.com/paramscope/paramscope/analysis/findings"
	"github.com/paramscope/paramscope/analysis/quant"
)

// Role says what a tensor is for in the model.
type Role string

// The roles a tensor can have.
const (
	RoleTokenEmbedding     Role = "token_embedding"
	RolePositionEmbedding  Role = "position_embedding" // learned positions
	RoleTokenTypeEmbedding Role = "token_type_embedding"
	RoleEmbeddingNorm      Role = "embedding_norm" // BLOOM's word_embeddings_layernorm, BERT's embeddings.LayerNorm

	RoleAttnQ     Role = "attn_q"
	RoleAttnK     Role = "attn_k"
	RoleAttnV     Role = "attn_v"
	RoleAttnO     Role = "attn_o"
	RoleAttnQKV   Role = "attn_qkv" // fused Q, K and V
	RoleAttnQNorm Role = "attn_q_norm"
	RoleAttnKNorm Role = "attn_k_norm"

	// Multi-head latent attention (DeepSeek-V2/V3).
	RoleMLAQDown  Role = "mla_q_down"  // q_a_proj
	RoleMLAQNorm  Role = "mla_q_norm"  // q_a_layernorm
	RoleMLAQUp    Role = "mla_q_up"    // q_b_proj
	RoleMLAKVDown Role = "mla_kv_down" // kv_a_proj_with_mqa
	RoleMLAKVNorm Role = "mla_kv_norm" // kv_a_layernorm
	RoleMLAKVUp   Role = "mla_kv_up"   // kv_b_proj

	RoleMLPUp     Role = "mlp_up"
	RoleMLPGate   Role = "mlp_gate"
	RoleMLPDown   Role = "mlp_down"
	RoleMLPGateUp Role = "mlp_gate_up" // fused gate and up

	RoleNorm      Role = "norm"       // a norm inside a layer
	RoleFinalNorm Role = "final_norm" // the norm after the last layer
	RoleLMHead    Role = "lm_head"

	RoleRouter       Role = "router"         // MoE gate [E, h], and its bias
	RoleExpertUp     Role = "expert_up"      // routed expert, per-expert or stacked
	RoleExpertGate   Role = "expert_gate"    //
	RoleExpertDown   Role = "expert_down"    //
	RoleExpertGateUp Role = "expert_gate_up" // fused, usually stacked [E, ...]
	RoleSharedUp     Role = "shared_expert_up"
	RoleSharedGate   Role = "shared_expert_gate"
	RoleSharedDown   Role = "shared_expert_down"

	RoleBuffer  Role = "buffer"    // causal masks, inv_freq, position_ids
	RoleAux     Role = "auxiliary" // quantization side tensors
	RoleOther   Role = "other"     // recognised but outside the roles above (pooler, classifier, ...)
	RoleUnknown Role = "unclassified"
)

// Stack names the part of the model a tensor belongs to.
const (
	StackDecoder = "decoder" // the language model's layers (decoder-only models too)
	StackEncoder = "encoder" // the encoder of an encoder-decoder or encoder-only model
	StackMTP     = "mtp"     // multi-token-prediction layers (DeepSeek-V3)
)

// TensorRole is a tensor with its role. It points at the classified tensor
// (an element of the slice AssignRoles was given) rather than copying it:
// a checkpoint of ~92,000 tensors would otherwise hold every name, shape
// and classification twice.
type TensorRole struct {
	*quant.Tensor
	// Role is what the tensor is for.
	Role Role
	// Param is "weight", "bias", or another suffix ("scale", "e_score_correction_bias").
	Param string
	// Stack is StackDecoder, StackEncoder, StackMTP, or an extra module's name
	// ("vision"); "" for tensors outside any stack.
	Stack string
	// Layer is the layer index within Stack, or -1 outside layers.
	Layer int
	// Expert is the routed or shared expert's index for per-expert tensors, or -1.
	Expert int
	// Transposed is true where the checkpoint stores [in, out] (GPT-2 Conv1D).
	Transposed bool
	// stemEnd is 1 + the length of the name without its last component
	// when that is a slice of the name (AssignRoles fills it; 0 means find
	// it again). It fits in Transposed's padding.
	stemEnd int32

	// tp is the template of the tensor's path inside its layer (AssignRoles
	// fills it for layer tensors; nil means parse the name again). The
	// first row's also carries the family AssignRoles chose (template.fam),
	// an empty template when that row is outside layers: a per-row family
	// pointer cost 0.7 MB of fresh rows on DeepSeek-V3's ~92,000 tensors.
	tp *template
}

// Evidence says where an inferred value came from.
type Evidence struct {
	// Tensor is the tensor whose shape gave the value.
	Tensor string `json:"tensor,omitempty"`
	// Shape is that tensor's (logical) shape.
	Shape []uint64 `json:"shape,omitempty"`
	// ConfigKey is the config.json key that gave it ("num_key_value_heads").
	ConfigKey string `json:"config_key,omitempty"`
	// Note explains a derivation ("hidden_size / num_attention_heads").
	Note string `json:"note,omitempty"`
}

// IntFact is an inferred integer with its evidence; Known is false when
// neither the shapes nor the config allow it.
type IntFact struct {
	Value    int64    `json:"value"`
	Known    bool     `json:"known"`
	Evidence Evidence `json:"evidence"`
}

// BoolFact is an inferred boolean with its evidence.
type BoolFact struct {
	Value    bool     `json:"value"`
	Known    bool     `json:"known"`
	Evidence Evidence `json:"evidence"`
}

// StringFact is an inferred label with its evidence.
type StringFact struct {
	Value    string   `json:"value"`
	Known    bool     `json:"known"`
	Evidence Evidence `json:"evidence"`
}

// Architecture is what the weights (cross-checked with config.json) say the
// model is. Field names follow Hugging Face config.json keys where one exists.
type Architecture struct {
	// Family is the registered family that matched ("gpt2", "llama", ...).
	Family string `json:"family"`
	// ModelType is config.json's model_type, when present.
	ModelType StringFact `json:"model_type"`

	Layers           IntFact    `json:"num_hidden_layers"`       // l
	Hidden           IntFact    `json:"hidden_size"`             // h
	Vocab            IntFact    `json:"vocab_size"`              // V
	FFN              IntFact    `json:"intermediate_size"`       // f, width of a dense MLP
	GatedMLP         BoolFact   `json:"gated_mlp"`               // three matrices (SwiGLU/GeGLU)
	Heads            IntFact    `json:"num_attention_heads"`     // A
	KVHeads          IntFact    `json:"num_key_value_heads"`     // G
	HeadDim          IntFact    `json:"head_dim"`                // d
	Norm             StringFact `json:"norm"`                    // "layernorm" or "rmsnorm"
	Bias             StringFact `json:"bias"`                    // "none", "qkv", "all", "partial"
	TiedEmbeddings   BoolFact   `json:"tie_word_embeddings"`     //
	LearnedPositions IntFact    `json:"learned_positions"`       // rows of a learned position table, 0 when none
	ParallelBlocks   BoolFact   `json:"parallel_blocks"`         // attention and MLP side by side
	SlidingWindow    IntFact    `json:"sliding_window"`          // from config, when declared
	MaxPositions     IntFact    `json:"max_position_embeddings"` //
	QKNorm           BoolFact   `json:"qk_norm"`                 // per-head Q/K norms (Qwen3)

	// EncoderLayers is the encoder's depth for encoder-decoder models (T5);
	// Layers is then the decoder's.
	EncoderLayers IntFact `json:"num_encoder_layers"`

	MoE    *MoE     `json:"moe,omitempty"`
	MLA    *MLA     `json:"mla,omitempty"`
	Extras []Module `json:"extra_modules,omitempty"`

	Findings []findings.Finding `json:"findings,omitempty"`
}

// MoE describes a mixture-of-experts model.
type MoE struct {
	Experts       IntFact `json:"n_routed_experts"`      // E
	TopK          IntFact `json:"num_experts_per_tok"`   // k
	SharedExperts IntFact `json:"n_shared_experts"`      //
	ExpertFFN     IntFact `json:"moe_intermediate_size"` // width of one routed expert
	SharedFFN     IntFact `json:"shared_intermediate_size"`
	// DenseLayers are the layer indices with a dense MLP instead of experts.
	DenseLayers []int `json:"dense_layers"`
	// MoELayers are the layer indices with experts.
	MoELayers []int `json:"moe_layers"`
}

// MLA describes multi-head latent attention (DeepSeek-V2/V3).
type MLA struct {
	QLoRARank     IntFact `json:"q_lora_rank"`
	KVLoRARank    IntFact `json:"kv_lora_rank"`
	QKNopeHeadDim IntFact `json:"qk_nope_head_dim"`
	QKRopeHeadDim IntFact `json:"qk_rope_head_dim"`
	VHeadDim      IntFact `json:"v_head_dim"`
}

// Module is a part of the checkpoint kept apart from the language model
// (a vision tower, multi-token-prediction layers).
type Module struct {
	Name    string `json:"name"`
	Tensors int    `json:"tensors"`
	Params  uint64 `json:"params"`
}
