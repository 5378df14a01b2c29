// Package opencode reads OpenCode's JSON storage into canonical records:
// one model call per step (a step-finish part under storage/part/<msg>/,
// joined to its message for the model), one tool step per tool part. A
// message's own tokens are only its last step's, so they are used only
// when the message's parts are not on disk. The unit is the file; part
// files are skipped, their message reads them. docs/formats/opencode.md
// describes the mapping.
//
// The format registers itself as "opencode"; import the package for its
// side effect.
package opencode
