package analysis

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/paramscope/paramscope/analysis/findings"
	"github.com/paramscope/paramscope/analysis/quant"
	"github.com/paramscope/paramscope/reader"
)

// Term is one row of the term table: a part of the model, what the textbook
// formula gives it and what the checkpoint holds.
type Term struct {
	// Name is a stable snake_case identifier ("attention", "lm_head").
	Name string `json:"name"`
	// Formula is the textbook's expression for the row, "" for rows the
	// textbook does not have.
	Formula string `json:"formula,omitempty"`
	// Textbook is the formula's value with the inferred l, h, V.
	Textbook uint64 `json:"textbook"`
	// Checkpoint is what the checkpoint's tensors of this row hold (logical
	// parameters; elements for rows that are not counted).
	Checkpoint uint64 `json:"checkpoint"`
	// Diff is Checkpoint - Textbook.
	Diff int64 `json:"difference"`
	// Counted is false for buffers and quantization side tensors: shown,
	// never added to the parameter count.
	Counted bool `json:"counted"`
	// Tensors is how many tensors the row holds.
	Tensors int `json:"tensors"`
	// Cause names the reason for the difference with numbers.
	Cause string `json:"cause"`
}

// TensorRef is one checkpoint tensor (or a run of per-expert tensors folded
// into one line) in the per-tensor diff.
type TensorRef struct {
	// Name is the tensor's name; per-expert tensors show the expert index as "*".
	Name string `json:"name"`
	// Shape is the logical shape (of one expert when Count > 1).
	Shape []uint64 `json:"shape"`
	// DType is the stored element type.
	DType string `json:"dtype"`
	// Count is the number of tensors folded into the line (experts).
	Count int `json:"count"`
	// Params is the logical parameters (elements for buffers and side tensors)
	// of all of them.
	Params uint64 `json:"params"`
}

// Diff statuses of the per-tensor diff.
const (
	StatusMatch     = "match"          // the textbook's tensor, same shape
	StatusDifferent = "different"      // present, other shape or split/fused
	StatusMissing   = "missing"        // the textbook expects it, the checkpoint has none
	StatusExtra     = "extra"          // the checkpoint has it, the textbook does not
	StatusBuffer    = "buffer"         // stored, not a parameter
	StatusSide      = "side"           // quantization side tensor, not a parameter
	StatusDuplicate = "tied_duplicate" // a tied copy stored twice, counted once
)

// TensorDiff is one line of the per-tensor diff: a tensor the textbook
// expects against what the checkpoint has.
type TensorDiff struct {
	// Textbook is the article's name for the tensor ("W_Q", "LN1 γ"), "" for
	// checkpoint tensors the textbook does not have.
	Textbook string `json:"textbook,omitempty"`
	// ExpectedShape is the textbook's shape as [out, in], nil for extras.
	ExpectedShape  []uint64 `json:"expected_shape,omitempty"`
	ExpectedParams uint64   `json:"expected_params"`
	// Role is the checkpoint tensors' role.
	Role    Role        `json:"role,omitempty"`
	Tensors []TensorRef `json:"tensors,omitempty"`
	Params  uint64      `json:"params"`
	Status  string      `json:"status"`
	Note    string      `json:"note,omitempty"`
}

// LayerDiff is the per-tensor diff of one layer.
type LayerDiff struct {
	Stack string `json:"stack"`
	Layer int    `json:"layer"`
	// Group indexes FormulaReport.Groups.
	Group int `json:"group"`
	// Params is the layer's logical parameters; Textbook is 12h² + 13h.
	Params   uint64       `json:"params"`
	Textbook uint64       `json:"textbook"`
	Rows     []TensorDiff `json:"rows"`
}

// LayerGroup is a set of layers whose tensors have the same names (up to the
// layer index) and shapes.
type LayerGroup struct {
	Stack  string `json:"stack"`
	Layers []int  `json:"layers"`
	// Representative marks the main stack's most common layer kind, the one
	// the per-tensor diff shows in full.
	Representative bool `json:"representative"`
	// Params is one layer's logical parameters.
	Params uint64 `json:"params_per_layer"`
	// Summary says how the group's layers differ from the representative one.
	Summary string `json:"summary"`
}

// Assumption is one of the textbook's assumptions, held or broken.
type Assumption struct {
	// Name is a stable identifier ("multi_head_attention").
	Name string `json:"name"`
	// Text states the assumption.
	Text     string `json:"text"`
	Holds    bool   `json:"holds"`
	Evidence string `json:"evidence"`
}

// Monomial is coef × a product of architecture symbols, with its value.
type Monomial struct {
	Coef uint64 `json:"coefficient"`
	// Symbol is the product in symbols ("h²", "h·G·d", "V·h").
	Symbol string `json:"symbol"`
	// Numeric is the same product in numbers ("4096·8·128").
	Numeric string `json:"numeric"`
	// Unit is the product's value; Value is Coef × Unit.
	Unit  uint64 `json:"unit"`
	Value uint64 `json:"value"`
}

// CorrectedGroup is layers that the corrected formula counts alike.
type CorrectedGroup struct {
	// Symbol names the layer count ("l", "l_moe").
	Symbol string `json:"symbol"`
	Stack  string `json:"stack"`
	Layers []int  `json:"layers"`
	// Terms are one layer's monomials; PerLayer their sum.
	Terms    []Monomial `json:"terms"`
	PerLayer uint64     `json:"per_layer"`
}

// SymbolValue is one symbol of the corrected formula with its value and
// where it comes from.
type SymbolValue struct {
	Symbol  string `json:"symbol"`
	Value   uint64 `json:"value"`
	Meaning string `json:"meaning"`
}

// Corrected is the formula that fits this checkpoint, built from the
// inferred architecture (not from summing tensors), and what it leaves over.
type Corrected struct {
	Groups  []CorrectedGroup `json:"layer_groups"`
	Outside []Monomial       `json:"outside"`
	Symbols []SymbolValue    `json:"symbols"`
	// Symbolic and Numeric are the whole formula written out.
	Symbolic string `json:"symbolic"`
	Numeric  string `json:"numeric"`
	Total    uint64 `json:"total"`
	// Residual is Actual - Total; 0 when the formula explains every parameter.
	Residual int64 `json:"residual"`
	// ResidualTensors name what the formula does not explain.
	ResidualTensors []string `json:"residual_tensors,omitempty"`
	// OtherTensors name the tensors outside layers that enter measured, as
	// n(other): recognised (poolers, pre-training heads) but outside the
	// formula's symbols.
	OtherTensors []string `json:"other_tensors,omitempty"`
}

// textbook counts of the article's section 2, per layer: attention
// 4h² + 4h, MLP 8h² + 5h, two LayerNorms 4h; embedding Vh.
func textbookAttn(h uint64) uint64  { return 4*h*h + 4*h }
func textbookMLP(h uint64) uint64   { return 8*h*h + 5*h }
func textbookNorms(h uint64) uint64 { return 4 * h }

// Formula compares the checkpoint with 12lh² + 13lh + Vh: the totals, the
// term table, the per-tensor diff of every layer, the assumption checklist
// and the corrected formula.
func Formula(roles []TensorRole, arch *Architecture) *FormulaReport {
	f := FormulaSummary(roles, arch)
	formulaDetail(f, roles, arch)
	return f
}

// formulaDetail adds to a summary what Formula has beyond it.
func formulaDetail(f *FormulaReport, roles []TensorRole, arch *Architecture) {
	f.Terms = terms(roles, arch, f.L, f.H, f.V)
	f.Layers, f.Groups, f.Outside = tensorDiff(roles, arch, f.H, f.V)
	f.Assumptions = assumptions(arch, f.H)
	f.Corrected = corrected(roles, arch, f.Actual)
}

// FormulaSummary is Formula's headline alone: l, h, V, the textbook count,
// 12lh², the actual count and the difference, the active parameters of an
// MoE model and the formula's findings. Terms, Layers, Groups, Outside,
// Assumptions and Corrected stay empty: they walk every layer tensor by
// tensor, which a summary such as inspect's does not show.
func FormulaSummary(roles []TensorRole, arch *Architecture) *FormulaReport {
	return formulaSummary(roles, arch, nil)
}

// formulaSummary is FormulaSummary with the roles' sums, when the caller
// has them (nil: add them up here).
func formulaSummary(roles []TensorRole, arch *Architecture, sums *paramSums) *FormulaReport {
	f := &FormulaReport{}
	l := uint64(arch.Layers.Value) + uint64(arch.EncoderLayers.Value)
	h := uint64(max(arch.Hidden.Value, 0))
	v := uint64(max(arch.Vocab.Value, 0))
	f.L, f.H, f.V = l, h, v
	f.Textbook = 12*l*h*h + 13*l*h + v*h
	f.Approx = 12 * l * h * h
	if sums == nil {
		sums = &paramSums{}
		for i := range roles {
			sums.add(&roles[i])
		}
	}
	f.Actual = sums.actual
	f.Diff = int64(f.Actual) - int64(f.Textbook)
	if f.Textbook > 0 {
		f.RelDiff = float64(f.Diff) / float64(f.Textbook)
	}
	if !arch.Layers.Known || !arch.Hidden.Known || !arch.Vocab.Known {
		f.Findings = append(f.Findings, findings.Finding{Level: findings.Warning, Code: "formula_incomplete",
			Message: fmt.Sprintf("the textbook formula needs l, h and V; known: l %v, h %v, V %v", arch.Layers.Known, arch.Hidden.Known, arch.Vocab.Known)})
	}
	f.Active, f.ActiveNote = active(arch, f.Actual, sums.extra, sums.routed)
	return f
}

