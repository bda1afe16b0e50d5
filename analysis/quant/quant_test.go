package quant

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/paramscope/paramscope/analysis/findings"
	"github.com/paramscope/paramscope/reader"
	"github.com/paramscope/paramscope/testdata/bigckpt"
	"github.com/paramscope/paramscope/testdata/layouts"
)

// load builds a registered layout in memory: its tensors with the offsets
// the reference writer gives them, and its config.json parsed by the
// reader.
func load(t testing.TB, name string) ([]reader.Tensor, *reader.Config) {
	t.Helper()
	m, err := layouts.Build(name)
	if err != nil {
		t.Fatal(err)
	}
	return fromLayout(t, m)
}

func fromLayout(t testing.TB, m layouts.Model) ([]reader.Tensor, *reader.Config) {
	t.Helper()
	var off uint64
	ts := make([]reader.Tensor, 0, len(m.Tensors))
	for _, lt := range m.Tensors {
		n, err := layouts.TensorBytes(lt)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, reader.Tensor{Name: lt.Name, DType: reader.DType(lt.DType), Shape: lt.Shape, Begin: off, End: off + n, File: "model.safetensors"})
		off += n
	}
	var cfg *reader.Config
	if m.Config != "" {
		var err error
		cfg, err = reader.ParseConfig([]byte(m.Config), "config.json", reader.DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
	}
	return ts, cfg
}

