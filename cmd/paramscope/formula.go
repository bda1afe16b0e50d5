package main

import (
	"context"
	"io"

	"github.com/paramscope/paramscope/analysis"
	"github.com/paramscope/paramscope/analysis/findings"
	"github.com/paramscope/paramscope/reader"
)

// formulaOptions are the flags of paramscope formula.
type formulaOptions struct {
	format    format
	allLayers bool
	limits    reader.Limits
}

// The formula report is a contract like inspect's (STYLE.md §2):
// schema_version, snake_case keys, raw integers, findings inside. The
// renderers in render_formula.go only format it.

// formulaReport is the whole output of one formula invocation.
type formulaReport struct {
	SchemaVersion int    `json:"schema_version"`
	Command       string `json:"command"`
	// AllLayers is true with --all-layers: every layer's diff is listed,
	// not only one layer of each kind.
	AllLayers   bool            `json:"all_layers"`
	Checkpoints []*formulaEntry `json:"checkpoints"`
	// Errors are the paths that could not be read, in the order given.
	Errors []pathError `json:"errors,omitempty"`
}

// formulaEntry is the comparison for one checkpoint.
type formulaEntry struct {
	Path   string `json:"path"`
	Chosen string `json:"chosen"`
	Stub   bool   `json:"stub"`
	// Family is the naming convention the tensors follow.
	Family       string                  `json:"family"`
	Architecture *analysis.Architecture  `json:"architecture"`
	Formula      *analysis.FormulaReport `json:"formula"`
	// Findings gather every stage's findings (classification,
	// architecture, formula).
	Findings []findings.Finding `json:"findings"`
	// Warnings are the reader's non-fatal findings.
	Warnings []warningReport `json:"warnings"`
}

// runFormula compares each path's checkpoint with the article's
// 12lh² + 13lh + Vh. A path that cannot be read is reported and skipped;
// the exit code is then 3.
func runFormula(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var opt formulaOptions
	fs := newFlagSet("formula", "paramscope formula PATH... [flags]", stdout)
	addFormatFlag(fs, &opt.format)
	fs.BoolVar(&opt.allLayers, "all-layers", false, "print the per-tensor diff of every layer, not one layer of each kind")
	addLimitFlags(fs, &opt.limits)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	paths := fs.Args()
	if len(paths) == 0 {
		return usageErrorf("formula: no path given (a .safetensors file, a *.safetensors.index.json, or a model folder)")
	}
	rep := &formulaReport{SchemaVersion: schemaVersion, Command: "formula", AllLayers: opt.allLayers, Checkpoints: []*formulaEntry{}}
	run, err := eachPath(ctx, paths, stderr, func(p string) error {
		ck, err := reader.Open(ctx, p, opt.limits)
		if err != nil {
			return err
		}
		a := analysis.AnalyzeCheckpoint(ck)
		rep.Checkpoints = append(rep.Checkpoints, newFormulaEntry(p, ck, a, opt.allLayers))
		return nil
	}, func(p string, err error) {
		rep.Errors = append(rep.Errors, pathError{Path: p, Error: err.Error()})
	})
	if err != nil {
		return err
	}
	if len(rep.Checkpoints) > 0 || opt.format != formatText {
		if err := renderFormula(stdout, opt.format, rep); err != nil {
			return err
		}
	}
	if opt.format == formatText {
		for _, c := range rep.Checkpoints {
			for _, w := range c.Warnings {
				writeWarningLine(stderr, c.Path, w, false)
			}
		}
	}
	return run.err("formula", "read")
}

// newFormulaEntry gathers one checkpoint's comparison. Without
// --all-layers only the first layer of each group of alike layers is kept,
// the representative group first.
func newFormulaEntry(path string, ck *reader.Checkpoint, a *analysis.Analysis, allLayers bool) *formulaEntry {
	e := &formulaEntry{
		Path: path, Chosen: ck.Chosen, Stub: ck.Stub(),
		Family: a.Arch.Family, Architecture: a.Arch, Findings: a.Findings,
		Warnings: newWarningReports(ck.Warnings),
	}
	if e.Findings == nil {
		e.Findings = []findings.Finding{}
	}
	f := *a.Formula
	if !allLayers {
		seen := map[int]bool{}
		var keep []analysis.LayerDiff
		for _, pass := range []bool{true, false} {
			for _, l := range f.Layers {
				if seen[l.Group] || f.Groups[l.Group].Representative != pass {
					continue
				}
				seen[l.Group] = true
				keep = append(keep, l)
			}
		}
		f.Layers = keep
	}
	if f.Layers == nil {
		f.Layers = []analysis.LayerDiff{}
	}
	e.Formula = &f
	return e
}
