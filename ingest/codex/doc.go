// Package codex reads OpenAI Codex CLI rollout files
// ($CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<uuid>.jsonl) into
// canonical records: one model call per token_count event, one tool step per
// function, custom-tool or web-search call, joined with its end event.
// docs/formats/codex.md describes the full mapping.
//
// The format registers itself as "codex"; import the package for its side
// effect.
package codex
