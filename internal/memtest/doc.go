// Package memtest measures heap growth for tests that bound memory by
// bytes rather than by time (the project's rule: speed and memory are
// benchmarks or byte counts, never timed tests). Only tests import it.
package memtest
