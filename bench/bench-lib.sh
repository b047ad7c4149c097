# shellcheck shell=bash
# What the benchmarks share: setup, servers on free ports, MCP sessions with curl, wrk runs and the table.
# Sourced after setting `here`, `top` and the BENCH_* variables (see tools-call.sh).
# The binaries run from the build tree, with the allow-lists of the source tree.
export AIOS_SECCOMP_DIR=${AIOS_SECCOMP_DIR:-$top/seccomp}
seconds=${BENCH_SECONDS:-10}
warmup=${BENCH_WARMUP_SECONDS:-2}
connections=${BENCH_CONNECTIONS:-32}
threads=${BENCH_THREADS:-1}
pin=${BENCH_PIN:-wrk}

die() {
        echo "bench: $*" >&2
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
        [[ -z ${bench_authorization:-} ]] || extra+=(-H "Authorization: $bench_authorization")
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
                MCP_AUTHORIZATION=${bench_authorization:-} \
                timeout --kill-after=5 $((duration + 30)) "${wrk_cpu[@]}" wrk -t "$threads" -c "$connections" \
                -d "${duration}s" --timeout 5s --latency -s "$here/tools-call.lua" "$url" >"$work/wrk.out" 2>&1 ||
                die "wrk failed: $(cat "$work/wrk.out")"
        grep '^BENCH ' "$work/wrk.out" || die "wrk printed no figures: $(cat "$work/wrk.out")"
}

# CPU time (user and system, all threads) a process has used, in clock ticks.
cpu_ticks() {
        awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# CPU time the whole machine has been busy (everything but idle and iowait), in clock ticks.
machine_busy_ticks() {
        awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

# per_request TICKS REQUESTS: clock ticks of CPU time as microseconds per request.
per_request() {
        awk -v t="$1" -v hz="$(getconf CLK_TCK)" -v n="$2" 'BEGIN { printf "%.1f", (n > 0 ? t * 1e6 / hz / n : 0) }'
}

# measure NAME URL TOOL ARGUMENTS EXPECTED_TEXT PID...: opens a session at URL, checks one tools/call by
# hand, warms up, runs wrk, and reads the peak RSS (VmHWM) of each PID (their sum is rss_kib, each one
# rss_kib_N) and the CPU time each used per request during the measured run, in microseconds (cpu_us_N),
# beside the whole machine's (cpu_us_machine: the processes, wrk and anything else running). Sets
# result_NAME to the BENCH line plus these fields.
measure() {
        local name=$1 expected=$5 status line
        url=$2 tool=$3 arguments=$4
        shift 5
        echo "== $name on $url"
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
        local pid cpu_before=() busy_before
        for pid in "$@"; do
                cpu_before+=("$(cpu_ticks "$pid")")
        done
        busy_before=$(machine_busy_ticks)
        line=$(run_wrk "$seconds" 2000000000)
        local busy_after rss total=0 i=0 requests
        busy_after=$(machine_busy_ticks)
        requests=$(field "$line" requests)
        for pid in "$@"; do
                kill -0 "$pid" 2>/dev/null || die "$name: process $pid died during the run"
                rss=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
                total=$((total + rss))
                line="$line rss_kib_$i=$rss cpu_us_$i=$(per_request $(($(cpu_ticks "$pid") - cpu_before[i])) "$requests")"
                i=$((i + 1))
        done
        line="$line rss_kib=$total cpu_us_machine=$(per_request $((busy_after - busy_before)) "$requests")"
        local errors
        errors=$(($(field "$line" connect_errors) + $(field "$line" read_errors) + $(field "$line" write_errors) +
                $(field "$line" non2xx) + $(field "$line" timeouts)))
        [[ $errors -eq 0 ]] || echo "   warning: $errors requests failed or timed out; $name's figures are not comparable"
        printf -v "result_${name//-/_}" '%s' "$line"
        echo "   $line"
}

# start_server NAME COMMAND...: starts COMMAND with PORT in its environment and @PORT@ in its arguments
# replaced by a free port, and waits until it listens. Sets server_pid and port.
start_server() {
        local name=$1
        shift
        port=$(free_port)
        local cmd=("${@//@PORT@/$port}")
        PORT=$port "${server_cpu[@]}" "${cmd[@]}" >/dev/null 2>"$work/$name.log" &
        server_pid=$!
        wait_for_port "$port" || die "$name did not start: $(tail -n 20 "$work/$name.log")"
}

# bench NAME TOOL ARGUMENTS EXPECTED_TEXT COMMAND...: start_server, measure, stop it.
bench() {
        local name=$1 tool=$2 arguments=$3 expected=$4
        shift 4
        start_server "$name" "$@"
        measure "$name" "http://127.0.0.1:$port/mcp" "$tool" "$arguments" "$expected" "$server_pid"
        stop_server
}

row() { # row NAME LINE
        local rps p50 p99 rss errors
        rps=$(field "$2" rps) p50=$(field "$2" p50_us) p99=$(field "$2" p99_us) rss=$(field "$2" rss_kib)
        errors=$(($(field "$2" connect_errors) + $(field "$2" read_errors) + $(field "$2" write_errors) + $(field "$2" non2xx) + $(field "$2" timeouts)))
        awk -v n="$1" -v rps="$rps" -v p50="$p50" -v p99="$p99" -v rss="$rss" -v e="$errors" 'BEGIN {
                printf "%-22s %10.0f %9.2f ms %9.2f ms %9.1f MiB %7d\n", n, rps, p50 / 1000, p99 / 1000, rss / 1024, e }'
}
