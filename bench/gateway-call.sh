#!/usr/bin/env bash
# Measures tools/call through the gateway: HTTP to aios-gatewayd, D-Bus (a private system bus, with polkitd
# answering the server's authorization checks) to aios-conformanced, beside the same server reached
# directly over HTTP and the reference TypeScript server (@modelcontextprotocol/server-everything) in the
# same run.
# usage: gateway-call.sh [BUILD_DIR]   (default: build; runs as root, like the development stack)
#
# One aios-conformanced serves both paths (the system bus and HTTP on its own port), so the difference
# between the direct and the bridged figures is the gateway hop: HTTP parsing and answering in the
# gateway, two D-Bus messages (over the gateway's direct connection to the server, or through dbus-daemon),
# the server's D-Bus transport, and polkit (asked once per caller, tool and 5 seconds). Two gateways run
# side by side: one with its direct connection (DirectConnections=yes, the default), one without
# (DirectConnections=no: every call through the broker). Rows:
#   direct          POST /mcp on aios-conformanced itself
#   gateway-server  POST /servers/conformance/mcp on the gateway: every message relayed as it is, over the
#                   direct connection
#   gateway-broker  the same on the gateway whose calls go through dbus-daemon
#   gateway-mcp     POST /mcp on the gateway: the aggregate endpoint, test_simple_text routed by name
#   reference       server-everything's echo tool
# and, with one connection (no queueing), direct, gateway-server and gateway-broker again: the hop's own
# latency, and gateway-server with an API key (Authorization: Bearer, checked against the key store,
# scopes checked before routing) beside the same without credentials (anonymous): the cost of
# authentication. The machine's load average is printed before and after.
# peak RSS of a bridged row is the gateway's plus the server's.
#
# Environment as for tools-call.sh: BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (2), BENCH_CONNECTIONS (32),
# BENCH_THREADS (1), BENCH_PIN (wrk, both or none). Figures, not a test.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=${1:-$top/build}
[[ -x $build/src/gateway/aios-gatewayd ]] || { echo "gateway-call.sh: build aios first (meson compile -C $build)" >&2; exit 2; }
if [[ $(id -u) -ne 0 ]]; then
        echo "gateway-call.sh: run this as root: the private bus and polkitd need a private mount namespace" >&2
        exit 2
fi
if [[ -z ${AIOS_DEV_SERVICES_RUNTIME:-} ]]; then
        AIOS_BUILD_DIR=$build exec "$top/tools/dev-services.sh" -- "$0" "$@"
fi

# shellcheck source=bench/bench-lib.sh
source "$here/bench-lib.sh"

extra_pids=()
# shellcheck disable=SC2317 # called by the trap
stop_extra() {
        kill -TERM "${extra_pids[@]}" 2>/dev/null || true
        wait "${extra_pids[@]}" 2>/dev/null || true
}
trap 'stop_extra; cleanup' EXIT

echo "tools/call over HTTP keep-alive: $connections connections, $threads wrk thread(s), ${warmup} s warm-up, ${seconds} s measured"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load average $load_before on $(nproc) CPUs"

text='This is a simple text response for testing.'
start_server conformanced "$build/src/conformance/aios-conformanced" --listen=127.0.0.1:@PORT@
conformanced_pid=$server_pid
conformanced_port=$port
server_pid= # stopped at the end, not by the next start_server
extra_pids+=("$conformanced_pid")
for ((i = 0; i < 100; i++)); do
        busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" status org.aios.Conformance1 >/dev/null 2>&1 && break
        sleep 0.1
done

config=$work/gateway
mkdir -p "$config/backends.d"
printf '[Backend]\nType=dbus\nBusName=org.aios.Conformance1\n' >"$config/backends.d/conformance.conf"
printf '[Authentication]\nAPIKeyFile=%s/api-keys\n' "$work" >"$config/gateway.conf"
bench_key=$("$build/src/aiosctl/aiosctl" --store="$work/api-keys" key create bench --scope tools:conformance 2>/dev/null) ||
        die "aiosctl could not make a key"
