package reader

import (
	"bytes"
	"errors"
	"hash/maphash"
	"io"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// IndexSuffix ends the name of every sharded-checkpoint index the Hugging
// Face writers produce ("model.safetensors.index.json",
// "diffusion_pytorch_model.safetensors.index.json").
const IndexSuffix = ".safetensors.index.json"

// DefaultIndexName is the index transformers' save_pretrained writes
// (SAFE_WEIGHTS_INDEX_NAME in transformers/utils/__init__.py); a folder
// holding several indexes is read through this one.
const DefaultIndexName = "model.safetensors.index.json"

// indexExtra is what parseIndex learns on the way that Open needs and the
// exported Index does not carry.
type indexExtra struct {
	// perShard[i] counts the weight_map entries naming Shards[i].
	perShard []int
	// sums[i] is the sum (mod 2^64) of the hashes under nameSeed of the
	// tensor names mapped to Shards[i]: a fingerprint of the shard's
	// expected name set that a header (Header.nameSum) is checked against
	// without a map lookup per tensor.
	sums []uint64
	// buildMap, when not nil, fills Index.WeightMap, which parseIndexFast
	// left to be built later: the names are known distinct, so building
	// the map fails only if the index's bytes changed since the parse (an
	// error naming the index). Open runs it only when a shard fails its
	// fingerprint check and the exact per-name check needs the map.
	buildMap func() error
}

// parseIndex is ParseIndex, also returning per-shard entry counts.
func parseIndex(data []byte, name string, lim Limits) (*Index, *indexExtra, error) {
	lim = effectiveLimits(lim)
	if int64(len(data)) > lim.MaxIndexBytes {
		return nil, nil, errorf(ErrLimit, name, -1, "", "index is %d bytes, over the cap of %d (raise MaxIndexBytes)", len(data), lim.MaxIndexBytes)
	}
	if idx, extra, ok := parseIndexFast(data, name, lim); ok {
		return idx, extra, nil
	}
	return parseIndexFull(data, name, lim)
}

// parseIndexFull is parseIndex without the fast path: every index, with
// the exact error for a bad one (lim already filled by effectiveLimits).
func parseIndexFull(data []byte, name string, lim Limits) (*Index, *indexExtra, error) {
	// Duplicate names are tracked here rather than by the tokenizer: the
	// weight map is checked for free as it is built, and the tokenizer's own
	// name sets cost a third of the parse of a 90,000-entry index. Nested
	// values the reader keeps raw or skips are checked with
	// jsontext.Value.IsValid, which refuses duplicates (RFC 7493).
	// bytes.NewBuffer lets the tokenizer read data in place, without a copy.
	dec := jsontext.NewDecoder(bytes.NewBuffer(data), jsontext.AllowDuplicateNames(true))
	malformed := func(format string, args ...any) error {
		return errorf(ErrMalformed, name, dec.InputOffset(), "", format, args...)
	}
	tok, err := dec.ReadToken()
	if err != nil {
		return nil, nil, jsonError(name, "index", err)
	}
	if tok.Kind() != '{' {
		return nil, nil, errorf(ErrMalformed, name, 0, "", "index is %s, want a JSON object with a weight_map", kindName(tok.Kind()))
	}
	idx := &Index{File: name}
	extra := &indexExtra{}
	seen := make(map[string]bool)
	for {
		at := dec.InputOffset()
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, nil, jsonError(name, "index", err)
		}
		if tok.Kind() == '}' {
			break
		}
		key := tok.String()
		if seen[key] {
			return nil, nil, errorf(ErrMalformed, name, at, "", "duplicate key %s in the index object", quoteName(key))
		}
		seen[key] = true
		switch key {
		case "weight_map":
			if err := readWeightMap(dec, data, idx, extra, lim); err != nil {
				return nil, nil, err
			}
		case "metadata":
			if err := readIndexMetadata(dec, idx); err != nil {
				return nil, nil, err
			}
		default:
			// Other top-level keys carry nothing the reader needs; they
			// must still be valid, duplicate-free JSON.
			if _, err := readCheckedValue(dec, name, key); err != nil {
				return nil, nil, err
			}
		}
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		if err == nil {
			return nil, nil, malformed("trailing data after the index object")
		}
		return nil, nil, jsonError(name, "index", err)
	}
	if !seen["weight_map"] {
		return nil, nil, errorf(ErrMalformed, name, -1, "", "no weight_map, want an object of tensor name to shard name")
	}
	if len(idx.WeightMap) == 0 {
		return nil, nil, errorf(ErrMalformed, name, -1, "", "weight_map is empty, want at least one tensor")
	}
	return idx, extra, nil
}

