package analysis

import (
	"fmt"
	"strings"
	"testing"

	"github.com/paramscope/paramscope/analysis/findings"
	"github.com/paramscope/paramscope/reader"
)

// findingWith returns the first finding of code whose message holds every
// fragment.
func findingWith(fs []findings.Finding, code string, fragments ...string) (findings.Finding, bool) {
	for _, f := range fs {
		if f.Code != code {
			continue
		}
		ok := true
		for _, s := range fragments {
			if !strings.Contains(f.Message, s) {
				ok = false
			}
		}
		if ok {
			return f, true
		}
	}
	return findings.Finding{}, false
}

// TestConfigCrossCheck: every disagreement between config.json and the
// weights is a finding holding both values; contradictions are problems,
// informational mismatches warnings.
func TestConfigCrossCheck(t *testing.T) {
	small := llamaSpec{l: 1, h: 64, v: 100, f: 128, heads: 4, kv: 2}
	for _, tc := range []struct {
		name      string
		spec      llamaSpec
		cfg       string
		code      string
		level     findings.Level
		fragments []string
	}{
		{"layers", small, `{"num_hidden_layers":62,"hidden_size":64,"num_attention_heads":4,"num_key_value_heads":2,"vocab_size":100,"intermediate_size":128}`,
			"config_mismatch", findings.Problem, []string{"num_hidden_layers = 62", "give 1"}},
		{"hidden", small, `{"num_hidden_layers":1,"hidden_size":4096,"num_attention_heads":4,"num_key_value_heads":2,"vocab_size":100}`,
			"config_mismatch", findings.Problem, []string{"hidden_size = 4096", "give 64"}},
		{"vocab", small, `{"num_hidden_layers":1,"hidden_size":64,"num_attention_heads":4,"num_key_value_heads":2,"vocab_size":128}`,
			"config_mismatch", findings.Warning, []string{"vocab_size = 128", "give 100"}},
		{"kv heads", small, `{"num_hidden_layers":1,"hidden_size":64,"num_attention_heads":4,"num_key_value_heads":4,"vocab_size":100}`,
			"config_mismatch", findings.Problem, []string{"num_key_value_heads = 4", "give 2"}},
		{"ffn", small, `{"num_hidden_layers":1,"hidden_size":64,"num_attention_heads":4,"num_key_value_heads":2,"vocab_size":100,"intermediate_size":256}`,
			"config_mismatch", findings.Problem, []string{"intermediate_size = 256", "give 128"}},
		{"untied in config, no head", llamaSpec{l: 1, h: 64, v: 100, f: 128, heads: 4, kv: 2, tie: true}, `{"num_attention_heads":4,"tie_word_embeddings":false}`,
			"config_mismatch", findings.Problem, []string{"tie_word_embeddings = false"}},
		{"model type", small, `{"model_type":"gpt2","num_attention_heads":4}`,
			"family_mismatch", findings.Warning, []string{`"gpt2"`, "llama"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := Analyze(llamaTensors(tc.spec), cfgOf(t, tc.cfg))
			f, ok := findingWith(a.Findings, tc.code, tc.fragments...)
			if !ok {
				t.Fatalf("no %s finding with %q in %+v", tc.code, tc.fragments, a.Findings)
			}
			if f.Level != tc.level {
				t.Errorf("level: got %s, want %s (%s)", f.Level, tc.level, f.Message)
			}
		})
	}
	// Agreement gives no finding and the config key joins the evidence.
	a := Analyze(llamaTensors(small), cfgOf(t, `{"num_hidden_layers":1,"hidden_size":64,"num_attention_heads":4,"num_key_value_heads":2,"vocab_size":100,"intermediate_size":128}`))
	for _, f := range a.Findings {
		t.Errorf("unexpected finding %s: %s", f.Code, f.Message)
	}
	if a.Arch.Hidden.Evidence.ConfigKey != "hidden_size" || a.Arch.Hidden.Evidence.Tensor != "model.embed_tokens.weight" {
		t.Errorf("hidden evidence: got %+v, want the embedding and hidden_size", a.Arch.Hidden.Evidence)
	}
}

// TestNoConfig: without config.json the shapes still give l, h, V, f and
// G·d; the head count is unknown and says why.
func TestNoConfig(t *testing.T) {
	a := Analyze(llamaTensors(llamaSpec{l: 2, h: 64, v: 100, f: 128, heads: 4, kv: 2}), nil)
	ar := a.Arch
	if ar.Layers.Value != 2 || ar.Hidden.Value != 64 || ar.Vocab.Value != 100 || ar.FFN.Value != 128 {
		t.Errorf("got l %d h %d V %d f %d, want 2 64 100 128", ar.Layers.Value, ar.Hidden.Value, ar.Vocab.Value, ar.FFN.Value)
	}
	for name, f := range map[string]IntFact{"heads": ar.Heads, "head_dim": ar.HeadDim, "kv_heads": ar.KVHeads} {
		if f.Known || f.Evidence.Note == "" {
			t.Errorf("%s: got %+v, want unknown with a note", name, f)
		}
	}
	// The textbook formula still works; the corrected one leaves K and V
	// (32 rows, not h) as its residual: 2 layers × 2 × 32·64 too few.
	if a.Formula.Corrected.Residual != -2*2*32*64 {
		t.Errorf("residual: got %d, want %d", a.Formula.Corrected.Residual, -2*2*32*64)
	}
}

