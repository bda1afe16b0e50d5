package reader

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// ts is a tensor to write: F32 unless dtype says otherwise.
type ts struct {
	name  string
	shape []int
	dtype string
}

// writeHdr writes H(json, data): the 8-byte little-endian length of json,
// json, then data (HOSTILE.md notation).
func writeHdr(t *testing.T, path, json string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	buf := binary.LittleEndian.AppendUint64(nil, uint64(len(json)))
	buf = append(buf, json...)
	buf = append(buf, data...)
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeST writes a complete .safetensors file holding tensors (zero data)
// and returns the bytes its tensors hold.
func writeST(t *testing.T, path string, tensors ...ts) uint64 {
	t.Helper()
	var b strings.Builder
	b.WriteString("{")
	var off uint64
	for i, x := range tensors {
		dt := x.dtype
		if dt == "" {
			dt = "F32"
		}
		n := DType(dt).Bits()
		for _, d := range x.shape {
			n *= uint64(d)
		}
		n /= 8
		if i > 0 {
			b.WriteString(",")
		}
		shape := strings.Trim(strings.Join(strings.Fields(fmt.Sprint(x.shape)), ","), "[]")
		fmt.Fprintf(&b, `%q:{"dtype":%q,"shape":[%s],"data_offsets":[%d,%d]}`, x.name, dt, shape, off, off+n)
		off += n
	}
	b.WriteString("}")
	writeHdr(t, path, b.String(), make([]byte, off))
	return off
}

// writeText writes text to dir/name.
func writeText(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// threeShards writes a 3-shard checkpoint (shard names as transformers
// writes them) with an index and a config.json, and returns the folder and
// the total tensor bytes.
func threeShards(t *testing.T, totalSize string) (string, uint64) {
	dir := t.TempDir()
	s1, s2, s3 := "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors"
	n := writeST(t, filepath.Join(dir, s1), ts{name: "model.embed_tokens.weight", shape: []int{8, 4}}, ts{name: "model.layers.0.input_layernorm.weight", shape: []int{4}})
	n += writeST(t, filepath.Join(dir, s2), ts{name: "model.layers.0.mlp.up_proj.weight", shape: []int{16, 4}})
	n += writeST(t, filepath.Join(dir, s3), ts{name: "model.norm.weight", shape: []int{4}}, ts{name: "lm_head.weight", shape: []int{8, 4}, dtype: "BF16"})
	meta := ""
	if totalSize != "" {
		meta = `{"total_size":` + totalSize + `}`
	}
	// Keys sorted as transformers writes them (json.dumps sort_keys), so
	// the first entry names the last shard.
	writeText(t, filepath.Join(dir, DefaultIndexName), indexJSON(meta,
		"lm_head.weight", s3, "model.embed_tokens.weight", s1,
		"model.layers.0.input_layernorm.weight", s1,
		"model.layers.0.mlp.up_proj.weight", s2, "model.norm.weight", s3))
	writeText(t, filepath.Join(dir, ConfigName), `{"hidden_size":4,"vocab_size":8,"num_hidden_layers":1}`)
	return dir, n
}

func TestOpenIndexedFolder(t *testing.T) {
	// Tensor bytes: 8*4*4 + 4*4 + 16*4*4 + 4*4 + 8*4*2 = 128+16+256+16+64 = 480.
	dir, total := threeShards(t, "480")
	if total != 480 {
		t.Fatalf("got %d tensor bytes written, want 480", total)
	}
	for _, path := range []string{dir, filepath.Join(dir, DefaultIndexName)} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			ck, err := Open(context.Background(), path, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			wantSource := SourceFolderIndex
			if path != dir {
				wantSource = SourceIndex
			}
			if ck.Source != wantSource {
				t.Errorf("got source %q, want %q", ck.Source, wantSource)
			}
			if want := "model.safetensors.index.json (index, 3 shards)"; ck.Chosen != want {
				t.Errorf("got chosen %q, want %q", ck.Chosen, want)
			}
			if len(ck.Files) != 3 || len(ck.Tensors) != 5 {
				t.Fatalf("got %d files and %d tensors, want 3 and 5", len(ck.Files), len(ck.Tensors))
			}
			for i, want := range []string{"model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors"} {
				if ck.Files[i].File != want {
					t.Errorf("got file %d %q, want %q", i, ck.Files[i].File, want)
				}
			}
			if got := ck.Tensors[4]; got.Name != "lm_head.weight" || got.File != "model-00003-of-00003.safetensors" {
				t.Errorf("got last tensor %q in %q, want lm_head.weight in model-00003-of-00003.safetensors", got.Name, got.File)
			}
			if ck.DataBytes() != 480 {
				t.Errorf("got %d data bytes, want 480", ck.DataBytes())
			}
			if len(ck.Warnings) != 0 {
				t.Errorf("got warnings %v, want none", ck.Warnings)
			}
			if h, ok := ck.Config.Int("hidden_size"); !ok || h != 4 {
				t.Errorf("got config hidden_size %d (ok %v), want 4", h, ok)
			}
			if !strings.HasSuffix(ck.Config.File, ConfigName) {
				t.Errorf("got config file %q, want a path ending in config.json", ck.Config.File)
			}
		})
	}
}

