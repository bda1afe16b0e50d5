package analysis

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paramscope/paramscope/reader"
)

// The GPT-2 numbers come from FORMULAS.md: the article's 12lh² + 13lh + Vh
// with l=12, h=768, V=50257 is 123,651,840; the published count of
// GPT2LMHeadModel (Hugging Face gpt2, num_parameters()) is 124,439,808, the
// difference being 1024·768 learned positions and the final LayerNorm's 2h.
func TestFormulaGPT2(t *testing.T) {
	cfg := cfgOf(t, `{"model_type":"gpt2","n_embd":768,"n_layer":12,"n_head":12,"vocab_size":50257,"n_positions":1024,"n_ctx":1024}`)
	a := Analyze(gpt2Tensors(12, 768, 50257, 1024), cfg)
	f := a.Formula
	if got, want := f.Textbook, uint64(123_651_840); got != want {
		t.Errorf("textbook: got %d, want %d", got, want)
	}
	if got, want := f.Actual, uint64(124_439_808); got != want {
		t.Errorf("actual: got %d, want %d", got, want)
	}
	if got, want := f.Diff, int64(787_968); got != want {
		t.Errorf("diff: got %d, want %d", got, want)
	}
	rows := map[string]Term{}
	for _, r := range f.Terms {
		rows[r.Name] = r
	}
	for name, want := range map[string]int64{"attention": 0, "mlp": 0, "layer_norms": 0, "embedding": 0, "learned_positions": 786_432, "final_norm": 1_536} {
		if got := rows[name].Diff; got != want {
			t.Errorf("term %s: got diff %d, want %d (%s)", name, got, want, rows[name].Cause)
		}
	}
	if got := rows["buffers"]; got.Counted || got.Tensors != 12 {
		t.Errorf("buffers: got %+v, want 12 uncounted attn.bias masks", got)
	}
	if f.Corrected.Residual != 0 {
		t.Errorf("corrected residual: got %d, want 0 (%s; %v)", f.Corrected.Residual, f.Corrected.Symbolic, f.Corrected.ResidualTensors)
	}
	// Every textbook tensor of a GPT-2 layer is there with its shape
	// (Conv1D's [in, out] read as [out, in]); the mask is a buffer.
	for _, r := range f.Layers[0].Rows {
		want := StatusMatch
		if r.Textbook == "" {
			want = StatusBuffer
		}
		if r.Status != want {
			t.Errorf("layer 0 %s %v: got %s, want %s", r.Textbook, r.Tensors, r.Status, want)
		}
	}
	if got := len(f.Groups); got != 1 || !f.Groups[0].Representative || len(f.Groups[0].Layers) != 12 {
		t.Errorf("groups: got %+v, want one representative group of 12 layers", f.Groups)
	}
}

// Llama-2-7B: config.json of meta-llama/Llama-2-7b-hf (h 4096, 32 layers,
// 32 heads, intermediate 11008, vocab 32000, untied); 6,738,415,616
// parameters (FORMULAS.md, the exact count behind the paper's "6.7B").
func TestFormulaLlama2(t *testing.T) {
	cfg := cfgOf(t, `{"model_type":"llama","hidden_size":4096,"num_hidden_layers":32,"num_attention_heads":32,"num_key_value_heads":32,"intermediate_size":11008,"vocab_size":32000,"tie_word_embeddings":false,"max_position_embeddings":4096}`)
	a := Analyze(llamaTensors(llamaSpec{l: 32, h: 4096, v: 32000, f: 11008, heads: 32, kv: 32}), cfg)
	f := a.Formula
	// 12·32·4096² + 13·32·4096 + 32000·4096
	if got, want := f.Textbook, uint64(6_442_450_944+1_703_936+131_072_000); got != want {
		t.Errorf("textbook: got %d, want %d", got, want)
	}
	if got, want := f.Actual, uint64(6_738_415_616); got != want {
		t.Errorf("actual: got %d, want %d", got, want)
	}
	if f.Corrected.Residual != 0 {
		t.Errorf("residual: got %d, want 0", f.Corrected.Residual)
	}
	if got, want := f.Corrected.Symbolic, "l·(4h² + 3h·f + 2h) + 2V·h + h"; got != want {
		t.Errorf("corrected: got %q, want %q", got, want)
	}
	// Every deviation named, with its number.
	causes := map[string]Term{}
	for _, tm := range f.Terms {
		causes[tm.Name] = tm
	}
	for _, tc := range []struct {
		term     string
		diff     int64
		contains []string
	}{
		{"attention", -32 * 4 * 4096, []string{"no biases"}},
		{"mlp", 32 * (3*4096*11008 - 8*4096*4096 - 5*4096), []string{"gated MLP", "11,008", "no MLP biases"}},
		{"layer_norms", -32 * 2 * 4096, []string{"RMSNorm", "2 norms per layer"}},
		{"embedding", 0, nil},
		{"lm_head", 32000 * 4096, []string{"untied"}},
		{"final_norm", 4096, []string{"final RMSNorm"}},
	} {
		got, ok := causes[tc.term]
		if !ok {
			t.Errorf("no %s row", tc.term)
			continue
		}
		if got.Diff != tc.diff {
			t.Errorf("%s: got difference %d, want %d", tc.term, got.Diff, tc.diff)
		}
		for _, c := range tc.contains {
			if !strings.Contains(got.Cause, c) {
				t.Errorf("%s: cause %q does not name %q", tc.term, got.Cause, c)
			}
		}
	}
	holds := map[string]bool{}
	for _, as := range f.Assumptions {
		holds[as.Name] = as.Holds
	}
	for name, want := range map[string]bool{"multi_head_attention": true, "mlp_4h_two_matrices": false, "biases_everywhere": false,
		"layernorm_with_beta": false, "tied_embeddings": false, "no_learned_positions": true, "dense": true} {
		if holds[name] != want {
			t.Errorf("assumption %s: got holds %v, want %v", name, holds[name], want)
		}
	}
	for _, fi := range a.Findings {
		t.Errorf("unexpected finding %s: %s", fi.Code, fi.Message)
	}
}

