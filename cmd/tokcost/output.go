package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/tokcost/tokcost/ingest"
)

// Output files (docs/safety.md, "Files"): a regular file, or a name that
// does not exist yet, is written to a hidden temp file beside it and
// renamed over it only once everything is written, so a failed or
// interrupted run leaves the previous file as it was; a symbolic link is
// followed and its target replaced, the link kept; anything that is not a
// regular file (a device such as /dev/null, a pipe, /dev/stdout) is
// written straight through, never replaced. Every temp file is removed on
// every exit path: errors, cancellation, and a second signal or a stuck
// run, which end the process from the signal handler (signals.go).

// output is one file a command writes.
type output struct {
	path   string // as the user gave it
	target string // where the data lands: links followed
	direct bool   // written straight through (not a regular file)
	tmp    *os.File
	mode   os.FileMode
	wrote  bool
}

// outputs are the files one command writes. They are opened (temp files
// created) before the inputs are read, so an unwritable output fails
// fast, and committed together at the end; discard removes what was not
// committed.
type outputs struct {
	ctx  context.Context
	list []*output
	// failed, when set, is the error that makes what the writers read
	// incomplete (summaries spilled to disk that could not be read back,
	// analyze.Summaries.Err): writes fail once it is, as once ctx is done,
	// so no output is finished from a pass it cut short.
	failed func() error
}

func newOutputs(ios *IOStreams) *outputs { return &outputs{ctx: ios.context()} }

// open prepares path for writing; "" and "-" are stdout and return nil.
func (s *outputs) open(path string) (*output, error) {
	if path == "" || path == "-" {
		return nil, nil
	}
	if err := remoteOutput(path); err != nil {
		return nil, err
	}
	o := &output{path: path, target: path, mode: 0o644}
	st, err := os.Stat(path) // follows links, /proc/self/fd/N included
	switch {
	case err == nil && !st.Mode().IsRegular():
		if st.IsDir() {
			return nil, usageErr("output %s is a directory", path)
		}
		if st.Mode()&os.ModeDevice != 0 && st.Mode()&os.ModeCharDevice == 0 {
			// A disk or partition: written through, the report would
			// overwrite its data.
			return nil, usageErr("output %s is a block device: writing it would overwrite the device's data", path)
		}
		o.direct = true
		s.list = append(s.list, o)
		return o, nil
	case err == nil && viaProc(path):
		// /dev/stdout redirected to a file: write where the descriptor
		// points, as `cat > /dev/stdout` would.
		o.direct = true
		s.list = append(s.list, o)
		return o, nil
	case err == nil:
		o.mode = st.Mode().Perm() // a replaced file keeps its permissions
		o.target = ingest.ResolveLinks(path)
	case os.IsNotExist(err):
		o.target = ingest.ResolveLinks(path) // a dangling link names the file to create
	default:
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	tmp, err := createTemp(filepath.Dir(o.target))
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	o.tmp = tmp
	s.list = append(s.list, o)
	// CreateTemp makes the file private; a report is an ordinary file.
	if err := tmp.Chmod(o.mode); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return o, nil
}

// viaProc reports whether path reaches its file through /proc or /dev/fd
// (/dev/stdout is a link to /proc/self/fd/1), whose links name an open
// descriptor rather than a path a temp file could be renamed over.
func viaProc(path string) bool {
	cur := path
	for range 40 {
		abs, _ := filepath.Abs(cur)
		if strings.HasPrefix(abs, "/proc/") || strings.HasPrefix(abs, "/dev/fd/") {
			return true
		}
		t, err := os.Readlink(cur)
		if err != nil {
			return false
		}
		if !filepath.IsAbs(t) {
			t = filepath.Join(filepath.Dir(cur), t)
		}
		cur = t
	}
	return false
}

// write runs fn on o (stdout when o is nil). Writes fail once the run is
// cancelled.
func (s *outputs) write(ios *IOStreams, o *output, fn func(io.Writer) error) error {
	if o == nil {
		return fn(ctxWriter{s.ctx, ios.Out, s.failed})
	}
	if o.direct {
		f, err := os.OpenFile(o.path, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return fmt.Errorf("write %s: %w", o.path, err)
		}
		err = fn(ctxWriter{s.ctx, f, s.failed})
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", o.path, err)
		}
		return nil
	}
	if err := fn(ctxWriter{s.ctx, o.tmp, s.failed}); err != nil {
		return fmt.Errorf("write %s: %w", o.path, err)
	}
	if err := o.tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", o.path, err)
	}
	o.wrote = true
	return nil
}

