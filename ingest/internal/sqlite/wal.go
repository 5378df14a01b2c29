package sqlite

import (
	"encoding/binary"
	"fmt"
	"io"
)

const (
	walHeaderSize = 32
	walFrameHdr   = 24
	walMagicLE    = 0x377f0682 // checksums over little-endian words
	walMagicBE    = 0x377f0683 // checksums over big-endian words
	walVersion    = 3007000
)

// wal is the committed part of a write-ahead log: for each page, the
// offset of its latest frame up to the last valid commit frame.
type wal struct {
	r            io.ReaderAt
	salt1, salt2 uint32
	frames       map[uint32]int64
	dbSize       uint32 // database size in pages after the last commit
	committed    int    // frames up to and including the last commit
}

// readWAL reads the log's header and frames as SQLite's recovery does: a
// frame counts when its salts equal the header's and its cumulative
// checksum holds; the first one that does not ends the log; frames after
// the last commit frame (a transaction not committed, or cut short) are
// ignored. A log with an invalid header is empty (nil, nil), as for
// SQLite.
func readWAL(name string, r io.ReaderAt, size int64, pageSize int) (*wal, error) {
	var h [walHeaderSize]byte
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return nil, fmt.Errorf("%s-wal: %w", name, err)
	}
	magic := binary.BigEndian.Uint32(h[0:])
	if magic != walMagicLE && magic != walMagicBE {
		return nil, nil
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if magic == walMagicBE {
		order = binary.BigEndian
	}
	if binary.BigEndian.Uint32(h[4:]) != walVersion {
		return nil, nil
	}
	s0, s1 := walChecksum(order, h[:24], 0, 0)
	if s0 != binary.BigEndian.Uint32(h[24:]) || s1 != binary.BigEndian.Uint32(h[28:]) {
		return nil, nil
	}
	if ps := int(binary.BigEndian.Uint32(h[8:])); ps != pageSize && !(ps == 1 && pageSize == 65536) {
		return nil, &CorruptError{File: name + "-wal", Msg: fmt.Sprintf("WAL page size %d, database page size %d", ps, pageSize)}
	}
	w := &wal{r: r, salt1: binary.BigEndian.Uint32(h[16:]), salt2: binary.BigEndian.Uint32(h[20:]), frames: map[uint32]int64{}}
	type pending struct {
		pgno uint32
		off  int64
	}
	var tx []pending
	frame := make([]byte, walFrameHdr+pageSize)
	n := 0
	for off := int64(walHeaderSize); off+int64(len(frame)) <= size; off += int64(len(frame)) {
		if _, err := r.ReadAt(frame, off); err != nil {
			return nil, fmt.Errorf("%s-wal: %w", name, err)
		}
		pgno := binary.BigEndian.Uint32(frame[0:])
		commit := binary.BigEndian.Uint32(frame[4:])
		if pgno == 0 || binary.BigEndian.Uint32(frame[8:]) != w.salt1 || binary.BigEndian.Uint32(frame[12:]) != w.salt2 {
			break
		}
		c0, c1 := walChecksum(order, frame[:8], s0, s1)
		c0, c1 = walChecksum(order, frame[walFrameHdr:], c0, c1)
		if c0 != binary.BigEndian.Uint32(frame[16:]) || c1 != binary.BigEndian.Uint32(frame[20:]) {
			break
		}
		s0, s1 = c0, c1
		n++
		tx = append(tx, pending{pgno, off})
		if commit != 0 {
			for _, p := range tx {
				w.frames[p.pgno] = p.off
			}
			tx = tx[:0]
			w.dbSize, w.committed = commit, n
		}
	}
	if w.committed == 0 {
		return nil, nil
	}
	return w, nil
}

// readFrame reads the page of the frame at off, checking that the frame
// still belongs to the log read at Open: a writer that restarted the log
// since (new salts) has overwritten it.
func (w *wal) readFrame(name string, off int64, pgno uint32, page []byte) error {
	var h [walFrameHdr]byte
	if _, err := w.r.ReadAt(h[:], off); err != nil {
		return fmt.Errorf("%s-wal: page %d: %w", name, pgno, err)
	}
	if binary.BigEndian.Uint32(h[0:]) != pgno || binary.BigEndian.Uint32(h[8:]) != w.salt1 || binary.BigEndian.Uint32(h[12:]) != w.salt2 {
		return fmt.Errorf("%s-wal: page %d: %w", name, pgno, ErrChanged)
	}
	if _, err := w.r.ReadAt(page, off+walFrameHdr); err != nil {
		return fmt.Errorf("%s-wal: page %d: %w", name, pgno, err)
	}
	// Again after the page: a restart may have begun in between.
	if _, err := w.r.ReadAt(h[:], off); err != nil {
		return fmt.Errorf("%s-wal: page %d: %w", name, pgno, err)
	}
	if binary.BigEndian.Uint32(h[8:]) != w.salt1 || binary.BigEndian.Uint32(h[12:]) != w.salt2 {
		return fmt.Errorf("%s-wal: page %d: %w", name, pgno, ErrChanged)
	}
	return nil
}

// walChecksum continues SQLite's WAL checksum (s0, s1) over b, a multiple
// of 8 bytes read as pairs of 32-bit words in order.
func walChecksum(order binary.ByteOrder, b []byte, s0, s1 uint32) (uint32, uint32) {
	for i := 0; i+8 <= len(b); i += 8 {
		s0 += order.Uint32(b[i:]) + s1
		s1 += order.Uint32(b[i+4:]) + s0
	}
	return s0, s1
}
