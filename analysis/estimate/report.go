package estimate

import (
	"errors"
	"fmt"
	"math/big"
)

// Workload is what the estimates are for: the batch, the sequence
// lengths, the storage types, the training run and the cluster.
type Workload struct {
	Batch uint64 // b
	Seq   uint64 // s, the prompt (or training sequence) length
	Gen   uint64 // n, tokens generated after the prompt
	// Weights is the storage type of the weights for inference; Stored
	// uses the checkpoint's parameter bytes.
	Weights DType
	// KV is the storage type of the KV cache.
	KV DType
	// Tokens is the number of training tokens; 0 skips the training totals.
	Tokens uint64
	// GPUs, PeakTFLOPs (per GPU, dense 16-bit) and Utilization describe
	// the cluster; any of them unset skips the training time.
	GPUs        uint64
	PeakTFLOPs  *big.Rat
	Utilization *big.Rat
	// Recompute is the activation recomputation strategy.
	Recompute Recompute
	// TP is the tensor-parallel size t (1: none); SP turns on sequence
	// parallelism.
	TP uint64
	SP bool
	// Optimizer is the bytes-per-parameter convention for training.
	Optimizer Optimizer
}

// Unit says what a quantity counts.
type Unit string

// Units of quantities.
const (
	UnitParams  Unit = "parameters"
	UnitFLOPs   Unit = "flops"
	UnitBytes   Unit = "bytes"
	UnitSeconds Unit = "seconds"
)

// Quantity is one estimated number with the formula that gave it.
type Quantity struct {
	// Value is the exact integer; for seconds it is the float truncated to
	// whole seconds (the article's training times are truncated).
	Value *big.Int
	// Float is set for quantities that are fractional by nature (seconds
	// at a utilization); Value is then its integer part.
	Float *float64
	Unit  Unit
	// Formula says how Value was computed, in the article's notation.
	Formula string
}

// Row is one estimated quantity, the article's way and this model's way.
type Row struct {
	// Key is a stable snake_case identifier ("forward_flops_per_token").
	Key string
	// Label says what it is, for people.
	Label string
	// Textbook is the article's formula with l, h, a, V only.
	Textbook Quantity
	// Model is the corrected estimate for the model as it is; nil when
	// the quantity has no corrected form.
	Model *Quantity
	// Note explains the difference, when there is one worth saying.
	Note string
}

// Section groups rows ("flops", "kv_cache").
type Section struct {
	Key   string
	Title string
	Rows  []Row
}

// Report is every estimate for one model and workload.
type Report struct {
	// Model is the normalized model, its Notes saying what was assumed.
	Model Model
	// Workload is what the estimates are for.
	Workload Workload
	// Sections hold the rows in the order they are shown.
	Sections []Section
}

// ErrWorkload is wrapped by every error Check returns.
var ErrWorkload = errors.New("invalid workload")

// Check reports values no estimate can use.
func (w *Workload) Check() error {
	if w.Batch == 0 || w.Seq == 0 {
		return fmt.Errorf("%w: batch and sequence length must be positive", ErrWorkload)
	}
	if w.TP == 0 {
		return fmt.Errorf("%w: tensor-parallel size must be positive", ErrWorkload)
	}
	if w.Batch > maxWork || w.Seq > maxWork || w.Gen > maxWork || w.TP > maxWork || w.GPUs > maxWork {
		return fmt.Errorf("%w: batch, lengths, tp and gpus must be at most %d", ErrWorkload, uint64(maxWork))
	}
	if w.KV.Bits == 0 {
		return fmt.Errorf("%w: the KV cache needs a storage type", ErrWorkload)
	}
	switch w.Recompute {
	case RecomputeNone, RecomputeSelective, RecomputeFull:
	default:
		return fmt.Errorf("%w: recompute %q: want none, selective or full", ErrWorkload, w.Recompute)
	}
	if w.Optimizer.PerParam() == 0 {
		return fmt.Errorf("%w: no optimizer convention", ErrWorkload)
	}
	for _, r := range []*big.Rat{w.PeakTFLOPs, w.Utilization} {
		if r != nil && r.Sign() <= 0 {
			return fmt.Errorf("%w: peak TFLOP/s and utilization must be positive", ErrWorkload)
		}
	}
	return nil
}

