package reader

import "sort"

// DType is a safetensors element type, spelled as the format spells it
// ("F32", "BF16", "F8_E4M3", ...).
type DType string

// The 22 dtypes of the reference implementation (safetensors/src/tensor.rs,
// enum Dtype, with Dtype::bitsize).
const (
	BOOL        DType = "BOOL"
	U8          DType = "U8"
	I8          DType = "I8"
	F8_E5M2     DType = "F8_E5M2"
	F8_E4M3     DType = "F8_E4M3"
	F8_E8M0     DType = "F8_E8M0"
	F8_E4M3FNUZ DType = "F8_E4M3FNUZ"
	F8_E5M2FNUZ DType = "F8_E5M2FNUZ"
	I16         DType = "I16"
	U16         DType = "U16"
	F16         DType = "F16"
	BF16        DType = "BF16"
	I32         DType = "I32"
	U32         DType = "U32"
	F32         DType = "F32"
	F64         DType = "F64"
	I64         DType = "I64"
	U64         DType = "U64"
	C64         DType = "C64"
	F4          DType = "F4"
	F6_E2M3     DType = "F6_E2M3"
	F6_E3M2     DType = "F6_E3M2"
)

// dtypeBits holds the bit size of every dtype the reference accepts
// (Dtype::bitsize in safetensors/src/tensor.rs).
var dtypeBits = map[DType]uint64{
	BOOL: 8, U8: 8, I8: 8,
	F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8, F8_E4M3FNUZ: 8, F8_E5M2FNUZ: 8,
	I16: 16, U16: 16, F16: 16, BF16: 16,
	I32: 32, U32: 32, F32: 32,
	F64: 64, I64: 64, U64: 64,
	C64: 64,
	F4:  4, F6_E2M3: 6, F6_E3M2: 6,
}

// Bits returns the size of one element in bits, or 0 for an unknown dtype.
func (d DType) Bits() uint64 { return dtypeBits[d] }

// Known reports whether d is one of the 22 dtypes of the reference.
func (d DType) Known() bool { _, ok := dtypeBits[d]; return ok }

// DTypes returns every known dtype, sorted by bit size then name.
func DTypes() []DType {
	out := make([]DType, 0, len(dtypeBits))
	for d := range dtypeBits {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Bits() != out[j].Bits() {
			return out[i].Bits() < out[j].Bits()
		}
		return out[i] < out[j]
	})
	return out
}
