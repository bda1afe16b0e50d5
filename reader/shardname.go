package reader

import (
	"net/url"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"
)

// shardSuffix is the extension every shard of a safetensors index must have:
// the Hugging Face writer (huggingface_hub's split_torch_state_dict_into_shards
// with filename_pattern "model{suffix}.safetensors") only ever names
// .safetensors files, so anything else (the index itself, config.json, a
// pickle .bin) is a name an attacker or a broken tool chose.
const shardSuffix = ".safetensors"

// maxShardNameDecodes bounds repeated percent-decoding: a name still changing
// after this many rounds was built to confuse a decoder, not by a writer.
const maxShardNameDecodes = 8

// checkShardName refuses a shard name from an index that could leave the
// model folder or is not a safetensors file. It runs before anything is
// opened. index is the index file's name, used in the error.
//
// Every percent-decoded form of the name is checked, so "%252e%252e/x" (which
// a web server or a later tool may decode twice into "../x") is caught as
// well as "%2e%2e/x".
func checkShardName(index, name string) error {
	refuse := func(why string) error {
		return errorf(ErrUnsafePath, index, -1, "", "shard name %s: %s", quoteName(name), why)
	}
	if name == "" {
		return refuse("empty, want a file name such as model-00001-of-00002.safetensors")
	}
	forms := []string{name}
	for cur := name; ; {
		dec, err := url.PathUnescape(cur)
		if err != nil {
			return refuse("invalid percent-encoding")
		}
		if dec == cur {
			break
		}
		if len(forms) > maxShardNameDecodes {
			return refuse("still percent-encoded after many rounds of decoding")
		}
		forms = append(forms, dec)
		cur = dec
	}
	for _, s := range forms {
		if why := shardNameProblem(s); why != "" {
			if s != name {
				why += " once percent-decoded (" + quoteName(s) + ")"
			}
			return refuse(why)
		}
	}
	return nil
}

// shardNameProblem says what is wrong with one (decoded) form of a shard
// name, or "" when it is a plain relative path to a .safetensors file inside
// the folder.
func shardNameProblem(s string) string {
	if s == "" {
		return "empty"
	}
	if !utf8.ValidString(s) {
		return "not valid UTF-8"
	}
	for _, r := range s {
		// C0 and C1 controls and DEL: no writer produces them, and they
		// hide the name's real shape in terminals and logs.
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return "holds a control character"
		}
	}
	// Backslashes and colons are path separators or drive and stream
	// markers on Windows (C:\x, a\..\b, x:stream); a portable shard name
	// needs neither.
	if strings.ContainsRune(s, '\\') {
		return "holds a backslash"
	}
	if strings.ContainsRune(s, ':') {
		return "holds a colon"
	}
	if strings.HasPrefix(s, "/") {
		return "is an absolute path"
	}
	if !filepath.IsLocal(s) {
		return "leaves the model folder"
	}
	// Only the canonical spelling is accepted: "./a", "a//b", "a/../b"
	// and "sub/" all clean to something else.
	if path.Clean(s) != s {
		return "is not a clean relative path (want no \".\", \"..\", empty or trailing components)"
	}
	for _, part := range strings.Split(s, "/") {
		if part == ".." {
			return "leaves the model folder"
		}
	}
	if !strings.HasSuffix(s, shardSuffix) || len(path.Base(s)) <= len(shardSuffix) {
		return "is not a .safetensors file"
	}
	return ""
}

// quoteName quotes an untrusted name for an error message, escaping control
// characters and invalid UTF-8.
func quoteName(s string) string {
	const max = 200
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strconv.Quote(s)
}
