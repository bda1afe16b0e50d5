package analysis

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/paramscope/paramscope/reader"
	"github.com/paramscope/paramscope/testdata/layouts"
)

// TestAnalyzeCheckpointAgrees checks that AnalyzeCheckpoint, which lets
// the classification trust the reader's unique names
// (quant.ClassifyUnique), gives what Analyze gives for every committed
// fixture under testdata/models: the same totals, architecture, formula
// report, findings and roles.
func TestAnalyzeCheckpointAgrees(t *testing.T) {
	root := filepath.Join("..", "testdata", "models")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		t.Run(e.Name(), func(t *testing.T) {
			ck, err := reader.Open(context.Background(), filepath.Join(root, e.Name()), reader.DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			want, got := Analyze(ck.Tensors, ck.Config), AnalyzeCheckpoint(ck)
			if !reflect.DeepEqual(got.Totals, want.Totals) {
				t.Errorf("totals: got %+v, want %+v", got.Totals, want.Totals)
			}
			if !reflect.DeepEqual(got.Arch, want.Arch) {
				t.Errorf("architectures differ: got %+v, want %+v", got.Arch, want.Arch)
			}
			if !reflect.DeepEqual(got.Formula, want.Formula) {
				t.Errorf("formula reports differ: got %+v, want %+v", got.Formula, want.Formula)
			}
			if !reflect.DeepEqual(got.Findings, want.Findings) {
				t.Errorf("findings: got %v, want %v", got.Findings, want.Findings)
			}
			for i := range want.Roles {
				g, w := &got.Roles[i], &want.Roles[i]
				if g.Name != w.Name || g.Role != w.Role || g.Param != w.Param || g.Stack != w.Stack || g.Layer != w.Layer || g.Expert != w.Expert || g.Kind != w.Kind || g.LogicalParams != w.LogicalParams || g.Of() != w.Of() {
					t.Fatalf("role %d: got %s %s %s %s %d %d %v %d %q, want %s %s %s %s %d %d %v %d %q", i,
						g.Name, g.Role, g.Param, g.Stack, g.Layer, g.Expert, g.Kind, g.LogicalParams, g.Of(),
						w.Name, w.Role, w.Param, w.Stack, w.Layer, w.Expert, w.Kind, w.LogicalParams, w.Of())
				}
			}
		})
	}
	// One folder per layout testdata/layouts writes (go generate).
	if want := len(layouts.Names()); n != want {
		t.Errorf("got %d fixture folders, want %d", n, want)
	}
}
