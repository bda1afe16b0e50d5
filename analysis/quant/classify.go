package quant

import (
	"fmt"
	"math"
	"math/bits"
	"sort"
	"strconv"
	"strings"
	"unsafe"

	"github.com/paramscope/paramscope/analysis/findings"
	"github.com/paramscope/paramscope/reader"
)

// Scheme names used in Tensor.Scheme.
const (
	SchemeGPTQ       = "gptq"
	SchemeAWQ        = "awq"
	SchemeCompressed = "compressed-tensors"
	SchemeBnB4       = "bitsandbytes-4bit"
	SchemeBnBNF4     = "bitsandbytes-nf4"
	SchemeBnBFP4     = "bitsandbytes-fp4"
	SchemeBnB8       = "bitsandbytes-int8"
	SchemeMXFP4      = "mxfp4"
	SchemeNVFP4      = "nvfp4"
	SchemeFP8        = "fp8"
	SchemeFP8Block   = "fp8-block"
	SchemeFP4Experts = "fp4-experts"
	SchemeMLX        = "mlx-affine"
	SchemeInt8       = "int8"
	SchemeUnknown    = "unknown"
)

// classifier holds the state of one Classify call.
type classifier struct {
	cfg *reader.Config
	q   *qconfig
	src []reader.Tensor
	out []Tensor
	// dups is set when two tensors share a name (buildTable finds it).
	dups bool
	// cursor is, per leaf code, the index of the last tensor at found.
	cursor [numLeafCodes]int32
	// codes holds each tensor's leaf code, with doneBit once a rule has
	// placed it.
	codes []leafCode
	// present has bit c set when some tensor's leaf code is c: a question
	// about a leaf no tensor has needs no lookup.
	present uint64
	// table indexes tensors by name (index+1, 0 empty); mask is its size-1.
	// It is built on the first lookup that present cannot answer.
	table   []uint32
	mask    uint32
	idxBits uint
	touched uint32 // keeps buildTable's early loads from being optimized away
	// tableWait is closed when startTable's goroutine has built the
	// table; tableReady is set once ensureTable has made it usable.
	tableWait  chan struct{}
	tableReady bool
	// mode says how at answers lookups (see lookup); guessed records that
	// an optimistic answer was given before the table had said whether
	// names are unique, so that Classify starts over without guessing if
	// they are not.
	mode    lookup
	guessed bool
	// scanned is how many codes scan has passed over (ClassifyUnique).
	scanned int
	// lastDType and lastBits cache reader.DType.Bits (a map lookup) over
	// the long runs of one dtype.
	lastDType reader.DType
	lastBits  int
	// hasBlocks, hasScales and hasBnBState say whether some name ends in
	// "_blocks" or "_scales", or holds ".quant_state.bitsandbytes__", so
	// the passes test those rules only when they can apply.
	hasBlocks, hasScales, hasBnBState bool
	// anyFactor is set once some parameter has a PackFactor.
	anyFactor bool
	// blockNote is the FP8 block-scale note, built once.
	blockNote string
	// details interns the rows' shared fields (see setDetail);
	// packedDetail and sideDetail are the ones setPacked and setSide used
	// last.
	details                  map[detail]*detail
	packedDetail, sideDetail *detail
	// hubSums is the Hub's count, added up by summarize for hub.
	hubSums hubSums
	// rowSums is Result.Sums before sorting, added up by summarize.
	rowSums  rowSums
	findings []findings.Finding
	// bnbOwners are weights with bitsandbytes 4-bit state beside them.
	bnbOwners map[string]string // weight name → quant type from the quant_state name ("nf4", "fp4", "")
	// badPatterns collects config patterns outside the supported subset.
	badPatterns map[string]bool
	// derivedShapes counts bnb weights whose 2-D shape came from config.
	derivedShapes, flatShapes []string
	assumed                   []string // packed weights whose width was assumed
	anyQ                      int      // 0 unknown, 1 some parameter is quantized, 2 none
}

// doneBit marks a tensor some rule has placed, in classifier.codes.
const doneBit leafCode = 0x80

// bnbStateMark is the part of a bitsandbytes quant_state's name that
// follows the weight's name.
const bnbStateMark = ".quant_state.bitsandbytes__"

// prefaultRows is the number of tensors from which newClassifier faults
// in the rows' memory ahead of its loop: ~1 MB of rows, where page faults
// start to show in a profile.
const prefaultRows = 8192

func newClassifier(tensors []reader.Tensor, cfg *reader.Config, mode lookup) *classifier {
	c := &classifier{
		mode:        mode,
		cfg:         cfg,
		q:           parseConfig(cfg),
		src:         tensors,
		out:         make([]Tensor, len(tensors)),
		codes:       make([]leafCode, len(tensors)),
		bnbOwners:   map[string]string{},
		badPatterns: map[string]bool{},
	}
	if len(tensors) >= prefaultRows {
		// Fault in the second half of the rows on the other core while
		// this loop writes the first (the pointer keeps them alive while
		// it runs).
		go prefaultTail(unsafe.Pointer(unsafe.SliceData(c.out)), len(c.out)*int(unsafe.Sizeof(Tensor{})))
	}
	if mode != lookupUnique {
		c.startTable()
	}
	for i := range tensors {
		t := &tensors[i]
		// Field by field: the slice is zeroed already, and assigning a whole
		// struct copies (with write barriers) 64 bytes per tensor.
		o := &c.out[i]
		o.Tensor = t
		o.Kind = Parameter
		o.LogicalShape = t.Shape
		o.LogicalParams = t.Elements()
		name := t.Name
		leaf := name[strings.LastIndexByte(name, '.')+1:]
		code := codeOf(leaf)
		c.codes[i] = code
		c.present |= 1 << code
		switch code {
		case leafOther:
			if strings.HasSuffix(leaf, "_blocks") {
				c.hasBlocks = true
			} else if strings.HasSuffix(leaf, "_scales") {
				c.hasScales = true
			}
		case leafAbsmax:
			if owner, ok := strings.CutSuffix(name, ".absmax"); ok && strings.HasSuffix(owner, ".weight") && !strings.HasSuffix(owner, ".nested") {
				if _, seen := c.bnbOwners[owner]; !seen {
					c.bnbOwners[owner] = ""
				}
			}
		}
		// Most names have no 'b' at all ("weight", "layers", "proj"); a
		// byte search rules the mark out far faster than a substring one.
		if strings.IndexByte(name, 'b') >= 0 && strings.Contains(name, bnbStateMark) {
			c.hasBnBState = true
			owner, rest, _ := strings.Cut(name, bnbStateMark)
			c.bnbOwners[owner] = strings.ToLower(rest)
		}
	}
	return c
}

// done reports whether a rule has placed tensor i.
func (c *classifier) done(i int) bool { return c.codes[i]&doneBit != 0 }

