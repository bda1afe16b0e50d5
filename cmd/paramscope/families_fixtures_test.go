package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/paramscope/paramscope/reader"
	"github.com/paramscope/paramscope/testdata/layouts"
)

// famCounts adds up a layout built in memory: every stored element, and
// the elements of the tensors that are not parameters (rotary inv_freq
// buffers, FP8 weight_scale_inv side tensors).
type famCounts struct {
	all, buffers, scales uint64
	byDType              map[string]uint64
	tensors              int
}

func famCount(m layouts.Model) famCounts {
	c := famCounts{byDType: map[string]uint64{}, tensors: len(m.Tensors)}
	for _, t := range m.Tensors {
		n := t.Elements()
		c.all += n
		c.byDType[t.DType] += n
		switch {
		case strings.HasSuffix(t.Name, ".rotary_emb.inv_freq"):
			c.buffers += n
		case strings.HasSuffix(t.Name, ".weight_scale_inv"):
			c.scales += n
		}
	}
	return c
}

func famBuild(t *testing.T, name string) layouts.Model {
	t.Helper()
	m, err := layouts.Build(name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestFamilyLayoutsCounts checks that each Llama-style, MoE and DeepSeek
// layout holds exactly the published or derived number of elements, and
// that its parameters (all elements minus buffers and quantization scales)
// are the model's published parameter count.
func TestFamilyLayoutsCounts(t *testing.T) {
	tests := []struct {
		model string
		// all is the sum of every stored tensor's shape product.
		all uint64
		// params excludes inv_freq buffers and weight_scale_inv tensors.
		params uint64
		// tensors and shards are what the published index lists.
		tensors, shards int
	}{
		// FORMULAS.md LLaMA-family table: 6,738,415,616 parameters (the
		// LLaMA paper's "6.7B"); the April 2023 export adds 32 inv_freq
		// buffers of head_dim/2 = 64.
		{"llama-7b", 6_738_415_616 + 32*64, 6_738_415_616, 32*10 + 3, 2},
		// Same count, the clean layout: parameters only.
		{"llama-2-7b", 6_738_415_616, 6_738_415_616, 32*9 + 3, 2},
		// meta-llama/Llama-2-7b-hf as stored: model.safetensors.index.json
		// total_size 13,476,839,424 bytes = 2 × 6,738,415,616 (F16) + 4 ×
		// 2,048 (32 F32 inv_freq buffers of 64).
		{"llama-2-7b-with-buffers", 6_738_415_616 + 32*64, 6_738_415_616, 32*10 + 3, 2},
		// FORMULAS.md: Llama-2-13B 13,015,864,320 parameters, plus 40 F32
		// inv_freq buffers of 64 as in the other Llama 2 exports; 3 shards.
		{"llama-2-13b", 13_015_864_320 + 40*64, 13_015_864_320, 40*10 + 3, 3},
		// FORMULAS.md: Llama-2-70B (GQA, 8 KV heads) 68,976,648,192, plus 80
		// inv_freq buffers (see TestFamilyLayoutsTotalSize); 15 shards.
		{"llama-2-70b", 68_976_648_192 + 80*64, 68_976_648_192, 80*10 + 3, 15},
		// FORMULAS.md: Llama-3-8B 8,030,261,248; 4 shards.
		{"llama-3-8b", 8_030_261_248, 8_030_261_248, 32*9 + 3, 4},
		// FORMULAS.md: Mistral-7B-v0.1 7,241,732,096; 2 shards.
		{"mistral-7b-v0.1", 7_241_732_096, 7_241_732_096, 32*9 + 3, 2},
		// FORMULAS.md: Mixtral-8x7B 46,702,792,704 (8 experts of 3 matrices,
		// a router, 4 attention matrices, 2 norms per layer); 19 shards.
		{"mixtral-8x7b", 46_702_792_704, 46_702_792_704, 32*(4+1+8*3+2) + 3, 19},
		// Hub safetensors total for Qwen/Qwen2.5-7B: 7,615,616,512 (its
		// card: 7.61B); q/k/v biases make 12 tensors per layer; 4 shards.
		{"qwen2.5-7b", 7_615_616_512, 7_615_616_512, 28*12 + 3, 4},
		// Hub API for Qwen/Qwen3-0.6B: {"BF16": 751632384}, one file; it
		// includes lm_head.weight, a stored copy of the tied embedding
		// (checked in TestFamilyLayoutsTiedCopy).
		{"qwen3-0.6b", 751_632_384, 751_632_384, 28*11 + 3, 0},
		// Hub API for Qwen/Qwen3-8B: {"BF16": 8190735360}; 5 shards.
		{"qwen3-8b", 8_190_735_360, 8_190_735_360, 36*11 + 3, 5},
		// keras-hub gemma_presets.py gemma_7b_en params 8,537,680,896; tied,
		// so no lm_head; 4 shards.
		{"gemma-7b", 8_537_680_896, 8_537_680_896, 28*9 + 2, 4},
		// Hub safetensors total for microsoft/Phi-3-mini-4k-instruct and
		// keras-hub phi3_mini_4k_instruct_en: 3,821,079,552; 2 shards.
		{"phi-3-mini-4k-instruct", 3_821_079_552, 3_821_079_552, 32*6 + 3, 2},
		// Hub API for deepseek-ai/DeepSeek-V3: total 684,531,386,000, which
		// counts the 41,540,496 F32 weight_scale_inv elements; without them
		// 684,489,845,504 (derivation in facts/deepseek-v3.json). The
		// tensor count from the config (91,991, as a public inventory of
		// the same-layout DeepSeek-R1 files also reports): embed_tokens,
		// norm, lm_head; 3 dense layers of 5 FP8 linears with scales, 2 MLA
		// norms, 3 MLP linears with scales and 2 norms; 59 MoE layers (58 +
		// the MTP layer) with 256 + 1 experts of 3 linears with scales and
		// the router's weight and bias in place of the MLP; the MTP layer's
		// 6 own tensors. One file here; the real checkpoint has 163 shards
		// (facts notes).
		{"deepseek-v3", 684_531_386_000, 684_489_845_504,
			3 + 3*(5*2+2+3*2+2) + 59*(5*2+2+257*3*2+2+2) + 6, 0},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			m := famBuild(t, tt.model)
			c := famCount(m)
			if c.all != tt.all {
				t.Errorf("sum of shape products: got %d, want %d", c.all, tt.all)
			}
			if got := c.all - c.buffers - c.scales; got != tt.params {
				t.Errorf("parameters (no inv_freq, no weight_scale_inv): got %d, want %d", got, tt.params)
			}
			if c.tensors != tt.tensors {
				t.Errorf("tensors: got %d, want %d", c.tensors, tt.tensors)
			}
			if m.Shards != tt.shards {
				t.Errorf("shards: got %d, want %d", m.Shards, tt.shards)
			}
			f, err := layouts.LoadFacts(tt.model)
			if err != nil {
				t.Fatal(err)
			}
			// The facts file must state the same number it cites.
			want := tt.all
			if f.PublishedCounts == "parameters" {
				want = tt.params
			}
			if f.PublishedParameters != want {
				t.Errorf("facts published_parameters (%s): got %d, want %d", f.PublishedCounts, f.PublishedParameters, want)
			}
		})
	}
}

