package ingest

import (
	"bufio"
	"bytes"
	"io"
)

// EachLine calls fn for every line of r, of any length, with its 1-based
// number. The line excludes the newline (and a trailing CR) and is only
// valid during the call. It returns the number of lines read. A final line
// without a newline counts as a line.
func EachLine(r *bufio.Reader, fn func(line []byte, n int64) error) (int64, error) {
	var n int64
	var long []byte
	for {
		frag, err := r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = append(long, frag...)
			continue
		}
		if err != nil && err != io.EOF {
			return n, err
		}
		line := frag
		if long != nil {
			long = append(long, frag...)
			line = long
		}
		if len(line) == 0 && err == io.EOF {
			return n, nil
		}
		n++
		line = bytes.TrimSuffix(line, []byte{'\n'})
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if ferr := fn(line, n); ferr != nil {
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
