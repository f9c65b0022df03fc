import sys, re, collections
# attribute each sample to the innermost "owner" frame: Casb (ours), Yarp, AspNetCore/Kestrel, System.Net.Http, TLS (Security/libssl/libcrypto), kernel, GC/runtime
cats=collections.Counter(); detail=collections.Counter(); tot=0
def module(fr):
    # The frame's own module: the [Module] just before Namespace.Type::Method, not one named in its return type, its
    # arguments or its generic arguments (DecisionMiddleware::InvokeAsync(class [Microsoft.AspNetCore.Http.Abstractions]...)
    # is ours). CoreLib's AsyncStateMachineBox`1[TResult,TStateMachine]::MoveNext, which may have inlined the state
    # machine's MoveNext: the state machine's owner (Kestrel's ProcessRequests run as our task's continuation is Kestrel's).
    # Native frames: the whole line.
    head = fr.split('(')[0]
    b = re.search(r'AsyncStateMachineBox`1\[[^,]+,([\w.]+)', head)
    if b: return '[' + b.group(1) + ']'
    m = re.search(r'\[([\w.]+)\] \S+::\S*$', head)
    return '[' + m.group(1) + ']' if m else fr
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
