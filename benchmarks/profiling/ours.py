import sys, re, collections
c=collections.Counter(); tot=0; cur=[]; comm=None
def flush():
    global tot
    if not cur: return
    tot+=1
    for fr in cur:
        if 'dynamicClass::IL_STUB' in fr: continue  # a P/Invoke stub (SslStream's into OpenSSL, labelled [CasbGateway]): its caller decides
        if '[Yarp' in fr or '[Microsoft.AspNetCore' in fr or '[System.Net.Http]' in fr or '[System.Net.Security]' in fr: return
        if 'CasbGateway' in fr or 'CasbCore' in fr:
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
