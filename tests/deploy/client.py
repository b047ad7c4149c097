#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# The client side of tests/deploy/kube-play.sh: MCP over HTTP to two gateway replicas, each request to the
# other replica than the one before, on both wires. One step per invocation, so that the script can kill
# and start pods between them; prints what it checked and exits 1 on the first thing that is wrong.
#   client.py wait-ready URL...          every gateway ready, with the conformance backend up
#   client.py alternate A B              one 2025-11-25 session and 2026-07-28 calls alternating, and an
#                                        elicitation (input_required) started on A and finished on B
#   client.py load A B KILL-COMMAND      calls from 8 threads alternating; KILL-COMMAND kills B's pod midway:
#                                        calls on A must all succeed, those on B fail cleanly (no wrong answer)
#   client.py server-down A              a call to the killed server fails with a sentence saying so
#   client.py server-back A              the server, started again, answers (waited for, with a deadline)
#   client.py direct URL                 the server's own port, without the gateway's token: refused
#   client.py gated A                    system_journal, a tool that needs polkit, listed and run through A
#                                        for the key's tools:* (the principal travels to aios-sysopsd over HTTP)
# The API key is $AIOS_API_KEY; the gateways are asked with Host: aios (their AllowHost=).
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

KEY = os.environ.get("AIOS_API_KEY", "")
MODERN = "2026-07-28"
LEGACY = "2025-11-25"
TOOL = "test_input_required_result_elicitation"


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def ok(message):
    print("ok: " + message)


def post(url, body, headers=None, timeout=15, host="aios", auth=True):
    h = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream", "Host": host}
    if auth and KEY:
        h["Authorization"] = "Bearer " + KEY
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


def get(url, path, host="localhost", timeout=5):
    req = urllib.request.Request(base(url) + path, headers={"Host": host})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, json.loads(r.read().decode())


def base(url):
    return url.split("/servers/")[0].split("/mcp")[0]


def meta(caps=True):
    m = {"io.modelcontextprotocol/protocolVersion": MODERN}
    m["io.modelcontextprotocol/clientCapabilities"] = {"elicitation": {}} if caps else {}
    return m


def modern_call(url, tool, arguments=None, extra=None, timeout=15):
    params = {"name": tool, "arguments": arguments or {}, "_meta": meta()}
    params.update(extra or {})
    headers = {"MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call", "Mcp-Name": tool}
    return post(url, {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}, headers, timeout)


def text_of(reply):
    result = (reply or {}).get("result") or {}
    return " ".join(c.get("text", "") for c in result.get("content", []) if c.get("type") == "text")


def echo(url, name, timeout=15):
    """A call whose answer names what it was asked: the elicitation tool answered in the same request."""
    status, _, reply = modern_call(url, TOOL, extra={
        "inputResponses": {"user_name": {"action": "accept", "content": {"name": name}}}}, timeout=timeout)
    return status, reply


def conformance(url):
    return base(url) + "/servers/conformance/mcp"


def wait_ready(urls):
    deadline = time.monotonic() + 120
    for url in urls:
        last = None
        while time.monotonic() < deadline:
            try:
                status, body = get(url, "/readyz")
                last = body
                if status == 200 and body.get("backends", {}).get("conformance") == "up":
                    break
            except (OSError, ValueError) as e:
                last = str(e)
            time.sleep(0.5)
        else:
            fail(f"{url} not ready with the conformance backend up within 120 s: {last}")
        ok(f"{base(url)} ready: {json.dumps(last['backends'], sort_keys=True)}")


def alternate(a, b):
    # 2025-11-25: the replicas share the request-state-key secret, which seals the session id they hand out,
    # so one session opened on A goes on on B (B takes it up from its id) and back: no affinity needed.
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": LEGACY, "capabilities": {"elicitation": {}},
        "clientInfo": {"name": "kube-play", "version": "1"}}}
    status, headers, reply = post(conformance(a), init)
    session = {k.lower(): v for k, v in headers.items()}.get("mcp-session-id")
    if status != 200 or not session:
        fail(f"initialize on A: {status} {reply}")
    h = {"Mcp-Session-Id": session, "MCP-Protocol-Version": LEGACY}
    status, _, _ = post(conformance(b), {"jsonrpc": "2.0", "method": "notifications/initialized"}, h)
    if status != 202:
        fail(f"notifications/initialized on B in A's session: {status}")
    for i in range(10):
        side = "BA"[i % 2]
        status, _, reply = post(conformance(a if side == "A" else b), {
            "jsonrpc": "2.0", "id": 10 + i, "method": "tools/call",
            "params": {"name": "test_simple_text", "arguments": {}}}, h)
        if status != 200 or "error" in (reply or {}) or not text_of(reply):
            fail(f"2025-11-25 call {i} on {side} in the session opened on A: {status} {reply}")
    status, _, reply = post(base(b) + "/mcp", {"jsonrpc": "2.0", "id": 98, "method": "tools/list"}, h)
    if status != 404:
        fail(f"the session of /servers/conformance/mcp on B's /mcp: {status} {reply}, not 404")
    ok(f"2025-11-25: one session opened on A ({len(session)}-character sealed id), 10 calls alternating between "
       "B and A in it; on another endpoint the id is 404")

    # 2026-07-28: no session at all.
    for i in range(10):
        status, reply = echo(a if i % 2 == 0 else b, f"modern-{i}")
        if status != 200 or f"modern-{i}" not in text_of(reply):
            fail(f"2026-07-28 call {i} on {'AB'[i % 2]}: {status} {reply}")
    ok("2026-07-28: 10 calls alternating between A and B, each answered with what it asked")

    # An elicitation round trip: input_required from A, the answer with its requestState to B.
    status, _, reply = modern_call(conformance(a), TOOL)
    result = (reply or {}).get("result") or {}
    state, asks = result.get("requestState"), result.get("inputRequests") or {}
    if status != 200 or not state or "user_name" not in asks:
        fail(f"the elicitation on A did not ask for input: {status} {reply}")
    status, _, reply = modern_call(conformance(b), TOOL, extra={
        "requestState": state, "inputResponses": {"user_name": {"action": "accept", "content": {"name": "Ada"}}}})
    if status != 200 or "Ada" not in text_of(reply):
        fail(f"the elicitation finished on B: {status} {reply}")
    ok(f"elicitation: asked on replica A ({asks['user_name'].get('method')}), answered on replica B: "
       f"\"{text_of(reply)}\"")


