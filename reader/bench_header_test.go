package reader

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchHeader builds a header-only stub in the official writer's style
// (compact JSON, padded with spaces to a multiple of 8) from a list of
// tensors; offsets are laid out in list order.
func benchHeader(tensors []benchTensor) []byte {
	var b strings.Builder
	b.WriteString(`{"__metadata__":{"format":"pt"}`)
	var off uint64
	for _, t := range tensors {
		elems := uint64(1)
		dims := make([]string, len(t.shape))
		for i, d := range t.shape {
			elems *= d
			dims[i] = fmt.Sprint(d)
		}
		n := elems * DType(t.dtype).Bits() / 8
		fmt.Fprintf(&b, `,%q:{"dtype":%q,"shape":[%s],"data_offsets":[%d,%d]}`, t.name, t.dtype, strings.Join(dims, ","), off, off+n)
		off += n
	}
	b.WriteString("}")
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(b.Len()))
	return append(out, b.String()...)
}

type benchTensor struct {
	name, dtype string
	shape       []uint64
}

// llamaLike is a Llama-2-70B-shaped layout (80 layers of 9 tensors plus 3:
// 723 tensors; hidden 8192, intermediate 28672, 8 KV heads of 128,
// vocab 32000, from meta-llama/Llama-2-70b-hf config.json).
func llamaLike() []benchTensor {
	const l, h, f, kv, v = 80, 8192, 28672, 1024, 32000
	ts := []benchTensor{{"model.embed_tokens.weight", "BF16", []uint64{v, h}}}
	for i := range l {
		p := fmt.Sprintf("model.layers.%d.", i)
		ts = append(ts,
			benchTensor{p + "input_layernorm.weight", "BF16", []uint64{h}},
			benchTensor{p + "mlp.down_proj.weight", "BF16", []uint64{h, f}},
			benchTensor{p + "mlp.gate_proj.weight", "BF16", []uint64{f, h}},
			benchTensor{p + "mlp.up_proj.weight", "BF16", []uint64{f, h}},
			benchTensor{p + "post_attention_layernorm.weight", "BF16", []uint64{h}},
			benchTensor{p + "self_attn.k_proj.weight", "BF16", []uint64{kv, h}},
			benchTensor{p + "self_attn.o_proj.weight", "BF16", []uint64{h, h}},
			benchTensor{p + "self_attn.q_proj.weight", "BF16", []uint64{h, h}},
			benchTensor{p + "self_attn.v_proj.weight", "BF16", []uint64{kv, h}},
		)
	}
	return append(ts, benchTensor{"model.norm.weight", "BF16", []uint64{h}}, benchTensor{"lm_head.weight", "BF16", []uint64{v, h}})
}

// deepSeekLike is a DeepSeek-V3-shaped layout: 61 layers, 256 routed
// experts of 2048 with FP8 weights and 128x128-block F32 scales
// (weight_scale_inv), hidden 7168 (deepseek-ai/DeepSeek-V3 config.json:
// num_hidden_layers 61, n_routed_experts 256, moe_intermediate_size 2048,
// hidden_size 7168, first_k_dense_replace 3), about 91k tensors.
func deepSeekLike() []benchTensor {
	const l, h, moe, experts, dense = 61, 7168, 2048, 256, 3
	ts := []benchTensor{{"model.embed_tokens.weight", "BF16", []uint64{129280, h}}}
	for i := range l {
		p := fmt.Sprintf("model.layers.%d.", i)
		ts = append(ts, benchTensor{p + "input_layernorm.weight", "BF16", []uint64{h}})
		if i < dense {
			continue
		}
		for e := range experts {
			for _, w := range []struct {
				n     string
				shape []uint64
			}{{"down_proj", []uint64{h, moe}}, {"gate_proj", []uint64{moe, h}}, {"up_proj", []uint64{moe, h}}} {
				q := fmt.Sprintf("%smlp.experts.%d.%s.", p, e, w.n)
				ts = append(ts,
					benchTensor{q + "weight", "F8_E4M3", w.shape},
					benchTensor{q + "weight_scale_inv", "F32", []uint64{(w.shape[0] + 127) / 128, (w.shape[1] + 127) / 128}})
			}
		}
	}
	return ts
}

// BenchmarkParseHeader measures ParseHeader on generated headers of a
// ~700-tensor and a ~90k-tensor checkpoint, and on the committed
// DeepSeek-V3 stub when present. MB/s is header bytes parsed per second.
//
//	go test -run '^$' -bench BenchmarkParseHeader -count 5 ./reader/
func BenchmarkParseHeader(b *testing.B) {
	cases := []struct {
		name string
		file func() []byte
	}{
		{"llama-2-70b-like/723-tensors", func() []byte { return benchHeader(llamaLike()) }},
		{"deepseek-v3-like/" + fmt.Sprint(len(deepSeekLike())) + "-tensors", func() []byte { return benchHeader(deepSeekLike()) }},
		{"fixture/deepseek-v3", func() []byte {
			data, _ := os.ReadFile(filepath.Join("..", "testdata", "models", "deepseek-v3", "model.safetensors"))
			return data
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			file := c.file()
			if len(file) == 0 {
				b.Skip("fixture not generated")
			}
			if _, err := ParseHeader(bytes.NewReader(file), int64(len(file)), "bench.safetensors", Limits{}); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(file)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseHeader(bytes.NewReader(file), int64(len(file)), "bench.safetensors", Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
