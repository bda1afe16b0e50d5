// Package bigckpt writes, on demand, a header-only checkpoint at the scale
// of DeepSeek-V3 (deepseek-ai/DeepSeek-V3 on Hugging Face): 61 decoder
// layers plus the multi-token-prediction layer 61, 256 routed FP8 experts
// per MoE layer each with its F32 block scales, split over 163 shards with a
// model.safetensors.index.json. It exists so that reading ~92,000 tensors
// over ~160 files can be benchmarked; nothing it writes is committed.
//
// Every shard is a header-only stub: it ends right after its header, so the
// whole checkpoint is a few tens of megabytes of JSON.
package bigckpt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// DeepSeek-V3's dimensions, from its config.json
// (https://huggingface.co/deepseek-ai/DeepSeek-V3/blob/main/config.json).
const (
	hiddenSize        = 7168   // hidden_size
	intermediateSize  = 18432  // intermediate_size (dense layers)
	moeIntermediate   = 2048   // moe_intermediate_size
	vocabSize         = 129280 // vocab_size
	numLayers         = 61     // num_hidden_layers
	firstDense        = 3      // first_k_dense_replace
	routedExperts     = 256    // n_routed_experts
	numHeads          = 128    // num_attention_heads
	qLoraRank         = 1536   // q_lora_rank
	kvLoraRank        = 512    // kv_lora_rank
	qkNopeHeadDim     = 128    // qk_nope_head_dim
	qkRopeHeadDim     = 64     // qk_rope_head_dim
	vHeadDim          = 128    // v_head_dim
	nextNPredictLayer = 1      // num_nextn_predict_layers: layer 61 is MTP
	scaleBlock        = 128    // quantization_config.weight_block_size [128, 128]
)

// Shards is the number of shards of the published checkpoint
// (model-00001-of-000163.safetensors ... model-000163-of-000163.safetensors).
const Shards = 163

// tensor is one entry to write.
type tensor struct {
	name  string
	dtype string
	shape []uint64
}

// bytes returns the tensor's data size for its dtype.
func (t tensor) bytes() uint64 {
	n := uint64(1)
	for _, d := range t.shape {
		n *= d
	}
	switch t.dtype {
	case "F8_E4M3":
		return n
	case "BF16":
		return 2 * n
	}
	return 4 * n // F32
}

// layout returns the checkpoint's tensors in the order a writer emits
// them (embedding, layers 0..61, final norm, head).
func layout() []tensor {
	var out []tensor
	bf16 := func(name string, shape ...uint64) {
		out = append(out, tensor{name, "BF16", shape})
	}
	f32 := func(name string, shape ...uint64) {
		out = append(out, tensor{name, "F32", shape})
	}
	// fp8 adds a block-quantized linear weight [out, in] and its
	// weight_scale_inv [ceil(out/128), ceil(in/128)], the layout of
	// DeepSeek-V3's FP8 checkpoint.
	fp8 := func(prefix string, outDim, inDim uint64) {
		out = append(out, tensor{prefix + ".weight", "F8_E4M3", []uint64{outDim, inDim}})
		f32(prefix+".weight_scale_inv", ceilDiv(outDim, scaleBlock), ceilDiv(inDim, scaleBlock))
	}
	mlp := func(prefix string, inter uint64) {
		fp8(prefix+".gate_proj", inter, hiddenSize)
		fp8(prefix+".up_proj", inter, hiddenSize)
		fp8(prefix+".down_proj", hiddenSize, inter)
	}
	bf16("model.embed_tokens.weight", vocabSize, hiddenSize)
	for l := range numLayers + nextNPredictLayer {
		p := "model.layers." + strconv.Itoa(l)
		bf16(p+".input_layernorm.weight", hiddenSize)
		bf16(p+".post_attention_layernorm.weight", hiddenSize)
		// Multi-head latent attention.
		fp8(p+".self_attn.q_a_proj", qLoraRank, hiddenSize)
		bf16(p+".self_attn.q_a_layernorm.weight", qLoraRank)
		fp8(p+".self_attn.q_b_proj", numHeads*(qkNopeHeadDim+qkRopeHeadDim), qLoraRank)
		fp8(p+".self_attn.kv_a_proj_with_mqa", kvLoraRank+qkRopeHeadDim, hiddenSize)
		bf16(p+".self_attn.kv_a_layernorm.weight", kvLoraRank)
		fp8(p+".self_attn.kv_b_proj", numHeads*(qkNopeHeadDim+vHeadDim), kvLoraRank)
		fp8(p+".self_attn.o_proj", hiddenSize, numHeads*vHeadDim)
		if l < firstDense {
			mlp(p+".mlp", intermediateSize)
			continue
		}
		bf16(p+".mlp.gate.weight", routedExperts, hiddenSize)
		f32(p+".mlp.gate.e_score_correction_bias", routedExperts)
		mlp(p+".mlp.shared_experts", moeIntermediate)
		for e := range routedExperts {
			mlp(p+".mlp.experts."+strconv.Itoa(e), moeIntermediate)
		}
		if l >= numLayers {
			// The MTP module's own embedding, projections and head.
			bf16(p+".embed_tokens.weight", vocabSize, hiddenSize)
			bf16(p+".enorm.weight", hiddenSize)
			bf16(p+".hnorm.weight", hiddenSize)
			bf16(p+".eh_proj.weight", hiddenSize, 2*hiddenSize)
			bf16(p+".shared_head.norm.weight", hiddenSize)
			bf16(p+".shared_head.head.weight", vocabSize, hiddenSize)
		}
	}
	bf16("model.norm.weight", hiddenSize)
	bf16("lm_head.weight", vocabSize, hiddenSize)
	return out
}

