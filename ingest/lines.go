package ingest

import (
	"bufio"
	"bytes"
	"io"
)

// DefaultMaxLineBytes is the longest line a reader takes when the caller
// sets no limit: far above any real trace line (the largest seen are a
// few megabytes of tool output), low enough that a file of NULs or one
// runaway line cannot take the machine's memory.
const DefaultMaxLineBytes = 64 << 20

// ReasonLineTooLong is the invalid-line reason for a line over the limit.
const ReasonLineTooLong = "line too long"

// EachLine calls fn for every line of r, of any length, with its 1-based
// number. The line excludes the newline (and a trailing CR) and is only
// valid during the call. It returns the number of lines read. A final line
// without a newline counts as a line. Readers of an input use
// Source.EachLine, which bounds a line's length.
func EachLine(r *bufio.Reader, fn func(line []byte, n int64) error) (int64, error) {
	return eachLine(r, 0, fn, nil)
}

// EachLine is the package EachLine over the source, except that a line
// longer than the source's limit (MaxLineBytes) is read past in constant
// memory and handed to tooLong, not fn; it still counts as a line.
func (s *Source) EachLine(fn func(line []byte, n int64) error, tooLong func(n int64)) (int64, error) {
	return eachLine(s.R, s.maxLine(), fn, tooLong)
}

// maxLine is the source's line limit, the default when none was set.
func (s *Source) maxLine() int {
	if s.MaxLineBytes <= 0 {
		return DefaultMaxLineBytes
	}
	return s.MaxLineBytes
}

// eachLine is EachLine with a limit (0: none) on a line's length, the
// newline excluded.
func eachLine(r *bufio.Reader, limit int, fn func(line []byte, n int64) error, tooLong func(n int64)) (int64, error) {
	var n int64
	var long []byte
	skipping := false
	for {
		frag, err := r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			if !skipping {
				if limit > 0 && len(long)+len(frag) > limit {
					skipping, long = true, long[:0]
				} else {
					long = append(long, frag...)
				}
			}
			continue
		}
		if err != nil && err != io.EOF {
			return n, err
		}
		line := frag
		if long != nil && !skipping {
			long = append(long, frag...)
			line = long
		}
		if len(line) == 0 && !skipping && err == io.EOF {
			return n, nil
		}
		n++
		line = bytes.TrimSuffix(line, []byte{'\n'})
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if !skipping && limit > 0 && len(line) > limit {
			skipping = true
		}
		if skipping {
			if tooLong != nil {
				tooLong(n)
			}
			skipping = false
		} else if ferr := fn(line, n); ferr != nil {
			return n, ferr
		}
		long = long[:0]
		if long != nil && cap(long) > 16<<20 {
			long = nil // do not pin a huge buffer after one huge line
		}
		if err == io.EOF {
			return n, nil
		}
	}
}

// IsBlank reports whether a line holds only white space.
func IsBlank(line []byte) bool {
	return len(bytes.TrimSpace(line)) == 0
}
