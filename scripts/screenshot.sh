#!/usr/bin/env bash
# Render an HTML report and screenshot it in headless Chromium, to look at
# the charts as a browser draws them.
#   scripts/screenshot.sh [REPORT.html] [OUT.png]
# Without REPORT.html it writes one from the real Claude Code transcripts
# in ingest/claudecode/testdata (sources in SOURCES.md there); SAMPLE=fleet
# uses the generated testdata/fleet.jsonl instead (it has runaway loops).
# Needs Debian's chromium: apt-get update && apt-get install -y chromium
set -euo pipefail
cd "$(dirname "$0")/.."
html=${1:-}
out=${2:-screenshot.png}
if [[ -z $html ]]; then
	html=$(mktemp --suffix=.html)
	if [[ ${SAMPLE:-real} == fleet ]]; then
		go run ./cmd/tokcost analyze -q --format html -o "$html" testdata/fleet.jsonl
	else
		go run ./cmd/tokcost analyze -q --format html -o "$html" ingest/claudecode/testdata/*.jsonl
	fi
fi
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [[ -z $browser ]]; then
	echo "screenshot.sh: no chromium found (apt-get install -y chromium)" >&2
	exit 1
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$profile" --screenshot="$out" --window-size=1280,${HEIGHT:-4200} \
	"file://$(realpath "$html")" >/dev/null 2>&1
echo "$out"
