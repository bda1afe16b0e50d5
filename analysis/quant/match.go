package quant

import (
	"errors"
	"strings"
)

// Module-name patterns come from config.json, which is untrusted input, so
// they are never compiled with regexp: that would take attacker-chosen
// syntax (and its cost) into the program. compressed-tensors' targets and
// ignore entries use a small subset of Python's re in practice —
// "re:.*mlp.*", "re:.*lm_head$", "re:model\.layers\.\d+" aside, "re:.*(gate|up)_proj" —
// so that subset is implemented here as a linear-time matcher over a
// token list; anything else is reported as unsupported and never matches.

// patToken is one element of a parsed pattern.
type patToken struct {
	kind byte     // 'l' literal byte, '.' any byte, '*' any run, '+' non-empty run, '|' alternatives
	lit  byte     // for 'l'
	alts []string // for '|'
}

// pattern is a parsed module-name pattern.
type pattern struct {
	toks     []patToken
	endAnch  bool // the match must end at the end of the name
	startAny bool // the match may start anywhere (substring matching)
}

var errUnsupported = errors.New("unsupported pattern syntax")

// maxPatternLen bounds the work one pattern can cause; real targets are a
// few dozen bytes.
const maxPatternLen = 1024

// parseRe parses the body of an "re:" target with Python re.match semantics:
// anchored at the start, at the end only with a trailing '$'.
func parseRe(s string) (pattern, error) {
	var p pattern
	if len(s) > maxPatternLen {
		return p, errUnsupported
	}
	s = strings.TrimPrefix(s, "^")
	if strings.HasSuffix(s, "$") && !strings.HasSuffix(s, `\$`) {
		s = s[:len(s)-1]
		p.endAnch = true
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 >= len(s) {
				return p, errUnsupported
			}
			i++
			e := s[i]
			if e == 'd' {
				// \d: one digit; \d+ (layer indices) is common enough.
				alts := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
				if i+1 < len(s) && s[i+1] == '+' {
					i++
					p.toks = append(p.toks, patToken{kind: 'd'})
					continue
				}
				p.toks = append(p.toks, patToken{kind: '|', alts: alts})
				continue
			}
			if isWord(e) {
				return p, errUnsupported // \w, \s, \b, ... are not in the subset
			}
			p.toks = append(p.toks, patToken{kind: 'l', lit: e})
		case '.':
			if i+1 < len(s) && s[i+1] == '*' {
				i++
				p.toks = append(p.toks, patToken{kind: '*'})
			} else if i+1 < len(s) && s[i+1] == '+' {
				i++
				p.toks = append(p.toks, patToken{kind: '+'})
			} else {
				p.toks = append(p.toks, patToken{kind: '.'})
			}
		case '(':
			end := strings.IndexByte(s[i:], ')')
			if end < 0 {
				return p, errUnsupported
			}
			body := s[i+1 : i+end]
			body = strings.TrimPrefix(body, "?:")
			var alts []string
			for _, a := range strings.Split(body, "|") {
				lit, ok := unescapeLiteral(a)
				if !ok {
					return p, errUnsupported
				}
				alts = append(alts, lit)
			}
			i += end
			p.toks = append(p.toks, patToken{kind: '|', alts: alts})
		case '*', '+', '?', '[', ']', '{', '}', ')', '|', '^', '$':
			return p, errUnsupported
		default:
			p.toks = append(p.toks, patToken{kind: 'l', lit: c})
		}
	}
	return p, nil
}

func isWord(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// unescapeLiteral turns an alternative such as `gate\.up` into its literal
// text; it fails on any metacharacter.
func unescapeLiteral(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' {
			if i+1 >= len(s) || isWord(s[i+1]) {
				return "", false
			}
			i++
			b.WriteByte(s[i])
			continue
		}
		if strings.IndexByte(".*+?[]{}()|^$", c) >= 0 {
			return "", false
		}
		b.WriteByte(c)
	}
	return b.String(), true
}

// parseGlob parses a shell-style pattern where '*' is any run and every
// other byte is literal; the whole name must match.
func parseGlob(s string) (pattern, error) {
	p := pattern{endAnch: true}
	if len(s) > maxPatternLen {
		return p, errUnsupported
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '*' {
			p.toks = append(p.toks, patToken{kind: '*'})
		} else {
			p.toks = append(p.toks, patToken{kind: 'l', lit: s[i]})
		}
	}
	return p, nil
}

// match runs the pattern over name in O(len(tokens)·len(name)·alternatives)
// time by tracking the set of positions reachable after each token, so no
// pattern can make it backtrack.
func (p pattern) match(name string) bool {
	n := len(name)
	cur := make([]bool, n+1)
	next := make([]bool, n+1)
	if p.startAny {
		for i := range cur {
			cur[i] = true
		}
	} else {
		cur[0] = true
	}
	for _, t := range p.toks {
		clear(next)
		switch t.kind {
		case 'l':
			for i := 0; i < n; i++ {
				if cur[i] && name[i] == t.lit {
					next[i+1] = true
				}
			}
		case '.':
			for i := 0; i < n; i++ {
				if cur[i] {
					next[i+1] = true
				}
			}
		case '*', '+':
			seen := false
			for i := 0; i <= n; i++ {
				if t.kind == '*' && cur[i] {
					seen = true
				}
				next[i] = seen
				if t.kind == '+' && cur[i] {
					seen = true
				}
			}
		case 'd':
			for i := 0; i < n; i++ {
				if !cur[i] {
					continue
				}
				for j := i; j < n && name[j] >= '0' && name[j] <= '9'; j++ {
					next[j+1] = true
				}
			}
		case '|':
			for i := 0; i <= n; i++ {
				if !cur[i] {
					continue
				}
				for _, a := range t.alts {
					if strings.HasPrefix(name[i:], a) {
						next[i+len(a)] = true
					}
				}
			}
		}
		cur, next = next, cur
	}
	if p.endAnch {
		return cur[n]
	}
	for _, ok := range cur {
		if ok {
			return true
		}
	}
	return false
}

// targetMatch reports whether a compressed-tensors target (or ignore entry)
// names module. Targets are an exact module name, "re:" and a pattern, or a
// class name such as "Linear"; class names match every quantizable linear,
// which is what a packed weight is. ok is false when the pattern uses syntax
// outside the supported subset.
func targetMatch(target, module string) (matched, ok bool) {
	if body, isRe := strings.CutPrefix(target, "re:"); isRe {
		p, err := parseRe(body)
		if err != nil {
			return false, false
		}
		return p.match(module), true
	}
	if isClassName(target) {
		return true, true
	}
	return target == module, true
}

// isClassName reports whether a target names a torch module class
// ("Linear", "MoEGate") rather than a module path: class names have no dots
// and start with an upper-case letter.
func isClassName(s string) bool {
	return s != "" && s[0] >= 'A' && s[0] <= 'Z' && !strings.ContainsRune(s, '.')
}

// notConvertMatch applies transformers' modules_to_not_convert rule: a plain
// entry matches as a substring of the tensor name, an entry with '*' as a
// glob over the whole name.
func notConvertMatch(entry, name string) bool {
	if entry == "" {
		return false
	}
	if strings.Contains(entry, "*") {
		p, err := parseGlob(entry)
		return err == nil && p.match(name)
	}
	return strings.Contains(name, entry)
}