// Estimate computes every row for m under w.
func Estimate(m Model, w Workload) (*Report, error) {
	m, err := m.Normalize()
	if err != nil {
		return nil, err
	}
	if err := w.Check(); err != nil {
		return nil, err
	}
	if w.Weights == Stored && m.ParamBytes == 0 {
		return nil, fmt.Errorf("%w: weights \"stored\" needs a checkpoint's parameter bytes", ErrWorkload)
	}
	r := &Report{Model: m, Workload: w}
	real := m.RealParams()
	textbook := TextbookParams(m.Layers, m.Hidden, m.Vocab)
	r.Sections = []Section{
		paramsSection(&m, textbook, real),
		flopsSection(&m, &w, textbook, real),
		activationSection(&m, &w),
		kvSection(&m, &w),
		memorySection(&m, &w, textbook, real),
	}
	return r, nil
}

func q(v *big.Int, u Unit, format string, args ...any) Quantity {
	return Quantity{Value: v, Unit: u, Formula: fmt.Sprintf(format, args...)}
}

func qp(v *big.Int, u Unit, format string, args ...any) *Quantity {
	x := q(v, u, format, args...)
	return &x
}

func paramsSection(m *Model, textbook *big.Int, real Params) Section {
	counted := "counted from the hyper-parameters: attention, MLP or experts, norms, embedding, lm_head if untied, learned positions, final norm"
	if m.ParamCount > 0 {
		counted = "given: " + m.ParamSource
	}
	rows := []Row{{
		Key: "total", Label: "parameters (Φ)",
		Textbook: q(textbook, UnitParams, "12lh² + 13lh + Vh (article, section 2)"),
		Model:    qp(real.Total, UnitParams, "%s", counted),
	}}
	if m.Experts > 0 {
		rows = append(rows, Row{
			Key: "active", Label: "active parameters per token",
			Textbook: q(textbook, UnitParams, "12lh² + 13lh + Vh (the article has no experts)"),
			Model: qp(real.Active, UnitParams, "total − (E − k)·%d·h·f_expert per MoE layer = total − %d·%d·%d·%d·%d",
				m.mlpMatrices(), m.moeLayers(), m.Experts-m.TopK, m.mlpMatrices(), m.Hidden, m.ExpertFFN),
		})
	}
	return Section{Key: "parameters", Title: "Parameters", Rows: rows}
}

