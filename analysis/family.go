package analysis

import (
	"strings"

	"github.com/paramscope/paramscope/analysis/quant"
	"github.com/paramscope/paramscope/reader"
)

// Family is one naming convention for transformer checkpoints: how its
// tensors are named and what each name is for. Each family lives in its own
// file (fam_*.go) and is listed once in families, in matching order.
type Family struct {
	// Name is the family's short name ("gpt2", "llama").
	Name string
	// ModelTypes are the config.json model_type values of the family.
	ModelTypes []string
	// Markers are substrings of tensor names that only this family (among
	// those listed before it) uses; any one of them selects the family.
	Markers []string
	// Layer maps a path inside a layer to a role. Keys are either the full
	// path after the layer index ("attn.bias", a buffer) or the path without
	// its last component ("self_attn.q_proj"); a routed expert's index is
	// written "*" ("block_sparse_moe.experts.*.w1").
	Layer map[string]Role
	// Global maps the end of a tensor's path outside layers (without its last
	// component) to a role; earlier entries win, matched on whole components.
	Global []GlobalRule
	// Transposed is true when the family stores linear weights as [in, out]
	// (GPT-2's Conv1D).
	Transposed bool
	// Parallel says whether attention and MLP run side by side, from the
	// config key that declares it; nil when the family never does.
	Parallel func(cfg *reader.Config) (bool, Evidence, bool)
}

// GlobalRule is one entry of Family.Global.
type GlobalRule struct {
	Suffix string
	Role   Role
}

// families is the ordered registry: the first family whose markers appear in
// the tensor names wins; when no marker matches, config.json's model_type
// decides; famGeneric (shape-based) catches the rest. Order matters where
// conventions overlap: gpt-oss, OPT, Mixtral, Phi-3 and DeepSeek reuse Llama's
// q_proj names, BLOOM and Falcon share query_key_value.
var families = []*Family{
	famGPTOSS,
	famDeepSeek,
	famMixtral,
	famPhi3,
	famOPT,
	famGPTJ,
	famNeoX,
	famBLOOM,
	famFalcon,
	famGPT2,
	famBERT,
	famT5,
	famLlama,
}

// Families returns the registered families in matching order, the generic
// shape-based fallback last.
func Families() []*Family {
	return append(append([]*Family(nil), families...), famGeneric)
}

// DetectFamily picks the family whose naming the tensors follow. The names
// decide; config.json's model_type only breaks the tie when no family's
// markers appear.
func DetectFamily(tensors []quant.Tensor, cfg *reader.Config) *Family {
	return detectFamily(len(tensors), func(i int) famName { return famNameOf(tensors[i].Name) }, cfg)
}

// famName is what detectFamily reads of one tensor name.
type famName struct {
	name  string
	layer int       // -1 outside layers
	full  string    // the path inside the layer (nameParts.full)
	extra bool      // the tensor is in a module apart from the language model
	tp    *template // full's template, or nil
}

// famNameOf parses a name for detectFamily.
func famNameOf(name string) famName {
	p := parseName(name)
	return famName{name: name, layer: p.layer, full: p.full, extra: isExtraStack(stackOf(p.prefix, p.layer >= 0))}
}

// detectFamily looks for the registered families' markers in n names. Names
// repeat their layer-relative path in every layer, so each distinct path
// (and each distinct path before the layers) is searched once: a
// checkpoint of 90,000 tensors has a few hundred of them.
func detectFamily(n int, at func(int) famName, cfg *reader.Config) *Family {
	fs := newFamSearch()
	var lastChecked string
	for i := 0; i < n && !fs.done(); i++ {
		p := at(i)
		// A vision tower's names (CLIP, SigLIP) must not choose the
		// language model's family.
		if p.extra {
			continue
		}
		if p.layer < 0 {
			fs.check(p.name)
			continue
		}
		// The path before the layers with the container and index
		// ("gpt_neox.layers."), then the path inside the layer.
		// Consecutive names mostly share the first (within a layer), and
		// the second is searched once per template.
		if s := p.name[:len(p.name)-len(p.full)]; s != lastChecked || i == 0 {
			lastChecked = s
			fs.check(s)
		}
		if tp := p.tp; tp == nil {
			fs.check(p.full)
		} else if !tp.checked {
			tp.checked = true
			fs.check(p.full)
		}
	}
	return fs.family(cfg)
}

// famSearch finds the first registered family whose markers appear in any
// of the strings it is given. The answer does not depend on their order,
// so they may come in any order and from several goroutines' lists.
type famSearch struct {
	best int // index into families; len(families) while none matched
	seen map[string]bool
}

func newFamSearch() *famSearch { return &famSearch{best: len(families), seen: map[string]bool{}} }

// check searches s for the markers of the families before the best so far.
func (fs *famSearch) check(s string) {
	if fs.seen[s] {
		return
	}
	fs.seen[s] = true
	for fi, f := range families[:fs.best] {
		for _, m := range f.Markers {
			if strings.Contains(s, m) {
				fs.best = fi
				return
			}
		}
	}
}

// done reports whether no string can change the answer any more.
func (fs *famSearch) done() bool { return fs.best == 0 }

// family is the family the markers chose; when none matched,
// config.json's model_type decides, then the generic family.
func (fs *famSearch) family(cfg *reader.Config) *Family {
	if fs.best < len(families) {
		return families[fs.best]
	}
	if mt, ok := cfg.String("model_type"); ok {
		if f := familyForModelType(mt); f != nil {
			return f
		}
	}
	return famGeneric
}

// familyForModelType returns the family that declares model_type mt, or nil.
func familyForModelType(mt string) *Family {
	for _, f := range families {
		for _, m := range f.ModelTypes {
			if m == mt {
				return f
			}
		}
	}
	return nil
}

// configBool reads a boolean config key for Family.Parallel.
func configBool(cfg *reader.Config, key string) (bool, Evidence, bool) {
	v, ok := cfg.Bool(key)
	if !ok {
		return false, Evidence{}, false
	}
	return v, Evidence{ConfigKey: key}, true
}
