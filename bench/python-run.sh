#!/usr/bin/env bash
# Measures python_run of aios-pythond: print(1) and `import numpy` (python3-numpy, not preloaded) through the
# gateway (HTTP to aios-gatewayd, D-Bus to the server, polkit answering for an API key with tools:python; the
# server's own HTTP port serves none of its tools, which need polkit), at 1 and 8 concurrent clients; the idle memory of the warm pool (each warm
# worker's sandbox: its init and python3) and of the daemon; beside `python3 -c 'print(1)'` and the same
# under bubblewrap, `bwrap --unshare-all`, started one after the other on the same machine in the same run.
# usage: python-run.sh [BUILD_DIR]   (default: build; runs as root, like the development stack)
#
# One aios-pythond, as its user aios-python, on the private system bus of tools/dev-services.sh; the gateway runs as aios-gateway, so that polkit decides by the shipped
# rule as it would on an installed system. Two kinds of figures: "paced", runs one at a time, each sent once
# the warm pool is full again (what a run that finds a warm worker costs, as a client sees it, curl's
# time_total), and back to back at 1 and 8 clients, wrk (one thread, one MCP session, a new request id per
# request) for BENCH_SECONDS after BENCH_WARMUP_SECONDS: a one-shot run takes a warm worker and the pool starts
# a fresh one behind it, so at saturation every run waits for a worker's start (a python3 in a new sandbox).
# An answer that is not a finished run ("status":"ok") is counted as bad. Its sandboxes are limited by
# rlimits alone (no systemd, no delegated cgroup). RSS is resident memory, shared pages counted in every
# process; PSS shares them out.
#
# Environment: BENCH_SECONDS (5), BENCH_WARMUP_SECONDS (1), BENCH_SPAWNS (100: runs of python3 -c and
# bwrap, per concurrency), BENCH_PACED (20: runs one at a time, each once the pool is full again),
# AIOS_PYTHON_POOL_SIZE (the server's default, 2) and the other AIOS_PYTHON_* variables of aios-pythond(8).
# Loopback only. Figures, not a test: it exits non-zero only when something cannot be started or answers
# wrongly.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=${1:-$top/build}
for bin in src/python/aios-pythond src/gateway/aios-gatewayd src/aiosctl/aiosctl; do
        [[ -x $build/$bin ]] || { echo "python-run.sh: build aios first (meson compile -C $build)" >&2; exit 2; }
done
if [[ $(id -u) -ne 0 ]]; then
        echo "python-run.sh: run this as root: the private bus and polkitd need a private mount namespace" >&2
        exit 2
fi
if [[ -z ${AIOS_DEV_SERVICES_RUNTIME:-} ]]; then
        AIOS_BUILD_DIR=$build exec "$top/tools/dev-services.sh" -- "$0" "$@"
fi

export BENCH_SECONDS=${BENCH_SECONDS:-5} BENCH_WARMUP_SECONDS=${BENCH_WARMUP_SECONDS:-1}
# shellcheck source=bench/bench-lib.sh
source "$here/bench-lib.sh"
spawns=${BENCH_SPAWNS:-100}
python=/usr/bin/python3
[[ -x $python ]] || die "$python is not installed"
"$python" -c 'import numpy' 2>/dev/null || die "numpy is not installed for $python (apt-get install python3-numpy)"
if ! command -v bwrap >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bubblewrap >/dev/null 2>&1 || true
fi

# The daemons run as their users, setpriv executing them in place: $! is the daemon itself.
as_user() { local u=$1; shift; exec setpriv --reuid="$u" --regid="$u" --init-groups -- "$@"; }
pids=()
# shellcheck disable=SC2317 # called by the trap
stop_all() {
        kill -TERM "${pids[@]}" 2>/dev/null || true
        wait "${pids[@]}" 2>/dev/null || true
}
trap 'stop_all; cleanup' EXIT
chmod 0755 "$work"