// code returns the leaf code of tensor i.
func (c *classifier) code(i int) leafCode { return c.codes[i] &^ doneBit }

func (c *classifier) add(level findings.Level, code, msg string, evidence ...string) {
	c.findings = append(c.findings, findings.Finding{Level: level, Code: code, Message: msg, Evidence: evidence})
}

// split returns the module path and the last dotted component of a name.
func split(name string) (module, leaf string) {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[:i], name[i+1:]
	}
	return "", name
}

// containerBits is the width of an integer dtype that packed values are
// stored in; 0 for anything else.
func containerBits(d reader.DType) int {
	switch d {
	case reader.U8, reader.I8:
		return 8
	case reader.U16, reader.I16:
		return 16
	case reader.U32, reader.I32:
		return 32
	}
	return 0
}

// lowPrecisionFloat reports the 8-, 6- and 4-bit float dtypes, which hold one
// quantized value per element.
func lowPrecisionFloat(d reader.DType) bool {
	switch d {
	case reader.F8_E4M3, reader.F8_E5M2, reader.F8_E4M3FNUZ, reader.F8_E5M2FNUZ, reader.F4, reader.F6_E2M3, reader.F6_E3M2:
		return true
	}
	return false
}

// fraction formats num/den reduced ("8", "32/3").
func fraction(num, den uint64) string {
	g := gcd(num, den)
	num, den = num/g, den/g
	if den == 1 {
		return strconv.FormatUint(num, 10)
	}
	return strconv.FormatUint(num, 10) + "/" + strconv.FormatUint(den, 10)
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	if a == 0 {
		return 1
	}
	return a
}

// scaleDim returns d·num/den when it is exact and does not overflow.
func scaleDim(d, num, den uint64) (uint64, bool) {
	hi, lo := bits.Mul64(d, num)
	if hi != 0 || den == 0 || lo%den != 0 {
		return 0, false
	}
	return lo / den, true
}

// setPacked marks tensor i as a quantized parameter with a logical shape.
func (c *classifier) setPacked(i int, scheme string, logical []uint64, valueBits int, factor, packing, note string) {
	t := &c.out[i]
	n := uint64(1)
	for _, d := range logical {
		hi, lo := bits.Mul64(n, d)
		if hi != 0 {
			c.add(findings.Warning, "logical_shape_overflow", fmt.Sprintf("tensor %q: logical shape %v overflows 64 bits; counted at its stored size", t.Name, logical), t.Name)
			logical, n = t.Shape, t.Elements()
			factor, packing = "", ""
			break
		}
		n = lo
	}
	t.Kind = Parameter
	t.LogicalShape = logical
	t.LogicalParams = n
	if factor != "" {
		c.anyFactor = true
	}
	t.of, t.ofLen = t.Tensor, 0
	// Long runs of weights are packed alike: compare with the detail used
	// last field by field, without building one (see setDetail).
	if p := c.packedDetail; p != nil && p.scheme == scheme && p.bits == valueBits && p.packFactor == factor && p.packing == packing && p.note == note {
		t.d = p
	} else {
		c.packedDetail = c.setDetail(t, detail{scheme: scheme, bits: valueBits, packFactor: factor, packing: packing, note: note})
	}
	c.codes[i] |= doneBit
}

// setSide marks tensor i as a quantization side tensor of owner; o is the
// tensor called owner when the caller has it (nil otherwise).
func (c *classifier) setSide(i int, scheme, owner string, o *reader.Tensor, note string) {
	t := &c.out[i]
	t.Kind = Side
	t.LogicalShape = nil
	t.LogicalParams = 0
	t.of, t.ofLen = nil, 0
	switch {
	case owner == "":
	case o != nil && o.Name == owner:
		t.of = o
	case len(owner) <= len(t.Name) && len(owner) <= math.MaxUint32 && t.Name[:len(owner)] == owner:
		t.ofLen = uint32(len(owner))
	default:
		c.setDetail(t, detail{scheme: scheme, note: note, of: owner})
		c.codes[i] |= doneBit
		return
	}
	// As in setPacked: runs of side tensors alike.
	if p := c.sideDetail; p != nil && p.scheme == scheme && p.note == note {
		t.d = p
	} else {
		c.sideDetail = c.setDetail(t, detail{scheme: scheme, note: note})
	}
	c.codes[i] |= doneBit
}

// setBuffer marks tensor i as a buffer.
func (c *classifier) setBuffer(i int, note string) {
	t := &c.out[i]
	t.Kind = Buffer
	t.LogicalShape = nil
	t.LogicalParams = 0
	c.setDetail(t, detail{note: note})
	c.codes[i] |= doneBit
}

// setDetail points row t at the shared copy of d, the one in the
// classifier's map or else a new one, and returns it. Rows never write into
// a detail, so sharing it is safe. setPacked and setSide first compare with
// the detail they used last, field by field: each pass sets long runs of
// rows alike (~46,000 FP8 weights, then ~46,000 block scales in
// DeepSeek-V3), and building and comparing whole details (an out-of-line
// equality function) was 1.7% of an inspect's samples in perf.
//
// setPacked, setSide and setBuffer build d without reading the row's old
// detail: each row is set by one rule, before it is done (doneBit), and
// only unplaced and tied, which run after every rule, give a row a detail
// otherwise; until then it is nil. Reading it back made setPacked and
// setSide take 3.2 ms per DeepSeek-V3 classification instead of 1.4 (pprof
// of BenchmarkClassifyDeepSeekScale), in cache misses on rows the pass had
// not yet touched.
func (c *classifier) setDetail(t *Tensor, d detail) *detail {
	if d == (detail{}) {
		t.d = nil
		return nil
	}
	p := c.details[d]
	if p == nil {
		if c.details == nil {
			c.details = map[detail]*detail{}
		}
		// A new pointer only here: taking d's address would move every
		// call's d to the heap (92,000 allocations on DeepSeek-V3).
		p = new(detail)
		*p = d
		c.details[d] = p
	}
	t.d = p
	return p
}

// buffers recognises the non-parameter tensors some exports save from
// register_buffer: GPT-2/GPT-J causal masks attn.bias [1,1,n,n] (a linear's
// real bias is 1-D, so rank decides) and attn.masked_bias, GPT-NeoX's
// attention.bias and attention.masked_bias, rotary inv_freq, and
// position_ids (BERT-style embeddings).
func (c *classifier) buffers() {
	const leaves = 1<<leafInvFreq | 1<<leafPositionIDs | 1<<leafMaskedBias | 1<<leafBias
	if c.present&leaves == 0 {
		return
	}
	for i := range c.out {
		t := c.out[i].Tensor
		switch c.code(i) {
		case leafInvFreq:
			c.setBuffer(i, "rotary embedding inverse frequencies (a buffer recomputed from rope_theta)")
		case leafPositionIDs:
			if containerBits(t.DType) > 0 || t.DType == reader.I64 || t.DType == reader.U64 {
				c.setBuffer(i, "position index buffer (arange of the context length)")
			}
		case leafMaskedBias:
			c.setBuffer(i, "the constant used to mask attention scores (a buffer)")
		case leafBias:
			if len(t.Shape) >= 2 {
				if _, parentLeaf := split(c.moduleOf(i)); parentLeaf == "attn" || parentLeaf == "attention" {
					c.setBuffer(i, "causal attention mask stored as a buffer (a linear's bias would be 1-D)")
				}
			}
		}
	}
}

