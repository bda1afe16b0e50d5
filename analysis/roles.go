package analysis

import (
	"slices"
	"strings"
	"sync"

	"github.com/paramscope/paramscope/analysis/quant"
	"github.com/paramscope/paramscope/reader"
)

// layerContainer reports whether a path component holds numbered layers in the
// Hugging Face exports: "h" (GPT-2, BLOOM, Falcon, GPT-J), "layers" (Llama,
// NeoX, OPT), "layer" (BERT), "block"/"blocks" (T5, others), "blk" (GGUF
// names carried into safetensors by converters).
func layerContainer(c string) bool {
	switch c {
	case "h", "layers", "layer", "block", "blocks", "blk":
		return true
	}
	return false
}

// nameParts is a tensor name split into where it lives and what it is. The
// strings are slices of the name wherever possible: AssignRoles parses
// every tensor of checkpoints with ~100,000 of them.
type nameParts struct {
	prefix string // the path before the layer container, or the whole stem outside layers
	layer  int    // -1 outside layers
	sub    string // path after the layer index without the last component; experts as "*"
	full   string // path after the layer index with the last component; experts as "*"
	stem   string // the whole name without its last component
	param  string // the last component, gamma/beta spelled weight/bias
	expert int    // routed expert index, or -1
	// tp is full's entry in the interner that parsed the name (nil without
	// one, and outside layers).
	tp *template
}

// template is what the tensors sharing a path inside their layer (full,
// with a routed expert's index written "*") have in common: DeepSeek-V3's
// ~92,000 tensors have a few dozen. AssignRoles decides a template's role
// once.
type template struct {
	full    string
	sub     string // full without its last component (nameParts.sub)
	role    Role
	hasRole bool // role is decided
	checked bool // detectFamily searched full for the families' markers
	lm      bool // a tensor of the language model (no extra module) has it
	// fam is the family AssignRoles chose, set in the first row's
	// template only (familyOf).
	fam *Family
	// sib is the template of the same path with the last component
	// sibLast (a weight's "weight_scale_inv" beside its "weight"): the
	// last one parseRoles' same-stem shortcut went to from this one.
	sib     *template
	sibLast string
}

// newTemplate makes the template of a path inside a layer.
func newTemplate(full string) *template {
	t := &template{full: full}
	if dot := strings.LastIndexByte(full, '.'); dot >= 0 {
		t.sub = full[:dot]
	}
	return t
}

// interner hands out one copy of each path parseName builds (a routed
// expert's path with its index starred, a renamed parameter), so that the
// 256 experts × 58 layers of DeepSeek-V3 share one string per matrix rather
// than allocating one per tensor, and one template per path inside a layer.
type interner struct {
	m   map[string]*template
	buf []byte

	// The last name whose layer parseNameWith found by scanning, the end
	// of its layer index (with the dot), and what the scan gave.
	prevName   string
	prevEnd    int
	prevPrefix string
	prevLayer  int

	// experts caches the templates of routed-expert paths by the two
	// slices of the name they are made of (the path up to "experts." and
	// the rest after the index), so the usual handful of expert matrices
	// skip building the path and hashing it.
	experts [8]expertEntry

	// prevBefore is the path up to and with "experts." that findExpert
	// last found (a slice of that name), "" when it found none.
	prevBefore string
}

// findExpert is the package's findExpert, trying first where the previous
// name's expert index was: a path that repeats the previous one up to its
// "experts." has its first "experts.N" there too, as no earlier occurrence
// qualified in the same bytes (and "experts." cannot overlap itself), as
// long as N is an index again.
func (in *interner) findExpert(sub string) (e int, before, after string, ok bool) {
	if in == nil {
		return findExpert(sub)
	}
	if b := len(in.prevBefore); b > 0 && len(sub) > b && sub[:b] == in.prevBefore {
		n := sub[b:]
		idx := n
		if dot := strings.IndexByte(n, '.'); dot >= 0 {
			idx = n[:dot]
		}
		if e, ok := index(idx); ok {
			return e, sub[:b], n[len(idx):], true
		}
	}
	e, before, after, ok = findExpert(sub)
	in.prevBefore = before
	return e, before, after, ok
}

// expertEntry is one slot of interner.experts.
type expertEntry struct {
	before, tail string
	tp           *template
}

