#!/usr/bin/env bash
# Runs the official MCP conformance suite against an MCP server over Streamable HTTP.
# usage: run-conformance.sh SERVER_BINARY SUITE
#
# SUITE is one of
#   0.1.16      every active server scenario of @modelcontextprotocol/conformance 0.1.16
#   2025-11-25  @modelcontextprotocol/conformance 0.2.0-alpha.12 --requirements 2025-11-25, plus the
#               scenarios server-session-lifecycle, json-schema-2020-12 and server-sse-polling
#   2026-07-28  @modelcontextprotocol/conformance 0.2.0-alpha.12 --requirements 2026-07-28
#
# The server is started as `$AIOS_SERVER_WRAPPER SERVER_BINARY --listen=127.0.0.1:PORT` on a free loopback
# port (AIOS_SERVER_WRAPPER is split on blanks, e.g. "valgrind -q"; sanitizer options pass through the
# environment) and stopped with SIGTERM at the end. The run passes when every scenario has results and
# no failed check (warnings are fine), the suite's CLI exits 0, and the server stays up, writes no
# sanitizer report and exits 0 on SIGTERM.
#
# AIOS_CONFORMANCE_PATH is the endpoint's path (default /mcp): /servers/conformance/mcp runs the suite
# through the gateway (SERVER_BINARY is then tests/gateway/bridged-conformanced.sh).
#
# AIOS_CONFORMANCE_SCENARIOS (names separated by blanks) runs only these scenarios of the suite, one by
# one, each judged.
#
# Logs (the CLI's output, the server's output, each scenario's checks.json) go to AIOS_TEST_LOG_DIR when
# set, else to a temporary folder that is kept only when the run fails.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
server_bin=${1:?usage: run-conformance.sh SERVER_BINARY SUITE}
suite=${2:?usage: run-conformance.sh SERVER_BINARY SUITE}

# shellcheck source=tools/npm-env.sh
source "$top/tools/npm-env.sh"
if [[ ! -x $AIOS_NODE || ! -f $AIOS_CONFORMANCE_0116 || ! -f $AIOS_CONFORMANCE_0200 ]]; then
        "$top/tools/npm-deps.sh" >&2
fi

extra_scenarios=()
case "$suite" in
0.1.16)
        cli=$AIOS_CONFORMANCE_0116
        cli_args=() # the default: the active suite
        ;;
2025-11-25)
        cli=$AIOS_CONFORMANCE_0200
        cli_args=(--requirements 2025-11-25)
        # alpha.12 already runs these under the requirement set without scoring them; we score them. Any
        # that a later version leaves out are run one by one at the 2025-11-25 wire.
        extra_scenarios=(server-session-lifecycle json-schema-2020-12 server-sse-polling)
        ;;
2026-07-28)
        cli=$AIOS_CONFORMANCE_0200
        cli_args=(--requirements 2026-07-28)
        ;;
*)
        echo "run-conformance.sh: unknown suite '$suite' (0.1.16, 2025-11-25, 2026-07-28)" >&2
        exit 2
        ;;
esac

run_suite=1
if [[ -n ${AIOS_CONFORMANCE_SCENARIOS:-} ]]; then
        read -ra extra_scenarios <<<"$AIOS_CONFORMANCE_SCENARIOS"
        run_suite=0
fi

[[ -x $server_bin ]] || { echo "run-conformance.sh: $server_bin is not an executable" >&2; exit 2; }
read -ra wrapper <<<"${AIOS_SERVER_WRAPPER:-}"

if [[ -n ${AIOS_TEST_LOG_DIR:-} ]]; then
        logdir=$AIOS_TEST_LOG_DIR/conformance-$suite
        rm -rf "$logdir"
        mkdir -p "$logdir"
        keep_logs=1
else
        logdir=$(mktemp -d "${TMPDIR:-/tmp}/aios-conformance-$suite.XXXXXX")
        keep_logs=0
fi
results=$logdir/results
mkdir -p "$results"

server_pid=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
        if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
                kill -KILL "$server_pid" 2>/dev/null || true
        fi
        if [[ $keep_logs -eq 0 ]]; then rm -rf "$logdir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
        "$AIOS_NODE" -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
                console.log(s.address().port); s.close(); })'
}

