#!/usr/bin/env python3
# Samples a process's threads every 20 ms for N seconds: total threads, threads in state R (running or runnable),
# R by thread name, and the machine's procs_running (/proc/stat).
import os, sys, time, collections
pid, secs = int(sys.argv[1]), float(sys.argv[2])
end = time.time() + secs
n = 0; tot = 0; runnable = 0; machine = 0; byname = collections.Counter(); names = collections.Counter(); hist = collections.Counter(); mhist = collections.Counter()
while time.time() < end:
    r = 0; t = 0
    for tid in os.listdir(f'/proc/{pid}/task'):
        try:
            s = open(f'/proc/{pid}/task/{tid}/stat').read()
        except OSError:
            continue
        name = s[s.index('(') + 1:s.rindex(')')]; st = s[s.rindex(')') + 2]
        t += 1
        if n == 0: names[name] += 1
        if st == 'R': r += 1; byname[name] += 1
    for line in open('/proc/stat'):
        if line.startswith('procs_running'): m = int(line.split()[1]) - 1; break  # minus this sampler
    n += 1; tot += t; runnable += r; machine += m; hist[r] += 1; mhist[min(m, 12)] += 1
    time.sleep(0.02)
print(f'{n} samples: threads {tot / n:.1f}, runnable in the process {runnable / n:.2f} (distribution {dict(sorted(hist.items()))}), machine procs_running {machine / n:.2f} (distribution {dict(sorted(mhist.items()))})')
print('runnable by thread name (mean):', ', '.join(f'{k} {v / n:.2f}' for k, v in byname.most_common(12)))
print('threads by name at start:', ', '.join(f'{k} {v}' for k, v in names.most_common()))
