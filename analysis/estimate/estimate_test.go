package estimate

import (
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/paramscope/paramscope/analysis"
	"github.com/paramscope/paramscope/analysis/quant"
)

// gpt3 is the article's example model: l=96, h=12288, a=96, V=50257
// (GPT-3 175B, Brown et al. 2020 table 2.1), with GPT's layout: LayerNorm,
// biases, an ungated 4h MLP, tied embeddings.
func gpt3() Model {
	return Model{Name: "gpt-3", Layers: 96, Hidden: 12288, Vocab: 50257, Heads: 96,
		Norm: NormLayer, Biases: BiasAll, TiedEmbeddings: true}
}

// llama builds a Llama-family model (RMSNorm, no biases, SwiGLU, untied),
// dimensions from FORMULAS.md §1's table.
func llama(l, h, a, g, f, v uint64) Model {
	return Model{Layers: l, Hidden: h, Heads: a, KVHeads: g, FFN: f, Vocab: v,
		Gated: true, Norm: NormRMS, Biases: BiasNone}
}

func work(b, s, gen uint64) Workload {
	return Workload{Batch: b, Seq: s, Gen: gen, Weights: DType{"fp16", 16}, KV: DType{"fp16", 16},
		Recompute: RecomputeNone, TP: 1, Optimizer: Optimizers[0]}
}

