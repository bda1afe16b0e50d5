package reader

// Limits caps what the reader accepts before allocating. Every cap can be
// raised by a flag of the CLI; zero values mean "use the default".
type Limits struct {
	// MaxHeaderBytes caps N, the header length. The reference uses
	// 100,000,000 (MAX_HEADER_SIZE in safetensors/src/tensor.rs).
	MaxHeaderBytes uint64
	// MaxTensors caps the number of tensors in one file.
	MaxTensors int
	// MaxRank caps the number of dimensions of one tensor.
	MaxRank int
	// MaxNameBytes caps the length of one tensor name.
	MaxNameBytes int
	// MaxMetadataBytes caps the total size of __metadata__ keys and values.
	MaxMetadataBytes int
	// MaxIndexBytes caps the size of a *.safetensors.index.json file.
	MaxIndexBytes int64
	// MaxShards caps the number of distinct shard names in an index.
	MaxShards int
	// MaxConfigBytes caps the size of config.json.
	MaxConfigBytes int64
	// Concurrency bounds how many shards are read at once (0: GOMAXPROCS*2).
	Concurrency int
}

// DefaultLimits returns the caps used when none are given.
func DefaultLimits() Limits {
	return Limits{
		MaxHeaderBytes:   100_000_000,
		MaxTensors:       1_000_000,
		MaxRank:          16,
		MaxNameBytes:     4096,
		MaxMetadataBytes: 10_000_000,
		MaxIndexBytes:    100_000_000,
		MaxShards:        10_000,
		MaxConfigBytes:   10_000_000,
	}
}
