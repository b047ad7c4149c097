#!/usr/bin/env bash
# How the gateway scales with work, drawn so that a regression shows at a glance: throughput and p99 of
# tools/call (test_simple_text) with wrk, through aios-gatewayd's /mcp (over its direct D-Bus connection to
# aios-conformanced on a private system bus) beside the same server reached directly over HTTP, in the same
# run:
#   connections.svg  against connections, 1, 2, 4, ... 256, with one backend
#   backends.svg     against the backends on /mcp, 1, 5, 10, 25 and 50, at 32 connections: backends.d entries
#                    b01 ... b50 (each with Prefix=bNN_, its own direct connection and catalog), eight to each
#                    aios-conformanced (a server grants eight direct connections at most; seven servers for 50),
#                    the calls going to every backend's test_simple_text in turn. Direct HTTP (to the first
#                    server) does not depend on it: its line is the anchor, measured again at each point.
# The plots are SVG drawn by bench/plot-scale.py (Python's standard library, no plotting package); the figures
# go to scale.txt beside them ("AXIS X SERIES RPS P99_US").
# usage: gateway-scale.sh [BUILD_DIR [OUT_DIR]]   (default: build, and /tmp/aios-gateway-scale; runs as root)
#
# Environment: SCALE_SECONDS (3, each point), SCALE_WARMUP (1), SCALE_CONNECTIONS ("1 2 4 8 16 32 64 128 256"),
# SCALE_BACKENDS ("1 5 10 25 50"), BENCH_THREADS (1 wrk thread), BENCH_PIN (wrk: wrk on the second CPU).
# Figures, not a test.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=${1:-$top/build}
out_dir=${2:-/tmp/aios-gateway-scale}
[[ -x $build/src/gateway/aios-gatewayd ]] || { echo "gateway-scale.sh: build aios first (meson compile -C $build)" >&2; exit 2; }
if [[ $(id -u) -ne 0 ]]; then
        echo "gateway-scale.sh: run this as root: the private bus and polkitd need a private mount namespace" >&2
        exit 2
fi
if [[ -z ${AIOS_DEV_SERVICES_RUNTIME:-} ]]; then
        mkdir -p "$out_dir"
        AIOS_BUILD_DIR=$build exec "$top/tools/dev-services.sh" -- "$0" "$build" "$(cd "$out_dir" && pwd)"
fi

export BENCH_SECONDS=${SCALE_SECONDS:-3} BENCH_WARMUP_SECONDS=${SCALE_WARMUP:-1}
# shellcheck source=bench/bench-lib.sh
source "$here/bench-lib.sh"
# shellcheck source=bench/gateway-lib.sh
source "$here/gateway-lib.sh"

read -ra connection_points <<<"${SCALE_CONNECTIONS:-1 2 4 8 16 32 64 128 256}"
read -ra backend_points <<<"${SCALE_BACKENDS:-1 5 10 25 50}"
text='This is a simple text response for testing.'
data=$out_dir/scale.txt
: >"$data"
started=$SECONDS
load_before=$(load_average)
echo "gateway scale: ${BENCH_SECONDS} s a point after ${BENCH_WARMUP_SECONDS} s of warm-up; load average $load_before on $(nproc) CPUs"

# Eight backends to a server (the direct connections one server grants), as many servers as the most backends need.
max_backends=1
for n in "${backend_points[@]}"; do ((n <= max_backends)) || max_backends=$n; done
for ((k = (max_backends + 7) / 8 - 1; k >= 0; k--)); do
        if ((k == 0)); then start_conformanced org.aios.Conformance1; else start_conformanced "org.aios.Conformance1.S$k"; fi