// cfgOf parses a config.json literal.
func cfgOf(t *testing.T, text string) *reader.Config {
	t.Helper()
	c, err := reader.ParseConfig([]byte(text), "config.json", reader.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// tensors builds header-only tensors with contiguous offsets.
func tensors(specs ...spec) []reader.Tensor {
	var off uint64
	out := make([]reader.Tensor, 0, len(specs))
	for _, s := range specs {
		t := reader.Tensor{Name: s.name, DType: s.dtype, Shape: s.shape, File: "model.safetensors"}
		n := t.Elements() * s.dtype.Bits() / 8
		t.Begin, t.End = off, off+n
		off += n
		out = append(out, t)
	}
	return out
}

type spec struct {
	name  string
	dtype reader.DType
	shape []uint64
}

func find(r *Result, name string) *Tensor {
	for i := range r.Tensors {
		if r.Tensors[i].Name == name {
			return &r.Tensors[i]
		}
	}
	return nil
}

func hasFinding(r *Result, code string) *findings.Finding {
	for i := range r.Findings {
		if r.Findings[i].Code == code {
			return &r.Findings[i]
		}
	}
	return nil
}

// TestPublishedLayouts checks logical parameters, side tensors and buffers
// on real checkpoint layouts rebuilt from their public config and index
// files (testdata/layouts/facts/*.json give each source).
func TestPublishedLayouts(t *testing.T) {
	tests := []struct {
		model   string
		logical uint64
		stored  uint64 // all stored elements, 0: not checked
		sideN   int
		sideEl  uint64
		bufEl   uint64
		code    string // a finding that must be present, "" for none
	}{
		// unsloth/Meta-Llama-3.1-8B-Instruct-bnb-4bit: the unquantized
		// Llama-3.1-8B count (FORMULAS.md, Llama-3-8B row), which the Hub
		// also shows (huggingface.js spec, BF16 + U8 × 2). Side: 224
		// linears × (absmax, nested_absmax, nested_quant_map, quant_map,
		// quant_state): 109,051,904 + 425,984 + 57,344 + 3,584 + 38,687.
		{"quant-llama-3.1-8b-instruct-bnb-4bit", 8_030_261_248, 0, 224 * 5, 109_577_503, 0, "derived_logical_shape"},
		// RedHatAI/Meta-Llama-3.1-8B-Instruct-quantized.w4a16 at the revision
		// the Hub counts as 8,031,637,504: the true count is Llama-3.1-8B's;
		// the 224 zero biases (1,376,256 values) are side tensors, with
		// qzeros, scales and g_idx (224 × 4 side tensors).
		{"quant-llama-3.1-8b-instruct-w4a16", 8_030_261_248, 0, 224 * 4, 0, 0, "quant_linear_bias"},
		// RedHatAI/Llama-3.3-70B-Instruct-quantized.w4a16: the Hub's
		// 70,553,706,496 = Llama-3-70B's count (FORMULAS.md); 560 linears ×
		// (weight_scale, weight_shape, weight_g_idx).
		{"quant-llama-3.3-70b-instruct-w4a16", 70_553_706_496, 0, 560 * 3, 0, 0, ""},
		// TheBloke/Llama-2-7B-GPTQ: Llama-2-7B's 6,738,415,616 (FORMULAS.md).
		{"quant-llama-2-7b-gptq", 6_738_415_616, 0, 224 * 4, 0, 0, "quant_linear_bias"},
		// TheBloke/Llama-2-7B-AWQ cut to 2 layers: 666,914,816 (derived in
		// the facts file from FORMULAS.md's Llama-2-7B terms).
		{"quant-llama-2-7b-awq-2l", 666_914_816, 0, 14 * 2, 0, 0, ""},
		// mlx-community/Llama-3.2-1B-Instruct-4bit: Llama-3.2-1B's
		// 1,235,814,400 (Hub); 112 linears + the embedding × (scales, biases).
		{"quant-llama-3.2-1b-instruct-mlx-4bit", 1_235_814_400, 0, 113 * 2, 0, 0, ""},
		// nvidia/Llama-3.1-8B-Instruct-FP4 cut to 2 layers: 1,486,901,248
		// (derived in the facts file); 14 linears × 3 side tensors.
		{"quant-llama-3.1-8b-instruct-nvfp4-2l", 1_486_901_248, 0, 14 * 3, 0, 0, ""},
		// openai/gpt-oss-20b: 20,914,757,184 with the 597,196,800 U8
		// _scales excluded (huggingface.js spec; OpenAI's 21B).
		{"quant-gpt-oss-20b", 20_914_757_184, 0, 24 * 2, 597_196_800, 0, ""},
		// openai/gpt-oss-120b: 116,829,156,672 with 3,583,180,800 scales
		// excluded (huggingface.js spec; OpenAI's 116.8B).
		{"quant-gpt-oss-120b", 116_829_156_672, 0, 36 * 2, 3_583_180_800, 0, ""},
		// deepseek-ai/DeepSeek-V3: the Hub's 684,531,386,000 stored
		// elements include 41,540,496 F32 weight_scale_inv elements, side
		// tensors here; 684,489,845,504 parameters (facts/deepseek-v3.json).
		{"deepseek-v3", 684_489_845_504, 684_531_386_000, 0, 41_540_496, 0, ""},
		// openai-community/gpt2 with its 12 h.N.attn.bias [1,1,1024,1024]
		// masks: 124,439,808 parameters (FORMULAS.md), 12 × 1024² =
		// 12,582,912 buffer elements, 137,022,720 stored in all.
		{"gpt2-with-buffers", 124_439_808, 137_022_720, 0, 0, 12_582_912, "buffers_stored"},
	}
	for _, tc := range tests {
		t.Run(tc.model, func(t *testing.T) {
			ts, cfg := load(t, tc.model)
			r := Classify(ts, cfg)
			tot := r.Totals()
			if tot.LogicalParams != tc.logical {
				t.Errorf("logical parameters: got %d, want %d", tot.LogicalParams, tc.logical)
			}
			if tc.stored != 0 && tot.StoredElements != tc.stored {
				t.Errorf("stored elements: got %d, want %d", tot.StoredElements, tc.stored)
			}
			if tc.sideN != 0 && tot.SideTensors != tc.sideN {
				t.Errorf("side tensors: got %d, want %d", tot.SideTensors, tc.sideN)
			}
			if tc.sideEl != 0 && tot.SideElements != tc.sideEl {
				t.Errorf("side elements: got %d, want %d", tot.SideElements, tc.sideEl)
			}
			if tot.BufferElements != tc.bufEl {
				t.Errorf("buffer elements: got %d, want %d", tot.BufferElements, tc.bufEl)
			}
			if tc.code != "" && hasFinding(r, tc.code) == nil {
				t.Errorf("findings: got %v, want one with code %q", r.Findings, tc.code)
			}
			for _, f := range r.Findings {
				switch f.Code {
				case "unplaced_tensors", "unknown_quant_scheme", "assumed_bits", "unknown_quant_layout", "bits_mismatch", "quantized_but_excluded":
					t.Errorf("unexpected finding %s: %s %v", f.Code, f.Message, f.Evidence)
				}
			}
			// The quantities stay apart: every stored element is a
			// parameter's, a side tensor's or a buffer's.
			var paramStored uint64
			for _, x := range r.Tensors {
				if x.Kind == Parameter {
					paramStored += x.Elements()
				}
			}
			if got := paramStored + tot.SideElements + tot.BufferElements; got != tot.StoredElements {
				t.Errorf("parameter + side + buffer elements: got %d, want %d", got, tot.StoredElements)
			}
		})
	}
}

// TestHubDisagreement checks the finding that explains why paramscope and
// the Hugging Face Hub disagree on RedHatAI's w4a16: the Hub shows
// 8,031,637,504 (huggingface.js spec), 1,376,256 = 32 × (4096 + 1024 +
// 1024 + 4096 + 14336 + 14336 + 4096) more than Llama-3.1-8B, one zero bias
// value per output channel of each quantized linear.
func TestHubDisagreement(t *testing.T) {
	ts, cfg := load(t, "quant-llama-3.1-8b-instruct-w4a16")
	r := Classify(ts, cfg)
	f := hasFinding(r, "quant_linear_bias")
	if f == nil {
		t.Fatalf("findings: got %v, want quant_linear_bias", r.Findings)
	}
	for _, want := range []string{"224 bias tensors", "1376256 values", "attention_bias=false", "mlp_bias=false", "Hub"} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("message %q: want it to say %q", f.Message, want)
		}
	}
	b := find(r, "model.layers.0.mlp.down_proj.bias")
	if b.Kind != Side || b.Of() != "model.layers.0.mlp.down_proj.qweight" {
		t.Errorf("down_proj.bias: got kind %s of %q, want quant_side of the qweight", b.Kind, b.Of())
	}
	// What the Hub adds back: the biases' elements.
	var biases uint64
	for _, x := range r.Tensors {
		if strings.HasSuffix(x.Name, ".bias") && x.Kind == Side {
			biases += x.Elements()
		}
	}
	if got := r.Totals().LogicalParams + biases; got != 8_031_637_504 {
		t.Errorf("logical + zero biases: got %d, want the Hub's 8031637504", got)
	}
}

