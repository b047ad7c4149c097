#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# A GitHub REST API fixture on the loopback for aios-actionsd's tests: the wire as GitHub publishes it
# (github/rest-api-description): status codes, ETag and If-None-Match, Link pagination, X-RateLimit-* and
# Retry-After, the JSON shapes of workflows, runs, jobs, artifacts and contents (only the members that
# matter), job logs as a 302 to a log URL, and an artifact's zip as a 302 to the zip's URL ("Download an
# artifact": 302 with Location, 410 when it expired). Special repositories play the rate limits.
#
# usage: github-fixture.py PORT_FILE    (binds 127.0.0.1 on a free port and writes it to PORT_FILE)
# /_fixture/requests (GET) lists the requests seen; /_fixture/reset (POST) forgets them and the state.
import base64
import hashlib
import io
import json
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TOKEN = 'fixture-token'
APP_ID = '12345'
INSTALLATION_TOKEN = 'ghs_fixtureinstallationtoken'
PER_PAGE_MAX = 2  # GitHub's is 100; small here so that five runs make three pages
LOG_LINES = 60000  # about 4.5 MB

DEPLOY_YML = '''name: Deploy
on:
  push:
    branches: [main]
  workflow_dispatch:
    inputs:
      environment:
        description: Where to deploy
        type: choice
        required: true
        options: [staging, production]
      debug:
        type: boolean
        default: false
      version:
        description: Version to deploy
        default: latest
      replicas:
        type: number
        required: false
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: ./deploy.sh
'''

CI_YML = '''name: CI
on: [push, pull_request]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
'''

WORKFLOWS = [
    {'id': 161335, 'node_id': 'MDg6V29ya2Zsb3cxNjEzMzU=', 'name': 'CI', 'path': '.github/workflows/ci.yml',
     'state': 'active', 'created_at': '2024-01-10T12:00:00.000Z', 'updated_at': '2024-01-10T12:00:00.000Z',
     'url': 'https://api.github.com/repos/octo-org/octo-repo/actions/workflows/161335',
     'html_url': 'https://github.com/octo-org/octo-repo/blob/main/.github/workflows/ci.yml',
     'badge_url': 'https://github.com/octo-org/octo-repo/workflows/CI/badge.svg'},
    {'id': 161336, 'node_id': 'MDg6V29ya2Zsb3cxNjEzMzY=', 'name': 'Deploy', 'path': '.github/workflows/deploy.yml',
     'state': 'active', 'created_at': '2024-01-10T12:00:00.000Z', 'updated_at': '2024-01-10T12:00:00.000Z',
     'url': 'https://api.github.com/repos/octo-org/octo-repo/actions/workflows/161336',
     'html_url': 'https://github.com/octo-org/octo-repo/blob/main/.github/workflows/deploy.yml',
     'badge_url': 'https://github.com/octo-org/octo-repo/workflows/Deploy/badge.svg'},
]
FILES = {'.github/workflows/ci.yml': CI_YML, '.github/workflows/deploy.yml': DEPLOY_YML}

T0 = 1704888000  # 2024-01-10T12:00:00Z


def iso(t):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(t))


def run(run_id, number, branch, event, status, conclusion, actor='octocat', workflow=WORKFLOWS[0]):
    return {'id': run_id, 'name': workflow['name'], 'node_id': 'WFR_%d' % run_id, 'head_branch': branch,
            'head_sha': '%040x' % run_id, 'path': workflow['path'], 'display_title': 'Commit %d' % number,
            'run_number': number, 'event': event, 'status': status, 'conclusion': conclusion,
            'workflow_id': workflow['id'], 'check_suite_id': 42, 'url': 'https://api.github.com/x',
            'html_url': 'https://github.com/octo-org/octo-repo/actions/runs/%d' % run_id,
            'created_at': iso(T0 + number * 60), 'updated_at': iso(T0 + number * 60 + 30),
            'run_attempt': 1, 'run_started_at': iso(T0 + number * 60),
            'actor': {'login': actor, 'id': 1}, 'triggering_actor': {'login': actor, 'id': 1},
            'jobs_url': 'https://api.github.com/x', 'logs_url': 'https://api.github.com/x'}


