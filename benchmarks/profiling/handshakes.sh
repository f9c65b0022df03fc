#!/bin/bash
# usage: handshakes.sh <kept bench dir> <rounds> <seconds> <name>=<gateway dir>|bare=<BareForwarder.dll>|nginx|<name>=@<name> ...
# New mTLS handshakes against several targets running side by side, interleaved round by round (A B C, A B C, ...):
# two `openssl s_time -new` at once per target (the benchmark's -Figures hs), and per handshake the target's CPU
# (utime+stime of the process and its children, /proc/<pid>/stat) and context switches (every thread's voluntary and
# involuntary ones, /proc/<pid>/task/*/status). HS_CERT_<name>: another server certificate (.pfx) for a .NET target. <kept bench dir>: a run of Invoke-GatewayBenchmark.ps1 -KeepFiles
# with gw-100 among its targets (its store, lab certificates, nginx.conf). Extra s_time options in HS_OPTS (default
# -tls1_2; e.g. HS_OPTS=-tls1_3; for one target HS_OPTS_<name>); extra environment for the gateways in HS_ENV_<name> (e.g. HS_ENV_gwb='X=1 Y=2').
W=$1; ROUNDS=$2; SECS=$3; shift 3
R=$(mktemp -d /tmp/hs-hand.XXXXXX); echo "files in $R"
OPTS=${HS_OPTS:--tls1_2}
export CASB_GATEWAY_CERTIFICATE_PASSWORD='CasbLab!2026'
free() { python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
UPPORT=$(sed -n 's/.*listen 127.0.0.1:\([0-9]*\);.*/\1/p' $W/upstream.conf | head -1)
UP=$( (nginx -p $W -c $W/upstream.conf -g 'daemon off;' > $R/upstream.out 2>&1 & echo $!) )
declare -A PID PORT
NAMES=()
for spec in "$@"; do
  name=${spec%%=*}; what=${spec#*=}; NAMES+=($name)
  cert=HS_CERT_$name; cert=${!cert:-$W/lab/gateway.pfx}
  if [ "${what#@}" != "$what" ]; then # name=@other: the same process as <other> (e.g. with other HS_OPTS_<name>)
    PORT[$name]=${PORT[${what#@}]}; PID[$name]=${PID[${what#@}]}
  elif [ "${name#nginx}" != "$name" ]; then # nginx: the kept nginx.conf; nginx<x>: <kept dir>/nginx<x>.conf (its own port)
    conf=$W/$name.conf
    PORT[$name]=$(sed -n 's/.*listen 127.0.0.1:\([0-9]*\) ssl.*/\1/p' $conf | head -1)
    PID[$name]=$( (nginx -p $W -c $conf -g 'daemon off;' > $R/$name.out 2>&1 & echo $!) )
  elif [ "${name#bare}" != "$name" ]; then
    PORT[$name]=$(free)
    PID[$name]=$( (bash -c "ulimit -n 16384; exec dotnet $what --listen 127.0.0.1:${PORT[$name]} --certificate $cert --upstream http://127.0.0.1:$UPPORT" > $R/$name.out 2>&1 & echo $!) )
  else
    PORT[$name]=$(free)
    rm -rf $R/store-$name; cp -r $W/store-gw-100 $R/store-$name; rm -rf $R/store-$name/activity
    envvar=HS_ENV_$name
    PID[$name]=$( (env ${!envvar} bash -c "ulimit -n 16384; exec dotnet $what/CasbGateway.dll --store $R/store-$name --urls https://127.0.0.1:${PORT[$name]} --name default --certificate $cert --log-file $R/$name.gateway.log" > $R/$name.out 2>&1 & echo $!) )
  fi
done
sleep 10
cpu() { awk '{print $14+$15+$16+$17}' /proc/$1/stat 2>/dev/null || echo 0; }
tree() { echo $1 $(cat /proc/$1/task/*/children 2>/dev/null); }
ctx() { local s=0 p t v; for p in $(tree $1); do for t in /proc/$p/task/*/status; do v=$(awk '/ctxt_switches/{s+=$2} END{print s+0}' $t 2>/dev/null); s=$((s + ${v:-0})); done; done; echo $s; }
treecpu() { local s=0 p; for p in $(tree $1); do s=$((s + $(cpu $p))); done; echo $s; }
hs() { # name seconds -> connections
  local n=$1 s=$2 o=HS_OPTS_$1; o=${!o:-$OPTS}
  openssl s_time -connect 127.0.0.1:${PORT[$n]} -new $o -cert $W/client.pem -key $W/client.pem -time $s > $R/st1.txt 2>&1 &
  openssl s_time -connect 127.0.0.1:${PORT[$n]} -new $o -cert $W/client.pem -key $W/client.pem -time $s > $R/st2.txt 2>&1 &
  wait
  cat $R/st1.txt $R/st2.txt | grep -oE '^[0-9]+ connections in [0-9.]+s;' | awk '{s+=$1} END{print s+0}'
}
# warm-up: every .NET target until its handshake path is compiled (3 x 5 s each)
for w in 1 2 3; do for n in "${NAMES[@]}"; do [ "${n#nginx}" != "$n" ] || hs $n 5 > /dev/null; done; done
for i in $(seq 1 $ROUNDS); do
  line="round $i:"
  for n in "${NAMES[@]}"; do
    c0=$(treecpu ${PID[$n]}); x0=$(ctx ${PID[$n]}); t0=$(date +%s.%N)
    k=$(hs $n $SECS)
    c1=$(treecpu ${PID[$n]}); x1=$(ctx ${PID[$n]}); t1=$(date +%s.%N)
    # the rate over the wall time the two clients took (s_time runs about a second past -time)
    line="$line | $n $(python3 -c "print(f'{$k/($t1-$t0):5.0f}/s {1e4*($c1-$c0)/max($k,1):6.0f} us {($x1-$x0)/max($k,1):5.1f} cs')")"
  done
  echo "$line"
done
for n in "${NAMES[@]}"; do kill -TERM ${PID[$n]} 2>/dev/null; done 2>/dev/null
kill -TERM $UP 2>/dev/null
