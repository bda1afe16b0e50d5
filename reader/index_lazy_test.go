package reader

import (
	"bytes"
	"testing"
)

// TestLazyWeightMapChanged: the fast parse of a sorted index keeps no names,
// so the map Open builds after a fingerprint mismatch is read from the
// index's bytes again; bytes that changed in between (the index is a
// mapping of a file someone may be rewriting) must give an error, not a
// map that disagrees with the counts and fingerprints already checked.
func TestLazyWeightMapChanged(t *testing.T) {
	data := indexJSON(`{"total_size":8}`, "a.weight", "x.safetensors", "b.weight", "y.safetensors")
	tests := []struct {
		name, from, to string
		wantErr        bool
	}{
		{"unchanged", "", "", false},
		{"tensor renamed", `"b.weight"`, `"c.weight"`, true},
		{"shard swapped", `"y.safetensors"`, `"x.safetensors"`, true},
		{"separator broken", `"x.safetensors",`, `"x.safetensors";`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(data)
			lim := effectiveLimits(Limits{})
			idx, extra, ok := parseIndexFast(b, "i.json", lim)
			if !ok || extra.buildMap == nil {
				t.Fatalf("got fast %v, lazy map %v, want both", ok, extra != nil && extra.buildMap != nil)
			}
			if idx.Entries != 2 || idx.WeightMap != nil {
				t.Fatalf("got %d entries, map %v, want 2 entries and no map yet", idx.Entries, idx.WeightMap)
			}
			if tt.from != "" {
				at := bytes.Index(b, []byte(tt.from))
				copy(b[at:], tt.to)
			}
			err := extra.buildMap()
			if tt.wantErr {
				wantErr(t, err, ErrMalformed, "i.json", "changed while being read")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := idx.WeightMap["b.weight"]; got != "y.safetensors" || len(idx.WeightMap) != 2 {
				t.Errorf("got %v, want a.weight in x.safetensors, b.weight in y.safetensors", idx.WeightMap)
			}
		})
	}
}
