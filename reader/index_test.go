package reader

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

// indexJSON builds an index: weight_map from tensor/shard pairs in order,
// then metadata (raw JSON, "" for none).
func indexJSON(metadata string, pairs ...string) string {
	var b strings.Builder
	b.WriteString("{")
	if metadata != "" {
		b.WriteString(`"metadata":` + metadata + `,`)
	}
	b.WriteString(`"weight_map":{`)
	for i := 0; i+1 < len(pairs); i += 2 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%q:%q", pairs[i], pairs[i+1])
	}
	b.WriteString("}}")
	return b.String()
}

// wantErr checks that err wraps sentinel, is an *Error, and its message
// holds every substring.
func wantErr(t *testing.T, err, sentinel error, subs ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", sentinel)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("got error %q, want one wrapping %v", err, sentinel)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got error of type %T (%v), want *reader.Error", err, err)
	}
	for _, s := range subs {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("got error %q, want it to contain %q", err, s)
		}
	}
}

// TestShardNameSafety covers every shard name of HOSTILE.md "Sharded index"
// and the names real writers use.
func TestShardNameSafety(t *testing.T) {
	tests := []struct {
		name string
		want string // "" for accepted, else a substring of the error
	}{
		// Names real checkpoints use (transformers' save_pretrained,
		// diffusers, and the underscore spelling of some exporters).
		{"model-00001-of-00003.safetensors", ""},
		{"model_00001-of-00072.safetensors", ""},
		{"diffusion_pytorch_model-00001-of-00002.safetensors", ""},
		{"model.safetensors", ""},
		{"sub/model-00001-of-00002.safetensors", ""},
		{"a%20b.safetensors", ""},
		// HOSTILE.md, Sharded index.
		{"../../etc/passwd", "leaves the model folder"},
		{"../../etc/x.safetensors", "leaves the model folder"},
		{"/etc/passwd", "absolute path"},
		{`C:\x`, "backslash"},
		{"C:x.safetensors", "colon"},
		{`a\..\b`, "backslash"},
		{"%2e%2e/%2e%2e/x.safetensors", "leaves the model folder once percent-decoded"},
		{"%252e%252e/%252e%252e/x.safetensors", "leaves the model folder once percent-decoded"},
		{"%2F%2Fetc/x.safetensors", "absolute path once percent-decoded"},
		{"%5c..%5cx.safetensors", "backslash once percent-decoded"},
		{"a\x1b[31m.safetensors", "control character"},
		{"a\nb.safetensors", "control character"},
		{"a%0ab.safetensors", "control character"},
		{"a\u0085b.safetensors", "control character"},
		{"a\xffb.safetensors", "UTF-8"},
		{"", "empty"},
		{".", "not a .safetensors file"},
		{"sub/", "not a clean relative path"},
		{"./model.safetensors", "not a clean relative path"},
		{"sub//model.safetensors", "not a clean relative path"},
		{"sub/../model.safetensors", "not a clean relative path"},
		{"%zz.safetensors", "invalid percent-encoding"},
		{"model.safetensors.index.json", "not a .safetensors file"},
		{"config.json", "not a .safetensors file"},
		{"pytorch_model-00001-of-00002.bin", "not a .safetensors file"},
		{".safetensors", "not a .safetensors file"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.name), func(t *testing.T) {
			err := checkShardName("model.safetensors.index.json", tt.name)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want the name accepted", err)
				}
				return
			}
			wantErr(t, err, ErrUnsafePath, tt.want, "model.safetensors.index.json")
		})
	}
}

