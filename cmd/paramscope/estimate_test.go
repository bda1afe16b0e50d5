package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// estGPT3Args are the article's GPT-3 hyper-parameters (l=96, h=12288,
// a=96, V=50257; Brown et al. 2020, table 2.1).
var estGPT3Args = []string{"estimate", "--layers", "96", "--hidden", "12288", "--vocab", "50257", "--heads", "96"}

func estArgs(base []string, more ...string) []string {
	return append(append([]string{}, base...), more...)
}

func TestEstimateGoldens(t *testing.T) {
	// The article's worked example: activations at s=2048, b=1; training
	// time for 300B tokens on 1024 A100s at 312 TFLOP/s and 45%, Φ = 175B.
	gpt3 := estArgs(estGPT3Args, "--learned-positions", "2048", "--params", "175B", "--tokens", "300B",
		"--gpus", "1024", "--peak-tflops", "312", "--utilization", "0.45")
	cases := []struct {
		name string
		args []string
	}{
		{"estimate_gpt3_text", gpt3},
		{"estimate_gpt3_json", estArgs(gpt3, "--format", "json")},
		{"estimate_gpt3_markdown", estArgs(gpt3, "--format", "markdown")},
		{"estimate_no_input", []string{"estimate"}},
		{"estimate_missing_heads", []string{"estimate", "--layers", "2", "--hidden", "8", "--vocab", "8"}},
		{"estimate_path_and_hyper", estArgs(estGPT3Args, "model.safetensors")},
		{"estimate_bad_dtype", estArgs(estGPT3Args, "--dtype", "fp12")},
		{"estimate_stored_without_checkpoint", estArgs(estGPT3Args, "--dtype", "stored")},
		{"estimate_bad_recompute", estArgs(estGPT3Args, "--recompute", "some")},
		{"estimate_bad_count", estArgs(estGPT3Args, "--tokens", "lots")},
		{"estimate_fractional_count", estArgs(estGPT3Args, "--batch", "1.5")},
		{"estimate_partial_cluster", estArgs(estGPT3Args, "--tokens", "300B", "--gpus", "1024")},
		{"estimate_bad_utilization", estArgs(estGPT3Args, "--tokens", "300B", "--gpus", "8", "--peak-tflops", "312", "--utilization", "1.5")},
		{"estimate_sp_without_tp", estArgs(estGPT3Args, "--sp")},
		{"estimate_bad_optimizer", estArgs(estGPT3Args, "--optimizer-bytes", "12")},
		{"estimate_kv_heads_do_not_divide", estArgs(estGPT3Args, "--kv-heads", "7", "--ffn", "49152")},
		{"estimate_unreadable_path", []string{"estimate", "testdata/no-such-model"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { golden(t, c.name, c.args...) })
	}
}

// estimateJSON runs the estimate command with --format json and returns
// the first estimate and the exit code.
func estimateJSON(t *testing.T, a ...string) (map[string]any, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), estArgs(a, "--format", "json"), &stdout, &stderr)
	dec := json.NewDecoder(&stdout)
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%v (stderr %s)", err, stderr.String())
	}
	if v, ok := doc["schema_version"].(json.Number); !ok || v.String() != "1" {
		t.Errorf("schema_version: got %v, want 1", doc["schema_version"])
	}
	list, _ := doc["estimates"].([]any)
	if len(list) == 0 {
		t.Fatalf("no estimates (exit %d, stderr %s)", code, stderr.String())
	}
	return list[0].(map[string]any), code
}

// estValue returns estimates.section.row.column.value as text.
func estValue(t *testing.T, e map[string]any, section, row, column string) string {
	t.Helper()
	s, _ := e["estimates"].(map[string]any)[section].(map[string]any)
	r, _ := s[row].(map[string]any)
	q, _ := r[column].(map[string]any)
	v, ok := q["value"].(json.Number)
	if !ok {
		t.Fatalf("no %s.%s.%s.value", section, row, column)
	}
	return v.String()
}

