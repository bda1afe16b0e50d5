package quant

import (
	"strings"
	"testing"
)

// TestTargetMatch checks compressed-tensors target matching: Python
// re.match semantics (anchored at the start, at the end only with '$') on
// the subset real configs use. The first cases are the examples of the
// Hub's parser tests (huggingface.js parse-safetensors-metadata.spec.ts,
// "matchesCompressedTensorsTarget"); paramscope also supports literal
// alternation and \d, which the Hub treats as unsupported.
func TestTargetMatch(t *testing.T) {
	tests := []struct {
		target, module string
		matched, ok    bool
	}{
		{"Linear", "model.layers.0.mlp.down_proj", true, true},
		{"re:.*lm_head$", "model.lm_head", true, true},
		{"re:.*lm_head$", "model.lm_head.weight", false, true},
		{"re:.*lm_head$", "lm_head", true, true},
		{`re:model\.layers.*`, "model.layers.0.mlp.gate_proj", true, true},
		{`re:model\.layers.*`, "lm.model.layers.0", false, true},
		{`re:^model\.layers.*`, "model.layers.0", true, true},
		{"re:.*mlp.*", "model.layers.0.mlp.up_proj", true, true},
		{"re:.*mlp.*", "model.layers.0.self_attn.q_proj", false, true},
		{`re:.*mlp\.(gate|up)_proj.*`, "model.layers.0.mlp.gate_proj", true, true},
		{`re:.*mlp\.(gate|up)_proj.*`, "model.layers.0.mlp.down_proj", false, true},
		{`re:.*layers\.\d+\.self_attn\.o_proj$`, "model.layers.17.self_attn.o_proj", true, true},
		{`re:.*layers\.\d\.self_attn\.o_proj$`, "model.layers.17.self_attn.o_proj", false, true},
		{`re:.*\.experts\..+`, "model.layers.3.mlp.experts.7.w1", true, true},
		{"re:(a+)+$", "aaaaaaaaaaaaaaaaaaaaab", false, false},
		{"re:[ab]", "a", false, false},
		{`re:\w+`, "a", false, false},
		{"re:a{2}", "aa", false, false},
		{"re:" + strings.Repeat("a", 2000), "a", false, false},
		{"model.layers.0.mlp.down_proj", "model.layers.0.mlp.down_proj", true, true},
		{"model.layers.0.mlp", "model.layers.0.mlp.down_proj", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.target+"~"+tc.module, func(t *testing.T) {
			m, ok := targetMatch(tc.target, tc.module)
			if m != tc.matched || ok != tc.ok {
				t.Errorf("got matched %v ok %v, want %v %v", m, ok, tc.matched, tc.ok)
			}
		})
	}
}

// TestNotConvertMatch checks modules_to_not_convert: substrings as
// transformers matches them, '*' as a glob over the whole name.
func TestNotConvertMatch(t *testing.T) {
	tests := []struct {
		entry, name string
		want        bool
	}{
		{"lm_head", "lm_head.weight", true},
		{"lm_head", "model.lm_head.weight", true},
		{"model.layers.*.self_attn*", "model.layers.3.self_attn.q_proj.weight", true},
		{"model.layers.*.mlp.router", "model.layers.3.mlp.router.weight", false},
		{"model.layers.*.mlp.router*", "model.layers.3.mlp.router.weight", true},
		{"", "anything", false},
	}
	for _, tc := range tests {
		if got := notConvertMatch(tc.entry, tc.name); got != tc.want {
			t.Errorf("%q ~ %q: got %v, want %v", tc.entry, tc.name, got, tc.want)
		}
	}
}

// FuzzTargetMatch checks that no target text makes the matcher panic, and
// that a literal module name always matches itself.
func FuzzTargetMatch(f *testing.F) {
	for _, s := range []string{"re:.*lm_head$", `re:model\.layers\.\d+\.mlp\.(gate|up)_proj`, "re:(a+)+$", "Linear", "re:\\", "re:(", "re:.+"} {
		f.Add(s, "model.layers.0.mlp.gate_proj")
	}
	f.Fuzz(func(t *testing.T, target, module string) {
		targetMatch(target, module)
		if !strings.HasPrefix(module, "re:") && !isClassName(module) {
			if m, ok := targetMatch(module, module); !m || !ok {
				t.Errorf("%q does not match itself", module)
			}
		}
	})
}

// BenchmarkTargetMatch measures a pattern with several runs against a long
// name: the position-set matcher stays linear where backtracking would not.
func BenchmarkTargetMatch(b *testing.B) {
	target := "re:" + strings.Repeat(".*a", 20) + "$"
	module := strings.Repeat("a", 4000) + "b"
	for b.Loop() {
		targetMatch(target, module)
	}
}
