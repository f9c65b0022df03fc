#!/bin/bash
# usage: profile-pair.sh <kept bench dir> <gateway dir> <out dir> <store A> <store B> [rounds] [seconds]
# Two gateways of ONE build on two of the kept stores (e.g. store-gw-100 and store-gw-1000 of a run of
# Invoke-GatewayBenchmark.ps1 -Targets gw-100,gw-1000 -KeepFiles), loaded AT THE SAME TIME by one ab -k -c 50 each, so both
# see the same machine load: per round the requests/s and CPU per request of each (and B/A), then perf record -g of both
# for 20 s of a 30-s run, and the samples per 1,000 requests of each by owner (attribute.py) and of our code (ours.py).
# Store B "bare" (with BARE=<path to BareForwarder.dll>) runs the floor instead, for the gateway against it. PERF_HZ: perf's
# sampling rate (499 by default). Each round also prints both processes' context switches per request, and their CPU per
# request by thread name (thread-cpu.py: the background GC's thread, the activity pump, the pool's workers). COUNTERS=1:
# dotnet-counters (System.Runtime, 1 s, csv) on both through the rounds, in <out>/counters-a.csv and counters-b.csv
# (summarize with counters-summary.py); NOPERF=1: no profile.
# PROTO=h2: the load is h2load -c 50 -m 1 through haproxy (HTTP/2 over mTLS to each target, lib.sh's configuration)
# instead of ab.
W=$1; G=$2; OUT=$3; SA=$4; SB=$5; ROUNDS=${6:-4}; SECS=${7:-10}; H=$(cd "$(dirname "$0")" && pwd)
mkdir -p $OUT; R=$OUT
EDGE='Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0'
UP=$( (nginx -p $W -c $W/upstream.conf -g 'daemon off;' > $R/upstream.out 2>&1 & echo $!) )
sleep 1
free() { python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
PA=$(free); PB=$(free)
export CASB_GATEWAY_CERTIFICATE_PASSWORD='CasbLab!2026' DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
start() { # name store port
  if [ "$2" = bare ]; then # the floor instead of a gateway: BARE=<BareForwarder.dll> (its upstream: upstream.conf's first listen)
    local up=$(grep -o 'listen 127.0.0.1:[0-9]*;' $W/upstream.conf | head -1 | grep -o '[0-9]*;' | tr -d ';')
    dotnet $BARE --listen 127.0.0.1:$3 --certificate $W/lab/gateway.pfx --upstream http://127.0.0.1:$up > $R/$1.out 2>&1 &
    echo $!; return
  fi
  rm -rf $R/store-$1; cp -r $W/$2 $R/store-$1; rm -rf $R/store-$1/activity
  bash -c "ulimit -n 16384; exec dotnet $G/CasbGateway.dll --store $R/store-$1 --urls https://127.0.0.1:$3 --name default --certificate $W/lab/gateway.pfx --log-file $R/$1.gateway.log" > $R/$1.out 2>&1 &
  echo $!
}
PIDA=$(start a $SA $PA); PIDB=$(start b $SB $PB)
sleep 8
if [ "$PROTO" = h2 ]; then
  . $H/lib.sh; declare -A FE; FE[$PA]=$(free); FE[$PB]=$(free)
  haproxy_h2 a ${FE[$PA]} $PA b ${FE[$PB]} $PB > $R/haproxy.cfg
  HP=$( (haproxy -db -f $R/haproxy.cfg > $R/haproxy.out 2>&1 & echo $!) ); sleep 1
  ab1() { h2load -c 50 -m 1 -t 1 -D $2 -H "user-agent: $EDGE" http://127.0.0.1:${FE[$3]}/ > $R/ab-$1.txt 2>&1; }
  done_() { grep -o '[0-9]* succeeded' $R/ab-$1.txt | awk '{print $1}'; }
else
ab1() { bash -c "ulimit -n 16384; exec ab -q -k -c 50 -t $2 -n 100000000 -H 'User-Agent: $EDGE' -f TLS1.2 -E $W/client.pem https://127.0.0.1:$3/" > $R/ab-$1.txt 2>&1; }
done_() { grep 'Complete requests' $R/ab-$1.txt | awk '{print $3}'; }
fi
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
# context switches of every thread of the process (voluntary: it blocked or handed off; nonvoluntary: preempted)
ctx() { cat /proc/$1/task/*/status 2>/dev/null | awk '/^voluntary_ctxt/{v+=$2} /^nonvoluntary_ctxt/{n+=$2} END{print v, n}'; }
jit() { local t; for t in /proc/$1/task/*; do if grep -q 'Tiered Com' $t/comm 2>/dev/null; then sed 's/.*) //' $t/stat | awk '{print $12+$13}'; return; fi; done; echo 0; }
for w in $(seq 1 15); do
  ja=$(jit $PIDA); jb=$(jit $PIDB); ab1 a 10 $PA & ab1 b 10 $PB & wait
  ja=$(( $(jit $PIDA) - ja )); jb=$(( $(jit $PIDB) - jb )); echo "warm-up $w: JIT ticks A $ja B $jb"
  if [ $ja -lt 10 ] && [ $jb -lt 10 ] && [ $w -ge 3 ]; then break; fi
done
if [ -n "$COUNTERS" ]; then
  for x in a b; do
    p=$PIDA; [ $x = b ] && p=$PIDB
    d=$(( ROUNDS * (SECS + 5) + 20 )); d=$(printf '%02d:%02d:%02d' $((d / 3600)) $((d / 60 % 60)) $((d % 60)))
    (cd $H/../.. && exec dotnet dotnet-counters collect -p $p --refresh-interval 1 --format csv --counters System.Runtime --duration $d -o $R/counters-$x.csv > $R/counters-$x.log 2>&1) &
    eval CP$x=\$!
  done
  sleep 15  # attached (it takes seconds on a busy machine) before the first round
fi
for i in $(seq 1 $ROUNDS); do
  python3 $H/thread-cpu.py snap $PIDA > $R/threads-a0; python3 $H/thread-cpu.py snap $PIDB > $R/threads-b0
  # wait for the two clients only: a plain wait would wait for dotnet-counters too
  ca=$(cpu $PIDA); cb=$(cpu $PIDB); xa=($(ctx $PIDA)); xb=($(ctx $PIDB)); ab1 a $SECS $PA & c1=$!; ab1 b $SECS $PB & c2=$!; wait $c1 $c2
  python3 $H/thread-cpu.py snap $PIDA > $R/threads-a1; python3 $H/thread-cpu.py snap $PIDB > $R/threads-b1
  ca=$(( $(cpu $PIDA) - ca )); cb=$(( $(cpu $PIDB) - cb )); na=$(done_ a); nb=$(done_ b); ya=($(ctx $PIDA)); yb=($(ctx $PIDB))
  python3 -c "print(f'round $i: A $SA {$na/$SECS:7.0f} req/s CPU {1e4*$ca/$na:5.1f} us/req | B $SB {$nb/$SECS:7.0f} req/s CPU {1e4*$cb/$nb:5.1f} us/req | B/A req {$nb/$na:.3f} CPU {($cb/$nb)/($ca/$na):.3f} | context switches per request (voluntary+nonvoluntary) A {(${ya[0]}-${xa[0]})/$na:.3f}+{(${ya[1]}-${xa[1]})/$na:.3f} B {(${yb[0]}-${xb[0]})/$nb:.3f}+{(${yb[1]}-${xb[1]})/$nb:.3f}')"
  echo "  CPU us/req by thread: A $(python3 $H/thread-cpu.py diff $R/threads-a0 $R/threads-a1 $na)"
  echo "                        B $(python3 $H/thread-cpu.py diff $R/threads-b0 $R/threads-b1 $nb)"
done
if [ -n "$COUNTERS" ]; then wait $CPa $CPb; fi  # they stop by themselves (--duration), after the rounds
if [ -z "$NOPERF" ]; then
  ab1 a 30 $PA & ab1 b 30 $PB & sleep 5
  perf record -g -F ${PERF_HZ:-499} -p $PIDA,$PIDB -o $R/perf.data -- sleep 20 > $R/perf.log 2>&1; wait
  na=$(done_ a); nb=$(done_ b); echo "profiled run: A $na requests, B $nb requests in 30 s"
  perf script -i $R/perf.data -F comm,pid,ip,sym,dso 2>/dev/null > $R/script.txt
  python3 - $R/script.txt $PIDA $PIDB $R <<'PY'
import sys
path, a, b, r = sys.argv[1:]
outs = {a: open(f'{r}/script-a.txt', 'w'), b: open(f'{r}/script-b.txt', 'w')}
cur = None
for line in open(path):
    if line.strip() and line[0] not in ' \t':
        parts = line.split()
        cur = outs.get(next((p for p in parts if p.isdigit()), ''), None)
    if cur: cur.write(line)
PY
  for x in a b; do
    echo "== $x: $(grep -c '^[^ \t]' $R/script-$x.txt) samples"
    python3 $H/attribute.py < $R/script-$x.txt > $R/attr-$x.txt; python3 $H/ours.py < $R/script-$x.txt > $R/ours-$x.txt
  done
fi
kill -TERM $PIDA $PIDB; sleep 3
kill -TERM $UP ${HP:-} 2>/dev/null
