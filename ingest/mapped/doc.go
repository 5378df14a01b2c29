// Package mapped reads JSON Lines of any shape, given a --map from canonical
// field names to JSON paths (docs/formats/mapped.md). Mapped fields are read
// only from their paths; every other canonical field is still read by its
// canonical name or alias at the top level, so a user maps only what differs.
// Values follow the canonical schema's semantics (tokens inclusive) and pass
// the same validation (ingest.Finish). The format is never auto-detected.
package mapped
