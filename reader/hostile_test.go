package reader

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
)

// H is the notation of HOSTILE.md: the 8-byte little-endian length of js,
// then js, then data.
func H(js string, data []byte) []byte {
	b := make([]byte, 8, 8+len(js)+len(data))
	binary.LittleEndian.PutUint64(b, uint64(len(js)))
	b = append(b, js...)
	return append(b, data...)
}

// withLen is 8 bytes of length n followed by rest, for lengths that lie.
func withLen(n uint64, rest string) []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, n)
	return append(b, rest...)
}

// stEntry is one tensor entry's JSON value.
func stEntry(dtype, shape string, begin, end uint64) string {
	return fmt.Sprintf(`{"dtype":%q,"shape":%s,"data_offsets":[%d,%d]}`, dtype, shape, begin, end)
}

// zeroBytes is n data bytes.
func zeroBytes(n int) []byte { return make([]byte, n) }

// hostileCase is one row: the file's bytes (or a generator for big ones),
// optional limits, and either the sentinel plus a message substring or a
// check of what was read.
type hostileCase struct {
	name    string
	file    []byte
	big     func() (io.ReaderAt, int64) // instead of file, for 99 MB inputs
	lim     Limits
	wantErr error
	wantMsg string
	wantOff int64 // checked when non-zero
	check   func(t *testing.T, h *Header)
}

const testFile = "model-00002-of-00003.safetensors"

// oneTensorJSON is a valid single-tensor header: "a" F32 [2] at [0 8].
var oneTensorJSON = `{"a":` + stEntry("F32", "[2]", 0, 8) + `}`

