package analysis

import (
	"fmt"
	"math/bits"
	"sort"
	"strings"
	"sync"

	"github.com/paramscope/paramscope/analysis/findings"
	"github.com/paramscope/paramscope/analysis/quant"
	"github.com/paramscope/paramscope/reader"
)

// Config keys that give the same fact in different families' config.json
// (Hugging Face transformers' configuration_*.py attribute maps).
var (
	keysLayers   = []string{"num_hidden_layers", "n_layer", "num_layers", "n_layers"}
	keysHidden   = []string{"hidden_size", "n_embd", "d_model", "dim"}
	keysVocab    = []string{"vocab_size", "padded_vocab_size"}
	keysFFN      = []string{"intermediate_size", "n_inner", "ffn_dim", "d_ff", "ffn_hidden_size"}
	keysHeads    = []string{"num_attention_heads", "n_head", "num_heads", "n_heads"}
	keysKVHeads  = []string{"num_key_value_heads", "num_kv_heads", "n_head_kv"}
	keysHeadDim  = []string{"head_dim", "d_kv"}
	keysMaxPos   = []string{"max_position_embeddings", "n_positions", "n_ctx", "seq_length"}
	keysExperts  = []string{"n_routed_experts", "num_local_experts", "num_experts"}
	keysTopK     = []string{"num_experts_per_tok", "moe_top_k", "num_experts_per_token", "top_k"}
	keysShared   = []string{"n_shared_experts", "num_shared_experts"}
	keysExpertFF = []string{"moe_intermediate_size"}
)

// nestedConfigs are the objects multimodal configs keep the language
// model's keys in (LLaVA, Gemma 3, Mistral 3: text_config; others:
// language_config, llm_config).
var nestedConfigs = []string{"text_config", "language_config", "llm_config"}

// configInt returns the first of keys that config.json holds as an integer,
// at the top level or, for multimodal configs, in the language model's
// object; the key it returns says where ("text_config.hidden_size").
func configInt(cfg *reader.Config, keys ...string) (int64, string, bool) {
	for _, k := range keys {
		if v, ok := cfg.Int(k); ok {
			return v, k, true
		}
	}
	for _, obj := range nestedConfigs {
		for _, k := range keys {
			if v, ok := cfg.Int(obj, k); ok {
				return v, obj + "." + k, true
			}
		}
	}
	return 0, "", false
}

// configBoolNested returns a boolean key at the top level or in the
// language model's object of a multimodal config.
func configBoolNested(cfg *reader.Config, key string) (bool, bool) {
	if v, ok := cfg.Bool(key); ok {
		return v, true
	}
	for _, obj := range nestedConfigs {
		if v, ok := cfg.Bool(obj, key); ok {
			return v, true
		}
	}
	return false, false
}

// outIn returns a weight's output and input sizes ([out, in] as PyTorch's
// nn.Linear stores them; GPT-2's Conv1D stores [in, out]; stacked experts
// [E, out, in]).
func outIn(r *TensorRole) (out, in uint64, ok bool) {
	s := r.LogicalShape
	switch len(s) {
	case 2:
		if r.Transposed {
			return s[1], s[0], true
		}
		return s[0], s[1], true
	case 3:
		return s[1], s[2], true
	}
	return 0, 0, false
}

// expertOut returns an expert weight's output size. Stacked experts come as
// [E, out, in] (MXFP4 blocks, most exports) or [E, in, out] (gpt-oss's
// bf16 GptOssExperts.gate_up_proj); the side that is h is the input.
func expertOut(r *TensorRole, h int64) uint64 {
	out, in, _ := outIn(r)
	if len(r.LogicalShape) == 3 && h > 0 && out == uint64(h) && in != uint64(h) {
		return in
	}
	return out
}

// ev is the evidence of a tensor's shape.
func ev(r *TensorRole, note string) Evidence {
	return Evidence{Tensor: r.Name, Shape: r.LogicalShape, Note: note}
}

func known(v int64, e Evidence) IntFact { return IntFact{Value: v, Known: true, Evidence: e} }

func unknown(note string) IntFact { return IntFact{Evidence: Evidence{Note: note}} }

// mainStack is the language model's stack: the decoder, or the encoder of an
// encoder-only model.
func mainStack(roles []TensorRole) string { return placedMainStack(roles, nil) }

// roleKey finds the first parameter of a role in a stack.
type roleKey struct {
	stack string
	role  Role
	bias  bool
}

// roleIndex remembers where each role first appears, so the inference asks
// "the first K projection of the decoder" without scanning ~100,000
// tensors each time. newRoleIndex gathers in the same single walk what the
// other questions need (norms, biases, experts, extra modules, unplaced
// tensors): every walk over DeepSeek-V3's tensors costs about a
// millisecond.
type roleIndex struct {
	roles []TensorRole
	// stack is the main stack the walk was made for (mainStack).
	stack    string
	firstAt  map[roleKey]int
	globalAt map[roleKey]int
	// layers are each stack's sorted distinct layer indices; firstIn is
	// the first tensor of each stack's layer.
	layers  map[string][]int
	firstIn map[layerOf]int

	// For inferNormsBiases: the first norm of the language model and the
	// first with a bias (β), or -1; in the main stack, which linear kinds
	// have weights and biases, the first such bias (or -1), and how many
	// norm weights each layer holds.
	firstNorm, firstNormBias int
	qkvB, oB, mlpB           bool
	qkvW, oW, mlpW           bool
	firstLinearBias          int
	normsIn                  map[int]int

	// For inferMoE, in the main stack: the first routed-expert parameter
	// and the first stacked one ([E, ...] without an index), or -1; the
	// distinct expert indices and the layers with experts.
	anyExpert, stacked int
	experts            indexSet
	moeLayers          map[int]bool

	// extras are the modules apart from the language model, in order of
	// appearance.
	extras []Module

	// unknown counts the tensors no rule placed, their parameters
	// (LogicalParams, whatever their kind) and the first five names.
	unknown       int
	unknownParams uint64
	unknownNames  []string

	// sums are the counted parameters FormulaSummary adds up.
	sums paramSums
}