# The server, as its user, with the worker of this source tree (copied where that user can read it).
mkdir -p "$work/worker"
cp "$top"/src/python/worker/*.py "$work/worker/"
chmod -R a+rX "$work/worker"
# On the bus only: its tools need polkit, which its own HTTP port cannot ask, so they are not served there.
(AIOS_PYTHON_WORKER_DIR=$work/worker as_user aios-python "$build/src/python/aios-pythond" \
        --log-level=debug >/dev/null 2>"$work/pythond.log") &
python_pid=$!
pids+=("$python_pid")
for ((i = 0; i < 100; i++)); do
        busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" status org.aios.Python1 >/dev/null 2>&1 && break
        kill -0 "$python_pid" 2>/dev/null || die "aios-pythond did not start: $(tail -n 20 "$work/pythond.log")"
        sleep 0.1
done

config=$work/gateway
mkdir -p "$config/backends.d" "$work/state"
chown aios-gateway:aios-gateway "$work/state"
printf '[Backend]\nType=dbus\nBusName=org.aios.Python1\n' >"$config/backends.d/python.conf"
printf '[Authentication]\nAPIKeyFile=%s/state/api-keys\n' "$work" >"$config/gateway.conf"
key=$(as_user aios-gateway "$build/src/aiosctl/aiosctl" --store="$work/state/api-keys" key create bench \
        --scope tools:python 2>/dev/null) || die "aiosctl could not make a key"
gateway_port=$(free_port)
(as_user aios-gateway "$build/src/gateway/aios-gatewayd" --config-dir="$config" \
        --listen="127.0.0.1:$gateway_port" >/dev/null 2>"$work/gatewayd.log") &
gateway_pid=$!
pids+=("$gateway_pid")
server_pid=$gateway_pid
wait_for_port "$gateway_port" || die "aios-gatewayd did not start: $(tail -n 20 "$work/gatewayd.log")"
server_pid=
for ((i = 0; i < 100; i++)); do
        curl -s "http://127.0.0.1:$gateway_port/readyz" | grep -q '"ready"' && break
        sleep 0.1
done

# The warm pool at rest: each child of the daemon is a sandbox's init, with its python3 below it. Waits
# until every one has its interpreter, blocked on its control channel, and the figures no longer move.
descendants() { # PID: PID and every process below it
        local p
        echo "$1"
        for p in $(cat /proc/"$1"/task/*/children 2>/dev/null); do descendants "$p"; done
}
kib() { # FIELD /proc/PID...: the sum of FIELD (kB) over the processes, from status or smaps_rollup
        local p sum=0 v
        for p in "${@:2}"; do
                v=$(awk -v f="$1:" '$1 == f { print $2 }' "$p/status" "$p/smaps_rollup" 2>/dev/null | head -n 1)
                sum=$((sum + ${v:-0}))
        done
        echo "$sum"
}
pool_rss() { # prints "WORKERS RSS_KIB PSS_KIB" for the warm pool, once it is at rest
        local inits last='' now i p procs
        for ((i = 0; i < 100; i++)); do
                inits=$(cat /proc/"$python_pid"/task/*/children 2>/dev/null || true)
                procs=()
                for p in $inits; do
                        mapfile -t -O "${#procs[@]}" procs < <(descendants "$p" | sed 's|^|/proc/|')
                done
                now="$(wc -w <<<"$inits") $(kib VmRSS "${procs[@]}")"
                # two readings of RSS in a row alike (PSS moves with every process that maps the same
                # libraries, anywhere on the machine), every init with its interpreter, none of them running
                if [[ $now == "$last" && ${#procs[@]} -eq $((2 * $(wc -w <<<"$inits"))) ]] &&
                        ! grep -q '^State:.*R' "${procs[@]/%//status}" 2>/dev/null; then
                        break
                fi
                last=$now
                sleep 0.2
        done
        echo "$now $(kib Pss "${procs[@]}")"
}
read -r workers pool_kib pool_pss <<<"$(pool_rss)"
daemon_kib=$(kib VmRSS "/proc/$python_pid")
daemon_pss=$(kib Pss "/proc/$python_pid")
[[ $workers -gt 0 ]] || die "aios-pythond has no warm workers: $(tail -n 20 "$work/pythond.log")"

# open_session NAME: initialize and notifications/initialized at $url, then one python_run of $arguments
# checked by hand. Sets session.
open_session() {
        local status
        status=$(mcp_post "" '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"aios-bench","version":"1.0.0"}}}') ||
                die "$1: initialize failed"
        [[ $status == 200 ]] || die "$1: initialize answered HTTP $status: $(cat "$work/body")"
        session=$(tr -d '\r' <"$work/headers" | sed -n 's/^[Mm][Cc][Pp]-[Ss][Ee][Ss][Ss][Ii][Oo][Nn]-[Ii][Dd]: *//p')
        status=$(mcp_post "$session" '{"jsonrpc":"2.0","method":"notifications/initialized"}') ||
                die "$1: notifications/initialized failed"
        status=$(mcp_post "$session" "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"python_run\",\"arguments\":$arguments}}") ||
                die "$1: tools/call failed"
        if [[ $status != 200 ]] || ! grep -qF '"status":"ok"' "$work/body"; then
                die "$1: python_run answered HTTP $status without \"status\":\"ok\": $(cat "$work/body")"
        fi
}

# pool_ready: waits until the daemon has said "is ready" for as many workers as it started (its debug log):
# the pool is full again, no run would wait for a worker's start.
pool_ready() {
        local i started ready
        for ((i = 0; i < 600; i++)); do
                started=$(($(grep -c 'is ready' "$work/pythond.log") + 0))
                ready=$(find /proc/"$python_pid"/task/*/children -maxdepth 0 -exec cat {} + 2>/dev/null | wc -w)
                # every sandbox started is a ready worker: as many ready lines as runs taken plus the pool
                ((started >= taken + workers && ready >= workers)) && return 0
                sleep 0.05
        done
        return 1
}

# paced NAME URL CODE: $paced runs one at a time, each once the warm pool is full again: what a run costs
# when it finds a warm worker, as a client that does not saturate the server sees it (curl's time_total).
paced() {
        local name=$1 code=$3 i t bad=0 times=()
        url=$2
        arguments=$(jq -cn --arg code "$code" '{code:$code}')
        open_session "$name"
        taken=$((taken + 1))
        for ((i = 0; i < paced_runs; i++)); do
                pool_ready || die "$name: the warm pool did not fill up again: $(tail -n 5 "$work/pythond.log")"
                t=$(curl -sS --max-time 30 -o "$work/body" -w '%{time_total}' -H 'Content-Type: application/json' \
                        -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2025-11-25' \
                        -H "Mcp-Session-Id: $session" ${bench_authorization:+-H "Authorization: $bench_authorization"} \
                        --data "{\"jsonrpc\":\"2.0\",\"id\":$((i + 10)),\"method\":\"tools/call\",\"params\":{\"name\":\"python_run\",\"arguments\":$arguments}}" \
                        "$url") || t=30
                taken=$((taken + 1))
                grep -qF '"status":"ok"' "$work/body" || bad=$((bad + 1))
                times+=("$t")
        done
        local line
        line=$(printf '%s\n' "${times[@]}" | sort -n | awk -v n="${#times[@]}" -v bad="$bad" '
                { t[NR] = $1 }
                END { i50 = int(0.5 * n) + 1; i99 = int(0.99 * n) + 1; if (i99 > n) i99 = n
                      printf "BENCH requests=%d rps=- p50_us=%d p99_us=%d bad=%d non2xx=0 timeouts=0\n", n, t[i50] * 1e6, t[i99] * 1e6, bad }')
        printf -v "result_${name//-/_}" '%s' "$line"
        echo "   $name: $line"
}

# measure_run NAME URL CODE CONNECTIONS: one session, a run checked by hand, then wrk. Sets result_NAME.
measure_run() {
        local name=$1 code=$3 status line arguments duration
        url=$2 connections=$4
        arguments=$(jq -cn --arg code "$code" '{code:$code}')
        open_session "$name"
        for duration in $warmup $seconds; do
                [[ $duration -gt 0 ]] || continue
                MCP_SESSION_ID=$session MCP_TOOL=python_run MCP_ARGUMENTS=$arguments MCP_ID_BASE=$((RANDOM * 100000)) \
                        MCP_AUTHORIZATION=${bench_authorization:-} \
                        timeout --kill-after=5 $((duration + 60)) "${wrk_cpu[@]}" wrk -t 1 -c "$connections" \
                        -d "${duration}s" --timeout 30s --latency -s "$here/python-run.lua" "$url" >"$work/wrk.out" 2>&1 ||
                        die "wrk failed: $(cat "$work/wrk.out")"
        done
        line=$(grep '^BENCH ' "$work/wrk.out") || die "wrk printed no figures: $(cat "$work/wrk.out")"
        kill -0 "$python_pid" 2>/dev/null || die "aios-pythond died during $name"
        printf -v "result_${name//-/_}" '%s' "$line"
        echo "   $name: $line"
}

# spawn NAME CONCURRENCY COMMAND...: COMMAND $spawns times, CONCURRENCY at once; sets result_NAME to a
# BENCH-like line (p50_us, p99_us, rps).
spawn() {
        local name=$1 concurrency=$2 line
        shift 2
        line=$("$python" - "$spawns" "$concurrency" "$@" <<'EOF'
import subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
n, c, cmd = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
def once(_):
    t = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0 or p.stdout != b"1\n":
        raise SystemExit("%s failed: %r %r" % (cmd, p.stdout, p.stderr[-300:]))
    return time.perf_counter() - t
once(0)
t0 = time.perf_counter()
with ThreadPoolExecutor(c) as pool:
    ts = sorted(pool.map(once, range(n)))
elapsed = time.perf_counter() - t0
q = lambda f: ts[min(len(ts) - 1, int(f * len(ts)))]
print("BENCH requests=%d rps=%.1f p50_us=%d p99_us=%d bad=0 non2xx=0 timeouts=0 connect_errors=0 read_errors=0 write_errors=0"
      % (n, n / elapsed, q(0.50) * 1e6, q(0.99) * 1e6))
EOF
        ) || die "$name: $*: failed"
        printf -v "result_${name//-/_}" '%s' "$line"
        echo "   $name: $line"
}

# Other work on the machine shows in every figure: its load is printed before and after.
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
echo "python_run over HTTP keep-alive: wrk, 1 thread, ${warmup} s warm-up, ${seconds} s measured per row; aios-pythond $python_pid, pool of $workers"
gateway=http://127.0.0.1:$gateway_port/mcp
paced_runs=${BENCH_PACED:-20}
taken=0
echo "paced: $paced_runs runs one at a time, each when the warm pool is full again"
bench_authorization="Bearer $key"
paced gateway-print-paced "$gateway" 'print(1)'
paced gateway-numpy-paced "$gateway" 'import numpy'
bench_authorization=
echo "back to back: as many runs as the clients can send, the pool refilled behind them"
for c in 1 8; do
        bench_authorization="Bearer $key"
        measure_run "gateway-print-$c" "$gateway" 'print(1)' "$c"
        measure_run "gateway-numpy-$c" "$gateway" 'import numpy' "$c"
        bench_authorization=
done
stop_all
pids=()

bwrap_cmd=()
if command -v bwrap >/dev/null; then
        bwrap_cmd=(bwrap --unshare-all --die-with-parent --ro-bind /usr /usr --symlink usr/lib /lib
                --symlink usr/lib64 /lib64 --symlink usr/bin /bin --proc /proc --dev /dev --tmpfs /tmp)
        "${bwrap_cmd[@]}" "$python" -c 'print(1)' >/dev/null 2>&1 || bwrap_cmd=()
fi
echo "process spawns: $spawns runs per row"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"
for c in 1 8; do
        spawn "python3-$c" "$c" "$python" -c 'print(1)'
        if [[ ${#bwrap_cmd[@]} -gt 0 ]]; then
                spawn "bwrap-$c" "$c" "${bwrap_cmd[@]}" "$python" -c 'print(1)'
        fi
done

ms() { awk -v v="$(field "$1" "$2")" 'BEGIN { printf "%.2f ms", v / 1000 }'; }
echo
printf '%-30s %9s %12s %12s %6s\n' "path, clients" "runs/s" p50 p99 bad
for row in gateway-print gateway-numpy python3 bwrap; do
        for c in paced 1 8; do
                var=result_${row//-/_}_$c
                [[ -n ${!var:-} ]] || continue
                printf '%-30s %9s %12s %12s %6s\n' "$row, $c" "$(field "${!var}" rps)" "$(ms "${!var}" p50_us)" \
                        "$(ms "${!var}" p99_us)" "$(($(field "${!var}" bad) + $(field "${!var}" non2xx) + $(field "${!var}" timeouts)))"
        done
done
[[ ${#bwrap_cmd[@]} -gt 0 ]] || echo "bwrap: not measured (bubblewrap is not installed, or cannot make its namespaces here)"
[[ ${#bwrap_cmd[@]} -eq 0 ]] || echo "bwrap: ${bwrap_cmd[*]} $python -c 'print(1)'"
echo
awk -v w="$workers" -v r="$pool_kib" -v p="$pool_pss" -v d="$daemon_kib" -v dp="$daemon_pss" 'BEGIN {
        printf "idle warm pool: %d workers, %.1f MiB RSS (%.1f MiB PSS) in all, %.1f MiB RSS (%.1f MiB PSS) per worker\n", w, r / 1024, p / 1024, r / w / 1024, p / w / 1024
        printf "the daemon: %.1f MiB RSS (%.1f MiB PSS)\n", d / 1024, dp / 1024 }'
echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"
