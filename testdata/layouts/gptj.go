package layouts

import "fmt"

// GPT-J as transformers' GPTJForCausalLM stores it: a "transformer." prefix,
// rotary positions (nothing stored), one ln_1 per layer because attention
// and MLP run in parallel on the same normalized input, q/k/v/out_proj
// without bias, fc_in/fc_out with bias, and an untied lm_head with a bias.
func init() {
	register("gpt-j-6b", fromFacts("gpt-j-6b", gptjTensors))
}

// gptjTensors lists GPT-J's tensors from n_layer, n_embd, vocab_size and
// n_inner (null: 4·n_embd, as GPTJBlock does). The main branch of
// EleutherAI/gpt-j-6b is float32 (torch_dtype).
func gptjTensors(c Cfg) []Tensor {
	l, h, v := c.Int("n_layer"), c.Int("n_embd"), c.Int("vocab_size")
	inner := c.IntOr(4*h, "n_inner")
	dt := safetensorsDType(c.String("float32", "torch_dtype"))
	ts := []Tensor{{Name: "transformer.wte.weight", DType: dt, Shape: []uint64{v, h}}}
	for i := uint64(0); i < l; i++ {
		p := fmt.Sprintf("transformer.h.%d.", i)
		ts = append(ts,
			Tensor{Name: p + "ln_1.weight", DType: dt, Shape: []uint64{h}},
			Tensor{Name: p + "ln_1.bias", DType: dt, Shape: []uint64{h}},
			Tensor{Name: p + "attn.k_proj.weight", DType: dt, Shape: []uint64{h, h}},
			Tensor{Name: p + "attn.v_proj.weight", DType: dt, Shape: []uint64{h, h}},
			Tensor{Name: p + "attn.q_proj.weight", DType: dt, Shape: []uint64{h, h}},
			Tensor{Name: p + "attn.out_proj.weight", DType: dt, Shape: []uint64{h, h}},
			Tensor{Name: p + "mlp.fc_in.weight", DType: dt, Shape: []uint64{inner, h}},
			Tensor{Name: p + "mlp.fc_in.bias", DType: dt, Shape: []uint64{inner}},
			Tensor{Name: p + "mlp.fc_out.weight", DType: dt, Shape: []uint64{h, inner}},
			Tensor{Name: p + "mlp.fc_out.bias", DType: dt, Shape: []uint64{h}},
		)
	}
	return append(ts,
		Tensor{Name: "transformer.ln_f.weight", DType: dt, Shape: []uint64{h}},
		Tensor{Name: "transformer.ln_f.bias", DType: dt, Shape: []uint64{h}},
		Tensor{Name: "lm_head.weight", DType: dt, Shape: []uint64{v, h}},
		Tensor{Name: "lm_head.bias", DType: dt, Shape: []uint64{v}},
	)
}

// safetensorsDType maps a config's torch_dtype to the safetensors spelling.
func safetensorsDType(torch string) string {
	switch torch {
	case "float16":
		return "F16"
	case "bfloat16":
		return "BF16"
	case "float32":
		return "F32"
	}
	panic(fmt.Sprintf("torch_dtype %q has no safetensors spelling here", torch))
}
