package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/paramscope/paramscope/analysis/estimate"
)

// The estimate report is a contract like inspect's (STYLE.md §2):
// schema_version, snake_case keys, raw integers (exact, however large),
// floats only for fractional quantities and then beside their integer
// part, a formula for every number. The renderers below only format it.

// estimateReport is the whole output of one estimate invocation.
type estimateReport struct {
	SchemaVersion int              `json:"schema_version"`
	Command       string           `json:"command"`
	Estimates     []*estimateEntry `json:"estimates"`
	// Errors are the paths that could not be estimated, in the order given.
	Errors []estPathError `json:"errors,omitempty"`
}

// estPathError is a path estimate could not read; the same shape as
// inspect's errors so scripts read both alike.
type estPathError struct {
	Path  string `json:"path"`
	Error string `json:"error"`
}

// estimateEntry is the estimates for one checkpoint or one set of
// hyper-parameters.
type estimateEntry struct {
	// Source is the path, or "hyper-parameters".
	Source string `json:"source"`
	// Checkpoint is true when the model was read from a checkpoint.
	Checkpoint bool `json:"checkpoint"`
	// ModelLabel names the corrected column for people.
	ModelLabel string          `json:"-"`
	Summary    string          `json:"summary"`
	Model      estModelJSON    `json:"model"`
	Workload   estWorkloadJSON `json:"workload"`
	Notes      []string        `json:"notes"`
	Sections   estSections     `json:"estimates"`
}

// estModelJSON is estimate.Model with config.json key names.
type estModelJSON struct {
	Layers           uint64        `json:"num_hidden_layers"`
	Hidden           uint64        `json:"hidden_size"`
	Vocab            uint64        `json:"vocab_size"`
	Heads            uint64        `json:"num_attention_heads"`
	KVHeads          uint64        `json:"num_key_value_heads"`
	HeadDim          uint64        `json:"head_dim"`
	FFN              uint64        `json:"intermediate_size"`
	Gated            bool          `json:"gated_mlp"`
	Experts          uint64        `json:"n_routed_experts,omitempty"`
	TopK             uint64        `json:"num_experts_per_tok,omitempty"`
	SharedExperts    uint64        `json:"n_shared_experts,omitempty"`
	ExpertFFN        uint64        `json:"moe_intermediate_size,omitempty"`
	DenseLayers      uint64        `json:"dense_layers,omitempty"`
	MLA              *estimate.MLA `json:"mla,omitempty"`
	SlidingWindow    uint64        `json:"sliding_window,omitempty"`
	TiedEmbeddings   bool          `json:"tie_word_embeddings"`
	LearnedPositions uint64        `json:"learned_positions"`
	Norm             string        `json:"norm"`
	Biases           string        `json:"bias"`
	ParamCount       uint64        `json:"parameter_count,omitempty"`
	ParamBytes       uint64        `json:"parameter_bytes,omitempty"`
}

// estWorkloadJSON is estimate.Workload for the document.
type estWorkloadJSON struct {
	Batch       uint64             `json:"batch"`
	Seq         uint64             `json:"seq"`
	Gen         uint64             `json:"gen"`
	Weights     string             `json:"weights_dtype"`
	KV          string             `json:"kv_dtype"`
	Tokens      uint64             `json:"tokens,omitempty"`
	GPUs        uint64             `json:"gpus,omitempty"`
	PeakTFLOPs  string             `json:"peak_tflops,omitempty"` // exact decimal as given
	Utilization string             `json:"utilization,omitempty"`
	Recompute   string             `json:"recompute"`
	TP          uint64             `json:"tp"`
	SP          bool               `json:"sp"`
	Optimizer   estimate.Optimizer `json:"optimizer"`
	BytesPer    uint64             `json:"optimizer_bytes_per_parameter"`
}

// estSections is the ordered list of sections, written to JSON as an
// object of objects in that order: {"flops": {"forward_per_token": ...}}.
type estSections []estimate.Section

