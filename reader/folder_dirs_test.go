package reader

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenFolderSkipsFolders checks that folders named like weights or
// indexes are not read: the listing takes names only and stats just the
// names whose kind decides what is read.
func TestOpenFolderSkipsFolders(t *testing.T) {
	for _, tc := range []struct {
		name    string
		folders []string
		index   bool
		want    Source
		tensors int
	}{
		// threeShards' index names 5 tensors over 3 shards.
		{"index and a folder named like a shard", []string{"extra.safetensors"}, true, SourceFolderIndex, 5},
		{"index and a folder named like an index", []string{"other" + IndexSuffix}, true, SourceFolderIndex, 5},
		// Without the index the 3 shards are read by glob: still 5 tensors.
		{"glob and a folder named like a shard", []string{"a.safetensors", "model.safetensors"}, false, SourceFolderGlob, 5},
		{"glob and a folder named like an index", []string{"x" + IndexSuffix}, false, SourceFolderGlob, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, _ := threeShards(t, "")
			if !tc.index {
				if err := os.Remove(filepath.Join(dir, DefaultIndexName)); err != nil {
					t.Fatal(err)
				}
			}
			for _, f := range tc.folders {
				if err := os.Mkdir(filepath.Join(dir, f), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			ck, err := Open(context.Background(), dir, Limits{})
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if ck.Source != tc.want || len(ck.Tensors) != tc.tensors {
				t.Fatalf("got source %v with %d tensors, want %v with %d", ck.Source, len(ck.Tensors), tc.want, tc.tensors)
			}
		})
	}
}
