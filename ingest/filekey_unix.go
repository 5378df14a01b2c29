//go:build unix

package ingest

import (
	"io/fs"
	"syscall"
)

// fileKey identifies a file whatever name reaches it.
type fileKey struct{ dev, ino uint64 }

func keyOf(_ string, st fs.FileInfo) (fileKey, bool) {
	s, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return fileKey{}, false
	}
	return fileKey{uint64(s.Dev), uint64(s.Ino)}, true
}