// newEstimateEntry gathers what the renderers show about one estimate.
func newEstimateEntry(source string, checkpoint bool, r *estimate.Report) *estimateEntry {
	m, w := &r.Model, &r.Workload
	e := &estimateEntry{
		Source:     source,
		Checkpoint: checkpoint,
		ModelLabel: "this model (corrected)",
		Summary:    m.Describe(),
		Model: estModelJSON{
			Layers: m.Layers, Hidden: m.Hidden, Vocab: m.Vocab, Heads: m.Heads, KVHeads: m.KVHeads,
			HeadDim: m.HeadDim, FFN: m.FFN, Gated: m.Gated, Experts: m.Experts, TopK: m.TopK,
			SharedExperts: m.SharedExperts, ExpertFFN: m.ExpertFFN, DenseLayers: m.DenseLayers, MLA: m.MLA,
			SlidingWindow: m.SlidingWindow, TiedEmbeddings: m.TiedEmbeddings, LearnedPositions: m.LearnedPositions,
			Norm: m.Norm, Biases: m.Biases, ParamCount: m.ParamCount, ParamBytes: m.ParamBytes,
		},
		Workload: estWorkloadJSON{
			Batch: w.Batch, Seq: w.Seq, Gen: w.Gen, Weights: w.Weights.Name, KV: w.KV.Name,
			Tokens: w.Tokens, GPUs: w.GPUs, Recompute: string(w.Recompute), TP: w.TP, SP: w.SP,
			Optimizer: w.Optimizer, BytesPer: w.Optimizer.PerParam(),
		},
		Notes:    append([]string{}, m.Notes...),
		Sections: estSections(r.Sections),
	}
	if checkpoint {
		e.ModelLabel = "this checkpoint"
	}
	if w.PeakTFLOPs != nil {
		e.Workload.PeakTFLOPs = estRatString(w.PeakTFLOPs)
	}
	if w.Utilization != nil {
		e.Workload.Utilization = estRatString(w.Utilization)
	}
	return e
}

// estRatString writes a rational that came from a decimal flag back as a
// short decimal.
func estRatString(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	s := r.FloatString(12)
	return strings.TrimRight(strings.TrimRight(s, "0"), ".")
}

// MarshalJSON writes the sections in order as nested objects.
func (s estSections) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := jsontext.NewEncoder(&buf)
	tok := func(t jsontext.Token) {
		if err := enc.WriteToken(t); err != nil {
			panic(err) // only a bug in this function can make the token sequence invalid
		}
	}
	quantity := func(q *estimate.Quantity) {
		tok(jsontext.BeginObject)
		tok(jsontext.String("value"))
		if err := enc.WriteValue(jsontext.Value(q.Value.String())); err != nil {
			panic(err)
		}
		if q.Float != nil {
			tok(jsontext.String("float_value"))
			tok(jsontext.Float(*q.Float))
		}
		tok(jsontext.String("unit"))
		tok(jsontext.String(string(q.Unit)))
		tok(jsontext.String("formula"))
		tok(jsontext.String(q.Formula))
		tok(jsontext.EndObject)
	}
	tok(jsontext.BeginObject)
	for _, sec := range s {
		tok(jsontext.String(sec.Key))
		tok(jsontext.BeginObject)
		for _, r := range sec.Rows {
			tok(jsontext.String(r.Key))
			tok(jsontext.BeginObject)
			tok(jsontext.String("label"))
			tok(jsontext.String(r.Label))
			tok(jsontext.String("textbook"))
			quantity(&r.Textbook)
			if r.Model != nil {
				tok(jsontext.String("corrected"))
				quantity(r.Model)
			}
			if r.Note != "" {
				tok(jsontext.String("note"))
				tok(jsontext.String(r.Note))
			}
			tok(jsontext.EndObject)
		}
		tok(jsontext.EndObject)
	}
	tok(jsontext.EndObject)
	return buf.Bytes(), nil
}

// renderEstimate writes r in format f.
func renderEstimate(w io.Writer, f format, r *estimateReport) error {
	switch f {
	case formatJSON:
		return renderEstimateJSON(w, r)
	case formatMarkdown:
		return renderEstimateMarkdown(w, r)
	}
	return renderEstimateText(w, r)
}

// renderEstimateJSON writes r as one indented JSON document.
func renderEstimateJSON(w io.Writer, r *estimateReport) error {
	if r.Estimates == nil {
		r.Estimates = []*estimateEntry{}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// estHuman formats a quantity's value for people: the exact integer with
// thousands separators, then a short form (IEC for bytes, SI otherwise).
func estHuman(q *estimate.Quantity) string {
	exact := humanize.BigComma(q.Value)
	f, _ := new(big.Float).SetInt(q.Value).Float64()
	switch q.Unit {
	case estimate.UnitBytes:
		return exact + " bytes (" + humanize.BigIBytes(q.Value) + ")"
	case estimate.UnitSeconds:
		s := exact + " s"
		if q.Float != nil {
			s += " (" + strconv.FormatFloat(*q.Float, 'f', 2, 64) + " s"
		} else {
			s += " ("
		}
		return s + fmt.Sprintf(" ≈ %.1f days)", f/86400)
	case estimate.UnitFLOPs:
		return exact + " (" + estSI(f, "FLOP") + ")"
	}
	return exact + " (" + estSI(f, "") + ")"
}

// estSI is humanize's SI form, which stops at 10²⁴; beyond it the
// scientific form reads better than a long mantissa.
func estSI(f float64, unit string) string {
	if f >= 1e27 || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'e', 3, 64) + " " + unit
	}
	v, prefix := humanize.ComputeSI(f)
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return strings.TrimSpace(s + " " + prefix + unit)
}

