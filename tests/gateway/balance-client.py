#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# The client side of tests/gateway/balance-check.sh: MCP calls through one gateway to a Type=http backend
# with several endpoints, and what the gateway's /metrics and /readyz say of each endpoint. One step per
# invocation; prints what it checked and exits 1 on the first thing that is wrong. The API key is
# $AIOS_API_KEY, the Host header $AIOS_HOST (when set).
#   balance-client.py spread GATEWAY BACKEND CALLS THREADS [up-only]
#                                                            2026-07-28 calls from THREADS threads: every
#                                                            answer right, none to an endpoint that is out,
#                                                            and the calls each up endpoint got (its counter
#                                                            in /metrics) within 20% of even (up-only: not
#                                                            checked, as with two endpoints left, where one
#                                                            slowed down by a busy machine gets fewer)
#   balance-client.py load GATEWAY BACKEND CALLS THREADS KILL-COMMAND
#                                                            CALLS calls, then KILL-COMMAND, then CALLS more:
#                                                            only calls begun before it returned may fail,
#                                                            each with a sentence saying the server went away
#   balance-client.py wait GATEWAY BACKEND URL up|down|absent SECONDS
#                                                            /readyz shows the endpoint so, within SECONDS
#   balance-client.py wait-up GATEWAY BACKEND N SECONDS     /readyz shows N endpoints up, within SECONDS
#   balance-client.py no-address GATEWAY BACKEND            a backend whose name has no address: no endpoint,
#                                                            down, and a call to it told why
#   balance-client.py session GATEWAY BACKEND                a 2025-11-25 session's calls all go to one
#                                                            endpoint, also between 2026-07-28 calls that go
#                                                            round; prints that endpoint's URL last
#   balance-client.py session-moves GATEWAY BACKEND KILL-COMMAND
#                                                            a session on /servers/BACKEND/mcp, its endpoint
#                                                            killed ("KILL-COMMAND URL"): its next call is
#                                                            answered from another endpoint (or gets 404, and
#                                                            it initializes again there); then a session on
#                                                            /mcp, its endpoint killed: it goes on
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

MODERN = "2026-07-28"
LEGACY = "2025-11-25"
TOOL = "test_input_required_result_elicitation"
KEY = os.environ.get("AIOS_API_KEY", "")
HOST = os.environ.get("AIOS_HOST", "")  # the Host the gateway is asked with, when not its address


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def ok(message):
    print("ok: " + message)


def post(url, body, headers=None, timeout=15):
    h = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if KEY:
        h["Authorization"] = "Bearer " + KEY
    if HOST:
        h["Host"] = HOST
    h.update(headers or {})
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=h, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), parse(r.read().decode(), r.headers.get("Content-Type", ""))
    except urllib.error.HTTPError as e:
        text = e.read().decode()
        return e.code, dict(e.headers), parse(text, e.headers.get("Content-Type", ""))


def parse(text, content_type):
    if "text/event-stream" in content_type:
        last = None
        for line in text.splitlines():
            if line.startswith("data:") and line[5:].strip():
                last = json.loads(line[5:])
        return last
    return json.loads(text) if text.strip() else None


