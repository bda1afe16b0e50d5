package reader

import (
	"context"
	"errors"
)

// Open resolves path (a .safetensors file, a *.safetensors.index.json, or a
// model folder) and reads every header of the checkpoint, shards in
// parallel with bounded concurrency, plus config.json beside the weights.
//
// TODO(issue 2): implement.
func Open(ctx context.Context, path string, lim Limits) (*Checkpoint, error) {
	return nil, errors.New("not implemented")
}

// ParseIndex parses and validates a *.safetensors.index.json.
//
// TODO(issue 2): implement.
func ParseIndex(data []byte, name string, lim Limits) (*Index, error) {
	return nil, errors.New("not implemented")
}

// ParseConfig parses config.json strictly into raw facts.
//
// TODO(issue 2): implement.
func ParseConfig(data []byte, name string, lim Limits) (*Config, error) {
	return nil, errors.New("not implemented")
}