// isRoutedExpert reports whether a role is a routed expert's matrix.
func isRoutedExpert(r Role) bool {
	return r == RoleExpertUp || r == RoleExpertGate || r == RoleExpertDown || r == RoleExpertGateUp
}

// active counts what one token uses in an MoE model: every parameter but
// the extra modules and the routed experts it is not routed to (the
// Mixtral and DeepSeek-V3 papers' "active" or "activated" parameters).
// extra and routed are the counted parameters of the extra modules and of
// the routed experts.
func active(a *Architecture, actual, extra, routed uint64) (uint64, string) {
	if a.MoE == nil || !a.MoE.Experts.Known || !a.MoE.TopK.Known || a.MoE.Experts.Value <= 0 ||
		a.MoE.TopK.Value < 0 || a.MoE.TopK.Value > a.MoE.Experts.Value {
		return 0, ""
	}
	e, k := uint64(a.MoE.Experts.Value), uint64(a.MoE.TopK.Value)
	idle := routed / e * (e - k)
	if actual < extra+idle {
		return 0, ""
	}
	note := fmt.Sprintf("top-%d of %d routed experts: %s routed-expert parameters, %s of them idle per token", k, e, comma(routed), comma(idle))
	if extra > 0 {
		note += fmt.Sprintf("; the %s parameters of extra modules left out", comma(extra))
	}
	return actual - extra - idle, note
}

// counted reports whether a tensor adds to the parameter count.
func counted(r *TensorRole) bool {
	return r.Kind == quant.Parameter && r.Role != RoleBuffer && r.Role != RoleAux && r.DuplicateOf() == ""
}

func comma(n uint64) string { return humanize.Comma(int64(n)) }

// termOf sorts a tensor into a row of the term table.
func termOf(r *TensorRole) string {
	switch {
	case r.Role == RoleAux || r.Kind == quant.Side:
		return "side_tensors"
	case r.Role == RoleBuffer || r.Kind == quant.Buffer:
		return "buffers"
	case r.DuplicateOf() != "":
		return "tied_duplicates"
	case isExtraStack(r.Stack):
		return "extra_modules"
	case r.Role == RoleUnknown:
		return "unclassified"
	}
	if r.Layer >= 0 {
		switch r.Role {
		case RoleAttnQ, RoleAttnK, RoleAttnV, RoleAttnO, RoleAttnQKV, RoleAttnQNorm, RoleAttnKNorm,
			RoleMLAQDown, RoleMLAQNorm, RoleMLAQUp, RoleMLAKVDown, RoleMLAKVNorm, RoleMLAKVUp:
			return "attention"
		case RoleMLPUp, RoleMLPGate, RoleMLPDown, RoleMLPGateUp, RoleExpertUp, RoleExpertGate, RoleExpertDown,
			RoleExpertGateUp, RoleSharedUp, RoleSharedGate, RoleSharedDown:
			return "mlp"
		case RoleNorm:
			return "layer_norms"
		case RoleRouter:
			return "router"
		}
		return "other"
	}
	switch r.Role {
	case RoleTokenEmbedding:
		return "embedding"
	case RoleLMHead:
		return "lm_head"
	case RolePositionEmbedding:
		return "learned_positions"
	case RoleTokenTypeEmbedding:
		return "token_type_embedding"
	case RoleEmbeddingNorm:
		return "embedding_norm"
	case RoleFinalNorm:
		return "final_norm"
	}
	return "other"
}

// termOrder is the term table's row order: the textbook's four terms, then
// the rows it does not have.
var termOrder = []string{"attention", "mlp", "layer_norms", "embedding", "lm_head", "learned_positions",
	"token_type_embedding", "embedding_norm", "final_norm", "router", "extra_modules", "other",
	"unclassified", "tied_duplicates", "buffers", "side_tensors"}

func terms(roles []TensorRole, a *Architecture, l, h, v uint64) []Term {
	rows := map[string]*Term{}
	names := map[string][]string{}
	for _, name := range termOrder {
		rows[name] = &Term{Name: name, Counted: name != "buffers" && name != "side_tensors" && name != "tied_duplicates"}
	}
	rows["attention"].Formula, rows["attention"].Textbook = "l·(4h² + 4h)", l*textbookAttn(h)
	rows["mlp"].Formula, rows["mlp"].Textbook = "l·(8h² + 5h)", l*textbookMLP(h)
	rows["layer_norms"].Formula, rows["layer_norms"].Textbook = "l·4h", l*textbookNorms(h)
	rows["embedding"].Formula, rows["embedding"].Textbook = "Vh", v*h
	for i := range roles {
		r := &roles[i]
		t := rows[termOf(r)]
		t.Tensors++
		if t.Counted {
			t.Checkpoint += r.LogicalParams
		} else {
			t.Checkpoint += r.Elements()
		}
		if len(names[t.Name]) < 3 {
			names[t.Name] = append(names[t.Name], r.Name)
		}
	}
	var out []Term
	for _, name := range termOrder {
		t := rows[name]
		if t.Textbook == 0 && t.Tensors == 0 && t.Formula == "" {
			continue
		}
		if t.Counted {
			t.Diff = int64(t.Checkpoint) - int64(t.Textbook)
		}
		t.Cause = cause(t, a, roles, l, h, v, names[name])
		out = append(out, *t)
	}
	return out
}

