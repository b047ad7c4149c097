#!/usr/bin/env bash
# Measures MCP tools/call over Streamable HTTP with keep-alive: aios-conformanced calling test_simple_text
# against the reference TypeScript server (@modelcontextprotocol/server-everything, Node 22) calling echo.
# usage: tools-call.sh [SERVER_BINARY]   (default: build/src/conformance/aios-conformanced)
#        tools-call.sh --reference-only
#
# For each server: start it on a free 127.0.0.1 port, open a session with curl (initialize, then
# notifications/initialized), check one tools/call by hand, warm up, then run wrk with bench/tools-call.lua
# (one session, a new request id per request) and read the server's peak RSS (VmHWM) from /proc; so
# SERVER_BINARY must be the server itself, not a script that forks it.
#
# The machine this is written for has 2 cores. wrk runs one thread (enough to saturate a server whose MCP
# work runs on one thread, as both do) pinned to CPU 1, so the client never takes more than half the
# machine; the server is left free, so Node's helper threads (GC, libuv) can use spare time anywhere and
# the reference is not handicapped. BENCH_PIN=both also pins the server to CPU 0 (per-core figures; costs
# Node about a third of its rate), BENCH_PIN=none pins nothing.
#
# Environment: BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (2), BENCH_CONNECTIONS (32), BENCH_THREADS (1),
# BENCH_PIN (wrk, both or none). These are figures, not a test: the script exits
# non-zero only when a server cannot be started or answers wrongly.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
seconds=${BENCH_SECONDS:-10}
warmup=${BENCH_WARMUP_SECONDS:-2}
connections=${BENCH_CONNECTIONS:-32}
threads=${BENCH_THREADS:-1}
pin=${BENCH_PIN:-wrk}

reference_only=0
server_bin=$top/build/src/conformance/aios-conformanced
case "${1:-}" in
--reference-only) reference_only=1 ;;
-h | --help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
"") ;;
*) server_bin=$1 ;;
esac
if [[ $reference_only -eq 0 && ! -x $server_bin ]]; then
        echo "tools-call.sh: $server_bin is not an executable (build aios first, or pass its path)" >&2
        exit 2
fi

die() {
        echo "tools-call.sh: $*" >&2
        exit 1
}

if ! command -v wrk >/dev/null || ! command -v curl >/dev/null; then
        [[ $(id -u) -eq 0 ]] || die "wrk and curl are needed: apt-get install wrk curl"
        echo "Installing wrk and curl ..."
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk curl >/dev/null
fi
# shellcheck source=tools/npm-env.sh
source "$top/tools/npm-env.sh"
if [[ ! -x $AIOS_NODE || ! -f $AIOS_EVERYTHING_SERVER ]]; then
        "$top/tools/npm-deps.sh" >&2 || die "the reference server could not be installed"
fi
# shellcheck disable=SC2090 # AIOS_NODE_LOOPBACK_ONLY is JavaScript, its quotes are meant literally
export AIOS_NODE_LOOPBACK_ONLY

server_cpu=() wrk_cpu=()
if [[ $pin != none && $(nproc) -ge 2 ]] && command -v taskset >/dev/null; then
        wrk_cpu=(taskset -c 1)
        [[ $pin != both ]] || server_cpu=(taskset -c 0)
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/aios-bench.XXXXXX")
server_pid=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
        if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
                kill -KILL "$server_pid" 2>/dev/null || true
                wait "$server_pid" 2>/dev/null || true
        fi
        rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
        "$AIOS_NODE" -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
                console.log(s.address().port); s.close(); })'
}

wait_for_port() {
        local i
        for ((i = 0; i < 300; i++)); do
                kill -0 "$server_pid" 2>/dev/null || return 1
                if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
                sleep 0.1
        done
        return 1
}

stop_server() {
        local i
        kill -TERM "$server_pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
                kill -0 "$server_pid" 2>/dev/null || break
                sleep 0.1
        done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=
}

# POSTs one JSON-RPC message; the answer's headers go to $work/headers, its body to $work/body.
mcp_post() {
        local session=$1 body=$2 extra=()
        [[ -z $session ]] || extra=(-H "Mcp-Session-Id: $session")
        curl -sS --max-time 10 -o "$work/body" -D "$work/headers" -w '%{http_code}' \
                -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
                -H 'MCP-Protocol-Version: 2025-11-25' "${extra[@]}" --data "$body" "$url"
}

field() { # field LINE KEY
        sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" <<<"$1"
}

# Runs wrk once; prints its BENCH line.
run_wrk() {
        local duration=$1 id_base=$2
        MCP_SESSION_ID=$session MCP_TOOL=$tool MCP_ARGUMENTS=$arguments MCP_ID_BASE=$id_base \
                timeout --kill-after=5 $((duration + 30)) "${wrk_cpu[@]}" wrk -t "$threads" -c "$connections" \
                -d "${duration}s" --timeout 5s --latency -s "$here/tools-call.lua" "$url" >"$work/wrk.out" 2>&1 ||
                die "wrk failed: $(cat "$work/wrk.out")"
        grep '^BENCH ' "$work/wrk.out" || die "wrk printed no figures: $(cat "$work/wrk.out")"
}

