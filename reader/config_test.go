package reader

import (
	"strings"
	"testing"
)

// llama2Config is the start of meta-llama/Llama-2-7b-hf's config.json
// (https://huggingface.co/meta-llama/Llama-2-7b-hf/blob/main/config.json),
// with its rms_norm_eps written as the file writes it.
const llama2Config = `{
  "architectures": ["LlamaForCausalLM"],
  "hidden_size": 4096,
  "intermediate_size": 11008,
  "max_position_embeddings": 4096,
  "model_type": "llama",
  "num_attention_heads": 32,
  "num_hidden_layers": 32,
  "num_key_value_heads": 32,
  "rms_norm_eps": 1e-05,
  "rope_scaling": null,
  "tie_word_embeddings": false,
  "torch_dtype": "float16",
  "vocab_size": 32000
}`

func TestParseConfigFacts(t *testing.T) {
	cfg, err := ParseConfig([]byte(llama2Config), "config.json", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	ints := []struct {
		key  string
		want int64
	}{
		// Values from meta-llama/Llama-2-7b-hf config.json.
		{"hidden_size", 4096},
		{"intermediate_size", 11008},
		{"num_hidden_layers", 32},
		{"num_attention_heads", 32},
		{"vocab_size", 32000},
	}
	for _, tt := range ints {
		t.Run(tt.key, func(t *testing.T) {
			got, ok := cfg.Int(tt.key)
			if !ok || got != tt.want {
				t.Errorf("got %s = %d (ok %v), want %d", tt.key, got, ok, tt.want)
			}
		})
	}
	if got, _ := cfg.Lookup("rms_norm_eps"); got != Number("1e-05") {
		t.Errorf("got rms_norm_eps %#v, want the exact text Number(\"1e-05\")", got)
	}
	if v, ok := cfg.Lookup("rope_scaling"); !ok || v != nil {
		t.Errorf("got rope_scaling %#v (present %v), want a present null", v, ok)
	}
	if b, ok := cfg.Bool("tie_word_embeddings"); !ok || b {
		t.Errorf("got tie_word_embeddings %v (ok %v), want false", b, ok)
	}
	if s, ok := cfg.String("model_type"); !ok || s != "llama" {
		t.Errorf("got model_type %q, want llama", s)
	}
	arch, _ := cfg.Lookup("architectures")
	if a, ok := arch.([]any); !ok || len(a) != 1 || a[0] != "LlamaForCausalLM" {
		t.Errorf("got architectures %#v, want [LlamaForCausalLM]", arch)
	}
}

func TestParseConfigNested(t *testing.T) {
	// Qwen2-VL style nesting and an exact integer above 2^53.
	data := `{"text_config":{"hidden_size":3584,"rope_scaling":{"mrope_section":[16,24,24]}},"big":9007199254740993,"e":[],"o":{}}`
	cfg, err := ParseConfig([]byte(data), "config.json", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := cfg.Int("text_config", "hidden_size"); !ok || got != 3584 {
		t.Errorf("got text_config.hidden_size %d, want 3584", got)
	}
	sec, _ := cfg.Lookup("text_config", "rope_scaling", "mrope_section")
	if a, ok := sec.([]any); !ok || len(a) != 3 || a[1] != Number("24") {
		t.Errorf("got mrope_section %#v, want [16 24 24]", sec)
	}
	if got, _ := cfg.Lookup("big"); got != Number("9007199254740993") {
		t.Errorf("got big %#v, want the exact text 9007199254740993 (2^53+1)", got)
	}
	if got, ok := cfg.Int("big"); !ok || got != 9007199254740993 {
		t.Errorf("got big as int %d, want 9007199254740993", got)
	}
	if a, ok := cfg.Lookup("e"); !ok || a == nil || len(a.([]any)) != 0 {
		t.Errorf("got e %#v, want an empty array", a)
	}
	if o, ok := cfg.Object("o"); !ok || len(o) != 0 {
		t.Errorf("got o %#v, want an empty object", o)
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string
	}{
		{"empty", ``, "ends before"},
		{"unterminated", `{`, "ends before"},
		{"array", `[]`, "config is an array, want a JSON object"},
		{"null", `null`, "config is null, want a JSON object"},
		{"string", `"x"`, "config is a string"},
		{"number", `123`, "config is a number"},
		{"duplicate name", `{"hidden_size":1,"hidden_size":2}`, "duplicate"},
		{"duplicate nested", `{"a":{"b":1,"b":1}}`, "duplicate"},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", "UTF-8"},
		{"lone surrogate", `{"a":"\ud800"}`, "invalid JSON"},
		{"NaN", `{"a":NaN}`, "invalid JSON"},
		{"comment", `{"a":1 /* c */}`, "invalid JSON"},
		{"trailing comma", `{"a":1,}`, "invalid JSON"},
		{"single quotes", `{'a':1}`, "invalid JSON"},
		{"leading zero", `{"a":01}`, "invalid JSON"},
		{"trailing data", `{"a":1} {}`, "trailing data"},
		{"BOM", "\xef\xbb\xbf{}", "invalid JSON"},
		{"deep", strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000), "nested more than 128 levels"},
		{"deep arrays", `{"a":` + strings.Repeat(`[`, 100000), "nested more than 128 levels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.data), "/m/config.json", Limits{})
			wantErr(t, err, ErrMalformed, "/m/config.json", tt.want)
		})
	}
	t.Run("over MaxConfigBytes", func(t *testing.T) {
		_, err := ParseConfig([]byte(`{"a":1}`), "config.json", Limits{MaxConfigBytes: 3})
		wantErr(t, err, ErrLimit, "config.json", "over the cap of 3")
	})
}