// packed finds the quantized weights of every scheme and gives them their
// logical shapes.
func (c *classifier) packed() {
	for i := range c.out {
		if c.done(i) {
			continue
		}
		t := c.out[i].Tensor
		switch code := c.code(i); {
		case code == leafQweight && containerBits(t.DType) == 32:
			c.gptqAWQ(i, c.moduleOf(i))
		case code == leafWeightPacked && containerBits(t.DType) > 0:
			c.compressed(i, c.moduleOf(i))
		case code == leafOther && c.hasBlocks && c.hasScales && strings.HasSuffix(t.Name, "_blocks") && t.DType == reader.U8 && c.get(strings.TrimSuffix(t.Name, "_blocks")+"_scales") != nil:
			c.mxfp4Blocks(i)
		case code == leafWeight:
			c.weight(i, c.moduleOf(i))
		}
	}
}

// gptqAWQ handles a qweight (AutoGPTQ, GPTQModel, AutoAWQ). GPTQ packs
// 32/bits values per I32 word along the input dim, so qweight is
// [in·bits/32, out] with scales [in/group, out] and g_idx [in]; AWQ packs
// along the output dim, so qweight is [in, out·bits/32] with scales
// [in/group, out] (AutoGPTQ's QuantLinear and AutoAWQ's WQLinear_GEMM
// buffers). The width comes from quantization_config.bits, or from the
// side tensors' shapes when config.json does not say.
func (c *classifier) gptqAWQ(i int, module string) {
	t := c.out[i].Tensor
	if len(t.Shape) != 2 {
		c.add(findings.Warning, "unplaced_tensor", fmt.Sprintf("tensor %q: a qweight of rank %d; GPTQ and AWQ store rank 2; counted at its stored size", t.Name, len(t.Shape)), t.Name)
		return
	}
	rows, cols := t.Shape[0], t.Shape[1]
	scales, gidx := c.at(i, module, leafScales), c.at(i, module, leafGIdx)
	method := ""
	if c.q.method == SchemeGPTQ || c.q.method == SchemeAWQ {
		method = c.q.method
	}
	how := "quant_method"
	if method == "" {
		// Without config: both layouts have scales [in/group, out]; GPTQ's
		// qweight shares its column count, AWQ's has bits/32 of it.
		switch {
		case scales != nil && len(scales.Shape) == 2 && scales.Shape[1] == cols:
			method, how = SchemeGPTQ, "qweight and scales share the output dim"
		case scales != nil && len(scales.Shape) == 2 && scales.Shape[1] > cols:
			method, how = SchemeAWQ, "scales have more columns than qweight (packed along the output dim)"
		case gidx != nil:
			method, how = SchemeGPTQ, "g_idx present"
		default:
			c.add(findings.Warning, "unknown_quant_layout", fmt.Sprintf("tensor %q: a qweight without quantization_config, scales or g_idx: cannot tell GPTQ from AWQ; counted at its stored size", t.Name), t.Name)
			return
		}
	}
	inferred, from := 0, ""
	if method == SchemeGPTQ && gidx != nil && len(gidx.Shape) == 1 && gidx.Shape[0] > 0 && (rows*32)%gidx.Shape[0] == 0 {
		inferred, from = int(rows*32/gidx.Shape[0]), "qweight rows × 32 / g_idx length"
	}
	if method == SchemeAWQ && scales != nil && len(scales.Shape) == 2 && scales.Shape[1] > 0 && (cols*32)%scales.Shape[1] == 0 {
		inferred, from = int(cols*32/scales.Shape[1]), "qweight columns × 32 / scales columns"
	}
	valueBits := c.q.bits
	if c.q.method != method {
		valueBits = 0
	}
	switch {
	case valueBits == 0 && inferred > 0:
		valueBits = inferred
	case valueBits == 0:
		valueBits = 4
		c.assumed = append(c.assumed, t.Name)
	case inferred > 0 && inferred != valueBits:
		c.add(findings.Warning, "bits_mismatch", fmt.Sprintf("tensor %q: quantization_config.bits is %d but the shapes give %d (%s); using the config", t.Name, valueBits, inferred, from), t.Name)
	}
	if valueBits <= 0 || valueBits >= 32 {
		c.add(findings.Warning, "unknown_quant_layout", fmt.Sprintf("tensor %q: %d-bit values cannot be packed in I32; counted at its stored size", t.Name, valueBits), t.Name)
		return
	}
	vb := uint64(valueBits)
	factor := fraction(32, vb)
	var logical []uint64
	var packing string
	if method == SchemeAWQ && c.q.method == SchemeAWQ && c.q.format != "" && c.q.format != "gemm" {
		// AutoAWQ's GEMV kernels lay qweight out by output rows (and
		// gemv_fast interleaves them); the count is the same words ×
		// 32/bits, the [out, in] orientation is not recoverable from the
		// header, so the shape is shown flat.
		n, ok := scaleDim(rows*cols, 32, vb)
		if !ok || cols != 0 && (rows*cols)/cols != rows {
			c.add(findings.Warning, "unknown_quant_layout", fmt.Sprintf("tensor %q: %v words × 32 / %d overflows", t.Name, t.Shape, vb), t.Name)
			return
		}
		logical = []uint64{n}
		packing = fmt.Sprintf("AWQ %s: %s %d-bit values per I32 word; qweight %v holds %d values (the %s layout's orientation is not unpacked: shown flat)", c.q.format, factor, valueBits, t.Shape, n, c.q.format)
		c.setPacked(i, method, logical, valueBits, factor, packing, "")
		return
	}
	if method == SchemeGPTQ {
		in, ok := scaleDim(rows, 32, vb)
		if !ok {
			c.add(findings.Warning, "unknown_quant_layout", fmt.Sprintf("tensor %q: %d rows × 32 / %d bits is not a whole input width", t.Name, rows, vb), t.Name)
			return
		}
		logical = []uint64{cols, in}
		packing = fmt.Sprintf("GPTQ: %s %d-bit values per I32 word along the input dim; qweight [in·%d/32, out] = %v is logically [out, in] = %v", factor, valueBits, valueBits, t.Shape, logical)
	} else {
		out, ok := scaleDim(cols, 32, vb)
		if !ok {
			c.add(findings.Warning, "unknown_quant_layout", fmt.Sprintf("tensor %q: %d columns × 32 / %d bits is not a whole output width", t.Name, cols, vb), t.Name)
			return
		}
		logical = []uint64{out, rows}
		packing = fmt.Sprintf("AWQ: %s %d-bit values per I32 word along the output dim; qweight [in, out·%d/32] = %v is logically [out, in] = %v", factor, valueBits, valueBits, t.Shape, logical)
	}
	note := ""
	if c.q.method != method {
		note = "scheme inferred from tensor shapes (" + how + ")"
		if from != "" {
			note += "; width from " + from
		}
	}
	c.setPacked(i, method, logical, valueBits, factor, packing, note)
}

