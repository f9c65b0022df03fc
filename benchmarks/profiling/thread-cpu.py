#!/usr/bin/env python3
"""CPU of a process's threads by thread name, between two snapshots, per request: what profile-pair.sh prints per round
(the background GC's thread, the activity pump, the thread pool's workers apart). A thread that exits between the two
snapshots is lost (the thread pool retires a few), so the parts need not add up to the process's CPU exactly.
Usage: thread-cpu.py snap <pid> > file; thread-cpu.py diff <before> <after> <requests>"""
import collections, os, re, sys

def snap(pid):
    ticks = collections.Counter()
    for tid in os.listdir(f'/proc/{pid}/task'):
        try:
            s = open(f'/proc/{pid}/task/{tid}/stat').read()
        except OSError:
            continue
        name = s[s.index('(') + 1:s.rindex(')')]
        f = s[s.rindex(')') + 2:].split()
        # The pool's and the pump's threads carry numbers or ids in their names: group them.
        name = re.sub(r'\s*[#(]?\d+\)?$', '', name).strip() or name
        ticks[(tid, name)] = int(f[11]) + int(f[12])
    return ticks

def load(path):
    out = {}
    for line in open(path):
        tid, ticks, name = line.rstrip('\n').split('\t')
        out[(tid, name)] = int(ticks)
    return out

if sys.argv[1] == 'snap':
    for (tid, name), t in snap(sys.argv[2]).items():
        print(f'{tid}\t{t}\t{name}')
else:
    a, b, n = load(sys.argv[2]), load(sys.argv[3]), int(sys.argv[4])
    by = collections.Counter()
    for k, t in b.items():
        by[k[1]] += t - a.get(k, 0)
    hz = os.sysconf('SC_CLK_TCK')
    print(', '.join(f'{name} {1e6 * t / hz / n:.1f}' for name, t in by.most_common() if t > 0))