// TestFamilyLayoutsShapes checks the tensors where these families leave the
// textbook layout: GQA, head_dim ≠ h/A, QKV biases, per-head norms, fused
// projections, MoE routers. Shapes are nn.Linear's [out, in].
func TestFamilyLayoutsShapes(t *testing.T) {
	type shape struct {
		dtype string
		dims  []uint64
	}
	tests := []struct {
		model  string
		shapes map[string]shape
		absent []string
	}{
		// LLaMA-1 export: the rotary buffer of head_dim/2 = 128/2 frequencies.
		{"llama-7b", map[string]shape{
			"model.layers.0.self_attn.rotary_emb.inv_freq": {"F32", []uint64{64}},
			"model.layers.31.mlp.gate_proj.weight":         {"F16", []uint64{11008, 4096}},
		}, nil},
		// The clean Llama 2 7B: F16, no inv_freq, untied lm_head.
		{"llama-2-7b", map[string]shape{
			"model.embed_tokens.weight":               {"F16", []uint64{32000, 4096}},
			"lm_head.weight":                          {"F16", []uint64{32000, 4096}},
			"model.layers.0.mlp.down_proj.weight":     {"F16", []uint64{4096, 11008}},
			"model.layers.31.self_attn.k_proj.weight": {"F16", []uint64{4096, 4096}},
		}, []string{"model.layers.0.self_attn.rotary_emb.inv_freq"}},
		// Llama 2 70B: 8 KV heads × 128 = 1024 rows.
		{"llama-2-70b", map[string]shape{
			"model.layers.79.self_attn.k_proj.weight": {"F16", []uint64{1024, 8192}},
			"model.layers.79.self_attn.q_proj.weight": {"F16", []uint64{8192, 8192}},
			"model.layers.0.mlp.up_proj.weight":       {"F16", []uint64{28672, 8192}},
		}, nil},
		// Llama 3 8B: BF16, V 128256, 8 KV heads.
		{"llama-3-8b", map[string]shape{
			"model.embed_tokens.weight":              {"BF16", []uint64{128256, 4096}},
			"model.layers.0.self_attn.v_proj.weight": {"BF16", []uint64{1024, 4096}},
		}, nil},
		// Mixtral: router [8, 4096], experts w1/w3 [14336, 4096], w2 [4096, 14336].
		{"mixtral-8x7b", map[string]shape{
			"model.layers.0.block_sparse_moe.gate.weight":          {"BF16", []uint64{8, 4096}},
			"model.layers.31.block_sparse_moe.experts.7.w1.weight": {"BF16", []uint64{14336, 4096}},
			"model.layers.31.block_sparse_moe.experts.7.w2.weight": {"BF16", []uint64{4096, 14336}},
			"model.layers.31.block_sparse_moe.experts.7.w3.weight": {"BF16", []uint64{14336, 4096}},
		}, []string{"model.layers.0.mlp.gate_proj.weight"}},
		// Qwen2.5: biases on q, k, v only.
		{"qwen2.5-7b", map[string]shape{
			"model.layers.0.self_attn.q_proj.bias":   {"BF16", []uint64{3584}},
			"model.layers.0.self_attn.k_proj.bias":   {"BF16", []uint64{512}},
			"model.layers.27.self_attn.v_proj.bias":  {"BF16", []uint64{512}},
			"model.layers.0.self_attn.k_proj.weight": {"BF16", []uint64{512, 3584}},
		}, []string{"model.layers.0.self_attn.o_proj.bias"}},
		// Qwen3-0.6B: head_dim 128 with h 1024 and 16 heads, q/k norms.
		{"qwen3-0.6b", map[string]shape{
			"model.layers.0.self_attn.q_proj.weight":  {"BF16", []uint64{2048, 1024}},
			"model.layers.0.self_attn.o_proj.weight":  {"BF16", []uint64{1024, 2048}},
			"model.layers.0.self_attn.q_norm.weight":  {"BF16", []uint64{128}},
			"model.layers.27.self_attn.k_norm.weight": {"BF16", []uint64{128}},
		}, []string{"model.layers.0.self_attn.q_proj.bias"}},
		// Gemma 7B: head_dim 256 with h 3072 and 16 heads; tied.
		{"gemma-7b", map[string]shape{
			"model.layers.0.self_attn.q_proj.weight": {"BF16", []uint64{4096, 3072}},
			"model.layers.0.self_attn.o_proj.weight": {"BF16", []uint64{3072, 4096}},
			"model.embed_tokens.weight":              {"BF16", []uint64{256000, 3072}},
		}, []string{"lm_head.weight"}},
		// Phi-3: fused qkv_proj and gate_up_proj.
		{"phi-3-mini-4k-instruct", map[string]shape{
			"model.layers.0.self_attn.qkv_proj.weight": {"BF16", []uint64{9216, 3072}},
			"model.layers.0.mlp.gate_up_proj.weight":   {"BF16", []uint64{16384, 3072}},
			"lm_head.weight":                           {"BF16", []uint64{32064, 3072}},
		}, []string{"model.layers.0.self_attn.q_proj.weight"}},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			m := famBuild(t, tt.model)
			byName := map[string]layouts.Tensor{}
			for _, tn := range m.Tensors {
				byName[tn.Name] = tn
			}
			for name, want := range tt.shapes {
				got, ok := byName[name]
				if !ok {
					t.Errorf("%s: missing", name)
					continue
				}
				if got.DType != want.dtype || !slices.Equal(got.Shape, want.dims) {
					t.Errorf("%s: got %s %v, want %s %v", name, got.DType, got.Shape, want.dtype, want.dims)
				}
			}
			for _, name := range tt.absent {
				if _, ok := byName[name]; ok {
					t.Errorf("%s: present, want absent", name)
				}
			}
		})
	}
}

