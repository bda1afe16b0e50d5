// Package analysis holds pure functions from validated tensor metadata (and
// config.json facts) to roles, architecture, parameter counts and the
// comparison with the textbook formula 12lh² + 13lh + Vh. It does no I/O and
// no formatting; it never fails on odd input, it reports findings.
//
// The pipeline: quant.Classify (what each tensor holds), AssignRoles (what
// each tensor is for), InferArchitecture (l, h, V, ... with evidence),
// Formula (the textbook against the checkpoint). Estimates live in
// analysis/estimate.
package analysis
