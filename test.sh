#!/usr/bin/env bash
# Runs the whole test suite. Default: everything except [Category("Slow")]; --all adds the slow ones (CI).
# One test project at a time: the hardware-in-the-loop tests run real processes against wall-clock watchdogs,
# and a CPU-heavy project running beside them on a 2-core machine starves those processes for hundreds of ms.
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
dotnet build Mpq.slnx -c Release 2>&1 | tee "$log" || status=$?
if [ "$status" -eq 0 ]; then
  mapfile -t projects < <(sed -n 's/.*Project Path="\([^"]*[Tt]ests\/[^"]*\.csproj\)".*/\1/p' Mpq.slnx)
  for project in "${projects[@]}"; do
    dotnet test "$project" -c Release --no-build ${filter:+--filter "$filter"} "$@" 2>&1 | tee -a "$log" || status=1
  done
fi

# One closing line for people and CI: totals over every test project.
awk '/(Passed|Failed)! +- Failed: /{ gsub(",", ""); for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit $status
