#!/usr/bin/env bash
# Nightly agent-cost report from cron, e.g.
#   17 4 * * *  /opt/tokcost/nightly.sh /var/log/agent-traces /var/www/tokcost
# Reads TRACES/YYYY-MM-DD/ for yesterday, writes OUT/YYYY-MM-DD/ with the
# HTML, Markdown and JSON reports and the per-session Parquet, keeps the
# JSON as the next night's baseline, and exits 4 when a budget fails (cron
# mails the output). Budgets: OUT/.tokcost.yaml if present, else the flags
# below.
set -euo pipefail

traces=${1:?usage: nightly.sh TRACES_DIR OUT_DIR}
out=${2:?usage: nightly.sh TRACES_DIR OUT_DIR}
day=$(date -u -d yesterday +%F)
in="$traces/$day"
dest="$out/$day"
mkdir -p "$dest"

# One read of the traces: JSON (tomorrow's baseline), HTML, Markdown and the per-session Parquet.
# No record at all (an empty or unreadable day) exits 6 here, before the
# baseline is replaced: a night without traces is an alarm, not a $0 report.
tokcost analyze -q --format json -o "$dest/report.json" --also html="$dest/report.html" \
	--also markdown="$dest/summary.md" --sessions-out "$dest/sessions.parquet" "$in"

budgets=(--max-p95-cost 1.50 --max-runaway 5 --max-wasted-share 10%)
if [[ -f $out/.tokcost.yaml ]]; then
	budgets=(--config "$out/.tokcost.yaml")
fi
if [[ -f $out/baseline.json ]]; then
	tokcost diff --format markdown "$out/baseline.json" "$dest/report.json" > "$dest/diff.md"
	budgets+=(--baseline "$out/baseline.json" --max-regression 15%)
fi

status=0
tokcost check -q --format markdown "${budgets[@]}" "$in" > "$dest/check.md" || status=$?
cp "$dest/report.json" "$out/baseline.json"

case $status in
0) ;;
4) echo "tokcost: budget check failed for $day; see $dest/check.md" >&2; cat "$dest/check.md" >&2 ;;
*) echo "tokcost: check could not run (exit $status)" >&2 ;;
esac
exit "$status"
