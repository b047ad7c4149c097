#!/usr/bin/env bash
# The idle memory of every aios server and of the gateway in front of them: each server started on a
# private system bus (with polkitd), the gateway with a backend for each, one tools/list through /mcp so that
# every catalog was built and sent, then a few seconds idle; then each process's resident set (VmRSS) and
# proportional set (Pss, shared pages divided among the processes that map them), the resident set split
# into the shared libraries' mappings and the process's own (executable, heap, stacks), beside the goals of
# 4 MiB per server and 12 MiB for the gateway.
# usage: idle-rss.sh [BUILD_DIR [BASELINE_BUILD_DIR]]   (default: build; runs as root, like the development stack)
#
# With BASELINE_BUILD_DIR (another build of aios, say of an earlier commit), the baseline's servers and
# gateway are measured first in the same way on the same bus, then stopped, then BUILD_DIR's, and the table
# shows both side by side.
#
# Environment: BENCH_IDLE_SECONDS (5), how long everything idles before it is measured. BENCH_MAPPINGS=N
# also prints, for each process, the N mappings holding most of its resident set, grouped by file (the
# libraries, the executable) or kind ([heap], [stack], [anon] for the rest of the anonymous memory):
# resident, proportional, private dirty (written: relocations, data, heap), private clean and shared clean
# (file pages read from the page cache; the shared ones count in RSS in full but only a share in PSS).
# A server that does not start here (one that needs a configuration or a credential this script does not
# give it) is listed with the last line of its log. Figures, not a test.
set -euo pipefail
[[ -z ${BENCH_TRACE:-} ]] || set -x

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=${1:-$top/build}
baseline=${2:-}
for dir in "$build" ${baseline:+"$baseline"}; do
        [[ -x $dir/src/gateway/aios-gatewayd ]] || { echo "idle-rss.sh: build aios first (meson compile -C $dir)" >&2; exit 2; }
done
if [[ $(id -u) -ne 0 ]]; then
        echo "idle-rss.sh: run this as root: the private bus and polkitd need a private mount namespace" >&2
        exit 2
fi
if [[ -z ${AIOS_DEV_SERVICES_RUNTIME:-} ]]; then
        AIOS_BUILD_DIR=$build exec "$top/tools/dev-services.sh" -- "$0" "$@"
fi

