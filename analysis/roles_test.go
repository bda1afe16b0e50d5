package analysis

import (
	"fmt"
	"strings"
	"testing"

	"github.com/paramscope/paramscope/analysis/quant"
	"github.com/paramscope/paramscope/reader"
)

func TestParseName(t *testing.T) {
	for _, tc := range []struct {
		name              string
		layer, expert     int
		sub, param, stack string
	}{
		{"h.0.attn.c_attn.weight", 0, -1, "attn.c_attn", "weight", StackDecoder},
		{"model.layers.12.mlp.experts.255.up_proj.weight_scale_inv", 12, 255, "mlp.experts.*.up_proj", "weight_scale_inv", StackDecoder},
		{"bert.encoder.layer.3.output.LayerNorm.gamma", 3, -1, "output.LayerNorm", "weight", StackEncoder},
		{"decoder.block.5.layer.1.EncDecAttention.q.weight", 5, -1, "layer.1.EncDecAttention.q", "weight", StackDecoder},
		{"model.embed_tokens.weight", -1, -1, "", "weight", ""},
		{"lm_head", -1, -1, "", "", ""},
		{"vision_tower.encoder.layers.1.q_proj.weight", 1, -1, "q_proj", "weight", "vision"},
		{"model.layers.99999999.x.weight", -1, -1, "", "weight", ""}, // index too large to be a layer
		{"model.layers.0.mlp.experts.gate_up_proj_bias", 0, -1, "mlp.experts.gate_up_proj", "bias", StackDecoder},
		{"model.layers.2.mlp.experts.7", 2, -1, "mlp.experts", "7", StackDecoder},
		{"model.layers.2.moe.shared_experts.3.w1.weight", 2, -1, "moe.shared_experts.3.w1", "weight", StackDecoder},
		{"layers.4.weight", 4, -1, "", "weight", StackDecoder},
		{"", -1, -1, "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := parseName(tc.name)
			if p.layer != tc.layer || p.expert != tc.expert || p.sub != tc.sub || p.param != tc.param {
				t.Errorf("got layer %d expert %d sub %q param %q, want %d %d %q %q", p.layer, p.expert, p.sub, p.param, tc.layer, tc.expert, tc.sub, tc.param)
			}
			if got := stackOf(p.prefix, p.layer >= 0); got != tc.stack {
				t.Errorf("stack: got %q, want %q", got, tc.stack)
			}
		})
	}
}

