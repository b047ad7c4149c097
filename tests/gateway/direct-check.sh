#!/usr/bin/env bash
# The gateway's direct connections to its D-Bus servers (org.aios.MCP1.Connect): calls bypass the broker
# once a server hands the gateway a socket; a user that is no front end is refused one; a server that refuses
# is called through the broker; a server restarted mid-run is connected to again; and with the broker killed
# mid-run, calls on the direct connection go on while what needs the broker fails with an answer, and all
# comes back with the broker.
# usage: direct-check.sh   (AIOS_CONFORMANCED and AIOS_GATEWAYD name the binaries; runs as root)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
if [[ $(id -u) -ne 0 ]]; then
        echo "direct-check.sh: SKIP: needs root (a private mount namespace and polkitd)"
        exit 77
fi
if [[ -z ${AIOS_DEV_SERVICES_RUNTIME:-} ]]; then
        exec "$top/tools/dev-services.sh" -- "$0" "$@"
fi

# As the real system bus's address, without the guid dev-services.sh's daemon printed: the broker started
# again below has another.
export DBUS_SYSTEM_BUS_ADDRESS=${DBUS_SYSTEM_BUS_ADDRESS%%,guid=*}
# shellcheck source=tests/gateway/stack-lib.sh
source "$top/tests/gateway/stack-lib.sh"

stack_start
trap 'stack_stop; kill -TERM ${refusing:-} ${refused_gateway:-} 2>/dev/null || true' EXIT

accept=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"direct-check","version":"1"}}}'
new_session() { # BASE: a session on BASE/mcp; prints its id
        curl -s -D - -o /dev/null --max-time 20 "$1/mcp" "${accept[@]}" -d "$init" | tr -d '\r' |
                sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p'
}
call() { # BASE SESSION BODY: one request on a session of BASE/mcp (what comes is written as it comes)
        curl -s -N --max-time 20 "$1/mcp" "${accept[@]}" -H "Mcp-Session-Id: $2" -H 'MCP-Protocol-Version: 2025-11-25' \
                -d "$3" || true
}
simple='{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"test_simple_text","arguments":{}}}'
metric() { # BASE NAME{LABELS}: the value of one series in BASE/metrics, or nothing
        curl -s --max-time 10 "$1/metrics" | awk -v k="$2" '$1 == k { print $2 }'
}
direct_calls() { metric "$1" "aios_gateway_bus_calls_total{backend=\"$2\",route=\"direct\"}"; }
broker_calls() { metric "$1" "aios_gateway_bus_calls_total{backend=\"$2\",route=\"broker\"}"; }
wait_direct() { # BASE BACKEND VALUE: waits up to 20 s for aios_gateway_backend_direct{backend} to be VALUE
        local i
        for ((i = 0; i < 200; i++)); do
                [[ $(metric "$1" "aios_gateway_backend_direct{backend=\"$2\"}") == "$3" ]] && return 0
                sleep 0.1
        done
        return 1
}

# --- calls go over the direct connection ----------------------------------------------------------------

wait_direct "$base" conformance 1 && pass "the gateway holds a direct connection to the first server" ||
        fail "the gateway holds a direct connection to the first server" "$(tail -n 20 "$runtime/gateway.log")"
wait_direct "$base" second 1 && pass "and one to the second" || fail "and one to the second"

session=$(new_session "$base")
before=$(direct_calls "$base" conformance)
out=$(call "$base" "$session" "$simple")
expect "a tool call through the gateway is answered" "simple text response" "$out"
after=$(direct_calls "$base" conformance)
[[ ${after:-0} -gt ${before:-0} ]] && pass "it went over the direct connection" ||
        fail "it went over the direct connection" "direct calls before $before, after $after"