// TestParseIndex covers the index cases of HOSTILE.md "Sharded index" that
// need no files.
func TestParseIndex(t *testing.T) {
	const idx = "model.safetensors.index.json"
	ok2 := []string{"a.weight", "model-00001-of-00002.safetensors", "b.weight", "model-00002-of-00002.safetensors"}
	tests := []struct {
		name     string
		data     string
		sentinel error  // nil: accepted
		want     string // error substring
		check    func(t *testing.T, x *Index)
	}{
		{"ok, total_size missing", indexJSON("", ok2...), nil, "", func(t *testing.T, x *Index) {
			if x.HasTotalSize {
				t.Errorf("got HasTotalSize true, want false")
			}
			if got := strings.Join(x.Shards, ","); got != "model-00001-of-00002.safetensors,model-00002-of-00002.safetensors" {
				t.Errorf("got shards %s, want both in first-seen order", got)
			}
			if got := x.WeightMap["b.weight"]; got != "model-00002-of-00002.safetensors" {
				t.Errorf("got b.weight in %q, want model-00002-of-00002.safetensors", got)
			}
		}},
		{"total_size integer", indexJSON(`{"total_size": 1234}`, ok2...), nil, "", func(t *testing.T, x *Index) {
			if !x.HasTotalSize || x.TotalSize != 1234 {
				t.Errorf("got total_size %d (present %v), want 1234", x.TotalSize, x.HasTotalSize)
			}
		}},
		{"total_size above 2^53 stays exact", indexJSON(`{"total_size": 18446744073709551615}`, ok2...), nil, "", func(t *testing.T, x *Index) {
			if x.TotalSize != 18446744073709551615 {
				t.Errorf("got total_size %d, want 18446744073709551615", x.TotalSize)
			}
		}},
		{"total_size null", indexJSON(`{"total_size": null}`, ok2...), nil, "", func(t *testing.T, x *Index) {
			if x.HasTotalSize {
				t.Errorf("got HasTotalSize true, want false for null")
			}
		}},
		{"other metadata kept raw", indexJSON(`{"format":"pt","total_parameters":671026419200}`, ok2...), nil, "", func(t *testing.T, x *Index) {
			if len(x.Metadata) != 2 || x.Metadata[0] != (MetadataEntry{"format", `"pt"`}) || x.Metadata[1] != (MetadataEntry{"total_parameters", "671026419200"}) {
				t.Errorf("got metadata %q, want format \"pt\" and total_parameters 671026419200 raw", x.Metadata)
			}
		}},
		{"metadata null", indexJSON(`null`, ok2...), nil, "", nil},
		{"unknown top-level key", `{"x":[1,{"y":2}],"weight_map":{"a":"a.safetensors"}}`, nil, "", nil},
		{"leading and trailing spaces", "  " + indexJSON("", ok2...) + "\n", nil, "", nil},

		{"total_size float 1.5e9", indexJSON(`{"total_size": 1.5e9}`, ok2...), ErrMalformed, "written as a float, want an integer", nil},
		{"total_size float 123.0", indexJSON(`{"total_size": 123.0}`, ok2...), ErrMalformed, "written as a float", nil},
		{"total_size negative", indexJSON(`{"total_size": -1}`, ok2...), ErrMalformed, "non-negative integer", nil},
		{"total_size over 64 bits", indexJSON(`{"total_size": 18446744073709551616}`, ok2...), ErrMalformed, "fits in 64 bits", nil},
		{"total_size string", indexJSON(`{"total_size": "123"}`, ok2...), ErrMalformed, "total_size is a string", nil},
		{"metadata array", indexJSON(`[]`, ok2...), ErrMalformed, "metadata is an array", nil},
		{"weight_map missing", `{"metadata":{}}`, ErrMalformed, "no weight_map", nil},
		{"weight_map null", `{"weight_map":null}`, ErrMalformed, "weight_map is null", nil},
		{"weight_map array", `{"weight_map":["a.safetensors"]}`, ErrMalformed, "weight_map is an array", nil},
		{"weight_map empty", `{"weight_map":{}}`, ErrMalformed, "weight_map is empty", nil},
		{"weight_map number value", `{"weight_map":{"a.weight":1}}`, ErrMalformed, `tensor "a.weight": weight_map value is a number`, nil},
		{"weight_map null value", `{"weight_map":{"a.weight":null}}`, ErrMalformed, "weight_map value is null", nil},
		{"weight_map object value", `{"weight_map":{"a.weight":{"f":"a.safetensors"}}}`, ErrMalformed, "weight_map value is an object", nil},
		{"duplicate tensor in weight_map", `{"weight_map":{"a":"x.safetensors","a":"y.safetensors"}}`, ErrMalformed, "duplicate", nil},
		{"duplicate weight_map", `{"weight_map":{"a":"x.safetensors"},"weight_map":{"b":"x.safetensors"}}`, ErrMalformed, "duplicate", nil},
		{"duplicate metadata key", indexJSON(`{"total_size":1,"total_size":2}`, ok2...), ErrMalformed, "duplicate", nil},
		{"duplicate key in skipped value", `{"x":{"k":1,"k":2},"weight_map":{"a":"a.safetensors"}}`, ErrMalformed, "duplicate", nil},
		{"top level array", `[]`, ErrMalformed, "index is an array", nil},
		{"top level null", `null`, ErrMalformed, "index is null", nil},
		{"top level string", `"x"`, ErrMalformed, "index is a string", nil},
		{"top level number", `123`, ErrMalformed, "index is a number", nil},
		{"empty", ``, ErrMalformed, "ends before its JSON is complete", nil},
		{"unterminated", `{`, ErrMalformed, "ends before its JSON is complete", nil},
		{"trailing garbage", indexJSON("", ok2...) + "x", ErrMalformed, "", nil},
		{"two objects", indexJSON("", ok2...) + "{}", ErrMalformed, "trailing data", nil},
		{"trailing comma", `{"weight_map":{"a":"a.safetensors",}}`, ErrMalformed, "invalid JSON", nil},
		{"invalid UTF-8 name", "{\"weight_map\":{\"a\xff\":\"a.safetensors\"}}", ErrMalformed, "UTF-8", nil},
		{"unsafe shard", indexJSON("", "a", "../../etc/passwd"), ErrUnsafePath, `tensor "a"`, nil},
		{"shard is the index", indexJSON("", "a", "model.safetensors.index.json"), ErrUnsafePath, "not a .safetensors file", nil},
		{"shard is a .bin", indexJSON("", "a", "pytorch_model.bin"), ErrUnsafePath, "not a .safetensors file", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, err := ParseIndex([]byte(tt.data), idx, Limits{})
			if tt.sentinel == nil {
				if err != nil {
					t.Fatalf("got %v, want the index accepted", err)
				}
				if tt.check != nil {
					tt.check(t, x)
				}
				return
			}
			wantErr(t, err, tt.sentinel, idx, tt.want)
		})
	}
}

