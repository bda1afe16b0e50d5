package quant

import (
	"sort"
	"strings"

	"github.com/paramscope/paramscope/reader"
)

// qconfig is what config.json says about quantization, read from
// quantization_config (transformers' key, also under text_config for
// multimodal models) or from quantization (MLX's key). Every field is a fact
// from the file; nothing is defaulted here.
type qconfig struct {
	// source is the config key the facts came from, "" when none.
	source string
	// method is quant_method lower-cased ("gptq", "awq", "bitsandbytes",
	// "compressed-tensors", "fp8", "mxfp4", "modelopt", ...), "mlx" for MLX.
	method string
	// bits and groupSize are the top-level "bits"/"group_size" (GPTQ, AWQ,
	// MLX); 0 when absent.
	bits, groupSize int
	// load4 and load8 are bitsandbytes' load_in_4bit/load_in_8bit.
	load4, load8 bool
	// bnbType is bnb_4bit_quant_type ("nf4" or "fp4").
	bnbType string
	// format is compressed-tensors' top-level format ("pack-quantized",
	// "nvfp4-pack-quantized", "float-quantized", ...), or AWQ's "version".
	format string
	// quantAlgo is ModelOpt's quant_algo ("NVFP4", "FP8").
	quantAlgo string
	// groups are compressed-tensors' config_groups, sorted by name.
	groups []ctGroup
	// ignore is compressed-tensors' ignore list (module names or re: patterns).
	ignore []string
	// notConvert is modules_to_not_convert / llm_int8_skip_modules
	// (substrings, or globs when they hold '*').
	notConvert []string
	// expertDType is expert_dtype (DeepSeek-V4 style: "fp4" experts in an
	// fp8 checkpoint), from the top level or text_config.
	expertDType string
	// blockSize is weight_block_size ([128, 128] for DeepSeek-V3 FP8).
	blockSize []int
	// mlxModules holds MLX's per-module overrides: module name to bits and
	// group size (0 when not given).
	mlxModules map[string][2]int
}

// ctGroup is one entry of compressed-tensors' config_groups.
type ctGroup struct {
	name      string
	targets   []string
	bits      int
	typ       string // weights.type: "int" or "float"
	strategy  string // weights.strategy: "group", "channel", "tensor", "block"
	groupSize int
	format    string // per-group format, overriding the top-level one
}

func (q *qconfig) present() bool { return q != nil && q.source != "" }

// parseConfig reads the quantization facts of cfg (nil-safe).
func parseConfig(cfg *reader.Config) *qconfig {
	q := &qconfig{}
	if cfg == nil {
		return q
	}
	obj, ok := cfg.Object("quantization_config")
	src := "quantization_config"
	if !ok {
		obj, ok = cfg.Object("text_config", "quantization_config")
		src = "text_config.quantization_config"
	}
	if ok {
		q.source = src
		q.method = strings.ToLower(str(obj["quant_method"]))
		q.bits = intOf(obj["bits"])
		if q.bits == 0 {
			q.bits = intOf(obj["w_bit"]) // AutoAWQ's own quant_config key
		}
		q.groupSize = intOf(obj["group_size"])
		if q.groupSize == 0 {
			q.groupSize = intOf(obj["q_group_size"])
		}
		q.load4 = boolOf(obj["load_in_4bit"]) || boolOf(obj["_load_in_4bit"])
		q.load8 = boolOf(obj["load_in_8bit"]) || boolOf(obj["_load_in_8bit"])
		q.bnbType = strings.ToLower(str(obj["bnb_4bit_quant_type"]))
		q.format = strings.ToLower(str(obj["format"]))
		if q.format == "" && (q.method == "awq") {
			q.format = strings.ToLower(str(obj["version"]))
		}
		q.quantAlgo = strings.ToUpper(str(obj["quant_algo"]))
		q.ignore = strs(obj["ignore"])
		if q.ignore == nil {
			q.ignore = strs(obj["exclude_modules"]) // ModelOpt's spelling
		}
		q.notConvert = strs(obj["modules_to_not_convert"])
		if q.notConvert == nil {
			q.notConvert = strs(obj["llm_int8_skip_modules"])
		}
		for _, v := range list(obj["weight_block_size"]) {
			q.blockSize = append(q.blockSize, intOf(v))
		}
		if groups, ok := obj["config_groups"].(map[string]any); ok {
			for name, g := range groups {
				gm, ok := g.(map[string]any)
				if !ok {
					continue
				}
				cg := ctGroup{name: name, targets: strs(gm["targets"]), format: strings.ToLower(str(gm["format"]))}
				if w, ok := gm["weights"].(map[string]any); ok {
					cg.bits = intOf(w["num_bits"])
					cg.typ = strings.ToLower(str(w["type"]))
					cg.strategy = strings.ToLower(str(w["strategy"]))
					cg.groupSize = intOf(w["group_size"])
				}
				q.groups = append(q.groups, cg)
			}
			sort.Slice(q.groups, func(i, j int) bool { return q.groups[i].name < q.groups[j].name })
		}
		if q.method == "" && (q.load4 || q.load8) {
			q.method = "bitsandbytes"
		}
	} else if obj, ok := cfg.Object("quantization"); ok {
		// MLX writes {"group_size": 64, "bits": 4} and, for mixed
		// precision, per-module objects keyed by module path.
		q.source = "quantization"
		q.method = "mlx"
		q.bits = intOf(obj["bits"])
		q.groupSize = intOf(obj["group_size"])
		for k, v := range obj {
			if m, ok := v.(map[string]any); ok {
				if q.mlxModules == nil {
					q.mlxModules = map[string][2]int{}
				}
				q.mlxModules[k] = [2]int{intOf(m["bits"]), intOf(m["group_size"])}
			}
		}
	}
	if s, ok := cfg.String("expert_dtype"); ok {
		q.expertDType = strings.ToLower(s)
	} else if s, ok := cfg.String("text_config", "expert_dtype"); ok {
		q.expertDType = strings.ToLower(s)
	}
	return q
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func intOf(v any) int {
	n, ok := v.(reader.Number)
	if !ok {
		return 0
	}
	i, ok := n.Int()
	if !ok || i < 0 || i > 1<<30 {
		return 0
	}
	return int(i)
}

func boolOf(v any) bool {
	b, _ := v.(bool)
	return b
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func strs(v any) []string {
	l, ok := v.([]any)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(l))
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// cfgInt returns an integer config key, looking in text_config too.
func cfgInt(cfg *reader.Config, key string) (int64, bool) {
	if v, ok := cfg.Int(key); ok {
		return v, true
	}
	return cfg.Int("text_config", key)
}

// cfgBool returns a boolean config key, looking in text_config too.
func cfgBool(cfg *reader.Config, key string) (bool, string, bool) {
	if v, ok := cfg.Bool(key); ok {
		return v, key, true
	}
	if v, ok := cfg.Bool("text_config", key); ok {
		return v, "text_config." + key, true
	}
	return false, "", false
}

// modelType returns config.json's model_type ("" when absent).
func modelType(cfg *reader.Config) string {
	s, _ := cfg.String("model_type")
	return s
}

// bitsFromFormat reads a value width out of a format or dtype string
// ("nvfp4-pack-quantized" → 4, "int4" → 4), 0 when it names none.
func bitsFromFormat(s string) int {
	s = strings.ToLower(s)
	for _, p := range []struct {
		sub  string
		bits int
	}{{"fp4", 4}, {"int4", 4}, {"uint4", 4}, {"nf4", 4}, {"int2", 2}, {"int8", 8}} {
		if strings.Contains(s, p.sub) {
			return p.bits
		}
	}
	return 0
}
