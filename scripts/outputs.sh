#!/usr/bin/env bash
# Snapshot every report of a tokcost binary on the bench fleet and every
# bundled sample, so a refactor can prove its outputs are byte-identical:
#
#   scripts/outputs.sh OLD_BIN /tmp/before
#   scripts/outputs.sh NEW_BIN /tmp/after
#   diff -r /tmp/before /tmp/after && echo identical
#
# Each output file holds the command's stdout, then its stderr and exit code,
# so warnings and exit statuses are compared too. FLEET (default
# bench/fleet-200000.jsonl, made by `make bench` or `tokcost gen --sessions
# 200000 --seed 1`) may be set to another input; FLEET=none skips it.
# EXTRA names more inputs, e.g. a Parquet file converted once beforehand.
#
# `convert` writes Parquet (one file, and --partition-by session buckets).
# Its bytes are the same run to run but for one thing: arrow-go writes a
# column chunk's page encoding stats in Go map order, which shows when a
# column's dictionary falls back to PLAIN (the bench fleet's error column).
# When `diff -r` names convert Parquet files, compare those pairs with
#   go run ./scripts/pqsame OLD.parquet NEW.parquet
# which accepts that order and nothing else.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "$1")
OUT=$2
FLEET=${FLEET:-bench/fleet-200000.jsonl}
mkdir -p "$OUT"

inputs=(testdata/*.jsonl)
for d in ingest/*/testdata analyze/testdata ingest/csvfmt/testdata/*.csv; do inputs+=("$d"); done
if [ "$FLEET" != none ]; then inputs+=("$FLEET"); fi
# EXTRA: more inputs, space-separated (e.g. a Parquet file made once by the old binary's convert).
for x in ${EXTRA:-}; do inputs+=("$x"); done

run() { # name, args...
	local name=$1; shift
	local f="$OUT/$name"
	"$BIN" "$@" >"$f" 2>"$f.stderr"
	echo "exit $?" >>"$f.stderr"
	# Drop wall-clock figures: the only output that may differ run to run.
	sed -i -E 's/[0-9.]+ ?(ms|µs|s) elapsed/N elapsed/g' "$f.stderr"
}

for in in "${inputs[@]}"; do
	n=$(echo "$in" | tr '/' '_')
	for fmt in table json markdown csv html; do
		run "$n.analyze.$fmt" analyze -f "$fmt" --group-by workflow "$in"
	done
	run "$n.analyze.sessions" analyze -f json --sessions-out "$OUT/$n.sessions.parquet" "$in"
	run "$n.whatif" whatif --caps 3,5,10,20 --window 4 --route executor=gpt-4o-mini "$in"
	run "$n.whatif.json" whatif -f json --caps 3,5,10,20 "$in"
	run "$n.check" check --max-p95-cost 1 --max-runaway 0 --max-wasted-share 5% "$in"
	run "$n.check.json" check -f json --max-p95-cost 1 --group-by workflow "$in"
	run "$n.ticket" ticket --tasks-per-month 10000 "$in"
	run "$n.convert" convert -o "$OUT/$n.convert.parquet" "$in"
	run "$n.convert.buckets.out" convert --partition-by session --buckets 7 -o "$OUT/$n.convert.buckets" "$in"
	# The same, spilling sorted runs to disk (--memory-limit 1MiB: 256 KiB runs).
	run "$n.convert.spill" convert --memory-limit 1MiB -o "$OUT/$n.convert.spill.parquet" "$in"
done
echo "wrote $(ls "$OUT" | wc -l) files to $OUT"
