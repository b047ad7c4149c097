# shellcheck shell=bash disable=SC2034,SC2154 # build and work come from the sourcing script and bench-lib.sh, which use what these set
# What the gateway benchmarks (gateway-soak.sh, gateway-massif.sh, gateway-scale.sh) share: aios-conformanced
# on the private system bus and over HTTP, and gateways in front of it. Sourced after bench-lib.sh, inside
# tools/dev-services.sh.

extra_pids=()
# shellcheck disable=SC2317 # called by the trap
stop_extra() {
        [[ ${#extra_pids[@]} -eq 0 ]] || kill -TERM "${extra_pids[@]}" 2>/dev/null || true
        [[ ${#extra_pids[@]} -eq 0 ]] || wait "${extra_pids[@]}" 2>/dev/null || true
        extra_pids=()
}
trap 'stop_extra; cleanup' EXIT

# start_conformanced [BUS_NAME]: aios-conformanced on the bus (org.aios.Conformance1, or BUS_NAME below it) and on
# HTTP; sets conformanced_pid and conformanced_port.
start_conformanced() {
        local bus_name=${1:-org.aios.Conformance1} args=() i
        [[ $bus_name == org.aios.Conformance1 ]] || args=(--bus-name="$bus_name")
        start_server "$bus_name" "$build/src/conformance/aios-conformanced" --listen=127.0.0.1:@PORT@ "${args[@]}"
        conformanced_pid=$server_pid conformanced_port=$port
        server_pid= # stopped at the end, not by the next start_server
        extra_pids+=("$conformanced_pid")
        for ((i = 0; i < 100; i++)); do
                busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" status "$bus_name" >/dev/null 2>&1 && return 0
                sleep 0.1
        done
        die "aios-conformanced did not take $bus_name on the bus: $(tail -n 5 "$work/$bus_name.log")"
}

# start_gateway CONFIG_DIR [WRAPPER...]: aios-gatewayd with CONFIG_DIR (backends.d/ and gateway.conf written by the
# caller), under WRAPPER (valgrind) when given; waits until every backend is up and reached over its direct
# connection. Sets gateway_pid and gateway_port.
start_gateway() {
        local config=$1 i n_backends
        shift
        n_backends=$(find "$config/backends.d" -name '*.conf' | wc -l)
        port=$(free_port)
        "$@" "$build/src/gateway/aios-gatewayd" --config-dir="$config" --listen="127.0.0.1:$port" \
                >/dev/null 2>"$work/gatewayd.log" &
        gateway_pid=$! gateway_port=$port
        extra_pids+=("$gateway_pid")
        for ((i = 0; i < 1200; i++)); do
                kill -0 "$gateway_pid" 2>/dev/null || die "the gateway did not start: $(tail -n 20 "$work/gatewayd.log")"
                [[ $(curl -s "http://127.0.0.1:$gateway_port/metrics" |
                        grep -c '^aios_gateway_backend_direct{.*} 1') -ge $n_backends ]] && return 0
                sleep 0.1
        done
        die "the gateway has no direct connection to each of its $n_backends backends: $(tail -n 20 "$work/gatewayd.log")"
}

# gateway_metric NAME: the sum of the gateway's series of NAME in /metrics.
gateway_metric() {
        curl -s "http://127.0.0.1:$gateway_port/metrics" | awk -v n="$1" 'index($0, n) == 1 && substr($0, length(n) + 1, 1) ~ /[{ ]/ {
                s += $NF } END { print s + 0 }'
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
load_average() { cut -d' ' -f1-3 /proc/loadavg; }
