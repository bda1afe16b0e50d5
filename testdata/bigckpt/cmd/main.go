// Command bigckpt writes the DeepSeek-V3-scale header-only checkpoint of
// package bigckpt into a folder, for benchmarking the whole binary:
//
//	go run ./testdata/bigckpt/cmd DIR
package main

import (
	"fmt"
	"os"

	"github.com/paramscope/paramscope/testdata/bigckpt"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run ./testdata/bigckpt/cmd DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	n, err := bigckpt.Write(dir, bigckpt.Shards)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d tensors in %d shards to %s\n", n, bigckpt.Shards, dir)
}
