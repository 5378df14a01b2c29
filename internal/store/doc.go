// Package store keeps every record of a run, compact, until the analysis
// takes them back a partition at a time. It knows the encoding and
// nothing of pricing, sessions' figures or loops (package analyze).
//
// # Interface
//
// A Store takes records through ingest sinks (Sink, one per decoding
// goroutine; a columnar reader may hand a sink whole batches of rows,
// ingest.BatchSink, stored as the same bytes as record by record), is
// sealed once reading is over (Seal: the joint table of names, input
// counts, the first invalid lines), and then hands back
// each of its Partitions once (Partition): the sessions hashed to it, in
// id order, each with its events decoded, the input position and id hash
// of each, and the attributes and workflow named first in input order.
// Sessions are hashed to a fixed number of partitions (256) by FNV-1a of
// their id, so a partition's sums come out the same on any number of
// cores, and only one partition's events per core exist in full at
// once. Memory is the store that keeps every partition in memory; one
// that spills partitions to temporary files fits behind the same
// interface.
//
// # Encoding
//
// Each sink keeps, per partition it has records of, a buffer of blocks:
// the first grows by copying from 32 to 256 bytes (a small file's buffer
// holds two or three records), then blocks are chained, doubling to
// 16 KiB. A record is appended as:
//
//	byte    header: bits 0-4 the record's Flags as they are (HasSeq,
//	        HasTS, HasCost, Replica, SameUnit); hdrSameSess (bit 5),
//	        hdrNextLine (bit 6), hdrHasID (bit 7)
//	byte    nums: bits 0-5 which token counts follow (input, output,
//	        cache read, cache write, 1-hour cache write, reasoning);
//	        numsDur (bit 6), numsSub (bit 7)
//	byte    strs: bits 0-4 which string ids follow (model, provider,
//	        tool, role, error); strsClass (bit 5), strsTSms (bit 6),
//	        strsDurMS (bit 7)
//	byte    kind: Kind in bits 0-1, Status in bits 4-5; kindNextSeq
//	        (bit 2), kindBilling (bit 3), kindTSUnreadable (bit 6: the
//	        timestamp could not be read), kindExtra (bit 7)
//	uvarint session index in the partition buffer unless hdrSameSess
//	varint  line less the buffer's previous one  unless hdrNextLine (then +1, sub 0)
//	uvarint sub-position within the line         numsSub
//	8 bytes id hash (maphash, never 0)           hdrHasID
//	varint  seq                                  HasSeq, unless kindNextSeq (previous + 1)
//	varint  timestamp less the session's previous one, in ns, or in ms
//	        when strsTSms                        HasTS
//	varint  duration, ns, or ms when strsDurMS   numsDur
//	uvarint each token count present, in the order above
//	8 bytes cost_usd, IEEE 754                   HasCost
//	uvarint each string id present; names index the sink's name table,
//	        errors the partition buffer's error-text table
//	byte    error class                          strsClass
//	extras block                                 kindExtra:
//	  byte    extraArgs, extraResult, extraLabel, extraBytes (bits 0-3):
//	          which tool-io fields follow; the reader's notes (bits 4-7):
//	          extraAssumedUTC (a time without a zone, read as UTC),
//	          extraZeroOutput (text returned, no output tokens),
//	          extraFromTotal, extraUnknown: which follow
//	  8 bytes arguments hash; 8 bytes result hash
//	  uvarint arguments excerpt (error-text id); uvarint result size
//	  uvarint output tokens recovered from a usage total  extraFromTotal
//	  uvarint unknown usage names, comma-separated (error-text id)  extraUnknown
//	billing block                                kindBilling:
//	  byte    service tier (bits 0-2), billMedia (bit 3),
//	          billWebSearch (bit 4), billUSOnly (bit 5), billCalls
//	          (bit 6), billFast (bit 7)
//	  uvarint web searches                       billWebSearch
//	  uvarint calls a totals-only record stands for  billCalls
//	  byte    which media counts follow: bits 0-3 audio input, image
//	          input, audio output, image output  billMedia
//	  uvarint each media count present, in that order
//
// A text-only record has no media bit set and no media byte, so the
// audio and image counts cost it nothing; a call with them costs one byte
// plus a uvarint per count (and the billing byte, if it had none). Likewise
// a record the reader noted nothing of costs nothing for the notes; one
// with a note costs the extras byte (if it had no tool-io fields) and the
// note's uvarint, if it has one.
// Each byte's bits have names of their own (memory.go); none stands for
// two things, and the header's record flags are checked at compile time
// against Flags. A record is about 23 bytes on a generated fleet, against
// the 136 of an Event (120 before the audio and image counts). Error texts are cut to 512 bytes. Repeats of an
// event id in one session (the same output) are dropped on arrival while
// records come in input order, and counted.
//
// What a record is counted for must not depend on whether its repeat was
// dropped on arrival or by the analysis's de-duplication (repeats far
// apart, in other files or read by other goroutines, batch rows' small
// repeat set): what the reader noted of a record (an unreadable timestamp,
// one read as UTC, text with no output tokens, output from a total,
// unknown usage names) is therefore not counted on arrival but stored
// (kindTSUnreadable, the extras block) and handed back in the record's
// Key, and the analysis counts it for the copies it keeps
// (InputCounts.CountKept). The other way round, a session's workflow and
// attributes are taken from every copy, the dropped ones too, since the
// store keeps them per session, not per record.
//
// Strings (session ids, names, error texts) are interned in pointer-free
// tables (intern.go), so the garbage collector marks blocks, not hundreds
// of thousands of strings: session ids and names per sink, error texts,
// argument excerpts and unknown usage names per partition buffer, so
// that a partition's records can be decoded with its buffer alone. Seal
// joins the sinks' name tables into one; Partition puts the partition's
// texts after the names (Scratch.Strings).
//
// # Generations
//
// A spilling store (NewSpilling) bounds the per-session reading state too:
// each sink's session ids, counters, workflows, attributes and error
// texts. Past its share of SpillOptions.SessionState a sink retires its
// generation: every partition buffer's records, then its metadata (its
// sessions and its error texts), go to the spill file, and the sink starts
// again with empty tables. A session seen again gets a new index in the
// new generation, and Partition joins the generations' pieces of a session
// as it joins those of several sinks (generation.go).
package store
