#!/usr/bin/env bash
# End-to-end benchmark of `tokcost analyze --format json` (make bench).
#
# Generates the benchmark fleet once into ./bench (200,000 sessions, seed 1,
# about 1.17 GB of canonical JSONL), converts it to Parquet when this build
# can, then times the full analysis from the page cache on each input and on
# 0.1 and 0.5 GB prefixes, and runs the decoder and pipeline micro-benchmarks.
#
# Then tokcost against DuckDB on the same JSONL and Parquet files: DuckDB's
# per-session cost percentile query (tools/duckdbbench, a module of its
# own: DuckDB is never a dependency of tokcost) against tokcost's full
# analysis, in alternation, wall time and peak RSS side by side.
#
# Environment: RUNS (timed runs per input, best wall time kept; default 3),
# SESSIONS (default 200000), SKIP_MICRO=1 to skip the go test benchmarks,
# DUCKDB=0 to skip DuckDB, VERSUS_ONLY=1 for the DuckDB comparison alone,
# BENCH_DIR for another data directory (default ./bench). Installs nothing but DuckDB's Go module (built
# with cgo: needs gcc and the Go module proxy); without them the DuckDB
# table is skipped with a message saying why.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
SESSIONS=${SESSIONS:-200000}
SEED=1
DIR=${BENCH_DIR:-bench}
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

if [ "${VERSUS_ONLY:-}" != 1 ]; then
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

if [ "${VERSUS_ONLY:-}" != 1 ]; then
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
fi

# tokcost against DuckDB, in alternation (ABAB…), on the full JSONL and
# Parquet files.
versus() {
	local duck=$DIR/duckdbbench prices=$DIR/prices.json
	if [ "${DUCKDB:-1}" = 0 ]; then
		echo "bench: DUCKDB=0: skipping the comparison with DuckDB" >&2
		return
	fi
	if ! command -v gcc >/dev/null; then
		echo "bench: no C compiler (gcc): DuckDB's Go bindings need cgo; skipping the comparison with DuckDB (apt-get install gcc)" >&2
		return
	fi
	if [ ! -x "$duck" ] || [ "$duck" -ot tools/duckdbbench/main.go ] || [ "$duck" -ot tools/duckdbbench/go.sum ]; then
		echo "building tools/duckdbbench (DuckDB through cgo; the first build takes minutes)..."
		local abs
		abs=$(cd "$DIR" && pwd)/duckdbbench
		if ! (cd tools/duckdbbench && CGO_ENABLED=1 go build -o "$abs.tmp" .) >"$DIR/duckdbbench.log" 2>&1; then
			echo "bench: DuckDB could not be built (see $DIR/duckdbbench.log); skipping the comparison with DuckDB" >&2
			return
		fi
		mv "$duck.tmp" "$duck"
	fi
	# The generator's models (gen/rates.go), priced by tokcost's table.
	"$BIN" prices --format json claude-sonnet-4-5 claude-haiku-4-5 gpt-4o gpt-4o-mini gpt-5 >"$prices"
	declare -A wall rss cpu
	local k tool input cmd w m u sy
	for _ in $(seq "$RUNS"); do
		for input in jsonl parquet; do
			local file=$jsonl
			[ "$input" = parquet ] && file=$parquet
			[ -s "$file" ] || continue
			for tool in tokcost duckdb; do
				k=$tool-$input
				if [ "$tool" = tokcost ]; then
					cmd=("$BIN" analyze --format json -o "$DIR/report-$input.json" "$file")
				else
					cmd=("$duck" -prices "$prices" "$file")
				fi
				"$TIME" -f '%e %M %U %S' "${cmd[@]}" 2>"$DIR/time.err" >"$DIR/$k.out" || {
					echo "bench: $k failed:" >&2
					cat "$DIR/time.err" >&2
					return
				}
				read -r w m u sy < <(tail -1 "$DIR/time.err")
				u=$(awk -v u="$u" -v s="$sy" 'BEGIN{print u+s}')
				if [ -z "${cpu[$k]:-}" ] || awk -v a="$u" -v b="${cpu[$k]}" 'BEGIN{exit !(a<b)}'; then cpu[$k]=$u; fi
				if [ -z "${wall[$k]:-}" ] || awk -v a="$w" -v b="${wall[$k]}" 'BEGIN{exit !(a<b)}'; then wall[$k]=$w; fi
				if [ -z "${rss[$k]:-}" ] || [ "$m" -gt "${rss[$k]}" ]; then rss[$k]=$m; fi
			done
		done
	done
	echo
	echo "tokcost (full analysis) against DuckDB (per-session cost percentiles): best wall, least CPU (user+sys) and largest peak RSS of $RUNS alternated runs, load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
	printf '%-8s %9s %9s %10s %10s %9s %9s %11s %11s %9s\n' input tokcost duckdb wall-ratio tokcost-CPU duckdb-CPU CPU-ratio tokcost-RSS duckdb-RSS RSS-ratio
	for input in jsonl parquet; do
		[ -n "${wall[tokcost-$input]:-}" ] || continue
		awk -v l="$input" -v tw="${wall[tokcost-$input]}" -v dw="${wall[duckdb-$input]}" -v tm="${rss[tokcost-$input]}" -v dm="${rss[duckdb-$input]}" \
			-v tc="${cpu[tokcost-$input]}" -v dc="${cpu[duckdb-$input]}" 'BEGIN{
			printf "%-8s %8.2fs %8.2fs %9.2fx %10.2fs %10.2fs %9.2fx %10.0fM %10.0fM %9.2fx\n", l, tw, dw, tw/dw, tc, dc, tc/dc, tm/1024, dm/1024, tm/dm
		}'
	done
	if [ -n "${wall[tokcost-parquet]:-}" ]; then
		awk -v j="${wall[tokcost-jsonl]}" -v p="${wall[tokcost-parquet]}" 'BEGIN{printf "tokcost: Parquet %.2fx as fast as the same data as JSONL\n", j/p}'
	fi
	echo "(ratios are tokcost / DuckDB; targets: Parquet wall <= 0.70x and peak RSS <= 0.25x DuckDB's, Parquet >= 1.5x as fast as JSONL)"
	# The two methods' percentiles, to see that they computed the same thing.
	for input in jsonl parquet; do
		[ -s "$DIR/report-$input.json" ] || continue
		echo "$input: duckdb $(cat "$DIR/duckdb-$input.out")"
		echo "$input: tokcost $(awk '/^  "sessions": \{/{s=1} s&&/"cost_usd": \{/{c=1} c&&/"p(50|95|99)"/{gsub(/[",]/,""); printf "%s ", $0} c&&/\}/{exit}' "$DIR/report-$input.json")"
	done
}
versus

if [ "${SKIP_MICRO:-}" != 1 ]; then
	echo
	go test -run '^$' -bench 'Decoder|ByteClassFloor|Pipeline|DecodeOnly|Sessionise|ShardRecord|Retained' -benchmem -count 1 ./ingest/ ./analyze/
fi
