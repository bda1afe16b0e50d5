// Package layouts rebuilds real checkpoint layouts (tensor names, dtypes,
// shapes) from public facts kept as data in facts/*.json, each with its
// source. The generator in ../gen writes them as header-only stubs (or as
// complete tiny files) under ../models; tests and benchmarks may also build
// them in memory.
package layouts

// Tensor is one tensor of a layout.
type Tensor struct {
	Name  string
	DType string // safetensors spelling: "F32", "BF16", "F8_E4M3", ...
	Shape []uint64
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
}
