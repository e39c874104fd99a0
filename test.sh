#!/usr/bin/env bash
# Runs the whole test suite. Default: everything except [Category("Slow")]; --all adds the slow ones (CI).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/ensure-deps.sh

filter="Category!=Slow"
if [ "${1:-}" = "--all" ]; then
  filter=""
  shift
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test Mpq.slnx -c Release ${filter:+--filter "$filter"} "$@" 2>&1 | tee "$log" || status=$?

# One closing line for people and CI: totals over every test project.
awk '/(Passed|Failed)! +- Failed: /{ gsub(",", ""); for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit $status
