package estimate

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Model is the hyper-parameters the estimates need. It is filled from
// flags for paper work or from an inferred architecture by
// FromArchitecture. Zero means "not given"; Normalize fills the textbook
// assumption and says so in Notes. Names follow Hugging Face config.json
// keys in their comments.
type Model struct {
	// Name says what the model is (a path or "hyper-parameters").
	Name string

	Layers  uint64 // l, num_hidden_layers
	Hidden  uint64 // h, hidden_size
	Vocab   uint64 // V, vocab_size
	Heads   uint64 // A (the article's a), num_attention_heads
	KVHeads uint64 // G, num_key_value_heads; 0: G = A (multi-head attention)
	HeadDim uint64 // d, head_dim; 0: h / A
	FFN     uint64 // f, intermediate_size; 0: 4h (the article's MLP)
	// Gated is true for a three-matrix MLP (SwiGLU, GeGLU).
	Gated bool

	Experts       uint64 // E, n_routed_experts / num_local_experts; 0: dense model
	TopK          uint64 // k, num_experts_per_tok
	SharedExperts uint64 // n_shared_experts
	ExpertFFN     uint64 // moe_intermediate_size; 0: FFN
	SharedFFN     uint64 // width of one shared expert; 0: ExpertFFN
	DenseLayers   uint64 // how many layers keep a dense MLP (first_k_dense_replace)

	// MLA is set for multi-head latent attention (DeepSeek-V2/V3).
	MLA *MLA

	// SlidingWindow caps the keys a layer attends to (sliding_window);
	// 0 when the model declares none.
	SlidingWindow uint64
	// TiedEmbeddings is true when the output layer shares the embedding
	// (tie_word_embeddings), as the article assumes.
	TiedEmbeddings bool
	// LearnedPositions is the rows of a learned position table (GPT-2/3:
	// n_ctx); 0 for RoPE and ALiBi, which add no parameters.
	LearnedPositions uint64
	// Norm is "layernorm" (γ and β, the article's) or "rmsnorm" (γ only).
	Norm string
	// Biases is "all" (the article's), "qkv" (Qwen2) or "none" (Llama).
	Biases string
	// QKNorm adds per-head Q and K norms of size d (Qwen3).
	QKNorm bool

	// ParamCount is the real parameter count when known (a checkpoint's
	// logical parameters, or Φ given for paper work); 0: counted from the
	// hyper-parameters.
	ParamCount uint64
	// ParamSource says where ParamCount came from ("the checkpoint's
	// logical parameters", "--params").
	ParamSource string
	// ParamBytes is the checkpoint's stored parameter bytes; 0 when unknown.
	ParamBytes uint64

	// Notes say which values were assumed and why.
	Notes []string
}

// MLA holds the ranks of multi-head latent attention (DeepSeek-V2/V3
// config.json keys).
type MLA struct {
	QLoRARank     uint64 // q_lora_rank; 0: Q is projected directly
	KVLoRARank    uint64 // kv_lora_rank
	QKNopeHeadDim uint64 // qk_nope_head_dim
	QKRopeHeadDim uint64 // qk_rope_head_dim
	VHeadDim      uint64 // v_head_dim
}

// Norm types and bias layouts Model accepts.
const (
	NormLayer = "layernorm"
	NormRMS   = "rmsnorm"

	BiasAll  = "all"
	BiasQKV  = "qkv"
	BiasNone = "none"
)

// maxDim bounds every hyper-parameter, and maxWork every workload size,
// so that the few products computed in uint64 (a·d, b·s, s+n) cannot
// overflow; everything larger goes through math/big. 2^24 (16.7 million)
// is far above any real width, depth or vocabulary; 2^31 above any batch
// or context length.
const (
	maxDim  = 1 << 24
	maxWork = 1 << 31
)

// ErrModel is wrapped by every error Normalize returns.
var ErrModel = errors.New("invalid hyper-parameters")

