#!/bin/bash
# usage: BENCH=<kept bench dir> soak.sh [seconds] [connections]
# The soak of issue 8: one gateway on a copy of the kept run's store-gw-100 (activity volume Full), 30 s of ab -k -c 50
# to warm up, then <seconds> (300) of ab -k -c <connections> (500) over HTTP/1.1 keep-alive mTLS, then 90 s idle; the
# gateway's threads and RSS every 5 s from /proc, ab's figures, and the records written against the requests counted.
# BENCH as in h1targets.py (Invoke-GatewayBenchmark.ps1 -KeepFiles); the gateway is out/CasbModule/gateway unless GW=<dll>.
# docs/benchmarks.md, "Eleventh pass".
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
W=$BENCH; O=$(mktemp -d /tmp/soak-XXXXXX); G=${GW:-$REPO/out/CasbModule/gateway/CasbGateway.dll}
SECONDS_=${1:-300}; CONNECTIONS=${2:-500}
EDGE='Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0'
export CASB_GATEWAY_CERTIFICATE_PASSWORD='CasbLab!2026'
rm -rf $O/store; cp -r $W/store-gw-100 $O/store; rm -rf $O/store/activity/*
nginx -p $W -c $W/upstream.conf -g 'daemon off;' > $O/up.out 2>&1 & UP=$!
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
bash -c "ulimit -n 16384; exec dotnet $G --store $O/store --urls https://127.0.0.1:$PORT --name default --certificate $W/lab/gateway.pfx --log-file $O/gw.log" > $O/gw.out 2>&1 & GWP=$!
sleep 8
PID=$(pgrep -f "CasbGateway.dll --store $O/store" | head -1)
sample() { echo "$(date -u +%T) $1 threads $(awk '/^Threads/{print $2}' /proc/$PID/status) rss_mb $(awk '/^VmRSS/{printf "%d", $2/1024}' /proc/$PID/status) load $(cut -d' ' -f1 /proc/loadavg)"; }
sample idle
# warm-up 30 s with 50 connections
bash -c "ulimit -n 16384; ab -q -k -c 50 -t 30 -n 100000000 -H 'User-Agent: $EDGE' -f TLS1.2 -E $W/client.pem https://127.0.0.1:$PORT/" > $O/warm.txt 2>&1
sample after-warm-up
bash -c "ulimit -n 16384; ab -q -k -c $CONNECTIONS -t $SECONDS_ -n 100000000 -H 'User-Agent: $EDGE' -f TLS1.2 -E $W/client.pem https://127.0.0.1:$PORT/" > $O/soak.txt 2>&1 & AB=$!
while kill -0 $AB 2>/dev/null; do sleep 5; sample load; done
for i in $(seq 18); do sleep 5; sample after; done
curl -sk --cert $W/client.pem https://127.0.0.1:$PORT/metrics -o $O/metrics.txt
kill $GWP; sleep 3; kill $UP
grep -E "Complete requests|Failed requests|Non-2xx|Requests per second|99%" $O/soak.txt
echo "records: $(cat $O/store/activity/*.jsonl | wc -l); requests counted: $(grep -o 'casb_gateway_requests_total{[^}]*} [0-9]*' $O/metrics.txt | awk '{s+=$NF} END {print s}')"
echo "out $O"
rm -rf $O/store
