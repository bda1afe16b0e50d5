package layouts

import "fmt"

// T5 (v1.0) as google-t5/t5-small stores it: one shared embedding (the
// encoder's and decoder's embed_tokens and the lm_head are tied to it and
// not stored), attention q/k/v/o without bias, relative position biases
// only in block 0 of each stack, T5LayerNorm (a scale, no bias, no mean),
// and a ReLU MLP DenseReluDense.wi/wo without bias.
func init() {
	register("t5-small", fromFacts("t5-small", t5Tensors))
}

// t5Tensors lists T5's tensors from num_layers, num_decoder_layers, d_model,
// d_kv, num_heads, d_ff, vocab_size and relative_attention_num_buckets.
func t5Tensors(c Cfg) []Tensor {
	enc := c.Int("num_layers")
	dec := c.IntOr(enc, "num_decoder_layers")
	h, dkv, heads := c.Int("d_model"), c.Int("d_kv"), c.Int("num_heads")
	f, v, buckets := c.Int("d_ff"), c.Int("vocab_size"), c.Int("relative_attention_num_buckets")
	inner := heads * dkv
	const dt = "F32"
	attn := func(p string, first bool) []Tensor {
		ts := []Tensor{
			{Name: p + "q.weight", DType: dt, Shape: []uint64{inner, h}},
			{Name: p + "k.weight", DType: dt, Shape: []uint64{inner, h}},
			{Name: p + "v.weight", DType: dt, Shape: []uint64{inner, h}},
			{Name: p + "o.weight", DType: dt, Shape: []uint64{h, inner}},
		}
		if first {
			ts = append(ts, Tensor{Name: p + "relative_attention_bias.weight", DType: dt, Shape: []uint64{buckets, heads}})
		}
		return ts
	}
	norm := func(p string) Tensor { return Tensor{Name: p + "layer_norm.weight", DType: dt, Shape: []uint64{h}} }
	ff := func(p string) []Tensor {
		return []Tensor{
			{Name: p + "DenseReluDense.wi.weight", DType: dt, Shape: []uint64{f, h}},
			{Name: p + "DenseReluDense.wo.weight", DType: dt, Shape: []uint64{h, f}},
			norm(p),
		}
	}
	ts := []Tensor{{Name: "shared.weight", DType: dt, Shape: []uint64{v, h}}}
	for i := uint64(0); i < enc; i++ {
		p := fmt.Sprintf("encoder.block.%d.layer.", i)
		ts = append(ts, attn(p+"0.SelfAttention.", i == 0)...)
		ts = append(ts, norm(p+"0."))
		ts = append(ts, ff(p+"1.")...)
	}
	ts = append(ts, Tensor{Name: "encoder.final_layer_norm.weight", DType: dt, Shape: []uint64{h}})
	for i := uint64(0); i < dec; i++ {
		p := fmt.Sprintf("decoder.block.%d.layer.", i)
		ts = append(ts, attn(p+"0.SelfAttention.", i == 0)...)
		ts = append(ts, norm(p+"0."))
		ts = append(ts, attn(p+"1.EncDecAttention.", false)...)
		ts = append(ts, norm(p+"1."))
		ts = append(ts, ff(p+"2.")...)
	}
	return append(ts, Tensor{Name: "decoder.final_layer_norm.weight", DType: dt, Shape: []uint64{h}})
}
