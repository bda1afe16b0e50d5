package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/paramscope/paramscope/reader"
	"github.com/paramscope/paramscope/testdata/bigckpt"
)

// The inspect goldens run from the repository root (goldenRoot), so the
// paths in their output are the ones a user types and the README can show
// them verbatim.

// goldenRoot is golden run from the repository root: arguments are paths as
// a user types them there ("testdata/models/gpt2"), and the golden files
// still live in this package's testdata folder.
func goldenRoot(t *testing.T, name string, args ...string) {
	t.Helper()
	t.Chdir("../..")
	// golden joins "testdata" and name; from the root that path is
	// testdata/../cmd/paramscope/testdata/NAME, which filepath.Join cleans.
	golden(t, "../cmd/paramscope/testdata/"+name, args...)
}

// hostileDir holds a small complete checkpoint whose tensor names and
// metadata carry terminal escapes (HOSTILE.md, "Output").
const hostileDir = "cmd/paramscope/testdata/hostile"

// hostileNames are the tensor names of the hostile fixture, in header order.
var hostileNames = []string{
	"\x1b[31mred\x1b[0m.weight",    // ANSI colour
	"ok\rEVIL.weight",              // carriage return hides "ok"
	"abc\u202efdp.weight",          // U+202E shows as "abcpdf.weight" reversed
	"pipe|and`tick`\\n.weight",     // Markdown table and code-span breakers, a literal backslash
	"\x1b]0;pwned\a\x1b[2J.weight", // OSC window title, clear screen
}

// hostileMetadata is the fixture's __metadata__, in file order.
var hostileMetadata = [][2]string{
	{"format", "pt"},
	{"comment\x1b[8m", "hidden\x1b[28m\r\nfake: line | `x`"},
}

// hostileBytes builds the hostile fixture.
func hostileBytes() []byte { return stFile(hostileMetadata, hostileNames, "") }

// stFile builds a complete safetensors file whose tensors are F32 of two
// elements (8 zero bytes each), with __metadata__ meta; extra is added to
// the first tensor's entry as raw JSON (`,"x":1`). The header is padded with
// spaces to a multiple of 8 as the reference writer does
// (safetensors/src/tensor.rs, prepare).
func stFile(meta [][2]string, names []string, extra string) []byte {
	var h bytes.Buffer
	h.WriteString(`{"__metadata__":{`)
	for i, kv := range meta {
		if i > 0 {
			h.WriteByte(',')
		}
		h.Write(jsonString(kv[0]))
		h.WriteByte(':')
		h.Write(jsonString(kv[1]))
	}
	h.WriteByte('}')
	for i, name := range names {
		h.WriteByte(',')
		h.Write(jsonString(name))
		h.WriteString(`:{"dtype":"F32","shape":[2],"data_offsets":[`)
		h.WriteString(itoa(8*i) + "," + itoa(8*i+8) + "]")
		if i == 0 {
			h.WriteString(extra)
		}
		h.WriteByte('}')
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(h.Len()))
	out = append(out, h.Bytes()...)
	return append(out, make([]byte, 8*len(names))...)
}

