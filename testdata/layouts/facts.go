package layouts

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"strings"
)

//go:embed facts/*.json
var factsFS embed.FS

// Facts is one facts/<name>.json file: a real model's config.json (the keys
// that matter, exact values) with where it came from.
type Facts struct {
	// Source lists the URLs the values were read from.
	Source []string `json:"source"`
	// Config is the model's config.json, written beside the weights.
	Config json.RawMessage `json:"config"`
	// PublishedParameters is the parameter count the model's publisher or
	// the Hugging Face Hub shows, 0 when none is known.
	PublishedParameters uint64 `json:"published_parameters,omitempty"`
	// PublishedSource says where PublishedParameters comes from and what it
	// counts (e.g. "HF safetensors total, includes F32 scales").
	PublishedSource string `json:"published_source,omitempty"`
	// PublishedCounts says which quantity PublishedParameters is:
	// "all_tensors" (the sum of the shape products of every stored tensor,
	// as the Hub's safetensors count is, buffers and quantization side
	// tensors included), "parameters" (logical parameters only), or another
	// name the notes explain (e.g. "all_tensors_hub_rules", the Hub's
	// count of packed integer tensors). Tests compare the stub's tensor
	// elements with it only for "all_tensors".
	PublishedCounts string `json:"published_counts,omitempty"`
	// PublishedFileBytes is the total size in bytes of the real checkpoint's
	// safetensors files (the Hub's LFS sizes), 0 when unknown. A stub claims
	// the same header and data bytes, so its files' 8 + N plus their data
	// sections must add up to it: a check of every name, shape, dtype, the
	// shard split and the header layout at once.
	PublishedFileBytes uint64 `json:"published_file_bytes,omitempty"`
	// PublishedFileSource says where PublishedFileBytes comes from.
	PublishedFileSource string `json:"published_file_source,omitempty"`
	// Notes record derivations and anything not found in a source.
	Notes string `json:"notes,omitempty"`
}

// LoadFacts reads facts/<name>.json.
func LoadFacts(name string) (Facts, error) {
	var f Facts
	data, err := factsFS.ReadFile("facts/" + name + ".json")
	if err != nil {
		return f, fmt.Errorf("layouts: facts for %q: %w", name, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return f, fmt.Errorf("layouts: facts/%s.json: %w", name, err)
	}
	return f, nil
}

// Cfg is a decoded config.json for layout builders.
type Cfg map[string]any

// ParseCfg decodes the facts' config with numbers kept exact.
func (f Facts) ParseCfg() (Cfg, error) {
	dec := json.NewDecoder(bytes.NewReader(f.Config))
	dec.UseNumber()
	var c Cfg
	if err := dec.Decode(&c); err != nil {
		return nil, err
	}
	return c, nil
}

// Int returns the integer at key (nested keys: "text_config", "hidden_size"),
// panicking with the key's name when it is absent: a builder with a missing
// fact is a bug in the facts file, found when the generator runs.
func (c Cfg) Int(keys ...string) uint64 {
	v, ok := c.lookup(keys...)
	if !ok {
		panic(fmt.Sprintf("layouts: config has no %v", keys))
	}
	n, ok := v.(json.Number)
	if !ok {
		panic(fmt.Sprintf("layouts: config %v is not a number", keys))
	}
	i, err := n.Int64()
	if err != nil || i < 0 {
		panic(fmt.Sprintf("layouts: config %v = %s is not a non-negative integer", keys, n))
	}
	return uint64(i)
}

// IntOr returns the integer at key, or def when the key is absent or null.
func (c Cfg) IntOr(def uint64, keys ...string) uint64 {
	if v, ok := c.lookup(keys...); !ok || v == nil {
		return def
	}
	return c.Int(keys...)
}

// Bool returns the boolean at key, or def when absent.
func (c Cfg) Bool(def bool, keys ...string) bool {
	v, ok := c.lookup(keys...)
	if !ok {
		return def
	}
	b, ok := v.(bool)
	if !ok {
		return def
	}
	return b
}

// String returns the string at key, or def when absent.
func (c Cfg) String(def string, keys ...string) string {
	v, ok := c.lookup(keys...)
	if !ok {
		return def
	}
	s, ok := v.(string)
	if !ok {
		return def
	}
	return s
}

func (c Cfg) lookup(keys ...string) (any, bool) {
	var cur any = map[string]any(c)
	for _, k := range keys {
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

// fromFacts returns a builder for a model whose config comes from
// facts/<name>.json: it loads the facts, hands the parsed config to tensors,
// and returns the layout with the config written as indented JSON and the
// tensors in the reference writer's order. A missing config key (Cfg.Int
// panics) comes back as an error naming the model.
func fromFacts(name string, tensors func(c Cfg) []Tensor) func() (Model, error) {
	return func() (m Model, err error) {
		f, err := LoadFacts(name)
		if err != nil {
			return Model{}, err
		}
		c, err := f.ParseCfg()
		if err != nil {
			return Model{}, fmt.Errorf("layouts: facts/%s.json: config: %w", name, err)
		}
		var cfg bytes.Buffer
		if err := json.Indent(&cfg, f.Config, "", "  "); err != nil {
			return Model{}, fmt.Errorf("layouts: facts/%s.json: config: %w", name, err)
		}
		cfg.WriteByte('\n')
		defer func() {
			if r := recover(); r != nil {
				m, err = Model{}, fmt.Errorf("layouts: %s: %v", name, r)
			}
		}()
		return Model{
			Name:     name,
			Source:   strings.Join(f.Source, " "),
			Config:   cfg.String(),
			Tensors:  HeaderOrder(tensors(c)),
			Metadata: map[string]string{"format": "pt"},
		}, nil
	}
}
