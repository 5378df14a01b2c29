// Package opencode reads OpenCode's storage into canonical records: the
// SQLite database opencode.db of OpenCode 1.2 and later (its message and
// part tables, through ingest/internal/sqlite) and the JSON files of
// earlier versions. One model call per step (a step-finish part, joined to
// its message for the model), one tool step per tool part. A message's own
// tokens are only its last step's, so they are used only when its
// step-finish parts are missing, and the call is then counted as assumed
// (AssumedField). The unit is the file, or the database row; parts are
// skipped, their message reads them. docs/formats/opencode.md describes
// the mapping.
//
// The format registers itself as "opencode"; import the package for its
// side effect.
package opencode
