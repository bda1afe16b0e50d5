package reader

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Open resolves path (a .safetensors file, a *.safetensors.index.json, or a
// model folder) and reads every header of the checkpoint, shards in
// parallel with bounded concurrency, plus config.json beside the weights.
//
// A folder is read through its index if it has one
// (model.safetensors.index.json when there are several), else through
// model.safetensors, else through every *.safetensors in it sorted by name.
// Shard names from an index are checked before any file is opened by such
// a name (a folder's own *.safetensors, listed from the folder, are read
// while its index is parsed, and count only once the index names them),
// and every file in a folder is opened through os.Root, so neither a name
// nor a symbolic link can reach outside the folder (in a Hugging Face cache
// snapshot, the repository folder holding its blobs). Any other *.json path
// is read as an index. A path that is a FIFO, a device or a socket is
// refused without being opened. config.json beside the weights is read
// when present (Checkpoint.Config is nil otherwise); a malformed or
// oversized one is an error naming it.
//
// Errors are *Error values wrapping ErrMissing, ErrUnsafePath,
// ErrMalformed, ErrLimit, ErrNotSafetensors or ErrAmbiguous; when several
// shards are broken, the error is the first broken shard's in shard order.
func Open(ctx context.Context, path string, lim Limits) (*Checkpoint, error) {
	lim = effectiveLimits(lim)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fileError(path, "opening", err)
	}
	ck := &Checkpoint{Path: path}
	if fi.IsDir() {
		ck.Dir = path
		return openFolder(ctx, ck, lim)
	}
	if err := wantRegular(path, fi); err != nil {
		return nil, err
	}
	ck.Dir = filepath.Dir(path)
	if filepath.Base(path) == ConfigName {
		return nil, errorf(ErrNotSafetensors, path, -1, "", "is the model's configuration, not its weights; name the folder, an index or a .safetensors file")
	}
	if strings.HasSuffix(path, ".json") {
		return openIndexPath(ctx, ck, lim)
	}
	return openSingle(ck, lim)
}

// ParseIndex parses and validates a *.safetensors.index.json: one JSON
// object, no duplicate keys anywhere, a weight_map object of tensor name to
// shard name (every shard name safe to open, at most lim.MaxShards of
// them), and metadata.total_size absent, null or an integer. name is used in
// errors.
func ParseIndex(data []byte, name string, lim Limits) (*Index, error) {
	idx, extra, err := parseIndex(data, name, lim)
	if err != nil {
		return nil, err
	}
	if extra.buildMap != nil {
		if err := extra.buildMap(); err != nil {
			return nil, err
		}
	}
	return idx, nil
}

// ParseConfig parses config.json strictly into raw facts: one JSON object,
// no duplicate names, valid UTF-8, bounded nesting, numbers kept as their
// exact text (Number). name is used in errors.
func ParseConfig(data []byte, name string, lim Limits) (*Config, error) {
	return parseConfig(data, name, lim)
}

// effectiveLimits fills the zero (or negative) fields of lim from
// DefaultLimits, as the Limits doc promises.
func effectiveLimits(lim Limits) Limits {
	d := DefaultLimits()
	if lim.MaxHeaderBytes == 0 {
		lim.MaxHeaderBytes = d.MaxHeaderBytes
	}
	if lim.MaxTensors <= 0 {
		lim.MaxTensors = d.MaxTensors
	}
	if lim.MaxRank <= 0 {
		lim.MaxRank = d.MaxRank
	}
	if lim.MaxNameBytes <= 0 {
		lim.MaxNameBytes = d.MaxNameBytes
	}
	if lim.MaxMetadataBytes <= 0 {
		lim.MaxMetadataBytes = d.MaxMetadataBytes
	}
	if lim.MaxIndexBytes <= 0 {
		lim.MaxIndexBytes = d.MaxIndexBytes
	}
	if lim.MaxShards <= 0 {
		lim.MaxShards = d.MaxShards
	}
	if lim.MaxConfigBytes <= 0 {
		lim.MaxConfigBytes = d.MaxConfigBytes
	}
	if lim.Concurrency <= 0 {
		// Header reads are small and mostly wait on the file system, so
		// more readers than cores help; at least 4 even on one core.
		lim.Concurrency = max(2*runtime.GOMAXPROCS(0), 4)
	}
	return lim
}

