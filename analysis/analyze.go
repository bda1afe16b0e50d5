package analysis

import (
	"unsafe"

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

	// L, H and V are the values put into the formula; L counts every layer
	// of the language model (encoder and decoder for T5).
	L uint64 `json:"l"`
	H uint64 `json:"h"`
	V uint64 `json:"v"`
	// RelDiff is Diff / Textbook.
	RelDiff float64 `json:"relative_difference"`
	// Terms is the term table: the textbook's four terms, then the rows it
	// does not have (buffers and side tensors shown, not counted).
	Terms []Term `json:"terms"`
	// Layers is the per-tensor diff of every layer; Groups gathers alike
	// layers, one of them representative.
	Layers []LayerDiff  `json:"layers"`
	Groups []LayerGroup `json:"layer_groups"`
	// Outside is the per-tensor diff of the tensors outside layers.
	Outside []TensorDiff `json:"outside_layers"`
	// Assumptions is the textbook's assumptions, each held or broken.
	Assumptions []Assumption `json:"assumptions"`
	// Corrected is the formula that fits this checkpoint.
	Corrected Corrected `json:"corrected"`
	// Active is, for mixture-of-experts models, the parameters one token
	// uses: Actual without the extra modules (MTP, vision) and without the
	// routed experts it is not sent to, (E - k)/E of them; 0 for dense models.
	Active     uint64 `json:"active_parameters,omitempty"`
	ActiveNote string `json:"active_note,omitempty"`
	// Findings are the formula's own findings.
	Findings []findings.Finding `json:"findings,omitempty"`
}

// Analyze runs the pipeline: classify, assign roles, infer the
// architecture, compare with the formula. It never fails: odd input becomes
// findings.
func Analyze(tensors []reader.Tensor, cfg *reader.Config) *Analysis {
	return analyze(tensors, cfg, true, false)
}

// AnalyzeSummary is Analyze with only the formula's headline
// (FormulaSummary): the same roles, architecture, totals and findings, but
// no term table, per-tensor diff or corrected formula. It is what a summary
// such as paramscope inspect shows, and on DeepSeek-V3's ~92,000 tensors it
// skips the diff's walk over every layer tensor.
func AnalyzeSummary(tensors []reader.Tensor, cfg *reader.Config) *Analysis {
	return analyze(tensors, cfg, false, false)
}

// AnalyzeCheckpoint is Analyze for a checkpoint reader.Open returned. Its
// tensor names are unique (the reader refuses a name twice), so the
// classification need not check that (quant.ClassifyUnique): the result
// is Analyze's, with less work on large checkpoints.
func AnalyzeCheckpoint(ck *reader.Checkpoint) *Analysis {
	return analyze(ck.Tensors, ck.Config, true, true)
}

// AnalyzeCheckpointSummary is AnalyzeSummary for a checkpoint reader.Open
// returned, with the same shortcut as AnalyzeCheckpoint.
func AnalyzeCheckpointSummary(ck *reader.Checkpoint) *Analysis {
	return analyze(ck.Tensors, ck.Config, false, true)
}

// analyze runs the stages, with the formula's detail when full is true;
// unique says the tensors' names are known to be unique.
// The roles are not changed between the stages, so the sums the
// architecture's walk gathered serve the formula's headline.
func analyze(tensors []reader.Tensor, cfg *reader.Config, full, unique bool) *Analysis {
	roles := make([]TensorRole, len(tensors))
	if len(tensors) >= parallelNames {
		// The rows are fresh memory; their page faults are taken on the
		// other core while Classify runs (the pointer keeps them alive).
		go prefault(unsafe.Pointer(unsafe.SliceData(roles)), len(roles)*int(unsafe.Sizeof(TensorRole{})))
	}
	var q *quant.Result
	if unique {
		q = quant.ClassifyUnique(tensors, cfg)
	} else {
		q = quant.Classify(tensors, cfg)
	}
	// Sums were added up in Classify's own walk over the rows.
	a := &Analysis{Quant: q, Totals: q.Sums().Totals}
	a.Findings = append(a.Findings, q.Findings...)
	// The architecture's walk over the roles is made while they are placed.
	roles, ix := assignRolesIndexed(q.Tensors, cfg, roles, true)
	a.Roles = roles
	arch, ix := inferArchitecture(a.Roles, cfg, ix)
	a.Arch = arch
	a.Findings = append(a.Findings, a.Arch.Findings...)
	a.Formula = formulaSummary(a.Roles, a.Arch, &ix.sums)
	if full {
		formulaDetail(a.Formula, a.Roles, a.Arch)
	}
	a.Findings = append(a.Findings, a.Formula.Findings...)
	return a
}
