package quant

import (
	"fmt"
	"math/rand"
	"reflect"
	"slices"
	"testing"

	"github.com/paramscope/paramscope/reader"
	"github.com/paramscope/paramscope/testdata/layouts"
)

// TestClassifyOrderIndependent checks that, with unique names, what a
// tensor is does not depend on where the writer put it: DeepSeek-V3's
// 91,991 tensors (large enough for the name table's own goroutine) in the
// reference writer's order, where each FP8 weight's scale is found after
// the last one, reversed, and shuffled, where it is found through the table.
func TestClassifyOrderIndependent(t *testing.T) {
	ts, cfg := load(t, "deepseek-v3")
	want := map[string]Tensor{}
	for _, x := range Classify(ts, cfg).Tensors {
		want[x.Name] = x
	}
	reversed := slices.Clone(ts)
	slices.Reverse(reversed)
	shuffled := slices.Clone(ts)
	rand.New(rand.NewSource(1)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, tc := range []struct {
		name string
		ts   []reader.Tensor
	}{{"reversed", reversed}, {"shuffled", shuffled}} {
		t.Run(tc.name, func(t *testing.T) {
			for _, got := range Classify(tc.ts, cfg).Tensors {
				w := want[got.Name]
				if got.Kind != w.Kind || got.Scheme() != w.Scheme() || got.Of() != w.Of() || got.LogicalParams != w.LogicalParams || got.Note() != w.Note() {
					t.Fatalf("%s: got %s %q of %q (%d), want %s %q of %q (%d)", got.Name, got.Kind, got.Scheme(), got.Of(), got.LogicalParams, w.Kind, w.Scheme(), w.Of(), w.LogicalParams)
				}
			}
		})
	}
}

// TestClassifyDuplicateNames checks that with two tensors of one name (which
// the reader refuses, but Classify takes any slice) the first one is the
// one a rule looks at, as a name-keyed map filled in order gives, even when
// the second sits right beside the tensor asking.
func TestClassifyDuplicateNames(t *testing.T) {
	scale2D := spec{"l.weight_scale_inv", reader.F32, []uint64{2, 2}}
	scale1D := spec{"l.weight_scale_inv", reader.F32, []uint64{4}}
	weight := spec{"l.weight", reader.F8_E4M3, []uint64{256, 256}}
	filler := spec{"n.weight", reader.BF16, []uint64{4}}
	tests := []struct {
		name  string
		specs []spec
		want  string
	}{
		// FP8 block scales are 2-D (weight_scale_inv [out/128, in/128]);
		// the first tensor of the name decides.
		{"first is 2-D, far", []spec{scale2D, filler, filler, filler, weight, scale1D}, SchemeFP8Block},
		{"first is 1-D, far", []spec{scale1D, filler, filler, filler, weight, scale2D}, SchemeFP8},
		{"unique", []spec{weight, scale2D}, SchemeFP8Block},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := tensors(tc.specs...)
			// Rename the fillers so only the scale is duplicated.
			for i := range ts {
				if ts[i].Name == "n.weight" {
					ts[i].Name = "n" + string(rune('a'+i)) + ".weight"
				}
			}
			r := Classify(ts, nil)
			if got := find(r, "l.weight").Scheme(); got != tc.want {
				t.Errorf("got scheme %q, want %q", got, tc.want)
			}
		})
	}
}

// TestClassifyDuplicateNamesLarge is TestClassifyDuplicateNames at
// DeepSeek-V3's scale, where lookups are answered before the name table is
// ready: a 1-D copy of one FP8 weight's block scale placed first must make
// that weight per-tensor FP8, as the first tensor of a name decides.
func TestClassifyDuplicateNamesLarge(t *testing.T) {
	ts, cfg := load(t, "deepseek-v3")
	const weight = "model.layers.10.mlp.experts.7.up_proj.weight"
	if r := Classify(ts, cfg); find(r, weight).Scheme() != SchemeFP8Block {
		t.Fatalf("%s: got %q, want %q before the duplicate", weight, find(r, weight).Scheme(), SchemeFP8Block)
	}
	dup := slices.Clone(ts)
	dup[0] = reader.Tensor{Name: weight + "_scale_inv", DType: reader.F32, Shape: []uint64{4}, File: "model.safetensors"}
	if got := find(Classify(dup, cfg), weight).Scheme(); got != SchemeFP8 {
		t.Errorf("%s: got %q, want %q", weight, got, SchemeFP8)
	}
}

// TestClassifyUniqueAgrees checks that ClassifyUnique, which trusts the
// neighbours' answers without indexing the names, places every tensor of
// every layout under testdata/layouts exactly as Classify does, with the
// same findings, sums and Hub count; and DeepSeek-V3's 91,991 tensors
// reversed and shuffled too, where the neighbours cannot answer and the
// names are indexed after all.
func TestClassifyUniqueAgrees(t *testing.T) {
	type input struct {
		name string
		ts   []reader.Tensor
		cfg  *reader.Config
	}
	var inputs []input
	for _, name := range layouts.Names() {
		ts, cfg := load(t, name)
		inputs = append(inputs, input{name, ts, cfg})
		if name == "deepseek-v3" {
			reversed := slices.Clone(ts)
			slices.Reverse(reversed)
			shuffled := slices.Clone(ts)
			rand.New(rand.NewSource(1)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			inputs = append(inputs, input{name + "/reversed", reversed, cfg}, input{name + "/shuffled", shuffled, cfg})
		}
	}
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			want, got := Classify(in.ts, in.cfg), ClassifyUnique(in.ts, in.cfg)
			if len(got.Tensors) != len(want.Tensors) {
				t.Fatalf("got %d rows, want %d", len(got.Tensors), len(want.Tensors))
			}
			for i := range want.Tensors {
				g, w := &got.Tensors[i], &want.Tensors[i]
				gs := fmt.Sprint(g.Tensor == w.Tensor, g.Kind, g.LogicalShape, g.LogicalParams, g.Scheme(), g.Bits(), g.PackFactor(), g.Packing(), g.DuplicateOf(), g.Note(), g.Of())
				ws := fmt.Sprint(true, w.Kind, w.LogicalShape, w.LogicalParams, w.Scheme(), w.Bits(), w.PackFactor(), w.Packing(), w.DuplicateOf(), w.Note(), w.Of())
				if gs != ws {
					t.Fatalf("%s: got %s, want %s", w.Name, gs, ws)
				}
			}
			if !reflect.DeepEqual(got.Findings, want.Findings) {
				t.Errorf("findings: got %v, want %v", got.Findings, want.Findings)
			}
			if !reflect.DeepEqual(got.Sums(), want.Sums()) || !reflect.DeepEqual(got.Hub, want.Hub) {
				t.Errorf("sums or Hub count differ: got %+v %+v, want %+v %+v", got.Sums(), got.Hub, want.Sums(), want.Hub)
			}
		})
	}
}