func hostileCases() []hostileCase {
	gz := func() []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write(H(oneTensorJSON, zeroBytes(8)))
		w.Close()
		return b.Bytes()
	}()
	deep := strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000)
	deepObj := strings.Repeat(`{"x":`, 100_000) + "1" + strings.Repeat("}", 100_000)
	return []hostileCase{
		// Header framing.
		{name: "empty file", file: nil, wantErr: ErrNotSafetensors, wantMsg: "file is empty"},
		{name: "7 bytes", file: []byte("\x10\x00\x00\x00\x00\x00\x00"), wantErr: ErrNotSafetensors, wantMsg: "file is 7 bytes, shorter than the 8-byte header length"},
		{name: "N = 0", file: withLen(0, ""), wantErr: ErrMalformed, wantMsg: "header length is 0"},
		{name: "N = 0 with data", file: withLen(0, "{}"), wantErr: ErrMalformed, wantMsg: "header length is 0"},
		{name: "N 60 with 2 present", file: withLen(60, "{}"), wantErr: ErrMalformed, wantMsg: "header length 60 runs past the end of the file: only 2 bytes follow"},
		{name: "N = 2^64-1", file: withLen(1<<64-1, "{}"), wantErr: ErrHeaderTooLarge, wantMsg: "header length 18446744073709551615 is above the cap of 100000000"},
		{name: "N = 2^64-1 with no cap does not overflow 8+N", file: withLen(1<<64-1, "{}"), lim: Limits{MaxHeaderBytes: 1<<64 - 1}, wantErr: ErrMalformed, wantMsg: "header length 18446744073709551615 runs past the end"},
		{name: "N = 2^64-8 with no cap does not wrap 8+N to 0", file: withLen(1<<64-8, "{}"), lim: Limits{MaxHeaderBytes: 1<<64 - 1}, wantErr: ErrMalformed, wantMsg: "runs past the end"},
		// MAX_HEADER_SIZE = 100_000_000 in safetensors/src/tensor.rs.
		{name: "N just above the cap", file: withLen(100_000_001, "{}"), wantErr: ErrHeaderTooLarge, wantMsg: "above the cap of 100000000"},
		{name: "N just below the cap, 20-byte file", file: withLen(99_999_999, "{}          "), wantErr: ErrMalformed, wantMsg: "header length 99999999 runs past the end of the file: only 12 bytes follow"},
		{name: "N above a lowered cap", file: H(oneTensorJSON, zeroBytes(8)), lim: Limits{MaxHeaderBytes: 16}, wantErr: ErrHeaderTooLarge, wantMsg: "above the cap of 16"},
		{name: "Git LFS pointer", file: []byte("version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 548105171\n"),
			wantErr: ErrNotSafetensors, wantMsg: "Git LFS pointer file, not the weights (the real file is 548105171 bytes); run `git lfs pull`"},
		{name: "PyTorch zip", file: append([]byte("PK\x03\x04\x14\x00\x00\x00\x08\x00"), "archive/data.pkl"...), wantErr: ErrNotSafetensors, wantMsg: "zip archive (a PyTorch .bin/.pt checkpoint"},
		{name: "raw pickle protocol 2", file: []byte("\x80\x02}q\x00(X\x06\x00\x00\x00weightq\x01"), wantErr: ErrNotSafetensors, wantMsg: "Python pickle (protocol 2"},
		{name: "raw pickle protocol 4, 7 bytes", file: []byte("\x80\x04\x95\x00\x00\x00\x00"), wantErr: ErrNotSafetensors, wantMsg: "Python pickle (protocol 4"},
		{name: "GGUF", file: append([]byte("GGUF\x03\x00\x00\x00"), zeroBytes(16)...), wantErr: ErrNotSafetensors, wantMsg: "GGUF file"},
		{name: "gzip of a valid file", file: gz, wantErr: ErrNotSafetensors, wantMsg: "gzip-compressed data, not safetensors; decompress it first"},
		{name: "HTML error page", file: []byte("<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head></html>\n"), wantErr: ErrNotSafetensors, wantMsg: "HTML page"},
		{name: "HTML page, lower case with BOM", file: []byte("\xef\xbb\xbf <html><body>Access denied</body></html>"), wantErr: ErrNotSafetensors, wantMsg: "HTML page"},
		{name: "index JSON instead of a shard", file: []byte(`{"metadata": {"total_size": 16}, "weight_map": {}}`), wantErr: ErrNotSafetensors, wantMsg: "JSON text"},

		// JSON.
		{name: "header {", file: H("{", nil), wantErr: ErrMalformed, wantMsg: "expected tensor name as a string, found the end of the header"},
		{name: "blank header", file: H("        ", nil), wantErr: ErrMalformed, wantMsg: "header is blank"},
		{name: "header null", file: H("null", nil), wantErr: ErrMalformed, wantMsg: "header must be a JSON object, found null", wantOff: 8},
		{name: "header []", file: H("[]", nil), wantErr: ErrMalformed, wantMsg: "header must be a JSON object, found an array"},
		{name: `header "x"`, file: H(`"x"`, nil), wantErr: ErrMalformed, wantMsg: "header must be a JSON object, found a string"},
		{name: "header 123", file: H("123", nil), wantErr: ErrMalformed, wantMsg: "header must be a JSON object, found a number"},
		{name: "empty object", file: H("{}", nil), check: func(t *testing.T, h *Header) {
			if len(h.Tensors) != 0 || h.DataLen != 0 || h.Stub {
				t.Errorf("got %d tensors, DataLen %d, Stub %v; want 0, 0, false", len(h.Tensors), h.DataLen, h.Stub)
			}
		}},
		// The official writer pads with spaces to a multiple of 8 (prepare in
		// safetensors/src/tensor.rs).
		{name: "leading and trailing spaces", file: H("  "+oneTensorJSON+"     ", zeroBytes(8)), check: wantTensors("a F32 [2] [0 8]")},
		{name: "other JSON whitespace around and inside", file: H("\n\t{\r\n\"a\" :\t"+stEntry("F32", "[ 2 ]", 0, 8)+"\n}\n", zeroBytes(8)), check: wantTensors("a F32 [2] [0 8]")},
		{name: "NUL padding", file: H(oneTensorJSON+"\x00\x00\x00", zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "NUL padding after the JSON object", wantOff: 8 + int64(len(oneTensorJSON))},
		{name: "trailing garbage", file: H(oneTensorJSON+" x", zeroBytes(8)), wantErr: ErrMalformed, wantMsg: `trailing data after the JSON object: 'x'`},
		{name: "a second object", file: H(oneTensorJSON+"{}", zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "trailing data after the JSON object: an object"},
		{name: "UTF-8 BOM", file: H("\xef\xbb\xbf"+oneTensorJSON, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "byte order mark", wantOff: 8},
		{name: "invalid UTF-8 in a name", file: H("{\"a\xff\":"+stEntry("F32", "[2]", 0, 8)+`}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "not valid UTF-8 (byte 0xff)", wantOff: 8 + 3},
		{name: "UTF-8 encoded surrogate", file: H("{\"a\xed\xa0\x80\":"+stEntry("F32", "[2]", 0, 8)+`}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "not valid UTF-8"},
		{name: "lone surrogate escape", file: H(`{"a\ud800":`+stEntry("F32", "[2]", 0, 8)+`}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: `lone surrogate \uD800`},
		{name: "lone low surrogate escape", file: H(`{"a\udc00x":`+stEntry("F32", "[2]", 0, 8)+`}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: `lone surrogate \uDC00`},
		{name: "surrogate pair escape is fine", file: H(`{"a\ud83d\ude00":`+stEntry("F32", "[2]", 0, 8)+`}`, zeroBytes(8)), check: wantTensors("a\U0001F600 F32 [2] [0 8]")},
		{name: "escapes in a name", file: H(`{"a\"\\\/\b\f\n\r\t\u00e9\u0000":`+stEntry("F32", "[2]", 0, 8)+`}`, zeroBytes(8)), check: wantTensors("a\"\\/\b\f\n\r\té\x00 F32 [2] [0 8]")},
		{name: "escaped field name", file: H(`{"a":{"d\u0074ype":"F32","shape":[2],"data_offsets":[0,8]}}`, zeroBytes(8)), check: wantTensors("a F32 [2] [0 8]")},
		{name: "raw control byte in a name", file: H("{\"a\nb\":"+stEntry("F32", "[2]", 0, 8)+"}", zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "raw control byte 0x0a"},
		{name: "bad escape", file: H(`{"a\x":`+stEntry("F32", "[2]", 0, 8)+`}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: `invalid escape \x`},
		{name: "unterminated string", file: H(`{"abc`, nil), wantErr: ErrMalformed, wantMsg: "missing closing quote"},
		{name: "comment", file: H(`{/* weights */"a":`+stEntry("F32", "[2]", 0, 8)+`}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "a comment (JSON has none)"},
		{name: "line comment after a value", file: H(`{"a":`+stEntry("F32", "[2]", 0, 8)+` // x`+"\n}", zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "a comment"},
		{name: "NaN in shape", file: H(`{"a":{"dtype":"F32","shape":[NaN],"data_offsets":[0,8]}}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "shape dimension must be a non-negative integer, found 'N'"},
		{name: "trailing comma in the object", file: H(`{"a":`+stEntry("F32", "[2]", 0, 8)+`,}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "trailing comma before '}'"},
		{name: "trailing comma in a tensor", file: H(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],}}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "trailing comma before '}'"},
		{name: "trailing comma in a shape", file: H(`{"a":{"dtype":"F32","shape":[2,],"data_offsets":[0,8]}}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "trailing comma in shape"},
		{name: "single quotes", file: H(`{'a':`+stEntry("F32", "[2]", 0, 8)+`}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "single quote"},
		{name: "leading zeros", file: H(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,08]}}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "data_offsets value has a leading zero", wantOff: 8 + 50},
		{name: "missing comma", file: H(`{"a":{"dtype":"F32" "shape":[2],"data_offsets":[0,8]}}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "expected ',' or '}' in the tensor entry, found a string"},
		{name: "nesting 100,000 deep at the top", file: H(deep, nil), wantErr: ErrMalformed, wantMsg: "header must be a JSON object, found an array"},
		{name: "nesting 100,000 deep in a tensor", file: H(`{"a":`+deepObj+`}`, nil), wantErr: ErrLimit, wantMsg: "nested deeper than 1000 levels"},
		{name: "nesting 100,000 deep in an unknown field", file: H(`{"a":{"x":`+deep+`}}`, nil), wantErr: ErrLimit, wantMsg: "nested deeper than 1000 levels"},
		// 2^53+1 = 9007199254740993 is the first integer float64 cannot hold.
		{name: "integers above 2^53 stay exact (stub)", file: H(`{"a":`+stEntry("U8", "[9007199254740993]", 0, 9007199254740993)+`}`, nil), check: func(t *testing.T, h *Header) {
			wantTensors("a U8 [9007199254740993] [0 9007199254740993]")(t, h)
			if !h.Stub || h.DataLen != 9007199254740993 {
				t.Errorf("got Stub %v DataLen %d, want true 9007199254740993", h.Stub, h.DataLen)
			}
		}},
		// 2^61-1 bytes of U8 is 2^64-8 bits, the largest whole-byte size.
		{name: "2^61-1 byte tensor stays exact (stub)", file: H(`{"a":`+stEntry("U8", "[2305843009213693951]", 0, 2305843009213693951)+`}`, nil), check: wantTensors("a U8 [2305843009213693951] [0 2305843009213693951]")},
		{name: "2^64-1 elements of U8 is more than 2^64 bits", file: H(`{"a":`+stEntry("U8", "[18446744073709551615]", 0, 18446744073709551615)+`}`, nil), wantErr: ErrMalformed, wantMsg: "is more than 2^64 bits"},

		// Schema.
		{name: "duplicate __metadata__", file: H(`{"__metadata__":{"a":"1"},"__metadata__":{"b":"2"}}`, nil), wantErr: ErrMalformed, wantMsg: "duplicate __metadata__", wantOff: 8 + 26},
		{name: "duplicate __metadata__ key", file: H(`{"__metadata__":{"a":"1","a":"2"}}`, nil), wantErr: ErrMalformed, wantMsg: `duplicate __metadata__ key "a"`},
		{name: "duplicate tensor names, identical", file: H(`{"a":`+stEntry("F32", "[2]", 0, 8)+`,"a":`+stEntry("F32", "[2]", 0, 8)+`}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: `tensor "a": duplicate tensor name (first at byte 9)`},
		{name: "duplicate tensor names, different", file: H(`{"a":`+stEntry("F32", "[2]", 0, 8)+`,"a":`+stEntry("F32", "[2]", 8, 16)+`}`, zeroBytes(16)), wantErr: ErrMalformed, wantMsg: `tensor "a": duplicate tensor name`},
		{name: "duplicate field in a tensor", file: H(`{"a":{"dtype":"F32","shape":[2],"dtype":"F16","data_offsets":[0,8]}}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: `tensor "a": duplicate field "dtype"`},
		{name: "duplicate field in a tensor, same value", file: H(`{"a":{"dtype":"F32","shape":[2],"dtype":"F32","data_offsets":[0,8]}}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: `tensor "a": duplicate field "dtype"`},
		{name: "duplicate unknown field in a tensor", file: H(`{"a":{"dtype":"F32","x":1,"shape":[2],"x":2,"data_offsets":[0,8]}}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: `duplicate field "x"`},
		{name: "duplicate key inside an unknown field", file: H(`{"a":{"dtype":"F32","x":{"k":1,"k":2},"shape":[2],"data_offsets":[0,8]}}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: `duplicate key "k"`},
		{name: "DTYPE instead of dtype", file: H(`{"a":{"DTYPE":"F32","shape":[2],"data_offsets":[0,8]}}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: `field "DTYPE" is not "dtype"`},
		{name: "missing dtype", file: H(`{"a":{"shape":[2],"data_offsets":[0,8]}}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: `entry has no "dtype"`},
		{name: "missing shape", file: H(`{"a":{"dtype":"F32","data_offsets":[0,8]}}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: `entry has no "shape"`},
		{name: "missing data_offsets", file: H(`{"a":{"dtype":"F32","shape":[2]}}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: `entry has no "data_offsets"`},
		{name: "empty tensor entry", file: H(`{"a":{}}`, nil), wantErr: ErrMalformed, wantMsg: "entry is empty"},
		{name: "null dtype", file: H(`{"a":{"dtype":null,"shape":[2],"data_offsets":[0,8]}}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "dtype is null"},
		{name: "null shape", file: H(`{"a":{"dtype":"F32","shape":null,"data_offsets":[0,8]}}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "shape is null"},
		{name: "null data_offsets", file: H(`{"a":{"dtype":"F32","shape":[2],"data_offsets":null}}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "data_offsets is null"},
		{name: "data_offsets of 1 number", file: H(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[8]}}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "data_offsets has 1 number; expected exactly 2"},
		{name: "data_offsets of 0 numbers", file: H(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[]}}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "data_offsets has 0 numbers"},
		{name: "data_offsets of 3 numbers", file: H(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,16]}}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "data_offsets has more than 2 values"},
		{name: "data_offsets of strings", file: H(`{"a":{"dtype":"F32","shape":[2],"data_offsets":["0","8"]}}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "data_offsets value must be a non-negative integer, found a string"},
		{name: "tensor value null", file: H(`{"a":null}`, nil), wantErr: ErrMalformed, wantMsg: `tensor "a": entry is null; expected an object`},
		{name: "tensor value a string", file: H(`{"a":"F32"}`, nil), wantErr: ErrMalformed, wantMsg: `tensor "a": entry is a string`},
		{name: "__metadata__ null", file: H(`{"__metadata__":null,"a":`+stEntry("F32", "[2]", 0, 8)+`}`, zeroBytes(8)), check: func(t *testing.T, h *Header) {
			if h.Metadata != nil {
				t.Errorf("got Metadata %v, want nil", h.Metadata)
			}
			wantTensors("a F32 [2] [0 8]")(t, h)
		}},
		{name: "__metadata__ absent", file: H(oneTensorJSON, zeroBytes(8)), check: func(t *testing.T, h *Header) {
			if h.Metadata != nil {
				t.Errorf("got Metadata %v, want nil", h.Metadata)
			}
		}},
		{name: "__metadata__ in file order", file: H(`{"a":`+stEntry("F32", "[2]", 0, 8)+`,"__metadata__":{"format":"pt","b":"2","a":"\u00e9"}}`, zeroBytes(8)), check: func(t *testing.T, h *Header) {
			got := fmt.Sprint(h.Metadata)
			if want := "[{format pt} {b 2} {a é}]"; got != want {
				t.Errorf("got Metadata %s, want %s", got, want)
			}
		}},
		{name: "__metadata__ with a number value", file: H(`{"__metadata__":{"format":"pt","step":1}}`, nil), wantErr: ErrMalformed, wantMsg: `__metadata__ value for key "step" is a number; expected a string`},
		{name: "__metadata__ with a nested object", file: H(`{"__metadata__":{"cfg":{"a":"b"}}}`, nil), wantErr: ErrMalformed, wantMsg: `__metadata__ value for key "cfg" is an object`},
		{name: "__metadata__ an array", file: H(`{"__metadata__":["a"]}`, nil), wantErr: ErrMalformed, wantMsg: "__metadata__ is an array; expected an object of strings or null"},
		{name: "unknown extra field", file: H(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"quant":{"bits":[4,8],"ok":true,"v":null,"s":"x","f":-1.5e3}}}`, zeroBytes(8)), check: func(t *testing.T, h *Header) {
			wantTensors("a F32 [2] [0 8]")(t, h)
			if len(h.Warnings) != 1 || h.Warnings[0].Code != "unknown_field" || !strings.Contains(h.Warnings[0].Message, `tensor "a" has unknown field "quant"`) {
				t.Errorf("got warnings %+v, want one unknown_field about \"quant\"", h.Warnings)
			}
		}},
		{name: "unknown field in many tensors is one warning", file: H(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1},"b":{"x":2,"dtype":"F32","shape":[2],"data_offsets":[8,16]}}`, zeroBytes(16)), check: func(t *testing.T, h *Header) {
			if len(h.Warnings) != 1 || !strings.Contains(h.Warnings[0].Message, `unknown field "x" in 2 tensor entries (first "a")`) {
				t.Errorf("got warnings %+v, want one aggregated warning", h.Warnings)
			}
		}},
		{name: "empty tensor name", file: H(`{"":`+stEntry("F32", "[2]", 0, 8)+`}`, zeroBytes(8)), check: wantTensors(" F32 [2] [0 8]")},

		// dtypes (the 22 with their sizes are in TestDTypeBits).
		{name: "dtype F128", file: H(`{"a":`+stEntry("F128", "[2]", 0, 8)+`}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: `unknown dtype "F128"; valid dtypes: F4, F6_E2M3, F6_E3M2, BOOL, F8_E4M3, F8_E4M3FNUZ, F8_E5M2, F8_E5M2FNUZ, F8_E8M0, I8, U8, BF16, F16, I16, U16, F32, I32, U32, C64, F64, I64, U64`},
		{name: "dtype lower-case u8", file: H(`{"a":`+stEntry("u8", "[2]", 0, 2)+`}`, zeroBytes(2)), wantErr: ErrMalformed, wantMsg: `unknown dtype "u8": the safetensors spec spells it "U8"; valid dtypes: F4,`},
		{name: `dtype " U8"`, file: H(`{"a":`+stEntry(" U8", "[2]", 0, 2)+`}`, zeroBytes(2)), wantErr: ErrMalformed, wantMsg: `unknown dtype " U8": the safetensors spec spells it "U8"; valid dtypes:`},
		{name: "dtype E8M0", file: H(`{"a":`+stEntry("E8M0", "[2]", 0, 2)+`}`, zeroBytes(2)), wantErr: ErrMalformed, wantMsg: `unknown dtype "E8M0": the safetensors spec spells it "F8_E8M0"`},
		{name: "dtype UE8", file: H(`{"a":`+stEntry("UE8", "[2]", 0, 2)+`}`, zeroBytes(2)), wantErr: ErrMalformed, wantMsg: `unknown dtype "UE8": the safetensors spec spells it "F8_E8M0"`},
		{name: "dtype FP4", file: H(`{"a":`+stEntry("FP4", "[2]", 0, 1)+`}`, zeroBytes(1)), wantErr: ErrMalformed, wantMsg: `unknown dtype "FP4": the safetensors spec spells it "F4"`},
		{name: "dtype a number", file: H(`{"a":{"dtype":32,"shape":[2],"data_offsets":[0,8]}}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "dtype is a number"},
		{name: "F4 of 4 elements in 2 bytes", file: H(`{"a":`+stEntry("F4", "[4]", 0, 2)+`}`, zeroBytes(2)), check: wantTensors("a F4 [4] [0 2]")},
		{name: "F4 of 3 elements", file: H(`{"a":`+stEntry("F4", "[3]", 0, 2)+`}`, zeroBytes(2)), wantErr: ErrMalformed, wantMsg: "shape [3] of F4 is 3 elements = 12 bits, not a whole number of bytes"},
		{name: "F6 of 1 element", file: H(`{"a":`+stEntry("F6_E2M3", "[1]", 0, 1)+`}`, zeroBytes(1)), wantErr: ErrMalformed, wantMsg: "shape [1] of F6_E2M3 is 1 elements = 6 bits, not a whole number of bytes"},
		{name: "F6 of 4 elements in 3 bytes", file: H(`{"a":`+stEntry("F6_E3M2", "[2,2]", 0, 3)+`}`, zeroBytes(3)), check: wantTensors("a F6_E3M2 [2 2] [0 3]")},

		// Shapes, sizes, offsets.
		{name: "negative dimension", file: H(`{"a":`+stEntry("F32", "[-2]", 0, 8)+`}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "shape dimension is negative (-2)"},
		{name: "fractional dimension", file: H(`{"a":`+stEntry("F32", "[2.0]", 0, 8)+`}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "shape dimension is a fraction or exponent (2.0)"},
		{name: "exponent dimension", file: H(`{"a":`+stEntry("F32", "[2e0]", 0, 8)+`}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "shape dimension is a fraction or exponent (2e0)"},
		{name: "dimension 2^64", file: H(`{"a":`+stEntry("F32", "[18446744073709551616]", 0, 8)+`}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "shape dimension 18446744073709551616 does not fit in 64 bits"},
		{name: "offset 2^64", file: H(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551616]}}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "data_offsets value 18446744073709551616 does not fit in 64 bits"},
		{name: "negative offset", file: H(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: "data_offsets value is negative"},
		{name: "elements overflow wraps to 0", file: H(`{"a":`+stEntry("F32", "[4294967296,4294967296]", 0, 0)+`}`, nil), wantErr: ErrMalformed, wantMsg: "shape [4294967296 4294967296] has more than 2^64 elements"},
		{name: "bits overflow", file: H(`{"a":`+stEntry("F32", "[4611686018427387904]", 0, 0)+`}`, nil), wantErr: ErrMalformed, wantMsg: "shape [4611686018427387904] of F32 is more than 2^64 bits"},
		{name: "scalar", file: H(`{"a":`+stEntry("F32", "[]", 0, 4)+`}`, zeroBytes(4)), check: wantTensors("a F32 [] [0 4]")},
		{name: "zero-size tensor alone", file: H(`{"a":`+stEntry("F32", "[2,0]", 0, 0)+`}`, nil), check: func(t *testing.T, h *Header) {
			wantTensors("a F32 [2 0] [0 0]")(t, h)
			if h.Stub || h.DataLen != 0 {
				t.Errorf("got Stub %v DataLen %d, want false 0", h.Stub, h.DataLen)
			}
		}},
		{name: "scalars and zero-size between others", file: H(`{"a":`+stEntry("F32", "[2]", 0, 8)+`,"z":`+stEntry("BF16", "[2,0]", 8, 8)+`,"s":`+stEntry("F16", "[]", 8, 10)+`,"y":`+stEntry("U8", "[0]", 10, 10)+`,"b":`+stEntry("U8", "[2]", 10, 12)+`}`, zeroBytes(12)),
			check: wantTensors("a F32 [2] [0 8]", "z BF16 [2 0] [8 8]", "s F16 [] [8 10]", "y U8 [0] [10 10]", "b U8 [2] [10 12]")},
		{name: "span does not match shape", file: H(`{"a":`+stEntry("F32", "[3]", 0, 8)+`}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: `tensor "a": data_offsets [0 8] span 8 bytes, but shape [3] of F32 needs 12`, wantOff: 9},
		{name: "reversed offsets", file: H(`{"a":`+stEntry("F32", "[2]", 8, 0)+`}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: `tensor "a": data_offsets [8 0] are reversed`},
		{name: "first tensor not at 0", file: H(`{"a":`+stEntry("F32", "[2]", 4, 12)+`}`, zeroBytes(12)), wantErr: ErrMalformed, wantMsg: `tensor "a": data_offsets [4 12]: the first tensor must start at 0`},
		{name: "overlap", file: H(`{"model.norm.weight":`+stEntry("F32", "[2]", 0, 8)+`,"lm_head.weight":`+stEntry("F32", "[2]", 4, 12)+`}`, zeroBytes(12)), wantErr: ErrMalformed, wantMsg: `tensor "lm_head.weight": data_offsets [4 12] overlap "model.norm.weight" at [0 8]`},
		{name: "two tensors at the same bytes", file: H(`{"model.norm.weight":`+stEntry("F32", "[2]", 0, 8)+`,"lm_head.weight":`+stEntry("F32", "[2]", 0, 8)+`}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: `tensor "lm_head.weight": data_offsets [0 8] are the same bytes as "model.norm.weight"`},
		{name: "zero-size tensor inside another", file: H(`{"a":`+stEntry("F32", "[2]", 0, 8)+`,"z":`+stEntry("F32", "[0]", 4, 4)+`}`, zeroBytes(8)), wantErr: ErrMalformed, wantMsg: `tensor "z": data_offsets [4 4] overlap "a" at [0 8]`},
		{name: "hole between tensors", file: H(`{"a":`+stEntry("F32", "[2]", 0, 8)+`,"b":`+stEntry("F32", "[2]", 12, 20)+`}`, zeroBytes(20)), wantErr: ErrMalformed, wantMsg: `tensor "b": data_offsets [12 20] leave a hole: bytes [8 12) after "a" belong to no tensor`},
		{name: "out of offset order in the JSON", file: H(`{"c":`+stEntry("U8", "[4]", 12, 16)+`,"a":`+stEntry("F32", "[2]", 0, 8)+`,"b":`+stEntry("I32", "[1]", 8, 12)+`}`, zeroBytes(16)),
			check: wantTensors("c U8 [4] [12 16]", "a F32 [2] [0 8]", "b I32 [1] [8 12]")},
		{name: "trailing bytes", file: H(oneTensorJSON, zeroBytes(10)), wantErr: ErrMalformed, wantMsg: "2 bytes after the last tensor: the data section is 10 bytes but the tensors cover 8", wantOff: 8 + int64(len(oneTensorJSON)) + 8},
		{name: "truncated download", file: H(`{"a":`+stEntry("F32", "[4]", 0, 16)+`}`, zeroBytes(10)), wantErr: ErrMalformed, wantMsg: "file is truncated: the tensors need 16 bytes of data, only 10 are present, 6 bytes missing"},
		{name: "data with no tensors", file: H(`{}`, zeroBytes(4)), wantErr: ErrMalformed, wantMsg: "4 bytes after the last tensor"},
		{name: "header-only stub", file: H(`{"a":`+stEntry("BF16", "[4096,4096]", 0, 33554432)+`,"b":`+stEntry("F32", "[4096]", 33554432, 33570816)+`}`, nil), check: func(t *testing.T, h *Header) {
			if !h.Stub || h.DataLen != 33570816 {
				t.Errorf("got Stub %v DataLen %d, want true 33570816", h.Stub, h.DataLen)
			}
		}},

		// Resources.
		{name: "99 MB header with one 49.5-million-entry shape", big: func() (io.ReaderAt, int64) {
			head := `{"a":{"dtype":"U8","shape":[`
			// 49,500,000 entries of "1," keep N just under the 100 MB cap.
			return repeatHeader(head, "1,", 49_500_000, `1],"data_offsets":[0,1]}}`)
		}, wantErr: ErrLimit, wantMsg: `tensor "a": shape has more than 16 dimensions`},
		{name: "1.6 million tiny tensors", big: func() (io.ReaderAt, int64) {
			return repeatHeaderFunc("{", 1_600_000, func(i int) string {
				return `"t` + strconv.Itoa(10_000_000 + i)[1:] + `":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},`
			}, `"end":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}`)
		}, wantErr: ErrLimit, wantMsg: "more than 1000000 tensors in one file", wantOff: 8 + 1 + 59*1_000_001 + 10},
		// (Each entry is 59 bytes; the skim counts __metadata__ as a member,
		// so with none it stops at the ':' of the 1,000,002nd tensor.)
		{name: "one 98 MB metadata string", big: func() (io.ReaderAt, int64) {
			return repeatHeader(`{"__metadata__":{"k":"`, "x", 98_000_000, `"}}`)
		}, wantErr: ErrLimit, wantMsg: "__metadata__ is larger than 10000000 bytes"},
		{name: "long tensor name", file: H(`{"`+strings.Repeat("n", 5000)+`":`+stEntry("F32", "[2]", 0, 8)+`}`, zeroBytes(8)), wantErr: ErrLimit, wantMsg: "tensor name is longer than 4096 bytes"},
		{name: "long escaped tensor name", file: H(`{"\n`+strings.Repeat("n", 5000)+`":`+stEntry("F32", "[2]", 0, 8)+`}`, zeroBytes(8)), wantErr: ErrLimit, wantMsg: "tensor name is longer than 4096 bytes"},
		{name: "rank at the cap", file: H(`{"a":`+stEntry("U8", "[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,2]", 0, 2)+`}`, zeroBytes(2)), check: wantTensors("a U8 [1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 2] [0 2]")},
		{name: "rank above a lowered cap", file: H(`{"a":`+stEntry("U8", "[1,1,2]", 0, 2)+`}`, zeroBytes(2)), lim: Limits{MaxRank: 2}, wantErr: ErrLimit, wantMsg: "shape has more than 2 dimensions"},
		{name: "tensors above a lowered cap", file: H(`{"a":`+stEntry("F32", "[2]", 0, 8)+`,"b":`+stEntry("F32", "[2]", 8, 16)+`}`, zeroBytes(16)), lim: Limits{MaxTensors: 1}, wantErr: ErrLimit, wantMsg: `tensor "b": more than 1 tensors`},
		{name: "field name in strings does not fool the tensor count", file: H(`{"__metadata__":{"data_offsets":"\"data_offsets\":"},"a":`+stEntry("F32", "[2]", 0, 8)+`}`, zeroBytes(8)), lim: Limits{MaxTensors: 1}, check: wantTensors("a F32 [2] [0 8]")},
		{name: "metadata cap raised to the largest int", file: H(`{"__metadata__":{"format":"pt"}}`, nil), lim: Limits{MaxMetadataBytes: int(^uint(0) >> 1), MaxNameBytes: int(^uint(0) >> 1)}, check: func(t *testing.T, h *Header) {
			if len(h.Metadata) != 1 || h.Metadata[0] != (MetadataEntry{"format", "pt"}) {
				t.Errorf("got Metadata %v, want [{format pt}]", h.Metadata)
			}
		}},
		{name: "metadata above a lowered cap", file: H(`{"__metadata__":{"format":"pt","k":"0123456789"}}`, nil), lim: Limits{MaxMetadataBytes: 12}, wantErr: ErrLimit, wantMsg: "__metadata__ is larger than 12 bytes"},
	}
}

// wantTensors checks the tensors read, each as "name dtype shape [begin end]".
func wantTensors(want ...string) func(t *testing.T, h *Header) {
	return func(t *testing.T, h *Header) {
		t.Helper()
		var got []string
		for _, x := range h.Tensors {
			got = append(got, fmt.Sprintf("%s %s %v [%d %d]", x.Name, x.DType, x.Shape, x.Begin, x.End))
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("got tensors\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// TestHostile runs every header case of HOSTILE.md ("Header framing",
// "JSON", "Schema", "dtypes", "Shapes, sizes, offsets", "Resources").
func TestHostile(t *testing.T) {
	for _, c := range hostileCases() {
		t.Run(c.name, func(t *testing.T) {
			if c.big != nil && testing.Short() {
				t.Skip("large input")
			}
			var r io.ReaderAt = bytes.NewReader(c.file)
			size := int64(len(c.file))
			if c.big != nil {
				r, size = c.big()
			}
			h, err := ParseHeader(r, size, testFile, c.lim)
			if c.wantErr == nil {
				if err != nil {
					t.Fatalf("got error %v, want success", err)
				}
				if h.File != testFile || h.FileSize != uint64(size) {
					t.Errorf("got File %q FileSize %d, want %q %d", h.File, h.FileSize, testFile, size)
				}
				c.check(t, h)
				return
			}
			if err == nil {
				t.Fatalf("got success (%d tensors), want %v", len(h.Tensors), c.wantErr)
			}
			if !errors.Is(err, c.wantErr) {
				t.Errorf("got error %v, want one wrapping %v", err, c.wantErr)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %T, want *Error", err)
			}
			if e.File != testFile || !strings.HasPrefix(err.Error(), testFile+": ") {
				t.Errorf("got error %q (File %q), want it to name %q first", err, e.File, testFile)
			}
			if !strings.Contains(err.Error(), c.wantMsg) {
				t.Errorf("got error %q, want it to contain %q", err, c.wantMsg)
			}
			if c.wantOff != 0 && e.Offset != c.wantOff {
				t.Errorf("got offset %d, want %d (%v)", e.Offset, c.wantOff, err)
			}
		})
	}
}

// repeatReaderAt serves head, then unit repeated n times, then tail,
// without holding the repeated middle in memory: the 99 MB hostile inputs
// cost the test nothing but what ParseHeader itself allocates.
type repeatReaderAt struct {
	head, tail string
	unit       func(i int) string
	unitLen    int
	n          int
	constant   bool // unit(i) is the same for every i
}

func (r *repeatReaderAt) size() int64 {
	return int64(len(r.head)) + int64(r.unitLen)*int64(r.n) + int64(len(r.tail))
}

func (r *repeatReaderAt) ReadAt(p []byte, off int64) (int, error) {
	total := r.size()
	done := 0
	for done < len(p) && off < total {
		var chunk string
		var at int64
		switch mid := int64(len(r.head)) + int64(r.unitLen)*int64(r.n); {
		case off < int64(len(r.head)):
			chunk, at = r.head, off
		case off < mid:
			k := (off - int64(len(r.head))) / int64(r.unitLen)
			chunk, at = r.unit(int(k)), (off-int64(len(r.head)))%int64(r.unitLen)
		default:
			chunk, at = r.tail, off-mid
		}
		c := copy(p[done:], chunk[at:])
		if r.constant && at == 0 && chunk != r.tail && chunk != r.head {
			// Whole units from here on: grow by doubling what is copied.
			room := min(int64(len(p)-done), int64(len(r.head))+int64(r.unitLen)*int64(r.n)-off)
			room -= room % int64(r.unitLen)
			for int64(c) < room {
				c += copy(p[done+c:done+int(room)], p[done:done+c])
			}
		}
		done += c
		off += int64(c)
	}
	if done < len(p) {
		return done, io.EOF
	}
	return done, nil
}

// repeatHeaderFunc builds a file H(head + unit(0..n-1) + tail, nil) served
// lazily; every unit must have the same length.
func repeatHeaderFunc(head string, n int, unit func(i int) string, tail string) (io.ReaderAt, int64) {
	r := &repeatReaderAt{tail: tail, unit: unit, unitLen: len(unit(0)), n: n}
	var pre [8]byte
	binary.LittleEndian.PutUint64(pre[:], uint64(len(head))+uint64(r.unitLen)*uint64(n)+uint64(len(tail)))
	r.head = string(pre[:]) + head
	return r, r.size()
}

// repeatHeader is repeatHeaderFunc with a constant unit.
func repeatHeader(head, unit string, n int, tail string) (io.ReaderAt, int64) {
	r, size := repeatHeaderFunc(head, n, func(int) string { return unit }, tail)
	r.(*repeatReaderAt).constant = true
	return r, size
}