// cause writes the sentence that explains a row's difference.
func cause(t *Term, a *Architecture, roles []TensorRole, l, h, v uint64, names []string) string {
	hs := comma(h)
	switch t.Name {
	case "attention", "mlp", "layer_norms", "embedding":
		if t.Tensors == 0 {
			what := map[string]string{"attention": "attention", "mlp": "MLP", "layer_norms": "layer norm", "embedding": "token embedding"}[t.Name]
			return fmt.Sprintf("the checkpoint has no %s tensors", what)
		}
	}
	switch t.Name {
	case "attention":
		if a.MLA != nil {
			return fmt.Sprintf("multi-head latent attention: Q through a rank-%d and K/V through a rank-%d bottleneck (q_a/q_b, kv_a/kv_b with their norms), %d heads; %s per layer instead of 4h² + 4h = %s",
				a.MLA.QLoRARank.Value, a.MLA.KVLoRARank.Value, a.Heads.Value, comma(div(t.Checkpoint, l)), comma(textbookAttn(h)))
		}
		var parts []string
		A, G, d := uint64(a.Heads.Value), uint64(a.KVHeads.Value), uint64(a.HeadDim.Value)
		if a.Heads.Known && a.HeadDim.Known && A*d != h {
			which := "Q and O"
			if a.KVHeads.Known && G == A {
				which = "Q, K, V and O"
			}
			parts = append(parts, fmt.Sprintf("head size %d is not h/A: %s are %s wide, not h = %s (%d heads × %d)", d, which, comma(A*d), hs, A, d))
		}
		if a.KVHeads.Known && a.Heads.Known && G < A {
			kind := "grouped-query"
			if G == 1 {
				kind = "multi-query"
			}
			heads := "heads"
			if G == 1 {
				heads = "head"
			}
			qo := "2h²"
			if A*d != h {
				qo = "2h·" + comma(A*d)
			}
			parts = append(parts, fmt.Sprintf("%s attention: K and V project to %s = %d %s × %d, so attention weights are %s + 2h·%s per layer", kind, comma(G*d), G, heads, d, qo, comma(G*d)))
		}
		switch a.Bias.Value {
		case "none":
			parts = append(parts, "no biases (−4h per layer)")
		case "qkv":
			parts = append(parts, "biases on Q, K, V only (no output bias)")
		case "partial":
			parts = append(parts, a.Bias.Evidence.Note)
		}
		if a.QKNorm.Value {
			parts = append(parts, fmt.Sprintf("per-head Q and K norms add 2d = %d per layer", 2*d))
		}
		if a.EncoderLayers.Value > 0 {
			parts = append(parts, fmt.Sprintf("the %d decoder layers add cross-attention", a.Layers.Value))
		}
		if len(parts) == 0 {
			if t.Diff == 0 {
				return "as the textbook: Q, K, V, O of h×h with biases"
			}
			return fmt.Sprintf("differs by %d", t.Diff)
		}
		return strings.Join(parts, "; ")
	case "mlp":
		var parts []string
		if a.MoE != nil {
			m := a.MoE
			mats := uint64(2)
			if a.GatedMLP.Value {
				mats = 3
			}
			fe := uint64(max(m.ExpertFFN.Value, 0))
			s := fmt.Sprintf("mixture of experts: %d routed experts, each an MLP of %d matrices of width %s (%s parameters each)", m.Experts.Value, mats, comma(fe), comma(mats*h*fe))
			if m.TopK.Known {
				s += fmt.Sprintf(", top-%d per token", m.TopK.Value)
			}
			if m.SharedExperts.Value > 0 {
				s += fmt.Sprintf(" plus %d shared (width %s)", m.SharedExperts.Value, comma(uint64(m.SharedFFN.Value)))
			}
			s += fmt.Sprintf(" in %d layers", len(m.MoELayers))
			if len(m.DenseLayers) > 0 {
				s += fmt.Sprintf(", dense MLP of width %s in %d layers", comma(uint64(a.FFN.Value)), len(m.DenseLayers))
			}
			parts = append(parts, s)
		} else if a.FFN.Known {
			f := uint64(a.FFN.Value)
			if a.GatedMLP.Value {
				parts = append(parts, fmt.Sprintf("gated MLP: three matrices of h×f with f = %s instead of two of h×4h = %s×%s, so 3hf = %s per layer", comma(f), hs, comma(4*h), comma(3*h*f)))
			} else if f != 4*h {
				parts = append(parts, fmt.Sprintf("MLP width f = %s instead of 4h = %s: 2hf = %s per layer", comma(f), comma(4*h), comma(2*h*f)))
			}
		}
		switch a.Bias.Value {
		case "none", "qkv":
			parts = append(parts, "no MLP biases")
		}
		if len(parts) == 0 {
			if t.Diff == 0 {
				return "as the textbook: two matrices h×4h with biases"
			}
			return fmt.Sprintf("differs by %d", t.Diff)
		}
		return strings.Join(parts, "; ")
	case "layer_norms":
		var weights uint64
		for i := range roles {
			r := &roles[i]
			if termOf(r) == "layer_norms" && r.Param != "bias" {
				weights++
			}
		}
		layers := uint64(max(a.Layers.Value+a.EncoderLayers.Value, 1))
		var s string
		if a.Norm.Value == "rmsnorm" {
			s = "RMSNorm has γ only (no β): h per norm"
		} else {
			s = "LayerNorm with γ and β: 2h per norm"
		}
		switch per := div(weights, layers); {
		case weights%layers != 0:
			s += fmt.Sprintf("; %d norms in %d layers", weights, layers)
		case per == 1:
			s += "; one norm per layer"
		default:
			s += fmt.Sprintf("; %d norms per layer", per)
		}
		if a.ParallelBlocks.Value {
			s += " (attention and MLP in parallel)"
		}
		if t.Diff == 0 {
			return "as the textbook: two LayerNorms of γ and β"
		}
		return s
	case "embedding":
		if t.Diff == 0 {
			return fmt.Sprintf("V = %s rows × h = %s", comma(v), hs)
		}
		return fmt.Sprintf("token embedding holds %s, not V·h = %s", comma(t.Checkpoint), comma(v*h))
	case "lm_head":
		return fmt.Sprintf("untied output layer: the textbook reuses the embedding, this checkpoint stores its own (%s = V·h%s)", comma(t.Checkpoint), ifStr(t.Checkpoint != v*h, " plus a bias"))
	case "learned_positions":
		return fmt.Sprintf("learned positions: %s rows × %s = %s, which the article leaves out", comma(uint64(a.LearnedPositions.Value)), hs, comma(t.Checkpoint))
	case "token_type_embedding":
		return fmt.Sprintf("token-type embedding: %s, not in the article", comma(t.Checkpoint))
	case "embedding_norm":
		return fmt.Sprintf("norm after the embedding: %s", comma(t.Checkpoint))
	case "final_norm":
		switch {
		case a.Norm.Value == "layernorm" && t.Checkpoint == 2*h:
			return fmt.Sprintf("final LayerNorm γ and β: 2h = %s, not in the article's sum", comma(t.Checkpoint))
		case a.Norm.Value == "rmsnorm" && t.Checkpoint == h:
			return fmt.Sprintf("final RMSNorm γ: h = %s, not in the article's sum", comma(t.Checkpoint))
		}
		return fmt.Sprintf("%d final norm tensors (%s): %s, not in the article's sum", t.Tensors, strings.Join(names, ", "), comma(t.Checkpoint))
	case "router":
		n := 0
		if a.MoE != nil {
			n = len(a.MoE.MoELayers)
		}
		return fmt.Sprintf("MoE routers: [E, h] per MoE layer (%d layers), %s in all", n, comma(t.Checkpoint))
	case "extra_modules":
		var parts []string
		for _, m := range a.Extras {
			parts = append(parts, fmt.Sprintf("%s: %d tensors, %s parameters", m.Name, m.Tensors, comma(m.Params)))
		}
		return "kept apart from the language model: " + strings.Join(parts, "; ")
	case "other":
		return fmt.Sprintf("recognised tensors outside the textbook's terms (%s)", strings.Join(names, ", "))
	case "unclassified":
		return fmt.Sprintf("%d tensors no rule explains (%s)", t.Tensors, strings.Join(names, ", "))
	case "buffers":
		return fmt.Sprintf("%d buffers (causal masks, rotary inv_freq, position ids): %s elements, not parameters, not counted", t.Tensors, comma(t.Checkpoint))
	case "tied_duplicates":
		return fmt.Sprintf("tied copies stored again (%s): %s elements, counted once with the tensor they copy", strings.Join(names, ", "), comma(t.Checkpoint))
	case "side_tensors":
		return fmt.Sprintf("%d quantization side tensors (scales, zeros): %s elements, not parameters, not counted", t.Tensors, comma(t.Checkpoint))
	}
	return ""
}

// nonEmpty drops empty strings.
func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func ifStr(c bool, s string) string {
	if c {
		return s
	}
	return ""
}

func div(a, b uint64) uint64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// assumptions checks the textbook's assumptions (the article's section 2).
func assumptions(a *Architecture, h uint64) []Assumption {
	A, G, d := a.Heads.Value, a.KVHeads.Value, a.HeadDim.Value
	mha := a.MLA == nil && a.Heads.Known && a.KVHeads.Known && a.HeadDim.Known && A == G && uint64(A*d) == h
	var mhaEv string
	switch {
	case a.MLA != nil:
		mhaEv = fmt.Sprintf("multi-head latent attention (kv_lora_rank %d, q_lora_rank %d)", a.MLA.KVLoRARank.Value, a.MLA.QLoRARank.Value)
	case !a.Heads.Known || !a.KVHeads.Known || !a.HeadDim.Known:
		mhaEv = "heads or head size unknown: " + strings.Join(nonEmpty(a.Heads.Evidence.Note, a.HeadDim.Evidence.Note, a.KVHeads.Evidence.Note), "; ")
	default:
		mhaEv = fmt.Sprintf("%d query heads, %d key/value heads, head size %d: Q width %d, K/V width %d, h = %d", A, G, d, A*d, G*d, h)
	}
	f := uint64(a.FFN.Value)
	mlp := a.FFN.Known && a.MoE == nil && !a.GatedMLP.Value && f == 4*h
	mlpEv := fmt.Sprintf("width %d (4h = %d), ", f, 4*h)
	switch {
	case !a.FFN.Known:
		mlpEv = a.FFN.Evidence.Note
	case a.GatedMLP.Value:
		mlpEv += "gated: three matrices"
	default:
		mlpEv += "two matrices"
	}
	if a.MoE != nil {
		mlpEv += fmt.Sprintf(", %d experts", a.MoE.Experts.Value)
	}
	var moeEv string
	if a.MoE != nil {
		moeEv = fmt.Sprintf("%d routed experts, top-%d, %d shared, %d dense layers", a.MoE.Experts.Value, a.MoE.TopK.Value, a.MoE.SharedExperts.Value, len(a.MoE.DenseLayers))
	} else {
		moeEv = "no expert tensors"
	}
	evs := func(e Evidence) string {
		s := e.Note
		if e.Tensor != "" {
			s += " (" + e.Tensor + ")"
		}
		if e.ConfigKey != "" {
			s += " [config " + e.ConfigKey + "]"
		}
		return strings.TrimSpace(s)
	}
	return []Assumption{
		{"multi_head_attention", "multi-head attention with K and V of width h", mha, mhaEv},
		{"mlp_4h_two_matrices", "MLP of width 4h with two matrices", mlp, mlpEv},
		{"biases_everywhere", "biases in every linear layer", a.Bias.Value == "all", a.Bias.Value + ": " + evs(a.Bias.Evidence)},
		{"layernorm_with_beta", "LayerNorm with γ and β", a.Norm.Value == "layernorm", evs(a.Norm.Evidence)},
		{"tied_embeddings", "output layer tied to the token embedding", a.TiedEmbeddings.Value, evs(a.TiedEmbeddings.Evidence)},
		{"no_learned_positions", "no learned position embedding", a.LearnedPositions.Value == 0, evs(a.LearnedPositions.Evidence)},
		{"dense", "dense: no experts", a.MoE == nil, moeEv},
	}
}

// expertPattern writes a per-expert tensor's index as "*".
func expertPattern(name string) string {
	comps := strings.Split(name, ".")
	for j := 0; j+1 < len(comps); j++ {
		if comps[j] == "experts" {
			if _, ok := index(comps[j+1]); ok {
				comps[j+1] = "*"
			}
		}
	}
	return strings.Join(comps, ".")
}

// slot is one tensor the textbook expects.
type slot struct {
	name   string
	shape  []uint64
	params uint64
}