start_server gatewayd "$build/src/gateway/aios-gatewayd" --config-dir="$config" --listen=127.0.0.1:@PORT@
gateway_pid=$server_pid
gateway_port=$port
server_pid=
extra_pids+=("$gateway_pid")
for ((i = 0; i < 100; i++)); do
        curl -s "http://127.0.0.1:$gateway_port/readyz" | grep -q '"ready"' && break
        sleep 0.1
done
for ((i = 0; i < 100; i++)); do
        curl -s "http://127.0.0.1:$gateway_port/metrics" | grep -q '^aios_gateway_backend_direct{backend="conformance"} 1' && break
        sleep 0.1
done
curl -s "http://127.0.0.1:$gateway_port/metrics" | grep -q '^aios_gateway_backend_direct{backend="conformance"} 1' ||
        die "the gateway has no direct connection to aios-conformanced: $(tail -n 20 "$work/gatewayd.log")"

broker_config=$work/gateway-broker
mkdir -p "$broker_config/backends.d"
cp "$config/backends.d/conformance.conf" "$broker_config/backends.d/"
printf '[Gateway]\nDirectConnections=no\n' >"$broker_config/gateway.conf"
start_server gatewayd-broker "$build/src/gateway/aios-gatewayd" --config-dir="$broker_config" --listen=127.0.0.1:@PORT@
broker_gateway_pid=$server_pid
broker_gateway_port=$port
server_pid=
extra_pids+=("$broker_gateway_pid")
for ((i = 0; i < 100; i++)); do
        curl -s "http://127.0.0.1:$broker_gateway_port/readyz" | grep -q '"ready"' && break
        sleep 0.1
done

measure direct "http://127.0.0.1:$conformanced_port/mcp" test_simple_text '{}' "$text" "$conformanced_pid"
measure gateway-server "http://127.0.0.1:$gateway_port/servers/conformance/mcp" test_simple_text '{}' "$text" \
        "$gateway_pid" "$conformanced_pid"
measure gateway-broker "http://127.0.0.1:$broker_gateway_port/servers/conformance/mcp" test_simple_text '{}' "$text" \
        "$broker_gateway_pid" "$conformanced_pid"
measure gateway-mcp "http://127.0.0.1:$gateway_port/mcp" test_simple_text '{}' "$text" "$gateway_pid" "$conformanced_pid"

# The hop without queueing: one connection, one request at a time.
saved_connections=$connections
connections=1
measure direct-1 "http://127.0.0.1:$conformanced_port/mcp" test_simple_text '{}' "$text" "$conformanced_pid"
measure gateway-server-1 "http://127.0.0.1:$gateway_port/servers/conformance/mcp" test_simple_text '{}' "$text" \
        "$gateway_pid" "$conformanced_pid"
measure gateway-broker-1 "http://127.0.0.1:$broker_gateway_port/servers/conformance/mcp" test_simple_text '{}' "$text" \
        "$broker_gateway_pid" "$conformanced_pid"
bench_authorization="Bearer $bench_key"
measure gateway-key-1 "http://127.0.0.1:$gateway_port/servers/conformance/mcp" test_simple_text '{}' "$text" \
        "$gateway_pid" "$conformanced_pid"
bench_authorization=
connections=$saved_connections
# Which way the calls went, as each gateway counted them.
routes() { curl -s "http://127.0.0.1:$1/metrics" | awk -F'[{}]' '/^aios_gateway_bus_calls_total/ { split($0, v, " "); printf "%s=%s ", $2, v[2] }'; }
route_direct=$(routes "$gateway_port")
route_broker=$(routes "$broker_gateway_port")
stop_extra
extra_pids=()