export AIOS_SECCOMP_DIR=${AIOS_SECCOMP_DIR:-$top/seccomp}
idle=${BENCH_IDLE_SECONDS:-5}
mappings=${BENCH_MAPPINGS:-0}
work=$(mktemp -d "${TMPDIR:-/tmp}/aios-bench.XXXXXX")
pids=()
stop_all() {
        kill -TERM "${pids[@]}" 2>/dev/null || true
        wait "${pids[@]}" 2>/dev/null || true
        pids=()
}
# shellcheck disable=SC2317 # called by the trap
cleanup() {
        stop_all
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

kib() { awk -v k="$2:" '$1 == k { print $2 }' "$1"; }
# The mappings of PID holding most of its resident set, grouped by file or kind, in KiB.
top_mappings() { # PID
        awk '/^[0-9a-f]+-[0-9a-f]+ / { name = NF >= 6 ? $6 : "[anon]"; sub(".*/", "", name); next }
                $1 == "Rss:" { rss[name] += $2 } $1 == "Pss:" { pss[name] += $2 }
                $1 == "Private_Dirty:" { pd[name] += $2 } $1 == "Private_Clean:" { pc[name] += $2 }
                $1 == "Shared_Clean:" { sc[name] += $2 }
                END { for (n in rss) if (rss[n] > 0) printf "%d %d %d %d %d %s\n", rss[n], pss[n], pd[n], pc[n], sc[n], n }' \
                "/proc/$1/smaps" | sort -rn | head -n "$mappings" |
                awk '{ printf "    %-30s %6d %6d %6d %6d %6d\n", $6, $1, $2, $3, $4, $5 }'
}

# The resident set of PID in two parts, in KiB: the shared libraries' mappings (the loader's among them:
# what any program linking them has), and the rest, the process's own (its executable, heap, stacks).
split_rss() { # PID
        awk '/^[0-9a-f]+-[0-9a-f]+ / { lib = NF >= 6 && $6 ~ /\.so(\.[0-9.]+)?$/; next }
                $1 == "Rss:" { if (lib) l += $2; else o += $2 }
                END { printf "%d %d\n", l, o }' "/proc/$1/smaps"
}

declare -A rss_of pss_of maps_of libs_of own_of
# Starts BUILD's servers and gateway, lists the tools once, idles and records every process's figures
# under LABEL; then stops them all.
measure() { # LABEL BUILD
        local label=$1 dir=$2 entry name binary bus_name pid port gateway session tools direct i
        local -A pid_of=()
        rm -rf "$work/gateway" && mkdir -p "$work/gateway/backends.d"
        for entry in "${servers[@]}"; do
                read -r name binary bus_name <<<"$entry"
                [[ -x $dir/$binary ]] || { echo "$label $name: not built ($dir/$binary)"; continue; }
                # A state directory of its own, as systemd's StateDirectory= would give it.
                rm -rf "$work/state-$name" && mkdir -p "$work/state-$name"
                STATE_DIRECTORY=$work/state-$name "$dir/$binary" >"$work/$name.log" 2>&1 &
                pid=$!
                for ((i = 0; i < 100; i++)); do
                        busctl "${bus[@]}" status "$bus_name" >/dev/null 2>&1 && break
                        kill -0 "$pid" 2>/dev/null || break
                        sleep 0.1
                done
                if ! busctl "${bus[@]}" status "$bus_name" >/dev/null 2>&1; then
                        echo "$label $name: did not start here: $(tail -n 1 "$work/$name.log")"
                        kill -TERM "$pid" 2>/dev/null || true
                        continue
                fi
                pids+=("$pid")
                pid_of[$name]=$pid
                printf '[Backend]\nType=dbus\nBusName=%s\n' "$bus_name" >"$work/gateway/backends.d/$name.conf"
        done

        port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        "$dir/src/gateway/aios-gatewayd" --config-dir="$work/gateway" --listen="127.0.0.1:$port" >"$work/gateway.log" 2>&1 &
        gateway=$!
        pids+=("$gateway")
        pid_of[gateway]=$gateway
        for ((i = 0; i < 300; i++)); do
                curl -s "http://127.0.0.1:$port/readyz" | grep -q '"ready"' && break
                kill -0 "$gateway" 2>/dev/null || { echo "$label: the gateway did not start: $(tail -n 5 "$work/gateway.log")" >&2; exit 1; }
                sleep 0.1
        done
        local hdr=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
        session=$(curl -s -D - -o /dev/null "http://127.0.0.1:$port/mcp" "${hdr[@]}" \
                -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"idle-rss","version":"1"}}}' |
                tr -d '\r' | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
        tools=$(curl -s "http://127.0.0.1:$port/mcp" "${hdr[@]}" -H "Mcp-Session-Id: $session" -H 'MCP-Protocol-Version: 2025-11-25' \
                -d '{"jsonrpc":"2.0","id":2,"method":"tools/list"}' | { grep -o '"inputSchema"' || true; } | wc -l)
        direct=$(curl -s "http://127.0.0.1:$port/metrics" | grep -c '^aios_gateway_backend_direct{.*} 1' || true)
        echo "$label: $((${#pid_of[@]} - 1)) servers on the bus, $tools tools in /mcp's tools/list, $direct direct connections; idle for $idle s"
        sleep "$idle"

        for name in "${!pid_of[@]}"; do
                rss_of[$label/$name]=$(kib "/proc/${pid_of[$name]}/status" VmRSS)
                pss_of[$label/$name]=$(kib "/proc/${pid_of[$name]}/smaps_rollup" Pss)
                read -r "libs_of[$label/$name]" "own_of[$label/$name]" < <(split_rss "${pid_of[$name]}")
                [[ $mappings -eq 0 ]] || maps_of[$label/$name]=$(top_mappings "${pid_of[$name]}")
        done
        stop_all
}

[[ -z $baseline ]] || measure baseline "$baseline"
measure build "$build"

mib() { awk -v k="${1:-}" 'BEGIN { if (k == "") printf "%10s", "-"; else printf "%6.1f MiB", k / 1024 }'; }
if [[ -n $baseline ]]; then
        printf '\n%-12s %10s %10s   %10s %10s %10s %10s %8s\n' process 'RSS before' 'PSS before' RSS PSS libraries own goal
else
        printf '\n%-12s %10s %10s %10s %10s %8s\n' process RSS PSS libraries own goal
fi
for name in "${servers[@]%% *}" gateway; do
        goal=4096
        [[ $name == gateway ]] && goal=12288
        [[ -n ${rss_of[build/$name]:-} || -n ${rss_of[baseline/$name]:-} ]] || continue
        printf '%-12s' "$name"
        [[ -z $baseline ]] || printf ' %s %s  ' "$(mib "${rss_of[baseline/$name]:-}")" "$(mib "${pss_of[baseline/$name]:-}")"
        rss=${rss_of[build/$name]:-}
        over=
        if [[ -n $rss && $rss -gt $goal ]]; then over='(over)'; fi
        printf ' %s %s %s %s %4d MiB %s\n' "$(mib "$rss")" "$(mib "${pss_of[build/$name]:-}")" \
                "$(mib "${libs_of[build/$name]:-}")" "$(mib "${own_of[build/$name]:-}")" $((goal / 1024)) "$over"
done
if [[ $mappings -gt 0 ]]; then
        for name in "${servers[@]%% *}" gateway; do
                for label in baseline build; do
                        [[ -n ${maps_of[$label/$name]:-} ]] || continue
                        printf '\n%s (%s): KiB %24s %6s %6s %6s %6s\n' "$name" "$label" RSS PSS 'P.dirty' 'P.clean' 'S.clean'
                        echo "${maps_of[$label/$name]}"
                done
        done
fi
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
