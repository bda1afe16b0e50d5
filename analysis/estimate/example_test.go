package estimate_test

import (
	"fmt"

	"github.com/paramscope/paramscope/analysis/estimate"
)

// The article's GPT-3 example (section 5): the KV cache of a batch of 64
// prompts of 512 tokens generating 32 more, in fp16.
func ExampleEstimate() {
	m := estimate.Model{Layers: 96, Hidden: 12288, Vocab: 50257, Heads: 96,
		Norm: estimate.NormLayer, Biases: estimate.BiasAll, TiedEmbeddings: true}
	fp16 := estimate.DType{Name: "fp16", Bits: 16}
	w := estimate.Workload{Batch: 64, Seq: 512, Gen: 32, Weights: fp16, KV: fp16,
		Recompute: estimate.RecomputeNone, TP: 1, Optimizer: estimate.Optimizers[0]}
	r, err := estimate.Estimate(m, w)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range r.Sections {
		if s.Key == "kv_cache" {
			fmt.Println(s.Rows[0].Textbook.Value, "bytes:", s.Rows[0].Textbook.Formula)
		}
	}
	// Output:
	// 164282499072 bytes: 2 · B · blh(s+n), B = 2 bytes (article, section 5: 4blh(s+n) in fp16)
}

// Mixtral-8x7B: every expert counts in the total, a token uses two.
func ExampleModel_CountParams() {
	m, err := estimate.Model{Layers: 32, Hidden: 4096, Vocab: 32000, Heads: 32, KVHeads: 8, FFN: 14336,
		Gated: true, Experts: 8, TopK: 2, Norm: estimate.NormRMS, Biases: estimate.BiasNone}.Normalize()
	if err != nil {
		fmt.Println(err)
		return
	}
	p := m.CountParams()
	fmt.Println(p.Total, p.Active)
	// Output:
	// 46702792704 12879925248
}
