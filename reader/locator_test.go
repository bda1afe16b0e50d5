package reader

import (
	"strings"
	"testing"
)

// TestTensorPositions: the positions found again for errors are where the
// tensors' names are, whatever sits around them (__metadata__ in between,
// whitespace, escapes, unknown fields holding nested values).
func TestTensorPositions(t *testing.T) {
	js := `{ "a" :{"dtype":"F32","shape":[2],"data_offsets":[0,8]},` +
		"\n\t" + `"__metadata__":{"k":"v,{[\"]}"},` +
		`"b\"c\u00e9":{"dtype":"F32","shape":[2],"data_offsets":[8,16],"x":{"y":[1,{"z":"}"}]}} , ` +
		`"d":{"shape":[],"dtype":"U8","data_offsets":[16,17]}  }`
	h, locs, err := parseHeaderJSON([]byte(js), "f", effectiveLimits(Limits{}), nil, false, -1, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []int{strings.Index(js, `"a"`), strings.Index(js, `"b\"c`), strings.Index(js, `"d"`)}
	if len(h.Tensors) != len(want) {
		t.Fatalf("got %d tensors, want %d", len(h.Tensors), len(want))
	}
	for i, w := range want {
		if got := locs.at(i); got != w {
			t.Errorf("tensor %d (%q): got position %d, want %d", i, h.Tensors[i].Name, got, w)
		}
	}
	if got := locs.at(len(want)); got != 0 {
		t.Errorf("past the last tensor: got %d, want 0", got)
	}
}