// TestLogicalShapes checks the unpacking of each scheme on the layouts'
// tensors: [out, in] of nn.Linear, from the dimensions in each facts file.
func TestLogicalShapes(t *testing.T) {
	tests := []struct {
		model, tensor string
		shape         []uint64
		scheme        string
		factor        string
	}{
		// GPTQ qweight [4096·4/32, 11008] → [11008, 4096] (Llama-2-7B gate_proj).
		{"quant-llama-2-7b-gptq", "model.layers.0.mlp.gate_proj.qweight", []uint64{11008, 4096}, SchemeGPTQ, "8"},
		// AWQ qweight [11008, 4096·4/32] → [4096, 11008] (down_proj).
		{"quant-llama-2-7b-awq-2l", "model.layers.1.mlp.down_proj.qweight", []uint64{4096, 11008}, SchemeAWQ, "8"},
		// compressed-tensors weight_packed [1024, 8192/8] → [1024, 8192] (Llama-3.3-70B k_proj).
		{"quant-llama-3.3-70b-instruct-w4a16", "model.layers.79.self_attn.k_proj.weight_packed", []uint64{1024, 8192}, "compressed-tensors/pack-quantized", "8"},
		// bnb flat [4096·14336/2, 1] → [4096, 14336] via intermediate_size.
		{"quant-llama-3.1-8b-instruct-bnb-4bit", "model.layers.3.mlp.down_proj.weight", []uint64{4096, 14336}, SchemeBnBNF4, "2"},
		// bnb k_proj: 1024·4096 values → [1024, 4096] via hidden_size.
		{"quant-llama-3.1-8b-instruct-bnb-4bit", "model.layers.3.self_attn.k_proj.weight", []uint64{1024, 4096}, SchemeBnBNF4, "2"},
		// MLX embedding U32 [128256, 2048/8] → [128256, 2048].
		{"quant-llama-3.2-1b-instruct-mlx-4bit", "model.embed_tokens.weight", []uint64{128256, 2048}, SchemeMLX, "8"},
		// NVFP4 U8 [14336, 4096/2] → [14336, 4096].
		{"quant-llama-3.1-8b-instruct-nvfp4-2l", "model.layers.1.mlp.up_proj.weight", []uint64{14336, 4096}, SchemeNVFP4, "2"},
		// MXFP4 blocks [32, 5760, 90, 16] → [32, 5760, 2880] (gpt-oss-20b).
		{"quant-gpt-oss-20b", "model.layers.0.mlp.experts.gate_up_proj_blocks", []uint64{32, 5760, 2880}, SchemeMXFP4, "2"},
	}
	for _, tc := range tests {
		t.Run(tc.model+"/"+tc.tensor, func(t *testing.T) {
			ts, cfg := load(t, tc.model)
			r := Classify(ts, cfg)
			x := find(r, tc.tensor)
			if x == nil {
				t.Fatalf("no tensor %q", tc.tensor)
			}
			if x.Kind != Parameter || !slices.Equal(x.LogicalShape, tc.shape) || x.Scheme() != tc.scheme || x.PackFactor() != tc.factor {
				t.Errorf("got %s %v scheme %q factor %q, want parameter %v scheme %q factor %q", x.Kind, x.LogicalShape, x.Scheme(), x.PackFactor(), tc.shape, tc.scheme, tc.factor)
			}
			if x.Packing() == "" {
				t.Errorf("packing: got none, want an explanation")
			}
		})
	}
}

// TestEffectiveBits checks bytes per parameter on TheBloke/Llama-2-7B-GPTQ
// (4-bit, group 128, facts file). Per linear [out, in]: qweight in·out/2
// bytes, qzeros in·out/256, scales (F16) in·out/64, g_idx 4·in, zero bias
// 2·out. Over 32 layers: Σ in·out = 32 × (4·4096² + 3·4096·11008) =
// 6,476,005,376 parameters; bytes = 133/256 of that (3,364,487,168) +
// 4 × 32 × 35,584 (g_idx) + 2 × 32 × 42,496 (bias) = 3,371,761,664, so
// 3,371,761,664 × 8 / 6,476,005,376 ≈ 4.1652 bits per parameter.
func TestEffectiveBits(t *testing.T) {
	ts, cfg := load(t, "quant-llama-2-7b-gptq")
	r := Classify(ts, cfg)
	var g *SchemeTotal
	for _, s := range r.Schemes() {
		if s.Scheme == SchemeGPTQ {
			g = &s
		}
	}
	if g == nil {
		t.Fatalf("schemes: got %v, want gptq", r.Schemes())
	}
	if g.LogicalParams != 6_476_005_376 || g.ParamBytes+g.SideBytes != 3_371_761_664 || g.Bits != 4 || g.GroupSize != 128 {
		t.Errorf("gptq: got %d params, %d bytes, %d bits, group %d; want 6476005376, 3371761664, 4, 128", g.LogicalParams, g.ParamBytes+g.SideBytes, g.Bits, g.GroupSize)
	}
	if got, want := g.EffectiveBits(), float64(3_371_761_664)*8/float64(6_476_005_376); got != want {
		t.Errorf("effective bits: got %v, want %v", got, want)
	}
	if got, want := g.BytesPerGroup(), float64(3_371_761_664)*128/float64(6_476_005_376); got != want {
		t.Errorf("bytes per group: got %v, want %v", got, want)
	}
	// The whole checkpoint adds the F16 embeddings, lm_head and norms:
	// 2 × (2 × 32000 × 4096 + 65 × 4096) = 524,820,480 bytes for
	// 262,410,240 parameters.
	if got, want := r.EffectiveBits(), float64(3_371_761_664+524_820_480)*8/float64(6_738_415_616); got != want {
		t.Errorf("checkpoint effective bits: got %v, want %v", got, want)
	}
}

// TestByDType checks the per-dtype totals on gpt-oss-20b against the Hub's
// per-dtype counts (huggingface.js spec): BF16 1,804,459,584 and U8
// 19,110,297,600 parameters, the U8 scales apart.
func TestByDType(t *testing.T) {
	ts, cfg := load(t, "quant-gpt-oss-20b")
	r := Classify(ts, cfg)
	got := map[reader.DType]DTypeTotal{}
	for _, d := range r.ByDType() {
		got[d.DType] = d
	}
	if d := got[reader.BF16]; d.LogicalParams != 1_804_459_584 || d.SideElements != 0 {
		t.Errorf("BF16: got %+v, want 1804459584 parameters", d)
	}
	if d := got[reader.U8]; d.LogicalParams != 19_110_297_600 || d.SideElements != 597_196_800 || d.StoredElements != 9_555_148_800+597_196_800 {
		t.Errorf("U8: got %+v, want 19110297600 parameters, 597196800 side elements", d)
	}
}

