package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/pflag"

	"github.com/paramscope/paramscope/reader"
)

// TestCLIGoldens pins the top-level behaviour: version, help, and the usage
// errors that must exit 2 before any file is touched.
func TestCLIGoldens(t *testing.T) {
	cases := []struct {
		name string
		args []string
	}{
		{"cli_version", []string{"version"}},
		{"cli_version_flag", []string{"--version"}},
		{"cli_help", []string{"--help"}},
		{"cli_no_args", nil},
		{"cli_version_extra_flag", []string{"version", "--bogus"}},
		{"inspect_help", []string{"inspect", "--help"}},
		{"inspect_no_path", []string{"inspect"}},
		{"inspect_bad_format", []string{"inspect", "--format", "yaml", "model.safetensors"}},
		{"inspect_unknown_flag", []string{"inspect", "--bogus", "model.safetensors"}},
		{"inspect_bad_filter", []string{"inspect", "--filter", "h.[0", "model.safetensors"}},
		{"inspect_negative_limit", []string{"inspect", "--max-tensors", "-1", "model.safetensors"}},
		{"inspect_bad_size", []string{"inspect", "--max-header-bytes", "lots", "model.safetensors"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { golden(t, c.name, c.args...) })
	}
}

// TestQuickStart pins the README's quick-start command, run from the
// repository root exactly as the README writes it, so the output pasted
// there is real (TestREADMEExamples compares them). GPT-2 small: textbook
// 123,651,840, actual 124,439,808 (FORMULAS.md, "Exact counts").
func TestQuickStart(t *testing.T) {
	goldenRoot(t, "cli_quickstart_formula", "formula", "testdata/models/gpt2")
}

// TestExitCodes checks the exit-code contract of cli.go (0 success, 2 usage,
// 3 input unreadable) without goldens, so a changed message cannot hide a
// changed code.
func TestExitCodes(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"help", []string{"help"}, exitOK},
		{"inspect help", []string{"inspect", "-h"}, exitOK},
		{"version", []string{"version"}, exitOK},
		{"no args", nil, exitUsage},
		{"bad format", []string{"inspect", "--format=xml", "x"}, exitUsage},
		{"bad format before path, no subcommand", []string{"--format=xml", "x"}, exitUsage},
		{"no path", []string{"inspect", "--tensors"}, exitUsage},
		{"bad glob", []string{"inspect", "--filter", "[", "x"}, exitUsage},
		{"missing file", []string{"inspect", "testdata/does-not-exist.safetensors"}, exitBadInput},
		{"missing file, no subcommand", []string{"testdata/does-not-exist.safetensors"}, exitBadInput},
		{"missing file, flags before path", []string{"--format", "json", "testdata/does-not-exist.safetensors"}, exitBadInput},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			got := run(context.Background(), c.args, &stdout, &stderr)
			if got != c.want {
				t.Errorf("paramscope %s: got exit %d, want %d (stderr %q)", strings.Join(c.args, " "), got, c.want, stderr.String())
			}
		})
	}
}

// TestHelpEveryCommand checks that --help works on every subcommand: exit 0,
// the command's usage line, and its flags.
func TestHelpEveryCommand(t *testing.T) {
	for _, c := range commands() {
		for _, flag := range []string{"--help", "-h"} {
			t.Run(c.name+" "+flag, func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				code := run(context.Background(), []string{c.name, flag}, &stdout, &stderr)
				if code != exitOK {
					t.Errorf("got exit %d, want 0 (stderr %q)", code, stderr.String())
				}
				// Help that was asked for goes to stdout, so it can be paged.
				if want := "Usage: paramscope " + c.name; !strings.Contains(stdout.String(), want) {
					t.Errorf("got help %q on stdout, want it to contain %q", stdout.String(), want)
				}
				if stderr.Len() != 0 {
					t.Errorf("got stderr %q, want nothing", stderr.String())
				}
			})
		}
	}
}

// TestEscapeLine checks the terminal-safety of untrusted strings
// (HOSTILE.md, "Output"): ANSI escapes, carriage returns and U+202E RIGHT-TO-
// LEFT OVERRIDE must be shown, not obeyed; other scripts stay readable.
func TestEscapeLine(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"plain", "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.q_proj.weight"},
		{"ANSI colour", "\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"OSC title", "\x1b]0;pwned\a", `\x1b]0;pwned\a`},
		{"carriage return", "ok\rEVIL", `ok\rEVIL`},
		{"newline", "a\nb", `a\nb`},
		{"tab", "a\tb", `a\tb`},
		{"RLO U+202E", "abc\u202efdp.exe", `abc\u202efdp.exe`},
		{"zero width joiner U+200D", "a\u200db", `a\u200db`},
		{"line separator U+2028", "a\u2028b", `a\u2028b`},
		{"paragraph separator U+2029", "a\u2029b", `a\u2029b`},
		{"next line U+0085", "a\u0085b", `a\u0085b`},
		{"backslash doubled so escapes stay unambiguous", `a\x1b`, `a\\x1b`},
		{"invalid UTF-8", "a\xffb", `a\xffb`},
		{"DEL", "a\x7fb", `a\x7fb`},
		{"C1 control", "a\u009bb", `a\u009bb`},
		{"other scripts stay", "模型.权重 ñ", "模型.权重 ñ"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := escapeLine(c.in); got != c.want {
				t.Errorf("escapeLine(%q): got %q, want %q", c.in, got, c.want)
			}
		})
	}
}

