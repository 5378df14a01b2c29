#!/usr/bin/env bash
# End-to-end benchmark of `tokcost analyze --format json` (make bench).
#
# Generates the benchmark fleet once into ./bench (200,000 sessions, seed 1,
# about 1.17 GB of canonical JSONL), converts it to Parquet when this build
# can, then times the full analysis from the page cache on each input and on
# 0.1 and 0.5 GB prefixes, and runs the decoder and pipeline micro-benchmarks.
#
# Environment: RUNS (timed runs per input, best wall time kept; default 3),
# SESSIONS (default 200000), SKIP_MICRO=1 to skip the go test benchmarks.
# Installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
SESSIONS=${SESSIONS:-200000}
SEED=1
DIR=bench
BIN=$DIR/tokcost
TIME=/usr/bin/time

if [ ! -x "$TIME" ] || ! "$TIME" -f %M true >/dev/null 2>&1; then
	echo "bench: GNU time is needed at $TIME for peak RSS; install it with: apt-get install time" >&2
	exit 1
fi

mkdir -p "$DIR"
go build -o "$BIN" ./cmd/tokcost

jsonl=$DIR/fleet-$SESSIONS.jsonl
if [ ! -s "$jsonl" ]; then
	echo "generating $jsonl ($SESSIONS sessions, seed $SEED)..."
	"$BIN" gen --sessions "$SESSIONS" --seed "$SEED" -o "$jsonl.tmp"
	mv "$jsonl.tmp" "$jsonl"
fi

# Prefixes of whole lines: the first 0.1 and 0.5 GB.
for mb in 100 500; do
	p=$DIR/fleet-$SESSIONS-${mb}MB.jsonl
	if [ ! -s "$p" ]; then
		head -c "${mb}000000" "$jsonl" | head -n -1 >"$p"
	fi
done

# Many small inputs: the first 100,000 lines as 5,000 files of 20 lines.
many=$DIR/many-small
if [ ! -d "$many" ]; then
	mkdir -p "$many.tmp"
	head -n 100000 "$jsonl" | (cd "$many.tmp" && split -l 20 -a 4 --additional-suffix=.jsonl - part-)
	mv "$many.tmp" "$many"
fi

# OTLP/JSON of the 0.1 GB prefix, when python3 is there to convert it.
otlp=$DIR/fleet-$SESSIONS-100MB.otlp.jsonl
if [ ! -s "$otlp" ]; then
	if command -v python3 >/dev/null; then
		echo "converting the 0.1 GB prefix to OTLP/JSON..."
		python3 scripts/otlp_from_jsonl.py <"$DIR/fleet-$SESSIONS-100MB.jsonl" >"$otlp.tmp"
		mv "$otlp.tmp" "$otlp"
	else
		echo "bench: no python3 to convert to OTLP; skipping OTLP" >&2
	fi
fi

parquet=$DIR/fleet-$SESSIONS.parquet
# Made again when the writer changed since (its layout decides read speed).
if [ ! -s "$parquet" ] || [ "$parquet" -ot ingest/parquet/writer.go ]; then
	if "$BIN" convert --help >/dev/null 2>&1; then
		echo "converting to $parquet..."
		"$BIN" convert -o "$parquet.tmp" "$jsonl"
		mv "$parquet.tmp" "$parquet"
	else
		echo "bench: this build has no 'tokcost convert'; skipping Parquet" >&2
	fi
fi

nproc_=$(nproc 2>/dev/null || echo '?')
echo
echo "tokcost analyze --format json, best wall of $RUNS runs, $nproc_ cores, load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
printf '%-24s %9s %8s %9s %9s %10s %12s %9s %8s\n' input MB wall user+sys cpu% MB/s records/s peak-RSS B/rec

run() { # run LABEL FILE
	local label=$1 file=$2 best='' bestline='' peak=0 out
	local bytes
	bytes=$(du -sb "$file" | cut -f1)
	if [ -d "$file" ]; then cat "$file"/* >/dev/null; else cat "$file" >/dev/null; fi # into the page cache
	for _ in $(seq "$RUNS"); do
		out=$("$TIME" -f '%e %U %S %M' "$BIN" analyze --format json -o "$DIR/report.json" "$file" 2>&1 >/dev/null | tail -1)
		read -r wall user sys rss <<<"$out"
		if [ "$rss" -gt "$peak" ]; then peak=$rss; fi
		if [ -z "$best" ] || awk -v a="$wall" -v b="$best" 'BEGIN{exit !(a<b)}'; then
			best=$wall bestline="$wall $user $sys"
		fi
	done
	read -r wall user sys <<<"$bestline"
	local recs
	recs=$(grep -m1 '"lines":' "$DIR/report.json" | tr -dc 0-9)
	awk -v l="$label" -v b="$bytes" -v w="$wall" -v u="$user" -v s="$sys" -v r="$recs" -v m="$peak" 'BEGIN{
		w = (w > 0 ? w : 0.01)
		printf "%-24s %9.0f %7.2fs %8.2fs %8.0f%% %10.0f %12.0f %8.0fM %8.0f\n",
			l, b/1e6, w, u+s, 100*(u+s)/w, b/1e6/w, r/w, m/1024, m*1024/r
	}'
}

run "jsonl 0.1 GB" "$DIR/fleet-$SESSIONS-100MB.jsonl"
run "jsonl 0.5 GB" "$DIR/fleet-$SESSIONS-500MB.jsonl"
run "jsonl full" "$jsonl"
run "jsonl 5,000 small files" "$many"
if [ -s "$otlp" ]; then
	run "otlp/json 0.1 GB prefix" "$otlp"
fi
if [ -s "$parquet" ]; then
	run "parquet (zstd) full" "$parquet"
fi
echo "(MB/s is input bytes per wall second; records/s counts input lines or rows; B/rec is peak RSS per record)"

if [ "${SKIP_MICRO:-}" != 1 ]; then
	echo
	go test -run '^$' -bench 'Decoder|ByteClassFloor|Pipeline|DecodeOnly|Sessionise|ShardRecord|Retained' -benchmem -count 1 ./ingest/ ./analyze/
fi
