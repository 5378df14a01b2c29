package main

import (
	"fmt"
	"strings"

	"github.com/tokcost/tokcost/ingest"
)

// incremental reads the --state file and sets up what the run leaves
// out; nil, nil without --state or --after-manifest.
func (o *inputOptions) incremental() (*ingest.State, *ingest.Incremental, error) {
	if o.State == "" && o.AfterManifest == "" {
		return nil, nil, nil
	}
	state := &ingest.State{Version: ingest.StateVersion, Read: map[string]ingest.Stamp{}}
	if o.State != "" {
		var err error
		if state, err = ingest.ReadState(o.State); err != nil {
			return nil, nil, usageErr("--state: %s", err)
		}
	}
	inc := &ingest.Incremental{Read: state.Read, AfterManifest: o.AfterManifest}
	if inc.AfterManifest == "" {
		// The state remembers the newest manifest read; "" means a state
		// written without manifests, which stays by objects only.
		inc.AfterManifest = state.AfterManifest
	}
	return state, inc, nil
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
	return &exitError{code: ExitNoRecords, err: fmt.Errorf("nothing new to read: %d files or objects already read (--state), %d manifests after %q", l.inc.AlreadyRead, len(l.inc.Manifests), l.inc.AfterManifest)}
}