// paramSums are the parameters that count (counted): all of them, those of
// extra modules, and those of routed experts outside extra modules.
type paramSums struct {
	actual, extra, routed uint64
}

// add counts r when it counts.
func (s *paramSums) add(r *TensorRole) {
	if !counted(r) {
		return
	}
	s.actual += r.LogicalParams
	switch {
	case isExtraStack(r.Stack):
		s.extra += r.LogicalParams
	case isRoutedExpert(r.Role):
		s.routed += r.LogicalParams
	}
}

// layerOf is one stack's layer.
type layerOf struct {
	stack string
	layer int
}

// indexSet is a set of small non-negative integers (expert indices, at
// most 7 digits by index): a bitmap for the usual few hundred, a map past
// it.
type indexSet struct {
	bits []uint64
	big  map[int]bool
	n    int
}

// union adds o's indices to s.
func (s *indexSet) union(o *indexSet) {
	for w, word := range o.bits {
		for ; word != 0; word &= word - 1 {
			s.add(w*64 + bits.TrailingZeros64(word))
		}
	}
	for i := range o.big {
		s.add(i)
	}
}

func (s *indexSet) add(i int) {
	if i < 1<<16 {
		w := i / 64
		if w >= len(s.bits) {
			s.bits = append(s.bits, make([]uint64, w+1-len(s.bits))...)
		}
		if s.bits[w]&(1<<(i%64)) == 0 {
			s.bits[w] |= 1 << (i % 64)
			s.n++
		}
		return
	}
	if s.big == nil {
		s.big = map[int]bool{}
	}
	if !s.big[i] {
		s.big[i] = true
		s.n++
	}
}

// linearKind sorts linear roles for the bias question: 1 Q/K/V (and MLA's
// projections), 2 the attention output, 3 the MLP and experts, 0 other.
func linearKind(r Role) int {
	switch r {
	case RoleAttnQ, RoleAttnK, RoleAttnV, RoleAttnQKV, RoleMLAQDown, RoleMLAQUp, RoleMLAKVDown, RoleMLAKVUp:
		return 1
	case RoleAttnO:
		return 2
	case RoleMLPUp, RoleMLPGate, RoleMLPDown, RoleMLPGateUp, RoleExpertUp, RoleExpertGate, RoleExpertDown, RoleExpertGateUp, RoleSharedUp, RoleSharedGate, RoleSharedDown:
		return 3
	}
	return 0
}

// newRoleIndex walks the roles once; stack is the main stack. Large
// checkpoints are walked in two halves on two goroutines, then merged.
func newRoleIndex(roles []TensorRole, stack string) *roleIndex {
	var ix *roleIndex
	if n := len(roles); n >= parallelNames {
		var b *roleIndex
		var wg sync.WaitGroup
		wg.Go(func() { b = scanRoles(roles, n/2, n, stack) })
		ix = scanRoles(roles, 0, n/2, stack)
		wg.Wait()
		ix.merge(b)
	} else {
		ix = scanRoles(roles, 0, len(roles), stack)
	}
	ix.sortLayers()
	return ix
}

// merge adds to ix (the walk of the first tensors) the walk b of the
// tensors after them, so that ix is what one walk over both would give.
func (ix *roleIndex) merge(b *roleIndex) {
	for k, i := range b.firstAt {
		if _, ok := ix.firstAt[k]; !ok {
			ix.firstAt[k] = i
		}
	}
	for k, i := range b.globalAt {
		if _, ok := ix.globalAt[k]; !ok {
			ix.globalAt[k] = i
		}
	}
	for l, i := range b.firstIn {
		if _, ok := ix.firstIn[l]; !ok {
			ix.firstIn[l] = i
			ix.layers[l.stack] = append(ix.layers[l.stack], l.layer)
		}
	}
	for _, f := range []struct{ to, from *int }{
		{&ix.firstNorm, &b.firstNorm}, {&ix.firstNormBias, &b.firstNormBias}, {&ix.firstLinearBias, &b.firstLinearBias},
		{&ix.anyExpert, &b.anyExpert}, {&ix.stacked, &b.stacked},
	} {
		if *f.to < 0 {
			*f.to = *f.from
		}
	}
	ix.qkvB, ix.oB, ix.mlpB = ix.qkvB || b.qkvB, ix.oB || b.oB, ix.mlpB || b.mlpB
	ix.qkvW, ix.oW, ix.mlpW = ix.qkvW || b.qkvW, ix.oW || b.oW, ix.mlpW || b.mlpW
	for l, c := range b.normsIn {
		ix.normsIn[l] += c
	}
	ix.experts.union(&b.experts)
	for l := range b.moeLayers {
		ix.moeLayers[l] = true
	}
	for _, m := range b.extras {
		found := false
		for j := range ix.extras {
			if ix.extras[j].Name == m.Name {
				ix.extras[j].Tensors += m.Tensors
				ix.extras[j].Params += m.Params
				found = true
				break
			}
		}
		if !found {
			ix.extras = append(ix.extras, m)
		}
	}
	ix.unknown += b.unknown
	ix.unknownParams += b.unknownParams
	for _, name := range b.unknownNames {
		if len(ix.unknownNames) < 5 {
			ix.unknownNames = append(ix.unknownNames, name)
		}
	}
	ix.sums.actual += b.sums.actual
	ix.sums.extra += b.sums.extra
	ix.sums.routed += b.sums.routed
}

// sortLayers sorts each stack's layer indices, once the walk is merged.
func (ix *roleIndex) sortLayers() {
	for _, ls := range ix.layers {
		sort.Ints(ls)
	}
}

