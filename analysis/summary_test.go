package analysis

import (
	"reflect"
	"sort"
	"strings"
	"testing"
	"unsafe"

	"github.com/paramscope/paramscope/analysis/quant"
	"github.com/paramscope/paramscope/reader"
	"github.com/paramscope/paramscope/testdata/layouts"
)

// TestAnalyzeSummary: AnalyzeSummary gives every layout the same
// architecture, findings and formula headline as Analyze, and leaves the
// formula's detail out.
func TestAnalyzeSummary(t *testing.T) {
	eachLayout(t, func(t *testing.T, ts []reader.Tensor, cfg *reader.Config) {
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

// TestAssignRolesMatchesParseName: on every layout, what AssignRoles keeps
// of each name (after interning, the shared-prefix shortcut and the split
// over two goroutines) is what parseName gives for the name alone, and
// the family is DetectFamily's.
func TestAssignRolesMatchesParseName(t *testing.T) {
	eachLayout(t, func(t *testing.T, ts []reader.Tensor, cfg *reader.Config) {
		q := quant.Classify(ts, cfg)
		roles := AssignRoles(q.Tensors, cfg)
		if got, want := familyOf(roles, cfg).Name, DetectFamily(q.Tensors, cfg).Name; got != want {
			t.Errorf("family: got %s, want %s", got, want)
		}
		for i := range roles {
			r := &roles[i]
			p := parseName(r.Name)
			if r.Layer != p.layer || r.Expert != p.expert || r.Param != p.param || r.full() != p.full || r.sub() != p.sub || r.stem() != p.stem {
				t.Fatalf("%s: got layer %d expert %d param %q full %q sub %q stem %q, want %d %d %q %q %q %q",
					r.Name, r.Layer, r.Expert, r.Param, r.full(), r.sub(), r.stem(), p.layer, p.expert, p.param, p.full, p.sub, p.stem)
			}
		}
	})
}

// TestParseNameShortcut: names that repeat the previous one's path up to
// its layer index parse as they do alone, including the edge cases of the
// shortcut (a stem that ends at the index, a renamed parameter, a
// different container further on).
func TestParseNameShortcut(t *testing.T) {
	names := []string{
		"model.layers.3.mlp.experts.17.up_proj.weight",
		"model.layers.3.mlp.experts.170.up_proj.weight_scale_inv",
		"model.layers.3.weight",
		"model.layers.3.x.weight",
		"model.layers.3..weight",
		"model.layers.3.ln.gamma",
		"model.layers.3.mlp.experts.gate_up_proj_bias",
		"model.layers.3.mlp.experts.gate_up_proj_bias",
		"model.layers.30.self_attn.q_proj.weight",
		"model.layers.3.blocks.4.weight",
		"model.layers.x.h.5.weight",
		"model.layers.3",
		"model.layers.3.",
		"model.layers.3.a",
	}
	in := newInterner()
	for _, name := range names {
		got, want := parseNameWith(name, in), parseName(name)
		got.tp = nil
		if got != want {
			t.Errorf("%q: got %+v, want %+v", name, got, want)
		}
	}
}

// FuzzParseNameShortcut: a name parsed right after another (sharing the
// interner, so possibly through the shared-prefix shortcut) parses as it
// does alone.
func FuzzParseNameShortcut(f *testing.F) {
	f.Add("model.layers.3.mlp.experts.17.up_proj.weight", "model.layers.3.mlp.experts.170.up_proj.weight")
	f.Add("model.layers.3.x.weight", "model.layers.3.weight")
	f.Add("h.1.attn.bias", "h.1.ln.gamma")
	f.Add("a.layers.2.b.layers.3.c", "a.layers.2.b.x_proj_bias")
	f.Fuzz(func(t *testing.T, first, second string) {
		in := newInterner()
		parseNameWith(first, in)
		got, want := parseNameWith(second, in), parseName(second)
		got.tp = nil
		if got != want {
			t.Errorf("%q after %q: got %+v, want %+v", second, first, got, want)
		}
	})
}

// TestJoinedEqual: joinedEqual agrees with comparing strings.Join's.
func TestJoinedEqual(t *testing.T) {
	lists := [][]string{nil, {}, {""}, {"", ""}, {"h"}, {"h", "h"}, {"h.h"}, {"h", ".h"}, {"h", "", "h"}, {"f_e", "h"}, {"f", "_e", "h"}, {"r_kv", "h"}, {"."}, {"", "."}}
	for _, a := range lists {
		for _, b := range lists {
			if got, want := joinedEqual(a, b), strings.Join(a, ".") == strings.Join(b, "."); got != want {
				t.Errorf("%q vs %q: got %v, want %v", a, b, got, want)
			}
		}
	}
}

// TestRoleIndexHalves: the index merged from two half walks is the one
// walk's, on every layout (the largest are walked in halves by
// InferArchitecture; here every layout is, at its middle and near its
// ends).
func TestRoleIndexHalves(t *testing.T) {
	eachLayout(t, func(t *testing.T, ts []reader.Tensor, cfg *reader.Config) {
		roles := AssignRoles(quant.Classify(ts, cfg).Tensors, cfg)
		stack := mainStack(roles)
		n := len(roles)
		want := scanRoles(roles, 0, n, stack)
		for _, ls := range want.layers {
			sort.Ints(ls)
		}
		for _, cut := range []int{0, 1, n / 3, n / 2, n - 1, n} {
			got := scanRoles(roles, 0, cut, stack)
			got.merge(scanRoles(roles, cut, n, stack))
			for _, ls := range got.layers {
				sort.Ints(ls)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("cut at %d of %d: got %+v, want %+v", cut, n, got, want)
			}
		}
	})
}

// TestRoleIndexWhilePlacing: the index assignRolesIndexed walks while it
// places the rows is the one newRoleIndex walks afterwards, on every
// layout (nil only when fillByShape changed roles after the walk).
func TestRoleIndexWhilePlacing(t *testing.T) {
	eachLayout(t, func(t *testing.T, ts []reader.Tensor, cfg *reader.Config) {
		q := quant.Classify(ts, cfg)
		roles, got := assignRolesIndexed(q.Tensors, cfg, make([]TensorRole, len(q.Tensors)), true)
		if got == nil {
			return
		}
		want := newRoleIndex(roles, mainStack(roles))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})
}

// FuzzParseNameSequence: each of three names parsed in a row with one
// interner (so through the same-stem shortcut and its template siblings,
// which take a third name to be reused) parses as it does alone.
func FuzzParseNameSequence(f *testing.F) {
	f.Add("model.layers.3.mlp.experts.17.up_proj.weight", "model.layers.3.mlp.experts.17.up_proj.weight_scale_inv", "model.layers.3.mlp.experts.18.up_proj.weight_scale_inv")
	f.Add("h.1.attn.c_attn.weight", "h.1.attn.c_attn.bias", "h.1.attn.c_attn.bias")
	f.Add("layer.0.", "layer.0.0", "layer.0..0")
	f.Add("h.1.ln.gamma", "h.1.ln.weight", "h.1.ln.beta")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		in := newInterner()
		for _, name := range []string{a, b, c, a, b, c} {
			got, want := parseNameWith(name, in), parseName(name)
			if got.tp != nil && (got.tp.full != got.full || got.tp.sub != got.sub) {
				t.Fatalf("%q in %q, %q, %q: template %q %q, want %q %q", name, a, b, c, got.tp.full, got.tp.sub, got.full, got.sub)
			}
			got.tp = nil
			if got != want {
				t.Fatalf("%q in %q, %q, %q: got %+v, want %+v", name, a, b, c, got, want)
			}
		}
	})
}

// FuzzAssignRolesNames: AssignRoles keeps of each of a few names in a row
// (so through parseRoles' same-stem shortcut and its template siblings)
// what parseName gives for the name alone.
func FuzzAssignRolesNames(f *testing.F) {
	f.Add("model.layers.3.mlp.experts.17.up_proj.weight", "model.layers.3.mlp.experts.17.up_proj.weight_scale_inv", "model.layers.3.mlp.experts.18.up_proj.weight")
	f.Add("h.1.attn.c_attn.weight", "h.1.attn.c_attn.bias", "h.2.attn.c_attn.weight")
	f.Add("layer.0.", "layer.0.0", "layer.0..0")
	f.Add("h.1.ln.gamma", "h.1.ln.weight", "h.1.ln.beta")
	f.Add("a.layers.2.x_proj_bias", "a.layers.2.x_proj_bias.b", "a.layers.2.x_proj_weight")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		names := []string{a, b, c, a, b, c, b, a}
		rts := make([]reader.Tensor, len(names))
		qts := make([]quant.Tensor, len(names))
		for i, name := range names {
			rts[i] = reader.Tensor{Name: name, DType: reader.F32, Shape: []uint64{4}}
			qts[i] = quant.Tensor{Tensor: &rts[i], LogicalShape: rts[i].Shape, LogicalParams: 4}
		}
		for _, r := range AssignRoles(qts, nil) {
			p := parseName(r.Name)
			if r.Layer != p.layer || r.Expert != p.expert || r.Param != p.param || r.full() != p.full || r.sub() != p.sub || r.stem() != p.stem {
				t.Fatalf("%q in %q: got layer %d expert %d param %q full %q sub %q stem %q, want %d %d %q %q %q %q",
					r.Name, names, r.Layer, r.Expert, r.Param, r.full(), r.sub(), r.stem(), p.layer, p.expert, p.param, p.full, p.sub, p.stem)
			}
		}
	})
}

// TestTensorRoleSize: a row stays 88 bytes on 64-bit platforms
// (DeepSeek-V3 has ~92,000 of them, all fresh memory): the family is
// not a per-row field, and stemEnd fits in Transposed's padding.
func TestTensorRoleSize(t *testing.T) {
	if got := unsafe.Sizeof(TensorRole{}); unsafe.Sizeof(uintptr(0)) == 8 && got > 88 {
		t.Errorf("TensorRole is %d bytes, want at most 88", got)
	}
}

// eachLayout runs f as a subtest on every layout under testdata/layouts,
// with its tensors and config.
func eachLayout(t *testing.T, f func(t *testing.T, ts []reader.Tensor, cfg *reader.Config)) {
	t.Helper()
	for _, name := range layouts.Names() {
		t.Run(name, func(t *testing.T) {
			m, err := layouts.Build(name)
			if err != nil {
				t.Fatal(err)
			}
			ts, cfg := layoutTensors(t, m)
			f(t, ts, cfg)
		})
	}
}
