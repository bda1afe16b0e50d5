package layouts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// This file holds the Llama-style decoder family (LLaMA-1, Llama 2, Llama 3,
// Mistral; Qwen and Gemma reuse famDecoderModel from their own files) and
// the helpers every family file of this engineer shares: they turn a facts
// file's config.json into the tensor list the Hugging Face exporter wrote,
// split it into shards the way the exporter did and order it as the
// safetensors writer does.

func init() {
	// LLaMA-1 as converted to Hugging Face format in April 2023
	// (huggyllama/llama-7b, transformers 4.28): the rotary inv_freq was still
	// a persistent buffer, so every layer stores one next to the weights, in
	// F32 like the Llama 2 export of the same converter (below).
	famRegister("llama-7b", func() (Model, error) {
		return famDecoderModel("llama-7b", famDecoder{
			export: famExport{maxShard: 10 * famGB, shards: 2, invFreq: "F32"},
		})
	})
	// Llama 2 7B without buffers: the clean layout the family's exact count
	// describes, 2 shards of at most "10GB".
	famRegister("llama-2-7b", func() (Model, error) {
		return famDecoderModel("llama-2-7b", famDecoder{export: famExport{maxShard: 10 * famGB, shards: 2}})
	})
	// Llama 2 7B as meta-llama/Llama-2-7b-hf stores it: converted with a
	// transformers 4.31 pre-release whose inv_freq was still persistent, so
	// each layer also holds an F32 rotary_emb.inv_freq; with them the layout
	// reproduces the published file sizes byte for byte.
	famRegister("llama-2-7b-with-buffers", func() (Model, error) {
		return famDecoderModel("llama-2-7b-with-buffers", famDecoder{
			export: famExport{maxShard: 10 * famGB, shards: 2, invFreq: "F32"},
		})
	})
	// The 13B and 70B files came out of the same converter, with the same
	// F32 inv_freq buffers (the 70B index's total_size counts them).
	famRegister("llama-2-13b", func() (Model, error) {
		return famDecoderModel("llama-2-13b", famDecoder{
			export: famExport{maxShard: 10 * famGB, shards: 3, invFreq: "F32"},
		})
	})
	famRegister("llama-2-70b", func() (Model, error) {
		return famDecoderModel("llama-2-70b", famDecoder{
			export: famExport{maxShard: 10 * famGB, shards: 15, invFreq: "F32"},
		})
	})
	// Meta-Llama-3-8B was saved with transformers' later default
	// max_shard_size "5GB": 4 shards.
	famRegister("llama-3-8b", func() (Model, error) {
		return famDecoderModel("llama-3-8b", famDecoder{export: famExport{maxShard: 5 * famGB, shards: 4}})
	})
	famRegister("mistral-7b-v0.1", func() (Model, error) {
		return famDecoderModel("mistral-7b-v0.1", famDecoder{export: famExport{maxShard: 10 * famGB, shards: 2}})
	})
}

// famRegister registers a builder that turns a panic of Cfg.Int (a fact
// missing from the facts file) into an error naming the model.
func famRegister(name string, build func() (Model, error)) {
	register(name, func() (m Model, err error) {
		defer func() {
			if r := recover(); r != nil {
				m, err = Model{}, fmt.Errorf("layouts: %s: %v", name, r)
			}
		}()
		return build()
	})
}

// famGB is the "GB" of transformers' max_shard_size strings
// (convert_file_size_to_int: "10GB" is 10·10⁹ bytes, not GiB).
const famGB = 1_000_000_000

// famExport records what a checkpoint's config.json cannot say about how it
// was written: how the exporter split it into shards and which buffers it
// kept.
type famExport struct {
	// maxShard is the max_shard_size in bytes the exporter used; 0 writes a
	// single model.safetensors.
	maxShard uint64
	// shards is the number of shard files the published index lists; the
	// builder fails when its own split disagrees, so a wrong maxShard or a
	// wrong tensor list is found when the generator runs.
	shards int
	// invFreq is the dtype of the per-layer self_attn.rotary_emb.inv_freq
	// buffers old exports stored, "" when the checkpoint has none.
	invFreq string
	// tiedHeadStored says lm_head.weight is stored although the config ties
	// it to the embedding (Qwen3-0.6B's model.safetensors does).
	tiedHeadStored bool
}

