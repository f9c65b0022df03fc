#!/bin/bash
# usage: pair-ab.sh <kept bench dir> <gateway dir A> <gateway dir B> <rounds> <seconds> [Full|Summary]
# Both gateways on copies of one store, loaded AT THE SAME TIME by one ab each (-k -c 50): same machine load for both.
# <kept bench dir>: a run of Invoke-GatewayBenchmark.ps1 -Targets gw-100 -Quick -ThroughputOnly -KeepFiles (its store, lab
# certificates and upstream). "new" is A, "old" is B in the output.
W=$1; NEW=$2; OLD=$3; ROUNDS=$4; SECS=$5; VOL=${6:-Full}
R=$(mktemp -d /tmp/pair-ab.XXXXXX)
EDGE='Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0'
# In a subshell: the rounds' 'wait' must not wait for it.
UP=$( (nginx -p $W -c $W/upstream.conf -g 'daemon off;' > $R/upstream.out 2>&1 & echo $!) )
sleep 1
free() { python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
PA=$(free); PB=$(free)
export CASB_GATEWAY_CERTIFICATE_PASSWORD='CasbLab!2026'
start() { # name dll port
  rm -rf $R/store-$1; cp -r $W/store-gw-100 $R/store-$1; rm -rf $R/store-$1/activity
  if [ "$VOL" = Summary ]; then sed -i 's/"activityVolume": *"Full"/"activityVolume": "Summary"/' $R/store-$1/casb.json; fi
  bash -c "ulimit -n 16384; exec dotnet $2 --store $R/store-$1 --urls https://127.0.0.1:$3 --name default --certificate $W/lab/gateway.pfx --log-file $R/$1.gateway.log" > $R/$1.out 2>&1 &
  echo $!
}
PN=$(start new $NEW/CasbGateway.dll $PA); PO=$(start old $OLD/CasbGateway.dll $PB)
sleep 8
grep -o '"activityVolume": *"[A-Za-z]*"' $R/store-new/casb.json
ab1() { bash -c "ulimit -n 16384; exec ab -q -k -c 50 -t $2 -n 100000000 -e $R/ab-$1.csv -H 'User-Agent: $EDGE' -f TLS1.2 -E $W/client.pem https://127.0.0.1:$3/" > $R/ab-$1.txt 2>&1; }
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
jit() { local t; for t in /proc/$1/task/*; do if grep -q 'Tiered Com' $t/comm 2>/dev/null; then sed 's/.*) //' $t/stat | awk '{print $12+$13}'; return; fi; done; echo 0; }
# warm-up: both together until both JIT threads are quiet (under 0.1 s of CPU in 10 s; at most 150 s)
for w in $(seq 1 15); do
  jn=$(jit $PN); jo=$(jit $PO)
  ab1 new 10 $PA & ab1 old 10 $PB & wait
  jn=$(( $(jit $PN) - jn )); jo=$(( $(jit $PO) - jo ))
  echo "warm-up $w: JIT ticks new $jn old $jo"
  if [ $jn -lt 10 ] && [ $jo -lt 10 ] && [ $w -ge 3 ]; then break; fi
done
for i in $(seq 1 $ROUNDS); do
  cn=$(cpu $PN); co=$(cpu $PO)
  ab1 new $SECS $PA & ab1 old $SECS $PB & wait
  cn=$(( $(cpu $PN) - cn )); co=$(( $(cpu $PO) - co ))
  nn=$(grep 'Complete requests' $R/ab-new.txt | awk '{print $3}'); no=$(grep 'Complete requests' $R/ab-old.txt | awk '{print $3}')
  fn=$(grep -E 'Failed requests|Non-2xx' $R/ab-new.txt | awk '{s+=$3} END{print s+0}'); fo=$(grep -E 'Failed requests|Non-2xx' $R/ab-old.txt | awk '{s+=$3} END{print s+0}')
  p99n=$(awk -F, '$1==99{print $2}' $R/ab-new.csv); p99o=$(awk -F, '$1==99{print $2}' $R/ab-old.csv)
  p50n=$(awk -F, '$1==50{print $2}' $R/ab-new.csv); p50o=$(awk -F, '$1==50{print $2}' $R/ab-old.csv)
  python3 -c "print(f'round $i: new {$nn/$SECS:7.0f} req/s CPU {1e4*$cn/$nn:5.1f} us/req p50 {$p50n} p99 {$p99n} | old {$no/$SECS:7.0f} req/s CPU {1e4*$co/$no:5.1f} us/req p50 {$p50o} p99 {$p99o} | new/old req {$nn/$no:.3f} CPU {($cn/$nn)/($co/$no):.3f} (failed {$fn}/{$fo})')"
done
kill -TERM $PN $PO; sleep 3
echo "records: new $(cat $R/store-new/activity/*.jsonl 2>/dev/null | wc -l) old $(cat $R/store-old/activity/*.jsonl 2>/dev/null | wc -l)"
kill -TERM $UP 2>/dev/null
