package reader

import (
	"bytes"
	"strconv"
	"strings"
)

// sniffBytes is how much of a file's start sniff looks at: enough for a Git
// LFS pointer's three lines (about 130 bytes).
const sniffBytes = 512

// sniff names the format of a file whose start is p when it is one of the
// files people commonly mistake for a .safetensors file, and says what to
// do about it; it returns "" when p is none of them. Each magic number
// cites the format's own specification.
func sniff(p []byte) string {
	switch {
	case bytes.HasPrefix(p, []byte("version https://git-lfs.github.com/spec/")):
		// Git LFS pointer (git-lfs docs/spec.md): text lines "version ...",
		// "oid sha256:...", "size N".
		msg := "this is a Git LFS pointer file, not the weights"
		if n := lfsSize(p); n != "" {
			msg += " (the real file is " + n + " bytes)"
		}
		return msg + "; run `git lfs pull` in the repository to fetch the real file"
	case bytes.HasPrefix(p, []byte("PK\x03\x04")), bytes.HasPrefix(p, []byte("PK\x05\x06")):
		// ZIP local file header / end of central directory (APPNOTE.TXT
		// 4.3.7, 4.3.16); torch.save writes a zip since PyTorch 1.6.
		return "this is a zip archive (a PyTorch .bin/.pt checkpoint written by torch.save), not safetensors; convert it to safetensors first"
	case len(p) >= 2 && p[0] == 0x80 && p[1] >= 2 && p[1] <= 5:
		// Pickle PROTO opcode 0x80 followed by the protocol number (Python
		// Lib/pickletools.py).
		return "this is a Python pickle (protocol " + strconv.Itoa(int(p[1])) + ", e.g. a legacy PyTorch checkpoint), not safetensors"
	case bytes.HasPrefix(p, []byte("GGUF")):
		// GGUF magic (ggml docs/gguf.md).
		return "this is a GGUF file (llama.cpp), not safetensors"
	case bytes.HasPrefix(p, []byte{0x1f, 0x8b}):
		// gzip member header ID1 ID2 (RFC 1952 section 2.3.1).
		return "this is gzip-compressed data, not safetensors; decompress it first"
	case bytes.HasPrefix(p, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		// Zstandard frame magic (RFC 8878 section 3.1.1).
		return "this is zstd-compressed data, not safetensors; decompress it first"
	case bytes.HasPrefix(p, []byte("\x93NUMPY")):
		// NumPy .npy magic (numpy/lib/format.py).
		return "this is a NumPy .npy file, not safetensors"
	}
	t := bytes.TrimLeft(bytes.TrimPrefix(p, []byte("\xef\xbb\xbf")), " \t\r\n")
	lower := strings.ToLower(string(t[:min(len(t), 16)]))
	switch {
	case strings.HasPrefix(lower, "<!doctype"), strings.HasPrefix(lower, "<html"):
		return "this is an HTML page (an error or login page saved instead of the file?), not safetensors"
	case strings.HasPrefix(lower, "{"), strings.HasPrefix(lower, "["):
		return "this is JSON text (an index or config.json?), not a .safetensors file"
	}
	return ""
}

// lfsSize returns the digits of the "size N" line of a Git LFS pointer.
func lfsSize(p []byte) string {
	for _, line := range bytes.Split(p, []byte("\n")) {
		if n, ok := bytes.CutPrefix(line, []byte("size ")); ok {
			n = bytes.TrimSpace(n)
			if _, err := strconv.ParseUint(string(n), 10, 64); err == nil {
				return string(n)
			}
		}
	}
	return ""
}