// TestFamilyLayoutsShards checks shard placements read from published
// index files: the exporter fills shards in state_dict order, so a layer can
// straddle two shards.
func TestFamilyLayoutsShards(t *testing.T) {
	tests := []struct {
		model, tensor string
		shard         int // 0-based: model-00001-of-… is 0
	}{
		// meta-llama/Llama-2-7b-hf model.safetensors.index.json:
		// embed_tokens in model-00001-of-00002, lm_head in model-00002-of-00002.
		{"llama-2-7b", "model.embed_tokens.weight", 0},
		{"llama-2-7b", "lm_head.weight", 1},
		// meta-llama/Llama-2-70b-hf's index: embed_tokens and layer 0 in
		// model-00001-of-00015, lm_head in model-00015-of-00015.
		{"llama-2-70b", "model.embed_tokens.weight", 0},
		{"llama-2-70b", "model.layers.0.mlp.down_proj.weight", 0},
		{"llama-2-70b", "lm_head.weight", 14},
		// The Llama 3 8B index: layers 0-8 in model-00001-of-00004; layer 20's
		// attention and gate_proj in 00002 but its up_proj, down_proj and
		// norms in 00003; layer 31's gate_proj in 00003, down_proj in 00004.
		{"llama-3-8b", "model.layers.8.self_attn.v_proj.weight", 0},
		{"llama-3-8b", "model.layers.9.input_layernorm.weight", 1},
		{"llama-3-8b", "model.layers.20.mlp.gate_proj.weight", 1},
		{"llama-3-8b", "model.layers.20.mlp.up_proj.weight", 2},
		{"llama-3-8b", "model.layers.20.input_layernorm.weight", 2},
		{"llama-3-8b", "model.layers.31.mlp.gate_proj.weight", 2},
		{"llama-3-8b", "model.layers.31.mlp.down_proj.weight", 3},
		{"llama-3-8b", "model.norm.weight", 3},
		// mistralai/Mixtral-8x7B-v0.1 (hub metadata as printed in a public
		// notebook): layer 10's router and expert 0 in model-00006-of-00019,
		// its expert 7 in model-00007-of-00019.
		{"mixtral-8x7b", "model.layers.10.block_sparse_moe.gate.weight", 5},
		{"mixtral-8x7b", "model.layers.10.block_sparse_moe.experts.0.w1.weight", 5},
		{"mixtral-8x7b", "model.layers.10.block_sparse_moe.experts.7.w1.weight", 6},
	}
	for _, tt := range tests {
		t.Run(tt.model+"/"+tt.tensor, func(t *testing.T) {
			m := famBuild(t, tt.model)
			for _, tn := range m.Tensors {
				if tn.Name == tt.tensor {
					if tn.Shard != tt.shard {
						t.Errorf("shard: got %d, want %d", tn.Shard, tt.shard)
					}
					return
				}
			}
			t.Errorf("tensor missing")
		})
	}
}

