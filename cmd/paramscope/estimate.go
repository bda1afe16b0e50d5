package main

import (
	"context"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/paramscope/paramscope/analysis"
	"github.com/paramscope/paramscope/analysis/estimate"
	"github.com/paramscope/paramscope/reader"
)

// estimateOptions are the flags of paramscope estimate.
type estimateOptions struct {
	format format
	limits reader.Limits

	batch, seq, gen estCount
	weights         estDType
	kv              estDType
	tokens          estCount
	gpus            estCount
	peak, util      estRatio
	recompute       estRecompute
	tp              estCount
	sp              bool
	optimizer       estOptimizer

	// Hyper-parameters for paper work, without a checkpoint.
	layers, hidden, vocab, heads          estCount
	kvHeads, headDim, ffn                 estCount
	experts, topK, shared, expertFFN      estCount
	denseLayers, window, positions        estCount
	qRank, kvRank, nopeDim, ropeDim, vDim estCount
	params                                estCount
	style                                 estStyle
}

// estHyperFlags are the flags that describe a model without a checkpoint;
// estModernFlags are those that only a post-GPT-3 model needs, which make
// --style default to llama.
var (
	estHyperFlags = []string{"layers", "hidden", "vocab", "heads", "kv-heads", "head-dim", "ffn",
		"experts", "top-k", "shared-experts", "expert-ffn", "dense-layers", "sliding-window",
		"learned-positions", "q-lora-rank", "kv-lora-rank", "qk-nope-head-dim", "qk-rope-head-dim",
		"v-head-dim", "params", "style"}
	estModernFlags = []string{"kv-heads", "head-dim", "ffn", "experts", "top-k", "shared-experts",
		"expert-ffn", "kv-lora-rank"}
)

// runEstimate estimates FLOPs, activation memory, KV cache and memory for
// each checkpoint, or for the hyper-parameters given as flags.
func runEstimate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var opt estimateOptions
	fs := newFlagSet("estimate", "paramscope estimate PATH... [flags]\n       paramscope estimate --layers L --hidden H --vocab V --heads A [flags]", stdout)
	addEstimateFlags(fs, &opt)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	paths := fs.Args()
	var hyper []string
	for _, name := range estHyperFlags {
		if fs.Changed(name) {
			hyper = append(hyper, "--"+name)
		}
	}
	switch {
	case len(paths) == 0 && len(hyper) == 0:
		return usageErrorf("estimate: give a checkpoint PATH, or --layers, --hidden, --vocab and --heads for paper work")
	case len(paths) > 0 && len(hyper) > 0:
		return usageErrorf("estimate: %s describe a model without a checkpoint; give them or a PATH, not both", strings.Join(hyper, ", "))
	}
	w, err := opt.workload(fs, len(paths) == 0)
	if err != nil {
		return err
	}

	rep := &estimateReport{SchemaVersion: schemaVersion, Command: "estimate"}
	if len(paths) == 0 {
		m, err := opt.model(fs)
		if err != nil {
			return err
		}
		r, err := estimate.Estimate(m, w)
		if err != nil {
			return usageErrorf("estimate: %v", err)
		}
		rep.Estimates = append(rep.Estimates, newEstimateEntry("hyper-parameters", false, r))
		return renderEstimate(stdout, opt.format, rep)
	}

	run, err := eachPath(ctx, paths, stderr, func(p string) error {
		r, err := estimateCheckpoint(ctx, p, opt.limits, w)
		if err != nil {
			return err
		}
		rep.Estimates = append(rep.Estimates, newEstimateEntry(p, true, r))
		return nil
	}, func(p string, err error) {
		rep.Errors = append(rep.Errors, estPathError{Path: p, Error: err.Error()})
	})
	if err != nil {
		return err
	}
	if len(rep.Estimates) > 0 || opt.format != formatText {
		if err := renderEstimate(stdout, opt.format, rep); err != nil {
			return err
		}
	}
	return run.err("estimate", "estimated")
}