// textbookLayer lists the article's per-layer tensors as [out, in].
func textbookLayer(h uint64) []slot {
	return []slot{
		{"W_Q", []uint64{h, h}, h * h}, {"b_Q", []uint64{h}, h},
		{"W_K", []uint64{h, h}, h * h}, {"b_K", []uint64{h}, h},
		{"W_V", []uint64{h, h}, h * h}, {"b_V", []uint64{h}, h},
		{"W_O", []uint64{h, h}, h * h}, {"b_O", []uint64{h}, h},
		{"LN1 γ", []uint64{h}, h}, {"LN1 β", []uint64{h}, h},
		{"W_1", []uint64{4 * h, h}, 4 * h * h}, {"b_1", []uint64{4 * h}, 4 * h},
		{"W_2", []uint64{h, 4 * h}, 4 * h * h}, {"b_2", []uint64{h}, h},
		{"LN2 γ", []uint64{h}, h}, {"LN2 β", []uint64{h}, h},
	}
}

// slotOf names the textbook slot a layer tensor fills ("" for extras).
// norms maps a norm's stem to its order in the layer.
func slotOf(r *TensorRole, norms map[string]int) string {
	b := r.Param == "bias"
	pick := func(w, bias string) string {
		if b {
			return bias
		}
		return w
	}
	switch r.Role {
	case RoleAttnQ:
		return pick("W_Q", "b_Q")
	case RoleAttnK:
		return pick("W_K", "b_K")
	case RoleAttnV:
		return pick("W_V", "b_V")
	case RoleAttnO:
		return pick("W_O", "b_O")
	case RoleAttnQKV:
		return pick("W_Q, W_K, W_V", "b_Q, b_K, b_V")
	case RoleMLAQDown, RoleMLAQUp:
		return pick("W_Q", "b_Q")
	case RoleMLAKVDown, RoleMLAKVUp:
		return pick("W_K, W_V", "b_K, b_V")
	case RoleMLPUp, RoleMLPGateUp:
		return pick("W_1", "b_1")
	case RoleMLPDown:
		return pick("W_2", "b_2")
	case RoleNorm:
		i, ok := norms[r.stem()]
		if !ok || i > 1 {
			return ""
		}
		return fmt.Sprintf("LN%d %s", i+1, map[bool]string{false: "γ", true: "β"}[b])
	}
	return ""
}

// tensorDiff builds the per-tensor diff of every layer, groups alike
// layers, and diffs the tensors outside layers.
func tensorDiff(roles []TensorRole, a *Architecture, h, v uint64) ([]LayerDiff, []LayerGroup, []TensorDiff) {
	type key struct {
		stack string
		layer int
	}
	byLayer := map[key][]*TensorRole{}
	var keys []key
	var outside []*TensorRole
	extraStack := map[string][]*TensorRole{}
	var extraOrder []string
	// Tensors come layer by layer: keep the current layer's list at hand
	// and touch the map only when the layer changes.
	var cur key
	var curList []*TensorRole
	flush := func() {
		if curList != nil {
			byLayer[cur] = curList
		}
	}
	for i := range roles {
		r := &roles[i]
		switch {
		case r.Layer >= 0 && (r.Stack == StackDecoder || r.Stack == StackEncoder || r.Stack == StackMTP):
			k := key{r.Stack, r.Layer}
			if curList == nil || k != cur {
				flush()
				list, ok := byLayer[k]
				if !ok {
					keys = append(keys, k)
				}
				cur, curList = k, list
			}
			curList = append(curList, r)
		case isExtraStack(r.Stack):
			if _, ok := extraStack[r.Stack]; !ok {
				extraOrder = append(extraOrder, r.Stack)
			}
			extraStack[r.Stack] = append(extraStack[r.Stack], r)
		default:
			outside = append(outside, r)
		}
	}
	flush()
	stackRank := map[string]int{StackEncoder: 0, StackDecoder: 1, StackMTP: 2}
	sort.SliceStable(keys, func(i, j int) bool {
		if keys[i].stack != keys[j].stack {
			return stackRank[keys[i].stack] < stackRank[keys[j].stack]
		}
		return keys[i].layer < keys[j].layer
	})

	var layers []LayerDiff
	type sigKey struct {
		stack string
		sum   uint64
		n     int
	}
	sigs := map[sigKey]int{}
	var groups []LayerGroup
	patterns := map[int]map[string]bool{}
	for _, k := range keys {
		ld := diffLayer(byLayer[k], h, a)
		ld.Stack, ld.Layer = k.stack, k.layer
		ld.Textbook = 12*h*h + 13*h
		sum, n := layerHash(byLayer[k])
		sk := sigKey{k.stack, sum, n}
		g, ok := sigs[sk]
		if !ok {
			g = len(groups)
			sigs[sk] = g
			groups = append(groups, LayerGroup{Stack: k.stack, Params: ld.Params})
			_, patterns[g] = layerSignature(byLayer[k], k.stack)
		}
		groups[g].Layers = append(groups[g].Layers, k.layer)
		ld.Group = g
		layers = append(layers, ld)
	}
	main := StackDecoder
	if a.EncoderLayers.Value == 0 && len(keys) > 0 && keys[0].stack == StackEncoder {
		main = StackEncoder
	}
	rep := -1
	for i, g := range groups {
		if g.Stack == main && (rep < 0 || len(g.Layers) > len(groups[rep].Layers)) {
			rep = i
		}
	}
	for i := range groups {
		if i == rep {
			groups[i].Representative = true
			groups[i].Summary = "representative layer"
			continue
		}
		if rep >= 0 {
			groups[i].Summary = compareLayers(patterns[rep], patterns[i], groups[i].Stack)
		}
	}

	// Outside layers: the embedding is the textbook's only tensor.
	var out []TensorDiff
	emb := TensorDiff{Textbook: "W_E (embedding)", ExpectedShape: []uint64{v, h}, ExpectedParams: v * h}
	var rest []*TensorRole
	for _, r := range outside {
		if r.Role == RoleTokenEmbedding && r.Param != "bias" && counted(r) && len(emb.Tensors) == 0 {
			emb.Tensors = append(emb.Tensors, ref(r))
			emb.Params += r.LogicalParams
			emb.Role = r.Role
			continue
		}
		rest = append(rest, r)
	}
	emb.Status = slotStatus(emb, roleShapes(outside, RoleTokenEmbedding))
	out = append(out, emb)
	ex := extraRows(rest)
	rank := map[string]int{StatusExtra: 0, StatusDuplicate: 1, StatusBuffer: 2, StatusSide: 3}
	sort.SliceStable(ex, func(i, j int) bool { return rank[ex[i].Status] < rank[ex[j].Status] })
	out = append(out, ex...)
	for _, s := range extraOrder {
		var d TensorDiff
		d.Status = StatusExtra
		d.Role = RoleOther
		n := 0
		for _, r := range extraStack[s] {
			if counted(r) {
				d.Params += r.LogicalParams
			}
			n++
		}
		d.Tensors = []TensorRef{{Name: s + " module", Count: n, Params: d.Params}}
		d.Note = fmt.Sprintf("module %q kept apart from the language model: %d tensors", s, n)
		out = append(out, d)
	}
	return layers, groups, out
}

// roleShapes returns the oriented shapes of the tensors of a role.
func roleShapes(rs []*TensorRole, role Role) [][]uint64 {
	var out [][]uint64
	for _, r := range rs {
		if r.Role == role {
			out = append(out, oriented(r))
		}
	}
	return out
}

// oriented returns a tensor's logical shape as [out, in].
func oriented(r *TensorRole) []uint64 {
	if r.Transposed && len(r.LogicalShape) == 2 {
		return []uint64{r.LogicalShape[1], r.LogicalShape[0]}
	}
	return r.LogicalShape
}

func ref(r *TensorRole) TensorRef {
	p := r.LogicalParams
	if !counted(r) {
		p = r.Elements()
	}
	if r.DuplicateOf() != "" {
		p = 0
	}
	shape := r.LogicalShape
	if shape == nil {
		shape = r.Shape
	}
	return TensorRef{Name: r.Name, Shape: shape, DType: string(r.DType), Count: 1, Params: p}
}

// slotStatus decides match, different or missing for a textbook slot.
func slotStatus(d TensorDiff, shapes [][]uint64) string {
	if len(d.Tensors) == 0 {
		return StatusMissing
	}
	if len(d.Tensors) == 1 && d.Tensors[0].Count == 1 && d.Params == d.ExpectedParams && len(shapes) > 0 && slices.Equal(shapes[0], d.ExpectedShape) {
		return StatusMatch
	}
	return StatusDifferent
}

