#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/voice.sh's client: one aios-voiced --stdio per phase, its calls timed, figures printed as key=value.
# usage: voice-client.py BINARY PHASE ROUNDS   (PHASE: speak, transcribe-free, transcribe-keywords)
import json
import os
import resource
import statistics
import subprocess
import sys
import time

PHRASE = 'turn on the lights'
PASSAGE = ('The quick brown fox jumps over the lazy dog. She sells sea shells by the sea shore. '
           'Please call Stella and ask her to bring these things with her from the store: six spoons of '
           'fresh snow peas, five thick slabs of blue cheese, and maybe a snack for her brother Bob.')
COMMANDS = ['turn on the lights', 'turn off the lights', 'open the door', 'close the door', 'play some music',
            'stop the music', 'what time is it', 'call my mother', 'read my messages', 'good night']


class Voiced:
    def __init__(self, binary):
        self.p = subprocess.Popen([binary, '--stdio', '--no-bus', '--log-level=warning'], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE)
        self.id = 0
        self.request('initialize', {'protocolVersion': '2025-11-25', 'capabilities': {},
                                    'clientInfo': {'name': 'bench', 'version': '1'}})
        self.send({'jsonrpc': '2.0', 'method': 'notifications/initialized'})

    def send(self, m):
        self.p.stdin.write((json.dumps(m) + '\n').encode())
        self.p.stdin.flush()

    def request(self, method, params):
        self.id += 1
        self.send({'jsonrpc': '2.0', 'id': self.id, 'method': method, 'params': params})
        while True:
            m = json.loads(self.p.stdout.readline())
            if m.get('id') == self.id:
                if 'result' not in m or m['result'].get('isError'):
                    sys.exit(f'voice-client: {method} failed: {json.dumps(m)[:300]}')
                return m['result']

    def call(self, name, arguments):
        t = time.monotonic()
        r = self.request('tools/call', {'name': name, 'arguments': arguments})
        return r, time.monotonic() - t

    def rss_kb(self):
        with open(f'/proc/{self.p.pid}/status') as f:
            return int(next(line for line in f if line.startswith('VmRSS:')).split()[1])

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def main():
    binary, phase, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    v = Voiced(binary)
    out = {'idle_rss_kb': v.rss_kb()}
    if phase == 'speak':
        work = audio = 0.0
        for _ in range(rounds):
            r, t = v.call('voice_speak', {'text': PASSAGE})
            work += t
            audio += r['structuredContent']['seconds']
        out['rtf'] = work / audio
        out['audio_seconds'] = audio / rounds
        lat = [v.call('voice_speak', {'text': PHRASE})[1] for _ in range(rounds * 5)]
        out['p50_ms'] = statistics.median(lat) * 1000
        ogg = [v.call('voice_speak', {'text': PHRASE, 'format': 'ogg'})[1] for _ in range(rounds * 5)]
        out['p50_ogg_ms'] = statistics.median(ogg) * 1000
    else:
        keywords = phase == 'transcribe-keywords'
        passage = v.call('voice_speak', {'text': PASSAGE, 'voice': 'en-us+klatt'})[0]['content'][0]
        phrase = v.call('voice_speak', {'text': PHRASE, 'voice': 'en-us+klatt'})[0]['content'][0]
        work = audio = 0.0
        if not keywords:
            for _ in range(rounds):
                r, t = v.call('voice_transcribe', {'audio': passage})
                work += t
                audio += r['structuredContent']['audio']['seconds']
            out['rtf'] = work / audio
        args = {'audio': phrase}
        if keywords:
            args['keywords'] = COMMANDS
            # The server's first recognition: its child loads the acoustic model itself (the server has not
            # loaded it yet), the later ones inherit the server's.
            out['first_ms'] = v.call('voice_transcribe', args)[1] * 1000
        lat = []
        for _ in range(rounds * 5):
            r, t = v.call('voice_transcribe', args)
            lat.append(t)
            work += t
            audio += r['structuredContent']['audio']['seconds']
        if keywords:
            out['rtf'] = work / audio
        out['p50_ms'] = statistics.median(lat) * 1000
    v.close()
    # The largest resident set of the server and of every job's child it reaped (the kernel keeps the
    # maximum of a reaped process tree).
    out['peak_rss_kb'] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(' '.join(f'{k}={v:.3f}' if isinstance(v, float) else f'{k}={v}' for k, v in out.items()))


if __name__ == '__main__':
    main()
