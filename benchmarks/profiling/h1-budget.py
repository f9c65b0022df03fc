#!/usr/bin/env python3
# usage: BENCH=<kept bench dir> h1-budget.py <rounds> <seconds> <name>:<nginx|bare|gw>:[<environment>] ...
# The machine's CPU per HTTP/1.1 request, target by target: ab -k -c 50 on each target in turn, the order rotating each
# round (A B C, B C A, ...), and per request the target's CPU, ab's own (/usr/bin/time), the upstream nginx's, the
# machine's idle time (/proc/stat) and the rest (other processes), the machine's TCP segments sent (/proc/net/snmp: every
# process's, so only a quiet round reads true) and ab's context switches; req/s, p50/p99, the load average; then per round each
# target against the second one (the first .NET target after nginx). <environment>: "X=1 Y=2" for that target (a
# .NET target's DOTNET_* settings, or a variable a throwaway build reads). BENCH: a kept run of
# Invoke-GatewayBenchmark.ps1 -KeepFiles (upstream.conf, nginx.conf, store-gw-100, lab/, client.pem); gw runs
# out/CasbModule/gateway unless GW=<CasbGateway.dll>, bare benchmarks/BareForwarder's Release build unless BARE=<dll>
# in the target's environment. WARM: warm-up passes (3). docs/benchmarks.md, "Eighth pass: HTTP/1.1 CPU per request".
import os, sys, subprocess, time, socket, signal, statistics, re
import tempfile
W=os.environ['BENCH']; REPO=os.path.abspath(os.path.join(os.path.dirname(__file__),'..','..')); OUT=tempfile.mkdtemp(prefix='h1-')
EDGE='Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0'
os.environ['CASB_GATEWAY_CERTIFICATE_PASSWORD']='CasbLab!2026'
HZ=os.sysconf('SC_CLK_TCK')
rounds=int(sys.argv[1]); secs=int(sys.argv[2]); specs=[a.split(':',2) for a in sys.argv[3:]]
GW=os.environ.get('GW', REPO+'/out/CasbModule/gateway/CasbGateway.dll')
def free():
    s=socket.socket(); s.bind(('127.0.0.1',0)); p=s.getsockname()[1]; s.close(); return p
def ticks(pid):
    try:
        t=open('/proc/%d/stat'%pid).read().rsplit(')',1)[1].split(); return int(t[11])+int(t[12])
    except Exception: return 0
def tree(pid):
    out=[pid]
    try:
        for c in open('/proc/%d/task/%d/children'%(pid,pid)).read().split(): out+=tree(int(c))
    except Exception: pass
    return out
def cpu(pids): return sum(ticks(p) for p in pids)
def segs():
    l=[x.split() for x in open('/proc/net/snmp') if x.startswith('Tcp:')]; return int(l[1][l[0].index('OutSegs')])
def stat():
    f=open('/proc/stat').readline().split()[1:]; v=list(map(int,f)); return sum(v), v[3]+v[4]
up=subprocess.Popen(['nginx','-p',W,'-c',W+'/upstream.conf','-g','daemon off;'],stdout=open(OUT+'/up.out','w'),stderr=subprocess.STDOUT)
T={}
for name,kind,env in specs:
    e=dict(os.environ); 
    for kv in env.split():
        k,v=kv.split('=',1); e[k]=v
    if kind=='nginx':
        port=int(re.search(r'listen 127.0.0.1:(\d+) ssl',open(W+'/nginx.conf').read()).group(1))
        p=subprocess.Popen(['nginx','-p',W,'-c',W+'/nginx.conf','-g','daemon off;'],stdout=open(OUT+'/'+name+'.out','w'),stderr=subprocess.STDOUT)
    else:
        port=free()
        upp=re.search(r'listen 127.0.0.1:(\d+);',open(W+'/upstream.conf').read()).group(1)
        if kind=='bare':
            cmd=['dotnet',e.get('BARE',REPO+'/benchmarks/BareForwarder/bin/Release/net10.0/BareForwarder.dll'),'--listen','127.0.0.1:%d'%port,'--certificate',W+'/lab/gateway.pfx','--upstream','http://127.0.0.1:'+upp]
        else:
            st=OUT+'/store-'+name; subprocess.run(['cp','-r',W+'/store-gw-100',st])
            cmd=['dotnet',e.get('GWDLL',GW),'--store',st,'--urls','https://127.0.0.1:%d'%port,'--name','default','--certificate',W+'/lab/gateway.pfx','--log-file',OUT+'/'+name+'.gateway.log']
        p=subprocess.Popen(['bash','-c','ulimit -n 16384; exec "$@"','x']+cmd,env=e,stdout=open(OUT+'/'+name+'.out','w'),stderr=subprocess.STDOUT)
    T[name]=dict(kind=kind,port=port,proc=p)
time.sleep(8)
def ab(name,s):
    t=T[name]; csv=OUT+'/ab-%s.csv'%name
    cmd="ulimit -n 16384; exec /usr/bin/time -f '%%w %%c %%U %%S' -o %s/time-%s ab -q -k -c 50 -t %d -n 100000000 -e %s -H 'User-Agent: %s' -f TLS1.2 -E %s/client.pem https://127.0.0.1:%d/" % (OUT,name,s,csv,EDGE,W,t['port'])
    r=subprocess.run(['bash','-c',cmd],capture_output=True,text=True)
    m=re.search(r'Complete requests:\s+(\d+)',r.stdout); n=int(m.group(1)) if m else 0
    fails=sum(int(x) for x in re.findall(r'(?:Failed requests|Non-2xx responses):\s+(\d+)',r.stdout))
    w_,c_,u,sy=map(float,open(OUT+'/time-'+name).read().split()[-4:])
    pct={}
    for line in open(csv).read().splitlines()[1:]:
        a,b=line.split(','); pct[int(float(a))]=float(b)
    return n,fails,u+sy,pct.get(50),pct.get(99),w_+c_
# warm-up: until JIT quiet-ish (fixed: 3 x 6 s each)
for w in range(int(os.environ.get('WARM','3'))):
    for name in T: ab(name,6)
print('out',OUT, flush=True)
res={name:[] for name in T}
names=list(T)
for i in range(rounds):
    order=names[i%len(names):]+names[:i%len(names)]
    for name in order:
        pids=tree(T[name]['proc'].pid); ups=tree(up.pid)
        c0=cpu(pids); u0=cpu(ups); s0,i0=stat(); g0=segs(); l0=os.getloadavg()[0]; t0=time.time()
        n,f,abcpu,p50,p99,abcs=ab(name,secs)
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
