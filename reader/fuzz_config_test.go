package reader

import (
	"bytes"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// FuzzParseConfig: no panic; errors are typed; an accepted config is strict
// JSON by a second opinion (jsontext.Value.IsValid) with an object at the
// top, and every number in it is a valid JSON number whose exact text is in
// the input (never reformatted through float64).
func FuzzParseConfig(f *testing.F) {
	addCorpus(f, "config")
	f.Add([]byte(`{"a":[1,2.50,-0,1e400,{"b":[]}],"c":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(data, "config.json", Limits{})
		if err != nil {
			wantTypedError(t, err, ErrMalformed, ErrLimit)
			return
		}
		if !jsontext.Value(data).IsValid() {
			t.Fatalf("accepted a config that is not strict JSON: %q", data)
		}
		if cfg.Root == nil {
			t.Fatalf("accepted %q with a nil root", data)
		}
		// Walk the tree with an explicit stack.
		stack := []any{cfg.Root}
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			switch v := v.(type) {
			case map[string]any:
				for _, x := range v {
					stack = append(stack, x)
				}
			case []any:
				stack = append(stack, v...)
			case Number:
				if jsontext.Value(v).Kind() != '0' || !jsontext.Value(v).IsValid() {
					t.Fatalf("number %q is not a JSON number", v)
				}
				if !bytes.Contains(data, []byte(v)) {
					t.Fatalf("number %q is not the input's text", v)
				}
			case string, bool, nil:
			default:
				t.Fatalf("unexpected value of type %T", v)
			}
		}
	})
}
