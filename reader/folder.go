package reader

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
)

// ErrAmbiguous: a model folder holds several indexes and none is
// model.safetensors.index.json, so which checkpoint to read is the user's
// choice.
var ErrAmbiguous = errors.New("ambiguous checkpoint")

// modelFileName is the single-file checkpoint name transformers'
// save_pretrained writes (SAFE_WEIGHTS_NAME in transformers/utils/__init__.py).
const modelFileName = "model.safetensors"

// modelDir is a model folder opened through os.Root, so that no name (from
// an index or a folder listing) and no symbolic link reaches outside it.
type modelDir struct {
	// dir is the folder as the user's path names it.
	dir string
	// root is the folder the os.Root is anchored at: dir itself, or for a
	// Hugging Face cache snapshot the repository folder above it.
	root *os.Root
	// prefix is dir relative to root ("" or "snapshots/<rev>/").
	prefix string
}

// openModelDir opens dir as a root. A Hugging Face cache snapshot
// (.../models--org--name/snapshots/<rev>/) holds symbolic links into the
// repository's blobs/ folder (../../blobs/<hash>), so there the root is the
// repository folder: links into blobs/ resolve, links leaving the
// repository are still refused.
func openModelDir(dir string) (*modelDir, error) {
	anchor, prefix := dir, ""
	if abs, err := filepath.Abs(dir); err == nil {
		snapshots := filepath.Dir(abs)
		repo := filepath.Dir(snapshots)
		if filepath.Base(snapshots) == "snapshots" && isHFCacheRepo(filepath.Base(repo)) {
			anchor, prefix = repo, "snapshots/"+filepath.Base(abs)+"/"
		}
	}
	root, err := os.OpenRoot(anchor)
	if err != nil {
		return nil, fileError(dir, "opening the model folder", err)
	}
	return &modelDir{dir: dir, root: root, prefix: prefix}, nil
}

// isHFCacheRepo reports whether a folder name is a Hugging Face cache
// repository ("models--org--name", "datasets--...", "spaces--...", the
// layout of huggingface_hub's file_download.py, repo_folder_name).
func isHFCacheRepo(name string) bool {
	for _, p := range []string{"models--", "datasets--", "spaces--"} {
		if strings.HasPrefix(name, p) && len(name) > len(p) {
			return true
		}
	}
	return false
}

// Close releases the root.
func (m *modelDir) Close() error { return m.root.Close() }

// stat describes name (relative to dir) through the root; ok is false when
// it does not exist.
func (m *modelDir) stat(name string) (fi fs.FileInfo, ok bool, err error) {
	fi, err = m.root.Stat(m.prefix + name)
	if err == nil {
		return fi, true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	return nil, false, rootError(name, err)
}

// open opens name (relative to dir) for reading through the root. It
// refuses anything but a regular file before opening it, and opens without
// blocking, so a FIFO or a device swapped in meanwhile cannot hang the read.
func (m *modelDir) open(name string) (*os.File, int64, error) {
	fi, ok, err := m.stat(name)
	if err != nil {
		return nil, 0, err
	}
	if !ok {
		return nil, 0, errorf(ErrMissing, name, -1, "", "no such file in %s", m.dir)
	}
	if err := wantRegular(name, fi); err != nil {
		return nil, 0, err
	}
	f, err := m.root.OpenFile(m.prefix+name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, 0, rootError(name, err)
	}
	return checkOpened(f, name)
}

// readSmall reads the whole of a small file (an index, config.json) after
// checking its size against max by stat, so a 300 MB index costs a stat,
// not a read.
func (m *modelDir) readSmall(name string, max int64, capName string) ([]byte, error) {
	f, size, err := m.open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readBounded(f, name, size, max, capName)
}

// readIndexFile returns the bytes of an index of the given size opened as
// f, mapped when the platform allows (release unmaps them; parse them only
// through parseIndexMapped), read otherwise, after checking size against
// max.
func readIndexFile(f *os.File, name string, size, max int64) (data []byte, release func(), err error) {
	if size > max {
		return nil, nil, errorf(ErrLimit, name, -1, "", "%d bytes, over the cap of %d (raise %s)", size, max, "MaxIndexBytes")
	}
	if data, unmap, ok := mapFile(f, size); ok {
		// Nothing parsed from the index refers to its bytes, so the
		// munmap (~0.5 ms for the DeepSeek-V3-scale bigckpt's 10 MB
		// index) runs while Open returns rather than before.
		return data, func() { go unmap() }, nil
	}
	data, err = readBounded(f, name, size, max, "MaxIndexBytes")
	return data, func() {}, err
}

// parseIndexMapped is parseIndex over bytes that may be a mapping of f:
// a fault while reading them (the file truncated meanwhile) becomes an
// error instead of a crash, and a file whose size changed while it was
// parsed is refused, as readBounded refuses one that grows while read.
func parseIndexMapped(f *os.File, data []byte, name string, lim Limits) (idx *Index, extra *indexExtra, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if _, fault := r.(interface{ Addr() uintptr }); !fault {
				panic(r)
			}
			idx, extra, err = nil, nil, errorf(ErrMalformed, name, -1, "", "changed (truncated) while being read")
		}
	}()
	idx, extra, err = parseIndex(data, name, lim)
	if err != nil {
		return nil, nil, err
	}
	if fi, serr := f.Stat(); serr != nil || fi.Size() != int64(len(data)) {
		return nil, nil, errorf(ErrLimit, name, -1, "", "changed size while being read (was %d bytes)", len(data))
	}
	return idx, extra, nil
}

