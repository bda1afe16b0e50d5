package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/paramscope/paramscope/analysis"
)

// renderFormula writes r in the chosen format.
func renderFormula(w io.Writer, f format, r *formulaReport) error {
	switch f {
	case formatJSON:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return err
		}
		// Bidi overrides and other format runes in tensor names become
		// \u escapes, as in inspect's JSON (escapeFormatRunes).
		_, err := w.Write(escapeFormatRunes(buf.Bytes()))
		return err
	case formatMarkdown:
		return renderFormulaMarkdown(w, r)
	}
	return renderFormulaText(w, r)
}

// fmlSigned writes a difference with its sign ("+787,968", "0").
func fmlSigned(v int64) string {
	if v > 0 {
		return "+" + humanize.Comma(v)
	}
	return humanize.Comma(v)
}

// fmlPercent writes a relative difference ("-" when the textbook gives 0
// and there is nothing to be relative to).
func fmlPercent(f *analysis.FormulaReport) string {
	if f.Textbook == 0 {
		return "-"
	}
	return fmt.Sprintf("%+.2f%%", 100*f.RelDiff)
}

func fmlShape(s []uint64) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.FormatUint(d, 10)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// fmlTensor writes a tensor reference: its name, and the count of experts
// folded into it.
func fmlTensor(t analysis.TensorRef) string {
	if t.Count > 1 {
		return fmt.Sprintf("%s ×%d", t.Name, t.Count)
	}
	return t.Name
}

// renderFormulaText writes r for people.
func renderFormulaText(w io.Writer, r *formulaReport) error {
	bw := bufio.NewWriter(w)
	for i, c := range r.Checkpoints {
		if i > 0 {
			bw.WriteString("\n")
		}
		textFormula(bw, c, r.AllLayers)
	}
	return bw.Flush()
}

func textFormula(w *bufio.Writer, c *formulaEntry, allLayers bool) {
	f, a := c.Formula, c.Architecture
	fmt.Fprintf(w, "%s: %s, family %s", escapeLine(c.Path), escapeLine(c.Chosen), escapeLine(c.Family))
	if c.Stub {
		w.WriteString(" (header-only stub)")
	}
	w.WriteString("\n")
	fmt.Fprintf(w, "  l = %s, h = %s, V = %s", comma(f.L), comma(f.H), comma(f.V))
	if a.EncoderLayers.Value > 0 {
		fmt.Fprintf(w, " (l counts %d encoder and %d decoder layers)", a.EncoderLayers.Value, a.Layers.Value)
	}
	w.WriteString("\n\n")

	t := &textTable{right: []bool{false, true, false}}
	t.add("textbook 12lh² + 13lh + Vh", comma(f.Textbook))
	t.add("approximation 12lh²", comma(f.Approx))
	t.add("actual parameters", comma(f.Actual))
	t.add("difference", fmlSigned(f.Diff), fmlPercent(f))
	if f.Active > 0 {
		t.add("active per token", comma(f.Active), escapeLine(f.ActiveNote))
	}
	t.write(w)

	w.WriteString("\nTerms\n")
	t = &textTable{right: []bool{false, false, true, true, true, false}}
	t.add("term", "textbook formula", "textbook", "checkpoint", "difference", "cause")
	for _, x := range f.Terms {
		tb, diff := comma(x.Textbook), fmlSigned(x.Diff)
		if x.Formula == "" {
			tb = "-"
		}
		ck := comma(x.Checkpoint)
		if !x.Counted {
			diff = "not counted"
		}
		t.add(x.Name, x.Formula, tb, ck, diff, escapeLine(x.Cause))
	}
	t.write(w)

	for _, l := range f.Layers {
		g := f.Groups[l.Group]
		switch {
		case allLayers:
			fmt.Fprintf(w, "\nLayer %d (%s)", l.Layer, l.Stack)
			if g.Representative {
				w.WriteString(", representative kind")
			}
			fmt.Fprintf(w, ": %s parameters, textbook 12h² + 13h = %s\n", comma(l.Params), comma(l.Textbook))
		case g.Representative:
			fmt.Fprintf(w, "\nPer-tensor diff, representative layer %d (%s layers %s): %s parameters, textbook 12h² + 13h = %s\n",
				l.Layer, g.Stack, analysis.LayerRanges(g.Layers), comma(l.Params), comma(l.Textbook))
		default:
			fmt.Fprintf(w, "\nLayers that differ: %s layers %s, shown by layer %d: %s parameters per layer; %s\n",
				g.Stack, analysis.LayerRanges(g.Layers), l.Layer, comma(g.Params), escapeLine(g.Summary))
		}
		textDiffRows(w, l.Rows)
	}
	w.WriteString("\nOutside layers\n")
	textDiffRows(w, f.Outside)

	w.WriteString("\nAssumptions of the textbook formula\n")
	t = &textTable{}
	for _, x := range f.Assumptions {
		mark := "broken"
		if x.Holds {
			mark = "holds"
		}
		t.add(mark, x.Text, escapeLine(x.Evidence))
	}
	t.write(w)

	cf := f.Corrected
	w.WriteString("\nCorrected formula for this checkpoint\n")
	// Measured terms carry tensor names: escaped like every untrusted string.
	fmt.Fprintf(w, "  %s\n", escapeLine(cf.Symbolic))
	fmt.Fprintf(w, "  = %s\n", escapeLine(cf.Numeric))
	fmt.Fprintf(w, "  = %s (actual %s, residual %s)\n", comma(cf.Total), comma(f.Actual), fmlSigned(cf.Residual))
	t = &textTable{right: []bool{false, true, false}}
	for _, s := range cf.Symbols {
		t.add(s.Symbol, comma(s.Value), s.Meaning)
	}
	if len(cf.Symbols) > 0 {
		w.WriteString("  where\n")
		t.write(w)
	}
	if len(cf.OtherTensors) > 0 {
		fmt.Fprintf(w, "  n(other) is measured: %s\n", escapeLine(strings.Join(cf.OtherTensors, ", ")))
	}
	if len(cf.ResidualTensors) > 0 {
		w.WriteString("  not explained by the formula:\n")
		for _, s := range cf.ResidualTensors {
			fmt.Fprintf(w, "    %s\n", escapeLine(s))
		}
	}

	if len(c.Findings) > 0 {
		w.WriteString("\nFindings\n")
		for _, x := range c.Findings {
			fmt.Fprintf(w, "  %s %s: %s\n", x.Level, x.Code, escapeLine(x.Message))
		}
	}
}

