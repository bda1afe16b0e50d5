package quant

import (
	"maps"
	"testing"

	"github.com/paramscope/paramscope/reader"
)

// TestHubCount checks that the Hub's rules, applied to the rebuilt
// layouts, give the per-dtype counts the Hub's own tests pin
// (huggingface.js packages/hub/src/lib/parse-safetensors-metadata.spec.ts,
// each at the revision its facts file names), and that a finding explains
// every difference from the logical count.
func TestHubCount(t *testing.T) {
	tests := []struct {
		model   string
		byDType map[reader.DType]uint64
		differs bool
	}{
		// "fetch info for GPTQ quantized 8B model": I32 6,979,321,856 and
		// F16 1,052,315,648, total 8,031,637,504.
		{"quant-llama-3.1-8b-instruct-w4a16", map[reader.DType]uint64{reader.I32: 6_979_321_856, reader.F16: 1_052_315_648}, true},
		// "fetch info for openai/gpt-oss-20b".
		{"quant-gpt-oss-20b", map[reader.DType]uint64{reader.BF16: 1_804_459_584, reader.U8: 19_110_297_600}, false},
		// "excludes mxfp4 block scales ... (openai/gpt-oss-120b)".
		{"quant-gpt-oss-120b", map[reader.DType]uint64{reader.BF16: 2_167_371_072, reader.U8: 114_661_785_600}, false},
		// "excludes bitsandbytes double-quantization state".
		{"quant-llama-3.1-8b-instruct-bnb-4bit", map[reader.DType]uint64{reader.BF16: 1_050_939_392, reader.U8: 6_979_321_856}, false},
		// "excludes compressed-tensors weight_g_idx actorder indices".
		{"quant-llama-3.3-70b-instruct-w4a16", map[reader.DType]uint64{reader.I32: 68_451_041_280, reader.BF16: 2_102_665_216}, false},
		// GPT-2 without a quantization config: every element, the 12
		// masks included: 137,022,720 = 124,439,808 + 12,582,912.
		{"gpt2-with-buffers", map[reader.DType]uint64{reader.F32: 137_022_720}, true},
	}
	for _, tc := range tests {
		t.Run(tc.model, func(t *testing.T) {
			ts, cfg := load(t, tc.model)
			got := HubCount(ts, cfg)
			if !maps.Equal(got.ByDType, tc.byDType) {
				t.Errorf("by dtype: got %v, want %v", got.ByDType, tc.byDType)
			}
			r := Classify(ts, cfg)
			if r.Hub.Total != got.Total {
				t.Errorf("Result.Hub: got %d, want %d", r.Hub.Total, got.Total)
			}
			if f := hasFinding(r, "hub_count_differs"); (f != nil) != tc.differs {
				t.Errorf("hub_count_differs: got %v, want present=%v", f, tc.differs)
			}
		})
	}
}

// TestHubDisagreements checks formats whose Hub count differs for reasons
// the Hub's rules make plain: MLX's "quantization" key is not read, so the
// U32 words count once and scales and biases count as parameters; ModelOpt
// NVFP4 falls to the default branch, which packs U8 only with bits 4.
func TestHubDisagreements(t *testing.T) {
	for _, name := range []string{"quant-llama-3.2-1b-instruct-mlx-4bit", "quant-llama-3.1-8b-instruct-nvfp4-2l", "tiny-llama-tied-dup"} {
		t.Run(name, func(t *testing.T) {
			ts, cfg := load(t, name)
			r := Classify(ts, cfg)
			f := hasFinding(r, "hub_count_differs")
			if f == nil || r.Hub.Total == r.Totals().LogicalParams {
				t.Fatalf("got hub %d, logical %d, finding %v; want a difference explained", r.Hub.Total, r.Totals().LogicalParams, f)
			}
		})
	}
	// MLX in detail: U32 words 154,468,352 + BF16 38,684,672 (scales,
	// biases and norms) = 193,153,024 (the stored elements, nothing
	// skipped), against 1,235,814,400 parameters.
	ts, cfg := load(t, "quant-llama-3.2-1b-instruct-mlx-4bit")
	if got := HubCount(ts, cfg).Total; got != 193_153_024 {
		t.Errorf("mlx hub total: got %d, want 193153024", got)
	}
}
