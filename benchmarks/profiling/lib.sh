# What env-ab.sh and measure-gc.sh share (sourced, not run): the client's User-Agent, a free port, starting the floor
# or the built gateway on a kept benchmark directory, the JIT thread's CPU, haproxy as the HTTP/2 client with the
# client certificate. The caller sets W (the kept bench dir) and REPO (the repository's root).
EDGE='Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0'
export CASB_GATEWAY_CERTIFICATE_PASSWORD='CasbLab!2026'

free() { python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }

# A copy of the kept gw-100 store, without its activity: copy_store <dir>
copy_store() { rm -rf $1; cp -r $W/store-gw-100 $1; rm -rf $1/activity; }

# start_target <bare|gw> <port> <output prefix> [store dir (gw; copied first with copy_store)] [environment, e.g. "X=1 Y=2"]
# runs the target in the background; its pid in STARTED. GATEWAY_DLL: another gateway build than out/'s. Output in <prefix>.out, a gateway's log in <prefix>.gateway.log.
start_target() {
  if [ "$1" = bare ]; then
    local up=$(sed -n 's/.*listen 127.0.0.1:\([0-9]*\);.*/\1/p' $W/upstream.conf | head -1)
    env $5 bash -c "ulimit -n 16384; exec dotnet $REPO/benchmarks/BareForwarder/bin/Release/net10.0/BareForwarder.dll --listen 127.0.0.1:$2 --certificate $W/lab/gateway.pfx --upstream http://127.0.0.1:$up" > $3.out 2>&1 &
  else
    env $5 bash -c "ulimit -n 16384; exec dotnet ${GATEWAY_DLL:-$REPO/out/CasbModule/gateway/CasbGateway.dll} --store $4 --urls https://127.0.0.1:$2 --name default --certificate $W/lab/gateway.pfx --log-file $3.gateway.log" > $3.out 2>&1 &
  fi
  STARTED=$!
}

# The CPU ticks of a process's tiered-compilation thread: jit <pid>
jit() { local t; for t in /proc/$1/task/*; do if grep -q 'Tiered Com' $t/comm 2>/dev/null; then sed 's/.*) //' $t/stat | awk '{print $12+$13}'; return; fi; done; echo 0; }

# haproxy speaking HTTP/2 over mTLS to targets, each behind a cleartext HTTP/2 frontend (h2load cannot present a client
# certificate): haproxy_h2 <name> <frontend port> <target port> [<name> <frontend port> <target port> ...] > haproxy.cfg
# "proto h2" as in Invoke-GatewayBenchmark.ps1: every stream on one upstream connection (with "alpn h2" alone haproxy
# opened 1 to 50 per run, by timing: docs/benchmarks.md, eighth pass). H2_UPSTREAM=alpn: the old line, for comparison;
# H2_UPSTREAM=never: one upstream connection per h2load connection (http-reuse never), 50 of them, one stream each.
haproxy_h2() {
  local proto=' proto h2' reuse=always
  case "${H2_UPSTREAM:-}" in alpn) proto='' ;; never) proto='' reuse=never ;; esac
  printf 'global\n    maxconn 4000\n    nbthread 1\ndefaults\n    mode http\n    timeout connect 5s\n    timeout client 60s\n    timeout server 60s\n    http-reuse %s\n' $reuse
  while [ $# -ge 3 ]; do
    printf 'frontend fe%s\n    bind 127.0.0.1:%s proto h2\n    default_backend be%s\nbackend be%s\n    http-request set-uri https://%%[req.hdr(host)]%%[pathq]\n    server s 127.0.0.1:%s ssl crt %s verify none alpn h2%s sni str(localhost)\n' "$1" $2 "$1" "$1" $3 $W/client.pem "$proto"
    shift 3
  done
}