// TestParseIndexCaps: 20,000 shard names and an index over MaxIndexBytes
// are refused (HOSTILE.md, Sharded index, caps).
func TestParseIndexCaps(t *testing.T) {
	t.Run("20000 shard names", func(t *testing.T) {
		var pairs []string
		for i := range 20000 {
			pairs = append(pairs, fmt.Sprintf("t%d", i), fmt.Sprintf("model-%05d-of-20000.safetensors", i+1))
		}
		_, err := ParseIndex([]byte(indexJSON("", pairs...)), "big.safetensors.index.json", Limits{})
		// DefaultLimits().MaxShards is 10,000: the 10,001st name trips it.
		wantErr(t, err, ErrLimit, "more than 10000 distinct shard names", `tensor "t10000"`)
	})
	t.Run("bytes over the cap", func(t *testing.T) {
		data := []byte(indexJSON("", "a", "a.safetensors"))
		_, err := ParseIndex(data, "x.safetensors.index.json", Limits{MaxIndexBytes: 10})
		wantErr(t, err, ErrLimit, "over the cap of 10")
	})
	t.Run("raised MaxShards accepts", func(t *testing.T) {
		data := []byte(indexJSON("", "a", "a.safetensors", "b", "b.safetensors", "c", "c.safetensors"))
		if _, err := ParseIndex(data, "x.safetensors.index.json", Limits{MaxShards: 2}); !errors.Is(err, ErrLimit) {
			t.Fatalf("got %v with MaxShards 2, want ErrLimit", err)
		}
		if _, err := ParseIndex(data, "x.safetensors.index.json", Limits{MaxShards: 3}); err != nil {
			t.Fatalf("got %v with MaxShards 3, want accepted", err)
		}
	})
}

// TestParseIndexHalfMillion: 500,000 entries over 100 shards (HOSTILE.md,
// Sharded index) parse, with shard names interned (100 strings, not
// 500,000) and the retained heap within a small multiple of the input.
func TestParseIndexHalfMillion(t *testing.T) {
	const entries, shards = 500_000, 100
	var b strings.Builder
	b.WriteString(`{"metadata":{"total_size":0},"weight_map":{`)
	for i := range entries {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"model.layers.%d.mlp.experts.%d.up_proj.weight":"model-%05d-of-%05d.safetensors"`, i/1000, i%1000, i%shards+1, shards)
	}
	b.WriteString("}}")
	data := []byte(b.String())

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	x, err := ParseIndex(data, "model.safetensors.index.json", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if len(x.WeightMap) != entries || len(x.Shards) != shards {
		t.Fatalf("got %d entries over %d shards, want %d over %d", len(x.WeightMap), len(x.Shards), entries, shards)
	}
	first := make(map[string]*byte)
	for _, s := range x.WeightMap {
		p := unsafe.StringData(s)
		if q, ok := first[s]; ok && q != p {
			t.Fatalf("shard name %q is held by two different strings, want it interned", s)
		}
		first[s] = p
	}
	retained := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	if limit := 2 * int64(len(data)); retained > limit {
		t.Errorf("got %d bytes retained for a %d-byte index, want at most %d", retained, len(data), limit)
	}
	runtime.KeepAlive(x)
}
