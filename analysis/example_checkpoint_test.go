package analysis_test

import (
	"context"
	"fmt"
	"log"
	"path/filepath"

	"github.com/paramscope/paramscope/analysis"
	"github.com/paramscope/paramscope/reader"
)

// ExampleAnalyzeCheckpoint is the README's library example on the
// quick-start stub, GPT-2 small: 148 tensors and, as FORMULAS.md's table
// of GPT-2 sizes gives them, 124,439,808 parameters against the
// textbook's 123,651,840 for its 12 layers of width 768.
func ExampleAnalyzeCheckpoint() {
	ck, err := reader.Open(context.Background(), filepath.Join("..", "testdata", "models", "gpt2"), reader.Limits{})
	if err != nil {
		log.Fatal(err)
	}
	a := analysis.AnalyzeCheckpoint(ck)
	fmt.Println(len(ck.Tensors), a.Totals.LogicalParams)
	fmt.Println(a.Arch.Layers.Value, a.Arch.Hidden.Value)
	fmt.Println(a.Formula.Textbook, a.Formula.Diff)
	// Output:
	// 148 124439808
	// 12 768
	// 123651840 787968
}
