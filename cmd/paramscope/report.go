package main

import (
	"math"
	"math/big"
	"path"
	"slices"

	"github.com/dustin/go-humanize"

	"github.com/paramscope/paramscope/analysis"
	"github.com/paramscope/paramscope/analysis/findings"
	"github.com/paramscope/paramscope/analysis/quant"
	"github.com/paramscope/paramscope/reader"
)

// The inspect report is a contract (STYLE.md §2): schema_version, raw
// integers, snake_case keys, warnings and findings inside the document. The
// renderers in render_inspect.go only format it.

// inspectReport is the whole output of one inspect invocation: one document
// holding every checkpoint that was read and every path that was not.
type inspectReport struct {
	SchemaVersion int                 `json:"schema_version"`
	Command       string              `json:"command"`
	Checkpoints   []*checkpointReport `json:"checkpoints"`
	// Errors are the paths that could not be read, in the order given.
	Errors []pathError `json:"errors,omitempty"`
	// ListTensors is true when --tensors or --filter asked for tensor rows.
	ListTensors bool `json:"-"`
	// Filter is the --filter glob, "" for none.
	Filter string `json:"filter,omitempty"`
}

// pathError is a path inspect could not read.
type pathError struct {
	Path  string `json:"path"`
	Error string `json:"error"`
}

// checkpointReport is what inspect says about one checkpoint.
type checkpointReport struct {
	// Path is what the user named.
	Path string `json:"path"`
	// Source and Chosen say how Path was resolved (reader.Checkpoint).
	Source string `json:"source"`
	Chosen string `json:"chosen"`
	// Shards is the number of files read.
	Shards int `json:"shards"`
	// Files are the files read, in shard order.
	Files []fileReport `json:"files"`
	// Index summarises the *.safetensors.index.json, when there is one.
	Index *indexReport `json:"index,omitempty"`
	// HeaderBytes is the sum over files of 8 + N: all that was read.
	HeaderBytes uint64 `json:"header_bytes"`
	// DataBytes is the sum of the data sections the headers claim.
	DataBytes uint64 `json:"data_bytes"`
	// Stub is true when any file is header-only; Status says it for people.
	Stub   bool   `json:"stub"`
	Status string `json:"status"`
	// Metadata is __metadata__ when every file has the same one (the usual
	// case for shards); otherwise nil and each file carries its own.
	Metadata []metadataEntry `json:"metadata"`
	// Config is config.json's path, "" when absent.
	Config string `json:"config,omitempty"`

	TensorCount   int          `json:"tensor_count"`
	DTypes        []dtypeRow   `json:"dtypes"`
	TotalElements uint64       `json:"total_elements"`
	TotalBytes    uint64       `json:"total_bytes"`
	Totals        quant.Totals `json:"totals"`
	// Quantization says how quantized parameters are packed and what one
	// parameter really costs; absent when nothing is quantized.
	Quantization *quantReport `json:"quantization,omitempty"`

	Architecture *analysis.Architecture `json:"architecture,omitempty"`
	Formula      *formulaHeadline       `json:"formula,omitempty"`

	Findings []findings.Finding `json:"findings"`
	Warnings []warningReport    `json:"warnings"`

	// Tensors is filled only with --tensors or --filter.
	Tensors []tensorRow `json:"tensors,omitempty"`
}

// fileReport is one file of a checkpoint.
type fileReport struct {
	Name        string          `json:"name"`
	HeaderBytes uint64          `json:"header_bytes"` // 8 + N
	DataBytes   uint64          `json:"data_bytes"`
	FileSize    uint64          `json:"file_size"`
	Stub        bool            `json:"stub"`
	Tensors     int             `json:"tensors"`
	Metadata    []metadataEntry `json:"metadata,omitempty"`
}

// indexReport is the part of an index worth showing.
type indexReport struct {
	File         string          `json:"file"`
	Entries      int             `json:"weight_map_entries"`
	Shards       int             `json:"shards"`
	TotalSize    uint64          `json:"total_size"`
	HasTotalSize bool            `json:"has_total_size"`
	Metadata     []metadataEntry `json:"metadata,omitempty"`
}