// readWeightMap reads the value of "weight_map": an object of tensor name to
// shard name. Shard names are checked for safety and interned as they are
// first seen, so half a million entries over a hundred shards hold a hundred
// shard strings, not half a million. Tensor names are gathered into one
// arena string rather than one allocation each (90,000 small allocations
// were a fifth of the parse).
func readWeightMap(dec *jsontext.Decoder, data []byte, idx *Index, extra *indexExtra, lim Limits) error {
	name := idx.File
	start := dec.InputOffset()
	tok, err := dec.ReadToken()
	if err != nil {
		return jsonError(name, "index", err)
	}
	if tok.Kind() != '{' {
		return errorf(ErrMalformed, name, start, "", "weight_map is %s, want an object of tensor name to shard name", kindName(tok.Kind()))
	}
	hint := weightMapHint(data)
	var (
		arena  []byte  // every tensor name, unescaped, back to back
		ends   []int   // ends[k] is where entry k's name ends in arena
		shards []int32 // shards[k] is entry k's position in idx.Shards
		ats    []int64 // ats[k] is entry k's byte offset, for errors
		unq    []byte
	)
	// Tensor names are about half of a real index (DeepSeek-V3's: 4.8 of
	// 9.6 MB; the rest is shard names and punctuation); a capacity of three
	// quarters of the input avoids regrowing the arena, which grows by only
	// 1.25x at this size and is garbage once copied into one string.
	arena = make([]byte, 0, len(data)*3/4)
	ends = make([]int, 0, hint)
	shards = make([]int32, 0, hint)
	ats = make([]int64, 0, hint)
	shardIndex := make(map[string]int32)
	last := int32(-1)
	for {
		if dec.PeekKind() == '}' {
			if _, err := dec.ReadToken(); err != nil {
				return jsonError(name, "index", err)
			}
			break
		}
		key, err := dec.ReadValue()
		if err != nil {
			return jsonError(name, "index", err)
		}
		at := dec.InputOffset() - int64(len(key))
		from := len(arena)
		if arena, err = appendUnquoted(arena, key); err != nil {
			return errorf(ErrMalformed, name, at, "", "weight_map key: %v", err)
		}
		tensorBytes := arena[from:]
		val, err := dec.ReadValue()
		if err != nil {
			return jsonError(name, "index", err)
		}
		// The value's first byte, for errors.
		vat := dec.InputOffset() - int64(len(val))
		if val.Kind() != '"' {
			return errorf(ErrMalformed, name, vat, string(tensorBytes), "weight_map value is %s, want a shard name string", kindName(val.Kind()))
		}
		if unq, err = appendUnquoted(unq[:0], val); err != nil {
			return errorf(ErrMalformed, name, vat, string(tensorBytes), "weight_map value: %v", err)
		}
		// Writers sort weight_map by tensor name, so runs of entries name
		// the same shard: compare with the previous one before hashing. A
		// map lookup with string(bytes) does not allocate.
		i, ok := last, last >= 0 && string(unq) == idx.Shards[last]
		if !ok {
			i, ok = shardIndex[string(unq)]
		}
		if !ok {
			shard := string(unq)
			if len(idx.Shards) >= lim.MaxShards {
				return errorf(ErrLimit, name, vat, string(tensorBytes), "more than %d distinct shard names (raise MaxShards)", lim.MaxShards)
			}
			if err := checkShardName(name, shard); err != nil {
				var e *Error
				if errors.As(err, &e) {
					e.Offset, e.Tensor = vat, string(tensorBytes)
				}
				return err
			}
			i = int32(len(idx.Shards))
			shardIndex[shard] = i
			idx.Shards = append(idx.Shards, shard)
			extra.perShard = append(extra.perShard, 0)
			extra.sums = append(extra.sums, 0)
		}
		last = i
		extra.perShard[i]++
		extra.sums[i] += maphash.Bytes(nameSeed, tensorBytes)
		ends = append(ends, len(arena))
		shards = append(shards, i)
		ats = append(ats, at)
	}
	names := string(arena)
	wm := make(map[string]string, len(ends))
	from := 0
	for k, end := range ends {
		tensor := names[from:end]
		from = end
		// Intern: every entry for a shard shares the first-seen string.
		n := len(wm)
		wm[tensor] = idx.Shards[shards[k]]
		if len(wm) == n {
			// The spec's JSON forbids duplicate names, and last-wins would
			// hide where the first entry pointed.
			return errorf(ErrMalformed, name, ats[k], tensor, "duplicate key in weight_map")
		}
	}
	idx.WeightMap = wm
	idx.Entries = len(wm)
	return nil
}

// appendUnquoted appends the text of a raw JSON string the decoder has
// already validated: its bytes between the quotes when it holds no escape.
func appendUnquoted(dst []byte, raw jsontext.Value) ([]byte, error) {
	if bytes.IndexByte(raw, '\\') < 0 {
		return append(dst, raw[1:len(raw)-1]...), nil
	}
	return jsontext.AppendUnquote(dst, raw)
}