// TestFamilyLayoutsFileSizes checks the layouts byte for byte against the
// shard file sizes the Hugging Face Hub lists: each file is the 8-byte
// length, the header exactly as the safetensors writer lays it out, and the
// data, so a size matches only when every tensor's name, dtype, shape and
// shard is right. Sizes as listed on the Hub's file pages and API (copied
// into many public download manifests).
func TestFamilyLayoutsFileSizes(t *testing.T) {
	tests := []struct {
		model string
		sizes []uint64
	}{
		// meta-llama/Llama-2-7b-hf model-00001/00002-of-00002: only with
		// the 32 F32 inv_freq buffers (the clean llama-2-7b is 8,624 and
		// 2,872 bytes smaller).
		{"llama-2-7b-with-buffers", []uint64{9_976_578_928, 3_500_297_344}},
		// microsoft/Phi-3-mini-4k-instruct model-00001/00002-of-00002.
		{"phi-3-mini-4k-instruct", []uint64{4_972_489_328, 2_669_692_552}},
		// mistralai/Mistral-7B-v0.1 model-00001/00002-of-00002.
		{"mistral-7b-v0.1", []uint64{9_942_981_696, 4_540_516_344}},
		// Llama 3 / 3.1 8B (same tensors), model-0000N-of-00004.
		{"llama-3-8b", []uint64{4_976_698_672, 4_999_802_720, 4_915_916_176, 1_168_138_808}},
		// Qwen/Qwen3-8B model-0000N-of-00005.
		{"qwen3-8b", []uint64{3_996_250_744, 3_993_160_032, 3_959_604_768, 3_187_841_392, 1_244_659_840}},
		// Qwen/Qwen2.5-7B-Instruct model-0000N-of-00004, the instruct
		// sibling of Qwen2.5-7B (same tensors, same export): its sizes show
		// the forward-order state_dict (facts notes).
		{"qwen2.5-7b", []uint64{3_945_441_440, 3_864_726_352, 3_864_726_424, 3_556_377_672}},
		// Qwen/Qwen3-0.6B model.safetensors.
		{"qwen3-0.6b", []uint64{1_503_300_328}},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			m := famBuild(t, tt.model)
			byShard := make([][]layouts.Tensor, max(m.Shards, 1))
			for _, tn := range m.Tensors {
				byShard[tn.Shard] = append(byShard[tn.Shard], tn)
			}
			if len(byShard) != len(tt.sizes) {
				t.Fatalf("files: got %d, want %d", len(byShard), len(tt.sizes))
			}
			for i, ts := range byShard {
				h, dataLen, err := layouts.EncodeHeader(ts, m.Metadata)
				if err != nil {
					t.Fatal(err)
				}
				if got := uint64(len(h)) + dataLen; got != tt.sizes[i] {
					t.Errorf("file %d of %d: got %d bytes, want %d", i+1, len(tt.sizes), got, tt.sizes[i])
				}
			}
		})
	}
}

