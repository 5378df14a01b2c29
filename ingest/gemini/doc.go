// Package gemini reads Gemini CLI chat session files
// (~/.gemini/tmp/<project>/chats/session-*.json) into canonical records: one
// model call per "gemini" message, with thoughts added to output as OTel
// requires, and one tool step per entry of its toolCalls. The input is one
// JSON document; its units are messages. docs/formats/gemini-cli.md
// describes the full mapping.
//
// The format registers itself as "gemini-cli"; import the package for its
// side effect.
package gemini
