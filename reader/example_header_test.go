package reader_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/paramscope/paramscope/reader"
)

// ExampleParseHeader reads a header-only stub: the file ends right after
// its header, so the tensors' data is described but absent.
func ExampleParseHeader() {
	header := `{"__metadata__":{"format":"pt"},` +
		`"lm_head.weight":{"dtype":"BF16","shape":[32000,4096],"data_offsets":[0,262144000]},` +
		`"model.norm.weight":{"dtype":"BF16","shape":[4096],"data_offsets":[262144000,262152192]}}`
	file := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	file = append(file, header...)

	h, err := reader.ParseHeader(bytes.NewReader(file), int64(len(file)), "model-00002-of-00002.safetensors", reader.Limits{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range h.Tensors {
		fmt.Println(t.Name, t.DType, t.Shape, t.Elements(), t.Bytes())
	}
	fmt.Println("stub:", h.Stub, "data bytes:", h.DataLen, "metadata:", h.Metadata)
	// Output:
	// lm_head.weight BF16 [32000 4096] 131072000 262144000
	// model.norm.weight BF16 [4096] 4096 8192
	// stub: true data bytes: 262152192 metadata: [{format pt}]
}

// ExampleParseHeader_error shows a typed error: it names the file, the byte
// of the header, the tensor, and wraps a sentinel for callers that branch.
func ExampleParseHeader_error() {
	header := `{"model.norm.weight":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},` +
		`"lm_head.weight":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`
	file := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	file = append(file, header...)
	file = append(file, make([]byte, 12)...)

	_, err := reader.ParseHeader(bytes.NewReader(file), int64(len(file)), "model-00002-of-00003.safetensors", reader.Limits{})
	fmt.Println(err)
	fmt.Println(errors.Is(err, reader.ErrMalformed))
	// Output:
	// model-00002-of-00003.safetensors: byte 78: tensor "lm_head.weight": data_offsets [4 12] overlap "model.norm.weight" at [0 8]
	// true
}
