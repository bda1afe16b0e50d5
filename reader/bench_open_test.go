package reader_test

import (
	"context"
	"os"
	"testing"

	"github.com/paramscope/paramscope/reader"
	"github.com/paramscope/paramscope/testdata/bigckpt"
)

// BenchmarkOpenDeepSeekScale opens a header-only checkpoint at the scale of
// DeepSeek-V3 (163 shards, 91,991 tensors, written by package bigckpt
// outside the timer) with warm caches: index parsing, 163 header parses,
// and the index-to-shard reconciliation.
func BenchmarkOpenDeepSeekScale(b *testing.B) {
	dir := b.TempDir()
	n, err := bigckpt.Write(dir, bigckpt.Shards)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ck, err := reader.Open(ctx, dir, reader.Limits{})
		if err != nil {
			b.Fatal(err)
		}
		if len(ck.Tensors) != n {
			b.Fatalf("got %d tensors, want %d", len(ck.Tensors), n)
		}
	}
}

// BenchmarkParseIndexDeepSeekScale isolates the index: 91,991 weight_map
// entries over 163 shard names.
func BenchmarkParseIndexDeepSeekScale(b *testing.B) {
	dir := b.TempDir()
	if _, err := bigckpt.Write(dir, bigckpt.Shards); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(dir + "/model.safetensors.index.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := reader.ParseIndex(data, "model.safetensors.index.json", reader.Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