func flopsSection(m *Model, w *Workload, textbook *big.Int, real Params) Section {
	b, s := w.Batch, w.Seq
	tb := textbookForward(m, b, s)
	co := correctedForward(m, b, s)
	corrected := "QKV 2bsh·(A·d + 2G·d), scores 2bs²·A·(d_qk + d_v), output 2bs·A·d·h"
	if m.MLA != nil {
		corrected = "MLA down/up projections, scores 2bs²·A·(d_qk + d_v), output 2bs·A·d_v·h"
	}
	if m.Gated {
		corrected += ", gated MLP 6bshf"
	} else {
		corrected += ", MLP 4bshf"
	}
	if m.Experts > 0 {
		corrected += " (MoE layers: top-k experts + shared + router 2bshE)"
	}
	corrected += ", logits 2bshV"
	rows := []Row{
		{
			Key: "forward_per_token", Label: fmt.Sprintf("forward FLOPs per token (s=%d)", s),
			Textbook: q(perToken(tb.total(), b*s), UnitFLOPs, "l·(24h² + 4sh) + 2hV"),
			Model:    qp(perToken(co.total(), b*s), UnitFLOPs, "(%s) / bs", corrected),
		},
		{
			Key: "forward_per_sequence", Label: fmt.Sprintf("forward FLOPs per sequence of %d tokens", s),
			Textbook: q(perToken(tb.total(), b), UnitFLOPs, "l·(24sh² + 4s²h) + 2shV"),
			Model:    qp(perToken(co.total(), b), UnitFLOPs, "%s, b=1", corrected),
		},
		{
			Key: "forward_per_batch", Label: fmt.Sprintf("forward FLOPs per batch (b=%d, s=%d)", b, s),
			Textbook: q(tb.total(), UnitFLOPs, "l·(24bsh² + 4bs²h) + 2bshV (article, section 3)"),
			Model:    qp(co.total(), UnitFLOPs, "%s", corrected),
		},
	}
	rows = append(rows,
		Row{
			Key: "training_per_batch", Label: "training FLOPs per batch",
			Textbook: q(trainingFLOPs(tb, RecomputeNone), UnitFLOPs, "3 × forward (backward is twice the forward; Korthikanti: 72bslh²(1 + s/6h + V/12hl))"),
			Model:    qp(trainingFLOPs(co, RecomputeNone), UnitFLOPs, "3 × forward"),
		},
		Row{
			Key: "training_per_batch_full_recompute", Label: "training FLOPs per batch, full recomputation",
			Textbook: q(trainingFLOPs(tb, RecomputeFull), UnitFLOPs, "4 × layers + 3 × logits (the layers' forward runs again; the logits do not)"),
			Model:    qp(trainingFLOPs(co, RecomputeFull), UnitFLOPs, "4 × layers + 3 × logits"),
		})
	if w.Recompute == RecomputeSelective {
		rows = append(rows, Row{
			Key: "training_per_batch_selective_recompute", Label: "training FLOPs per batch, selective recomputation",
			Textbook: q(trainingFLOPs(tb, RecomputeSelective), UnitFLOPs, "3 × forward + QKᵀ and score·V again (4bs²h per layer)"),
			Model:    qp(trainingFLOPs(co, RecomputeSelective), UnitFLOPs, "3 × forward + QKᵀ and score·V again"),
		})
	}
	phi := "Φ = 12lh² + 13lh + Vh"
	phiModel := "Φ = parameters"
	active := real.Total
	if m.Experts > 0 {
		phiModel = "Φ = active parameters"
		active = real.Active
	}
	for _, rule := range []struct {
		k     uint64
		key   string
		label string
	}{
		{2, "rule_forward_per_token", "rule: forward FLOPs per token"},
		{6, "rule_training_per_token", "rule: training FLOPs per token"},
		{8, "rule_training_recompute_per_token", "rule: training FLOPs per token with recomputation"},
	} {
		rows = append(rows, Row{
			Key: rule.key, Label: rule.label,
			Textbook: q(scale(rule.k, textbook), UnitFLOPs, "%dΦ, %s (article, section 3)", rule.k, phi),
			Model:    qp(scale(rule.k, active), UnitFLOPs, "%dΦ, %s", rule.k, phiModel),
		})
	}
	if w.Tokens > 0 {
		for _, k := range []uint64{6, 8} {
			rows = append(rows, Row{
				Key: fmt.Sprintf("training_total_%d", k), Label: fmt.Sprintf("training FLOPs for the tokens (%dΦ per token)", k),
				Textbook: q(prod(k, w.Tokens), UnitFLOPs, "%d · tokens · Φ, %s", k, phi),
				Model:    qp(prod(k, w.Tokens), UnitFLOPs, "%d · tokens · Φ, %s", k, phiModel),
			})
			last := &rows[len(rows)-1]
			last.Textbook.Value.Mul(last.Textbook.Value, textbook)
			last.Model.Value.Mul(last.Model.Value, active)
		}
		if w.GPUs > 0 && w.PeakTFLOPs != nil && w.Utilization != nil {
			for _, k := range []uint64{8, 6} {
				how := "the article's rule, with activation recomputation"
				if k == 6 {
					how = "without recomputation"
				}
				f := "%d · tokens · Φ / (GPUs · peak · utilization), %s, %s; whole seconds truncated"
				rows = append(rows, Row{
					Key: fmt.Sprintf("training_seconds_%d", k), Label: fmt.Sprintf("training time (%dΦ per token)", k),
					Textbook: seconds(k, w, textbook, fmt.Sprintf(f, k, phi, how)),
					Model:    ptr(seconds(k, w, active, fmt.Sprintf(f, k, phiModel, how))),
				})
			}
		}
	}
	return Section{Key: "flops", Title: "FLOPs", Rows: rows}
}

func ptr(x Quantity) *Quantity { return &x }

