#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# The web site the browser tests and bench/browser.sh drive a real Chromium over, served on the loopback by
# five listeners, each its own origin:
#   site      http://127.0.0.1:PORT   the pages below (the origin the tests allow)
#   cross     http://127.0.0.2:PORT   the same pages, a second allowed origin (cross-origin frames)
#   third     http://127.0.0.4:PORT   the same pages, a third allowed origin (a frame nested in a cross-origin one)
#   blocked   http://127.0.0.3:PORT   an origin the tests block: every request it gets is recorded
#   loopback  http://127.0.0.1:PORT   a loopback port that is not allowed: every request is recorded too
# Pages (on site and cross):
#   /                      links to the others
#   /form                  text, password, select, checkbox, radio, textarea; POSTs to /form, which echoes
#   /dialogs               buttons that open alert, confirm and prompt; the outcome lands in #out
#   /frames                a same-origin and a cross-origin iframe (/inner), each with a button
#   /nested                a cross-origin iframe (/outer) holding an iframe of the third origin (/inner)
#   /upload                a file form; POST /upload echoes each file's name, size and SHA-256
#   /slow?ms=N             answers after N ms;  /late?ms=N  shows "Ready now" N ms after it loads
#   /redirect              302 to /redirect/2, 302 to the blocked origin's /landing
#   /loop?n=K              302 to /loop?n=K+1, for ever
#   /fetches               fetch(), <img>, <script>, <iframe> and a worker towards the blocked origin and the
#                          loopback port; what each got lands in #results
#   /big?n=N               N list items (2N nodes: 100,000 with the default 50,000) and a button at the end
#   /cookie                shows the cookie "who" the request carried; /cookie?set=V sets it first
#   /counter               a button that counts its clicks, one that notices the mouse, two console messages
#   /drag                  a button to drag with the mouse onto another (pressed on one, moved with the button held,
#                          released on the other)
#   /dnd                   two lists with HTML5 drag and drop: dragstart puts the item's name in the dataTransfer,
#                          drop reads it back, moves that item and says in #got what it read
#   /dndframe              /dnd of the cross origin in a frame
#   /article               a documentation-like page: navigation, headings, text, a table, a search form
#   /spin                  a page whose script never ends (for a hung renderer)
# usage: fixture.py STATE_DIR   writes STATE_DIR/ports (lines "NAME PORT") once every listener accepts;
# each listener's requests go to STATE_DIR/NAME.log, one line "METHOD PATH" each; forms to STATE_DIR/posts.log.
import hashlib
import html
import os
import sys
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

state = sys.argv[1]
ports = {}
lock = threading.Lock()


def record(name, line):
    with lock, open(os.path.join(state, name + '.log'), 'a') as f:
        f.write(line + '\n')


def origin(name):
    host = {'site': '127.0.0.1', 'cross': '127.0.0.2', 'blocked': '127.0.0.3', 'loopback': '127.0.0.1',
            'third': '127.0.0.4'}[name]
    return 'http://%s:%d' % (host, ports[name])


def page(title, body, head=''):
    return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>%s</title>%s</head>'
            '<body>%s</body></html>' % (html.escape(title), head, body))


def index(q):
    links = ''.join('<li><a href="%s">%s</a></li>' % (p, t) for p, t in [
        ('/form', 'Form'), ('/dialogs', 'Dialogs'), ('/frames', 'Frames'), ('/upload', 'Upload'),
        ('/slow?ms=2000', 'Slow page'), ('/late?ms=1500', 'Late text'), ('/redirect', 'Redirect chain'),
        ('/loop', 'Endless redirect'), ('/fetches', 'Requests elsewhere'), ('/big', 'Big page'),
        ('/cookie', 'Cookie'), ('/counter', 'Counter'), ('/drag', 'Drag'),
        ('/dnd', 'Drag and drop'), ('/article', 'Article')])
    return page('Fixture', '<h1>Fixture site</h1><ul>%s</ul>' % links)


def form(q):
    return page('Form', '''<h1>Order form</h1>
<form method="post" action="/form">
<p><label for="name">Name</label> <input id="name" name="name" type="text"></p>
<p><label for="secret">Password</label> <input id="secret" name="secret" type="password"></p>
<p><label for="size">Size</label> <select id="size" name="size">
  <option value="s">Small</option><option value="m">Medium</option><option value="l">Large</option></select></p>
<p><label><input type="checkbox" name="gift" value="yes"> Gift wrap</label></p>
<fieldset><legend>Delivery</legend>
  <label><input type="radio" name="delivery" value="post" checked> Post</label>
  <label><input type="radio" name="delivery" value="courier"> Courier</label></fieldset>
<p><label for="notes">Notes</label> <textarea id="notes" name="notes"></textarea></p>
<p><button type="submit">Place order</button></p>
</form>''')


