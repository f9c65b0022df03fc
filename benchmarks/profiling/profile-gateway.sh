#!/bin/bash
# usage: profile-gateway.sh <kept bench dir> <gateway dir> <out dir>: one gateway on the kept store (see pair-ab.sh),
# ab -k -c 50 until its JIT thread is quiet, then perf record -g 20 s; shares by owner (attribute.py) and of our code (ours.py).
W=$1; G=$2; OUT=$3; mkdir -p $OUT; R=$OUT; H=$(dirname "$0")
EDGE='Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0'
# In a subshell: the rounds' 'wait' must not wait for it.
UP=$( (nginx -p $W -c $W/upstream.conf -g 'daemon off;' > $R/upstream.out 2>&1 & echo $!) )
free() { python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
PA=$(free)
export CASB_GATEWAY_CERTIFICATE_PASSWORD='CasbLab!2026' DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
rm -rf $R/store; cp -r $W/store-gw-100 $R/store; rm -rf $R/store/activity
bash -c "ulimit -n 16384; exec dotnet $G/CasbGateway.dll --store $R/store --urls https://127.0.0.1:$PA --name default --certificate $W/lab/gateway.pfx --log-file $R/gw.log" > $R/gw.out 2>&1 &
P=$!; sleep 8
ab1() { bash -c "ulimit -n 16384; exec ab -q -k -c 50 -t $1 -n 100000000 -H 'User-Agent: $EDGE' -f TLS1.2 -E $W/client.pem https://127.0.0.1:$PA/" > $R/ab.txt 2>&1; }
jit() { local t; for t in /proc/$P/task/*; do if grep -q 'Tiered Com' $t/comm 2>/dev/null; then sed 's/.*) //' $t/stat | awk '{print $12+$13}'; return; fi; done; echo 0; }
for w in $(seq 1 20); do j=$(jit); ab1 8; j=$(( $(jit) - j )); echo "warm $w jit $j"; [ $j -lt 10 ] && [ $w -ge 3 ] && break; done
ab1 30 & A=$!; sleep 5; perf record -g -F 499 -p $P -o $R/perf.data -- sleep 20 > $R/perf.log 2>&1; wait $A
grep 'Requests per second' $R/ab.txt
kill -TERM $P
perf script -i $R/perf.data -F comm,ip,sym,dso 2>/dev/null > $R/script.txt
python3 $H/attribute.py < $R/script.txt > $R/attr.txt; python3 $H/ours.py < $R/script.txt > $R/ours.txt
kill -TERM $UP 2>/dev/null