// TestSchemes checks classification rules on small hand-made layouts whose
// names and shapes follow each quantizer's documented format.
func TestSchemes(t *testing.T) {
	type want struct {
		kind   Kind
		shape  []uint64
		scheme string
	}
	tests := []struct {
		name    string
		cfg     string
		tensors []reader.Tensor
		want    map[string]want
		code    string
	}{
		{
			// GPTQ without config.json: qweight and scales share the output
			// dim; bits = 384 rows × 32 / 4096 g_idx entries = 3 (the
			// fractional 32/3 values per word of 3-bit GPTQ).
			name: "gptq 3-bit inferred from shapes",
			tensors: tensors(
				spec{"l.qweight", reader.I32, []uint64{384, 4096}},
				spec{"l.qzeros", reader.I32, []uint64{32, 384}},
				spec{"l.scales", reader.F16, []uint64{32, 4096}},
				spec{"l.g_idx", reader.I32, []uint64{4096}},
			),
			want: map[string]want{
				"l.qweight": {Parameter, []uint64{4096, 4096}, SchemeGPTQ},
				"l.qzeros":  {Side, nil, SchemeGPTQ},
				"l.scales":  {Side, nil, SchemeGPTQ},
				"l.g_idx":   {Side, nil, SchemeGPTQ},
			},
		},
		{
			// AWQ without config.json: scales have 8× qweight's columns,
			// so 4 bits packed along the output dim.
			name: "awq inferred from shapes",
			tensors: tensors(
				spec{"l.qweight", reader.I32, []uint64{4096, 1376}},
				spec{"l.qzeros", reader.I32, []uint64{32, 1376}},
				spec{"l.scales", reader.F16, []uint64{32, 11008}},
			),
			want: map[string]want{"l.qweight": {Parameter, []uint64{11008, 4096}, SchemeAWQ}},
		},
		{
			// AutoAWQ GEMV: rows are outputs; counted as words × 8, shown
			// flat.
			name: "awq gemv",
			cfg:  `{"quantization_config": {"quant_method": "awq", "bits": 4, "group_size": 128, "version": "gemv"}}`,
			tensors: tensors(
				spec{"l.qweight", reader.I32, []uint64{11008, 512}},
				spec{"l.qzeros", reader.I32, []uint64{11008, 4}},
				spec{"l.scales", reader.F16, []uint64{11008, 32}},
			),
			want: map[string]want{"l.qweight": {Parameter, []uint64{11008 * 4096}, SchemeAWQ}, "l.scales": {Side, nil, SchemeAWQ}},
		},
		{
			// GPTQ 2-bit from config: 16 values per word.
			name: "gptq 2-bit",
			cfg:  `{"quantization_config": {"quant_method": "gptq", "bits": 2, "group_size": 128}}`,
			tensors: tensors(
				spec{"l.qweight", reader.I32, []uint64{256, 4096}},
				spec{"l.scales", reader.F16, []uint64{32, 4096}},
			),
			want: map[string]want{"l.qweight": {Parameter, []uint64{4096, 4096}, SchemeGPTQ}},
		},
		{
			// compressed-tensors mixed precision: the mlp group is int4 by
			// a re: target, everything else int8 by the "Linear" class
			// target; lm_head ignored and stored plainly.
			name: "compressed-tensors mixed precision",
			cfg: `{"quantization_config": {"quant_method": "compressed-tensors", "format": "pack-quantized",
				"ignore": ["lm_head"],
				"config_groups": {
					"group_0": {"targets": ["re:.*mlp.*"], "weights": {"num_bits": 4, "type": "int", "strategy": "group", "group_size": 128}},
					"group_1": {"targets": ["Linear"], "weights": {"num_bits": 8, "type": "int", "strategy": "channel"}}}}}`,
			tensors: tensors(
				spec{"m.layers.0.self_attn.q_proj.weight_packed", reader.I32, []uint64{4096, 1024}},
				spec{"m.layers.0.self_attn.q_proj.weight_scale", reader.BF16, []uint64{4096, 1}},
				spec{"m.layers.0.self_attn.q_proj.weight_shape", reader.I64, []uint64{2}},
				spec{"m.layers.0.mlp.up_proj.weight_packed", reader.I32, []uint64{14336, 512}},
				spec{"m.layers.0.mlp.up_proj.weight_scale", reader.BF16, []uint64{14336, 32}},
				spec{"m.layers.0.mlp.up_proj.weight_zero_point", reader.I32, []uint64{1792, 32}},
				spec{"lm_head.weight", reader.BF16, []uint64{128256, 4096}},
			),
			want: map[string]want{
				"m.layers.0.self_attn.q_proj.weight_packed": {Parameter, []uint64{4096, 4096}, "compressed-tensors/pack-quantized"},
				"m.layers.0.self_attn.q_proj.weight_shape":  {Side, nil, "compressed-tensors/pack-quantized"},
				"m.layers.0.mlp.up_proj.weight_packed":      {Parameter, []uint64{14336, 4096}, "compressed-tensors/pack-quantized"},
				"m.layers.0.mlp.up_proj.weight_zero_point":  {Side, nil, "compressed-tensors/pack-quantized"},
				"lm_head.weight": {Parameter, []uint64{128256, 4096}, ""},
			},
		},
		{
			// bitsandbytes LLM.int8: I8 weight with SCB and weight_format.
			name: "bitsandbytes 8-bit",
			cfg:  `{"quantization_config": {"quant_method": "bitsandbytes", "load_in_8bit": true}}`,
			tensors: tensors(
				spec{"l.weight", reader.I8, []uint64{4096, 4096}},
				spec{"l.SCB", reader.F32, []uint64{4096}},
				spec{"l.weight_format", reader.U8, []uint64{}},
			),
			want: map[string]want{
				"l.weight":        {Parameter, []uint64{4096, 4096}, SchemeBnB8},
				"l.SCB":           {Side, nil, SchemeBnB8},
				"l.weight_format": {Side, nil, SchemeBnB8},
			},
		},
		{
			// FP8 per-tensor (compressed-tensors float-quantized): scalar
			// weight and input scales.
			name: "fp8 per-tensor scales",
			tensors: tensors(
				spec{"l.weight", reader.F8_E4M3, []uint64{4096, 4096}},
				spec{"l.weight_scale", reader.F32, []uint64{}},
				spec{"l.input_scale", reader.F32, []uint64{}},
			),
			want: map[string]want{
				"l.weight":       {Parameter, []uint64{4096, 4096}, SchemeFP8},
				"l.weight_scale": {Side, nil, SchemeFP8},
				"l.input_scale":  {Side, nil, SchemeFP8},
			},
		},
		{
			// FP8 attention with KV-cache scales on the attention module
			// (vLLM/llm-compressor kv_cache_scheme): side tensors too.
			name: "fp8 kv-cache scales",
			tensors: tensors(
				spec{"model.layers.0.self_attn.k_proj.weight", reader.F8_E4M3, []uint64{1024, 4096}},
				spec{"model.layers.0.self_attn.k_proj.weight_scale", reader.F32, []uint64{}},
				spec{"model.layers.0.self_attn.k_scale", reader.F32, []uint64{}},
				spec{"model.layers.0.self_attn.v_scale", reader.F32, []uint64{}},
			),
			want: map[string]want{
				"model.layers.0.self_attn.k_proj.weight": {Parameter, []uint64{1024, 4096}, SchemeFP8},
				"model.layers.0.self_attn.k_scale":       {Side, nil, ""},
				"model.layers.0.self_attn.v_scale":       {Side, nil, ""},
			},
		},
		{
			// An FP8 checkpoint whose routed experts are FP4 (expert_dtype),
			// two values per I8; shared experts stay FP8.
			name: "fp4 experts in fp8",
			cfg:  `{"quantization_config": {"quant_method": "fp8", "weight_block_size": [128, 128]}, "expert_dtype": "fp4"}`,
			tensors: tensors(
				spec{"model.layers.0.ffn.experts.3.w1.weight", reader.I8, []uint64{2048, 3584}},
				spec{"model.layers.0.ffn.experts.3.w1.scale", reader.F8_E8M0, []uint64{2048, 224}},
				spec{"model.layers.0.ffn.shared_experts.w1.weight", reader.F8_E4M3, []uint64{2048, 7168}},
				spec{"model.layers.0.ffn.shared_experts.w1.weight_scale_inv", reader.F32, []uint64{16, 56}},
			),
			want: map[string]want{
				"model.layers.0.ffn.experts.3.w1.weight":                {Parameter, []uint64{2048, 7168}, SchemeFP4Experts},
				"model.layers.0.ffn.experts.3.w1.scale":                 {Side, nil, SchemeFP4Experts},
				"model.layers.0.ffn.shared_experts.w1.weight":           {Parameter, []uint64{2048, 7168}, SchemeFP8Block},
				"model.layers.0.ffn.shared_experts.w1.weight_scale_inv": {Side, nil, SchemeFP8Block},
			},
		},
		{
			// MLX without config: group 64 assumed, bits = 512 × 32 /
			// (64 × 64) = 4; biases are offsets, not a linear bias.
			name: "mlx without config",
			tensors: tensors(
				spec{"l.weight", reader.U32, []uint64{4096, 512}},
				spec{"l.scales", reader.F16, []uint64{4096, 64}},
				spec{"l.biases", reader.F16, []uint64{4096, 64}},
			),
			want: map[string]want{
				"l.weight": {Parameter, []uint64{4096, 4096}, SchemeMLX},
				"l.biases": {Side, nil, SchemeMLX},
			},
		},
		{
			// MLX mixed precision: a per-module entry gives 8 bits.
			name: "mlx per-module bits",
			cfg:  `{"quantization": {"group_size": 64, "bits": 4, "l": {"group_size": 64, "bits": 8}}}`,
			tensors: tensors(
				spec{"l.weight", reader.U32, []uint64{4096, 1024}},
				spec{"l.scales", reader.F16, []uint64{4096, 64}},
				spec{"l.biases", reader.F16, []uint64{4096, 64}},
			),
			want: map[string]want{"l.weight": {Parameter, []uint64{4096, 4096}, SchemeMLX}},
		},
		{
			// Buffers: GPT-NeoX masks and rotary inv_freq, BERT
			// position_ids; a GPT-2 attn.bias that is 1-D is a real bias.
			name: "buffers",
			tensors: tensors(
				spec{"gpt_neox.layers.0.attention.bias", reader.BOOL, []uint64{1, 1, 2048, 2048}},
				spec{"gpt_neox.layers.0.attention.masked_bias", reader.F32, []uint64{}},
				spec{"gpt_neox.layers.0.attention.rotary_emb.inv_freq", reader.F32, []uint64{16}},
				spec{"embeddings.position_ids", reader.I64, []uint64{1, 512}},
				spec{"h.0.attn.bias", reader.F32, []uint64{768}},
			),
			want: map[string]want{
				"gpt_neox.layers.0.attention.bias":                {Buffer, nil, ""},
				"gpt_neox.layers.0.attention.masked_bias":         {Buffer, nil, ""},
				"gpt_neox.layers.0.attention.rotary_emb.inv_freq": {Buffer, nil, ""},
				"embeddings.position_ids":                         {Buffer, nil, ""},
				"h.0.attn.bias":                                   {Parameter, []uint64{768}, ""},
			},
		},
		{
			// A learnable "scales" with no quantized weight beside it stays
			// a parameter, as does a plain weight_scale without config.
			name: "scale-like names without a quantized owner",
			tensors: tensors(
				spec{"l.weight", reader.BF16, []uint64{8, 8}},
				spec{"l.scales", reader.BF16, []uint64{8}},
				spec{"l.weight_scale", reader.BF16, []uint64{8}},
			),
			want: map[string]want{
				"l.scales":       {Parameter, []uint64{8}, ""},
				"l.weight_scale": {Parameter, []uint64{8}, ""},
			},
		},
		{
			// EXL3 (exllamav3's trellis format): unknown to paramscope, so
			// the integer tensors are listed, never silently unpacked.
			name: "unknown scheme",
			cfg:  `{"quantization_config": {"quant_method": "exl3", "bits": 3.5}}`,
			tensors: tensors(
				spec{"model.layers.0.self_attn.q_proj.suh", reader.F16, []uint64{2048}},
				spec{"model.layers.0.self_attn.q_proj.svh", reader.F16, []uint64{4096}},
				spec{"model.layers.0.self_attn.q_proj.mcg", reader.I32, []uint64{}},
				spec{"model.layers.0.self_attn.q_proj.trellis", reader.I16, []uint64{128, 256, 64}},
			),
			want: map[string]want{
				"model.layers.0.self_attn.q_proj.trellis": {Parameter, []uint64{128, 256, 64}, SchemeUnknown},
			},
			code: "unknown_quant_scheme",
		},
		{
			// Integer tensors with no config and no known naming.
			name: "unplaced integer tensor",
			tensors: tensors(
				spec{"l.codes", reader.I16, []uint64{4096, 256, 1}},
				spec{"l.codebooks", reader.F16, []uint64{1, 65536, 1, 8}},
			),
			want: map[string]want{"l.codes": {Parameter, []uint64{4096, 256, 1}, SchemeUnknown}},
			code: "unplaced_tensors",
		},
		{
			// A qweight with no config, scales or g_idx cannot be placed.
			name:    "bare qweight",
			tensors: tensors(spec{"l.qweight", reader.I32, []uint64{512, 4096}}),
			want:    map[string]want{"l.qweight": {Parameter, []uint64{512, 4096}, SchemeUnknown}},
			code:    "unknown_quant_layout",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var cfg *reader.Config
			if tc.cfg != "" {
				cfg = cfgOf(t, tc.cfg)
			}
			r := Classify(tc.tensors, cfg)
			for name, w := range tc.want {
				x := find(r, name)
				if x == nil {
					t.Fatalf("no tensor %q", name)
				}
				if x.Kind != w.kind || !slices.Equal(x.LogicalShape, w.shape) || x.Scheme() != w.scheme {
					t.Errorf("%s: got %s %v %q, want %s %v %q", name, x.Kind, x.LogicalShape, x.Scheme(), w.kind, w.shape, w.scheme)
				}
			}
			if tc.code != "" {
				f := hasFinding(r, tc.code)
				if f == nil {
					t.Fatalf("findings: got %v, want %q", r.Findings, tc.code)
				}
				if len(f.Evidence) == 0 {
					t.Errorf("finding %s lists no tensors", tc.code)
				}
			}
		})
	}
}

