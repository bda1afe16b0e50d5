package reader

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// headerScanner is a strict, allocation-light JSON tokenizer over one header.
//
// It is hand-written for the safetensors schema rather than built on a
// general decoder so that every cap (name length, rank, tensor count,
// metadata size) is enforced while the bytes are scanned, before anything
// proportional to the input is allocated, and so that integers go straight
// from digits to uint64 (never through float64). The grammar it accepts is
// RFC 8259 exactly: no comments, no NaN, no trailing commas, no single
// quotes, no leading zeros.
//
// data is the header as a string, so that names without escapes are
// substrings of it and cost no allocation.
type headerScanner struct {
	data string
	pos  int
	file string
	// base is the byte offset of data[0] in the file (8: after the length
	// prefix), so errors can name a byte of the file.
	base int64
	// nonASCII is set when a string read held a byte above 0x7f: only
	// then must the header's UTF-8 be checked (see parseHeaderJSON).
	nonASCII bool
}

// maxSkipDepth bounds the nesting of a value we skip (an unknown tensor
// field). The safetensors schema itself is at most three levels deep, so
// this only stops hostile input; the skipper is iterative, so the bound is
// about memory, not the goroutine stack.
const maxSkipDepth = 1000

// errAt builds an error at data position p.
func (s *headerScanner) errAt(p int, sentinel error, tensor, format string, args ...any) *Error {
	return errorf(sentinel, s.file, s.base+int64(p), tensor, format, args...)
}

// jsonSpace reports JSON whitespace (RFC 8259 section 2: space, tab, LF, CR).
func jsonSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// skipWS advances over JSON whitespace.
func (s *headerScanner) skipWS() {
	for s.pos < len(s.data) && jsonSpace(s.data[s.pos]) {
		s.pos++
	}
}

