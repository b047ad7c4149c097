#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# A mixed MCP load on the gateway, for bench/gateway-soak.sh: SESSIONS clients at once, each living one short
# life after another until SECONDS have passed or MAX_REQUESTS were sent. A life picks an endpoint (/mcp or
# /servers/conformance/mcp) and a wire:
#   session    (2025-11-25) initialize and notifications/initialized, then calls; at the end DELETE, or the
#              session abandoned (its connection closed, no DELETE) for the gateway to expire
#   stateless  (2026-07-28) every request with its context in _meta, no session
# and between 3 and 20 actions, a think time apart (0 to 2 x THINK_MS):
#   call       tools/call test_simple_text, answered in JSON (its text checked)
#   streamed   tools/call test_tool_with_progress with a progressToken: progress notifications and the result
#              on an SSE stream (the result checked)
#   list       tools/list
#   stream     on a second connection, a GET stream of the session (session wire) or a subscriptions/listen
#              stream (stateless wire), held 0.5 to 3 s, then dropped without a word
# Every answer is checked: a wrong one counts as an error, a 404 of a session the gateway ended (its table
# full) as not_found, a 503 with Retry-After (the backend had all the calls in progress it may: the gateway's
# overload refusal, -32030, which a client retries) as busy. With PID, that process's resident set is read every half second; the largest is
# peak_kib. Prints one line: "SOAK key=value ...". Loopback only: any other host is refused.
# usage: gateway-soak-client.py BASE_URL SECONDS SESSIONS MAX_REQUESTS THINK_MS [PID]
import asyncio
import json
import random
import sys
import time
from urllib.parse import urlsplit

base, seconds, n_sessions, max_requests, think_ms = (sys.argv[1], float(sys.argv[2]), int(sys.argv[3]),
                                                     int(sys.argv[4]), float(sys.argv[5]))
pid = int(sys.argv[6]) if len(sys.argv) > 6 else None
parts = urlsplit(base)
if parts.hostname not in ('127.0.0.1', '::1', 'localhost'):
    sys.exit('gateway-soak-client: %s is not a loopback address' % parts.hostname)
HOST, PORT = parts.hostname, parts.port
ENDPOINTS = ['/mcp', '/servers/conformance/mcp']
TEXT = 'This is a simple text response for testing.'
IO_TIMEOUT = 15
META = {'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {},
        'io.modelcontextprotocol/clientInfo': {'name': 'gateway-soak', 'version': '1'}}

counts = {k: 0 for k in ('lives', 'sessions', 'stateless', 'requests', 'calls', 'streamed', 'lists', 'streams',
                         'deleted', 'abandoned', 'errors', 'not_found', 'busy')}
first_errors = []
deadline = time.monotonic() + seconds


class Answer:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def messages(self):
        """The JSON-RPC messages of a JSON body or of an SSE stream's data lines."""
        if self.headers.get('content-type', '').startswith('text/event-stream'):
            # (an event with empty data primes the stream for resumption: not a message)
            return [json.loads(line[5:]) for line in self.body.split('\n') if line.startswith('data:') and line[5:].strip()]
        return [json.loads(self.body)] if self.body.strip() else []