// TestFamilyLayoutsRepoBytes checks the sum of each layout's file sizes
// (8-byte lengths, headers, data) against the bytes of the weight files of
// the publisher's repository, where only that sum is published (the
// "artifact_bytes" of a public model-evidence ledger, read from the Hub
// trees of mistralai/Mixtral-8x7B-v0.1 at fc7ac946 and google/gemma-7b at
// ff6768d9). The data alone is fixed by the parameter count, so the sum
// also pins the headers of every shard.
func TestFamilyLayoutsRepoBytes(t *testing.T) {
	tests := []struct {
		model string
		bytes uint64
	}{
		{"mixtral-8x7b", 93_405_713_504},
		{"gemma-7b", 17_075_391_360},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			m := famBuild(t, tt.model)
			byShard := make([][]layouts.Tensor, max(m.Shards, 1))
			for _, tn := range m.Tensors {
				byShard[tn.Shard] = append(byShard[tn.Shard], tn)
			}
			var got uint64
			for _, ts := range byShard {
				h, dataLen, err := layouts.EncodeHeader(ts, m.Metadata)
				if err != nil {
					t.Fatal(err)
				}
				got += uint64(len(h)) + dataLen
			}
			if got != tt.bytes {
				t.Errorf("bytes of all files: got %d, want %d", got, tt.bytes)
			}
		})
	}
}

// TestFamilyLayoutsTotalSize checks the data bytes of each layout against
// metadata.total_size of the published model.safetensors.index.json, which
// counts every stored tensor, buffers included.
func TestFamilyLayoutsTotalSize(t *testing.T) {
	tests := []struct {
		model string
		total uint64
	}{
		// meta-llama/Llama-2-7b-hf: 2 × 6,738,415,616 F16 + 4 × 2,048 F32.
		{"llama-2-7b-with-buffers", 13_476_839_424},
		// meta-llama/Llama-2-70b-hf: 2 × 68,976,648,192 F16 + 4 × 5,120 F32.
		{"llama-2-70b", 137_953_316_864},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			m := famBuild(t, tt.model)
			var got uint64
			for _, tn := range m.Tensors {
				n, err := layouts.TensorBytes(tn)
				if err != nil {
					t.Fatal(err)
				}
				got += n
			}
			if got != tt.total {
				t.Errorf("data bytes: got %d, want %d", got, tt.total)
			}
		})
	}
}

