package main

import (
	"context"
	"io"
	"testing"

	"github.com/paramscope/paramscope/analysis"
	"github.com/paramscope/paramscope/reader"
	"github.com/paramscope/paramscope/testdata/bigckpt"
)

// The target for the whole binary on a DeepSeek-V3-scale checkpoint
// is under 40 ms and 80 MB; testdata/bench.sh measures that with process
// start. These benchmarks measure the same work inside one process (reader,
// analysis, report, renderer), for profiling:
//
//	go test ./cmd/paramscope -run '^$' -bench InspectDeepSeekScale -benchmem -cpuprofile cpu.out

// BenchmarkInspectDeepSeekScale runs inspect on a header-only checkpoint of
// DeepSeek-V3's layout (testdata/bigckpt: ~92,000 tensors over 163 shards,
// FP8 weights with F32 block scales), in each output format.
func BenchmarkInspectDeepSeekScale(b *testing.B) {
	dir := b.TempDir()
	n, err := bigckpt.Write(dir, bigckpt.Shards)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d tensors in %d shards", n, bigckpt.Shards)
	cases := []struct {
		name string
		args []string
	}{
		{"text", []string{"inspect", dir}},
		{"json", []string{"inspect", "--format", "json", dir}},
		{"markdown", []string{"inspect", "--format", "markdown", dir}},
		{"json-tensors", []string{"inspect", "--format", "json", "--tensors", dir}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if code := run(context.Background(), c.args, io.Discard, io.Discard); code != exitOK {
					b.Fatalf("got exit %d, want 0", code)
				}
			}
		})
	}
}

// BenchmarkInspectReport measures inspect's own share on the same
// checkpoint: building the report from an analysis done once, and rendering
// it, without the reader and the analysis.
func BenchmarkInspectReport(b *testing.B) {
	dir := b.TempDir()
	if _, err := bigckpt.Write(dir, bigckpt.Shards); err != nil {
		b.Fatal(err)
	}
	ck, err := reader.Open(context.Background(), dir, reader.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	a := analysis.AnalyzeSummary(ck.Tensors, ck.Config)
	for _, f := range []format{formatText, formatJSON, formatMarkdown} {
		b.Run(string(f), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rep := &inspectReport{SchemaVersion: schemaVersion, Command: "inspect",
					Checkpoints: []*checkpointReport{newCheckpointReport(ck, a, false, "")}}
				if err := renderInspect(io.Discard, f, rep); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkInspectGPT2 runs inspect on the GPT-2 small stub (148 tensors,
// one 13 KB header): the cost of a typical single-file checkpoint.
func BenchmarkInspectGPT2(b *testing.B) {
	args := []string{"inspect", "../../testdata/models/gpt2"}
	b.ReportAllocs()
	for b.Loop() {
		if code := run(context.Background(), args, io.Discard, io.Discard); code != exitOK {
			b.Fatalf("got exit %d, want 0", code)
		}
	}
}