// compressed handles compressed-tensors' pack-quantized weight_packed
// [out, in·bits/container] (the container is the dtype: I32 for int4/int8
// groups, U8 for nvfp4/mxfp4-pack-quantized). The width comes from the
// config group whose targets match the module (exact name, then "re:"
// pattern, then a class name such as "Linear"), then from the format
// string.
func (c *classifier) compressed(i int, module string) {
	t := c.out[i].Tensor
	cb := containerBits(t.DType)
	g := c.groupFor(module)
	format := c.q.format
	valueBits := 0
	if g != nil {
		valueBits = g.bits
		if g.format != "" {
			format = g.format
		}
	}
	if valueBits == 0 {
		valueBits = bitsFromFormat(format)
	}
	if valueBits == 0 {
		for _, og := range c.q.groups {
			if og.bits > 0 {
				valueBits = og.bits
				break
			}
		}
	}
	if valueBits == 0 {
		valueBits = 4
		c.assumed = append(c.assumed, t.Name)
	}
	if len(t.Shape) < 1 || valueBits >= cb {
		c.add(findings.Warning, "unknown_quant_layout", fmt.Sprintf("tensor %q: %d-bit values in %s of shape %v is not a packing paramscope knows; counted at its stored size", t.Name, valueBits, t.DType, t.Shape), t.Name)
		return
	}
	logical, ok := unpackLast(t.Shape, uint64(cb), uint64(valueBits))
	if !ok {
		c.add(findings.Warning, "unknown_quant_layout", fmt.Sprintf("tensor %q: last dim %d × %d / %d is not whole", t.Name, t.Shape[len(t.Shape)-1], cb, valueBits), t.Name)
		return
	}
	scheme := SchemeCompressed
	if format != "" {
		scheme += "/" + format
	}
	factor := fraction(uint64(cb), uint64(valueBits))
	packing := fmt.Sprintf("compressed-tensors %s: %s %d-bit values per %s along the input dim; weight_packed %v is logically [out, in] = %v (weight_shape holds the exact shape in its data, which is not read; with padding the last word may be partly empty)", orDash(format), factor, valueBits, t.DType, t.Shape, logical)
	note := ""
	if g != nil {
		note = "config group " + g.name
	}
	c.setPacked(i, scheme, logical, valueBits, factor, packing, note)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// groupFor returns the compressed-tensors config group that quantizes
// module, by compressed-tensors' precedence: an exact module name, then a
// "re:" pattern, then a class name.
func (c *classifier) groupFor(module string) *ctGroup {
	var byRe, byClass *ctGroup
	for gi := range c.q.groups {
		g := &c.q.groups[gi]
		for _, target := range g.targets {
			switch {
			case target == module:
				return g
			case strings.HasPrefix(target, "re:"):
				m, ok := targetMatch(target, module)
				if !ok {
					c.badPatterns[target] = true
				}
				if m && byRe == nil {
					byRe = g
				}
			case isClassName(target):
				if byClass == nil {
					byClass = g
				}
			}
		}
	}
	if byRe != nil {
		return byRe
	}
	return byClass
}

// unpackLast multiplies the last dim of shape by num/den.
func unpackLast(shape []uint64, num, den uint64) ([]uint64, bool) {
	if len(shape) == 0 {
		return nil, false
	}
	last, ok := scaleDim(shape[len(shape)-1], num, den)
	if !ok {
		return nil, false
	}
	out := append([]uint64(nil), shape...)
	out[len(out)-1] = last
	return out, true
}

// mxfp4Blocks handles gpt-oss' MXFP4 experts: X_blocks U8 [..., n_blocks,
// 16] holds 32 FP4 (E2M1) values per 16-byte block, two per byte, with one
// E8M0 exponent per block in X_scales [..., n_blocks] (OCP Microscaling
// Formats v1.0: block size 32).
func (c *classifier) mxfp4Blocks(i int) {
	t := c.out[i].Tensor
	r := len(t.Shape)
	if r < 2 {
		c.add(findings.Warning, "unknown_quant_layout", fmt.Sprintf("tensor %q: MXFP4 blocks of rank %d; expected [..., blocks, bytes]", t.Name, r), t.Name)
		return
	}
	vals, ok := scaleDim(t.Shape[r-2]*t.Shape[r-1], 2, 1)
	if !ok || t.Shape[r-2] != 0 && (t.Shape[r-2]*t.Shape[r-1])/t.Shape[r-2] != t.Shape[r-1] {
		c.add(findings.Warning, "unknown_quant_layout", fmt.Sprintf("tensor %q: MXFP4 block shape %v overflows", t.Name, t.Shape), t.Name)
		return
	}
	logical := append(append([]uint64(nil), t.Shape[:r-2]...), vals)
	packing := fmt.Sprintf("MXFP4: 2 FP4 values per byte, %d bytes per block of %d values; %v is logically %v", t.Shape[r-1], t.Shape[r-1]*2, t.Shape, logical)
	c.setPacked(i, SchemeMXFP4, logical, 4, "2", packing, "")
}

// weight handles a tensor whose last component is "weight": bitsandbytes,
// MLX, NVFP4/MXFP4 in U8, FP8, and FP4 experts in an FP8 checkpoint.
func (c *classifier) weight(i int, module string) {
	t := c.out[i].Tensor
	name := t.Name
	scale := c.at(i, module, leafWeightScale)
	switch {
	case t.DType == reader.U8 && c.isBnB4(name):
		c.bnb4(i, module)
	case t.DType == reader.I8 && c.at(i, module, leafSCB) != nil:
		c.setPacked(i, SchemeBnB8, t.Shape, 8, "", "bitsandbytes LLM.int8: one int8 value per element with a per-row scale in SCB", "")
	case t.DType == reader.U32 && c.at(i, module, leafScales) != nil && c.at(i, module, leafBiases) != nil:
		c.mlx(i, module)
	case t.DType == reader.U8 && scale != nil && (scale.DType == reader.F8_E4M3 || c.at(i, module, leafWeightScale2) != nil):
		// NVFP4 (ModelOpt, compressed-tensors): E2M1 values two per byte,
		// one FP8 E4M3 scale per 16 values and an F32 global scale.
		logical, ok := unpackLast(t.Shape, 2, 1)
		if !ok {
			return
		}
		c.setPacked(i, SchemeNVFP4, logical, 4, "2", fmt.Sprintf("NVFP4: 2 FP4 values per byte along the input dim, one F8_E4M3 scale per 16 values; %v is logically %v", t.Shape, logical), "")
	case t.DType == reader.U8 && scale != nil && (scale.DType == reader.U8 || scale.DType == reader.F8_E8M0):
		logical, ok := unpackLast(t.Shape, 2, 1)
		if !ok {
			return
		}
		c.setPacked(i, SchemeMXFP4, logical, 4, "2", fmt.Sprintf("MXFP4: 2 FP4 values per byte along the input dim, one E8M0 scale per 32 values; %v is logically %v", t.Shape, logical), "")
	case lowPrecisionFloat(t.DType):
		scheme := SchemeFP8
		note := ""
		if inv := c.at(i, module, leafWeightScaleInv); inv != nil && len(inv.Shape) == 2 {
			scheme = SchemeFP8Block
			if len(c.q.blockSize) == 2 {
				// One note for every weight (~46,000 in DeepSeek-V3).
				if c.blockNote == "" {
					c.blockNote = fmt.Sprintf("block scales of %d×%d values (weight_block_size)", c.q.blockSize[0], c.q.blockSize[1])
				}
				note = c.blockNote
			}
		}
		if t.DType == reader.F4 || t.DType == reader.F6_E2M3 || t.DType == reader.F6_E3M2 {
			scheme = strings.ToLower(string(t.DType))
		}
		if t.DType != c.lastDType || c.lastBits == 0 {
			c.lastDType, c.lastBits = t.DType, int(t.DType.Bits())
		}
		c.setPacked(i, scheme, t.Shape, c.lastBits, "", "", note)
		c.out[i].of = nil
	case (t.DType == reader.I8 || t.DType == reader.U8) && c.q.method == SchemeFP8 && bitsFromFormat(c.q.expertDType) == 4 && routedExpert(name):
		logical, ok := unpackLast(t.Shape, 2, 1)
		if !ok {
			return
		}
		c.setPacked(i, SchemeFP4Experts, logical, 4, "2", fmt.Sprintf("routed expert in %s (expert_dtype): 2 values per byte; %v is logically %v", c.q.expertDType, t.Shape, logical), "")
	case t.DType == reader.I8 && scale != nil:
		// compressed-tensors int-quantized (W8A8): int8 weights with a
		// per-channel or per-tensor scale.
		c.setPacked(i, SchemeInt8, t.Shape, 8, "", "", "")
		c.out[i].of = nil
	}
}

// routedExpert reports tensors of routed experts, which expert_dtype
// describes; shared experts are dense layers quantized like the rest.
func routedExpert(name string) bool {
	return strings.Contains(name, ".experts.") && !strings.Contains(name, "shared_expert")
}

func (c *classifier) isBnB4(name string) bool {
	_, ok := c.bnbOwners[name]
	return ok
}

// bnb4 handles bitsandbytes 4-bit (NF4/FP4): two values per byte, stored
// flat as [n/2, 1] U8 (Params4bit), with absmax, quant_map, the nested
// (double-quantization) state and a serialized quant_state beside it. The
// exact logical shape lives in quant_state's data, which a header command
// does not read, so it is derived from config.json's hidden_size and
// intermediate_size when they divide the count, and said so.
func (c *classifier) bnb4(i int, module string) {
	t := c.out[i].Tensor
	n, ok := scaleDim(t.Elements(), 2, 1)
	if !ok {
		return
	}
	typ := c.bnbOwners[t.Name]
	if typ == "" {
		typ = c.q.bnbType
	}
	scheme := SchemeBnB4
	switch typ {
	case "nf4":
		scheme = SchemeBnBNF4
	case "fp4":
		scheme = SchemeBnBFP4
	}
	logical := []uint64{n}
	note := "stored flat; the logical shape is in quant_state (tensor data, not read): shown flat"
	if shape, key, ok := c.deriveLinear(module, n); ok {
		logical = shape
		note = "stored flat; logical shape derived from config " + key + " (quant_state holds the exact shape in its data, not read)"
		c.derivedShapes = append(c.derivedShapes, t.Name)
	} else {
		c.flatShapes = append(c.flatShapes, t.Name)
	}
	packing := fmt.Sprintf("bitsandbytes 4-bit: 2 values per byte, stored flat as %v; %d values", t.Shape, n)
	c.setPacked(i, scheme, logical, 4, "2", packing, note)
}

// deriveLinear gives [out, in] for a linear of n values from config.json:
// down projections read intermediate_size (moe_intermediate_size inside
// routed experts), the others hidden_size.
func (c *classifier) deriveLinear(module string, n uint64) ([]uint64, string, bool) {
	_, leaf := split(module)
	key := "hidden_size"
	switch leaf {
	case "down_proj", "w2", "fc2", "dense_4h_to_h":
		key = "intermediate_size"
		if routedExpert(module + ".") {
			if _, ok := cfgInt(c.cfg, "moe_intermediate_size"); ok {
				key = "moe_intermediate_size"
			}
		}
	}
	in, ok := cfgInt(c.cfg, key)
	if !ok || in <= 0 || n%uint64(in) != 0 {
		return nil, "", false
	}
	return []uint64{n / uint64(in), uint64(in)}, key, true
}

// mlx handles MLX affine quantization (mlx.core.quantize): weight U32
// [out, in·bits/32] with scales and biases [out, in/group] beside it; the
// biases are the affine offsets, not a linear's bias. bits and group_size
// come from config.json's "quantization" (per-module entries override);
// without them the width follows from the shapes and MLX's default group
// size of 64, and a finding says so.
func (c *classifier) mlx(i int, module string) {
	t := c.out[i].Tensor
	scales := c.at(i, module, leafScales)
	valueBits, group := c.q.bits, c.q.groupSize
	if c.q.method != "mlx" {
		valueBits, group = 0, 0
	}
	if o, ok := c.q.mlxModules[module]; ok {
		if o[0] > 0 {
			valueBits = o[0]
		}
		if o[1] > 0 {
			group = o[1]
		}
	}
	note := ""
	if valueBits == 0 && len(scales.Shape) > 0 && len(t.Shape) > 0 {
		g := uint64(group)
		if g == 0 {
			g = 64
			note = "no MLX quantization config: group size 64 (MLX's default) assumed; "
		}
		sc := scales.Shape[len(scales.Shape)-1]
		wc := t.Shape[len(t.Shape)-1]
		if sc > 0 && (wc*32)%(sc*g) == 0 {
			valueBits = int(wc * 32 / (sc * g))
			note += "width from weight and scales shapes"
		}
	}
	if valueBits <= 0 || valueBits >= 32 {
		valueBits = 4
		c.assumed = append(c.assumed, t.Name)
	}
	logical, ok := unpackLast(t.Shape, 32, uint64(valueBits))
	if !ok {
		c.add(findings.Warning, "unknown_quant_layout", fmt.Sprintf("tensor %q: last dim × 32 / %d is not whole", t.Name, valueBits), t.Name)
		return
	}
	factor := fraction(32, uint64(valueBits))
	packing := fmt.Sprintf("MLX affine: %s %d-bit values per U32 along the input dim, with scales and biases (affine offsets, not a linear bias) per group; %v is logically %v", factor, valueBits, t.Shape, logical)
	c.setPacked(i, SchemeMLX, logical, valueBits, factor, packing, note)
}

// sideCodes are the leaves sides tests; a tensor with another coded leaf
// can only be a side tensor by its dtype (E8M0) or a bitsandbytes
// quant_state name.
var sideCodes = func() (m [numLeafCodes]bool) {
	for _, c := range []leafCode{leafAbsmax, leafQuantMap, leafNestedAbsmax, leafNestedQuantMap, leafSCB, leafWeightFormat,
		leafQzeros, leafGIdx, leafScales, leafBiases, leafKScale, leafVScale, leafQScale, leafProbScale} {
		m[c] = true
	}
	for c, note := range sideNotes {
		if note != "" {
			m[c] = true
		}
	}
	return m
}()

// gptqSideNotes says what each GPTQ/AWQ side tensor holds.
var gptqSideNotes = map[leafCode]string{leafQzeros: "packed zero points per group", leafGIdx: "group index of each input column", leafScales: "scale per group and output column"}

// sides places every side tensor with the weight it belongs to.
func (c *classifier) sides() {
	for i := range c.out {
		if c.done(i) {
			continue
		}
		t := c.out[i].Tensor
		code := c.code(i)
		if t.DType != reader.F8_E8M0 && !c.hasBnBState {
			if code == leafOther {
				if !c.hasBlocks || !c.hasScales || !strings.HasSuffix(t.Name, "_scales") {
					continue
				}
			} else if !sideCodes[code] {
				continue
			}
		}
		module := c.moduleOf(i)
		leaf := leafNames[code]
		if code == leafOther {
			_, leaf = split(t.Name)
		}
		owner, note := "", ""
		var o *Tensor // the tensor called owner, when already looked up
		switch {
		case t.DType == reader.F8_E8M0:
			// An exponent-only format holds MX block scales, never weights.
			owner, o = c.ownerOf(i, module)
			note = "E8M0 block exponents (scales only)"
			if base, ok := strings.CutSuffix(t.Name, "_scales"); ok && c.hasBlocks {
				if b := c.get(base + "_blocks"); b != nil {
					owner, o = b.Name, b
				}
			}
		case c.hasBnBState && strings.Contains(t.Name, bnbStateMark):
			owner, _, _ = strings.Cut(t.Name, ".quant_state.")
			note = "bitsandbytes serialized quant state (JSON bytes)"
		case code == leafAbsmax || code == leafQuantMap || code == leafNestedAbsmax || code == leafNestedQuantMap:
			if strings.HasSuffix(module, ".weight") && c.isBnB4(module) {
				owner, note = module, "bitsandbytes 4-bit "+leaf
			}
		case code == leafSCB || code == leafWeightFormat:
			if w := c.at(i, module, leafWeight); w != nil && w.DType == reader.I8 {
				owner, o, note = w.Name, w, "bitsandbytes LLM.int8 "+leaf
			}
		case code == leafQzeros || code == leafGIdx || code == leafScales && c.at(i, module, leafQweight) != nil:
			if w := c.at(i, module, leafQweight); w != nil {
				owner, o, note = w.Name, w, gptqSideNotes[code]
			}
		case code == leafScales || code == leafBiases:
			if w := c.at(i, module, leafWeight); w != nil && w.DType == reader.U32 && c.at(i, module, leafScales) != nil && c.at(i, module, leafBiases) != nil {
				owner, o, note = w.Name, w, "MLX affine "+leaf+" per group"
				if code == leafBiases {
					note += " (quantization offsets, not a linear bias)"
				}
			}
		case code == leafOther && c.hasBlocks && strings.HasSuffix(t.Name, "_scales") && c.get(strings.TrimSuffix(t.Name, "_scales")+"_blocks") != nil:
			o = c.get(strings.TrimSuffix(t.Name, "_scales") + "_blocks")
			owner, note = o.Name, "MXFP4 E8M0 exponent per block of 32 values"
		case sideNotes[code] != "":
			owner, o = c.ownerOf(i, module)
			note = sideNotes[code]
			if owner == "" && !c.q.present() {
				continue
			}
			if owner != "" && !quantized(o) && !c.q.present() {
				continue
			}
		case code == leafKScale || code == leafVScale || code == leafQScale || code == leafProbScale:
			if !c.q.present() && !c.anyQuantized() {
				continue
			}
			note = "KV-cache quantization scale"
		default:
			continue
		}
		if owner == "" && note == "" {
			continue
		}
		if o == nil {
			o = c.get(owner)
		}
		scheme := ""
		if o != nil {
			scheme = o.Scheme()
		}
		if scheme == "" {
			scheme = c.q.method
		}
		var ot *reader.Tensor
		if o != nil {
			ot = o.Tensor
		}
		c.setSide(i, scheme, owner, ot, note)
	}
}

// ownerOf returns the quantized weight a side tensor of module belongs to,
// module.weight_packed or else module.weight, and that tensor; "" and nil
// when neither exists. The name returned is the tensor's own, so nothing is
// concatenated.
func (c *classifier) ownerOf(i int, module string) (string, *Tensor) {
	if o := c.at(i, module, leafWeightPacked); o != nil {
		return o.Name, o
	}
	if o := c.at(i, module, leafWeight); o != nil {
		return o.Name, o
	}
	return "", nil
}

// quantized reports whether t holds quantized values.
func quantized(t *Tensor) bool {
	return t != nil && (t.Scheme() != "" || containerBits(t.DType) > 0 || lowPrecisionFloat(t.DType))
}

// anyQuantized reports whether some parameter is stored quantized; it is
// computed once, after the packed pass.
func (c *classifier) anyQuantized() bool {
	if c.anyQ == 0 {
		c.anyQ = 2
		for _, t := range c.out {
			if t.Kind == Parameter && t.Scheme() != "" {
				c.anyQ = 1
				break
			}
		}
	}
	return c.anyQ == 1
}

// quantBiases handles the bias that AutoGPTQ's QuantLinear always
// registers (AutoGPTQ issues #555, #601): for an architecture without
// linear biases it is zeros, one per output channel, and the Hub counts it
// as parameters. When config.json (attention_bias, mlp_bias, or the
// model_type's default) says the layer has no bias, the stored bias is a
// side tensor of the quantized layer.
func (c *classifier) quantBiases() {
	var moved []string
	var elems uint64
	var unknown []string
	keys := map[string]bool{}
	if c.present&(1<<leafBias) == 0 || c.present&(1<<leafQweight) == 0 {
		return
	}
	for i := range c.out {
		if c.done(i) || c.code(i) != leafBias {
			continue
		}
		t := c.out[i].Tensor
		if len(t.Shape) != 1 {
			continue
		}
		module := c.moduleOf(i)
		owner := c.at(i, module, leafQweight)
		if owner == nil || owner.Scheme() == "" {
			continue
		}
		noBias, key, known := c.noBias(module)
		if !known {
			unknown = append(unknown, t.Name)
			continue
		}
		if !noBias {
			continue
		}
		keys[key] = true
		c.setSide(i, owner.Scheme(), owner.Name, owner.Tensor, "bias written by the quantizer's QuantLinear; config "+key+" says the layer has none (zeros)")
		moved = append(moved, t.Name)
		elems += t.Elements()
	}
	if len(moved) > 0 {
		ks := sortedKeys(keys)
		c.add(findings.Info, "quant_linear_bias", fmt.Sprintf("%d bias tensors (%d values, one per output channel) beside quantized linears are not parameters: the architecture has no linear biases (%s) and AutoGPTQ's QuantLinear stores a zero bias anyway; the Hugging Face Hub counts them, so its total is %d higher", len(moved), elems, strings.Join(ks, ", "), elems), capList(moved)...)
	}
	if len(unknown) > 0 {
		c.add(findings.Info, "quant_linear_bias_unknown", fmt.Sprintf("%d bias tensors beside quantized linears are counted as parameters; config.json does not say whether the architecture has biases, and AutoGPTQ stores zero biases when it has none", len(unknown)), capList(unknown)...)
	}
}

// noBiasFamilies are model_types whose attention and MLP linears have no
// bias by default (transformers' configuration_<model>.py defaults).
var noBiasFamilies = map[string]bool{
	"llama": true, "mistral": true, "mixtral": true, "gemma": true, "gemma2": true, "gemma3_text": true,
	"qwen3": true, "qwen3_moe": true, "phi3": true, "deepseek_v2": true, "deepseek_v3": true, "granite": true,
	"olmo2": true, "cohere": true,
}

// noBias says whether the linear at module has no bias in the original
// architecture: explicit attention_bias / mlp_bias keys first, then the
// model_type's defaults (Qwen2 has biases on q, k and v only).
func (c *classifier) noBias(module string) (noBias bool, evidence string, known bool) {
	_, leaf := split(module)
	attn := leaf == "q_proj" || leaf == "k_proj" || leaf == "v_proj" || leaf == "o_proj"
	mlp := leaf == "gate_proj" || leaf == "up_proj" || leaf == "down_proj"
	if !attn && !mlp {
		return false, "", false
	}
	key := "mlp_bias"
	if attn {
		key = "attention_bias"
	}
	if v, k, ok := cfgBool(c.cfg, key); ok {
		return !v, k + "=" + strconv.FormatBool(v), true
	}
	mt := modelType(c.cfg)
	switch {
	case noBiasFamilies[mt]:
		return true, "model_type " + mt + " has no linear biases", true
	case mt == "qwen2" || mt == "qwen2_moe":
		if leaf == "q_proj" || leaf == "k_proj" || leaf == "v_proj" {
			return false, "", true
		}
		return true, "model_type " + mt + " has biases on q, k and v only", true
	}
	return false, "", false
}

// unplaced reports what no rule placed although it looks quantized: integer
// tensors (outside buffers) and tensors of a declared scheme paramscope
// does not know. They stay parameters at their stored size, and the
// finding lists them, so the count is never silently wrong.
func (c *classifier) unplaced() {
	var ints []string
	for i := range c.out {
		if c.done(i) {
			continue
		}
		t := c.out[i].Tensor
		if containerBits(t.DType) > 0 {
			ints = append(ints, t.Name)
			d := c.out[i].detail()
			d.scheme, d.note = SchemeUnknown, "integer tensor no scheme places: counted at its stored size"
			c.setDetail(&c.out[i], d)
		}
	}
	known := map[string]bool{"": true, SchemeGPTQ: true, SchemeAWQ: true, "bitsandbytes": true, SchemeCompressed: true, SchemeFP8: true,
		SchemeMXFP4: true, "modelopt": true, "mlx": true, "fbgemm_fp8": true}
	if !known[c.q.method] {
		c.add(findings.Warning, "unknown_quant_scheme", fmt.Sprintf("config %s declares quant_method %q, which paramscope does not know; %d integer tensors could not be unpacked and are counted at their stored size", c.q.source, c.q.method, len(ints)), capList(ints)...)
	} else if len(ints) > 0 {
		c.add(findings.Warning, "unplaced_tensors", fmt.Sprintf("%d integer tensors match no quantization scheme paramscope knows; each is counted as its stored elements, which undercounts if it is packed", len(ints)), capList(ints)...)
	}
	if len(c.assumed) > 0 {
		c.add(findings.Warning, "assumed_bits", fmt.Sprintf("%d packed weights have no value width in config.json or their side tensors; 4 bits assumed", len(c.assumed)), capList(c.assumed)...)
	}
	if len(c.badPatterns) > 0 {
		c.add(findings.Warning, "unsupported_target_pattern", "config targets use regular-expression syntax outside the subset paramscope evaluates (literals, ., .*, .+, \\d, \\d+, (a|b), ^, $); they match nothing", sortedKeys(c.badPatterns)...)
	}
}

// summarize adds the findings about the whole checkpoint: buffers left out,
// flat shapes derived, and a declared scheme with nothing quantized. The
// same walk over the tensors adds up the Hub's count for hub, so the
// ~92,000 rows of a large checkpoint are read once.
func (c *classifier) summarize() {
	hs := &c.hubSums
	hs.h = parseHubConfig(c.cfg)
	var w walkSums
	if n := len(c.out); n >= parallelTable {
		// Two halves on two goroutines: the sums add up the same either
		// way, and the halves' evidence lists are joined in order.
		var second walkSums
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.walk(&second, n/2, n, &hs.h)
		}()
		c.walk(&w, 0, n/2, &hs.h)
		<-done
		w.merge(&second)
	} else {
		c.walk(&w, 0, len(c.out), &hs.h)
	}
	bufs, sides := w.bufs, w.sides
	belems, selems, sbytes, stored := w.belems, w.selems, w.sbytes, w.stored
	quantizedParams := w.quantizedParams
	hs.total, hs.params, hs.logical, hs.side, hs.buf, hs.dup = w.total, w.params, w.logical, w.side, w.buf, w.dup
	hs.paramNames, hs.sideNames, hs.bufNames = w.paramNames, w.sideNames, w.bufNames
	byDType := w.byDType
	hs.byDType = byDType.m()
	c.rowSums = w.rows
	if sides.n > 0 {
		c.add(findings.Info, "quant_side_tensors", fmt.Sprintf("%d quantization side tensors (%d elements, %d bytes: scales, zeros, group indices, quantization state) are shown but not counted as parameters; a count of every stored element, as safetensors totals give, is %d", sides.n, selems, sbytes, stored), sides.list()...)
	}
	if bufs.n > 0 {
		c.add(findings.Info, "buffers_stored", fmt.Sprintf("%d buffers (%d elements: causal masks, rotary inv_freq, position_ids) are stored but are not parameters and are not counted; the Hugging Face Hub's count includes them", bufs.n, belems), bufs.list()...)
	}
	if len(c.derivedShapes) > 0 {
		c.add(findings.Info, "derived_logical_shape", fmt.Sprintf("%d bitsandbytes 4-bit weights are stored flat; their [out, in] shapes are derived from config.json (hidden_size, intermediate_size); the count (stored bytes × 2) does not depend on it", len(c.derivedShapes)), capList(c.derivedShapes)...)
	}
	if len(c.flatShapes) > 0 {
		c.add(findings.Warning, "flat_logical_shape", fmt.Sprintf("%d bitsandbytes 4-bit weights are stored flat and config.json does not give their shape; shown flat, counted as stored bytes × 2", len(c.flatShapes)), capList(c.flatShapes)...)
	}
	if c.q.present() && quantizedParams == 0 {
		c.add(findings.Warning, "quantization_config_unused", fmt.Sprintf("config %s declares quant_method %q but no tensor is stored quantized", c.q.source, c.q.method), c.q.source)
	}
	// Only a parameter with a PackFactor can be reported, and only an
	// ignore or modules_to_not_convert entry can exclude it.
	if c.q.present() && c.anyFactor && len(c.q.ignore)+len(c.q.notConvert) > 0 {
		var ignored []string
		for i := range c.out {
			t := &c.out[i]
			if t.Kind != Parameter || t.Scheme() == "" || t.Scheme() == SchemeUnknown || t.PackFactor() == "" {
				continue
			}
			if c.excluded(c.moduleOf(i), t.Name) {
				ignored = append(ignored, t.Name)
			}
		}
		if len(ignored) > 0 {
			c.add(findings.Warning, "quantized_but_excluded", fmt.Sprintf("%d weights are stored packed although config.json excludes their modules from quantization (ignore / modules_to_not_convert)", len(ignored)), capList(ignored)...)
		}
	}
}

