package main

import (
	"context"
	"io"
	"path"

	"github.com/paramscope/paramscope/analysis"
	"github.com/paramscope/paramscope/analysis/findings"
	"github.com/paramscope/paramscope/reader"
)

// inspectOptions are the flags of paramscope inspect.
type inspectOptions struct {
	format  format
	tensors bool
	filter  string
	// verifyTied reads the two tensors of a tied pair stored twice and
	// compares their bytes: the one time inspect reads tensor data.
	verifyTied bool
	limits     reader.Limits
}

// runInspect reads each path's headers, analyses them and writes one report
// for all of them. A path that cannot be read is reported on stderr and
// skipped; the others are still inspected, and the exit code is then 3.
func runInspect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var opt inspectOptions
	fs := newFlagSet("inspect", "paramscope inspect PATH... [flags]", stdout)
	addFormatFlag(fs, &opt.format)
	fs.BoolVar(&opt.tensors, "tensors", false, "list every tensor: name, dtype, shape, elements, bytes, file")
	fs.StringVar(&opt.filter, "filter", "", "list only tensors whose name matches this glob (path.Match syntax, e.g. 'h.0.*'); implies --tensors")
	fs.BoolVar(&opt.verifyTied, "verify-tied", false, "when config.json ties lm_head to the embedding but the file stores both, read the two tensors and compare their bytes (reads tensor data; complete files only)")
	addLimitFlags(fs, &opt.limits)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	paths := fs.Args()
	if len(paths) == 0 {
		return usageErrorf("inspect: no path given (a .safetensors file, a *.safetensors.index.json, or a model folder)")
	}
	if opt.filter != "" {
		// path.Match reports a malformed pattern only when it gets that far
		// in a name; matching the empty name walks the whole pattern.
		if _, err := path.Match(opt.filter, ""); err != nil {
			return usageErrorf("inspect: --filter %q: %v", opt.filter, err)
		}
	}

	rep := &inspectReport{
		SchemaVersion: schemaVersion,
		Command:       "inspect",
		Checkpoints:   []*checkpointReport{},
		ListTensors:   opt.tensors || opt.filter != "",
		Filter:        opt.filter,
	}
	// tiedProblems counts tied copies whose bytes differ: with
	// --verify-tied that is a check that failed (exit 1).
	tiedProblems := 0
	run, err := eachPath(ctx, paths, stderr, func(p string) error {
		ck, err := reader.Open(ctx, p, opt.limits)
		if err != nil {
			return err
		}
		// The summary skips the per-tensor diff, which inspect does not show
		// and which dominates the analysis of a 92,000-tensor checkpoint.
		a := analysis.AnalyzeCheckpointSummary(ck)
		if opt.verifyTied {
			for _, f := range verifyTied(ck, a.Quant) {
				a.Findings = append(a.Findings, f)
				if f.Level == findings.Problem {
					tiedProblems++
				}
			}
		}
		rep.Checkpoints = append(rep.Checkpoints, newCheckpointReport(ck, a, rep.ListTensors, opt.filter))
		return nil
	}, func(p string, err error) {
		rep.Errors = append(rep.Errors, pathError{Path: p, Error: err.Error()})
	})
	if err != nil {
		return err
	}

	// With one unreadable path and nothing else there is no report to write:
	// the error line on stderr is the whole answer.
	if len(rep.Checkpoints) > 0 || opt.format != formatText {
		if err := renderInspect(stdout, opt.format, rep); err != nil {
			return err
		}
	}
	if opt.format == formatText {
		writeTextWarnings(stderr, rep)
	}
	if run.failed == 0 && tiedProblems > 0 {
		return problemError("inspect: --verify-tied: %d tied pair(s) stored with different bytes", tiedProblems)
	}
	return run.err("inspect", "read")
}