// TestOpenShardNames: the index prefixes and shard spellings real
// checkpoints use.
func TestOpenShardNames(t *testing.T) {
	tests := []struct{ index, shard1, shard2 string }{
		{"model.safetensors.index.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"},
		{"model.safetensors.index.json", "model_00001-of-00072.safetensors", "model_00002-of-00072.safetensors"},
		{"diffusion_pytorch_model.safetensors.index.json", "diffusion_pytorch_model-00001-of-00002.safetensors", "diffusion_pytorch_model-00002-of-00002.safetensors"},
	}
	for _, tt := range tests {
		t.Run(tt.shard1, func(t *testing.T) {
			dir := t.TempDir()
			writeST(t, filepath.Join(dir, tt.shard1), ts{name: "a", shape: []int{2}})
			writeST(t, filepath.Join(dir, tt.shard2), ts{name: "b", shape: []int{2}})
			writeText(t, filepath.Join(dir, tt.index), indexJSON(`{"total_size":16}`, "a", tt.shard1, "b", tt.shard2))
			ck, err := Open(context.Background(), dir, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if want := tt.index + " (index, 2 shards)"; ck.Chosen != want {
				t.Errorf("got chosen %q, want %q", ck.Chosen, want)
			}
			if ck.Config != nil {
				t.Errorf("got a config, want nil without config.json")
			}
		})
	}
}

// TestOpenIndexHostile is HOSTILE.md "Sharded index" for the cases that
// need files: each row is an error sentinel plus message parts, or a
// warning code.
func TestOpenIndexHostile(t *testing.T) {
	const s1, s2 = "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"
	tests := []struct {
		name     string
		setup    func(t *testing.T, dir string)
		sentinel error
		want     []string
		warning  string // code of the warning wanted when there is no error
		warnMsg  string
	}{
		{
			name: "missing shard",
			setup: func(t *testing.T, dir string) {
				writeST(t, filepath.Join(dir, s1), ts{name: "a", shape: []int{2}})
				writeText(t, filepath.Join(dir, DefaultIndexName), indexJSON("", "a", s1, "b", s2))
			},
			sentinel: ErrMissing, want: []string{s2, "no such file"},
		},
		{
			name: "mapped tensor absent from its shard",
			setup: func(t *testing.T, dir string) {
				writeST(t, filepath.Join(dir, s1), ts{name: "a", shape: []int{2}})
				writeST(t, filepath.Join(dir, s2), ts{name: "b", shape: []int{2}})
				writeText(t, filepath.Join(dir, DefaultIndexName), indexJSON("", "a", s1, "b", s2, "c", s2))
			},
			sentinel: ErrMissing, want: []string{s2, `tensor "c"`, "absent"},
		},
		{
			name: "same count, other names",
			setup: func(t *testing.T, dir string) {
				writeST(t, filepath.Join(dir, s1), ts{name: "a", shape: []int{2}}, ts{name: "x", shape: []int{2}})
				writeText(t, filepath.Join(dir, DefaultIndexName), indexJSON("", "b", s1, "a", s1))
			},
			sentinel: ErrMissing, want: []string{s1, `tensor "b"`, "absent"},
		},
		{
			name: "mapped tensor in the other shard",
			setup: func(t *testing.T, dir string) {
				writeST(t, filepath.Join(dir, s1), ts{name: "a", shape: []int{2}}, ts{name: "b", shape: []int{2}})
				writeST(t, filepath.Join(dir, s2), ts{name: "c", shape: []int{2}})
				writeText(t, filepath.Join(dir, DefaultIndexName), indexJSON("", "a", s1, "b", s2, "c", s2))
			},
			sentinel: ErrMissing, want: []string{s2, `tensor "b"`, "absent", "it is in " + `"` + s1},
		},
		{
			name: "one tensor in two shards",
			setup: func(t *testing.T, dir string) {
				writeST(t, filepath.Join(dir, s1), ts{name: "a", shape: []int{2}}, ts{name: "b", shape: []int{2}})
				writeST(t, filepath.Join(dir, s2), ts{name: "b", shape: []int{2}})
				writeText(t, filepath.Join(dir, DefaultIndexName), indexJSON("", "a", s1, "b", s2))
			},
			sentinel: ErrMalformed, want: []string{`tensor "b"`, "in two shards", s1, s2},
		},
		{
			name: "unmapped tensor in two shards",
			setup: func(t *testing.T, dir string) {
				writeST(t, filepath.Join(dir, s1), ts{name: "a", shape: []int{2}}, ts{name: "x", shape: []int{2}})
				writeST(t, filepath.Join(dir, s2), ts{name: "b", shape: []int{2}}, ts{name: "x", shape: []int{2}})
				writeText(t, filepath.Join(dir, DefaultIndexName), indexJSON("", "a", s1, "b", s2))
			},
			sentinel: ErrMalformed, want: []string{`tensor "x"`, "in two shards", s1, s2},
		},
		{
			name: "unmapped tensors",
			setup: func(t *testing.T, dir string) {
				writeST(t, filepath.Join(dir, s1), ts{name: "a", shape: []int{2}}, ts{name: "extra.bias", shape: []int{2}})
				writeST(t, filepath.Join(dir, s2), ts{name: "b", shape: []int{2}})
				writeText(t, filepath.Join(dir, DefaultIndexName), indexJSON("", "a", s1, "b", s2))
			},
			warning: "unmapped_tensor", warnMsg: `1 tensors in the shards are not in the weight_map (a loader following the index ignores them): "extra.bias" in "` + s1,
		},
		{
			name: "total_size differs",
			setup: func(t *testing.T, dir string) {
				writeST(t, filepath.Join(dir, s1), ts{name: "a", shape: []int{2}})
				writeST(t, filepath.Join(dir, s2), ts{name: "b", shape: []int{3}, dtype: "BF16"})
				writeText(t, filepath.Join(dir, DefaultIndexName), indexJSON(`{"total_size":100}`, "a", s1, "b", s2))
			},
			// 2 F32 (8 bytes) + 3 BF16 (6 bytes) = 14.
			warning: "total_size_mismatch", warnMsg: "metadata.total_size is 100 bytes but the shards' tensors hold 14 bytes",
		},
		{
			name: "total_size as a float",
			setup: func(t *testing.T, dir string) {
				writeST(t, filepath.Join(dir, s1), ts{name: "a", shape: []int{2}})
				writeText(t, filepath.Join(dir, DefaultIndexName), indexJSON(`{"total_size":8.0}`, "a", s1))
			},
			sentinel: ErrMalformed, want: []string{DefaultIndexName, "written as a float"},
		},
		{
			name: "weight_map missing",
			setup: func(t *testing.T, dir string) {
				writeST(t, filepath.Join(dir, s1), ts{name: "a", shape: []int{2}})
				writeText(t, filepath.Join(dir, DefaultIndexName), `{"metadata":{"total_size":8}}`)
			},
			sentinel: ErrMalformed, want: []string{DefaultIndexName, "no weight_map"},
		},
		{
			name: "duplicate keys",
			setup: func(t *testing.T, dir string) {
				writeST(t, filepath.Join(dir, s1), ts{name: "a", shape: []int{2}})
				writeText(t, filepath.Join(dir, DefaultIndexName), `{"weight_map":{"a":"`+s1+`","a":"`+s1+`"}}`)
			},
			sentinel: ErrMalformed, want: []string{DefaultIndexName, "duplicate"},
		},
		{
			name: "traversal refused before opening an existing file",
			setup: func(t *testing.T, dir string) {
				// A valid shard outside the folder: it must not be read.
				writeST(t, filepath.Join(filepath.Dir(dir), "outside.safetensors"), ts{name: "a", shape: []int{2}})
				writeText(t, filepath.Join(dir, DefaultIndexName), indexJSON("", "a", "../outside.safetensors"))
			},
			sentinel: ErrUnsafePath, want: []string{DefaultIndexName, "leaves the model folder"},
		},
		{
			name: "shard is a symbolic link out of the folder",
			setup: func(t *testing.T, dir string) {
				out := filepath.Join(filepath.Dir(dir), "elsewhere.safetensors")
				writeST(t, out, ts{name: "a", shape: []int{2}})
				if err := os.Symlink(out, filepath.Join(dir, s1)); err != nil {
					t.Skip("no symbolic links:", err)
				}
				writeText(t, filepath.Join(dir, DefaultIndexName), indexJSON("", "a", s1))
			},
			sentinel: ErrUnsafePath, want: []string{s1, "leads out of the model folder"},
		},
		{
			name: "shard is a relative symbolic link out of the folder",
			setup: func(t *testing.T, dir string) {
				writeST(t, filepath.Join(filepath.Dir(dir), "elsewhere2.safetensors"), ts{name: "a", shape: []int{2}})
				if err := os.Symlink("../elsewhere2.safetensors", filepath.Join(dir, s1)); err != nil {
					t.Skip("no symbolic links:", err)
				}
				writeText(t, filepath.Join(dir, DefaultIndexName), indexJSON("", "a", s1))
			},
			sentinel: ErrUnsafePath, want: []string{s1, "leads out of the model folder"},
		},
		{
			name: "shard is a FIFO",
			setup: func(t *testing.T, dir string) {
				if err := syscall.Mkfifo(filepath.Join(dir, s1), 0o644); err != nil {
					t.Skip("no FIFOs:", err)
				}
				writeText(t, filepath.Join(dir, DefaultIndexName), indexJSON("", "a", s1))
			},
			sentinel: ErrNotSafetensors, want: []string{s1, "named pipe"},
		},
		{
			name: "shard is a directory",
			setup: func(t *testing.T, dir string) {
				if err := os.Mkdir(filepath.Join(dir, s1), 0o755); err != nil {
					t.Fatal(err)
				}
				writeText(t, filepath.Join(dir, DefaultIndexName), indexJSON("", "a", s1))
			},
			sentinel: ErrNotSafetensors, want: []string{s1, "a directory"},
		},
		{
			name: "index over MaxIndexBytes refused by stat",
			setup: func(t *testing.T, dir string) {
				// A sparse 300 MB index (HOSTILE.md): refused from its size,
				// never read.
				f, err := os.Create(filepath.Join(dir, DefaultIndexName))
				if err != nil {
					t.Fatal(err)
				}
				if err := f.Truncate(300 << 20); err != nil {
					t.Fatal(err)
				}
				f.Close()
			},
			sentinel: ErrLimit, want: []string{DefaultIndexName, "314572800 bytes, over the cap of 100000000"},
		},
		{
			name: "malformed shard names the shard",
			setup: func(t *testing.T, dir string) {
				writeST(t, filepath.Join(dir, s1), ts{name: "a", shape: []int{2}})
				writeHdr(t, filepath.Join(dir, s2), `{"b":{"dtype":"F32","shape":[2],"data_offsets":[0,9]}}`, make([]byte, 9))
				writeText(t, filepath.Join(dir, DefaultIndexName), indexJSON("", "a", s1, "b", s2))
			},
			sentinel: ErrMalformed, want: []string{s2, `"b"`},
		},
		{
			name: "config.json malformed",
			setup: func(t *testing.T, dir string) {
				writeST(t, filepath.Join(dir, s1), ts{name: "a", shape: []int{2}})
				writeText(t, filepath.Join(dir, DefaultIndexName), indexJSON("", "a", s1))
				writeText(t, filepath.Join(dir, ConfigName), `{"hidden_size":1,"hidden_size":2}`)
			},
			sentinel: ErrMalformed, want: []string{ConfigName, "duplicate"},
		},
		{
			name: "config.json over MaxConfigBytes",
			setup: func(t *testing.T, dir string) {
				writeST(t, filepath.Join(dir, s1), ts{name: "a", shape: []int{2}})
				writeText(t, filepath.Join(dir, DefaultIndexName), indexJSON("", "a", s1))
				f, err := os.Create(filepath.Join(dir, ConfigName))
				if err != nil {
					t.Fatal(err)
				}
				f.Truncate(20_000_000)
				f.Close()
			},
			sentinel: ErrLimit, want: []string{ConfigName, "over the cap of 10000000"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "model")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			tt.setup(t, dir)
			ck, err := Open(context.Background(), dir, Limits{})
			if tt.sentinel != nil {
				wantErr(t, err, tt.sentinel, tt.want...)
				return
			}
			if err != nil {
				t.Fatalf("got %v, want warning %s", err, tt.warning)
			}
			for _, w := range ck.Warnings {
				if w.Code == tt.warning {
					if !strings.Contains(w.Message, tt.warnMsg) {
						t.Errorf("got warning %q, want it to contain %q", w.Message, tt.warnMsg)
					}
					return
				}
			}
			t.Errorf("got warnings %v, want one with code %s", ck.Warnings, tt.warning)
		})
	}
}

