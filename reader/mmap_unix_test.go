//go:build unix

package reader

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestParseIndexMappedTruncated: an index mapped and then truncated under
// the parse (reading it raises SIGBUS) is an error naming the file, not a
// crash; an intact mapping parses as the bytes would.
func TestParseIndexMappedTruncated(t *testing.T) {
	for _, truncate := range []bool{false, true} {
		t.Run(map[bool]string{false: "intact", true: "truncated"}[truncate], func(t *testing.T) {
			path := filepath.Join(t.TempDir(), DefaultIndexName)
			// Several pages, so the truncation leaves mapped pages past
			// the file's end.
			text := indexJSON(`{"total_size":4}`, "a", "x.safetensors") + strings.Repeat(" ", 3*4096)
			writeText(t, path, text)
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			data, unmap, ok := mapFile(f, int64(len(text)))
			if !ok {
				t.Skip("mapping not available")
			}
			defer unmap()
			if truncate {
				if err := os.Truncate(path, 0); err != nil {
					t.Fatal(err)
				}
			}
			idx, _, err := parseIndexMapped(f, data, DefaultIndexName, Limits{})
			if truncate {
				wantErr(t, err, ErrMalformed, DefaultIndexName, "truncated")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if idx.WeightMap != nil {
				t.Fatalf("got a weight map before buildMap ran, want it left to Open")
			}
			if len(idx.Shards) != 1 || idx.Shards[0] != "x.safetensors" || idx.TotalSize != 4 {
				t.Errorf("got shards %q total_size %d, want [x.safetensors] 4", idx.Shards, idx.TotalSize)
			}
		})
	}
}