// peek returns the byte at pos, or 0 at the end.
func (s *headerScanner) peek() byte {
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

// describe names the token starting at p for "found ..." messages.
func (s *headerScanner) describe(p int) string {
	if p >= len(s.data) {
		return "the end of the header"
	}
	switch c := s.data[p]; {
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == '-' || (c >= '0' && c <= '9'):
		return "a number"
	case hasPrefixAt(s.data, p, "null"):
		return "null"
	case hasPrefixAt(s.data, p, "true"), hasPrefixAt(s.data, p, "false"):
		return "a boolean"
	case c == 0:
		return "a NUL byte"
	case c == '\'':
		return "a single quote (JSON strings use double quotes)"
	case c == '/':
		return "a comment (JSON has none)"
	case hasPrefixAt(s.data, p, "\uFEFF"):
		return "a UTF-8 byte order mark"
	case c < 0x20 || c == 0x7f:
		return "control byte " + strconv.QuoteRune(rune(c))
	default:
		r, _ := utf8.DecodeRuneInString(s.data[p:])
		return strconv.QuoteRune(r)
	}
}

func hasPrefixAt(s string, p int, prefix string) bool {
	return len(s)-p >= len(prefix) && s[p:p+len(prefix)] == prefix
}

// colon consumes the ':' after an object key (and the whitespace before
// it); callers build their own message when it is missing, so the hot path
// formats nothing.
func (s *headerScanner) colon() bool {
	s.skipWS()
	if s.peek() != ':' {
		return false
	}
	s.pos++
	return true
}

// stringSpecial marks the bytes that end the fast path of readString: the
// closing quote, a backslash, and the control bytes JSON forbids raw in a
// string (RFC 8259 section 7).
var stringSpecial = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// stringSpecialHi is stringSpecial plus the bytes above 0x7f, which
// readString notes in nonASCII.
var stringSpecialHi = func() (t [256]bool) {
	t = stringSpecial
	for c := 0x80; c < 0x100; c++ {
		t[c] = true
	}
	return t
}()

// load64 reads 8 bytes of s at i as a little-endian word (the compiler
// merges the byte loads into one).
func load64(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// swarSpecial reports whether any byte of w is '"', '\\' or below 0x20,
// using the classic test for a zero byte, (v - 0x01..01) & ^v & 0x80..80
// (Hacker's Delight, section 6-1), on w xor '"', w xor '\\', and for
// "less than 0x20" (w - 0x20..20) & ^w & 0x80..80. Each test is exact as
// a yes/no answer for the whole word (a borrow can only mark bytes above a
// byte that really matches).
func swarSpecial(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := w ^ (ones * '"')
	b := w ^ (ones * '\\')
	return ((q-ones)&^q|(b-ones)&^b|(w-ones*0x20)&^w)&highs != 0
}

// swarSpecialHi is swarSpecial, or any byte of w above 0x7f.
func swarSpecialHi(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := w ^ (ones * '"')
	b := w ^ (ones * '\\')
	return ((q-ones)&^q|(b-ones)&^b|(w-ones*0x20)&^w|w)&highs != 0
}

// readString reads the JSON string at pos. A string longer than max raw
// bytes is refused with ErrLimit as soon as the scan passes max, so a
// 98 MB name costs no allocation. what names the string in errors
// ("tensor name", "__metadata__ value").
func (s *headerScanner) readString(max int, what, tensor string) (string, *Error) {
	start := s.pos
	if s.peek() != '"' {
		return "", s.errAt(s.pos, ErrMalformed, tensor, "expected %s as a string, found %s", what, s.describe(s.pos))
	}
	i := start + 1
	end := len(s.data)
	if max >= 0 && end-i > max {
		// Room for max bytes and the closing quote (written so a huge
		// raised cap cannot overflow).
		end = i + max + 1
	}
	// Fast path: no escapes, the string is a substring of the header. Eight
	// bytes at a time are tested for a quote, a backslash or a control byte
	// at once (the "has zero byte" bit trick); then one table load per byte
	// decides whether the byte needs a closer look.
	// A byte above 0x7f also leaves the word loop, to be noted below.
	for i+8 <= end && !swarSpecialHi(load64(s.data, i)) {
		i += 8
	}
	for ; i < end; i++ {
		c := s.data[i]
		if !stringSpecialHi[c] {
			continue
		}
		if c == '"' {
			s.pos = i + 1
			return s.data[start+1 : i], nil
		}
		if c == '\\' {
			return s.readEscaped(start, i, max, what, tensor)
		}
		if c >= 0x80 {
			s.nonASCII = true
			continue
		}
		if c < 0x20 {
			return "", s.errAt(i, ErrMalformed, tensor, "%s holds raw control byte %#02x; JSON requires it escaped", what, c)
		}
	}
	if end < len(s.data) {
		return "", s.errAt(start, ErrLimit, tensor, "%s is longer than %d bytes (raise the cap to accept it)", what, max)
	}
	return "", s.errAt(start, ErrMalformed, tensor, "%s is not terminated: missing closing quote", what)
}

// readEscaped finishes a string that holds escapes: data[start] is the
// opening quote, data[i] the first backslash.
func (s *headerScanner) readEscaped(start, i, max int, what, tensor string) (string, *Error) {
	buf := make([]byte, 0, i-start+16)
	buf = append(buf, s.data[start+1:i]...)
	for i < len(s.data) {
		if max >= 0 && i-start-1 > max {
			return "", s.errAt(start, ErrLimit, tensor, "%s is longer than %d bytes (raise the cap to accept it)", what, max)
		}
		c := s.data[i]
		switch {
		case c == '"':
			s.pos = i + 1
			return string(buf), nil
		case c < 0x20:
			return "", s.errAt(i, ErrMalformed, tensor, "%s holds raw control byte %#02x; JSON requires it escaped", what, c)
		case c != '\\':
			if c >= 0x80 {
				s.nonASCII = true
			}
			buf = append(buf, c)
			i++
			continue
		}
		if i+1 >= len(s.data) {
			break
		}
		switch e := s.data[i+1]; e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := hex4(s.data, i+2)
			if !ok {
				return "", s.errAt(i, ErrMalformed, tensor, "%s has a bad \\u escape: expected 4 hex digits", what)
			}
			n := 6
			if utf16.IsSurrogate(r) {
				// A high surrogate must be followed by an escaped low one
				// (RFC 8259 section 7); a lone one is not a character.
				r2, ok2 := rune(0), false
				if r < 0xDC00 && hasPrefixAt(s.data, i+6, `\u`) {
					r2, ok2 = hex4(s.data, i+8)
				}
				dec := utf16.DecodeRune(r, r2)
				if !ok2 || dec == utf8.RuneError {
					return "", s.errAt(i, ErrMalformed, tensor, "%s has a lone surrogate \\u%04X; expected a surrogate pair", what, r)
				}
				r, n = dec, 12
			}
			buf = utf8.AppendRune(buf, r)
			i += n
			continue
		default:
			return "", s.errAt(i, ErrMalformed, tensor, "%s has an invalid escape \\%c", what, e)
		}
		i += 2
	}
	return "", s.errAt(start, ErrMalformed, tensor, "%s is not terminated: missing closing quote", what)
}

// hex4 decodes 4 hex digits at s[p:].
func hex4(s string, p int) (rune, bool) {
	if len(s)-p < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[p : p+4]) {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// scanNumber checks the RFC 8259 number grammar at pos and returns its end
// and whether it is a plain non-negative integer (no sign, fraction or
// exponent).
func (s *headerScanner) scanNumber(tensor, what string) (end int, integer bool, err *Error) {
	i := s.pos
	d := s.data
	integer = true
	if i < len(d) && d[i] == '-' {
		integer = false
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
		if i < len(d) && d[i] >= '0' && d[i] <= '9' {
			return 0, false, s.errAt(s.pos, ErrMalformed, tensor, "%s has a leading zero; JSON forbids it", what)
		}
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		return 0, false, s.errAt(s.pos, ErrMalformed, tensor, "%s is not a valid JSON number", what)
	}
	if i < len(d) && d[i] == '.' {
		integer = false
		i++
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return 0, false, s.errAt(s.pos, ErrMalformed, tensor, "%s is not a valid JSON number: digits must follow '.'", what)
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		integer = false
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return 0, false, s.errAt(s.pos, ErrMalformed, tensor, "%s is not a valid JSON number: digits must follow the exponent", what)
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	return i, integer, nil
}

// readUint reads a non-negative integer that fits in 64 bits, exactly: the
// digits are accumulated with an overflow check, never through float64.
// Shape dimensions and data_offsets are usize in the reference (u64 on the
// platforms that hold such files), so fractions, exponents, signs and 2^64
// are errors.
func (s *headerScanner) readUint(tensor, what string) (uint64, *Error) {
	// Fast path: up to 19 digits (10^19-1 < 2^64, so no overflow check) not
	// followed by a fraction or exponent, without a leading zero.
	d := s.data
	i := s.pos
	var v uint64
	for i < len(d) && i-s.pos < 19 && d[i] >= '0' && d[i] <= '9' {
		v = v*10 + uint64(d[i]-'0')
		i++
	}
	if n := i - s.pos; n > 0 && (n == 1 || d[s.pos] != '0') && (i == len(d) || !numberContinues(d[i])) {
		s.pos = i
		return v, nil
	}
	c := s.peek()
	if c != '-' && (c < '0' || c > '9') {
		return 0, s.errAt(s.pos, ErrMalformed, tensor, "%s must be a non-negative integer, found %s", what, s.describe(s.pos))
	}
	end, integer, err := s.scanNumber(tensor, what)
	if err != nil {
		return 0, err
	}
	text := s.data[s.pos:end]
	if !integer {
		kind := "a fraction or exponent"
		if text[0] == '-' {
			kind = "negative"
		}
		return 0, s.errAt(s.pos, ErrMalformed, tensor, "%s is %s (%s); expected a non-negative integer", what, kind, clipText(text))
	}
	v = 0
	for i := s.pos; i < end; i++ {
		d := uint64(s.data[i] - '0')
		if v > (1<<64-1-d)/10 {
			return 0, s.errAt(s.pos, ErrMalformed, tensor, "%s %s does not fit in 64 bits", what, clipText(text))
		}
		v = v*10 + d
	}
	s.pos = end
	return v, nil
}

// numberContinues reports whether c can continue a JSON number after its
// integer digits (more digits, a fraction or an exponent).
func numberContinues(c byte) bool {
	return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E'
}

// clipText shortens untrusted text quoted in a message.
func clipText(t string) string {
	if len(t) > 40 {
		return t[:40] + "..."
	}
	return t
}

// skipValue validates and skips one JSON value of any shape (an unknown
// tensor field), iteratively so hostile nesting cannot exhaust the stack,
// and with duplicate keys refused at every level like the rest of the
// header.
func (s *headerScanner) skipValue(tensor string, maxString int) *Error {
	type frame struct {
		obj  bool
		keys map[string]struct{}
	}
	var stack []frame
	for {
		// Parse one value at pos.
		s.skipWS()
		switch c := s.peek(); {
		case c == '{' || c == '[':
			if len(stack) >= maxSkipDepth {
				return s.errAt(s.pos, ErrLimit, tensor, "values nested deeper than %d levels", maxSkipDepth)
			}
			s.pos++
			s.skipWS()
			if c == '{' {
				stack = append(stack, frame{obj: true})
				if s.peek() == '}' {
					s.pos++
					stack = stack[:len(stack)-1]
					break
				}
				if err := s.skipKey(&stack[len(stack)-1].keys, tensor, maxString); err != nil {
					return err
				}
				continue
			}
			stack = append(stack, frame{})
			if s.peek() == ']' {
				s.pos++
				stack = stack[:len(stack)-1]
				break
			}
			continue
		case c == '"':
			if _, err := s.readString(maxString, "string", tensor); err != nil {
				return err
			}
		case c == '-' || (c >= '0' && c <= '9'):
			end, _, err := s.scanNumber(tensor, "number")
			if err != nil {
				return err
			}
			s.pos = end
		case hasPrefixAt(s.data, s.pos, "true"):
			s.pos += 4
		case hasPrefixAt(s.data, s.pos, "false"):
			s.pos += 5
		case hasPrefixAt(s.data, s.pos, "null"):
			s.pos += 4
		default:
			return s.errAt(s.pos, ErrMalformed, tensor, "expected a JSON value, found %s", s.describe(s.pos))
		}
		// After a value: close frames or move to the next element.
		for {
			if len(stack) == 0 {
				return nil
			}
			s.skipWS()
			top := &stack[len(stack)-1]
			closer := byte(']')
			if top.obj {
				closer = '}'
			}
			c := s.peek()
			if c == closer {
				s.pos++
				stack = stack[:len(stack)-1]
				continue
			}
			if c != ',' {
				return s.errAt(s.pos, ErrMalformed, tensor, "expected ',' or '%c', found %s", closer, s.describe(s.pos))
			}
			s.pos++
			s.skipWS()
			if s.peek() == closer {
				return s.errAt(s.pos, ErrMalformed, tensor, "trailing comma before '%c'", closer)
			}
			if top.obj {
				if err := s.skipKey(&top.keys, tensor, maxString); err != nil {
					return err
				}
			}
			break
		}
	}
}

// skipKey reads an object key and its colon inside a skipped value,
// refusing a key seen before in the same object.
func (s *headerScanner) skipKey(keys *map[string]struct{}, tensor string, maxString int) *Error {
	s.skipWS()
	at := s.pos
	k, err := s.readString(maxString, "object key", tensor)
	if err != nil {
		return err
	}
	if *keys == nil {
		*keys = map[string]struct{}{}
	}
	if _, dup := (*keys)[k]; dup {
		return s.errAt(at, ErrMalformed, tensor, "duplicate key %q", k)
	}
	(*keys)[k] = struct{}{}
	if !s.colon() {
		return s.errAt(s.pos, ErrMalformed, tensor, "expected ':' after key %q, found %s", k, s.describe(s.pos))
	}
	return nil
}
