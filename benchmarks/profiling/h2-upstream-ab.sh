#!/bin/bash
# usage: h2-upstream-ab.sh <kept bench dir> <out dir> [rounds] [seconds]
# nginx (the anchor), the floor and the built gateway (kept gw-100 store, Full) behind one haproxy in two upstream
# modes, rounds interleaved (mode order alternating): "one" = alpn h2 + proto h2, http-reuse always, as the benchmark
# (all 50 streams on one connection to the target); "fifty" = http-reuse never (one upstream connection per h2load
# connection, one stream each). Per run: req/s, p50/p99, the target's CPU us/req (nginx: master and workers), and
# haproxy's established connections to the target 2 s into the run. <kept bench dir>: Invoke-GatewayBenchmark.ps1
# -Targets nginx,bare,gw-100 -KeepFiles (its nginx.conf, upstream.conf, store-gw-100, client.pem, lab).
W=$1; R=$2; ROUNDS=${3:-6}; SECS=${4:-8}; mkdir -p $R
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"
UP=$( (nginx -p $W -c $W/upstream.conf -g 'daemon off;' > $R/upstream.out 2>&1 & echo $!) )
NG=$( (nginx -p $W -c $W/nginx.conf -g 'daemon off;' > $R/nginx.out 2>&1 & echo $!) )
NGP=$(sed -n 's/.*listen 127.0.0.1:\([0-9]*\) ssl.*/\1/p' $W/nginx.conf)
PB=$(free); PG=$(free)
start_target bare $PB $R/bare; BP=$STARTED
copy_store $R/store; start_target gw $PG $R/gw $R/store; GP=$STARTED
declare -A FE PORT PIDS
PORT[n]=$NGP; PORT[b]=$PB; PORT[g]=$PG
{ printf 'global\n    maxconn 4000\n    nbthread 1\ndefaults\n    mode http\n    timeout connect 5s\n    timeout client 60s\n    timeout server 60s\n'
for t in n b g; do for m in one fifty; do
  FE[$t$m]=$(free)
  if [ $m = one ]; then reuse=always; opt="proto h2"; else reuse=never; opt=""; fi
  printf 'frontend fe%s\n    bind 127.0.0.1:%s proto h2\n    default_backend be%s\nbackend be%s\n    http-reuse %s\n    http-request set-uri https://%%[req.hdr(host)]%%[pathq]\n    server s 127.0.0.1:%s ssl crt %s verify none alpn h2 %s sni str(localhost)\n' $t$m ${FE[$t$m]} $t$m $t$m $reuse ${PORT[$t]} $W/client.pem "$opt"
done; done; } > $R/haproxy.cfg
sleep 8
HP=$( (haproxy -db -f $R/haproxy.cfg > $R/haproxy.out 2>&1 & echo $!) ); sleep 1
cpu() { if [ $1 = n ]; then for p in $(pgrep -f "nginx.*$W/nginx.conf") $(pgrep -P $NG); do awk '{print $14+$15}' /proc/$p/stat; done | sort -u | awk '{s+=$1} END{print s}'; elif [ $1 = b ]; then awk '{print $14+$15}' /proc/$BP/stat; else awk '{print $14+$15}' /proc/$GP/stat; fi; }
run() { # target mode secs
  rm -f $R/h2.log
  local c0=$(cpu $1)
  h2load -c 50 -m 1 -t 1 -D $3 -H "user-agent: $EDGE" --log-file $R/h2.log http://127.0.0.1:${FE[$1$2]}/ > $R/h2.txt 2>&1 &
  local L=$! s=""; sleep 2; s=$(ss -tnH state established "( dport = :${PORT[$1]} )" | wc -l); wait $L
  local c1=$(cpu $1) n=$(grep -o '[0-9]* succeeded' $R/h2.txt | awk '{print $1}')
  echo "$1 $2 $(python3 -c "print(f'{$n/$3:7.0f} req/s CPU {1e4*($c1-$c0)/max($n,1):6.1f} us/req')") $(cut -f3 $R/h2.log | sort -n | awk '{a[NR]=$1} END{printf "p50 %.1f p99 %.1f", a[int(NR*0.5)]/1000, a[int(NR*0.99)]/1000}') conns $s load $(cut -d' ' -f1 /proc/loadavg)"
}
# warm-up: three 5-s runs of each, so the gateway's JIT is quiet before the rounds
for w in 1 2 3; do for t in n b g; do for m in one fifty; do run $t $m 5 > /dev/null; done; done; done
for i in $(seq 1 $ROUNDS); do
  if [ $((i % 2)) = 1 ]; then ms="one fifty"; else ms="fifty one"; fi
  for t in n b g; do for m in $ms; do echo "round $i $(run $t $m $SECS)"; done; done
done
kill -TERM $BP $GP $HP $UP $NG; sleep 2