// scanRoles walks roles[lo:hi] for newRoleIndex; the indices it keeps are
// into the whole of roles.
func scanRoles(roles []TensorRole, lo, hi int, stack string) *roleIndex {
	s := newRoleScan(roles, lo, stack)
	for i := lo; i < hi; i++ {
		s.add(i, &roles[i])
	}
	return s.ix
}

// roleScan is a walk that builds a roleIndex one row at a time: scanRoles
// feeds it a range of rows, and AssignRoles feeds it each row as soon as
// placeRoles has placed it, while the row and its quant.Tensor are still in
// the cache (a walk of its own over DeepSeek-V3's ~92,000 rows, 8 MB of
// roles and 6 MB of classified tensors, cost ~0.6 ms of CPU).
type roleScan struct {
	ix *roleIndex
	lo int
	// The layer of the previous row.
	last layerOf
	// Keys already in firstAt: most tensors repeat one of the last few.
	recent        [4]roleKey
	nRecent, next int
	// The role of the previous tensor and what it is, decided once per run.
	lastRole   Role
	lastKind   int
	lastExpert bool
	lastMoE    int
	lastExtra  string
	extraAt    int
}

// newRoleScan starts a walk of roles from lo; stack is the main stack.
func newRoleScan(roles []TensorRole, lo int, stack string) *roleScan {
	ix := &roleIndex{roles: roles, stack: stack, firstAt: map[roleKey]int{}, globalAt: map[roleKey]int{}, layers: map[string][]int{},
		firstIn: map[layerOf]int{}, firstNorm: -1, firstNormBias: -1, firstLinearBias: -1, normsIn: map[int]int{},
		anyExpert: -1, stacked: -1, moeLayers: map[int]bool{}}
	return &roleScan{ix: ix, lo: lo, last: layerOf{layer: -1}, lastMoE: -1, extraAt: -1}
}

// add walks row i, r = &roles[i]; rows come in order from lo.
func (s *roleScan) add(i int, r *TensorRole) {
	ix, stack := s.ix, s.ix.stack
	if l := (layerOf{r.Stack, r.Layer}); r.Layer >= 0 && l != s.last {
		s.last = l
		if _, ok := ix.firstIn[l]; !ok {
			ix.firstIn[l] = i
			ix.layers[l.stack] = append(ix.layers[l.stack], l.layer)
		}
	}
	if r.Role == RoleUnknown {
		ix.unknown++
		ix.unknownParams += r.LogicalParams
		if len(ix.unknownNames) < 5 {
			ix.unknownNames = append(ix.unknownNames, r.Name)
		}
	}
	extra := isExtraStack(r.Stack)
	if extra {
		if r.Stack != s.lastExtra || s.extraAt < 0 {
			s.lastExtra, s.extraAt = r.Stack, -1
			for j := range ix.extras {
				if ix.extras[j].Name == r.Stack {
					s.extraAt = j
				}
			}
			if s.extraAt < 0 {
				s.extraAt = len(ix.extras)
				ix.extras = append(ix.extras, Module{Name: r.Stack})
			}
		}
		ix.extras[s.extraAt].Tensors++
		if r.Kind == quant.Parameter {
			ix.extras[s.extraAt].Params += r.LogicalParams
		}
	}
	ix.sums.add(r)
	isBias := r.Param == "bias"
	if r.Stack == stack && r.Layer >= 0 && r.Role == RoleNorm && !isBias {
		ix.normsIn[r.Layer]++
	}
	if r.Kind != quant.Parameter {
		return
	}
	k := roleKey{r.Stack, r.Role, isBias}
	known := false
	for j := range s.nRecent {
		if s.recent[j] == k {
			known = true
			break
		}
	}
	if !known {
		if _, ok := ix.firstAt[k]; !ok {
			ix.firstAt[k] = i
		}
		// A ring: the first nRecent slots are always filled.
		s.recent[s.next] = k
		s.next, s.nRecent = (s.next+1)%len(s.recent), min(s.nRecent+1, len(s.recent))
	}
	if r.Layer < 0 && !extra {
		k.stack = ""
		if _, ok := ix.globalAt[k]; !ok {
			ix.globalAt[k] = i
		}
	}
	if (r.Role == RoleNorm || r.Role == RoleFinalNorm) && !extra {
		if ix.firstNorm < 0 {
			ix.firstNorm = i
		}
		if isBias && ix.firstNormBias < 0 {
			ix.firstNormBias = i
		}
	}
	if r.Stack != stack {
		return
	}
	if r.Role != s.lastRole || i == s.lo {
		s.lastRole, s.lastKind, s.lastExpert = r.Role, linearKind(r.Role), isRoutedExpert(r.Role)
	}
	switch s.lastKind {
	case 1:
		ix.qkvB, ix.qkvW = ix.qkvB || isBias, ix.qkvW || !isBias
	case 2:
		ix.oB, ix.oW = ix.oB || isBias, ix.oW || !isBias
	case 3:
		ix.mlpB, ix.mlpW = ix.mlpB || isBias, ix.mlpW || !isBias
	}
	if s.lastKind != 0 && isBias && ix.firstLinearBias < 0 {
		ix.firstLinearBias = i
	}
	if s.lastExpert {
		if ix.anyExpert < 0 {
			ix.anyExpert = i
		}
		if r.Layer != s.lastMoE {
			s.lastMoE = r.Layer
			ix.moeLayers[r.Layer] = true
		}
		if r.Expert >= 0 {
			ix.experts.add(r.Expert)
		} else if len(r.LogicalShape) == 3 && ix.stacked < 0 {
			ix.stacked = i
		}
	}
}

// firstInLayer names the first tensor of a stack's layer, "" when none.
func (ix *roleIndex) firstInLayer(stack string, layer int) string {
	if i, ok := ix.firstIn[layerOf{stack, layer}]; ok {
		return ix.roles[i].Name
	}
	return ""
}