// walkSums is what summarize adds up over the rows: its own totals and
// the Hub's.
type walkSums struct {
	bufs, sides                            capped
	belems, selems, sbytes, stored         uint64
	quantizedParams                        int
	total, params, logical, side, buf, dup uint64
	paramNames, sideNames, bufNames        capped
	byDType                                dtypeSums
	rows                                   rowSums
}

// walk adds rows lo to hi-1 into w; it only reads the rows.
func (c *classifier) walk(w *walkSums, lo, hi int, h *hubConfig) {
	for i := lo; i < hi; i++ {
		t := &c.out[i]
		w.rows.add(t, i)
		elems := t.Elements()
		w.stored += elems
		switch {
		case t.Kind == Buffer:
			w.bufs.add(t.Name)
			w.belems += elems
		case t.Kind == Parameter && t.Scheme() != "" && t.Scheme() != SchemeUnknown:
			w.quantizedParams++
		case t.Kind == Side:
			w.sides.add(t.Name)
			w.selems += elems
			w.sbytes += t.Bytes()
		}
		n := h.countCoded(t.Tensor, c.code(i), elems)
		if n > 0 {
			w.byDType.add(t.DType, n)
			w.total += n
		}
		switch {
		case t.Kind == Parameter && t.DuplicateOf() != "":
			w.dup += n
		case t.Kind == Parameter:
			w.params += n
			w.logical += t.LogicalParams
			if n != t.LogicalParams {
				w.paramNames.add(t.Name)
			}
		case t.Kind == Side:
			w.side += n
			if n > 0 {
				w.sideNames.add(t.Name)
			}
		case t.Kind == Buffer:
			w.buf += n
			if n > 0 {
				w.bufNames.add(t.Name)
			}
		}
	}
}

