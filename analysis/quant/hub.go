package quant

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/paramscope/paramscope/analysis/findings"
	"github.com/paramscope/paramscope/reader"
)

// The Hugging Face Hub's JavaScript client computes the parameter count
// people see next to a model (@huggingface/hub, packages/hub/src/lib/
// parse-safetensors-metadata.ts, computeNumOfParamsByDtypeSingleFile). Its
// rules are restated here as facts so paramscope can say, number by
// number, where it disagrees: the Hub counts every stored element except
// the side tensors it recognises, multiplies packed containers by a factor
// chosen per quant_method, skips scalars, and knows nothing of buffers,
// tied copies, MLX or GPTQ's zero biases.

// HubTotals is what the Hub's rules give for a checkpoint.
type HubTotals struct {
	// Total is the sum over dtypes.
	Total uint64 `json:"total"`
	// ByDType is the Hub's per-dtype count ("BF16": ..., "U8": ...).
	ByDType map[reader.DType]uint64 `json:"by_dtype"`
}

// hubAux are the side-tensor suffixes the Hub skips whenever config.json
// has a quantization_config (QUANTIZATION_AUXILIARY_SUFFIXES).
var hubAux = map[string]bool{
	"weight_scale": true, "weight_scale_inv": true, "weight_scale_2": true, "weight_global_scale": true,
	"weight_zero_point": true, "input_scale": true, "input_global_scale": true, "input_zero_point": true,
	"zero_point": true, "weight_shape": true, "weight_g_idx": true,
}

// hubBnB are bitsandbytes' state suffixes (BITSANDBYTES_AUXILIARY_SUFFIXES).
var hubBnB = map[string]bool{"absmax": true, "quant_map": true, "nested_absmax": true, "nested_quant_map": true}

// hubConfig is the part of config.json the Hub reads: quantization_config
// (or text_config's) and expert_dtype. MLX's "quantization" is not read.
type hubConfig struct {
	present     bool
	method      string
	bits        int
	hasBits     bool
	load4       bool
	format      string
	groups      []hubGroup
	ignore      []string
	notConvert  []string
	expertDType string
	// expertBits is hubFormatBits(expertDType), computed once.
	expertBits int
}

type hubGroup struct {
	format  string
	targets []string
	bits    int
}

func parseHubConfig(cfg *reader.Config) hubConfig {
	var h hubConfig
	if cfg == nil {
		return h
	}
	obj, ok := cfg.Object("quantization_config")
	if !ok {
		obj, ok = cfg.Object("text_config", "quantization_config")
	}
	if s, ok := cfg.String("expert_dtype"); ok {
		h.expertDType = s
	} else if s, ok := cfg.String("text_config", "expert_dtype"); ok {
		h.expertDType = s
	}
	h.expertBits = hubFormatBits(h.expertDType)
	if !ok {
		return h
	}
	h.present = true
	h.method = strings.ToLower(str(obj["quant_method"]))
	h.bits = intOf(obj["bits"])
	_, h.hasBits = obj["bits"].(reader.Number)
	h.load4 = boolOf(obj["load_in_4bit"])
	h.format = str(obj["format"])
	h.ignore = strs(obj["ignore"])
	h.notConvert = strs(obj["modules_to_not_convert"])
	if groups, ok := obj["config_groups"].(map[string]any); ok {
		// The Hub walks the groups in the JSON's key order; the reader keeps
		// objects as maps, so they are taken in name order, which agrees
		// for the usual group_0, group_1, ... naming.
		names := make([]string, 0, len(groups))
		for k := range groups {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			g, _ := groups[k].(map[string]any)
			hg := hubGroup{format: str(g["format"]), targets: strs(g["targets"])}
			if w, ok := g["weights"].(map[string]any); ok {
				hg.bits = intOf(w["num_bits"])
			}
			h.groups = append(h.groups, hg)
		}
	}
	return h
}

// HubCount applies the Hub's counting rules to a checkpoint's tensors.
func HubCount(tensors []reader.Tensor, cfg *reader.Config) HubTotals {
	h := parseHubConfig(cfg)
	out := HubTotals{ByDType: map[reader.DType]uint64{}}
	for _, t := range tensors {
		n := h.count(t)
		if n == 0 {
			continue
		}
		out.ByDType[t.DType] += n
		out.Total += n
	}
	return out
}