// first returns the first parameter of the stack with one of the roles
// (weights, or biases when bias is true).
func (ix *roleIndex) first(stack string, bias bool, want ...Role) (*TensorRole, bool) {
	best := -1
	for _, w := range want {
		if i, ok := ix.firstAt[roleKey{stack, w, bias}]; ok && (best < 0 || i < best) {
			best = i
		}
	}
	if best < 0 {
		return nil, false
	}
	return &ix.roles[best], true
}

// global returns the first language-model parameter of a role outside
// layers.
func (ix *roleIndex) global(role Role, bias bool) (*TensorRole, bool) {
	i, ok := ix.globalAt[roleKey{"", role, bias}]
	if !ok {
		return nil, false
	}
	return &ix.roles[i], true
}

// InferArchitecture reads l, h, V, f, heads, norm, biases, embeddings,
// positions, MoE and MLA from the roles' shapes, fills in what shapes cannot
// show from config.json, and reports every disagreement between the two as a
// finding. Each value carries its evidence.
func InferArchitecture(roles []TensorRole, cfg *reader.Config) *Architecture {
	a, _ := inferArchitecture(roles, cfg, nil)
	return a
}

// inferArchitecture is InferArchitecture, also returning the index of the
// roles (whose sums Analyze hands to the formula): ix when not nil (the
// one assignRolesIndexed built for these very roles), else a new walk.
func inferArchitecture(roles []TensorRole, cfg *reader.Config, ix *roleIndex) (*Architecture, *roleIndex) {
	a := &Architecture{}
	fam := familyOf(roles, cfg)
	a.Family = fam.Name
	if mt, ok := cfg.String("model_type"); ok {
		a.ModelType = StringFact{Value: mt, Known: true, Evidence: Evidence{ConfigKey: "model_type"}}
		if f := familyForModelType(mt); f != nil && f != fam {
			a.warn("family_mismatch", fmt.Sprintf("config.json model_type %q belongs to family %s, but the tensor names follow %s", mt, f.Name, fam.Name), "model_type")
		}
	}
	if ix == nil {
		ix = newRoleIndex(roles, mainStack(roles))
	}
	stack := ix.stack

	inferDims(a, ix, stack, cfg)
	inferLayers(a, ix, stack, cfg)
	inferAttention(a, ix, stack, cfg)
	inferMLP(a, ix, stack, cfg)
	inferNormsBiases(a, ix, stack, fam, cfg)
	inferMoE(a, ix, stack, cfg)
	inferMLA(a, ix, stack, cfg)
	inferExtras(a, ix)

	if v, k, ok := configInt(cfg, "sliding_window"); ok {
		a.SlidingWindow = known(v, Evidence{ConfigKey: k})
	} else {
		a.SlidingWindow = unknown("config.json declares no sliding_window")
	}
	if v, k, ok := configInt(cfg, keysMaxPos...); ok {
		a.MaxPositions = known(v, Evidence{ConfigKey: k})
		if p := a.LearnedPositions; p.Value > 0 && p.Value < v {
			a.warn("config_mismatch", fmt.Sprintf("positions: config.json %s = %d, but the learned position table %s has only %d rows", k, v, p.Evidence.Tensor, p.Value), k, p.Evidence.Tensor)
		}
	} else if a.LearnedPositions.Value > 0 {
		a.MaxPositions = known(a.LearnedPositions.Value, a.LearnedPositions.Evidence)
	} else {
		a.MaxPositions = unknown("no position table and no max_position_embeddings in config.json")
	}
	if ix.unknown > 0 {
		a.Findings = append(a.Findings, findings.Finding{Level: findings.Warning, Code: "unclassified_tensors",
			Message:  fmt.Sprintf("%d tensors (%d parameters) match no role of family %s", ix.unknown, ix.unknownParams, fam.Name),
			Evidence: ix.unknownNames})
	}
	return a, ix
}

func (a *Architecture) warn(code, msg string, evidence ...string) {
	a.Findings = append(a.Findings, findings.Finding{Level: findings.Warning, Code: code, Message: msg, Evidence: evidence})
}

func (a *Architecture) problem(code, msg string, evidence ...string) {
	a.Findings = append(a.Findings, findings.Finding{Level: findings.Problem, Code: code, Message: msg, Evidence: evidence})
}

// crossCheck compares a value read from the weights with config.json and
// records a finding with both values when they differ.
func (a *Architecture) crossCheck(f *IntFact, what string, cfg *reader.Config, level findings.Level, keys ...string) {
	v, k, ok := configInt(cfg, keys...)
	if !ok {
		return
	}
	if !f.Known {
		*f = known(v, Evidence{ConfigKey: k})
		return
	}
	if f.Value == v {
		if f.Evidence.ConfigKey == "" {
			f.Evidence.ConfigKey = k
		}
		return
	}
	src := f.Evidence.Tensor
	if src == "" {
		src = f.Evidence.Note
	}
	evidence := []string{k}
	if f.Evidence.Tensor != "" {
		evidence = append(evidence, f.Evidence.Tensor)
	}
	a.Findings = append(a.Findings, findings.Finding{Level: level, Code: "config_mismatch",
		Message:  fmt.Sprintf("%s: config.json %s = %d, the weights give %d (%s)", what, k, v, f.Value, src),
		Evidence: evidence})
}