// merge adds the sums of the rows after w's into w.
func (w *walkSums) merge(o *walkSums) {
	w.bufs.merge(&o.bufs)
	w.sides.merge(&o.sides)
	w.paramNames.merge(&o.paramNames)
	w.sideNames.merge(&o.sideNames)
	w.bufNames.merge(&o.bufNames)
	w.belems += o.belems
	w.selems += o.selems
	w.sbytes += o.sbytes
	w.stored += o.stored
	w.quantizedParams += o.quantizedParams
	w.total += o.total
	w.params += o.params
	w.logical += o.logical
	w.side += o.side
	w.buf += o.buf
	w.dup += o.dup
	for k, d := range o.byDType.d {
		w.byDType.add(d, o.byDType.n[k])
	}
	w.rows.merge(&o.rows)
}

// dtypeSums adds up a count per dtype without a map access per tensor: a
// checkpoint has a handful of dtypes, usually in long runs.
type dtypeSums struct {
	d []reader.DType
	n []uint64
}

func (s *dtypeSums) add(d reader.DType, n uint64) {
	for k := len(s.d) - 1; k >= 0; k-- {
		if s.d[k] == d {
			s.n[k] += n
			return
		}
	}
	s.d = append(s.d, d)
	s.n = append(s.n, n)
}

func (s *dtypeSums) m() map[reader.DType]uint64 {
	m := make(map[reader.DType]uint64, len(s.d))
	for k, d := range s.d {
		m[d] += s.n[k]
	}
	return m
}

// excluded reports whether config.json excludes module from quantization.
func (c *classifier) excluded(module, name string) bool {
	for _, e := range c.q.ignore {
		if isClassName(e) {
			continue
		}
		m, ok := targetMatch(e, module)
		if !ok {
			c.badPatterns[e] = true
		}
		if m {
			return true
		}
	}
	for _, e := range c.q.notConvert {
		if notConvertMatch(e, name) {
			return true
		}
	}
	return false
}

// capList keeps evidence lists readable: the first 20 names and a count of
// the rest.
func capList(names []string) []string {
	const max = 20
	if len(names) <= max {
		return names
	}
	out := append([]string(nil), names[:max]...)
	return append(out, fmt.Sprintf("... and %d more", len(names)-max))
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