// commit renames every written temp file over its target, unless the run
// was cancelled.
func (s *outputs) commit() error {
	for _, o := range s.list {
		if o.tmp == nil || !o.wrote {
			continue
		}
		if err := s.ctx.Err(); err != nil {
			return err
		}
		if s.failed != nil {
			if err := s.failed(); err != nil {
				return err
			}
		}
		if err := os.Rename(o.tmp.Name(), o.target); err != nil {
			return fmt.Errorf("write %s: %w", o.path, err)
		}
		forgetTemp(o.tmp.Name())
		o.tmp = nil
	}
	return nil
}

// discard removes the temp files not committed.
func (s *outputs) discard() {
	for _, o := range s.list {
		if o.tmp != nil {
			// Nothing of a discarded temp file is kept, so a Close error
			// loses nothing; a failed Remove has no caller left to tell.
			_ = o.tmp.Close()
			_ = os.Remove(o.tmp.Name())
			forgetTemp(o.tmp.Name())
			o.tmp = nil
		}
	}
}

// writeOutput writes one output: to FILE (replacing it only once fully
// written, see output) or to stdout for "" and "-".
func writeOutput(ios *IOStreams, path string, write func(io.Writer) error) error {
	s := newOutputs(ios)
	defer s.discard()
	o, err := s.open(path)
	if err != nil {
		return err
	}
	if err := s.write(ios, o, write); err != nil {
		return err
	}
	return s.commit()
}

// guardOutputs refuses, before anything is read, outputs that would
// destroy an input or be read as one next time (ingest.OutputClash).
func guardOutputs(inputs []string, outs ...string) error {
	for _, out := range outs {
		if err := remoteOutput(out); err != nil {
			return err
		}
	}
	if err := ingest.OutputClash(inputs, outs...); err != nil {
		return &exitError{code: ExitUsage, err: err}
	}
	return nil
}

// remoteOutput refuses an object-storage URL as an output: inputs only
// (docs/storage.md), and taken as a path it would write a local file
// under "s3:".
func remoteOutput(path string) error {
	if ingest.IsRemote(path) {
		return usageErr("output %s: object storage (%s) is read only; write a local file and upload it", path, path[:strings.Index(path, "://")])
	}
	return nil
}

// ctxWriter fails every write once its context is done, so a writer
// stops at its next write after Ctrl-C, and once failed reports an error.
type ctxWriter struct {
	ctx    context.Context
	w      io.Writer
	failed func() error // nil: never
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	if c.failed != nil {
		if err := c.failed(); err != nil {
			return 0, err
		}
	}
	return c.w.Write(p)
}

// temps are the temp files that exist now, for the signal handler.
var temps sync.Map // name → struct{}

func createTemp(dir string) (*os.File, error) {
	f, err := os.CreateTemp(dir, ".tokcost-*")
	if err == nil {
		temps.Store(f.Name(), struct{}{})
	}
	return f, err
}

// createSpillTemp makes a spill file in dir ("" : the OS's temp
// directory), registered for the signal handler. A variable, so that
// tests can hand out files whose reads fail.
var createSpillTemp = func(dir string) (*os.File, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	return createTemp(dir)
}

func forgetTemp(name string) { temps.Delete(name) }

// removeTemps removes every temp file that still exists.
func removeTemps() {
	temps.Range(func(k, _ any) bool {
		if err := os.Remove(k.(string)); err == nil || os.IsNotExist(err) {
			temps.Delete(k)
		}
		return true
	})
}