// TestFamilyLayoutsTiedCopy checks Qwen3-0.6B: its config ties the
// embeddings, its file stores lm_head.weight anyway, and without that copy
// the model has 596,049,920 parameters (Qwen/Qwen3-0.6B README: 0.6B, 0.44B
// non-embedding; transformers' num_parameters() gives 596,049,920).
func TestFamilyLayoutsTiedCopy(t *testing.T) {
	m := famBuild(t, "qwen3-0.6b")
	if !strings.Contains(m.Config, `"tie_word_embeddings": true`) {
		t.Errorf("config.json does not tie the embeddings")
	}
	var all, head, nonEmbedding uint64
	for _, tn := range m.Tensors {
		n := tn.Elements()
		all += n
		switch tn.Name {
		case "lm_head.weight":
			head = n
		case "model.embed_tokens.weight":
		default:
			nonEmbedding += n
		}
	}
	if got, want := all-head, uint64(596_049_920); got != want {
		t.Errorf("parameters without the tied copy: got %d, want %d", got, want)
	}
	if got, want := head, uint64(151936*1024); got != want {
		t.Errorf("lm_head elements: got %d, want %d", got, want)
	}
	// 440,466,432 layer parameters + the final norm's 1024.
	if got, want := nonEmbedding, uint64(440_467_456); got != want {
		t.Errorf("non-embedding parameters: got %d, want %d", got, want)
	}
}

// TestDeepSeekV3Layout checks the DeepSeek-V3 layout against the Hub's
// per-dtype counts (API for deepseek-ai/DeepSeek-V3: {"BF16": 3918786560,
// "F8_E4M3": 680571043840, "F32": 41555600}), the README's split into a
// 671B main model and the MTP module, and the MLA and FP8 shapes of its
// config.json (hidden 7168, 128 heads, q_lora_rank 1536, kv_lora_rank 512,
// qk_nope 128, qk_rope 64, v_head 128, weight_block_size [128, 128]).
func TestDeepSeekV3Layout(t *testing.T) {
	m := famBuild(t, "deepseek-v3")
	c := famCount(m)
	for dt, want := range map[string]uint64{"BF16": 3_918_786_560, "F8_E4M3": 680_571_043_840, "F32": 41_555_600} {
		if got := c.byDType[dt]; got != want {
			t.Errorf("%s elements: got %d, want %d", dt, got, want)
		}
	}
	// Scales: 41,555,600 F32 elements minus the 59 MoE layers' router bias
	// of 256 (n_routed_experts).
	if got, want := c.scales, uint64(41_555_600-59*256); got != want {
		t.Errorf("weight_scale_inv elements: got %d, want %d", got, want)
	}
	var mainParams, mtpParams uint64
	byName := map[string]layouts.Tensor{}
	for _, tn := range m.Tensors {
		byName[tn.Name] = tn
		if strings.HasSuffix(tn.Name, ".weight_scale_inv") {
			continue
		}
		if strings.HasPrefix(tn.Name, "model.layers.61.") {
			mtpParams += tn.Elements()
		} else {
			mainParams += tn.Elements()
		}
	}
	// The README's "671B of the Main Model weights"; the MTP layer's
	// 13,463,426,304 is the rest of the derived 684,489,845,504.
	if got, want := mainParams, uint64(671_026_419_200); got != want {
		t.Errorf("main-model parameters: got %d, want %d", got, want)
	}
	if got, want := mtpParams, uint64(684_489_845_504-671_026_419_200); got != want {
		t.Errorf("MTP parameters: got %d, want %d", got, want)
	}
	type shape struct {
		dtype string
		dims  []uint64
	}
	for name, want := range map[string]shape{
		"model.layers.0.self_attn.q_a_proj.weight":                     {"F8_E4M3", []uint64{1536, 7168}},
		"model.layers.0.self_attn.q_a_proj.weight_scale_inv":           {"F32", []uint64{12, 56}},
		"model.layers.0.self_attn.q_b_proj.weight":                     {"F8_E4M3", []uint64{128 * 192, 1536}},
		"model.layers.0.self_attn.kv_a_proj_with_mqa.weight":           {"F8_E4M3", []uint64{576, 7168}},
		"model.layers.0.self_attn.kv_a_proj_with_mqa.weight_scale_inv": {"F32", []uint64{5, 56}},
		"model.layers.0.self_attn.kv_a_layernorm.weight":               {"BF16", []uint64{512}},
		"model.layers.0.self_attn.kv_b_proj.weight":                    {"F8_E4M3", []uint64{128 * 256, 512}},
		"model.layers.0.self_attn.o_proj.weight":                       {"F8_E4M3", []uint64{7168, 128 * 128}},
		"model.layers.2.mlp.down_proj.weight":                          {"F8_E4M3", []uint64{7168, 18432}},
		"model.layers.2.mlp.down_proj.weight_scale_inv":                {"F32", []uint64{56, 144}},
		"model.layers.3.mlp.gate.weight":                               {"BF16", []uint64{256, 7168}},
		"model.layers.3.mlp.gate.e_score_correction_bias":              {"F32", []uint64{256}},
		"model.layers.3.mlp.experts.255.up_proj.weight":                {"F8_E4M3", []uint64{2048, 7168}},
		"model.layers.60.mlp.shared_experts.down_proj.weight":          {"F8_E4M3", []uint64{7168, 2048}},
		"model.layers.61.eh_proj.weight":                               {"BF16", []uint64{7168, 14336}},
		"model.layers.61.embed_tokens.weight":                          {"BF16", []uint64{129280, 7168}},
		"model.layers.61.shared_head.head.weight":                      {"BF16", []uint64{129280, 7168}},
		"model.layers.61.mlp.experts.0.gate_proj.weight":               {"F8_E4M3", []uint64{2048, 7168}},
		"lm_head.weight": {"BF16", []uint64{129280, 7168}},
	} {
		got, ok := byName[name]
		if !ok {
			t.Errorf("%s: missing", name)
			continue
		}
		if got.DType != want.dtype || !slices.Equal(got.Shape, want.dims) {
			t.Errorf("%s: got %s %v, want %s %v", name, got.DType, got.Shape, want.dtype, want.dims)
		}
	}
	for _, name := range []string{
		"model.layers.2.mlp.gate.weight",           // dense layer: no router
		"model.layers.3.mlp.gate_proj.weight",      // MoE layer: no dense MLP
		"model.layers.61.eh_proj.weight_scale_inv", // eh_proj is BF16
		"model.layers.3.mlp.gate.weight_scale_inv", // the router is BF16
		"model.layers.62.input_layernorm.weight",   // one MTP layer only
	} {
		if _, ok := byName[name]; ok {
			t.Errorf("%s: present, want absent", name)
		}
	}
}

