package analysis

import (
	"reflect"
	"testing"

	"github.com/paramscope/paramscope/reader"
	"github.com/paramscope/paramscope/testdata/layouts"
)

// TestAnalyzeSummary: AnalyzeSummary gives every layout the same
// architecture, findings and formula headline as Analyze, and leaves the
// formula's detail out.
func TestAnalyzeSummary(t *testing.T) {
	for _, name := range layouts.Names() {
		t.Run(name, func(t *testing.T) {
			m, err := layouts.Build(name)
			if err != nil {
				t.Fatal(err)
			}
			ts, cfg := layoutTensors(t, m)
			full, sum := Analyze(ts, cfg), AnalyzeSummary(ts, cfg)
			if !reflect.DeepEqual(sum.Arch, full.Arch) {
				t.Errorf("architecture: got %+v, want %+v", sum.Arch, full.Arch)
			}
			if !reflect.DeepEqual(sum.Findings, full.Findings) {
				t.Errorf("findings: got %+v, want %+v", sum.Findings, full.Findings)
			}
			if sum.Totals != full.Totals {
				t.Errorf("totals: got %+v, want %+v", sum.Totals, full.Totals)
			}
			g, w := sum.Formula, full.Formula
			type headline struct {
				L, H, V, Textbook, Approx, Actual, Active uint64
				Diff                                      int64
				RelDiff                                   float64
				ActiveNote                                string
			}
			gh := headline{g.L, g.H, g.V, g.Textbook, g.Approx, g.Actual, g.Active, g.Diff, g.RelDiff, g.ActiveNote}
			wh := headline{w.L, w.H, w.V, w.Textbook, w.Approx, w.Actual, w.Active, w.Diff, w.RelDiff, w.ActiveNote}
			if gh != wh {
				t.Errorf("headline: got %+v, want %+v", gh, wh)
			}
			if g.Terms != nil || g.Layers != nil || g.Groups != nil || g.Outside != nil || g.Assumptions != nil || g.Corrected.Symbolic != "" {
				t.Errorf("summary carries the formula's detail: %+v", g)
			}
		})
	}
}

// TestFormulaSummaryDeepSeekV3 checks the headline against DeepSeek-V3's
// published counts (testdata/layouts/facts/deepseek-v3.json): the Hub's
// per-dtype totals give 684,489,845,504 logical parameters once the
// 41,540,496 weight_scale_inv elements are set apart, and the README's 37B
// activated parameters are 37,552,297,472 (top-8 of 256 routed experts,
// the MTP layer left out).
func TestFormulaSummaryDeepSeekV3(t *testing.T) {
	m, err := layouts.Build("deepseek-v3")
	if err != nil {
		t.Fatal(err)
	}
	ts, cfg := layoutTensors(t, m)
	f := AnalyzeSummary(ts, cfg).Formula
	if f.Actual != 684_489_845_504 {
		t.Errorf("actual: got %d, want 684489845504", f.Actual)
	}
	if f.Active != 37_552_297_472 {
		t.Errorf("active: got %d, want 37552297472", f.Active)
	}
}

// layoutTensors turns a built layout into reader tensors and its config.
func layoutTensors(t *testing.T, m layouts.Model) ([]reader.Tensor, *reader.Config) {
	t.Helper()
	ts := make([]reader.Tensor, len(m.Tensors))
	for i, x := range m.Tensors {
		ts[i] = reader.Tensor{Name: x.Name, DType: reader.DType(x.DType), Shape: x.Shape}
	}
	var cfg *reader.Config
	if m.Config != "" {
		c, err := reader.ParseConfig([]byte(m.Config), "config.json", reader.DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		cfg = c
	}
	return ts, cfg
}
