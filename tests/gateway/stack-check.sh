#!/usr/bin/env bash
# The development stack, checked end to end: a private system bus with the project's policy, polkitd with
# the project's rules, two aios-conformanced instances on the bus and aios-gatewayd in front of them.
# usage: stack-check.sh   (AIOS_CONFORMANCED and AIOS_GATEWAYD name the binaries; runs as root)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
if [[ $(id -u) -ne 0 ]]; then
        echo "stack-check.sh: SKIP: needs root (a private mount namespace and polkitd)"
        exit 77
fi
if [[ -z ${AIOS_DEV_SERVICES_RUNTIME:-} ]]; then
        exec "$top/tools/dev-services.sh" -- "$0" "$@"
fi

gatewayd=${AIOS_GATEWAYD:?}
# shellcheck source=tests/gateway/stack-lib.sh
source "$top/tests/gateway/stack-lib.sh"

stack_start
config=$stack_config
port=${base##*:}
# Ports for the servers this test starts itself, all different (stack_free_port runs in a subshell
# here, so it is told about the ones already given).
for n in 1 2 3 4 5 6; do
        printf -v "port$n" '%s' "$(stack_free_port)"
        eval "stack_ports_given+=\"\$port$n \""
done
trap stack_stop EXIT

# --- D-Bus straight to a server, and polkit ------------------------------------------------------------

out=$(busctl "${bus[@]}" call org.aios.Conformance1 /org/aios/MCP1 org.aios.MCP1 CallTool ss test_simple_text '{}' 2>&1 || true)
expect "busctl as root runs a tool (polkit: root is allowed)" "simple text response" "$out"

out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
        busctl "${bus[@]}" call org.aios.Conformance1 /org/aios/MCP1 org.aios.MCP1 CallTool ss test_simple_text '{}' 2>&1 || true)
expect "busctl as nobody is refused by polkit with an access-denied error" "Access denied" "$out"

out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
        busctl "${bus[@]}" call org.aios.Conformance1 /org/aios/MCP1 org.aios.MCP1 ListTools 2>&1 || true)
expect "nobody may still list the tools (listing is not running)" "test_simple_text" "$out"

request='{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"test_simple_text","arguments":{},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"}}}}'
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
        busctl "${bus[@]}" call org.aios.Conformance1 /org/aios/MCP1 org.aios.MCP1 Call 'sa{sv}' "$request" 0 2>&1 || true)
expect "Call as nobody answers JSON-RPC error -32003" '\"code\":-32003' "$out"

out=$(busctl "${bus[@]}" call org.aios.Conformance1 /org/aios/MCP1 org.aios.MCP1 CallTool ss no_such_tool '{}' 2>&1 || true)
expect "an unknown tool is an invalid-arguments error" "Unknown tool: no_such_tool" "$out"
out=$(busctl "${bus[@]}" call org.aios.Conformance1 /org/aios/MCP1 org.aios.MCP1 CallTool ss test_simple_text '[1' 2>&1 || true)
expect "arguments that are not a JSON object are refused" "must be a JSON object" "$out"
out=$(busctl "${bus[@]}" call org.aios.Conformance1 /org/aios/MCP1 org.aios.MCP1 Call 'sa{sv}' '{"jsonrpc":' 0 2>&1 || true)
expect "malformed JSON in Call is a parse error" '\"code\":-32700' "$out"