// textDiffRows writes per-tensor diff rows; a row holding several tensors
// continues on the next lines.
func textDiffRows(w *bufio.Writer, rows []analysis.TensorDiff) {
	t := &textTable{right: []bool{false, false, true, false, false, true, false, false}}
	t.add("textbook", "expected", "params", "checkpoint", "shape", "params", "status", "note")
	for _, d := range rows {
		exp, ep := "", ""
		if d.Textbook != "" {
			exp, ep = fmlShape(d.ExpectedShape), comma(d.ExpectedParams)
		}
		if len(d.Tensors) == 0 {
			t.add(d.Textbook, exp, ep, "-", "", "", d.Status, escapeLine(d.Note))
			continue
		}
		for i, x := range d.Tensors {
			if i == 0 {
				t.add(d.Textbook, exp, ep, escapeLine(fmlTensor(x)), fmlShape(x.Shape), comma(x.Params), d.Status, escapeLine(d.Note))
			} else {
				t.add("", "", "", escapeLine(fmlTensor(x)), fmlShape(x.Shape), comma(x.Params), "", "")
			}
		}
	}
	t.write(w)
}

// fmlMDText makes untrusted prose safe in a Markdown table cell.
func fmlMDText(s string) string {
	s = escapeLine(s)
	r := strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`)
	return r.Replace(s)
}

func renderFormulaMarkdown(w io.Writer, r *formulaReport) error {
	bw := bufio.NewWriter(w)
	for i, c := range r.Checkpoints {
		if i > 0 {
			bw.WriteString("\n")
		}
		mdFormula(bw, c, r.AllLayers)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(bw, "\n**unreadable:** %s: %s\n", mdCode(e.Path), fmlMDText(e.Error))
	}
	return bw.Flush()
}

func mdFormula(w *bufio.Writer, c *formulaEntry, allLayers bool) {
	f, a := c.Formula, c.Architecture
	fmt.Fprintf(w, "## %s\n\n", mdCode(c.Path))
	fmt.Fprintf(w, "%s, family %s", fmlMDText(c.Chosen), fmlMDText(c.Family))
	if c.Stub {
		w.WriteString(" (header-only stub)")
	}
	fmt.Fprintf(w, "; l = %s, h = %s, V = %s", comma(f.L), comma(f.H), comma(f.V))
	if a.EncoderLayers.Value > 0 {
		fmt.Fprintf(w, " (l counts %d encoder and %d decoder layers)", a.EncoderLayers.Value, a.Layers.Value)
	}
	w.WriteString(".\n\n")
	w.WriteString("| quantity | parameters |\n|---|---:|\n")
	fmt.Fprintf(w, "| textbook 12lh² + 13lh + Vh | %s |\n", comma(f.Textbook))
	fmt.Fprintf(w, "| approximation 12lh² | %s |\n", comma(f.Approx))
	fmt.Fprintf(w, "| actual parameters | %s |\n", comma(f.Actual))
	fmt.Fprintf(w, "| difference | %s (%s) |\n", fmlSigned(f.Diff), fmlPercent(f))
	if f.Active > 0 {
		fmt.Fprintf(w, "| active per token | %s (%s) |\n", comma(f.Active), fmlMDText(f.ActiveNote))
	}

	w.WriteString("\n### Terms\n\n| term | textbook formula | textbook | checkpoint | difference | cause |\n|---|---|---:|---:|---:|---|\n")
	for _, x := range f.Terms {
		tb, diff := comma(x.Textbook), fmlSigned(x.Diff)
		if x.Formula == "" {
			tb = "-"
		}
		if !x.Counted {
			diff = "not counted"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", x.Name, x.Formula, tb, comma(x.Checkpoint), diff, fmlMDText(x.Cause))
	}
	for _, l := range f.Layers {
		g := f.Groups[l.Group]
		switch {
		case allLayers:
			fmt.Fprintf(w, "\n### Layer %d (%s)\n\n%s parameters, textbook 12h² + 13h = %s.\n\n", l.Layer, l.Stack, comma(l.Params), comma(l.Textbook))
		case g.Representative:
			fmt.Fprintf(w, "\n### Per-tensor diff, representative layer %d\n\n%s layers %s: %s parameters each, textbook 12h² + 13h = %s.\n\n",
				l.Layer, g.Stack, analysis.LayerRanges(g.Layers), comma(l.Params), comma(l.Textbook))
		default:
			fmt.Fprintf(w, "\n### Layers that differ: %s layers %s\n\nShown by layer %d: %s parameters per layer; %s.\n\n",
				g.Stack, analysis.LayerRanges(g.Layers), l.Layer, comma(g.Params), fmlMDText(g.Summary))
		}
		mdDiffRows(w, l.Rows)
	}
	w.WriteString("\n### Outside layers\n\n")
	mdDiffRows(w, f.Outside)

	w.WriteString("\n### Assumptions of the textbook formula\n\n| assumption | holds | evidence |\n|---|---|---|\n")
	for _, x := range f.Assumptions {
		mark := "broken"
		if x.Holds {
			mark = "holds"
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", x.Text, mark, fmlMDText(x.Evidence))
	}

	cf := f.Corrected
	w.WriteString("\n### Corrected formula for this checkpoint\n\n")
	fmt.Fprintf(w, "%s\n\n= %s\n\n= %s (actual %s, residual %s)\n\n", mdCode(cf.Symbolic), mdCode(cf.Numeric), comma(cf.Total), comma(f.Actual), fmlSigned(cf.Residual))
	w.WriteString("| symbol | value | meaning |\n|---|---:|---|\n")
	for _, s := range cf.Symbols {
		fmt.Fprintf(w, "| %s | %s | %s |\n", fmlMDText(s.Symbol), comma(s.Value), s.Meaning)
	}
	if len(cf.OtherTensors) > 0 {
		fmt.Fprintf(w, "\nn(other) is measured: %s.\n", fmlMDText(strings.Join(cf.OtherTensors, ", ")))
	}
	if len(cf.ResidualTensors) > 0 {
		w.WriteString("\nNot explained by the formula:\n\n")
		for _, s := range cf.ResidualTensors {
			fmt.Fprintf(w, "- %s\n", fmlMDText(s))
		}
	}
	if len(c.Findings) > 0 {
		w.WriteString("\n### Findings\n\n| level | code | message |\n|---|---|---|\n")
		for _, x := range c.Findings {
			fmt.Fprintf(w, "| %s | %s | %s |\n", x.Level, x.Code, fmlMDText(x.Message))
		}
	}
}

func mdDiffRows(w *bufio.Writer, rows []analysis.TensorDiff) {
	w.WriteString("| textbook | expected | params | checkpoint | shape | params | status | note |\n|---|---|---:|---|---|---:|---|---|\n")
	for _, d := range rows {
		exp, ep := "", ""
		if d.Textbook != "" {
			exp, ep = fmlShape(d.ExpectedShape), comma(d.ExpectedParams)
		}
		if len(d.Tensors) == 0 {
			fmt.Fprintf(w, "| %s | %s | %s | - | | | %s | %s |\n", d.Textbook, exp, ep, d.Status, fmlMDText(d.Note))
			continue
		}
		var names, shapes, params []string
		for _, x := range d.Tensors {
			names = append(names, mdCode(fmlTensor(x)))
			shapes = append(shapes, fmlShape(x.Shape))
			params = append(params, comma(x.Params))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", d.Textbook, exp, ep,
			strings.Join(names, "<br>"), strings.Join(shapes, "<br>"), strings.Join(params, "<br>"), d.Status, fmlMDText(d.Note))
	}
}