def dialogs(q):
    return page('Dialogs', '''<h1>Dialogs</h1>
<button onclick="alert('Hello from alert'); out('alert closed')">Show alert</button>
<button onclick="out(confirm('Proceed with the order?') ? 'confirmed' : 'cancelled')">Ask confirm</button>
<button onclick="var v = prompt('Your name?', 'nobody'); out(v === null ? 'prompt dismissed' : 'prompt said ' + v)">Ask prompt</button>
<p id="out">nothing yet</p>
<script>function out(t) { document.getElementById('out').textContent = t; }</script>''')


def frames(q):
    return page('Frames', '''<h1>Frames</h1>
<iframe title="Same origin frame" src="/inner?label=same" width="400" height="150"></iframe>
<iframe title="Cross origin frame" src="%s/inner?label=cross" width="400" height="150"></iframe>''' % origin('cross'))


def nested(q):
    return page('Nested', '''<h1>Nested</h1>
<iframe title="Outer frame" src="%s/outer" width="500" height="300"></iframe>''' % origin('cross'))


def outer(q):
    return page('Outer', '''<h2>Outer</h2>
<iframe title="Deep frame" src="%s/inner?label=deep" width="420" height="200"></iframe>''' % origin('third'))


def inner(q):
    label = html.escape(q.get('label', ['x'])[0])
    return page('Inner ' + label, '''<h2>Inner %s</h2>
<button onclick="document.getElementById('o').textContent = 'pressed in %s'">Press in %s</button>
<label>Field in %s <input type="text" aria-label="Field in %s"></label>
<p id="o">not pressed</p>''' % (label, label, label, label, label))


def upload(q):
    return page('Upload', '''<h1>Upload</h1>
<form method="post" action="/upload" enctype="multipart/form-data">
<p><label for="file">File</label> <input id="file" name="file" type="file" multiple></p>
<p><button type="submit">Send file</button></p></form>''')


def late(q):
    ms = int(q.get('ms', ['1500'])[0])
    return page('Late', '''<h1>Late</h1><p id="s">Loading</p>
<script>setTimeout(function () { document.getElementById('s').textContent = 'Ready now'; }, %d);</script>''' % ms)


def fetches(q):
    b, lo = origin('blocked'), origin('loopback')
    return page('Requests elsewhere', '''<h1>Requests elsewhere</h1>
<ul id="results"></ul>
<script>
var pending = 4;
function note(what, how) {
  var li = document.createElement('li'); li.textContent = what + ': ' + how;
  document.getElementById('results').appendChild(li);
}
function done() { if (--pending === 0) note('all', 'done'); }
</script>
<img src="%(b)s/img.png" alt="blocked image" onerror="note('img', 'failed')" onload="note('img', 'loaded')">
<iframe title="blocked frame" src="%(b)s/frame"></iframe>
<script src="%(b)s/script.js"></script>
<script>
fetch('%(b)s/api').then(function () { note('fetch blocked origin', 'reached'); },
  function (e) { note('fetch blocked origin', 'failed ' + e.name); }).then(done);
fetch('%(lo)s/api').then(function () { note('fetch loopback port', 'reached'); },
  function (e) { note('fetch loopback port', 'failed ' + e.name); }).then(done);
fetch('/api').then(function (r) { return r.text(); }).then(function (t) { note('fetch own origin', t); },
  function (e) { note('fetch own origin', 'failed ' + e.name); }).then(done);
var w = new Worker(URL.createObjectURL(new Blob(["fetch('%(b)s/worker').then(function () { postMessage('reached'); }, function (e) { postMessage('failed ' + e.name); });"])));
w.onmessage = function (m) { note('worker fetch', m.data); done(); };
</script>''' % {'b': b, 'lo': lo})


def big(q):
    n = int(q.get('n', ['50000'])[0])
    items = ''.join('<li>row %d</li>' % i for i in range(n))
    return page('Big', '<h1>Big page</h1><ul>%s</ul><button onclick="this.textContent=\'Bottom pressed\'">'
                'Bottom button</button>' % items)