class Connection:
    def __init__(self):
        self.reader = self.writer = None

    async def open(self):
        if self.writer is None:
            self.reader, self.writer = await asyncio.wait_for(asyncio.open_connection(HOST, PORT), IO_TIMEOUT)

    def close(self):
        if self.writer is not None:
            self.writer.transport.abort()  # no goodbye: a client that just goes away
        self.reader = self.writer = None

    async def send(self, method, path, headers, body=None):
        await self.open()
        data = json.dumps(body).encode() if body is not None else b''
        head = ['%s %s HTTP/1.1' % (method, path), 'Host: %s:%d' % (HOST, PORT),
                'Accept: application/json, text/event-stream', 'Content-Length: %d' % len(data)]
        if body is not None:
            head.append('Content-Type: application/json')
        head += ['%s: %s' % kv for kv in headers.items()]
        self.writer.write(('\r\n'.join(head) + '\r\n\r\n').encode() + data)
        counts['requests'] += 1

    async def head(self):
        line = await self.reader.readline()
        if not line:
            raise ConnectionError('the gateway closed the connection')
        status = int(line.split()[1])
        headers = {}
        while True:
            line = (await self.reader.readline()).decode('latin-1').rstrip('\r\n')
            if not line:
                return status, headers
            k, _, v = line.partition(':')
            headers[k.strip().lower()] = v.strip()

    async def chunk(self):
        size = int((await self.reader.readline()).split(b';')[0], 16)
        data = await self.reader.readexactly(size + 2)
        return data[:-2]

    async def answer(self):
        async def read():
            status, headers = await self.head()
            if 'content-length' in headers:
                body = await self.reader.readexactly(int(headers['content-length']))
            elif headers.get('transfer-encoding', '').lower() == 'chunked':
                body = b''
                while True:
                    data = await self.chunk()  # the last one, empty, takes the CRLF that ends the message
                    if not data:
                        break
                    body += data
            else:
                body = await self.reader.read()
                self.close()
            if headers.get('connection', '').lower() == 'close':
                self.close()
            return Answer(status, headers, body.decode('utf-8', 'replace'))
        return await asyncio.wait_for(read(), IO_TIMEOUT)

    async def request(self, method, path, headers, body=None):
        await self.send(method, path, headers, body)
        return await self.answer()


def error(why):
    counts['errors'] += 1
    if len(first_errors) < 5:
        first_errors.append(why)


def result_of(answer, id, what):
    """The result of request id in answer, or None (an error counted)."""
    if answer.status == 503 and 'retry-after' in answer.headers:
        counts['busy'] += 1
        return None
    if answer.status != 200:
        error('%s: HTTP %d %s' % (what, answer.status, answer.body[:200]))
        return None
    for m in answer.messages():
        if m.get('id') == id:
            if 'result' in m:
                return m['result']
            error('%s: %s' % (what, json.dumps(m.get('error'))[:200]))
            return None
    error('%s: no answer to request %s: %s' % (what, id, answer.body[:200]))
    return None


