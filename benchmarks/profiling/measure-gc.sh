#!/bin/bash
# usage: [PROTO=h2] [VOL=Summary] measure-gc.sh <kept bench dir> <bare|gw> <out dir> [VAR=value ...]
# The anatomy of the GC pauses under the benchmark's load: one target (the floor, or the built gateway on the kept
# gw-100 store, Full or VOL=Summary; VAR=value: its environment) under ab -k -c 50 (PROTO=h2: h2load -c 50 -m 1 through
# haproxy) until its JIT is quiet, then a 30-s run with, for 20 s of it, dotnet-trace (GC keyword, informational),
# and thread-states.py; GcPauses (build it first: dotnet build benchmarks/profiling/GcPauses -c Release)
# splits each pause. <kept bench dir>: a run of Invoke-GatewayBenchmark.ps1 -Targets gw-100 -Quick -ThroughputOnly
# -KeepFiles.
W=$1; KIND=$2; OUT=$3; shift 3; mkdir -p $OUT; R=$OUT
H=$(cd "$(dirname "$0")" && pwd); REPO=$(cd $H/../.. && pwd)
. $H/lib.sh
UP=$( (nginx -p $W -c $W/upstream.conf -g 'daemon off;' > $R/upstream.out 2>&1 & echo $!) )
sleep 1
PA=$(free)
for kv in "$@"; do export "$kv"; done
if [ "$KIND" != bare ]; then
  copy_store $R/store
  if [ "${VOL:-Full}" = Summary ]; then sed -i 's/"activityVolume": *"Full"/"activityVolume": "Summary"/' $R/store/casb.json; fi
fi
start_target $KIND $PA $R/$KIND $R/store
P=$STARTED; sleep 8
ab1() { bash -c "ulimit -n 16384; exec ab -q -k -c 50 -t $1 -n 100000000 -e $R/ab.csv -H 'User-Agent: $EDGE' -f TLS1.2 -E $W/client.pem https://127.0.0.1:$PA/" > $R/ab.txt 2>&1; }
for w in $(seq 1 20); do j=$(jit $P); ab1 8; j=$(( $(jit $P) - j )); echo "warm $w jit $j"; [ $j -lt 10 ] && [ $w -ge 3 ] && break; done
if [ "${PROTO:-h1}" = h2 ]; then
  FE=$(free)
  haproxy_h2 "" $FE $PA > $R/haproxy.cfg
  HP=$( (haproxy -db -f $R/haproxy.cfg > $R/haproxy.out 2>&1 & echo $!) ); sleep 1
  ab1() { rm -f $R/h2.log; h2load -c 50 -m 1 -t 1 -D $1 -H "user-agent: $EDGE" --log-file $R/h2.log http://127.0.0.1:$FE/ > $R/ab.txt 2>&1; }
  ab1 10
fi
c0=$(awk '{print $14+$15}' /proc/$P/stat)
ab1 30 & A=$!; sleep 4
(cd $REPO && dotnet dotnet-trace collect -p $P --providers Microsoft-Windows-DotNETRuntime:0x1:4 --duration 00:00:00:20 -o $R/gc.nettrace > $R/trace.log 2>&1) &
T=$!
python3 $H/thread-states.py $P 20 > $R/threads.txt
wait $T; wait $A
c1=$(awk '{print $14+$15}' /proc/$P/stat)
if [ "${PROTO:-h1}" = h2 ]; then
  n=$(grep -o '[0-9]* succeeded' $R/ab.txt | awk '{print $1}')
  echo "h2 $(grep -o 'finished in.*req/s' $R/ab.txt) CPU $(python3 -c "print(round(1e4*($c1-$c0)/$n,1))") us/req; $(grep -E '^requests:' $R/ab.txt)" > $R/summary.txt
  kill -TERM $HP
else
  n=$(grep 'Complete requests' $R/ab.txt | awk '{print $3}')
  echo "$(grep 'Requests per second' $R/ab.txt) CPU $(python3 -c "print(round(1e4*($c1-$c0)/$n,1))") us/req; p50/p99 $(awk -F, '$1==50||$1==99{printf "%s ", $2}' $R/ab.csv)" > $R/summary.txt
  grep -E 'Failed|Non-2xx' $R/ab.txt >> $R/summary.txt
fi
dotnet $H/GcPauses/bin/Release/net10.0/GcPauses.dll $R/gc.nettrace $R/pauses.txt > $R/gc.txt
[ "${PROTO:-h1}" = h2 ] && python3 $H/gc-overlap.py $R/h2.log $R/pauses.txt >> $R/summary.txt
kill -TERM $P; kill -TERM $UP 2>/dev/null; sleep 1
cat $R/summary.txt $R/threads.txt
