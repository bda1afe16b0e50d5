package layouts

import "fmt"

// Falcon as tiiuae/falcon-* store it (FalconForCausalLM, formerly
// RWForCausalLM): a "transformer." prefix, no biases in linears (bias:
// false) but LayerNorms with bias, rotary positions, attention and MLP in
// parallel (parallel_attn). The 7B model uses multi-query attention (one
// key/value head) and a single input_layernorm per layer; the 40B model
// (new_decoder_architecture) uses num_kv_heads key/value heads and two
// norms, ln_attn and ln_mlp. The Hub's safetensors store lm_head.weight
// although it is tied to word_embeddings.
func init() {
	register("falcon-7b", falconModel("falcon-7b"))
	register("falcon-40b", falconModel("falcon-40b"))
}

// falconShardBytes is transformers' default max_shard_size for
// save_pretrained at the time of the Falcon release, "10GB" = 10·10⁹ bytes
// (convert_file_size_to_int).
const falconShardBytes = 10_000_000_000

func falconModel(name string) func() (Model, error) {
	build := fromFacts(name, falconTensors)
	return func() (Model, error) {
		m, err := build()
		if err != nil {
			return m, err
		}
		for _, t := range m.Tensors {
			m.Shards = max(m.Shards, t.Shard+1)
		}
		return m, nil
	}
}

// falconTensors lists Falcon's tensors in module order (RW DecoderLayer:
// norms, self_attention, mlp) from num_hidden_layers, hidden_size,
// num_attention_heads, multi_query, new_decoder_architecture, num_kv_heads
// and vocab_size, then assigns shards as transformers' sequential
// sharding does.
func falconTensors(c Cfg) []Tensor {
	l, h, a := c.Int("num_hidden_layers"), c.Int("hidden_size"), c.Int("num_attention_heads")
	v := c.Int("vocab_size")
	d := h / a
	newArch := c.Bool(false, "new_decoder_architecture")
	kv := uint64(a)
	switch {
	case newArch:
		kv = c.Int("num_kv_heads")
	case c.Bool(true, "multi_query"):
		kv = 1
	}
	// FalconAttention's fused projection: A query heads plus K and V heads.
	qkv := (a + 2*kv) * d
	dt := safetensorsDType(c.String("bfloat16", "torch_dtype"))
	ts := []Tensor{{Name: "transformer.word_embeddings.weight", DType: dt, Shape: []uint64{v, h}}}
	for i := uint64(0); i < l; i++ {
		p := fmt.Sprintf("transformer.h.%d.", i)
		norms := []string{"input_layernorm"}
		if newArch {
			norms = []string{"ln_attn", "ln_mlp"}
		}
		for _, n := range norms {
			ts = append(ts,
				Tensor{Name: p + n + ".weight", DType: dt, Shape: []uint64{h}},
				Tensor{Name: p + n + ".bias", DType: dt, Shape: []uint64{h}},
			)
		}
		ts = append(ts,
			Tensor{Name: p + "self_attention.query_key_value.weight", DType: dt, Shape: []uint64{qkv, h}},
			Tensor{Name: p + "self_attention.dense.weight", DType: dt, Shape: []uint64{h, h}},
			Tensor{Name: p + "mlp.dense_h_to_4h.weight", DType: dt, Shape: []uint64{4 * h, h}},
			Tensor{Name: p + "mlp.dense_4h_to_h.weight", DType: dt, Shape: []uint64{h, 4 * h}},
		)
	}
	ts = append(ts,
		Tensor{Name: "transformer.ln_f.weight", DType: dt, Shape: []uint64{h}},
		Tensor{Name: "transformer.ln_f.bias", DType: dt, Shape: []uint64{h}},
		Tensor{Name: "lm_head.weight", DType: dt, Shape: []uint64{v, h}},
	)
	shardSequential(ts, falconShardBytes)
	return ts
}

// shardSequential assigns Tensor.Shard as transformers' shard_checkpoint
// does: walk the state dict in order and start a new shard when the next
// tensor would push the current one past maxBytes.
func shardSequential(ts []Tensor, maxBytes uint64) {
	shard, size := 0, uint64(0)
	for i := range ts {
		n, err := TensorBytes(ts[i])
		if err != nil {
			panic(err)
		}
		if size > 0 && size+n > maxBytes {
			shard, size = shard+1, 0
		}
		ts[i].Shard = shard
		size += n
	}
}