class Life:
    def __init__(self):
        self.endpoint = random.choice(ENDPOINTS)
        self.stateless = random.random() < 0.5
        self.conn = Connection()
        self.session = None
        self.next_id = 0
        self.streams = []

    def headers(self, method=None, name=None):
        if self.stateless:
            h = {'MCP-Protocol-Version': '2026-07-28'}
            if method:
                h['Mcp-Method'] = method
            if name:
                h['Mcp-Name'] = name
            return h
        h = {'MCP-Protocol-Version': '2025-11-25'}
        if self.session:
            h['Mcp-Session-Id'] = self.session
        return h

    def message(self, method, params):
        self.next_id += 1
        if self.stateless:
            params = dict(params)
            params['_meta'] = dict(META, **params.get('_meta', {}))
        return {'jsonrpc': '2.0', 'id': self.next_id, 'method': method, 'params': params}

    async def post(self, method, params, name=None):
        m = self.message(method, params)
        a = await self.conn.request('POST', self.endpoint, self.headers(method, name), m)
        if a.status == 404 and self.session:
            counts['not_found'] += 1  # the gateway ended the session to make room: what a client sees then
            return None
        return result_of(a, m['id'], '%s %s' % (method, self.endpoint))

    async def start(self):
        if self.stateless:
            counts['stateless'] += 1
            return True
        m = self.message('initialize', {'protocolVersion': '2025-11-25', 'capabilities': {},
                                        'clientInfo': {'name': 'gateway-soak', 'version': '1'}})
        a = await self.conn.request('POST', self.endpoint, self.headers(), m)
        if result_of(a, m['id'], 'initialize %s' % self.endpoint) is None:
            return False
        self.session = a.headers.get('mcp-session-id')
        if not self.session:
            error('initialize: no Mcp-Session-Id')
            return False
        a = await self.conn.request('POST', self.endpoint, self.headers(),
                                    {'jsonrpc': '2.0', 'method': 'notifications/initialized'})
        if a.status != 202:
            error('notifications/initialized: HTTP %d' % a.status)
            return False
        counts['sessions'] += 1
        return True

    async def call(self):
        r = await self.post('tools/call', {'name': 'test_simple_text', 'arguments': {}}, 'test_simple_text')
        if r is not None:
            if TEXT not in json.dumps(r):
                error('tools/call test_simple_text: %s' % json.dumps(r)[:200])
            counts['calls'] += 1
        return r is not None

    async def streamed(self):
        token = 'p%d' % self.next_id
        r = await self.post('tools/call', {'name': 'test_tool_with_progress', 'arguments': {},
                                           '_meta': {'progressToken': token}}, 'test_tool_with_progress')
        if r is not None:
            if token not in json.dumps(r):
                error('tools/call test_tool_with_progress: %s' % json.dumps(r)[:200])
            counts['streamed'] += 1
        return r is not None

    async def list(self):
        r = await self.post('tools/list', {})
        if r is not None:
            if 'test_simple_text' not in json.dumps(r):
                error('tools/list without test_simple_text')
            counts['lists'] += 1
        return r is not None

    async def stream(self):
        """A second connection holding a stream open, dropped later without a word."""
        conn = Connection()
        if self.stateless:
            m = self.message('subscriptions/listen', {'notifications': {'toolsListChanged': True}})
            await conn.send('POST', self.endpoint, self.headers('subscriptions/listen'), m)
        else:
            h = self.headers()
            h['Accept'] = 'text/event-stream'
            await conn.send('GET', self.endpoint, h)
        status, headers = await asyncio.wait_for(conn.head(), IO_TIMEOUT)
        if status != 200 or not headers.get('content-type', '').startswith('text/event-stream'):
            conn.close()
            if status == 404 and self.session:
                counts['not_found'] += 1
                return False
            if status == 503 and 'retry-after' in headers:
                counts['busy'] += 1
                return False
            error('stream on %s: HTTP %d' % (self.endpoint, status))
            return False
        counts['streams'] += 1
        self.streams.append(asyncio.get_running_loop().call_later(random.uniform(0.5, 3), conn.close))
        return True

    async def end(self):
        if self.session and random.random() < 0.5:
            a = await self.conn.request('DELETE', self.endpoint, self.headers())
            if a.status not in (200, 202, 204, 404):
                error('DELETE: HTTP %d' % a.status)
            counts['deleted'] += 1
        elif self.session:
            counts['abandoned'] += 1
        self.conn.close()

    async def live(self):
        counts['lives'] += 1
        try:
            if not await self.start():
                return
            actions = [self.call] * 5 + [self.streamed] * 2 + [self.list, self.stream]
            for _ in range(random.randint(3, 20)):
                if time.monotonic() >= deadline or counts['requests'] >= max_requests:
                    break
                await asyncio.sleep(random.uniform(0, 2 * think_ms) / 1000)
                action = random.choice(actions)
                if action == self.stream:
                    actions.remove(self.stream)  # one stream a life: a session has one GET stream at a time
                if not await action():
                    break
            await self.end()
        except (OSError, ConnectionError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as e:
            error('%s on %s: %s' % (type(e).__name__, self.endpoint, e))
            self.conn.close()


async def client():
    while time.monotonic() < deadline and counts['requests'] < max_requests:
        await Life().live()


def rss_kib():
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


async def main():
    peak = 0
    started = time.monotonic()
    tasks = [asyncio.create_task(client()) for _ in range(n_sessions)]
    while not all(t.done() for t in tasks):
        if pid:
            peak = max(peak, rss_kib())
        await asyncio.wait(tasks, timeout=0.5)
    for t in tasks:
        t.result()
    took = time.monotonic() - started
    await asyncio.sleep(3.5)  # the last streams' timers fire and drop them
    line = ' '.join('%s=%d' % kv for kv in counts.items())
    print('SOAK %s seconds=%.1f rps=%.0f peak_kib=%d' % (line, took, counts['requests'] / took, peak))
    for why in first_errors:
        print('  error: %s' % why, file=sys.stderr)


asyncio.run(main())
