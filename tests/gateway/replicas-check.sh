#!/usr/bin/env bash
# Gateway replicas without affinity on the 2025-11-25 wire: two aios-gatewayd on loopback given the same
# request-state-key credential, in front of the same servers (aios-conformanced on a private bus, and one over
# HTTP), and a client that alternates between them: initialize on A, tools/list and tools/call on B, A again,
# on /mcp and on /servers/NAME/mcp. Then what is refused: a session id from a gateway with another key, one
# shown by another principal, one altered, one expired (a replica with SessionLifetimeSec=3s), one ended with
# DELETE on the replica that ended it. And what does not travel: a 2025-11-25 elicitation's answer sent to the
# other replica is dropped there, and the call finishes when the answer reaches the replica that asked.
# usage: replicas-check.sh   (AIOS_CONFORMANCED, AIOS_GATEWAYD and AIOS_AIOSCTL name the binaries; runs as root)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
if [[ $(id -u) -ne 0 ]]; then
        echo "replicas-check.sh: SKIP: needs root (a private mount namespace, dbus-daemon and polkitd)"
        exit 77
fi
if [[ -z ${AIOS_DEV_SERVICES_RUNTIME:-} ]]; then
        exec "$top/tools/dev-services.sh" -- "$0" "$@"
fi

# shellcheck source=tests/gateway/stack-lib.sh
source "$top/tests/gateway/stack-lib.sh"