// TestTiedDuplicate checks a complete tiny Llama (l=2, h=8, A=2, G=1,
// head 4, f=16, V=16) whose config ties the embeddings but which stores
// lm_head too: 2 × (2·8 + 8·8 + 2·4·8 + 8·8 + 3·16·8) + 8 + 16·8 = 1,320
// parameters, the head's 128 counted once.
func TestTiedDuplicate(t *testing.T) {
	for _, name := range []string{"tiny-llama-tied-dup", "tiny-llama-tied-differ"} {
		t.Run(name, func(t *testing.T) {
			ts, cfg := load(t, name)
			r := Classify(ts, cfg)
			tot := r.Totals()
			if tot.LogicalParams != 1320 || tot.DuplicateParams != 128 || tot.DuplicateTensors != 1 {
				t.Errorf("got %d logical, %d duplicate in %d tensors; want 1320, 128, 1", tot.LogicalParams, tot.DuplicateParams, tot.DuplicateTensors)
			}
			h := find(r, "lm_head.weight")
			if h.DuplicateOf() != "model.embed_tokens.weight" || h.LogicalParams != 0 {
				t.Errorf("lm_head: got DuplicateOf %q, %d params; want the embedding, 0", h.DuplicateOf(), h.LogicalParams)
			}
			if hasFinding(r, "tied_duplicate") == nil {
				t.Errorf("findings: got %v, want tied_duplicate", r.Findings)
			}
			pairs := TiedPairs(r)
			if len(pairs) != 1 || pairs[0].Embedding.Name != "model.embed_tokens.weight" || pairs[0].Head.Name != "lm_head.weight" {
				t.Errorf("pairs: got %+v, want embed_tokens/lm_head", pairs)
			}
		})
	}
	// Untied: nothing to report.
	ts, cfg := load(t, "tiny-llama")
	if r := Classify(ts, cfg); len(TiedPairs(r)) != 0 || hasFinding(r, "tied_duplicate") != nil {
		t.Errorf("tiny-llama: got pairs %v, findings %v; want none", TiedPairs(r), r.Findings)
	}
}