// TestMissingLayers: a gap in the layer indices is a problem.
func TestMissingLayers(t *testing.T) {
	var ts []reader.Tensor
	for _, x := range llamaTensors(llamaSpec{l: 3, h: 8, v: 16, f: 16, heads: 2, kv: 2}) {
		if !strings.HasPrefix(x.Name, "model.layers.1.") {
			ts = append(ts, x)
		}
	}
	a := Analyze(ts, nil)
	if _, ok := findingWith(a.Findings, "layers_missing", "run to 2", "only 2"); !ok {
		t.Errorf("no layers_missing finding in %+v", a.Findings)
	}
}

// TestHostileShapes: analysis never panics, whatever the tensors say.
func TestHostileShapes(t *testing.T) {
	for i, ts := range [][]reader.Tensor{
		nil,
		{{Name: "", DType: reader.F32}},
		{{Name: ".", DType: reader.F32, Shape: []uint64{0}}},
		{{Name: "model.layers.0.self_attn.q_proj.weight", DType: reader.F32, Shape: []uint64{}}},
		{{Name: "model.layers.0.self_attn.qkv_proj.weight", DType: reader.F32, Shape: []uint64{7, 3}}, {Name: "model.embed_tokens.weight", DType: reader.F32, Shape: []uint64{0, 0}}},
		{{Name: "layers.0.experts.0.w1.weight", DType: reader.F32, Shape: []uint64{1, 2, 3, 4, 5}}},
		{{Name: "model.layers.0.mlp.experts.gate_up_proj", DType: reader.BF16, Shape: []uint64{4, 16, 8}}},
		{{Name: "h.0.attn.c_attn.weight", DType: reader.F32, Shape: []uint64{1 << 40, 1 << 20}}},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			for _, cfg := range []string{"", `{"num_attention_heads":0,"head_dim":0,"num_key_value_heads":-1,"num_nextn_predict_layers":1,"num_hidden_layers":0}`} {
				a := Analyze(ts, cfgOf(t, cfg))
				if a.Arch == nil || a.Formula == nil {
					t.Fatal("nil stage result")
				}
			}
		})
	}
}

// FuzzAnalyze: any names and shapes give an analysis, never a panic, and
// the term table's counted rows add up to the actual count.
func FuzzAnalyze(f *testing.F) {
	f.Add("model.layers.0.self_attn.q_proj.weight", uint64(8), uint64(8), "model.embed_tokens.weight", uint64(16), uint64(8), `{"num_attention_heads":2}`)
	f.Add("h.0.attn.c_attn.weight", uint64(8), uint64(24), "wte.weight", uint64(16), uint64(8), `{}`)
	f.Add("model.layers.3.mlp.experts.2.up_proj.weight", uint64(4), uint64(8), "model.layers.3.mlp.gate.weight", uint64(3), uint64(8), `{"num_hidden_layers":1,"num_nextn_predict_layers":1}`)
	f.Fuzz(func(t *testing.T, n1 string, a1, b1 uint64, n2 string, a2, b2 uint64, cfg string) {
		c, err := reader.ParseConfig([]byte(cfg), "config.json", reader.DefaultLimits())
		if err != nil {
			c = nil
		}
		ts := []reader.Tensor{
			{Name: n1, DType: reader.F32, Shape: []uint64{a1 % 4096, b1 % 4096}},
			{Name: n2, DType: reader.F32, Shape: []uint64{a2 % 4096, b2 % 4096}},
		}
		a := Analyze(ts, c)
		var sum uint64
		for _, tm := range a.Formula.Terms {
			if tm.Counted {
				sum += tm.Checkpoint
			}
		}
		if sum != a.Formula.Actual {
			t.Errorf("counted terms add to %d, actual %d", sum, a.Formula.Actual)
		}
	})
}

