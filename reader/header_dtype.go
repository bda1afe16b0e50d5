package reader

import (
	"strings"
)

// lookupDType maps the exact spelling in a header to its DType constant
// without allocating (a switch on a string compiles to comparisons), so
// every tensor of a header shares the same 22 strings.
func lookupDType(s string) (DType, bool) {
	switch s {
	case "BOOL":
		return BOOL, true
	case "U8":
		return U8, true
	case "I8":
		return I8, true
	case "F8_E5M2":
		return F8_E5M2, true
	case "F8_E4M3":
		return F8_E4M3, true
	case "F8_E8M0":
		return F8_E8M0, true
	case "F8_E4M3FNUZ":
		return F8_E4M3FNUZ, true
	case "F8_E5M2FNUZ":
		return F8_E5M2FNUZ, true
	case "I16":
		return I16, true
	case "U16":
		return U16, true
	case "F16":
		return F16, true
	case "BF16":
		return BF16, true
	case "I32":
		return I32, true
	case "U32":
		return U32, true
	case "F32":
		return F32, true
	case "F64":
		return F64, true
	case "I64":
		return I64, true
	case "U64":
		return U64, true
	case "C64":
		return C64, true
	case "F4":
		return F4, true
	case "F6_E2M3":
		return F6_E2M3, true
	case "F6_E3M2":
		return F6_E3M2, true
	}
	return "", false
}

// dtypeBitSize is DType.Bits as a switch on the interned constants, which
// is cheaper than the map lookup on the per-tensor path of a 90k-tensor
// header (Dtype::bitsize in safetensors/src/tensor.rs).
func dtypeBitSize(d DType) uint64 {
	switch d {
	case BOOL, U8, I8, F8_E5M2, F8_E4M3, F8_E8M0, F8_E4M3FNUZ, F8_E5M2FNUZ:
		return 8
	case I16, U16, F16, BF16:
		return 16
	case I32, U32, F32:
		return 32
	case F64, I64, U64, C64:
		return 64
	case F4:
		return 4
	case F6_E2M3, F6_E3M2:
		return 6
	}
	return 0
}

// dtypeAliases are spellings other tools use for a safetensors dtype
// (PyTorch, OCP Microscaling, NVIDIA), mapped to the spelling of the
// safetensors spec (enum Dtype in safetensors/src/tensor.rs). The reader
// still refuses them, since the reference does; the hint saves the user a
// trip to the spec.
var dtypeAliases = map[string]DType{
	"E8M0": F8_E8M0, "UE8": F8_E8M0, "UE8M0": F8_E8M0, "F8_UE8M0": F8_E8M0, "FLOAT8_E8M0FNU": F8_E8M0,
	"FP4": F4, "E2M1": F4, "F4_E2M1": F4, "FP4_E2M1": F4, "MXFP4": F4, "NVFP4": F4, "FLOAT4_E2M1FN_X2": F4,
	"E4M3": F8_E4M3, "FP8": F8_E4M3, "FP8_E4M3": F8_E4M3, "F8_E4M3FN": F8_E4M3, "FLOAT8_E4M3FN": F8_E4M3,
	"E5M2": F8_E5M2, "FP8_E5M2": F8_E5M2, "FLOAT8_E5M2": F8_E5M2,
	"FLOAT8_E4M3FNUZ": F8_E4M3FNUZ, "FLOAT8_E5M2FNUZ": F8_E5M2FNUZ,
	"E2M3": F6_E2M3, "FP6_E2M3": F6_E2M3, "E3M2": F6_E3M2, "FP6_E3M2": F6_E3M2,
	"FP16": F16, "HALF": F16, "FLOAT16": F16,
	"BFLOAT16": BF16, "FP32": F32, "FLOAT": F32, "FLOAT32": F32,
	"FP64": F64, "DOUBLE": F64, "FLOAT64": F64,
	"INT8": I8, "UINT8": U8, "INT16": I16, "UINT16": U16, "INT32": I32, "UINT32": U32,
	"INT64": I64, "UINT64": U64, "BOOL_": BOOL, "COMPLEX64": C64,
}

// dtypeHint suggests the spec's spelling for an unknown dtype name, or "".
func dtypeHint(s string) DType {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimPrefix(t, "TORCH.")
	if d, ok := lookupDType(t); ok {
		return d
	}
	return dtypeAliases[t]
}

// validDTypeList is the comma-separated list of known dtypes for messages.
func validDTypeList() string {
	ds := DTypes()
	names := make([]string, len(ds))
	for i, d := range ds {
		names[i] = string(d)
	}
	return strings.Join(names, ", ")
}
