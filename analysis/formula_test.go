package analysis

import (
	"testing"
)

// The GPT-2 numbers come from FORMULAS.md: the article's 12lh² + 13lh + Vh
// with l=12, h=768, V=50257 is 123,651,840; the published count of
// GPT2LMHeadModel (Hugging Face gpt2, num_parameters()) is 124,439,808, the
// difference being 1024·768 learned positions and the final LayerNorm's 2h.
func TestFormulaGPT2(t *testing.T) {
	cfg := cfgOf(t, `{"model_type":"gpt2","n_embd":768,"n_layer":12,"n_head":12,"vocab_size":50257,"n_positions":1024,"n_ctx":1024}`)
	a := analyzeTensors(gpt2Tensors(12, 768, 50257, 1024), cfg)
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
	t.Logf("%s\n%s", f.Corrected.Symbolic, f.Corrected.Numeric)
	for _, l := range f.Layers[:1] {
		for _, r := range l.Rows {
			t.Logf("%-16s %v %d %s %v %s", r.Textbook, r.ExpectedShape, r.ExpectedParams, r.Status, r.Tensors, r.Note)
		}
	}
	for _, tm := range f.Terms {
		t.Logf("%s %d %d %d %s", tm.Name, tm.Textbook, tm.Checkpoint, tm.Diff, tm.Cause)
	}
}

// Llama-2-7B: config.json of meta-llama/Llama-2-7b-hf (h 4096, 32 layers,
// 32 heads, intermediate 11008, vocab 32000, untied); 6,738,415,616
// parameters (FORMULAS.md, the exact count behind the paper's "6.7B").
func TestFormulaLlama2(t *testing.T) {
	cfg := cfgOf(t, `{"model_type":"llama","hidden_size":4096,"num_hidden_layers":32,"num_attention_heads":32,"num_key_value_heads":32,"intermediate_size":11008,"vocab_size":32000,"tie_word_embeddings":false,"max_position_embeddings":4096}`)
	a := analyzeTensors(llamaTensors(llamaSpec{l: 32, h: 4096, v: 32000, f: 11008, heads: 32, kv: 32}), cfg)
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
	t.Logf("%s\n%s", f.Corrected.Symbolic, f.Corrected.Numeric)
	for _, tm := range f.Terms {
		t.Logf("%s %d %d %d %s", tm.Name, tm.Textbook, tm.Checkpoint, tm.Diff, tm.Cause)
	}
	for _, as := range f.Assumptions {
		t.Logf("%v %s: %s", as.Holds, as.Text, as.Evidence)
	}
	for _, fi := range a.Findings {
		t.Logf("finding %+v", fi)
	}
}
