package analysis

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/paramscope/paramscope/reader"
	"github.com/paramscope/paramscope/testdata/layouts"
)

// famCase is what the analysis must infer from one committed fixture.
type famCase struct {
	name   string // folder under testdata/models and facts/<name>.json
	family string
	l, h   int64
	v, f   int64
	heads  int64 // A
	kv     int64 // G
	d      int64 // head size
	norm   string
	bias   string
	tied   bool
	pos    int64 // learned position rows
	gated  bool
	par    bool  // parallel attention and MLP
	enc    int64 // encoder layers (T5)
	actual uint64
	// published is facts/<name>.json's published_parameters: actual plus
	// what the publisher also counted (tied copies, FP8 scales), checked
	// against the classification's totals.
	stored string // "", "duplicate" or "side": what published adds to actual
	moe    *famMoE
	mla    [2]int64 // q_lora_rank, kv_lora_rank
	// corrected is the corrected formula in symbols.
	corrected string
}

type famMoE struct {
	experts, topK, shared, dense int64
	expertFFN                    int64
	// active is the per-token count (Formula's Active), from the source
	// cited on the row.
	active uint64
}

// TestFamilies reads every committed fixture end to end (reader.Open, then
// Analyze) and checks the inferred architecture and the exact count. The
// sizes are each model's config.json (sources in
// testdata/layouts/facts/<name>.json); the counts are the published ones
// recorded there (PublishedParameters), or FORMULAS.md's exact values.
func TestFamilies(t *testing.T) {
	cases := []famCase{
		// GPT-2 (FORMULAS.md GPT-2 table): Conv1D stored [in, out], fused c_attn.
		{name: "gpt2", family: "gpt2", l: 12, h: 768, v: 50257, f: 3072, heads: 12, kv: 12, d: 64, norm: "layernorm", bias: "all", tied: true, pos: 1024,
			actual: 124_439_808, corrected: "l·(12h² + 13h) + V·h + P·h + 2h"},
		{name: "gpt2-medium", family: "gpt2", l: 24, h: 1024, v: 50257, f: 4096, heads: 16, kv: 16, d: 64, norm: "layernorm", bias: "all", tied: true, pos: 1024,
			actual: 354_823_168, corrected: "l·(12h² + 13h) + V·h + P·h + 2h"},
		{name: "gpt2-large", family: "gpt2", l: 36, h: 1280, v: 50257, f: 5120, heads: 20, kv: 20, d: 64, norm: "layernorm", bias: "all", tied: true, pos: 1024,
			actual: 774_030_080, corrected: "l·(12h² + 13h) + V·h + P·h + 2h"},
		{name: "gpt2-xl", family: "gpt2", l: 48, h: 1600, v: 50257, f: 6400, heads: 25, kv: 25, d: 64, norm: "layernorm", bias: "all", tied: true, pos: 1024,
			actual: 1_557_611_200, corrected: "l·(12h² + 13h) + V·h + P·h + 2h"},
		// GPT-J-6B: the sum of its weight files, 6,050,882,784 (facts); parallel
		// block with one ln_1, no attention biases, untied lm_head with bias.
		{name: "gpt-j-6b", family: "gptj", l: 28, h: 4096, v: 50400, f: 16384, heads: 16, kv: 16, d: 256, norm: "layernorm", bias: "partial", par: true,
			actual: 6_050_882_784, corrected: "l·(12h² + 7h) + 2V·h + 2h + V"},
		// Pythia-1.4B: Pythia paper table 1, 1,414,647,808.
		{name: "pythia-1.4b", family: "gpt_neox", l: 24, h: 2048, v: 50304, f: 8192, heads: 16, kv: 16, d: 128, norm: "layernorm", bias: "all", par: true,
			actual: 1_414_647_808, corrected: "l·(12h² + 13h) + 2V·h + 2h"},
		// OPT-125m: 125,239,296 with 2048+2 learned positions.
		{name: "opt-125m", family: "opt", l: 12, h: 768, v: 50272, f: 3072, heads: 12, kv: 12, d: 64, norm: "layernorm", bias: "all", tied: true, pos: 2050,
			actual: 125_239_296, corrected: "l·(12h² + 13h) + V·h + P·h + 2h"},
		// BLOOM-560m model card: 559,214,592, with the embedding LayerNorm.
		{name: "bloom-560m", family: "bloom", l: 24, h: 1024, v: 250880, f: 4096, heads: 16, kv: 16, d: 64, norm: "layernorm", bias: "all", tied: true,
			actual: 559_214_592, corrected: "l·(12h² + 13h) + V·h + 4h"},
		// Falcon-7B: multi-query (71 heads, 1 K/V head of 64); the Hub's
		// 7,217,189,760 also counts the stored copy of the tied lm_head.
		{name: "falcon-7b", family: "falcon", l: 32, h: 4544, v: 65024, f: 18176, heads: 71, kv: 1, d: 64, norm: "layernorm", bias: "none", tied: true, par: true,
			actual: 6_921_720_704, stored: "duplicate", corrected: "l·(10h² + 2h·G·d + 2h) + V·h + 2h"},
		// Falcon-40B: 128 heads, 8 K/V heads, ln_attn and ln_mlp.
		{name: "falcon-40b", family: "falcon", l: 60, h: 8192, v: 65024, f: 32768, heads: 128, kv: 8, d: 64, norm: "layernorm", bias: "none", tied: true, par: true,
			actual: 41_303_293_952, stored: "duplicate", corrected: "l·(10h² + 2h·G·d + 4h) + V·h + 2h"},
		// Llama family: FORMULAS.md LLaMA table.
		{name: "llama-7b", family: "llama", l: 32, h: 4096, v: 32000, f: 11008, heads: 32, kv: 32, d: 128, norm: "rmsnorm", bias: "none", gated: true,
			actual: 6_738_415_616, corrected: "l·(4h² + 3h·f + 2h) + 2V·h + h"},
		{name: "llama-2-7b", family: "llama", l: 32, h: 4096, v: 32000, f: 11008, heads: 32, kv: 32, d: 128, norm: "rmsnorm", bias: "none", gated: true,
			actual: 6_738_415_616, corrected: "l·(4h² + 3h·f + 2h) + 2V·h + h"},
		{name: "llama-2-13b", family: "llama", l: 40, h: 5120, v: 32000, f: 13824, heads: 40, kv: 40, d: 128, norm: "rmsnorm", bias: "none", gated: true,
			actual: 13_015_864_320, corrected: "l·(4h² + 3h·f + 2h) + 2V·h + h"},
		{name: "llama-2-70b", family: "llama", l: 80, h: 8192, v: 32000, f: 28672, heads: 64, kv: 8, d: 128, norm: "rmsnorm", bias: "none", gated: true,
			actual: 68_976_648_192, corrected: "l·(2h² + 2h·G·d + 3h·f + 2h) + 2V·h + h"},
		{name: "llama-3-8b", family: "llama", l: 32, h: 4096, v: 128256, f: 14336, heads: 32, kv: 8, d: 128, norm: "rmsnorm", bias: "none", gated: true,
			actual: 8_030_261_248, corrected: "l·(2h² + 2h·G·d + 3h·f + 2h) + 2V·h + h"},
		{name: "mistral-7b-v0.1", family: "llama", l: 32, h: 4096, v: 32000, f: 14336, heads: 32, kv: 8, d: 128, norm: "rmsnorm", bias: "none", gated: true,
			actual: 7_241_732_096, corrected: "l·(2h² + 2h·G·d + 3h·f + 2h) + 2V·h + h"},
		// Mixtral-8x7B: FORMULAS.md, 8 experts of width 14336, top-2.
		{name: "mixtral-8x7b", family: "mixtral", l: 32, h: 4096, v: 32000, f: 14336, heads: 32, kv: 8, d: 128, norm: "rmsnorm", bias: "none", gated: true,
			actual: 46_702_792_704, moe: &famMoE{experts: 8, topK: 2, shared: 0, dense: 0, expertFFN: 14336,
				// FORMULAS.md's Mixtral sizes with 2 of 8 experts:
				// 32·(2h² + 2h·1024 + 2·3h·14336 + 8h + 2h) + 2·32000·h + h, the paper's "13B active".
				active: 12_879_925_248},
			corrected: "l·(2h² + 2h·G·d + 3E·h·f_e + E·h + 2h) + 2V·h + h"},
		// Qwen2.5-7B: biases on Q, K, V only; 7,615,616,512 (Hub).
		{name: "qwen2.5-7b", family: "llama", l: 28, h: 3584, v: 152064, f: 18944, heads: 28, kv: 4, d: 128, norm: "rmsnorm", bias: "qkv", gated: true,
			actual: 7_615_616_512, corrected: "l·(2h² + 2h·G·d + 3h·f + 3h + 2G·d) + 2V·h + h"},
		// Qwen3-0.6B: head size 128 with h 1024 (A·d = 2048 != h), Q/K norms;
		// the Hub's 751,632,384 also counts the stored tied lm_head.
		{name: "qwen3-0.6b", family: "llama", l: 28, h: 1024, v: 151936, f: 3072, heads: 16, kv: 8, d: 128, norm: "rmsnorm", bias: "none", gated: true, tied: true,
			actual: 596_049_920, stored: "duplicate", corrected: "l·(2h·A·d + 2h² + 2d + 3h·f + 2h) + V·h + h"},
		{name: "qwen3-8b", family: "llama", l: 36, h: 4096, v: 151936, f: 12288, heads: 32, kv: 8, d: 128, norm: "rmsnorm", bias: "none", gated: true,
			actual: 8_190_735_360, corrected: "l·(2h² + 2h·G·d + 2d + 3h·f + 2h) + 2V·h + h"},
		// Gemma-7B: head size 256 × 16 heads = 4096 != h 3072, tied; keras-hub 8,537,680,896.
		{name: "gemma-7b", family: "llama", l: 28, h: 3072, v: 256000, f: 24576, heads: 16, kv: 16, d: 256, norm: "rmsnorm", bias: "none", gated: true, tied: true,
			actual: 8_537_680_896, corrected: "l·(2h·A·d + 2h·G·d + 3h·f + 2h) + V·h + h"},
		// Phi-3-mini-4k: fused qkv_proj and gate_up_proj; 3,821,079,552.
		{name: "phi-3-mini-4k-instruct", family: "phi3", l: 32, h: 3072, v: 32064, f: 8192, heads: 32, kv: 32, d: 96, norm: "rmsnorm", bias: "none", gated: true,
			actual: 3_821_079_552, corrected: "l·(4h² + 3h·f + 2h) + 2V·h + h"},
		// DeepSeek-V3: MLA (q_lora_rank 1536, kv_lora_rank 512), 256 routed +
		// 1 shared expert of 2048, top-8, 3 dense layers of 18432, MTP layer
		// 61; the Hub's 684,531,386,000 also counts the FP8 block scales.
		{name: "deepseek-v3", family: "deepseek", l: 61, h: 7168, v: 129280, f: 18432, heads: 128, kv: 128, d: 192, norm: "rmsnorm", bias: "none", gated: true,
			actual: 684_489_845_504, stored: "side", moe: &famMoE{experts: 256, topK: 8, shared: 1, dense: 3, expertFFN: 2048,
				// The V3 report's "37B activated" (MTP excluded): 671,026,419,200
				// minus 248 idle experts × 3·7168·2048 in 58 MoE layers.
				active: 37_552_297_472}, mla: [2]int64{1536, 512}},
		// gpt-oss-20b and -120b (MXFP4 experts, stacked [E, ...] with biases,
		// attention sinks): the Hub's counts without the block scales
		// (facts: huggingface.js spec), 20,914,757,184 and 116,829,156,672.
		{name: "quant-gpt-oss-20b", family: "gpt_oss", l: 24, h: 2880, v: 201088, f: 2880, heads: 64, kv: 8, d: 64, norm: "rmsnorm", bias: "all", gated: true,
			actual: 20_914_757_184, moe: &famMoE{experts: 32, topK: 4, expertFFN: 2880,
				// OpenAI's model card: 3.61B active, which leaves out the token
				// embedding (201088·2880 = 579,133,440): 3,608,307,264 + 579,133,440.
				active: 4_187_440_704},
			corrected: "l·(2h·A·d + 2h·G·d + 3E·h·f_e + 2E·h + 3h + A + A·d + 2G·d + 2E·f_e + E) + 2V·h + h"},
		{name: "quant-gpt-oss-120b", family: "gpt_oss", l: 36, h: 2880, v: 201088, f: 2880, heads: 64, kv: 8, d: 64, norm: "rmsnorm", bias: "all", gated: true,
			actual: 116_829_156_672, moe: &famMoE{experts: 128, topK: 4, expertFFN: 2880,
				// Model card: 5.13B active without the embedding: 5,132,849,472 + 579,133,440.
				active: 5_711_982_912},
			corrected: "l·(2h·A·d + 2h·G·d + 3E·h·f_e + 2E·h + 3h + A + A·d + 2G·d + 2E·f_e + E) + 2V·h + h"},
		// Quantized Llamas: roles and counts come from the logical shapes
		// quant.Classify unpacks (GPTQ qweight, bitsandbytes 4-bit), so the
		// exact counts are the unquantized models' (FORMULAS.md LLaMA table).
		{name: "quant-llama-2-7b-gptq", family: "llama", l: 32, h: 4096, v: 32000, f: 11008, heads: 32, kv: 32, d: 128, norm: "rmsnorm", bias: "none", gated: true,
			actual: 6_738_415_616, corrected: "l·(4h² + 3h·f + 2h) + 2V·h + h"},
		{name: "quant-llama-3.1-8b-instruct-bnb-4bit", family: "llama", l: 32, h: 4096, v: 128256, f: 14336, heads: 32, kv: 8, d: 128, norm: "rmsnorm", bias: "none", gated: true,
			actual: 8_030_261_248, corrected: "l·(2h² + 2h·G·d + 3h·f + 2h) + 2V·h + h"},
		// BERT-base-uncased with its pre-training heads: 110,106,428 (facts).
		{name: "bert-base-uncased", family: "bert", l: 12, h: 768, v: 30522, f: 3072, heads: 12, kv: 12, d: 64, norm: "layernorm", bias: "all", tied: true, pos: 512,
			actual: 110_106_428, corrected: "l·(12h² + 13h) + V·h + P·h + T·h + 2h + n(other)"},
		// T5-small: 6 + 6 layers, d_model 512, d_kv 64, 8 heads, d_ff 2048; 60,506,624.
		{name: "t5-small", family: "t5", l: 6, h: 512, v: 32128, f: 2048, heads: 8, kv: 8, d: 64, norm: "rmsnorm", bias: "none", tied: true, enc: 6,
			actual: 60_506_624, corrected: "l_enc·(12h² + 2h + B·A) + l_enc2·(12h² + 2h) + l_dec·(16h² + 3h + B·A) + l_dec2·(16h² + 3h) + V·h + 2h"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ck, err := reader.Open(context.Background(), filepath.Join("..", "testdata", "models", tc.name), reader.DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			a := Analyze(ck.Tensors, ck.Config)
			ar := a.Arch
			checkInt := func(what string, got IntFact, want int64) {
				t.Helper()
				if !got.Known || got.Value != want {
					t.Errorf("%s: got %d (known %v, %+v), want %d", what, got.Value, got.Known, got.Evidence, want)
				}
			}
			if ar.Family != tc.family {
				t.Errorf("family: got %s, want %s", ar.Family, tc.family)
			}
			checkInt("layers", ar.Layers, tc.l)
			checkInt("hidden", ar.Hidden, tc.h)
			checkInt("vocab", ar.Vocab, tc.v)
			checkInt("ffn", ar.FFN, tc.f)
			checkInt("heads", ar.Heads, tc.heads)
			checkInt("kv heads", ar.KVHeads, tc.kv)
			checkInt("head dim", ar.HeadDim, tc.d)
			checkInt("learned positions", ar.LearnedPositions, tc.pos)
			checkInt("encoder layers", ar.EncoderLayers, tc.enc)
			if ar.Norm.Value != tc.norm {
				t.Errorf("norm: got %s, want %s", ar.Norm.Value, tc.norm)
			}
			if ar.Bias.Value != tc.bias {
				t.Errorf("bias: got %s, want %s (%s)", ar.Bias.Value, tc.bias, ar.Bias.Evidence.Note)
			}
			if ar.TiedEmbeddings.Value != tc.tied {
				t.Errorf("tied: got %v, want %v", ar.TiedEmbeddings.Value, tc.tied)
			}
			if ar.GatedMLP.Value != tc.gated {
				t.Errorf("gated: got %v, want %v", ar.GatedMLP.Value, tc.gated)
			}
			if ar.ParallelBlocks.Value != tc.par {
				t.Errorf("parallel: got %v, want %v", ar.ParallelBlocks.Value, tc.par)
			}
			// The textbook's l counts every layer of the language model
			// (T5: 6 encoder + 6 decoder), never the MTP layer.
			if got, want := a.Formula.L, uint64(tc.l+tc.enc); got != want || a.Formula.H != uint64(tc.h) || a.Formula.V != uint64(tc.v) {
				t.Errorf("formula l, h, V: got %d, %d, %d, want %d, %d, %d", got, a.Formula.H, a.Formula.V, want, tc.h, tc.v)
			}
			if got := a.Formula.Actual; got != tc.actual {
				t.Errorf("actual: got %d, want %d", got, tc.actual)
			}
			if got := a.Formula.Corrected.Residual; got != 0 {
				t.Errorf("corrected residual: got %d, want 0 (%v)", got, a.Formula.Corrected.ResidualTensors)
			}
			if tc.corrected != "" && a.Formula.Corrected.Symbolic != tc.corrected {
				t.Errorf("corrected: got %q, want %q", a.Formula.Corrected.Symbolic, tc.corrected)
			}
			// The published count, from the facts file.
			facts, err := layouts.LoadFacts(tc.name)
			if err != nil {
				t.Fatal(err)
			}
			pub := a.Formula.Actual
			switch tc.stored {
			case "duplicate":
				pub += a.Totals.DuplicateParams
			case "side":
				pub += a.Totals.SideElements
			}
			if facts.PublishedParameters != 0 && pub != facts.PublishedParameters {
				t.Errorf("published: got %d (+%s), want %d (%s)", pub, tc.stored, facts.PublishedParameters, facts.PublishedSource)
			}
			for _, f := range a.Findings {
				if f.Level == "problem" {
					t.Errorf("problem finding on a real layout: %s: %s", f.Code, f.Message)
				}
			}
			if tc.moe == nil {
				if ar.MoE != nil {
					t.Errorf("moe: got %+v, want none", ar.MoE)
				}
			} else if ar.MoE == nil {
				t.Errorf("moe: got none, want %+v", *tc.moe)
			} else {
				checkInt("experts", ar.MoE.Experts, tc.moe.experts)
				checkInt("top-k", ar.MoE.TopK, tc.moe.topK)
				checkInt("shared experts", ar.MoE.SharedExperts, tc.moe.shared)
				checkInt("expert width", ar.MoE.ExpertFFN, tc.moe.expertFFN)
				if got := a.Formula.Active; got != tc.moe.active {
					t.Errorf("active: got %d, want %d (%s)", got, tc.moe.active, a.Formula.ActiveNote)
				}
				if got := int64(len(ar.MoE.DenseLayers)); got != tc.moe.dense {
					t.Errorf("dense layers: got %v, want %d", ar.MoE.DenseLayers, tc.moe.dense)
				}
			}
			if tc.mla != [2]int64{} {
				if ar.MLA == nil {
					t.Fatalf("mla: got none, want ranks %v", tc.mla)
				}
				checkInt("q_lora_rank", ar.MLA.QLoRARank, tc.mla[0])
				checkInt("kv_lora_rank", ar.MLA.KVLoRARank, tc.mla[1])
			}
		})
	}
}
