package quant

import (
	"context"
	"errors"
	"testing"

	"github.com/paramscope/paramscope/analysis/findings"
	"github.com/paramscope/paramscope/reader"
)

// TestTiedBytes runs the byte check the CLI wires on the committed complete
// fixtures: tiny-llama-tied-dup stores lm_head as a copy of embed_tokens,
// tiny-llama-tied-differ stores different bytes (testdata/layouts/tiny.go),
// both with tie_word_embeddings=true in config.json.
func TestTiedBytes(t *testing.T) {
	tests := []struct {
		model string
		level findings.Level
		code  string
	}{
		{"tiny-llama-tied-dup", findings.Info, "tied_weights_identical"},
		{"tiny-llama-tied-differ", findings.Problem, "tied_weights_differ"},
	}
	for _, tc := range tests {
		t.Run(tc.model, func(t *testing.T) {
			ck, err := reader.Open(context.Background(), "../../testdata/models/"+tc.model, reader.DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			r := Classify(ck.Tensors, ck.Config)
			pairs := TiedPairs(r)
			if len(pairs) != 1 {
				t.Fatalf("pairs: got %d, want 1", len(pairs))
			}
			a, err := reader.ReadTensorData(ck, pairs[0].Embedding, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			b, err := reader.ReadTensorData(ck, pairs[0].Head, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			// 16 × 8 BF16 values each.
			if len(a) != 256 || len(b) != 256 {
				t.Fatalf("bytes: got %d and %d, want 256 each", len(a), len(b))
			}
			if f := CompareTied(pairs[0], a, b); f.Level != tc.level || f.Code != tc.code {
				t.Errorf("got %s %s (%s), want %s %s", f.Level, f.Code, f.Message, tc.level, tc.code)
			}
		})
	}
}

// TestReadStub checks that a header-only fixture refuses data reads, so a
// byte check on a stub fails loudly rather than comparing nothing.
func TestReadStub(t *testing.T) {
	ck, err := reader.Open(context.Background(), "../../testdata/models/quant-llama-2-7b-awq-2l", reader.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reader.ReadTensorData(ck, ck.Tensors[0], 1<<40); !errors.Is(err, reader.ErrMissing) {
		t.Errorf("got %v, want ErrMissing", err)
	}
}
