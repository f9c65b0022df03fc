import sys, re, collections
from frames import module  # the frame's own module, shared with attribute.py
c=collections.Counter(); tot=0; cur=[]; comm=None
def flush():
    global tot
    if not cur: return
    tot+=1
    for fr in cur:
        if 'dynamicClass::IL_STUB' in fr: continue  # a P/Invoke stub (SslStream's into OpenSSL, labelled [CasbGateway]): its caller decides
        # the frame's own module (see attribute.py): our middleware take an HttpContext, [Microsoft.AspNetCore.Http.Abstractions]
        mod = module(fr)
        if mod.startswith(('[Yarp', '[Microsoft.AspNetCore', '[System.Net.Http]', '[System.Net.Security]')): return
        if mod.startswith(('[CasbGateway', '[CasbCore')):
            m=re.search(r'\] ([\w.`+<>|$]+::[\w.<>|`$]+)', fr)
            c[(m.group(1) if m else fr[:100])]+=1; return
for line in sys.stdin:
    if not line.strip(): flush(); cur=[]; continue
    if line[0] not in ' \t': comm=line.strip(); cur=[]; continue
    cur.append(line.strip())
flush()
s=0
for k,v in c.most_common(45): s+=v; print(f"{100*v/tot:6.2f}% {k}")
print(f"sum listed {100*s/tot:.2f}% total ours {100*sum(c.values())/tot:.2f}%")
