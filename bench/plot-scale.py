#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Draws bench/gateway-scale.sh's figures as SVG, with nothing but the standard library: for each axis (the
# first column of DATA), one file AXIS.svg in OUT_DIR with two charts side by side, throughput (req/s) and p99
# latency (ms) against the axis on a logarithmic scale, a line per series (gateway, direct).
# usage: plot-scale.py DATA OUT_DIR NOTE
# DATA: lines "AXIS X SERIES RPS P99_US", AXIS being connections or backends; NOTE: a line under the title
# (the run's load average, say).
import math
import sys
from collections import defaultdict
from xml.sax.saxutils import escape

data_path, out_dir, note = sys.argv[1], sys.argv[2], sys.argv[3]
points = defaultdict(lambda: defaultdict(list))  # axis -> series -> [(x, rps, p99_ms)]
with open(data_path) as f:
    for line in f:
        if line.strip():
            axis, x, series, rps, p99 = line.split()
            points[axis][series].append((float(x), float(rps), float(p99) / 1000))

TITLES = {'connections': ('tools/call on /mcp against connections (one backend)', 'connections'),
          'backends': ('tools/call on /mcp against backends behind it (32 connections)', 'backends on /mcp')}
COLOURS = {'gateway': '#d62728', 'direct': '#1f77b4'}
LABELS = {'gateway': 'through aios-gatewayd (direct D-Bus connection)', 'direct': 'direct HTTP to aios-conformanced'}
W, H = 460, 300              # one chart
L, R, T, B = 70, 20, 30, 50  # its margins


def nice_max(v):
    if v <= 0:
        return 1
    e = 10 ** math.floor(math.log10(v))
    for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * e >= v:
            return m * e
    return 10 * e


def chart(ox, title, series, index, unit):
    xs = sorted({p[0] for s in series.values() for p in s})
    lo, hi = math.log(xs[0]), math.log(xs[-1]) if xs[-1] > xs[0] else math.log(xs[0]) + 1
    ymax = nice_max(max(p[index] for s in series.values() for p in s) * 1.05)
    px = lambda x: ox + L + (math.log(x) - lo) / (hi - lo) * (W - L - R)
    py = lambda y: T + (1 - y / ymax) * (H - T - B)
    out = ['<text x="%g" y="18" font-size="13" font-weight="bold">%s</text>' % (ox + L, escape(title))]
    for i in range(6):  # the grid and the y labels
        y = ymax * i / 5
        out.append('<line x1="%g" x2="%g" y1="%g" y2="%g" stroke="#ddd"/>' % (ox + L, ox + W - R, py(y), py(y)))
        out.append('<text x="%g" y="%g" font-size="11" text-anchor="end">%s</text>'
                   % (ox + L - 5, py(y) + 4, ('%.0f' if ymax >= 10 else '%.2g') % y))
    for x in xs:  # the x labels
        out.append('<line x1="%g" x2="%g" y1="%g" y2="%g" stroke="#eee"/>' % (px(x), px(x), T, H - B))
        out.append('<text x="%g" y="%g" font-size="11" text-anchor="middle">%g</text>' % (px(x), H - B + 15, x))
    out.append('<text x="%g" y="%g" font-size="11" text-anchor="middle">%s</text>'
               % (ox + (L + W - R) / 2, H - 12, escape(unit[0])))
    out.append('<text x="%g" y="%g" font-size="11" text-anchor="middle" transform="rotate(-90 %g %g)">%s</text>'
               % (ox + 14, (T + H - B) / 2, ox + 14, (T + H - B) / 2, escape(unit[1])))
    out.append('<rect x="%g" y="%g" width="%g" height="%g" fill="none" stroke="#888"/>'
               % (ox + L, T, W - L - R, H - T - B))
    for name, s in sorted(series.items()):
        s = sorted(s)
        c = COLOURS.get(name, '#2ca02c')
        out.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>'
                   % (c, ' '.join('%.1f,%.1f' % (px(p[0]), py(p[index])) for p in s)))
        for p in s:
            out.append('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s %g: %.6g</title></circle>'
                       % (px(p[0]), py(p[index]), c, name, p[0], p[index]))
    return out


for axis, series in points.items():
    title, xlabel = TITLES.get(axis, (axis, axis))
    width, height = 2 * W + 20, H + 56 + 20 * len(series)
    svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif">' % (width, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<g transform="translate(0,40)">']
    svg += chart(0, 'throughput', series, 1, (xlabel, 'requests/s'))
    svg += chart(W + 20, 'p99 latency', series, 2, (xlabel, 'ms'))
    svg.append('</g>')
    svg.insert(2, '<text x="10" y="16" font-size="14" font-weight="bold">%s</text>' % escape(title))
    svg.insert(3, '<text x="10" y="32" font-size="11" fill="#555">%s</text>' % escape(note))
    for i, name in enumerate(sorted(series)):  # the legend
        y = H + 56 + 20 * i
        svg.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2"/>'
                   % (L, L + 25, y, y, COLOURS.get(name, '#2ca02c')))
        svg.append('<text x="%d" y="%d" font-size="12">%s</text>' % (L + 32, y + 4, escape(LABELS.get(name, name))))
    svg.append('</svg>')
    with open('%s/%s.svg' % (out_dir, axis), 'w') as f:
        f.write('\n'.join(svg) + '\n')
    print('%s/%s.svg' % (out_dir, axis))
