package estimate

import "math/big"

// TextbookForwardFLOPs is the article's forward pass over b sequences of s
// tokens (section 3, counting 2mnp per [m,n]×[n,p] product): per layer
// QKV 6bsh², QKᵀ 2bs²h, score·V 2bs²h, output 2bsh², MLP 16bsh², so
// l·(24bsh² + 4bs²h), plus the logits 2bshV.
func TextbookForwardFLOPs(l, h, v, b, s uint64) *big.Int {
	layer := sum(prod(24, b, s, h, h), prod(4, b, s, s, h))
	return sum(scale(l, layer), prod(2, b, s, h, v))
}

// KorthikantiTrainingFLOPs is Korthikanti et al. 2022's training count
// 72bslh²(1 + s/(6h) + V/(12hl)), expanded to integers:
// 72bslh² + 12bs²lh + 6bshV. It equals three times TextbookForwardFLOPs.
func KorthikantiTrainingFLOPs(l, h, v, b, s uint64) *big.Int {
	return sum(prod(72, b, s, l, h, h), prod(12, b, s, s, l, h), prod(6, b, s, h, v))
}

// forwardParts is one forward pass split the way recomputation needs it.
type forwardParts struct {
	// Layers is every decoder layer's FLOPs.
	Layers *big.Int
	// Core is the part of Layers inside attention (QKᵀ and score·V), what
	// selective recomputation repeats.
	Core *big.Int
	// Logits is the output layer, 2bshV.
	Logits *big.Int
}

func (f forwardParts) total() *big.Int { return sum(f.Layers, f.Logits) }

// textbookForward splits TextbookForwardFLOPs.
func textbookForward(m *Model, b, s uint64) forwardParts {
	l, h := m.Layers, m.Hidden
	return forwardParts{
		Layers: scale(l, sum(prod(24, b, s, h, h), prod(4, b, s, s, h))),
		Core:   prod(4, l, b, s, s, h),
		Logits: prod(2, b, s, h, m.Vocab),
	}
}

// correctedForward counts the forward pass of the model as it is: QKV
// 2bsh·(A·d + 2G·d), scores 2bs²·A·d_qk + 2bs²·A·d_v, output 2bs·A·d_v·h,
// a gated MLP 6bshf (two matrices: 4bshf), top-k routed experts plus shared
// ones plus the router 2bshE for MoE layers, MLA's down and up projections,
// and the logits 2bshV. Like the article it counts the full s×s score
// matrix (no saving from the causal mask or a sliding window).
func correctedForward(m *Model, b, s uint64) forwardParts {
	h, a, g, d := m.Hidden, m.Heads, m.KVHeads, m.HeadDim
	bs := b * s
	var proj *big.Int
	if x := m.MLA; x != nil {
		qk := x.QKNopeHeadDim + x.QKRopeHeadDim
		if x.QLoRARank > 0 {
			proj = sum(prod(2, bs, h, x.QLoRARank), prod(2, bs, x.QLoRARank, a, qk))
		} else {
			proj = prod(2, bs, h, a, qk)
		}
		proj.Add(proj, prod(2, bs, h, x.KVLoRARank+x.QKRopeHeadDim))
		proj.Add(proj, prod(2, bs, x.KVLoRARank, a, x.QKNopeHeadDim+x.VHeadDim))
	} else {
		proj = prod(2, bs, h, a*d+2*g*d)
	}
	core := sum(prod(2, bs, s, a, m.attnQKDim()), prod(2, bs, s, a, m.attnVDim()))
	attn := sum(proj, core, prod(2, bs, a, m.attnVDim(), h))

	mm := m.mlpMatrices()
	dense := sum(attn, prod(2*mm, bs, h, m.FFN))
	layers := scale(m.Layers-m.moeLayers(), dense)
	if m.moeLayers() > 0 {
		moe := sum(attn, prod(2*mm, bs, h, m.ExpertFFN, m.TopK),
			prod(2*mm, bs, h, m.SharedFFN, m.SharedExperts), prod(2, bs, h, m.Experts))
		layers.Add(layers, scale(m.moeLayers(), moe))
	}
	return forwardParts{
		Layers: layers,
		Core:   scale(m.Layers, core),
		Logits: prod(2, bs, h, m.Vocab),
	}
}

// trainingFLOPs is one training step from a forward pass: backward costs
// twice the forward (3× in all); full recomputation runs the layers'
// forward once more (4× layers + 3× logits, the logits are not
// recomputed); selective recomputation repeats only the attention core
// (Korthikanti et al. 2022, section 5).
func trainingFLOPs(f forwardParts, r Recompute) *big.Int {
	t := scale(3, f.total())
	switch r {
	case RecomputeFull:
		t.Add(t, f.Layers)
	case RecomputeSelective:
		t.Add(t, f.Core)
	}
	return t
}

// perToken divides an exact count by the tokens it covers.
func perToken(x *big.Int, tokens uint64) *big.Int {
	return new(big.Int).Quo(x, n(tokens))
}
