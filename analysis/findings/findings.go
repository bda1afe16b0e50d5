// Package findings holds the one type every analysis stage reports with:
// analysis never fails on odd input, it says what it found.
package findings

// Level grades a finding.
type Level string

// Levels, from least to most serious. A finding of level Problem makes a
// check or diff exit with code 1.
const (
	Info    Level = "info"
	Warning Level = "warning"
	Problem Level = "problem"
)

// Finding is one observation about a checkpoint.
type Finding struct {
	// Level grades it.
	Level Level `json:"level"`
	// Code is a stable snake_case identifier ("config_mismatch").
	Code string `json:"code"`
	// Message says what was found, with the numbers.
	Message string `json:"message"`
	// Evidence names the tensors or config keys behind it.
	Evidence []string `json:"evidence,omitempty"`
}