func ceilDiv(a, b uint64) uint64 { return (a + b - 1) / b }

// ShardName spells shard i (0-based) of n as the DeepSeek-V3 checkpoint
// does, with a six-digit total: model-00001-of-000163.safetensors.
func ShardName(i, n int) string {
	return fmt.Sprintf("model-%05d-of-%06d.safetensors", i+1, n)
}

// Write writes the checkpoint into dir (which must exist): shards
// header-only stubs and model.safetensors.index.json. It returns the
// number of tensors written.
func Write(dir string, shards int) (tensors int, err error) {
	all := layout()
	if shards < 1 || shards > len(all) {
		return 0, fmt.Errorf("bigckpt: %d shards, want 1 to %d", shards, len(all))
	}
	weightMap := make(map[string]string, len(all))
	var total uint64
	for s := range shards {
		lo, hi := s*len(all)/shards, (s+1)*len(all)/shards
		name := ShardName(s, shards)
		n, err := writeShard(filepath.Join(dir, name), all[lo:hi])
		if err != nil {
			return 0, err
		}
		total += n
		for _, t := range all[lo:hi] {
			weightMap[t.name] = name
		}
	}
	if err := writeIndex(filepath.Join(dir, "model.safetensors.index.json"), weightMap, total); err != nil {
		return 0, err
	}
	return len(all), nil
}

// writeShard writes one header-only file: the 8-byte little-endian header
// length, then the JSON header padded with spaces to a multiple of 8 as the
// reference writer pads it, and no data. It returns the data bytes the
// header claims.
func writeShard(path string, ts []tensor) (uint64, error) {
	var b strings.Builder
	b.WriteString("{")
	var off uint64
	for i, t := range ts {
		if i > 0 {
			b.WriteByte(',')
		}
		n := t.bytes()
		b.WriteString(strconv.Quote(t.name))
		b.WriteString(`:{"dtype":"` + t.dtype + `","shape":[`)
		for j, d := range t.shape {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatUint(d, 10))
		}
		fmt.Fprintf(&b, `],"data_offsets":[%d,%d]}`, off, off+n)
		off += n
	}
	b.WriteString("}")
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	buf := binary.LittleEndian.AppendUint64(nil, uint64(b.Len()))
	buf = append(buf, b.String()...)
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		return 0, err
	}
	return off, nil
}

// writeIndex writes the index as transformers does: metadata.total_size,
// then weight_map with keys sorted (json.dumps(..., indent=2,
// sort_keys=True)).
func writeIndex(path string, weightMap map[string]string, total uint64) error {
	if len(weightMap) == 0 {
		return errors.New("bigckpt: empty weight map")
	}
	names := make([]string, 0, len(weightMap))
	for n := range weightMap {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "{\n  \"metadata\": {\n    \"total_size\": %d\n  },\n  \"weight_map\": {\n", total)
	for i, n := range names {
		fmt.Fprintf(&b, "    %s: %s", strconv.Quote(n), strconv.Quote(weightMap[n]))
		if i < len(names)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("  }\n}\n")
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
