#!/usr/bin/env python3
"""Summarizes dotnet-counters csv files (counters-sidecar.sh) over the loaded seconds of each target (more than 5,000
thread-pool work items in the second): GCs/s by generation, GC pause ms per s and per GC, MB/s allocated, bytes per
work item. Usage: counters-summary.py <csv>..."""
import collections, csv, os, sys

def summarize(path):
    ticks = collections.defaultdict(dict)
    with open(path, newline='') as f:
        for row in csv.DictReader(f):
            ticks[row['Timestamp']][row['Counter Name']] = float(row['Mean/Increment'] or 0)
    loaded = [t for t in ticks.values() if t.get('dotnet.thread_pool.work_item.count ({work_item} / 1 sec)', 0) > 5000]
    n = len(loaded)
    if n == 0:
        return None
    s = lambda k: sum(t.get(k, 0) for t in loaded)
    g = [s(f'dotnet.gc.collections ({{collection}} / 1 sec)[gc.heap.generation=gen{i}]') for i in range(3)]
    pause = s('dotnet.gc.pause.time (s / 1 sec)')
    alloc = s('dotnet.gc.heap.total_allocated (By / 1 sec)')
    items = s('dotnet.thread_pool.work_item.count ({work_item} / 1 sec)')
    gen0 = sorted(t.get('dotnet.gc.last_collection.heap.size (By)[gc.heap.generation=gen0]', 0) for t in loaded)
    return (n, g[0] / n, g[1] / n, g[2] / n, 1000 * pause / n, 1000 * pause / max(1, sum(g)), alloc / n / 1e6, alloc / items, items / n)

print('| Process | loaded s | GCs/s gen0 / gen1 / gen2 | GC pause ms per s | ms per GC | allocated MB/s | bytes per work item | work items/s |')
print('|---|--:|--:|--:|--:|--:|--:|--:|')
for p in sys.argv[1:]:
    r = summarize(p)
    if r:
        print(f'| {os.path.basename(p)[:-4]} | {r[0]} | {r[1]:.2f} / {r[2]:.2f} / {r[3]:.3f} | {r[4]:.1f} | {r[5]:.1f} | {r[6]:.1f} | {r[7]:,.0f} | {r[8]:,.0f} |')
