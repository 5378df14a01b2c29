package ingest

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Stamp identifies one version of an input: what a state file records
// about a file or object read, to tell next time whether it is the same.
type Stamp struct {
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mtime"`
	// MD5 is the object's content MD5 (hex) when the store gives one in
	// its listing (S3's ETag of a single-part upload); "" for files.
	MD5 string `json:"md5,omitempty"`
}

// Incremental makes a run read only what an earlier run did not: the
// inputs listed in Read with the same stamp are left out unread (counted
// in AlreadyRead), and with AfterManifest set, an export prefix with
// Langfuse run manifests is read by its manifests (manifest.go). Run
// fills in the outputs.
type Incremental struct {
	// Read is the earlier runs' inputs, by name (path or URL, as in
	// FileResult.Name).
	Read map[string]Stamp
	// AfterManifest, when set, reads only the files listed by manifests
	// whose id (the key's stem) sorts after it, in every project folder.
	AfterManifest string
	// ByProject is, when AfterManifest is "", the id after which each
	// project folder's manifests are read (a state's Manifests); a folder
	// not in it has all its manifests read.
	ByProject map[string]string

	// AlreadyRead counts the inputs left out: in Read with the same stamp.
	AlreadyRead int64
	// Changed counts inputs in Read whose stamp differs now: read again.
	Changed int64
	// Stamps are the stamps of the inputs this run reads, by name: what
	// the next state records once the run succeeded.
	Stamps map[string]Stamp
	// Manifests are the manifests read (their ids, in order);
	// NotInManifest counts data objects under a manifest prefix left out
	// because no manifest read lists them (earlier runs, or one still
	// being written: a manifest is its run's commit point).
	Manifests     []string
	NotInManifest int64
	// Last is, per project folder, the id of the newest manifest read up
	// to which every manifest's files were all there: what the next state
	// records. A manifest listing a file that is not there holds its
	// folder back, so the file is looked for again next time.
	Last map[string]string
	// sameAs is, for an input not read because it is a second name of
	// another, that other's name.
	sameAs map[string]string
	// Missing counts the files listed by the manifests read that match
	// no input (deleted, or not copied).
	Missing int64
	// Forgotten counts the state's entries State.Add dropped: inputs
	// below a directory or prefix this run listed that are gone.
	Forgotten int64
	// listed is every input this run listed (read or not), roots the
	// directories and prefixes it listed, failed the unreadable entries
	// below them: State.Add forgets only what is provably gone.
	listed map[string]bool
	roots  []string
	failed []string
}

// stampOf is a local file's stamp.
func stampOf(st fs.FileInfo) Stamp {
	return Stamp{Size: st.Size(), ModTime: st.ModTime().UTC()}
}

// stampWithWAL folds the write-ahead log beside a SQLite database
// (path+"-wal", OpenCode's opencode.db-wal) into its stamp: new
// transactions go to the log and leave the database file's size and time
// as they were, so --state would otherwise skip a database with new rows
// as read unchanged.
func stampWithWAL(path string, s Stamp) Stamp {
	w, err := os.Stat(path + "-wal")
	if err != nil || !w.Mode().IsRegular() {
		return s
	}
	s.Size += w.Size()
	if t := w.ModTime().UTC(); t.After(s.ModTime) {
		s.ModTime = t
	}
	return s
}

// incremental leaves out x's inputs an earlier run read, and records the
// stamps of the rest. Stdin and inputs Run lists without reading are kept
// as they are.
func (x *expansion) incremental(inc *Incremental) error {
	// Everything listed, before the manifests leave some out: a file a
	// manifest does not (yet) list is still there.
	inc.roots = x.roots
	inc.listed = make(map[string]bool, len(x.inputs))
	for _, in := range x.inputs {
		inc.listed[in.path] = true
		if in.fail != "" {
			inc.failed = append(inc.failed, in.path)
		}
	}
	for i := range x.inputs {
		if in := &x.inputs[i]; in.remote == nil && in.stamp != nil {
			s := stampWithWAL(in.path, *in.stamp)
			in.stamp = &s
		}
	}
	if inc.AfterManifest != "" || len(inc.ByProject) > 0 {
		if err := x.byManifests(inc); err != nil {
			return err
		}
	}
	inc.Stamps = map[string]Stamp{}
	inc.sameAs = map[string]string{}
	kept := x.inputs[:0]
	for _, in := range x.inputs {
		// A second name of a file (a symbolic link to it) is recorded
		// with the file: once the link points elsewhere, the file is
		// still known as read under its own name.
		if first, ok := strings.CutPrefix(in.skip, sameFilePrefix); ok && in.stamp != nil {
			inc.sameAs[in.path] = first
			inc.Stamps[in.path] = *in.stamp
		}
		if in.path == "-" || in.skip != "" || in.fail != "" || in.stamp == nil {
			kept = append(kept, in)
			continue
		}
		if old, ok := inc.Read[in.path]; ok {
			if sameStamp(old, *in.stamp) {
				inc.AlreadyRead++
				if in.remote != nil {
					x.remote.AlreadyRead++
				}
				continue
			}
			inc.Changed++
		}
		inc.Stamps[in.path] = *in.stamp
		kept = append(kept, in)
	}
	x.inputs = kept
	return nil
}

