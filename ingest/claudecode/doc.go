// Package claudecode reads Claude Code session transcripts
// (~/.claude/projects/<project>/<session>.jsonl and the sub-agent files under
// <session>/subagents/) into canonical records.
//
// Claude Code writes one line per content block of a streamed response, each
// repeating the response's usage, so the reader deduplicates API responses on
// (message.id, requestId) before emitting them; tool results become tool
// records. docs/formats/claude-code.md describes the full mapping.
//
// The format registers itself as "claude-code"; import the package for its
// side effect.
package claudecode
