package objstore

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/tokcost/tokcost/ingest"
)

// remote reads one URL scheme through gocloud.dev/blob.
type remote struct {
	mu      sync.Mutex
	buckets map[string]*blob.Bucket // by bucket URL (scheme, bucket, query)
}

var theRemote = &remote{buckets: map[string]*blob.Bucket{}}

// register makes scheme's URLs inputs; each driver file calls it.
func register(scheme string) { ingest.RegisterRemote(scheme, theRemote) }

// unbuilt registers a scheme this binary was built without, so its URLs
// fail with the build tag to use rather than as a missing file.
type unbuilt struct{ scheme, tag string }

func (u unbuilt) List(context.Context, string, ingest.Window) (*ingest.RemoteListing, error) {
	return nil, fmt.Errorf("this tokcost was built without %s:// support (rebuild with -tags %s)", u.scheme, u.tag)
}
func (u unbuilt) Open(context.Context, ingest.RemoteObject) (io.ReadCloser, error) {
	return nil, errors.New("unreachable")
}
func (u unbuilt) ReaderAt(context.Context, ingest.RemoteObject) io.ReaderAt { return nil }

// location is a parsed input URL: the bucket's URL (with the query that
// configures the driver, e.g. endpoint=) and the key or prefix.
type location struct {
	scheme, bucket, query, key string
}

func parse(raw string) (location, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return location{}, err
	}
	if u.Host == "" {
		return location{}, fmt.Errorf("no bucket in %s (want %s://BUCKET/PREFIX)", raw, u.Scheme)
	}
	return location{scheme: u.Scheme, bucket: u.Host, query: u.RawQuery, key: strings.TrimPrefix(u.Path, "/")}, nil
}

func (l location) bucketURL() string {
	s := l.scheme + "://" + l.bucket
	if l.query != "" {
		s += "?" + l.query
	}
	return s
}

// name is how an object is named in results: without the query, which
// says how to reach the bucket, not what was read.
func (l location) name(key string) string { return l.scheme + "://" + l.bucket + "/" + key }

func (r *remote) bucket(ctx context.Context, l location) (*blob.Bucket, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	u := l.bucketURL()
	if b := r.buckets[u]; b != nil {
		return b, nil
	}
	b, err := blob.OpenBucket(ctx, u)
	if err != nil {
		return nil, err
	}
	r.buckets[u] = b
	return b, nil
}

// List names the one object of the URL's key, or else every object under
// it as a prefix. Listed counts every object returned that is not hidden
// or a folder marker, so Listed = Ignored + Pruned + len(Objects).
func (r *remote) List(ctx context.Context, raw string, w ingest.Window) (*ingest.RemoteListing, error) {
	loc, err := parse(raw)
	if err != nil {
		return nil, err
	}
	b, err := r.bucket(ctx, loc)
	if err != nil {
		return nil, err
	}
	prefix := loc.key
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		a, err := b.Attributes(ctx, prefix)
		if err == nil {
			// Named by the user: read whatever its name, as a file is.
			return &ingest.RemoteListing{Single: true, Listed: 1, Objects: []ingest.RemoteObject{{URL: loc.name(prefix), Key: prefix, Size: a.Size, ModTime: a.ModTime, MD5: hex.EncodeToString(a.MD5), Bucket: b}}}, nil
		}
		if gcerrors.Code(err) != gcerrors.NotFound {
			return nil, describe(err)
		}
		prefix += "/"
	}
	l := &ingest.RemoteListing{}
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		o, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, describe(err)
		}
		if o.IsDir || strings.HasSuffix(o.Key, "/") || hidden(strings.TrimPrefix(o.Key, prefix)) {
			continue
		}
		l.Listed++
		switch {
		case !ingest.IsTraceName(o.Key):
			l.Ignored++
		case prunedBy(o.Key, w):
			l.Pruned++
		default:
			l.Objects = append(l.Objects, ingest.RemoteObject{URL: loc.name(o.Key), Key: o.Key, Size: o.Size, ModTime: o.ModTime, MD5: hex.EncodeToString(o.MD5), Bucket: b})
		}
	}
	if len(l.Objects) == 0 && l.Pruned == 0 {
		if l.Listed == 0 {
			return nil, errors.New("no such object or prefix")
		}
		return nil, errors.New("prefix holds no trace objects (.jsonl, .ndjson, .json, .parquet)")
	}
	sort.Slice(l.Objects, func(i, j int) bool { return l.Objects[i].Key < l.Objects[j].Key })
	return l, nil
}

// hidden reports whether a key below the prefix has a part starting with
// a dot, which a directory walk skips too.
func hidden(rel string) bool {
	for _, p := range strings.Split(rel, "/") {
		if strings.HasPrefix(p, ".") {
			return true
		}
	}
	return false
}

func (r *remote) Open(ctx context.Context, o ingest.RemoteObject) (io.ReadCloser, error) {
	rd, err := o.Bucket.(*blob.Bucket).NewReader(ctx, o.Key, nil)
	if err != nil {
		return nil, describe(err)
	}
	return rd, nil
}

// rangeRequests counts the ranged reads made, for tests and benchmarks.
var rangeRequests atomic.Int64

func (r *remote) ReaderAt(ctx context.Context, o ingest.RemoteObject) io.ReaderAt {
	return rangeReader{ctx, o.Bucket.(*blob.Bucket), o.Key, o.Size}
}

// rangeReader reads an object at offsets, one ranged request a read. The
// Parquet reader asks for the footer, then buffered page streams (1 MiB
// each), so a file costs a few requests per column chunk, not per value.
type rangeReader struct {
	ctx  context.Context
	b    *blob.Bucket
	key  string
	size int64
}

func (r rangeReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= r.size {
		return 0, io.EOF
	}
	n := int64(len(p))
	if off+n > r.size {
		n = r.size - off
	}
	rangeRequests.Add(1)
	rd, err := r.b.NewRangeReader(r.ctx, r.key, off, n, nil)
	if err != nil {
		return 0, describe(err)
	}
	defer func() { _ = rd.Close() }() // read-only: nothing to lose
	got, err := io.ReadFull(rd, p[:n])
	if err != nil {
		return got, fmt.Errorf("object %s cut short at byte %d: %w", r.key, off+int64(got), err)
	}
	if got < len(p) {
		return got, io.EOF
	}
	return got, nil
}

// describe shortens a driver error to what the user can act on, keeping
// the driver's text after it.
func describe(err error) error {
	switch gcerrors.Code(err) {
	case gcerrors.NotFound:
		return fmt.Errorf("not found: %w", err)
	case gcerrors.PermissionDenied:
		return fmt.Errorf("access denied: %w", err)
	}
	return err
}
