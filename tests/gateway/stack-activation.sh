# shellcheck shell=bash
# Sourced by stack-check.sh once its gateway has gone, with its helpers (expect, reject, pass, fail, and
# $accept, $init): a second gateway with CallTimeoutSec=2 and MaxInFlightPerBackend=16 in front of the two
# running servers and a third one that the bus starts by D-Bus activation and that exits after 2 s idle.
# Checks that the third's tools are on /mcp from the first tools/list and stay there across its idle exits,
# that listen streams outlive CallTimeoutSec without starving ordinary calls, and that calls the gateway
# gives up on are cancelled at the server and their questions answered.

# D-Bus activation on the private bus: a service directory of our own, read once the bus reloads.
services=$runtime/services
mkdir -p "$services"
cat >"$runtime/activated-server.sh" <<EOF
#!/bin/sh
echo \$\$ >"$runtime/activated.pid"
exec env DBUS_SYSTEM_BUS_ADDRESS='$DBUS_SYSTEM_BUS_ADDRESS' AIOS_SECCOMP_DIR='${AIOS_SECCOMP_DIR:-$top/seccomp}' \\
        '$AIOS_CONFORMANCED' --bus-name=org.aios.Conformance1.Activated --exit-idle-time=2 >>'$runtime/activated.log' 2>&1
EOF
chmod 0755 "$runtime/activated-server.sh"
printf '[D-BUS Service]\nName=org.aios.Conformance1.Activated\nExec=%s\n' "$runtime/activated-server.sh" \
        >"$services/org.aios.Conformance1.Activated.service"
printf '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"\n "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">\n<busconfig><servicedir>%s</servicedir></busconfig>\n' \
        "$services" >"$runtime/system.d/zz-stack-activation.conf"
busctl "${bus[@]}" call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig >/dev/null
activated_running() { busctl "${bus[@]}" status org.aios.Conformance1.Activated >/dev/null 2>&1; }
activated_stop() { # the server the bus started, if it still runs
        local pid
        pid=$(cat "$runtime/activated.pid" 2>/dev/null) || return 0
        kill -TERM "$pid" 2>/dev/null || true
}

out=$(busctl "${bus[@]}" call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ListActivatableNames 2>&1 || true)
expect "the bus can start org.aios.Conformance1.Activated" "org.aios.Conformance1.Activated" "$out"
activated_running && fail "nothing runs org.aios.Conformance1.Activated before the gateway needs it" ||
        pass "nothing runs org.aios.Conformance1.Activated before the gateway needs it"

config2=$runtime/gateway2
mkdir -p "$config2/backends.d"
printf '[Gateway]\nCallTimeoutSec=2\nMaxInFlightPerBackend=16\n' >"$config2/gateway.conf"
cp "$config/backends.d/conformance.conf" "$config/backends.d/second.conf" "$config2/backends.d/"
printf '[Backend]\nType=dbus\nBusName=org.aios.Conformance1.Activated\nPrefix=act_\n' >"$config2/backends.d/activated.conf"
# And a backend that answers with D-Bus errors by name (tests/gateway/bus-errors.c).
"${AIOS_BUS_ERRORS:?}" org.aios.Conformance1.Errors >>"$runtime/bus-errors.log" 2>&1 &
errors=$!
stack_wait_for_name org.aios.Conformance1.Errors
printf '[Backend]\nType=dbus\nBusName=org.aios.Conformance1.Errors\n' >"$config2/backends.d/errors.conf"
"$gatewayd" --config-dir="$config2" --listen="127.0.0.1:$port6" >>"$runtime/gateway2.log" 2>&1 &
gateway2=$!
base2=http://127.0.0.1:$port6
for ((i = 0; i < 100; i++)); do # bound at once; requests wait in the backlog until the catalogs are in
        (exec 3<>"/dev/tcp/127.0.0.1/$port6") 2>/dev/null && break
        sleep 0.1
done

