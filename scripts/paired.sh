#!/usr/bin/env bash
# Paired end-to-end comparison of two tokcost binaries (docs/performance.md,
# "Session 8: paired bench"): `analyze -f json` of each input by OLD and NEW,
# one run at a time, the order swapped every round, GNU time's wall, CPU
# (user+sys) and peak RSS printed per run with the load average.
#
# Usage: scripts/paired.sh OLD NEW ROUNDS INPUT...   (files or directories)
# The inputs of the documented runs: bench/fleet-200000.jsonl, its first
# 0.1 and 0.5 GB (scripts/bench.sh cuts them), the 0.1 GB prefix as OTLP/JSON
# (scripts/otlp_from_jsonl.py), its first 100,000 lines as 5,000 files of 20
# lines, and `tokcost convert` of the fleet. Before comparing peak RSS, drop
# both binaries' pages from the page cache (the recipe under "Reproduce").
set -euo pipefail
old=$1 new=$2 rounds=$3
shift 3
t=$(mktemp)
trap 'rm -f "$t"' EXIT
echo "round input side wall_s cpu_s maxrss_kb exit load1"
for r in $(seq "$rounds"); do
	for in in "$@"; do
		sides="old new"
		if [ $((r % 2)) = 0 ]; then sides="new old"; fi
		for side in $sides; do
			bin=$old
			if [ "$side" = new ]; then bin=$new; fi
			/usr/bin/time -f "%e %U %S %M %x" -o "$t" "$bin" analyze -f json "$in" >/dev/null 2>&1 || true
			read -r e u s m x <"$t"
			echo "$r $(basename "$in") $side $e $(awk -v u="$u" -v s="$s" 'BEGIN{print u+s}') $m $x $(cut -d' ' -f1 /proc/loadavg)"
		done
	done
done