func TestEstimateArticleNumbers(t *testing.T) {
	cases := []struct {
		name                 string
		args                 []string
		section, row, column string
		want                 string
	}{
		// FORMULAS.md §4 (article, section 4): GPT-3 activations at s=2048.
		{"activations b=1", estArgs(estGPT3Args, "--seq", "2048", "--batch", "1"), "activations", "total", "textbook", "275414777856"},
		{"activations b=64", estArgs(estGPT3Args, "--seq", "2048", "--batch", "64"), "activations", "total", "textbook", "17626545782784"},
		{"activations b=128", estArgs(estGPT3Args, "--seq", "2048", "--batch", "128"), "activations", "total", "textbook", "35253091565568"},
		// FORMULAS.md §5 (article, section 5): 4blh(s+n), b=64, s=512, n=32.
		{"kv cache", estArgs(estGPT3Args, "--batch", "64", "--seq", "512", "--gen", "32"), "kv_cache", "total", "textbook", "164282499072"},
		// FORMULAS.md §3: 6 × 174,600·10⁶ × 300·10⁹ = 3.1428·10²³.
		{"6 tokens Φ", estArgs(estGPT3Args, "--params", "174.6B", "--tokens", "300B"), "flops", "training_total_6", "corrected", "314280000000000000000000"},
		// FORMULAS.md §3: GPT-3 on 1024 A100 (312 TFLOP/s, 0.45), 300B tokens, Φ = 175B.
		{"gpt-3 time", estArgs(estGPT3Args, "--params", "175e9", "--tokens", "300B", "--gpus", "1024",
			"--peak-tflops", "312", "--utilization", "0.45"), "flops", "training_seconds_8", "corrected", "2921340"},
		// FORMULAS.md §3: LLaMA-65B on 2048 GPUs at 624 TFLOP/s, 0.3, 1.4T tokens, Φ = 65B.
		{"llama-65b time", []string{"estimate", "--layers", "80", "--hidden", "8192", "--vocab", "32000", "--heads", "64",
			"--ffn", "22016", "--params", "65B", "--tokens", "1.4T", "--gpus", "2048", "--peak-tflops", "624",
			"--utilization", "30%"}, "flops", "training_seconds_8", "corrected", "1898871"},
		// Korthikanti et al. 2022, table 2, by hand for GPT-3 at s=2048, b=1,
		// t=8 with sequence parallelism and selective recomputation:
		// sbh·34/t = 25,165,824 · 4.25 bytes per layer.
		{"korthikanti selective sp", estArgs(estGPT3Args, "--tp", "8", "--sp", "--recompute", "selective"),
			"activations", "per_layer", "textbook", "106954752"},
		// FORMULAS.md §2: the Hugging Face convention, 18 bytes per parameter,
		// for Φ = 175B.
		{"hf optimizer", estArgs(estGPT3Args, "--params", "175B", "--optimizer-bytes", "hf"),
			"memory", "training_states", "corrected", "3150000000000"},
		// FORMULAS.md §1: Mixtral-8x7B, 46,702,792,704 total, 12,879,925,248 active.
		{"mixtral total", estMixtralArgs, "parameters", "total", "corrected", "46702792704"},
		{"mixtral active", estMixtralArgs, "parameters", "active", "corrected", "12879925248"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, code := estimateJSON(t, c.args...)
			if code != exitOK {
				t.Errorf("exit: got %d, want 0", code)
			}
			if got := estValue(t, e, c.section, c.row, c.column); got != c.want {
				t.Errorf("%s.%s.%s: got %s, want %s", c.section, c.row, c.column, got, c.want)
			}
		})
	}
}

// estMixtralArgs are Mixtral-8x7B's config.json values as flags.
var estMixtralArgs = []string{"estimate", "--layers", "32", "--hidden", "4096", "--vocab", "32000", "--heads", "32",
	"--kv-heads", "8", "--ffn", "14336", "--experts", "8", "--top-k", "2"}

