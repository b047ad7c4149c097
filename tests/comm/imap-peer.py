#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# An IMAP server that misbehaves, for aios-commd's refusals (Dovecot is the one that behaves): it greets, lists
# its capabilities, takes any login and SELECT, and then answers the client's own command (UID SEARCH or
# UID FETCH) as MODE says:
#   garbage   a SEARCH response with a word where UIDs go, and a FETCH whose literal is longer than what follows
#   drop      the start of a FETCH response, then the connection closed
#   plain     no STARTTLS among its capabilities (a client that requires it must not log in)
#   old       no ESEARCH (RFC 4731): SEARCH RETURN is a BAD command, a plain SEARCH and FETCH are answered well
# In every mode but old, SEARCH RETURN is answered like a plain SEARCH.
# usage: imap-peer.py PORT MODE
import socketserver
import sys

port, mode = int(sys.argv[1]), sys.argv[2]


class Handler(socketserver.StreamRequestHandler):
    def send(self, text):
        self.wfile.write(text.encode())
        self.wfile.flush()

    def handle(self):
        caps = 'IMAP4rev1 SASL-IR AUTH=PLAIN' + ('' if mode == 'plain' else ' STARTTLS')
        self.send('* OK [CAPABILITY %s] misbehaving IMAP ready\r\n' % caps)
        while True:
            line = self.rfile.readline().decode(errors='replace')
            if not line:
                return
            tag, _, rest = line.strip().partition(' ')
            command = rest.upper()
            if command.startswith('CAPABILITY'):
                self.send('* CAPABILITY %s\r\n%s OK done\r\n' % (caps, tag))
            elif command.startswith('AUTHENTICATE') or command.startswith('LOGIN'):
                self.send('%s OK logged in\r\n' % tag)
            elif command.startswith('SELECT') or command.startswith('EXAMINE'):
                self.send('* 1 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n%s OK [READ-WRITE] selected\r\n' % tag)
            elif command.startswith('UID SEARCH RETURN') and mode == 'old':
                self.send('%s BAD Unknown search option\r\n' % tag)
            elif command.startswith('UID SEARCH') and mode == 'old':
                self.send('* SEARCH 3 1 2\r\n%s OK searched\r\n' % tag)
            elif command.startswith('UID FETCH') and mode == 'old':
                for uid in (1, 2, 3):
                    headers = 'Subject: old %d\r\n\r\n' % uid
                    self.send('* %d FETCH (UID %d RFC822.SIZE 10 FLAGS () BODY[HEADER.FIELDS (SUBJECT)] {%d}\r\n%s)\r\n'
                              % (uid, uid, len(headers), headers))
                self.send('%s OK fetched\r\n' % tag)
            elif command.startswith('UID SEARCH'):
                self.send('* SEARCH 1 two 3\r\n%s OK searched\r\n' % tag)
            elif command.startswith('UID FETCH') and mode == 'drop':
                self.send('* 1 FETCH (UID 1 RFC822.SIZE 5000 BODY[]<0> {5000}\r\nFrom: someone\r\n')
                return
            elif command.startswith('UID FETCH'):
                self.send('* 1 FETCH (UID 1 RFC822.SIZE 100 BODY[]<0> {100000}\r\nSubject: short\r\n\r\nx)\r\n'
                          '%s OK fetched\r\n' % tag)
            elif command.startswith('LOGOUT'):
                self.send('* BYE\r\n%s OK bye\r\n' % tag)
                return
            else:
                self.send('%s BAD unknown\r\n' % tag)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


Server(('127.0.0.1', port), Handler).serve_forever()