# Starts the server and waits until it accepts connections. Another process can take the port between
# free_port and the server's bind; then the server exits and we try another port.
start_server() {
        local attempt i
        for attempt in 1 2 3; do
                port=$(free_port)
                "${wrapper[@]}" "$server_bin" --listen="127.0.0.1:$port" >>"$logdir/server.log" 2>&1 &
                server_pid=$!
                for ((i = 0; i < 300; i++)); do # 30 s: sanitizer builds start slowly
                        if ! kill -0 "$server_pid" 2>/dev/null; then
                                break
                        fi
                        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
                                return 0
                        fi
                        sleep 0.1
                done
                if kill -0 "$server_pid" 2>/dev/null; then
                        echo "run-conformance.sh: the server did not accept connections on 127.0.0.1:$port within 30 s" >&2
                        return 1
                fi
                wait "$server_pid" || true
                server_pid=
                echo "run-conformance.sh: the server exited at start (attempt $attempt); its output:" >&2
                tail -n 20 "$logdir/server.log" | sed 's/^/    /' >&2
        done
        return 1
}

# Stops the server with SIGTERM and sets server_status to its exit status (or "hung").
stop_server() {
        local i
        kill -TERM "$server_pid" 2>/dev/null || true
        for ((i = 0; i < 200; i++)); do # 20 s: LeakSanitizer needs a moment at exit
                kill -0 "$server_pid" 2>/dev/null || break
                sleep 0.1
        done
        local hung=0 status=0
        if kill -0 "$server_pid" 2>/dev/null; then
                kill -KILL "$server_pid" 2>/dev/null || true
                hung=1
        fi
        wait "$server_pid" 2>/dev/null || status=$?
        server_pid=
        server_status=$status
        [[ $hung -eq 0 ]] || server_status=hung
}

if ! start_server; then
        echo "conformance $suite: FAIL: $server_bin did not start"
        exit 1
fi
url=http://127.0.0.1:$port${AIOS_CONFORMANCE_PATH:-/mcp}
echo "conformance $suite: $(basename "$server_bin") on $url, logs in $logdir"

# The whole suite runs in one CLI process (sequentially); bound it in case a scenario hangs.
cli_status=0
: >"$logdir/conformance.log"
if [[ $run_suite -eq 1 ]]; then
        timeout --kill-after=10 480 "$AIOS_NODE" "$cli" server --url "$url" "${cli_args[@]}" -o "$results" \
                >"$logdir/conformance.log" 2>&1 || cli_status=$?
fi

for scenario in "${extra_scenarios[@]}"; do
        grep -qxF "=== Running scenario: $scenario ===" "$logdir/conformance.log" && continue
        echo "=== Running scenario: $scenario ===" >>"$logdir/conformance.log"
        status=0
        timeout --kill-after=10 90 "$AIOS_NODE" "$cli" server --url "$url" --scenario "$scenario" \
                --spec-version "$suite" --force -o "$results" >>"$logdir/conformance.log" 2>&1 || status=$?
        [[ $status -eq 0 ]] || cli_status=$status
done

server_running=1
kill -0 "$server_pid" 2>/dev/null || server_running=0
stop_server

# One line per scenario, from the checks.json each wrote. A scenario that was announced but wrote no
# results threw (or was skipped) and counts as failed.
summary_status=0
JUDGED_SCENARIOS="${extra_scenarios[*]}" "$AIOS_NODE" --input-type=module - "$logdir/conformance.log" "$results" >"$logdir/summary.txt" <<'EOF' || summary_status=$?
import fs from 'node:fs';
import path from 'node:path';

