// Command gen writes every layout registered in testdata/layouts to
// testdata/models/<name>/: config.json and model.safetensors (header-only
// stubs, or real bytes for complete tiny models), or shards plus
// model.safetensors.index.json. Run it with go generate ./testdata/layouts.
// The output is deterministic: regenerating reproduces every file byte for
// byte, which cmd/paramscope's fixtures test checks.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/paramscope/paramscope/testdata/layouts"
)

func main() {
	out := flag.String("out", "../models", "folder to write the models into")
	readme := flag.String("readme", "../README.md", "README whose fixtures table to rewrite (\"\" for none)")
	root := flag.String("root", "../..", "repository root, searched for the tests that use each fixture")
	flag.Parse()
	code := run(*out)
	if *readme != "" {
		if err := writeTable(*readme, *root); err != nil {
			fmt.Fprintf(os.Stderr, "gen: %s: %v\n", *readme, err)
			code = 1
		}
	}
	os.Exit(code)
}

// run writes each model; a builder that fails or panics is reported on
// stderr and skipped, leaving that model's folder as it was, so one
// family's unfinished work does not block the others' fixtures. The
// fixtures test then reports the stale or missing folder.
func run(out string) int {
	skipped := 0
	for _, name := range layouts.Names() {
		if err := writeOne(out, name); err != nil {
			fmt.Fprintf(os.Stderr, "gen: skipping %s: %v\n", name, err)
			skipped++
			continue
		}
		fmt.Printf("gen: wrote %s\n", filepath.Join(out, name))
	}
	if skipped > 0 {
		fmt.Fprintf(os.Stderr, "gen: %d of %d models skipped\n", skipped, len(layouts.Names()))
	}
	return 0
}

func writeOne(out, name string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("builder panicked: %v", r)
		}
	}()
	m, err := layouts.Build(name)
	if err != nil {
		return err
	}
	if m.Name != name {
		return fmt.Errorf("builder returned model %q", m.Name)
	}
	// Build into a fresh folder of its own and swap it in, so a model that
	// changed from one file to shards leaves no stale file behind, and two
	// generators running at once do not write into each other's folder.
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(out, "."+name+".tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	if err := layouts.WriteModel(tmp, m); err != nil {
		return err
	}
	// MkdirTemp creates 0700; fixtures are committed with 0755 folders.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	dir := filepath.Join(out, name)
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}
