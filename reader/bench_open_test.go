//go:build unix

package reader_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/paramscope/paramscope/reader"
	"github.com/paramscope/paramscope/testdata/bigckpt"
)

// cpuTime returns the process's user plus system CPU time. Reported next to
// ns/op because the wall time of a parallel read depends on what else the
// machine runs, while the CPU it costs does not.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkOpenDeepSeekScale opens a header-only checkpoint at the scale of
// DeepSeek-V3 (163 shards, 91,991 tensors, written by package bigckpt
// outside the timer) with warm caches: index parse, 163 header parses, and
// the index-to-shard reconciliation.
func BenchmarkOpenDeepSeekScale(b *testing.B) {
	dir := b.TempDir()
	n, err := bigckpt.Write(dir, bigckpt.Shards)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime(b)
	for b.Loop() {
		ck, err := reader.Open(ctx, dir, reader.Limits{})
		if err != nil {
			b.Fatal(err)
		}
		if len(ck.Tensors) != n {
			b.Fatalf("got %d tensors, want %d", len(ck.Tensors), n)
		}
	}
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkParseIndexDeepSeekScale isolates the index: 91,991 weight_map
// entries over 163 shard names, about 10 MB of JSON.
func BenchmarkParseIndexDeepSeekScale(b *testing.B) {
	dir := b.TempDir()
	if _, err := bigckpt.Write(dir, bigckpt.Shards); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, reader.DefaultIndexName))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime(b)
	for b.Loop() {
		if _, err := reader.ParseIndex(data, reader.DefaultIndexName, reader.Limits{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
}