func TestCompareTied(t *testing.T) {
	e := reader.Tensor{Name: "model.embed_tokens.weight", DType: reader.BF16}
	h := reader.Tensor{Name: "lm_head.weight", DType: reader.BF16}
	tests := []struct {
		name  string
		p     Pair
		a, b  []byte
		level findings.Level
		code  string
	}{
		{"identical", Pair{e, h}, []byte{1, 2, 3, 4}, []byte{1, 2, 3, 4}, findings.Info, "tied_weights_identical"},
		{"differ", Pair{e, h}, []byte{1, 2, 3, 4}, []byte{1, 2, 9, 4}, findings.Problem, "tied_weights_differ"},
		{"different length", Pair{e, h}, []byte{1, 2}, []byte{1, 2, 3}, findings.Problem, "tied_weights_differ"},
		{"different dtype", Pair{e, reader.Tensor{Name: "lm_head.weight", DType: reader.F16}}, []byte{1, 2}, []byte{1, 2}, findings.Problem, "tied_weights_differ"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := CompareTied(tc.p, tc.a, tc.b)
			if f.Level != tc.level || f.Code != tc.code || len(f.Evidence) != 2 {
				t.Errorf("got %s %s %v, want %s %s with both names", f.Level, f.Code, f.Evidence, tc.level, tc.code)
			}
		})
	}
	if f := CompareTied(Pair{e, h}, []byte{1, 2, 3, 4}, []byte{1, 2, 9, 4}); !strings.Contains(f.Message, "first difference at byte 2") {
		t.Errorf("message %q: want the offset of the first difference", f.Message)
	}
}