out=$(call "$base" "$session" '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"test_tool_with_progress","arguments":{},"_meta":{"progressToken":"p"}}}')
expect "progress comes back as a signal on the direct connection" '"method":"notifications/progress"' "$out"
out=$(call "$base" "$session" '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"second_test_simple_text","arguments":{}}}')
expect "a call to the second server is answered" "simple text response" "$out"
[[ $(broker_calls "$base" conformance) == "" || $(broker_calls "$base" conformance) == 0 ]] &&
        pass "no call to a connected server went through the broker" ||
        fail "no call to a connected server went through the broker" "broker calls: $(broker_calls "$base" conformance)"

# --- who may have one -------------------------------------------------------------------------------------

out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
        busctl "${bus[@]}" call org.aios.Conformance1 /org/aios/MCP1 org.aios.MCP1 Connect 2>&1 || true)
expect "a local user that is no front end is refused a direct connection" "Access denied" "$out"
grep -q "Refused a direct connection to .* (unix-user:nobody)" "$runtime/first.log" &&
        pass "the server refused it, and says so" || fail "the server refused it, and says so"
out=$(busctl "${bus[@]}" call org.aios.Conformance1 /org/aios/MCP1 org.aios.MCP1 Connect 2>&1 || true)
expect "root, a front end, gets a socket" "h " "$out"

# A server that does not take the gateway's user for a front end refuses; the gateway calls it through the
# broker, as the user it is.
AIOS_FRONT_END_USERS=nobody "$AIOS_CONFORMANCED" --bus-name=org.aios.Conformance1.Refusing >>"$runtime/refusing.log" 2>&1 &
refusing=$!
stack_wait_for_name org.aios.Conformance1.Refusing "$refusing"
refused_config=$runtime/refused
mkdir -p "$refused_config/backends.d"
printf '[Backend]\nType=dbus\nBusName=org.aios.Conformance1.Refusing\n' >"$refused_config/backends.d/refusing.conf"
chmod -R a+rX "$refused_config"
for ((attempt = 0; attempt < 10; attempt++)); do
        port=$(stack_free_port)
        stack_ports_given+="$port "
        "${gateway_user[@]}" "$AIOS_GATEWAYD" --config-dir="$refused_config" --listen="127.0.0.1:$port" \
                >>"$runtime/refused-gateway.log" 2>&1 &
        refused_gateway=$!
        refused_base=http://127.0.0.1:$port
        for ((i = 0; i < 200; i++)); do
                curl -s "$refused_base/readyz" | grep -q '"ready"' && break 2
                kill -0 "$refused_gateway" 2>/dev/null || continue 2
                sleep 0.05
        done
done
for ((i = 0; i < 200; i++)); do
        grep -q "no direct connection" "$runtime/refused-gateway.log" && break
        sleep 0.05
done
expect "a gateway that is not the server's front end is told no" "Only a front end" \
        "$(cat "$runtime/refused-gateway.log")"
refused_session=$(new_session "$refused_base")
out=$(call "$refused_base" "$refused_session" "$simple")
expect "and its calls are answered through the broker" '"jsonrpc"' "$out"
[[ $(broker_calls "$refused_base" refusing) -ge 1 && -z $(direct_calls "$refused_base" refusing) ]] &&
        pass "the calls went through the broker" ||
        fail "the calls went through the broker" "broker $(broker_calls "$refused_base" refusing), direct $(direct_calls "$refused_base" refusing)"
kill -TERM "$refused_gateway" "$refusing" 2>/dev/null || true

# --- a server restarted mid-run ----------------------------------------------------------------------------

kill -TERM "$first"
wait "$first" 2>/dev/null || true
wait_direct "$base" conformance 0 && pass "the direct connection ends with its server" ||
        fail "the direct connection ends with its server"
out=$(call "$base" "$session" "$simple")
expect "a call while the server is away fails with an answer" '"error"' "$out"
stack_start_first
wait_direct "$base" conformance 1 && pass "the restarted server is connected to directly again" ||
        fail "the restarted server is connected to directly again" "$(tail -n 20 "$runtime/gateway.log")"
session=$(new_session "$base")
before=$(direct_calls "$base" conformance)
out=$(call "$base" "$session" "$simple")
expect "calls reach the restarted server" "simple text response" "$out"
[[ $(direct_calls "$base" conformance) -gt ${before:-0} ]] && pass "over its new direct connection" ||
        fail "over its new direct connection"

