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
EDGE='Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0'
UP=$( (nginx -p $W -c $W/upstream.conf -g 'daemon off;' > $R/upstream.out 2>&1 & echo $!) )
sleep 1
free() { python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
PA=$(free)
export CASB_GATEWAY_CERTIFICATE_PASSWORD='CasbLab!2026'
for kv in "$@"; do export "$kv"; done
if [ "$KIND" = bare ]; then
  up=$(grep -o 'listen 127.0.0.1:[0-9]*;' $W/upstream.conf | head -1 | grep -o '[0-9]*;' | tr -d ';')
  bash -c "ulimit -n 16384; exec dotnet $REPO/benchmarks/BareForwarder/bin/Release/net10.0/BareForwarder.dll --listen 127.0.0.1:$PA --certificate $W/lab/gateway.pfx --upstream http://127.0.0.1:$up" > $R/bare.out 2>&1 &
else
  rm -rf $R/store; cp -r $W/store-gw-100 $R/store; rm -rf $R/store/activity
  if [ "${VOL:-Full}" = Summary ]; then sed -i 's/"activityVolume": *"Full"/"activityVolume": "Summary"/' $R/store/casb.json; fi
  bash -c "ulimit -n 16384; exec dotnet $REPO/out/CasbModule/gateway/CasbGateway.dll --store $R/store --urls https://127.0.0.1:$PA --name default --certificate $W/lab/gateway.pfx --log-file $R/gw.log" > $R/gw.out 2>&1 &
fi
P=$!; sleep 8
ab1() { bash -c "ulimit -n 16384; exec ab -q -k -c 50 -t $1 -n 100000000 -e $R/ab.csv -H 'User-Agent: $EDGE' -f TLS1.2 -E $W/client.pem https://127.0.0.1:$PA/" > $R/ab.txt 2>&1; }
jit() { local t; for t in /proc/$P/task/*; do if grep -q 'Tiered Com' $t/comm 2>/dev/null; then sed 's/.*) //' $t/stat | awk '{print $12+$13}'; return; fi; done; echo 0; }
for w in $(seq 1 20); do j=$(jit); ab1 8; j=$(( $(jit) - j )); echo "warm $w jit $j"; [ $j -lt 10 ] && [ $w -ge 3 ] && break; done
if [ "${PROTO:-h1}" = h2 ]; then
  FE=$(free)
  printf 'global\n    maxconn 4000\n    nbthread 1\ndefaults\n    mode http\n    timeout connect 5s\n    timeout client 60s\n    timeout server 60s\n    http-reuse always\nfrontend fe\n    bind 127.0.0.1:%s proto h2\n    default_backend be\nbackend be\n    http-request set-uri https://%%[req.hdr(host)]%%[pathq]\n    server s 127.0.0.1:%s ssl crt %s verify none alpn h2 sni str(localhost)\n' $FE $PA $W/client.pem > $R/haproxy.cfg
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
