package ingest

import "encoding/binary"

// fastTime parses the timestamp shape traces nearly always use,
// "2006-01-02T15:04:05Z" with an optional fraction of up to nine digits,
// as parseTimeString does but without its generality. ok is false for
// any other shape or an out-of-range field; the caller then uses
// parseTimeString, which also owns the error.
func fastTime(b []byte) (nanos int64, ok bool) {
	var c dateCache
	return c.fastTime(b)
}

// dateCache remembers the last date fastTime parsed: the steps of a trace
// file mostly share a day, and the date is the costly half of a stamp.
type dateCache struct {
	lo   uint64 // "2006-01-", the date's first eight bytes
	hi   uint16 // "02"
	days int64  // its days since 1970-01-01
	ok   bool
}

func (c *dateCache) fastTime(b []byte) (nanos int64, ok bool) {
	if len(b) < 20 || b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[len(b)-1] != 'Z' {
		return 0, false
	}
	lo, hi := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint16(b[8:])
	days := c.days
	if !c.ok || lo != c.lo || hi != c.hi {
		if b[4] != '-' || b[7] != '-' {
			return 0, false
		}
		year, month, day := digitsAt(b, 0, 4), digitsAt(b, 5, 2), digitsAt(b, 8, 2)
		// Years are kept where Unix nanoseconds cannot overflow.
		if year < 1970 || year > 2200 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
			return 0, false
		}
		days = daysSinceEpoch(year, month, day)
		*c = dateCache{lo: lo, hi: hi, days: days, ok: true}
	}
	hour, min, sec := digitsAt(b, 11, 2), digitsAt(b, 14, 2), digitsAt(b, 17, 2)
	if hour < 0 || hour > 23 || min < 0 || min > 59 || sec < 0 || sec > 59 {
		return 0, false
	}
	frac := 0
	if len(b) > 20 {
		digits := len(b) - 21
		if b[19] != '.' || digits < 1 || digits > 9 {
			return 0, false
		}
		if frac = digitsAt(b, 20, digits); frac < 0 {
			return 0, false
		}
		for ; digits < 9; digits++ {
			frac *= 10
		}
	}
	secs := days*86400 + int64(hour*3600+min*60+sec)
	return secs*1e9 + int64(frac), true
}

// digitsAt is the value of the n decimal digits at b[i:], or -1.
func digitsAt(b []byte, i, n int) int {
	v := 0
	for _, c := range b[i : i+n] {
		if c < '0' || c > '9' {
			return -1
		}
		v = v*10 + int(c-'0')
	}
	return v
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysSinceEpoch is the proleptic Gregorian day number of a date, 0 for
// 1970-01-01 (Howard Hinnant's days_from_civil).
func daysSinceEpoch(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400 // y ≥ 1969 here, so no negative division
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era*146097 + doe - 719468)
}
