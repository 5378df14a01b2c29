// Package sqlite reads rowid tables of a SQLite 3 database file, read-only
// and without cgo: the database header, table b-tree pages (interior and
// leaf), overflow chains, the record format, sqlite_schema (to find a
// table's root page and column names) and the write-ahead log beside the
// file (<db>-wal), of which the frames up to the last valid commit are
// applied, as SQLite's own recovery would.
//
// It exists so that tokcost can read OpenCode's opencode.db without a
// driver: modernc.org/sqlite (pure Go) would add megabytes to the binary
// and minutes to a cold build for a few SELECTs (README.md, dependencies).
//
// Nothing is ever written: the database and its WAL are opened read-only,
// no -shm file is created or read, and no lock is taken. A database that
// changes while it is read (a checkpoint, a WAL restarted by a writer) is
// detected and reported, not read half-old, half-new.
//
// Every malformed structure is an error naming the file and the page
// (CorruptError); b-tree pages and overflow pages reached twice are
// corruption (a cycle), so a scan always ends. A record larger than
// Options.MaxRecord, or a record whose header is malformed, fails that row
// only (Row.Err) and the scan goes on. Rows are streamed: memory is one
// page per b-tree level plus the largest record.
//
// Not supported (an error, never a wrong answer): WITHOUT ROWID tables,
// and index b-trees (not needed to scan a table).
package sqlite