# bench NAME TOOL ARGUMENTS EXPECTED_TEXT COMMAND...: the server is started as COMMAND with PORT in its
# environment and @PORT@ in its arguments replaced. Sets result_NAME to the BENCH line plus rss_kib=N.
bench() {
        local name=$1 expected=$4 status line
        tool=$2 arguments=$3
        shift 4
        local port
        port=$(free_port)
        url=http://127.0.0.1:$port/mcp
        local cmd=("${@//@PORT@/$port}")
        echo "== $name on $url"
        PORT=$port "${server_cpu[@]}" "${cmd[@]}" >/dev/null 2>"$work/$name.log" &
        server_pid=$!
        wait_for_port "$port" || die "$name did not start: $(tail -n 20 "$work/$name.log")"

        status=$(mcp_post "" '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"aios-bench","version":"1.0.0"}}}') ||
                die "$name: initialize failed"
        [[ $status == 200 ]] || die "$name: initialize answered HTTP $status: $(cat "$work/body")"
        session=$(tr -d '\r' <"$work/headers" | sed -n 's/^[Mm][Cc][Pp]-[Ss][Ee][Ss][Ss][Ii][Oo][Nn]-[Ii][Dd]: *//p')
        [[ -n $session ]] || die "$name: initialize answered without an Mcp-Session-Id header"
        status=$(mcp_post "$session" '{"jsonrpc":"2.0","method":"notifications/initialized"}') ||
                die "$name: notifications/initialized failed"
        [[ $status == 202 ]] || die "$name: notifications/initialized answered HTTP $status (expected 202)"
        status=$(mcp_post "$session" "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"$tool\",\"arguments\":$arguments}}") ||
                die "$name: tools/call failed"
        if [[ $status != 200 ]] || ! grep -qF "$expected" "$work/body"; then
                die "$name: tools/call $tool answered HTTP $status without \"$expected\": $(cat "$work/body")"
        fi
        echo "   session $session; tools/call $tool answers \"$expected\""

        [[ $warmup -eq 0 ]] || run_wrk "$warmup" 1000000000 >/dev/null
        line=$(run_wrk "$seconds" 2000000000)
        local rss
        rss=$(awk '/^VmHWM:/ { print $2 }' "/proc/$server_pid/status")
        kill -0 "$server_pid" 2>/dev/null || die "$name died during the run: $(tail -n 20 "$work/$name.log")"
        stop_server
        line="$line rss_kib=$rss"
        local errors
        errors=$(($(field "$line" connect_errors) + $(field "$line" read_errors) + $(field "$line" write_errors) +
                $(field "$line" non2xx) + $(field "$line" timeouts)))
        [[ $errors -eq 0 ]] || echo "   warning: $errors requests failed or timed out; $name's figures are not comparable"
        printf -v "result_${name//-/_}" '%s' "$line"
        echo "   $line"
}

echo "tools/call over HTTP keep-alive: $connections connections, $threads wrk thread(s), ${warmup} s warm-up, ${seconds} s measured"
if [[ ${#server_cpu[@]} -gt 0 ]]; then
        echo "CPUs: server pinned to CPU 0, wrk to CPU 1"
elif [[ ${#wrk_cpu[@]} -gt 0 ]]; then
        echo "CPUs: wrk pinned to CPU 1, the server free"
else
        echo "CPUs: no pinning"
fi

result_aios=
if [[ $reference_only -eq 0 ]]; then
        bench aios test_simple_text '{}' 'This is a simple text response for testing.' \
                "$server_bin" --listen=127.0.0.1:@PORT@
fi
# server-everything logs a line to stdout for every request; the preload turns console.log off so that
# it is measured doing MCP rather than logging (its errors still go to stderr).
bench reference echo '{"message":"hello"}' 'Echo: hello' \
        "$AIOS_NODE" --import="$AIOS_NODE_LOOPBACK_ONLY" --import='data:text/javascript,console.log=()=>{}' \
        "$AIOS_EVERYTHING_SERVER" streamableHttp

# The table: requests per second, latency percentiles, peak RSS, and how aios compares (higher is
# better for aios in every column: its rate over the reference's, the reference's latency and memory
# over its own).
row() { # row NAME LINE
        local rps p50 p99 rss errors
        rps=$(field "$2" rps) p50=$(field "$2" p50_us) p99=$(field "$2" p99_us) rss=$(field "$2" rss_kib)
        errors=$(($(field "$2" connect_errors) + $(field "$2" read_errors) + $(field "$2" write_errors) + $(field "$2" non2xx) + $(field "$2" timeouts)))
        awk -v n="$1" -v rps="$rps" -v p50="$p50" -v p99="$p99" -v rss="$rss" -v e="$errors" 'BEGIN {
                printf "%-22s %10.0f %9.2f ms %9.2f ms %9.1f MiB %7d\n", n, rps, p50 / 1000, p99 / 1000, rss / 1024, e }'
}
echo
printf '%-22s %10s %12s %12s %13s %7s\n' server 'req/s' p50 p99 'peak RSS' errors
[[ -z $result_aios ]] || row aios-conformanced "$result_aios"
# shellcheck disable=SC2154 # set by bench() through printf -v
row server-everything "$result_reference"
if [[ -n $result_aios ]]; then
        awk -v a_rps="$(field "$result_aios" rps)" -v r_rps="$(field "$result_reference" rps)" \
                -v a50="$(field "$result_aios" p50_us)" -v r50="$(field "$result_reference" p50_us)" \
                -v a99="$(field "$result_aios" p99_us)" -v r99="$(field "$result_reference" p99_us)" \
                -v arss="$(field "$result_aios" rss_kib)" -v rrss="$(field "$result_reference" rss_kib)" 'BEGIN {
                        printf "%-22s %9.1fx %11.1fx %11.1fx %12.1fx\n", "aios advantage", a_rps / r_rps,
                                r50 / (a50 ? a50 : 1), r99 / (a99 ? a99 : 1), rrss / arss }'
        echo "(aios advantage: aios req/s over the reference's; the reference's latency and peak RSS over aios's)"
fi