func jsonString(s string) []byte {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return b
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// lfsPointer is what a clone without git-lfs leaves in place of the weights
// (format: https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md); the
// oid and size are made up.
const lfsPointer = "version https://git-lfs.github.com/spec/v1\n" +
	"oid sha256:0000000000000000000000000000000000000000000000000000000000000000\n" +
	"size 548105171\n"

// fixtures are the bad inputs this package keeps under testdata, with the
// bytes that must be there.
func fixtures(t *testing.T) map[string][]byte {
	t.Helper()
	tiny, err := os.ReadFile("../../testdata/models/tiny-gpt2/model.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{
		"testdata/hostile/model.safetensors":   hostileBytes(),
		"testdata/bad/lfs-pointer.safetensors": []byte(lfsPointer),
		// A download cut off in the middle of its data section.
		"testdata/bad/truncated.safetensors": tiny[:len(tiny)-100],
		// A readable sharded checkpoint that draws every kind of reader
		// warning (HOSTILE.md: an unknown field in a tensor entry, a tensor
		// the index does not map, a wrong total_size) and whose shards carry
		// different __metadata__.
		"testdata/warn/model-00001-of-00002.safetensors": stFile([][2]string{{"format", "pt"}},
			[]string{"a.weight"}, `,"extra":1`),
		"testdata/warn/model-00002-of-00002.safetensors": stFile([][2]string{{"format", "pt"}, {"producer", "shard two"}},
			[]string{"b.weight", "unmapped.weight"}, ""),
		"testdata/warn/model.safetensors.index.json": []byte(`{"metadata":{"total_size":999},"weight_map":{` +
			`"a.weight":"model-00001-of-00002.safetensors","b.weight":"model-00002-of-00002.safetensors"}}` + "\n"),
	}
}

// TestFixtures writes the bad-input fixtures when they are missing (or with
// -update) and otherwise checks that the committed bytes are the ones these
// helpers build, so the goldens that read them are reproducible.
func TestFixtures(t *testing.T) { checkFixtures(t) }

// checkFixtures is TestFixtures for the tests that read the fixtures, so
// they can run on their own (go test -run TestInspectGoldens).
func checkFixtures(t *testing.T) {
	t.Helper()
	for path, want := range fixtures(t) {
		t.Run(path, func(t *testing.T) {
			got, err := os.ReadFile(path)
			if *update || os.IsNotExist(err) {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s: got %d bytes that differ from the %d the helper builds (run with -update)", path, len(got), len(want))
			}
		})
	}
}

// TestInspectGoldens pins inspect's output in every format on the committed
// fixtures. The numbers in them come from outside our code: GPT-2 small has
// 124,439,808 parameters in 148 tensors (FORMULAS.md: l(12h²+13h) + Vh +
// 1024h + 2h with l=12, h=768, V=50257; 12 layers × 12 tensors + wte, wpe,
// ln_f.weight, ln_f.bias), checked on their own in TestInspectGPT2JSON.
func TestInspectGoldens(t *testing.T) {
	checkFixtures(t)
	cases := []struct {
		name string
		args []string
	}{
		{"inspect_gpt2_text", []string{"inspect", "testdata/models/gpt2"}},
		{"inspect_gpt2_json", []string{"inspect", "--format", "json", "testdata/models/gpt2"}},
		{"inspect_gpt2_markdown", []string{"inspect", "--format", "markdown", "testdata/models/gpt2"}},
		{"inspect_gpt2_tensors", []string{"inspect", "--tensors", "testdata/models/gpt2"}},
		{"inspect_gpt2_filter_text", []string{"inspect", "--filter", "h.0.*", "testdata/models/gpt2"}},
		{"inspect_gpt2_filter_json", []string{"inspect", "--filter", "h.0.*", "--format=json", "testdata/models/gpt2"}},
		{"inspect_gpt2_filter_markdown", []string{"inspect", "--filter", "h.0.*", "--format=markdown", "testdata/models/gpt2"}},
		{"inspect_gpt2_filter_none", []string{"inspect", "--filter", "nothing.*", "testdata/models/gpt2"}},
		{"inspect_gpt2_file", []string{"inspect", "testdata/models/gpt2/model.safetensors"}},
		{"inspect_no_subcommand", []string{"--format", "json", "testdata/models/tiny-gpt2"}},
		{"inspect_tiny_gpt2_text", []string{"testdata/models/tiny-gpt2"}},
		{"inspect_sharded_text", []string{"inspect", "testdata/models/tiny-llama-sharded"}},
		{"inspect_sharded_json", []string{"inspect", "--format", "json", "testdata/models/tiny-llama-sharded"}},
		{"inspect_sharded_markdown", []string{"inspect", "--format", "markdown", "testdata/models/tiny-llama-sharded"}},
		{"inspect_sharded_index", []string{"inspect", "--tensors", "testdata/models/tiny-llama-sharded/model.safetensors.index.json"}},
		{"inspect_two_paths", []string{"inspect", "testdata/models/tiny-gpt2", "testdata/models/tiny-llama"}},
		{"inspect_hostile_text", []string{"inspect", "--tensors", hostileDir}},
		{"inspect_hostile_json", []string{"inspect", "--tensors", "--format", "json", hostileDir}},
		{"inspect_hostile_markdown", []string{"inspect", "--tensors", "--format", "markdown", hostileDir}},
		{"inspect_warnings_text", []string{"inspect", "cmd/paramscope/testdata/warn"}},
		{"inspect_warnings_json", []string{"inspect", "--format", "json", "cmd/paramscope/testdata/warn"}},
		{"inspect_warnings_markdown", []string{"inspect", "--format", "markdown", "cmd/paramscope/testdata/warn"}},
		{"inspect_gpt2_buffers", []string{"inspect", "testdata/models/gpt2-with-buffers"}},
		{"inspect_gptq_text", []string{"inspect", "testdata/models/quant-llama-2-7b-gptq"}},
		{"inspect_gptq_filter_json", []string{"inspect", "--format", "json", "--filter", "model.layers.0.self_attn.q_proj.*", "testdata/models/quant-llama-2-7b-gptq"}},
		{"inspect_deepseek_v3_markdown", []string{"inspect", "--format", "markdown", "testdata/models/deepseek-v3"}},
		{"inspect_tied_duplicate", []string{"inspect", "--format", "markdown", "testdata/models/tiny-llama-tied-dup"}},
		// --verify-tied reads the two tied tensors of a complete file: equal
		// bytes are an info finding (exit 0), different ones a problem (exit 1).
		{"inspect_verify_tied_same", []string{"inspect", "--verify-tied", "testdata/models/tiny-llama-tied-dup"}},
		{"inspect_verify_tied_differ", []string{"inspect", "--verify-tied", "testdata/models/tiny-llama-tied-differ"}},
		{"inspect_verify_tied_stub", []string{"inspect", "--verify-tied", "testdata/models/qwen3-0.6b"}},
		{"inspect_gptq_markdown", []string{"inspect", "--format", "markdown", "testdata/models/quant-llama-2-7b-gptq"}},
		{"inspect_gptq_json", []string{"inspect", "--format", "json", "testdata/models/quant-llama-2-7b-gptq"}},
		{"inspect_gpt_oss_20b_text", []string{"inspect", "testdata/models/quant-gpt-oss-20b"}},
		{"inspect_missing", []string{"inspect", "testdata/models/no-such-model"}},
		{"inspect_lfs_pointer", []string{"inspect", "cmd/paramscope/testdata/bad/lfs-pointer.safetensors"}},
		{"inspect_truncated", []string{"inspect", "cmd/paramscope/testdata/bad/truncated.safetensors"}},
		{"inspect_one_bad_of_three", []string{"inspect", "testdata/models/tiny-gpt2", "testdata/models/no-such-model", "cmd/paramscope/testdata/bad/lfs-pointer.safetensors"}},
		{"inspect_one_bad_json", []string{"inspect", "--format", "json", "testdata/models/no-such-model", "testdata/models/tiny-gpt2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { goldenRoot(t, c.name, c.args...) })
	}
}

// inspectJSON runs inspect --format json from the repository root and
// decodes the document.
func inspectJSON(t *testing.T, args ...string) (map[string]any, int) {
	t.Helper()
	t.Chdir("../..")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"inspect", "--format", "json"}, args...), &stdout, &stderr)
	if !json.Valid(stdout.Bytes()) {
		t.Fatalf("stdout is not valid JSON:\n%s", stdout.String())
	}
	dec := json.NewDecoder(&stdout)
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if dec.More() {
		t.Errorf("got more than one JSON document, want one per invocation")
	}
	return doc, code
}

