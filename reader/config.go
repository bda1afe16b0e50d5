package reader

import (
	"strconv"
)

// Config is config.json read strictly and kept as raw facts: objects are
// map[string]any, arrays []any, numbers Number (exact text, never through
// float64), strings string, booleans bool, null nil.
type Config struct {
	// File is the config file's path.
	File string
	// Root is the top-level object.
	Root map[string]any
}

// Number is a JSON number kept as its exact text.
type Number string

// Int returns the number as an int64 when it is an integer literal that fits.
func (n Number) Int() (int64, bool) {
	v, err := strconv.ParseInt(string(n), 10, 64)
	return v, err == nil
}

// Float returns the number as a float64.
func (n Number) Float() (float64, bool) {
	v, err := strconv.ParseFloat(string(n), 64)
	return v, err == nil
}

// Lookup follows a path of object keys from the root ("text_config",
// "hidden_size") and returns the value found.
func (c *Config) Lookup(path ...string) (any, bool) {
	if c == nil {
		return nil, false
	}
	var cur any = c.Root
	for _, k := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = m[k]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

// Int returns the integer at path.
func (c *Config) Int(path ...string) (int64, bool) {
	v, ok := c.Lookup(path...)
	if !ok {
		return 0, false
	}
	n, ok := v.(Number)
	if !ok {
		return 0, false
	}
	return n.Int()
}

// Float returns the number at path.
func (c *Config) Float(path ...string) (float64, bool) {
	v, ok := c.Lookup(path...)
	if !ok {
		return 0, false
	}
	n, ok := v.(Number)
	if !ok {
		return 0, false
	}
	return n.Float()
}

// String returns the string at path.
func (c *Config) String(path ...string) (string, bool) {
	v, ok := c.Lookup(path...)
	if !ok {
		return "", false
	}
	s, ok := v.(string)
	return s, ok
}

// Bool returns the boolean at path.
func (c *Config) Bool(path ...string) (bool, bool) {
	v, ok := c.Lookup(path...)
	if !ok {
		return false, false
	}
	b, ok := v.(bool)
	return b, ok
}

// Object returns the object at path.
func (c *Config) Object(path ...string) (map[string]any, bool) {
	v, ok := c.Lookup(path...)
	if !ok {
		return nil, false
	}
	m, ok := v.(map[string]any)
	return m, ok
}
