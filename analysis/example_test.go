package analysis_test

import (
	"fmt"

	"github.com/paramscope/paramscope/analysis"
	"github.com/paramscope/paramscope/reader"
)

// Example compares a two-layer GPT-2-style checkpoint (h 8, V 16, 8
// learned positions, Conv1D weights stored [in, out]) with the textbook
// formula: 12lh² + 13lh + Vh = 1,872; the checkpoint adds 8·8 learned
// positions and the final LayerNorm's 2·8, so it holds 1,952.
func Example() {
	const h, v, n = 8, 16, 8
	ts := []reader.Tensor{
		{Name: "wte.weight", DType: reader.F32, Shape: []uint64{v, h}},
		{Name: "wpe.weight", DType: reader.F32, Shape: []uint64{n, h}},
	}
	for i := 0; i < 2; i++ {
		p := fmt.Sprintf("h.%d.", i)
		for _, t := range []struct {
			name  string
			shape []uint64
		}{
			{"ln_1.weight", []uint64{h}}, {"ln_1.bias", []uint64{h}},
			{"attn.c_attn.weight", []uint64{h, 3 * h}}, {"attn.c_attn.bias", []uint64{3 * h}},
			{"attn.c_proj.weight", []uint64{h, h}}, {"attn.c_proj.bias", []uint64{h}},
			{"ln_2.weight", []uint64{h}}, {"ln_2.bias", []uint64{h}},
			{"mlp.c_fc.weight", []uint64{h, 4 * h}}, {"mlp.c_fc.bias", []uint64{4 * h}},
			{"mlp.c_proj.weight", []uint64{4 * h, h}}, {"mlp.c_proj.bias", []uint64{h}},
		} {
			ts = append(ts, reader.Tensor{Name: p + t.name, DType: reader.F32, Shape: t.shape})
		}
	}
	ts = append(ts, reader.Tensor{Name: "ln_f.weight", DType: reader.F32, Shape: []uint64{h}},
		reader.Tensor{Name: "ln_f.bias", DType: reader.F32, Shape: []uint64{h}})

	a := analysis.Analyze(ts, nil)
	f := a.Formula
	fmt.Println("family:", a.Arch.Family, "l:", a.Arch.Layers.Value, "h:", a.Arch.Hidden.Value, "V:", a.Arch.Vocab.Value)
	fmt.Println("textbook:", f.Textbook, "actual:", f.Actual, "difference:", f.Diff)
	for _, t := range f.Terms {
		if t.Diff != 0 {
			fmt.Printf("%s: %+d\n", t.Name, t.Diff)
		}
	}
	fmt.Println("corrected:", f.Corrected.Symbolic, "=", f.Corrected.Total, "residual", f.Corrected.Residual)
	// Output:
	// family: gpt2 l: 2 h: 8 V: 16
	// textbook: 1872 actual: 1952 difference: 80
	// learned_positions: +64
	// final_norm: +16
	// corrected: l·(12h² + 13h) + V·h + P·h + 2h = 1952 residual 0
}
