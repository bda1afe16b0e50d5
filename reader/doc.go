// Package reader turns the bytes of a safetensors checkpoint into validated
// tensor metadata: single .safetensors files, sharded checkpoints through
// their *.safetensors.index.json, and model folders, with config.json kept as
// raw facts.
//
// Guarantees:
//   - it never reads tensor data: a header command reads the 8-byte length
//     prefix and the N header bytes of each file, and nothing more;
//   - every size the input claims is checked against what is really there
//     (and against Limits) before it is allocated;
//   - it knows nothing about transformers: roles and architecture belong to
//     package analysis.
//
// Validation follows the reference Rust implementation
// (huggingface/safetensors, safetensors/src/tensor.rs) and is stricter where
// the reference's silence would hurt a user (duplicate keys, caps on counts).
package reader