// inferDims reads h and V from the token embedding [V, h] (or, without one,
// from the lm_head), and learned positions from the position table.
func inferDims(a *Architecture, ix *roleIndex, stack string, cfg *reader.Config) {
	if e, ok := ix.global(RoleTokenEmbedding, false); ok && len(e.LogicalShape) == 2 {
		a.Vocab = known(int64(e.LogicalShape[0]), ev(e, "rows of the token embedding"))
		a.Hidden = known(int64(e.LogicalShape[1]), ev(e, "columns of the token embedding"))
	} else if e, ok := ix.global(RoleLMHead, false); ok && len(e.LogicalShape) == 2 {
		a.Vocab = known(int64(e.LogicalShape[0]), ev(e, "rows of the lm_head"))
		a.Hidden = known(int64(e.LogicalShape[1]), ev(e, "columns of the lm_head"))
	} else if n, ok := ix.first(stack, false, RoleNorm); ok && len(n.LogicalShape) == 1 {
		a.Hidden = known(int64(n.LogicalShape[0]), ev(n, "length of a layer norm"))
		a.Vocab = unknown("no token embedding or lm_head tensor")
	} else {
		a.Hidden = unknown("no token embedding, lm_head or norm tensor")
		a.Vocab = unknown("no token embedding or lm_head tensor")
	}
	a.crossCheck(&a.Hidden, "hidden size", cfg, findings.Problem, keysHidden...)
	a.crossCheck(&a.Vocab, "vocabulary", cfg, findings.Warning, keysVocab...)

	if p, ok := ix.global(RolePositionEmbedding, false); ok && len(p.LogicalShape) == 2 {
		a.LearnedPositions = known(int64(p.LogicalShape[0]), ev(p, "rows of the learned position table"))
	} else {
		a.LearnedPositions = known(0, Evidence{Note: "no learned position table (rotary, ALiBi or relative positions)"})
	}
}

// inferLayers counts the main stack's layers and, for encoder-decoder
// models, the encoder's.
func inferLayers(a *Architecture, ix *roleIndex, stack string, cfg *reader.Config) {
	idx := ix.layers[stack]
	if len(idx) == 0 {
		a.Layers = unknown("no numbered layers in the tensor names")
	} else {
		first := ix.firstInLayer(stack, idx[len(idx)-1])
		a.Layers = known(int64(len(idx)), Evidence{Tensor: first, Note: fmt.Sprintf("%d distinct layer indices in the %s stack", len(idx), stack)})
		if idx[len(idx)-1] != len(idx)-1 {
			a.problem("layers_missing", fmt.Sprintf("%s layer indices run to %d but only %d layers are present", stack, idx[len(idx)-1], len(idx)), first)
		}
	}
	enc := ix.layers[StackEncoder]
	if stack == StackDecoder && len(enc) > 0 {
		a.EncoderLayers = known(int64(len(enc)), Evidence{Tensor: ix.firstInLayer(StackEncoder, enc[0]), Note: "distinct layer indices in the encoder stack"})
		a.crossCheck(&a.EncoderLayers, "encoder layers", cfg, findings.Problem, "num_layers")
		a.crossCheck(&a.Layers, "decoder layers", cfg, findings.Problem, "num_decoder_layers", "num_layers")
		return
	}
	a.EncoderLayers = known(0, Evidence{Note: "no encoder stack"})
	a.crossCheck(&a.Layers, "layers", cfg, findings.Problem, keysLayers...)
}

