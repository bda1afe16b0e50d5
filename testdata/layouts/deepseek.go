package layouts

import (
	"encoding/json"
	"fmt"
)

func init() {
	// DeepSeek-V3 as published (deepseek-ai/DeepSeek-V3): block-wise FP8
	// weights with their F32 scales, and the multi-token-prediction layer.
	// The real checkpoint spreads it over 163 shards cut by DeepSeek's own
	// tooling, whose boundaries no rule reproduces; here it is one file.
	famRegister("deepseek-v3", func() (Model, error) { return famDeepSeekV3Model("deepseek-v3") })
}

// famDeepSeek holds the config keys of a DeepSeek-V3 checkpoint.
type famDeepSeek struct {
	h, v, layers, mtp, denseLayers uint64
	dense, moe, routed, shared     uint64
	heads, qRank, kvRank           uint64
	nope, rope, vDim               uint64
	block                          [2]uint64 // quantization_config.weight_block_size, [0,0] when unquantized
	routerBias                     bool
}

// famReadDeepSeek reads the keys of DeepseekV3Config (configuration_deepseek.py
// in the model repo) that shape the tensors.
func famReadDeepSeek(c Cfg) (famDeepSeek, error) {
	d := famDeepSeek{
		h:           c.Int("hidden_size"),
		v:           c.Int("vocab_size"),
		layers:      c.Int("num_hidden_layers"),
		mtp:         c.IntOr(0, "num_nextn_predict_layers"),
		denseLayers: c.Int("first_k_dense_replace"),
		dense:       c.Int("intermediate_size"),
		moe:         c.Int("moe_intermediate_size"),
		routed:      c.Int("n_routed_experts"),
		shared:      c.IntOr(0, "n_shared_experts"),
		heads:       c.Int("num_attention_heads"),
		qRank:       c.IntOr(0, "q_lora_rank"),
		kvRank:      c.Int("kv_lora_rank"),
		nope:        c.Int("qk_nope_head_dim"),
		rope:        c.Int("qk_rope_head_dim"),
		vDim:        c.Int("v_head_dim"),
		// topk_method "noaux_tc" adds the learned per-expert bias that
		// auxiliary-loss-free balancing adds to the routing scores (the
		// DeepSeek-V3 report, section 2.1.2).
		routerBias: c.String("", "topk_method") == "noaux_tc",
	}
	if f := c.IntOr(1, "moe_layer_freq"); f != 1 {
		return d, fmt.Errorf("layouts: moe_layer_freq %d: only every-layer MoE (1) is modelled", f)
	}
	if q, ok := c.lookup("quantization_config"); ok && q != nil {
		if m := c.String("", "quantization_config", "quant_method"); m != "fp8" {
			return d, fmt.Errorf("layouts: quantization_config.quant_method %q: only fp8 is modelled", m)
		}
		raw, _ := c.lookup("quantization_config", "weight_block_size")
		bs, ok := raw.([]any)
		if !ok || len(bs) != 2 {
			return d, fmt.Errorf("layouts: quantization_config.weight_block_size is %v, want two integers", raw)
		}
		for i, x := range bs {
			n, ok := x.(json.Number)
			v, err := n.Int64()
			if !ok || err != nil || v <= 0 {
				return d, fmt.Errorf("layouts: quantization_config.weight_block_size[%d] is %v, want a positive integer", i, x)
			}
			d.block[i] = uint64(v)
		}
	}
	return d, nil
}