// openPlain opens a path the user named directly (not through a root: the
// user chose it, links included), refusing non-regular files without
// blocking.
func openPlain(path string) (*os.File, int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, 0, fileError(path, "opening", err)
	}
	if err := wantRegular(path, fi); err != nil {
		return nil, 0, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, 0, fileError(path, "opening", err)
	}
	return checkOpened(f, path)
}

// checkOpened re-checks, on the opened descriptor, that it is a regular
// file (the name may have been swapped since the stat) and returns its
// size.
func checkOpened(f *os.File, name string) (*os.File, int64, error) {
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fileError(name, "stat", err)
	}
	if err := wantRegular(name, fi); err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, fi.Size(), nil
}

// readBounded reads the size bytes of f after checking size against max; a
// file that grows meanwhile is refused rather than read past what was
// checked.
func readBounded(f *os.File, name string, size, max int64, capName string) ([]byte, error) {
	if size > max {
		return nil, errorf(ErrLimit, name, -1, "", "%d bytes, over the cap of %d (raise %s)", size, max, capName)
	}
	// One buffer of the size stat gave, plus a byte to notice growth: no
	// doubling and copying while reading a 10 MB index.
	data := make([]byte, size+1)
	n, err := io.ReadFull(f, data)
	switch {
	case err == nil:
		return nil, errorf(ErrLimit, name, -1, "", "grew past its size of %d bytes while being read", size)
	case err != io.EOF && err != io.ErrUnexpectedEOF:
		return nil, fileError(name, "reading", err)
	}
	return data[:n], nil
}

// wantRegular refuses directories, FIFOs, sockets and devices: reading
// them would block or never end.
func wantRegular(name string, fi fs.FileInfo) error {
	mode := fi.Mode()
	if mode.IsRegular() {
		return nil
	}
	what := "not a regular file"
	switch {
	case mode.IsDir():
		what = "a directory"
	case mode&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case mode&fs.ModeSocket != 0:
		what = "a socket"
	case mode&fs.ModeDevice != 0:
		what = "a device"
	}
	return errorf(ErrNotSafetensors, name, -1, "", "is %s, want a regular file", what)
}

// rootError classifies an error from os.Root: a name or link leaving the
// folder is ErrUnsafePath, a missing file ErrMissing.
func rootError(name string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &Error{File: name, Offset: -1, Msg: "no such file", Err: ErrMissing}
	case strings.Contains(err.Error(), "escapes"):
		// os.Root's "path escapes from parent" has no exported sentinel.
		return &Error{File: name, Offset: -1, Msg: "leads out of the model folder (a symbolic link or a path escaping it)", Err: ErrUnsafePath}
	}
	return &Error{File: name, Offset: -1, Msg: "opening: " + unwrapPathError(err), Err: err}
}

