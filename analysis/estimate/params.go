package estimate

import "math/big"

// TextbookParams is the article's equation for the parameter count,
// 12lh² + 13lh + Vh (section 2: per layer 4h² + 4h attention, 8h² + 5h MLP,
// 4h for two LayerNorms; the embedding tied to the output layer).
func TextbookParams(l, h, v uint64) *big.Int {
	layer := sum(prod(12, h, h), prod(13, h))
	return sum(scale(l, layer), prod(v, h))
}

// attentionParams counts one layer's attention weights and biases.
func (m *Model) attentionParams() *big.Int {
	h, a, g, d := m.Hidden, m.Heads, m.KVHeads, m.HeadDim
	if m.MLA != nil {
		x := m.MLA
		qk := x.QKNopeHeadDim + x.QKRopeHeadDim
		var q *big.Int
		if x.QLoRARank > 0 {
			// q_a_proj [q_rank, h], q_a_layernorm [q_rank], q_b_proj [A·qk, q_rank].
			q = sum(prod(h, x.QLoRARank), n(x.QLoRARank), prod(x.QLoRARank, a, qk))
		} else {
			q = prod(h, a, qk) // q_proj [A·qk, h]
		}
		// kv_a_proj_with_mqa [kv_rank + rope, h], kv_a_layernorm [kv_rank],
		// kv_b_proj [A·(nope + v), kv_rank], o_proj [h, A·v].
		kv := sum(prod(h, x.KVLoRARank+x.QKRopeHeadDim), n(x.KVLoRARank),
			prod(x.KVLoRARank, a, x.QKNopeHeadDim+x.VHeadDim))
		return sum(q, kv, prod(a, x.VHeadDim, h))
	}
	// Q [A·d, h], K and V [G·d, h], O [h, A·d] (FORMULAS.md §1, GQA and head size).
	w := sum(prod(2, h, a, d), prod(2, h, g, d))
	switch m.Biases {
	case BiasAll:
		w.Add(w, n(a*d+2*g*d+h))
	case BiasQKV:
		w.Add(w, n(a*d+2*g*d))
	}
	if m.QKNorm {
		w.Add(w, n(2*d)) // q_norm and k_norm of size d (Qwen3)
	}
	return w
}

// denseMLPParams counts a dense MLP of width f: two matrices and, with the
// article's biases, f + h of them; three matrices when gated.
func (m *Model) denseMLPParams(f uint64) *big.Int {
	w := prod(m.mlpMatrices(), m.Hidden, f)
	if m.Biases == BiasAll {
		w.Add(w, n((m.mlpMatrices()-1)*f+m.Hidden))
	}
	return w
}

// expertParams counts one routed expert (a full MLP of width ExpertFFN,
// without biases, as Mixtral and DeepSeek store them).
func (m *Model) expertParams() *big.Int { return prod(m.mlpMatrices(), m.Hidden, m.ExpertFFN) }

// sharedParams counts the shared experts of one MoE layer.
func (m *Model) sharedParams() *big.Int {
	return prod(m.SharedExperts, m.mlpMatrices(), m.Hidden, m.SharedFFN)
}

// Params is the parameter count with its parts.
type Params struct {
	// Total counts every parameter of the language model.
	Total *big.Int
	// Active counts what one token uses: Total minus the routed experts
	// it skips (E - k per MoE layer); equal to Total for dense models.
	Active *big.Int
}

// CountParams counts the model's parameters from its hyper-parameters: the
// textbook's terms replaced by the real ones (FORMULAS.md §1, "Where real
// checkpoints leave the textbook"), final norm included.
func (m *Model) CountParams() Params {
	h := m.Hidden
	layer := sum(m.attentionParams(), n(2*m.normParams()))
	dense := new(big.Int).Add(layer, m.denseMLPParams(m.FFN))
	total := scale(m.Layers-m.moeLayers(), dense)
	if m.moeLayers() > 0 {
		// Each MoE layer: E routed experts, a router [E, h], shared experts.
		moe := sum(layer, scale(m.Experts, m.expertParams()), prod(m.Experts, h), m.sharedParams())
		total.Add(total, scale(m.moeLayers(), moe))
	}
	total.Add(total, prod(m.Vocab, h)) // embedding
	if !m.TiedEmbeddings {
		total.Add(total, prod(m.Vocab, h)) // separate lm_head
	}
	total.Add(total, prod(m.LearnedPositions, h))
	total.Add(total, n(m.normParams())) // final norm
	return Params{Total: total, Active: new(big.Int).Sub(total, m.inactiveParams())}
}

// inactiveParams is what one token skips: E - k routed experts per MoE layer.
func (m *Model) inactiveParams() *big.Int {
	if m.moeLayers() == 0 {
		return new(big.Int)
	}
	return scale(m.moeLayers()*(m.Experts-m.TopK), m.expertParams())
}

// RealParams is the count the estimates use for "this model": ParamCount
// when given (the checkpoint's logical parameters), otherwise CountParams;
// active = total minus the skipped experts either way.
func (m *Model) RealParams() Params {
	p := m.CountParams()
	if m.ParamCount == 0 {
		return p
	}
	total := n(m.ParamCount)
	active := new(big.Int).Sub(total, m.inactiveParams())
	if active.Sign() < 0 {
		active = new(big.Int).Set(total)
	}
	return Params{Total: total, Active: active}
}
