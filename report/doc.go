// Package report holds tokcost's one result model and renders it.
//
// Analysis is the versioned JSON contract (docs/json.md); Build fills it
// from an analyze.Dataset; one writer per format renders it
// (writer_json.go, writer_table.go, …). Writers only format: every number
// they show is computed in analyze.
package report
