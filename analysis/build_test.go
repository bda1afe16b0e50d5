package analysis

import (
	"fmt"
	"testing"

	"github.com/paramscope/paramscope/analysis/quant"
	"github.com/paramscope/paramscope/reader"
)

// tb builds tensor lists for tests that must not wait for the fixtures.
type tb struct{ ts []reader.Tensor }

func (b *tb) add(dtype reader.DType, name string, shape ...uint64) {
	b.ts = append(b.ts, reader.Tensor{Name: name, DType: dtype, Shape: shape})
}

// cfgOf parses a config.json literal for tests.
func cfgOf(t *testing.T, js string) *reader.Config {
	t.Helper()
	if js == "" {
		return nil
	}
	c, err := reader.ParseConfig([]byte(js), "config.json", reader.DefaultLimits())
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return c
}

// gpt2Tensors is the tensor list of Hugging Face's gpt2 model.safetensors
// (https://huggingface.co/openai-community/gpt2/tree/main): Conv1D weights
// [in, out], causal masks attn.bias [1, 1, n_ctx, n_ctx].
func gpt2Tensors(l int, h, v, nctx uint64) []reader.Tensor {
	var b tb
	b.add(reader.F32, "wte.weight", v, h)
	b.add(reader.F32, "wpe.weight", nctx, h)
	for i := 0; i < l; i++ {
		p := fmt.Sprintf("h.%d.", i)
		b.add(reader.F32, p+"ln_1.weight", h)
		b.add(reader.F32, p+"ln_1.bias", h)
		b.add(reader.F32, p+"attn.bias", 1, 1, nctx, nctx)
		b.add(reader.F32, p+"attn.c_attn.weight", h, 3*h)
		b.add(reader.F32, p+"attn.c_attn.bias", 3*h)
		b.add(reader.F32, p+"attn.c_proj.weight", h, h)
		b.add(reader.F32, p+"attn.c_proj.bias", h)
		b.add(reader.F32, p+"ln_2.weight", h)
		b.add(reader.F32, p+"ln_2.bias", h)
		b.add(reader.F32, p+"mlp.c_fc.weight", h, 4*h)
		b.add(reader.F32, p+"mlp.c_fc.bias", 4*h)
		b.add(reader.F32, p+"mlp.c_proj.weight", 4*h, h)
		b.add(reader.F32, p+"mlp.c_proj.bias", h)
	}
	b.add(reader.F32, "ln_f.weight", h)
	b.add(reader.F32, "ln_f.bias", h)
	return b.ts
}

// llamaSpec is a Llama-style layout's sizes.
type llamaSpec struct {
	l                    int
	h, v, f, heads, kv   uint64
	headDim              uint64 // 0: h / heads
	qkvBias, qkNorm, tie bool
}

// llamaTensors is the tensor list of a LlamaForCausalLM checkpoint
// (model.safetensors.index.json of meta-llama/Llama-2-7b-hf and kin).
func llamaTensors(s llamaSpec) []reader.Tensor {
	var b tb
	d := s.headDim
	if d == 0 {
		d = s.h / s.heads
	}
	b.add(reader.BF16, "model.embed_tokens.weight", s.v, s.h)
	for i := 0; i < s.l; i++ {
		p := fmt.Sprintf("model.layers.%d.", i)
		b.add(reader.BF16, p+"input_layernorm.weight", s.h)
		b.add(reader.BF16, p+"self_attn.q_proj.weight", s.heads*d, s.h)
		b.add(reader.BF16, p+"self_attn.k_proj.weight", s.kv*d, s.h)
		b.add(reader.BF16, p+"self_attn.v_proj.weight", s.kv*d, s.h)
		if s.qkvBias {
			b.add(reader.BF16, p+"self_attn.q_proj.bias", s.heads*d)
			b.add(reader.BF16, p+"self_attn.k_proj.bias", s.kv*d)
			b.add(reader.BF16, p+"self_attn.v_proj.bias", s.kv*d)
		}
		if s.qkNorm {
			b.add(reader.BF16, p+"self_attn.q_norm.weight", d)
			b.add(reader.BF16, p+"self_attn.k_norm.weight", d)
		}
		b.add(reader.BF16, p+"self_attn.o_proj.weight", s.h, s.heads*d)
		b.add(reader.BF16, p+"post_attention_layernorm.weight", s.h)
		b.add(reader.BF16, p+"mlp.gate_proj.weight", s.f, s.h)
		b.add(reader.BF16, p+"mlp.up_proj.weight", s.f, s.h)
		b.add(reader.BF16, p+"mlp.down_proj.weight", s.h, s.f)
	}
	b.add(reader.BF16, "model.norm.weight", s.h)
	if !s.tie {
		b.add(reader.BF16, "lm_head.weight", s.v, s.h)
	}
	return b.ts
}

// quantTensors wraps tensors as plain parameters.
func quantTensors(ts []reader.Tensor) []quant.Tensor {
	out := make([]quant.Tensor, len(ts))
	for i := range ts {
		t := &ts[i]
		out[i] = quant.Tensor{Tensor: t, Kind: quant.Parameter, LogicalShape: t.Shape, LogicalParams: t.Elements()}
	}
	return out
}
