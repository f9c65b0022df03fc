#!/usr/bin/env python3
# usage: BENCH=<kept bench dir> h1-pair.py <rounds> <seconds> <name>:<bare|gw>:[<environment>] <name>:<bare|gw>:[<environment>]
# Two targets loaded AT THE SAME TIME, each by its own ab -k -c 50 (HTTP/1.1 over mTLS), so both see the same machine
# load (pair-ab.sh's method, for the floor too and with an environment per side): warm-up until both JIT threads are
# quiet, then per round each one's req/s, CPU per request and p99, and B/A; the medians and in how many rounds B used
# less CPU per request. Targets and BENCH as in h1-budget.py. docs/benchmarks.md, "Eighth pass: HTTP/1.1 CPU per request".
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
    cmd="ulimit -n 16384; exec /usr/bin/time -f '%%U %%S' -o %s/time-%s ab -q -k -c 50 -t %d -n 100000000 -e %s -H 'User-Agent: %s' -f TLS1.2 -E %s/client.pem https://127.0.0.1:%d/" % (OUT,name,s,csv,EDGE,W,t['port'])
    r=subprocess.run(['bash','-c',cmd],capture_output=True,text=True)
    m=re.search(r'Complete requests:\s+(\d+)',r.stdout); n=int(m.group(1)) if m else 0
    fails=sum(int(x) for x in re.findall(r'(?:Failed requests|Non-2xx responses):\s+(\d+)',r.stdout))
    u,sy=map(float,open(OUT+'/time-'+name).read().split()[-2:])
    pct={}
    for line in open(csv).read().splitlines()[1:]:
        a,b=line.split(','); pct[int(float(a))]=float(b)
    return n,fails,u+sy,pct.get(50),pct.get(99)
import threading
def both(s):
    out={}
    def run(n): out[n]=ab(n,s)
    th=[threading.Thread(target=run,args=(n,)) for n in T]
    [t.start() for t in th]; [t.join() for t in th]; return out
def jit(pid):
    import glob
    for t in glob.glob('/proc/%d/task/*'%pid):
        try:
            if 'Tiered Com' in open(t+'/comm').read():
                f=open(t+'/stat').read().rsplit(')',1)[1].split(); return int(f[11])+int(f[12])
        except Exception: pass
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