// TestTensorDiffFixtures checks the per-tensor diff on committed fixtures:
// the diff names what differs and why, and layer kinds group as the
// models are built (DeepSeek-V3: first_k_dense_replace 3, MTP layer 61).
func TestTensorDiffFixtures(t *testing.T) {
	// Llama-3-8B (config.json: 8 KV heads of 128, intermediate 14336).
	f := fixtureFormula(t, "llama-3-8b")
	rows := map[string]TensorDiff{}
	var extras []TensorDiff
	for _, r := range f.Layers[0].Rows {
		if r.Textbook == "" {
			extras = append(extras, r)
			continue
		}
		rows[r.Textbook] = r
	}
	for _, tc := range []struct {
		slot, status, note string
	}{
		{"W_Q", StatusMatch, ""},
		{"b_Q", StatusMissing, "no bias"},
		{"W_K", StatusDifferent, "[1024, 4096] instead of [4096, 4096]: 8 key/value heads × 128"},
		{"W_1", StatusDifferent, "[14336, 4096] instead of [16384, 4096]: MLP width f = 14336"},
		{"LN1 β", StatusMissing, "no bias"},
	} {
		if got := rows[tc.slot]; got.Status != tc.status || got.Note != tc.note {
			t.Errorf("llama-3-8b %s: got %s %q, want %s %q", tc.slot, got.Status, got.Note, tc.status, tc.note)
		}
	}
	if len(extras) != 1 || extras[0].Role != RoleMLPGate || extras[0].Status != StatusExtra {
		t.Errorf("llama-3-8b extras: got %+v, want the gate projection", extras)
	}

	// DeepSeek-V3: three layer kinds.
	f = fixtureFormula(t, "deepseek-v3")
	type group struct {
		stack  string
		layers string
		rep    bool
	}
	var got []group
	for _, g := range f.Groups {
		got = append(got, group{g.Stack, LayerRanges(g.Layers), g.Representative})
	}
	want := []group{{StackDecoder, "0–2", false}, {StackDecoder, "3–60", true}, {StackMTP, "61", false}}
	if len(got) != len(want) {
		t.Fatalf("deepseek-v3 groups: got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("deepseek-v3 group %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	// A MoE layer's experts fold into one row per matrix: 256 tensors each.
	for _, r := range f.Layers[3].Rows {
		if r.Role == RoleExpertGate && r.Status == StatusExtra {
			if r.Tensors[0].Count != 256 || r.Params != 256*2048*7168 {
				t.Errorf("expert gate row: got %d tensors, %d params, want 256 and %d", r.Tensors[0].Count, r.Params, 256*2048*7168)
			}
		}
	}
}

// fixtureFormula reads a committed fixture and runs the pipeline.
func fixtureFormula(t *testing.T, name string) *FormulaReport {
	t.Helper()
	ck, err := reader.Open(context.Background(), filepath.Join("..", "testdata", "models", name), reader.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	return Analyze(ck.Tensors, ck.Config).Formula
}

// TestCorrectedResidual: when one layer's MLP is wider than the width the
// architecture reads from layer 0, the corrected formula cannot reproduce
// the count; the residual is exactly the extra 3h·Δf and names the tensors.
func TestCorrectedResidual(t *testing.T) {
	const h, f, wide = 16, 32, 40
	ts := llamaTensors(llamaSpec{l: 2, h: h, v: 50, f: f, heads: 2, kv: 2})
	for i := range ts {
		switch ts[i].Name {
		case "model.layers.1.mlp.gate_proj.weight", "model.layers.1.mlp.up_proj.weight":
			ts[i].Shape = []uint64{wide, h}
		case "model.layers.1.mlp.down_proj.weight":
			ts[i].Shape = []uint64{h, wide}
		}
	}
	rep := Analyze(ts, cfgOf(t, `{"num_attention_heads":2}`)).Formula
	c := rep.Corrected
	if want := int64(3 * h * (wide - f)); c.Residual != want {
		t.Errorf("residual: got %d, want %d", c.Residual, want)
	}
	if len(c.ResidualTensors) != 3 {
		t.Fatalf("residual tensors: got %q, want the three MLP matrices of layer 1", c.ResidualTensors)
	}
	for _, s := range c.ResidualTensors {
		if !strings.HasPrefix(s, "model.layers.1.mlp.") {
			t.Errorf("residual tensor %q is not one of layer 1's MLP matrices", s)
		}
	}
	// The per-tensor diff sets layer 1 apart; the corrected formula, built
	// from the architecture, has one kind of layer and leaves the rest as
	// its residual.
	if len(rep.Groups) != 2 || len(c.Groups) != 1 {
		t.Errorf("groups: got %d layer kinds and %d formula groups, want 2 and 1", len(rep.Groups), len(c.Groups))
	}
}
