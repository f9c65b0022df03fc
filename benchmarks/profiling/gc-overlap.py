#!/usr/bin/env python3
# h2load --log-file (start us since epoch, status, duration us) against the GC pauses (GcPauses' output file: start us
# since epoch, length us): p50/p99 of the requests in the traced window, the share whose time overlapped a pause, the
# p99 with each request's overlap taken off, and how many of the requests above the p99 met a pause, or a pause or the
# 5 ms after it (the backlog a pause leaves).
# Usage: gc-overlap.py <h2load log> <pauses file>
import sys, bisect
reqs = [tuple(map(int, l.split('\t')[:3])) for l in open(sys.argv[1]) if l.strip()]
pauses = sorted(tuple(map(int, l.split()[:2])) for l in open(sys.argv[2]))
starts = [p[0] for p in pauses]
lo = pauses[0][0]; hi = pauses[-1][0] + pauses[-1][1]
reqs = [r for r in reqs if lo - 1_000_000 <= r[0] <= hi]  # the traced window only

def overlap(s, e, margin):
    total = 0
    i = bisect.bisect_right(starts, e) - 1
    while i >= 0 and pauses[i][0] + pauses[i][1] + margin > s - 100_000:
        a, l = pauses[i]; total += max(0, min(e, a + l + margin) - max(s, a)); i -= 1
    return total

q = lambda a, x: sorted(a)[int(x * (len(a) - 1))]
d = [r[2] / 1000 for r in reqs]
ov = [overlap(s, s + dur, 0) for s, _, dur in reqs]
ov5 = [overlap(s, s + dur, 5000) for s, _, dur in reqs]
n = len(reqs); p99 = q(d, .99)
hit = [x for x, o in zip(d, ov) if o > 0]
slow = [(o, o5) for x, o, o5 in zip(d, ov, ov5) if x > p99]
print(f'{n} requests in the traced window; p50 {q(d, .5):.2f} p99 {p99:.2f} ms; {len(hit)} ({100 * len(hit) / n:.2f}%) overlapped '
      f'a GC pause (their p50 {q(hit, .5):.2f} ms); p99 with the pause time taken off {q([x - o / 1000 for x, o in zip(d, ov)], .99):.2f} ms; '
      f'requests over the p99: {len(slow)}, of them overlapping a pause: {sum(1 for o, _ in slow if o > 0)}, '
      f'a pause or the 5 ms after it: {sum(1 for _, o5 in slow if o5 > 0)} (of all requests: {100 * sum(1 for o5 in ov5 if o5 > 0) / n:.2f}%)')