// inferAttention finds A, G and d. Shapes give A·d (Q's rows), G·d (K's
// rows) and, with per-head Q/K norms, d itself; config.json gives what the
// shapes cannot separate.
func inferAttention(a *Architecture, ix *roleIndex, stack string, cfg *reader.Config) {
	h := a.Hidden.Value
	cfgA, keyA, hasA := configInt(cfg, keysHeads...)
	cfgD, keyD, hasD := configInt(cfg, keysHeadDim...)
	if hasD && cfgD <= 0 {
		hasD = false
	}
	if hasA {
		a.Heads = known(cfgA, Evidence{ConfigKey: keyA})
	} else {
		a.Heads = unknown("config.json gives no head count and shapes cannot separate heads from head size")
	}
	// d: config, then a per-head norm's length.
	if hasD {
		a.HeadDim = known(cfgD, Evidence{ConfigKey: keyD})
	}
	if qn, ok := ix.first(stack, false, RoleAttnQNorm, RoleAttnKNorm); ok && len(qn.LogicalShape) == 1 {
		d := int64(qn.LogicalShape[0])
		if hasD && d != cfgD {
			a.problem("config_mismatch", fmt.Sprintf("head size: config.json %s = %d, the Q/K norm %s holds %d", keyD, cfgD, qn.Name, d), keyD, qn.Name)
		}
		a.HeadDim = known(d, ev(qn, "length of the per-head Q/K norm"))
		if !hasA {
			if q, ok := ix.first(stack, false, RoleAttnQ); ok {
				if out, _, ok := outIn(q); ok && d > 0 {
					a.Heads = known(int64(out)/d, ev(q, fmt.Sprintf("Q rows / head size %d", d)))
				}
			}
		}
	}
	a.QKNorm = BoolFact{Known: true}
	if qn, ok := ix.first(stack, false, RoleAttnQNorm, RoleAttnKNorm); ok {
		a.QKNorm = BoolFact{Value: true, Known: true, Evidence: ev(qn, "per-head Q/K norm")}
	} else {
		a.QKNorm.Evidence = Evidence{Note: "no q_norm/k_norm tensors"}
	}

	if q, ok := ix.first(stack, false, RoleAttnQ); ok {
		qOut, _, _ := outIn(q)
		if !a.HeadDim.Known && a.Heads.Known && a.Heads.Value > 0 && int64(qOut)%a.Heads.Value != 0 {
			a.problem("config_mismatch", fmt.Sprintf("attention: %s has %d rows, which %d heads (config.json %s) do not divide", q.Name, qOut, a.Heads.Value, keyA), q.Name, keyA)
		}
		if !a.HeadDim.Known && a.Heads.Known && a.Heads.Value > 0 {
			a.HeadDim = known(int64(qOut)/a.Heads.Value, ev(q, fmt.Sprintf("Q rows %d / %d heads", qOut, a.Heads.Value)))
		} else if a.HeadDim.Known && a.Heads.Known && int64(qOut) != a.Heads.Value*a.HeadDim.Value {
			a.problem("config_mismatch", fmt.Sprintf("attention: %d heads × head size %d = %d, but %s has %d rows", a.Heads.Value, a.HeadDim.Value, a.Heads.Value*a.HeadDim.Value, q.Name, qOut), q.Name)
		}
		if k, ok := ix.first(stack, false, RoleAttnK); ok && a.HeadDim.Known && a.HeadDim.Value > 0 {
			kOut, _, _ := outIn(k)
			a.KVHeads = known(int64(kOut)/a.HeadDim.Value, ev(k, fmt.Sprintf("K rows %d / head size %d", kOut, a.HeadDim.Value)))
		}
	} else if qkv, ok := ix.first(stack, false, RoleAttnQKV); ok {
		rows, _, _ := outIn(qkv)
		if !a.HeadDim.Known && a.Heads.Known && a.Heads.Value > 0 && h > 0 {
			a.HeadDim = known(h/a.Heads.Value, Evidence{ConfigKey: keyA, Note: "hidden_size / num_attention_heads"})
		}
		if a.Heads.Known && a.HeadDim.Known && a.HeadDim.Value > 0 {
			g := (int64(rows)/a.HeadDim.Value - a.Heads.Value) / 2
			a.KVHeads = known(g, ev(qkv, fmt.Sprintf("(fused rows %d / head size %d - %d query heads) / 2", rows, a.HeadDim.Value, a.Heads.Value)))
			if (a.Heads.Value+2*g)*a.HeadDim.Value != int64(rows) {
				a.problem("qkv_shape", fmt.Sprintf("fused QKV %s has %d rows, not (A + 2G)·d for A=%d, d=%d", qkv.Name, rows, a.Heads.Value, a.HeadDim.Value), qkv.Name)
			}
		} else if rows == uint64(3*h) {
			a.KVHeads = unknown("fused QKV of 3h rows: as many key/value heads as query heads, but the count is not in the shapes")
		}
	}
	if !a.HeadDim.Known {
		a.HeadDim = unknown("head size needs num_attention_heads or head_dim from config.json")
	}
	// Multi-query flags (Falcon-7B: multi_query true means one K/V head).
	if mq, ok := configBoolNested(cfg, "multi_query"); ok && mq {
		if !a.KVHeads.Known {
			a.KVHeads = known(1, Evidence{ConfigKey: "multi_query"})
		} else if a.KVHeads.Value != 1 {
			a.problem("config_mismatch", fmt.Sprintf("config.json multi_query = true, the weights give %d key/value heads", a.KVHeads.Value), "multi_query")
		}
	}
	a.crossCheck(&a.KVHeads, "key/value heads", cfg, findings.Problem, keysKVHeads...)
	if !a.KVHeads.Known && a.Heads.Known {
		if _, ok := ix.first(stack, false, RoleAttnQKV); ok {
			a.KVHeads = known(a.Heads.Value, Evidence{ConfigKey: a.Heads.Evidence.ConfigKey, Note: "fused QKV of 3h rows: multi-head attention"})
		}
	}
	if !a.KVHeads.Known {
		a.KVHeads = unknown("key/value heads need the head size")
	}
}

// inferMLP reads the dense MLP's width and whether it is gated.
func inferMLP(a *Architecture, ix *roleIndex, stack string, cfg *reader.Config) {
	if up, ok := ix.first(stack, false, RoleMLPUp); ok {
		out, _, _ := outIn(up)
		a.FFN = known(int64(out), ev(up, "output size of the MLP's first matrix"))
	} else if gu, ok := ix.first(stack, false, RoleMLPGateUp); ok {
		out, _, _ := outIn(gu)
		a.FFN = known(int64(out/2), ev(gu, "half the rows of the fused gate_up"))
	} else if e, ok := ix.first(stack, false, RoleExpertUp, RoleExpertGate); ok {
		out := expertOut(e, a.Hidden.Value)
		a.FFN = known(int64(out), ev(e, "no dense MLP: one routed expert's width"))
	} else if e, ok := ix.first(stack, false, RoleExpertGateUp); ok {
		out := expertOut(e, a.Hidden.Value)
		a.FFN = known(int64(out/2), ev(e, "no dense MLP: half one routed expert's fused gate_up"))
	} else {
		a.FFN = unknown("no MLP tensors found")
	}
	a.crossCheck(&a.FFN, "MLP width", cfg, findings.Problem, keysFFN...)
	if g, ok := ix.first(stack, false, RoleMLPGate, RoleMLPGateUp, RoleExpertGate, RoleExpertGateUp); ok {
		a.GatedMLP = BoolFact{Value: true, Known: true, Evidence: ev(g, "a gate projection beside up and down")}
	} else {
		a.GatedMLP = BoolFact{Value: false, Known: a.FFN.Known, Evidence: Evidence{Note: "no gate projection: two MLP matrices"}}
	}
}

