#!/usr/bin/env bash
# Attaches dotnet-counters (System.Runtime, 1 s ticks, csv) to every .NET target of ONE benchmark run while it runs:
# the run is the first /tmp/casb-bench-* folder made after this script starts (start it just before
# Invoke-GatewayBenchmark.ps1). One csv per target in <out>: <target>.csv (bare, gw-100, gw-100-variant, ...).
# Summarize with counters-summary.py. Usage: counters-sidecar.sh <out dir> (run from the repository, for the tool manifest).
set -euo pipefail
out=$1; mkdir -p "$out"
marker=$(mktemp); sleep 1
work=""
for _ in $(seq 1 600); do
  work=$(find /tmp -maxdepth 1 -name 'casb-bench-*' -newer "$marker" -type d | head -1)
  [[ -n $work ]] && break; sleep 1
done
[[ -n $work ]] || { echo "no benchmark folder appeared" >&2; exit 1; }
echo "run: $work" > "$out/run.txt"
declare -A seen
# Targets start one after another; keep looking until the run's folder is gone or 40 minutes passed.
for _ in $(seq 1 1200); do
  [[ -d $work ]] || break
  for pid in $(pgrep -f "$work" || true); do
    [[ -n ${seen[$pid]:-} ]] && continue
    cmd=$(tr '\0' ' ' < /proc/$pid/cmdline 2>/dev/null || true)
    name=""
    if [[ $cmd == *BareForwarder.dll* ]]; then name=bare
    elif [[ $cmd =~ --store\ $work/store-([^ ]+) ]]; then name=${BASH_REMATCH[1]}
    else continue; fi
    seen[$pid]=1
    sleep 2
    dotnet dotnet-counters collect -p "$pid" --refresh-interval 1 --format csv --counters System.Runtime -o "$out/$name.csv" > "$out/$name.counters.log" 2>&1 &
  done
  sleep 2
done
wait
