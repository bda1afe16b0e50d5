package layouts

// Regenerate every fixture under ../models with
//
//	go generate ./testdata/layouts
//
// (go generate ./... skips testdata folders, so name this one).
//go:generate go run ../gen