# --- aios-sysopsd: polkit on resources, and what needs polkit refused where there is none ---------------
if [[ -n ${AIOS_SYSOPSD:-} ]]; then
        sysops_port=$(stack_free_port)
        "$AIOS_SYSOPSD" --listen="127.0.0.1:$sysops_port" >>"$runtime/sysops.log" 2>&1 &
        sysops=$!
        stack_wait_for_name org.aios.SystemOps1 "$sysops"
        meta='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"}}'
        read_journal="{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\",\"params\":{\"uri\":\"journal://unit/x.service\",$meta}}"
        out=$(busctl "${bus[@]}" call org.aios.SystemOps1 /org/aios/MCP1 org.aios.MCP1 Call 'sa{sv}' "$read_journal" 0 2>&1 || true)
        expect "journal://unit/NAME is read for a caller polkit allows" 'journal://unit/x.service' "$out"
        out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
                busctl "${bus[@]}" call org.aios.SystemOps1 /org/aios/MCP1 org.aios.MCP1 Call 'sa{sv}' "$read_journal" 0 2>&1 || true)
        expect "and refused, by polkit, to one it does not" "polkit does not allow this caller to read" "$out"
        out=$(curl -s "http://127.0.0.1:$sysops_port/mcp" -H 'Content-Type: application/json' \
                -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2026-07-28' \
                -H 'Mcp-Method: resources/read' -H 'Mcp-Name: journal://unit/x.service' -d "$read_journal" || true)
        expect "and refused over HTTP, where no polkit asks" "is served only where polkit checks the caller" "$out"
        out=$(curl -s "http://127.0.0.1:$sysops_port/mcp" -H 'Content-Type: application/json' \
                -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2026-07-28' \
                -H 'Mcp-Method: tools/call' -H 'Mcp-Name: system_unit_control' \
                -d "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"system_unit_control\",\"arguments\":{\"action\":\"stop\",\"unit\":\"x.service\"},$meta}}" || true)
        expect "system_unit_control is refused over HTTP" '"code":-32003' "$out"
        out=$(curl -s "http://127.0.0.1:$sysops_port/mcp" -H 'Content-Type: application/json' \
                -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2026-07-28' \
                -H 'Mcp-Method: prompts/get' -H 'Mcp-Name: diagnose_failed_unit' \
                -d "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"prompts/get\",\"params\":{\"name\":\"diagnose_failed_unit\",\"arguments\":{\"unit\":\"nginx.service\"},$meta}}" || true)
        expect "the diagnosis prompt names the unit and the tools" "system_unit_status for nginx.service" "$out"
        out=$(busctl "${bus[@]}" call org.aios.SystemOps1 /org/aios/MCP1 org.aios.MCP1 CallTool ss system_info '{}' 2>&1 || true)
        expect "system_info falls back to /proc and /etc where no systemd-hostnamed answers" '\"source\":\"proc\"' "$out"
        kill -TERM "$sysops"; wait "$sysops" || true
fi

# --- the gateway ---------------------------------------------------------------------------------------

accept=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{"elicitation":{}},"clientInfo":{"name":"stack-check","version":"1"}}}'
session=$(curl -s -D - -o /dev/null "$base/mcp" "${accept[@]}" -d "$init" | tr -d '\r' | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
[[ -n $session ]] && pass "initialize on /mcp gives a session" || fail "initialize on /mcp gives a session"
mcp() { # mcp BODY: one request on the /mcp session
        curl -s --max-time 20 "$base/mcp" "${accept[@]}" -H "Mcp-Session-Id: $session" -H 'MCP-Protocol-Version: 2025-11-25' -d "$1"
}

for ((i = 0; i < 50; i++)); do # the tool lists arrive as the backends answer
        out=$(mcp '{"jsonrpc":"2.0","id":2,"method":"tools/list"}')
        [[ $out == *second_test_simple_text* && $out == *'"test_simple_text"'* && $out == *remote_test_simple_text* ]] && break
        sleep 0.1
done
expect "/mcp lists the first backend's tools" '"name":"test_simple_text"' "$out"
expect "/mcp lists the second backend's tools under its prefix" '"name":"second_test_simple_text"' "$out"

expect "/mcp lists the http backend's tools under its prefix" '"name":"remote_test_simple_text"' "$out"
out=$(mcp '{"jsonrpc":"2.0","id":30,"method":"tools/call","params":{"name":"remote_test_simple_text","arguments":{}}}')
expect "/mcp routes a call to the http backend" "simple text response" "$out"
out=$(mcp '{"jsonrpc":"2.0","id":31,"method":"prompts/get","params":{"name":"remote_test_simple_prompt"}}')
expect "/mcp routes prompts/get to the http backend" '"messages"' "$out"
out=$(mcp '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"second_test_simple_text","arguments":{}}}')
expect "/mcp routes a prefixed tool to its backend" "simple text response" "$out"
out=$(mcp '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"test_tool_with_progress","arguments":{},"_meta":{"progressToken":"p"}}}')
expect "progress travels back from the server as a D-Bus signal" '"method":"notifications/progress"' "$out"
out=$(mcp '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"nope","arguments":{}}}')
expect "an unknown tool on /mcp is a clear error" "Unknown tool: nope" "$out"
out=$(mcp '{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"test_simple_text","arguments":[]}}')
expect "arguments of the wrong type are refused" "must be an object" "$out"
# A 1 MB URI that a backend's template matches is refused at the gateway: no backend keeps it.
printf '{"jsonrpc":"2.0","id":7,"method":"resources/subscribe","params":{"uri":"test://template/%s/data"}}' \
        "$(head -c 1048576 /dev/zero | tr '\0' a)" >"$runtime/long-uri.json"
out=$(curl -s --max-time 20 "$base/mcp" "${accept[@]}" -H "Mcp-Session-Id: $session" -H 'MCP-Protocol-Version: 2025-11-25' \
        --data-binary @"$runtime/long-uri.json")
expect "a 1 MB resource URI on /mcp is refused, not forwarded" "longer than 8192 bytes" "$out"
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/mcp" "${accept[@]}" -H "Mcp-Session-Id: $session" -d '{"jsonrpc":' || true)
[[ $code == 400 ]] && pass "malformed JSON is 400" || fail "malformed JSON is 400" "got $code"
code=$(head -c 5000000 /dev/zero | tr '\0' ' ' | curl -s -o /dev/null -w '%{http_code}' "$base/mcp" "${accept[@]}" --data-binary @-)
[[ $code == 413 ]] && pass "an oversized body is 413" || fail "an oversized body is 413" "got $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/servers/nope/mcp" "${accept[@]}" -d "$init" || true)
[[ $code == 404 ]] && pass "an unknown backend is 404" || fail "an unknown backend is 404" "got $code"

out=$(mcp '{"jsonrpc":"2.0","id":20,"method":"resources/list"}')
expect "/mcp lists the backends' resources" '"uri":"test://static-text"' "$out"
out=$(mcp '{"jsonrpc":"2.0","id":21,"method":"resources/read","params":{"uri":"test://static-text"}}')
expect "/mcp routes resources/read by URI" "This is the content of the static text resource." "$out"
out=$(mcp '{"jsonrpc":"2.0","id":22,"method":"resources/templates/list"}')
expect "/mcp lists resource templates" '"uriTemplate":"test://template/{id}/data"' "$out"
out=$(mcp '{"jsonrpc":"2.0","id":23,"method":"resources/read","params":{"uri":"test://template/42/data"}}')
expect "/mcp routes a templated URI to the backend with the template" '42' "$out"
out=$(mcp '{"jsonrpc":"2.0","id":24,"method":"resources/read","params":{"uri":"test://nowhere"}}')
expect "an unknown resource on /mcp is resource-not-found" "Resource not found: test://nowhere" "$out"
out=$(mcp '{"jsonrpc":"2.0","id":25,"method":"prompts/list"}')
expect "/mcp lists the first backend's prompts" '"name":"test_simple_prompt"' "$out"
expect "/mcp lists the second backend's prompts under its prefix" '"name":"second_test_simple_prompt"' "$out"
out=$(mcp '{"jsonrpc":"2.0","id":26,"method":"prompts/get","params":{"name":"second_test_prompt_with_arguments","arguments":{"arg1":"a","arg2":"b"}}}')
expect "/mcp routes prompts/get by name, prefix taken off" '"messages"' "$out"
out=$(mcp '{"jsonrpc":"2.0","id":27,"method":"prompts/get","params":{"name":"nope"}}')
expect "an unknown prompt on /mcp is a clear error" "Unknown prompt: nope" "$out"
out=$(mcp '{"jsonrpc":"2.0","id":28,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"second_test_prompt_with_arguments"},"argument":{"name":"arg1","value":"p"}}}')
expect "/mcp routes completion by prompt name" '"completion"' "$out"
init_result=$(curl -s "$base/mcp" "${accept[@]}" -d "$init")
expect "/mcp advertises resources and prompts" '"resources":{"subscribe":true' "$init_result"

out=$(curl -s "$base/readyz")
expect "/readyz is ready with both backends up" '"status":"ready"' "$out"
out=$(curl -s "$base/healthz")
expect "/healthz answers" "ok" "$out"

# A call in flight when its server dies gets a clear error; calls to the other backend go on.
curl -s -N --max-time 20 "$base/mcp" "${accept[@]}" -H "Mcp-Session-Id: $session" -H 'MCP-Protocol-Version: 2025-11-25' \
        -d '{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"test_elicitation","arguments":{"message":"Who?"}}}' \
        >"$runtime/inflight.out" &
inflight=$!
for ((i = 0; i < 100; i++)); do
        grep -q 'elicitation/create' "$runtime/inflight.out" 2>/dev/null && break
        sleep 0.1
done
expect "the server's question reaches the client through the gateway" "elicitation/create" "$(cat "$runtime/inflight.out")"
kill -KILL "$first"
wait "$first" 2>/dev/null || true
wait "$inflight" || true
expect "the call whose server died gets a clear error" "stopped before it answered" "$(cat "$runtime/inflight.out")"
out=$(mcp '{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"second_test_simple_text","arguments":{}}}')
expect "calls to the other backend go on" "simple text response" "$out"
for ((i = 0; i < 50; i++)); do # once the bus said that nothing will start it again
        out=$(mcp '{"jsonrpc":"2.0","id":12,"method":"tools/list"}')
        [[ $out != *'"name":"test_simple_text"'* ]] && break
        sleep 0.1
done
reject "the dead backend's tools leave /mcp" '"name":"test_simple_text"' "$out"
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz" || true)
[[ $code == 503 ]] && pass "/readyz is 503 while a backend is down" || fail "/readyz is 503 while a backend is down" "got $code"

stack_start_first
for ((i = 0; i < 50; i++)); do
        out=$(mcp '{"jsonrpc":"2.0","id":13,"method":"tools/call","params":{"name":"test_simple_text","arguments":{}}}')
        [[ $out == *"simple text response"* ]] && break
        sleep 0.1
done
expect "the backend comes back by itself once its server is running again" "simple text response" "$out"

out=$(curl -s "$base/metrics")
expect "/metrics counts calls per tool" 'aios_gateway_requests_total{method="tools/call",tool="second_test_simple_text",backend="second",outcome="ok"}' "$out"
expect "/metrics counts the failed call" 'outcome="unavailable"' "$out"
expect "/metrics shows backends up" 'aios_gateway_backend_up{backend="conformance"} 1' "$out"

code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$base/mcp" -H "Mcp-Session-Id: $session" || true)
[[ $code == 200 ]] && pass "DELETE ends the /mcp session" || fail "DELETE ends the /mcp session" "got $code"

# --- a stopped backend is reported down at once, and up again when it goes on ------------------------------
kill -STOP "$second"
for ((i = 0; i < 50; i++)); do
        out=$(curl -s "$base/readyz")
        [[ $out == *'"second":"down"'* ]] && break
        sleep 0.1
done
expect "/readyz reports a stopped (SIGSTOP) backend down within 5 s" '"second":"down"' "$out"
kill -CONT "$second"
for ((i = 0; i < 50; i++)); do
        out=$(curl -s "$base/readyz")
        [[ $out == *'"status":"ready"'* ]] && break
        sleep 0.1
done
expect "and ready again once it goes on (SIGCONT)" '"status":"ready"' "$out"

# --- seccomp: the allow-lists are in force, and stop what they do not list ------------------------------
for pid in "$gateway" "$first" "$second" "$remote"; do
        out=$(grep '^Seccomp:' "/proc/$pid/status")
        expect "process $pid runs under a seccomp filter" "2" "$out"
done

# A copy of the allow-lists where getrandom (which opening a session needs) is refused, then kill-listed.
lists=$runtime/seccomp
seccomp_server() { # seccomp_server NAME: a server on HTTP only, with the lists in $lists
        AIOS_SECCOMP_DIR=$lists "$AIOS_CONFORMANCED" --no-bus --listen="127.0.0.1:$1" >>"$runtime/seccomp-$2.log" 2>&1 &
        seccomp_pid=$!
        for ((i = 0; i < 100; i++)); do
                (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
                sleep 0.1
        done
        return 1
}
mkdir -p "$lists"
cp "${AIOS_SECCOMP_DIR:-$top/seccomp}"/*.syscalls "$lists/"
sed -i '/^getrandom\b/d' "$lists"/*.syscalls
seccomp_server $port2 eperm
code=$(curl -s -o "$runtime/seccomp.out" -w '%{http_code}' "http://127.0.0.1:$port2/mcp" "${accept[@]}" -d "$init" || true)
expect "a syscall missing from the allow-list fails with EPERM: no session, a clear 500" "500 {\"jsonrpc\"" "$code $(cat "$runtime/seccomp.out")"
expect "the error names the refusal" "could not open a session: Operation not permitted" "$(cat "$runtime/seccomp.out")"
kill -0 "$seccomp_pid" 2>/dev/null && pass "the server goes on after the refused syscall" || fail "the server goes on after the refused syscall"
kill -TERM "$seccomp_pid"; wait "$seccomp_pid" || true

echo '!getrandom' >>"$lists/base.syscalls"
seccomp_server $port3 kill
curl -s -o /dev/null "http://127.0.0.1:$port3/mcp" "${accept[@]}" -d "$init" || true
status=0
wait "$seccomp_pid" || status=$?
[[ $status == $((128 + 31)) ]] && pass "a kill-listed syscall kills the server with SIGSYS" ||
        fail "a kill-listed syscall kills the server with SIGSYS" "exit status $status"

# --- transports at start: no bus, no socket; socket activation and idle exit ----------------------------
out=$(DBUS_SYSTEM_BUS_ADDRESS=unix:path=$runtime/no-such-bus timeout 5 "$AIOS_CONFORMANCED" 2>&1 || true)
expect "a server with neither a bus nor a socket refuses to start, saying why" "there is no way to reach this server" "$out"
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$runtime/no-such-bus "$AIOS_CONFORMANCED" --listen=127.0.0.1:$port4 \
        >"$runtime/nobus.log" 2>&1 &
nobus=$!
for ((i = 0; i < 50; i++)); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port4") 2>/dev/null && break
        sleep 0.1
done
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port4/mcp" "${accept[@]}" -d "$init" || true)
[[ $code == 200 ]] && pass "a server without a bus keeps serving HTTP" || fail "a server without a bus keeps serving HTTP" "got $code"
expect "and says so in its log" "serving HTTP only" "$(cat "$runtime/nobus.log")"
kill -TERM "$nobus"; wait "$nobus" || true

if command -v systemd-socket-activate >/dev/null; then
        # systemd-socket-activate passes on only the environment it is told to.
        systemd-socket-activate -l 127.0.0.1:$port5 ${AIOS_SECCOMP_DIR:+-E AIOS_SECCOMP_DIR} \
                "$AIOS_CONFORMANCED" --no-bus --exit-idle-time=1 \
                >"$runtime/activated.log" 2>&1 &
        activated=$!
        sleep 0.3
        out=$(curl -s -D - -o /dev/null "http://127.0.0.1:$port5/mcp" "${accept[@]}" -d "$init" || true)
        expect "a socket-activated server answers" "200" "$out"
        # The session keeps it busy until it is deleted; so delete it, then wait.
        sid=$(tr -d '\r' <<<"$out" | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
        curl -s -o /dev/null -X DELETE "http://127.0.0.1:$port5/mcp" -H "Mcp-Session-Id: $sid" || true
        for ((i = 0; i < 80; i++)); do
                kill -0 "$activated" 2>/dev/null || break
                sleep 0.1
        done
        status=0
        kill -0 "$activated" 2>/dev/null && status=running || wait "$activated" || status=$?
        [[ $status == 0 ]] && pass "an activated server exits by itself (status 0) once idle" ||
                fail "an activated server exits by itself (status 0) once idle" "status $status"
        expect "and logs why" "exiting" "$(cat "$runtime/activated.log")"
fi

# --- a gateway that would be reachable from elsewhere without authentication refuses to start ---------
out=$("$gatewayd" --config-dir="$config" --listen=0.0.0.0:$port1 2>&1 || true)
expect "binding a non-loopback address without authentication is refused" "Refusing to serve on 0.0.0.0" "$out"

kill -TERM "$gateway"
status=0
wait "$gateway" || status=$?
[[ $status == 0 ]] && pass "the gateway exits 0 on SIGTERM" || fail "the gateway exits 0 on SIGTERM" "status $status"

# --- a second gateway (org.aios.Gateway1 now, so that servers may ask it questions): a short CallTimeoutSec,
# and a backend that D-Bus activation starts -------------------------------------------------------------
source "$top/tests/gateway/stack-activation.sh"
kill -TERM "$first" "$second" "$remote"

echo "stack-check: $checks checks, $failures failed"
if [[ $failures -gt 0 ]]; then
        for log in gateway first second remote; do
                echo "--- $log.log"
                tail -n 30 "$runtime/$log.log"
        done
        exit 1
fi
