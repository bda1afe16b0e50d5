package main

import (
	"context"
	"errors"
	"io"
)

// runInspect is replaced by the issue that builds the inspect command.
func runInspect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return inputError(errors.New("inspect: not built yet"))
}
