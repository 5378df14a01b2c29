package ingest

import (
	"github.com/valyala/fastjson"

	"github.com/tokcost/tokcost/ingest/internal/toolhash"
)

// A tool call's arguments and result are kept as 64-bit hashes, never as
// text (ingest/internal/toolhash says how they are computed).

// MaxArgsLabel bounds Record.ToolArgsLabel, in bytes.
const MaxArgsLabel = toolhash.MaxLabel

// setToolArgs fills r's argument hash and label from a JSON value.
func (r *Record) setToolArgs(v *fastjson.Value) {
	r.ToolArgsHash, r.ToolArgsLabel = toolhash.Args(v)
}

// setToolResult fills r's result hash and size from a JSON value.
func (r *Record) setToolResult(v *fastjson.Value) {
	r.ToolResultHash, r.ToolResultBytes = toolhash.Result(v)
}

// SetToolResultText fills r's result hash and size from a result given as
// text.
func (r *Record) SetToolResultText(s string) {
	r.ToolResultHash = toolhash.Text(s)
	r.ToolResultBytes = int64(len(s))
}