// TestAssignRolesNames checks one name per convention the families file
// names (Hugging Face transformers' modeling_*.py state-dict keys).
func TestAssignRolesNames(t *testing.T) {
	for _, tc := range []struct {
		family string
		names  []string // the checkpoint's names; the first is checked
		shape  []uint64
		want   Role
		param  string
	}{
		{"gpt2", []string{"h.0.attn.bias", "h.0.attn.c_attn.weight"}, []uint64{1, 1, 1024, 1024}, RoleBuffer, "bias"},
		{"gpt2", []string{"h.0.attn.c_attn.bias", "h.0.attn.c_attn.weight"}, []uint64{2304}, RoleAttnQKV, "bias"},
		{"gpt2", []string{"wpe.weight", "h.0.attn.c_attn.weight"}, []uint64{1024, 768}, RolePositionEmbedding, "weight"},
		{"gptj", []string{"transformer.h.0.mlp.fc_in.weight"}, []uint64{16384, 4096}, RoleMLPUp, "weight"},
		{"gpt_neox", []string{"gpt_neox.layers.0.attention.rotary_emb.inv_freq"}, []uint64{16}, RoleBuffer, "inv_freq"},
		{"gpt_neox", []string{"embed_out.weight"}, []uint64{50304, 2048}, RoleLMHead, "weight"},
		{"opt", []string{"model.decoder.layers.0.final_layer_norm.weight", "model.decoder.layers.0.self_attn_layer_norm.weight"}, []uint64{768}, RoleNorm, "weight"},
		{"opt", []string{"model.decoder.final_layer_norm.weight", "model.decoder.layers.0.self_attn_layer_norm.weight"}, []uint64{768}, RoleFinalNorm, "weight"},
		{"bloom", []string{"word_embeddings_layernorm.bias"}, []uint64{1024}, RoleEmbeddingNorm, "bias"},
		{"falcon", []string{"transformer.h.3.self_attention.query_key_value.weight"}, []uint64{4672, 4544}, RoleAttnQKV, "weight"},
		{"falcon", []string{"transformer.h.3.ln_mlp.weight", "transformer.h.3.self_attention.query_key_value.weight"}, []uint64{8192}, RoleNorm, "weight"},
		{"llama", []string{"model.layers.0.self_attn.k_norm.weight", "model.layers.0.self_attn.q_proj.weight"}, []uint64{128}, RoleAttnKNorm, "weight"},
		{"mixtral", []string{"model.layers.0.block_sparse_moe.experts.7.w3.weight"}, []uint64{14336, 4096}, RoleExpertUp, "weight"},
		{"mixtral", []string{"model.layers.0.block_sparse_moe.gate.weight"}, []uint64{8, 4096}, RoleRouter, "weight"},
		{"phi3", []string{"model.layers.0.mlp.gate_up_proj.weight"}, []uint64{16384, 3072}, RoleMLPGateUp, "weight"},
		{"deepseek", []string{"model.layers.5.self_attn.kv_a_proj_with_mqa.weight"}, []uint64{576, 7168}, RoleMLAKVDown, "weight"},
		{"deepseek", []string{"model.layers.5.mlp.gate.e_score_correction_bias", "model.layers.5.self_attn.kv_a_proj_with_mqa.weight"}, []uint64{256}, RoleRouter, "e_score_correction_bias"},
		{"deepseek", []string{"model.layers.5.mlp.shared_experts.down_proj.weight", "model.layers.5.self_attn.kv_a_proj_with_mqa.weight"}, []uint64{7168, 2048}, RoleSharedDown, "weight"},
		{"bert", []string{"bert.encoder.layer.0.attention.output.LayerNorm.beta", "bert.encoder.layer.0.attention.self.query.weight"}, []uint64{768}, RoleNorm, "bias"},
		{"bert", []string{"bert.embeddings.position_ids", "bert.encoder.layer.0.attention.self.query.weight"}, []uint64{1, 512}, RoleBuffer, "position_ids"},
		{"t5", []string{"decoder.block.0.layer.1.EncDecAttention.o.weight", "encoder.block.0.layer.0.SelfAttention.q.weight"}, []uint64{512, 512}, RoleAttnO, "weight"},
		{"t5", []string{"encoder.final_layer_norm.weight", "encoder.block.0.layer.0.SelfAttention.q.weight"}, []uint64{512}, RoleFinalNorm, "weight"},
	} {
		t.Run(tc.names[0], func(t *testing.T) {
			var ts []reader.Tensor
			for i, n := range tc.names {
				shape := []uint64{8, 8}
				if i == 0 {
					shape = tc.shape
				}
				ts = append(ts, reader.Tensor{Name: n, DType: reader.F32, Shape: shape})
			}
			qt := quantTensors(ts)
			if f := DetectFamily(qt, nil); f.Name != tc.family {
				t.Errorf("family: got %s, want %s", f.Name, tc.family)
			}
			r := AssignRoles(qt, nil)[0]
			if r.Role != tc.want || r.Param != tc.param {
				t.Errorf("got role %s param %q, want %s %q", r.Role, r.Param, tc.want, tc.param)
			}
		})
	}
}

