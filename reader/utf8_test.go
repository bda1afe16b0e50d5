package reader

import (
	"bytes"
	"fmt"
	"testing"
)

// TestHeaderUTF8Deferred: the UTF-8 check runs last and only when a string
// held a byte above 0x7f, yet an invalid header gets the UTF-8 error, at
// the first bad byte, whatever else is wrong with it and wherever the bad
// byte is; valid non-ASCII text parses.
func TestHeaderUTF8Deferred(t *testing.T) {
	e := stEntry("F32", "[2]", 0, 8)
	e2 := stEntry("F32", "[2]", 8, 16)
	long := "model.layers.0.self_attn.q_proj.weight." // the fast, eight-byte path
	cases := []struct {
		name, js string
		ok       bool
	}{
		{"valid non-ASCII name", `{"café` + long + `é":` + e + `}`, true},
		{"valid non-ASCII metadata", `{"__metadata__":{"k":"Grüße ` + long + `"},"a":` + e + `}`, true},
		{"valid non-ASCII escaped name", `{"\n` + long + `é":` + e + `}`, true},
		{"bad byte at the end of a name", "{\"a\xff\":" + e + `}`, false},
		{"bad byte in a long name", "{\"" + long + "\xc3(" + long + "\":" + e + `}`, false},
		{"bad byte in an escaped name", "{\"\\n\xff\":" + e + `}`, false},
		{"bad byte in metadata", "{\"__metadata__\":{\"k\":\"" + long + "\xe2\x82\"},\"a\":" + e + `}`, false},
		{"bad byte in an unknown field", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":[\"\xff\"]}}", false},
		{"bad byte and a later syntax error", "{\"a\xff\":" + e + `,}`, false},
		{"bad byte and duplicate names", "{\"a\xff\":" + e + ",\"a\xff\":" + e2 + `}`, false},
		{"bad byte and a bad layout", "{\"a\xff\":" + stEntry("F32", "[3]", 0, 8) + `}`, false},
		{"bad byte after a syntax error", "{\"a\":" + e + ",,\"\xff\"}", false},
		{"bad byte outside strings", "{\"a\":" + e + "\xff}", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := H(c.js, zeroBytes(8))
			_, err := ParseHeader(bytes.NewReader(file), int64(len(file)), "f", Limits{})
			if c.ok {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			want := checkUTF8([]byte(c.js), "f")
			if want == nil {
				t.Fatalf("case is valid UTF-8")
			}
			if fmt.Sprint(err) != fmt.Sprint(want) {
				t.Fatalf("got %v, want %v", err, want)
			}
		})
	}
}