// extraRows folds tensors the textbook does not have into rows, per-expert
// tensors of one name pattern into one row.
func extraRows(rs []*TensorRole) []TensorDiff {
	var out []TensorDiff
	idx := map[string]int{}
	for _, r := range rs {
		// Within one layer the layer-relative path (experts as "*")
		// names a row; outside layers the name does.
		key := r.Name
		if r.Layer >= 0 {
			key = r.full()
		}
		status := StatusExtra
		switch {
		case r.Role == RoleAux || r.Kind == quant.Side:
			status = StatusSide
		case r.Role == RoleBuffer || r.Kind == quant.Buffer:
			status = StatusBuffer
		case r.DuplicateOf() != "":
			status = StatusDuplicate
		}
		if i, ok := idx[key]; ok && r.Expert >= 0 {
			out[i].Tensors[0].Count++
			rf := ref(r)
			out[i].Tensors[0].Params += rf.Params
			out[i].Params += rf.Params
			continue
		}
		rf := ref(r)
		if r.Expert >= 0 {
			rf.Name = expertPattern(r.Name)
		}
		d := TensorDiff{Role: r.Role, Tensors: []TensorRef{rf}, Params: rf.Params, Status: status}
		switch status {
		case StatusBuffer:
			d.Note = "buffer, not a parameter"
		case StatusSide:
			d.Note = "quantization side tensor, not a parameter"
		case StatusDuplicate:
			d.Note = "tied copy of " + r.DuplicateOf() + ", counted once"
		default:
			d.Note = extraNote(r.Role)
		}
		idx[key] = len(out)
		out = append(out, d)
	}
	return out
}

// extraNote says why the textbook lacks a tensor.
func extraNote(r Role) string {
	switch r {
	case RoleMLPGate:
		return "gate of a gated MLP (SwiGLU/GeGLU)"
	case RoleAttnQNorm, RoleAttnKNorm:
		return "per-head Q/K norm"
	case RoleMLAQNorm, RoleMLAKVNorm:
		return "norm inside the MLA low-rank projection"
	case RoleRouter:
		return "MoE router"
	case RoleExpertGate:
		return "routed experts: gate"
	case RoleExpertUp:
		return "routed experts: up"
	case RoleExpertDown:
		return "routed experts: down"
	case RoleExpertGateUp:
		return "routed experts: gate and up fused"
	case RoleSharedGate:
		return "shared expert: gate"
	case RoleSharedUp:
		return "shared expert: up"
	case RoleSharedDown:
		return "shared expert: down"
	case RoleNorm:
		return "a further norm"
	case RoleLMHead:
		return "untied output layer"
	case RolePositionEmbedding:
		return "learned positions"
	case RoleFinalNorm:
		return "final norm"
	case RoleTokenTypeEmbedding:
		return "token-type embedding"
	case RoleEmbeddingNorm:
		return "norm after the embedding"
	case RoleTokenEmbedding:
		return "another token embedding"
	case RoleUnknown:
		return "unclassified"
	case RoleAttnQ, RoleAttnK, RoleAttnV, RoleAttnO:
		return "a second attention block (cross-attention)"
	}
	return string(r)
}

// diffLayer matches one layer's tensors with the textbook's.
func diffLayer(rs []*TensorRole, h uint64, a *Architecture) LayerDiff {
	var ld LayerDiff
	norms := map[string]int{}
	// The layer's own norms fill LN1 and LN2 in stored order; the MTP
	// layer's enorm and hnorm (which normalise its inputs) come after.
	for _, late := range []bool{false, true} {
		for _, r := range rs {
			if r.Role != RoleNorm || r.Param == "bias" {
				continue
			}
			stem := r.stem()
			last := stem[strings.LastIndex(stem, ".")+1:]
			if (last == "enorm" || last == "hnorm") != late {
				continue
			}
			if _, ok := norms[stem]; !ok {
				norms[stem] = len(norms)
			}
		}
	}
	experts := false
	for _, r := range rs {
		if counted(r) {
			ld.Params += r.LogicalParams
		}
		switch r.Role {
		case RoleExpertUp, RoleExpertGate, RoleExpertDown, RoleExpertGateUp:
			experts = true
		}
	}
	slots := textbookLayer(h)
	fusedQKV, fusedKV := false, false
	for _, r := range rs {
		switch r.Role {
		case RoleAttnQKV:
			fusedQKV = true
		case RoleMLAKVDown, RoleMLAKVUp:
			fusedKV = true
		}
	}
	if fusedQKV || fusedKV {
		var merged []slot
		for i := 0; i < len(slots); i++ {
			s := slots[i]
			switch {
			case fusedQKV && s.name == "W_Q":
				merged = append(merged, slot{"W_Q, W_K, W_V", []uint64{3 * h, h}, 3 * h * h})
				i += 5
				merged = append(merged, slot{"b_Q, b_K, b_V", []uint64{3 * h}, 3 * h})
			case fusedKV && s.name == "W_K":
				merged = append(merged, slot{"W_K, W_V", []uint64{2 * h, h}, 2 * h * h})
				i += 3
				merged = append(merged, slot{"b_K, b_V", []uint64{2 * h}, 2 * h})
			default:
				merged = append(merged, s)
			}
		}
		slots = merged
	}
	rows := make([]TensorDiff, len(slots))
	stems := make([]string, len(slots))
	shapes := make([][][]uint64, len(slots))
	at := map[string]int{}
	for i, s := range slots {
		rows[i] = TensorDiff{Textbook: s.name, ExpectedShape: s.shape, ExpectedParams: s.params}
		at[s.name] = i
	}
	var extras []*TensorRole
	for _, r := range rs {
		name := ""
		if counted(r) {
			name = slotOf(r, norms)
		}
		i, ok := at[name]
		if !ok {
			extras = append(extras, r)
			continue
		}
		stem := r.stem()
		// A second tensor for a slot with another module name is a second
		// block (T5's cross-attention), except the MLA chains that fill
		// one slot with two tensors on purpose.
		mla := r.Role == RoleMLAQDown || r.Role == RoleMLAQUp || r.Role == RoleMLAKVDown || r.Role == RoleMLAKVUp
		if len(rows[i].Tensors) > 0 && stems[i] != stem && !mla {
			extras = append(extras, r)
			continue
		}
		stems[i] = stem
		rows[i].Tensors = append(rows[i].Tensors, ref(r))
		rows[i].Params += r.LogicalParams
		rows[i].Role = r.Role
		shapes[i] = append(shapes[i], oriented(r))
	}
	for i := range rows {
		rows[i].Status = slotStatus(rows[i], shapes[i])
		rows[i].Note = slotNote(rows[i], shapes[i], a)
		if rows[i].Status == StatusMissing && experts && (rows[i].Textbook == "W_1" || rows[i].Textbook == "W_2") {
			rows[i].Note = "replaced by routed experts"
		}
	}
	ex := extraRows(extras)
	rank := map[string]int{StatusExtra: 0, StatusDuplicate: 1, StatusBuffer: 2, StatusSide: 3}
	sort.SliceStable(ex, func(i, j int) bool { return rank[ex[i].Status] < rank[ex[j].Status] })
	ld.Rows = append(rows, ex...)
	return ld
}

// slotNote explains a different or missing textbook tensor.
func slotNote(d TensorDiff, shapes [][]uint64, a *Architecture) string {
	switch d.Status {
	case StatusMissing:
		if strings.HasPrefix(d.Textbook, "b_") || strings.Contains(d.Textbook, "β") {
			return "no bias"
		}
		return "absent"
	case StatusDifferent:
		if len(d.Tensors) > 1 {
			return "split into a low-rank chain"
		}
		switch d.Role {
		case RoleAttnQKV:
			if len(shapes) == 1 && a.Heads.Known && a.KVHeads.Known && a.HeadDim.Known {
				return fmt.Sprintf("%s instead of %s: Q, K, V fused, (%d + 2·%d) heads × %d", shapeString(shapes[0]), shapeString(d.ExpectedShape), a.Heads.Value, a.KVHeads.Value, a.HeadDim.Value)
			}
			return "fused Q, K, V in one tensor"
		case RoleMLPGateUp:
			if len(shapes) == 1 && a.FFN.Known {
				return fmt.Sprintf("%s instead of %s: gate and up fused, 2 × f = 2 × %d", shapeString(shapes[0]), shapeString(d.ExpectedShape), a.FFN.Value)
			}
			return "fused gate and up in one tensor"
		}
		if len(shapes) != 1 {
			break
		}
		s := fmt.Sprintf("%s instead of %s", shapeString(shapes[0]), shapeString(d.ExpectedShape))
		G, A, dd := a.KVHeads.Value, a.Heads.Value, a.HeadDim.Value
		switch d.Role {
		case RoleAttnK, RoleAttnV:
			if a.KVHeads.Known && a.HeadDim.Known && d.Params > 0 && !strings.HasPrefix(d.Textbook, "b_") {
				s += fmt.Sprintf(": %d key/value heads × %d", G, dd)
			}
		case RoleAttnQ, RoleAttnO:
			if a.Heads.Known && a.HeadDim.Known && !strings.HasPrefix(d.Textbook, "b_") {
				s += fmt.Sprintf(": %d heads × %d", A, dd)
			}
		case RoleMLPUp, RoleMLPDown:
			if a.FFN.Known {
				s += fmt.Sprintf(": MLP width f = %d", a.FFN.Value)
			}
		}
		return s
	case StatusMatch:
		if len(d.Tensors) == 1 && !slices.Equal(d.Tensors[0].Shape, shapes[0]) {
			return "stored transposed as [in, out] (Conv1D)"
		}
	}
	return ""
}

