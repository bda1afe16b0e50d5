package analysis

// famGeneric is the fallback for checkpoints whose names no family knows. It
// has no names of its own: AssignRoles gives its tensors roles from shapes
// alone (see shapeRoles), and the same shape rules fill in tensors a known
// family does not name.
var famGeneric = &Family{
	Name: "generic",
	Global: []GlobalRule{
		{"lm_head", RoleLMHead},
		{"embed_tokens", RoleTokenEmbedding},
		{"wte", RoleTokenEmbedding},
		{"word_embeddings", RoleTokenEmbedding},
	},
}

// shapeRoles gives roles from shapes to the parameter tensors of one layer
// that no name rule placed, once the hidden size h is known. In a layer,
// a [h, h] matrix is attention (Q, K, V, O in the order stored), a
// [3h, h] one is fused QKV, an [f, h] one (f != h) is an MLP input (up, then
// gate when there are two) and an [h, f] one its output; a vector of h is a
// norm, and a bias takes the role of the matrix whose output size it has.
func shapeRoles(layer []*TensorRole, h uint64) {
	if h == 0 {
		return
	}
	attn := []Role{RoleAttnQ, RoleAttnK, RoleAttnV, RoleAttnO}
	nAttn, nIn := 0, 0
	outRole := map[uint64]Role{}
	for _, t := range layer {
		if t.Role != RoleUnknown || len(t.LogicalShape) != 2 {
			continue
		}
		out, in := t.LogicalShape[0], t.LogicalShape[1]
		switch {
		case out == h && in == h:
			t.Role = attn[nAttn%4]
			nAttn++
		case out == 3*h && in == h:
			t.Role = RoleAttnQKV
		case in == h && out != h:
			if nIn == 0 {
				t.Role = RoleMLPUp
			} else {
				t.Role = RoleMLPGate
			}
			nIn++
		case out == h && in != h:
			t.Role = RoleMLPDown
		default:
			continue
		}
		if _, dup := outRole[out]; !dup {
			outRole[out] = t.Role
		}
	}
	for _, t := range layer {
		if t.Role != RoleUnknown || len(t.LogicalShape) != 1 {
			continue
		}
		n := t.LogicalShape[0]
		if t.Param == "bias" {
			if r, ok := outRole[n]; ok && n != h {
				t.Role = r
				continue
			}
		}
		if n == h {
			t.Role = RoleNorm
		}
	}
}