// expertTemplate returns the template of before + "*" + after + "." +
// last, where tail = after + "." + last is a slice of the name.
func (in *interner) expertTemplate(before, after, last, tail string) *template {
	// The slot: tails differ in length and first letter (".gate_proj",
	// ".up_proj", ".down_proj" with ".weight" or ".weight_scale_inv").
	h := len(tail)
	if len(tail) > 1 {
		h += int(tail[1])
	}
	e := &in.experts[h%len(in.experts)]
	if e.tp != nil && e.tail == tail && e.before == before {
		return e.tp
	}
	t := in.joinTemplate(before, "*", after, ".", last)
	*e = expertEntry{before: before, tail: tail, tp: t}
	return t
}

func newInterner() *interner { return &interner{m: map[string]*template{}} }

// join returns a + b + c + d + e, the interned copy when in is not nil.
func (in *interner) join(a, b, c, d, e string) string {
	if in == nil {
		return a + b + c + d + e
	}
	return in.joinTemplate(a, b, c, d, e).full
}

// joinTemplate returns the template of the path a + b + c + d + e.
func (in *interner) joinTemplate(a, b, c, d, e string) *template {
	in.buf = append(append(append(append(append(in.buf[:0], a...), b...), c...), d...), e...)
	// The lookup with string(buf) does not allocate.
	if t, ok := in.m[string(in.buf)]; ok {
		return t
	}
	t := newTemplate(string(in.buf))
	in.m[t.full] = t
	return t
}

// template returns the entry of a path inside a layer, adding it when new;
// full is kept as the key, so it should be a slice of a name or an interned
// string, never a temporary.
func (in *interner) template(full string) *template {
	if t, ok := in.m[full]; ok {
		return t
	}
	t := newTemplate(full)
	in.m[full] = t
	return t
}

// parseName splits a tensor name on dots.
func parseName(name string) nameParts { return parseNameWith(name, nil) }

// parseNameWith is parseName, with the strings it has to build interned
// in in (when not nil) and the layer path's template set.
func parseNameWith(name string, in *interner) nameParts {
	p := nameParts{layer: -1, expert: -1}
	dot := strings.LastIndexByte(name, '.')
	if dot < 0 {
		p.stem, p.prefix = name, name
		return p
	}
	stem, last := name[:dot], name[dot+1:]
	renamed, projBias := false, false
	if m, ok := strings.CutSuffix(last, "_proj_bias"); ok {
		// gpt-oss names its stacked expert biases gate_up_proj_bias: read
		// them as gate_up_proj.bias.
		stem, last, renamed, projBias = in.join(name[:dot+1], m, "_proj", "", ""), "bias", true, true
	}
	switch last {
	case "gamma":
		last, renamed = "weight", true
	case "beta":
		last, renamed = "bias", true
	}
	p.stem, p.param = stem, last
	// A name that repeats the previous one up to and including its layer
	// index ("model.layers.12.") has the same prefix and layer: the scan
	// below would read the same components. Its stem must reach past that
	// index, as the previous one's did for the scan to find it.
	if in != nil && in.prevEnd > 0 && !projBias && dot >= in.prevEnd && name[:in.prevEnd] == in.prevName[:in.prevEnd] {
		p.prefix, p.layer = in.prevPrefix, in.prevLayer
		inLayer(&p, in, name, stem, last, renamed, in.prevEnd)
		return p
	}
	for start := 0; start < len(stem); {
		end := strings.IndexByte(stem[start:], '.')
		if end < 0 {
			break
		}
		c := stem[start : start+end]
		idxStart := start + end + 1
		if !layerContainer(c) {
			start = idxStart
			continue
		}
		idx, _, _ := strings.Cut(stem[idxStart:], ".")
		if n, ok := index(idx); ok {
			p.prefix = strings.TrimSuffix(stem[:start], ".")
			p.layer = n
			end := idxStart + len(idx) + 1 // past the index and its dot
			if in != nil && !projBias && end <= len(stem) {
				in.prevName, in.prevEnd, in.prevPrefix, in.prevLayer = name, end, p.prefix, n
			}
			inLayer(&p, in, name, stem, last, renamed, end)
			return p
		}
		start = idxStart
	}
	p.prefix = stem
	return p
}

