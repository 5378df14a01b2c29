package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// ReadAnalysis reads a report written by `analyze --format json`. A
// schema_version other than SchemaVersion is refused: its keys may mean
// something else, and a silent misreading would gate CI on wrong numbers.
func ReadAnalysis(r io.Reader) (*Analysis, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var head struct {
		SchemaVersion *int `json:"schema_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("not a tokcost JSON report: %w", err)
	}
	if head.SchemaVersion == nil {
		return nil, fmt.Errorf("not a tokcost JSON report: no schema_version")
	}
	if *head.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("unknown schema_version %d (this tokcost reads %d)", *head.SchemaVersion, SchemaVersion)
	}
	var a Analysis
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("not a tokcost JSON report: %w", err)
	}
	return &a, nil
}
