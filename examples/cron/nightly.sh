#!/usr/bin/env bash
# Nightly agent-cost report from cron, e.g.
#   17 4 * * *  /opt/tokcost/nightly.sh /var/log/agent-traces /var/www/tokcost
# Reads TRACES/YYYY-MM-DD/ for yesterday (DAY=YYYY-MM-DD to backfill another
# day), writes OUT/YYYY-MM-DD/ with the HTML, Markdown and JSON reports and
# the per-session Parquet. OUT/*/report.json is the history: the budget
# check compares tonight's P95 with the median of the last 7 nights, and
# OUT/trend.html and OUT/trend.md follow every night in it. Exits 4 when a
# budget fails (cron mails the output). Budgets: OUT/.tokcost.yaml if
# present, else the flags below; MAX_P95_RISE (default 20%) sets the rise.
set -euo pipefail

traces=${1:?usage: nightly.sh TRACES_DIR OUT_DIR}
out=${2:?usage: nightly.sh TRACES_DIR OUT_DIR}
day=${DAY:-$(date -u -d yesterday +%F)}
in="$traces/$day"
dest="$out/$day"
mkdir -p "$dest"

# One read of the traces: JSON (the history), HTML, Markdown and the per-session Parquet.
# No record at all (an empty or unreadable day) exits 6 here, before anything
# is written: a night without traces is an alarm, not a $0 report.
tokcost analyze -q --format json -o "$dest/report.json" --also html="$dest/report.html" \
	--also markdown="$dest/summary.md" --sessions-out "$dest/sessions.parquet" "$in"

budgets=(--max-p95-cost 1.50 --max-runaway 5 --max-wasted-share 10%)
if [[ -f $out/.tokcost.yaml ]]; then
	budgets=(--config "$out/.tokcost.yaml")
fi
# Against the trailing median of the earlier nights, not last night alone:
# one noisy night does not fail the check. (The first night has no history;
# tokcost says so and checks the other budgets.)
budgets+=(--history "$out" --max-p95-rise "${MAX_P95_RISE:-20%}")
if [[ -f $out/baseline.json ]]; then
	tokcost diff --format markdown "$out/baseline.json" "$dest/report.json" > "$dest/diff.md"
fi

status=0
tokcost check -q --format markdown "${budgets[@]}" "$in" > "$dest/check.md" || status=$?
cp "$dest/report.json" "$out/baseline.json"

# The series so far: sparklines for a summary mail, charts for the browser.
tokcost trend --format markdown -o "$out/trend.md" "$out" || echo "tokcost: trend failed" >&2
tokcost trend --format html -o "$out/trend.html" "$out" || echo "tokcost: trend failed" >&2

case $status in
0) ;;
4) echo "tokcost: budget check failed for $day; see $dest/check.md" >&2; cat "$dest/check.md" >&2 ;;
*) echo "tokcost: check could not run (exit $status)" >&2 ;;
esac
exit "$status"