// TestOpenFirstFailingShard: with several broken shards and many readers,
// the error is always the first broken shard's in shard order.
func TestOpenFirstFailingShard(t *testing.T) {
	dir := t.TempDir()
	const n = 24
	var pairs []string
	for i := range n {
		name := fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, n)
		tensor := fmt.Sprintf("t%d", i)
		pairs = append(pairs, tensor, name)
		if i == 6 || i == 7 || i == 20 {
			continue // missing
		}
		writeST(t, filepath.Join(dir, name), ts{name: tensor, shape: []int{2}})
	}
	writeText(t, filepath.Join(dir, DefaultIndexName), indexJSON("", pairs...))
	for _, conc := range []int{1, 3, 16} {
		for run := range 5 {
			t.Run(fmt.Sprintf("concurrency %d run %d", conc, run), func(t *testing.T) {
				_, err := Open(context.Background(), dir, Limits{Concurrency: conc})
				wantErr(t, err, ErrMissing, "model-00007-of-00024.safetensors")
			})
		}
	}
}

// TestOpenFolder covers how a folder resolves.
func TestOpenFolder(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(t *testing.T, dir string)
		wantSource Source
		wantChosen string
		wantNames  []string
		sentinel   error
		want       []string
	}{
		{
			name: "model.safetensors",
			setup: func(t *testing.T, dir string) {
				writeST(t, filepath.Join(dir, "model.safetensors"), ts{name: "a", shape: []int{2}})
				writeST(t, filepath.Join(dir, "other.safetensors"), ts{name: "z", shape: []int{2}})
			},
			wantSource: SourceFolderFile, wantChosen: "model.safetensors (file)", wantNames: []string{"a"},
		},
		{
			name: "several files sorted by name",
			setup: func(t *testing.T, dir string) {
				writeST(t, filepath.Join(dir, "b.safetensors"), ts{name: "b", shape: []int{2}})
				writeST(t, filepath.Join(dir, "a.safetensors"), ts{name: "a", shape: []int{2}})
				writeText(t, filepath.Join(dir, "notes.txt"), "x")
			},
			wantSource: SourceFolderGlob, wantChosen: "2 *.safetensors files (no index)", wantNames: []string{"a", "b"},
		},
		{
			name: "one file of another name",
			setup: func(t *testing.T, dir string) {
				writeST(t, filepath.Join(dir, "consolidated.safetensors"), ts{name: "tok_embeddings.weight", shape: []int{2}})
			},
			wantSource: SourceFolderGlob, wantChosen: "consolidated.safetensors (the folder's only .safetensors file)", wantNames: []string{"tok_embeddings.weight"},
		},
		{
			name: "several indexes, model's chosen",
			setup: func(t *testing.T, dir string) {
				writeST(t, filepath.Join(dir, "model-00001-of-00001.safetensors"), ts{name: "a", shape: []int{2}})
				writeText(t, filepath.Join(dir, DefaultIndexName), indexJSON("", "a", "model-00001-of-00001.safetensors"))
				writeText(t, filepath.Join(dir, "consolidated.safetensors.index.json"), `not even json`)
			},
			wantSource: SourceFolderIndex, wantChosen: "model.safetensors.index.json (index, 1 shard)", wantNames: []string{"a"},
		},
		{
			name: "one index with another prefix",
			setup: func(t *testing.T, dir string) {
				writeST(t, filepath.Join(dir, "diffusion_pytorch_model-00001-of-00001.safetensors"), ts{name: "a", shape: []int{2}})
				writeText(t, filepath.Join(dir, "diffusion_pytorch_model.safetensors.index.json"), indexJSON("", "a", "diffusion_pytorch_model-00001-of-00001.safetensors"))
			},
			wantSource: SourceFolderIndex, wantChosen: "diffusion_pytorch_model.safetensors.index.json (index, 1 shard)", wantNames: []string{"a"},
		},
		{
			name: "several indexes, none model's",
			setup: func(t *testing.T, dir string) {
				writeText(t, filepath.Join(dir, "a.safetensors.index.json"), "{}")
				writeText(t, filepath.Join(dir, "b.safetensors.index.json"), "{}")
			},
			sentinel: ErrAmbiguous, want: []string{`"a.safetensors.index.json", "b.safetensors.index.json"`},
		},
		{
			name: "same tensor in two files",
			setup: func(t *testing.T, dir string) {
				writeST(t, filepath.Join(dir, "a.safetensors"), ts{name: "w", shape: []int{2}})
				writeST(t, filepath.Join(dir, "b.safetensors"), ts{name: "w", shape: []int{2}})
			},
			sentinel: ErrMalformed, want: []string{"b.safetensors", `tensor "w"`, `also in "a.safetensors"`},
		},
		{
			name:     "empty folder",
			setup:    func(t *testing.T, dir string) {},
			sentinel: ErrMissing, want: []string{"no *.safetensors"},
		},
		{
			name: "model.safetensors is a FIFO",
			setup: func(t *testing.T, dir string) {
				if err := syscall.Mkfifo(filepath.Join(dir, "model.safetensors"), 0o644); err != nil {
					t.Skip("no FIFOs:", err)
				}
			},
			sentinel: ErrNotSafetensors, want: []string{"model.safetensors", "named pipe"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(t, dir)
			ck, err := Open(context.Background(), dir, Limits{})
			if tt.sentinel != nil {
				wantErr(t, err, tt.sentinel, tt.want...)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ck.Source != tt.wantSource || ck.Chosen != tt.wantChosen {
				t.Errorf("got %q %q, want %q %q", ck.Source, ck.Chosen, tt.wantSource, tt.wantChosen)
			}
			var names []string
			for _, x := range ck.Tensors {
				names = append(names, x.Name)
			}
			if fmt.Sprint(names) != fmt.Sprint(tt.wantNames) {
				t.Errorf("got tensors %v, want %v", names, tt.wantNames)
			}
		})
	}
}