pids=()
cleanup() { [[ ${#pids[@]} -eq 0 ]] || kill -TERM "${pids[@]}" 2>/dev/null || true; }
trap cleanup EXIT

# The servers: one on the bus, one over HTTP.
stack_start_first
pids+=("$first")
remote_port=
for ((i = 0; i < 20; i++)); do
        port=$(stack_free_port)
        "${AIOS_CONFORMANCED:?}" --no-bus --listen="127.0.0.1:$port" >>"$runtime/remote.log" 2>&1 &
        pid=$!
        for ((j = 0; j < 50; j++)); do
                if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
                        remote_port=$port
                        break 2
                fi
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
        done
done
[[ -n $remote_port ]] || { echo "replicas-check.sh: the HTTP server did not start" >&2; exit 1; }
pids+=("$pid")

# One configuration for the replicas, API keys for two principals, and two keys to seal with.
config=$runtime/replicas
state=$runtime/replicas-state
mkdir -p "$config/backends.d" "$state" "$runtime/key-shared" "$runtime/key-other"
printf '[Backend]\nType=dbus\nBusName=org.aios.Conformance1\n' >"$config/backends.d/conformance.conf"
printf '[Backend]\nType=http\nURL=http://127.0.0.1:%s/mcp\nPrefix=remote_\n' "$remote_port" \
        >"$config/backends.d/remote.conf"
printf '[Authentication]\nAPIKeyFile=%s/api-keys\n' "$state" >"$config/gateway.conf"
short=$runtime/replicas-short
cp -r "$config" "$short"
printf '[Gateway]\nSessionLifetimeSec=3s\n' >>"$short/gateway.conf"
alice=$("${AIOS_AIOSCTL:?}" --store="$state/api-keys" key create alice --scope 'tools:*' 2>/dev/null)
bob=$("$AIOS_AIOSCTL" --store="$state/api-keys" key create bob --scope 'tools:*' 2>/dev/null)
head -c 32 /dev/urandom >"$runtime/key-shared/request-state-key"
head -c 32 /dev/urandom >"$runtime/key-other/request-state-key"

start_gateway() { # VAR CONFIG_DIR CREDENTIALS_DIR: the replica's URL into VAR
        local port i attempt
        for ((attempt = 0; attempt < 10; attempt++)); do
                port=$(stack_free_port)
                CREDENTIALS_DIRECTORY=$3 "${AIOS_GATEWAYD:?}" --config-dir="$2" --listen="127.0.0.1:$port" \
                        --log-level=debug >>"$runtime/gateway-$1.log" 2>&1 &
                local pid=$!
                for ((i = 0; i < 200; i++)); do
                        if curl -s "http://127.0.0.1:$port/readyz" | grep -q '"ready"'; then
                                pids+=("$pid")
                                printf -v "$1" 'http://127.0.0.1:%s' "$port"
                                return 0
                        fi
                        kill -0 "$pid" 2>/dev/null || continue 2 # it exited (a port taken meanwhile): again
                        sleep 0.05
                done
                break
        done
        echo "replicas-check.sh: gateway $1 did not become ready" >&2
        tail -n 20 "$runtime/gateway-$1.log" >&2
        exit 1
}
start_gateway A "$config" "$runtime/key-shared"
start_gateway B "$config" "$runtime/key-shared"
start_gateway C "$config" "$runtime/key-other"
start_gateway D "$short" "$runtime/key-shared"

expect "replica A says its session ids are sealed with the shared key" "session ids are sealed" \
        "$(cat "$runtime/gateway-A.log")"

# post URL PATH KEY SESSION BODY: sets $status, $body and $sid (the answer's Mcp-Session-Id).
post() {
        local headers=$runtime/headers
        status=$(curl -s -m 30 -D "$headers" -o "$runtime/body" -w '%{http_code}' -X POST "$1$2" \
                -H "Authorization: Bearer $3" ${4:+-H "Mcp-Session-Id: $4"} -H 'MCP-Protocol-Version: 2025-11-25' \
                -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' -d "$5" || true)
        body=$(cat "$runtime/body")
        sid=$(tr -d '\r' <"$headers" | awk -F': ' 'tolower($1) == "mcp-session-id" { print $2 }')
}
initialize() { # URL PATH KEY: a new session, its id in $session
        post "$1" "$2" "$3" "" '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{"elicitation":{}},"clientInfo":{"name":"replicas-check","version":"1"}}}'
        session=$sid
        init_body=$body
        [[ $status == 200 && -n $session ]] || fail "initialize on $1$2" "$status $body"
        post "$1" "$2" "$3" "$session" '{"jsonrpc":"2.0","method":"notifications/initialized"}'
}
call() { # URL PATH KEY SESSION TOOL
        post "$1" "$2" "$3" "$4" "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"$5\",\"arguments\":{}}}"
}
list() { # URL PATH KEY SESSION
        post "$1" "$2" "$3" "$4" '{"jsonrpc":"2.0","id":3,"method":"tools/list"}'
}
text='This is a simple text response for testing.'

# --- alternating replicas ---------------------------------------------------------------------------------

initialize "$A" /mcp "$alice"
first=$session
expect "initialize on A answers, with a session id" "protocolVersion" "$init_body"
if ((${#first} <= 200)) && [[ $first =~ ^[A-Za-z0-9_-]+$ ]]; then
        pass "the sealed session id is a header's worth: ${#first} base64url characters"
else
        fail "the sealed session id is a header's worth" "$first"
fi
list "$B" /mcp "$alice" "$first"
expect "tools/list on B in A's session lists the bus server's tools" '"test_simple_text"' "$body"
expect "... and the HTTP server's" '"remote_test_simple_text"' "$body"
call "$B" /mcp "$alice" "$first" test_simple_text
expect "tools/call on B reaches the server on the bus" "$text" "$status $body"
call "$B" /mcp "$alice" "$first" remote_test_simple_text
expect "tools/call on B reaches the server over HTTP" "$text" "$status $body"
call "$A" /mcp "$alice" "$first" test_simple_text
expect "and A again" "$text" "$status $body"
ok_all=yes
for ((i = 0; i < 10; i++)); do
        replica=$A
        ((i % 2)) && replica=$B
        tool=test_simple_text
        ((i % 3)) && tool=remote_test_simple_text
        call "$replica" /mcp "$alice" "$first" "$tool"
        [[ $status == 200 && $body == *"$text"* ]] || { ok_all="call $i on $replica: $status $body"; break; }
done
if [[ $ok_all == yes ]]; then
        pass "10 more calls alternating between A and B in one session"
else
        fail "10 more calls alternating between A and B in one session" "$ok_all"
fi

initialize "$B" /servers/conformance/mcp "$alice"
relayed=$session
call "$A" /servers/conformance/mcp "$alice" "$relayed" test_simple_text
expect "/servers/conformance/mcp: initialized on B, tools/call on A" "$text" "$status $body"
call "$B" /servers/conformance/mcp "$alice" "$relayed" test_simple_text
expect "... and on B again" "$text" "$status $body"
list "$B" /mcp "$alice" "$relayed"
expect "that session's id is nothing on another endpoint (/mcp): 404" "404" "$status"
initialize "$A" /servers/remote/mcp "$alice"
call "$B" /servers/remote/mcp "$alice" "$session" test_simple_text
expect "/servers/remote/mcp (the HTTP server): initialized on A, tools/call on B" "$text" "$status $body"

# --- refused ----------------------------------------------------------------------------------------------

list "$C" /mcp "$alice" "$first"
expect "a gateway with another key does not know the session: 404" "404" "$status"
expect "... Session not found" "Session not found" "$body"

initialize "$A" /mcp "$alice"
fresh=$session
list "$B" /mcp "$bob" "$fresh"
expect "another principal showing alice's id to a replica that does not hold it: 404" "404" "$status"
list "$A" /mcp "$bob" "$fresh"
expect "... nor to the replica that opened it: 404" "404" "$status"
list "$B" /mcp "$alice" "$fresh"
expect "alice's id still takes her session up on B afterwards" '"test_simple_text"' "$body"

for position in 20 70 $((${#fresh} - 2)); do
        c=${fresh:position:1}
        [[ $c == A ]] && r=B || r=A
        altered=${fresh:0:position}$r${fresh:position+1}
        list "$B" /mcp "$alice" "$altered"
        expect "an id altered at character $position: 404 on B" "404" "$status"
        list "$A" /mcp "$alice" "$altered"
        expect "... and on A" "404" "$status"
done
list "$B" /mcp "$alice" "${fresh:0:100}"
expect "an id cut short: 404" "404" "$status"

initialize "$D" /mcp "$alice"
expiring=$session
deadline=$((SECONDS + 30))
while :; do
        list "$D" /mcp "$alice" "$expiring"
        [[ $status == 404 || $SECONDS -ge $deadline ]] && break
        sleep 0.2
done
expect "a session past SessionLifetimeSec=3s on replica D: 404" "404" "$status"
expect "... Session not found" "Session not found" "$body"

status=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$A/mcp" -H "Authorization: Bearer $alice" \
        -H "Mcp-Session-Id: $fresh" -H 'MCP-Protocol-Version: 2025-11-25')
expect "DELETE on A ends the session" "200" "$status"
list "$A" /mcp "$alice" "$fresh"
expect "... and A does not take its id up again: 404" "404" "$status"
list "$B" /mcp "$alice" "$fresh"
expect "B, which held it already, is not told (it ends there when idle; see REPLICAS)" '"test_simple_text"' "$body"

# --- a 2025-11-25 elicitation: its answer must reach the replica that asked -----------------------------------

initialize "$A" /mcp "$alice"
asking=$session
stream=$runtime/elicitation.sse
curl -s -N -m 60 -X POST "$A/mcp" -H "Authorization: Bearer $alice" -H "Mcp-Session-Id: $asking" \
        -H 'MCP-Protocol-Version: 2025-11-25' -H 'Content-Type: application/json' \
        -H 'Accept: application/json, text/event-stream' \
        -d '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"test_elicitation","arguments":{"message":"Your name?"}}}' \
        >"$stream" 2>&1 &
pids+=("$!")
for ((i = 0; i < 300; i++)); do
        grep -q 'elicitation/create' "$stream" && break
        sleep 0.1
done
question=$(grep '^data: .*elicitation/create' "$stream" | head -n 1 | sed 's/^data: //')
expect "A asks the client on the call's stream" "elicitation/create" "$question"
ask_id=$(python3 -c 'import json, sys; print(json.dumps(json.loads(sys.argv[1])["id"]))' "$question" 2>/dev/null || echo null)
answer="{\"jsonrpc\":\"2.0\",\"id\":$ask_id,\"result\":{\"action\":\"accept\",\"content\":{\"response\":\"Ada\"}}}"

post "$B" /mcp "$alice" "$asking" "$answer"
expect "the answer sent to B is accepted there" "202" "$status"
for ((i = 0; i < 100; i++)); do
        grep -q "Ignoring a response to unknown request $ask_id" "$runtime/gateway-B.log" && break
        sleep 0.1
done
expect "... and dropped: B asked nothing" "Ignoring a response to unknown request" \
        "$(grep 'Ignoring a response' "$runtime/gateway-B.log" || true)"
reject "the call on A has no result yet" "User response" "$(cat "$stream")"
post "$A" /mcp "$alice" "$asking" "$answer"
expect "the answer sent to A, which asked, is accepted" "202" "$status"
for ((i = 0; i < 300; i++)); do
        grep -q 'User response' "$stream" && break
        sleep 0.1
done
finished=$(grep '"id":7' "$stream" || true)
expect "and the call on A finishes with it" 'User response: action=accept' "$finished"
expect "... the answer it was given" 'Ada' "$finished"

echo "1..$checks"
[[ $failures -eq 0 ]]