// TestInspectGPT2JSON checks the JSON contract and GPT-2 small's published
// numbers: 124,439,808 parameters (FORMULAS.md, "Exact counts"; the Hugging
// Face gpt2 model card's 124M), 148 tensors, all F32 so 4 bytes each:
// 497,759,232 data bytes.
func TestInspectGPT2JSON(t *testing.T) {
	doc, code := inspectJSON(t, "testdata/models/gpt2")
	if code != exitOK {
		t.Fatalf("got exit %d, want 0", code)
	}
	if got := doc["schema_version"]; got != json.Number("1") {
		t.Errorf("got schema_version %v, want 1", got)
	}
	cks := doc["checkpoints"].([]any)
	if len(cks) != 1 {
		t.Fatalf("got %d checkpoints, want 1", len(cks))
	}
	ck := cks[0].(map[string]any)
	totals := ck["totals"].(map[string]any)
	checks := []struct {
		name string
		got  any
		want string
	}{
		{"tensor_count", ck["tensor_count"], "148"},
		{"total_elements", ck["total_elements"], "124439808"},
		{"total_bytes", ck["total_bytes"], "497759232"},
		{"data_bytes", ck["data_bytes"], "497759232"},
		{"logical_parameters", totals["logical_parameters"], "124439808"},
		{"stored_elements", totals["stored_elements"], "124439808"},
		{"side_tensors", totals["side_tensors"], "0"},
		{"buffer_tensors", totals["buffer_tensors"], "0"},
		{"stub", ck["stub"], "true"},
		{"status", ck["status"], stubStatus},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			got := ""
			switch v := c.got.(type) {
			case json.Number:
				got = v.String()
			case bool:
				got = map[bool]string{true: "true", false: "false"}[v]
			case string:
				got = v
			}
			if got != c.want {
				t.Errorf("got %v, want %s", c.got, c.want)
			}
		})
	}
	if _, ok := ck["warnings"].([]any); !ok {
		t.Errorf("got warnings %v, want an array inside the document", ck["warnings"])
	}
	if _, ok := ck["findings"].([]any); !ok {
		t.Errorf("got findings %v, want an array inside the document", ck["findings"])
	}
}

