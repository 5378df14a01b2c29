package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Source is one opened input, decompressed, positioned at its start.
type Source struct {
	Name        string // as the user gave it (or found under a directory); "-" for stdin
	Index       int    // position in the input list; orders records across inputs
	Compression string // "", "gzip" or "zstd"
	R           *bufio.Reader
	// Map is the user's --map canonical=path field mapping, for formats
	// that take one (empty otherwise).
	Map map[string]string
	// MaxLineBytes is the longest line a line reader takes (0: the
	// default, DefaultMaxLineBytes); a longer one is an invalid line.
	MaxLineBytes int
	// Window is the run's --since/--until: a reader may leave unread rows
	// its file's statistics place outside it (SkippedUnread); the sink
	// skips the rest.
	Window Window

	file    *os.File
	closers []io.Closer
	remote  *remoteInput // an object read from object storage (remote.go)
	// size is the remote object's size, or the local file's when it was
	// opened; regular says it is a regular file. One stat at open serves
	// every later question (a directory of thousands of small files made
	// four of each).
	size    int64
	regular bool
}

// headSize is how much of an input sniffing may look at.
const headSize = 64 << 10

// Head returns up to 64 KiB of the decompressed start without consuming it.
// For a compressed input OpenSource has already read this far and
// returned any error doing so (a file cut short), so a short head is the
// whole input.
func (s *Source) Head() []byte {
	b, _ := s.R.Peek(headSize)
	return b
}

// File returns the underlying file when the input is an uncompressed regular
// file, for formats that need random access (Parquet); nil otherwise.
func (s *Source) File() *os.File {
	if s.Compression != "" || s.file == nil || !s.regular {
		return nil
	}
	return s.file
}

// Close releases the source.
func (s *Source) Close() error {
	var first error
	for i := len(s.closers) - 1; i >= 0; i-- {
		if err := s.closers[i].Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// OpenSource opens path ("-" reads stdin) and undoes gzip or zstd
// compression, recognised by magic bytes rather than by extension.
func OpenSource(path string, index int, stdin io.Reader) (*Source, error) {
	return openSource(context.Background(), path, index, stdin)
}

// openSource is OpenSource whose reads fail once ctx is done, so a
// cancelled run (Ctrl-C) stops inside a long input, and a read blocked on
// a pipe returns (where the file supports deadlines).
func openSource(ctx context.Context, path string, index int, stdin io.Reader) (*Source, error) {
	s := &Source{Name: path, Index: index}
	var raw io.Reader
	if path == "-" {
		if stdin == nil {
			stdin = os.Stdin
		}
		raw = stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		s.file = f
		s.closers = append(s.closers, f)
		raw = f
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			s.regular, s.size = true, st.Size()
		}
	}
	if ctx.Done() != nil && s.file != nil {
		f := s.file
		stop := context.AfterFunc(ctx, func() { _ = f.SetReadDeadline(time.Now()) })
		s.closers = append(s.closers, closerFunc(func() error { stop(); return nil }))
	}
	return finishSource(ctx, s, raw, readBufSize(s))
}

// finishSource makes raw, the input's bytes as stored, into s's reader:
// cancelled with ctx, decompressed, past a byte-order mark.
func finishSource(ctx context.Context, s *Source, raw io.Reader, bufSize int) (*Source, error) {
	if ctx.Done() != nil {
		raw = ctxReader{ctx, raw}
	}
	br := bufio.NewReaderSize(raw, bufSize)
	magic, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(magic, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			_ = s.Close() // read-only; the error below is the one to report
			return nil, fmt.Errorf("unreadable gzip: %w", err)
		}
		s.Compression = "gzip"
		s.closers = append(s.closers, zr)
		br = bufio.NewReaderSize(zr, 1<<20)
	case bytes.HasPrefix(magic, zstdMagic):
		zr, err := zstd.NewReader(br)
		if err != nil {
			_ = s.Close() // read-only; the error below is the one to report
			return nil, fmt.Errorf("unreadable zstd: %w", err)
		}
		s.Compression = "zstd"
		s.closers = append(s.closers, closerFunc(func() error { zr.Close(); return nil }))
		br = bufio.NewReaderSize(zr, 1<<20)
	}
	// A UTF-8 byte-order mark (Windows editors write one) is not part of
	// the first record.
	if b, _ := br.Peek(len(utf8BOM)); bytes.Equal(b, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM)) // the bytes were just peeked
	}
	// Decompress what sniffing will look at now, and keep the error: a
	// .zst or .gz cut in its first blocks otherwise looked like an empty
	// input (0 lines, exit 0), since bufio hands a read error out once
	// and Head dropped it. (An uncompressed input is not read ahead: a
	// pipe streams.)
	if s.Compression != "" {
		if _, err := br.Peek(headSize); err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
			_ = s.Close() // read-only; the error below is the one to report
			return nil, fmt.Errorf("unreadable %s: %w", s.Compression, err)
		}
	}
	s.R = br
	return s, nil
}

var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// readBufSize is 1 MiB, or less for a small regular file: enough to hold
// it whole, so sniffing still sees all of it. A directory of thousands of
// small files otherwise allocated a megabyte each, and the collector spent
// more time than the decoders.
func readBufSize(s *Source) int {
	const most = 1 << 20
	if !s.regular || s.size >= most {
		return most
	}
	return max(int(s.size)+16, 4096)
}

// ctxReader fails every read once its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }
