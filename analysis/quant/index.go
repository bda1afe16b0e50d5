package quant

import (
	"hash/maphash"
	"math/bits"
	"strconv"
)

// Classify asks "is there a tensor called <module>.<leaf>?" a few times per
// tensor. A DeepSeek-V3-scale checkpoint has ~92,000 names, so the answer
// must not cost a concatenated string and a string-keyed map entry per
// name: each name is reduced once to a leaf code (its last dotted
// component, when that component is one the rules ask about), questions
// about a leaf no tensor has are answered by a bitmask, and the rest by an
// open-addressing table of indices that is built only when first needed.

// leafCode identifies the last dotted component of a tensor name among the
// ones the classification rules test; leafOther is every other component.
type leafCode uint8

const (
	leafOther leafCode = iota
	leafWeight
	leafBias
	leafQweight
	leafWeightPacked
	leafInvFreq
	leafPositionIDs
	leafMaskedBias
	leafAbsmax
	leafQuantMap
	leafNestedAbsmax
	leafNestedQuantMap
	leafSCB
	leafWeightFormat
	leafQzeros
	leafGIdx
	leafScales
	leafBiases
	leafWeightScale
	leafWeightScaleInv
	leafWeightScale2
	leafWeightGlobalScale
	leafWeightZeroPoint
	leafWeightGIdx
	leafWeightShape
	leafInputScale
	leafInputGlobalScale
	leafInputZeroPoint
	leafOutputScale
	leafKScale
	leafVScale
	leafQScale
	leafProbScale
	leafZeroPoint
	numLeafCodes
)

// leafNames spells each leaf code; leafNames[leafOther] is unused.
var leafNames = [numLeafCodes]string{
	leafWeight: "weight", leafBias: "bias", leafQweight: "qweight", leafWeightPacked: "weight_packed",
	leafInvFreq: "inv_freq", leafPositionIDs: "position_ids", leafMaskedBias: "masked_bias",
	leafAbsmax: "absmax", leafQuantMap: "quant_map", leafNestedAbsmax: "nested_absmax", leafNestedQuantMap: "nested_quant_map",
	leafSCB: "SCB", leafWeightFormat: "weight_format", leafQzeros: "qzeros", leafGIdx: "g_idx",
	leafScales: "scales", leafBiases: "biases",
	leafWeightScale: "weight_scale", leafWeightScaleInv: "weight_scale_inv", leafWeightScale2: "weight_scale_2",
	leafWeightGlobalScale: "weight_global_scale", leafWeightZeroPoint: "weight_zero_point", leafWeightGIdx: "weight_g_idx",
	leafWeightShape: "weight_shape", leafInputScale: "input_scale", leafInputGlobalScale: "input_global_scale",
	leafInputZeroPoint: "input_zero_point", leafOutputScale: "output_scale",
	leafKScale: "k_scale", leafVScale: "v_scale", leafQScale: "q_scale", leafProbScale: "prob_scale",
	leafZeroPoint: "zero_point",
}

// codeOf returns the code of a last component.
func codeOf(leaf string) leafCode {
	switch leaf {
	case "weight":
		return leafWeight
	case "bias":
		return leafBias
	case "qweight":
		return leafQweight
	case "weight_packed":
		return leafWeightPacked
	case "inv_freq":
		return leafInvFreq
	case "position_ids":
		return leafPositionIDs
	case "masked_bias":
		return leafMaskedBias
	case "absmax":
		return leafAbsmax
	case "quant_map":
		return leafQuantMap
	case "nested_absmax":
		return leafNestedAbsmax
	case "nested_quant_map":
		return leafNestedQuantMap
	case "SCB":
		return leafSCB
	case "weight_format":
		return leafWeightFormat
	case "qzeros":
		return leafQzeros
	case "g_idx":
		return leafGIdx
	case "scales":
		return leafScales
	case "biases":
		return leafBiases
	case "weight_scale":
		return leafWeightScale
	case "weight_scale_inv":
		return leafWeightScaleInv
	case "weight_scale_2":
		return leafWeightScale2
	case "weight_global_scale":
		return leafWeightGlobalScale
	case "weight_zero_point":
		return leafWeightZeroPoint
	case "weight_g_idx":
		return leafWeightGIdx
	case "weight_shape":
		return leafWeightShape
	case "input_scale":
		return leafInputScale
	case "input_global_scale":
		return leafInputGlobalScale
	case "input_zero_point":
		return leafInputZeroPoint
	case "output_scale":
		return leafOutputScale
	case "k_scale":
		return leafKScale
	case "v_scale":
		return leafVScale
	case "q_scale":
		return leafQScale
	case "prob_scale":
		return leafProbScale
	case "zero_point":
		return leafZeroPoint
	}
	return leafOther
}