// TestInspectHostile checks that untrusted names reach JSON intact and
// reach a terminal or a Markdown table only escaped.
func TestInspectHostile(t *testing.T) {
	checkFixtures(t)
	t.Run("json round-trips the names", func(t *testing.T) {
		doc, code := inspectJSON(t, "--tensors", hostileDir)
		if code != exitOK {
			t.Fatalf("got exit %d, want 0", code)
		}
		ck := doc["checkpoints"].([]any)[0].(map[string]any)
		rows := ck["tensors"].([]any)
		if len(rows) != len(hostileNames) {
			t.Fatalf("got %d tensors, want %d", len(rows), len(hostileNames))
		}
		for i, r := range rows {
			if got := r.(map[string]any)["name"]; got != hostileNames[i] {
				t.Errorf("tensor %d: got name %q, want %q", i, got, hostileNames[i])
			}
		}
		meta := ck["metadata"].([]any)
		if got := meta[1].(map[string]any)["value"]; got != hostileMetadata[1][1] {
			t.Errorf("got metadata value %q, want %q", got, hostileMetadata[1][1])
		}
	})
	t.Run("json has no raw control or bidi characters", func(t *testing.T) {
		t.Chdir("../..")
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{"inspect", "--tensors", "--format", "json", hostileDir}, &stdout, &stderr); code != exitOK {
			t.Fatalf("got exit %d, want 0 (stderr %q)", code, stderr.String())
		}
		for _, bad := range []string{"\x1b", "\r", "\a", "\u202e"} {
			if strings.Contains(stdout.String(), bad) {
				t.Errorf("stdout holds raw %q", bad)
			}
		}
	})
	t.Run("error naming a hostile path is escaped", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "\x1b[2J\rmodel\u202e.safetensors")
		if err := os.WriteFile(path, []byte(lfsPointer), 0o644); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{"inspect", path}, &stdout, &stderr); code != exitBadInput {
			t.Fatalf("got exit %d, want %d", code, exitBadInput)
		}
		for _, bad := range []string{"\x1b", "\r", "\u202e"} {
			if strings.Contains(stderr.String(), bad) {
				t.Errorf("stderr holds raw %q: %q", bad, stderr.String())
			}
		}
		if want := `\x1b[2J\rmodel\u202e.safetensors`; !strings.Contains(stderr.String(), want) {
			t.Errorf("got stderr %q, want it to name the file as %s", stderr.String(), want)
		}
	})
	for _, f := range []string{"text", "markdown"} {
		t.Run(f+" has no raw control characters", func(t *testing.T) {
			t.Chdir("../..")
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), []string{"inspect", "--tensors", "--format", f, hostileDir}, &stdout, &stderr); code != exitOK {
				t.Fatalf("got exit %d, want 0 (stderr %q)", code, stderr.String())
			}
			for _, bad := range []string{"\x1b", "\r", "\a", "\u202e"} {
				if strings.Contains(stdout.String(), bad) {
					t.Errorf("stdout holds raw %q", bad)
				}
			}
			for _, want := range []string{`\x1b[31mred\x1b[0m.weight`, `ok\rEVIL.weight`, `abc\u202efdp.weight`} {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks the escaped name %s", want)
				}
			}
		})
	}
}

// goldenMarker introduces a README block that must equal a golden's stdout.
var goldenMarker = regexp.MustCompile("(?m)^<!-- golden: ([a-z0-9_]+) -->\n```[a-z]*\n")

