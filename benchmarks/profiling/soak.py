#!/usr/bin/env python3
# usage: BENCH=<kept bench dir> soak.py [seconds] [connections]
# The soak of issue 8: one gateway (target gw of h1targets.py: a copy of the kept run's store-gw-100, activity volume
# Full), 30 s of ab -k -c 50 to warm up, then <seconds> (300) of ab -k -c <connections> (500) over HTTP/1.1 keep-alive
# mTLS, then 90 s idle; the gateway's threads and RSS every 5 s from /proc, ab's figures, and the records it wrote against
# the requests it counted at /metrics. BENCH and GW as in h1targets.py. docs/benchmarks.md, "Eleventh pass".
import glob, os, re, signal, subprocess, sys, threading, time
from h1targets import OUT, W, ab, start

secs = int(sys.argv[1]) if len(sys.argv) > 1 else 300
connections = int(sys.argv[2]) if len(sys.argv) > 2 else 500


def records(store):
    """Lines in the store's activity files, by file."""
    counts = {}
    for path in glob.glob(store + '/activity/*.jsonl'):
        with open(path, 'rb') as f:
            counts[path] = sum(chunk.count(b'\n') for chunk in iter(lambda: f.read(1 << 20), b''))
    return counts


def sample(pid, phase):
    status = open('/proc/%d/status' % pid).read()
    threads = re.search(r'^Threads:\s+(\d+)', status, re.M).group(1)
    rss = int(re.search(r'^VmRSS:\s+(\d+)', status, re.M).group(1)) // 1024
    print('%s %-13s threads %s rss_mb %d load %.2f' % (time.strftime('%H:%M:%S', time.gmtime()), phase, threads, rss, os.getloadavg()[0]), flush=True)


up, targets = start([('gw', 'gw', '')])
gw = targets['gw']; pid = gw['proc'].pid; store = OUT + '/store-gw'
before = records(store)  # the kept run's records, copied with its store
sample(pid, 'idle')
warm = ab(gw, 'warm-up', 30)
sample(pid, 'after-warm-up')
result = {}
load = threading.Thread(target=lambda: result.update(soak=ab(gw, 'soak', secs, connections)))
load.start()
while load.is_alive():
    time.sleep(5); sample(pid, 'load')
for _ in range(18):
    time.sleep(5); sample(pid, 'after')
metrics = subprocess.run(['curl', '-sk', '--cert', W + '/client.pem', 'https://127.0.0.1:%d/metrics' % gw['port']],
                         capture_output=True, text=True).stdout
counted = sum(int(v) for v in re.findall(r'^casb_gateway_requests_total\{[^}]*\} (\d+)', metrics, re.M))
dropped = sum(int(v) for v in re.findall(r'^casb_gateway_activity_dropped_total\{[^}]*\} (\d+)', metrics, re.M))
gw['proc'].send_signal(signal.SIGTERM); gw['proc'].wait(30); up.send_signal(signal.SIGTERM)
written = sum(n - before.get(path, 0) for path, n in records(store).items())
n, fails, _, p50, p99, _ = result['soak']
print('soak: %d requests in %d s (%.0f req/s) at %d connections, %d failed, p50 %s ms, p99 %s ms; warm-up %d requests'
      % (n, secs, n / secs, connections, fails, p50, p99, warm[0]))
print('records written %d, requests counted %d, dropped %d; ab completed %d (the rest were in flight when its time ran out)'
      % (written, counted, dropped, n + warm[0]))
print('out', OUT)