// count is one tensor's contribution under the Hub's rules.
func (h hubConfig) count(t reader.Tensor) uint64 {
	if h.skip(t) || len(t.Shape) == 0 {
		return 0
	}
	m := 1.0
	if h.present {
		m = h.multiplier(t)
	}
	if m == 0 {
		return 0
	}
	return uint64(math.Round(float64(t.Elements()) * m))
}

func hubSuffix(name string) string {
	_, leaf := split(name)
	return leaf
}

// skip is shouldSkipTensor.
func (h hubConfig) skip(t reader.Tensor) bool {
	if t.DType == reader.F8_E8M0 {
		return true
	}
	if !h.present {
		return false
	}
	suffix := hubSuffix(t.Name)
	if hubAux[suffix] {
		return true
	}
	switch h.method {
	case "mxfp4":
		return t.DType == reader.U8 && strings.HasSuffix(suffix, "_scales")
	case "bitsandbytes":
		return hubBnB[suffix] || strings.HasPrefix(suffix, "bitsandbytes__")
	case "gptq", "awq":
		if !h.quantized(t.Name) {
			return false
		}
		return suffix == "qzeros" || suffix == "g_idx" || suffix == "scales"
	}
	return false
}

// quantized is isQuantizedTensor: not in ignore (compressed-tensors
// targets over the module name) nor in modules_to_not_convert (substring,
// or glob with '*').
func (h hubConfig) quantized(name string) bool {
	if len(h.ignore) > 0 {
		module := name
		if i := strings.LastIndex(name, ".weight"); i >= 0 {
			module = name[:i]
		}
		for _, target := range h.ignore {
			if hubTarget(target, module) {
				return false
			}
		}
	}
	if len(h.notConvert) == 0 {
		return true
	}
	for _, p := range h.notConvert {
		if strings.Contains(p, "*") {
			if g, err := parseGlob(p); err == nil && g.match(name) {
				return false
			}
		} else if strings.Contains(name, p) {
			return false
		}
	}
	return true
}

// hubTarget is the Hub's matchesCompressedTensorsTarget: exact names, and
// "re:" patterns turned into globs ('.*' → '*', '\.' → '.'), anything else
// in them making the target match nothing. Class names such as "Linear"
// match no module name there.
func hubTarget(target, module string) bool {
	body, isRe := strings.CutPrefix(target, "re:")
	if !isRe {
		return target == module
	}
	body = strings.TrimPrefix(body, "^")
	if strings.HasSuffix(body, "$") {
		body = body[:len(body)-1]
	} else {
		body += ".*"
	}
	glob := strings.ReplaceAll(strings.ReplaceAll(body, ".*", "*"), `\.`, ".")
	if strings.ContainsAny(glob, `\+?()[]{}|^$`) {
		return false
	}
	g, err := parseGlob(glob)
	return err == nil && g.match(module)
}

// hubFormatBits is bitsFromFormatString (SUB_BYTE_FORMAT_BITS).
func hubFormatBits(s string) int {
	s = strings.ToLower(s)
	for _, p := range []struct {
		sub  string
		bits int
	}{{"nvfp4", 4}, {"mxfp4", 4}, {"fp4", 4}, {"int4", 4}, {"uint4", 4}, {"nf4", 4}, {"int2", 2}} {
		if strings.Contains(s, p.sub) {
			return p.bits
		}
	}
	return 0
}

// hubPacking is packingFactor: container bits / value bits, not floored.
func hubPacking(d reader.DType, bits int) float64 {
	c := containerBits(d)
	if c == 0 || bits <= 0 || bits >= c {
		return 1
	}
	return float64(c) / float64(bits)
}