// metadataEntry is one __metadata__ key.
type metadataEntry struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// dtypeRow sums the tensors of one dtype, with the four quantities of
// quant.Totals kept apart: stored elements and bytes of all of them, the
// logical parameters of the parameter tensors, and the side tensors and
// buffers on their own.
type dtypeRow struct {
	DType          string `json:"dtype"`
	Tensors        int    `json:"tensors"`
	Elements       uint64 `json:"elements"`
	Bytes          uint64 `json:"bytes"`
	LogicalParams  uint64 `json:"logical_parameters"`
	SideTensors    int    `json:"side_tensors"`
	SideElements   uint64 `json:"side_elements"`
	BufferTensors  int    `json:"buffer_tensors"`
	BufferElements uint64 `json:"buffer_elements"`
}

// formulaHeadline is the headline of analysis.FormulaReport: the article's
// 12lh² + 13lh + Vh with the inferred l, h, V against the logical parameter
// count. The term table and the per-tensor diff are the formula command's.
type formulaHeadline struct {
	L        uint64 `json:"l"`
	H        uint64 `json:"h"`
	V        uint64 `json:"v"`
	Textbook uint64 `json:"textbook"`
	Approx   uint64 `json:"approximation_12lh2"`
	Actual   uint64 `json:"actual"`
	Diff     int64  `json:"difference"`
	// DiffPercent is 100 × Diff / Textbook.
	DiffPercent float64 `json:"difference_percent"`
}

// warningReport is a reader warning.
type warningReport struct {
	Code    string `json:"code"`
	File    string `json:"file,omitempty"`
	Message string `json:"message"`
}

// newWarningReports converts the reader's warnings, as an empty list (not
// null in JSON) when there are none.
func newWarningReports(ws []reader.Warning) []warningReport {
	out := make([]warningReport, 0, len(ws))
	for _, w := range ws {
		out = append(out, warningReport{Code: w.Code, File: w.File, Message: w.Message})
	}
	return out
}

// tensorRow is one tensor, as --tensors lists it.
type tensorRow struct {
	Name          string   `json:"name"`
	DType         string   `json:"dtype"`
	Shape         []uint64 `json:"shape"`
	Elements      uint64   `json:"elements"`
	Bytes         uint64   `json:"bytes"`
	File          string   `json:"file"`
	Kind          string   `json:"kind"`
	LogicalParams uint64   `json:"logical_parameters"`
	// LogicalShape is the unpacked shape of a packed quantized weight
	// (quant.Tensor.LogicalShape), present only when it differs from Shape.
	LogicalShape []uint64 `json:"logical_shape,omitempty"`
	// DuplicateOf names the tensor this one is a tied copy of.
	DuplicateOf string `json:"duplicate_of,omitempty"`
}

// stubStatus and completeStatus are the words every format uses for
// Checkpoint.Stub, so a header-only download is never mistaken for weights.
const (
	stubStatus     = "header-only (no tensor data)"
	completeStatus = "complete"
)

