// Package litellmlogs reads the LiteLLM proxy's spend logs (rows of its
// LiteLLM_SpendLogs table, as the /spend/logs API returns them or as a
// database export writes them: a JSON array, {"data": [...]}, or JSON
// Lines) into canonical records: one model call per row, an MCP tool call
// per row that names one. The units are rows. docs/formats/litellm-spend-logs.md
// describes the mapping.
//
// The format registers itself as "litellm-spend-logs"; import the package
// for its side effect.
package litellmlogs
