package reader

import (
	"bytes"
	"io"

	"github.com/go-json-experiment/json/jsontext"
)

// ConfigName is the file beside the weights that holds the model's
// hyperparameters (CONFIG_NAME in transformers/utils/__init__.py).
const ConfigName = "config.json"

// maxConfigDepth bounds nesting in config.json. Real configs nest a few
// levels (text_config.rope_scaling.*, quantization_config.config_groups.*);
// past this the input is hostile. The tokenizer itself is iterative (and
// stops at 10,000 levels); this smaller bound keeps the stack of open
// containers small.
const maxConfigDepth = 128

// configFrame is one open object or array while config.json is built
// without recursion.
type configFrame struct {
	obj    map[string]any
	arr    []any
	isObj  bool
	key    string
	hasKey bool
}

// parseConfig is ParseConfig: strict JSON (no duplicate names, valid UTF-8,
// bounded depth) built iteratively into raw facts, with every number kept
// as its exact text.
func parseConfig(data []byte, name string, lim Limits) (*Config, error) {
	lim = effectiveLimits(lim)
	if int64(len(data)) > lim.MaxConfigBytes {
		return nil, errorf(ErrLimit, name, -1, "", "config is %d bytes, over the cap of %d (raise MaxConfigBytes)", len(data), lim.MaxConfigBytes)
	}
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	var stack []*configFrame
	var root map[string]any
	for {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, jsonError(name, "config", err)
		}
		var val any
		switch k := tok.Kind(); k {
		case '{':
			if len(stack) >= maxConfigDepth {
				return nil, errorf(ErrMalformed, name, dec.InputOffset(), "", "nested more than %d levels deep", maxConfigDepth)
			}
			stack = append(stack, &configFrame{obj: make(map[string]any), isObj: true})
			continue
		case '[':
			if len(stack) == 0 {
				return nil, errorf(ErrMalformed, name, 0, "", "config is an array, want a JSON object")
			}
			if len(stack) >= maxConfigDepth {
				return nil, errorf(ErrMalformed, name, dec.InputOffset(), "", "nested more than %d levels deep", maxConfigDepth)
			}
			stack = append(stack, &configFrame{arr: []any{}})
			continue
		case '}', ']':
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if top.isObj {
				val = top.obj
			} else {
				val = top.arr
			}
		case '"':
			s := tok.String()
			if top := lastFrame(stack); top != nil && top.isObj && !top.hasKey {
				top.key, top.hasKey = s, true
				continue
			}
			val = s
		case '0':
			// Token.String returns the number's exact text for a number
			// read from input: no float64 on the way.
			val = Number(tok.String())
		case 't':
			val = true
		case 'f':
			val = false
		case 'n':
			val = nil
		default:
			return nil, errorf(ErrMalformed, name, dec.InputOffset(), "", "unexpected JSON token")
		}
		top := lastFrame(stack)
		if top == nil {
			m, ok := val.(map[string]any)
			if !ok {
				return nil, errorf(ErrMalformed, name, 0, "", "config is %s, want a JSON object", describeValue(val))
			}
			root = m
			break
		}
		if top.isObj {
			top.obj[top.key] = val
			top.key, top.hasKey = "", false
		} else {
			top.arr = append(top.arr, val)
		}
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		if err == nil {
			return nil, errorf(ErrMalformed, name, dec.InputOffset(), "", "trailing data after the config object")
		}
		return nil, jsonError(name, "config", err)
	}
	return &Config{File: name, Root: root}, nil
}

// lastFrame returns the innermost open container, or nil at the top level.
func lastFrame(stack []*configFrame) *configFrame {
	if len(stack) == 0 {
		return nil
	}
	return stack[len(stack)-1]
}

// describeValue names a parsed scalar's kind for people.
func describeValue(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case Number:
		return "a number"
	case []any:
		return "an array"
	}
	return "not an object"
}
