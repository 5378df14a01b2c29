// Package cline reads the task folders of Cline and of its forks Roo Code
// and Kilo Code: ui_messages.json, a JSON array of UI messages in which
// every api_req_started message carries one model request's tokensIn,
// tokensOut, cacheWrites, cacheReads and cost. The unit is the message:
// a request with usage is a model call, everything else is skipped with
// its kind as the reason.
//
// Whether tokensIn includes the cache differs by producer: Cline's
// provider handlers disagree (semantics.go lists them), Roo Code changed
// it in late 2025. The reader decides per call from the file's evidence
// and the recorded provider; when neither settles it, it assumes and
// marks the call with AssumedField, which the report lists and --strict
// refuses. docs/formats/cline.md describes the mapping.
//
// The format registers itself as "cline"; import the package for its side
// effect.
package cline
