#!/usr/bin/env python3
# h2load --log-file (start us since epoch, status, duration us) against the GC pauses (start us since epoch, length us):
# p50/p99 of all requests, share of requests whose time overlapped a pause, and p99 with each request's overlap taken off.
import sys, bisect
reqs = [tuple(map(int, l.split('\t')[:3])) for l in open(sys.argv[1]) if l.strip()]
pauses = sorted(tuple(map(int, l.split()[:2])) for l in open(sys.argv[2]))
ps = [p[0] for p in pauses]
lo = pauses[0][0]; hi = pauses[-1][0] + pauses[-1][1]
reqs = [r for r in reqs if r[0] >= lo - 1_000_000 and r[0] <= hi]  # the traced window only
d_all = []; d_wo = []; hit = 0; hit_d = []
for s, st, d in reqs:
    e = s + d; ov = 0
    i = bisect.bisect_right(ps, e) - 1
    while i >= 0 and pauses[i][0] + pauses[i][1] > s - 50_000:
        a, l = pauses[i]; ov += max(0, min(e, a + l) - max(s, a)); i -= 1
    d_all.append(d / 1000); d_wo.append((d - ov) / 1000)
    if ov > 0: hit += 1; hit_d.append(d / 1000)
q = lambda a, x: sorted(a)[int(x * (len(a) - 1))]
n = len(reqs)
p99 = q(d_all, .99)
print(f'{n} requests in the traced window; p50 {q(d_all,.5):.2f} p99 {q(d_all,.99):.2f} ms; {hit} ({100*hit/n:.2f}%) overlapped a GC pause (their p50 {q(hit_d,.5):.2f} ms); p99 with the pause time taken off {q(d_wo,.99):.2f} ms; requests over the p99: {sum(1 for x in d_all if x > p99)}, of them overlapping a pause: {sum(1 for x,y in zip(d_all,d_wo) if x > p99 and x != y)}')