// TestDeepSeekV3StubReads writes the DeepSeek-V3 stub (a 12 MB header of
// 91,991 tensors, the largest fixture) and reads it back with the reader,
// which must see every tensor and the Hub's total of 684,531,386,000
// elements.
func TestDeepSeekV3StubReads(t *testing.T) {
	m := famBuild(t, "deepseek-v3")
	dir := t.TempDir()
	if err := layouts.WriteModel(dir, m); err != nil {
		t.Fatal(err)
	}
	h, err := reader.OpenFile(filepath.Join(dir, "model.safetensors"), reader.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if !h.Stub {
		t.Errorf("Stub: got false, want true")
	}
	if got, want := len(h.Tensors), len(m.Tensors); got != want {
		t.Errorf("tensors: got %d, want %d", got, want)
	}
	var total uint64
	for _, tn := range h.Tensors {
		total += tn.Elements()
	}
	if total != 684_531_386_000 {
		t.Errorf("elements: got %d, want 684531386000", total)
	}
}

// BenchmarkReadDeepSeekV3Header measures the reader on the largest
// committed header: DeepSeek-V3's 12 MB, 91,991-tensor stub. Run with
// go test ./cmd/paramscope -run '^$' -bench DeepSeekV3 -benchmem.
func BenchmarkReadDeepSeekV3Header(b *testing.B) {
	path := filepath.Join(modelsDir, "deepseek-v3", "model.safetensors")
	lim := reader.DefaultLimits()
	for b.Loop() {
		h, err := reader.OpenFile(path, lim)
		if err != nil {
			b.Fatal(err)
		}
		if len(h.Tensors) != 91_991 {
			b.Fatalf("tensors: got %d, want 91991", len(h.Tensors))
		}
	}
}

// BenchmarkBuildDeepSeekV3 measures building the layout in memory, which
// every test that uses it pays.
func BenchmarkBuildDeepSeekV3(b *testing.B) {
	for b.Loop() {
		if _, err := layouts.Build("deepseek-v3"); err != nil {
			b.Fatal(err)
		}
	}
}