// seconds is k·tokens·Φ / (GPUs · peak · 10¹² · utilization), exact as a
// rational, truncated to whole seconds; truncation reproduces the
// article's 2,921,340 s (GPT-3) and 1,898,871 s (LLaMA-65B), where rounding
// gives one second more for both.
func seconds(k uint64, w *Workload, phi *big.Int, formula string) Quantity {
	num := new(big.Rat).SetInt(new(big.Int).Mul(prod(k, w.Tokens), phi))
	den := new(big.Rat).SetInt(prod(w.GPUs, 1_000_000_000_000))
	den.Mul(den, w.PeakTFLOPs)
	den.Mul(den, w.Utilization)
	t := num.Quo(num, den)
	whole := new(big.Int).Quo(t.Num(), t.Denom())
	f, _ := t.Float64()
	return Quantity{Value: whole, Float: &f, Unit: UnitSeconds, Formula: formula}
}

func activationSection(m *Model, w *Workload) Section {
	b, s, t := w.Batch, w.Seq, w.TP
	var tf, how string
	switch {
	case w.Recompute == RecomputeFull:
		tf, how = "2sbh", "full recomputation keeps each layer's input"
	case w.Recompute == RecomputeSelective && w.SP:
		tf, how = "sbh·34/t", "selective recomputation, sequence parallel"
	case w.Recompute == RecomputeSelective:
		tf, how = "sbh(10 + 24/t)", "selective recomputation"
	case w.SP:
		tf, how = "sbh(34/t + 5as/(ht))", "sequence parallel"
	case t == 1:
		tf, how = "34bsh + 5bs²a", "the article, section 4"
	default:
		tf, how = "sbh(10 + 24/t + 5as/(ht))", "tensor parallel"
	}
	tfull := fmt.Sprintf("%s (%s; Korthikanti et al. 2022; t=%d)", tf, how, t)
	if t == 1 && !w.SP && w.Recompute == RecomputeNone {
		tfull = "34bsh + 5bs²a (article, section 4: 16-bit activations, 1-byte dropout masks)"
	}
	tb := textbookActivation(m, b, s).perRank(t, w.SP, w.Recompute)
	dense, moe := correctedActivation(m, b, s)
	cd := dense.perRank(t, w.SP, w.Recompute)
	cm := moe.perRank(t, w.SP, w.Recompute)
	layer, note := cd, ""
	if m.moeLayers() > 0 {
		layer = cm
		note = fmt.Sprintf("per layer: an MoE layer (%d of %d layers)", m.moeLayers(), m.Layers)
	}
	cf := "the same tensors at the real widths: Q 2bs·A·d, K and V 2bs·G·d each, O-projection input 2bs·A·d, MLP 4bsf (gated 8bsf) per active expert; same rule for t, sp and recomputation"
	if m.MLA != nil {
		cf = "the same tensors at the real widths: Q and K 2bs·A·d_qk each, V and O-projection input 2bs·A·d_v each, latents 2bs·(q_rank + kv_rank), MLP 4bsf (gated 8bsf) per active expert; same rule for t, sp and recomputation"
	}
	total := sum(scale(m.Layers-m.moeLayers(), cd), scale(m.moeLayers(), cm))
	return Section{Key: "activations", Title: "Activation memory (training, per tensor-parallel rank)", Rows: []Row{
		{
			Key: "per_layer", Label: "activations per layer",
			Textbook: q(tb, UnitBytes, "%s", tfull), Model: qp(layer, UnitBytes, "%s", cf), Note: note,
		},
		{
			Key: "total", Label: fmt.Sprintf("activations, all %d layers", m.Layers),
			Textbook: q(scale(m.Layers, tb), UnitBytes, "l · per layer"), Model: qp(total, UnitBytes, "sum over layers"),
		},
	}}
}