func shapeString(s []uint64) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.FormatUint(d, 10)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// layerHash sums a 64-bit hash of each tensor's path inside the layer
// (experts as "*"), dtype and shape: layers with the same sum and count
// hold the same tensors. It costs no allocation, unlike layerSignature,
// which only the first layer of each kind needs.
func layerHash(rs []*TensorRole) (uint64, int) {
	var sum uint64
	for _, r := range rs {
		h := uint64(14695981039346656037) // FNV-1a offset basis
		for _, str := range [...]string{r.full(), string(r.DType)} {
			for i := 0; i < len(str); i++ {
				h = (h ^ uint64(str[i])) * 1099511628211
			}
			h = (h ^ 0xff) * 1099511628211
		}
		for _, d := range r.Shape {
			h = (h ^ d) * 1099511628211
		}
		// splitmix64's finaliser, so sums of hashes do not cancel.
		h ^= h >> 30
		h *= 0xbf58476d1ce4e5b9
		h ^= h >> 27
		h *= 0x94d049bb133111eb
		h ^= h >> 31
		sum += h
	}
	return sum, len(rs)
}

// sigLine is one kind of tensor in a layer: its path inside the layer
// (experts as "*"), dtype and shape.
type sigLine struct {
	full  string
	dtype reader.DType
	rank  int
	dims  [4]uint64
	more  string // the shape's text when it has more than 4 dimensions
}

func (l sigLine) String() string {
	var shape []uint64
	if l.rank <= 4 {
		shape = l.dims[:l.rank]
	}
	s := l.full + " " + shapeString(shape) + " " + string(l.dtype)
	if l.more != "" {
		s = l.full + " " + l.more + " " + string(l.dtype)
	}
	return s
}

// layerSignature is a layer's tensors up to the layer and expert indices:
// layers with the same signature are alike. Alike tensors (256 experts) are
// folded before any text is built.
func layerSignature(rs []*TensorRole, stack string) (string, map[string]bool) {
	count := map[sigLine]int{}
	var order []sigLine
	for _, r := range rs {
		l := sigLine{full: r.full(), dtype: r.DType, rank: len(r.Shape)}
		if l.rank <= 4 {
			copy(l.dims[:], r.Shape)
		} else {
			l.more = shapeString(r.Shape)
		}
		if _, ok := count[l]; !ok {
			order = append(order, l)
		}
		count[l]++
	}
	pats := make(map[string]bool, len(order))
	lines := make([]string, 0, len(order))
	for _, l := range order {
		text := l.String()
		pats[text] = true
		lines = append(lines, text+" ×"+strconv.Itoa(count[l]))
	}
	sort.Strings(lines)
	return stack + "\n" + strings.Join(lines, "\n"), pats
}

// compareLayers says what a layer kind has and lacks next to the
// representative one.
func compareLayers(rep, other map[string]bool, stack string) string {
	var plus, minus []string
	for p := range other {
		if !rep[p] {
			plus = append(plus, p)
		}
	}
	for p := range rep {
		if !other[p] {
			minus = append(minus, p)
		}
	}
	sort.Strings(plus)
	sort.Strings(minus)
	clip := func(s []string) string {
		if len(s) > 4 {
			return strings.Join(s[:4], "; ") + fmt.Sprintf("; and %d more", len(s)-4)
		}
		return strings.Join(s, "; ")
	}
	var parts []string
	if stack == StackMTP {
		parts = append(parts, "multi-token-prediction layer")
	}
	if len(plus) > 0 {
		parts = append(parts, fmt.Sprintf("has %d tensor kinds the representative layer lacks: %s", len(plus), clip(plus)))
	}
	if len(minus) > 0 {
		parts = append(parts, fmt.Sprintf("lacks %d: %s", len(minus), clip(minus)))
	}
	if len(parts) == 0 {
		return "same tensors, different counts"
	}
	return strings.Join(parts, "; ")
}

// dims are the architecture's sizes by symbol, for the corrected formula.
type dims map[string]uint64

// meanings says what each symbol of the corrected formula stands for.
var meanings = map[string]string{
	"h": "hidden size", "V": "vocabulary", "A": "query heads", "G": "key/value heads", "d": "head size",
	"f": "MLP width", "f_e": "routed expert width", "f_s": "shared expert width", "E": "routed experts",
	"r_q": "q_lora_rank", "r_kv": "kv_lora_rank", "d_n": "qk_nope_head_dim", "d_r": "qk_rope_head_dim",
	"d_v": "v_head_dim", "P": "learned positions", "T": "token types", "B": "relative attention buckets",
}

// symbolOrder fixes the order of the legend.
var symbolOrder = []string{"h", "V", "A", "G", "d", "f", "E", "f_e", "f_s", "r_q", "r_kv", "d_n", "d_r", "d_v", "P", "T", "B"}

// monoSpec is coef × the product of factors (symbols of dims), or, for a
// tensor no symbol describes, its measured size under a name.
type monoSpec struct {
	coef     uint64
	factors  []string
	measured string
	size     uint64
	rank     int // order of the first role that gives it (roleRank)
}

// roleRank orders a layer's terms as the article does: attention (Q, K, V,
// O), then the MLP, then norms.
func roleRank(r Role) int {
	order := []Role{RoleAttnQ, RoleAttnQKV, RoleMLAQDown, RoleMLAQNorm, RoleMLAQUp, RoleAttnK, RoleAttnV,
		RoleMLAKVDown, RoleMLAKVNorm, RoleMLAKVUp, RoleAttnO, RoleAttnQNorm, RoleAttnKNorm,
		RoleMLPGate, RoleMLPUp, RoleMLPGateUp, RoleMLPDown, RoleExpertGate, RoleExpertUp, RoleExpertGateUp, RoleExpertDown,
		RoleRouter, RoleSharedGate, RoleSharedUp, RoleSharedDown, RoleNorm,
		RoleTokenEmbedding, RoleLMHead, RolePositionEmbedding, RoleTokenTypeEmbedding, RoleEmbeddingNorm, RoleFinalNorm}
	for i, o := range order {
		if o == r {
			return i
		}
	}
	return len(order)
}

// mono builds the monomial of a spec.
func (d dims) mono(s monoSpec) Monomial {
	if s.measured != "" {
		return Monomial{Coef: s.coef, Symbol: "n(" + s.measured + ")", Numeric: strconv.FormatUint(s.size, 10), Unit: s.size, Value: s.coef * s.size}
	}
	unit := uint64(1)
	for _, f := range s.factors {
		unit *= d[f]
	}
	sym, num := product(s.factors, func(f string) string { return f }), product(s.factors, func(f string) string { return strconv.FormatUint(d[f], 10) })
	return Monomial{Coef: s.coef, Symbol: sym, Numeric: num, Unit: unit, Value: s.coef * unit}
}

// product writes factors joined by "·", a repeated factor squared.
func product(fs []string, name func(string) string) string {
	var parts []string
	for i := 0; i < len(fs); i++ {
		if i+1 < len(fs) && fs[i+1] == fs[i] {
			parts = append(parts, name(fs[i])+"²")
			i++
			continue
		}
		parts = append(parts, name(fs[i]))
	}
	return strings.Join(parts, "·")
}

// tensorModel gives the monomials the architecture predicts for one
// tensor, from its role alone: the shapes of the article's section 2 and
// their corrections (FORMULAS.md): Q is h·A·d, K and V h·G·d, a gated MLP
// three h·f matrices, an expert h·f_e, a router E·h, a norm h.
func tensorModel(r *TensorRole, d dims, mlaAttn bool) []monoSpec {
	specs := roleModel(r, d, mlaAttn)
	rank := roleRank(r.Role)
	if r.Param == "bias" {
		rank += 100 // biases after every weight: 12h² + 13h
	}
	for i := range specs {
		specs[i].rank = rank
	}
	return specs
}

