#!/bin/bash
# usage: [H2_UPSTREAM=never] h2-build-ab.sh <kept bench dir> <out dir> <gateway dll A> <gateway dll B> [rounds] [seconds]
# Two gateway builds on copies of the kept gw-100 store (Full) behind one haproxy (lib.sh's configuration: one upstream
# connection each, or H2_UPSTREAM=never: fifty of one stream each), h2load -c 50 -m 1 on each in turn, rounds
# interleaved (order alternating): per run req/s, p50/p99, CPU us/req, haproxy's connections to it; RSS at the end.
W=$1; R=$2; DA=$3; DB=$4; ROUNDS=${5:-6}; SECS=${6:-8}; mkdir -p $R
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"
UP=$( (nginx -p $W -c $W/upstream.conf -g 'daemon off;' > $R/upstream.out 2>&1 & echo $!) )
declare -A PORT PID FE
for n in A B; do
  PORT[$n]=$(free); FE[$n]=$(free); copy_store $R/store-$n
  if [ $n = A ]; then GATEWAY_DLL=$DA; else GATEWAY_DLL=$DB; fi
  start_target gw ${PORT[$n]} $R/$n $R/store-$n; PID[$n]=$STARTED
done
haproxy_h2 A ${FE[A]} ${PORT[A]} B ${FE[B]} ${PORT[B]} > $R/haproxy.cfg
sleep 8
HP=$( (haproxy -db -f $R/haproxy.cfg > $R/haproxy.out 2>&1 & echo $!) ); sleep 1
cpu() { awk '{print $14+$15}' /proc/${PID[$1]}/stat; }
run() { # name secs
  rm -f $R/h2.log; local c0=$(cpu $1)
  h2load -c 50 -m 1 -t 1 -D $2 -H "user-agent: $EDGE" --log-file $R/h2.log http://127.0.0.1:${FE[$1]}/ > $R/h2.txt 2>&1
  local c1=$(cpu $1) n=$(grep -o '[0-9]* succeeded' $R/h2.txt | awk '{print $1}')
  echo "$1 $(python3 -c "print(f'{$n/$2:7.0f} req/s CPU {1e4*($c1-$c0)/max($n,1):6.1f} us/req')") $(cut -f3 $R/h2.log | sort -n | awk '{a[NR]=$1} END{printf "p50 %.1f p99 %.1f", a[int(NR*0.5)]/1000, a[int(NR*0.99)]/1000}') conns $(ss -tnH state established "( dport = :${PORT[$1]} )" | wc -l) load $(cut -d' ' -f1 /proc/loadavg)"
}
for w in 1 2 3; do run A 6 > /dev/null; run B 6 > /dev/null; done
for i in $(seq 1 $ROUNDS); do
  if [ $((i % 2)) = 1 ]; then o="A B"; else o="B A"; fi
  for n in $o; do echo "round $i $(run $n $SECS)"; done
done
for n in A B; do echo "$n: RSS $(awk '/VmRSS/{print int($2/1024)}' /proc/${PID[$n]}/status) MB"; done
kill -TERM ${PID[A]} ${PID[B]} $HP $UP 2>/dev/null; sleep 2
