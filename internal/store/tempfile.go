package store

import (
	"io"
	"os"
	"sync"
)

// TempFile is a spill file: the records' (spiller) and the session
// summaries' (package analyze, which does no I/O of its own and writes and
// reads its file through these methods). It is created in SpillOptions.Dir
// by SpillOptions.Create (default os.CreateTemp) and unlinked at once where
// the OS allows (POSIX), so it goes away with the process on every exit
// path, even SIGKILL; elsewhere Release, or the command's signal handler
// (told through Create and Forget), removes it.
type TempFile struct {
	f      File
	name   string // non-empty while the file has a name to remove
	forget func(string)
	where  string // "a temp file in DIR", for errors

	mu  sync.Mutex // guards pos and Append's writes
	pos int64
}

// File is what a TempFile uses of its *os.File (SpillOptions.Wrap).
type File interface {
	io.ReaderAt
	io.WriterAt
	io.Writer
	Close() error
}

// CreateTemp creates and unlinks a spill file as o says.
func CreateTemp(o SpillOptions) (*TempFile, error) {
	create := o.Create
	if create == nil {
		create = func(dir string) (*os.File, error) { return os.CreateTemp(dir, ".tokcost-spill-*") }
	}
	f, err := create(o.Dir)
	if err != nil {
		return nil, err
	}
	t := &TempFile{f: f, name: f.Name(), forget: o.Forget, where: o.where()}
	if o.Wrap != nil {
		t.f = o.Wrap(f)
	}
	if os.Remove(t.name) == nil {
		if t.forget != nil {
			t.forget(t.name)
		}
		t.name = ""
	}
	return t, nil
}

// Append writes b after everything appended so far and returns where it
// starts. On an error nothing counts as written (the next Append writes at
// the same place). Safe for concurrent use.
func (t *TempFile) Append(b []byte) (int64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	off := t.pos
	if _, err := t.f.WriteAt(b, off); err != nil {
		return 0, err
	}
	t.pos += int64(len(b))
	return off, nil
}

// Size is the bytes appended with Append. The records' spiller writes its
// blocks in order through a buffered writer of its own and keeps its own
// offsets (spill.go), so for its file Size stays 0.
func (t *TempFile) Size() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pos
}

// Where names the file's directory for error messages: "a temp file in
// DIR" (the file itself may have no name left).
func (t *TempFile) Where() string { return t.where }

// Section reads the n bytes appended at off.
func (t *TempFile) Section(off, n int64) *io.SectionReader {
	return io.NewSectionReader(t.f, off, n)
}

// ReadAt reads len(b) bytes appended at off (io.ReaderAt).
func (t *TempFile) ReadAt(b []byte, off int64) (int, error) { return t.f.ReadAt(b, off) }

// Release closes the file and removes it if it still has a name.
func (t *TempFile) Release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.f != nil {
		_ = t.f.Close() // read back already, or abandoned: nothing to report
		t.f = nil
	}
	if t.name != "" {
		_ = os.Remove(t.name) // unlinked at creation where the OS allows; best effort elsewhere
		if t.forget != nil {
			t.forget(t.name)
		}
		t.name = ""
	}
}
