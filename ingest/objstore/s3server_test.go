package objstore

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"gocloud.dev/blob"
)

// s3Server is a real S3 server (gofakes3: HTTP, S3's REST API and XML,
// in-memory objects) on a random loopback port, for the life of one test.
// Nothing is mocked at the client side: requests go through the AWS SDK
// that gocloud's s3blob driver uses, as against AWS.
type s3Server struct {
	url   string // http://127.0.0.1:PORT
	query string // what an input URL needs to reach it
}

// deniedKey is where the server answers 403 AccessDenied, as S3 does to a
// credential without s3:GetObject on the key (gofakes3 has no access
// control, so this one answer is made in front of it, in S3's wire form).
const deniedKey = "denied"

// goneKey is listed but answers 404 NoSuchKey to GET: an object deleted
// between the listing and the read.
const goneKey = "gone"

func startS3(t *testing.T, bucket string) *s3Server {
	t.Helper()
	be := s3mem.New()
	if err := be.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	fake := gofakes3.New(be).Server()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "" && r.URL.Query().Get("prefix") == "" {
			switch {
			case strings.Contains(r.URL.Path, "/"+deniedKey):
				s3Error(w, http.StatusForbidden, "AccessDenied", "Access Denied")
				return
			case strings.Contains(r.URL.Path, "/"+goneKey):
				s3Error(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
				return
			}
		}
		fake.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(h) // 127.0.0.1, a free port
	t.Cleanup(srv.Close)
	// Credentials and region from the environment, as the SDK's standard
	// chain reads them; no shared config or instance metadata.
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", dir+"/config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", dir+"/credentials")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	q := url.Values{"endpoint": {srv.URL}, "use_path_style": {"true"}, "region": {"us-east-1"}}
	return &s3Server{url: srv.URL, query: q.Encode()}
}

func s3Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + code + `</Code><Message>` + msg + `</Message><RequestId>1</RequestId></Error>`))
}

// put uploads objects through the same driver tokcost reads with.
func (s *s3Server) put(t *testing.T, bucket string, objs map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	b, err := blob.OpenBucket(ctx, "s3://"+bucket+"?"+s.query)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for k, v := range objs {
		if err := b.WriteAll(ctx, k, v, nil); err != nil {
			t.Fatalf("put %s: %v", k, err)
		}
	}
}
