package ingest

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// inputExts are the file endings a directory walk picks up. Compressed
// files count only with a trace ending inside: a notes.tar.gz beside the
// traces is not one. A .csv found in a walk is read only when a reader's
// sniffer recognises its header (canonical columns); any other CSV is
// listed as not read ("no reader recognises this file"), never guessed.
var inputExts = []string{".jsonl", ".ndjson", ".json", ".parquet", ".jsonl.gz", ".json.gz", ".ndjson.gz", ".jsonl.zst", ".json.zst", ".ndjson.zst", ".traj", ".traj.gz", ".traj.zst", ".csv", ".csv.gz", ".csv.zst"} // .traj: SWE-agent

// IsTraceName reports whether a directory walk would read a file of this name.
func IsTraceName(name string) bool {
	lower := strings.ToLower(filepath.Base(name))
	for _, ext := range inputExts {
		if strings.HasSuffix(lower, ext) {
			return true
		}
	}
	for _, match := range traceNames {
		if match(name) {
			return true
		}
	}
	return false
}

// traceNames are the formats' own file names a walk reads besides the
// endings above (OpenCode's opencode.db: not every .db is a trace).
var traceNames []func(name string) bool

// AddTraceName makes a directory walk read the files whose name match
// accepts. Formats call it from init.
func AddTraceName(match func(name string) bool) { traceNames = append(traceNames, match) }

// input is one entry of the expanded input list: a file to read, or one
// that is listed but not read (skip or fail set).
type input struct {
	path    string
	fromDir bool   // found by walking a directory, not named by the user
	regular bool   // a regular file when listed (not stdin, a pipe or a device)
	skip    string // not read, and that is fine (a second name of a file read already)
	fail    string // not read because it could not be (unreadable, a broken link)

	// remote is set for an object in object storage (remote.go); path
	// is then its URL.
	remote *remoteInput
	// stamp identifies the version listed, for Options.Incremental.
	stamp *Stamp
}

// expansion is what expanding the command-line inputs found.
type expansion struct {
	inputs []input
	// ignored counts the entries below input directories that are not
	// trace files by their name (README.md, notes.tar.gz, sockets…).
	ignored int64

	ctx      context.Context
	window   Window      // prunes object-storage partitions
	noRemote bool        // leave URLs unlisted (OutputClash: no output is remote)
	remote   RemoteStats // what object-storage listings found
	// roots are the directories and object-storage prefixes given, as the
	// names of the inputs below them start (cleaned path; URL without its
	// query): what a state file may forget entries under (State.Add).
	roots []string
}

// ExpandInputs turns the command-line inputs into the list of inputs Run
// reads, in Run's order (its indexes): a file as is, "-" as stdin, a
// directory as every trace file below it. Entries Run lists but does not
// read (a second name of one file, an unreadable subdirectory) are
// included, so indexes agree. A missing input is an error.
func ExpandInputs(args []string) ([]string, error) {
	x, err := expand(args)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(x.inputs))
	for i, in := range x.inputs {
		out[i] = in.path
	}
	return out, nil
}

// expand walks the inputs. Directories are read recursively, sorted,
// hidden entries skipped, symbolic links followed (a directory reached
// twice, through a link loop or a second link, is read once). A file
// reached twice (named twice, inside a directory also given, or by a
// hard or symbolic link) is read once: records without an id would
// otherwise count twice. Inside a directory, an unreadable subdirectory
// or a broken link with a trace ending is listed as failed and the walk
// goes on; a missing or unreadable input named by the user is an error.
func expand(args []string) (*expansion, error) {
	return (&expansion{ctx: context.Background()}).expand(args)
}

// sameFilePrefix starts the skip reason of a second name of a file.
const sameFilePrefix = "same file as "

// expand is expand with x's context and window for object storage.
func (x *expansion) expand(args []string) (*expansion, error) {
	seen := map[fileKey]string{} // file → the path it was first listed under
	dirs := map[fileKey]string{} // directory → the path it was walked under
	add := func(in input, st fs.FileInfo) {
		if st != nil {
			// The write-ahead log is folded in by incremental, the only
			// reader of stamps: a stat of path+"-wal" for every file of a
			// directory of thousands cost a run without --state 7% of its
			// reading time.
			stamp := stampOf(st)
			in.stamp = &stamp
			in.regular = st.Mode().IsRegular()
			if k, ok := keyOf(in.path, st); ok {
				if first, dup := seen[k]; dup {
					in.skip = sameFilePrefix + first
				} else {
					seen[k] = in.path
				}
			}
		}
		x.inputs = append(x.inputs, in)
	}
	for _, a := range args {
		if a == "-" {
			x.inputs = append(x.inputs, input{path: a})
			continue
		}
		if r := remoteFor(a); r != nil {
			if err := x.addRemote(r, a); err != nil {
				return nil, err
			}
			continue
		}
		st, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("input %s: %w", a, unwrapPathErr(err))
		}
		if !st.IsDir() {
			add(input{path: a}, st)
			continue
		}
		x.roots = append(x.roots, filepath.Clean(a))
		var found []input
		var stats []fs.FileInfo
		if err := x.walk(a, st, true, dirs, &found, &stats); err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("input %s: directory holds no trace files (%s)", a, strings.Join(inputExts[:4], ", "))
		}
		order := make([]int, len(found))
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(i, j int) bool { return found[order[i]].path < found[order[j]].path })
		for _, i := range order {
			add(found[i], stats[i])
		}
	}
	return x, nil
}

// readDir is os.ReadDir; tests make it fail (as root, no directory is
// unreadable).
var readDir = os.ReadDir

// walk lists the trace files below dir (whose stat is st) into found,
// each with its stat (nil for failed entries).
func (x *expansion) walk(dir string, st fs.FileInfo, top bool, dirs map[fileKey]string, found *[]input, stats *[]fs.FileInfo) error {
	if k, ok := keyOf(dir, st); ok {
		if first, dup := dirs[k]; dup {
			// A link loop or a second link to a directory: its files are
			// listed once, under the first path.
			*found = append(*found, input{path: dir, fromDir: true, skip: "directory already read as " + first})
			*stats = append(*stats, nil)
			return nil
		}
		dirs[k] = dir
	}
	entries, err := readDir(dir)
	if err != nil {
		if top {
			return fmt.Errorf("input %s: %w", dir, unwrapPathErr(err))
		}
		*found = append(*found, input{path: dir, fromDir: true, fail: "unreadable directory: " + unwrapPathErr(err).Error()})
		*stats = append(*stats, nil)
		return nil
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue // hidden, like tokcost's own temp files
		}
		p := filepath.Join(dir, name)
		est, err := os.Stat(p) // follows a symbolic link
		if err != nil {
			if IsTraceName(name) {
				*found = append(*found, input{path: p, fromDir: true, fail: unwrapPathErr(err).Error()})
				*stats = append(*stats, nil)
			} else {
				x.ignored++
			}
			continue
		}
		switch {
		case est.IsDir():
			if err := x.walk(p, est, false, dirs, found, stats); err != nil {
				return err
			}
		case est.Mode().IsRegular() && IsTraceName(name):
			*found = append(*found, input{path: p, fromDir: true})
			*stats = append(*stats, est)
		default:
			// Not a trace by its name, or a pipe, device or socket: a walk
			// never blocks on one.
			x.ignored++
		}
	}
	return nil
}

// OutputClash returns an error for the first of outs whose writing would
// destroy an input or be read as one next time: it is the same file as an
// input (same device and inode: the same path, a hard link or a symbolic
// link, also one met inside an input directory), or it has a trace
// ending and lies inside an input directory. Outputs that are not regular
// files (devices, pipes) never clash; "" and "-" (stdout) neither.
func OutputClash(inputs []string, outs ...string) error {
	type file struct {
		path string
		st   fs.FileInfo
	}
	var files []file // the expanded inputs, listed once when needed
	expanded := false
	if err := sameOutputs(outs); err != nil {
		return err
	}
	for _, out := range outs {
		if out == "" || out == "-" {
			continue
		}
		ost, err := os.Stat(out)
		if err == nil && !ost.Mode().IsRegular() {
			continue
		}
		exists := err == nil
		absOut, _ := filepath.Abs(ResolveLinks(out))
		if d, err := filepath.EvalSymlinks(filepath.Dir(absOut)); err == nil {
			absOut = filepath.Join(d, filepath.Base(absOut))
		}
		for _, in := range inputs {
			if in == "-" {
				continue
			}
			st, err := os.Stat(in)
			if err != nil {
				continue // reading reports it
			}
			if !st.IsDir() {
				if exists && os.SameFile(st, ost) {
					return fmt.Errorf("output %s is the input %s: writing it would destroy the input", out, in)
				}
				continue
			}
			absIn, _ := filepath.Abs(in)
			if d, err := filepath.EvalSymlinks(absIn); err == nil {
				absIn = d
			}
			if rel, err := filepath.Rel(absIn, absOut); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && IsTraceName(absOut) {
				return fmt.Errorf("output %s is inside the input directory %s and has a trace file ending: it would destroy an input or be read as one next time; write it elsewhere", out, in)
			}
		}
		if !exists {
			continue
		}
		// Reached through a symbolic link inside an input directory.
		if !expanded {
			expanded = true
			if x, err := (&expansion{ctx: context.Background(), noRemote: true}).expand(inputs); err == nil {
				for _, in := range x.inputs {
					if in.path == "-" || in.skip != "" || in.fail != "" {
						continue
					}
					if st, err := os.Stat(in.path); err == nil {
						files = append(files, file{in.path, st})
					}
				}
			}
		}
		for _, f := range files {
			if os.SameFile(f.st, ost) {
				return fmt.Errorf("output %s is the input %s: writing it would destroy the input", out, f.path)
			}
		}
	}
	return nil
}

