package quant

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/paramscope/paramscope/analysis/findings"
	"github.com/paramscope/paramscope/reader"
)

// embeddingNames and headNames are the input embedding and output layer of
// the families paramscope knows, as their Hugging Face checkpoints name
// them; the head is tied to the embedding of the same row.
var tiedNames = []struct{ embedding, head string }{
	{"model.embed_tokens.weight", "lm_head.weight"}, // Llama, Mistral, Qwen, Gemma, ...
	{"model.language_model.embed_tokens.weight", "lm_head.weight"},
	{"transformer.wte.weight", "lm_head.weight"},            // GPT-2 with the transformer. prefix
	{"wte.weight", "lm_head.weight"},                        // GPT-2 as the Hub stores it
	{"gpt_neox.embed_in.weight", "embed_out.weight"},        // GPT-NeoX, Pythia
	{"model.decoder.embed_tokens.weight", "lm_head.weight"}, // OPT
	{"transformer.word_embeddings.weight", "lm_head.weight"},
	{"tok_embeddings.weight", "output.weight"}, // Meta's original Llama naming
}

// tieDefaults are transformers' defaults for tie_word_embeddings when
// config.json leaves it out: PretrainedConfig defaults to true; these
// families' configuration classes set false.
var untiedByDefault = map[string]bool{
	"llama": true, "mistral": true, "mixtral": true, "qwen2": true, "qwen2_moe": true, "qwen3": true, "qwen3_moe": true,
	"phi3": true, "gpt_neox": true, "deepseek_v2": true, "deepseek_v3": true, "gpt_oss": true, "olmo2": true,
}

// tieSetting returns whether config.json ties the embedding and the head,
// with the evidence; known is false without a config or model_type.
func (c *classifier) tieSetting() (tied bool, evidence string, known bool) {
	if c.cfg == nil {
		return false, "", false
	}
	if v, key, ok := cfgBool(c.cfg, "tie_word_embeddings"); ok {
		return v, key + "=" + fmt.Sprint(v), true
	}
	mt := modelType(c.cfg)
	if mt == "" {
		return false, "", false
	}
	if untiedByDefault[mt] {
		return false, "model_type " + mt + " defaults to untied", true
	}
	return true, "tie_word_embeddings absent: transformers' default (true) for model_type " + mt, true
}

// tied finds a head stored beside the embedding it is tied to: the copy is
// kept as a parameter row with DuplicateOf set and LogicalParams 0, so the
// model is counted once.
func (c *classifier) tied() {
	tied, evidence, known := c.tieSetting()
	if !known || !tied {
		return
	}
	for _, p := range tiedNames {
		ei, hi := c.index(p.embedding), c.index(p.head)
		if ei < 0 || hi < 0 {
			continue
		}
		e, h := &c.out[ei], &c.out[hi]
		if e.Kind != Parameter || h.Kind != Parameter {
			continue
		}
		if !slices.Equal(e.LogicalShape, h.LogicalShape) {
			c.add(findings.Problem, "tied_shape_mismatch", fmt.Sprintf("config ties the embeddings (%s) but %q is %v and %q is %v: they cannot be one tensor; both are counted", evidence, e.Name, e.LogicalShape, h.Name, h.LogicalShape), e.Name, h.Name)
			return
		}
		d := h.detail()
		d.duplicateOf = e.Name
		dup := h.LogicalParams
		h.LogicalParams = 0
		d.note = "tied to " + e.Name + " (" + evidence + "): stored twice, counted once"
		c.setDetail(h, d)
		c.add(findings.Warning, "tied_duplicate", fmt.Sprintf("config ties the embeddings (%s) but the checkpoint stores both %q and %q (%v each); the copy's %d parameters are counted once; loaders keep only the embedding, so a head that differs would be silently dropped (compare the bytes of a complete file)", evidence, e.Name, h.Name, e.LogicalShape, dup), e.Name, h.Name)
		return
	}
}

// Pair is a tied embedding and its stored copy: what a byte comparison
// needs to read.
type Pair struct {
	// Embedding is the input embedding the config ties the head to.
	Embedding reader.Tensor
	// Head is the stored copy (DuplicateOf == Embedding.Name).
	Head reader.Tensor
}

// TiedPairs lists the tied duplicates of r, for a caller that can read
// tensor data (reader.ReadTensorData) to compare them with CompareTied.
func TiedPairs(r *Result) []Pair {
	if r == nil {
		return nil
	}
	// A checkpoint has at most one or two tied copies: find them first, and
	// only then look for their embeddings, instead of indexing every name.
	var out []Pair
	for i := range r.Tensors {
		t := &r.Tensors[i]
		if t.DuplicateOf() == "" {
			continue
		}
		// The last tensor of that name, as the index this replaces kept.
		for j := len(r.Tensors) - 1; j >= 0; j-- {
			if e := &r.Tensors[j]; e.Name == t.DuplicateOf() {
				out = append(out, Pair{Embedding: *e.Tensor, Head: *t.Tensor})
				break
			}
		}
	}
	return out
}

// CompareTied turns the bytes of a tied pair into a finding: identical
// bytes are a harmless duplicate (info); different bytes (or dtypes) are a
// problem, because a loader that ties the weights keeps the embedding and
// silently discards the head the checkpoint was saved with.
func CompareTied(p Pair, a, b []byte) findings.Finding {
	ev := []string{p.Embedding.Name, p.Head.Name}
	switch {
	case p.Embedding.DType != p.Head.DType:
		return findings.Finding{Level: findings.Problem, Code: "tied_weights_differ",
			Message:  fmt.Sprintf("%q is %s and %q is %s: the tied copies differ in dtype, and a loader that ties them drops the head", p.Embedding.Name, p.Embedding.DType, p.Head.Name, p.Head.DType),
			Evidence: ev}
	case bytes.Equal(a, b):
		return findings.Finding{Level: findings.Info, Code: "tied_weights_identical",
			Message:  fmt.Sprintf("%q and %q hold identical bytes (%d): a redundant copy, counted once", p.Embedding.Name, p.Head.Name, len(a)),
			Evidence: ev}
	}
	first := -1
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			first = i
			break
		}
	}
	if first < 0 {
		first = n
	}
	return findings.Finding{Level: findings.Problem, Code: "tied_weights_differ",
		Message:  fmt.Sprintf("config ties %q and %q but their bytes differ (%d and %d bytes, first difference at byte %d): a loader that ties them keeps the embedding and silently drops the stored head", p.Embedding.Name, p.Head.Name, len(a), len(b), first),
		Evidence: ev}
}