// TestOpenPaths: paths that are not files or folders fail at once.
func TestOpenPaths(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.safetensors")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no FIFOs:", err)
	}
	sock := filepath.Join(dir, "s.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skip("no unix sockets:", err)
	}
	defer l.Close()
	single := filepath.Join(dir, "one", "weights.safetensors")
	writeST(t, single, ts{name: "a", shape: []int{2, 2}})
	writeText(t, filepath.Join(dir, "one", "config.json"), `{"hidden_size":2}`)
	tests := []struct {
		path     string
		sentinel error
		want     string
	}{
		{fifo, ErrNotSafetensors, "named pipe"},
		{sock, ErrNotSafetensors, "socket"},
		{"/dev/zero", ErrNotSafetensors, "device"},
		{filepath.Join(dir, "nope"), ErrMissing, "no such file or folder"},
		{filepath.Join(dir, "one", "config.json"), ErrNotSafetensors, "not its weights"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			_, err := Open(context.Background(), tt.path, Limits{})
			wantErr(t, err, tt.sentinel, tt.path, tt.want)
		})
	}
	t.Run("single file", func(t *testing.T) {
		ck, err := Open(context.Background(), single, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if ck.Source != SourceFile || ck.Chosen != "weights.safetensors (file)" || len(ck.Tensors) != 1 || ck.Tensors[0].File != "weights.safetensors" {
			t.Errorf("got %q %q %v, want file weights.safetensors with tensor a", ck.Source, ck.Chosen, ck.Tensors)
		}
		if h, ok := ck.Config.Int("hidden_size"); !ok || h != 2 {
			t.Errorf("got config hidden_size %d (ok %v), want 2 from the config.json beside the file", h, ok)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := Open(ctx, single, Limits{}); !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
	})
}

// TestOpenHFCache: a Hugging Face cache snapshot holds links into the
// repository's blobs/ folder (../../blobs/<hash>); they resolve, while a
// link out of the repository is still refused.
func TestOpenHFCache(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "models--org--tiny")
	snap := filepath.Join(repo, "snapshots", "0123abcd")
	blob := filepath.Join(repo, "blobs", "deadbeef")
	writeST(t, blob, ts{name: "a", shape: []int{2}})
	writeText(t, filepath.Join(repo, "blobs", "cafe"), `{"hidden_size":2}`)
	if err := os.MkdirAll(snap, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../blobs/deadbeef", filepath.Join(snap, "model.safetensors")); err != nil {
		t.Skip("no symbolic links:", err)
	}
	if err := os.Symlink("../../blobs/cafe", filepath.Join(snap, "config.json")); err != nil {
		t.Fatal(err)
	}
	ck, err := Open(context.Background(), snap, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ck.Tensors) != 1 || ck.Config == nil {
		t.Fatalf("got %d tensors and config %v, want 1 and a config", len(ck.Tensors), ck.Config)
	}
	writeST(t, filepath.Join(filepath.Dir(repo), "evil"), ts{name: "a", shape: []int{2}})
	if err := os.Remove(filepath.Join(snap, "model.safetensors")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../evil", filepath.Join(snap, "model.safetensors")); err != nil {
		t.Fatal(err)
	}
	_, err = Open(context.Background(), snap, Limits{})
	wantErr(t, err, ErrUnsafePath, "model.safetensors", "leads out of the model folder")
}