def counter(q):
    return page('Counter', '''<h1>Counter</h1><button onclick="var c = document.getElementById('c');
c.textContent = String(Number(c.textContent) + 1)">Add one</button> <p>Clicks: <span id="c">0</span></p>
<button onmouseenter="document.getElementById('h').textContent = 'hovered'">Hover me</button> <p id="h">not hovered</p>
<script>console.log('counter page says hello'); console.warn('counter page warns');</script>''')


def drag(q):
    return page('Drag', '''<h1>Drag</h1><button id="src">Drag me</button> <span style="display:inline-block;width:200px"></span>
<button id="dst">Drop here</button><p id="d">nothing dropped</p>
<script>
var dragging = false, held = 0;
document.getElementById('src').addEventListener('mousedown', function () { dragging = true; held = 0; });
document.addEventListener('mousemove', function (e) { if (dragging && (e.buttons & 1)) held++; });
document.getElementById('dst').addEventListener('mouseup', function () {
  document.getElementById('d').textContent = !dragging ? 'released without a drag'
    : 'dropped on target, ' + (held ? 'moved with the button held' : 'moved with no button held');
});
document.addEventListener('mouseup', function () { setTimeout(function () { dragging = false; }, 0); });
</script>''')


def dnd(q):
    items = ''.join('<li role="option" draggable="true" id="%s">%s</li>' % (n.lower(), n)
                    for n in ['Apples', 'Pears', 'Plums'])
    return page('Drag and drop', '''<h1>Drag and drop</h1>
<ul role="listbox" aria-label="Shelf" id="shelf">%s</ul>
<ul role="listbox" aria-label="Basket" id="basket" style="min-height:60px;border:1px solid"></ul>
<p id="got">nothing dropped</p> <p id="ended">no drag ended</p>
<script>
document.querySelectorAll('[draggable]').forEach(function (li) {
  li.addEventListener('dragstart', function (e) {
    e.dataTransfer.setData('text/plain', 'item:' + li.id);
    e.dataTransfer.effectAllowed = 'move';
  });
  li.addEventListener('dragend', function (e) {
    document.getElementById('ended').textContent = 'drag of ' + li.id + ' ended with ' + e.dataTransfer.dropEffect;
  });
});
var basket = document.getElementById('basket');
basket.addEventListener('dragover', function (e) { e.preventDefault(); e.dataTransfer.dropEffect = 'move'; });
basket.addEventListener('drop', function (e) {
  e.preventDefault();
  var data = e.dataTransfer.getData('text/plain');
  var li = document.getElementById(data.replace(/^item:/, ''));
  if (li) basket.appendChild(li);
  document.getElementById('got').textContent = 'the basket got ' + data;
});
</script>''' % items)


def dndframe(q):
    return page('Drag and drop in a frame', '''<h1>Drag and drop in a frame</h1>
<iframe title="Lists frame" src="%s/dnd" width="500" height="400"></iframe>''' % origin('cross'))


def article(q):
    nav = ''.join('<li><a href="/article?s=%d">Section %d</a></li>' % (i, i) for i in range(1, 31))
    text = ('Chromium runs each site in a renderer process of its own. The browser process decides what a page '
            'may load; the renderer draws it. ')
    sections = ''.join('<h2 id="s%d">Section %d</h2><p>%s</p><p>%s <a href="#s%d">Back to %d</a></p>'
                       % (i, i, text * 2, text, i, i) for i in range(1, 11))
    rows = ''.join('<tr><td>%s</td><td>%d</td><td>%d ms</td></tr>' % (n, i * 3, i * 17)
                   for i, n in enumerate(['navigate', 'snapshot', 'click', 'type', 'hover', 'select', 'wait'], 1))
    return page('Article', '''<header><nav aria-label="Main"><a href="/">Home</a> <a href="/article">Docs</a>
<a href="/form">Shop</a></nav><form role="search" action="/article"><input type="search" name="q"
aria-label="Search the docs"><button>Search</button></form></header>
<div style="display:flex"><aside><nav aria-label="Sections"><ul>%s</ul></nav></aside>
<main><h1>How the browser works</h1>%s
<table><caption>Timings</caption><thead><tr><th>Tool</th><th>Calls</th><th>Median</th></tr></thead>
<tbody>%s</tbody></table></main></div><footer><p>Fixture footer</p></footer>''' % (nav, sections, rows))


def spin(q):
    return page('Spin', '<h1>Spin</h1><script>setTimeout(function () { for (;;) {} }, 100);</script>')