// TestREADMEExamples checks that every README example marked
// <!-- golden: NAME --> is exactly testdata/NAME.stdout, so the README shows
// real output and fails the build when the output changes. With -update it
// copies the goldens into the README instead (the goldens are rewritten by
// the tests above it in this file, which run first).
func TestREADMEExamples(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	prev := 0
	seen := map[string]bool{}
	for _, m := range goldenMarker.FindAllSubmatchIndex(readme, -1) {
		name := string(readme[m[2]:m[3]])
		seen[name] = true
		rest := readme[m[1]:]
		end := bytes.Index(rest, []byte("```\n"))
		if end < 0 {
			t.Fatalf("README block for %s is not closed", name)
		}
		got := rest[:end]
		want, err := os.ReadFile(filepath.Join("testdata", name+".stdout"))
		if err != nil {
			t.Fatal(err)
		}
		out.Write(readme[prev:m[1]])
		out.Write(want)
		prev = m[1] + end
		if !*update && !bytes.Equal(got, want) {
			t.Errorf("README block %s differs from testdata/%s.stdout (run with -update)\n--- README\n%s\n--- golden\n%s", name, name, got, want)
		}
	}
	out.Write(readme[prev:])
	if *update {
		if err := os.WriteFile("../../README.md", out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"cli_quickstart_formula", "inspect_gpt2_text"} {
		if !seen[name] {
			t.Errorf("README has no example marked <!-- golden: %s -->", name)
		}
	}
}

// TestInspectManyShards checks the long-checkpoint paths on a 12-shard cut of
// the DeepSeek-V3-scale layout: text and Markdown list maxTextFiles-1 files
// and say how many more there are, JSON lists every file, and the files'
// tensor counts add up to the checkpoint's.
func TestInspectManyShards(t *testing.T) {
	const shards = 12
	dir := t.TempDir()
	n, err := bigckpt.Write(dir, shards)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"text", "markdown"} {
		t.Run(f, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), []string{"inspect", "--format", f, dir}, &stdout, &stderr); code != exitOK {
				t.Fatalf("got exit %d, want 0 (stderr %q)", code, stderr.String())
			}
			want := fmt.Sprintf("%d more files", shards-(maxTextFiles-1))
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("got no %q line in\n%s", want, stdout.String())
			}
			listed := strings.Count(stdout.String(), "-of-000012.safetensors")
			if listed != maxTextFiles-1 {
				t.Errorf("got %d files listed, want %d", listed, maxTextFiles-1)
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{"inspect", "--format", "json", dir}, &stdout, &stderr); code != exitOK {
			t.Fatalf("got exit %d, want 0 (stderr %q)", code, stderr.String())
		}
		var doc inspectReport
		if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		ck := doc.Checkpoints[0]
		if len(ck.Files) != shards || ck.Shards != shards {
			t.Errorf("got %d files (shards %d), want %d", len(ck.Files), ck.Shards, shards)
		}
		sum := 0
		for _, f := range ck.Files {
			sum += f.Tensors
		}
		if sum != n || ck.TensorCount != n {
			t.Errorf("got files summing to %d tensors and tensor_count %d, want %d", sum, ck.TensorCount, n)
		}
		if ck.Index == nil || ck.Index.Entries != n || ck.Index.Shards != shards {
			t.Errorf("got index %+v, want %d entries over %d shards", ck.Index, n, shards)
		}
	})
}

// readmeLimitRow is a row of the README's limits table: | `--flag` | default | ... |.
var readmeLimitRow = regexp.MustCompile("(?m)^\\| `--([a-z-]+)` \\| ([0-9]+)[^|]*\\|")

// TestREADMELimits checks that the README's limits table names every flag
// addLimitFlags registers, with its real default.
func TestREADMELimits(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]string{}
	for _, m := range readmeLimitRow.FindAllSubmatch(readme, -1) {
		documented[string(m[1])] = string(m[2])
	}
	var lim reader.Limits
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	addLimitFlags(fs, &lim)
	fs.VisitAll(func(f *pflag.Flag) {
		t.Run(f.Name, func(t *testing.T) {
			got, ok := documented[f.Name]
			if !ok {
				t.Fatalf("README's limits table has no row for --%s", f.Name)
			}
			if got != f.DefValue {
				t.Errorf("README says --%s defaults to %s, want %s", f.Name, got, f.DefValue)
			}
		})
	})
}
