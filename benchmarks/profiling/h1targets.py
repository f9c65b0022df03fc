"""What h1-budget.py and h1-pair.py share: the targets of a kept benchmark run started with their own environments, the
CPU ticks of a process tree, and one ab -k -c 50 run over HTTP/1.1 with mTLS as the benchmark's (its own CPU too).

BENCH: a kept run of Invoke-GatewayBenchmark.ps1 -KeepFiles (upstream.conf, nginx.conf, store-gw-100, lab/, client.pem);
gw runs out/CasbModule/gateway unless GW=<CasbGateway.dll> (or GWDLL in the target's environment) on a copy of store-gw-100
unless STORE=<target> in its environment (STORE=gw-1000: the kept store-gw-1000), bare
benchmarks/BareForwarder's Release build unless BARE=<dll> in the target's environment."""
import atexit, glob, os, re, shutil, socket, subprocess, tempfile, time

W = os.environ['BENCH']
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = tempfile.mkdtemp(prefix='h1-')
# The targets' stores go at exit (a pair's activity logs grow by GBs a run); the logs and ab's results stay in OUT.
atexit.register(lambda: [shutil.rmtree(d, ignore_errors=True) for d in glob.glob(OUT + '/store-*')])
EDGE = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0'
HZ = os.sysconf('SC_CLK_TCK')
GW = os.environ.get('GW', REPO + '/out/CasbModule/gateway/CasbGateway.dll')
os.environ['CASB_GATEWAY_CERTIFICATE_PASSWORD'] = 'CasbLab!2026'


def free():
    s = socket.socket(); s.bind(('127.0.0.1', 0)); p = s.getsockname()[1]; s.close(); return p


def stat_ticks(path):
    """User + system CPU ticks from a /proc stat file (a process's, or one of its threads' under task/); 0 once it is gone."""
    try:
        t = open(path).read().rsplit(')', 1)[1].split(); return int(t[11]) + int(t[12])
    except Exception:
        return 0


def ticks(pid): return stat_ticks('/proc/%d/stat' % pid)


def tree(pid):
    out = [pid]
    try:
        for c in open('/proc/%d/task/%d/children' % (pid, pid)).read().split(): out += tree(int(c))
    except Exception:
        pass
    return out


def cpu(pids): return sum(ticks(p) for p in pids)


def stat():
    """The machine's CPU ticks: all, and idle + iowait (/proc/stat)."""
    v = list(map(int, open('/proc/stat').readline().split()[1:])); return sum(v), v[3] + v[4]


def start(specs):
    """The upstream nginx, then each <name>:<nginx|bare|gw>:<environment> target; returns (upstream, targets by name)."""
    up = subprocess.Popen(['nginx', '-p', W, '-c', W + '/upstream.conf', '-g', 'daemon off;'],
                          stdout=open(OUT + '/up.out', 'w'), stderr=subprocess.STDOUT)
    targets = {}
    for name, kind, env in specs:
        e = dict(os.environ)
        for kv in env.split():
            k, v = kv.split('=', 1); e[k] = v
        if kind == 'nginx':
            port = int(re.search(r'listen 127.0.0.1:(\d+) ssl', open(W + '/nginx.conf').read()).group(1))
            p = subprocess.Popen(['nginx', '-p', W, '-c', W + '/nginx.conf', '-g', 'daemon off;'],
                                 stdout=open(OUT + '/' + name + '.out', 'w'), stderr=subprocess.STDOUT)
        else:
            port = free()
            upp = re.search(r'listen 127.0.0.1:(\d+);', open(W + '/upstream.conf').read()).group(1)
            if kind == 'bare':
                cmd = ['dotnet', e.get('BARE', REPO + '/benchmarks/BareForwarder/bin/Release/net10.0/BareForwarder.dll'),
                       '--listen', '127.0.0.1:%d' % port, '--certificate', W + '/lab/gateway.pfx', '--upstream', 'http://127.0.0.1:' + upp]
            else:
                # STORE=<target> in the environment takes that kept store (store-gw-1000, say) instead of store-gw-100.
                st = OUT + '/store-' + name; subprocess.run(['cp', '-r', W + '/store-' + e.get('STORE', 'gw-100'), st])
                cmd = ['dotnet', e.get('GWDLL', GW), '--store', st, '--urls', 'https://127.0.0.1:%d' % port, '--name', 'default',
                       '--certificate', W + '/lab/gateway.pfx', '--log-file', OUT + '/' + name + '.gateway.log']
            p = subprocess.Popen(['bash', '-c', 'ulimit -n 16384; exec "$@"', 'x'] + cmd, env=e,
                                 stdout=open(OUT + '/' + name + '.out', 'w'), stderr=subprocess.STDOUT)
        targets[name] = dict(kind=kind, port=port, proc=p)
    time.sleep(8)
    return up, targets


def ab(target, name, s, connections=50):
    """One ab -k -c <connections> run of s seconds: (completed, failed or non-2xx, ab's CPU s, p50 ms, p99 ms, ab's context switches)."""
    csv = OUT + '/ab-%s.csv' % name
    cmd = ("ulimit -n 16384; exec /usr/bin/time -f '%%w %%c %%U %%S' -o %s/time-%s ab -q -k -c %d -t %d -n 100000000 -e %s "
           "-H 'User-Agent: %s' -f TLS1.2 -E %s/client.pem https://127.0.0.1:%d/") % (OUT, name, connections, s, csv, EDGE, W, target['port'])
    r = subprocess.run(['bash', '-c', cmd], capture_output=True, text=True)
    m = re.search(r'Complete requests:\s+(\d+)', r.stdout); n = int(m.group(1)) if m else 0
    fails = sum(int(x) for x in re.findall(r'(?:Failed requests|Non-2xx responses):\s+(\d+)', r.stdout))
    w_, c_, u, sy = map(float, open(OUT + '/time-' + name).read().split()[-4:])
    pct = {}
    for line in open(csv).read().splitlines()[1:]:
        a, b = line.split(','); pct[int(float(a))] = float(b)
    return n, fails, u + sy, pct.get(50), pct.get(99), w_ + c_
