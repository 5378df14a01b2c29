package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/tokcost/tokcost/ingest"
)

// incremental reads the --state file and sets up what the run leaves
// out; nil, nil without --state or --after-manifest. opt is the run's
// reading options, which the state records and must match.
func (o *inputOptions) incremental(opt ingest.Options) (*ingest.State, *ingest.Incremental, error) {
	if o.State == "" && o.AfterManifest == "" {
		return nil, nil, nil
	}
	// A windowed run reads part of a file; the state would mark it read
	// whole and the rest would never be read.
	if o.State != "" && (o.Since != "" || o.Until != "") {
		return nil, nil, usageErr("--state cannot be used with --since/--until: the state records files as read whole, so records outside the window would never be read by a later run")
	}
	after := ""
	if o.AfterManifest != "" {
		id, err := ingest.ManifestID(o.AfterManifest)
		if err != nil {
			return nil, nil, usageErr("--after-manifest: %s", err)
		}
		after = id
	}
	state := &ingest.State{Version: ingest.StateVersion, Read: map[string]ingest.Stamp{}}
	if o.State != "" {
		var err error
		if state, err = ingest.ReadState(o.State); err != nil {
			return nil, nil, usageErr("--state: %s", err)
		}
		if err := state.SameOptions(readingOptions(opt)); err != nil {
			return nil, nil, usageErr("--state %s: %s", o.State, err)
		}
	}
	// --after-manifest on the command line applies to every project
	// folder; without it, each folder goes on from its own last manifest.
	inc := &ingest.Incremental{Read: state.Read, AfterManifest: after, ByProject: state.Manifests}
	return state, inc, nil
}

// readingOptions are the options that change what a run takes from a
// file, as the state records them.
func readingOptions(opt ingest.Options) map[string]string {
	m := make([]string, 0, len(opt.Map))
	for k, v := range opt.Map {
		m = append(m, k+"="+v)
	}
	sort.Strings(m)
	return map[string]string{
		"input-format":   opt.Format,
		"map":            strings.Join(m, ","),
		"max-line-bytes": strconv.Itoa(opt.MaxLineBytes),
	}
}

// incrementalNotes says on stderr what the state file and the manifests
// left out, and what was read again because it changed.
func incrementalNotes(ios *IOStreams, inc *ingest.Incremental) {
	if inc.AlreadyRead > 0 {
		fmt.Fprintf(ios.ErrOut, "tokcost: note: %d files or objects already read by an earlier run (--state): left out\n", inc.AlreadyRead)
	}
	if inc.Changed > 0 {
		fmt.Fprintf(ios.ErrOut, "tokcost: warning: %d files or objects changed since an earlier run read them (size or modification time): read again\n", inc.Changed)
	}
	if n := len(inc.Manifests); n > 0 {
		fmt.Fprintf(ios.ErrOut, "tokcost: note: read %d manifests (%s)\n", n, strings.Join(inc.Manifests, ", "))
	}
	if inc.Missing > 0 {
		fmt.Fprintf(ios.ErrOut, "tokcost: warning: %d files listed by the manifests read are not among the inputs (deleted or not copied): their project goes on from the manifest before, so they are looked for again next time\n", inc.Missing)
	}
	if inc.NotInManifest > 0 {
		fmt.Fprintf(ios.ErrOut, "tokcost: note: %d objects under manifest folders are in no newer manifest: left out\n", inc.NotInManifest)
	}
}

// nothingNew is the error for a run whose every input an earlier run
// read: no report, the state stays (exit 6, as for no records).
func nothingNew[D any](l *loaded[D]) error {
	if l.inc == nil || len(l.files) > 0 {
		return nil
	}
	return &exitError{code: ExitNoRecords, err: fmt.Errorf("nothing new to read: %d files or objects already read (--state), %d manifests after %q", l.inc.AlreadyRead, len(l.inc.Manifests), afterText(l.inc))}
}

func afterText(inc *ingest.Incremental) string {
	if inc.AfterManifest != "" || len(inc.ByProject) == 0 {
		return inc.AfterManifest
	}
	var ids []string
	for dir, id := range inc.ByProject {
		ids = append(ids, dir+": "+id)
	}
	sort.Strings(ids)
	return strings.Join(ids, "; ")
}
