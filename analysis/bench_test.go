package analysis

import (
	"testing"

	"github.com/paramscope/paramscope/analysis/quant"
	"github.com/paramscope/paramscope/reader"
	"github.com/paramscope/paramscope/testdata/layouts"
)

// benchTensors builds a fixture layout in memory.
func benchTensors(b *testing.B, name string) ([]reader.Tensor, *reader.Config) {
	b.Helper()
	m, err := layouts.Build(name)
	if err != nil {
		b.Fatal(err)
	}
	ts := make([]reader.Tensor, len(m.Tensors))
	for i, t := range m.Tensors {
		ts[i] = reader.Tensor{Name: t.Name, DType: reader.DType(t.DType), Shape: t.Shape}
	}
	var cfg *reader.Config
	if m.Config != "" {
		if cfg, err = reader.ParseConfig([]byte(m.Config), "config.json", reader.DefaultLimits()); err != nil {
			b.Fatal(err)
		}
	}
	return ts, cfg
}

// BenchmarkAnalyze runs the whole pipeline (classify, roles, architecture,
// formula with every layer's diff) on real layouts: Llama-2-7B (291
// tensors) and DeepSeek-V3 (~92,000 tensors with FP8 scales).
func BenchmarkAnalyze(b *testing.B) {
	for _, name := range []string{"llama-2-7b", "deepseek-v3"} {
		b.Run(name, func(b *testing.B) {
			ts, cfg := benchTensors(b, name)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				Analyze(ts, cfg)
			}
		})
	}
}

// BenchmarkStages times each stage alone on DeepSeek-V3's layout, the
// largest there is (~92,000 tensors), so a regression shows where it is:
//
//	go test ./analysis -run '^$' -bench Stages -benchmem
func BenchmarkStages(b *testing.B) {
	ts, cfg := benchTensors(b, "deepseek-v3")
	q := quant.Classify(ts, cfg)
	roles := AssignRoles(q.Tensors, cfg)
	arch := InferArchitecture(roles, cfg)
	b.Run("AssignRoles", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			AssignRoles(q.Tensors, cfg)
		}
	})
	b.Run("InferArchitecture", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			InferArchitecture(roles, cfg)
		}
	})
	b.Run("Formula", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Formula(roles, arch)
		}
	})
}

// BenchmarkAnalyzeDeepSeekScale times what inspect needs from this package
// on DeepSeek-V3's layout (~92,000 tensors, FP8 weights with F32 block
// scales), from tensors quant.Classify has already classified: roles, the
// architecture and the formula's headline ("inspect"), and the same with
// the formula command's whole comparison ("formula"). Classify's own time
// is quant's BenchmarkClassifyDeepSeekScale.
//
//	go test ./analysis -run '^$' -bench AnalyzeDeepSeekScale -benchmem
func BenchmarkAnalyzeDeepSeekScale(b *testing.B) {
	ts, cfg := benchTensors(b, "deepseek-v3")
	q := quant.Classify(ts, cfg)
	b.Run("inspect", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			// What AnalyzeSummary runs after quant.Classify.
			roles, ix := assignRolesIndexed(q.Tensors, cfg, make([]TensorRole, len(q.Tensors)), true)
			arch, ix := inferArchitecture(roles, cfg, ix)
			formulaSummary(roles, arch, &ix.sums)
		}
	})
	b.Run("formula", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			roles := AssignRoles(q.Tensors, cfg)
			arch := InferArchitecture(roles, cfg)
			Formula(roles, arch)
		}
	})
}

// BenchmarkParseNames parses DeepSeek-V3's ~92,000 names as AssignRoles
// does, with its interner.
func BenchmarkParseNames(b *testing.B) {
	ts, _ := benchTensors(b, "deepseek-v3")
	b.ReportAllocs()
	for b.Loop() {
		in := newInterner()
		for i := range ts {
			parseNameWith(ts[i].Name, in)
		}
	}
}
