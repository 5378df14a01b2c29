//go:build !unix

package ingest

import (
	"io/fs"
	"path/filepath"
)

// fileKey identifies a file by its absolute path with links resolved
// (without device and inode numbers, hard links look like two files).
type fileKey struct{ path string }

func keyOf(p string, _ fs.FileInfo) (fileKey, bool) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return fileKey{}, false
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	return fileKey{abs}, true
}