// sideNotes are the side tensors that hang off a module (compressed-tensors,
// FP8, NVFP4, ModelOpt) with what each holds; their quantized weight is
// looked up as weight_packed then weight. "" for every other leaf.
var sideNotes = [numLeafCodes]string{
	leafWeightScale:       "per-tensor, per-channel or per-group weight scale",
	leafWeightScaleInv:    "FP8 block scale (dequantize by multiplying)",
	leafWeightScale2:      "NVFP4 second-level (per-tensor) scale",
	leafWeightGlobalScale: "NVFP4 global scale",
	leafWeightZeroPoint:   "zero points of asymmetric quantization",
	leafWeightGIdx:        "activation-order group index, one per input column",
	leafWeightShape:       "the packed weight's logical shape, as a 2-element integer tensor",
	leafInputScale:        "static activation scale",
	leafInputGlobalScale:  "NVFP4 activation global scale",
	leafInputZeroPoint:    "activation zero point",
	leafOutputScale:       "output activation scale",
}

// hubAuxCode is hubAux by leaf code; hubBnBCode is hubBnB.
var hubAuxCode, hubBnBCode [numLeafCodes]bool

func init() {
	for k := range hubAux {
		hubAuxCode[codeOf(k)] = true
	}
	for k := range hubBnB {
		hubBnBCode[codeOf(k)] = true
	}
}

// nameSeed seeds the name table's hash; the table compares names exactly,
// so the hash only spreads them.
var nameSeed = maphash.MakeSeed()

// isName reports whether name is module + "." + leaf.
func isName(name, module, leaf string) bool {
	return len(name) == len(module)+1+len(leaf) && name[len(module)] == '.' &&
		name[len(module)+1:] == leaf && name[:len(module)] == module
}

// moduleOf returns the module path of tensor i: its name up to the last dot
// ("" when there is none).
func (c *classifier) moduleOf(i int) string {
	name := c.src[i].Name
	if code := c.codes[i] &^ doneBit; code != leafOther {
		if n := len(name) - len(leafNames[code]) - 1; n > 0 {
			return name[:n]
		}
		return ""
	}
	module, _ := split(name)
	return module
}

// The name table is open addressing over uint32 slots: the low idxBits of a
// slot hold the tensor's index+1 (0 is empty), the high bits a fingerprint
// of the name's hash, so a probe compares a name (a likely cache miss) only
// when the fingerprints agree. Sizing it at 5/4 of the tensors keeps it to
// 512 KB for DeepSeek-V3's 91,991.

// buildTable indexes every tensor by name, keeping the first of duplicate
// names as a map would, and notes whether there are duplicates.
func (c *classifier) buildTable() {
	size := 1
	for size < len(c.src)+len(c.src)/4+1 {
		size <<= 1
	}
	c.table = make([]uint32, size)
	// Write to every page of the fresh table before the loop below reads
	// from it: a page read first is mapped to the shared zero page, and the
	// first insert then takes a second fault that copies it and flushes the
	// other core's TLB (an interrupt to it). One store per page avoids both.
	const wordsPerPage = 4096 / 4
	for i := 0; i < len(c.table); i += wordsPerPage {
		c.table[i] = 0
	}
	c.mask = uint32(size - 1)
	c.idxBits = uint(bits.Len(uint(len(c.src) + 1)))
	// The table is larger than the caches, so each insert's first probe
	// is a miss. Hashing a batch of names and touching their slots before
	// inserting lets those misses overlap instead of queueing one by one.
	const batch = 16
	var hs [batch]uint64
	var touch uint32
	for base := 0; base < len(c.src); base += batch {
		end := min(base+batch, len(c.src))
		for k := base; k < end; k++ {
			h := maphash.String(nameSeed, c.src[k].Name)
			hs[k-base] = h
			touch += c.table[uint32(h)&c.mask]
		}
		for k := base; k < end; k++ {
			c.insert(k, hs[k-base])
		}
	}
	c.touched = touch
}