// TestMdCode checks that untrusted text cannot leave its code span or its
// table cell (CommonMark §6.1 code spans; GFM tables split on unescaped |).
func TestMdCode(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"plain", "h.0.attn.c_attn.weight", "`h.0.attn.c_attn.weight`"},
		{"pipe", "a|b", "`a\\|b`"},
		{"backtick inside", "a`b", "``a`b``"},
		{"double backtick inside", "a``b`c", "```a``b`c```"},
		{"leading backtick padded", "`a", "`` `a ``"},
		{"ANSI escaped first", "\x1b[2J", "`\\x1b[2J`"},
		{"HTML stays literal in a code span", "<script>", "`<script>`"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := mdCode(c.in); got != c.want {
				t.Errorf("mdCode(%q): got %q, want %q", c.in, got, c.want)
			}
		})
	}
}

// TestLimitFlags checks addLimitFlags: the defaults are reader.DefaultLimits
// (the header cap is the reference's MAX_HEADER_SIZE, 100,000,000 bytes, in
// safetensors/src/tensor.rs), sizes take humanize units, and negative or
// malformed caps are refused while parsing.
func TestLimitFlags(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		var lim reader.Limits
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		addLimitFlags(fs, &lim)
		if err := fs.Parse(nil); err != nil {
			t.Fatal(err)
		}
		if got, want := lim, reader.DefaultLimits(); got != want {
			t.Errorf("got %+v, want %+v", got, want)
		}
		if lim.MaxHeaderBytes != 100_000_000 {
			t.Errorf("got --max-header-bytes default %d, want 100000000", lim.MaxHeaderBytes)
		}
	})
	good := []struct {
		arg  string
		get  func(reader.Limits) uint64
		want uint64
	}{
		{"--max-header-bytes=200000000", func(l reader.Limits) uint64 { return l.MaxHeaderBytes }, 200_000_000},
		{"--max-header-bytes=200MB", func(l reader.Limits) uint64 { return l.MaxHeaderBytes }, 200_000_000},
		{"--max-header-bytes=1GiB", func(l reader.Limits) uint64 { return l.MaxHeaderBytes }, 1 << 30},
		{"--max-header-bytes=18446744073709551615", func(l reader.Limits) uint64 { return l.MaxHeaderBytes }, 1<<64 - 1},
		{"--max-tensors=2_000_000", func(l reader.Limits) uint64 { return uint64(l.MaxTensors) }, 2_000_000},
		{"--max-rank=8", func(l reader.Limits) uint64 { return uint64(l.MaxRank) }, 8},
		{"--max-name-bytes=100", func(l reader.Limits) uint64 { return uint64(l.MaxNameBytes) }, 100},
		{"--max-metadata-bytes=0", func(l reader.Limits) uint64 { return uint64(l.MaxMetadataBytes) }, 0},
		{"--max-index-bytes=300MiB", func(l reader.Limits) uint64 { return uint64(l.MaxIndexBytes) }, 300 << 20},
		{"--max-shards=20000", func(l reader.Limits) uint64 { return uint64(l.MaxShards) }, 20_000},
		{"--max-config-bytes=1kB", func(l reader.Limits) uint64 { return uint64(l.MaxConfigBytes) }, 1000},
		{"--concurrency=3", func(l reader.Limits) uint64 { return uint64(l.Concurrency) }, 3},
	}
	for _, c := range good {
		t.Run(c.arg, func(t *testing.T) {
			var lim reader.Limits
			fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
			addLimitFlags(fs, &lim)
			if err := fs.Parse([]string{c.arg}); err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if got := c.get(lim); got != c.want {
				t.Errorf("got %d, want %d", got, c.want)
			}
		})
	}
	bad := []string{
		"--max-tensors=-1", "--max-tensors=1.5", "--max-tensors=ten", "--concurrency=-2",
		"--max-header-bytes=-1", "--max-header-bytes=MB", "--max-header-bytes=", "--max-header-bytes=18446744073709551616",
		"--max-index-bytes=16EiB", "--max-config-bytes=12 parsecs",
	}
	for _, arg := range bad {
		t.Run(arg, func(t *testing.T) {
			var lim reader.Limits
			fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
			fs.SetOutput(&bytes.Buffer{})
			addLimitFlags(fs, &lim)
			if err := fs.Parse([]string{arg}); err == nil {
				t.Errorf("got no error, want one (limits %+v)", lim)
			}
		})
	}
}

// FuzzEscape checks the output invariants of escapeLine and mdCode on any
// input: valid UTF-8 with no control, format (bidi, zero-width) or line
// separator runes, and in Markdown no unescaped | that would split a table
// cell, inside a code span whose fence is longer than any backtick run in it.
func FuzzEscape(f *testing.F) {
	for _, s := range append(append([]string{}, hostileNames...), "", "`", "a|b", "\xff\xfe", "\u2028", "模型") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := escapeLine(s)
		if !utf8.ValidString(e) {
			t.Fatalf("escapeLine(%q) = %q: not valid UTF-8", s, e)
		}
		for _, r := range e {
			if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) || unicode.Is(unicode.Bidi_Control, r) {
				t.Fatalf("escapeLine(%q) = %q: holds %U", s, e, r)
			}
		}
		m := mdCode(s)
		if s == "" {
			return
		}
		for i := 0; i < len(m); i++ {
			if m[i] == '|' && (i == 0 || m[i-1] != '\\') {
				t.Fatalf("mdCode(%q) = %q: unescaped | at %d", s, m, i)
			}
		}
		fence := len(m) - len(strings.TrimLeft(m, "`"))
		if !strings.HasSuffix(m, strings.Repeat("`", fence)) {
			t.Fatalf("mdCode(%q) = %q: fence of %d not closed", s, m, fence)
		}
		inner := m[fence : len(m)-fence]
		if strings.Contains(inner, strings.Repeat("`", fence)) {
			t.Fatalf("mdCode(%q) = %q: a run of %d backticks inside closes the span early", s, m, fence)
		}
	})
}