// famDeepSeekV3Model builds DeepSeek-V3 from facts/<name>.json, with the
// names of its model.safetensors.index.json. Per layer: multi-head latent
// attention (q_a_proj [q_lora_rank, h], q_a_layernorm, q_b_proj
// [heads·(nope+rope), q_lora_rank], kv_a_proj_with_mqa [kv_lora_rank+rope, h],
// kv_a_layernorm, kv_b_proj [heads·(nope+v), kv_lora_rank], o_proj
// [h, heads·v]); a dense SwiGLU MLP in the first first_k_dense_replace
// layers, else n_routed_experts experts, the router mlp.gate (weight
// [n_routed_experts, h] and e_score_correction_bias) and the shared experts
// fused into one MLP of width n_shared_experts·moe_intermediate_size. The
// num_nextn_predict_layers MTP layers follow as layers num_hidden_layers…,
// each a full MoE layer plus enorm, hnorm, eh_proj [h, 2h] and its own
// embed_tokens and shared_head (norm, head).
//
// With quantization_config fp8, every linear weight of attention, MLPs and
// experts is F8_E4M3 with an F32 weight_scale_inv of
// [⌈out/block⌉, ⌈in/block⌉]; embeddings, heads, norms, the router and
// eh_proj stay in BF16 and the router bias in F32. These dtypes reproduce
// the Hub's per-dtype totals exactly (facts notes).
func famDeepSeekV3Model(name string) (Model, error) {
	f, c, dt, err := famLoad(name)
	if err != nil {
		return Model{}, err
	}
	d, err := famReadDeepSeek(c)
	if err != nil {
		return Model{}, fmt.Errorf("%w (facts/%s.json)", err, name)
	}
	var ls famList
	// linear adds an nn.Linear weight [out, in], quantized when the config
	// says so.
	linear := func(name string, out, in uint64) {
		if d.block[0] == 0 {
			ls.add(dt, name+".weight", out, in)
			return
		}
		ls.add("F8_E4M3", name+".weight", out, in)
		ls.add("F32", name+".weight_scale_inv", famCeilDiv(out, d.block[0]), famCeilDiv(in, d.block[1]))
	}
	mlp := func(p string, width uint64) {
		linear(p+"gate_proj", width, d.h)
		linear(p+"up_proj", width, d.h)
		linear(p+"down_proj", d.h, width)
	}
	ls.add(dt, "model.embed_tokens.weight", d.v, d.h)
	for i := uint64(0); i < d.layers+d.mtp; i++ {
		p := fmt.Sprintf("model.layers.%d.", i)
		if i >= d.layers {
			// The MTP module's own inputs (DeepSeek-V3 report, section 2.2):
			// the embedding of the next token and the previous hidden state,
			// each RMS-normalised, concatenated and projected from 2h to h.
			ls.add(dt, p+"embed_tokens.weight", d.v, d.h)
			ls.add(dt, p+"enorm.weight", d.h)
			ls.add(dt, p+"hnorm.weight", d.h)
			ls.add(dt, p+"eh_proj.weight", d.h, 2*d.h)
		}
		a := p + "self_attn."
		if d.qRank > 0 {
			linear(a+"q_a_proj", d.qRank, d.h)
			ls.add(dt, a+"q_a_layernorm.weight", d.qRank)
			linear(a+"q_b_proj", d.heads*(d.nope+d.rope), d.qRank)
		} else {
			linear(a+"q_proj", d.heads*(d.nope+d.rope), d.h)
		}
		linear(a+"kv_a_proj_with_mqa", d.kvRank+d.rope, d.h)
		ls.add(dt, a+"kv_a_layernorm.weight", d.kvRank)
		linear(a+"kv_b_proj", d.heads*(d.nope+d.vDim), d.kvRank)
		linear(a+"o_proj", d.h, d.heads*d.vDim)
		if i < d.denseLayers {
			mlp(p+"mlp.", d.dense)
		} else {
			for e := uint64(0); e < d.routed; e++ {
				mlp(fmt.Sprintf("%smlp.experts.%d.", p, e), d.moe)
			}
			ls.add(dt, p+"mlp.gate.weight", d.routed, d.h)
			if d.routerBias {
				ls.add("F32", p+"mlp.gate.e_score_correction_bias", d.routed)
			}
			if d.shared > 0 {
				mlp(p+"mlp.shared_experts.", d.shared*d.moe)
			}
		}
		ls.add(dt, p+"input_layernorm.weight", d.h)
		ls.add(dt, p+"post_attention_layernorm.weight", d.h)
		if i >= d.layers {
			ls.add(dt, p+"shared_head.norm.weight", d.h)
			ls.add(dt, p+"shared_head.head.weight", d.v, d.h)
		}
	}
	ls.add(dt, "model.norm.weight", d.h)
	if !c.Bool(false, "tie_word_embeddings") {
		ls.add(dt, "lm_head.weight", d.v, d.h)
	}
	return famFinish(name, f, ls.ts, famExport{})
}

// famCeilDiv is ⌈a/b⌉: a partial block at the edge still gets a scale.
func famCeilDiv(a, b uint64) uint64 { return (a + b - 1) / b }
