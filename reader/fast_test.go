package reader

import (
	"encoding/binary"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestFastEntryAgrees: a tensor entry read by fastEntry (the writer's
// compact form) gives exactly what the general parser gives for the same
// entry spaced out (which fastEntry refuses), tensors or error alike.
func TestFastEntryAgrees(t *testing.T) {
	tests := []struct {
		name, entry string
		fast        bool // whether the compact form takes the fast path
	}{
		{"rank 2", `{"dtype":"F8_E4M3","shape":[2048,7168],"data_offsets":[0,14680064]}`, true},
		{"scalar", `{"dtype":"F32","shape":[],"data_offsets":[0,4]}`, true},
		{"zero dim", `{"dtype":"BF16","shape":[0,8],"data_offsets":[0,0]}`, true},
		{"rank 8", `{"dtype":"U8","shape":[1,1,1,1,1,1,1,2],"data_offsets":[0,2]}`, true},
		{"rank 9 over the cap", `{"dtype":"U8","shape":[1,1,1,1,1,1,1,1,2],"data_offsets":[0,2]}`, false},
		{"leading zero", `{"dtype":"F32","shape":[01],"data_offsets":[0,4]}`, false},
		{"exponent", `{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}`, false},
		{"20 digits", `{"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,4]}`, false},
		{"lower-case dtype", `{"dtype":"f32","shape":[1],"data_offsets":[0,4]}`, false},
		{"three offsets", `{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}`, false},
		{"one offset", `{"dtype":"F32","shape":[1],"data_offsets":[4]}`, false},
		{"extra field", `{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}`, false},
		{"wrong span", `{"dtype":"F32","shape":[2],"data_offsets":[0,4]}`, true},
	}
	spaced := func(e string) string {
		for _, p := range []string{`{"dtype":`, `"shape":`, `"data_offsets":`} {
			e = strings.Replace(e, p, strings.Replace(p, ":", " : ", 1), 1)
		}
		return strings.Replace(e, "{", "{ ", 1)
	}
	parse := func(t *testing.T, entry string) (*Header, error) {
		t.Helper()
		js := `{"t":` + entry + `}`
		// A header-only stub: the file ends after the header.
		file := binary.LittleEndian.AppendUint64(nil, uint64(len(js)))
		file = append(file, js...)
		return ParseHeader(strings.NewReader(string(file)), int64(len(file)), "f.safetensors", Limits{MaxRank: 8})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &headerScanner{data: tt.entry}
			if _, got := s.fastEntry(&Tensor{}, nil, 8); got != tt.fast {
				t.Errorf("fastEntry took %q: got %v, want %v", tt.entry, got, tt.fast)
			}
			if _, slow := (&headerScanner{data: spaced(tt.entry)}).fastEntry(&Tensor{}, nil, 8); slow {
				t.Fatalf("fastEntry took the spaced form %q, want it refused", spaced(tt.entry))
			}
			h1, err1 := parse(t, tt.entry)
			h2, err2 := parse(t, spaced(tt.entry))
			if (err1 == nil) != (err2 == nil) {
				t.Fatalf("got errors %v (compact) and %v (spaced), want both or neither", err1, err2)
			}
			if err1 != nil {
				var e1, e2 *Error
				if !errors.As(err1, &e1) || !errors.As(err2, &e2) || e1.Err != e2.Err || e1.Msg != e2.Msg {
					t.Errorf("got %v (compact), want the same error as %v (spaced) but for the offset", err1, err2)
				}
				return
			}
			a, b := h1.Tensors[0], h2.Tensors[0]
			if a.Name != b.Name || a.DType != b.DType || !slices.Equal(a.Shape, b.Shape) || a.Begin != b.Begin || a.End != b.End {
				t.Errorf("got %+v (compact), want %+v (spaced)", a, b)
			}
		})
	}
}