// Normalize checks m and returns a copy with every unset value replaced by
// the article's assumption, each replacement recorded in Notes.
func (m Model) Normalize() (Model, error) {
	need := []struct {
		name string
		v    uint64
	}{{"layers", m.Layers}, {"hidden", m.Hidden}, {"vocab", m.Vocab}, {"heads", m.Heads}}
	for _, n := range need {
		if n.v == 0 {
			return m, fmt.Errorf("%w: %s must be positive", ErrModel, n.name)
		}
	}
	dims := []struct {
		name string
		v    uint64
	}{
		{"layers", m.Layers}, {"hidden", m.Hidden}, {"vocab", m.Vocab}, {"heads", m.Heads},
		{"kv-heads", m.KVHeads}, {"head-dim", m.HeadDim}, {"ffn", m.FFN}, {"experts", m.Experts},
		{"top-k", m.TopK}, {"shared-experts", m.SharedExperts}, {"expert-ffn", m.ExpertFFN},
		{"shared-ffn", m.SharedFFN}, {"dense-layers", m.DenseLayers}, {"sliding-window", m.SlidingWindow},
		{"learned-positions", m.LearnedPositions},
	}
	if m.MLA != nil {
		dims = append(dims, []struct {
			name string
			v    uint64
		}{{"q-lora-rank", m.MLA.QLoRARank}, {"kv-lora-rank", m.MLA.KVLoRARank},
			{"qk-nope-head-dim", m.MLA.QKNopeHeadDim}, {"qk-rope-head-dim", m.MLA.QKRopeHeadDim},
			{"v-head-dim", m.MLA.VHeadDim}}...)
	}
	for _, d := range dims {
		if d.v > maxDim {
			return m, fmt.Errorf("%w: %s %d is over the limit %d", ErrModel, d.name, d.v, uint64(maxDim))
		}
	}
	m.Notes = append([]string(nil), m.Notes...)
	note := func(format string, args ...any) { m.Notes = append(m.Notes, fmt.Sprintf(format, args...)) }

	if m.KVHeads == 0 {
		m.KVHeads = m.Heads
	}
	if m.KVHeads > m.Heads || m.Heads%m.KVHeads != 0 {
		return m, fmt.Errorf("%w: kv-heads %d must divide heads %d", ErrModel, m.KVHeads, m.Heads)
	}
	if m.HeadDim == 0 {
		if m.Hidden%m.Heads != 0 {
			return m, fmt.Errorf("%w: hidden %d is not a multiple of heads %d; give the head size", ErrModel, m.Hidden, m.Heads)
		}
		m.HeadDim = m.Hidden / m.Heads
	}
	if m.FFN == 0 {
		// The article's MLP: W1 [h, 4h], W2 [4h, h].
		m.FFN = 4 * m.Hidden
		note("MLP width f not given: assumed 4h = %d (the article's MLP)", m.FFN)
	}
	if m.Experts > 0 {
		if m.TopK == 0 || m.TopK > m.Experts {
			return m, fmt.Errorf("%w: top-k %d must be between 1 and experts %d", ErrModel, m.TopK, m.Experts)
		}
		if m.ExpertFFN == 0 {
			m.ExpertFFN = m.FFN
		}
		if m.SharedExperts > 0 && m.SharedFFN == 0 {
			m.SharedFFN = m.ExpertFFN
		}
		if m.DenseLayers > m.Layers {
			return m, fmt.Errorf("%w: dense-layers %d is more than layers %d", ErrModel, m.DenseLayers, m.Layers)
		}
	} else if m.TopK != 0 || m.SharedExperts != 0 || m.DenseLayers != 0 {
		return m, fmt.Errorf("%w: top-k, shared experts and dense layers need experts", ErrModel)
	}
	if m.MLA != nil {
		x := *m.MLA
		if x.KVLoRARank == 0 || x.QKNopeHeadDim+x.QKRopeHeadDim == 0 || x.VHeadDim == 0 {
			return m, fmt.Errorf("%w: latent attention needs kv-lora-rank, qk head sizes and v-head-dim", ErrModel)
		}
		m.MLA = &x
	}
	switch m.Norm {
	case NormLayer, NormRMS:
	case "":
		m.Norm = NormLayer
		note("norm type not known: assumed LayerNorm with γ and β (the article's)")
	default:
		return m, fmt.Errorf("%w: norm %q: want layernorm or rmsnorm", ErrModel, m.Norm)
	}
	switch m.Biases {
	case BiasAll, BiasQKV, BiasNone:
	case "":
		m.Biases = BiasAll
		note("bias layout not known: assumed biases in every linear layer (the article's)")
	default:
		return m, fmt.Errorf("%w: biases %q: want all, qkv or none", ErrModel, m.Biases)
	}
	return m, nil
}

