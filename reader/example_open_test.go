package reader_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"github.com/paramscope/paramscope/reader"
)

// exampleShard writes a one-tensor .safetensors file: the 8-byte length,
// the JSON header, then the tensor's bytes.
func exampleShard(path, tensor string, floats int) {
	header := fmt.Sprintf(`{%q:{"dtype":"F32","shape":[%d],"data_offsets":[0,%d]}}`, tensor, floats, 4*floats)
	buf := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	buf = append(buf, header...)
	buf = append(buf, make([]byte, 4*floats)...)
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		panic(err)
	}
}

// ExampleOpen opens a model folder holding a two-shard checkpoint, its
// index and config.json.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "paramscope-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	exampleShard(filepath.Join(dir, "model-00001-of-00002.safetensors"), "model.embed_tokens.weight", 8)
	exampleShard(filepath.Join(dir, "model-00002-of-00002.safetensors"), "lm_head.weight", 8)
	index := `{"metadata":{"total_size":100},"weight_map":{
		"lm_head.weight":"model-00002-of-00002.safetensors",
		"model.embed_tokens.weight":"model-00001-of-00002.safetensors"}}`
	os.WriteFile(filepath.Join(dir, "model.safetensors.index.json"), []byte(index), 0o644)
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"hidden_size":4096,"rms_norm_eps":1e-05}`), 0o644)

	ck, err := reader.Open(context.Background(), dir, reader.Limits{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ck.Source, "-", ck.Chosen)
	for _, t := range ck.Tensors {
		fmt.Println(t.Name, t.Shape, t.File)
	}
	h, _ := ck.Config.Int("hidden_size")
	eps, _ := ck.Config.Lookup("rms_norm_eps")
	fmt.Println("hidden_size", h, "rms_norm_eps", eps)
	for _, w := range ck.Warnings {
		fmt.Println(w.Code+":", w.Message)
	}
	// Output:
	// folder_index - model.safetensors.index.json (index, 2 shards)
	// model.embed_tokens.weight [8] model-00001-of-00002.safetensors
	// lm_head.weight [8] model-00002-of-00002.safetensors
	// hidden_size 4096 rms_norm_eps 1e-05
	// total_size_mismatch: metadata.total_size is 100 bytes but the shards' tensors hold 64 bytes
}

// ExampleParseIndex shows a shard name that would leave the model folder
// once percent-decoded twice, refused before anything is opened.
func ExampleParseIndex() {
	data := []byte(`{"weight_map":{"a":"%252e%252e/%252e%252e/etc/x.safetensors"}}`)
	_, err := reader.ParseIndex(data, "model.safetensors.index.json", reader.Limits{})
	fmt.Println(err)
	// Output:
	// model.safetensors.index.json: byte 19: tensor "a": shard name "%252e%252e/%252e%252e/etc/x.safetensors": leaves the model folder once percent-decoded ("../../etc/x.safetensors")
}

// ExampleParseConfig shows numbers kept as their exact text.
func ExampleParseConfig() {
	cfg, err := reader.ParseConfig([]byte(`{"text_config":{"vocab_size":151936},"initializer_range":0.02}`), "config.json", reader.Limits{})
	if err != nil {
		fmt.Println(err)
		return
	}
	v, _ := cfg.Int("text_config", "vocab_size")
	r, _ := cfg.Lookup("initializer_range")
	fmt.Println(v, r)
	// Output:
	// 151936 0.02
}
