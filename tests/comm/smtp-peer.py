#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# An SMTP server for aios-commd's tests, on Debian's python3-aiosmtpd: it takes STARTTLS and AUTH and writes
# each message it accepts to DIR/N.eml, with what the session was (envelope, TLS, login) in X-Peer-* headers
# in front. Its modes are the failures a sender must handle:
#   ok        accepts every message
#   tempfail  answers RCPT with 451 the first COUNT times, then accepts
#   permfail  answers RCPT with 550
#   cut       reads the data, records DIR/cut.N and drops the connection without an answer
# usage: smtp-peer.py --port N --dir DIR [--mode MODE] [--count N] [--tls CERT KEY] [--auth USER:PASSWORD]
import argparse
import asyncio
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--port', type=int, required=True)
    p.add_argument('--dir', required=True)
    p.add_argument('--mode', default='ok', choices=['ok', 'tempfail', 'permfail', 'cut'])
    p.add_argument('--count', type=int, default=2)
    p.add_argument('--tls', nargs=2, metavar=('CERT', 'KEY'))
    p.add_argument('--auth')
    a = p.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    counters = {'tempfail': 0, 'n': 0}

    def record(name, text):
        with open(os.path.join(a.dir, name + '.tmp'), 'w') as f:
            f.write(text)
        os.rename(os.path.join(a.dir, name + '.tmp'), os.path.join(a.dir, name))

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if a.mode == 'permfail':
                return '550 5.1.1 <%s>: no such user here' % address
            if a.mode == 'tempfail' and counters['tempfail'] < a.count:
                counters['tempfail'] += 1
                record('tempfail.%d' % counters['tempfail'], address + '\n')
                return '451 4.3.0 Try again later'
            envelope.rcpt_tos.append(address)
            return '250 OK'

        async def handle_DATA(self, server, session, envelope):
            counters['n'] += 1
            if a.mode == 'cut':
                record('cut.%d' % counters['n'], envelope.content.decode('utf-8', 'replace'))
                server.transport.abort()
                return '250 OK'
            head = 'X-Peer-Mail-From: %s\nX-Peer-Rcpt-To: %s\nX-Peer-TLS: %s\nX-Peer-Login: %s\n' % (
                envelope.mail_from, ' '.join(envelope.rcpt_tos), 'yes' if session.ssl else 'no',
                session.auth_data or '')
            record('%d.eml' % counters['n'], head + envelope.content.decode('utf-8', 'replace').replace('\r\n', '\n'))
            return '250 2.0.0 Ok: queued as %d' % counters['n']

    def authenticator(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword) or not a.auth:
            return AuthResult(success=False, handled=False)
        user, password = a.auth.split(':', 1)
        ok = auth_data.login.decode() == user and auth_data.password.decode() == password
        return AuthResult(success=ok, handled=False, auth_data=auth_data.login.decode() if ok else None)

    tls = None
    if a.tls:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(a.tls[0], a.tls[1])

    def factory():
        return SMTP(Handler(), hostname='peer.test', tls_context=tls, require_starttls=bool(tls),
                    authenticator=authenticator if a.auth else None, auth_required=bool(a.auth),
                    auth_require_tls=bool(tls))

    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(factory, '127.0.0.1', a.port))
    print('listening', flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == '__main__':
    sys.exit(main())
