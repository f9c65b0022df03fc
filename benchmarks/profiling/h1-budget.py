#!/usr/bin/env python3
# usage: BENCH=<kept bench dir> h1-budget.py <rounds> <seconds> <name>:<nginx|bare|gw>:[<environment>] ...
# The machine's CPU per HTTP/1.1 request, target by target: ab -k -c 50 on each target in turn, the order rotating each
# round (A B C, B C A, ...), and per request the target's CPU, ab's own (/usr/bin/time), the upstream nginx's, the
# machine's idle time (/proc/stat) and the rest (other processes), the machine's TCP segments sent (/proc/net/snmp: every
# process's, so only a quiet round reads true) and ab's context switches; req/s, p50/p99, the load average; then per round each
# target against the second one (the first .NET target after nginx). <environment>: "X=1 Y=2" for that target (a
# .NET target's DOTNET_* settings, or a variable a throwaway build reads). BENCH: a kept run of
# Invoke-GatewayBenchmark.ps1 -KeepFiles; gw and bare as in h1targets.py (GW=, BARE=, GWDLL=). WARM: warm-up passes (3).
# docs/benchmarks.md, "Eighth pass: HTTP/1.1 CPU per request".
import os, sys, time, signal, statistics
from h1targets import OUT, HZ, ab, cpu, stat, start, tree  # the targets and ab, shared with h1-pair.py
rounds=int(sys.argv[1]); secs=int(sys.argv[2]); specs=[a.split(':',2) for a in sys.argv[3:]]
def segs():
    l=[x.split() for x in open('/proc/net/snmp') if x.startswith('Tcp:')]; return int(l[1][l[0].index('OutSegs')])
up,T=start(specs)
# warm-up: until JIT quiet-ish (fixed: 3 x 6 s each)
for w in range(int(os.environ.get('WARM','3'))):
    for name in T: ab(T[name],name,6)
print('out',OUT, flush=True)
res={name:[] for name in T}
names=list(T)
for i in range(rounds):
    order=names[i%len(names):]+names[:i%len(names)]
    for name in order:
        pids=tree(T[name]['proc'].pid); ups=tree(up.pid)
        c0=cpu(pids); u0=cpu(ups); s0,i0=stat(); g0=segs(); l0=os.getloadavg()[0]; t0=time.time()
        n,f,abcpu,p50,p99,abcs=ab(T[name],name,secs)
        c1=cpu(pids); u1=cpu(ups); s1,i1=stat(); g1=segs(); dt=time.time()-t0
        k=1e6/HZ/n
        r=dict(rps=n/secs,tgt=(c1-c0)*k,ab=abcpu*1e6/n,up=(u1-u0)*k,idle=(i1-i0)*k,rest=((s1-s0)-(i1-i0)-(c1-c0)-(u1-u0))*k-abcpu*1e6/n,p50=p50,p99=p99,f=f,load=l0,segs=(g1-g0)/n,abcs=abcs/n)
        res[name].append(r)
        print('round %d %-10s %6.0f req/s  tgt %5.1f ab %5.1f up %5.1f idle %5.1f rest %5.1f us/req  p50 %.1f p99 %.1f fail %d load %.2f | TCP segments %.2f ab switches %.3f per request (machine-wide segments)'%(i+1,name,r['rps'],r['tgt'],r['ab'],r['up'],r['idle'],r['rest'],p50 or 0,p99 or 0,f,l0,r['segs'],r['abcs']),flush=True)
print('medians:')
for name in names:
    rs=res[name]; md=lambda k: statistics.median(r[k] for r in rs)
    print('%-10s %6.0f req/s  tgt %5.1f ab %5.1f up %5.1f idle %5.1f rest %5.1f  p50 %.1f p99 %.1f'%(name,md('rps'),md('tgt'),md('ab'),md('up'),md('idle'),md('rest'),md('p50'),md('p99')))
base=names[1] if len(names)>2 and T[names[0]]['kind']=='nginx' else names[0]
for name in names:
    if name==base: continue
    rr=[a['rps']/b['rps'] for a,b in zip(res[name],res[base])]; cc=[a['tgt']/b['tgt'] for a,b in zip(res[name],res[base])]
    print('%s / %s per round: req/s %s  CPU/req %s  | medians %.3f %.3f' % (name,base,' '.join('%.3f'%x for x in rr),' '.join('%.3f'%x for x in cc),statistics.median(rr),statistics.median(cc)))
for name in T:
    T[name]['proc'].send_signal(signal.SIGTERM)
up.send_signal(signal.SIGTERM); time.sleep(2)
