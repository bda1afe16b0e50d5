package estimate

import (
	"errors"
	"fmt"

	"github.com/paramscope/paramscope/analysis"
	"github.com/paramscope/paramscope/analysis/quant"
)

// ErrArchitecture is returned by FromArchitecture when the analysis could
// not tell l, h, V or A, without which no estimate exists.
var ErrArchitecture = errors.New("architecture not known")

// FromArchitecture builds the estimates' model from an inferred
// architecture and the checkpoint's totals (logical parameters and stored
// parameter bytes). A value the analysis could not tell falls back to the
// article's assumption, with a note saying so.
func FromArchitecture(name string, a *analysis.Architecture, t quant.Totals) (Model, error) {
	if a == nil {
		return Model{}, fmt.Errorf("%s: %w: the analysis inferred no architecture", name, ErrArchitecture)
	}
	m := Model{Name: name, ParamCount: t.LogicalParams, ParamBytes: t.ParamBytes,
		ParamSource: "the checkpoint's logical parameters (packed weights unpacked, tied copies once)"}
	note := func(format string, args ...any) { m.Notes = append(m.Notes, fmt.Sprintf(format, args...)) }
	need := []struct {
		key string
		f   analysis.IntFact
		dst *uint64
	}{
		{"num_hidden_layers", a.Layers, &m.Layers},
		{"hidden_size", a.Hidden, &m.Hidden},
		{"vocab_size", a.Vocab, &m.Vocab},
	}
	for _, x := range need {
		v, ok := known(x.f)
		if !ok {
			return Model{}, fmt.Errorf("%s: %w: %s", name, ErrArchitecture, x.key)
		}
		*x.dst = v
	}
	// Extra modules (DeepSeek-V3's multi-token-prediction layers, a vision
	// tower) are not run per generated token: leave them out of Φ.
	for _, x := range a.Extras {
		if x.Params > 0 && x.Params < m.ParamCount {
			m.ParamCount -= x.Params
			note("%d parameters of the extra module %q are left out of Φ: the estimates cover the language model", x.Params, x.Name)
		}
	}
	if v, ok := known(a.EncoderLayers); ok {
		note("encoder-decoder model: the estimates cover the %d decoder layers; Φ still counts the %d encoder layers", m.Layers, v)
	}
	if v, ok := known(a.Heads); ok {
		m.Heads = v
	} else if d, ok := known(a.HeadDim); ok && m.Hidden%d == 0 {
		m.Heads = m.Hidden / d
		note("num_attention_heads not known: h / head_dim = %d", m.Heads)
	} else if m.Hidden%128 == 0 {
		// 128 is GPT-3 175B's and the Llama family's head size.
		m.Heads = m.Hidden / 128
		note("num_attention_heads not known: assumed head size 128, A = %d", m.Heads)
	} else {
		return Model{}, fmt.Errorf("%s: %w: num_attention_heads", name, ErrArchitecture)
	}
	if v, ok := known(a.KVHeads); ok {
		m.KVHeads = v
	} else {
		note("num_key_value_heads not known: assumed G = A (multi-head attention, the article's)")
	}
	if v, ok := known(a.HeadDim); ok {
		m.HeadDim = v
	} else {
		note("head_dim not known: assumed h / A (the article's)")
	}
	if v, ok := known(a.FFN); ok {
		m.FFN = v
	}
	if a.GatedMLP.Known {
		m.Gated = a.GatedMLP.Value
	} else {
		note("gated MLP not known: assumed two matrices (the article's)")
	}
	if a.TiedEmbeddings.Known {
		m.TiedEmbeddings = a.TiedEmbeddings.Value
	} else {
		m.TiedEmbeddings = true
		note("tie_word_embeddings not known: assumed tied (the article's)")
	}
	if v, ok := known(a.LearnedPositions); ok {
		m.LearnedPositions = v
	}
	if v, ok := known(a.SlidingWindow); ok {
		m.SlidingWindow = v
	}
	switch {
	case a.Norm.Known && (a.Norm.Value == NormLayer || a.Norm.Value == NormRMS):
		m.Norm = a.Norm.Value
	case a.Norm.Known:
		m.Norm = NormLayer
		note("norm %q is neither LayerNorm nor RMSNorm: counted as LayerNorm (the article's)", a.Norm.Value)
	}
	switch {
	case a.Bias.Known && (a.Bias.Value == BiasAll || a.Bias.Value == BiasQKV || a.Bias.Value == BiasNone):
		m.Biases = a.Bias.Value
	case a.Bias.Known:
		m.Biases = BiasAll
		note("biases are %q: the parameter count comes from the checkpoint, the estimates assume biases everywhere", a.Bias.Value)
	}
	if a.QKNorm.Known {
		m.QKNorm = a.QKNorm.Value
	}
	if e := a.MoE; e != nil {
		if v, ok := known(e.Experts); ok {
			m.Experts = v
			if k, ok := known(e.TopK); ok {
				m.TopK = k
			} else {
				m.TopK = 2
				note("num_experts_per_tok not known: assumed 2 (Mixtral's)")
			}
			m.SharedExperts, _ = known(e.SharedExperts)
			m.ExpertFFN, _ = known(e.ExpertFFN)
			// The analysis gives the shared MLP's whole width (DeepSeek-V2:
			// 2 shared experts stored as one MLP of 2 × 1536); Model wants
			// one shared expert's.
			if w, ok := known(e.SharedFFN); ok && m.SharedExperts > 0 {
				if w%m.SharedExperts == 0 {
					m.SharedFFN = w / m.SharedExperts
				} else {
					m.SharedExperts, m.SharedFFN = 1, w
				}
			} else if m.SharedExperts > 0 {
				note("shared expert width not known: assumed the routed experts' width")
			}
			if len(e.MoELayers) > 0 && uint64(len(e.MoELayers)) <= m.Layers {
				m.DenseLayers = m.Layers - uint64(len(e.MoELayers))
			} else {
				m.DenseLayers = uint64(len(e.DenseLayers))
			}
		} else {
			note("n_routed_experts not known: estimated as a dense model")
		}
	}
	if x := a.MLA; x != nil {
		mla := MLA{}
		mla.QLoRARank, _ = known(x.QLoRARank)
		mla.KVLoRARank, _ = known(x.KVLoRARank)
		mla.QKNopeHeadDim, _ = known(x.QKNopeHeadDim)
		mla.QKRopeHeadDim, _ = known(x.QKRopeHeadDim)
		mla.VHeadDim, _ = known(x.VHeadDim)
		m.MLA = &mla
	}
	return m, nil
}

// known returns a fact's value when it is known and positive.
func known(f analysis.IntFact) (uint64, bool) {
	if !f.Known || f.Value <= 0 {
		return 0, false
	}
	return uint64(f.Value), true
}