// renderEstimateText writes r for people.
func renderEstimateText(w io.Writer, r *estimateReport) error {
	bw := bufio.NewWriter(w)
	for i, e := range r.Estimates {
		if i > 0 {
			bw.WriteString("\n")
		}
		fmt.Fprintf(bw, "estimate: %s\n", escapeLine(e.Source))
		fmt.Fprintf(bw, "model: %s\n", e.Summary)
		wl := &e.Workload
		fmt.Fprintf(bw, "workload: b=%d s=%d n=%d, weights %s, KV cache %s, recompute %s, t=%d, sp %s\n",
			wl.Batch, wl.Seq, wl.Gen, wl.Weights, wl.KV, wl.Recompute, wl.TP, onOff(wl.SP))
		if wl.Tokens > 0 {
			fmt.Fprintf(bw, "training: %s tokens", humanize.Comma(int64(wl.Tokens)))
			if wl.GPUs > 0 {
				fmt.Fprintf(bw, " on %d GPUs at %s TFLOP/s, utilization %s", wl.GPUs, wl.PeakTFLOPs, wl.Utilization)
			}
			bw.WriteString("\n")
		}
		fmt.Fprintf(bw, "optimizer: %s, %d bytes per parameter: %s (%s)\n",
			wl.Optimizer.Name, wl.BytesPer, wl.Optimizer.Describe, wl.Optimizer.Source)
		for _, n := range e.Notes {
			fmt.Fprintf(bw, "note: %s\n", escapeLine(n))
		}
		for _, sec := range e.Sections {
			fmt.Fprintf(bw, "\n%s\n", sec.Title)
			for _, row := range sec.Rows {
				fmt.Fprintf(bw, "  %s\n", row.Label)
				fmt.Fprintf(bw, "    %-24s %s\n", "textbook (article)", estHuman(&row.Textbook))
				fmt.Fprintf(bw, "    %-24s = %s\n", "", row.Textbook.Formula)
				if row.Model != nil {
					fmt.Fprintf(bw, "    %-24s %s\n", e.ModelLabel, estHuman(row.Model))
					fmt.Fprintf(bw, "    %-24s = %s\n", "", row.Model.Formula)
				}
				if row.Note != "" {
					fmt.Fprintf(bw, "    note: %s\n", row.Note)
				}
			}
		}
	}
	return bw.Flush()
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// renderEstimateMarkdown writes r as GitHub-flavoured Markdown, one table
// per section.
func renderEstimateMarkdown(w io.Writer, r *estimateReport) error {
	bw := bufio.NewWriter(w)
	for i, e := range r.Estimates {
		if i > 0 {
			bw.WriteString("\n")
		}
		fmt.Fprintf(bw, "## Estimate: %s\n\n", mdCode(e.Source))
		fmt.Fprintf(bw, "Model: %s\n\n", mdCode(e.Summary))
		wl := &e.Workload
		fmt.Fprintf(bw, "Workload: b=%d, s=%d, n=%d, weights %s, KV cache %s, recompute %s, t=%d, sp %s",
			wl.Batch, wl.Seq, wl.Gen, wl.Weights, wl.KV, wl.Recompute, wl.TP, onOff(wl.SP))
		if wl.Tokens > 0 {
			fmt.Fprintf(bw, ", %s training tokens", humanize.Comma(int64(wl.Tokens)))
			if wl.GPUs > 0 {
				fmt.Fprintf(bw, " on %d GPUs at %s TFLOP/s, utilization %s", wl.GPUs, wl.PeakTFLOPs, wl.Utilization)
			}
		}
		fmt.Fprintf(bw, ".\n\nOptimizer: %s, %d bytes per parameter: %s (%s).\n",
			wl.Optimizer.Name, wl.BytesPer, wl.Optimizer.Describe, wl.Optimizer.Source)
		if len(e.Notes) > 0 {
			bw.WriteString("\nNotes:\n\n")
			for _, n := range e.Notes {
				fmt.Fprintf(bw, "- %s\n", strings.ReplaceAll(escapeLine(n), "|", `\|`))
			}
		}
		for _, sec := range e.Sections {
			fmt.Fprintf(bw, "\n### %s\n\n", sec.Title)
			fmt.Fprintf(bw, "| quantity | textbook (article) | %s |\n|---|---|---|\n", e.ModelLabel)
			for _, row := range sec.Rows {
				label := row.Label
				if row.Note != "" {
					label += "<br>" + row.Note
				}
				model := ""
				if row.Model != nil {
					model = estHuman(row.Model) + "<br>" + mdCode(row.Model.Formula)
				}
				fmt.Fprintf(bw, "| %s | %s | %s |\n", strings.ReplaceAll(label, "|", `\|`),
					estHuman(&row.Textbook)+"<br>"+mdCode(row.Textbook.Formula), model)
			}
		}
	}
	return bw.Flush()
}