const [log, results] = process.argv.slice(2);
const text = fs.readFileSync(log, 'utf8');
const announced = [...text.matchAll(/^=== Running scenario: (\S+) ===$/gm)].map((m) => m[1]);
// Scenarios the CLI itself lists as not scored for the requirement set (extensions, pending ones) are
// reported, not judged: the requirement set decides what conformance is.
const unscored = new Set();
const block = text.match(/^Not scored for [^\n]*\n((?:  \S.*\n?)*)/m);
if (block) for (const m of block[1].matchAll(/^  \S+ (\S+) \(([^)]*)\)/gm)) unscored.add(m[1]);
// ...except those this runner asked for by name: they are judged.
for (const name of (process.env.JUDGED_SCENARIOS ?? '').split(' ')) unscored.delete(name);
const found = new Map();
for (const dir of fs.readdirSync(results).sort()) { // by time: a rerun's results win
        const m = dir.match(/^server-(.+)-\d{4}-\d\d-\d\dT[\d-]+Z$/);
        const file = path.join(results, dir, 'checks.json');
        if (m && fs.existsSync(file)) found.set(m[1], JSON.parse(fs.readFileSync(file, 'utf8')));
}
const names = [...new Set([...announced, ...found.keys()])];
let passed = 0, failed = 0;
const details = [];
for (const name of names) {
        const checks = found.get(name);
        if (!checks) {
                failed++;
                console.log(`FAIL ${name}: no results (the scenario threw or was skipped; see conformance.log)`);
                continue;
        }
        const count = (s) => checks.filter((c) => c.status === s).length;
        const bad = checks.filter((c) => c.status === 'FAILURE');
        const notes = [`${count('SUCCESS')} ok`];
        if (count('WARNING')) notes.push(`${count('WARNING')} warnings`);
        if (count('SKIPPED')) notes.push(`${count('SKIPPED')} skipped`);
        if (bad.length) notes.push(`${bad.length} failed: ${bad.map((c) => c.id).join(', ')}`);
        if (bad.length === 0 && count('SUCCESS') === 0) notes.push('nothing verified');
        const ok = bad.length === 0 && count('SUCCESS') > 0;
        if (unscored.has(name)) {
                console.log(`NOT SCORED ${name} (${notes.join(', ')})`);
                continue;
        }
        ok ? passed++ : failed++;
        console.log(`${ok ? 'PASS' : 'FAIL'} ${name} (${notes.join(', ')})`);
        for (const c of bad) details.push(`  ${name} [${c.id}] ${c.description}${c.errorMessage ? `\n      ${c.errorMessage}` : ''}`);
        for (const c of checks.filter((c) => c.status === 'WARNING'))
                details.push(`  warning: ${name} [${c.id}] ${c.description}${c.errorMessage ? `: ${c.errorMessage}` : ''}`);
}
if (names.length === 0) {
        failed++;
        console.log('FAIL no scenario ran (see conformance.log)');
}
if (details.length) console.log(`\nDetails:\n${details.join('\n')}`);
console.log(`\nScenarios: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
EOF
cat "$logdir/summary.txt"

ok=1
if [[ $summary_status -ne 0 ]]; then ok=0; fi
# With a requirement set the CLI also fails for scenarios it does not score; the summary above judges those.
if [[ $cli_status -eq 1 && ${#cli_args[@]} -gt 0 && $summary_status -eq 0 ]]; then
        cli_status=0
fi
if [[ $cli_status -ne 0 ]]; then
        ok=0
        case $cli_status in
        124 | 137) echo "the conformance CLI did not finish within its time limit" ;;
        *) echo "the conformance CLI exited with status $cli_status" ;;
        esac
fi
if [[ $server_running -eq 0 ]]; then
        ok=0
        echo "the server died during the run (exit status $server_status)"
elif [[ $server_status == hung ]]; then
        ok=0
        echo "the server did not exit within 20 s of SIGTERM"
elif [[ $server_status -ne 0 ]]; then
        ok=0
        echo "the server exited with status $server_status on SIGTERM (expected 0)"
fi
if grep -qE 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:' "$logdir/server.log"; then
        ok=0
        echo "the server's output has a sanitizer report"
fi

if [[ $ok -eq 1 ]]; then
        echo "conformance $suite: PASS"
        exit 0
fi
echo "conformance $suite: FAIL; the last lines of the server's output:"
tail -n 40 "$logdir/server.log" | sed 's/^/    /'
keep_logs=1
echo "logs kept in $logdir"
exit 1
