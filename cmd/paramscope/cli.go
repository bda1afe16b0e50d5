package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

// Exit codes (DEVELOPERS.md).
const (
	exitOK       = 0 // success
	exitProblem  = 1 // a check or diff found a problem
	exitUsage    = 2 // usage error
	exitBadInput = 3 // input unreadable or malformed
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// exitError carries the exit code a failure maps to.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

func inputError(err error) error { return &exitError{code: exitBadInput, err: err} }

// problemError signals that a check found a problem; the report was already
// written, so the message is only for stderr.
func problemError(format string, args ...any) error {
	return &exitError{code: exitProblem, err: fmt.Errorf(format, args...)}
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands is the ordered list of subcommands.
func commands() []command {
	return []command{
		{"inspect", "show what a checkpoint holds: files, tensors, dtypes, sizes, warnings", runInspect},
		{"formula", "compare the checkpoint with 12lh² + 13lh + Vh, term by term and tensor by tensor", runFormula},
		{"estimate", "FLOPs, activation memory, KV cache and memory: the article's formulas and corrected ones", runEstimate},
		{"version", "print the version", runVersion},
	}
}

// run is the whole program; main only adds the process around it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := dispatch(ctx, args, stdout, stderr)
	if err == nil {
		return exitOK
	}
	if errors.Is(err, pflag.ErrHelp) {
		return exitOK
	}
	code := exitBadInput
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	fmt.Fprintf(stderr, "paramscope: %s\n", escapeLine(err.Error()))
	if code == exitUsage {
		fmt.Fprintln(stderr, "run 'paramscope --help' for usage")
	}
	return code
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		printUsage(stderr)
		return usageErrorf("no command or path given")
	}
	switch args[0] {
	case "-h", "--help", "help":
		printUsage(stdout)
		return nil
	case "-v", "--version":
		return runVersion(ctx, nil, stdout, stderr)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	if strings.HasPrefix(args[0], "-") {
		// Flags before any path: paramscope --tensors model.safetensors.
		return runInspect(ctx, args, stdout, stderr)
	}
	// A path and no subcommand runs inspect.
	return runInspect(ctx, args, stdout, stderr)
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "paramscope inspects transformer checkpoints from their safetensors headers.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage:")
	fmt.Fprintln(w, "  paramscope [inspect] PATH... [flags]")
	fmt.Fprintln(w, "  paramscope COMMAND [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "PATH is a .safetensors file, a *.safetensors.index.json, or a model folder.")
	fmt.Fprintln(w, "Run 'paramscope COMMAND --help' for a command's flags.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Exit codes: 0 success, 1 a check or diff found a problem, 2 usage error, 3 input unreadable or malformed.")
}

func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", "paramscope version", stdout)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "paramscope %s\n", version)
	return nil
}

// newFlagSet returns a flag set that reports errors instead of exiting.
// With ContinueOnError pflag calls Usage only for -h/--help, so the help
// text goes to stdout, where a reader asked for it (paramscope inspect
// --help | less); errors are returned and printed by run on stderr.
func newFlagSet(name, usage string, stdout io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: %s\n\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; --help prints usage to the flag set's output and
// returns pflag.ErrHelp (exit 0), any other error is a usage error.
func parseFlags(fs *pflag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return usageErrorf("%s: %v", fs.Name(), err)
	}
	return nil
}

// format is the --format flag: a pflag.Value so a bad value fails while parsing.
type format string

const (
	formatText     format = "text"
	formatJSON     format = "json"
	formatMarkdown format = "markdown"
)

func (f *format) String() string { return string(*f) }
func (f *format) Type() string   { return "text|json|markdown" }
func (f *format) Set(s string) error {
	switch format(s) {
	case formatText, formatJSON, formatMarkdown:
		*f = format(s)
		return nil
	case "md":
		*f = formatMarkdown
		return nil
	}
	return fmt.Errorf("want text, json or markdown, got %q", s)
}

// addFormatFlag registers --format on fs.
func addFormatFlag(fs *pflag.FlagSet, f *format) {
	*f = formatText
	fs.Var(f, "format", "output format: text, json or markdown")
}

// schemaVersion is the version of every JSON document paramscope writes;
// it changes when a field is removed or changes meaning.
const schemaVersion = 1
