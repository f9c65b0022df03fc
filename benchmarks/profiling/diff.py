import sys, re, collections
# usage: diff.py <script-a.txt> <requests a> <script-b.txt> <requests b> [top]
# Samples per 1,000 requests of each function (inclusive: a sample counts once for every function on its stack; and
# self: the leaf), A minus B, largest first: what A (the gateway) makes its threads do beyond B (the floor).
# Input: perf script -F comm,pid,ip,sym,dso of one process (profile-pair.sh's script-a.txt / script-b.txt).
def name(fr):
    m = re.match(r'\s*[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$', fr)
    if not m: return fr.strip()[:120]
    sym, dso = m.group(1), m.group(2)
    sym = re.sub(r'\+0x[0-9a-f]+$', '', sym)
    sym = re.sub(r'\[OptimizedTier1\]|\[Optimized\]|\[Tier1\]|\[Tier0\]|\[QuickJitted\]|\[OSR\]|\[PreJIT\]', '', sym).strip()
    if sym == '[unknown]': sym = '[unknown] ' + dso.split('/')[-1]
    return sym[:160]
def load(path):
    incl = collections.Counter(); leaf = collections.Counter(); n = 0; cur = []; thread = collections.Counter(); comm = None
    def flush():
        nonlocal n
        if not cur: return
        n += 1; leaf[cur[0]] += 1; thread[comm] += 1
        for f in set(cur): incl[f] += 1
    for line in open(path):
        if not line.strip():
            flush(); cur = []; continue
        if line[0] not in ' \t':
            flush(); cur = []; comm = re.sub(r'\s+\d+\s*$', '', line.split('  ')[0].strip()); comm = re.sub(r'\d+$', '#', comm); continue
        cur.append(name(line))
    flush()
    return incl, leaf, n, thread
a, ra, b, rb = sys.argv[1], float(sys.argv[2]), sys.argv[3], float(sys.argv[4]); top = int(sys.argv[5]) if len(sys.argv) > 5 else 60
ia, la, na, ta = load(a); ib, lb, nb, tb = load(b)
k = 1000.0
print(f"A {na} samples / {ra:.0f} req = {k*na/ra:.2f} per 1,000 req; B {nb} / {rb:.0f} = {k*nb/rb:.2f}; A-B {k*na/ra-k*nb/rb:+.2f}")
print("\n== threads (samples per 1,000 requests): A, B, A-B")
for t in sorted(set(ta) | set(tb), key=lambda t: -(ta[t]/ra - tb[t]/rb)):
    print(f"{k*ta[t]/ra:7.2f} {k*tb[t]/rb:7.2f} {k*ta[t]/ra-k*tb[t]/rb:+7.2f}  {t}")
for title, A, B in (("inclusive", ia, ib), ("self (leaf)", la, lb)):
    print(f"\n== {title}: A, B, A-B per 1,000 requests, by |A-B|")
    keys = set(A) | set(B)
    rows = sorted(keys, key=lambda f: -abs(k*A[f]/ra - k*B[f]/rb))[:top]
    for f in rows:
        print(f"{k*A[f]/ra:7.2f} {k*B[f]/rb:7.2f} {k*A[f]/ra-k*B[f]/rb:+7.2f}  {f}")
