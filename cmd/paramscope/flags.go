package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/spf13/pflag"

	"github.com/paramscope/paramscope/reader"
)

// addLimitFlags registers the reader's caps on fs, with reader.DefaultLimits
// as defaults, writing into lim. Every command that opens a checkpoint calls
// it so a user who meets a cap on a real checkpoint can raise it with the
// same flag everywhere (HOSTILE.md, "Resources": caps refuse hostile inputs
// quickly, and each can be raised by a flag).
func addLimitFlags(fs *pflag.FlagSet, lim *reader.Limits) {
	*lim = reader.DefaultLimits()
	fs.Var(&byteCap{&lim.MaxHeaderBytes}, "max-header-bytes",
		"largest safetensors header accepted, in bytes (suffixes like 200MB or 1GiB work)")
	fs.Var(&intCap{&lim.MaxTensors}, "max-tensors", "most tensors accepted in one file")
	fs.Var(&intCap{&lim.MaxRank}, "max-rank", "most dimensions accepted for one tensor")
	fs.Var(&intCap{&lim.MaxNameBytes}, "max-name-bytes", "longest tensor name accepted, in bytes")
	fs.Var(&intCap{&lim.MaxMetadataBytes}, "max-metadata-bytes",
		"largest __metadata__ accepted (keys plus values), in bytes")
	fs.Var(&int64ByteCap{&lim.MaxIndexBytes}, "max-index-bytes",
		"largest *.safetensors.index.json accepted, in bytes")
	fs.Var(&intCap{&lim.MaxShards}, "max-shards", "most shards accepted in one index")
	fs.Var(&int64ByteCap{&lim.MaxConfigBytes}, "max-config-bytes", "largest config.json accepted, in bytes")
	fs.Var(&intCap{&lim.Concurrency}, "concurrency", "shards read at once (0: twice the number of CPUs, at least 4)")
}

// intCap is a non-negative int flag: a negative cap has no meaning, so it is
// refused while parsing (exit 2) rather than passed to the reader.
type intCap struct{ p *int }

func (c *intCap) String() string {
	if c.p == nil {
		return "0"
	}
	return strconv.Itoa(*c.p)
}
func (c *intCap) Type() string { return "int" }
func (c *intCap) Set(s string) error {
	v, err := strconv.ParseUint(strings.ReplaceAll(s, "_", ""), 10, 64)
	if err != nil || v > math.MaxInt {
		return fmt.Errorf("want a whole number from 0 to %d, got %q", math.MaxInt, s)
	}
	*c.p = int(v)
	return nil
}

// byteCap is a size flag in bytes that also takes humanize suffixes
// ("100MB", "1GiB"), since header sizes are usually thought of that way.
type byteCap struct{ p *uint64 }

func (c *byteCap) String() string {
	if c.p == nil {
		return "0"
	}
	return strconv.FormatUint(*c.p, 10)
}
func (c *byteCap) Type() string { return "bytes" }
func (c *byteCap) Set(s string) error {
	v, err := parseSize(s)
	if err != nil {
		return err
	}
	*c.p = v
	return nil
}

// int64ByteCap is byteCap for the int64 fields of reader.Limits.
type int64ByteCap struct{ p *int64 }

func (c *int64ByteCap) String() string {
	if c.p == nil {
		return "0"
	}
	return strconv.FormatInt(*c.p, 10)
}
func (c *int64ByteCap) Type() string { return "bytes" }
func (c *int64ByteCap) Set(s string) error {
	v, err := parseSize(s)
	if err != nil {
		return err
	}
	if v > math.MaxInt64 {
		return fmt.Errorf("want at most %d bytes, got %q", int64(math.MaxInt64), s)
	}
	*c.p = int64(v)
	return nil
}

// parseSize reads a byte count: a plain integer, exactly, or a number with a
// unit that humanize.ParseBytes knows.
func parseSize(s string) (uint64, error) {
	plain := strings.ReplaceAll(s, "_", "")
	if v, err := strconv.ParseUint(plain, 10, 64); err == nil {
		return v, nil
	}
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, fmt.Errorf("want a size in bytes (like 100000000 or 100MB), got %q", s)
	}
	v, err := humanize.ParseBytes(s)
	if err != nil {
		return 0, fmt.Errorf("want a size in bytes (like 100000000 or 100MB), got %q", s)
	}
	return v, nil
}