// TestQuantKindsWin: what quant.Classify says a tensor holds decides over
// its name: side tensors are auxiliary, buffers are buffers.
func TestQuantKindsWin(t *testing.T) {
	qt := quantTensors([]reader.Tensor{
		{Name: "model.layers.0.self_attn.q_proj.weight", DType: reader.F8_E4M3, Shape: []uint64{8, 8}},
		{Name: "model.layers.0.self_attn.q_proj.weight_scale_inv", DType: reader.F32, Shape: []uint64{1, 1}},
		{Name: "model.layers.0.self_attn.rotary_emb.inv_freq", DType: reader.F32, Shape: []uint64{4}},
	})
	qt[1].Kind, qt[1].LogicalShape, qt[1].LogicalParams = quant.Side, nil, 0
	roles := AssignRoles(qt, nil)
	for i, want := range []Role{RoleAttnQ, RoleAux, RoleBuffer} {
		if roles[i].Role != want {
			t.Errorf("%s: got %s, want %s", roles[i].Name, roles[i].Role, want)
		}
	}
}

// TestGenericShapes: names no family knows get roles from shapes, and the
// leftovers are listed, never dropped.
func TestGenericShapes(t *testing.T) {
	const h, f, v = 16, 40, 100
	var b tb
	b.add(reader.F32, "net.tok.weight", v, h)
	for i := 0; i < 2; i++ {
		p := fmt.Sprintf("net.blocks.%d.", i)
		b.add(reader.F32, p+"n1.weight", h)
		for _, m := range []string{"wq", "wk", "wv", "wo"} {
			b.add(reader.F32, p+m+".weight", h, h)
		}
		b.add(reader.F32, p+"n2.weight", h)
		b.add(reader.F32, p+"fc.weight", f, h)
		b.add(reader.F32, p+"fc.bias", f)
		b.add(reader.F32, p+"proj.weight", h, f)
		b.add(reader.F32, p+"odd.weight", 3, 5)
	}
	a := Analyze(b.ts, nil)
	if a.Arch.Family != "generic" {
		t.Fatalf("family: got %s, want generic", a.Arch.Family)
	}
	count := map[Role]int{}
	for _, r := range a.Roles {
		count[r.Role]++
	}
	for role, want := range map[Role]int{RoleTokenEmbedding: 1, RoleAttnQ: 2, RoleAttnK: 2, RoleAttnV: 2, RoleAttnO: 2,
		RoleMLPUp: 4, RoleMLPDown: 2, RoleNorm: 4, RoleUnknown: 2} {
		if count[role] != want {
			t.Errorf("%s: got %d tensors, want %d", role, count[role], want)
		}
	}
	if a.Arch.Layers.Value != 2 || a.Arch.Hidden.Value != h || a.Arch.FFN.Value != f || a.Arch.Vocab.Value != v {
		t.Errorf("got l %d h %d f %d V %d, want 2 %d %d %d", a.Arch.Layers.Value, a.Arch.Hidden.Value, a.Arch.FFN.Value, a.Arch.Vocab.Value, h, f, v)
	}
	if a.Arch.Heads.Known || a.Arch.Heads.Evidence.Note == "" {
		t.Errorf("heads: got %+v, want unknown with a note", a.Arch.Heads)
	}
	var unclassified Term
	for _, tm := range a.Formula.Terms {
		if tm.Name == "unclassified" {
			unclassified = tm
		}
	}
	if unclassified.Tensors != 2 || unclassified.Checkpoint != 30 {
		t.Errorf("unclassified row: got %d tensors, %d params, want 2 and 30", unclassified.Tensors, unclassified.Checkpoint)
	}
	if a.Formula.Corrected.Residual != 30 || len(a.Formula.Corrected.ResidualTensors) != 2 {
		t.Errorf("residual: got %d %v, want 30 from the two odd tensors", a.Formula.Corrected.Residual, a.Formula.Corrected.ResidualTensors)
	}
	found := false
	for _, fi := range a.Findings {
		if fi.Code == "unclassified_tensors" {
			found = true
		}
	}
	if !found {
		t.Errorf("no unclassified_tensors finding in %+v", a.Findings)
	}
}