# A call in flight when its server goes (it waits for the client's answer to its question): it is answered,
# not left hanging.
init=${init/'"capabilities":{}'/'"capabilities":{"elicitation":{}}'}
asking=$(new_session "$base")
call "$base" "$asking" '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"test_elicitation","arguments":{"message":"Name?"}}}' \
        >"$runtime/in-flight.out" &
in_flight=$!
for ((i = 0; i < 100; i++)); do
        grep -q elicitation/create "$runtime/in-flight.out" && break
        sleep 0.1
done
expect "a call that asks the client is in flight" "elicitation/create" "$(cat "$runtime/in-flight.out")"
kill -KILL "$first"
wait "$first" 2>/dev/null || true
wait "$in_flight" || true
expect "a call in flight on the direct connection when its server dies gets an error" '"error"' \
        "$(cat "$runtime/in-flight.out")"
stack_start_first
wait_direct "$base" conformance 1 && pass "and the gateway connects to the next one" ||
        fail "and the gateway connects to the next one"

# --- the broker killed mid-run -----------------------------------------------------------------------------

session=$(new_session "$base")
out=$(call "$base" "$session" "$simple") # polkit's answer for this is remembered for a few seconds
broker=$(pgrep -f -- "--config-file=$runtime/system.conf" | head -n 1)
kill -KILL "$broker"
for ((i = 0; i < 100; i++)); do
        busctl "${bus[@]}" status >/dev/null 2>&1 || break
        sleep 0.1
done
out=$(call "$base" "$session" '{"jsonrpc":"2.0","id":6,"method":"resources/read","params":{"uri":"test://static-text"}}')
expect "with the broker gone, a call on the direct connection is answered" \
        "This is the content of the static text resource." "$out"
out=$(call "$base" "$session" "$simple")
[[ $out == *"simple text response"* || $out == *'"error"'* || $out == *'"isError":true'* ]] &&
        pass "a tool call that needs polkit (on the gone bus) is answered, one way or the other" ||
        fail "a tool call that needs polkit (on the gone bus) is answered, one way or the other" "$out"
kill -0 "$gateway" 2>/dev/null && pass "the gateway runs on" || fail "the gateway runs on"

# The server, on the bus alone, exits once it had no call in flight for a while; the gateway connects to the
# broker that comes back, and directly to the server started on it.
for ((i = 0; i < 300; i++)); do
        kill -0 "$first" 2>/dev/null || break
        sleep 0.1
done
kill -0 "$first" 2>/dev/null && fail "a server on the bus alone exits when idle without the broker" ||
        pass "a server on the bus alone exits when idle without the broker"
grep -q "No call in flight for" "$runtime/first.log" && pass "and says why" || fail "and says why"
wait "$first" 2>/dev/null || true
setsid "${AIOS_DBUS_DAEMON:-dbus-daemon}" --config-file="$runtime/system.conf" --nofork \
        >>"$runtime/dbus-daemon-again.log" 2>&1 </dev/null &
for ((i = 0; i < 100; i++)); do
        busctl "${bus[@]}" status >/dev/null 2>&1 && break
        sleep 0.1
done
stack_start_first
wait_direct "$base" conformance 1 && pass "the gateway is back on the bus, and connected directly to the server on it" ||
        fail "the gateway is back on the bus, and connected directly to the server on it" "$(tail -n 20 "$runtime/gateway.log")"
grep -q "Connected to the system bus again" "$runtime/gateway.log" && pass "the gateway says it is back on the bus" ||
        fail "the gateway says it is back on the bus"
session=$(new_session "$base")
out=$(call "$base" "$session" '{"jsonrpc":"2.0","id":7,"method":"resources/read","params":{"uri":"test://static-text"}}')
expect "calls reach the server again" "This is the content of the static text resource." "$out"

[[ $failures -eq 0 ]]
