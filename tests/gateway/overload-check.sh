#!/usr/bin/env bash
# A backend with all the calls in progress it may take (MaxInFlightPerBackend=2), filled with calls whose
# server waits for the client's answer (test_elicitation of aios-conformanced, on a private bus behind
# aios-gatewayd): one more request is refused in a way the client can act on, not with a 500. On the
# stateless wire (2026-07-28): 503 with Retry-After and the JSON-RPC error -32030 whose data has
# retryAfter; on the session wire (2025-11-25): the same JSON-RPC error in a 200 answer. Once the client
# answers the server's questions and the slow calls end, calls succeed again on both wires.
# usage: overload-check.sh   (AIOS_CONFORMANCED and AIOS_GATEWAYD name the binaries; runs as root)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
if [[ $(id -u) -ne 0 ]]; then
        echo "overload-check.sh: SKIP: needs root (a private mount namespace and polkitd)"
        exit 77
fi
if [[ -z ${AIOS_DEV_SERVICES_RUNTIME:-} ]]; then
        exec "$top/tools/dev-services.sh" -- "$0" "$@"
fi

# shellcheck source=tests/gateway/stack-lib.sh
source "$top/tests/gateway/stack-lib.sh"

stack_start_first
config=$runtime/gateway-overload
mkdir -p "$config/backends.d"
printf '[Gateway]\nMaxInFlightPerBackend=2\n' >"$config/gateway.conf"
printf '[Backend]\nType=dbus\nBusName=org.aios.Conformance1\n' >"$config/backends.d/conformance.conf"
gateway=
for ((i = 0; i < 20; i++)); do
        port=$(stack_free_port)
        "${AIOS_GATEWAYD:?}" --config-dir="$config" --listen="127.0.0.1:$port" >>"$runtime/gateway.log" 2>&1 &
        gateway=$!
        for ((j = 0; j < 100; j++)); do
                (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break 2
                kill -0 "$gateway" 2>/dev/null || break
                sleep 0.1
        done
done
base=http://127.0.0.1:$port
slow=()
cleanup() {
        kill "${slow[@]}" 2>/dev/null || true
        kill -TERM "$gateway" "$first" 2>/dev/null || true
}
trap cleanup EXIT
for ((i = 0; i < 100; i++)); do
        curl -s "$base/readyz" | grep -q '"ready"' && break
        sleep 0.1
done
expect "the gateway is ready" '"status":"ready"' "$(curl -s "$base/readyz")"

url=$base/servers/conformance/mcp
accept=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{"elicitation":{}},"clientInfo":{"name":"overload-check","version":"1"}}}'
session=$(curl -s -D - -o /dev/null --max-time 20 "$url" "${accept[@]}" -d "$init" | tr -d '\r' |
        sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
[[ -n $session ]] && pass "a session on $url" || fail "a session on $url"
on_session=(-H "Mcp-Session-Id: $session" -H 'MCP-Protocol-Version: 2025-11-25')
curl -s -o /dev/null --max-time 10 "$url" "${accept[@]}" "${on_session[@]}" \
        -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'

call() { # call ID TOOL: a tools/call on the session, with headers (-i)
        curl -s -i --max-time 20 "$url" "${accept[@]}" "${on_session[@]}" \
                -d "{\"jsonrpc\":\"2.0\",\"id\":$1,\"method\":\"tools/call\",\"params\":{\"name\":\"$2\",\"arguments\":{}}}" | tr -d '\r'
}
meta='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"overload-check","version":"1"}}'
stateless_call() { # stateless_call ID: test_simple_text on the stateless wire, with headers (-i)
        curl -s -i --max-time 20 "$url" "${accept[@]}" -H 'MCP-Protocol-Version: 2026-07-28' \
                -H 'Mcp-Method: tools/call' -H 'Mcp-Name: test_simple_text' \
                -d "{\"jsonrpc\":\"2.0\",\"id\":$1,\"method\":\"tools/call\",\"params\":{\"name\":\"test_simple_text\",\"arguments\":{},$meta}}" | tr -d '\r'
}
in_flight() { curl -s "$base/metrics" | sed -n 's/^aios_gateway_in_flight{backend="conformance"} //p'; }

# Two calls the server holds until the client answers its question: the backend's limit.
for n in 0 1; do
        curl -s -N --max-time 60 "$url" "${accept[@]}" "${on_session[@]}" \
                -d "{\"jsonrpc\":\"2.0\",\"id\":$((10 + n)),\"method\":\"tools/call\",\"params\":{\"name\":\"test_elicitation\",\"arguments\":{\"message\":\"Who?\"}}}" \
                >"$runtime/slow-$n.out" 2>/dev/null &
        slow+=($!)
done
for ((i = 0; i < 200; i++)); do
        [[ $(in_flight) == 2 ]] && grep -q elicitation/create "$runtime/slow-0.out" &&
                grep -q elicitation/create "$runtime/slow-1.out" && break
        sleep 0.1
done
[[ $(in_flight) == 2 ]] && pass "two slow calls fill the backend (MaxInFlightPerBackend=2)" ||
        fail "two slow calls fill the backend (MaxInFlightPerBackend=2)" "in flight: $(in_flight)"

out=$(stateless_call 20)
expect "stateless wire: one more call gets 503" "HTTP/1.1 503" "$out"
reject "not 500" "HTTP/1.1 500" "$out"
expect "with Retry-After" "Retry-After: 1" "$out"
expect "and the JSON-RPC error for a busy server" '"code":-32030' "$out"
expect "whose message says to try again" "too many requests in progress; try again in 1 s" "$out"
expect "and whose data has retryAfter" '"retryAfter":1' "$out"

listen="{\"jsonrpc\":\"2.0\",\"id\":21,\"method\":\"subscriptions/listen\",\"params\":{\"notifications\":{\"toolsListChanged\":true},$meta}}"
out=$(curl -s -i --max-time 20 "$url" "${accept[@]}" -H 'MCP-Protocol-Version: 2026-07-28' \
        -H 'Mcp-Method: subscriptions/listen' -d "$listen" | tr -d '\r')
expect "stateless wire: a listen stream gets 503 too" "HTTP/1.1 503" "$out"
expect "with Retry-After" "Retry-After: 1" "$out"

out=$(call 22 test_simple_text)
expect "session wire: one more call is answered (200)" "HTTP/1.1 200" "$out"
expect "with the JSON-RPC error for a busy server" '"code":-32030' "$out"
expect "whose message says to try again" "too many requests in progress; try again in 1 s" "$out"
expect "and whose data has retryAfter" '"retryAfter":1' "$out"
reject "not an internal error" '"code":-32603' "$out"

out=$(curl -s "$base/metrics" | grep '^aios_gateway_requests_total{method="tools/call",tool="test_simple_text"' || true)
expect "/metrics counts the refusals as unavailable" 'outcome="unavailable"' "$out"

# The client answers the questions: the slow calls end, and the backend takes calls again.
for n in 0 1; do
        qid=$(sed -n 's/^data: //p' "$runtime/slow-$n.out" | python3 -c '
import json, sys
for line in sys.stdin:
    if not line.strip():
        continue
    m = json.loads(line)
    if m.get("method") == "elicitation/create":
        print(json.dumps(m["id"]))
        break')
        curl -s -o /dev/null --max-time 10 "$url" "${accept[@]}" "${on_session[@]}" \
                -d "{\"jsonrpc\":\"2.0\",\"id\":$qid,\"result\":{\"action\":\"accept\",\"content\":{\"response\":\"me\"}}}"
done
done_slow=0
for n in 0 1; do
        for ((i = 0; i < 100; i++)); do
                kill -0 "${slow[$n]}" 2>/dev/null || break
                sleep 0.1
        done
        if wait "${slow[$n]}" 2>/dev/null; then done_slow=$((done_slow + 1)); fi
done
((done_slow == 2)) && pass "the slow calls end once the client answers" ||
        fail "the slow calls end once the client answers" "$(cat "$runtime/slow-0.out")"
expect "with the server's result" "User response" "$(cat "$runtime/slow-0.out")"
for ((i = 0; i < 100; i++)); do
        [[ $(in_flight) == 0 ]] && break
        sleep 0.1
done
out=$(stateless_call 30)
expect "then a stateless call succeeds (200)" "HTTP/1.1 200" "$out"
expect "with its result" "simple text response" "$out"
out=$(call 31 test_simple_text)
expect "and a call on the session" "simple text response" "$out"

[[ $failures -eq 0 ]]