// inLayer fills in the path inside the layer of a name whose layer index
// ends (with its dot) at end: sub, full, the routed expert and, with an
// interner, the template.
func inLayer(p *nameParts, in *interner, name, stem, last string, renamed bool, end int) {
	sub := ""
	if end <= len(stem) {
		sub = stem[end:]
	}
	if e, before, after, ok := in.findExpert(sub); ok {
		// The path with the index starred, and the full path with it: sub
		// is the start of full.
		p.expert = e
		switch {
		case in == nil:
			p.full = before + "*" + after + "." + last
		case !renamed:
			// after + "." + last ends the name.
			p.tp = in.expertTemplate(before, after, last, name[len(name)-len(after)-1-len(last):])
			p.full = p.tp.full
		default:
			p.tp = in.joinTemplate(before, "*", after, ".", last)
			p.full = p.tp.full
		}
		p.sub = p.full[:len(before)+1+len(after)]
		return
	}
	p.sub = sub
	switch {
	case !renamed:
		p.full = name[end:] // a slice of the name, no copy
	case sub == "":
		p.full = last
	default:
		p.full = in.join(sub, ".", last, "", "")
	}
	if in != nil {
		p.tp = in.template(p.full)
	}
}

// findExpert finds "experts.N" on component boundaries in a path and
// returns N, the path up to N and the path after it.
func findExpert(sub string) (e int, before, after string, ok bool) {
	for from := 0; ; {
		i := strings.Index(sub[from:], "experts.")
		if i < 0 {
			return 0, "", "", false
		}
		i += from
		if i == 0 || sub[i-1] == '.' {
			n := sub[i+len("experts."):]
			idx, _, _ := strings.Cut(n, ".")
			if e, ok := index(idx); ok {
				return e, sub[:i+len("experts.")], n[len(idx):], true
			}
		}
		from = i + 1
	}
}

// full returns the tensor's path inside its layer (nameParts.full).
func (r *TensorRole) full() string {
	if r.tp != nil {
		return r.tp.full
	}
	return parseName(r.Name).full
}

// sub returns the tensor's path inside its layer without the last
// component (nameParts.sub).
func (r *TensorRole) sub() string {
	if r.tp != nil {
		return r.tp.sub
	}
	return parseName(r.Name).sub
}

// stem returns the tensor's name without its last component
// (nameParts.stem): a slice of the name but for gpt-oss's renamed
// "_proj_bias" tensors.
func (r *TensorRole) stem() string {
	if r.stemEnd > 0 {
		return r.Name[:r.stemEnd-1]
	}
	if strings.HasSuffix(r.Name, "_proj_bias") {
		return parseName(r.Name).stem
	}
	if dot := strings.LastIndexByte(r.Name, '.'); dot >= 0 {
		return r.Name[:dot]
	}
	return r.Name
}

