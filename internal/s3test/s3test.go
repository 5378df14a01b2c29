// Package s3test starts a real S3 server for tests in other packages than
// ingest/objstore (which has its own, with injected failures): gofakes3
// (S3's REST API over HTTP, objects in memory) on a random loopback port,
// reached through the same s3blob driver and AWS SDK tokcost reads with.
// Only tests import it, so the binary never carries the server.
package s3test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/s3blob" // put and Remove go through the driver
)

// Server is one S3 server for the life of a test.
type Server struct {
	// Query is what an input URL needs to reach it:
	// s3://BUCKET/PREFIX?+Query.
	Query string
	// Clock is the server's time for the objects it stores, so a test
	// can make an object's modification time change (gofakes3 stamps
	// objects with it).
	Clock *Clock
}

// Clock is a settable time source.
type Clock struct{ T time.Time }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { return c.T }

// Since returns the time since t on the clock.
func (c *Clock) Since(t time.Time) time.Duration { return c.T.Sub(t) }

// Start starts a server with the buckets named and sets the AWS
// environment (test credentials, no shared config, no instance metadata)
// for the test.
func Start(t testing.TB, buckets ...string) *Server {
	t.Helper()
	clk := &Clock{T: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	be := s3mem.New(s3mem.WithTimeSource(clk))
	for _, b := range buckets {
		if err := be.CreateBucket(b); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(gofakes3.New(be, gofakes3.WithTimeSource(clk), gofakes3.WithTimeSkewLimit(0)).Server())
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1",
		"AWS_CONFIG_FILE": dir + "/config", "AWS_SHARED_CREDENTIALS_FILE": dir + "/credentials",
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	q := url.Values{"endpoint": {srv.URL}, "use_path_style": {"true"}, "region": {"us-east-1"}}
	return &Server{Query: q.Encode(), Clock: clk}
}

// Put uploads objects through the s3blob driver.
func (s *Server) Put(t testing.TB, bucket string, objs map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	b, err := blob.OpenBucket(ctx, "s3://"+bucket+"?"+s.Query)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()
	for k, v := range objs {
		if err := b.WriteAll(ctx, k, v, nil); err != nil {
			t.Fatalf("put %s: %v", k, err)
		}
	}
}

// Delete removes objects through the s3blob driver.
func (s *Server) Delete(t testing.TB, bucket string, keys ...string) {
	t.Helper()
	ctx := context.Background()
	b, err := blob.OpenBucket(ctx, "s3://"+bucket+"?"+s.Query)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()
	for _, k := range keys {
		if err := b.Delete(ctx, k); err != nil {
			t.Fatalf("delete %s: %v", k, err)
		}
	}
}
