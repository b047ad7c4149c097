#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Reads valgrind's --xtree-memory=full file (callgrind format, one allocation stack after another, each frame a
# fn= with the call to the next) and prints where the allocations come from: each stack's blocks and bytes
# allocated over the run go to its innermost frame in aios's own sources (a path with /src/ in it), beside the
# library function that called malloc there. For bench/gateway-massif.sh.
# usage: xtree-sites.py XTMEMORY_FILE TOP CALLS   (CALLS: the requests of the run, for the per-call columns)
import re
import sys
from collections import defaultdict

path, top, calls = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
files, names = {}, {}


def ref(table, value):
    """fl=(N) name / fn=(N) name: callgrind's name compression."""
    m = re.match(r'\((\d+)\)(?: (.*))?', value)
    if not m:
        return value
    if m.group(2) is not None:
        table[m.group(1)] = m.group(2)
    return table.get(m.group(1), '?')


sites = defaultdict(lambda: [0, 0, defaultdict(int)])  # site -> [bytes, blocks, {leaf: blocks}]
total_bytes = total_blocks = 0
stack, fl, fn, after_call = [], '?', '?', False
with open(path) as f:
    for line in f:
        line = line.rstrip('\n')
        if line.startswith('fl='):
            fl = ref(files, line[3:])
        elif line.startswith('fn='):
            fn = ref(names, line[3:])
            stack.append((fl, fn))
            after_call = False
        elif line.startswith(('cfi=', 'cfl=')):
            ref(files, line[4:])
        elif line.startswith('cfn='):
            ref(names, line[4:])
        elif line.startswith('calls='):
            after_call = True
        elif line and line[0].isdigit():
            v = line.split()
            if after_call:  # the inclusive cost of the call just named: the stack goes on
                after_call = False
                continue
            if len(v) >= 5 and (int(v[3]) or int(v[4])):  # a leaf's own cost: curB curBk totB totBk ...
                b, k = int(v[3]), int(v[4])
                total_bytes += b
                total_blocks += k
                own = [s for s in stack if '/src/' in s[0]]
                site = '%s (%s)' % (own[-1][1], own[-1][0].split('/src/')[-1]) if own else 'outside aios: ' + stack[-1][1]
                leaf = stack[-1][1] if stack else '?'
                sites[site][0] += b
                sites[site][1] += k
                sites[site][2][leaf] += k
            if v and len(v) >= 5:
                stack = []

print('%d blocks, %d bytes allocated over the run: %.1f blocks, %.0f bytes per call (%d calls)'
      % (total_blocks, total_bytes, total_blocks / calls, total_bytes / calls, calls))
print('%-58s %9s %8s %10s %8s  %s' % ('innermost aios frame (file)', 'blocks', '/call', 'bytes', '/call', 'allocated by'))
for site, (b, k, leaves) in sorted(sites.items(), key=lambda kv: -kv[1][1])[:top]:
    by = ', '.join('%s %d%%' % (leaf, 100 * n / k) for leaf, n in sorted(leaves.items(), key=lambda kv: -kv[1])[:2])
    print('%-58s %9d %8.1f %10d %8.0f  %s' % (site[:58], k, k / calls, b, b / calls, by))