// estimateCheckpoint reads one checkpoint's headers, infers its
// architecture and estimates it.
func estimateCheckpoint(ctx context.Context, path string, lim reader.Limits, w estimate.Workload) (*estimate.Report, error) {
	ck, err := reader.Open(ctx, path, lim)
	if err != nil {
		return nil, err
	}
	a := analysis.AnalyzeCheckpointSummary(ck)
	m, err := estimate.FromArchitecture(path, a.Arch, a.Totals)
	if err != nil {
		return nil, err
	}
	r, err := estimate.Estimate(m, w)
	if err != nil {
		// The shapes gave values no estimate can use (a zero dimension,
		// heads that do not divide): the input is at fault, not the flags.
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

func addEstimateFlags(fs *pflag.FlagSet, o *estimateOptions) {
	addFormatFlag(fs, &o.format)
	o.batch, o.seq, o.tp = 1, 2048, 1
	o.weights = estDType{allowStored: true}
	o.kv = estDType{DType: estimate.DType{Name: "fp16", Bits: 16}}
	o.recompute = estRecompute(estimate.RecomputeNone)
	o.optimizer = estOptimizer(estimate.Optimizers[0])
	fs.Var(&o.batch, "batch", "batch size b")
	fs.Var(&o.seq, "seq", "prompt (or training sequence) length s")
	fs.Var(&o.gen, "gen", "tokens generated after the prompt, n (KV cache)")
	fs.Var(&o.weights, "dtype", "weights for inference: bf16, fp16, fp32, fp8, int8, int4, or stored (default: stored for a checkpoint, fp16 for hyper-parameters)")
	fs.Var(&o.kv, "kv-dtype", "KV cache: bf16, fp16, fp32, fp8, int8 or int4")
	fs.Var(&o.tokens, "tokens", "training tokens (300B, 1.4T, 3e11)")
	fs.Var(&o.gpus, "gpus", "GPUs for the training time")
	fs.Var(&o.peak, "peak-tflops", "peak dense 16-bit TFLOP/s of one GPU (A100: 312)")
	fs.Var(&o.util, "utilization", "fraction of the peak reached, 0 to 1 (0.45 or 45%)")
	fs.Var(&o.recompute, "recompute", "activation recomputation: none, selective or full")
	fs.Var(&o.tp, "tp", "tensor-parallel size t")
	fs.BoolVar(&o.sp, "sp", false, "sequence parallelism (with --tp)")
	fs.Var(&o.optimizer, "optimizer-bytes", "training bytes per parameter: article (20), zero-16bit-grads (16) or hf (18)")

	fs.Var(&o.layers, "layers", "hyper-parameters: layers l (num_hidden_layers)")
	fs.Var(&o.hidden, "hidden", "hyper-parameters: hidden size h (hidden_size)")
	fs.Var(&o.vocab, "vocab", "hyper-parameters: vocabulary V (vocab_size)")
	fs.Var(&o.heads, "heads", "hyper-parameters: attention heads A (num_attention_heads)")
	fs.Var(&o.kvHeads, "kv-heads", "hyper-parameters: key/value heads G (default A)")
	fs.Var(&o.headDim, "head-dim", "hyper-parameters: head size d (default h/A)")
	fs.Var(&o.ffn, "ffn", "hyper-parameters: MLP width f (default 4h)")
	fs.Var(&o.experts, "experts", "hyper-parameters: routed experts E")
	fs.Var(&o.topK, "top-k", "hyper-parameters: experts per token k")
	fs.Var(&o.shared, "shared-experts", "hyper-parameters: shared experts")
	fs.Var(&o.expertFFN, "expert-ffn", "hyper-parameters: width of one expert (default f)")
	fs.Var(&o.denseLayers, "dense-layers", "hyper-parameters: leading layers with a dense MLP")
	fs.Var(&o.window, "sliding-window", "hyper-parameters: sliding attention window")
	fs.Var(&o.positions, "learned-positions", "hyper-parameters: rows of a learned position table (GPT-3: 2048)")
	fs.Var(&o.qRank, "q-lora-rank", "hyper-parameters: MLA q_lora_rank")
	fs.Var(&o.kvRank, "kv-lora-rank", "hyper-parameters: MLA kv_lora_rank")
	fs.Var(&o.nopeDim, "qk-nope-head-dim", "hyper-parameters: MLA qk_nope_head_dim")
	fs.Var(&o.ropeDim, "qk-rope-head-dim", "hyper-parameters: MLA qk_rope_head_dim")
	fs.Var(&o.vDim, "v-head-dim", "hyper-parameters: MLA v_head_dim")
	fs.Var(&o.params, "params", "hyper-parameters: the real parameter count Φ when known (175B)")
	fs.Var(&o.style, "style", "hyper-parameters: gpt (LayerNorm, biases, 4h MLP, tied) or llama (RMSNorm, no biases, SwiGLU, untied); default gpt, llama when a post-GPT-3 flag is given")
	addLimitFlags(fs, &o.limits)
}

// workload checks the workload flags together.
func (o *estimateOptions) workload(fs *pflag.FlagSet, hyper bool) (estimate.Workload, error) {
	w := estimate.Workload{
		Batch: uint64(o.batch), Seq: uint64(o.seq), Gen: uint64(o.gen),
		Weights: o.weights.DType, KV: o.kv.DType, Tokens: uint64(o.tokens), GPUs: uint64(o.gpus),
		PeakTFLOPs: o.peak.r, Utilization: o.util.r, Recompute: estimate.Recompute(o.recompute),
		TP: uint64(o.tp), SP: o.sp, Optimizer: estimate.Optimizer(o.optimizer),
	}
	if !fs.Changed("dtype") {
		w.Weights = estimate.Stored
		if hyper {
			// The article's inference memory is 2Φ: fp16 weights.
			w.Weights = estimate.DType{Name: "fp16", Bits: 16}
		}
	} else if hyper && w.Weights == estimate.Stored {
		return w, usageErrorf("estimate: --dtype stored needs a checkpoint; give bf16, fp16, fp32, fp8, int8 or int4")
	}
	if w.Batch == 0 || w.Seq == 0 || w.TP == 0 {
		return w, usageErrorf("estimate: --batch, --seq and --tp must be at least 1")
	}
	if w.SP && w.TP == 1 {
		return w, usageErrorf("estimate: --sp splits activations across tensor-parallel ranks; give --tp too")
	}
	cluster := []string{"gpus", "peak-tflops", "utilization"}
	var set, unset []string
	for _, c := range cluster {
		if fs.Changed(c) {
			set = append(set, "--"+c)
		} else {
			unset = append(unset, "--"+c)
		}
	}
	if len(set) > 0 && len(unset) > 0 {
		return w, usageErrorf("estimate: the training time needs --gpus, --peak-tflops and --utilization together; missing %s", strings.Join(unset, ", "))
	}
	if len(set) > 0 && w.Tokens == 0 {
		return w, usageErrorf("estimate: the training time needs --tokens")
	}
	if w.Utilization != nil && w.Utilization.Cmp(big.NewRat(1, 1)) > 0 {
		return w, usageErrorf("estimate: --utilization is a fraction of the peak, at most 1 (or 100%%)")
	}
	if len(set) > 0 && w.GPUs == 0 {
		return w, usageErrorf("estimate: --gpus must be at least 1")
	}
	if err := w.Check(); err != nil {
		return w, usageErrorf("estimate: %v", err)
	}
	return w, nil
}

// model builds the hyper-parameter model from the flags.
func (o *estimateOptions) model(fs *pflag.FlagSet) (estimate.Model, error) {
	for _, name := range []string{"layers", "hidden", "vocab", "heads"} {
		if !fs.Changed(name) {
			return estimate.Model{}, usageErrorf("estimate: without a checkpoint, give --layers, --hidden, --vocab and --heads (missing --%s)", name)
		}
	}
	m := estimate.Model{
		Name:   "hyper-parameters",
		Layers: uint64(o.layers), Hidden: uint64(o.hidden), Vocab: uint64(o.vocab), Heads: uint64(o.heads),
		KVHeads: uint64(o.kvHeads), HeadDim: uint64(o.headDim), FFN: uint64(o.ffn),
		Experts: uint64(o.experts), TopK: uint64(o.topK), SharedExperts: uint64(o.shared),
		ExpertFFN: uint64(o.expertFFN), DenseLayers: uint64(o.denseLayers),
		SlidingWindow: uint64(o.window), LearnedPositions: uint64(o.positions), ParamCount: uint64(o.params),
	}
	if m.ParamCount > 0 {
		m.ParamSource = "Φ from --params"
	}
	if fs.Changed("kv-lora-rank") || fs.Changed("q-lora-rank") || fs.Changed("qk-nope-head-dim") ||
		fs.Changed("qk-rope-head-dim") || fs.Changed("v-head-dim") {
		m.MLA = &estimate.MLA{QLoRARank: uint64(o.qRank), KVLoRARank: uint64(o.kvRank),
			QKNopeHeadDim: uint64(o.nopeDim), QKRopeHeadDim: uint64(o.ropeDim), VHeadDim: uint64(o.vDim)}
	}
	style := o.style
	if !fs.Changed("style") {
		style = estStyleGPT
		var modern []string
		for _, name := range estModernFlags {
			if fs.Changed(name) {
				modern = append(modern, "--"+name)
			}
		}
		if len(modern) > 0 {
			style = estStyleLlama
			m.Notes = append(m.Notes, fmt.Sprintf("--style llama assumed (RMSNorm, no biases, SwiGLU, untied embeddings) because of %s; --style gpt for the GPT layout", strings.Join(modern, ", ")))
		} else {
			m.Notes = append(m.Notes, "--style gpt assumed (LayerNorm, biases, 4h MLP, tied embeddings: the article's model)")
		}
	}
	if style == estStyleLlama {
		m.Norm, m.Biases, m.Gated = estimate.NormRMS, estimate.BiasNone, true
	} else {
		m.Norm, m.Biases, m.TiedEmbeddings = estimate.NormLayer, estimate.BiasAll, true
	}
	if style == estStyleLlama && m.FFN == 0 {
		return m, usageErrorf("estimate: --style llama needs --ffn (a gated MLP's width is not 4h)")
	}
	if _, err := m.Normalize(); err != nil {
		return m, usageErrorf("estimate: %v", err)
	}
	return m, nil
}

// estCount is a non-negative whole-number flag that takes SI suffixes
// (K, M, B or G, T) and decimals or exponents that make a whole number:
// "300B", "1.4T", "174.6e9", "2048".
type estCount uint64

// estCountMax bounds counts so every product in the estimates stays sane;
// 10¹⁸ is far above any token count or model dimension.
var estCountMax = new(big.Rat).SetInt64(1_000_000_000_000_000_000)

func (c *estCount) String() string { return fmt.Sprint(uint64(*c)) }
func (c *estCount) Type() string   { return "count" }
func (c *estCount) Set(s string) error {
	t := strings.ReplaceAll(s, "_", "")
	mult := int64(1)
	if t != "" {
		switch t[len(t)-1] {
		case 'k', 'K':
			mult = 1_000
		case 'M':
			mult = 1_000_000
		case 'B', 'G':
			mult = 1_000_000_000
		case 'T':
			mult = 1_000_000_000_000
		}
		if mult != 1 {
			t = t[:len(t)-1]
		}
	}
	r, ok := estDecimal(t)
	if !ok || r.Sign() < 0 {
		return fmt.Errorf("want a whole number like 2048, 300B, 1.4T or 3e11, got %q", s)
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	if !r.IsInt() {
		return fmt.Errorf("want a whole number, got %q", s)
	}
	if r.Cmp(estCountMax) > 0 {
		return fmt.Errorf("want at most 10^18, got %q", s)
	}
	*c = estCount(r.Num().Uint64())
	return nil
}

// estDecimal parses a decimal number ("1.4", "3e11") exactly. Fractions
// ("1/2"), hexadecimal and the like are refused, and so are exponents beyond ±30, which no count or
// ratio here needs and which would make big.Rat build huge powers of ten.
func estDecimal(s string) (*big.Rat, bool) {
	if s == "" || len(s) > 64 || strings.Trim(s, "0123456789.eE+-") != "" {
		return nil, false
	}
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		exp, err := strconv.Atoi(s[i+1:])
		if err != nil || exp > 30 || exp < -30 {
			return nil, false
		}
	}
	return new(big.Rat).SetString(s)
}

// estRatio is a positive decimal flag kept exact (a big.Rat), so "0.45"
// is 45/100 and the article's training times come out to the second.
type estRatio struct{ r *big.Rat }

func (v *estRatio) String() string {
	if v.r == nil {
		return ""
	}
	return v.r.FloatString(2)
}
func (v *estRatio) Type() string { return "number" }
func (v *estRatio) Set(s string) error {
	t, percent := strings.CutSuffix(s, "%")
	r, ok := estDecimal(t)
	if !ok || r.Sign() <= 0 || r.Cmp(estCountMax) > 0 {
		return fmt.Errorf("want a positive number like 312 or 0.45, got %q", s)
	}
	if percent {
		r.Quo(r, big.NewRat(100, 1))
	}
	v.r = r
	return nil
}

// estDType is a storage type flag.
type estDType struct {
	estimate.DType
	allowStored bool
}

func (v *estDType) String() string { return v.Name }
func (v *estDType) Type() string   { return "dtype" }
func (v *estDType) Set(s string) error {
	d, err := estimate.ParseDType(s, v.allowStored)
	if err != nil {
		return err
	}
	v.DType = d
	return nil
}

// estRecompute is the --recompute flag.
type estRecompute estimate.Recompute

func (v *estRecompute) String() string { return string(*v) }
func (v *estRecompute) Type() string   { return "none|selective|full" }
func (v *estRecompute) Set(s string) error {
	switch r := estimate.Recompute(s); r {
	case estimate.RecomputeNone, estimate.RecomputeSelective, estimate.RecomputeFull:
		*v = estRecompute(r)
		return nil
	}
	return fmt.Errorf("want none, selective or full, got %q", s)
}

// estOptimizer is the --optimizer-bytes flag.
type estOptimizer estimate.Optimizer

func (v *estOptimizer) String() string { return v.Name }
func (v *estOptimizer) Type() string   { return "convention" }
func (v *estOptimizer) Set(s string) error {
	o, err := estimate.ParseOptimizer(s)
	if err != nil {
		return err
	}
	*v = estOptimizer(o)
	return nil
}

// estStyle is the --style flag: the layout assumed for hyper-parameters.
type estStyle string

const (
	estStyleGPT   estStyle = "gpt"
	estStyleLlama estStyle = "llama"
)

func (v *estStyle) String() string { return string(*v) }
func (v *estStyle) Type() string   { return "gpt|llama" }
func (v *estStyle) Set(s string) error {
	switch estStyle(s) {
	case estStyleGPT, estStyleLlama:
		*v = estStyle(s)
		return nil
	}
	return fmt.Errorf("want gpt or llama, got %q", s)
}
