package main

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// escapeLine makes an untrusted string safe for a terminal: control
// characters, bidi overrides and invalid UTF-8 are shown as Go escapes,
// printable text (any script) stays as it is.
func escapeLine(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(s[i])|0x100, 16)[1:])
		case r == '\\':
			b.WriteString(`\\`)
		case unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp):
			// Zl and Zp are U+2028 and U+2029, which some terminals and
			// Markdown renderers break lines at, so a name could fake a line.
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f || c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}
