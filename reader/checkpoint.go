package reader

// Header is one validated .safetensors file header.
type Header struct {
	// File is the file's name as the user gave it or as the index names it.
	File string
	// HeaderLen is N, the length of the JSON header in bytes.
	HeaderLen uint64
	// DataLen is the size of the data section the tensors cover (the largest
	// end offset).
	DataLen uint64
	// FileSize is the size of the file on disk.
	FileSize uint64
	// Stub is true for a header-only file: it ends exactly after its header
	// while its tensors claim DataLen > 0 bytes.
	Stub bool
	// Metadata is __metadata__ in file order (nil when absent or null).
	Metadata []MetadataEntry
	// Tensors are in the order of the JSON header.
	Tensors []Tensor
	// Warnings are non-fatal findings (unknown tensor fields, ...).
	Warnings []Warning

	// nameSum is the sum (mod 2^64) of the tensor names' hashes under
	// nameSeed, computed while the header is parsed (see hashNames).
	nameSum uint64
}

// Source says how a checkpoint was found.
type Source string

// The ways a path can resolve to a checkpoint.
const (
	SourceFile        Source = "file"         // a .safetensors file named directly
	SourceIndex       Source = "index"        // a *.safetensors.index.json named directly
	SourceFolderIndex Source = "folder_index" // a folder holding an index
	SourceFolderFile  Source = "folder_model" // a folder holding model.safetensors
	SourceFolderGlob  Source = "folder_glob"  // a folder: every *.safetensors in it
)

// Index is a parsed *.safetensors.index.json.
type Index struct {
	// File is the index file's name.
	File string
	// TotalSize is metadata.total_size, when present as an integer.
	TotalSize    uint64
	HasTotalSize bool
	// WeightMap maps tensor name to shard name, as in the file. ParseIndex
	// always fills it; Open fills it only when a shard did not match the
	// index by name count and fingerprint and the exact per-name check ran
	// (the map is ~5 MB for a 90,000-entry index, and nothing else needs
	// it): read Entries for the number of entries.
	WeightMap map[string]string
	// Entries is the number of weight_map entries (distinct tensor names),
	// set by ParseIndex and Open alike.
	Entries int
	// Shards are the distinct shard names in first-seen order.
	Shards []string
	// Metadata keeps the other metadata keys as raw JSON text.
	Metadata []MetadataEntry
}

// Checkpoint is everything the reader learned about one path.
type Checkpoint struct {
	// Path is what the user named.
	Path string
	// Dir is the folder the files are in.
	Dir string
	// Source says how Path was resolved; Chosen says it for people
	// ("model.safetensors.index.json (index, 2 shards)").
	Source Source
	Chosen string
	// Index is the parsed index, or nil.
	Index *Index
	// Files are the headers of every file read, in shard order.
	Files []*Header
	// Tensors are all tensors of all files, in file order then header order.
	// No two have the same name: Open refuses a name twice in one header,
	// in two shards, or in two files of a folder.
	Tensors []Tensor
	// Config is config.json beside the weights, or nil when absent.
	Config *Config
	// Warnings gathers the files' warnings and the checkpoint's own.
	Warnings []Warning
}

// Stub reports whether any file of the checkpoint is header-only.
func (c *Checkpoint) Stub() bool {
	for _, f := range c.Files {
		if f.Stub {
			return true
		}
	}
	return false
}

// HeaderBytes returns the sum over files of 8 + N.
func (c *Checkpoint) HeaderBytes() uint64 {
	var n uint64
	for _, f := range c.Files {
		n += 8 + f.HeaderLen
	}
	return n
}

// DataBytes returns the sum over files of the data sections' sizes.
func (c *Checkpoint) DataBytes() uint64 {
	var n uint64
	for _, f := range c.Files {
		n += f.DataLen
	}
	return n
}