RUNS = [
    run(30433642, 5, 'main', 'push', 'completed', 'failure'),
    run(30433641, 4, 'main', 'push', 'completed', 'success'),
    run(30433640, 3, 'feature', 'pull_request', 'completed', 'success', actor='hubot'),
    run(30433639, 2, 'main', 'push', 'completed', 'success'),
    run(30433638, 1, 'main', 'push', 'completed', 'cancelled'),
]
WAIT_RUN = 30433700


def step(number, name, status, conclusion, start, end):
    return {'name': name, 'status': status, 'conclusion': conclusion, 'number': number,
            'started_at': iso(start) if start else None, 'completed_at': iso(end) if end else None}


def job(job_id, run_id, name, status, conclusion, steps, start=T0, end=None):
    return {'id': job_id, 'run_id': run_id, 'run_url': 'https://api.github.com/x', 'run_attempt': 1,
            'node_id': 'CR_%d' % job_id, 'head_sha': '%040x' % run_id, 'url': 'https://api.github.com/x',
            'html_url': 'https://github.com/octo-org/octo-repo/actions/runs/%d/job/%d' % (run_id, job_id),
            'status': status, 'conclusion': conclusion, 'created_at': iso(start), 'started_at': iso(start),
            'completed_at': iso(end) if end else None, 'name': name, 'steps': steps,
            'check_run_url': 'https://api.github.com/x', 'labels': ['ubuntu-latest'], 'runner_id': 1,
            'runner_name': 'GitHub Actions 1', 'runner_group_id': 2, 'runner_group_name': 'GitHub Actions',
            'workflow_name': 'CI', 'head_branch': 'main'}


# The failed job: set up (2 s), checkout (2 s), make test (100 s, fails), post (1 s).
FAILED_JOB = job(399444496, 30433642, 'build', 'completed', 'failure', [
    step(1, 'Set up job', 'completed', 'success', T0, T0 + 2),
    step(2, 'Run actions/checkout@v4', 'completed', 'success', T0 + 2, T0 + 4),
    step(3, 'Run make test', 'completed', 'failure', T0 + 4, T0 + 104),
    step(4, 'Post Run actions/checkout@v4', 'completed', 'success', T0 + 104, T0 + 106),
], end=T0 + 106)

ARTIFACTS = [{'id': 11, 'node_id': 'MDg6QXJ0aWZhY3QxMQ==', 'name': 'test-results', 'size_in_bytes': 556,
              'url': 'https://api.github.com/x', 'archive_download_url': 'https://api.github.com/x/zip',
              'expired': False, 'digest': 'sha256:' + '0' * 64, 'created_at': iso(T0), 'expires_at': iso(T0 + 90 * 86400),
              'updated_at': iso(T0), 'workflow_run': {'id': 30433642, 'repository_id': 1, 'head_repository_id': 1,
                                                      'head_branch': 'main', 'head_sha': '%040x' % 30433642}}]


