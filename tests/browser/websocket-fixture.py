#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# The WebSocket fixture of tests/browser/websocket-check.sh, on two loopback listeners:
#   site  http://127.0.0.1:PORT   the page (/) and a WebSocket echo (/ws)
#   trap  127.0.0.1:PORT          a port no policy allows: each TCP connection it accepts is a line in trap.log
# The page opens WebSockets to the site's echo (by address and by "localhost"), to the trap by address, by
# "localhost" and by this machine's name, and writes what became of each into #results, ending with "done".
# usage: websocket-fixture.py STATE_DIR   writes STATE_DIR/ports (lines "NAME PORT") once both listen.
import base64
import hashlib
import html
import json
import os
import socket
import struct
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

state = sys.argv[1]
ports = {}

PAGE = '''<!doctype html><title>WebSockets</title><p id="results">running</p><script>
function attempt(label, url) {
  return new Promise(function (resolve) {
    var ws, over = false;
    function end(what) { if (!over) { over = true; resolve(label + ': ' + what); } }
    try { ws = new WebSocket(url); } catch (e) { end('error ' + e.name); return; }
    ws.onopen = function () { ws.send('hello'); };
    ws.onmessage = function (ev) { end('echo ' + ev.data); ws.close(); };
    ws.onerror = function () { end('failed'); };
    setTimeout(function () { end('timeout'); }, 15000);
  });
}
Promise.all(%s.map(function (t) { return attempt(t[0], t[1]); })).then(function (r) {
  document.getElementById('results').textContent = r.join('; ') + '; done';
});
</script>'''


def targets():
    trap = ports['trap']
    return [['allowed', 'ws://127.0.0.1:%d/ws' % ports['site']],
            ['allowed by name', 'ws://localhost:%d/ws' % ports['site']],
            ['trap address', 'ws://127.0.0.1:%d/ws' % trap],
            ['trap localhost', 'ws://localhost:%d/ws' % trap],
            ['trap hostname', 'ws://%s:%d/ws' % (socket.gethostname(), trap)]]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == '/ws' and self.headers.get('Upgrade', '').lower() == 'websocket':
            self.echo()
            return
        body = (PAGE % html.escape(json.dumps(targets()), quote=False)).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'text/html; charset=utf-8')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def echo(self):
        key = self.headers.get('Sec-WebSocket-Key', '')
        accept = base64.b64encode(hashlib.sha1((key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').encode()).digest())
        self.send_response(101)
        self.send_header('Upgrade', 'websocket')
        self.send_header('Connection', 'Upgrade')
        self.send_header('Sec-WebSocket-Accept', accept.decode())
        self.end_headers()
        self.wfile.flush()
        # One masked text frame of under 126 bytes in, echoed back unmasked.
        head = self.rfile.read(2)
        if len(head) < 2:
            return
        length = head[1] & 0x7f
        mask = self.rfile.read(4)
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(self.rfile.read(length)))
        self.wfile.write(struct.pack('BB', 0x81, len(data)) + data)
        self.wfile.flush()
        self.rfile.read(2)  # the close frame, or the end
        self.close_connection = True


def trap(listener):
    while True:
        conn, peer = listener.accept()
        with open(os.path.join(state, 'trap.log'), 'a') as f:
            f.write('%s:%d\n' % peer)
        conn.close()


site = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
ports['site'] = site.server_address[1]
listener = socket.socket()
listener.bind(('127.0.0.1', 0))
listener.listen(16)
ports['trap'] = listener.getsockname()[1]
open(os.path.join(state, 'trap.log'), 'a').close()
threading.Thread(target=trap, args=(listener,), daemon=True).start()
with open(os.path.join(state, 'ports.tmp'), 'w') as f:
    for name, port in ports.items():
        f.write('%s %d\n' % (name, port))
os.rename(os.path.join(state, 'ports.tmp'), os.path.join(state, 'ports'))
site.serve_forever()