func TestEstimateGroupedQuery(t *testing.T) {
	// Llama-3-8B's layout (FORMULAS.md §1): l 32, h 4096, A 32, G 8, d 128.
	// The corrected KV cache is G/A = 8/32 of the textbook's 4blh(s+n) =
	// 4·1·32·4096·4096 = 2,147,483,648 bytes, and the text says so.
	a := []string{"estimate", "--layers", "32", "--hidden", "4096", "--vocab", "128256", "--heads", "32",
		"--kv-heads", "8", "--ffn", "14336", "--seq", "4096"}
	e, _ := estimateJSON(t, a...)
	if got, want := estValue(t, e, "kv_cache", "total", "textbook"), "2147483648"; got != want {
		t.Errorf("textbook: got %s, want %s", got, want)
	}
	if got, want := estValue(t, e, "kv_cache", "total", "corrected"), "536870912"; got != want {
		t.Errorf("corrected: got %s, want %s", got, want)
	}
	// FORMULAS.md §1: Llama-3-8B has 8,030,261,248 parameters.
	if got, want := estValue(t, e, "parameters", "total", "corrected"), "8030261248"; got != want {
		t.Errorf("parameters: got %s, want %s", got, want)
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), a, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit: got %d, want 0 (%s)", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "G/A = 8/32 of the textbook's cache") {
		t.Errorf("text output does not say G/A = 8/32:\n%s", stdout.String())
	}
}

func TestEstimateCountFlag(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"2048", 2048, true},
		{"300B", 300_000_000_000, true},
		{"1.4T", 1_400_000_000_000, true},
		{"174.6e9", 174_600_000_000, true},
		{"4k", 4000, true},
		{"1_000", 1000, true},
		{"1.5", 0, false},
		{"-3", 0, false},
		{"1/2", 0, false},
		{"", 0, false},
		{"2e30", 0, false},
		{"B", 0, false},
		{"1e10000000", 0, false},
		{"0x10", 0, false},
		{"NaN", 0, false},
		{"Inf", 0, false},
	} {
		t.Run(c.in, func(t *testing.T) {
			var v estCount
			err := v.Set(c.in)
			if (err == nil) != c.ok {
				t.Fatalf("Set(%q): got error %v, want ok %v", c.in, err, c.ok)
			}
			if c.ok && uint64(v) != c.want {
				t.Errorf("Set(%q): got %d, want %d", c.in, uint64(v), c.want)
			}
		})
	}
}

// estModels is the committed fixtures folder, relative to this package.
const estModels = "../../testdata/models/"

func TestEstimateCheckpointGoldens(t *testing.T) {
	// Llama-3-8B's header-only layout: the corrected column differs from
	// the textbook by GQA, SwiGLU and the untied 128,256-token vocabulary.
	// Run from the repository root (goldenRoot), so the README can show
	// the output with the path a user types.
	llama := []string{"estimate", "testdata/models/llama-3-8b", "--seq", "8192", "--gen", "1024", "--batch", "4"}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"estimate_llama3_8b_text", llama},
		{"estimate_llama3_8b_json", estArgs(llama, "--format", "json")},
		{"estimate_llama3_8b_markdown", estArgs(llama, "--format", "markdown")},
	} {
		t.Run(c.name, func(t *testing.T) { goldenRoot(t, c.name, c.args...) })
	}
}

