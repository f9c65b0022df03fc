#!/bin/bash
# usage: env-ab.sh <kept bench dir> <bare|gw> <out dir> <rounds> <secs> "<env A>" "<env B>"
# Two targets of one build (A, B: each with its own environment, e.g. "" and "DOTNET_GCgen0size=0x40000000"), interleaved
# round by round (order alternating): ab -k -c 50 (HTTP/1.1) then h2load -c 50 -m 1 through haproxy (HTTP/2) on each;
# per round req/s, p50/p99 and CPU us/req; RSS and threads at the end. For the floor, where the benchmark's
# -VariantEnvironment (gateway targets only) does not reach. <kept bench dir>: as measure-gc.sh's.
W=$1; KIND=$2; OUT=$3; ROUNDS=$4; SECS=$5; ENVA=$6; ENVB=$7; mkdir -p $OUT; R=$OUT
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"
UP=$( (nginx -p $W -c $W/upstream.conf -g 'daemon off;' > $R/upstream.out 2>&1 & echo $!) )
sleep 1
declare -A PORT PID FE
start() { # name env
  PORT[$1]=$(free)
  [ "$KIND" = bare ] || copy_store $R/store-$1
  start_target $KIND ${PORT[$1]} $R/$1 $R/store-$1 "$2"
  PID[$1]=$STARTED
}
start A "$ENVA"; start B "$ENVB"
FEA=$(free); FEB=$(free); FE[A]=$FEA; FE[B]=$FEB
haproxy_h2 A ${FE[A]} ${PORT[A]} B ${FE[B]} ${PORT[B]} > $R/haproxy.cfg
sleep 8
HP=$( (haproxy -db -f $R/haproxy.cfg > $R/haproxy.out 2>&1 & echo $!) ); sleep 1
h1() { bash -c "ulimit -n 16384; exec ab -q -k -c 50 -t $2 -n 100000000 -e $R/ab-$1.csv -H 'User-Agent: $EDGE' -f TLS1.2 -E $W/client.pem https://127.0.0.1:${PORT[$1]}/" > $R/ab-$1.txt 2>&1; }
h2() { rm -f $R/h2-$1.log; h2load -c 50 -m 1 -t 1 -D $2 -H "user-agent: $EDGE" --log-file $R/h2-$1.log http://127.0.0.1:${FE[$1]}/ > $R/h2-$1.txt 2>&1; }
cpu() { awk '{print $14+$15}' /proc/${PID[$1]}/stat; }
for w in $(seq 1 12); do
  ja=$(jit ${PID[A]}); jb=$(jit ${PID[B]}); h1 A 6; h1 B 6; h2 A 4; h2 B 4
  ja=$(( $(jit ${PID[A]}) - ja )); jb=$(( $(jit ${PID[B]}) - jb )); echo "warm-up $w: JIT ticks A $ja B $jb"
  if [ $ja -lt 10 ] && [ $jb -lt 10 ] && [ $w -ge 2 ]; then break; fi
done
one() { # name proto
  local c0=$(cpu $1) n line
  if [ $2 = h1 ]; then h1 $1 $SECS; n=$(grep 'Complete requests' $R/ab-$1.txt | awk '{print $3}')
    line="$(awk -F, '$1==50{a=$2} $1==99{b=$2} END{printf "p50 %.1f p99 %.1f", a, b}' $R/ab-$1.csv) fail $(grep -E 'Failed requests|Non-2xx' $R/ab-$1.txt | awk '{s+=$3} END{print s+0}')"
  else h2 $1 $SECS; n=$(grep -o '[0-9]* succeeded' $R/h2-$1.txt | awk '{print $1}')
    line="$(cut -f3 $R/h2-$1.log | sort -n | awk '{a[NR]=$1} END{printf "p50 %.1f p99 %.1f", a[int(NR*0.5)]/1000, a[int(NR*0.99)]/1000}') fail $(grep -o '[0-9]* failed' $R/h2-$1.txt | awk '{print $1}')"
  fi
  local c1=$(cpu $1)
  echo "$2 $1 $(python3 -c "print(f'{$n/$SECS:7.0f} req/s CPU {1e4*($c1-$c0)/$n:5.1f} us/req')") $line"
}
for i in $(seq 1 $ROUNDS); do
  if [ $((i % 2)) = 1 ]; then o="A B"; else o="B A"; fi
  for p in h1 h2; do for n in $o; do echo "round $i $(one $n $p)"; done; done
done
for n in A B; do echo "$n: RSS $(awk '/VmRSS/{print int($2/1024)}' /proc/${PID[$n]}/status) MB, threads $(ls /proc/${PID[$n]}/task | wc -l)"; done
kill -TERM ${PID[A]} ${PID[B]} $HP $UP 2>/dev/null; sleep 2
