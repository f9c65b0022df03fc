#!/usr/bin/env python3
# usage: BENCH=<kept bench dir> h1-pair.py <rounds> <seconds> <name>:<bare|gw>:[<environment>] <name>:<bare|gw>:[<environment>]
# Two targets loaded AT THE SAME TIME, each by its own ab -k -c 50 (HTTP/1.1 over mTLS), so both see the same machine
# load (pair-ab.sh's method, for the floor too and with an environment per side): warm-up until both JIT threads are
# quiet, then per round each one's req/s, CPU per request and p99, and B/A; the medians and in how many rounds B used
# less CPU per request. Targets as in h1-budget.py, BENCH as in h1targets.py. docs/benchmarks.md, "Eighth pass: HTTP/1.1 CPU per request".
import os, sys, time, signal, statistics
from h1targets import OUT, HZ, ab, cpu, start, stat_ticks, tree  # the targets and ab, shared with h1-budget.py
rounds=int(sys.argv[1]); secs=int(sys.argv[2]); specs=[a.split(':',2) for a in sys.argv[3:]]
up,T=start(specs)
import threading
def both(s):
    out={}
    def run(n): out[n]=ab(T[n],n,s)
    th=[threading.Thread(target=run,args=(n,)) for n in T]
    [t.start() for t in th]; [t.join() for t in th]; return out
def jit(pid):
    import glob
    for t in glob.glob('/proc/%d/task/*'%pid):
        try:
            if 'Tiered Com' in open(t+'/comm').read(): return stat_ticks(t+'/stat')
        except OSError: pass
    return 0
dn=[n for n in T if T[n]['kind']!='nginx']
for w in range(12):
    j0={n:jit(T[n]['proc'].pid) for n in dn}; both(6); dj={n:jit(T[n]['proc'].pid)-j0[n] for n in dn}
    print('warm-up',w+1,'JIT ticks',dj,flush=True)
    if w>=2 and all(v<10 for v in dj.values()): break
print('out',OUT,flush=True)
names=list(T); a,b=names
rows=[]
for i in range(rounds):
    pa=tree(T[a]['proc'].pid); pb=tree(T[b]['proc'].pid)
    ca=cpu(pa); cb=cpu(pb); l0=os.getloadavg()[0]
    o=both(secs)
    ca=(cpu(pa)-ca)*1e6/HZ/o[a][0]; cb=(cpu(pb)-cb)*1e6/HZ/o[b][0]
    ra=o[a][0]/secs; rb=o[b][0]/secs
    rows.append((rb/ra,cb/ca,o[b][4]/o[a][4]))
    print('round %d: %s %6.0f req/s CPU %5.1f p99 %5.1f | %s %6.0f req/s CPU %5.1f p99 %5.1f | B/A req %.3f CPU %.3f p99 %.2f | fail %d %d load %.2f'%(i+1,a,ra,ca,o[a][4],b,rb,cb,o[b][4],rb/ra,cb/ca,o[b][4]/o[a][4],o[a][1],o[b][1],l0),flush=True)
print('medians B/A: req/s %.3f CPU %.3f p99 %.2f; CPU lower in %d of %d'%(statistics.median(r[0] for r in rows),statistics.median(r[1] for r in rows),statistics.median(r[2] for r in rows),sum(r[1]<1 for r in rows),len(rows)))
for name in T: T[name]['proc'].send_signal(signal.SIGTERM)
up.send_signal(signal.SIGTERM); time.sleep(2)
