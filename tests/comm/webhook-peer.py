#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# A loopback HTTP receiver for aios-commd's webhook tests: each request is appended to FILE as one JSON line
# (method, path, headers, body) and answered 200, or the status a path /status/NNN/... names.
# usage: webhook-peer.py PORT FILE
import http.server
import json
import re
import sys

port, log = int(sys.argv[1]), sys.argv[2]


class Handler(http.server.BaseHTTPRequestHandler):
    def handle_any(self):
        n = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(n).decode('utf-8', 'replace')
        with open(log, 'a') as f:
            f.write(json.dumps({'method': self.command, 'path': self.path,
                                'headers': {k.lower(): v for k, v in self.headers.items()}, 'body': body}) + '\n')
        m = re.match(r'^/status/(\d{3})', self.path)
        status = int(m.group(1)) if m else 200
        answer = b'{"ok":true}' if status == 200 else b'{"error":"no such channel"}'
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_POST = do_PUT = handle_any

    def log_message(self, *args):
        pass


http.server.HTTPServer(('127.0.0.1', port), Handler).serve_forever()
