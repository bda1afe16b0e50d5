// Package layouts rebuilds real checkpoint layouts (tensor names, dtypes,
// shapes) from public facts kept as data in facts/*.json, each with its
// source. The generator in ../gen writes them as header-only stubs (or as
// complete tiny files) under ../models; tests and benchmarks may also build
// them in memory.
package layouts

import (
	"fmt"
	"sort"
)

// Tensor is one tensor of a layout.
type Tensor struct {
	Name  string
	DType string // safetensors spelling: "F32", "BF16", "F8_E4M3", ...
	Shape []uint64
	// Shard is the 0-based shard file holding the tensor when the model's
	// Shards > 0 (see ShardName).
	Shard int
	// SameAs, for Complete models, names another tensor whose bytes this one
	// repeats (a tied weight stored twice); "" draws its own values.
	SameAs string
}

// Model is a checkpoint layout.
type Model struct {
	// Name is the folder name under testdata/models ("gpt2", "llama-2-7b").
	Name string
	// Source says where the facts come from (URLs of config.json and of the
	// safetensors index or model card).
	Source string
	// Config is the config.json to write beside the weights ("" for none).
	Config string
	// Tensors are in the order the real checkpoint's header lists them.
	Tensors []Tensor
	// Metadata is the header's __metadata__ ({"format": "pt"} for most).
	Metadata map[string]string
	// Complete asks for real bytes (tiny models) instead of a header-only stub.
	Complete bool
	// Shards is the number of shard files; 0 writes one model.safetensors.
	// With Shards > 0 WriteModel writes ShardName files and
	// model.safetensors.index.json, each tensor into its Tensor.Shard.
	Shards int
}

var registry = map[string]func() (Model, error){}

// register adds a model builder; each family file calls it from init.
// Builders run lazily so a test that needs one model pays for one.
func register(name string, build func() (Model, error)) {
	if _, dup := registry[name]; dup {
		panic("layouts: model registered twice: " + name)
	}
	registry[name] = build
}

// Names returns the registered model names, sorted.
func Names() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Build returns the named model's layout.
func Build(name string) (Model, error) {
	b, ok := registry[name]
	if !ok {
		return Model{}, fmt.Errorf("layouts: no model %q", name)
	}
	return b()
}