// multiplier is getQuantizationMultiplier.
func (h hubConfig) multiplier(t reader.Tensor) float64 {
	if !h.quantized(t.Name) {
		return 1
	}
	switch h.method {
	case "mxfp4":
		if t.DType == reader.U8 && strings.Contains(t.Name, "_blocks") {
			return 2
		}
		return 1
	case "gptq", "awq":
		if hubSuffix(t.Name) == "qweight" {
			b := 4
			if h.bits > 0 {
				b = h.bits
			}
			return math.Max(1, math.Floor(32/float64(b)))
		}
		if h.bits == 4 && t.DType == reader.U8 {
			return 2
		}
		if h.bits == 2 && t.DType == reader.U8 {
			return 4
		}
		return 1
	case "compressed-tensors":
		if containerBits(t.DType) == 0 {
			return 1
		}
		module := t.Name
		if i := strings.LastIndex(t.Name, ".weight"); i >= 0 {
			module = t.Name[:i]
		}
		var group *hubGroup
		for i := range h.groups {
			for _, target := range h.groups[i].targets {
				if hubTarget(target, module) {
					group = &h.groups[i]
					break
				}
			}
			if group != nil {
				break
			}
		}
		format := h.format
		if group != nil && group.format != "" {
			format = group.format
		}
		format = strings.ToLower(format)
		if !strings.HasSuffix(format, "pack-quantized") {
			return 1
		}
		bits := 0
		if group != nil {
			bits = group.bits
		}
		for i := 0; bits == 0 && i < len(h.groups); i++ {
			bits = h.groups[i].bits
		}
		if bits == 0 {
			bits = hubFormatBits(format)
		}
		if bits == 0 {
			bits = 4
		}
		return hubPacking(t.DType, bits)
	case "fp8":
		b := h.expertBits
		// hubPacking is 1 for a non-integer container or no width: the
		// name need not be searched then.
		if c := containerBits(t.DType); c == 0 || b <= 0 || b >= c {
			return 1
		}
		if !strings.Contains(t.Name, ".experts.") || strings.Contains(t.Name, "shared_experts") {
			return 1
		}
		return hubPacking(t.DType, b)
	case "bitsandbytes":
		if h.load4 && t.DType == reader.U8 {
			return 2
		}
		return 1
	}
	if t.DType == reader.U8 && (h.load4 || h.bits == 4) {
		return 2
	}
	return 1
}

// hubSums is the Hub's count of a classified checkpoint, split by what
// paramscope found each tensor to be.
type hubSums struct {
	h                                      hubConfig
	byDType                                map[reader.DType]uint64
	total, params, logical, side, buf, dup uint64
	sideNames, bufNames, paramNames        capped
}

// countCoded is count for a tensor whose leaf code and element count are
// known, without splitting its name again.
func (h *hubConfig) countCoded(t *reader.Tensor, code leafCode, elems uint64) uint64 {
	if len(t.Shape) == 0 || t.DType == reader.F8_E8M0 {
		return 0
	}
	if !h.present {
		return uint64(math.Round(float64(elems)))
	}
	switch {
	case hubAuxCode[code]:
		return 0
	case h.method == "mxfp4" || h.method == "bitsandbytes" || h.method == "gptq" || h.method == "awq":
		// These rules read the name's suffix or the ignore lists.
		if h.skip(*t) {
			return 0
		}
	}
	m := h.multiplier(*t)
	if m == 0 {
		return 0
	}
	return uint64(math.Round(float64(elems) * m))
}

// hub returns the Hub's count that summarize added up and, when it differs
// from the logical count, a finding that splits the difference by what
// paramscope found each tensor to be.
func (c *classifier) hub() HubTotals {
	hs := &c.hubSums
	out := HubTotals{Total: hs.total, ByDType: hs.byDType}
	if out.Total == hs.logical {
		return out
	}
	var parts []string
	var ev []string
	if hs.params != hs.logical {
		parts = append(parts, fmt.Sprintf("it counts the parameters as %d where paramscope unpacks them to %d (%d tensors: packing or scalars the Hub's rules treat differently)", hs.params, hs.logical, hs.paramNames.n))
		ev = append(ev, hs.paramNames.list()...)
	}
	if hs.side > 0 {
		parts = append(parts, fmt.Sprintf("it counts %d elements of %d quantization side tensors", hs.side, hs.sideNames.n))
		ev = append(ev, hs.sideNames.list()...)
	}
	if hs.buf > 0 {
		parts = append(parts, fmt.Sprintf("it counts %d elements of %d buffers", hs.buf, hs.bufNames.n))
		ev = append(ev, hs.bufNames.list()...)
	}
	if hs.dup > 0 {
		parts = append(parts, fmt.Sprintf("it counts the tied copy's %d parameters", hs.dup))
	}
	method := hs.h.method
	if !hs.h.present {
		method = "none"
	}
	c.add(findings.Info, "hub_count_differs", fmt.Sprintf("the Hugging Face Hub's parameter count (its parser's rules, quantization_config method %q) is %d, paramscope's %d: %s", method, out.Total, hs.logical, strings.Join(parts, "; ")), ev...)
	return out
}