// sameStamp compares stamps; an MD5 on one side only (a store that gives
// it in some listings and not others) is not a difference.
func sameStamp(a, b Stamp) bool {
	if a.Size != b.Size || !a.ModTime.Equal(b.ModTime) {
		return false
	}
	return a.MD5 == "" || b.MD5 == "" || a.MD5 == b.MD5
}

// ReadState reads a state file; a missing file is an empty state (the
// first run).
func ReadState(file string) (*State, error) {
	b, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return &State{Version: StateVersion, Read: map[string]Stamp{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state %s: %w", file, err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("state %s: not a tokcost state file: %w", file, err)
	}
	if s.Version != StateVersion {
		return nil, fmt.Errorf("state %s: version %d, this tokcost reads version %d", file, s.Version, StateVersion)
	}
	if s.Read == nil {
		s.Read = map[string]Stamp{}
	}
	return &s, nil
}

// StateVersion is the state file's layout version. Version 2 added the
// reading options and the last manifest per project folder; a version 1
// state is refused (it could not tell projects apart).
const StateVersion = 2

// State is what a state file holds (docs/storage.md): every input read by
// the runs that used it, the options they read with, and the last Langfuse
// manifest read in each project folder.
type State struct {
	Version int `json:"version"`
	// Read is every input read, by name, with its stamp when read.
	Read map[string]Stamp `json:"read"`
	// Options are the reading options that change what is taken from a
	// file (--input-format, --map, --max-line-bytes), by flag name: a run
	// with others would leave out files it would read differently.
	Options map[string]string `json:"options,omitempty"`
	// Manifests is the id of the newest manifest read in each project
	// folder (its key's folder above manifests/): that folder's next
	// --after-manifest. Langfuse exports each project on its own schedule.
	Manifests map[string]string `json:"manifests,omitempty"`
	Updated   time.Time         `json:"updated"`
}

// Add records a successful run's inputs: the stamps of those read without
// error, and the newest manifest of each project folder.
func (s *State) Add(inc *Incremental, files []FileResult, now time.Time) {
	for _, f := range files {
		if st, ok := inc.Stamps[f.Name]; ok && f.Error == "" && f.Skipped == "" {
			s.Read[f.Name] = st
		}
	}
	for name, first := range inc.sameAs {
		if st, ok := s.Read[first]; ok && sameStamp(st, inc.Stamps[name]) {
			s.Read[name] = inc.Stamps[name]
		}
	}
	// Forget the inputs that are gone, so the state holds what is there
	// now rather than every input ever read (rotated logs, expired
	// partitions). Only below a directory or prefix this run listed, and
	// only when the entry is provably gone: a broken link or an unreadable
	// directory on the way keeps it, since forgetting a file that comes
	// back would read it a second time.
	for name := range s.Read {
		if !inc.listed[name] && belowRoot(name, inc.roots) && !belowRoot(name, inc.failed) && gone(name) {
			delete(s.Read, name)
			inc.Forgotten++
		}
	}
	if s.Manifests == nil && len(inc.Last) > 0 {
		s.Manifests = map[string]string{}
	}
	for dir, id := range inc.Last {
		if id > s.Manifests[dir] {
			s.Manifests[dir] = id
		}
	}
	s.Updated = now.UTC()
}

// belowRoot reports whether name is strictly below one of roots (paths
// or URLs, as input names are written).
func belowRoot(name string, roots []string) bool {
	for _, r := range roots {
		if strings.Contains(r, "://") {
			if strings.HasPrefix(name, r+"/") {
				return true
			}
			continue
		}
		if strings.Contains(name, "://") {
			continue
		}
		if rel, err := filepath.Rel(r, name); err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// gone reports whether an input that was not listed is provably deleted.
// An object below a listed prefix is (a listing is complete). A file is
// when the first missing element of its path does not exist at all in
// a directory that does: a link whose target is missing is not proof,
// nor is an error other than "does not exist". Nor is a directory that is
// there but empty: that is what a mount point looks like while its disk is
// away, and rotation or expiry removes files beside others or the whole
// directory (docs/storage.md).
func gone(name string) bool {
	if strings.Contains(name, "://") {
		return true
	}
	p := filepath.Clean(name)
	for {
		if _, err := os.Lstat(p); err == nil {
			// p exists as an entry: the file is below it, so an element
			// on the way is a link that does not resolve or a directory
			// that cannot be read (or the file is back): not proof.
			return false
		} else if !os.IsNotExist(err) {
			return false
		}
		parent := filepath.Dir(p)
		if parent == p {
			return false // nothing on the path exists: a vanished root
		}
		if _, err := os.Stat(parent); err == nil {
			// p is missing from a directory that is there: proof unless
			// that directory is empty (or cannot be read).
			return !emptyDir(parent)
		}
		p = parent
	}
}

// emptyDir reports whether dir has no entries, or cannot be read.
func emptyDir(dir string) bool {
	f, err := os.Open(dir)
	if err != nil {
		return true
	}
	defer func() { _ = f.Close() }() // read-only
	names, _ := f.Readdirnames(1)
	return len(names) == 0
}

// SameOptions is nil when the state was written with the reading options
// opts (or is new: it takes them), else names the option that differs.
func (s *State) SameOptions(opts map[string]string) error {
	if len(s.Read) == 0 && len(s.Manifests) == 0 && s.Options == nil {
		s.Options = opts
		return nil
	}
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if s.Options[k] != opts[k] {
			return fmt.Errorf("written by runs with --%s %q, this run has %q: the files it left out would be read differently now (use the same options, or a new state file)", k, s.Options[k], opts[k])
		}
	}
	return nil
}

// Marshal is the state file's bytes: indented JSON, keys sorted.
func (s *State) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	return append(b, '\n'), err
}

// manifestID is the id of a Langfuse run manifest key,
// PREFIX/PROJECT/manifests/ID.json, or "" for any other key.
func manifestID(key string) string {
	dir, file := path.Split(filepath.ToSlash(key))
	if path.Base(strings.TrimSuffix(dir, "/")) != "manifests" || !strings.HasSuffix(file, ".json") {
		return ""
	}
	return strings.TrimSuffix(file, ".json")
}

// langfuseManifest is the part of a Langfuse blob-export run manifest
// (version 1) that says which files the run wrote.
type langfuseManifest struct {
	Version   int    `json:"version"`
	ProjectID string `json:"projectId"`
	Files     []struct {
		Key string `json:"key"`
	} `json:"files"`
}

// byManifests keeps, of the inputs under prefixes with Langfuse run
// manifests, only the files listed by a manifest with an id after
// inc.AfterManifest; the manifests themselves are never read as traces.
// A manifest is the last object its run writes, so a run still being
// written (files without a manifest yet) is left for the next time.
func (x *expansion) byManifests(inc *Incremental) error {
	type man struct {
		id    string
		in    input
		dir   string // the project folder the manifest's keys are under
		state string // that folder as the state names it (input name)
	}
	var mans []man
	for _, in := range x.inputs {
		if id := manifestID(in.key()); id != "" {
			mans = append(mans, man{id: id, in: in, dir: path.Dir(path.Dir(in.key())), state: projectName(in.path)})
		}
	}
	if len(mans) == 0 {
		if inc.AfterManifest == "" {
			return nil // a state's manifests, and none under these inputs
		}
		return fmt.Errorf("--after-manifest: no manifests (PROJECT/manifests/ID.json) under the inputs")
	}
	// By folder, then id: a folder's manifests in the order they were written.
	sort.SliceStable(mans, func(i, j int) bool {
		if mans[i].state != mans[j].state {
			return mans[i].state < mans[j].state
		}
		return mans[i].id < mans[j].id
	})
	present := map[string]bool{}
	for _, in := range x.inputs {
		present[in.key()] = true
	}
	listed := map[string]bool{} // keys the newer manifests list
	dirs := map[string]bool{}   // project folders with manifests
	held := map[string]bool{}   // folders held back by a manifest with missing files
	inc.Last = map[string]string{}
	for _, m := range mans {
		dirs[m.dir] = true
		after := inc.AfterManifest
		if after == "" {
			after = inc.ByProject[m.state]
		}
		if m.id <= after {
			continue
		}
		b, err := x.readAll(m.in)
		if err != nil {
			return fmt.Errorf("manifest %s: %w", m.in.path, err)
		}
		var lm langfuseManifest
		if err := json.Unmarshal(b, &lm); err != nil || lm.Version < 1 {
			return fmt.Errorf("manifest %s: not a Langfuse export manifest (version 1): %v", m.in.path, err)
		}
		// A file's key is PROJECT_DIR/TABLE/ID.EXT, in the manifest's own
		// project folder: matched by that tail, so a local copy of the
		// export (other folders above it) is read like the bucket.
		missing := false
		for _, f := range lm.Files {
			parts := strings.Split(f.Key, "/")
			if len(parts) < 2 {
				continue
			}
			k := path.Join(m.dir, parts[len(parts)-2], parts[len(parts)-1])
			listed[k] = true
			if !present[k] {
				inc.Missing++
				missing = true
			}
		}
		inc.Manifests = append(inc.Manifests, m.id)
		if missing {
			held[m.state] = true
		}
		if !held[m.state] {
			inc.Last[m.state] = m.id
		}
	}
	kept := x.inputs[:0]
	for _, in := range x.inputs {
		k := in.key()
		switch {
		case manifestID(k) != "":
			x.ignored++ // a manifest: not traces
		case !underAny(k, dirs):
			kept = append(kept, in)
		case listed[k]:
			kept = append(kept, in)
		default:
			inc.NotInManifest++
			if in.remote != nil {
				x.remote.NotInManifest++
			}
		}
	}
	x.inputs = kept
	return nil
}

// projectName is the project folder of a manifest input's name (path or
// URL, as the state records inputs): two folders up.
func projectName(name string) string {
	name = filepath.ToSlash(name)
	for range 2 {
		if i := strings.LastIndex(name, "/"); i >= 0 {
			name = name[:i]
		}
	}
	return name
}

// ManifestID validates a Langfuse export run's id as given on the command
// line (YYYY-MM-DDTHH-MM-SS, docs/formats/langfuse.md): ids compare as
// text, so any other shape would compare wrongly. ":" is taken for "-"
// (an RFC 3339 time to the second); "0" is before every id.
func ManifestID(s string) (string, error) {
	if s == "0" {
		return s, nil
	}
	id := strings.ReplaceAll(s, ":", "-")
	if _, err := time.Parse("2006-01-02T15-04-05", id); err != nil || len(id) != len("2006-01-02T15-04-05") {
		return "", fmt.Errorf("%q is not a Langfuse manifest id: want YYYY-MM-DDTHH-MM-SS (e.g. 2026-12-03T00-00-00; ':' is taken for '-'), or 0 for every manifest", s)
	}
	return id, nil
}

// key is an input's object key, or its path with slashes for a file: what
// a manifest's keys are compared with (a local copy of an export keeps
// the keys as paths below the copied folder).
func (in input) key() string {
	if in.remote != nil {
		return in.remote.obj.Key
	}
	return filepath.ToSlash(in.path)
}

func underAny(key string, dirs map[string]bool) bool {
	for d := path.Dir(key); ; d = path.Dir(d) {
		if dirs[d] {
			return true
		}
		if d == "." || d == "/" {
			return false
		}
	}
}

// maxManifestBytes bounds a manifest read whole: a Langfuse manifest
// lists one run's files, a few KB.
const maxManifestBytes = 64 << 20

// readAll reads one small input (a manifest) whole, local or remote, and
// refuses one past maxManifestBytes rather than hold it or cut it.
func (x *expansion) readAll(in input) ([]byte, error) {
	var rc io.ReadCloser
	var err error
	if in.remote == nil {
		rc, err = os.Open(in.path)
	} else {
		rc, err = in.remote.r.Open(x.ctx, in.remote.obj)
	}
	if err != nil {
		return nil, err
	}
	defer func() { _ = rc.Close() }() // read-only
	b, err := io.ReadAll(io.LimitReader(rc, maxManifestBytes+1))
	if err == nil && len(b) > maxManifestBytes {
		return nil, fmt.Errorf("larger than %d MiB, not a manifest", maxManifestBytes>>20)
	}
	return b, err
}