// TestOpenHalfMillion: 500,000 entries over 100 header-only shards
// (HOSTILE.md, Sharded index) open.
func TestOpenHalfMillion(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 100 shards of 5,000 tensors")
	}
	dir := t.TempDir()
	const shards, per = 100, 5000
	var idx strings.Builder
	idx.WriteString(`{"metadata":{"total_size":` + fmt.Sprint(shards*per*4) + `},"weight_map":{`)
	for s := range shards {
		shard := fmt.Sprintf("model-%05d-of-%05d.safetensors", s+1, shards)
		var b strings.Builder
		b.WriteString("{")
		for i := range per {
			name := fmt.Sprintf("model.layers.%d.experts.%d.w", s, i)
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `%q:{"dtype":"F32","shape":[1],"data_offsets":[%d,%d]}`, name, 4*i, 4*i+4)
			if s > 0 || i > 0 {
				idx.WriteString(",")
			}
			fmt.Fprintf(&idx, "%q:%q", name, shard)
		}
		b.WriteString("}")
		writeHdr(t, filepath.Join(dir, shard), b.String(), nil) // header-only stub
	}
	idx.WriteString("}}")
	writeText(t, filepath.Join(dir, DefaultIndexName), idx.String())
	ck, err := Open(context.Background(), dir, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ck.Tensors) != shards*per || len(ck.Files) != shards || !ck.Stub() {
		t.Fatalf("got %d tensors in %d files (stub %v), want %d in %d stubs", len(ck.Tensors), len(ck.Files), ck.Stub(), shards*per, shards)
	}
	for _, w := range ck.Warnings {
		if w.Code == "total_size_mismatch" || w.Code == "unmapped_tensor" {
			t.Errorf("got warning %v, want none about the index", w)
		}
	}
}

