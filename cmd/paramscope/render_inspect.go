package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/dustin/go-humanize"

	"github.com/paramscope/paramscope/analysis"
)

// The renderers take (io.Writer, *inspectReport) and compute nothing: every
// number they print is a field of the report (STYLE.md §2). Untrusted text
// (paths, file and tensor names, metadata, messages that quote them) goes
// through escapeLine, or mdCode in Markdown.

// maxTextFiles caps the rows of the file table in text and Markdown: past
// it, maxTextFiles-1 files and a row saying how many more there are. A
// 163-shard checkpoint would otherwise bury the summary; JSON lists all.
const maxTextFiles = 10

// renderInspect writes r in format f.
func renderInspect(w io.Writer, f format, r *inspectReport) error {
	switch f {
	case formatJSON:
		return renderInspectJSON(w, r)
	case formatMarkdown:
		return renderInspectMarkdown(w, r)
	}
	return renderInspectText(w, r)
}

// renderInspectJSON writes r as one indented JSON document. HTML escaping is
// off because the document is data, not a web page; encoding/json still
// escapes control characters, so untrusted names stay valid JSON.
//
// Tensor rows are streamed one compact object per line instead of going
// through one indented encoding of the whole document: with --tensors on a
// 92,000-tensor checkpoint that would build and re-indent a 34 MB buffer
// (BenchmarkInspectDeepSeekScale/json-tensors), and a row per line is also
// what grep and line-based tools want.
func renderInspectJSON(w io.Writer, r *inspectReport) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	top := *r
	top.Checkpoints = []*checkpointReport{}
	doc, err := encodeJSON(&top, "")
	if err != nil {
		return err
	}
	// The first unescaped occurrence is the field itself: inside a JSON
	// string every quote is escaped, and checkpoints precedes errors.
	const marker = `"checkpoints": [`
	at := bytes.Index(doc, []byte(marker))
	if at < 0 {
		return errors.New("inspect JSON: no checkpoints field in the document")
	}
	at += len(marker)
	bw.Write(doc[:at])
	for i, c := range r.Checkpoints {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		if err := writeCheckpointJSON(bw, c); err != nil {
			return err
		}
	}
	if len(r.Checkpoints) > 0 {
		bw.WriteString("\n  ")
	}
	bw.Write(doc[at:])
	return bw.Flush()
}

