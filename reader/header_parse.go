package reader

import (
	"hash/maphash"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// headerMetadataKey is the reserved header key holding free-form string pairs
// (safetensors format spec: "special key __metadata__ ... string to string
// map").
const headerMetadataKey = "__metadata__"

// The three fields of a tensor entry (safetensors format spec; TensorInfo
// in safetensors/src/tensor.rs).
const (
	hdrFieldDType   = "dtype"
	hdrFieldShape   = "shape"
	hdrFieldOffsets = "data_offsets"
)

// minEntryBytes is the length of the shortest possible tensor entry,
// `"":{"dtype":"U8","shape":[],"data_offsets":[0,0]}`.
const minEntryBytes = 49

// arenaRoom is the room in the shape arena a tensor is parsed with (the
// default MaxRank); a tensor of higher rank, under a raised cap, grows
// the chunk.
const arenaRoom = 16

// tensorLocator says where each tensor's entry is in a parsed header (the
// position of its name in the JSON), for errors. The positions are found
// by a second scan of the header when an error first needs one, instead
// of being kept for every tensor on the way (8 bytes per tensor, 0.74 MB
// of fresh memory for the DeepSeek-V3-scale bigckpt, for nothing on the
// success path).
type tensorLocator struct {
	data string
	pos  []int
}

// at returns the position of tensor i's name, in a header whose tensors
// parseHeaderJSON has all read.
func (l *tensorLocator) at(i int) int {
	if l.pos == nil {
		l.pos = tensorPositions(l.data)
	}
	if i < len(l.pos) {
		return l.pos[i]
	}
	return 0
}

// tensorPositions lists the position of every tensor's name in the
// top-level object of data, skipping __metadata__. It trusts what the
// parse already accepted and stops at the first surprise.
func tensorPositions(data string) []int {
	s := &headerScanner{data: data}
	pos := []int{}
	s.skipWS()
	if s.peek() != '{' {
		return pos
	}
	s.pos++
	for {
		s.skipWS()
		at := s.pos
		key, err := s.readString(-1, "", "")
		if err != nil || !s.colon() {
			return pos
		}
		if key != headerMetadataKey {
			pos = append(pos, at)
		}
		if s.skipValue("", -1) != nil {
			return pos
		}
		s.skipWS()
		if s.peek() != ',' {
			return pos
		}
		s.pos++
	}
}

// headerUnknownField aggregates one unknown tensor field across the header, so
// a file whose every entry carries it yields one warning, not 90,000.
type headerUnknownField struct {
	name  string
	count int
	first string
}

// parseHeaderJSON parses the N header bytes into a Header (without the
// framing fields) and a locator of its tensors in the header. With own (buf
// is a mapping of the file, to be unmapped after the parse), the strings
// the header keeps are copied out of buf (ownStrings) before the names are
// hashed and checked for duplicates, so those checks hold for the strings
// callers get. brackets is the count of '[' in buf when the caller has
// it (see tensorEstimate), -1 otherwise.
//
// A header that is not valid UTF-8 is refused with the UTF-8 error
// whatever else is wrong with it, as if it were checked first; it is
// checked last, and only when needed: a header that parses, and in which
// every string read was ASCII, is ASCII throughout (everything outside
// strings is JSON punctuation, digits and literals), so the 11.9 MB of the
// DeepSeek-V3-scale bigckpt's headers are not read a second time for it
// (~1.3 ms of CPU per run).
func parseHeaderJSON(buf []byte, name string, lim Limits, dst []Tensor, own bool, brackets int, names *nameArea) (*Header, *tensorLocator, *Error) {
	h, locs, err := parseHeaderText(buf, name, lim, dst, own, brackets, names)
	if err != nil {
		if e := checkUTF8(buf, name); e != nil {
			return nil, nil, e
		}
		return nil, nil, err
	}
	return h, locs, nil
}

// checkUTF8 returns the error for a header that is not valid UTF-8, or
// nil.
func checkUTF8(buf []byte, name string) *Error {
	if utf8.Valid(buf) {
		return nil
	}
	at := 0
	for at < len(buf) {
		r, n := utf8.DecodeRune(buf[at:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		at += n
	}
	return errorf(ErrMalformed, name, prefixLen+int64(at), "", "header is not valid UTF-8 (byte %#02x); the spec requires UTF-8 JSON", buf[at])
}

// parseHeaderText is parseHeaderJSON but for the UTF-8 check of a header
// that fails to parse.
func parseHeaderText(buf []byte, name string, lim Limits, dst []Tensor, own bool, brackets int, names *nameArea) (*Header, *tensorLocator, *Error) {
	// buf is private to the parse (read for it, or a read-only mapping of
	// the file) and never written, so it can be viewed as a string without
	// a copy; names without escapes are then substrings of it (one
	// allocation for all of them, or one exact-size copy with own).
	s := &headerScanner{data: unsafe.String(unsafe.SliceData(buf), len(buf)), file: name, base: prefixLen}
	if strings.HasPrefix(s.data, "\uFEFF") {
		return nil, nil, s.errAt(0, ErrMalformed, "", "header starts with a UTF-8 byte order mark; expected '{'")
	}
	s.skipWS()
	if s.pos == len(s.data) {
		return nil, nil, s.errAt(0, ErrMalformed, "", "header is blank; expected a JSON object")
	}
	if s.peek() != '{' {
		return nil, nil, s.errAt(s.pos, ErrMalformed, "", "header must be a JSON object, found %s", s.describe(s.pos))
	}
	s.pos++

	// Size the slices from a cheap estimate, so a well-formed header is
	// parsed without regrowing them: every tensor entry has exactly two '['
	// (shape and data_offsets), and counting one byte is a vectorised pass.
	// The estimate is checked against the tensor cap so hostile text cannot
	// inflate it.
	if brackets < 0 {
		brackets = strings.Count(s.data, "[")
	}
	est := brackets / 2
	// No entry is shorter than `"":{"dtype":"U8","shape":[],"data_offsets":[0,0]}`
	// (49 bytes), so '[' inside other values cannot push the slices past a
	// small multiple of the header's size.
	est = min(est, len(s.data)/minEntryBytes)
	if est > lim.MaxTensors {
		// Possibly over the cap: count the entries with a skim that allocates
		// nothing, so 1.6 million tiny tensors are refused before a million
		// of them are built.
		if at := nthTopLevelEntry(s.data, lim.MaxTensors+2); at >= 0 {
			return nil, nil, s.errAt(at, ErrLimit, "", "more than %d tensors in one file (raise the cap to accept it)", lim.MaxTensors)
		}
		est = lim.MaxTensors
	}
	h := &Header{File: name}
	if cap(dst) >= est {
		h.Tensors = dst[:0]
	} else {
		h.Tensors = make([]Tensor, 0, est)
	}
	// Two dimensions per tensor: weights are matrices, norms and biases
	// vectors (91,680 of the DeepSeek-V3-scale bigckpt's 91,991 tensors
	// are 2-D, the rest 1-D). A tensor that finds fewer than arenaRoom
	// places left starts a new chunk sized for the rest, so higher ranks
	// cost chunks, not a regrown copy; 3 per tensor left 0.74 MB of
	// touched memory unused.
	var arena []uint64
	if own {
		arena = names.takeWords(2*est + arenaRoom)
	}
	if arena == nil {
		arena = make([]uint64, 0, 2*est+arenaRoom)
	}
	var unknown []headerUnknownField
	seenMeta := false

	s.skipWS()
	if s.peek() == '}' {
		s.pos++
	} else {
		for {
			s.skipWS()
			at := s.pos
			key, err := s.readString(lim.MaxNameBytes, "tensor name", "")
			if err != nil {
				return nil, nil, err
			}
			if !s.colon() {
				return nil, nil, s.errAt(s.pos, ErrMalformed, key, "expected ':' after the tensor name, found %s", s.describe(s.pos))
			}
			s.skipWS()
			if key == headerMetadataKey {
				if seenMeta {
					return nil, nil, s.errAt(at, ErrMalformed, "", "duplicate %s; the spec forbids duplicate keys", headerMetadataKey)
				}
				seenMeta = true
				if h.Metadata, err = s.parseMetadata(lim); err != nil {
					return nil, nil, err
				}
			} else {
				if len(h.Tensors) >= lim.MaxTensors {
					return nil, nil, s.errAt(at, ErrLimit, key, "more than %d tensors in one file (raise the cap to accept it)", lim.MaxTensors)
				}
				h.Tensors = append(h.Tensors, Tensor{Name: key, File: name})
				t := &h.Tensors[len(h.Tensors)-1]
				if cap(arena)-len(arena) < arenaRoom {
					arena = make([]uint64, 0, 2*max(est-len(h.Tensors), 0)+arenaRoom)
				}
				from := len(arena)
				if arena, err = s.parseTensor(t, arena, &unknown, lim); err != nil {
					return nil, nil, err
				}
				// The shape is a view of the arena, capacity clipped so an
				// append to it cannot overwrite the next one. Should the
				// arena grow later, this view keeps the old array, which
				// is never written again.
				t.Shape = arena[from:len(arena):len(arena)]
			}
			s.skipWS()
			c := s.peek()
			if c == '}' {
				s.pos++
				break
			}
			if c != ',' {
				return nil, nil, s.errAt(s.pos, ErrMalformed, "", "expected ',' or '}' after tensor %q, found %s", key, s.describe(s.pos))
			}
			s.pos++
			s.skipWS()
			if s.peek() == '}' {
				return nil, nil, s.errAt(s.pos, ErrMalformed, "", "trailing comma before '}'; JSON forbids it")
			}
		}
	}
	// The official writer pads the header with spaces to a multiple of 8
	// (safetensors/src/tensor.rs, prepare); serde_json also allows other
	// JSON whitespace there. Anything else after the object is an error.
	s.skipWS()
	if s.pos < len(s.data) {
		if s.data[s.pos] == 0 {
			return nil, nil, s.errAt(s.pos, ErrMalformed, "", "NUL padding after the JSON object; the writer pads with spaces")
		}
		return nil, nil, s.errAt(s.pos, ErrMalformed, "", "trailing data after the JSON object: %s", s.describe(s.pos))
	}
	if s.nonASCII {
		if err := checkUTF8(buf, name); err != nil {
			return nil, nil, err
		}
	}

	if own {
		ownStrings(h, buf, names)
	}
	locs := &tensorLocator{data: s.data}
	sum, err := hashNames(s, h.Tensors, locs)
	if err != nil {
		return nil, nil, err
	}
	h.nameSum = sum
	for _, u := range unknown {
		msg := "tensor " + strconv.Quote(u.first) + " has unknown field " + strconv.Quote(u.name) + "; the reference ignores it"
		if u.count > 1 {
			msg = "unknown field " + strconv.Quote(u.name) + " in " + strconv.Itoa(u.count) + " tensor entries (first " + strconv.Quote(u.first) + "); the reference ignores it"
		}
		h.Warnings = append(h.Warnings, Warning{Code: "unknown_field", File: name, Message: msg})
	}
	return h, locs, nil
}

// nthTopLevelEntry returns the position of the ':' of the n-th member of
// the top-level object, or -1 when there are fewer. It only skims: strings
// are skipped with IndexByte and nesting is tracked by bracket count, which
// is enough because the full parse that follows validates everything. n
// counts __metadata__ too, so callers ask for one more than the tensor cap.
func nthTopLevelEntry(d string, n int) int {
	depth, count := 0, 0
	for i := 0; i < len(d); i++ {
		switch d[i] {
		case '"':
			for {
				j := strings.IndexByte(d[i+1:], '"')
				if j < 0 {
					return -1
				}
				i += 1 + j
				// The quote closes the string unless an odd run of
				// backslashes escapes it.
				k := i - 1
				for k >= 0 && d[k] == '\\' {
					k--
				}
				if (i-1-k)%2 == 0 {
					break
				}
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case ':':
			if depth == 1 {
				if count++; count == n {
					return i
				}
			}
		}
	}
	return -1
}

// nameSeed seeds the hashes of tensor names. It is random per process, so
// no input can be built to make names collide; a collision only sends the
// checks that use it to their exact fallback.
var nameSeed = maphash.MakeSeed()

// hashTables holds hashNames' tables for reuse.
var hashTables = sync.Pool{New: func() any { return new([]uint64) }}

// maxPooledTable bounds the tables kept for reuse (512 KB): enough for a
// header of 32,768 tensors.
const maxPooledTable = 1 << 16

// hashNames refuses two tensors with the same name, like checkDuplicates,
// and returns the sum (mod 2^64) of the names' seeded hashes, the
// fingerprint Open compares with the index. Equal names have equal hashes,
// so a set of hashes without repeats proves the names distinct; any repeat
// (a duplicate, or a 2^-64 collision) is decided by checkDuplicates, which
// compares the names themselves. The set is a small open-addressing table
// of hashes, a few KB per header, instead of a map of 500 strings.
func hashNames(s *headerScanner, ts []Tensor, locs *tensorLocator) (uint64, *Error) {
	size := 16
	for size < 2*len(ts) {
		size <<= 1
	}
	// Tables are reused across headers (163 shards would otherwise
	// allocate 163 of them); a huge one is left to the collector.
	tp := hashTables.Get().(*[]uint64)
	if cap(*tp) < size {
		*tp = make([]uint64, size)
	}
	table := (*tp)[:size]
	clear(table)
	if size <= maxPooledTable {
		defer hashTables.Put(tp)
	}
	mask := uint64(size - 1)
	var sum uint64
	repeat := false
	for i := range ts {
		h := maphash.String(nameSeed, ts[i].Name)
		sum += h
		// 0 marks an empty slot, so the stored value has its low bit set;
		// two names differing only there count as a repeat and go to the
		// exact check.
		v := h | 1
		for j := v & mask; ; j = (j + 1) & mask {
			if table[j] == 0 {
				table[j] = v
				break
			}
			if table[j] == v {
				repeat = true
				break
			}
		}
	}
	if repeat {
		if err := checkDuplicates(s, ts, locs); err != nil {
			return 0, err
		}
	}
	return sum, nil
}

// checkDuplicates refuses two tensors with the same name: the spec forbids
// it, and a last-wins reader would silently hide one of them.
func checkDuplicates(s *headerScanner, ts []Tensor, locs *tensorLocator) *Error {
	seen := make(map[string]int, len(ts))
	for i := range ts {
		if j, dup := seen[ts[i].Name]; dup {
			return s.errAt(locs.at(i), ErrMalformed, ts[i].Name, "duplicate tensor name (first at byte %d); the spec forbids duplicate keys", s.base+int64(locs.at(j)))
		}
		seen[ts[i].Name] = i
	}
	return nil
}

// parseTensor reads one tensor entry {"dtype", "shape", "data_offsets"}
// into t, appending its dimensions to arena.
func (s *headerScanner) parseTensor(t *Tensor, arena []uint64, unknown *[]headerUnknownField, lim Limits) ([]uint64, *Error) {
	if arena, ok := s.fastEntry(t, arena, lim.MaxRank); ok {
		return arena, nil
	}
	name := t.Name
	if s.peek() != '{' {
		return arena, s.errAt(s.pos, ErrMalformed, name, "entry is %s; expected an object with dtype, shape and data_offsets", s.describe(s.pos))
	}
	entry := s.pos
	s.pos++
	var seenDType, seenShape, seenOffsets bool
	var extra []string // unknown field names of this entry, for duplicates
	s.skipWS()
	if s.peek() == '}' {
		s.pos++
		return arena, s.errAt(entry, ErrMalformed, name, "entry is empty; expected dtype, shape and data_offsets")
	}
	for {
		s.skipWS()
		at := s.pos
		field, err := s.readString(lim.MaxNameBytes, "field name", name)
		if err != nil {
			return arena, err
		}
		if !s.colon() {
			return arena, s.errAt(s.pos, ErrMalformed, name, "expected ':' after field %q, found %s", field, s.describe(s.pos))
		}
		s.skipWS()
		dup := false
		switch field {
		case hdrFieldDType:
			dup, seenDType = seenDType, true
			if !dup {
				if t.DType, err = s.parseDType(name); err != nil {
					return arena, err
				}
			}
		case hdrFieldShape:
			dup, seenShape = seenShape, true
			if !dup {
				if arena, err = s.parseShape(name, arena, lim.MaxRank); err != nil {
					return arena, err
				}
			}
		case hdrFieldOffsets:
			dup, seenOffsets = seenOffsets, true
			if !dup {
				if t.Begin, t.End, err = s.parseOffsets(name); err != nil {
					return arena, err
				}
			}
		default:
			for _, f := range []string{hdrFieldDType, hdrFieldShape, hdrFieldOffsets} {
				if strings.EqualFold(field, f) || strings.TrimSpace(field) == f {
					return arena, s.errAt(at, ErrMalformed, name, "field %q is not %q (field names are exact and case-sensitive)", field, f)
				}
			}
			for _, e := range extra {
				dup = dup || e == field
			}
			if !dup {
				extra = append(extra, field)
				noteUnknownField(unknown, field, name)
				if err := s.skipValue(name, lim.MaxMetadataBytes); err != nil {
					return arena, err
				}
			}
		}
		if dup {
			return arena, s.errAt(at, ErrMalformed, name, "duplicate field %q; the spec forbids duplicate keys", field)
		}
		s.skipWS()
		c := s.peek()
		if c == '}' {
			s.pos++
			break
		}
		if c != ',' {
			return arena, s.errAt(s.pos, ErrMalformed, name, "expected ',' or '}' in the tensor entry, found %s", s.describe(s.pos))
		}
		s.pos++
		s.skipWS()
		if s.peek() == '}' {
			return arena, s.errAt(s.pos, ErrMalformed, name, "trailing comma before '}'; JSON forbids it")
		}
	}
	for _, f := range []struct {
		seen bool
		name string
	}{{seenDType, hdrFieldDType}, {seenShape, hdrFieldShape}, {seenOffsets, hdrFieldOffsets}} {
		if !f.seen {
			return arena, s.errAt(entry, ErrMalformed, name, "entry has no %q; expected dtype, shape and data_offsets", f.name)
		}
	}
	return arena, nil
}

// The fixed parts of a tensor entry as the reference writer lays it out:
// serde_json's compact form of TensorInfo, fields in declaration order
// (safetensors/src/tensor.rs).
const (
	entryDType   = `{"dtype":"`
	entryShape   = `","shape":[`
	entryOffsets = `,"data_offsets":[`
)

// fastEntry parses the entry at pos when it is exactly in the writer's
// compact form, {"dtype":"F32","shape":[4096,4096],"data_offsets":[0,67108864]},
// with a known dtype, at most maxRank dimensions and every integer in
// readUint's fast form; ok is false otherwise, with pos and the arena as
// they were, and parseTensor's general parser then reads the entry with
// the same result or its exact error. It replaces three field-name
// strings, their switch and the whitespace skips by three fixed
// comparisons.
func (s *headerScanner) fastEntry(t *Tensor, arena []uint64, maxRank int) ([]uint64, bool) {
	d := s.data
	i := s.pos
	if !hasPrefixAt(d, i, entryDType) {
		return arena, false
	}
	i += len(entryDType)
	j := i
	// The longest dtype name is 11 bytes ("F8_E4M3FNUZ").
	for j < len(d) && j-i < 16 && d[j] != '"' {
		j++
	}
	if j >= len(d) || d[j] != '"' {
		return arena, false
	}
	// Every valid dtype is letters, digits and '_', so a match holds no
	// escape.
	dt, ok := lookupDType(d[i:j])
	if !ok || !hasPrefixAt(d, j, entryShape) {
		return arena, false
	}
	i = j + len(entryShape)
	base := len(arena)
	if i < len(d) && d[i] == ']' {
		i++
	} else {
		for {
			if len(arena)-base >= maxRank {
				return arena[:base], false
			}
			v, end, ok := fastUint(d, i)
			if !ok {
				return arena[:base], false
			}
			arena = append(arena, v)
			i = end
			if i < len(d) && d[i] == ',' {
				i++
				continue
			}
			if i < len(d) && d[i] == ']' {
				i++
				break
			}
			return arena[:base], false
		}
	}
	if !hasPrefixAt(d, i, entryOffsets) {
		return arena[:base], false
	}
	begin, i, ok := fastUint(d, i+len(entryOffsets))
	if !ok || i >= len(d) || d[i] != ',' {
		return arena[:base], false
	}
	end, i, ok := fastUint(d, i+1)
	if !ok || !hasPrefixAt(d, i, "]}") {
		return arena[:base], false
	}
	t.DType, t.Begin, t.End = dt, begin, end
	s.pos = i + 2
	return arena, true
}

// fastUint reads the integer at d[i] when readUint's fast path would: 1 to
// 19 digits (10^19-1 < 2^64, so no overflow), no leading zero, not
// followed by a fraction or an exponent.
func fastUint(d string, i int) (v uint64, end int, ok bool) {
	j := i
	for j < len(d) && j-i < 19 && d[j] >= '0' && d[j] <= '9' {
		v = v*10 + uint64(d[j]-'0')
		j++
	}
	n := j - i
	if n == 0 || (n > 1 && d[i] == '0') || (j < len(d) && numberContinues(d[j])) {
		return 0, 0, false
	}
	return v, j, true
}

// noteUnknownField counts an unknown field for the aggregated warning.
func noteUnknownField(unknown *[]headerUnknownField, field, tensor string) {
	for i := range *unknown {
		if (*unknown)[i].name == field {
			(*unknown)[i].count++
			return
		}
	}
	*unknown = append(*unknown, headerUnknownField{name: field, count: 1, first: tensor})
}

// parseDType reads the dtype string; it must be one of the 22 spellings of
// the reference exactly (serde matches enum variants case-sensitively).
func (s *headerScanner) parseDType(tensor string) (DType, *Error) {
	at := s.pos
	if s.peek() != '"' {
		return "", s.errAt(at, ErrMalformed, tensor, "dtype is %s; expected a string such as \"F32\"", s.describe(at))
	}
	v, err := s.readString(64, "dtype", tensor)
	if err != nil {
		return "", err
	}
	if d, ok := lookupDType(v); ok {
		return d, nil
	}
	if hint := dtypeHint(v); hint != "" {
		return "", s.errAt(at, ErrMalformed, tensor, "unknown dtype %q: the safetensors spec spells it %q; valid dtypes: %s", v, string(hint), validDTypeList())
	}
	return "", s.errAt(at, ErrMalformed, tensor, "unknown dtype %q; valid dtypes: %s", v, validDTypeList())
}

// parseShape reads the shape array, refusing it as soon as it passes
// maxRank dimensions so a 50-million-entry shape costs nothing.
func (s *headerScanner) parseShape(tensor string, arena []uint64, maxRank int) ([]uint64, *Error) {
	if s.peek() != '[' {
		return arena, s.errAt(s.pos, ErrMalformed, tensor, "shape is %s; expected an array of non-negative integers", s.describe(s.pos))
	}
	s.pos++
	s.skipWS()
	if s.peek() == ']' {
		s.pos++
		return arena, nil
	}
	for rank := 1; ; rank++ {
		s.skipWS()
		if rank > maxRank {
			return arena, s.errAt(s.pos, ErrLimit, tensor, "shape has more than %d dimensions (raise the cap to accept it)", maxRank)
		}
		d, err := s.readUint(tensor, "shape dimension")
		if err != nil {
			return arena, err
		}
		arena = append(arena, d)
		s.skipWS()
		switch s.peek() {
		case ']':
			s.pos++
			return arena, nil
		case ',':
			s.pos++
			s.skipWS()
			if s.peek() == ']' {
				return arena, s.errAt(s.pos, ErrMalformed, tensor, "trailing comma in shape; JSON forbids it")
			}
		default:
			return arena, s.errAt(s.pos, ErrMalformed, tensor, "expected ',' or ']' in shape, found %s", s.describe(s.pos))
		}
	}
}

// parseOffsets reads data_offsets: exactly two non-negative integers
// [begin, end] ([usize; 2] in the reference).
func (s *headerScanner) parseOffsets(tensor string) (begin, end uint64, err *Error) {
	at := s.pos
	if s.peek() != '[' {
		return 0, 0, s.errAt(at, ErrMalformed, tensor, "data_offsets is %s; expected [begin, end]", s.describe(at))
	}
	s.pos++
	var v [2]uint64
	for i := 0; i < 3; i++ {
		s.skipWS()
		if s.peek() == ']' && i < 2 {
			return 0, 0, s.errAt(at, ErrMalformed, tensor, "data_offsets has %d numbers; expected exactly 2 [begin, end]", i)
		}
		if i == 2 {
			return 0, 0, s.errAt(at, ErrMalformed, tensor, "data_offsets has more than 2 values; expected exactly 2 [begin, end]")
		}
		if v[i], err = s.readUint(tensor, "data_offsets value"); err != nil {
			return 0, 0, err
		}
		s.skipWS()
		switch s.peek() {
		case ']':
			s.pos++
			if i == 0 {
				return 0, 0, s.errAt(at, ErrMalformed, tensor, "data_offsets has 1 number; expected exactly 2 [begin, end]")
			}
			return v[0], v[1], nil
		case ',':
			s.pos++
		default:
			return 0, 0, s.errAt(s.pos, ErrMalformed, tensor, "expected ',' or ']' in data_offsets, found %s", s.describe(s.pos))
		}
	}
	return 0, 0, s.errAt(at, ErrMalformed, tensor, "data_offsets is not [begin, end]")
}

// parseMetadata reads __metadata__: null, or an object of string to string
// (the reference's HashMap<String, String>), with the total size of keys and
// values capped by lim.MaxMetadataBytes while scanning.
func (s *headerScanner) parseMetadata(lim Limits) ([]MetadataEntry, *Error) {
	if hasPrefixAt(s.data, s.pos, "null") {
		s.pos += 4
		return nil, nil
	}
	if s.peek() != '{' {
		return nil, s.errAt(s.pos, ErrMalformed, "", "%s is %s; expected an object of strings or null", headerMetadataKey, s.describe(s.pos))
	}
	s.pos++
	out := []MetadataEntry{}
	var seen map[string]struct{}
	budget := lim.MaxMetadataBytes
	s.skipWS()
	if s.peek() == '}' {
		s.pos++
		return out, nil
	}
	for {
		s.skipWS()
		at := s.pos
		k, err := s.readString(max(budget, 0), headerMetadataKey+" key", "")
		if err != nil {
			return nil, metadataCapError(err, lim)
		}
		budget -= len(k)
		if !s.colon() {
			return nil, s.errAt(s.pos, ErrMalformed, "", "expected ':' after %s key %q, found %s", headerMetadataKey, k, s.describe(s.pos))
		}
		s.skipWS()
		if s.peek() != '"' {
			return nil, s.errAt(s.pos, ErrMalformed, "", "%s value for key %q is %s; expected a string", headerMetadataKey, k, s.describe(s.pos))
		}
		v, err := s.readString(max(budget, 0), headerMetadataKey+" value", "")
		if err != nil {
			return nil, metadataCapError(err, lim)
		}
		budget -= len(v)
		if seen == nil {
			seen = map[string]struct{}{}
		}
		if _, dup := seen[k]; dup {
			return nil, s.errAt(at, ErrMalformed, "", "duplicate %s key %q; the spec forbids duplicate keys", headerMetadataKey, k)
		}
		seen[k] = struct{}{}
		out = append(out, MetadataEntry{Key: k, Value: v})
		s.skipWS()
		c := s.peek()
		if c == '}' {
			s.pos++
			return out, nil
		}
		if c != ',' {
			return nil, s.errAt(s.pos, ErrMalformed, "", "expected ',' or '}' in %s, found %s", headerMetadataKey, s.describe(s.pos))
		}
		s.pos++
		s.skipWS()
		if s.peek() == '}' {
			return nil, s.errAt(s.pos, ErrMalformed, "", "trailing comma in %s; JSON forbids it", headerMetadataKey)
		}
	}
}

// metadataCapError rewords a string-length limit hit inside __metadata__ as the
// metadata cap it really is.
func metadataCapError(err *Error, lim Limits) *Error {
	if err.Err == ErrLimit {
		err.Msg = headerMetadataKey + " is larger than " + strconv.Itoa(lim.MaxMetadataBytes) + " bytes (raise the cap to accept it)"
	}
	return err
}
