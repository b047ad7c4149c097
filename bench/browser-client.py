#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Times a browser MCP server (aios-browserd through the gateway, or @playwright/mcp) on the fixture site
# (tests/browser/fixture.py), over Streamable HTTP in one MCP session, as an agent would call it:
#   navigate+snapshot  browser_navigate to a page, then browser_snapshot
#   click+snapshot     browser_click on /counter's button (its ref from the last snapshot), then browser_snapshot
# Every answer is checked (the page's title or the counter's new value in the snapshot), so a fast error is
# not a figure. Prints one line per row: "BENCH server=NAME row=ROW page=PATH n=N p50_ms=X p99_ms=Y
# chars=C refs=R" (chars: the snapshot's text, refs: the [ref=...] handles in it).
# usage: browser-client.py NAME MCP_URL SITE_ORIGIN ROUNDS SECONDS [HEADER...]   (HEADER as "Name: value")
# ROUNDS bounds the calls per row, SECONDS each row's time (a row stops early when its time is up). The last
# row, /big (100,000 nodes), is timed once: one navigate+snapshot there is what fills a model's context.
import http.client
import json
import os
import re
import sys
import time
from urllib.parse import urlsplit

name, url, site, rounds, seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
extra = dict(h.split(': ', 1) for h in sys.argv[6:])
parts = urlsplit(url)
conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
session = None
next_id = 0

# (path, what the snapshot must show, rounds at most)
PAGES = [('/article', 'How the browser works', rounds), ('/form', 'Order form', rounds),
         ('/frames', 'Press in same', rounds), ('/dialogs', 'Ask prompt', rounds)]


def die(why):
    print('browser-client %s: %s' % (name, why), file=sys.stderr)
    sys.exit(1)


def post(message):
    global session
    headers = {'Content-Type': 'application/json', 'Accept': 'application/json, text/event-stream',
               'MCP-Protocol-Version': '2025-11-25', **extra}
    if session:
        headers['Mcp-Session-Id'] = session
    conn.request('POST', parts.path, json.dumps(message), headers)
    r = conn.getresponse()
    body = r.read().decode('utf-8', 'replace')
    session = r.getheader('Mcp-Session-Id') or session
    if 'id' not in message:
        return None
    if r.status != 200:
        die('%s answered HTTP %d: %s' % (message['method'], r.status, body[:500]))
    if r.getheader('Content-Type', '').startswith('text/event-stream'):
        for line in body.splitlines():
            if line.startswith('data: '):
                m = json.loads(line[6:])
                if m.get('id') == message['id']:
                    return m
        die('%s: no answer in the event stream: %s' % (message['method'], body[:500]))
    return json.loads(body)


def request(method, params):
    global next_id
    next_id += 1
    answer = post({'jsonrpc': '2.0', 'id': next_id, 'method': method, 'params': params})
    if 'error' in answer:
        die('%s: %s' % (method, json.dumps(answer['error'])[:500]))
    return answer['result']


def text_of(result):
    return ''.join(c.get('text', '') for c in result.get('content', []) if c.get('type') == 'text')


class ToolFailed(Exception):
    pass


# A tool error ends the run with its text (but for /big, below).
sys.excepthook = lambda kind, value, tb: die(str(value)) if kind is ToolFailed else sys.__excepthook__(kind, value, tb)


def call(tool, arguments):
    result = request('tools/call', {'name': tool, 'arguments': arguments})
    if result.get('isError'):
        raise ToolFailed('%s %s: %s' % (tool, json.dumps(arguments), text_of(result)[:500]))
    return text_of(result)


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] * 1000


def row(row_name, path, times, snapshot):
    keep = os.environ.get('BENCH_SNAPSHOT_DIR')
    if keep:
        with open(os.path.join(keep, '%s-%s%s.txt' % (name, row_name, path.replace('/', '-'))), 'w') as f:
            f.write(snapshot)
    print('BENCH server=%s row=%s page=%s n=%d p50_ms=%.1f p99_ms=%.1f chars=%d refs=%d' % (
        name, row_name, path, len(times), pct(times, 50), pct(times, 99), len(snapshot),
        len(re.findall(r'\[ref=[^\]]+\]', snapshot))), flush=True)


request('initialize', {'protocolVersion': '2025-11-25', 'capabilities': {},
                       'clientInfo': {'name': 'aios-bench', 'version': '1.0.0'}})
post({'jsonrpc': '2.0', 'method': 'notifications/initialized'})
tools = {t['name']: t for t in request('tools/list', {})['tools']}
for t in ('browser_navigate', 'browser_snapshot'):
    if t not in tools:
        die('no tool %s (the server lists %s)' % (t, ', '.join(sorted(tools))))
# The element's handle is "ref" (aios, Playwright MCP before 0.0.70) or "target" (Playwright MCP since).
handle = 'ref' if 'ref' in tools.get('browser_click', {}).get('inputSchema', {}).get('properties', {}) else 'target'

# A first page, untimed: the browser starts (or its context is made) here.
call('browser_navigate', {'url': site + '/'})


def navigate_and_snapshot(path, expected, n):
    times, snapshot = [], ''
    deadline = time.monotonic() + seconds
    for _ in range(n):
        if times and time.monotonic() > deadline:
            break
        t0 = time.monotonic()
        call('browser_navigate', {'url': site + path})
        snapshot = call('browser_snapshot', {})
        times.append(time.monotonic() - t0)
        if expected not in snapshot:
            die('the snapshot of %s lacks "%s": %s' % (path, expected, snapshot[:800]))
    row('navigate+snapshot', path, times, snapshot)


for path, expected, n in PAGES:
    navigate_and_snapshot(path, expected, n)


def click_and_snapshot():
    snapshot = call('browser_snapshot', {})
    times = []
    deadline = time.monotonic() + seconds
    for i in range(1, rounds + 1):
        if times and time.monotonic() > deadline:
            break
        m = re.search(r'button "Add one"[^\n]*?\[ref=([^\]]+)\]', snapshot)
        if not m:
            die('no ref for the button "Add one" in: %s' % snapshot[:800])
        t0 = time.monotonic()
        call('browser_click', {'element': 'Add one button', handle: m.group(1)})
        snapshot = call('browser_snapshot', {})
        times.append(time.monotonic() - t0)
        if not re.search(r'\b%d\b' % i, snapshot.split('Clicks', 1)[-1][:200]):
            die('after %d clicks the snapshot does not show %d: %s' % (i, i, snapshot[:800]))
    row('click+snapshot', '/counter', times, snapshot)


call('browser_navigate', {'url': site + '/counter'})
if 'browser_click' in tools:
    click_and_snapshot()
else:
    print('browser-client %s: no browser_click, no click+snapshot row' % name, file=sys.stderr)

# A failure here is a figure too: the row says so instead of ending the run.
try:
    navigate_and_snapshot('/big', 'Big page', 1)
except ToolFailed as e:
    print('BENCH server=%s row=navigate+snapshot page=/big n=0 failed=%s' % (
        name, re.sub(r'\s+', '_', str(e).split(': ', 1)[-1])[:120]), flush=True)
