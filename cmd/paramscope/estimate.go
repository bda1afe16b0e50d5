package main

import (
	"context"
	"errors"
	"io"
)

// runEstimate is replaced by the issue that builds the estimate command.
func runEstimate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return inputError(errors.New("estimate: not built yet"))
}