// TestNoConfigIsHarmless checks degenerate inputs: nothing, nil config,
// shapes no scheme fits.
func TestNoConfigIsHarmless(t *testing.T) {
	if r := Classify(nil, nil); len(r.Tensors) != 0 || r.Totals() != (Totals{}) || r.EffectiveBits() != 0 {
		t.Errorf("empty: got %+v", r)
	}
	odd := tensors(
		spec{"a.qweight", reader.I32, []uint64{3}},
		spec{"b.weight_packed", reader.I32, []uint64{}},
		spec{"c_blocks", reader.U8, []uint64{7}},
		spec{"c_scales", reader.U8, []uint64{7}},
		spec{"d.weight", reader.U8, []uint64{1 << 62, 2}},
		spec{"d.weight.absmax", reader.U8, []uint64{1}},
		spec{"e.weight", reader.U32, []uint64{5}},
		spec{"e.scales", reader.F16, []uint64{0}},
		spec{"e.biases", reader.F16, []uint64{0}},
	)
	r := Classify(odd, cfgOf(t, `{"quantization_config": {"quant_method": "gptq", "bits": 64}, "quantization": {"bits": "x"}}`))
	if len(r.Tensors) != len(odd) {
		t.Fatalf("got %d tensors, want %d", len(r.Tensors), len(odd))
	}
}

// BenchmarkClassify measures classification of the largest layouts: the
// 2,403 tensors of Llama-3.3-70B w4a16 and DeepSeek-V3's FP8 checkpoint.
func BenchmarkClassify(b *testing.B) {
	for _, name := range []string{"quant-llama-3.3-70b-instruct-w4a16", "deepseek-v3"} {
		b.Run(name, func(b *testing.B) {
			ts, cfg := load(b, name)
			b.ReportAllocs()
			for b.Loop() {
				Classify(ts, cfg)
			}
		})
	}
}

// TestFindings checks the findings that explain a count or flag a
// contradiction, each on a minimal layout.
func TestFindings(t *testing.T) {
	gptq := func(module string, in, out uint64) []spec {
		return []spec{
			{module + ".qweight", reader.I32, []uint64{in / 8, out}},
			{module + ".scales", reader.F16, []uint64{in / 128, out}},
			{module + ".g_idx", reader.I32, []uint64{in}},
			{module + ".bias", reader.F16, []uint64{out}},
		}
	}
	var qwen []spec
	qwen = append(qwen, gptq("model.layers.0.self_attn.q_proj", 1024, 1024)...)
	qwen = append(qwen, gptq("model.layers.0.self_attn.o_proj", 1024, 1024)...)
	tests := []struct {
		name  string
		cfg   string
		specs []spec
		code  string
		level findings.Level
		kinds map[string]Kind
	}{
		{
			// Qwen2 has biases on q, k and v only (Qwen2Config,
			// attention q/k/v bias=True, o_proj bias=False): the q bias is
			// a parameter, the o bias AutoGPTQ's zero filler.
			name:  "qwen2 gptq biases",
			cfg:   `{"model_type": "qwen2", "quantization_config": {"quant_method": "gptq", "bits": 4, "group_size": 128}}`,
			specs: qwen,
			code:  "quant_linear_bias", level: findings.Info,
			kinds: map[string]Kind{"model.layers.0.self_attn.q_proj.bias": Parameter, "model.layers.0.self_attn.o_proj.bias": Side},
		},
		{
			name:  "gptq bias of an unknown architecture",
			cfg:   `{"model_type": "something_new", "quantization_config": {"quant_method": "gptq", "bits": 4}}`,
			specs: gptq("model.layers.0.self_attn.q_proj", 1024, 1024),
			code:  "quant_linear_bias_unknown", level: findings.Info,
			kinds: map[string]Kind{"model.layers.0.self_attn.q_proj.bias": Parameter},
		},
		{
			// bits 8 in config, but 128 rows × 32 / 1024 g_idx = 4.
			name:  "bits disagree with shapes",
			cfg:   `{"quantization_config": {"quant_method": "gptq", "bits": 8}}`,
			specs: gptq("l", 1024, 1024)[:3],
			code:  "bits_mismatch", level: findings.Warning,
		},
		{
			name: "packed although ignored",
			cfg: `{"quantization_config": {"quant_method": "compressed-tensors", "format": "pack-quantized", "ignore": ["re:.*lm_head$"],
				"config_groups": {"g": {"targets": ["Linear"], "weights": {"num_bits": 4}}}}}`,
			specs: []spec{{"lm_head.weight_packed", reader.I32, []uint64{1000, 512}}, {"lm_head.weight_scale", reader.F16, []uint64{1000, 32}}},
			code:  "quantized_but_excluded", level: findings.Warning,
		},
		{
			name:  "config declares a scheme the tensors do not use",
			cfg:   `{"quantization_config": {"quant_method": "awq", "bits": 4}}`,
			specs: []spec{{"l.weight", reader.F16, []uint64{8, 8}}},
			code:  "quantization_config_unused", level: findings.Warning,
		},
		{
			name: "unsupported target syntax",
			cfg: `{"quantization_config": {"quant_method": "compressed-tensors", "format": "pack-quantized",
				"config_groups": {"g": {"targets": ["re:.*(?<=mlp)\\.up$"], "weights": {"num_bits": 4}}}}}`,
			specs: []spec{{"m.mlp.up.weight_packed", reader.I32, []uint64{8, 1}}},
			code:  "unsupported_target_pattern", level: findings.Warning,
		},
		{
			name:  "tied but shapes differ",
			cfg:   `{"model_type": "llama", "tie_word_embeddings": true}`,
			specs: []spec{{"model.embed_tokens.weight", reader.BF16, []uint64{16, 8}}, {"lm_head.weight", reader.BF16, []uint64{17, 8}}},
			code:  "tied_shape_mismatch", level: findings.Problem,
		},
		{
			// GPT2Config leaves tie_word_embeddings to PretrainedConfig's
			// default, true: a stored lm_head is a duplicate of wte.
			name:  "tied by the family default",
			cfg:   `{"model_type": "gpt2"}`,
			specs: []spec{{"wte.weight", reader.F32, []uint64{16, 8}}, {"lm_head.weight", reader.F32, []uint64{16, 8}}},
			code:  "tied_duplicate", level: findings.Warning,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Classify(tensors(tc.specs...), cfgOf(t, tc.cfg))
			f := hasFinding(r, tc.code)
			if f == nil {
				t.Fatalf("findings: got %v, want %q", r.Findings, tc.code)
			}
			if f.Level != tc.level || len(f.Evidence) == 0 {
				t.Errorf("%s: got level %s evidence %v, want %s with evidence", tc.code, f.Level, f.Evidence, tc.level)
			}
			for name, k := range tc.kinds {
				if x := find(r, name); x == nil || x.Kind != k {
					t.Errorf("%s: got %v, want %s", name, x, k)
				}
			}
		})
	}
}

