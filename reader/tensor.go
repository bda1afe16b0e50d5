package reader

// Tensor is the validated metadata of one tensor: nothing here was read from
// the tensor's data.
type Tensor struct {
	// Name is the tensor's key in the header, exactly as stored.
	Name string
	// DType is the element type.
	DType DType
	// Shape is the list of dimensions; a scalar has none.
	Shape []uint64
	// Begin and End are the data_offsets, relative to the start of the data
	// section (byte 8+N of the file).
	Begin, End uint64
	// File is the name of the file that holds the tensor, relative to the
	// checkpoint's folder (the shard name for sharded checkpoints).
	File string
}

// Elements returns the product of the shape (1 for a scalar). The reader has
// checked that it does not overflow.
func (t Tensor) Elements() uint64 {
	n := uint64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Bytes returns the size of the tensor's data, End - Begin.
func (t Tensor) Bytes() uint64 { return t.End - t.Begin }

// MetadataEntry is one key of the header's __metadata__ object, kept in file
// order.
type MetadataEntry struct {
	Key, Value string
}

// Warning is something worth telling the user that does not make the input
// unreadable (an unknown field, an unmapped tensor, a wrong total_size).
type Warning struct {
	// Code is a stable snake_case identifier ("unknown_field", "total_size_mismatch").
	Code string
	// File is the file the warning is about, if any.
	File string
	// Message says what was found and what was expected, with both numbers.
	Message string
}