func mustEstimate(t *testing.T, m Model, w Workload) *Report {
	t.Helper()
	r, err := Estimate(m, w)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func row(t *testing.T, r *Report, section, key string) Row {
	t.Helper()
	for _, s := range r.Sections {
		if s.Key != section {
			continue
		}
		for _, x := range s.Rows {
			if x.Key == key {
				return x
			}
		}
	}
	t.Fatalf("no row %s.%s", section, key)
	return Row{}
}

func bigs(s string) *big.Int {
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return v
}

func TestArticleActivationMemory(t *testing.T) {
	// FORMULAS.md §4 (article, section 4): l·(34bsh + 5bs²a) for GPT-3 at s=2048.
	for _, tc := range []struct {
		b    uint64
		want string
	}{
		{1, "275414777856"},
		{64, "17626545782784"},
		{128, "35253091565568"},
	} {
		t.Run(big.NewInt(int64(tc.b)).String(), func(t *testing.T) {
			r := mustEstimate(t, gpt3(), work(tc.b, 2048, 0))
			x := row(t, r, "activations", "total")
			if got := x.Textbook.Value; got.Cmp(bigs(tc.want)) != 0 {
				t.Errorf("textbook: got %s, want %s", got, tc.want)
			}
			// GPT-3 is the article's own layout, so the corrected count agrees.
			if got := x.Model.Value; got.Cmp(bigs(tc.want)) != 0 {
				t.Errorf("corrected: got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestKorthikantiVariants(t *testing.T) {
	// Korthikanti et al. 2022, table 2, per layer, evaluated by hand for
	// GPT-3 (s=2048, b=1, h=12288, a=96) at t=8, where 5as/(ht) = 10 and
	// sbh = 25,165,824: none 23sbh, sp 14.25sbh, selective 13sbh,
	// selective+sp 4.25sbh, full 2sbh.
	for _, tc := range []struct {
		name string
		sp   bool
		r    Recompute
		want int64
	}{
		{"none", false, RecomputeNone, 578_813_952},
		{"sp", true, RecomputeNone, 358_612_992},
		{"selective", false, RecomputeSelective, 327_155_712},
		{"selective-sp", true, RecomputeSelective, 106_954_752},
		{"full", false, RecomputeFull, 50_331_648},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := work(1, 2048, 0)
			w.TP, w.SP, w.Recompute = 8, tc.sp, tc.r
			r := mustEstimate(t, gpt3(), w)
			x := row(t, r, "activations", "per_layer")
			if got := x.Textbook.Value.Int64(); got != tc.want {
				t.Errorf("textbook: got %d, want %d", got, tc.want)
			}
			if got := x.Model.Value.Int64(); got != tc.want {
				t.Errorf("corrected: got %d, want %d", got, tc.want)
			}
		})
	}
}

func TestArticleKVCache(t *testing.T) {
	// FORMULAS.md §5 (article, section 5): 4blh(s+n), GPT-3, b=64, s=512, n=32.
	r := mustEstimate(t, gpt3(), work(64, 512, 32))
	x := row(t, r, "kv_cache", "total")
	want := bigs("164282499072")
	if got := x.Textbook.Value; got.Cmp(want) != 0 {
		t.Errorf("textbook: got %s, want %s", got, want)
	}
	if got := x.Model.Value; got.Cmp(want) != 0 {
		t.Errorf("corrected (MHA, G = A): got %s, want %s", got, want)
	}
}

func TestGroupedQueryKVCache(t *testing.T) {
	// Llama-3-8B (FORMULAS.md §1): l 32, h 4096, A 32, G 8, d 128: the
	// cache holds G/A = 1/4 of the textbook's heads.
	m := llama(32, 4096, 32, 8, 14336, 128256)
	r := mustEstimate(t, m, work(1, 8192, 0))
	x := row(t, r, "kv_cache", "total")
	// 4blh(s+n) = 4·1·32·4096·8192 bytes.
	if got, want := x.Textbook.Value.Int64(), int64(4_294_967_296); got != want {
		t.Errorf("textbook: got %d, want %d", got, want)
	}
	if got, want := x.Model.Value.Int64(), int64(1_073_741_824); got != want {
		t.Errorf("corrected: got %d, want %d (G/A of the textbook)", got, want)
	}
	if !strings.Contains(x.Note, "G/A = 8/32") {
		t.Errorf("note %q does not say G/A = 8/32", x.Note)
	}
}

func TestSlidingWindowKVCache(t *testing.T) {
	// Mistral-7B-v0.1 declares sliding_window 4096 (its config.json): past
	// 4096 tokens each layer keeps 4096; 2·2·4096·32·8·128 bytes.
	m := llama(32, 4096, 32, 8, 14336, 32000)
	m.SlidingWindow = 4096
	r := mustEstimate(t, m, work(1, 8000, 1000))
	if got, want := row(t, r, "kv_cache", "total").Model.Value.Int64(), int64(536_870_912); got != want {
		t.Errorf("got %d, want %d", got, want)
	}
}

func TestMLAKVCache(t *testing.T) {
	// DeepSeek-V3 (config.json: num_hidden_layers 61, kv_lora_rank 512,
	// qk_rope_head_dim 64): MLA caches (d_c + d_h^R)·l = 576·61 elements per
	// token (DeepSeek-V2 paper, table 1), 2 bytes each in bf16.
	m := Model{Layers: 61, Hidden: 7168, Vocab: 129280, Heads: 128, FFN: 18432, Gated: true,
		Norm: NormRMS, Biases: BiasNone, Experts: 256, TopK: 8, SharedExperts: 1, ExpertFFN: 2048, DenseLayers: 3,
		MLA: &MLA{QLoRARank: 1536, KVLoRARank: 512, QKNopeHeadDim: 128, QKRopeHeadDim: 64, VHeadDim: 128}}
	w := work(1, 1, 0)
	w.KV = DType{"bf16", 16}
	r := mustEstimate(t, m, w)
	if got, want := row(t, r, "kv_cache", "per_token").Model.Value.Int64(), int64(576*61*2); got != want {
		t.Errorf("got %d, want %d", got, want)
	}
}

func TestTrainingFLOPsRule(t *testing.T) {
	// FORMULAS.md §3: 6 × 174,600·10⁶ × 300·10⁹ = 3.1428·10²³ FLOPs.
	m := gpt3()
	m.ParamCount = 174_600_000_000
	w := work(1, 2048, 0)
	w.Tokens = 300_000_000_000
	r := mustEstimate(t, m, w)
	want := bigs("314280000000000000000000")
	if got := row(t, r, "flops", "training_total_6").Model.Value; got.Cmp(want) != 0 {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestTrainingTime(t *testing.T) {
	// FORMULAS.md §3 (article, section 3): 8·tokens·Φ / (GPUs·peak·utilization).
	// The exact quotients are 2,921,340.81 s and 1,898,871.53 s; the
	// article's figures are the integer parts.
	for _, tc := range []struct {
		name              string
		m                 Model
		phi, tokens, gpus uint64
		peak, util        string
		want              int64
	}{
		{"gpt-3", gpt3(), 175_000_000_000, 300_000_000_000, 1024, "312", "0.45", 2_921_340},
		{"llama-65b", llama(80, 8192, 64, 64, 22016, 32000), 65_000_000_000, 1_400_000_000_000, 2048, "624", "0.3", 1_898_871},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.m
			m.ParamCount = tc.phi
			w := work(1, 2048, 0)
			w.Tokens, w.GPUs = tc.tokens, tc.gpus
			w.PeakTFLOPs, _ = new(big.Rat).SetString(tc.peak)
			w.Utilization, _ = new(big.Rat).SetString(tc.util)
			r := mustEstimate(t, m, w)
			x := row(t, r, "flops", "training_seconds_8").Model
			if got := x.Value.Int64(); got != tc.want {
				t.Errorf("got %d s, want %d s", got, tc.want)
			}
			if x.Float == nil || *x.Float-float64(tc.want) >= 1 || *x.Float < float64(tc.want) {
				t.Errorf("float %v is not within [%d, %d+1)", x.Float, tc.want, tc.want)
			}
		})
	}
}

func TestKorthikantiIsThreeForwards(t *testing.T) {
	// FORMULAS.md §6: 72bslh²(1 + s/6h + V/12hl) is exactly 3× the
	// article's forward l·(24bsh² + 4bs²h) + 2bshV; GPT-3 dimensions.
	for _, b := range []uint64{1, 64} {
		fwd := TextbookForwardFLOPs(96, 12288, 50257, b, 2048)
		k := KorthikantiTrainingFLOPs(96, 12288, 50257, b, 2048)
		if got, want := k, new(big.Int).Mul(fwd, big.NewInt(3)); got.Cmp(want) != 0 {
			t.Errorf("b=%d: got %s, want %s", b, got, want)
		}
		r := mustEstimate(t, gpt3(), work(b, 2048, 0))
		if got := row(t, r, "flops", "training_per_batch").Textbook.Value; got.Cmp(k) != 0 {
			t.Errorf("b=%d: training row got %s, want %s", b, got, k)
		}
	}
	// Per token at s=2048: l·(24h² + 4sh) + 2hV, by hand:
	// 96·(24·12288² + 4·2048·12288) + 2·12288·50257 = 358,791,143,424.
	r := mustEstimate(t, gpt3(), work(1, 2048, 0))
	if got, want := row(t, r, "flops", "forward_per_token").Textbook.Value.Int64(), int64(358_791_143_424); got != want {
		t.Errorf("per token: got %d, want %d", got, want)
	}
}

func TestNarayananRecomputation(t *testing.T) {
	// FORMULAS.md §6, Narayanan et al. 2021: with activation recomputation a
	// step costs 96Bslh²(1 + s/(6h) + V/(16lh)) = 96bslh² + 16bs²lh + 6bshV,
	// the article's 4 × layers + 3 × logits; GPT-3 dimensions.
	l, h, v, s := uint64(96), uint64(12288), uint64(50257), uint64(2048)
	for _, b := range []uint64{1, 8} {
		want := sum(prod(96, b, s, l, h, h), prod(16, b, s, s, l, h), prod(6, b, s, h, v))
		r := mustEstimate(t, gpt3(), work(b, s, 0))
		x := row(t, r, "flops", "training_per_batch_full_recompute")
		if x.Textbook.Value.Cmp(want) != 0 {
			t.Errorf("b=%d textbook: got %s, want %s", b, x.Textbook.Value, want)
		}
		if x.Model.Value.Cmp(want) != 0 {
			t.Errorf("b=%d corrected: got %s, want %s", b, x.Model.Value, want)
		}
	}
}

func TestCorrectedForwardMatchesTextbookForGPT3(t *testing.T) {
	// GPT-3 has the article's layout, so the corrected forward must agree.
	r := mustEstimate(t, gpt3(), work(2, 2048, 0))
	x := row(t, r, "flops", "forward_per_batch")
	if x.Textbook.Value.Cmp(x.Model.Value) != 0 {
		t.Errorf("got %s corrected, want the textbook %s", x.Model.Value, x.Textbook.Value)
	}
}

func TestCountParams(t *testing.T) {
	// Exact published counts, FORMULAS.md §1.
	gpt2 := func(l, h uint64) Model {
		return Model{Layers: l, Hidden: h, Heads: h / 64, Vocab: 50257, Norm: NormLayer, Biases: BiasAll,
			TiedEmbeddings: true, LearnedPositions: 1024}
	}
	mixtral := llama(32, 4096, 32, 8, 14336, 32000)
	mixtral.Experts, mixtral.TopK = 8, 2
	g3 := gpt3()
	g3.LearnedPositions = 2048
	for _, tc := range []struct {
		name   string
		m      Model
		total  uint64
		active uint64 // 0: same as total
	}{
		{"gpt2", gpt2(12, 768), 124_439_808, 0},
		{"gpt2-medium", gpt2(24, 1024), 354_823_168, 0},
		{"gpt2-large", gpt2(36, 1280), 774_030_080, 0},
		{"gpt2-xl", gpt2(48, 1600), 1_557_611_200, 0},
		{"gpt-3", g3, 174_604_259_328, 0},
		{"llama-7b", llama(32, 4096, 32, 32, 11008, 32000), 6_738_415_616, 0},
		{"llama-65b", llama(80, 8192, 64, 64, 22016, 32000), 65_285_660_672, 0},
		{"llama-2-70b", llama(80, 8192, 64, 8, 28672, 32000), 68_976_648_192, 0},
		{"llama-3-8b", llama(32, 4096, 32, 8, 14336, 128256), 8_030_261_248, 0},
		{"mistral-7b", llama(32, 4096, 32, 8, 14336, 32000), 7_241_732_096, 0},
		// Mixtral: 46.7B total, 12.9B active (Mistral AI's announcement).
		{"mixtral-8x7b", mixtral, 46_702_792_704, 12_879_925_248},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := tc.m.Normalize()
			if err != nil {
				t.Fatal(err)
			}
			p := m.CountParams()
			if got := p.Total.Uint64(); got != tc.total {
				t.Errorf("total: got %d, want %d", got, tc.total)
			}
			want := tc.active
			if want == 0 {
				want = tc.total
			}
			if got := p.Active.Uint64(); got != want {
				t.Errorf("active: got %d, want %d", got, want)
			}
		})
	}
}

func TestTextbookParams(t *testing.T) {
	// FORMULAS.md §1: GPT-3 12lh² + 13lh + Vh = 174,579,068,928; the
	// article's table, 12lh² for LLaMA-7B's l and h: 6,442,450,944 + 13lh + Vh.
	if got, want := TextbookParams(96, 12288, 50257).Uint64(), uint64(174_579_068_928); got != want {
		t.Errorf("gpt-3: got %d, want %d", got, want)
	}
	if got, want := TextbookParams(12, 768, 50257).Uint64(), uint64(123_651_840); got != want {
		t.Errorf("gpt2: got %d, want %d", got, want)
	}
}

func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    Model
		w    Workload
		want error
	}{
		{"no layers", Model{Hidden: 8, Vocab: 8, Heads: 1}, work(1, 1, 0), ErrModel},
		{"kv heads do not divide", Model{Layers: 1, Hidden: 8, Vocab: 8, Heads: 4, KVHeads: 3}, work(1, 1, 0), ErrModel},
		{"huge hidden", Model{Layers: 1, Hidden: 1 << 40, Vocab: 8, Heads: 1}, work(1, 1, 0), ErrModel},
		{"head size unknown", Model{Layers: 1, Hidden: 10, Vocab: 8, Heads: 3}, work(1, 1, 0), ErrModel},
		{"top-k over experts", Model{Layers: 1, Hidden: 8, Vocab: 8, Heads: 1, Experts: 2, TopK: 3}, work(1, 1, 0), ErrModel},
		{"no batch", gpt3(), work(0, 1, 0), ErrWorkload},
		{"stored without bytes", gpt3(), func() Workload { w := work(1, 1, 0); w.Weights = Stored; return w }(), ErrWorkload},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Estimate(tc.m, tc.w)
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestFromArchitecture(t *testing.T) {
	if _, err := FromArchitecture("x", nil, quant.Totals{}); !errors.Is(err, ErrArchitecture) {
		t.Errorf("nil architecture: got %v, want ErrArchitecture", err)
	}
	fact := func(v int64) analysis.IntFact { return analysis.IntFact{Value: v, Known: true} }
	// Llama-3-8B's config.json facts, heads and head_dim left unknown.
	a := &analysis.Architecture{
		Layers: fact(32), Hidden: fact(4096), Vocab: fact(128256), KVHeads: fact(8), FFN: fact(14336),
		GatedMLP:       analysis.BoolFact{Value: true, Known: true},
		TiedEmbeddings: analysis.BoolFact{Value: false, Known: true},
		Norm:           analysis.StringFact{Value: NormRMS, Known: true},
		Bias:           analysis.StringFact{Value: BiasNone, Known: true},
	}
	m, err := FromArchitecture("llama-3-8b", a, quant.Totals{LogicalParams: 8_030_261_248, ParamBytes: 16_060_522_496})
	if err != nil {
		t.Fatal(err)
	}
	if m.Heads != 32 {
		t.Errorf("heads: got %d, want 32 (head size 128 assumed)", m.Heads)
	}
	if !strings.Contains(strings.Join(m.Notes, "\n"), "num_attention_heads not known") {
		t.Errorf("notes %q do not say the heads were assumed", m.Notes)
	}
	m, err = m.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.CountParams().Total.Uint64(), uint64(8_030_261_248); got != want {
		t.Errorf("counted: got %d, want %d", got, want)
	}
}

func BenchmarkEstimateDeepSeekV3(b *testing.B) {
	m := Model{Layers: 61, Hidden: 7168, Vocab: 129280, Heads: 128, FFN: 18432, Gated: true,
		Norm: NormRMS, Biases: BiasNone, Experts: 256, TopK: 8, SharedExperts: 1, ExpertFFN: 2048, DenseLayers: 3,
		MLA: &MLA{QLoRARank: 1536, KVLoRARank: 512, QKNopeHeadDim: 128, QKRopeHeadDim: 64, VHeadDim: 128}}
	w := work(8, 4096, 512)
	w.Tokens = 14_800_000_000_000
	w.GPUs, w.PeakTFLOPs, w.Utilization = 2048, big.NewRat(989, 1), big.NewRat(2, 5)
	for b.Loop() {
		if _, err := Estimate(m, w); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzEstimate checks that no hyper-parameters or workload make Estimate
// panic, and that an accepted estimate has a value and a formula in every
// row.
func FuzzEstimate(f *testing.F) {
	f.Add(uint64(96), uint64(12288), uint64(50257), uint64(96), uint64(0), uint64(0), uint64(0), uint64(0), uint64(0), uint64(0), uint64(1), uint64(2048), uint64(0), uint64(1), uint8(0))
	f.Add(uint64(32), uint64(4096), uint64(32000), uint64(32), uint64(8), uint64(128), uint64(14336), uint64(8), uint64(2), uint64(0), uint64(1), uint64(4096), uint64(10), uint64(8), uint8(7))
	f.Add(uint64(61), uint64(7168), uint64(129280), uint64(128), uint64(0), uint64(0), uint64(18432), uint64(256), uint64(8), uint64(512), uint64(8), uint64(1), uint64(1<<31), uint64(3), uint8(3))
	f.Fuzz(func(t *testing.T, l, h, v, a, g, d, ffn, e, k, kvRank, b, s, gen, tp uint64, flags uint8) {
		m := Model{Layers: l, Hidden: h, Vocab: v, Heads: a, KVHeads: g, HeadDim: d, FFN: ffn,
			Experts: e, TopK: k, Gated: flags&1 != 0, TiedEmbeddings: flags&2 != 0, SlidingWindow: gen / 2}
		if flags&4 != 0 && kvRank > 0 {
			m.MLA = &MLA{QLoRARank: kvRank / 2, KVLoRARank: kvRank, QKNopeHeadDim: d, QKRopeHeadDim: 64, VHeadDim: d + 1}
		}
		if flags&8 != 0 {
			m.ParamCount = l * 1000
		}
		w := work(b, s, gen)
		w.TP, w.SP = tp, flags&16 != 0
		w.Recompute = []Recompute{RecomputeNone, RecomputeSelective, RecomputeFull, "bogus"}[flags>>6]
		w.Tokens, w.GPUs, w.PeakTFLOPs, w.Utilization = s, tp, big.NewRat(312, 1), big.NewRat(1, 2)
		r, err := Estimate(m, w)
		if err != nil {
			return
		}
		for _, sec := range r.Sections {
			for _, x := range sec.Rows {
				if x.Textbook.Value == nil || x.Textbook.Value.Sign() < 0 || x.Textbook.Formula == "" {
					t.Errorf("%s.%s: textbook %v %q", sec.Key, x.Key, x.Textbook.Value, x.Textbook.Formula)
				}
				if x.Model != nil && (x.Model.Value == nil || x.Model.Value.Sign() < 0 || x.Model.Formula == "") {
					t.Errorf("%s.%s: corrected %v %q", sec.Key, x.Key, x.Model.Value, x.Model.Formula)
				}
			}
		}
	})
}