// weightMapHint guesses the number of weight_map entries from the colons in
// data, to size the map once. Each entry takes more than 20 bytes
// (`"a":"b.safetensors",`), so the guess is also capped by the size of data
// and cannot be inflated beyond what the input pays for.
func weightMapHint(data []byte) int {
	return min(bytes.Count(data, []byte{':'}), len(data)/32)
}

// readCheckedValue reads one value raw and refuses it when it holds
// duplicate names at any depth (the decoder runs with duplicates allowed).
func readCheckedValue(dec *jsontext.Decoder, file, key string) (jsontext.Value, error) {
	at := dec.InputOffset()
	val, err := dec.ReadValue()
	if err != nil {
		return nil, jsonError(file, "index", err)
	}
	if !val.IsValid() {
		return nil, errorf(ErrMalformed, file, at, "", "value of %s holds a duplicate key", quoteName(key))
	}
	return val, nil
}

// readIndexMetadata reads the value of "metadata": null, or an object whose
// total_size (when present) is a non-negative integer. Other keys are kept
// as raw JSON text.
func readIndexMetadata(dec *jsontext.Decoder, idx *Index) error {
	name := idx.File
	start := dec.InputOffset()
	tok, err := dec.ReadToken()
	if err != nil {
		return jsonError(name, "index", err)
	}
	switch tok.Kind() {
	case 'n':
		return nil
	case '{':
	default:
		return errorf(ErrMalformed, name, start, "", "metadata is %s, want an object", kindName(tok.Kind()))
	}
	seen := make(map[string]bool)
	for {
		kat := dec.InputOffset()
		tok, err := dec.ReadToken()
		if err != nil {
			return jsonError(name, "index", err)
		}
		if tok.Kind() == '}' {
			return nil
		}
		key := tok.String()
		if seen[key] {
			return errorf(ErrMalformed, name, kat, "", "duplicate key %s in metadata", quoteName(key))
		}
		seen[key] = true
		if key == "total_size" {
			val, err := dec.ReadValue()
			if err != nil {
				return jsonError(name, "index", err)
			}
			at := dec.InputOffset() - int64(len(val))
			switch val.Kind() {
			case 'n':
				// null says as much as an absent total_size.
				continue
			case '0':
			default:
				return errorf(ErrMalformed, name, at, "", "metadata.total_size is %s, want an integer byte count", kindName(val.Kind()))
			}
			text := string(val)
			// The Hugging Face writers (huggingface_hub's
			// save_torch_state_dict, transformers' save_pretrained) write
			// total_size as an integer; a float such as 1.5e9 or 123.0 came
			// from another tool and may have lost digits.
			n, err := strconv.ParseUint(text, 10, 64)
			if err != nil {
				if strings.ContainsAny(text, ".eE") {
					return errorf(ErrMalformed, name, at, "", "metadata.total_size is %s, written as a float, want an integer byte count (the Hugging Face writer writes an integer)", text)
				}
				return errorf(ErrMalformed, name, at, "", "metadata.total_size is %s, want a non-negative integer that fits in 64 bits", text)
			}
			idx.TotalSize, idx.HasTotalSize = n, true
			continue
		}
		val, err := readCheckedValue(dec, name, "metadata."+key)
		if err != nil {
			return err
		}
		idx.Metadata = append(idx.Metadata, MetadataEntry{Key: key, Value: string(val)})
	}
}

// jsonError turns a tokenizer error into an *Error naming the file, the byte
// offset and the JSON path where the input stopped being valid JSON.
func jsonError(file, what string, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errorf(ErrMalformed, file, -1, "", "%s ends before its JSON is complete", what)
	}
	var se *jsontext.SyntacticError
	if errors.As(err, &se) {
		if errors.Is(se.Err, io.ErrUnexpectedEOF) {
			return &Error{File: file, Offset: se.ByteOffset, Msg: what + " ends before its JSON is complete", Err: ErrMalformed}
		}
		msg := "invalid JSON"
		if se.Err != nil {
			msg += ": " + strings.TrimPrefix(se.Err.Error(), "jsontext: ")
		}
		if se.JSONPointer != "" {
			msg += " at " + strconv.Quote(string(se.JSONPointer))
		}
		return &Error{File: file, Offset: se.ByteOffset, Msg: msg, Err: ErrMalformed}
	}
	return &Error{File: file, Offset: -1, Msg: "reading " + what + ": " + err.Error(), Err: ErrMalformed}
}

// kindName names a JSON token kind for people.
func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 'f', 't':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return "not a JSON value"
}
