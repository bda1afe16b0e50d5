package layouts

import "fmt"

func init() {
	// Phi-3-mini-4k-instruct: 2 shards of at most "5GB".
	famRegister("phi-3-mini-4k-instruct", func() (Model, error) {
		return famPhi3Model("phi-3-mini-4k-instruct", famExport{maxShard: 5 * famGB, shards: 2})
	})
}

// famPhi3Model builds a Phi-3 decoder from facts/<name>.json. It is the
// Llama layout with two fused projections (transformers' Phi3Attention and
// Phi3MLP, in their registration order): self_attn.o_proj [h, A·d] before
// self_attn.qkv_proj [A·d + 2·G·d, h], and mlp.gate_up_proj [2f, h] before
// mlp.down_proj [h, f]. No biases, RMSNorm, untied lm_head.
func famPhi3Model(name string, ex famExport) (Model, error) {
	f, c, dt, err := famLoad(name)
	if err != nil {
		return Model{}, err
	}
	d, err := famReadDims(c, false)
	if err != nil {
		return Model{}, fmt.Errorf("%w (facts/%s.json)", err, name)
	}
	var ls famList
	ls.add(dt, "model.embed_tokens.weight", d.v, d.h)
	for i := uint64(0); i < d.l; i++ {
		p := fmt.Sprintf("model.layers.%d.", i)
		ls.add(dt, p+"self_attn.o_proj.weight", d.h, d.a*d.d)
		ls.add(dt, p+"self_attn.qkv_proj.weight", d.a*d.d+2*d.g*d.d, d.h)
		ls.add(dt, p+"mlp.gate_up_proj.weight", 2*d.f, d.h)
		ls.add(dt, p+"mlp.down_proj.weight", d.h, d.f)
		ls.add(dt, p+"input_layernorm.weight", d.h)
		ls.add(dt, p+"post_attention_layernorm.weight", d.h)
	}
	ls.add(dt, "model.norm.weight", d.h)
	if !d.tied {
		ls.add(dt, "lm_head.weight", d.v, d.h)
	}
	return famFinish(name, f, ls.ts, ex)
}
