package ingest

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
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
	// whose id (the key's stem) sorts after it.
	AfterManifest string

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
}

// stampOf is a local file's stamp.
func stampOf(st fs.FileInfo) Stamp {
	return Stamp{Size: st.Size(), ModTime: st.ModTime().UTC()}
}

// incremental leaves out x's inputs an earlier run read, and records the
// stamps of the rest. Stdin and inputs Run lists without reading are kept
// as they are.
func (x *expansion) incremental(inc *Incremental) error {
	if inc.AfterManifest != "" {
		if err := x.byManifests(inc); err != nil {
			return err
		}
	}
	inc.Stamps = map[string]Stamp{}
	kept := x.inputs[:0]
	for _, in := range x.inputs {
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

// StateVersion is the state file's layout version.
const StateVersion = 1

// State is what a state file holds (docs/storage.md): every input read by
// the runs that used it, and the last Langfuse manifest read.
type State struct {
	Version int `json:"version"`
	// Read is every input read, by name, with its stamp when read.
	Read map[string]Stamp `json:"read"`
	// AfterManifest is the id of the newest manifest read, the next
	// run's --after-manifest.
	AfterManifest string    `json:"after_manifest,omitempty"`
	Updated       time.Time `json:"updated"`
}

// Add records a successful run's inputs: the stamps of those read without
// error, and the newest manifest.
func (s *State) Add(inc *Incremental, files []FileResult, now time.Time) {
	for _, f := range files {
		if st, ok := inc.Stamps[f.Name]; ok && f.Error == "" && f.Skipped == "" {
			s.Read[f.Name] = st
		}
	}
	if n := len(inc.Manifests); n > 0 && inc.Manifests[n-1] > s.AfterManifest {
		s.AfterManifest = inc.Manifests[n-1]
	}
	s.Updated = now.UTC()
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
		id  string
		in  input
		dir string // the project folder the manifest's keys are under
	}
	var mans []man
	for _, in := range x.inputs {
		if id := manifestID(in.key()); id != "" {
			mans = append(mans, man{id: id, in: in, dir: path.Dir(path.Dir(in.key()))})
		}
	}
	if len(mans) == 0 {
		return fmt.Errorf("--after-manifest: no manifests (PROJECT/manifests/ID.json) under the inputs")
	}
	listed := map[string]bool{} // keys the newer manifests list
	dirs := map[string]bool{}   // project folders with manifests
	for _, m := range mans {
		dirs[m.dir] = true
		if m.id <= inc.AfterManifest {
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
		for _, f := range lm.Files {
			parts := strings.Split(f.Key, "/")
			if len(parts) < 2 {
				continue
			}
			listed[path.Join(m.dir, parts[len(parts)-2], parts[len(parts)-1])] = true
		}
		inc.Manifests = append(inc.Manifests, m.id)
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

// readAll reads one small input (a manifest) whole.
func (x *expansion) readAll(in input) ([]byte, error) {
	if in.remote == nil {
		return os.ReadFile(in.path)
	}
	rc, err := in.remote.r.Open(x.ctx, in.remote.obj)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rc.Close() }() // read-only
	return io.ReadAll(io.LimitReader(rc, 64<<20))
}