func kvSection(m *Model, w *Workload) Section {
	b, tokens := w.Batch, w.Seq+w.Gen
	tf := fmt.Sprintf("2 · B · blh(s+n), B = %s (article, section 5: 4blh(s+n) in fp16)", w.KV.perElement())
	textbook := textbookKV(m, w.KV, b, tokens)
	model := correctedKV(m, w.KV, b, tokens)
	var mf, note string
	switch {
	case m.MLA != nil:
		mf = fmt.Sprintf("B · b(s+n) · l · (kv_lora_rank + qk_rope_head_dim), B = %s: MLA caches its latent and the rotary key", w.KV.perElement())
	default:
		mf = fmt.Sprintf("2 · B · b(s+n) · l · G · d, B = %s", w.KV.perElement())
		if m.KVHeads < m.Heads {
			note = fmt.Sprintf("grouped-query attention: only G = %d of A = %d heads are cached", m.KVHeads, m.Heads)
			if m.HeadDim*m.Heads == m.Hidden && (m.SlidingWindow == 0 || tokens <= m.SlidingWindow) {
				note += fmt.Sprintf(", G/A = %d/%d of the textbook's cache", m.KVHeads, m.Heads)
			}
		}
	}
	if m.SlidingWindow > 0 && tokens > m.SlidingWindow {
		mf += fmt.Sprintf(", s+n capped at the sliding window %d", m.SlidingWindow)
	}
	perTok := correctedKV(m, w.KV, 1, 1)
	return Section{Key: "kv_cache", Title: fmt.Sprintf("KV cache (b=%d, s=%d, n=%d, %s)", b, w.Seq, w.Gen, w.KV.Name), Rows: []Row{
		{Key: "total", Label: "KV cache", Textbook: q(textbook, UnitBytes, "%s", tf), Model: qp(model, UnitBytes, "%s", mf), Note: note},
		{
			Key: "per_token", Label: "KV cache per token",
			Textbook: q(textbookKV(m, w.KV, 1, 1), UnitBytes, "2 · B · lh, B = %s", w.KV.perElement()),
			Model:    qp(perTok, UnitBytes, "the corrected cache for one token"),
		},
	}}
}

func memorySection(m *Model, w *Workload, textbook *big.Int, real Params) Section {
	b, tokens := w.Batch, w.Seq+w.Gen
	fp16 := DType{"fp16", 16}
	tw := fp16.bytesFor(textbook)
	var mw *big.Int
	var mwf string
	if w.Weights == Stored {
		mw = n(m.ParamBytes)
		mwf = "the checkpoint's stored parameter bytes"
	} else {
		mw = w.Weights.bytesFor(real.Total)
		mwf = fmt.Sprintf("Φ · %s (%s)", w.Weights.perElement(), w.Weights.Name)
	}
	tkv := textbookKV(m, fp16, b, tokens)
	mkv := correctedKV(m, w.KV, b, tokens)
	rows := []Row{
		{Key: "inference_weights", Label: "inference: weights", Textbook: q(tw, UnitBytes, "2Φ (fp16, article section 2.2)"), Model: qp(mw, UnitBytes, "%s", mwf)},
		{
			Key: "inference_total", Label: "inference: weights + KV cache",
			Textbook: q(sum(tw, tkv), UnitBytes, "2Φ + 4blh(s+n)"),
			Model:    qp(sum(mw, mkv), UnitBytes, "weights + corrected KV cache (%s)", w.KV.Name),
		},
	}
	o := w.Optimizer
	t := w.TP
	states := func(phi *big.Int) *big.Int { return ceilDiv(scale(o.PerParam(), phi), t) }
	perRank := ""
	if t > 1 {
		perRank = " / t"
	}
	tAct := scale(m.Layers, textbookActivation(m, w.Batch, w.Seq).perRank(t, w.SP, w.Recompute))
	dense, moe := correctedActivation(m, w.Batch, w.Seq)
	mAct := sum(scale(m.Layers-m.moeLayers(), dense.perRank(t, w.SP, w.Recompute)),
		scale(m.moeLayers(), moe.perRank(t, w.SP, w.Recompute)))
	rows = append(rows,
		Row{
			Key: "training_states", Label: fmt.Sprintf("training: weights, gradients, optimizer (%s, %d bytes/param)", o.Name, o.PerParam()),
			Textbook: q(states(textbook), UnitBytes, "%dΦ%s: %s (%s)", o.PerParam(), perRank, o.Describe, o.Source),
			Model:    qp(states(real.Total), UnitBytes, "%dΦ%s, Φ = parameters", o.PerParam(), perRank),
		},
		Row{
			Key: "training_total", Label: "training: states + activations",
			Textbook: q(sum(states(textbook), tAct), UnitBytes, "%dΦ%s + activations", o.PerParam(), perRank),
			Model:    qp(sum(states(real.Total), mAct), UnitBytes, "%dΦ%s + corrected activations", o.PerParam(), perRank),
		},
	)
	return Section{Key: "memory", Title: "Memory", Rows: rows}
}
