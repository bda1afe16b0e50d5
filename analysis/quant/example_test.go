package quant_test

import (
	"fmt"

	"github.com/paramscope/paramscope/analysis/quant"
	"github.com/paramscope/paramscope/reader"
)

// A GPTQ 4-bit linear of [out, in] = [4096, 4096] with group size 128, as
// AutoGPTQ stores it, without a config.json: the scheme and the width
// follow from the shapes of qweight, scales and g_idx. Bytes per parameter:
// 4 (values) + 0.03125 (qzeros) + 0.125 (F16 scales) + 0.0078125 (g_idx).
func ExampleClassify() {
	var off uint64
	t := func(name string, d reader.DType, shape ...uint64) reader.Tensor {
		x := reader.Tensor{Name: name, DType: d, Shape: shape, Begin: off}
		x.End = off + x.Elements()*d.Bits()/8
		off = x.End
		return x
	}
	r := quant.Classify([]reader.Tensor{
		t("q_proj.qweight", reader.I32, 512, 4096),
		t("q_proj.qzeros", reader.I32, 32, 512),
		t("q_proj.scales", reader.F16, 32, 4096),
		t("q_proj.g_idx", reader.I32, 4096),
	}, nil)
	for _, x := range r.Tensors {
		fmt.Println(x.Name, x.Kind, x.LogicalShape, x.LogicalParams)
	}
	tot := r.Totals()
	fmt.Println("parameters", tot.LogicalParams, "side elements", tot.SideElements)
	s := r.Schemes()[0]
	fmt.Printf("%s: %d-bit, %.4f bits per parameter with scales and zeros\n", s.Scheme, s.Bits, s.EffectiveBits())
	// Output:
	// q_proj.qweight parameter [4096 4096] 16777216
	// q_proj.qzeros quant_side [] 0
	// q_proj.scales quant_side [] 0
	// q_proj.g_idx quant_side [] 0
	// parameters 16777216 side elements 151552
	// gptq: 4-bit, 4.1641 bits per parameter with scales and zeros
}
