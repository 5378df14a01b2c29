// Package parquet reads traces stored as Apache Parquet: tokcost's canonical
// columns (docs/formats/parquet.md) or a Langfuse observations export, and
// writes canonical Parquet (WriteCanonical) for benchmarks and conversions.
//
// Parquet needs random access, so only uncompressed regular files are read
// (compression inside the file is fine). Row groups are decoded on every
// core, each worker streaming record batches into its own sink, so memory is
// bounded by batches and pages rather than by the file. Only the columns the
// reader uses are decoded. Row n of the file is Line n of its records and
// notes.
package parquet
