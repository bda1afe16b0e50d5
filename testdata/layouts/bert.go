package layouts

import "fmt"

// BERT as google-bert/bert-base-uncased stores it: the 2019 checkpoint of
// BertForPreTraining converted from Google's TensorFlow release, so its
// LayerNorms keep the TensorFlow names gamma and beta (transformers renames
// them to weight and bias on load), and it holds both pre-training heads:
// the masked-LM head (cls.predictions.*, its decoder tied to the word
// embeddings and not stored) and next-sentence prediction
// (cls.seq_relationship).
func init() {
	register("bert-base-uncased", fromFacts("bert-base-uncased", bertTensors))
}

// bertTensors lists BERT's tensors from num_hidden_layers, hidden_size,
// intermediate_size, vocab_size, max_position_embeddings and
// type_vocab_size.
func bertTensors(c Cfg) []Tensor {
	l, h, f := c.Int("num_hidden_layers"), c.Int("hidden_size"), c.Int("intermediate_size")
	v, pos, types := c.Int("vocab_size"), c.Int("max_position_embeddings"), c.Int("type_vocab_size")
	const dt = "F32"
	ln := func(p string) []Tensor {
		return []Tensor{
			{Name: p + "LayerNorm.gamma", DType: dt, Shape: []uint64{h}},
			{Name: p + "LayerNorm.beta", DType: dt, Shape: []uint64{h}},
		}
	}
	lin := func(p string, out, in uint64) []Tensor {
		return []Tensor{
			{Name: p + ".weight", DType: dt, Shape: []uint64{out, in}},
			{Name: p + ".bias", DType: dt, Shape: []uint64{out}},
		}
	}
	ts := []Tensor{
		{Name: "bert.embeddings.word_embeddings.weight", DType: dt, Shape: []uint64{v, h}},
		{Name: "bert.embeddings.position_embeddings.weight", DType: dt, Shape: []uint64{pos, h}},
		{Name: "bert.embeddings.token_type_embeddings.weight", DType: dt, Shape: []uint64{types, h}},
	}
	ts = append(ts, ln("bert.embeddings.")...)
	for i := uint64(0); i < l; i++ {
		p := fmt.Sprintf("bert.encoder.layer.%d.", i)
		ts = append(ts, lin(p+"attention.self.query", h, h)...)
		ts = append(ts, lin(p+"attention.self.key", h, h)...)
		ts = append(ts, lin(p+"attention.self.value", h, h)...)
		ts = append(ts, lin(p+"attention.output.dense", h, h)...)
		ts = append(ts, ln(p+"attention.output.")...)
		ts = append(ts, lin(p+"intermediate.dense", f, h)...)
		ts = append(ts, lin(p+"output.dense", h, f)...)
		ts = append(ts, ln(p+"output.")...)
	}
	ts = append(ts, lin("bert.pooler.dense", h, h)...)
	ts = append(ts, Tensor{Name: "cls.predictions.bias", DType: dt, Shape: []uint64{v}})
	ts = append(ts, lin("cls.predictions.transform.dense", h, h)...)
	ts = append(ts, ln("cls.predictions.transform.")...)
	ts = append(ts, lin("cls.seq_relationship", 2, h)...)
	return ts
}