def get(gateway, path, timeout=5):
    req = urllib.request.Request(gateway + path, headers={"Host": HOST} if HOST else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.read().decode()
    except urllib.error.HTTPError as e:
        return e.read().decode()


def endpoints(gateway, backend):
    """/readyz's endpoints of the backend: {url: {"up", "outstanding", "calls"}}."""
    return {e["url"]: e for e in json.loads(get(gateway, "/readyz")).get("endpoints", {}).get(backend, [])}


def sent(gateway, backend):
    """aios_gateway_backend_endpoint_calls_total of each endpoint of the backend."""
    counts = {}
    pattern = re.compile(r'^aios_gateway_backend_endpoint_calls_total\{backend="([^"]*)",url="([^"]*)"\} (\S+)$')
    for line in get(gateway, "/metrics").splitlines():
        m = pattern.match(line)
        if m and m.group(1) == backend:
            counts[m.group(2)] = int(float(m.group(3)))
    return counts


def delta(before, after):
    return {url: after[url] - before.get(url, 0) for url in after}


def text_of(reply):
    result = (reply or {}).get("result") or {}
    return " ".join(c.get("text", "") for c in result.get("content", []) if c.get("type") == "text")


def error_of(reply):
    return ((reply or {}).get("error") or {}).get("message", "")


def modern_call(url, tool, extra=None, timeout=15):
    params = {"name": tool, "arguments": {}, "_meta": {"io.modelcontextprotocol/protocolVersion": MODERN,
              "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}}}}
    params.update(extra or {})
    headers = {"MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call", "Mcp-Name": tool}
    return post(url, {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}, headers, timeout)


def echo(url, name, timeout=15):
    """A 2026-07-28 call whose answer names what it was asked: the elicitation tool answered at once."""
    return modern_call(url, TOOL, {"inputResponses": {"user_name": {"action": "accept", "content": {"name": name}}}},
                       timeout)


def call_many(url, prefix, calls, threads):
    """calls echo calls from threads threads at once; each must come back with its own name."""
    wrong, lock, next_call = [], threading.Lock(), iter(range(calls))

    def worker():
        while True:
            with lock:
                i = next(next_call, None)
            if i is None:
                return
            name = f"{prefix}-{i}"
            status, _, reply = echo(url, name)
            if status != 200 or name not in text_of(reply):
                with lock:
                    wrong.append((name, status, reply))

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if wrong:
        fail(f"{len(wrong)} of {calls} calls not answered right, the first: {wrong[0]}")


def spread(gateway, backend, calls, threads, even_within=0.2):
    url = f"{gateway}/servers/{backend}/mcp"
    up = [u for u, e in endpoints(gateway, backend).items() if e["up"]]
    before = sent(gateway, backend)
    call_many(url, "call", calls, threads)
    counts = delta(before, sent(gateway, backend))
    even = calls / len(up)
    print(f"calls per endpoint ({calls} calls from {threads} threads over {len(up)} endpoints, even = {even:.1f}):")
    for u in sorted(counts):
        print(f"  {u}: {counts[u]} ({100 * (counts[u] - even) / even:+.1f}%)" if u in up else f"  {u}: {counts[u]} (out)")
    if sum(counts[u] for u in up) != calls:
        fail(f"the endpoints counted {sum(counts.values())} calls, not {calls}")
    if even_within is None:
        ok(f"{calls} calls answered right, all by the {len(up)} endpoints up")
        return
    far = [u for u in up if abs(counts.get(u, 0) - even) > even_within * even]
    if far:
        fail(f"not within {even_within:.0%} of even: {', '.join(far)}")
    ok(f"{calls} calls answered right, spread within {even_within:.0%} of even over {len(up)} endpoints")


def busy(gateway, backend, busy_url, calls, threads):
    """One endpoint answers every call with 503: each call goes on to another, and is answered right."""
    url = f"{gateway}/servers/{backend}/mcp"
    before = sent(gateway, backend)
    call_many(url, "busy", calls, threads)
    counts = delta(before, sent(gateway, backend))
    for u in sorted(counts):
        print(f"  {u}: {counts[u]} sent" + (" (answers 503)" if u == busy_url else ""))
    if counts.get(busy_url, 0) == 0:
        fail(f"no call went to {busy_url}")
    if sum(n for u, n in counts.items() if u != busy_url) != calls:
        fail(f"the other endpoints took {sum(counts.values()) - counts.get(busy_url, 0)} calls, not {calls}")
    state = endpoints(gateway, backend).get(busy_url, {})
    if not state.get("up"):
        fail(f"{busy_url} was taken out for its 503s: {state}")
    ok(f"{calls} calls answered right; the {counts[busy_url]} sent to {busy_url} went on to another endpoint,"
       " and it stays in")


def busy_only(gateway, backend):
    """The only endpoint answers 503: the client is told to try again, with the seconds to wait."""
    status, headers, reply = echo(f"{gateway}/servers/{backend}/mcp", "busy-only")
    error = (reply or {}).get("error") or {}
    retry = {k.lower(): v for k, v in headers.items()}.get("retry-after")
    if status != 503 or error.get("code") != -32030 or (error.get("data") or {}).get("retryAfter") != 1 or retry != "1":
        fail(f"not 503, Retry-After: 1 and -32030 with retryAfter 1: {status} Retry-After: {retry} {reply}")
    ok(f"503, Retry-After: {retry}, {json.dumps(error)}")


def load(gateway, backend, calls, threads, kill):
    """calls before the kill, and as many after it; the deadline only bounds a run that hangs."""
    url = f"{gateway}/servers/{backend}/mcp"
    lock = threading.Lock()
    results = []  # (began, ended, good, why)
    killed = [None]
    deadline = time.monotonic() + 120

    def done_after():
        return killed[0] is not None and sum(1 for r in results if r[0] > killed[0]) >= calls

    def worker(n):
        i = 0
        while time.monotonic() < deadline:
            with lock:
                if done_after():
                    return
            name = f"w{n}-{i}"
            began = time.monotonic()
            try:
                if i % 2:
                    # One that takes a while (log messages 50 ms apart), so that calls are in flight at the kill.
                    status, _, reply = modern_call(url, "test_tool_with_logging", timeout=20)
                    good = status == 200 and "result" in (reply or {}) and not reply["result"].get("isError")
                else:
                    status, _, reply = echo(url, name, timeout=20)
                    good = status == 200 and name in text_of(reply)
                why = "" if good else f"HTTP {status}: {error_of(reply) or text_of(reply) or reply}"
            except (OSError, ValueError) as e:
                good, why = False, str(e)
            with lock:
                results.append((began, time.monotonic(), good, why))
            i += 1

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    while len(results) < calls and time.monotonic() < deadline:
        time.sleep(0.01)  # polling for the condition: that many calls answered
    before_kill = {u: e["outstanding"] for u, e in endpoints(gateway, backend).items() if e["up"]}
    kill_began = time.monotonic()
    subprocess.run(kill, shell=True, check=True)
    killed[0] = time.monotonic()
    for t in pool:
        t.join()
    if not done_after():
        fail(f"the load run did not finish within its deadline: {len(results)} calls")
    killed = killed[0]

    failed = [r for r in results if not r[2]]
    after = [r for r in results if r[0] > killed]
    print(f"load: {len(results)} calls from {threads} threads, a replica killed after {calls}; {len(failed)} failed; "
          f"{len(after)} begun after the kill, {sum(1 for r in after if not r[2])} of them failed")
    late = [r for r in failed if r[0] > killed]
    if late:
        fail(f"{len(late)} calls begun after the replica was gone failed, the first: {late[0][3]}")
    early = [r for r in failed if r[1] < kill_began]
    if early:
        fail(f"{len(early)} calls failed before the kill, the first: {early[0][3]}")
    if len(failed) > threads:
        fail(f"{len(failed)} calls failed, more than the {threads} that can be in flight at once")
    # The gateway's sentences for a server that went away with the call, or could not be reached.
    unclear = [r for r in failed if "stopped before it answered" not in r[3] and "unavailable" not in r[3]]
    if unclear:
        fail(f"a failed call without a sentence saying the server went away: {unclear[0][3]}")
    if not after:
        fail("no call began after the kill")
    print(f"  calls in progress per endpoint just before the kill (/readyz): {before_kill}")
    for r in failed:
        print(f"  failed in flight: {r[3]}")
    ok(f"only calls in flight on the killed replica failed ({len(failed)}), each saying so; "
       f"the {len(after)} calls after it all answered")


def wait(gateway, backend, url, state, seconds):
    deadline = time.monotonic() + seconds
    while True:
        e = endpoints(gateway, backend).get(url)
        now = "absent" if e is None else "up" if e["up"] else "down"
        if now == state:
            ok(f"/readyz shows {url} {state}")
            return
        if time.monotonic() > deadline:
            fail(f"/readyz still shows {url} {now} after {seconds} s, not {state}: {get(gateway, '/readyz')}")
        time.sleep(0.2)


def wait_up(gateway, backend, n, seconds):
    deadline = time.monotonic() + seconds
    while True:
        up = sorted(u for u, e in endpoints(gateway, backend).items() if e["up"])
        if len(up) == n:
            ok(f"/readyz shows {n} endpoints up: {', '.join(up)}")
            return
        if time.monotonic() > deadline:
            fail(f"/readyz shows {len(up)} endpoints up after {seconds} s, not {n}: {get(gateway, '/readyz')}")
        time.sleep(0.2)


def no_address(gateway, backend):
    deadline = time.monotonic() + 30
    while True:
        try:
            ready = json.loads(get(gateway, "/readyz"))
        except OSError:
            ready = {}  # not listening yet
        if ready.get("backends", {}).get(backend) == "down" and ready.get("endpoints", {}).get(backend) == []:
            break
        if time.monotonic() > deadline:
            fail(f"/readyz does not show {backend} down without endpoints: {ready}")
        time.sleep(0.2)
    status, _, reply = echo(f"{gateway}/servers/{backend}/mcp", "nobody")
    if "no address of its name is known" not in json.dumps(reply):
        fail(f"a call to a backend without addresses: HTTP {status}: {reply}")
    ok(f"a backend whose name has no address is down with no endpoint, and a call is told: {error_of(reply)}")


class Session:
    def __init__(self, url):
        self.url, self.id, self.n = url, None, 0

    def initialize(self):
        status, headers, reply = post(self.url, {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "balance", "version": "1"}}})
        self.id = headers.get("Mcp-Session-Id") or headers.get("mcp-session-id")
        if status != 200 or not self.id or "result" not in (reply or {}):
            fail(f"initialize on {self.url}: HTTP {status}: {reply}")
        post(self.url, {"jsonrpc": "2.0", "method": "notifications/initialized"}, self.headers())

    def headers(self):
        return {"Mcp-Session-Id": self.id, "MCP-Protocol-Version": LEGACY}

    def call(self, tool="test_simple_text"):
        self.n += 1
        return post(self.url, {"jsonrpc": "2.0", "id": self.n, "method": "tools/call",
                               "params": {"name": tool, "arguments": {}}}, self.headers())

    def call_ok(self, what):
        status, _, reply = self.call()
        if status != 200 or "result" not in (reply or {}) or reply["result"].get("isError"):
            fail(f"{what}: HTTP {status}: {reply}")


def session(gateway, backend):
    s = Session(f"{gateway}/servers/{backend}/mcp")
    before = sent(gateway, backend)
    s.initialize()
    for i in range(30):
        s.call_ok(f"session call {i}")
    counts = delta(before, sent(gateway, backend))
    used = [u for u, n in counts.items() if n > 0]
    if len(used) != 1:
        fail(f"a 2025-11-25 session's calls went to {len(used)} endpoints: {counts}")
    ok(f"a 2025-11-25 session's initialize and 30 calls all went to {used[0]}")
    for i in range(30):
        status, _, reply = echo(f"{gateway}/servers/{backend}/mcp", f"between-{i}")
        if status != 200 or f"between-{i}" not in text_of(reply):
            fail(f"a 2026-07-28 call between the session's: HTTP {status}: {reply}")
        s.call_ok(f"session call {i} between 2026-07-28 calls")
    ok("30 more session calls between 30 2026-07-28 calls that go round the endpoints: all answered")
    print(used[0])


def holder(gateway, backend, before):
    counts = delta(before, sent(gateway, backend))
    used = [u for u, n in counts.items() if n > 0]
    if len(used) != 1:
        fail(f"a session's calls went to {len(used)} endpoints: {counts}")
    return used[0]


def session_moves(gateway, backend, kill):
    relayed = Session(f"{gateway}/servers/{backend}/mcp")
    before = sent(gateway, backend)
    relayed.initialize()
    relayed.call_ok("the relayed session's first call")
    where = holder(gateway, backend, before)
    subprocess.run(f"{kill} {where}", shell=True, check=True)
    status, _, reply = relayed.call()
    before = sent(gateway, backend)
    if status == 404:
        # The client's session is gone with its endpoint, as with a server that started again: it
        # initializes again.
        ok(f"the session on /servers/{backend}/mcp held by {where}, killed: its next call got 404 "
           f"({error_of(reply)})")
        relayed.initialize()
        relayed.call_ok("the relayed session initialized again")
        ok(f"initialized again, on {holder(gateway, backend, before)}: answered")
    elif status == 200 and "result" in (reply or {}):
        # The gateway started the client's session over on another endpoint by itself.
        relayed.call_ok("the relayed session's next call")
        ok(f"the session on /servers/{backend}/mcp held by {where}, killed: its next calls were answered, the "
           f"gateway started it over on {holder(gateway, backend, before)}")
    else:
        fail(f"the relayed session's call after {where} died: HTTP {status}: {reply}")

    aggregate = Session(f"{gateway}/mcp")
    aggregate.initialize()
    before = sent(gateway, backend)
    aggregate.call_ok("the /mcp session's first call")
    where = holder(gateway, backend, before)
    subprocess.run(f"{kill} {where}", shell=True, check=True)
    before = sent(gateway, backend)
    aggregate.call_ok(f"the /mcp session's call after {where} died")
    counts = delta(before, sent(gateway, backend))
    ok(f"a session on /mcp held at {where}, killed: its next call was answered, the gateway started it over "
       f"on another endpoint ({', '.join(u for u, n in counts.items() if n > 0)})")


if __name__ == "__main__":
    step, args = sys.argv[1], sys.argv[2:]
    if step == "spread":
        spread(args[0], args[1], int(args[2]), int(args[3]), None if args[4:] == ["up-only"] else 0.2)
    elif step == "busy":
        busy(args[0], args[1], args[2], int(args[3]), int(args[4]))
    elif step == "busy-only":
        busy_only(args[0], args[1])
    elif step == "load":
        load(args[0], args[1], int(args[2]), int(args[3]), args[4])
    elif step == "wait":
        wait(args[0], args[1], args[2], args[3], float(args[4]))
    elif step == "no-address":
        no_address(args[0], args[1])
    elif step == "wait-up":
        wait_up(args[0], args[1], int(args[2]), float(args[3]))
    elif step == "session":
        session(args[0], args[1])
    elif step == "session-moves":
        session_moves(args[0], args[1], args[2])
    else:
        fail(f"unknown step {step}")