func roleModel(r *TensorRole, d dims, mlaAttn bool) []monoSpec {
	m := func(c uint64, f ...string) []monoSpec { return []monoSpec{{coef: c, factors: f}} }
	b := r.Param == "bias"
	qw := []string{"h", "A", "d"}
	qb := []string{"A", "d"}
	// Without head counts the textbook's multi-head attention is assumed
	// (A·d = G·d = h); a tensor that disagrees shows up in the residual.
	if d["A"]*d["d"] == d["h"] || d["A"] == 0 || d["d"] == 0 {
		qw, qb = []string{"h", "h"}, []string{"h"}
	}
	kw := []string{"h", "G", "d"}
	kb := []string{"G", "d"}
	if d["G"]*d["d"] == d["h"] || d["G"] == 0 || d["d"] == 0 {
		kw, kb = []string{"h", "h"}, []string{"h"}
	}
	ff := []string{"h", "f"}
	fb := []string{"f"}
	four := uint64(1)
	if d["f"] == 4*d["h"] {
		ff, fb, four = []string{"h", "h"}, []string{"h"}, 4
	}
	if strings.HasSuffix(r.stem(), "shared_expert_gate") && !b {
		// Qwen2-MoE's sigmoid gate of the shared expert: one row of h.
		return m(1, "h")
	}
	switch r.Role {
	case RoleAttnQ:
		if b {
			return m(1, qb...)
		}
		return m(1, qw...)
	case RoleAttnK, RoleAttnV:
		if b {
			return m(1, kb...)
		}
		return m(1, kw...)
	case RoleAttnQKV:
		if b {
			return append(m(1, qb...), m(2, kb...)...)
		}
		return append(m(1, qw...), m(2, kw...)...)
	case RoleAttnO:
		if b {
			return m(1, "h")
		}
		if mlaAttn {
			return m(1, "h", "A", "d_v")
		}
		return m(1, qw...)
	case RoleAttnQNorm, RoleAttnKNorm:
		return m(1, "d")
	case RoleMLAQDown:
		return m(1, "h", "r_q")
	case RoleMLAQNorm:
		return m(1, "r_q")
	case RoleMLAQUp:
		return append(m(1, "r_q", "A", "d_n"), m(1, "r_q", "A", "d_r")...)
	case RoleMLAKVDown:
		return append(m(1, "h", "r_kv"), m(1, "h", "d_r")...)
	case RoleMLAKVNorm:
		return m(1, "r_kv")
	case RoleMLAKVUp:
		return append(m(1, "r_kv", "A", "d_n"), m(1, "r_kv", "A", "d_v")...)
	case RoleMLPUp, RoleMLPGate:
		if b {
			return m(four, fb...)
		}
		return m(four, ff...)
	case RoleMLPGateUp:
		if b {
			return m(2*four, fb...)
		}
		return m(2*four, ff...)
	case RoleMLPDown:
		if b {
			return m(1, "h")
		}
		return m(four, ff...)
	case RoleExpertUp, RoleExpertGate, RoleExpertDown:
		if b {
			w := "f_e"
			if r.Role == RoleExpertDown {
				w = "h"
			}
			if len(r.LogicalShape) == 2 {
				return m(1, "E", w)
			}
			return m(1, w)
		}
		if len(r.LogicalShape) == 3 {
			return m(1, "E", "h", "f_e")
		}
		return m(1, "h", "f_e")
	case RoleExpertGateUp:
		if !b && len(r.LogicalShape) == 3 {
			return m(2, "E", "h", "f_e")
		}
		if b && len(r.LogicalShape) == 2 {
			return m(2, "E", "f_e")
		}
	case RoleSharedUp, RoleSharedGate, RoleSharedDown:
		if !b {
			return m(1, "h", "f_s")
		}
	case RoleRouter:
		if len(r.LogicalShape) == 1 {
			return m(1, "E")
		}
		return m(1, "E", "h")
	case RoleNorm, RoleFinalNorm, RoleEmbeddingNorm:
		return m(1, "h")
	case RoleTokenEmbedding:
		return m(1, "V", "h")
	case RoleLMHead:
		if b {
			return m(1, "V")
		}
		return m(1, "V", "h")
	case RolePositionEmbedding:
		return m(1, "P", "h")
	case RoleTokenTypeEmbedding:
		return m(1, "T", "h")
	case RoleUnknown:
		return nil
	}
	if r.Param == "sinks" {
		// gpt-oss's attention sinks: one learned logit per query head.
		return m(1, "A")
	}
	if strings.HasSuffix(r.stem(), "eh_proj") && !b {
		// DeepSeek-V3's MTP projects [embedding; hidden state] (2h) back
		// to h (DeepSeek-V3 report, section 2.2).
		return m(2, "h", "h")
	}
	if strings.HasSuffix(r.stem(), "relative_attention_bias") {
		// T5's learned relative position bias: one scalar per bucket and
		// head (relative_attention_num_buckets × num_heads).
		return m(1, "B", "A")
	}
	// Recognised tensors outside the formula's vocabulary (T5's relative
	// attention bias, DeepSeek's eh_proj, BERT's pooler) enter measured.
	name := expertPattern(r.Name)
	if r.Layer >= 0 {
		// The path inside the layer, so alike layers stay one group.
		name = r.full()
	}
	return []monoSpec{{coef: 1, measured: name, size: r.LogicalParams}}
}

// addMonos adds specs to an ordered sum, merging equal products.
func addMonos(sum []monoSpec, add []monoSpec) []monoSpec {
	for _, s := range add {
		merged := false
		for i := range sum {
			if sum[i].measured == s.measured && joinedEqual(sum[i].factors, s.factors) &&
				(s.measured == "" || sum[i].size == s.size) {
				sum[i].coef += s.coef
				sum[i].rank = min(sum[i].rank, s.rank)
				merged = true
				break
			}
		}
		if !merged {
			sum = append(sum, s)
		}
	}
	return sum
}

// joinedEqual reports whether strings.Join(a, ".") == strings.Join(b, "."),
// without building either: addMonos compares factors for every tensor.
func joinedEqual(a, b []string) bool {
	if slices.Equal(a, b) {
		return true
	}
	var ai, aj, bi, bj int
	for {
		ca, oka := joinedByte(a, &ai, &aj)
		cb, okb := joinedByte(b, &bi, &bj)
		if oka != okb || ca != cb {
			return false
		}
		if !oka {
			return true
		}
	}
}

// joinedByte returns the next byte of strings.Join(fs, ".") from the
// cursor (factor i, byte j), and false at the end.
func joinedByte(fs []string, i, j *int) (byte, bool) {
	if *i >= len(fs) {
		return 0, false
	}
	if *j < len(fs[*i]) {
		c := fs[*i][*j]
		*j++
		return c, true
	}
	*i, *j = *i+1, 0
	if *i < len(fs) {
		return '.', true
	}
	return 0, false
}

// modelKey is what a tensor's model depends on: its role, parameter, rank
// and module name (T5's relative_attention_bias, DeepSeek's eh_proj).
type modelKey struct {
	role  Role
	param string
	rank  int
	tail  string
}

// modelVal is a cached tensor model and its value.
type modelVal struct {
	specs []monoSpec
	value uint64
}

// layerKey names a layer of a stack.
type layerKey struct {
	stack string
	layer int
}

// value is a spec's value without building its text.
func (d dims) value(s monoSpec) uint64 {
	if s.measured != "" {
		return s.coef * s.size
	}
	v := s.coef
	for _, f := range s.factors {
		v *= d[f]
	}
	return v
}

