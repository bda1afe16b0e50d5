package main

import (
	"github.com/paramscope/paramscope/analysis/findings"
	"github.com/paramscope/paramscope/analysis/quant"
	"github.com/paramscope/paramscope/reader"
)

// maxTiedCompareBytes bounds how much one tied tensor may weigh for
// --verify-tied to read it: the largest embeddings in use (V = 256k rows of
// h = 16k in BF16) are 8 GiB.
const maxTiedCompareBytes = 8 << 30

// verifyTied reads both tensors of every tied pair that q found stored
// twice and says whether their bytes are identical. It is the one place
// where inspect reads tensor data, and only when asked (--verify-tied):
// the header commands never touch it otherwise. A header-only stub has no
// bytes to compare, which is said as a finding too.
func verifyTied(ck *reader.Checkpoint, q *quant.Result) []findings.Finding {
	var out []findings.Finding
	for _, p := range quant.TiedPairs(q) {
		emb, err := reader.ReadTensorData(ck, p.Embedding, maxTiedCompareBytes)
		if err == nil {
			var head []byte
			head, err = reader.ReadTensorData(ck, p.Head, maxTiedCompareBytes)
			if err == nil {
				out = append(out, quant.CompareTied(p, emb, head))
				continue
			}
		}
		out = append(out, findings.Finding{
			Level:    findings.Info,
			Code:     "tied_weights_not_compared",
			Message:  "the tied copies' bytes could not be compared: " + err.Error(),
			Evidence: []string{p.Embedding.Name, p.Head.Name},
		})
	}
	return out
}
