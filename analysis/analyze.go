package analysis

import (
	"github.com/paramscope/paramscope/analysis/findings"
	"github.com/paramscope/paramscope/analysis/quant"
	"github.com/paramscope/paramscope/reader"
)

// Analysis is every stage's result for one checkpoint.
type Analysis struct {
	Quant   *quant.Result
	Totals  quant.Totals
	Roles   []TensorRole
	Arch    *Architecture
	Formula *FormulaReport
	// Findings gathers the findings of every stage.
	Findings []findings.Finding
}

// FormulaReport compares the checkpoint with the article's 12lh² + 13lh + Vh.
type FormulaReport struct {
	// Textbook is 12lh² + 13lh + Vh with the inferred l, h, V.
	Textbook uint64 `json:"textbook"`
	// Approx is 12lh².
	Approx uint64 `json:"approximation_12lh2"`
	// Actual is the checkpoint's logical parameter count.
	Actual uint64 `json:"actual"`
	// Diff is Actual - Textbook.
	Diff int64 `json:"difference"`
}

// Analyze runs the pipeline: classify, assign roles, infer the
// architecture, compare with the formula.
//
// TODO(issue 3): roles, architecture and formula.
func Analyze(tensors []reader.Tensor, cfg *reader.Config) *Analysis {
	q := quant.Classify(tensors, cfg)
	a := &Analysis{Quant: q, Totals: q.Totals()}
	a.Findings = append(a.Findings, q.Findings...)
	return a
}
