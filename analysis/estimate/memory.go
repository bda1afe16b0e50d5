package estimate

import (
	"fmt"
	"math/big"
)

// DType is a storage type for weights or the KV cache.
type DType struct {
	// Name is the flag's spelling ("bf16", "int4", "stored").
	Name string
	// Bits per element; 0 for "stored" (the checkpoint's own bytes).
	Bits uint64
}

// DTypes are the storage types estimates accept, by name.
var DTypes = []DType{
	{"bf16", 16}, {"fp16", 16}, {"fp32", 32}, {"fp8", 8}, {"int8", 8}, {"int4", 4},
}

// Stored means "as the checkpoint stores its parameters".
var Stored = DType{Name: "stored"}

// ParseDType finds a storage type by name; "stored" is accepted when
// allowStored is true.
func ParseDType(name string, allowStored bool) (DType, error) {
	if name == Stored.Name && allowStored {
		return Stored, nil
	}
	for _, d := range DTypes {
		if d.Name == name {
			return d, nil
		}
	}
	if allowStored {
		return DType{}, fmt.Errorf("want bf16, fp16, fp32, fp8, int8, int4 or stored, got %q", name)
	}
	return DType{}, fmt.Errorf("want bf16, fp16, fp32, fp8, int8 or int4, got %q", name)
}

// perElement says the bytes per element for formulas ("2 bytes", "0.5 bytes").
func (d DType) perElement() string {
	if d.Bits%8 == 0 {
		return fmt.Sprintf("%d bytes", d.Bits/8)
	}
	return fmt.Sprintf("%g bytes", float64(d.Bits)/8)
}

// bytesFor is the bytes of x elements of d, rounded up to whole bytes.
func (d DType) bytesFor(x *big.Int) *big.Int {
	b := new(big.Int).Mul(x, n(d.Bits))
	b.Add(b, n(7))
	return b.Quo(b, n(8))
}

// Recompute is the activation recomputation strategy.
type Recompute string

// Recomputation strategies of Korthikanti et al. 2022.
const (
	RecomputeNone      Recompute = "none"
	RecomputeSelective Recompute = "selective" // drop and recompute the attention core
	RecomputeFull      Recompute = "full"      // keep only each layer's input
)

// Optimizer is a convention for the bytes per parameter of mixed-precision
// AdamW training, split into weights, gradients and optimizer states.
type Optimizer struct {
	Name     string `json:"name"`
	Weights  uint64 `json:"weight_bytes"`
	Grads    uint64 `json:"gradient_bytes"`
	States   uint64 `json:"optimizer_bytes"`
	Source   string `json:"source"`
	Describe string `json:"description"`
}

// PerParam is the convention's bytes per parameter.
func (o Optimizer) PerParam() uint64 { return o.Weights + o.Grads + o.States }

// Optimizers are the conventions offered by name; the first is the default.
var Optimizers = []Optimizer{
	{
		Name: "article", Weights: 6, Grads: 6, States: 8,
		Source:   "the article, section 2.1",
		Describe: "fp16+fp32 weights (2+4), fp16+fp32 gradients (2+4), Adam moments (4+4)",
	},
	{
		Name: "zero-16bit-grads", Weights: 2, Grads: 2, States: 12,
		Source:   "Rajbhandari et al. 2020 (ZeRO), section 3.1",
		Describe: "fp16 weights (2), fp16 gradients (2), fp32 master weights and Adam moments (4+4+4)",
	},
	{
		Name: "hf", Weights: 6, Grads: 4, States: 8,
		Source:   "Hugging Face docs, model training anatomy",
		Describe: "fp32+fp16 weights (4+2), fp32 gradients (4), Adam moments (4+4)",
	},
}

// ParseOptimizer finds a convention by name or by its bytes per parameter
// ("20", "16", "18").
func ParseOptimizer(s string) (Optimizer, error) {
	for _, o := range Optimizers {
		if s == o.Name || s == fmt.Sprint(o.PerParam()) {
			return o, nil
		}
	}
	return Optimizer{}, fmt.Errorf("want article (20), zero-16bit-grads (16) or hf (18), got %q", s)
}

// activation is one layer's activation bytes in the three parts that
// parallelism treats differently (Korthikanti et al. 2022, section 4):
// Replicated is kept whole on every tensor-parallel rank unless sequence
// parallelism splits it (the layer and MLP inputs, the norms' inputs, the
// dropout masks after attention and MLP: 10sbh in the textbook); Parallel
// is split by tensor parallelism (24sbh); Scores is the attention score,
// softmax and dropout tensors, split by tensor parallelism and dropped by
// selective recomputation (5as²b).
type activation struct {
	Replicated, Parallel, Scores *big.Int
	Input                        *big.Int // 2sbh, what full recomputation keeps
}