// TestFingerprint: the per-shard name fingerprint accepts the same names in
// any order and refuses a different set of the same size.
func TestFingerprint(t *testing.T) {
	x, extra, err := parseIndex([]byte(indexJSON("", "b", "s.safetensors", "a", "s.safetensors")), "i.json", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	_ = x
	tests := []struct {
		names []string
		want  bool
	}{
		{[]string{"a", "b"}, true},
		{[]string{"b", "a"}, true},
		{[]string{"a", "c"}, false},
		{[]string{"a"}, false},
		{[]string{"a", "b", "c"}, false},
		{[]string{"a", "a"}, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.names), func(t *testing.T) {
			h := &Header{}
			for _, n := range tt.names {
				h.Tensors = append(h.Tensors, Tensor{Name: n})
				// What parseHeaderJSON's hashNames sums (it would refuse
				// the duplicate "a", "a" before any fingerprint).
				h.nameSum += maphash.String(nameSeed, n)
			}
			if got := fingerprintMatches(h, extra.perShard[0], extra.sums[0]); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestOpenReadAhead: a folder's listed shards are read before the index is
// parsed, yet only what the index names counts: a broken listed file the
// index does not name changes nothing, a shard the index names outside the
// listing (in a subfolder) is still read, and a broken index or a broken
// named shard is still the error, whatever else the listing held.
func TestOpenReadAhead(t *testing.T) {
	tests := []struct {
		name    string
		index   string
		junk    bool // write not-in-index.safetensors, not a safetensors file
		want    error
		inError string
		files   int
	}{
		{"unnamed broken file dropped", indexJSON("", "a", "model-00001-of-00002.safetensors", "b", "model-00002-of-00002.safetensors"), true, nil, "", 2},
		{"named shard in a subfolder", indexJSON("", "a", "model-00001-of-00002.safetensors", "c", "sub/model-00003.safetensors"), true, nil, "", 2},
		{"named broken file is the error", indexJSON("", "a", "model-00001-of-00002.safetensors", "j", "not-in-index.safetensors"), true, ErrNotSafetensors, "not-in-index.safetensors", 0},
		{"broken index first", `{"weight_map":{"a":"model-00001-of-00002.safetensors",}}`, true, ErrMalformed, DefaultIndexName, 0},
		{"unsafe name first", indexJSON("", "a", "model-00001-of-00002.safetensors", "j", "../not-in-index.safetensors"), true, ErrUnsafePath, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeST(t, filepath.Join(dir, "model-00001-of-00002.safetensors"), ts{name: "a", shape: []int{2}})
			writeST(t, filepath.Join(dir, "model-00002-of-00002.safetensors"), ts{name: "b", shape: []int{2}})
			writeST(t, filepath.Join(dir, "sub", "model-00003.safetensors"), ts{name: "c", shape: []int{2}})
			if tt.junk {
				writeText(t, filepath.Join(dir, "not-in-index.safetensors"), "<!DOCTYPE html><html>404</html>")
			}
			writeText(t, filepath.Join(dir, DefaultIndexName), tt.index)
			ck, err := Open(context.Background(), dir, Limits{Concurrency: 2})
			if tt.want != nil {
				wantErr(t, err, tt.want, tt.inError)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(ck.Files) != tt.files || len(ck.Warnings) != 0 {
				t.Errorf("got %d files and warnings %v, want %d files and no warning", len(ck.Files), ck.Warnings, tt.files)
			}
		})
	}
}

// TestOpenTensorsShared: a folder's tensors are listed once, in file order,
// and each file's list is a view of the checkpoint's, both when the files'
// tensors were parsed back to back and when a name holding '[' made one
// file's estimate too large (so they are gathered by a copy).
func TestOpenTensorsShared(t *testing.T) {
	for _, first := range []string{"a", "a[0][1]"} {
		t.Run(first, func(t *testing.T) {
			dir := t.TempDir()
			writeST(t, filepath.Join(dir, "model-00001-of-00002.safetensors"), ts{name: first, shape: []int{2}}, ts{name: "b", shape: []int{3}})
			writeST(t, filepath.Join(dir, "model-00002-of-00002.safetensors"), ts{name: "c", shape: []int{4}})
			ck, err := Open(context.Background(), dir, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, x := range ck.Tensors {
				got = append(got, fmt.Sprintf("%s%v@%s", x.Name, x.Shape, x.File))
			}
			want := []string{first + "[2]@model-00001-of-00002.safetensors", "b[3]@model-00001-of-00002.safetensors", "c[4]@model-00002-of-00002.safetensors"}
			if !slices.Equal(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
			if len(ck.Files) != 2 || &ck.Files[0].Tensors[0] != &ck.Tensors[0] || &ck.Files[1].Tensors[0] != &ck.Tensors[2] || cap(ck.Files[0].Tensors) != 2 {
				t.Errorf("got file lists not views of the checkpoint's (cap %d), want views with capacity clipped to 2", cap(ck.Files[0].Tensors))
			}
		})
	}
}