// insert puts tensor i, whose name hashes to h, into the table.
func (c *classifier) insert(i int, h uint64) {
	name := c.src[i].Name
	s, fp := c.slot(h)
	m := c.idxMask()
	for {
		e := c.table[s]
		if e == 0 {
			c.table[s] = fp | uint32(i+1)
			return
		}
		if e&^m == fp && c.src[int(e&m)-1].Name == name {
			c.dups = true // the first one stays
			return
		}
		s = (s + 1) & c.mask
	}
}

// parallelTable is the tensor count from which Classify builds the name
// table on a second goroutine while it reads the names itself: at
// DeepSeek-V3's scale the table takes a few milliseconds, the machine
// has a second core, and the reader's goroutines are done by then.
const parallelTable = 8192

// startTable begins building the table on its own goroutine for a large
// checkpoint; buildTable only reads c.src and writes the table's fields,
// which nothing else touches until ensureTable has waited.
func (c *classifier) startTable() {
	if len(c.src) < parallelTable {
		return
	}
	c.tableWait = make(chan struct{})
	go func() {
		defer close(c.tableWait)
		c.buildTable()
	}()
}

// ensureTable makes the table ready: it waits for startTable's goroutine,
// or builds the table here on first use.
func (c *classifier) ensureTable() {
	if c.tableReady {
		return
	}
	if c.tableWait != nil {
		<-c.tableWait
	} else {
		c.buildTable()
	}
	c.tableReady = true
}

// waitTable waits for startTable's goroutine, if there is one.
func (c *classifier) waitTable() {
	if c.tableWait != nil {
		<-c.tableWait
	}
}

// idxMask selects the index part of a slot.
func (c *classifier) idxMask() uint32 {
	if c.idxBits >= 32 {
		return ^uint32(0)
	}
	return 1<<c.idxBits - 1
}

// slot returns the first slot for hash h and the fingerprint to store.
func (c *classifier) slot(h uint64) (uint32, uint32) {
	return uint32(h) & c.mask, uint32(h>>32) &^ c.idxMask()
}

// entry returns the tensor index a non-empty slot holds.
func (c *classifier) entry(e uint32) int { return int(e&c.idxMask()) - 1 }

// probe returns the index of the first tensor whose hash is h and for which
// is reports true, or -1.
func (c *classifier) probe(h uint64, is func(name string) bool) int {
	s, fp := c.slot(h)
	m := c.idxMask()
	for {
		e := c.table[s]
		if e == 0 {
			return -1
		}
		if e&^m == fp {
			if j := int(e&m) - 1; is(c.src[j].Name) {
				return j
			}
		}
		s = (s + 1) & c.mask
	}
}