// TestFastIndexAgrees: an index in the writers' shape read by
// parseIndexFast gives exactly what the full parser gives (forced by an
// extra top-level key the fast path does not take), and indexes outside
// that shape are left to the full parser.
func TestFastIndexAgrees(t *testing.T) {
	pairs := []string{
		"lm_head.weight", "model-00002-of-00002.safetensors",
		"model.embed_tokens.weight", "model-00001-of-00002.safetensors",
		"model.layers.0.mlp.up_proj.weight", "model-00001-of-00002.safetensors",
		"model.norm.weight", "model-00002-of-00002.safetensors",
	}
	unsorted := append(slices.Clone(pairs[2:]), pairs[:2]...)
	tests := []struct {
		name, data string
		fast       bool
	}{
		{"sorted with total_size", indexJSON(`{"total_size": 480}`, pairs...), true},
		{"unsorted", indexJSON(`{"total_size":480}`, unsorted...), true},
		{"metadata null", indexJSON(`null`, pairs...), true},
		{"no metadata", indexJSON("", pairs...), true},
		{"pretty", "{\n  \"metadata\": {\n    \"total_size\": 480\n  },\n  \"weight_map\": {\n    \"a\": \"x.safetensors\",\n    \"b\": \"y.safetensors\"\n  }\n}\n", true},
		{"other metadata", indexJSON(`{"total_size":480,"format":"pt"}`, pairs...), false},
		{"total_size float", indexJSON(`{"total_size":480.0}`, pairs...), false},
		{"non-ASCII names", indexJSON(`{"total_size":480}`, "modèle.layers.0.weight.ünïcödé", "x.safetensors", "z", "ÿ.safetensors"), true},
		{"invalid UTF-8 name", "{\"weight_map\":{\"a\xff\":\"x.safetensors\"}}", false},
		{"escaped name", indexJSON("", `a"b`, "x.safetensors"), false},
		{"duplicate sorted", indexJSON("", "a", "x.safetensors", "a", "x.safetensors"), false},
		{"duplicate unsorted", indexJSON("", "b", "x.safetensors", "a", "x.safetensors", "b", "x.safetensors"), false},
		{"unsafe shard", indexJSON("", "a", "../x.safetensors"), false},
		{"empty weight_map", `{"weight_map":{}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lim := effectiveLimits(Limits{})
			fx, fe, ok := parseIndexFast([]byte(tt.data), "i.json", lim)
			if ok != tt.fast {
				t.Fatalf("fast path took it: got %v, want %v", ok, tt.fast)
			}
			if !ok {
				return
			}
			if fe.buildMap != nil {
				fe.buildMap()
			}
			forced := strings.Replace(tt.data, "{", `{"x":0,`, 1)
			sx, se, err := parseIndex([]byte(forced), "i.json", lim)
			if err != nil {
				t.Fatal(err)
			}
			if se.buildMap != nil {
				t.Fatalf("full parser left the map unbuilt")
			}
			if !maps.Equal(fx.WeightMap, sx.WeightMap) || !slices.Equal(fx.Shards, sx.Shards) || fx.TotalSize != sx.TotalSize || fx.HasTotalSize != sx.HasTotalSize {
				t.Errorf("got %+v, want %+v", fx, sx)
			}
			if !slices.Equal(fe.perShard, se.perShard) || !slices.Equal(fe.sums, se.sums) {
				t.Errorf("got counts %v sums %v, want %v %v", fe.perShard, fe.sums, se.perShard, se.sums)
			}
		})
	}
}

// FuzzFastIndexAgrees: whatever parseIndexFast accepts, the full parser
// accepts with the same weight map, shards, total size and fingerprints.
func FuzzFastIndexAgrees(f *testing.F) {
	f.Add(indexJSON(`{"total_size":8}`, "a", "x.safetensors", "b", "y.safetensors"))
	f.Add(indexJSON("", "b", "x.safetensors", "a", "x.safetensors"))
	f.Add("{\n \"weight_map\": {\"a\": \"x.safetensors\"},\n \"metadata\": null\n}")
	f.Fuzz(func(t *testing.T, data string) {
		lim := effectiveLimits(Limits{})
		fx, fe, ok := parseIndexFast([]byte(data), "i.json", lim)
		if !ok {
			return
		}
		if fe.buildMap != nil {
			fe.buildMap()
		}
		sx, se, err := parseIndexFull([]byte(data), "i.json", lim)
		if err != nil {
			t.Fatalf("fast path accepted %q, full parser refused it: %v", data, err)
		}
		if !maps.Equal(fx.WeightMap, sx.WeightMap) || !slices.Equal(fx.Shards, sx.Shards) || fx.TotalSize != sx.TotalSize || fx.HasTotalSize != sx.HasTotalSize || len(sx.Metadata) != 0 {
			t.Errorf("got %+v, want %+v", fx, sx)
		}
		if !slices.Equal(fe.perShard, se.perShard) || !slices.Equal(fe.sums, se.sums) {
			t.Errorf("got counts %v sums %v, want %v %v", fe.perShard, fe.sums, se.perShard, se.sums)
		}
	})
}