func TestEstimateCheckpoints(t *testing.T) {
	cases := []struct {
		name, model          string
		section, row, column string
		want                 string
	}{
		// FORMULAS.md §1: Llama-3-8B has 8,030,261,248 parameters, stored in
		// BF16 (2 bytes each, its config.json torch_dtype).
		{"llama-3-8b parameters", "llama-3-8b", "parameters", "total", "corrected", "8030261248"},
		{"llama-3-8b stored weights", "llama-3-8b", "memory", "inference_weights", "corrected", "16060522496"},
		// The same parameters at 4 bits: 8,030,261,248 / 2 bytes.
		{"llama-3-8b int4 weights", "llama-3-8b --dtype int4", "memory", "inference_weights", "corrected", "4015130624"},
		// FORMULAS.md §1: Mixtral-8x7B, 46,702,792,704 total, 12,879,925,248 active.
		{"mixtral total", "mixtral-8x7b", "parameters", "total", "corrected", "46702792704"},
		{"mixtral active", "mixtral-8x7b", "parameters", "active", "corrected", "12879925248"},
		// DeepSeek-V3 (config.json: 61 layers, kv_lora_rank 512,
		// qk_rope_head_dim 64): MLA caches 576 values per token per layer
		// (DeepSeek-V2 paper, table 1), 2 bytes each in fp16.
		{"deepseek-v3 kv per token", "deepseek-v3", "kv_cache", "per_token", "corrected", "70272"},
		// Mistral-7B-v0.1 (config.json sliding_window 4096): at s=8192 the
		// cache keeps 4096 tokens: 2·2·4096·32·8·128 bytes.
		{"mistral window", "mistral-7b-v0.1 --seq 8192", "kv_cache", "total", "corrected", "536870912"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := strings.Fields(c.model)
			e, code := estimateJSON(t, estArgs([]string{"estimate", estModels + f[0]}, f[1:]...)...)
			if code != exitOK {
				t.Errorf("exit: got %d, want 0", code)
			}
			if got := estValue(t, e, c.section, c.row, c.column); got != c.want {
				t.Errorf("%s.%s.%s: got %s, want %s", c.section, c.row, c.column, got, c.want)
			}
		})
	}
}

func TestEstimateDeepSeekV3Published(t *testing.T) {
	// DeepSeek-V3 technical report (arXiv 2412.19437), abstract: 671B total
	// parameters, 37B activated per token; the checkpoint's 14B of
	// multi-token-prediction weights are outside both.
	e, _ := estimateJSON(t, "estimate", estModels+"deepseek-v3")
	for _, c := range []struct {
		row     string
		billion int64
	}{{"total", 671}, {"active", 37}} {
		v, err := strconv.ParseInt(estValue(t, e, "parameters", c.row, "corrected"), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		if got := v / 1_000_000_000; got != c.billion {
			t.Errorf("%s: got %d (%dB), want %dB", c.row, v, got, c.billion)
		}
	}
}

func TestEstimateUnknownArchitecture(t *testing.T) {
	// A valid safetensors file whose one tensor says nothing about layers,
	// width or vocabulary: the estimate is refused with exit 3, naming the
	// file and the missing value.
	dir := t.TempDir()
	header := `{"foo":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	var file bytes.Buffer
	n := uint64(len(header))
	for i := 0; i < 8; i++ {
		file.WriteByte(byte(n >> (8 * i)))
	}
	file.WriteString(header)
	file.Write(make([]byte, 8))
	path := filepath.Join(dir, "model.safetensors")
	if err := os.WriteFile(path, file.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"estimate", path}, &stdout, &stderr)
	if code != exitBadInput {
		t.Errorf("exit: got %d, want %d", code, exitBadInput)
	}
	if got := stderr.String(); !strings.Contains(got, path) || !strings.Contains(got, "architecture not known") {
		t.Errorf("stderr %q does not name the file and the unknown architecture", got)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout: got %q, want nothing", stdout.String())
	}
}

func TestEstimateTwoPaths(t *testing.T) {
	// One readable fixture and one missing path: the JSON document holds
	// the estimate and the error, and the exit code is 3.
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"estimate", "--format", "json", estModels + "gpt2", estModels + "no-such-model"}, &stdout, &stderr)
	if code != exitBadInput {
		t.Errorf("exit: got %d, want %d", code, exitBadInput)
	}
	var doc struct {
		Estimates []struct {
			Source string `json:"source"`
		} `json:"estimates"`
		Errors []estPathError `json:"errors"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Estimates) != 1 || doc.Estimates[0].Source != estModels+"gpt2" {
		t.Errorf("estimates: got %+v, want one for gpt2", doc.Estimates)
	}
	if len(doc.Errors) != 1 || doc.Errors[0].Path != estModels+"no-such-model" {
		t.Errorf("errors: got %+v, want one for no-such-model", doc.Errors)
	}
}
