package layouts

import "fmt"

func init() {
	// Mixtral-8x7B-v0.1 was saved with max_shard_size "5GB": 19 shards.
	famRegister("mixtral-8x7b", func() (Model, error) {
		return famMixtralModel("mixtral-8x7b", famExport{maxShard: 5 * famGB, shards: 19})
	})
}

// famMixtralModel builds a Mixtral sparse-MoE decoder from
// facts/<name>.json: Llama-style attention, and in place of the MLP a
// block_sparse_moe with a router gate [num_local_experts, h] and
// num_local_experts experts, each a SwiGLU MLP w1 (gate) [f, h], w2 (down)
// [h, f], w3 (up) [f, h] (transformers' MixtralSparseMoeBlock and
// MixtralBlockSparseTop2MLP, in that registration order).
func famMixtralModel(name string, ex famExport) (Model, error) {
	f, c, dt, err := famLoad(name)
	if err != nil {
		return Model{}, err
	}
	d, err := famReadDims(c, false)
	if err != nil {
		return Model{}, fmt.Errorf("%w (facts/%s.json)", err, name)
	}
	experts := c.Int("num_local_experts")
	var ls famList
	ls.add(dt, "model.embed_tokens.weight", d.v, d.h)
	for i := uint64(0); i < d.l; i++ {
		p := fmt.Sprintf("model.layers.%d.", i)
		ls.add(dt, p+"self_attn.q_proj.weight", d.a*d.d, d.h)
		ls.add(dt, p+"self_attn.k_proj.weight", d.g*d.d, d.h)
		ls.add(dt, p+"self_attn.v_proj.weight", d.g*d.d, d.h)
		ls.add(dt, p+"self_attn.o_proj.weight", d.h, d.a*d.d)
		ls.add(dt, p+"block_sparse_moe.gate.weight", experts, d.h)
		for e := uint64(0); e < experts; e++ {
			q := fmt.Sprintf("%sblock_sparse_moe.experts.%d.", p, e)
			ls.add(dt, q+"w1.weight", d.f, d.h)
			ls.add(dt, q+"w2.weight", d.h, d.f)
			ls.add(dt, q+"w3.weight", d.f, d.h)
		}
		ls.add(dt, p+"input_layernorm.weight", d.h)
		ls.add(dt, p+"post_attention_layernorm.weight", d.h)
	}
	ls.add(dt, "model.norm.weight", d.h)
	if !d.tied {
		ls.add(dt, "lm_head.weight", d.v, d.h)
	}
	return famFinish(name, f, ls.ts, ex)
}
