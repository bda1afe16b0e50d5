// Package estimate turns verified model shapes into compute and memory
// estimates: forward and training FLOPs, activation memory, KV cache, and
// the memory needed to serve or train the model. Every quantity is given
// twice: as the Zhihu article "分析transformer模型的参数量、计算量、中间激活、KV cache"
// (https://zhuanlan.zhihu.com/p/624740065) computes it from l, h, a and V
// alone, and corrected for what the model really is (grouped-query
// attention, head size, gated MLP, experts, latent attention, sliding
// windows).
//
// The package is pure: no I/O, no formatting. Counts are exact integers
// (math/big where products overflow uint64); only quantities that are
// fractional by nature (seconds at a utilization) are also given as floats.
package estimate