// openSingle reads a .safetensors file the user named directly, and the
// config.json beside it.
func openSingle(ck *Checkpoint, lim Limits) (*Checkpoint, error) {
	h, err := OpenFile(ck.Path, lim)
	if err != nil {
		return nil, err
	}
	base := filepath.Base(ck.Path)
	setTensorFile(h, base)
	ck.Source = SourceFile
	ck.Chosen = base + " (file)"
	if err := readConfigBeside(ck, lim); err != nil {
		return nil, err
	}
	return finish(ck, []*Header{h}, nil, nil), nil
}

// openIndexPath reads an index the user named directly, its shards through
// the index's folder, and config.json.
func openIndexPath(ctx context.Context, ck *Checkpoint, lim Limits) (*Checkpoint, error) {
	f, size, err := openPlain(ck.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, release, err := readIndexFile(f, ck.Path, size, lim.MaxIndexBytes)
	if err != nil {
		return nil, err
	}
	defer release()
	m, err := openModelDir(ck.Dir)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	ck.Source = SourceIndex
	return openIndexed(ctx, ck, m, f, data, filepath.Base(ck.Path), lim, nil)
}

// openFolder reads a model folder according to planFolder.
func openFolder(ctx context.Context, ck *Checkpoint, lim Limits) (*Checkpoint, error) {
	m, err := openModelDir(ck.Dir)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	plan, err := planFolder(m)
	if err != nil {
		return nil, err
	}
	ck.Source = plan.source
	if plan.source == SourceFolderIndex {
		// The shards are read while the index is parsed: a writer's index
		// names the folder's *.safetensors files, so the listed ones are
		// read at once (through the root, like any file of the folder) and
		// matched with the index's names afterwards. Nothing is decided
		// from them before the index is valid: a broken index, config.json
		// or shard name still fails first, and a listed file the index
		// does not name is dropped unseen, errors included. A folder
		// listing more files than an index may name is not read ahead.
		var ahead *shardReads
		if len(plan.listed) <= lim.MaxShards {
			ahead = startShardReads(ctx, m, plan.listed, lim, false)
			// Before m.Close (deferred earlier, so run later).
			defer ahead.stop()
		}
		f, size, err := m.open(plan.index)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		data, release, err := readIndexFile(f, plan.index, size, lim.MaxIndexBytes)
		if err != nil {
			return nil, err
		}
		defer release()
		return openIndexed(ctx, ck, m, f, data, plan.index, lim, ahead)
	}
	if plan.source == SourceFolderFile {
		ck.Chosen = plan.files[0] + " (file)"
	} else {
		ck.Chosen = fmt.Sprintf("%d *%s files (no index)", len(plan.files), shardSuffix)
		if len(plan.files) == 1 {
			ck.Chosen = plan.files[0] + " (the folder's only " + shardSuffix + " file)"
		}
	}
	// Config first: a malformed config.json is reported before any shard
	// is read, whatever the shards hold.
	if err := readConfigIn(ck, m, lim); err != nil {
		return nil, err
	}
	headers, slab, err := readShards(ctx, m, plan.files, lim)
	if err != nil {
		return nil, err
	}
	if len(headers) > 1 {
		if err := checkNoDuplicates(headers); err != nil {
			return nil, err
		}
	}
	return finish(ck, headers, nil, slab), nil
}

// openIndexed parses the index (data, the bytes of f), reads config.json
// and every shard, and checks the shards against the weight map. ahead, when not nil, holds
// reads of the folder's listed shards started before the index was parsed;
// the shards it did not read are read here.
func openIndexed(ctx context.Context, ck *Checkpoint, m *modelDir, f *os.File, data []byte, indexName string, lim Limits, ahead *shardReads) (*Checkpoint, error) {
	idx, extra, err := parseIndexMapped(f, data, indexName, lim)
	if err != nil {
		return nil, err
	}
	ck.Index = idx
	ck.Chosen = fmt.Sprintf("%s (index, %d shards)", indexName, len(idx.Shards))
	if len(idx.Shards) == 1 {
		ck.Chosen = indexName + " (index, 1 shard)"
	}
	if err := readConfigIn(ck, m, lim); err != nil {
		return nil, err
	}
	// Shard order is name order (model-00001-of-00003 first), not the
	// index's: writers sort weight_map by tensor name, so its first entry
	// ("lm_head.weight") often names the last shard.
	order := make([]int, len(idx.Shards))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(idx.Shards[a], idx.Shards[b]) })
	files := make([]string, len(order))
	expected := make([]int, len(order))
	for i, k := range order {
		files[i] = idx.Shards[k]
		expected[i] = extra.perShard[k]
	}
	headers := make([]*Header, len(files))
	errs := make([]error, len(files))
	var rest []string
	var restAt []int
	var slab []Tensor
	if ahead != nil {
		ahead.wait()
		slab = ahead.slab
	}
	for i, f := range files {
		if ahead != nil {
			if j, ok := slices.BinarySearch(ahead.names, f); ok {
				headers[i], errs[i] = ahead.headers[j], ahead.errs[j]
				continue
			}
		}
		rest = append(rest, f)
		restAt = append(restAt, i)
	}
	if len(rest) > 0 {
		r := startShardReads(ctx, m, rest, lim, true)
		r.wait()
		if len(rest) == len(files) {
			slab = r.slab
		}
		for j, i := range restAt {
			headers[i], errs[i] = r.headers[j], r.errs[j]
		}
	}
	// The first broken shard in shard order, however the reads were
	// scheduled; a read skipped after a failure (nil, nil) always comes
	// after the failure that caused the skip.
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	results := make([]shardCheck, len(files))
	for i, h := range headers {
		if fingerprintMatches(h, expected[i], extra.sums[order[i]]) {
			results[i] = shardCheck{matched: expected[i]}
			continue
		}
		// The exact check needs the weight map, which a fast parse
		// leaves unbuilt until a shard first needs it.
		if extra.buildMap != nil {
			if err := extra.buildMap(); err != nil {
				return nil, err
			}
			extra.buildMap = nil
		}
		results[i] = checkShardAgainstIndex(idx.WeightMap, files[i], h)
	}
	warns, err := reconcileIndex(idx, files, expected, headers, results)
	if err != nil {
		return nil, err
	}
	return finish(ck, headers, warns, slab), nil
}