// textbookActivation is the article's 34bsh + 5bs²a split as above.
func textbookActivation(m *Model, b, s uint64) activation {
	h := m.Hidden
	return activation{
		Replicated: prod(10, b, s, h),
		Parallel:   prod(24, b, s, h),
		Scores:     prod(5, b, s, s, m.Heads),
		Input:      prod(2, b, s, h),
	}
}

// correctedActivation counts the same tensors at the model's real widths,
// keeping the article's 16-bit activations and 1-byte dropout masks:
// Q 2bs·A·d_qk, K 2bs·G·d_qk, V 2bs·G·d_v, output-projection input
// 2bs·A·d_v; an MLP stores its outputs before and after the activation
// (4bsf) or, gated, gate, up, activation and product (8bsf), for each of
// the top-k and shared experts of an MoE layer; MLA also stores its two
// latents (2bs·(q_rank + kv_rank)) and its K and V are per head (A, not G).
// It returns a dense layer's and an MoE layer's activations.
func correctedActivation(m *Model, b, s uint64) (dense, moe activation) {
	h, a, g := m.Hidden, m.Heads, m.KVHeads
	bs := b * s
	qk, v := m.attnQKDim(), m.attnVDim()
	replicated := prod(10, bs, h)
	kvHeads := g
	if m.MLA != nil {
		kvHeads = a
		replicated.Add(replicated, prod(2, bs, m.MLA.QLoRARank+m.MLA.KVLoRARank))
	}
	attn := sum(prod(2, bs, a, qk), prod(2, bs, kvHeads, qk), prod(2, bs, kvHeads, v), prod(2, bs, a, v))
	perF := uint64(4)
	if m.Gated {
		perF = 8
	}
	dense = activation{
		Replicated: replicated,
		Parallel:   sum(attn, prod(perF, bs, m.FFN)),
		Scores:     prod(5, bs, s, a),
		Input:      prod(2, bs, h),
	}
	moe = dense
	moe.Parallel = sum(attn, prod(perF, bs, m.ExpertFFN, m.TopK), prod(perF, bs, m.SharedFFN, m.SharedExperts))
	return dense, moe
}

// perRank applies tensor parallelism t, sequence parallelism and
// recomputation to an activation (Korthikanti et al. 2022, table 2):
// none: sbh(10 + 24/t + 5as/(ht)); with sp: sbh(34/t + 5as/(ht));
// selective: sbh(10 + 24/t), with sp sbh·34/t; full: 2sbh. Bytes are
// rounded up when t does not divide them.
func (x activation) perRank(t uint64, sp bool, r Recompute) *big.Int {
	if r == RecomputeFull {
		return new(big.Int).Set(x.Input)
	}
	split := new(big.Int).Set(x.Parallel)
	if r != RecomputeSelective {
		split.Add(split, x.Scores)
	}
	kept := new(big.Int)
	if sp {
		split.Add(split, x.Replicated)
	} else {
		kept.Set(x.Replicated)
	}
	return kept.Add(kept, ceilDiv(split, t))
}

// ceilDiv is ⌈x / t⌉.
func ceilDiv(x *big.Int, t uint64) *big.Int {
	q := new(big.Int).Add(x, n(t-1))
	return q.Quo(q, n(t))
}

// textbookKV is the article's KV cache (section 5), 2·B·blh(s+n) for B
// bytes per element: 4blh(s+n) in fp16.
func textbookKV(m *Model, d DType, b, tokens uint64) *big.Int {
	return d.bytesFor(prod(2, b, m.Layers, m.Hidden, tokens))
}

// correctedKV stores only the G key/value heads of size d:
// 2·B·b·(s+n)·l·G·d; MLA stores its compressed latent plus the rotary key,
// B·b·(s+n)·l·(kv_lora_rank + qk_rope_head_dim); a sliding window caps the
// tokens kept at the window.
func correctedKV(m *Model, d DType, b, tokens uint64) *big.Int {
	if m.SlidingWindow > 0 && tokens > m.SlidingWindow {
		tokens = m.SlidingWindow
	}
	if m.MLA != nil {
		return d.bytesFor(prod(b, tokens, m.Layers, m.MLA.KVLoRARank+m.MLA.QKRopeHeadDim))
	}
	return d.bytesFor(prod(2, b, tokens, m.Layers, m.KVHeads, m.HeadDim))
}