def build_zip(files):
    """An artifact's zip as the upload-artifact action makes it: the files at the root, deflated."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:
        for name, data in files:
            z.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 10, 12, 0, 0)), data)
    return out.getvalue()


def artifact(artifact_id, name, size, expired=False, zip_bytes=None):
    a = {'id': artifact_id, 'node_id': 'MDg6QXJ0aWZhY3Q%d' % artifact_id, 'name': name, 'size_in_bytes': size,
         'url': 'https://api.github.com/repos/octo-org/octo-repo/actions/artifacts/%d' % artifact_id,
         'archive_download_url': 'https://api.github.com/repos/octo-org/octo-repo/actions/artifacts/%d/zip' % artifact_id,
         'expired': expired, 'created_at': iso(T0), 'expires_at': iso(T0 + 90 * 86400), 'updated_at': iso(T0),
         'workflow_run': {'id': 30433642, 'repository_id': 1, 'head_repository_id': 1, 'head_branch': 'main',
                          'head_sha': '%040x' % 30433642}}
    if zip_bytes is not None:
        a['digest'] = 'sha256:' + hashlib.sha256(zip_bytes).hexdigest()
    return a


# Artifacts that github_download_artifact fetches: 21 a small zip of test results; 22 says it is 300 MB (refused
# before any download); 23 expired; 24 says 4 KiB but its zip is 3 MiB of incompressible bytes (the stream's own
# cap); 25 lists fine, but its zip is gone (410).
RESULTS_ZIP = build_zip([('report.xml', '<testsuite tests="3" failures="1"/>\n'),
                         ('log.txt', 'test_widget: expected 3, got 4\n')])
BIG_ZIP = build_zip([('noise.bin', hashlib.sha256(b'seed').digest() * (3 * 1024 * 1024 // 32))])
ZIPS = {21: RESULTS_ZIP, 24: BIG_ZIP}
DOWNLOADS = {a['id']: a for a in [
    artifact(21, 'test-results', len(RESULTS_ZIP), zip_bytes=RESULTS_ZIP),
    artifact(22, 'coverage-html', 300 * 1000 * 1000),
    artifact(23, 'old-build', 1024, expired=True),
    artifact(24, 'understated', 4096),
    artifact(25, 'vanished', 1024),
]}


def wait_run_state(stage):
    """The run github_wait_run follows: queued, then one more step done per look at its jobs, then done."""
    names = ['Set up job', 'Run make', 'Complete job']
    steps = []
    for i, name in enumerate(names):
        if i < stage:
            steps.append(step(i + 1, name, 'completed', 'success', T0 + i, T0 + i + 1))
        elif i == stage and stage > 0:
            steps.append(step(i + 1, name, 'in_progress', None, T0 + i, None))
        elif stage > 0:
            steps.append(step(i + 1, name, 'queued', None, None, None))
    done = stage >= len(names)
    status = 'completed' if done else ('in_progress' if stage > 0 else 'queued')
    r = run(WAIT_RUN, 6, 'main', 'workflow_dispatch', status, 'success' if done else None, workflow=WORKFLOWS[1])
    j = job(400000001, WAIT_RUN, 'deploy', status, 'success' if done else None, steps,
            end=T0 + 3 if done else None)
    return r, j


def build_log():
    """A job log as GitHub serves it: a BOM, then a timestamp with seven decimals before every line."""
    out = ['\ufeff']
    def line(t, frac, text):
        out.append('%s.%07dZ %s\n' % (iso(t)[:-1], frac, text))
    line(T0, 1, 'Current runner version: \'2.311.0\'')
    line(T0 + 1, 5, 'Runner name: \'GitHub Actions 1\'')
    line(T0 + 2, 2, '##[group]Run actions/checkout@v4')
    line(T0 + 3, 0, 'Syncing repository: octo-org/octo-repo')
    line(T0 + 4, 1, '##[group]Run make test')
    for i in range(LOG_LINES):
        line(T0 + 4 + i * 100 // LOG_LINES, i % 10000000, 'test %06d passed: a line of output long enough to make megabytes' % i)
    line(T0 + 103, 9, 'FAIL: test_widget (expected 3, got 4)')
    line(T0 + 104, 0, '##[error]Process completed with exit code 2.')
    line(T0 + 105, 5, 'Post job cleanup.')
    return ''.join(out).encode()


LOG = build_log()


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []
        self.remaining = 5000
        self.wait_stage = 0
        self.tripped = set()
        self.dispatches = []


state = State()


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'GitHub.com'

    def log_message(self, *args):
        pass

    def reply(self, status, body=None, headers=None, etag=True, raw=None, content_type='application/json; charset=utf-8'):
        data = raw if raw is not None else (b'' if body is None else json.dumps(body).encode())
        h = dict(headers or {})
        if etag and body is not None and self.command == 'GET':
            tag = 'W/"%s"' % hashlib.sha256(data).hexdigest()
            h['ETag'] = tag
            if self.headers.get('If-None-Match') == tag:
                # A 304 costs no rate limit.
                self.send(304, b'', h, content_type, count=False)
                return
        self.send(status, data, h, content_type)

    def send(self, status, data, headers, content_type, count=True):
        self.send_response(status)
        if not self.path.startswith(('/_logs/', '/_fixture/')):
            with state.lock:
                if count and state.remaining > 0:
                    state.remaining -= 1
                remaining = state.remaining
            headers.setdefault('X-RateLimit-Limit', '5000')
            headers.setdefault('X-RateLimit-Remaining', str(remaining))
            headers.setdefault('X-RateLimit-Reset', str(int(time.time()) + 3600))
            headers.setdefault('X-RateLimit-Used', str(5000 - remaining))
            headers.setdefault('X-RateLimit-Resource', 'core')
            headers.setdefault('X-GitHub-Api-Version-Selected', '2022-11-28')
        for k, v in headers.items():
            self.send_header(k, v)
        if status != 304 and status != 204:
            self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        if status != 304:
            self.wfile.write(data)

    def error(self, status, message, headers=None):
        self.reply(status, {'message': message, 'documentation_url': 'https://docs.github.com/rest'}, headers, etag=False)

    def paginate(self, query, key, items):
        per_page = min(int(query.get('per_page', ['30'])[0]), PER_PAGE_MAX)
        page = int(query.get('page', ['1'])[0])
        pages = max(1, (len(items) + per_page - 1) // per_page)
        chunk = items[(page - 1) * per_page:page * per_page]
        headers = {}
        base = 'http://%s%s' % (self.headers['Host'], urlsplit(self.path).path)
        rest = '&'.join('%s=%s' % (k, v[0]) for k, v in sorted(query.items()) if k not in ('page', 'per_page'))
        def link(p):
            return '<%s?%sper_page=%d&page=%d>' % (base, rest + '&' if rest else '', per_page, p)
        links = []
        if page < pages:
            links += ['%s; rel="next"' % link(page + 1), '%s; rel="last"' % link(pages)]
        if page > 1:
            links += ['%s; rel="first"' % link(1), '%s; rel="prev"' % link(page - 1)]
        if links:
            headers['Link'] = ', '.join(links)
        self.reply(200, {'total_count': len(items), key: chunk}, headers)

    def record(self, body=None):
        with state.lock:
            state.requests.append({'method': self.command, 'path': self.path,
                                   'if_none_match': self.headers.get('If-None-Match'),
                                   'authorization': self.headers.get('Authorization'),
                                   'api_version': self.headers.get('X-GitHub-Api-Version'),
                                   'body': body})

    def do_GET(self):
        self.handle_request()

    def do_POST(self):
        self.handle_request()

    def handle_request(self):
        length = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(length) if length else b''
        body = json.loads(raw) if raw else None
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        parts = [p for p in url.path.split('/') if p]

        if parts[:1] == ['_fixture']:
            if parts[1:] == ['requests']:
                with state.lock:
                    requests = list(state.requests)
                self.reply(200, requests, etag=False)
            elif parts[1:] == ['reset']:
                with state.lock:
                    state.__init__()
                self.reply(200, {}, etag=False)
            elif parts[1:] == ['dispatches']:
                self.reply(200, state.dispatches, etag=False)
            return
        self.record(body)

        if parts[:1] == ['_logs']:
            # The log's own URL: signed, and no token wanted.
            if self.headers.get('Authorization'):
                return self.error(400, 'A log URL takes no Authorization header.')
            return self.reply(200, raw=LOG, etag=False, content_type='text/plain')
        if parts[:1] == ['_artifacts'] and len(parts) == 2:
            # The zip's own URL: signed, and no token wanted.
            if self.headers.get('Authorization'):
                return self.error(400, 'An artifact URL takes no Authorization header.')
            data = ZIPS.get(int(parts[1]))
            if data is None:
                return self.error(404, 'Not Found')
            return self.reply(200, raw=data, etag=False, content_type='application/zip')
        if parts[:2] == ['app', 'installations'] and parts[3:] == ['access_tokens'] and self.command == 'POST':
            return self.mint(parts[2])
        if self.headers.get('Authorization') not in ('Bearer ' + TOKEN, 'Bearer ' + INSTALLATION_TOKEN):
            return self.error(401, 'Bad credentials')
        if parts[:1] != ['repos'] or len(parts) < 3:
            return self.error(404, 'Not Found')
        repo = parts[1] + '/' + parts[2]
        rest = parts[3:]

        if repo == 'octo-org/limited' and repo not in state.tripped:
            state.tripped.add(repo)
            return self.error(403, 'API rate limit exceeded for user ID 1.', {
                'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': str(int(time.time()) + 2)})
        if repo == 'octo-org/secondary' and repo not in state.tripped:
            state.tripped.add(repo)
            return self.error(403, 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
                              {'Retry-After': '1'})
        if repo == 'octo-org/exhausted':
            return self.error(429, 'API rate limit exceeded for user ID 1.', {
                'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': str(int(time.time()) + 3600)})
        if repo not in ('octo-org/octo-repo', 'octo-org/limited', 'octo-org/secondary'):
            return self.error(404, 'Not Found')

        if self.command == 'GET':
            return self.get(repo, rest, query)
        return self.post(repo, rest, body)

    def mint(self, installation):
        """An installation token for a GitHub App's JWT (its shape and claims; the test checks the signature)."""
        auth = self.headers.get('Authorization', '')
        try:
            header, claims, _ = auth[len('Bearer '):].split('.')
            pad = lambda x: x + '=' * (-len(x) % 4)
            header = json.loads(base64.urlsafe_b64decode(pad(header)))
            claims = json.loads(base64.urlsafe_b64decode(pad(claims)))
            ok = (header.get('alg') == 'RS256' and str(claims.get('iss')) == APP_ID and
                  claims['exp'] - claims['iat'] <= 600 and claims['iat'] <= time.time() <= claims['exp'])
        except (ValueError, KeyError):
            ok = False
        if not ok or installation != '42':
            return self.error(401, 'A JSON web token could not be decoded')
        return self.reply(201, {'token': INSTALLATION_TOKEN, 'expires_at': iso(int(time.time()) + 3600),
                                'permissions': {'actions': 'write', 'contents': 'read'},
                                'repository_selection': 'selected'}, etag=False)

    def get(self, repo, rest, query):
        if rest == []:
            return self.reply(200, {'id': 1296269, 'name': repo.split('/')[1], 'full_name': repo,
                                    'default_branch': 'main', 'private': False})
        if rest == ['actions', 'workflows']:
            return self.paginate(query, 'workflows', WORKFLOWS)
        if rest[:2] == ['actions', 'workflows'] and len(rest) == 3:
            for w in WORKFLOWS:
                if rest[2] in (str(w['id']), w['path'].split('/')[-1]):
                    return self.reply(200, w)
            return self.error(404, 'Not Found')
        if rest[:1] == ['contents']:
            path = '/'.join(rest[1:])
            if path not in FILES:
                return self.error(404, 'Not Found')
            text = FILES[path].encode()
            b64 = base64.encodebytes(text).decode()  # with line breaks, as GitHub's
            return self.reply(200, {'type': 'file', 'encoding': 'base64', 'size': len(text),
                                    'name': path.split('/')[-1], 'path': path, 'content': b64,
                                    'sha': hashlib.sha1(text).hexdigest()})
        if rest == ['actions', 'runs']:
            runs = RUNS
            for key in ('branch', 'event', 'actor'):
                if key in query:
                    field = {'branch': 'head_branch'}.get(key, key)
                    runs = [r for r in runs if (r[field]['login'] if key == 'actor' else r[field]) == query[key][0]]
            if 'status' in query:
                s = query['status'][0]
                runs = [r for r in runs if s in (r['status'], r['conclusion'])]
            return self.paginate(query, 'workflow_runs', runs)
        if rest[:2] == ['actions', 'runs'] and len(rest) >= 3:
            run_id = int(rest[2])
            if run_id == WAIT_RUN:
                r, j = wait_run_state(state.wait_stage)
                if rest[3:] == ['jobs']:
                    with state.lock:
                        state.wait_stage += 1
                    return self.paginate(query, 'jobs', [j])
                if rest[3:] == []:
                    return self.reply(200, r)
            match = [r for r in RUNS if r['id'] == run_id]
            if not match:
                return self.error(404, 'Not Found')
            if rest[3:] == []:
                return self.reply(200, match[0])
            if rest[3:] == ['jobs']:
                return self.paginate(query, 'jobs', [FAILED_JOB] if run_id == FAILED_JOB['run_id'] else [])
            if rest[3:] == ['artifacts']:
                return self.paginate(query, 'artifacts', ARTIFACTS if run_id == 30433642 else [])
        if rest[:2] == ['actions', 'artifacts'] and len(rest) >= 3:
            a = DOWNLOADS.get(int(rest[2])) if rest[2].isdigit() else None
            if a is None:
                return self.error(404, 'Not Found')
            if rest[3:] == []:
                return self.reply(200, a)
            if rest[3:] == ['zip']:
                if a['expired'] or a['id'] not in ZIPS:
                    return self.error(410, 'Gone')
                host = self.headers['Host']
                return self.reply(302, None, {'Location': 'http://%s/_artifacts/%d?sig=fixture' % (host, a['id'])},
                                  etag=False)
        if rest[:2] == ['actions', 'jobs'] and len(rest) >= 3:
            if int(rest[2]) != FAILED_JOB['id']:
                return self.error(404, 'Not Found')
            if rest[3:] == []:
                return self.reply(200, FAILED_JOB)
            if rest[3:] == ['logs']:
                host = self.headers['Host']
                return self.reply(302, None, {'Location': 'http://%s/_logs/%s?sig=fixture' % (host, rest[2])},
                                  etag=False)
        return self.error(404, 'Not Found')

    def post(self, repo, rest, body):
        if rest[:2] == ['actions', 'workflows'] and rest[3:] == ['dispatches']:
            w = [w for w in WORKFLOWS if rest[2] in (str(w['id']), w['path'].split('/')[-1])]
            if not w:
                return self.error(404, 'Not Found')
            if w[0]['id'] != 161336:
                return self.error(422, "Workflow does not have 'workflow_dispatch' trigger")
            inputs = (body or {}).get('inputs') or {}
            unexpected = [k for k in inputs if k not in ('environment', 'debug', 'version', 'replicas')]
            if unexpected:
                return self.error(422, 'Unexpected inputs provided: %s' % json.dumps(unexpected))
            if 'environment' not in inputs:
                return self.error(422, "Required input 'environment' not provided")
            with state.lock:
                state.dispatches.append(body)
            return self.reply(204, None, etag=False)
        if rest[:2] == ['actions', 'runs'] and len(rest) == 4:
            run_id = int(rest[2])
            if not [r for r in RUNS if r['id'] == run_id] and run_id != WAIT_RUN:
                return self.error(404, 'Not Found')
            if rest[3] in ('rerun', 'rerun-failed-jobs'):
                return self.reply(201, {}, etag=False)
            if rest[3] == 'cancel':
                if run_id != WAIT_RUN:
                    return self.error(409, 'Cannot cancel a workflow run that is completed.')
                return self.reply(202, {}, etag=False)
        return self.error(404, 'Not Found')


def main():
    server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    server.daemon_threads = True
    with open(sys.argv[1] + '.tmp', 'w') as f:
        f.write(str(server.server_address[1]))
    import os
    os.rename(sys.argv[1] + '.tmp', sys.argv[1])
    server.serve_forever()


if __name__ == '__main__':
    main()
