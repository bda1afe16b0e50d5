package main

import (
	"context"
	"errors"
	"io"
)

// runFormula is replaced by the issue that builds the formula command.
func runFormula(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return inputError(errors.New("formula: not built yet"))
}
