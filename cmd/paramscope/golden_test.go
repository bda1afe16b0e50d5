package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden runs the CLI with args and compares stdout, stderr and the exit
// code with testdata/NAME.stdout, NAME.stderr and NAME.code. Paths in args
// are relative to this package's folder; the repo root is "../..".
// With -update the files are rewritten.
func golden(t *testing.T, name string, args ...string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	files := map[string][]byte{
		name + ".stdout": stdout.Bytes(),
		name + ".stderr": stderr.Bytes(),
		name + ".code":   []byte(strconv.Itoa(code) + "\n"),
	}
	for file, got := range files {
		path := filepath.Join("testdata", file)
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v (run go test ./cmd/paramscope -run %s -update)", path, err, t.Name())
		}
		if !bytes.Equal(got, want) {
			t.Errorf("paramscope %s: %s differs from golden\n--- got\n%s\n--- want\n%s",
				strings.Join(args, " "), file, got, want)
		}
	}
}