// TestExtraModules: a vision tower beside the language model is kept apart
// (Architecture.Extras, its own term row) and does not change l, h or V.
func TestExtraModules(t *testing.T) {
	ts := llamaTensors(llamaSpec{l: 2, h: 64, v: 100, f: 128, heads: 4, kv: 4})
	ts = append(ts,
		reader.Tensor{Name: "vision_tower.vision_model.encoder.layers.0.self_attn.q_proj.weight", DType: reader.F32, Shape: []uint64{32, 32}},
		reader.Tensor{Name: "vision_tower.vision_model.embeddings.patch_embedding.weight", DType: reader.F32, Shape: []uint64{32, 3, 4, 4}},
		reader.Tensor{Name: "multi_modal_projector.linear_1.weight", DType: reader.F32, Shape: []uint64{64, 32}},
	)
	a := Analyze(ts, cfgOf(t, `{"num_attention_heads":4}`))
	if a.Arch.Layers.Value != 2 || a.Arch.Hidden.Value != 64 {
		t.Errorf("got l %d h %d, want 2 and 64", a.Arch.Layers.Value, a.Arch.Hidden.Value)
	}
	want := map[string]uint64{"vision": 32*32 + 32*3*4*4, "projector": 64 * 32}
	if len(a.Arch.Extras) != 2 {
		t.Fatalf("extras: got %+v, want vision and projector", a.Arch.Extras)
	}
	for _, m := range a.Arch.Extras {
		if m.Params != want[m.Name] {
			t.Errorf("%s: got %d params, want %d", m.Name, m.Params, want[m.Name])
		}
	}
	var row Term
	for _, tm := range a.Formula.Terms {
		if tm.Name == "extra_modules" {
			row = tm
		}
	}
	if row.Checkpoint != want["vision"]+want["projector"] || row.Tensors != 3 {
		t.Errorf("extra_modules row: got %d params in %d tensors, want %d in 3", row.Checkpoint, row.Tensors, want["vision"]+want["projector"])
	}
	if a.Formula.Corrected.Residual != 0 {
		t.Errorf("residual: got %d, want 0 (%v)", a.Formula.Corrected.Residual, a.Formula.Corrected.ResidualTensors)
	}
}

// TestPositionsShort: a learned position table shorter than the positions
// config.json declares is a warning with both numbers.
func TestPositionsShort(t *testing.T) {
	a := Analyze(gpt2Tensors(1, 16, 50, 512), cfgOf(t, `{"n_head":2,"n_positions":1024}`))
	f, ok := findingWith(a.Findings, "config_mismatch", "n_positions = 1024", "only 512 rows")
	if !ok || f.Level != findings.Warning {
		t.Errorf("got %+v, want a warning naming 1024 and 512", a.Findings)
	}
}

// TestStackedExpertsInOut: stacked experts stored [E, in, out] (gpt-oss's
// bf16 export: gate_up_proj [E, h, 2f]) give the same width as [E, out, in].
func TestStackedExpertsInOut(t *testing.T) {
	const h, fe, e = 32, 16, 4
	for _, inOut := range []bool{false, true} {
		var b tb
		b.add(reader.BF16, "model.embed_tokens.weight", 50, h)
		b.add(reader.BF16, "model.layers.0.self_attn.q_proj.weight", h, h)
		b.add(reader.BF16, "model.layers.0.mlp.router.weight", e, h)
		if inOut {
			b.add(reader.BF16, "model.layers.0.mlp.experts.gate_up_proj", e, h, 2*fe)
			b.add(reader.BF16, "model.layers.0.mlp.experts.down_proj", e, fe, h)
		} else {
			b.add(reader.BF16, "model.layers.0.mlp.experts.gate_up_proj", e, 2*fe, h)
			b.add(reader.BF16, "model.layers.0.mlp.experts.down_proj", e, h, fe)
		}
		a := Analyze(b.ts, nil)
		m := a.Arch.MoE
		if m == nil || m.Experts.Value != e || m.ExpertFFN.Value != fe {
			t.Errorf("[E, in, out] %v: got %+v, want %d experts of width %d", inOut, m, e, fe)
		}
	}
}

// TestNestedConfig: multimodal configs keep the language model's keys in
// text_config (LLaVA's LlavaConfig, Gemma 3); they are read and named so.
func TestNestedConfig(t *testing.T) {
	a := Analyze(llamaTensors(llamaSpec{l: 2, h: 64, v: 100, f: 128, heads: 4, kv: 2}),
		cfgOf(t, `{"model_type":"llava","text_config":{"num_attention_heads":4,"num_key_value_heads":2,"hidden_size":64,"num_hidden_layers":3}}`))
	if !a.Arch.Heads.Known || a.Arch.Heads.Value != 4 || a.Arch.Heads.Evidence.ConfigKey != "text_config.num_attention_heads" {
		t.Errorf("heads: got %+v, want 4 from text_config.num_attention_heads", a.Arch.Heads)
	}
	if _, ok := findingWith(a.Findings, "config_mismatch", "text_config.num_hidden_layers = 3", "give 2"); !ok {
		t.Errorf("no layer mismatch naming text_config in %+v", a.Findings)
	}
}