// readConfigBeside reads config.json in the folder of a file the user
// named directly.
func readConfigBeside(ck *Checkpoint, lim Limits) error {
	m, err := openModelDir(ck.Dir)
	if err != nil {
		return err
	}
	defer m.Close()
	return readConfigIn(ck, m, lim)
}

// readConfigIn reads config.json in the model folder into ck.Config; an
// absent config.json leaves it nil.
func readConfigIn(ck *Checkpoint, m *modelDir, lim Limits) error {
	_, ok, err := m.stat(ConfigName)
	if err != nil {
		return err
	}
	if !ok {
		return nil
	}
	path := filepath.Join(ck.Dir, ConfigName)
	data, err := m.readSmall(ConfigName, lim.MaxConfigBytes, "MaxConfigBytes")
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.File = path
		}
		return err
	}
	cfg, err := parseConfig(data, path, lim)
	if err != nil {
		return err
	}
	ck.Config = cfg
	return nil
}

// readShards reads the headers of names (relative to the folder) with at
// most lim.Concurrency reads at once and returns them in the order of
// names, with the one slice their tensors were parsed into (see
// startShardReads). The error is always the first broken shard's in the
// order of names, however the reads were scheduled.
func readShards(ctx context.Context, m *modelDir, names []string, lim Limits) ([]*Header, []Tensor, error) {
	r := startShardReads(ctx, m, names, lim, true)
	r.wait()
	for _, err := range r.errs {
		if err != nil {
			return nil, nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	return r.headers, r.slab, nil
}

// shardReads are header reads running in the background, at most
// lim.Concurrency at once; headers[i] or errs[i] is the result for
// names[i] once wait has returned.
//
// They run in two rounds: every header's bytes are read (and the file
// closed), then every header is parsed into its own stretch of slab, one
// slice sized from all the headers' tensor estimates, so that for
// well-formed files the checkpoint's tensor list is that slice and no
// tensor is copied after parsing.
type shardReads struct {
	names   []string
	headers []*Header
	errs    []error
	slab    []Tensor
	cancel  context.CancelFunc
	done    chan struct{}
}

// startShardReads starts reading the headers of names. With stopAtBad,
// when a shard fails, shards after it in order are skipped (left nil, nil)
// while shards before it still finish, so the first error in order is the
// first broken shard's; without it every name is read, for reads ahead of
// knowing which names matter.
func startShardReads(ctx context.Context, m *modelDir, names []string, lim Limits, stopAtBad bool) *shardReads {
	ctx, cancel := context.WithCancel(ctx)
	r := &shardReads{
		names:   names,
		headers: make([]*Header, len(names)),
		errs:    make([]error, len(names)),
		cancel:  cancel,
		done:    make(chan struct{}),
	}
	hlim := effectiveLimits(lim)
	raw := make([]*headerBytes, len(names))
	var firstBad atomic.Int64
	firstBad.Store(int64(len(names)))
	fail := func(i int, err error) {
		r.errs[i] = err
		markBad(&firstBad, i)
	}
	// round runs do(i) for every name not skipped, on at most
	// lim.Concurrency goroutines.
	round := func(workers int, do func(i int)) {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range min(workers, len(names)) {
			wg.Go(func() {
				for {
					i := int(next.Add(1) - 1)
					if i >= len(names) {
						return
					}
					if stopAtBad && int64(i) > firstBad.Load() {
						continue
					}
					do(i)
				}
			})
		}
		wg.Wait()
	}
	go func() {
		// Every header mapped into the region is unmapped at once, after
		// the last parse (names copied out), and after done is closed:
		// nothing refers to the region by then, and the munmap (~0.8 ms
		// for the DeepSeek-V3-scale bigckpt's 11.9 MB of headers) runs
		// while the caller goes on.
		region := newMapRegion()
		defer region.release()
		defer close(r.done)
		round(lim.Concurrency, func(i int) {
			if err := ctx.Err(); err != nil {
				fail(i, err)
				return
			}
			hb, err := readShardBytes(m, names[i], hlim, region)
			if err != nil {
				fail(i, err)
				return
			}
			raw[i] = hb
		})
		total := 0
		offs := make([]int, len(names))
		for i, hb := range raw {
			offs[i] = total
			if hb != nil {
				total += hb.est
			}
		}
		r.slab = make([]Tensor, total)
		adviseHuge(r.slab)
		touchPages(r.slab)
		// The names and __metadata__ strings of the mapped headers are
		// copied side by side into one area, whose whole 2 MiB pages can
		// be huge (~1,060 fewer page faults for the DeepSeek-V3-scale
		// bigckpt's 4.8 MB of names than one buffer per header). Every
		// tensor entry holds at least minEntryBytes-2 bytes besides its
		// name, so a header of est tensors keeps at most that many fewer
		// than its length; a header whose estimate overcounts (a '[' in
		// a name) may not fit, and then gets a buffer of its own.
		bound := 0
		for _, hb := range raw {
			if hb != nil && hb.mapped {
				bound += max(len(hb.buf)-(minEntryBytes-2)*hb.est, 0)
				// The shape arena (see parseHeaderText), aligned.
				bound += (2*hb.est+arenaRoom+1)*8 - 1
			}
		}
		area := newNameArea(bound)
		for _, hb := range raw {
			if hb != nil {
				hb.names = area
			}
		}
		// Parsing only computes: more goroutines than processors would
		// only be preempted in turn.
		round(min(lim.Concurrency, runtime.GOMAXPROCS(0)), func(i int) {
			hb := raw[i]
			if hb == nil || r.errs[i] != nil {
				return
			}
			// A read header's bytes can go once parsed; a mapped one's
			// are released after the round, all at once (see mapRegion).
			if !hb.mapped {
				raw[i] = nil
			}
			if err := ctx.Err(); err != nil {
				fail(i, err)
				return
			}
			h, err := parseShard(m, names[i], hb, hlim, r.slab[offs[i]:offs[i]:offs[i]+hb.est])
			if err != nil {
				fail(i, err)
				return
			}
			setTensorFile(h, names[i])
			r.headers[i] = h
		})
		// Headers mapped on their own (the region was full or refused
		// them) are unmapped here, parsed or skipped after a failure;
		// the region goes with the rest once done is closed.
		for i, hb := range raw {
			if hb != nil {
				hb.unmap()
				raw[i] = nil
			}
		}
	}()
	return r
}

// wait waits for every read to finish.
func (r *shardReads) wait() {
	<-r.done
	r.cancel()
}

// stop abandons the reads not yet started and waits for the others, so no
// file is still open when the folder's root is closed.
func (r *shardReads) stop() {
	r.cancel()
	<-r.done
}

// markBad lowers firstBad to i.
func markBad(firstBad *atomic.Int64, i int) {
	for {
		cur := firstBad.Load()
		if int64(i) >= cur || firstBad.CompareAndSwap(cur, int64(i)) {
			return
		}
	}
}

// parseShard parses the header hb of the shard name into dst (see
// headerBytes.parse). A mapped header is read under guardFault: should the
// file have been truncated since it was mapped, it is read again the plain
// way, which reports what is missing exactly as a read would have (or
// parses what is there now).
func parseShard(m *modelDir, name string, hb *headerBytes, lim Limits, dst []Tensor) (*Header, error) {
	var h *Header
	var perr *Error
	if !hb.mapped {
		h, perr = hb.parse(lim, dst)
	} else if guardFault(func() { h, perr = hb.parse(lim, dst) }) {
		hb.unmap()
		again, err := readShardBytes(m, name, lim, nil)
		if err != nil {
			return nil, err
		}
		h, perr = again.parse(lim, dst)
	}
	// parse returns *Error; a nil one must not become a non-nil error.
	if perr != nil {
		return nil, perr
	}
	return h, nil
}

// readShardBytes opens one file of the folder through the root, reads its
// header's bytes (maps them, into region where possible, when region is
// not nil: see mapHeaderBytes) and closes it. A mapping outlives the
// file's descriptor.
func readShardBytes(m *modelDir, name string, lim Limits, region *mapRegion) (*headerBytes, error) {
	f, size, err := m.open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if region != nil {
		return mapHeaderBytes(f, size, name, lim, region)
	}
	return readHeaderBytes(f, size, name, lim)
}

// setTensorFile names the file every tensor of h lives in, relative to the
// checkpoint's folder.
func setTensorFile(h *Header, name string) {
	for i := range h.Tensors {
		h.Tensors[i].File = name
	}
}

// finish gathers the headers' tensors and warnings into ck. slab, when
// not nil, is the slice the headers were parsed into: when their tensors
// lie in it back to back in order, it becomes the checkpoint's list as is;
// otherwise the tensors are copied into a new one.
func finish(ck *Checkpoint, headers []*Header, own []Warning, slab []Tensor) *Checkpoint {
	n, w := 0, len(own)
	for _, h := range headers {
		n += len(h.Tensors)
		w += len(h.Warnings)
	}
	ck.Files = headers
	if n > 0 && inOrder(headers, slab) {
		ck.Tensors = slab[:n:n]
	} else {
		ck.Tensors = make([]Tensor, 0, n)
		for _, h := range headers {
			ck.Tensors = append(ck.Tensors, h.Tensors...)
		}
	}
	ck.Warnings = make([]Warning, 0, w)
	from := 0
	for _, h := range headers {
		// The header's tensors become a view of the checkpoint's (capacity
		// clipped so an append cannot spill into the next file's), so the
		// 92,000 tensors of a DeepSeek-V3-sized checkpoint are held once.
		to := from + len(h.Tensors)
		h.Tensors = ck.Tensors[from:to:to]
		from = to
		ck.Warnings = append(ck.Warnings, h.Warnings...)
	}
	ck.Warnings = append(ck.Warnings, own...)
	if len(ck.Warnings) == 0 {
		ck.Warnings = nil
	}
	return ck
}

// inOrder reports whether the headers' tensors are slab's first elements,
// file after file with no gap.
func inOrder(headers []*Header, slab []Tensor) bool {
	at := 0
	for _, h := range headers {
		if len(h.Tensors) == 0 {
			continue
		}
		if at+len(h.Tensors) > len(slab) || &h.Tensors[0] != &slab[at] {
			return false
		}
		at += len(h.Tensors)
	}
	return true
}

// checkNoDuplicates refuses a folder of several files without an index
// where one tensor name is in two files: which one a loader keeps depends
// on the loader.
func checkNoDuplicates(headers []*Header) error {
	seen := make(map[string]int)
	for i, h := range headers {
		for _, t := range h.Tensors {
			if j, ok := seen[t.Name]; ok {
				return errorf(ErrMalformed, h.File, -1, t.Name, "also in %s: a tensor must be in one file only", quoteName(headers[j].File))
			}
			seen[t.Name] = i
		}
	}
	return nil
}

// maxNamesShown bounds how many tensor names a warning lists.
const maxNamesShown = 3

// shardCheck is what one shard's header says about the weight map,
// computed in the goroutine that read it.
type shardCheck struct {
	// matched counts tensors the index maps to this shard.
	matched int
	// elsewhere are tensors the index maps to another shard.
	elsewhere []string
	// unmapped are tensors the index does not map at all.
	unmapped []string
}

// fingerprintMatches reports whether h's tensor names are, with
// overwhelming probability, exactly the names the index maps to its shard:
// same count and same sum of seeded 64-bit hashes (Header.nameSum, computed
// while the header was parsed). The seed is random per process, so an input
// cannot be built to collide; a different name set passes with probability
// about 2^-64. It replaces a map lookup per tensor (a cache miss each in a
// 90,000-entry map); any mismatch falls back to checkShardAgainstIndex,
// which names the culprits exactly.
func fingerprintMatches(h *Header, count int, sum uint64) bool {
	return len(h.Tensors) == count && h.nameSum == sum
}

// checkShardAgainstIndex compares one shard's tensors with the weight map.
// Shard names in the map are interned, but comparing strings is exact either
// way.
func checkShardAgainstIndex(wm map[string]string, shard string, h *Header) shardCheck {
	var c shardCheck
	for i := range h.Tensors {
		name := h.Tensors[i].Name
		s, ok := wm[name]
		switch {
		case !ok:
			c.unmapped = append(c.unmapped, name)
		case s == shard:
			c.matched++
		default:
			c.elsewhere = append(c.elsewhere, name)
		}
	}
	return c
}

// reconcileIndex turns the per-shard checks (files, expected counts,
// headers and results all in shard order) into the checkpoint's errors
// and warnings: a tensor in two shards and a mapped tensor absent from its
// shard are errors; unmapped tensors and a wrong total_size are warnings.
func reconcileIndex(idx *Index, files []string, expected []int, headers []*Header, results []shardCheck) ([]Warning, error) {
	shardPos := make(map[string]int, len(files))
	for i, s := range files {
		shardPos[s] = i
	}
	// Lazily built name sets, only for shards an error path looks into.
	sets := make(map[int]map[string]bool)
	has := func(i int, name string) bool {
		set, ok := sets[i]
		if !ok {
			set = make(map[string]bool, len(headers[i].Tensors))
			for _, t := range headers[i].Tensors {
				set[t.Name] = true
			}
			sets[i] = set
		}
		return set[name]
	}
	// A tensor found in a shard the index does not map it to: either the
	// mapped shard has it too (one tensor in two shards) or the mapped shard
	// lacks it.
	for j, r := range results {
		for _, name := range r.elsewhere {
			k := shardPos[idx.WeightMap[name]]
			if has(k, name) {
				a, b := min(j, k), max(j, k)
				return nil, errorf(ErrMalformed, idx.File, -1, name, "in two shards, %s and %s: a tensor must be in one shard only", quoteName(files[a]), quoteName(files[b]))
			}
			return nil, errorf(ErrMissing, files[k], -1, name, "mapped to this shard by %s but absent from it (it is in %s)", idx.File, quoteName(files[j]))
		}
	}
	for i, r := range results {
		if r.matched == expected[i] {
			continue
		}
		var missing []string
		for name, s := range idx.WeightMap {
			if s == files[i] && !has(i, name) {
				missing = append(missing, name)
			}
		}
		sort.Strings(missing)
		msg := fmt.Sprintf("mapped to this shard by %s but absent from it", idx.File)
		if len(missing) > 1 {
			msg += fmt.Sprintf(" (and %d more tensors)", len(missing)-1)
		}
		return nil, &Error{File: files[i], Offset: -1, Tensor: missing[0], Msg: msg, Err: ErrMissing}
	}
	var warns []Warning
	// Unmapped tensors: not in the weight map, so not in any other shard's
	// mapped set; a name unmapped in two shards is still a duplicate.
	unmappedIn := make(map[string]int)
	var shown []string
	total := 0
	for i, r := range results {
		for _, name := range r.unmapped {
			if j, ok := unmappedIn[name]; ok {
				return nil, errorf(ErrMalformed, idx.File, -1, name, "in two shards, %s and %s, and not in the weight_map", quoteName(files[j]), quoteName(files[i]))
			}
			unmappedIn[name] = i
			total++
			if len(shown) < maxNamesShown {
				shown = append(shown, fmt.Sprintf("%s in %s", quoteName(name), quoteName(files[i])))
			}
		}
	}
	if total > 0 {
		msg := fmt.Sprintf("%d tensors in the shards are not in the weight_map (a loader following the index ignores them): %s", total, strings.Join(shown, ", "))
		if total > len(shown) {
			msg += ", ..."
		}
		warns = append(warns, Warning{Code: "unmapped_tensor", File: idx.File, Message: msg})
	}
	if idx.HasTotalSize {
		// checkLayout has proved each header's tensors tile its data
		// section from 0 with no hole or overlap, so their sizes add up
		// to its DataLen exactly: no pass over the 92,000 rows (7.4 MB,
		// out of cache by now) on the way out of Open.
		var sum uint64
		for _, h := range headers {
			sum += h.DataLen
		}
		if sum != idx.TotalSize {
			warns = append(warns, Warning{
				Code:    "total_size_mismatch",
				File:    idx.File,
				Message: fmt.Sprintf("metadata.total_size is %d bytes but the shards' tensors hold %d bytes", idx.TotalSize, sum),
			})
		}
	}
	return warns, nil
}

// pageBytes is the smallest page size of the platforms Go runs on (4 KiB
// on linux/amd64 and arm64 by default); touching one value per pageBytes
// touches every page at least once whatever the real size.
const pageBytes = 4096

// touchPages writes one field in every page of a freshly allocated slab
// before it is filled. A large allocation from new memory is left
// untouched by the runtime, and if a garbage collection starts while the
// parsers fill it, the collector scans the slab first: each page is then
// read before it is written, so the kernel maps the shared zero page and
// must replace it (copy-on-write plus a TLB shootdown across the process's
// threads) at the parser's first write. Writing first costs one plain page
// fault per page instead (perf on the DeepSeek-V3-scale bigckpt: ~20% of
// the run's CPU was that shootdown path in parseHeaderJSON).
func touchPages(s []Tensor) {
	step := max(1, pageBytes/int(unsafe.Sizeof(Tensor{})))
	touch := func(s []Tensor) {
		for i := 0; i < len(s); i += step {
			s[i].Begin = 0
		}
	}
	if len(s) < touchSplit {
		touch(s)
		return
	}
	// Both cores are free between the read and parse rounds: each takes
	// the faults of one half (disjoint rows, so no write is shared).
	half := len(s) / 2
	var wg sync.WaitGroup
	wg.Go(func() { touch(s[:half]) })
	touch(s[half:])
	wg.Wait()
}

// touchSplit is the slab length from which touchPages works on two
// goroutines (~2.5 MB of rows).
const touchSplit = 32768