stack_wait_for_name org.aios.Gateway1 # the servers' questions go to the gateway that owns it
session2=$(curl -s -D - -o /dev/null --max-time 20 "$base2/mcp" "${accept[@]}" -d "$init" | tr -d '\r' |
        sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
mcp2() { # mcp2 BODY: one request on the second gateway's /mcp session
        curl -s --max-time 20 "$base2/mcp" "${accept[@]}" -H "Mcp-Session-Id: $session2" -H 'MCP-Protocol-Version: 2025-11-25' -d "$1"
}
first_list=$(mcp2 '{"jsonrpc":"2.0","id":2,"method":"tools/list"}')
expect "the first tools/list on /mcp has the tools of the server D-Bus activation started for it" \
        '"name":"act_test_simple_text"' "$first_list"
expect "and those of the running servers" '"name":"second_test_simple_text"' "$first_list"

# Failures are told apart by the D-Bus error's name (and NameOwnerChanged); the messages of these errors
# say otherwise, and must not matter.
errcall() { mcp2 "{\"jsonrpc\":\"2.0\",\"id\":50,\"method\":\"tools/call\",\"params\":{\"name\":\"$1\",\"arguments\":{}}}"; }
expect "org.aios.MCP1.Error.Stopping: the server stopped before it answered" "stopped before it answered" "$(errcall err_stopping)"
expect "LimitsExceeded: too many requests, try again" "too many requests in progress" "$(errcall err_limits)"
expect "Timeout: the server did not answer in time" "did not answer within 2 s" "$(errcall err_timeout)"
expect "NoReply from a server that is still on the bus: a timeout, not a stop" "did not answer within 2 s" "$(errcall err_noreply)"
expect "any other error: the server is unavailable, with the error's message" "is unavailable: Method call timed out" \
        "$(errcall err_other)"

# Its idle exit must not take its tools away, nor tell the clients that the list changed.
curl -s -N --max-time 30 "$base2/mcp" -H 'Accept: text/event-stream' -H "Mcp-Session-Id: $session2" \
        -H 'MCP-Protocol-Version: 2025-11-25' >"$runtime/gateway2-stream.out" 2>/dev/null &
stream2=$!
for ((i = 0; i < 150; i++)); do
        activated_running || break
        sleep 0.1
done
activated_running && fail "the activated server exits when idle" || pass "the activated server exits when idle"
out=$(mcp2 '{"jsonrpc":"2.0","id":2,"method":"tools/list"}')
[[ $out == "$first_list" ]] || { echo "$first_list" >"$runtime/list-first.out"; echo "$out" >"$runtime/list-after.out"; out="$out (differs from the first list)"; }
expect "its tools stay on /mcp after its idle exit" '"name":"act_test_simple_text"' "$out"
reject "the list is the same as before" "differs from the first list" "$out"
out=$(curl -s "$base2/readyz")
expect "/readyz says the stopped server is activatable" '"activated":"activatable"' "$out"
out=$(mcp2 '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"act_test_simple_text","arguments":{}}}')
expect "a call starts the server again, and is answered" "simple text response" "$out"
activated_running && pass "the server runs again" || fail "the server runs again"
kill "$stream2" 2>/dev/null || true
wait "$stream2" 2>/dev/null || true
reject "no tools/list_changed reached the client for the exit and the start" "list_changed" "$(cat "$runtime/gateway2-stream.out")"

# A call that CallTimeoutSec ends is cancelled at the server too, which answers it: MaxInFlightPerBackend
# counts the replies the bus still owes, so had the server not been told, the backend would stay full.
ask='{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"test_elicitation","arguments":{"message":"Who?"}}}'
pids=()
for ((n = 0; n < 16; n++)); do
        mcp2 "${ask/\"id\":7/\"id\":$((100 + n))}" >"$runtime/timeout-$n.out" &
        pids+=($!)
done
wait "${pids[@]}" || true
timed_out=$(grep -l 'did not answer within 2 s' "$runtime"/timeout-*.out | wc -l)
expect "the server's question reached the client" "elicitation/create" "$(cat "$runtime/timeout-0.out")"
((timed_out == 16)) && pass "16 calls the client does not answer end after CallTimeoutSec" ||
        fail "16 calls the client does not answer end after CallTimeoutSec" "$timed_out did; $(cat "$runtime/timeout-0.out")"
for ((i = 0; i < 50; i++)); do
        out=$(mcp2 '{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"test_simple_text","arguments":{}}}')
        [[ $out == *"simple text response"* ]] && break
        sleep 0.1
done
expect "then the backend takes calls again: the server stopped the timed-out work and answered" "simple text response" "$out"
# Each of those questions holds a reply that the bus counts against the server's connection (128 at most)
# until the gateway answers it: the gateway answers them when their request ends, so after 144 such calls
# the server can still ask.
for ((round = 1; round < 9; round++)); do
        pids=()
        for ((n = 0; n < 16; n++)); do
                mcp2 "${ask/\"id\":7/\"id\":$((1000 + 16 * round + n))}" >/dev/null &
                pids+=($!)
        done
        wait "${pids[@]}" || true
done
out=$(mcp2 "${ask/\"id\":7/\"id\":9}")
expect "after 144 unanswered questions the server still asks the client" "elicitation/create" "$out"

# Listen streams (the stateless wire's subscriptions/listen) last as long as their client wants, past
# CallTimeoutSec; each holds a reply the bus counts (at most 128 for the gateway's connection), so the
# gateway takes only a bounded share of them per backend and refuses the rest, and ordinary calls go on.
meta='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"}}'
listen="{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"subscriptions/listen\",\"params\":{\"notifications\":{\"toolsListChanged\":true},$meta}}"
stateless=(-H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: subscriptions/listen')
listen_open() { # listen_open N TAG: N listen streams on /servers/conformance/mcp; their pids in $listeners
        local n
        listeners=()
        for ((n = 0; n < $1; n++)); do
                curl -s -N --max-time 60 "$base2/servers/conformance/mcp" "${accept[@]}" "${stateless[@]}" -d "$listen" \
                        >"$runtime/listen-$2-$n.out" 2>/dev/null &
                listeners+=($!)
        done
}
listen_count() { # listen_count: how many of $listeners still run
        local pid n=0
        for pid in "${listeners[@]}"; do kill -0 "$pid" 2>/dev/null && n=$((n + 1)); done
        echo "$n"
}
listen_open 130 a
for ((i = 0; i < 200; i++)); do # the refused ones end at once
        (($(grep -l 'too many requests in progress' "$runtime"/listen-a-*.out 2>/dev/null | wc -l) + $(listen_count) >= 130)) && break
        sleep 0.1
done
held=$(listen_count)
refused=$(grep -l 'too many requests in progress' "$runtime"/listen-a-*.out 2>/dev/null | wc -l)
((held > 0 && held < 128 && held + refused == 130)) && pass "of 130 listen streams $held are held, $refused refused as too many" ||
        fail "of 130 listen streams some are held, the rest refused as too many" "held $held, refused $refused"
deadline=$((${EPOCHREALTIME%.*} + 4))
while ((${EPOCHREALTIME%.*} < deadline)) && (($(listen_count) == held)); do sleep 0.2; done
(($(listen_count) == held)) && pass "the listen streams outlive CallTimeoutSec (2 s)" ||
        fail "the listen streams outlive CallTimeoutSec (2 s)" "$(listen_count) of $held still open"
for name in test_simple_text second_test_simple_text act_test_simple_text; do
        out=$(mcp2 "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"$name\",\"arguments\":{}}}")
        expect "meanwhile a call to $name is answered" "simple text response" "$out"
done
out=$(curl -s --max-time 10 "$base2/servers/conformance/mcp" "${accept[@]}" -H 'MCP-Protocol-Version: 2026-07-28' \
        -H 'Mcp-Method: tools/call' -H 'Mcp-Name: test_simple_text' \
        -d "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/call\",\"params\":{\"name\":\"test_simple_text\",\"arguments\":{},$meta}}")
expect "and a stateless call to the backend with the streams" "simple text response" "$out"
expect "and /readyz is ready" '"status":"ready"' "$(curl -s "$base2/readyz")"
kill "${listeners[@]}" 2>/dev/null || true
wait "${listeners[@]}" 2>/dev/null || true
# The gateway notices a gone client when a keepalive (every 15 s) fails, and cancels its stream at the
# server, which answers: the bus owes nothing for them any more, so as many streams are held again.
for ((i = 0; i < 400; i++)); do
        curl -s "$base2/metrics" | grep -q '^aios_gateway_in_flight{backend="conformance"} 0' && break
        sleep 0.1
done
listen_open "$held" b
for ((i = 0; i < 50; i++)); do
        (($(grep -l 'too many requests' "$runtime"/listen-b-*.out 2>/dev/null | wc -l) > 0)) && break
        sleep 0.1
done
again=$(listen_count)
((again == held)) && pass "closed listen streams are cancelled at the server: $held are held again" ||
        fail "closed listen streams are cancelled at the server: as many are held again" "$again of $held"
metrics=$(curl -s "$base2/metrics" | grep '^aios_gateway_requests_total{method="subscriptions/listen"' || true)
expect "/metrics counts the listen streams their clients closed as cancelled" 'outcome="cancelled"' "$metrics"
reject "not as errors" 'outcome="error"' "$metrics"
kill "${listeners[@]}" 2>/dev/null || true
wait "${listeners[@]}" 2>/dev/null || true

kill -TERM "$gateway2" "$errors"
wait "$gateway2" || true
activated_stop