// sameOutputs refuses two outputs that are one file (-o r.json
// --sessions-out r.json, or a link to it): the second rename would
// replace the first output, and the run would still exit 0.
func sameOutputs(outs []string) error {
	real := make([]string, len(outs))
	for i, out := range outs {
		if out == "" || out == "-" {
			continue
		}
		if st, err := os.Stat(out); err == nil && !st.Mode().IsRegular() {
			continue // a device or pipe takes both, written through
		}
		p, _ := filepath.Abs(ResolveLinks(out))
		if d, err := filepath.EvalSymlinks(filepath.Dir(p)); err == nil {
			p = filepath.Join(d, filepath.Base(p))
		}
		real[i] = p
		for j := range i {
			if real[j] == p {
				return fmt.Errorf("outputs %s and %s are the same file: one would replace the other", outs[j], out)
			}
		}
	}
	return nil
}

// ResolveLinks follows symbolic links from p to the path they end at,
// which need not exist (a dangling link names the file to create). A loop
// or a chain longer than 40 links returns p unchanged.
func ResolveLinks(p string) string {
	cur := p
	for range 40 {
		st, err := os.Lstat(cur)
		if err != nil || st.Mode()&fs.ModeSymlink == 0 {
			return cur
		}
		t, err := os.Readlink(cur)
		if err != nil {
			return cur
		}
		if !filepath.IsAbs(t) {
			// Relative to the directory the link really is in: joined
			// lexically, ".." under a linked directory named another
			// file (possibly an input, which the rename then replaced).
			dir := filepath.Dir(cur)
			if d, err := filepath.EvalSymlinks(dir); err == nil {
				dir = d
			}
			t = filepath.Join(dir, t)
		}
		cur = t
	}
	return p
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parquetMagic opens and ends every Parquet file.
const parquetMagic = "PAR1"

// tokcostOutput recognises what tokcost itself writes, so a report or
// sessions table saved beside the traces is not read as traces next time
// (analyze --sessions-out night/s.parquet, then analyze night, doubled
// every total): a Parquet file whose key-value metadata has
// tokcost.schema_version (the sessions table), or a JSON document whose
// first key is schema_version and that names tokcost (the analysis and
// diff reports). It returns what the file is, or "".
func tokcostOutput(src *Source) string {
	// A Parquet file opens with the magic it ends with: only then is the
	// footer worth a read (a stat and a read for each of thousands of
	// small JSONL files otherwise).
	if f, size, ok := src.RandomAccess(); ok && bytes.HasPrefix(src.Head(), []byte(parquetMagic)) {
		if size >= 12 {
			var tail [8]byte
			if _, err := f.ReadAt(tail[:], size-8); err == nil && string(tail[4:]) == parquetMagic {
				n := int64(binary.LittleEndian.Uint32(tail[:4]))
				if n > 0 && n <= 64<<20 && n <= size-12 {
					footer := make([]byte, n)
					if _, err := f.ReadAt(footer, size-8-n); err == nil && bytes.Contains(footer, []byte("tokcost.schema_version")) {
						return "sessions table"
					}
				}
				return ""
			}
		}
	}
	head := bytes.TrimLeft(src.Head(), " \t\r\n")
	if len(head) == 0 || head[0] != '{' {
		return ""
	}
	dec := json.NewDecoder(bytes.NewReader(head))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	if t, err := dec.Token(); err != nil || t != "schema_version" {
		return ""
	}
	if bytes.Contains(head, []byte(`"tokcost"`)) {
		return "report"
	}
	return ""
}