// inferNormsBiases decides LayerNorm vs RMSNorm (a norm with β is a
// LayerNorm), which linears carry biases, tied embeddings and parallel
// blocks.
func inferNormsBiases(a *Architecture, ix *roleIndex, stack string, fam *Family, cfg *reader.Config) {
	// A norm with a bias anywhere makes a LayerNorm; the first norm is
	// the evidence of an RMSNorm.
	switch {
	case ix.firstNormBias >= 0:
		a.Norm = StringFact{Value: "layernorm", Known: true, Evidence: ev(&ix.roles[ix.firstNormBias], "a norm with a bias β is a LayerNorm")}
	case ix.firstNorm >= 0:
		a.Norm = StringFact{Value: "rmsnorm", Known: true, Evidence: ev(&ix.roles[ix.firstNorm], "norms hold γ only (no β): RMSNorm")}
	default:
		a.Norm = StringFact{Evidence: Evidence{Note: "no norm tensors"}}
	}

	qkvB, oB, mlpB, qkvW, oW, mlpW := ix.qkvB, ix.oB, ix.mlpB, ix.qkvW, ix.oW, ix.mlpW
	evb := Evidence{}
	if ix.firstLinearBias >= 0 {
		evb.Tensor = ix.roles[ix.firstLinearBias].Name
	}
	switch {
	case !qkvB && !oB && !mlpB:
		evb.Note = "no linear layer has a bias"
		a.Bias = StringFact{Value: "none", Known: qkvW || oW || mlpW, Evidence: evb}
	case qkvB && oB && mlpB:
		evb.Note = "attention and MLP linears all have biases"
		a.Bias = StringFact{Value: "all", Known: true, Evidence: evb}
	case qkvB && !oB && !mlpB:
		evb.Note = "only the Q, K, V projections have biases"
		a.Bias = StringFact{Value: "qkv", Known: true, Evidence: evb}
	default:
		var parts []string
		for _, p := range []struct {
			on   bool
			name string
		}{{qkvB, "Q/K/V"}, {oB, "attention output"}, {mlpB, "MLP"}} {
			if p.on {
				parts = append(parts, p.name)
			}
		}
		evb.Note = "biases on " + strings.Join(parts, ", ") + " only"
		a.Bias = StringFact{Value: "partial", Known: true, Evidence: evb}
	}

	if lm, ok := ix.global(RoleLMHead, false); ok && lm.DuplicateOf() != "" {
		a.TiedEmbeddings = BoolFact{Value: true, Known: true, Evidence: ev(lm, "stored again, a tied copy of "+lm.DuplicateOf()+" (counted once)")}
		if _, ok := configBoolNested(cfg, "tie_word_embeddings"); ok {
			a.TiedEmbeddings.Evidence.ConfigKey = "tie_word_embeddings"
		}
	} else if ok {
		a.TiedEmbeddings = BoolFact{Value: false, Known: true, Evidence: ev(lm, "a separate output matrix")}
		if tie, ok := configBoolNested(cfg, "tie_word_embeddings"); ok && tie {
			a.warn("config_mismatch", fmt.Sprintf("config.json tie_word_embeddings = true, but the checkpoint stores %s (a copy or an untied head)", lm.Name), "tie_word_embeddings", lm.Name)
		}
	} else {
		a.TiedEmbeddings = BoolFact{Value: true, Known: true, Evidence: Evidence{Note: "no lm_head tensor: the output layer reuses the token embedding"}}
		if tie, ok := configBoolNested(cfg, "tie_word_embeddings"); ok && !tie {
			a.problem("config_mismatch", "config.json tie_word_embeddings = false, but the checkpoint has no lm_head tensor", "tie_word_embeddings")
		} else if ok {
			a.TiedEmbeddings.Evidence.ConfigKey = "tie_word_embeddings"
		}
	}

	// Parallel blocks: the family's config key, else one norm per layer.
	if fam.Parallel != nil {
		if v, e, ok := fam.Parallel(cfg); ok {
			a.ParallelBlocks = BoolFact{Value: v, Known: true, Evidence: e}
			return
		}
	}
	idx := ix.layers[stack]
	if len(idx) == 0 {
		return
	}
	n := ix.normsIn[idx[0]]
	a.ParallelBlocks = BoolFact{Value: n == 1, Known: true, Evidence: Evidence{Tensor: ix.firstInLayer(stack, idx[0]), Note: fmt.Sprintf("%d norm(s) per layer", n)}}
}

// inferMoE describes routed and shared experts and which layers are dense.
func inferMoE(a *Architecture, ix *roleIndex, stack string, cfg *reader.Config) {
	if ix.anyExpert < 0 {
		return
	}
	anyExpert, moeLayers := &ix.roles[ix.anyExpert], ix.moeLayers
	var stacked *TensorRole
	if ix.stacked >= 0 {
		stacked = &ix.roles[ix.stacked]
	}
	m := &MoE{}
	switch {
	case ix.experts.n > 0:
		m.Experts = known(int64(ix.experts.n), Evidence{Tensor: anyExpert.Name, Note: fmt.Sprintf("%d distinct expert indices", ix.experts.n)})
	case stacked != nil:
		m.Experts = known(int64(stacked.LogicalShape[0]), ev(stacked, "leading dimension of the stacked experts"))
	default:
		m.Experts = unknown("expert tensors carry no index")
	}
	if rt, ok := ix.first(stack, false, RoleRouter); ok && len(rt.LogicalShape) == 2 && m.Experts.Known && int64(rt.LogicalShape[0]) != m.Experts.Value {
		a.problem("router_mismatch", fmt.Sprintf("router %s has %d rows for %d experts", rt.Name, rt.LogicalShape[0], m.Experts.Value), rt.Name)
	}
	a.crossCheck(&m.Experts, "routed experts", cfg, findings.Problem, keysExperts...)
	if v, k, ok := configInt(cfg, keysTopK...); ok {
		m.TopK = known(v, Evidence{ConfigKey: k})
	} else {
		m.TopK = unknown("top-k is only in config.json (num_experts_per_tok), which does not give it")
	}
	if e, ok := ix.first(stack, false, RoleExpertUp, RoleExpertGate); ok {
		out := expertOut(e, a.Hidden.Value)
		m.ExpertFFN = known(int64(out), ev(e, "output size of one routed expert's up/gate"))
	} else if e, ok := ix.first(stack, false, RoleExpertGateUp); ok {
		out := expertOut(e, a.Hidden.Value)
		m.ExpertFFN = known(int64(out/2), ev(e, "half the rows of a routed expert's fused gate_up"))
	}
	a.crossCheck(&m.ExpertFFN, "expert width", cfg, findings.Problem, keysExpertFF...)
	if s, ok := ix.first(stack, false, RoleSharedUp, RoleSharedGate); ok {
		out := expertOut(s, a.Hidden.Value)
		m.SharedFFN = known(int64(out), ev(s, "output size of the shared expert's up/gate"))
		if v, k, ok := configInt(cfg, keysShared...); ok {
			m.SharedExperts = known(v, Evidence{ConfigKey: k})
			if m.ExpertFFN.Known && int64(out) != v*m.ExpertFFN.Value {
				a.warn("config_mismatch", fmt.Sprintf("shared experts: config.json %s = %d × expert width %d = %d, the shared MLP is %d wide", k, v, m.ExpertFFN.Value, v*m.ExpertFFN.Value, out), k, s.Name)
			}
		} else if m.ExpertFFN.Known && m.ExpertFFN.Value > 0 && int64(out)%m.ExpertFFN.Value == 0 {
			m.SharedExperts = known(int64(out)/m.ExpertFFN.Value, ev(s, "shared width / expert width"))
		} else {
			m.SharedExperts = known(1, ev(s, "one shared MLP"))
		}
	} else {
		m.SharedExperts = known(0, Evidence{Note: "no shared expert tensors"})
		m.SharedFFN = known(0, Evidence{Note: "no shared expert tensors"})
	}
	for _, l := range ix.layers[stack] {
		if moeLayers[l] {
			m.MoELayers = append(m.MoELayers, l)
		} else {
			m.DenseLayers = append(m.DenseLayers, l)
		}
	}
	if m.DenseLayers == nil {
		m.DenseLayers = []int{}
	}
	if v, ok := cfg.Int("first_k_dense_replace"); ok && int(v) != len(m.DenseLayers) {
		a.warn("config_mismatch", fmt.Sprintf("config.json first_k_dense_replace = %d, the weights have %d dense layers", v, len(m.DenseLayers)), "first_k_dense_replace")
	}
	a.MoE = m
}