// fileError wraps an error about a path the user named.
func fileError(name, step string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return &Error{File: name, Offset: -1, Msg: "no such file or folder", Err: ErrMissing}
	}
	return &Error{File: name, Offset: -1, Msg: step + ": " + unwrapPathError(err), Err: err}
}

// unwrapPathError drops the *fs.PathError's repetition of the path, which
// the *Error already names.
func unwrapPathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// folderPlan is what a folder resolves to.
type folderPlan struct {
	source Source
	index  string   // the index's name when source is SourceFolderIndex
	files  []string // the .safetensors names otherwise
	// listed are the folder's *.safetensors names, sorted, when source is
	// SourceFolderIndex: the shards the index most likely names, whose
	// headers Open starts reading while the index is parsed.
	listed []string
}

// planFolder decides what to read in a model folder: the index if there is
// one (model.safetensors.index.json among several), else model.safetensors,
// else every *.safetensors sorted by name.
func planFolder(m *modelDir) (*folderPlan, error) {
	d, err := m.root.Open(strings.TrimSuffix(m.prefix, "/") + dotIfEmpty(m.prefix))
	if err != nil {
		return nil, fileError(m.dir, "opening the model folder", err)
	}
	// Names only: in a folder opened through os.Root, ReadDir lstats every
	// entry (os.newUnixDirent), one system call per shard before any shard
	// can be read. Only the names whose kind matters are stat'ed below.
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, fileError(m.dir, "listing the model folder", err)
	}
	var indexes, weights []string
	for _, n := range names {
		switch {
		case strings.HasSuffix(n, IndexSuffix):
			indexes = append(indexes, n)
		case strings.HasSuffix(n, shardSuffix):
			weights = append(weights, n)
		}
	}
	// Folders are not files to read, whatever their name.
	if indexes, err = m.dropFolders(indexes); err != nil {
		return nil, err
	}
	if len(indexes) == 0 {
		// Without an index the weights are what is read. With one they
		// are only read ahead, and a folder among them then fails that
		// read exactly as it fails the read of a shard the index names,
		// and is dropped unseen otherwise.
		if weights, err = m.dropFolders(weights); err != nil {
			return nil, err
		}
	}
	sort.Strings(indexes)
	sort.Strings(weights)
	switch {
	case len(indexes) == 1:
		return &folderPlan{source: SourceFolderIndex, index: indexes[0], listed: weights}, nil
	case len(indexes) > 1:
		for _, n := range indexes {
			if n == DefaultIndexName {
				return &folderPlan{source: SourceFolderIndex, index: n, listed: weights}, nil
			}
		}
		return nil, errorf(ErrAmbiguous, m.dir, -1, "", "%d indexes and none is %s: %s; name the one to read", len(indexes), DefaultIndexName, quoteList(indexes))
	}
	for _, n := range weights {
		if n == modelFileName {
			return &folderPlan{source: SourceFolderFile, files: []string{n}}, nil
		}
	}
	if len(weights) == 0 {
		return nil, errorf(ErrMissing, m.dir, -1, "", "no *%s and no *%s in the folder", shardSuffix, IndexSuffix)
	}
	return &folderPlan{source: SourceFolderGlob, files: weights}, nil
}

// dropFolders returns names without those that are folders (by lstat,
// through the root, as ReadDir judges an entry) or that vanished since
// the listing.
func (m *modelDir) dropFolders(names []string) ([]string, error) {
	kept := names[:0]
	for _, n := range names {
		fi, err := m.root.Lstat(m.prefix + n)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return nil, fileError(m.dir, "listing the model folder", err)
		case fi.IsDir():
			continue
		}
		kept = append(kept, n)
	}
	return kept, nil
}

// dotIfEmpty names the root folder itself when there is no prefix.
func dotIfEmpty(prefix string) string {
	if prefix == "" {
		return "."
	}
	return ""
}

// quoteList quotes names for a message, at most a handful of them.
func quoteList(names []string) string {
	const show = 5
	var b strings.Builder
	for i, n := range names {
		if i == show {
			fmt.Fprintf(&b, ", and %d more", len(names)-show)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteName(n))
	}
	return b.String()
}