// BenchmarkClassifyDeepSeekScale measures Classify on DeepSeek-V3's
// 91,991 tensors (FP8 weights with F32 block scales), the scale the
// performance goal names (under 6 ms and 15 MB): from testdata/layouts in
// the reference writer's header order, with its config.json and without
// one, and as `paramscope inspect` gets them, read by reader.Open from
// testdata/bigckpt's 163 header-only shards (no config.json).
func BenchmarkClassifyDeepSeekScale(b *testing.B) {
	ts, cfg := load(b, "deepseek-v3")
	dir := b.TempDir()
	if _, err := bigckpt.Write(dir, bigckpt.Shards); err != nil {
		b.Fatal(err)
	}
	ck, err := reader.Open(context.Background(), dir, reader.DefaultLimits())
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		ts   []reader.Tensor
		cfg  *reader.Config
	}{{"layouts-config", ts, cfg}, {"layouts-no-config", ts, nil}, {"bigckpt-reader", ck.Tensors, ck.Config}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Classify(bc.ts, bc.cfg)
			}
		})
		// ClassifyUnique is what paramscope inspect runs (the reader's
		// names are unique).
		b.Run(bc.name+"-unique", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ClassifyUnique(bc.ts, bc.cfg)
			}
		})
	}
}

// TestTensorZeroDetail: a row built by hand, without Classify, has no
// shared detail; reading it gives the zero values, never a panic.
func TestTensorZeroDetail(t *testing.T) {
	x := Tensor{Tensor: &reader.Tensor{Name: "w", DType: reader.BF16, Shape: []uint64{2}}, Kind: Parameter}
	if x.Scheme() != "" || x.Bits() != 0 || x.PackFactor() != "" || x.Packing() != "" || x.DuplicateOf() != "" || x.Note() != "" {
		t.Errorf("got %q %d %q %q %q %q, want zero values", x.Scheme(), x.Bits(), x.PackFactor(), x.Packing(), x.DuplicateOf(), x.Note())
	}
}

// TestKindText: Kind is a byte in the row, but its text and JSON forms are
// the names it had as a string.
func TestKindText(t *testing.T) {
	for _, tc := range []struct {
		k    Kind
		want string
	}{{Parameter, "parameter"}, {Side, "quant_side"}, {Buffer, "buffer"}, {0, ""}} {
		if got := fmt.Sprint(tc.k); got != tc.want {
			t.Errorf("fmt.Sprint(%d): got %q, want %q", uint8(tc.k), got, tc.want)
		}
		b, err := json.Marshal(tc.k)
		if err != nil || string(b) != strconv.Quote(tc.want) {
			t.Errorf("json.Marshal(%d): got %s, %v; want %q", uint8(tc.k), b, err, tc.want)
		}
		var back Kind
		if err := back.UnmarshalText([]byte(tc.want)); err != nil || back != tc.k {
			t.Errorf("UnmarshalText(%q): got %d, %v; want %d", tc.want, uint8(back), err, uint8(tc.k))
		}
	}
	var k Kind
	if err := k.UnmarshalText([]byte("weight")); err == nil {
		t.Errorf("UnmarshalText(%q): got no error", "weight")
	}
}

// TestTensorRowSize keeps a row to one 64-byte cache line on 64-bit
// platforms: a DeepSeek-V3-scale checkpoint has ~92,000 rows, and every
// byte of a row is ~92 KB of fresh memory (see Tensor).
func TestTensorRowSize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("sizes are for 64-bit platforms")
	}
	if got := unsafe.Sizeof(Tensor{}); got > 64 {
		t.Errorf("unsafe.Sizeof(Tensor{}): got %d, want at most 64", got)
	}
}
