package quant

import (
	"reflect"
	"testing"
)

// TestSums checks that the sums Classify adds up in its one walk (on two
// goroutines for deepseek-v3's ~92,000 rows) are what Totals, ByDType and
// Schemes add up on their own, and that a Result built by hand gets the
// same from Sums. The layouts cover plain, tied, buffered, GPTQ, AWQ,
// bitsandbytes, NVFP4, MLX, MXFP4 and FP8-block checkpoints.
func TestSums(t *testing.T) {
	for _, name := range []string{
		"gpt2-with-buffers", "tiny-llama-tied-dup", "quant-llama-2-7b-gptq",
		"quant-llama-2-7b-awq-2l", "quant-llama-3.1-8b-instruct-bnb-4bit",
		"quant-llama-3.1-8b-instruct-nvfp4-2l", "quant-llama-3.2-1b-instruct-mlx-4bit",
		"quant-gpt-oss-20b", "deepseek-v3",
	} {
		t.Run(name, func(t *testing.T) {
			ts, cfg := load(t, name)
			r := Classify(ts, cfg)
			hand := &Result{Tensors: r.Tensors, ConfigGroupSize: r.ConfigGroupSize}
			for _, s := range []*Sums{r.Sums(), hand.Sums()} {
				if got, want := s.Totals, r.Totals(); got != want {
					t.Errorf("totals: got %+v, want %+v", got, want)
				}
				if got, want := s.DTypes, r.ByDType(); !reflect.DeepEqual(got, want) {
					t.Errorf("dtypes: got %+v, want %+v", got, want)
				}
				if got, want := s.Schemes, r.Schemes(); !reflect.DeepEqual(got, want) {
					t.Errorf("schemes: got %+v, want %+v", got, want)
				}
				var bytes uint64
				for _, x := range r.Tensors {
					bytes += x.Bytes()
				}
				if s.StoredBytes != bytes {
					t.Errorf("stored bytes: got %d, want %d", s.StoredBytes, bytes)
				}
				if len(s.Examples) != len(s.Schemes) {
					t.Fatalf("examples: got %d, want one per scheme (%d)", len(s.Examples), len(s.Schemes))
				}
				for k, sc := range s.Schemes {
					want := -1
					for i, x := range r.Tensors {
						if x.Kind == Parameter && x.Packing() != "" && (x.Scheme() == sc.Scheme || x.Scheme() == "" && sc.Scheme == "none") {
							want = i
							break
						}
					}
					if s.Examples[k] != want {
						t.Errorf("example of %s: got %d, want %d", sc.Scheme, s.Examples[k], want)
					}
				}
			}
		})
	}
}