bench reference echo '{"message":"hello"}' 'Echo: hello' \
        "$AIOS_NODE" --import="$AIOS_NODE_LOOPBACK_ONLY" --import='data:text/javascript,console.log=()=>{}' \
        "$AIOS_EVERYTHING_SERVER" streamableHttp

echo
printf '%-22s %10s %12s %12s %13s %7s\n' path 'req/s' p50 p99 'peak RSS' errors
# shellcheck disable=SC2154 # set by measure() through printf -v
row direct "$result_direct"
row gateway-server "$result_gateway_server"
row gateway-broker "$result_gateway_broker"
row gateway-mcp "$result_gateway_mcp"
row server-everything "$result_reference"
row "direct, 1 conn" "$result_direct_1"
row "gateway-server, 1 conn" "$result_gateway_server_1"
row "gateway-broker, 1 conn" "$result_gateway_broker_1"
row "  with an API key" "$result_gateway_key_1"
awk -v d50="$(field "$result_direct" p50_us)" -v g50="$(field "$result_gateway_server" p50_us)" \
        -v m50="$(field "$result_gateway_mcp" p50_us)" -v g="$(field "$result_gateway_server" rps)" \
        -v m="$(field "$result_gateway_mcp" rps)" -v r="$(field "$result_reference" rps)" \
        -v d1="$(field "$result_direct_1" p50_us)" -v g1="$(field "$result_gateway_server_1" p50_us)" \
        -v b1="$(field "$result_gateway_broker_1" p50_us)" -v b50="$(field "$result_gateway_broker" p50_us)" \
        -v d="$(field "$result_direct" rps)" -v b="$(field "$result_gateway_broker" rps)" \
        -v k1="$(field "$result_gateway_key_1" p50_us)" 'BEGIN {
        printf "\nthe gateway hop at p50, %d connections: %+.0f us (/servers/conformance/mcp, direct connection), %+.0f us (through the broker), %+.0f us (/mcp)\n", '"$connections"', g50 - d50, b50 - d50, m50 - d50
        printf "the gateway hop at p50, 1 connection: %+.0f us over the direct connection, %+.0f us through the broker\n", g1 - d1, b1 - d1
        printf "bridged throughput over direct HTTP'"'"'s, %d connections: %.0f%% over the direct connection, %.0f%% through the broker\n", '"$connections"', 100 * g / d, 100 * b / d
        printf "API-key authentication at p50, 1 connection: %+.0f us over anonymous\n", k1 - g1
        printf "bridged throughput over the reference server'"'"'s: %.1fx (/servers/conformance/mcp), %.1fx (/mcp)\n", g / r, m / r }'
# Where the CPU goes: each process's time per call, and the machine's (wrk and everything else included),
# which bounds what the machine can answer however the work is spread over its CPUs.
awk -v ds="$(field "$result_direct" cpu_us_0)" -v dm="$(field "$result_direct" cpu_us_machine)" \
        -v gg="$(field "$result_gateway_server" cpu_us_0)" -v gs="$(field "$result_gateway_server" cpu_us_1)" \
        -v gm="$(field "$result_gateway_server" cpu_us_machine)" -v cpus="$(nproc)" 'BEGIN {
        printf "CPU per call at %d connections: direct HTTP %.1f us in the server, %.1f us on the machine (wrk included); ", '"$connections"', ds, dm
        printf "bridged %.1f us in the gateway + %.1f us in the server, %.1f us on the machine\n", gg, gs, gm
        if (dm > 0 && gm > 0)
                printf "so on %d CPUs the machine can answer at most %.0f req/s bridged against %.0f direct (%.0f%%); with a CPU for each process, the gateway alone would allow %.0f req/s\n", cpus, cpus * 1e6 / gm, cpus * 1e6 / dm, 100 * dm / gm, (gg > 0 ? 1e6 / gg : 0) }'
echo "calls by route: $route_direct(DirectConnections=yes); $route_broker(DirectConnections=no)"
echo "load average $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after, on $(nproc) CPUs"
