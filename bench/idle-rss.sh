#!/usr/bin/env bash
# The idle memory of every aios server and of the gateway in front of them: each server started on a
# private system bus (with polkitd), the gateway with a backend for each, one tools/list through /mcp so that
# every catalog was built and sent, then a few seconds idle; then each process's resident set (VmRSS) and
# proportional set (Pss, shared pages divided among the processes that map them), beside the goals of
# 4 MiB per server and 12 MiB for the gateway.
# usage: idle-rss.sh [BUILD_DIR]   (default: build; runs as root, like the development stack)
#
# Environment: BENCH_IDLE_SECONDS (5), how long everything idles before it is measured. A server that does
# not start here (one that needs a configuration or a credential this script does not give it) is listed
# with the last line of its log. Figures, not a test.
set -euo pipefail
[[ -z ${BENCH_TRACE:-} ]] || set -x

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=${1:-$top/build}
[[ -x $build/src/gateway/aios-gatewayd ]] || { echo "idle-rss.sh: build aios first (meson compile -C $build)" >&2; exit 2; }
if [[ $(id -u) -ne 0 ]]; then
        echo "idle-rss.sh: run this as root: the private bus and polkitd need a private mount namespace" >&2
        exit 2
fi
if [[ -z ${AIOS_DEV_SERVICES_RUNTIME:-} ]]; then
        AIOS_BUILD_DIR=$build exec "$top/tools/dev-services.sh" -- "$0" "$@"
fi

export AIOS_SECCOMP_DIR=${AIOS_SECCOMP_DIR:-$top/seccomp}
idle=${BENCH_IDLE_SECONDS:-5}
work=$(mktemp -d "${TMPDIR:-/tmp}/aios-bench.XXXXXX")
pids=()
# shellcheck disable=SC2317 # called by the trap
cleanup() {
        kill -TERM "${pids[@]}" 2>/dev/null || true
        wait "${pids[@]}" 2>/dev/null || true
        rm -rf "$work"
}
trap cleanup EXIT
bus=(--address="$DBUS_SYSTEM_BUS_ADDRESS")

# name, binary (in the build tree), bus name
servers=(
        "conformance src/conformance/aios-conformanced org.aios.Conformance1"
        "sysops src/sysops/aios-sysopsd org.aios.SystemOps1"
        "python src/python/aios-pythond org.aios.Python1"
        "ide src/ide/aios-ided org.aios.IDE1"
        "comm src/comm/aios-commd org.aios.Communication1"
        "voice src/voice/aios-voiced org.aios.Voice1"
        "browser src/browser/aios-browserd org.aios.Browser1"
        "actions src/actions/aios-actionsd org.aios.GitHubActions1"
)

mkdir -p "$work/gateway/backends.d"
declare -A pid_of
for entry in "${servers[@]}"; do
        read -r name binary bus_name <<<"$entry"
        [[ -x $build/$binary ]] || { echo "$name: not built ($build/$binary)"; continue; }
        # A state directory of its own, as systemd's StateDirectory= would give it.
        mkdir -p "$work/state-$name"
        STATE_DIRECTORY=$work/state-$name "$build/$binary" >"$work/$name.log" 2>&1 &
        pid=$!
        for ((i = 0; i < 100; i++)); do
                busctl "${bus[@]}" status "$bus_name" >/dev/null 2>&1 && break
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
        done
        if ! busctl "${bus[@]}" status "$bus_name" >/dev/null 2>&1; then
                echo "$name: did not start here: $(tail -n 1 "$work/$name.log")"
                kill -TERM "$pid" 2>/dev/null || true
                continue
        fi
        pids+=("$pid")
        pid_of[$name]=$pid
        printf '[Backend]\nType=dbus\nBusName=%s\n' "$bus_name" >"$work/gateway/backends.d/$name.conf"
done

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$build/src/gateway/aios-gatewayd" --config-dir="$work/gateway" --listen="127.0.0.1:$port" >"$work/gateway.log" 2>&1 &
gateway=$!
pids+=("$gateway")
for ((i = 0; i < 300; i++)); do
        curl -s "http://127.0.0.1:$port/readyz" | grep -q '"ready"' && break
        kill -0 "$gateway" 2>/dev/null || { echo "the gateway did not start: $(tail -n 5 "$work/gateway.log")" >&2; exit 1; }
        sleep 0.1
done
hdr=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
session=$(curl -s -D - -o /dev/null "http://127.0.0.1:$port/mcp" "${hdr[@]}" \
        -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"idle-rss","version":"1"}}}' |
        tr -d '\r' | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
tools=$(curl -s "http://127.0.0.1:$port/mcp" "${hdr[@]}" -H "Mcp-Session-Id: $session" -H 'MCP-Protocol-Version: 2025-11-25' \
        -d '{"jsonrpc":"2.0","id":2,"method":"tools/list"}' | { grep -o '"inputSchema"' || true; } | wc -l)
direct=$(curl -s "http://127.0.0.1:$port/metrics" | grep -c '^aios_gateway_backend_direct{.*} 1' || true)
echo "${#pid_of[@]} servers on the bus, $tools tools in /mcp's tools/list, $direct direct connections; idle for $idle s"
sleep "$idle"

kib() { awk -v k="$2:" '$1 == k { print $2 }' "$1"; }
printf '\n%-12s %10s %10s %8s\n' process 'RSS' 'PSS' goal
line() { # NAME PID GOAL_KIB
        local rss pss
        rss=$(kib "/proc/$2/status" VmRSS)
        pss=$(kib "/proc/$2/smaps_rollup" Pss)
        awk -v n="$1" -v r="$rss" -v p="$pss" -v g="$3" 'BEGIN {
                printf "%-12s %6.1f MiB %6.1f MiB %4d MiB %s\n", n, r / 1024, p / 1024, g / 1024, r <= g ? "" : "(over)" }'
}
for entry in "${servers[@]}"; do
        read -r name _ <<<"$entry"
        [[ -n ${pid_of[$name]:-} ]] && line "$name" "${pid_of[$name]}" 4096
done
line gateway "$gateway" 12288
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