// famDecoder describes a Llama-style decoder: RMSNorm, RoPE, gated MLP
// (gate_proj, up_proj, down_proj), separate q/k/v/o projections.
type famDecoder struct {
	export famExport
	// qkvBias adds biases to q_proj, k_proj and v_proj only (Qwen2; its
	// config has no key for it, the modeling code hard-codes bias=True).
	qkvBias bool
	// qkNorm adds a per-head RMSNorm weight [head_dim] to q and k (Qwen3).
	qkNorm bool
	// tiedDefault is the config class's default for tie_word_embeddings,
	// used when config.json omits the key (GemmaConfig: true).
	tiedDefault bool
	// forwardOrder lists each layer's tensors in the order of the forward
	// pass (input_layernorm, attention, post_attention_layernorm, MLP)
	// rather than transformers' registration order (attention, MLP, the two
	// norms): the order the exporter's state_dict had, which decides where
	// a layer is cut between shards.
	forwardOrder bool
}

// famList collects tensors in the order the model registers them, which is
// the order of its state_dict and so the order the exporter fills shards in.
type famList struct {
	ts []Tensor
}

func (l *famList) add(dtype, name string, shape ...uint64) {
	l.ts = append(l.ts, Tensor{Name: name, DType: dtype, Shape: shape})
}

// famDType maps config.json's torch_dtype to the safetensors spelling: the
// published weights of every model here are stored in that dtype.
func famDType(c Cfg) (string, error) {
	switch d := c.String("", "torch_dtype"); d {
	case "float16":
		return "F16", nil
	case "bfloat16":
		return "BF16", nil
	case "float32":
		return "F32", nil
	default:
		return "", fmt.Errorf("layouts: torch_dtype %q is not float16, bfloat16 or float32", d)
	}
}

// famDims are the dimensions a Llama-style config names.
type famDims struct {
	h, l, a, g, d, f, v uint64
	tied                bool
}

// famReadDims reads the Hugging Face config keys: hidden_size,
// num_hidden_layers, num_attention_heads, num_key_value_heads (absent means
// multi-head attention, G = A), head_dim (absent means h/A),
// intermediate_size, vocab_size, tie_word_embeddings.
func famReadDims(c Cfg, tiedDefault bool) (famDims, error) {
	var d famDims
	d.h = c.Int("hidden_size")
	d.l = c.Int("num_hidden_layers")
	d.a = c.Int("num_attention_heads")
	d.g = c.IntOr(d.a, "num_key_value_heads")
	d.f = c.Int("intermediate_size")
	d.v = c.Int("vocab_size")
	d.tied = c.Bool(tiedDefault, "tie_word_embeddings")
	if d.a == 0 || d.g == 0 || d.a%d.g != 0 {
		return d, fmt.Errorf("layouts: num_attention_heads %d is not a multiple of num_key_value_heads %d", d.a, d.g)
	}
	if d.d = c.IntOr(0, "head_dim"); d.d == 0 {
		if d.h%d.a != 0 {
			return d, fmt.Errorf("layouts: hidden_size %d is not a multiple of num_attention_heads %d", d.h, d.a)
		}
		d.d = d.h / d.a
	}
	return d, nil
}

// famDecoderModel builds a Llama-style decoder from facts/<name>.json. The
// names and the registration order are transformers' LlamaModel (and its
// Mistral, Qwen2, Qwen3, Gemma copies): embed_tokens, then per layer
// self_attn.{q,k,v,o}_proj, mlp.{gate,up,down}_proj, input_layernorm,
// post_attention_layernorm, then norm and lm_head. nn.Linear stores its
// weight as [out_features, in_features].
func famDecoderModel(name string, spec famDecoder) (Model, error) {
	f, c, dt, err := famLoad(name)
	if err != nil {
		return Model{}, err
	}
	d, err := famReadDims(c, spec.tiedDefault)
	if err != nil {
		return Model{}, fmt.Errorf("%w (facts/%s.json)", err, name)
	}
	var ls famList
	ls.add(dt, "model.embed_tokens.weight", d.v, d.h)
	for i := uint64(0); i < d.l; i++ {
		p := fmt.Sprintf("model.layers.%d.", i)
		if spec.forwardOrder {
			ls.add(dt, p+"input_layernorm.weight", d.h)
		}
		ls.add(dt, p+"self_attn.q_proj.weight", d.a*d.d, d.h)
		if spec.qkvBias {
			ls.add(dt, p+"self_attn.q_proj.bias", d.a*d.d)
		}
		ls.add(dt, p+"self_attn.k_proj.weight", d.g*d.d, d.h)
		if spec.qkvBias {
			ls.add(dt, p+"self_attn.k_proj.bias", d.g*d.d)
		}
		ls.add(dt, p+"self_attn.v_proj.weight", d.g*d.d, d.h)
		if spec.qkvBias {
			ls.add(dt, p+"self_attn.v_proj.bias", d.g*d.d)
		}
		ls.add(dt, p+"self_attn.o_proj.weight", d.h, d.a*d.d)
		if spec.qkNorm {
			ls.add(dt, p+"self_attn.q_norm.weight", d.d)
			ls.add(dt, p+"self_attn.k_norm.weight", d.d)
		}
		if spec.export.invFreq != "" {
			// inv_freq holds one frequency per pair of rotary dimensions.
			ls.add(spec.export.invFreq, p+"self_attn.rotary_emb.inv_freq", d.d/2)
		}
		if spec.forwardOrder {
			ls.add(dt, p+"post_attention_layernorm.weight", d.h)
		}
		ls.add(dt, p+"mlp.gate_proj.weight", d.f, d.h)
		ls.add(dt, p+"mlp.up_proj.weight", d.f, d.h)
		ls.add(dt, p+"mlp.down_proj.weight", d.h, d.f)
		if !spec.forwardOrder {
			ls.add(dt, p+"input_layernorm.weight", d.h)
			ls.add(dt, p+"post_attention_layernorm.weight", d.h)
		}
	}
	ls.add(dt, "model.norm.weight", d.h)
	if !d.tied || spec.export.tiedHeadStored {
		ls.add(dt, "lm_head.weight", d.v, d.h)
	}
	return famFinish(name, f, ls.ts, spec.export)
}

