package reader

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// addCorpus seeds f with every file in testdata/<dir>.
func addCorpus(f *testing.F, dir string) {
	f.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seed corpus in testdata/%s: %v", dir, err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// wantTypedError checks that err is an *Error wrapping one of sentinels.
func wantTypedError(t *testing.T, err error, sentinels ...error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got error of type %T (%v), want *reader.Error", err, err)
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("got error %q, want one wrapping one of %v", err, sentinels)
}

// FuzzParseIndex: no panic; errors are typed; an accepted index is strict
// JSON by a second opinion (jsontext.Value.IsValid: no duplicate names,
// valid UTF-8), every mapped shard is a known, safe, distinct name within
// the cap.
func FuzzParseIndex(f *testing.F) {
	addCorpus(f, "index")
	f.Add([]byte(`{"weight_map":{"a":"model-00001-of-00002.safetensors"},"metadata":{"total_size":8}}`))
	f.Add([]byte(`{"weight_map":{"a":"a\u002esafetensors"}}`))
	lim := Limits{MaxShards: 8, MaxIndexBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		idx, err := ParseIndex(data, "fuzz.safetensors.index.json", lim)
		valid := jsontext.Value(data).IsValid()
		if err != nil {
			wantTypedError(t, err, ErrMalformed, ErrLimit, ErrUnsafePath)
			return
		}
		if !valid {
			t.Fatalf("accepted an index that is not strict JSON: %q", data)
		}
		if len(idx.WeightMap) == 0 || len(idx.Shards) == 0 || len(idx.Shards) > lim.MaxShards {
			t.Fatalf("got %d entries over %d shards, want at least one of each and at most %d shards", len(idx.WeightMap), len(idx.Shards), lim.MaxShards)
		}
		known := make(map[string]bool)
		for _, s := range idx.Shards {
			if known[s] {
				t.Fatalf("shard %q listed twice", s)
			}
			known[s] = true
			if err := checkShardName("x", s); err != nil {
				t.Fatalf("accepted an unsafe shard name: %v", err)
			}
		}
		for tensor, s := range idx.WeightMap {
			if !known[s] {
				t.Fatalf("tensor %q maps to %q, which is not in Shards", tensor, s)
			}
		}
	})
}
