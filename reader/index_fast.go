package reader

import (
	"errors"
	"hash/maphash"
	"math"
	"runtime/debug"
	"slices"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// parseIndexFast parses the index shape the Hugging Face writers produce
// (json.dumps of {"metadata": {"total_size": N}, "weight_map": {...}}, in
// either order, any JSON whitespace), several times faster than the
// tokenizer: one pass over the bytes, strings tested eight bytes at a time
// for a quote, a backslash or a control byte (swarSpecial), no token values.
//
// It only accepts: a valid UTF-8 document that is one object whose keys are
// "metadata" (null, or an object holding at most a plain integer
// total_size) and "weight_map" (a non-empty object of escape-free strings
// to escape-free strings), each at most once, with no duplicate tensor
// name, at most lim.MaxShards distinct shard names and every shard name
// safe. Anything else, valid or not, returns ok false, and parseIndex then
// runs the full parser, which accepts or refuses it with its exact error;
// whatever the fast path accepts, the full parser accepts with the same
// result.
//
// It first tries with every string ASCII: an index accepted that way is
// ASCII throughout, so valid UTF-8 without a check of its own (utf8.Valid
// over the DeepSeek-V3-scale bigckpt's 10 MB index was ~0.6 ms of CPU per
// run). An index that fails that try is checked for UTF-8 and tried again
// with any string.
func parseIndexFast(data []byte, name string, lim Limits) (idx *Index, extra *indexExtra, ok bool) {
	// Positions are kept as int32 (half the memory of int for 90,000
	// entries); a larger index, if its cap was raised that far, takes the
	// full parser.
	if len(data) > math.MaxInt32 {
		return nil, nil, false
	}
	if idx, extra, ok := parseIndexFastAs(data, name, lim, true); ok {
		return idx, extra, true
	}
	if !utf8.Valid(data) {
		return nil, nil, false
	}
	return parseIndexFastAs(data, name, lim, false)
}

// parseIndexFastAs is parseIndexFast's one try, with every string
// required to be ASCII or not.
func parseIndexFastAs(data []byte, name string, lim Limits, ascii bool) (idx *Index, extra *indexExtra, ok bool) {
	// Scanned as a string without a copy; nothing kept refers to it: tensor
	// names are copied when the map is built, shard names into their own
	// strings, so the index's bytes do not outlive the parse.
	d := unsafe.String(unsafe.SliceData(data), len(data))
	i := skipSpace(d, 0)
	if i >= len(d) || d[i] != '{' {
		return nil, nil, false
	}
	i = skipSpace(d, i+1)
	idx = &Index{File: name}
	extra = &indexExtra{}
	var seenMeta, seenMap bool
	for {
		key, j, ok := fastString(d, i, ascii)
		if !ok {
			return nil, nil, false
		}
		j = skipSpace(d, j)
		if j >= len(d) || d[j] != ':' {
			return nil, nil, false
		}
		j = skipSpace(d, j+1)
		switch {
		case key == "weight_map" && !seenMap:
			seenMap = true
			if j, ok = fastWeightMap(data, d, j, idx, extra, lim, ascii); !ok {
				return nil, nil, false
			}
		case key == "metadata" && !seenMeta:
			seenMeta = true
			if j, ok = fastMetadata(d, j, idx, ascii); !ok {
				return nil, nil, false
			}
		default:
			return nil, nil, false
		}
		j = skipSpace(d, j)
		if j >= len(d) {
			return nil, nil, false
		}
		if d[j] == '}' {
			i = j + 1
			break
		}
		if d[j] != ',' {
			return nil, nil, false
		}
		i = skipSpace(d, j+1)
	}
	if skipSpace(d, i) != len(d) || !seenMap {
		return nil, nil, false
	}
	return idx, extra, true
}

// skipSpace returns the position of the first byte at or after i that is
// not JSON whitespace.
func skipSpace(d string, i int) int {
	for i < len(d) && jsonSpace(d[i]) {
		i++
	}
	return i
}

// fastString returns the text of the escape-free JSON string at d[i] and
// the position after its closing quote; ok is false when there is no string
// at i or it holds an escape or a raw control byte, or, with ascii, a byte
// above 0x7f.
func fastString(d string, i int, ascii bool) (s string, end int, ok bool) {
	if i >= len(d) || d[i] != '"' {
		return "", 0, false
	}
	j := i + 1
	special := &stringSpecial
	if ascii {
		special = &stringSpecialHi
		for j+8 <= len(d) && !swarSpecialHi(load64(d, j)) {
			j += 8
		}
	} else {
		for j+8 <= len(d) && !swarSpecial(load64(d, j)) {
			j += 8
		}
	}
	for ; j < len(d); j++ {
		if c := d[j]; special[c] {
			if c == '"' {
				return d[i+1 : j], j + 1, true
			}
			return "", 0, false
		}
	}
	return "", 0, false
}

// quotedAt reports whether d holds the JSON string "s" at i.
func quotedAt(d string, i int, s string) bool {
	end := i + len(s) + 1
	return end < len(d) && d[i] == '"' && d[end] == '"' && d[i+1:end] == s
}

// fastMetadata reads the value of "metadata" at d[i]: null, or an object
// with at most a total_size written as plain digits that fit in 64 bits.
func fastMetadata(d string, i int, idx *Index, ascii bool) (int, bool) {
	if hasPrefixAt(d, i, "null") {
		return i + 4, true
	}
	if i >= len(d) || d[i] != '{' {
		return 0, false
	}
	i = skipSpace(d, i+1)
	if i < len(d) && d[i] == '}' {
		return i + 1, true
	}
	key, i, ok := fastString(d, i, ascii)
	if !ok || key != "total_size" {
		return 0, false
	}
	i = skipSpace(d, i)
	if i >= len(d) || d[i] != ':' {
		return 0, false
	}
	i = skipSpace(d, i+1)
	start := i
	var n uint64
	// At most 19 digits: 10^19-1 < 2^64, so no overflow check; longer
	// numbers go to the full parser.
	for i < len(d) && i-start < 19 && d[i] >= '0' && d[i] <= '9' {
		n = n*10 + uint64(d[i]-'0')
		i++
	}
	if i == start || (d[start] == '0' && i-start > 1) || (i < len(d) && numberContinues(d[i])) {
		return 0, false
	}
	i = skipSpace(d, i)
	if i >= len(d) || d[i] != '}' {
		return 0, false
	}
	idx.TotalSize, idx.HasTotalSize = n, true
	return i + 1, true
}

// fastWeightMap reads the value of "weight_map" at d[i] into idx and extra,
// with the same results as readWeightMap. It keeps nothing per entry: the
// counts and fingerprints are all Open needs when every shard matches, so
// the map itself (and a copy of every name) is built by weightMapAt only
// when asked for (extra.buildMap), or at once for an unsorted index, whose
// names must be proved distinct.
func fastWeightMap(data []byte, d string, i int, idx *Index, extra *indexExtra, lim Limits, ascii bool) (int, bool) {
	if i >= len(d) || d[i] != '{' {
		return 0, false
	}
	at := i
	i = skipSpace(d, i+1)
	entries := 0
	shardIndex := make(map[string]int32)
	last := int32(-1)
	sorted := true
	prev := ""
	for {
		tensor, j, ok := fastString(d, i, ascii)
		if !ok {
			return 0, false
		}
		j = skipSpace(d, j)
		if j >= len(d) || d[j] != ':' {
			return 0, false
		}
		j = skipSpace(d, j+1)
		var shard string
		var k int32
		known := false
		// Consecutive entries mostly name the same shard: finding the
		// last one's name between quotes at j gives what fastString
		// would (the name holds nothing fastString stops at) without
		// scanning for the closing quote (~1 ms of CPU over the 91,991
		// entries of the DeepSeek-V3-scale bigckpt).
		if last >= 0 && quotedAt(d, j, idx.Shards[last]) {
			shard, k, known = idx.Shards[last], last, true
			j += len(shard) + 2
		} else if shard, j, ok = fastString(d, j, ascii); !ok {
			return 0, false
		}
		if !known {
			k, known = shardIndex[shard]
		}
		if !known {
			if len(idx.Shards) >= lim.MaxShards || checkShardName(idx.File, shard) != nil {
				return 0, false
			}
			// A copy: the shard name must not keep the index's bytes
			// (which may be a mapping released after the parse).
			s := strings.Clone(shard)
			k = int32(len(idx.Shards))
			shardIndex[s] = k
			idx.Shards = append(idx.Shards, s)
			extra.perShard = append(extra.perShard, 0)
			extra.sums = append(extra.sums, 0)
		}
		last = k
		extra.perShard[k]++
		extra.sums[k] += maphash.String(nameSeed, tensor)
		// Writers sort weight_map by name (json.dumps with sort_keys), and
		// names in strictly increasing order are distinct: no set needed
		// to prove there is no duplicate.
		if entries > 0 && tensor <= prev {
			sorted = false
		}
		prev = tensor
		entries++
		j = skipSpace(d, j)
		if j >= len(d) {
			return 0, false
		}
		if d[j] == '}' {
			i = j + 1
			break
		}
		if d[j] != ',' {
			return 0, false
		}
		i = skipSpace(d, j+1)
	}
	idx.Entries = entries
	if sorted {
		// The map only serves Index.WeightMap and the exact checks after a
		// fingerprint mismatch, so it is built only if one of them asks.
		extra.buildMap = func() error {
			wm, err := weightMapAt(data, at, idx, extra)
			if err != nil {
				return err
			}
			idx.WeightMap = wm
			return nil
		}
		return i, true
	}
	wm, err := weightMapAt(data, at, idx, extra)
	if err != nil {
		// A duplicate: the full parser names it.
		return 0, false
	}
	idx.WeightMap = wm
	return i, true
}

// errIndexChanged is weightMapAt's answer when the weight_map no longer
// holds what fastWeightMap counted.
var errIndexChanged = errors.New("weight_map changed while being read")

// weightMapAt builds the weight map from the weight_map object at data[at],
// which fastWeightMap accepted, copying every name. data may be a mapping
// of a file that has changed or shrunk since (Open builds the map late), so
// a fault is an error and so is any difference from what fastWeightMap
// counted: the set of shards, the entries and fingerprints per shard, or a
// duplicate name.
func weightMapAt(data []byte, at int, idx *Index, extra *indexExtra) (wm map[string]string, err error) {
	changed := func() error {
		return errorf(ErrMalformed, idx.File, -1, "", "changed while being read (%v)", errIndexChanged)
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if _, fault := r.(interface{ Addr() uintptr }); !fault {
				panic(r)
			}
			wm, err = nil, changed()
		}
	}()
	d := unsafe.String(unsafe.SliceData(data), len(data))
	shardIndex := make(map[string]int, len(idx.Shards))
	for k, s := range idx.Shards {
		shardIndex[s] = k
	}
	perShard := make([]int, len(idx.Shards))
	sums := make([]uint64, len(idx.Shards))
	wm = make(map[string]string, idx.Entries)
	if at >= len(d) || d[at] != '{' {
		return nil, changed()
	}
	i := skipSpace(d, at+1)
	for {
		tensor, j, ok := fastString(d, i, false)
		if !ok {
			return nil, changed()
		}
		j = skipSpace(d, j)
		if j >= len(d) || d[j] != ':' {
			return nil, changed()
		}
		shard, j, ok := fastString(d, skipSpace(d, j+1), false)
		if !ok {
			return nil, changed()
		}
		k, known := shardIndex[shard]
		if !known {
			return nil, changed()
		}
		perShard[k]++
		sums[k] += maphash.String(nameSeed, tensor)
		// Every entry for a shard shares its one string; the name is
		// copied, as the index's bytes do not outlive the parse.
		wm[strings.Clone(tensor)] = idx.Shards[k]
		j = skipSpace(d, j)
		if j >= len(d) {
			return nil, changed()
		}
		if d[j] == '}' {
			break
		}
		if d[j] != ',' {
			return nil, changed()
		}
		i = skipSpace(d, j+1)
	}
	if len(wm) != idx.Entries || !slices.Equal(perShard, extra.perShard) || !slices.Equal(sums, extra.sums) {
		return nil, changed()
	}
	return wm, nil
}
