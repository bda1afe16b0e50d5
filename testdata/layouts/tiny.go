package layouts

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Tiny complete models: real bytes, small enough to commit, with the naming
// of a real family so every analysis path can run on actual data. Their
// dimensions are ours (no facts file); their expected counts follow from
// the dimensions and are derived in the tests.
func init() {
	register("tiny-gpt2", tinyGPT2)
	register("tiny-llama", func() (Model, error) { return tinyLlama("tiny-llama", false, "") })
	// tie_word_embeddings=true in config.json, yet lm_head.weight is stored,
	// as some exports do: with the same bytes ...
	register("tiny-llama-tied-dup", func() (Model, error) {
		return tinyLlama("tiny-llama-tied-dup", true, "model.embed_tokens.weight")
	})
	// ... or with different bytes, which contradicts the config.
	register("tiny-llama-tied-differ", func() (Model, error) { return tinyLlama("tiny-llama-tied-differ", true, "") })
	register("tiny-llama-sharded", tinyLlamaSharded)
}

// tinyConfig renders a config.json as transformers does (sorted keys, two
// spaces of indent, a final newline); floats are json.Number so they keep
// Python's spelling (1e-06, 10000.0).
func tinyConfig(cfg map[string]any) (string, error) {
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return "", err
	}
	return string(data) + "\n", nil
}

// tinyGPT2 is GPT-2 with l=2, h=8, 2 heads, V=16, n_ctx=8, F32.
func tinyGPT2() (Model, error) {
	cfg := map[string]any{
		"activation_function": "gelu_new",
		"architectures":       []string{"GPT2LMHeadModel"},
		"layer_norm_epsilon":  json.Number("1e-05"),
		"model_type":          "gpt2",
		"n_ctx":               8,
		"n_embd":              8,
		"n_head":              2,
		"n_layer":             2,
		"n_positions":         8,
		"vocab_size":          16,
	}
	text, err := tinyConfig(cfg)
	if err != nil {
		return Model{}, err
	}
	c := Cfg{
		"n_layer": json.Number("2"), "n_embd": json.Number("8"),
		"n_positions": json.Number("8"), "n_ctx": json.Number("8"),
		"vocab_size": json.Number("16"),
	}
	return Model{
		Name:     "tiny-gpt2",
		Source:   "synthetic: GPT-2 naming (transformers GPT2LMHeadModel) at l=2, h=8, V=16, n_ctx=8",
		Config:   text,
		Tensors:  HeaderOrder(gpt2Tensors(c, false)),
		Metadata: map[string]string{"format": "pt"},
		Complete: true,
	}, nil
}

// Tiny Llama dimensions: l=2, h=8, A=2 query heads and G=1 key/value head of
// size 4, f=16, V=16.
const (
	tinyL, tinyH, tinyA, tinyG, tinyD, tinyF, tinyV = 2, 8, 2, 1, 4, 16, 16
)

// tinyLlama builds the Llama layout (transformers LlamaForCausalLM names) in
// BF16 with lm_head.weight stored. lmHeadSameAs makes lm_head repeat the
// bytes of that tensor.
func tinyLlama(name string, tied bool, lmHeadSameAs string) (Model, error) {
	cfg := map[string]any{
		"architectures":           []string{"LlamaForCausalLM"},
		"head_dim":                tinyD,
		"hidden_act":              "silu",
		"hidden_size":             tinyH,
		"intermediate_size":       tinyF,
		"max_position_embeddings": 16,
		"model_type":              "llama",
		"num_attention_heads":     tinyA,
		"num_hidden_layers":       tinyL,
		"num_key_value_heads":     tinyG,
		"rms_norm_eps":            json.Number("1e-06"),
		"rope_theta":              json.Number("10000.0"),
		"tie_word_embeddings":     tied,
		"torch_dtype":             "bfloat16",
		"vocab_size":              tinyV,
	}
	text, err := tinyConfig(cfg)
	if err != nil {
		return Model{}, err
	}
	const bf16 = "BF16"
	ts := []Tensor{{Name: "model.embed_tokens.weight", DType: bf16, Shape: []uint64{tinyV, tinyH}}}
	for i := 0; i < tinyL; i++ {
		p := fmt.Sprintf("model.layers.%d.", i)
		ts = append(ts,
			Tensor{Name: p + "input_layernorm.weight", DType: bf16, Shape: []uint64{tinyH}},
			Tensor{Name: p + "self_attn.q_proj.weight", DType: bf16, Shape: []uint64{tinyA * tinyD, tinyH}},
			Tensor{Name: p + "self_attn.k_proj.weight", DType: bf16, Shape: []uint64{tinyG * tinyD, tinyH}},
			Tensor{Name: p + "self_attn.v_proj.weight", DType: bf16, Shape: []uint64{tinyG * tinyD, tinyH}},
			Tensor{Name: p + "self_attn.o_proj.weight", DType: bf16, Shape: []uint64{tinyH, tinyA * tinyD}},
			Tensor{Name: p + "post_attention_layernorm.weight", DType: bf16, Shape: []uint64{tinyH}},
			Tensor{Name: p + "mlp.gate_proj.weight", DType: bf16, Shape: []uint64{tinyF, tinyH}},
			Tensor{Name: p + "mlp.up_proj.weight", DType: bf16, Shape: []uint64{tinyF, tinyH}},
			Tensor{Name: p + "mlp.down_proj.weight", DType: bf16, Shape: []uint64{tinyH, tinyF}},
		)
	}
	ts = append(ts,
		Tensor{Name: "model.norm.weight", DType: bf16, Shape: []uint64{tinyH}},
		Tensor{Name: "lm_head.weight", DType: bf16, Shape: []uint64{tinyV, tinyH}, SameAs: lmHeadSameAs},
	)
	return Model{
		Name:     name,
		Source:   "synthetic: Llama naming (transformers LlamaForCausalLM) at l=2, h=8, A=2, G=1, head 4, f=16, V=16",
		Config:   text,
		Tensors:  HeaderOrder(ts),
		Metadata: map[string]string{"format": "pt"},
		Complete: true,
	}, nil
}

// tinyLlamaSharded is tiny-llama split in two shards the way transformers
// fills shards, in module order: the embedding and layer 0 in the first,
// layer 1, the final norm and lm_head in the second.
func tinyLlamaSharded() (Model, error) {
	m, err := tinyLlama("tiny-llama-sharded", false, "")
	if err != nil {
		return Model{}, err
	}
	m.Shards = 2
	for i := range m.Tensors {
		switch n := m.Tensors[i].Name; {
		case n == "model.embed_tokens.weight", strings.HasPrefix(n, "model.layers.0."):
			m.Tensors[i].Shard = 0
		default:
			m.Tensors[i].Shard = 1
		}
	}
	return m, nil
}