// newCheckpointReport gathers what inspect shows about ck. a may be nil
// (then the quantities come from the stored shapes alone). filter is a
// path.Match glob already checked by the caller; listTensors asks for rows.
func newCheckpointReport(ck *reader.Checkpoint, a *analysis.Analysis, listTensors bool, filter string) *checkpointReport {
	r := &checkpointReport{
		Path:        ck.Path,
		Source:      string(ck.Source),
		Chosen:      ck.Chosen,
		Shards:      len(ck.Files),
		HeaderBytes: ck.HeaderBytes(),
		DataBytes:   ck.DataBytes(),
		Stub:        ck.Stub(),
		TensorCount: len(ck.Tensors),
		Findings:    []findings.Finding{},
	}
	r.Status = completeStatus
	if r.Stub {
		r.Status = stubStatus
	}
	if ck.Config != nil {
		r.Config = ck.Config.File
	}

	r.Files = make([]fileReport, len(ck.Files))
	sameMeta := true
	for i, f := range ck.Files {
		r.Files[i] = fileReport{
			Name:        f.File,
			HeaderBytes: 8 + f.HeaderLen,
			DataBytes:   f.DataLen,
			FileSize:    f.FileSize,
			Stub:        f.Stub,
			Tensors:     len(f.Tensors),
		}
		if i > 0 && !slices.Equal(f.Metadata, ck.Files[0].Metadata) {
			sameMeta = false
		}
	}
	if sameMeta {
		r.Metadata = []metadataEntry{}
		if len(ck.Files) > 0 {
			r.Metadata = metadataEntries(ck.Files[0].Metadata)
		}
	} else {
		for i, f := range ck.Files {
			r.Files[i].Metadata = metadataEntries(f.Metadata)
		}
	}

	if ix := ck.Index; ix != nil {
		r.Index = &indexReport{
			File:         ix.File,
			Entries:      ix.Entries,
			Shards:       len(ix.Shards),
			TotalSize:    ix.TotalSize,
			HasTotalSize: ix.HasTotalSize,
			Metadata:     metadataEntries(ix.Metadata),
		}
	}

	var classified []quant.Tensor
	var sums *quant.Sums
	if a != nil && a.Quant != nil && len(a.Quant.Tensors) == len(ck.Tensors) {
		classified = a.Quant.Tensors
		r.Totals = a.Totals
		sums = a.Quant.Sums()
	} else {
		// Without a classification every tensor counts as a stored
		// parameter, which is what quant.Classify says for plain weights.
		classified = make([]quant.Tensor, len(ck.Tensors))
		for i := range ck.Tensors {
			t := &ck.Tensors[i]
			classified[i] = quant.Tensor{Tensor: t, Kind: quant.Parameter, LogicalShape: t.Shape, LogicalParams: t.Elements()}
		}
		sums = (&quant.Result{Tensors: classified}).Sums()
		r.Totals = sums.Totals
	}
	r.DTypes = dtypeTable(sums.DTypes)
	r.TotalElements, r.TotalBytes = sums.Totals.StoredElements, sums.StoredBytes

	if a != nil {
		r.Quantization = newQuantReport(a.Quant)
		if a.Arch != nil {
			// The architecture's findings are already among a.Findings;
			// the copy keeps the document from listing them twice.
			arch := *a.Arch
			arch.Findings = nil
			r.Architecture = &arch
		}
		// Without all of l, h and V the formula has no value; analysis says
		// why in a finding.
		if f := a.Formula; f != nil && f.L > 0 && f.H > 0 && f.V > 0 {
			r.Formula = &formulaHeadline{
				L: f.L, H: f.H, V: f.V,
				Textbook: f.Textbook, Approx: f.Approx, Actual: f.Actual, Diff: f.Diff,
				DiffPercent: 100 * f.RelDiff,
			}
		}
		if len(a.Findings) > 0 {
			r.Findings = a.Findings
		}
	}
	r.Warnings = newWarningReports(ck.Warnings)

	if listTensors {
		if filter == "" {
			r.Tensors = make([]tensorRow, 0, len(classified))
		} else {
			r.Tensors = []tensorRow{}
		}
		for _, t := range classified {
			if filter != "" {
				if ok, _ := path.Match(filter, t.Name); !ok {
					continue
				}
			}
			row := tensorRow{
				Name:          t.Name,
				DType:         string(t.DType),
				Shape:         nonNil(t.Shape),
				Elements:      t.Elements(),
				Bytes:         t.Bytes(),
				File:          t.File,
				Kind:          t.Kind.String(),
				LogicalParams: t.LogicalParams,
				DuplicateOf:   t.DuplicateOf(),
			}
			if t.LogicalShape != nil && !slices.Equal(t.LogicalShape, t.Shape) {
				row.LogicalShape = t.LogicalShape
			}
			r.Tensors = append(r.Tensors, row)
		}
	}
	return r
}

// dtypeTable is the per-dtype rows of quant.Sums in the report's form;
// they come sorted by bytes (largest first, ties by name) so the dtype
// that dominates the download leads the table.
func dtypeTable(ds []quant.DTypeTotal) []dtypeRow {
	rows := make([]dtypeRow, len(ds))
	for i := range ds {
		d := &ds[i]
		rows[i] = dtypeRow{
			DType: string(d.DType), Tensors: d.Tensors, Elements: d.StoredElements, Bytes: d.Bytes,
			LogicalParams: d.LogicalParams,
			SideTensors:   d.SideTensors, SideElements: d.SideElements,
			BufferTensors: d.BufferTensors, BufferElements: d.BufferElements,
		}
	}
	return rows
}

func metadataEntries(m []reader.MetadataEntry) []metadataEntry {
	out := make([]metadataEntry, len(m))
	for i, e := range m {
		out[i] = metadataEntry{Key: e.Key, Value: e.Value}
	}
	return out
}

// nonNil makes a scalar's shape [] rather than null in JSON: the
// safetensors header writes scalars as "shape": [].
func nonNil(s []uint64) []uint64 {
	if s == nil {
		return []uint64{}
	}
	return s
}

// comma formats a count for people with thousands separators; counts
// above 2⁶³ cannot come from a validated header but still print exactly.
func comma(v uint64) string {
	if v <= math.MaxInt64 {
		return humanize.Comma(int64(v))
	}
	return humanize.BigComma(new(big.Int).SetUint64(v))
}