def load(a, b, kill):
    results = {"A": [0, 0], "B": [0, 0]}  # [answered, failed]
    wrong = []
    lock = threading.Lock()
    stop = threading.Event()
    killed = threading.Event()

    def worker(n):
        i = 0
        while not stop.is_set():
            side = "A" if (i + n) % 2 == 0 else "B"
            if side == "B" and killed.is_set() and results["B"][1] > 0:
                side = "A"  # as a load balancer would: B failed, so it gets no more calls
            name = f"w{n}-{i}"
            try:
                status, reply = echo(a if side == "A" else b, name, timeout=10)
                good = status == 200 and name in text_of(reply)
                if not good and status == 200:
                    wrong.append((side, name, reply))
            except (OSError, ValueError):
                good = False
            with lock:
                results[side][0 if good else 1] += 1
            i += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    time.sleep(3)
    subprocess.run(kill, shell=True, check=True)
    killed.set()
    time.sleep(5)
    stop.set()
    for t in threads:
        t.join()
    print(f"load: replica A answered {results['A'][0]}, failed {results['A'][1]}; "
          f"replica B answered {results['B'][0]}, failed {results['B'][1]} (killed midway: the calls in flight "
          f"on it and those sent to it until the client saw it gone)")
    if wrong:
        fail(f"answers that were not their call's: {wrong[:3]}")
    if results["A"][1]:
        fail("calls on the replica that stayed failed")
    if results["B"][0] == 0 or results["A"][0] == 0:
        fail("no calls were answered before the kill")
    ok("a replica killed mid-load: its in-flight calls failed as connection errors, every other call was "
       "answered with its own answer")


def server_down(a):
    status, reply = echo(a, "down", timeout=40)
    message = json.dumps(reply)
    if status == 200 and "down" in text_of(reply):
        fail(f"a call to the killed server was answered: {reply}")
    if "conformance" not in message:
        fail(f"the failure does not say which server: {status} {message}")
    ok(f"the server killed: the call fails with HTTP {status}: {message[:200]}")


def server_back(a):
    deadline = time.monotonic() + 90
    last = None
    while time.monotonic() < deadline:
        status, reply = echo(a, "back", timeout=10)
        if status == 200 and "back" in text_of(reply):
            ok("the server started again is used again")
            return
        last = (status, reply)
        time.sleep(0.5)
    fail(f"the server started again was not used within 90 s: {last}")


def direct(url):
    host = url.split("//")[1].split("/")[0]
    status, headers, reply = post(url, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "x", "version": "1"}}},
        host=os.environ.get("DIRECT_HOST", host), auth=False)
    if status != 401:
        fail(f"a request to the server's port without the gateway's token got {status}: {reply}")
    ok(f"a request straight to the server's port without the gateway's token: 401 \"{reply['error']['message']}\"")


def gated(a):
    url = base(a) + "/servers/sysops/mcp"
    status, _, reply = post(url, {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": meta()}},
                            {"MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/list"})
    names = [t["name"] for t in ((reply or {}).get("result") or {}).get("tools", [])]
    if status != 200 or "system_journal" not in names:
        fail(f"aios-sysopsd over HTTP does not list system_journal for a key with tools:*: {status} {names}")
    status, _, reply = modern_call(url, "system_journal", {"limit": 1})
    error = (reply or {}).get("error")
    if status != 200 or error or "result" not in (reply or {}):
        fail(f"system_journal through the gateway over HTTP: {status} {json.dumps(reply)[:400]}")
    result = reply["result"]
    ok("system_journal (polkit_required) listed and run over HTTP for the key's principal: "
       + ("a tool error: " + text_of(reply)[:120] if result.get("isError") else
          f"{len((result.get('structuredContent') or {}).get('entries', []))} entries"))


if __name__ == "__main__":
    step, args = sys.argv[1], sys.argv[2:]
    {"wait-ready": lambda: wait_ready(args), "alternate": lambda: alternate(*args), "load": lambda: load(*args),
     "server-down": lambda: server_down(*args), "server-back": lambda: server_back(*args),
     "direct": lambda: direct(*args), "gated": lambda: gated(*args)}[step]()