// at returns the tensor called module + "." + leafNames[code], or nil;
// near is the index of the tensor that asks. Two places are looked at
// before the table, because a table probe lands on a random tensor and
// misses the cache while these do not: near's neighbours (writers put a
// module's tensors side by side) and the tensors just after the last answer
// for the same leaf (the reference writer groups tensors by dtype and sorts
// each group by name, so the k-th FP8 weight's scale is the k-th F32
// scale). Either answer is exact because buildTable has checked that names
// are unique (with duplicates only the table knows which comes first), or
// because the caller has said they are (ClassifyUnique).
func (c *classifier) at(near int, module string, code leafCode) *Tensor {
	if c.present&(1<<code) == 0 {
		return nil
	}
	leaf := leafNames[code]
	if c.mode == lookupUnique && !c.tableReady {
		// Names are unique: a neighbour with the name is the tensor, and
		// so is the one a scan finds.
		if j := c.nearby(near, module, leaf, code); j >= 0 {
			return &c.out[j]
		}
		if j, ok := c.scan(module, leaf, code); ok {
			if j < 0 {
				return nil
			}
			return &c.out[j]
		}
	}
	if !c.tableReady && c.tableWait != nil && c.mode == lookupOptimistic {
		// The table is still being built: answer from the neighbours
		// as if names were unique, and let Classify start over if the
		// table then finds a duplicate.
		if j := c.nearby(near, module, leaf, code); j >= 0 {
			c.guessed = true
			return &c.out[j]
		}
	}
	c.ensureTable()
	if !c.dups {
		if j := c.nearby(near, module, leaf, code); j >= 0 {
			return &c.out[j]
		}
	}
	var h maphash.Hash
	h.SetSeed(nameSeed)
	h.WriteString(module)
	h.WriteByte('.')
	h.WriteString(leaf)
	j := c.probe(h.Sum64(), func(name string) bool { return isName(name, module, leaf) })
	if j < 0 {
		return nil
	}
	c.cursor[code] = int32(j)
	return &c.out[j]
}

// nearby looks for module + "." + leaf beside near and after the last
// answer for code, returning its index or -1.
func (c *classifier) nearby(near int, module, leaf string, code leafCode) int {
	last := int(c.cursor[code])
	for _, j := range [...]int{near + 1, near - 1, last + 1, last + 2, near + 2, near - 2} {
		if j >= 0 && j < len(c.src) && isName(c.src[j].Name, module, leaf) {
			c.cursor[code] = int32(j)
			return j
		}
	}
	return -1
}

// scan looks for module + "." + leaf among the tensors whose leaf code is
// code, from just after the last answer for code round to it again; ok is
// false when the scans together have passed over twice as many codes as
// there are tensors (then the table answers). It serves ClassifyUnique,
// where a miss beside the asking tensor is rare: the first FP8 weight of
// each shard, whose scale the reference writer puts after the shard's
// other FP8 weights (163 misses on the DeepSeek-V3-scale bigckpt, found
// within a shard each), or, in one file of all 92k tensors, the first
// weight's scale 46k tensors on and the first scale's owner most of a
// round away (which one pass's budget missed: 14.6 ms then, 11.5 ms with
// two, against 12.1 ms for Classify). The codes are a byte per tensor, so
// a scan is a byte loop; names are compared only where the leaf matches.
// The budget keeps an unfavourable order (shuffled names, lookups of
// absent names) to two passes over the codes in all before the table
// takes over.
func (c *classifier) scan(module, leaf string, code leafCode) (j int, ok bool) {
	n := len(c.codes)
	j = int(c.cursor[code])
	for range n {
		if c.scanned >= 2*n {
			return -1, false
		}
		c.scanned++
		if j++; j >= n {
			j = 0
		}
		if c.codes[j]&^doneBit == code && isName(c.src[j].Name, module, leaf) {
			c.cursor[code] = int32(j)
			return j, true
		}
	}
	return -1, true
}

// get returns the tensor called name, or nil.
func (c *classifier) get(name string) *Tensor {
	if j := c.index(name); j >= 0 {
		return &c.out[j]
	}
	return nil
}

// index returns the index of the tensor called name, or -1.
func (c *classifier) index(name string) int {
	c.ensureTable()
	return c.probe(maphash.String(nameSeed, name), func(n string) bool { return n == name })
}

// capped keeps the first capNames names of a list and counts them all, so
// evidence for ~46,000 side tensors costs 20 strings.
type capped struct {
	names []string
	n     int
}

const capNames = 20

func (l *capped) add(name string) {
	if len(l.names) < capNames {
		l.names = append(l.names, name)
	}
	l.n++
}

// merge appends the list that follows l's.
func (l *capped) merge(o *capped) {
	for _, name := range o.names {
		if len(l.names) < capNames {
			l.names = append(l.names, name)
		}
	}
	l.n += o.n
}

// list is capList of the whole list.
func (l *capped) list() []string {
	if l.n <= capNames {
		return l.names
	}
	return append(l.names[:capNames:capNames], "... and "+strconv.Itoa(l.n-capNames)+" more")
}