// corrected builds the formula that fits the checkpoint from the inferred
// architecture and reports what it leaves unexplained.
func corrected(roles []TensorRole, a *Architecture, actual uint64) Corrected {
	d := dims{"h": uint64(max(a.Hidden.Value, 0)), "V": uint64(max(a.Vocab.Value, 0)), "A": uint64(max(a.Heads.Value, 0)),
		"G": uint64(max(a.KVHeads.Value, 0)), "d": uint64(max(a.HeadDim.Value, 0)), "f": uint64(max(a.FFN.Value, 0)),
		"P": uint64(max(a.LearnedPositions.Value, 0))}
	if a.MoE != nil {
		d["E"] = uint64(max(a.MoE.Experts.Value, 0))
		d["f_e"] = uint64(max(a.MoE.ExpertFFN.Value, 0))
		d["f_s"] = uint64(max(a.MoE.SharedFFN.Value, 0))
	}
	if a.MLA != nil {
		d["r_q"] = uint64(max(a.MLA.QLoRARank.Value, 0))
		d["r_kv"] = uint64(max(a.MLA.KVLoRARank.Value, 0))
		d["d_n"] = uint64(max(a.MLA.QKNopeHeadDim.Value, 0))
		d["d_r"] = uint64(max(a.MLA.QKRopeHeadDim.Value, 0))
		d["d_v"] = uint64(max(a.MLA.VHeadDim.Value, 0))
	}
	for i := range roles {
		r := &roles[i]
		if r.Role == RoleTokenTypeEmbedding && len(r.LogicalShape) == 2 {
			d["T"] = r.LogicalShape[0]
		}
		if strings.HasSuffix(r.stem(), "relative_attention_bias") && len(r.LogicalShape) == 2 {
			d["B"] = r.LogicalShape[0]
		}
	}
	mlaAttn := a.MLA != nil

	var c Corrected
	var mismatch []string
	var unexplained int
	type gkey struct{ stack, sig string }
	gidx := map[gkey]int{}
	type layerSum struct {
		stack string
		layer int
		count map[*modelVal]int // tensors per cached model, in first-seen order
		order []*modelVal
		specs []monoSpec // measured terms
	}
	// Tensors of one role, parameter and rank share a model: compute it
	// once (DeepSeek-V3 has 90,000 tensors and a few dozen models).
	cache := map[modelKey]*modelVal{}
	modelOf := func(r *TensorRole) ([]monoSpec, uint64, *modelVal) {
		stem := r.stem()
		k := modelKey{r.Role, r.Param, len(r.LogicalShape), stem[strings.LastIndexByte(stem, '.')+1:]}
		if v, ok := cache[k]; ok {
			return v.specs, v.value, v
		}
		specs := tensorModel(r, d, mlaAttn)
		var value uint64
		for _, s := range specs {
			value += d.value(s)
		}
		if len(specs) > 0 && specs[0].measured != "" {
			return specs, value, nil
		}
		v := &modelVal{specs, value}
		cache[k] = v
		return specs, value, v
	}
	var order []layerSum
	at := map[layerKey]int{}
	var outside []monoSpec
	var otherOutside uint64
	var otherNames []string
	extra := map[string]uint64{}
	var extraOrder []string
	for i := range roles {
		r := &roles[i]
		if !counted(r) {
			continue
		}
		if isExtraStack(r.Stack) && r.Stack != StackMTP {
			if _, ok := extra[r.Stack]; !ok {
				extraOrder = append(extraOrder, r.Stack)
			}
			extra[r.Stack] += r.LogicalParams
			continue
		}
		specs, model, mv := modelOf(r)
		if specs == nil {
			unexplained++
			if len(mismatch) < 20 {
				mismatch = append(mismatch, fmt.Sprintf("%s: %s parameters, unclassified", r.Name, comma(r.LogicalParams)))
			}
		} else if model != r.LogicalParams {
			unexplained++
			if len(mismatch) < 20 {
				mismatch = append(mismatch, fmt.Sprintf("%s %s: holds %s, the formula gives %s", r.Name, shapeString(r.LogicalShape), comma(r.LogicalParams), comma(model)))
			}
		}
		if r.Layer < 0 {
			for _, sp := range specs {
				if sp.measured != "" {
					// Heads and poolers outside the language model's
					// terms enter as one measured sum.
					otherOutside += sp.size
					otherNames = append(otherNames, sp.measured)
					continue
				}
				outside = addMonos(outside, []monoSpec{sp})
			}
			continue
		}
		k := layerKey{r.Stack, r.Layer}
		i, ok := at[k]
		if !ok {
			i = len(order)
			at[k] = i
			order = append(order, layerSum{stack: r.Stack, layer: r.Layer, count: map[*modelVal]int{}})
		}
		ls := &order[i]
		if mv == nil {
			ls.specs = addMonos(ls.specs, specs)
			continue
		}
		if _, seen := ls.count[mv]; !seen {
			ls.order = append(ls.order, mv)
		}
		ls.count[mv]++
	}
	if unexplained > len(mismatch) {
		mismatch = append(mismatch, fmt.Sprintf("and %d more", unexplained-len(mismatch)))
	}
	stackRank := map[string]int{StackEncoder: 0, StackDecoder: 1, StackMTP: 2}
	sort.SliceStable(order, func(i, j int) bool {
		if order[i].stack != order[j].stack {
			return stackRank[order[i].stack] < stackRank[order[j].stack]
		}
		return order[i].layer < order[j].layer
	})
	for _, ls := range order {
		var specs []monoSpec
		for _, mv := range ls.order {
			for _, sp := range mv.specs {
				sp.coef *= uint64(ls.count[mv])
				specs = addMonos(specs, []monoSpec{sp})
			}
		}
		specs = byDegree(collapseExperts(addMonos(specs, ls.specs), d["E"]))
		var terms []Monomial
		var per uint64
		var sig []string
		for _, s := range specs {
			mm := d.mono(s)
			terms = append(terms, mm)
			per += mm.Value
			sig = append(sig, fmt.Sprintf("%d %s %s", mm.Coef, mm.Symbol, mm.Numeric))
		}
		k := gkey{ls.stack, strings.Join(sig, "+")}
		i, ok := gidx[k]
		if !ok {
			i = len(c.Groups)
			gidx[k] = i
			c.Groups = append(c.Groups, CorrectedGroup{Stack: ls.stack, Terms: terms, PerLayer: per})
		}
		c.Groups[i].Layers = append(c.Groups[i].Layers, ls.layer)
	}
	nameGroups(c.Groups, a)
	for _, s := range byDegree(outside) {
		c.Outside = append(c.Outside, d.mono(s))
	}
	if len(otherNames) > 0 {
		c.Outside = append(c.Outside, d.mono(monoSpec{coef: 1, measured: "other", size: otherOutside}))
		c.OtherTensors = otherNames
	}
	for _, s := range extraOrder {
		c.Outside = append(c.Outside, d.mono(monoSpec{coef: 1, measured: s + " module", size: extra[s]}))
	}
	for _, g := range c.Groups {
		c.Total += uint64(len(g.Layers)) * g.PerLayer
	}
	for _, m := range c.Outside {
		c.Total += m.Value
	}
	c.Residual = int64(actual) - int64(c.Total)
	c.ResidualTensors = mismatch
	c.Symbolic, c.Numeric = writeFormula(c)
	if c.Symbolic == "" {
		c.Symbolic, c.Numeric = "0", "0"
	}
	used := map[string]bool{}
	mark := func(ms []Monomial) {
		for _, m := range ms {
			for _, f := range strings.Split(strings.ReplaceAll(m.Symbol, "²", ""), "·") {
				used[f] = true
			}
		}
	}
	for _, g := range c.Groups {
		mark(g.Terms)
	}
	mark(c.Outside)
	for _, s := range symbolOrder {
		if used[s] {
			c.Symbols = append(c.Symbols, SymbolValue{Symbol: s, Value: d[s], Meaning: meanings[s]})
		}
	}
	for _, g := range c.Groups {
		c.Symbols = append(c.Symbols, SymbolValue{Symbol: g.Symbol, Value: uint64(len(g.Layers)), Meaning: fmt.Sprintf("%s layers %s", g.Stack, LayerRanges(g.Layers))})
	}
	return c
}

// byDegree orders a sum canonically: by the role that first gives a term
// (attention, MLP, norms), then by falling degree (h² before h, as the
// article writes 12h² + 13h), then by symbol; measured sizes come last.
func byDegree(specs []monoSpec) []monoSpec {
	// The degree counts widths (h, f, V, ranks), not head or expert
	// counts, so h² sorts before h·G·d as in 2h² + 2h·G·d.
	deg := func(s monoSpec) int {
		if s.measured != "" {
			return -1
		}
		n := 0
		for _, f := range s.factors {
			switch f {
			case "A", "G", "d", "E", "d_n", "d_r", "d_v", "B", "T", "P":
			default:
				n++
			}
		}
		return n
	}
	sort.SliceStable(specs, func(i, j int) bool {
		a, b := specs[i], specs[j]
		if (a.measured == "") != (b.measured == "") {
			return a.measured == ""
		}
		if a.rank != b.rank {
			return a.rank < b.rank
		}
		if deg(a) != deg(b) {
			return deg(a) > deg(b)
		}
		return strings.Join(a.factors, ".")+a.measured < strings.Join(b.factors, ".")+b.measured
	})
	return specs
}

// collapseExperts writes E per-expert h·f_e matrices as one E·h·f_e.
func collapseExperts(specs []monoSpec, e uint64) []monoSpec {
	if e == 0 {
		return specs
	}
	for i, s := range specs {
		if s.measured == "" && strings.Join(s.factors, ".") == "h.f_e" && s.coef%e == 0 {
			specs[i] = monoSpec{coef: s.coef / e, factors: []string{"E", "h", "f_e"}, rank: s.rank}
		}
	}
	return addMonos(nil, specs)
}

// nameGroups gives each layer group its symbol: l when there is one,
// otherwise by what sets the group apart.
func nameGroups(gs []CorrectedGroup, a *Architecture) {
	if len(gs) == 1 {
		gs[0].Symbol = "l"
		return
	}
	used := map[string]int{}
	for i := range gs {
		name := "l"
		switch {
		case gs[i].Stack == StackMTP:
			name = "l_mtp"
		case gs[i].Stack == StackEncoder:
			name = "l_enc"
		case a.MoE != nil && hasSymbol(gs[i].Terms, "f_e"):
			name = "l_moe"
		case a.MoE != nil:
			name = "l_dense"
		case a.EncoderLayers.Value > 0:
			name = "l_dec"
		}
		used[name]++
		if used[name] > 1 {
			name += strconv.Itoa(used[name])
		}
		gs[i].Symbol = name
	}
}

func hasSymbol(ms []Monomial, f string) bool {
	for _, m := range ms {
		for _, x := range strings.Split(strings.ReplaceAll(m.Symbol, "²", ""), "·") {
			if x == f {
				return true
			}
		}
	}
	return false
}

// writeFormula writes the corrected formula in symbols and in numbers.
func writeFormula(c Corrected) (string, string) {
	term := func(m Monomial, numeric bool) string {
		s := m.Symbol
		if numeric {
			s = m.Numeric
		}
		if m.Coef == 1 {
			return s
		}
		if numeric {
			return strconv.FormatUint(m.Coef, 10) + "·" + s
		}
		return strconv.FormatUint(m.Coef, 10) + s
	}
	sum := func(ms []Monomial, numeric bool) string {
		parts := make([]string, len(ms))
		for i, m := range ms {
			parts[i] = term(m, numeric)
		}
		return strings.Join(parts, " + ")
	}
	var sym, num []string
	for _, g := range c.Groups {
		sym = append(sym, g.Symbol+"·("+sum(g.Terms, false)+")")
		num = append(num, strconv.Itoa(len(g.Layers))+"·("+sum(g.Terms, true)+")")
	}
	if len(c.Outside) > 0 {
		sym = append(sym, sum(c.Outside, false))
		num = append(num, sum(c.Outside, true))
	}
	return strings.Join(sym, " + "), strings.Join(num, " + ")
}

// LayerRanges writes sorted layer indices as "0–2, 5".
func LayerRanges(xs []int) string {
	var parts []string
	for i := 0; i < len(xs); {
		j := i
		for j+1 < len(xs) && xs[j+1] == xs[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, strconv.Itoa(xs[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d–%d", xs[i], xs[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}