// index parses a layer or expert index; it refuses huge values so a hostile
// name cannot make later code allocate per index.
func index(s string) (int, bool) {
	if s == "" || len(s) > 7 {
		return 0, false
	}
	// Digits only, checked by hand: strconv.Atoi allocates an error for
	// every component that is not a number, which is most of them.
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// stackOf names the stack from the path before the layers.
func stackOf(prefix string, inLayer bool) string {
	lc := strings.ToLower(prefix) // no copy when already lower case
	switch {
	case strings.Contains(lc, "vision") || strings.Contains(lc, "visual") || strings.Contains(lc, "image"):
		return "vision"
	case strings.Contains(lc, "audio"):
		return "audio"
	case strings.Contains(lc, "projector"):
		return "projector"
	}
	for rest := prefix; rest != ""; {
		var c string
		c, rest, _ = strings.Cut(rest, ".")
		switch c {
		case "encoder":
			return StackEncoder
		case "decoder":
			return StackDecoder
		}
	}
	if inLayer {
		return StackDecoder
	}
	return ""
}

// isExtraStack reports whether a stack is a module apart from the language
// model (vision tower, projector, audio encoder, MTP layers).
func isExtraStack(s string) bool {
	return s != "" && s != StackDecoder && s != StackEncoder
}

// bufferParams are last components that only buffers have: rotary
// inv_freq, BERT's position_ids, GPT-2's masked_bias, fairseq's
// _float_tensor.
var bufferParams = map[string]bool{"inv_freq": true, "position_ids": true, "masked_bias": true, "_float_tensor": true}

// AssignRoles gives every tensor a role, from the names of the family the
// checkpoint follows and, where names say nothing, from shapes. The result
// is in the order of tensors; nothing is dropped: a tensor no rule explains
// has RoleUnknown.
func AssignRoles(tensors []quant.Tensor, cfg *reader.Config) []TensorRole {
	return assignRoles(tensors, cfg, make([]TensorRole, len(tensors)))
}

// assignRoles is AssignRoles writing into out, zeroed rows of
// len(tensors) that analyze may have allocated (and faulted in) early.
func assignRoles(tensors []quant.Tensor, cfg *reader.Config, out []TensorRole) []TensorRole {
	out, _ = assignRolesIndexed(tensors, cfg, out, false)
	return out
}

// assignRolesIndexed is assignRoles, also returning, when index is true,
// the roleIndex of the result (newRoleIndex(out, mainStack(out))) walked
// row by row while the rows were placed; nil when index is false or
// fillByShape changed roles after that walk.
func assignRolesIndexed(tensors []quant.Tensor, cfg *reader.Config, out []TensorRole, index bool) ([]TensorRole, *roleIndex) {
	// Parsing the names is most of the work; large checkpoints split it in
	// two halves, one per goroutine, each with its own interner (so a
	// template may exist twice, with the same path and the same role).
	var halves [2]parsed
	if n := len(tensors); n >= parallelNames {
		var wg sync.WaitGroup
		wg.Go(func() { halves[0] = parseRoles(out[:n/2], tensors[:n/2]) })
		halves[1] = parseRoles(out[n/2:], tensors[n/2:])
		wg.Wait()
	} else {
		halves[0] = parseRoles(out, tensors)
	}
	// The family: the markers searched in what parseRoles gathered, as
	// detectFamily would search the names one by one.
	fs := newFamSearch()
	for _, h := range halves {
		for _, s := range h.names {
			fs.check(s)
		}
		if h.in != nil {
			for _, t := range h.in.m {
				if t.lm {
					fs.check(t.full)
				}
			}
		}
	}
	fam := fs.family(cfg)
	mtp := newMTPLayers(cfg, halves[0].ehLayers, halves[1].ehLayers)
	// The same halves again: each half's tensors hold templates of their
	// own interner only, so the goroutines never share one.
	var scans [2]*roleScan
	if index {
		stack := placedMainStack(out, &mtp)
		scans[0] = newRoleScan(out, 0, stack)
		if len(out) >= parallelNames {
			scans[1] = newRoleScan(out, len(out)/2, stack)
		}
	}
	var unplaced bool
	if n := len(out); n >= parallelNames {
		var wg sync.WaitGroup
		var first bool
		wg.Go(func() { first = placeRoles(out[:n/2], 0, fam, &mtp, scans[0]) })
		unplaced = placeRoles(out[n/2:], n/2, fam, &mtp, scans[1])
		wg.Wait()
		unplaced = unplaced || first
	} else {
		unplaced = placeRoles(out, 0, fam, &mtp, scans[0])
	}
	var ix *roleIndex
	if unplaced {
		fillByShape(out)
	} else if index {
		ix = scans[0].ix
		if scans[1] != nil {
			ix.merge(scans[1].ix)
		}
		ix.sortLayers()
	}
	// The family rides on the first row's template. A row outside layers
	// has none; an empty one reads as its path inside no layer ("", as
	// parseName gives for it).
	if len(out) > 0 {
		if out[0].tp == nil {
			out[0].tp = &template{}
		}
		out[0].tp.fam = fam
	}
	return out, ix
}

// placedMainStack is what mainStack will say of parsed rows once
// placeRoles has moved the MTP layers out of the decoder (it changes no
// other row's stack): the decoder when a decoder layer stays in it. With
// mtp nil it is mainStack.
func placedMainStack(out []TensorRole, mtp *mtpLayers) string {
	for i := range out {
		r := &out[i]
		if r.Stack == StackDecoder && r.Layer >= 0 && (mtp == nil || !mtp.has(r.Layer)) {
			return StackDecoder
		}
	}
	for i := range out {
		r := &out[i]
		if r.Stack == StackEncoder && r.Layer >= 0 {
			return StackEncoder
		}
	}
	return StackDecoder
}

// parallelNames is the number of tensors from which AssignRoles parses
// names on two goroutines; below it, starting one costs more than it saves.
const parallelNames = 8192

// placeRoles gives the parsed tensors of out their roles in family fam and
// moves the MTP layers' tensors to StackMTP; it reports whether a
// parameter is left without a role. When scan is not nil it walks each
// row once placed, as the row at off + its index in out.
func placeRoles(out []TensorRole, off int, fam *Family, mtp *mtpLayers, scan *roleScan) (unplaced bool) {
	for i := range out {
		r := &out[i]
		switch {
		case r.Kind == quant.Side:
			r.Role = RoleAux
		case r.Kind == quant.Buffer:
			r.Role = RoleBuffer
		case isExtraStack(r.Stack):
			r.Role = RoleOther
		case r.Layer >= 0:
			// The role depends on the path inside the layer alone: decide
			// it once per template.
			tp := r.tp
			if !tp.hasRole {
				tp.role, tp.hasRole = layerRole(fam, tp.full, tp.sub), true
			}
			r.Role = tp.role
		default:
			r.Role = globalRole(fam, r.stem())
		}
		if r.Role == RoleUnknown && isBufferShape(r.Tensor, r.Param) {
			r.Role = RoleBuffer
		}
		if fam.Transposed && len(r.LogicalShape) == 2 && isLinear(r.Role) {
			r.Transposed = true
		}
		// The role is decided as a decoder layer's; then the layer may
		// move to the MTP stack.
		if r.Stack == StackDecoder && r.Layer >= 0 && mtp.has(r.Layer) {
			r.Stack = StackMTP
		}
		if r.Role == RoleUnknown && r.Kind == quant.Parameter {
			unplaced = true
		}
		if scan != nil {
			scan.add(off+i, r)
		}
	}
	return unplaced
}

// parsed is what parseRoles gathers for detecting the family: the strings
// detectFamily would search (names outside layers, each run of names' path
// before and with the layer index) and the interner whose templates with
// lm set it would search too.
type parsed struct {
	names []string
	in    *interner
	// ehLayers are the decoder layers holding an eh_proj (mtpLayers).
	ehLayers []int
}

// parseRoles parses the names of tensors into out: the parameter, stack,
// layer, expert and template of each.
func parseRoles(out []TensorRole, tensors []quant.Tensor) parsed {
	in := newInterner()
	ps := parsed{in: in}
	var lastPrefix, lastStack string
	var lastInLayer, extra bool
	// The last few paths before the layer gathered: names alternate
	// between a handful (expert indices of one, two, three digits shift
	// where the path inside the layer starts).
	var recent [4]string
	next := 0
	for i := range tensors {
		t := &tensors[i]
		if i > 0 && sameStem(&out[i-1], t.Name) {
			// Half of DeepSeek-V3's names are the previous name with
			// another last component ("….up_proj.weight_scale_inv" after
			// "….up_proj.weight"): the same stack, layer, expert and path
			// before the last component, so the same strings gathered.
			r := &out[i-1]
			last := t.Name[r.stemEnd:]
			tp := in.sibling(r.tp, r.Param, r.Expert >= 0, t.Name, last)
			out[i] = TensorRole{Tensor: t, Role: RoleUnknown, Param: last, Stack: r.Stack, Layer: r.Layer, Expert: r.Expert, stemEnd: r.stemEnd, tp: tp}
			if tp.sub == "eh_proj" && lastStack == StackDecoder {
				ps.ehLayers = append(ps.ehLayers, r.Layer)
			}
			if !extra {
				tp.lm = true
			}
			continue
		}
		p := parseNameWith(t.Name, in)
		// Most tensors share the path before their layers: decide its
		// stack once.
		if p.prefix != lastPrefix || (p.layer >= 0) != lastInLayer || i == 0 {
			lastPrefix, lastInLayer = p.prefix, p.layer >= 0
			lastStack = stackOf(p.prefix, lastInLayer)
			extra = isExtraStack(lastStack)
		}
		out[i] = TensorRole{Tensor: t, Role: RoleUnknown, Param: p.param, Stack: lastStack, Layer: p.layer, Expert: p.expert, tp: p.tp}
		// The stem is the start of the name unless a parameter was
		// renamed into it (gpt-oss's "_proj_bias").
		if n := len(p.stem); n < len(t.Name) && n < 1<<30 && t.Name[:n] == p.stem && t.Name[n] == '.' {
			out[i].stemEnd = int32(n + 1)
		}
		if p.tp != nil && p.tp.sub == "eh_proj" && lastStack == StackDecoder {
			ps.ehLayers = append(ps.ehLayers, p.layer)
		}
		// A vision tower's names (CLIP, SigLIP) must not choose the
		// language model's family.
		switch {
		case extra:
		case p.layer < 0:
			ps.names = append(ps.names, t.Name)
		default:
			s := t.Name[:len(t.Name)-len(p.full)]
			if s != recent[0] && s != recent[1] && s != recent[2] && s != recent[3] {
				recent[next], next = s, (next+1)%len(recent)
				ps.names = append(ps.names, s)
			}
			p.tp.lm = true
		}
	}
	return ps
}

// sameStem reports whether name is the name of the layer row prev but
// for its last component, neither name's renamed: parseName would give it
// prev's prefix, layer, expert, sub and stem.
func sameStem(prev *TensorRole, name string) bool {
	n := int(prev.stemEnd)
	if prev.tp == nil || prev.Layer < 0 || n <= 0 || len(name) <= n || len(prev.Name) < n {
		return false
	}
	if name[:n] != prev.Name[:n] || strings.IndexByte(name[n:], '.') >= 0 || prev.Param != prev.Name[n:] {
		return false
	}
	switch last := name[n:]; last {
	case "gamma", "beta":
		return false
	default:
		return !strings.HasSuffix(last, "_proj_bias")
	}
}

// sibling returns the template of a name with the same stem as that of a
// row with template tp and last component param (not renamed), and last
// component last: tp.sib when it is that, else the template parseNameWith
// would give, kept as tp.sib.
func (in *interner) sibling(tp *template, param string, expert bool, name, last string) *template {
	if tp.sib != nil && tp.sibLast == last {
		return tp.sib
	}
	var t *template
	if expert {
		// full is the starred path (sub) and the last component.
		t = in.joinTemplate(tp.sub, ".", last, "", "")
	} else {
		// full is a slice of the name, from where the previous one's began.
		t = in.template(name[len(name)-len(last)-(len(tp.full)-len(param)):])
	}
	tp.sib, tp.sibLast = t, last
	return t
}

// layerRole looks a layer tensor up in the family's names: the full path
// first (buffers named like parameters, GPT-2's attn.bias), then the path
// without its last component.
func layerRole(fam *Family, full, sub string) Role {
	if r, ok := fam.Layer[full]; ok {
		return r
	}
	if r, ok := fam.Layer[sub]; ok {
		return r
	}
	if strings.Contains(sub, "experts") {
		return expertRoleByName(sub)
	}
	return RoleUnknown
}

// expertRoleByName places expert tensors of families not registered, from
// the usual words (stacked [E, ...] experts such as experts.gate_up_proj).
func expertRoleByName(sub string) Role {
	shared := strings.Contains(sub, "shared")
	last := sub[strings.LastIndex(sub, ".")+1:]
	switch {
	case strings.Contains(last, "gate_up"):
		if shared {
			return RoleUnknown
		}
		return RoleExpertGateUp
	case strings.Contains(last, "gate") || last == "w1":
		if shared {
			return RoleSharedGate
		}
		return RoleExpertGate
	case strings.Contains(last, "up") || last == "w3":
		if shared {
			return RoleSharedUp
		}
		return RoleExpertUp
	case strings.Contains(last, "down") || last == "w2":
		if shared {
			return RoleSharedDown
		}
		return RoleExpertDown
	}
	return RoleUnknown
}

// globalRole matches a tensor outside layers against the family's suffixes,
// then the generic ones, on whole path components.
func globalRole(fam *Family, stem string) Role {
	for _, rules := range [][]GlobalRule{fam.Global, famGeneric.Global} {
		for _, g := range rules {
			if stem == g.Suffix || strings.HasSuffix(stem, "."+g.Suffix) {
				return g.Role
			}
		}
	}
	return RoleUnknown
}

// isBufferShape recognises buffers that exports store beside parameters:
// rotary inv_freq, position_ids, masked_bias, boolean masks and 4-D
// "bias" causal masks ([1, 1, n_ctx, n_ctx] in GPT-2 and GPT-Neo).
func isBufferShape(t *quant.Tensor, param string) bool {
	if bufferParams[param] {
		return true
	}
	if t.DType == reader.BOOL {
		return true
	}
	return param == "bias" && len(t.Shape) == 4
}

// isLinear reports whether a role is a linear layer's weight or bias.
func isLinear(r Role) bool {
	switch r {
	case RoleAttnQ, RoleAttnK, RoleAttnV, RoleAttnO, RoleAttnQKV,
		RoleMLAQDown, RoleMLAQUp, RoleMLAKVDown, RoleMLAKVUp,
		RoleMLPUp, RoleMLPGate, RoleMLPDown, RoleMLPGateUp,
		RoleExpertUp, RoleExpertGate, RoleExpertDown, RoleExpertGateUp,
		RoleSharedUp, RoleSharedGate, RoleSharedDown, RoleRouter, RoleLMHead:
		return true
	}
	return false
}

// mtpLayers are DeepSeek-V3's multi-token-prediction layers, which
// AssignRoles moves into StackMTP: the decoder layers at or past
// num_hidden_layers when num_nextn_predict_layers is declared, and any
// decoder layer holding an eh_proj (the MTP's projection of [embedding;
// hidden] back to h).
type mtpLayers struct {
	from     int64 // num_hidden_layers, when num_nextn_predict_layers > 0
	declared bool
	eh       []int // the layers with an eh_proj
}

func newMTPLayers(cfg *reader.Config, eh ...[]int) mtpLayers {
	var m mtpLayers
	if n, ok := cfg.Int("num_nextn_predict_layers"); ok && n > 0 {
		m.from, m.declared = cfg.Int("num_hidden_layers")
	}
	for _, e := range eh {
		m.eh = append(m.eh, e...)
	}
	return m
}

// has reports whether a decoder layer is an MTP layer.
func (m *mtpLayers) has(layer int) bool {
	return (m.declared && int64(layer) >= m.from) || slices.Contains(m.eh, layer)
}

// fillByShape gives roles by shape (shapeRoles) to parameters no name
// placed (AssignRoles calls it when there are any), once the hidden size is known from the token embedding or, lacking
// one, from the most common vector length in the layers.
func fillByShape(out []TensorRole) {
	var h uint64
	for _, r := range out {
		if r.Role == RoleTokenEmbedding && len(r.LogicalShape) == 2 {
			h = r.LogicalShape[1]
			break
		}
	}
	if h == 0 {
		count := map[uint64]int{}
		for _, r := range out {
			if r.Layer >= 0 && len(r.LogicalShape) == 1 {
				count[r.LogicalShape[0]]++
			}
		}
		best := 0
		for n, c := range count {
			if c > best || (c == best && n > h) {
				h, best = n, c
			}
		}
	}
	type key struct {
		stack string
		layer int
	}
	layers := map[key][]*TensorRole{}
	var keys []key
	for i := range out {
		r := &out[i]
		if r.Layer < 0 || r.Kind != quant.Parameter {
			continue
		}
		k := key{r.Stack, r.Layer}
		if _, ok := layers[k]; !ok {
			keys = append(keys, k)
		}
		layers[k] = append(layers[k], r)
	}
	for _, k := range keys {
		unknown := false
		for _, r := range layers[k] {
			if r.Role == RoleUnknown {
				unknown = true
			}
		}
		if unknown {
			shapeRoles(layers[k], h)
		}
	}
	// Outside layers: the largest unplaced [x, h] matrix is the embedding
	// when no name gave one.
	hasEmb := false
	for _, r := range out {
		if r.Role == RoleTokenEmbedding {
			hasEmb = true
		}
	}
	if !hasEmb && h > 0 {
		best := -1
		for i, r := range out {
			if r.Layer < 0 && r.Role == RoleUnknown && r.Kind == quant.Parameter && len(r.LogicalShape) == 2 && r.LogicalShape[1] == h {
				if best < 0 || r.LogicalShape[0] > out[best].LogicalShape[0] {
					best = i
				}
			}
		}
		if best >= 0 {
			out[best].Role = RoleTokenEmbedding
		}
	}
}

// familyOf returns the family AssignRoles chose, or detects it again for
// roles built some other way.
func familyOf(roles []TensorRole, cfg *reader.Config) *Family {
	if len(roles) > 0 && roles[0].tp != nil && roles[0].tp.fam != nil {
		return roles[0].tp.fam
	}
	return detectFamily(len(roles), func(i int) famName { return famNameOf(roles[i].Name) }, cfg)
}

// Unclassified returns the tensors no rule placed, for listing.
func Unclassified(roles []TensorRole) []TensorRole {
	var out []TensorRole
	for i := range roles {
		r := &roles[i]
		if r.Role == RoleUnknown {
			out = append(out, *r)
		}
	}
	return out
}