// attnQKDim is the width of one head's query and key: d, or for latent
// attention qk_nope_head_dim + qk_rope_head_dim.
func (m *Model) attnQKDim() uint64 {
	if m.MLA != nil {
		return m.MLA.QKNopeHeadDim + m.MLA.QKRopeHeadDim
	}
	return m.HeadDim
}

// attnVDim is the width of one head's value: d, or v_head_dim for MLA.
func (m *Model) attnVDim() uint64 {
	if m.MLA != nil {
		return m.MLA.VHeadDim
	}
	return m.HeadDim
}

// moeLayers is the number of layers whose MLP is a set of experts.
func (m *Model) moeLayers() uint64 {
	if m.Experts == 0 {
		return 0
	}
	return m.Layers - m.DenseLayers
}

// mlpMatrices is 3 for a gated MLP (gate, up, down), 2 otherwise.
func (m *Model) mlpMatrices() uint64 {
	if m.Gated {
		return 3
	}
	return 2
}

// normParams is the size of one norm: γ and β for LayerNorm, γ for RMSNorm.
func (m *Model) normParams() uint64 {
	if m.Norm == NormRMS {
		return m.Hidden
	}
	return 2 * m.Hidden
}

// Describe gives the hyper-parameters in one line, config.json-style.
func (m *Model) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "l=%d h=%d V=%d A=%d G=%d d=%d f=%d", m.Layers, m.Hidden, m.Vocab, m.Heads, m.KVHeads, m.HeadDim, m.FFN)
	if m.Gated {
		b.WriteString(" gated")
	}
	if m.Experts > 0 {
		fmt.Fprintf(&b, " E=%d k=%d", m.Experts, m.TopK)
		if m.SharedExperts > 0 {
			fmt.Fprintf(&b, " shared=%d", m.SharedExperts)
		}
		if m.ExpertFFN != m.FFN {
			fmt.Fprintf(&b, " expert_f=%d", m.ExpertFFN)
		}
		if m.DenseLayers > 0 {
			fmt.Fprintf(&b, " dense_layers=%d", m.DenseLayers)
		}
	}
	if m.MLA != nil {
		fmt.Fprintf(&b, " mla(q_rank=%d kv_rank=%d nope=%d rope=%d v=%d)", m.MLA.QLoRARank, m.MLA.KVLoRARank,
			m.MLA.QKNopeHeadDim, m.MLA.QKRopeHeadDim, m.MLA.VHeadDim)
	}
	if m.SlidingWindow > 0 {
		fmt.Fprintf(&b, " window=%d", m.SlidingWindow)
	}
	fmt.Fprintf(&b, " norm=%s bias=%s", m.Norm, m.Biases)
	if m.TiedEmbeddings {
		b.WriteString(" tied")
	} else {
		b.WriteString(" untied")
	}
	if m.LearnedPositions > 0 {
		fmt.Fprintf(&b, " positions=%d", m.LearnedPositions)
	}
	return b.String()
}

// n returns x as a new big.Int.
func n(x uint64) *big.Int { return new(big.Int).SetUint64(x) }

// prod multiplies its arguments exactly.
func prod(xs ...uint64) *big.Int {
	p := big.NewInt(1)
	var t big.Int
	for _, x := range xs {
		p.Mul(p, t.SetUint64(x))
	}
	return p
}

// sum adds its arguments into a new big.Int.
func sum(xs ...*big.Int) *big.Int {
	s := new(big.Int)
	for _, x := range xs {
		s.Add(s, x)
	}
	return s
}

// scale returns k·x as a new big.Int.
func scale(k uint64, x *big.Int) *big.Int { return new(big.Int).Mul(n(k), x) }