// famLoad reads facts/<name>.json, its config and the weights' dtype.
func famLoad(name string) (Facts, Cfg, string, error) {
	f, err := LoadFacts(name)
	if err != nil {
		return f, nil, "", err
	}
	c, err := f.ParseCfg()
	if err != nil {
		return f, nil, "", fmt.Errorf("layouts: facts/%s.json: config: %w", name, err)
	}
	dt, err := famDType(c)
	if err != nil {
		return f, nil, "", fmt.Errorf("%w (facts/%s.json)", err, name)
	}
	return f, c, dt, nil
}

// famFinish splits the tensors (given in state_dict order) into shards as
// the exporter did, orders them as the files list them and fills in the
// rest of the Model.
func famFinish(name string, f Facts, ts []Tensor, ex famExport) (Model, error) {
	n, err := famShard(ts, ex.maxShard)
	if err != nil {
		return Model{}, fmt.Errorf("layouts: %s: %w", name, err)
	}
	if want := max(ex.shards, 1); n != want {
		return Model{}, fmt.Errorf("layouts: %s: max_shard_size %d splits the tensors into %d shards, the published index has %d",
			name, ex.maxShard, n, want)
	}
	if n == 1 {
		n = 0 // one model.safetensors, no index
	}
	cfg, err := famConfigJSON(f.Config)
	if err != nil {
		return Model{}, fmt.Errorf("layouts: facts/%s.json: config: %w", name, err)
	}
	return Model{
		Name:     name,
		Source:   strings.Join(f.Source, " "),
		Config:   cfg,
		Tensors:  famOrder(ts),
		Metadata: map[string]string{"format": "pt"}, // what save_pretrained writes
		Shards:   n,
	}, nil
}

// famShard assigns Tensor.Shard the way transformers' shard_checkpoint (and
// huggingface_hub's split_torch_state_dict_into_shards after it) does: walk
// the state_dict in order and start a new shard when the next tensor would
// take the current one over maxBytes, unless the current one is empty. It
// returns the number of shards; maxBytes 0 means one file.
func famShard(ts []Tensor, maxBytes uint64) (int, error) {
	shard, size := 0, uint64(0)
	for i := range ts {
		b, err := TensorBytes(ts[i])
		if err != nil {
			return 0, err
		}
		if maxBytes > 0 && size > 0 && size+b > maxBytes {
			shard++
			size = 0
		}
		ts[i].Shard = shard
		size += b
	}
	return shard + 1, nil
}

// famOrder returns the tensors as a reader lists them: shard by shard, and
// within a shard in the safetensors writer's order (HeaderOrder).
func famOrder(ts []Tensor) []Tensor {
	out := HeaderOrder(ts)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Shard < out[j].Shard })
	return out
}

// famConfigJSON formats the facts' config as save_pretrained writes
// config.json: two-space indent, a final newline. The facts keep the keys in
// the file's (sorted) order, so only the whitespace changes.
func famConfigJSON(raw json.RawMessage) (string, error) {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return "", err
	}
	b.WriteByte('\n')
	return b.String(), nil
}