// TestQwenMoE: Qwen3-MoE's names (modeling_qwen3_moe.py): routed experts
// under mlp.experts.N, router mlp.gate; Qwen2-MoE's shared expert and its
// gate.
func TestQwenMoE(t *testing.T) {
	const h, fe, e = 32, 16, 4
	var b tb
	b.add(reader.BF16, "model.embed_tokens.weight", 50, h)
	for _, n := range []string{"q_proj", "k_proj", "v_proj", "o_proj"} {
		b.add(reader.BF16, "model.layers.0.self_attn."+n+".weight", h, h)
	}
	b.add(reader.BF16, "model.layers.0.input_layernorm.weight", h)
	b.add(reader.BF16, "model.layers.0.post_attention_layernorm.weight", h)
	b.add(reader.BF16, "model.layers.0.mlp.gate.weight", e, h)
	for i := 0; i < e; i++ {
		p := fmt.Sprintf("model.layers.0.mlp.experts.%d.", i)
		b.add(reader.BF16, p+"gate_proj.weight", fe, h)
		b.add(reader.BF16, p+"up_proj.weight", fe, h)
		b.add(reader.BF16, p+"down_proj.weight", h, fe)
	}
	b.add(reader.BF16, "model.layers.0.mlp.shared_expert.gate_proj.weight", 2*fe, h)
	b.add(reader.BF16, "model.layers.0.mlp.shared_expert.up_proj.weight", 2*fe, h)
	b.add(reader.BF16, "model.layers.0.mlp.shared_expert.down_proj.weight", h, 2*fe)
	b.add(reader.BF16, "model.layers.0.mlp.shared_expert_gate.weight", 1, h)
	b.add(reader.BF16, "model.norm.weight", h)
	a := Analyze(b.ts, cfgOf(t, `{"model_type":"qwen2_moe","num_attention_heads":4,"num_experts":4,"num_experts_per_tok":2,"moe_intermediate_size":16}`))
	for _, r := range a.Roles {
		if r.Role == RoleUnknown {
			t.Errorf("%s: unclassified", r.Name)
		}
	}
	m := a.Arch.MoE
	if m == nil || m.Experts.Value != e || m.TopK.Value != 2 || m.ExpertFFN.Value != fe || m.SharedFFN.Value != 2*fe || m.SharedExperts.Value != 2 {
		t.Fatalf("moe: got %+v, want 4 experts of 16, top-2, a shared MLP of 32 (= 2 experts' width)", m)
	}
	if a.Formula.Corrected.Residual != 0 {
		t.Errorf("residual: got %d, want 0 (%v)", a.Formula.Corrected.Residual, a.Formula.Corrected.ResidualTensors)
	}
}

// TestVisionTowerDoesNotChooseFamily: a LLaVA-style checkpoint whose vision
// tower uses BERT-like names is still read as a Llama.
func TestVisionTowerDoesNotChooseFamily(t *testing.T) {
	ts := []reader.Tensor{
		{Name: "vision_tower.encoder.layer.0.attention.self.query.weight", DType: reader.F32, Shape: []uint64{8, 8}},
		{Name: "language_model.model.embed_tokens.weight", DType: reader.F32, Shape: []uint64{16, 8}},
		{Name: "language_model.model.layers.0.self_attn.q_proj.weight", DType: reader.F32, Shape: []uint64{8, 8}},
	}
	if f := DetectFamily(quantTensors(ts), nil); f.Name != "llama" {
		t.Errorf("family: got %s, want llama", f.Name)
	}
}

// FuzzParseName: any name parses without panic; a layer tensor's path
// inside the layer ends with its parameter, and its index fits in 7 digits.
func FuzzParseName(f *testing.F) {
	for _, s := range []string{"model.layers.0.mlp.experts.3.up_proj.weight", "h.0.attn.bias", "a..b", ".", "layers.1.", "x.experts.1", "blk.9999999.y.z_proj_bias"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		p := parseName(name)
		if p.layer < 0 {
			return
		}
		if p.layer > 9_999_999 || !strings.HasSuffix(p.full, p.param) {
			t.Errorf("%q: layer %d, full %q, param %q", name, p.layer, p.full, p.param)
		}
	})
}