PAGES = {'/': index, '/form': form, '/dialogs': dialogs, '/frames': frames, '/inner': inner, '/nested': nested,
         '/outer': outer, '/upload': upload,
         '/late': late, '/fetches': fetches, '/big': big, '/counter': counter, '/drag': drag, '/dnd': dnd,
         '/dndframe': dndframe, '/article': article, '/spin': spin}


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    listener = 'site'

    def log_message(self, *args):
        pass

    def send(self, status, body, ctype='text/html; charset=utf-8', headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(data)))
        self.send_header('Cache-Control', 'no-store')
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(data)

    def redirect(self, to):
        self.send(302, '', headers=[('Location', to)])

    def body(self):
        n = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(n) if n else b''

    def handle_any(self):
        record(self.listener, '%s %s' % (self.command, self.path))
        url = urlsplit(self.path)
        q = parse_qs(url.query)
        if self.listener in ('blocked', 'loopback'):
            # Whoever gets here was not stopped: answer something that would show.
            self.send(200, page('Reached', '<h1>Reached %s</h1>' % self.listener))
            return
        if self.command == 'POST' and url.path == '/form':
            fields = parse_qs(self.body().decode(), keep_blank_values=True)
            # Control characters as escapes (a textarea's CR LF as \r\n): one line per submission in posts.log.
            lines = ['%s=%s' % (k, ','.join(v).encode('unicode_escape').decode()) for k, v in sorted(fields.items())]
            record('posts', 'form ' + ' '.join(lines))
            self.send(200, page('Received', '<h1>Received</h1><pre id="got">%s</pre>'
                                % html.escape('\n'.join(lines))))
        elif self.command == 'POST' and url.path == '/upload':
            raw = ('Content-Type: %s\r\n\r\n' % self.headers.get('Content-Type')).encode() + self.body()
            msg = BytesParser(policy=HTTP).parsebytes(raw)
            lines = []
            for part in msg.iter_parts():
                data = part.get_payload(decode=True) or b''
                if part.get_filename() is not None:
                    lines.append('file %s %d bytes sha256 %s' % (part.get_filename(), len(data),
                                                                  hashlib.sha256(data).hexdigest()))
            record('posts', 'upload ' + '; '.join(lines))
            self.send(200, page('Uploaded', '<h1>Uploaded</h1><pre id="got">%s</pre>'
                                % html.escape('\n'.join(lines) or 'no file')))
        elif url.path == '/slow':
            time.sleep(int(q.get('ms', ['2000'])[0]) / 1000)
            self.send(200, page('Slow', '<h1>Slow page</h1><p>Finally here</p>'))
        elif url.path == '/redirect':
            self.redirect('/redirect/2')
        elif url.path == '/redirect/2':
            self.redirect(origin('blocked') + '/landing')
        elif url.path == '/loop':
            self.redirect('/loop?n=%d' % (int(q.get('n', ['0'])[0]) + 1))
        elif url.path == '/cookie':
            headers = []
            if 'set' in q:
                headers.append(('Set-Cookie', 'who=%s; Path=/; SameSite=Lax' % q['set'][0]))
            jar = self.headers.get('Cookie') or ''
            who = dict(c.strip().split('=', 1) for c in jar.split(';') if '=' in c).get('who', 'none')
            self.send(200, page('Cookie', '<h1>Cookie</h1><p id="who">cookie who is %s</p>' % html.escape(who)),
                      headers=headers)
        elif url.path == '/api':
            self.send(200, 'own origin answered', 'text/plain')
        elif url.path in PAGES:
            self.send(200, PAGES[url.path](q))
        else:
            self.send(404, page('Not found', '<h1>Not found</h1>'))

    do_GET = do_POST = do_HEAD = handle_any


def serve(name, host):
    handler = type('Handler_' + name, (Handler,), {'listener': name})
    server = ThreadingHTTPServer((host, 0), handler)
    server.daemon_threads = True
    ports[name] = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()


for name, host in [('site', '127.0.0.1'), ('cross', '127.0.0.2'), ('blocked', '127.0.0.3'),
                   ('loopback', '127.0.0.1'), ('third', '127.0.0.4')]:
    serve(name, host)
    open(os.path.join(state, name + '.log'), 'a').close()
tmp = os.path.join(state, 'ports.tmp')
with open(tmp, 'w') as f:
    f.write(''.join('%s %d\n' % kv for kv in ports.items()))
os.rename(tmp, os.path.join(state, 'ports'))
threading.Event().wait()
