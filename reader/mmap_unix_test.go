//go:build unix

package reader

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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

// TestParseShardMappedTruncated: a shard header mapped and then truncated
// before it is parsed (reading it raises SIGBUS) fails with the error a
// plain read of the truncated file gives, not a crash; an intact mapping
// parses as the read bytes do, and keeps no name in the mapping.
func TestParseShardMappedTruncated(t *testing.T) {
	const name = "model-00001-of-00001.safetensors"
	// Several pages of header, so the truncation leaves mapped pages past
	// the file's end.
	var b strings.Builder
	b.WriteString(`{"__metadata__":{"format":"pt"}`)
	for i := range 200 {
		fmt.Fprintf(&b, `,"model.layers.%d.mlp.down_proj.weight":{"dtype":"F32","shape":[2],"data_offsets":[%d,%d]}`, i, 8*i, 8*i+8)
	}
	b.WriteString("}")
	file := H(b.String(), zeroBytes(8*200))
	for _, cut := range []int64{-1, 0, 4, 100, 3 * 4096} {
		t.Run(fmt.Sprintf("cut%d", cut), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, file, 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := openModelDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			region := newMapRegion()
			if region == nil {
				t.Skip("no mapping region on this platform")
			}
			defer func() { region.release() }()
			lim := effectiveLimits(Limits{})
			hb, err := readShardBytes(m, name, lim, region)
			if err != nil {
				t.Fatal(err)
			}
			if cut >= 0 {
				if err := os.Truncate(path, cut); err != nil {
					t.Fatal(err)
				}
			}
			h, err := parseShard(m, name, hb, lim, nil)
			hb.unmap()
			region.release()
			region = nil
			// What a plain read of the file as it is now gives.
			var want *Header
			plain, wantErr := readShardBytes(m, name, lim, nil)
			if wantErr == nil {
				var perr *Error
				if want, perr = plain.parse(lim, nil); perr != nil {
					wantErr = perr
				}
			}
			if fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Fatalf("got error %v, want %v", err, wantErr)
			}
			if err != nil {
				return
			}
			// Read every name after the mapping is gone: one left in it
			// would crash here.
			if len(h.Tensors) != len(want.Tensors) || h.Metadata[0] != want.Metadata[0] {
				t.Fatalf("got %d tensors, metadata %v; want %d, %v", len(h.Tensors), h.Metadata, len(want.Tensors), want.Metadata)
			}
			for i := range h.Tensors {
				if h.Tensors[i].Name != want.Tensors[i].Name {
					t.Fatalf("tensor %d: got %q, want %q", i, h.Tensors[i].Name, want.Tensors[i].Name)
				}
			}
		})
	}
}

// TestOpenNameArea: Open copies the mapped headers' strings into one
// shared area sized from a bound, and a header whose tensor estimate
// overcounts (names full of '[') does not fit its share and gets a buffer
// of its own; either way every name, metadata key and value reads back as
// the header holds it once every mapping is gone.
func TestOpenNameArea(t *testing.T) {
	dir := t.TempDir()
	shard := func(file, prefix string, n int) {
		var b strings.Builder
		b.WriteString(`{"__metadata__":{"format":"pt","note":"` + prefix + `"}`)
		for i := range n {
			fmt.Fprintf(&b, `,"%s.%d.weight":{"dtype":"F32","shape":[2],"data_offsets":[%d,%d]}`, prefix, i, 8*i, 8*i+8)
		}
		b.WriteString("}")
		if err := os.WriteFile(filepath.Join(dir, file), H(b.String(), zeroBytes(8*n)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	shard("a.safetensors", "model.layers", 300)
	shard("b.safetensors", strings.Repeat("[", 200), 300)
	ck, err := Open(context.Background(), dir, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	at := 0
	for _, f := range []string{"a.safetensors", "b.safetensors"} {
		want, err := OpenFile(filepath.Join(dir, f), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range want.Tensors {
			if got := ck.Tensors[at+i].Name; got != w.Name {
				t.Fatalf("%s tensor %d: got %q, want %q", f, i, got, w.Name)
			}
		}
		at += len(want.Tensors)
		got := ck.Files[slices.IndexFunc(ck.Files, func(h *Header) bool { return h.File == f })]
		if !slices.Equal(got.Metadata, want.Metadata) {
			t.Fatalf("%s metadata: got %v, want %v", f, got.Metadata, want.Metadata)
		}
	}
	if at != len(ck.Tensors) {
		t.Fatalf("got %d tensors, want %d", len(ck.Tensors), at)
	}
}