// inferMLA reads DeepSeek's multi-head latent attention ranks: q_a_proj is
// [q_lora_rank, h], kv_a_proj_with_mqa [kv_lora_rank + rope, h],
// kv_a_layernorm [kv_lora_rank], q_b_proj [A·(nope + rope), q_lora_rank],
// kv_b_proj [A·(nope + v), kv_lora_rank] (DeepSeek-V2 paper, section 2.1).
func inferMLA(a *Architecture, ix *roleIndex, stack string, cfg *reader.Config) {
	kvDown, ok := ix.first(stack, false, RoleMLAKVDown)
	if !ok {
		return
	}
	m := &MLA{}
	if qd, ok := ix.first(stack, false, RoleMLAQDown); ok {
		out, _, _ := outIn(qd)
		m.QLoRARank = known(int64(out), ev(qd, "rows of q_a_proj"))
	} else {
		m.QLoRARank = known(0, Evidence{Note: "no q_a_proj: Q is projected directly"})
	}
	a.crossCheck(&m.QLoRARank, "q_lora_rank", cfg, findings.Problem, "q_lora_rank")
	if n, ok := ix.first(stack, false, RoleMLAKVNorm); ok && len(n.LogicalShape) == 1 {
		m.KVLoRARank = known(int64(n.LogicalShape[0]), ev(n, "length of kv_a_layernorm"))
	}
	a.crossCheck(&m.KVLoRARank, "kv_lora_rank", cfg, findings.Problem, "kv_lora_rank")
	kvOut, _, _ := outIn(kvDown)
	if m.KVLoRARank.Known {
		m.QKRopeHeadDim = known(int64(kvOut)-m.KVLoRARank.Value, ev(kvDown, "rows of kv_a_proj_with_mqa - kv_lora_rank"))
	}
	a.crossCheck(&m.QKRopeHeadDim, "qk_rope_head_dim", cfg, findings.Problem, "qk_rope_head_dim")
	if v, k, ok := configInt(cfg, "qk_nope_head_dim"); ok {
		m.QKNopeHeadDim = known(v, Evidence{ConfigKey: k})
	} else if qu, ok := ix.first(stack, false, RoleMLAQUp); ok && a.Heads.Known && a.Heads.Value > 0 && m.QKRopeHeadDim.Known {
		out, _, _ := outIn(qu)
		m.QKNopeHeadDim = known(int64(out)/a.Heads.Value-m.QKRopeHeadDim.Value, ev(qu, "q_b_proj rows / heads - rope dim"))
	} else {
		m.QKNopeHeadDim = unknown("needs qk_nope_head_dim from config.json")
	}
	if ku, ok := ix.first(stack, false, RoleMLAKVUp); ok && a.Heads.Known && a.Heads.Value > 0 && m.QKNopeHeadDim.Known {
		out, _, _ := outIn(ku)
		m.VHeadDim = known(int64(out)/a.Heads.Value-m.QKNopeHeadDim.Value, ev(ku, "kv_b_proj rows / heads - nope dim"))
	}
	a.crossCheck(&m.VHeadDim, "v_head_dim", cfg, findings.Problem, "v_head_dim")
	if m.QKNopeHeadDim.Known && m.QKRopeHeadDim.Known {
		a.HeadDim = known(m.QKNopeHeadDim.Value+m.QKRopeHeadDim.Value, Evidence{Note: "MLA query/key head size: qk_nope_head_dim + qk_rope_head_dim"})
	}
	if a.Heads.Known {
		a.KVHeads = known(a.Heads.Value, Evidence{ConfigKey: a.Heads.Evidence.ConfigKey, Note: "multi-head latent attention: kv_b_proj expands the latent to every head"})
	}
	a.MLA = m
}

// inferExtras lists the modules kept apart from the language model.
func inferExtras(a *Architecture, ix *roleIndex) {
	a.Extras = ix.extras
	sort.SliceStable(a.Extras, func(i, j int) bool { return a.Extras[i].Name < a.Extras[j].Name })
}
