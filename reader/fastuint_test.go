package reader

import (
	"strconv"
	"strings"
	"testing"
)

// TestFastUint checks fastEntry's integer reader against
// strconv.ParseUint for every length from 1 to 20 digits, at every
// distance from the end of the text, followed by each byte that ends or
// continues a number.
func TestFastUint(t *testing.T) {
	const digits = "98765432109876543210"
	for n := 1; n <= len(digits); n++ {
		for _, next := range []string{"]", ",", "}", " ", ".", "e", "E", "0", "x", "\x00", "\xff"} {
			for pad := 0; pad <= 17; pad++ {
				num := digits[:n]
				text := "[" + num + next + strings.Repeat(" ", pad)
				name := strconv.Quote(text)
				t.Run(name, func(t *testing.T) {
					v, end, ok := fastUint(text, 1)
					// A digit after the run lengthens the number.
					run := num
					if next == "0" {
						run += next
					}
					var after byte // the end of the text ends the number
					if 1+len(run) < len(text) {
						after = text[1+len(run)]
					}
					want, perr := strconv.ParseUint(run, 10, 64)
					wantOK := perr == nil && len(run) <= 19 && !numberContinues(after)
					if ok != wantOK {
						t.Fatalf("got ok %v, want %v", ok, wantOK)
					}
					if ok && (v != want || end != 1+len(run)) {
						t.Fatalf("got %d ending at %d, want %d ending at %d", v, end, want, 1+len(run))
					}
				})
			}
		}
	}
	// Leading zeros are refused (JSON numbers have none); a lone 0 is
	// read.
	for _, tc := range []struct {
		text string
		want uint64
		ok   bool
	}{
		{"0]" + strings.Repeat(" ", 16), 0, true},
		{"00]" + strings.Repeat(" ", 16), 0, false},
		{"0123]" + strings.Repeat(" ", 16), 0, false},
		{"012345678901]" + strings.Repeat(" ", 16), 0, false},
		{"10000000]" + strings.Repeat(" ", 16), 10000000, true},
		{"100000000]" + strings.Repeat(" ", 16), 100000000, true},
		{"1000000000000000]" + strings.Repeat(" ", 16), 1000000000000000, true},
		{"]" + strings.Repeat(" ", 16), 0, false},
		{"-1]" + strings.Repeat(" ", 16), 0, false},
	} {
		t.Run(strconv.Quote(tc.text), func(t *testing.T) {
			v, _, ok := fastUint(tc.text, 0)
			if ok != tc.ok || v != tc.want {
				t.Fatalf("got %d, %v, want %d, %v", v, ok, tc.want, tc.ok)
			}
		})
	}
}