done
# write_config N: a gateway in front of N backends (b01 ... bNN, Prefix=bNN_ when N > 1), eight to a server.
write_config() {
        local n=$1 i name bus_name
        config=$work/gateway-$n
        mkdir -p "$config/backends.d"
        for ((i = 1; i <= n; i++)); do
                printf -v name 'b%02d' "$i"
                bus_name=org.aios.Conformance1
                (((i - 1) / 8 == 0)) || bus_name=org.aios.Conformance1.S$(((i - 1) / 8))
                printf '[Backend]\nType=dbus\nBusName=%s\n' "$bus_name" >"$config/backends.d/$name.conf"
                [[ $n -eq 1 ]] || printf 'Prefix=%s_\n' "$name" >>"$config/backends.d/$name.conf"
        done
        # Room for 256 connections of one client and its requests.
        printf '[Gateway]\nMaxConnectionsPerSource=1024\nMaxConnections=2048\nMaxRequestsPerPrincipal=2048\n' \
                >"$config/gateway.conf"
}

# point AXIS X: direct HTTP and the gateway's /mcp at the current $connections (and MCP_TOOLS), one line each.
point() {
        local axis=$1 x=$2 series url line errors
        for series in direct gateway; do
                if [[ $series == direct ]]; then
                        url=http://127.0.0.1:$conformanced_port/mcp
                        MCP_TOOLS='' measure "$series" "$url" test_simple_text '{}' "$text" "$conformanced_pid" >"$work/measure.out"
                else
                        url=http://127.0.0.1:$gateway_port/mcp
                        measure "$series" "$url" "$first_tool" '{}' "$text" "$gateway_pid" >"$work/measure.out"
                fi
                result=result_$series
                line=${!result}
                errors=$(($(field "$line" connect_errors) + $(field "$line" read_errors) + $(field "$line" write_errors) +
                        $(field "$line" non2xx) + $(field "$line" timeouts)))
                echo "$axis $x $series $(field "$line" rps) $(field "$line" p99_us)" >>"$data"
                printf '%-12s %4s %-8s %9.0f req/s  p99 %8.2f ms%s\n' "$axis" "$x" "$series" "$(field "$line" rps)" \
                        "$(awk -v u="$(field "$line" p99_us)" 'BEGIN { print u / 1000 }')" \
                        "$([[ $errors -eq 0 ]] || echo "  ($errors errors)")"
        done
}

echo "== against connections, one backend"
write_config 1
start_gateway "$config"
first_tool=test_simple_text
export MCP_TOOLS=
for connections in "${connection_points[@]}"; do
        point connections "$connections"
done
stop_extra_gateway() {
        kill -TERM "$gateway_pid" 2>/dev/null || true
        wait "$gateway_pid" 2>/dev/null || true
}
stop_extra_gateway

echo "== against backends on /mcp, 32 connections"
connections=32
for n in "${backend_points[@]}"; do
        write_config "$n"
        start_gateway "$config"
        if [[ $n -eq 1 ]]; then
                MCP_TOOLS=test_simple_text
        else
                MCP_TOOLS=$(for ((i = 1; i <= n; i++)); do printf 'b%02d_test_simple_text ' "$i"; done)
        fi
        first_tool=${MCP_TOOLS%% *}
        point backends "$n"
        stop_extra_gateway
done

load_after=$(load_average)
echo
"$here/plot-scale.py" "$data" "$out_dir" "load average $load_before before, $load_after after, on $(nproc) CPUs; ${BENCH_SECONDS} s a point"
awk '{ v[$1 " " $2 " " $3] = $4; p[$1 " " $2 " " $3] = $5; if (!seen[$1 " " $2]++) order[++n] = $1 " " $2 }
        END { for (i = 1; i <= n; i++) { k = order[i]; d = v[k " direct"]; g = v[k " gateway"]
                printf "%-16s gateway %6.0f req/s (%3.0f%% of direct %6.0f), p99 %6.2f ms (direct %6.2f ms)\n", k, g, d ? 100 * g / d : 0, d, p[k " gateway"] / 1000, p[k " direct"] / 1000 } }' "$data"
echo "load average $load_before before, $load_after after, on $(nproc) CPUs; $((SECONDS - started)) s in all"
