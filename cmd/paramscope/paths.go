package main

import (
	"context"
	"fmt"
	"io"
)

// pathRun is what went wrong while a command went through its paths.
type pathRun struct {
	paths  int   // how many paths were given
	failed int   // how many could not be read
	last   error // the last failure
}

// eachPath calls do for every path in order. A path whose do fails is
// handed to failed and, when there are several paths, said on stderr at
// once; the others still run, so one bad shard folder does not hide the
// reports of the rest. It stops only when ctx is cancelled.
func eachPath(ctx context.Context, paths []string, stderr io.Writer, do func(path string) error, failed func(path string, err error)) (pathRun, error) {
	run := pathRun{paths: len(paths)}
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return run, err
		}
		if err := do(p); err != nil {
			run.failed++
			run.last = err
			failed(p, err)
			if len(paths) > 1 {
				fmt.Fprintf(stderr, "paramscope: %s\n", escapeLine(err.Error()))
			}
		}
	}
	return run, nil
}

// err is the command's result once its report is written: nil when every
// path was read, the failure itself for a single path, and a count
// otherwise (each failure was already said on stderr); all exit 3.
func (r pathRun) err(command, verb string) error {
	switch {
	case r.failed == 0:
		return nil
	case r.paths == 1:
		return inputError(r.last)
	default:
		return inputError(fmt.Errorf("%s: %d of %d paths could not be %s", command, r.failed, r.paths, verb))
	}
}