// writeCheckpointJSON writes one element of the checkpoints array, indented
// at its depth, with its tensor rows (if listed) one per line.
func writeCheckpointJSON(bw *bufio.Writer, c *checkpointReport) error {
	head := *c
	head.Tensors = nil
	b, err := encodeJSON(&head, "    ")
	if err != nil {
		return err
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	if c.Tensors == nil {
		bw.Write(b)
		return nil
	}
	const closing = "\n    }"
	if !bytes.HasSuffix(b, []byte(closing)) {
		return errors.New("inspect JSON: unexpected end of a checkpoint object")
	}
	bw.Write(b[:len(b)-len(closing)])
	bw.WriteString(",\n      \"tensors\": [")
	var row bytes.Buffer
	enc := json.NewEncoder(&row)
	enc.SetEscapeHTML(false)
	for i := range c.Tensors {
		row.Reset()
		if err := enc.Encode(&c.Tensors[i]); err != nil {
			return err
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n        ")
		bw.Write(escapeFormatRunes(bytes.TrimSuffix(row.Bytes(), []byte("\n"))))
	}
	if len(c.Tensors) > 0 {
		bw.WriteString("\n      ")
	}
	bw.WriteString("]" + closing)
	return nil
}

// encodeJSON encodes v indented by two spaces per level after prefix,
// without HTML escaping.
func encodeJSON(v any, prefix string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent(prefix, "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return escapeFormatRunes(b.Bytes()), nil
}

// escapeFormatRunes rewrites the invisible format characters that
// encoding/json leaves raw (bidi overrides like U+202E, zero-width joiners:
// Unicode category Cf) as \uXXXX escapes, so a JSON report printed on a
// terminal cannot be reordered by a hostile tensor name. The decoded value
// is unchanged, and outside strings a JSON document is ASCII, so only string
// contents are touched.
func escapeFormatRunes(b []byte) []byte {
	i := 0
	for i < len(b) && b[i] < utf8.RuneSelf {
		i++
	}
	if i == len(b) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	out = append(out, b[:i]...)
	for i < len(b) {
		r, size := utf8.DecodeRune(b[i:])
		if r >= utf8.RuneSelf && unicode.In(r, unicode.Cf) {
			if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
				out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
			} else {
				out = fmt.Appendf(out, `\u%04x`, r)
			}
		} else {
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}

// renderInspectText writes r for people. Reader warnings are not here: in
// text mode they go to stderr (writeTextWarnings) so stdout is the report.
func renderInspectText(w io.Writer, r *inspectReport) error {
	bw := bufio.NewWriter(w)
	for i, c := range r.Checkpoints {
		if i > 0 {
			bw.WriteString("\n")
		}
		textCheckpoint(bw, c, r.ListTensors)
	}
	return bw.Flush()
}

// summaryRow is one line of a checkpoint's summary: what was read, its
// sizes and status, the index, config, metadata and tensor count.
type summaryRow struct{ field, value string }

// summaryRows lists the summary lines the text and Markdown formats share;
// name quotes a file name for the format and meta shows __metadata__.
func (c *checkpointReport) summaryRows(name func(string) string, meta func([]metadataEntry) string) []summaryRow {
	rows := []summaryRow{
		{"read", name(c.Chosen)},
		{"files", strconv.Itoa(c.Shards)},
		{"header", fmt.Sprintf("%s bytes (%s)", comma(c.HeaderBytes), humanize.IBytes(c.HeaderBytes))},
		{"data", fmt.Sprintf("%s bytes (%s)", comma(c.DataBytes), humanize.IBytes(c.DataBytes))},
		{"status", c.Status},
	}
	if c.Index != nil {
		total := "no total_size"
		if c.Index.HasTotalSize {
			total = "total_size " + comma(c.Index.TotalSize)
		}
		rows = append(rows, summaryRow{"index", fmt.Sprintf("%s: %s entries, %d shards, %s",
			name(c.Index.File), comma(uint64(c.Index.Entries)), c.Index.Shards, total)})
	}
	if c.Config != "" {
		rows = append(rows, summaryRow{"config", name(c.Config)})
	}
	if c.Metadata != nil {
		rows = append(rows, summaryRow{"metadata", meta(c.Metadata)})
	} else {
		rows = append(rows, summaryRow{"metadata", "differs between files (listed below)"})
	}
	return append(rows, summaryRow{"tensors", comma(uint64(c.TensorCount))})
}

func textCheckpoint(w *bufio.Writer, c *checkpointReport, listTensors bool) {
	fmt.Fprintf(w, "%s\n", escapeLine(c.Path))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range c.summaryRows(escapeLine, textMetadata) {
		fmt.Fprintf(tw, "  %s\t%s\n", r.field, r.value)
	}
	tw.Flush()

	if c.Shards > 1 || c.Metadata == nil {
		w.WriteString("\n")
		tt := textTable{right: []bool{false, true, true, true, false, false}}
		tt.add("FILE", "TENSORS", "HEADER", "DATA", "STATUS", "METADATA")
		for i, f := range c.Files {
			if i == maxTextFiles-1 && len(c.Files) > maxTextFiles {
				tt.add(fmt.Sprintf("... %d more files (--format json lists them all)", len(c.Files)-i))
				break
			}
			status := completeStatus
			if f.Stub {
				status = "header-only"
			}
			meta := ""
			if c.Metadata == nil {
				meta = textMetadata(f.Metadata)
			}
			tt.add(escapeLine(f.Name), comma(uint64(f.Tensors)), humanize.IBytes(f.HeaderBytes),
				humanize.IBytes(f.DataBytes), status, meta)
		}
		tt.write(w)
	}

	w.WriteString("\n")
	tt := textTable{right: []bool{false, true, true, true, true, true, true}}
	tt.add("DTYPE", "TENSORS", "ELEMENTS", "BYTES", "PARAMETERS", "SIDE", "BUFFERS")
	for _, d := range c.DTypes {
		tt.add(escapeLine(d.DType), comma(uint64(d.Tensors)), comma(d.Elements), humanize.IBytes(d.Bytes),
			comma(d.LogicalParams), comma(d.SideElements), comma(d.BufferElements))
	}
	tt.add("total", comma(uint64(c.TensorCount)), comma(c.TotalElements), humanize.IBytes(c.TotalBytes),
		comma(c.Totals.LogicalParams), comma(c.Totals.SideElements), comma(c.Totals.BufferElements))
	tt.write(w)

	w.WriteString("\n")
	t := c.Totals
	tt = textTable{right: []bool{false, true, false}}
	tt.add("logical parameters", comma(t.LogicalParams), "("+humanize.IBytes(t.ParamBytes)+" stored in parameter tensors)")
	tt.add("stored elements", comma(t.StoredElements), "(every tensor, as the header's shapes multiply)")
	tt.add("side tensors", comma(uint64(t.SideTensors)),
		"("+comma(t.SideElements)+" elements, "+humanize.IBytes(t.SideBytes)+": quantization scales, zeros, ...)")
	tt.add("buffers", comma(uint64(t.BufferTensors)),
		"("+comma(t.BufferElements)+" elements, "+humanize.IBytes(t.BufferBytes)+": masks, inv_freq, position_ids)")
	if t.DuplicateTensors > 0 {
		tt.add("tied duplicates", comma(uint64(t.DuplicateTensors)),
			"("+comma(t.DuplicateParams)+" elements stored twice, counted once in logical parameters)")
	}
	tt.write(w)

	if q := c.Quantization; q != nil {
		writeQuantText(w, q)
	}

	if c.Architecture != nil || c.Formula != nil {
		w.WriteString("\n")
		if c.Architecture != nil {
			fmt.Fprintf(w, "  architecture  %s\n", escapeLine(archSummary(c.Architecture)))
		}
		if c.Formula != nil {
			fmt.Fprintf(w, "  formula       %s\n", formulaLine(c.Formula))
		}
	}

	if len(c.Findings) > 0 {
		w.WriteString("\n  findings\n")
		for _, f := range c.Findings {
			fmt.Fprintf(w, "    %s %s: %s\n", f.Level, f.Code, escapeLine(f.Message))
		}
	}

	if listTensors {
		w.WriteString("\n")
		if len(c.Tensors) == 0 {
			fmt.Fprintf(w, "  no tensor matches\n")
			return
		}
		tt := textTable{right: []bool{false, false, false, true, true, false}}
		tt.add("NAME", "DTYPE", "SHAPE", "ELEMENTS", "BYTES", "FILE")
		for _, t := range c.Tensors {
			tt.add(escapeLine(t.Name), escapeLine(t.DType), shapeString(t.Shape),
				comma(t.Elements), humanize.IBytes(t.Bytes), escapeLine(t.File))
		}
		tt.write(w)
	}
}

// textTable lays out cells in columns two spaces apart, indented by two
// spaces. Columns marked right are right-aligned (numbers); the others are
// left-aligned and the last one is not padded, so lines have no trailing
// blanks. Widths count runes: escaped text is ASCII apart from printable
// letters of other scripts.
type textTable struct {
	right []bool
	rows  [][]string
}

func (t *textTable) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *textTable) write(w *bufio.Writer) {
	var width []int
	for _, r := range t.rows {
		if len(r) == 1 {
			continue // a note spanning the table
		}
		for i, c := range r {
			if i >= len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range t.rows {
		w.WriteString("  ")
		last := len(r) - 1
		for last > 0 && r[last] == "" && !t.right[last] {
			last--
		}
		for i, c := range r[:last+1] {
			if i > 0 {
				w.WriteString("  ")
			}
			pad := 0
			if len(r) > 1 {
				pad = width[i] - utf8.RuneCountInString(c)
			}
			right := i < len(t.right) && t.right[i]
			if right {
				w.WriteString(strings.Repeat(" ", pad))
			}
			w.WriteString(c)
			if !right && i < last {
				w.WriteString(strings.Repeat(" ", pad))
			}
		}
		w.WriteString("\n")
	}
}

// writeTextWarnings writes the reader warnings of every checkpoint to w
// (stderr in text mode), one line each, escaped.
func writeTextWarnings(w io.Writer, r *inspectReport) {
	for _, c := range r.Checkpoints {
		for _, x := range c.Warnings {
			writeWarningLine(w, c.Path, x, true)
		}
	}
}

// writeWarningLine writes one reader warning of the checkpoint at path as
// a line for stderr, escaped, with the warning's code when withCode.
func writeWarningLine(w io.Writer, path string, x warningReport, withCode bool) {
	where := escapeLine(path)
	if x.File != "" {
		where += ": " + escapeLine(x.File)
	}
	if withCode {
		fmt.Fprintf(w, "paramscope: warning: %s: %s [%s]\n", where, escapeLine(x.Message), x.Code)
		return
	}
	fmt.Fprintf(w, "paramscope: warning: %s: %s\n", where, escapeLine(x.Message))
}

// textMetadata shows __metadata__ as key=value pairs, escaped.
func textMetadata(m []metadataEntry) string {
	if len(m) == 0 {
		return "(none)"
	}
	parts := make([]string, len(m))
	for i, e := range m {
		parts[i] = escapeLine(e.Key) + "=" + escapeLine(e.Value)
	}
	return strings.Join(parts, " ")
}

// shapeString writes a shape the way PyTorch prints torch.Size: [50257, 768].
func shapeString(s []uint64) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, d := range s {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.FormatUint(d, 10))
	}
	b.WriteByte(']')
	return b.String()
}

// formulaLine is the one-line headline of the formula comparison.
func formulaLine(f *formulaHeadline) string {
	sign := "+"
	if f.Diff < 0 {
		sign = "-"
	}
	diff := uint64(f.Diff)
	if f.Diff < 0 {
		diff = uint64(-f.Diff)
	}
	return fmt.Sprintf("textbook 12lh²+13lh+Vh = %s; actual %s (%s%s, %+.2f%%)",
		comma(f.Textbook), comma(f.Actual), sign, comma(diff), f.DiffPercent)
}

// archSummary lists the architecture facts analysis could establish, in the
// article's notation (l, h, V, a) with config.json names for the rest.
func archSummary(a *analysis.Architecture) string {
	var parts []string
	add := func(label string, f analysis.IntFact) {
		if f.Known {
			parts = append(parts, label+"="+strconv.FormatInt(f.Value, 10))
		}
	}
	head := a.Family
	if a.ModelType.Known && a.ModelType.Value != a.Family {
		head += " (model_type " + a.ModelType.Value + ")"
	}
	add("l", a.Layers)
	add("h", a.Hidden)
	add("V", a.Vocab)
	add("a", a.Heads)
	add("kv_heads", a.KVHeads)
	add("head_dim", a.HeadDim)
	add("ffn", a.FFN)
	if a.EncoderLayers.Value > 0 {
		add("encoder_layers", a.EncoderLayers)
	}
	if a.GatedMLP.Known && a.GatedMLP.Value {
		parts = append(parts, "gated MLP")
	}
	if a.Norm.Known {
		parts = append(parts, a.Norm.Value)
	}
	if a.Bias.Known {
		parts = append(parts, "bias "+a.Bias.Value)
	}
	if a.TiedEmbeddings.Known {
		if a.TiedEmbeddings.Value {
			parts = append(parts, "tied embeddings")
		} else {
			parts = append(parts, "untied embeddings")
		}
	}
	if a.LearnedPositions.Known && a.LearnedPositions.Value > 0 {
		parts = append(parts, "learned positions "+strconv.FormatInt(a.LearnedPositions.Value, 10))
	}
	if a.ParallelBlocks.Known && a.ParallelBlocks.Value {
		parts = append(parts, "parallel blocks")
	}
	if a.QKNorm.Known && a.QKNorm.Value {
		parts = append(parts, "QK norm")
	}
	if m := a.MoE; m != nil {
		s := "MoE"
		if m.Experts.Known {
			s += " " + strconv.FormatInt(m.Experts.Value, 10) + " experts"
		}
		if m.TopK.Known {
			s += " top-" + strconv.FormatInt(m.TopK.Value, 10)
		}
		if m.SharedExperts.Known && m.SharedExperts.Value > 0 {
			s += " +" + strconv.FormatInt(m.SharedExperts.Value, 10) + " shared"
		}
		if len(m.DenseLayers) > 0 {
			s += ", " + strconv.Itoa(len(m.DenseLayers)) + " dense layers"
		}
		parts = append(parts, s)
	}
	if a.MLA != nil {
		parts = append(parts, "MLA")
	}
	for _, x := range a.Extras {
		parts = append(parts, "+"+x.Name+" ("+comma(x.Params)+" params)")
	}
	if len(parts) == 0 {
		return head
	}
	return head + ": " + strings.Join(parts, ", ")
}

// renderInspectMarkdown writes r for a pull-request comment: tables, with
// untrusted text in code spans (mdCode) so nothing in a tensor name can
// break the table or inject markup.
func renderInspectMarkdown(w io.Writer, r *inspectReport) error {
	bw := bufio.NewWriter(w)
	for i, c := range r.Checkpoints {
		if i > 0 {
			bw.WriteString("\n")
		}
		mdCheckpoint(bw, c, r.ListTensors)
	}
	if len(r.Errors) > 0 {
		bw.WriteString("\n## Unreadable\n\n")
		for _, e := range r.Errors {
			fmt.Fprintf(bw, "- %s: %s\n", mdCode(e.Path), mdCode(e.Error))
		}
	}
	return bw.Flush()
}

func mdCheckpoint(w *bufio.Writer, c *checkpointReport, listTensors bool) {
	fmt.Fprintf(w, "## %s\n\n", mdCode(c.Path))
	w.WriteString("| field | value |\n|---|---|\n")
	for _, r := range c.summaryRows(mdCode, mdMetadata) {
		fmt.Fprintf(w, "| %s | %s |\n", r.field, r.value)
	}

	if c.Shards > 1 || c.Metadata == nil {
		w.WriteString("\n| file | tensors | header | data | status | metadata |\n|---|--:|--:|--:|---|---|\n")
		for i, f := range c.Files {
			if i == maxTextFiles-1 && len(c.Files) > maxTextFiles {
				fmt.Fprintf(w, "| … %d more files (`--format json` lists them all) | | | | | |\n", len(c.Files)-i)
				break
			}
			status := completeStatus
			if f.Stub {
				status = "header-only"
			}
			meta := ""
			if c.Metadata == nil {
				meta = mdMetadata(f.Metadata)
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", mdCode(f.Name), comma(uint64(f.Tensors)),
				humanize.IBytes(f.HeaderBytes), humanize.IBytes(f.DataBytes), status, meta)
		}
	}

	w.WriteString("\n| dtype | tensors | elements | bytes | parameters | side | buffers |\n|---|--:|--:|--:|--:|--:|--:|\n")
	for _, d := range c.DTypes {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", mdCode(d.DType), comma(uint64(d.Tensors)), comma(d.Elements),
			humanize.IBytes(d.Bytes), comma(d.LogicalParams), comma(d.SideElements), comma(d.BufferElements))
	}
	fmt.Fprintf(w, "| **total** | %s | %s | %s | %s | %s | %s |\n", comma(uint64(c.TensorCount)), comma(c.TotalElements),
		humanize.IBytes(c.TotalBytes), comma(c.Totals.LogicalParams), comma(c.Totals.SideElements),
		comma(c.Totals.BufferElements))

	t := c.Totals
	w.WriteString("\n| quantity | count | stored |\n|---|--:|--:|\n")
	fmt.Fprintf(w, "| logical parameters | %s | %s |\n", comma(t.LogicalParams), humanize.IBytes(t.ParamBytes))
	fmt.Fprintf(w, "| stored elements | %s | %s |\n", comma(t.StoredElements), humanize.IBytes(c.TotalBytes))
	fmt.Fprintf(w, "| side tensors | %s (%s elements) | %s |\n", comma(uint64(t.SideTensors)), comma(t.SideElements), humanize.IBytes(t.SideBytes))
	fmt.Fprintf(w, "| buffers | %s (%s elements) | %s |\n", comma(uint64(t.BufferTensors)), comma(t.BufferElements), humanize.IBytes(t.BufferBytes))
	if t.DuplicateTensors > 0 {
		fmt.Fprintf(w, "| tied duplicates (counted once) | %s (%s elements) | |\n", comma(uint64(t.DuplicateTensors)), comma(t.DuplicateParams))
	}

	if q := c.Quantization; q != nil {
		writeQuantMarkdown(w, q)
	}

	if c.Architecture != nil || c.Formula != nil {
		w.WriteString("\n")
		if c.Architecture != nil {
			fmt.Fprintf(w, "**Architecture:** %s\n", mdCode(archSummary(c.Architecture)))
		}
		if c.Architecture != nil && c.Formula != nil {
			w.WriteString("\n")
		}
		if c.Formula != nil {
			fmt.Fprintf(w, "**Formula:** %s\n", formulaLine(c.Formula))
		}
	}

	if len(c.Findings) > 0 {
		w.WriteString("\n### Findings\n\n| level | code | message |\n|---|---|---|\n")
		for _, f := range c.Findings {
			fmt.Fprintf(w, "| %s | %s | %s |\n", f.Level, mdCode(f.Code), mdCode(f.Message))
		}
	}
	if len(c.Warnings) > 0 {
		w.WriteString("\n### Warnings\n\n| code | file | message |\n|---|---|---|\n")
		for _, x := range c.Warnings {
			fmt.Fprintf(w, "| %s | %s | %s |\n", mdCode(x.Code), mdCode(x.File), mdCode(x.Message))
		}
	}

	if listTensors {
		w.WriteString("\n### Tensors\n\n")
		if len(c.Tensors) == 0 {
			w.WriteString("No tensor matches.\n")
			return
		}
		w.WriteString("| name | dtype | shape | elements | bytes | file |\n|---|---|---|--:|--:|---|\n")
		for _, t := range c.Tensors {
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", mdCode(t.Name), mdCode(t.DType), shapeString(t.Shape),
				comma(t.Elements), humanize.IBytes(t.Bytes), mdCode(t.File))
		}
	}
}

// mdMetadata shows __metadata__ as code spans in a table cell.
func mdMetadata(m []metadataEntry) string {
	if len(m) == 0 {
		return "(none)"
	}
	parts := make([]string, len(m))
	for i, e := range m {
		parts[i] = mdCode(e.Key + "=" + e.Value)
	}
	return strings.Join(parts, " ")
}

// mdCode puts untrusted text in a Markdown code span, safe inside a GFM
// table: escapeLine first (control characters, bidi overrides), then the
// table's cell separator | as \| (GFM splits cells before parsing code
// spans), and a fence of backticks longer than any run inside the text
// (CommonMark §6.1), padded with spaces when the text starts or ends with a
// backtick.
func mdCode(s string) string {
	if s == "" {
		return ""
	}
	s = strings.ReplaceAll(escapeLine(s), "|", `\|`)
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}
