# SPDX-License-Identifier: LGPL-2.1-or-later
# aios-pythond's worker: the interpreter that waits in a sandbox, warm, for code to run. The daemon reads this
# file and runs it as `python3 -I -B -c SOURCE --preload MODULES`, so that no path of the host needs to be
# bound into the sandbox for it. It imports what is
# asked ahead (--preload), says it is ready on fd 3, then serves requests there, one JSON line in and one
# out: {"op": "run", ...} runs code with the last expression's value kept, {"op": "packages"} lists what can
# be imported. The code's stdout and stderr are fds 1 and 2, pipes the daemon reads while the code runs.
# Nothing here is trusted by the daemon: the code run here can write to fd 3 as well as this program can.
import ast
import base64
import builtins
import io
import linecache
import os
import signal
import sys
import traceback

CONTROL_FD = 3
WORKSPACE = os.getcwd()
MAX_SCAN = 2000  # entries of the workspace compared before and after a run
CELL = '<code>'
# The file name of this program's own frames: "<string>" when run with -c, as the daemon does.
WORKER_FILE = globals().get('__file__', '<string>')


class Control:
    """The control channel: JSON lines on a socket, read with os.read, written whole."""

    def __init__(self, fd):
        # Off fd 3, where code that reuses small fd numbers would meet it by accident.
        self.fd = os.dup(fd)
        os.set_inheritable(self.fd, False)
        os.close(fd)
        self.pending = bytearray()

    def read(self):
        import json
        while b'\n' not in self.pending:
            chunk = os.read(self.fd, 1 << 20)
            if not chunk:
                return None
            self.pending += chunk
        line, _, rest = bytes(self.pending).partition(b'\n')
        self.pending = bytearray(rest)
        return json.loads(line)

    def write(self, message):
        import json
        data = (json.dumps(message, ensure_ascii=True, separators=(',', ':')) + '\n').encode()
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]


def preload(names):
    for name in names:
        try:
            __import__(name)
        except Exception:
            pass


def snapshot(root):
    """{relative path: (mtime_ns, size, inode)} of the regular files under root, at most MAX_SCAN."""
    seen = {}
    for directory, dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(directory, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if (st.st_mode & 0o170000) == 0o100000:
                seen[os.path.relpath(path, root)] = (st.st_mtime_ns, st.st_size, st.st_ino)
            if len(seen) >= MAX_SCAN:
                return seen
    return seen


def split_last_expression(code):
    """The module without its last statement when that is an expression, and that expression."""
    tree = ast.parse(code, CELL, 'exec')
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = tree.body.pop()
        return tree, ast.Expression(last.value)
    return tree, None


def user_traceback(exc):
    """The traceback from the code's own frames on: the worker's frames are left out."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == WORKER_FILE:
        tb = tb.tb_next
    return ''.join(traceback.format_exception(type(exc), exc, tb))


def flush_streams():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def collect_figures(limit):
    plt = sys.modules.get('matplotlib.pyplot')
    if plt is None:
        return []
    figures = []
    try:
        for number in plt.get_fignums()[:limit]:
            buffer = io.BytesIO()
            plt.figure(number).savefig(buffer, format='png')
            figures.append(base64.b64encode(buffer.getvalue()).decode())
        plt.close('all')
    except Exception as e:
        print(f'aios: a figure could not be rendered: {e!r}', file=sys.stderr)
    return figures


class Runner:
    def __init__(self):
        self.globals = self.fresh_globals()

    @staticmethod
    def fresh_globals():
        return {'__name__': '__main__', '__builtins__': builtins, '__doc__': None}

    def run(self, request):
        code = request.get('code', '')
        repr_limit = int(request.get('repr_limit', 10000))
        memory = request.get('memory_bytes')
        if memory:
            import resource
            soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            limit = memory if hard == resource.RLIM_INFINITY else min(memory, hard)
            # A one-shot run's sandbox ends with it: its hard limit may go down for good.
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit if request.get('final') else hard))
        sys.stdin = io.StringIO(request.get('stdin') or '')
        before = snapshot(WORKSPACE)
        linecache.cache[CELL] = (len(code), None, code.splitlines(True), CELL)
        reply = {'status': 'ok', 'value_repr': None}
        try:
            module, last = split_last_expression(code)
            exec(compile(module, CELL, 'exec'), self.globals)
            if last is not None:
                value = eval(compile(last, CELL, 'eval'), self.globals)
                if value is not None:
                    text = repr(value)
                    reply['value_repr'] = text[:repr_limit]
                    reply['value_repr_truncated'] = len(text) > repr_limit
                    builtins._ = value
        except SystemExit as e:
            reply['status'] = 'exit'
            if e.code is None or isinstance(e.code, int):
                reply['exit_status'] = e.code or 0
            else:
                print(e.code, file=sys.stderr)
                reply['exit_status'] = 1
        except KeyboardInterrupt as e:
            reply.update(status='interrupted', exception={'type': 'KeyboardInterrupt', 'message': ''},
                         traceback=user_traceback(e))
        except BaseException as e:
            reply.update(status='exception', exception={'type': type(e).__name__, 'message': str(e)[:repr_limit]},
                         traceback=user_traceback(e)[-65536:])
        flush_streams()
        reply['figures'] = collect_figures(int(request.get('max_figures', 8)))
        after = snapshot(WORKSPACE)
        reply['files_written'] = sorted(p for p, st in after.items() if before.get(p) != st)
        flush_streams()
        return reply


def packages():
    import importlib.metadata
    found = {}
    top_level = importlib.metadata.packages_distributions()
    for dist in importlib.metadata.distributions():
        name = dist.metadata['Name']
        if not name or name.lower() in found:
            continue
        found[name.lower()] = {'name': name, 'version': dist.version or '', 'modules': []}
    for module, dists in top_level.items():
        if module.startswith('_'):
            continue
        for d in dists:
            entry = found.get(d.lower())
            if entry is not None and module not in entry['modules']:
                entry['modules'].append(module)
    result = sorted(found.values(), key=lambda e: e['name'].lower())
    for entry in result:
        entry['modules'].sort()
    return {'python': sys.version.split()[0], 'packages': result,
            'stdlib': sorted(m for m in sys.stdlib_module_names if not m.startswith('_'))}


def main():
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(line_buffering=True, errors='backslashreplace')
    import warnings
    warnings.filterwarnings('ignore', message='.*non-interactive.*')
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == '--preload':
        preload(n for n in args[1].split(',') if n)
    control = Control(CONTROL_FD)
    runner = Runner()
    # Warm the paths a run takes (json, resource, the compiler, the workspace scan) before saying ready, so
    # that the first run does not pay for them; then start the run's globals afresh.
    import json
    import resource
    runner.run({'code': 'None', 'repr_limit': 1})
    runner.globals = runner.fresh_globals()
    control.write({'ready': True, 'python': sys.version.split()[0]})
    while True:
        try:
            request = control.read()
            if request is None:
                return
            op = request.get('op')
            if op == 'run':
                reply = runner.run(request)
            elif op == 'packages':
                reply = packages()
            else:
                reply = {'status': 'error', 'message': f'unknown op {op!r}'}
            control.write(reply)
        except KeyboardInterrupt:
            # An interrupt that came between runs (a timeout as a run ended): nothing to stop.
            continue


if __name__ == '__main__':
    main()
