// Package report holds tokcost's one result model and renders it.
//
// Analysis is the versioned JSON contract (docs/json.md); Build fills it
// from an analyze.Dataset; one writer per format renders it
// (writer_json.go, writer_table.go, …). Writers only format: every number
// they show is computed in analyze (for `tokcost prices`, prices.go, in
// cmd/tokcost from the price table). Each command's formats are one
// Registry in writer.go.
package report
