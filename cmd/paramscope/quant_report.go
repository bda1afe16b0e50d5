package main

import (
	"bufio"
	"fmt"
	"strconv"

	"github.com/dustin/go-humanize"

	"github.com/paramscope/paramscope/analysis/quant"
)

// quantReport is inspect's quantization section: which schemes hold the
// parameters, how they are packed, and what one parameter really costs.
// It is present only when some parameter is quantized.
type quantReport struct {
	// ConfigScheme and ConfigSource say what config.json declares
	// ("gptq" from "quantization_config"), "" when it declares nothing.
	ConfigScheme string `json:"config_scheme,omitempty"`
	ConfigSource string `json:"config_source,omitempty"`
	// Schemes are the per-scheme totals, plain parameters as "none".
	Schemes []schemeReport `json:"schemes"`
	// TotalBytes is the stored bytes of all parameters and side tensors
	// (tied duplicates and buffers left out); TotalParams the logical
	// parameters they hold. EffectiveBits is TotalBytes × 8 / TotalParams.
	TotalBytes    uint64  `json:"bytes"`
	TotalParams   uint64  `json:"logical_parameters"`
	EffectiveBits float64 `json:"effective_bits_per_parameter"`
}

// schemeReport is one scheme's row. The float fields are derived from the
// integers beside them, rounded for reading; a machine can recompute them.
type schemeReport struct {
	Scheme        string  `json:"scheme"`
	Bits          int     `json:"bits"`
	GroupSize     int     `json:"group_size"`
	Tensors       int     `json:"tensors"`
	SideTensors   int     `json:"side_tensors"`
	LogicalParams uint64  `json:"logical_parameters"`
	ParamBytes    uint64  `json:"parameter_bytes"`
	SideBytes     uint64  `json:"side_bytes"`
	EffectiveBits float64 `json:"effective_bits_per_parameter"`
	BytesPerGroup float64 `json:"bytes_per_group"`
	// PackFactor and Packing come from the scheme's first packed tensor:
	// how many logical values one stored element holds, and how the stored
	// shape maps to the logical one.
	PackFactor    string `json:"pack_factor,omitempty"`
	Packing       string `json:"packing,omitempty"`
	PackingTensor string `json:"packing_example,omitempty"`
}

// newQuantReport builds the section from a classification; nil when no
// parameter is quantized and config.json declares no scheme.
func newQuantReport(q *quant.Result) *quantReport {
	if q == nil {
		return nil
	}
	sums := q.Sums()
	schemes := sums.Schemes
	quantized := q.ConfigScheme != ""
	for _, s := range schemes {
		if s.Scheme != "none" {
			quantized = true
		}
	}
	if !quantized {
		return nil
	}
	r := &quantReport{ConfigScheme: q.ConfigScheme, ConfigSource: q.ConfigSource, Schemes: make([]schemeReport, 0, len(schemes))}
	for k, s := range schemes {
		row := schemeReport{
			Scheme: s.Scheme, Bits: s.Bits, GroupSize: s.GroupSize,
			Tensors: s.Tensors, SideTensors: s.SideTensors,
			LogicalParams: s.LogicalParams, ParamBytes: s.ParamBytes, SideBytes: s.SideBytes,
			EffectiveBits: round4(s.EffectiveBits()), BytesPerGroup: round4(s.BytesPerGroup()),
		}
		// Examples is the scheme's first packed parameter, the one that
		// shows how the stored shape maps to the logical one.
		if i := sums.Examples[k]; i >= 0 {
			t := q.Tensors[i]
			row.PackFactor, row.Packing, row.PackingTensor = t.PackFactor(), t.Packing(), t.Name
		}
		r.Schemes = append(r.Schemes, row)
		r.TotalBytes += s.ParamBytes + s.SideBytes
		r.TotalParams += s.LogicalParams
	}
	if r.TotalParams > 0 {
		r.EffectiveBits = round4(float64(r.TotalBytes) * 8 / float64(r.TotalParams))
	}
	return r
}

// round4 rounds to four decimals, enough to tell 4.1652 from 4.1653 bits.
func round4(x float64) float64 {
	const scale = 10000
	if x < 0 {
		return -float64(int64(-x*scale+0.5)) / scale
	}
	return float64(int64(x*scale+0.5)) / scale
}

// writeQuantText renders the quantization section for people.
func writeQuantText(w *bufio.Writer, q *quantReport) {
	w.WriteString("\n")
	declared := "none declared in config.json"
	if q.ConfigScheme != "" {
		declared = q.ConfigScheme + " (config.json " + q.ConfigSource + ")"
	}
	fmt.Fprintf(w, "  quantization  %s; %s bits per parameter overall\n", escapeLine(declared), bitsString(q.EffectiveBits))
	tt := textTable{right: []bool{false, true, true, true, true, true, true, true, true, true}}
	tt.add("SCHEME", "BITS", "GROUP", "TENSORS", "SIDE", "PARAMETERS", "PARAM BYTES", "SIDE BYTES", "BITS/PARAM", "BYTES/GROUP")
	for _, s := range q.Schemes {
		tt.add(escapeLine(s.Scheme), dashIfZero(uint64(s.Bits)), dashIfZero(uint64(s.GroupSize)),
			comma(uint64(s.Tensors)), comma(uint64(s.SideTensors)), comma(s.LogicalParams),
			humanize.IBytes(s.ParamBytes), humanize.IBytes(s.SideBytes), bitsString(s.EffectiveBits), groupBytesString(s.BytesPerGroup))
	}
	tt.write(w)
	for _, s := range q.Schemes {
		if s.Packing != "" {
			fmt.Fprintf(w, "  packing %s: %s (e.g. %s)\n", escapeLine(s.Scheme), escapeLine(s.Packing), escapeLine(s.PackingTensor))
		}
	}
}

// writeQuantMarkdown renders the quantization section as a table.
func writeQuantMarkdown(w *bufio.Writer, q *quantReport) {
	declared := "none declared in config.json"
	if q.ConfigScheme != "" {
		declared = mdCode(q.ConfigScheme) + " (config.json " + mdCode(q.ConfigSource) + ")"
	}
	fmt.Fprintf(w, "\n**Quantization:** %s; %s bits per parameter overall\n", declared, bitsString(q.EffectiveBits))
	w.WriteString("\n| scheme | bits | group | tensors | side | parameters | param bytes | side bytes | bits/param | bytes/group | packing |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n")
	for _, s := range q.Schemes {
		packing := ""
		if s.Packing != "" {
			packing = mdCode(s.Packing)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", mdCode(s.Scheme),
			dashIfZero(uint64(s.Bits)), dashIfZero(uint64(s.GroupSize)), comma(uint64(s.Tensors)), comma(uint64(s.SideTensors)),
			comma(s.LogicalParams), humanize.IBytes(s.ParamBytes), humanize.IBytes(s.SideBytes),
			bitsString(s.EffectiveBits), groupBytesString(s.BytesPerGroup), packing)
	}
}

func dashIfZero(n uint64) string {
	if n == 0 {
		return "-"
	}
	return comma(n)
}

func bitsString(b float64) string { return strconv.FormatFloat(b, 'f', 4, 64) }

func groupBytesString(b float64) string {
	if b == 0 {
		return "-"
	}
	return strconv.FormatFloat(b, 'f', 2, 64)
}
