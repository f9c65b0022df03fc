import sys, re, collections
from frames import module  # the frame's own module, shared with ours.py
# attribute each sample to the innermost "owner" frame: Casb (ours), Yarp, AspNetCore/Kestrel, System.Net.Http, TLS (Security/libssl/libcrypto), kernel, GC/runtime
cats=collections.Counter(); detail=collections.Counter(); tot=0
def owner(fr):
    # P/Invoke stubs are labelled with the module that first JIT-compiled them ([CasbGateway] for SslStream's calls into
    # OpenSSL): the frame under them says whose call it is.
    if 'dynamicClass::IL_STUB' in fr: return None
    fr = module(fr)
    if fr.startswith(('[CasbGateway', '[CasbCore')): return 'ours'
    if '[Yarp' in fr: return 'yarp'
    if '[Microsoft.AspNetCore' in fr or 'Kestrel' in fr: return 'aspnetcore'
    if '[System.Net.Http]' in fr: return 'httpclient'
    if '[System.Net.Security]' in fr or 'libssl' in fr or 'libcrypto' in fr or 'System.Security.Cryptography.Native' in fr: return 'tls'
    if '[System.Net.Sockets]' in fr or '[System.IO.Pipelines]' in fr: return 'sockets/pipes'
    if '[System.Text.Json]' in fr: return None
    if '[OpenTelemetry' in fr or '[System.Diagnostics.DiagnosticSource]' in fr: return 'metrics'
    return None
cur=[]; comm=None
def flush():
    global tot
    if not cur: return
    tot+=1
    # cur[0] is leaf
    leaf=cur[0]
    o=None
    for fr in cur:
        o=owner(fr)
        if o: break
    if o is None:
        if '[kernel' in leaf or 'kallsyms' in leaf: o='kernel(other)'
        elif 'libcoreclr' in leaf: o='runtime/GC'
        else: o='other'
    if comm and comm.startswith('Casb activity'): o='ours(pump thread)'
    cats[o]+=1
for line in sys.stdin:
    if not line.strip():
        flush(); cur=[]; continue
    if line[0] not in ' \t':
        comm=line.split('  ')[0].strip(); cur=[]; continue
    cur.append(line.strip())
flush()
for k,v in cats.most_common(): print(f"{100*v/tot:6.2f}% {k}")
