package ingest

import (
	"context"
	"fmt"
	"io"
	neturl "net/url"
	"strings"
	"sync"
	"time"
)

// Remote lists and opens inputs named by a URL rather than a path: object
// storage (s3://, gs://, azblob://). Package ingest/objstore registers one
// for the schemes it was built with; the CLI imports it. Ingest itself
// knows nothing about any cloud.
type Remote interface {
	// List expands a URL to the objects it names: the one object of that
	// key, or every trace object under it as a prefix (recursively, by
	// IsTraceName). Objects a window prunes by their partition keys are
	// counted in the listing, not returned. An error means the URL itself
	// could not be read (no such bucket, no such object or prefix, access
	// denied to the listing): the run stops, as for a missing path.
	List(ctx context.Context, url string, w Window) (*RemoteListing, error)
	// Open starts a streaming read of one listed object.
	Open(ctx context.Context, obj RemoteObject) (io.ReadCloser, error)
	// ReaderAt gives random access to one listed object (ranged reads),
	// for formats that need it (Parquet).
	ReaderAt(ctx context.Context, obj RemoteObject) io.ReaderAt
}

// RemoteObject is one object a Remote listed.
type RemoteObject struct {
	URL  string // how it is named in results: scheme://bucket/key
	Key  string
	Size int64
	// ModTime and MD5 (hex, "" when the store gives none) identify the
	// version listed, for state files (Incremental).
	ModTime time.Time
	MD5     string
	// Bucket is the remote's handle for the object's bucket.
	Bucket any
}

// RemoteListing is what a Remote found under one URL.
type RemoteListing struct {
	Objects []RemoteObject
	// Single is set when the URL named one object (not a prefix): an
	// error reading it stops the run, as for a file named by the user.
	Single bool
	// Listed counts every object the listing returned; Pruned those left
	// out by the window's partitions; Ignored those that are not trace
	// files by name (hidden ones are neither).
	Listed, Pruned, Ignored int64
}

// Window is a time range [Since, Until) (zero: unbounded) used to prune
// object-storage partitions without reading them.
type Window struct {
	Since, Until time.Time
}

// RemoteStats counts what object-storage inputs came to in a run.
type RemoteStats struct {
	Listed int64 `json:"listed"` // objects the listings returned
	Pruned int64 `json:"pruned"` // left out by partition: never read
	Read   int64 `json:"read"`   // read (or tried: failures are in the file results)
	// AlreadyRead counts objects left out unread because an earlier run
	// read them unchanged (--state); Listed = ignored + Pruned +
	// AlreadyRead + NotInManifest + Read (manifests count as ignored).
	AlreadyRead int64 `json:"already_read,omitempty"`
	// NotInManifest counts objects below a Langfuse export's project
	// folder that no manifest after --after-manifest lists: left out.
	NotInManifest int64 `json:"not_in_manifest,omitempty"`
}

var (
	remotesMu sync.RWMutex
	remotes   = map[string]Remote{}
)

// RegisterRemote makes URLs of scheme ("s3") inputs read through r.
func RegisterRemote(scheme string, r Remote) {
	remotesMu.Lock()
	defer remotesMu.Unlock()
	remotes[scheme] = r
}

// remoteFor returns the Remote for arg's scheme, or nil when arg is a path.
func remoteFor(arg string) Remote {
	scheme, _, ok := strings.Cut(arg, "://")
	if !ok || scheme == "" || strings.ContainsAny(scheme, `/\.`) {
		return nil
	}
	remotesMu.RLock()
	defer remotesMu.RUnlock()
	return remotes[scheme]
}

// IsRemote reports whether arg is a URL a registered Remote reads.
func IsRemote(arg string) bool { return remoteFor(arg) != nil }

// remoteInput is what an input read from object storage carries.
type remoteInput struct {
	r   Remote
	obj RemoteObject
	ctx context.Context // the run's, for ranged reads
}

// openRemote opens a listed object as a Source: read as a stream, with
// ranged reads for formats that need random access.
func openRemote(ctx context.Context, in *remoteInput, index int) (*Source, error) {
	in.ctx = ctx
	rc, err := in.r.Open(ctx, in.obj)
	if err != nil {
		return nil, err
	}
	s := &Source{Name: in.obj.URL, Index: index, closers: []io.Closer{rc}, remote: in, size: in.obj.Size}
	return finishSource(ctx, s, rc, remoteBufSize(in.obj.Size))
}

// remoteBufSize sizes the read buffer like readBufSize does for a file.
func remoteBufSize(size int64) int {
	const most = 1 << 20
	if size <= 0 || size >= most {
		return most
	}
	return max(int(size)+16, 4096)
}

// RandomAccess returns the input's bytes for random access, with their
// size, when the input is uncompressed and allows it: a regular file, or
// an object read by ranged requests. ok is false otherwise.
func (s *Source) RandomAccess() (r io.ReaderAt, size int64, ok bool) {
	if s.Compression != "" {
		return nil, 0, false
	}
	if s.remote != nil {
		return s.remote.r.ReaderAt(s.remote.ctx, s.remote.obj), s.size, true
	}
	f := s.File()
	if f == nil {
		return nil, 0, false
	}
	return f, s.size, true
}

// addRemote lists a URL's objects into the inputs, in the listing's
// order (sorted by key). Every object of a prefix is read as a file found
// in a directory: one that cannot be read is listed with its error and
// the run goes on.
func (x *expansion) addRemote(r Remote, url string) error {
	if x.noRemote {
		return nil
	}
	l, err := r.List(x.ctx, url, x.window)
	if err != nil {
		return redactQuery(url, fmt.Errorf("input %s: %w", url, err))
	}
	if !l.Single {
		root, _, _ := strings.Cut(url, "?")
		x.roots = append(x.roots, strings.TrimSuffix(root, "/"))
	}
	x.remote.Listed += l.Listed
	x.remote.Pruned += l.Pruned
	x.ignored += l.Ignored
	for _, o := range l.Objects {
		x.inputs = append(x.inputs, input{path: o.URL, fromDir: !l.Single, remote: &remoteInput{r: r, obj: o},
			stamp: &Stamp{Size: o.Size, ModTime: o.ModTime.UTC(), MD5: o.MD5}})
	}
	return nil
}

// redactQuery hides url's query (an S3-compatible endpoint, which may
// carry credentials: endpoint=http://user:secret@host) wherever err's
// text repeats it, so it never reaches a terminal or a CI log; errors.Is
// and errors.As still see err.
func redactQuery(url string, err error) error {
	i := strings.IndexByte(url, '?')
	if i < 0 || i == len(url)-1 {
		return err
	}
	q := url[i+1:]
	msg := strings.ReplaceAll(err.Error(), q, "…")
	if unescaped, uerr := neturl.QueryUnescape(q); uerr == nil && unescaped != q {
		msg = strings.ReplaceAll(msg, unescaped, "…")
	}
	return &redactedError{msg: msg, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// ListRemote lists a URL's objects with the Remote registered for its
// scheme, for commands that read objects other than traces (merge's
// session tables): the same listing as an input URL, without a window.
// Errors hide the URL's query, as for inputs.
func ListRemote(ctx context.Context, url string) (Remote, *RemoteListing, error) {
	r := remoteFor(url)
	if r == nil {
		return nil, nil, fmt.Errorf("%s: not an object-storage URL", url)
	}
	l, err := r.List(ctx, url, Window{})
	if err != nil {
		return nil, nil, redactQuery(url, fmt.Errorf("%s: %w", url, err))
	}
	return r, l, nil
}
