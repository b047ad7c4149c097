#!/usr/bin/env bash
# The gateway's security chain, end to end on the development stack: the gateway runs as its own user
# (aios-gateway, a front end), aios-conformanced and aios-sysopsd on a private bus with polkitd and the
# project's rules. Anonymous callers get only what polkit allows any user; API keys get what their scopes
# and the rules grant; a local user on the bus cannot claim to be someone else.
# usage: security-check.sh   (AIOS_CONFORMANCED, AIOS_SYSOPSD, AIOS_GATEWAYD and AIOS_AIOSCTL name the
# binaries; runs as root)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
if [[ $(id -u) -ne 0 ]]; then
        echo "security-check.sh: SKIP: needs root (a private mount namespace, polkitd and other users)"
        exit 77
fi
if [[ -z ${AIOS_DEV_SERVICES_RUNTIME:-} ]]; then
        exec "$top/tools/dev-services.sh" -- "$0" "$@"
fi

# shellcheck source=tests/gateway/stack-lib.sh
source "$top/tests/gateway/stack-lib.sh"

getent passwd aios-gateway >/dev/null || { echo "security-check.sh: the stack has no user aios-gateway" >&2; exit 1; }

# The servers, as root (polkitd lets root pass details and check other subjects, as it lets their users).
stack_start_first
"${AIOS_SYSOPSD:?}" >>"$runtime/sysops.log" 2>&1 &
sysops=$!
stack_wait_for_name org.aios.SystemOps1

# The gateway's configuration and key store, readable by its user.
config=$runtime/secure
state=$runtime/secure-state
mkdir -p "$config/backends.d" "$state"
chown aios-gateway:aios-gateway "$state"
chmod 0700 "$state"
printf '[Backend]\nType=dbus\nBusName=org.aios.Conformance1\n' >"$config/backends.d/conformance.conf"
printf '[Backend]\nType=dbus\nBusName=org.aios.SystemOps1\n' >"$config/backends.d/sysops.conf"
printf '[Authentication]\nAPIKeyFile=%s/api-keys\n' "$state" >"$config/gateway.conf"

aiosctl=(as_user aios-gateway "${AIOS_AIOSCTL:?}" --store="$state/api-keys")
key_all=$("${aiosctl[@]}" key create ops --scope tools:conformance --scope tools:sysops 2>/dev/null)
key_one=$("${aiosctl[@]}" key create reader --scope tools:conformance:test_simple_text 2>/dev/null)
key_gone=$("${aiosctl[@]}" key create leaving --scope tools:conformance 2>/dev/null)
expect "aiosctl key create prints the key once" "aios_" "$key_all"

start_gateway() { # CONFIG_DIR: sets $base and $gateway; another port when the one picked is taken meanwhile
        local port i attempt
        for ((attempt = 0; attempt < 10; attempt++)); do
                port=$(stack_free_port)
                stack_ports_given+="$port "
                "${gateway_user[@]}" "${AIOS_GATEWAYD:?}" --config-dir="$1" --listen="127.0.0.1:$port" "${gateway_args[@]}" \
                        >>"$runtime/secure-gateway.log" 2>&1 &
                gateway=$!
                base=${scheme:-http}://127.0.0.1:$port
                for ((i = 0; i < 200; i++)); do
                        curl -s "${curl_tls[@]}" "$base/readyz" | grep -q '"ready"' && return 0
                        kill -0 "$gateway" 2>/dev/null || continue 2 # it exited (a port taken meanwhile): again
                        sleep 0.05
                done
                break # it runs, but is not ready
        done
        echo "security-check: the gateway did not start" >&2
        cat "$runtime/secure-gateway.log" >&2
        return 1
}
curl_tls=()
local_dir=$runtime/local
mkdir -m 0755 "$local_dir"
chown aios-gateway "$local_dir"
gateway_args=(--listen-local="$local_dir/gateway.sock")
start_gateway "$config"
trap 'kill -TERM "$gateway" "$first" "$sysops" 2>/dev/null || true' EXIT

hdr=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
stateless() { # PATH KEY METHOD PARAMS: one stateless request; prints status and body
        local auth=()
        [[ -z $2 ]] || auth=(-H "Authorization: Bearer $2")
        local meta='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"}}'
        local params=${4%\}}
        [[ $params == "{" ]] && params="{$meta}" || params="$params,$meta}"
        local name
        name=$(sed -n 's/^{"name":"\([^"]*\)".*/\1/p' <<<"$4")
        [[ -z $name ]] || auth+=(-H "Mcp-Name: $name")
        curl -s -D - "${curl_tls[@]}" "${hdr[@]}" "${auth[@]}" -H 'MCP-Protocol-Version: 2026-07-28' -H "Mcp-Method: $3" "$base$1" \
                -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$3\",\"params\":$params}" || true
}
session_open() { # PATH KEY: prints the session id
        local auth=()
        [[ -z $2 ]] || auth=(-H "Authorization: Bearer $2")
        curl -s -D - -o /dev/null "${hdr[@]}" "${auth[@]}" "$base$1" \
                -d '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' |
                tr -d '\r' | sed -n 's/^mcp-session-id: //Ip'
}
in_session() { # PATH KEY SESSION BODY
        local auth=()
        [[ -z $2 ]] || auth=(-H "Authorization: Bearer $2")
        curl -s -D - "${hdr[@]}" "${auth[@]}" -H "Mcp-Session-Id: $3" -H 'MCP-Protocol-Version: 2025-11-25' "$base$1" -d "$4" || true
}

# --- anonymous is nobody ---------------------------------------------------------------------------------

for path in /mcp /servers/conformance/mcp; do
        out=$(stateless "$path" "" tools/call '{"name":"test_simple_text","arguments":{}}')
        expect "anonymous on $path (stateless): a tool whose action allows nobody is refused by polkit" '"code":-32003' "$out"
        sid=$(session_open "$path" "")
        out=$(in_session "$path" "" "$sid" '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"test_simple_text","arguments":{}}}')
        expect "anonymous on $path (session): refused the same way" '"code":-32003' "$out"
done
out=$(stateless /servers/sysops/mcp "" tools/call '{"name":"system_unit_control","arguments":{"unit":"dbus.service","action":"restart"}}')
expect "anonymous cannot control units" '"code":-32003' "$out"
out=$(stateless /servers/sysops/mcp "" tools/call '{"name":"system_journal","arguments":{}}')
expect "anonymous cannot read the journal" '"code":-32003' "$out"
expect "the refusal is logged with the principal anonymous" "acting for anonymous" "$(cat "$runtime/first.log")"

# --- API keys ------------------------------------------------------------------------------------------

out=$(stateless /mcp "$key_all" tools/call '{"name":"test_simple_text","arguments":{}}')
expect "a key with tools:conformance runs the tool (the shipped rule grants its scopes)" "simple text response" "$out"

out=$(stateless /mcp "$key_one" tools/call '{"name":"test_simple_text","arguments":{}}')
expect "a key limited to one tool runs that tool" "simple text response" "$out"
out=$(stateless /mcp "$key_one" tools/call '{"name":"test_error_handling","arguments":{}}')
expect "a key limited to one tool gets 403 for another" "HTTP/1.1 403" "$out"
expect "with insufficient_scope and the scope it needs" 'error="insufficient_scope", error_description=' "$out"
expect "naming the scope" 'scope="tools:conformance:test_error_handling"' "$out"
out=$(stateless /servers/conformance/mcp "$key_one" tools/call '{"name":"test_error_handling","arguments":{}}')
expect "the same on /servers/conformance/mcp" "HTTP/1.1 403" "$out"
out=$(stateless /mcp "$key_one" tools/list '{}')
expect "tools/list shows a key the tool it may call" '"test_simple_text"' "$out"
reject "and not the others" '"test_error_handling"' "$out"
reject "nor another backend's" '"system_info"' "$out"
out=$(stateless /servers/conformance/mcp "$key_one" tools/list '{}')
expect "on /servers/conformance/mcp too, tools/list shows the tool the key may call" '"test_simple_text"' "$out"
reject "and not the others" '"test_error_handling"' "$out"
out=$(stateless /servers/conformance/mcp "$key_all" tools/list '{}')
expect "a key with tools:conformance sees them all there" '"test_error_handling"' "$out"

out=$(stateless /mcp "aios_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" tools/list '{}')
expect "an unknown key gets 401" "HTTP/1.1 401" "$out"
expect "with a Bearer challenge naming the resource metadata" 'WWW-Authenticate: Bearer error="invalid_token"' "$out"
expect "and where the metadata is" 'resource_metadata="http://127.0.0.1:' "$out"
out=$(curl -s -D - "${hdr[@]}" -H 'Authorization: Basic dXNlcjpwYXNz' "$base/mcp" -d '{"jsonrpc":"2.0","id":1,"method":"ping"}')
expect "another scheme gets 401" "HTTP/1.1 401" "$out"

gone_id=$("${aiosctl[@]}" key list | awk '$2 == "leaving" { print $1 }')
out=$(stateless /mcp "$key_gone" tools/call '{"name":"test_simple_text","arguments":{}}')
expect "a key works before it is revoked" "simple text response" "$out"
"${aiosctl[@]}" key revoke "$gone_id" 2>/dev/null
out=$(stateless /mcp "$key_gone" tools/call '{"name":"test_simple_text","arguments":{}}')
expect "and is refused on the next request after" "HTTP/1.1 401" "$out"

sid=$(session_open /mcp "$key_all")
out=$(in_session /mcp "$key_one" "$sid" '{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}')
expect "a session belongs to whoever opened it: another key gets 404" "HTTP/1.1 404" "$out"
out=$(in_session /mcp "" "$sid" '{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}')
expect "and so does anonymous" "HTTP/1.1 404" "$out"
out=$(in_session /mcp "$key_all" "$sid" '{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}')
expect "its owner goes on using it" '"test_simple_text"' "$out"

out=$(curl -s "$base/.well-known/oauth-protected-resource/mcp")
expect "RFC 9728 metadata names the resource" '"resource":"http://127.0.0.1:' "$out"
expect "and the bearer method" '"bearer_methods_supported":["header"]' "$out"

# --- the local socket: a client is who the kernel says, and polkit decides for its process ---------------

local_call() { # USER: test_simple_text through the local socket as USER
        as_user "$1" curl -s -D - --unix-socket "$local_dir/gateway.sock" "${hdr[@]}" -H 'MCP-Protocol-Version: 2026-07-28' \
                -H 'Mcp-Method: tools/call' -H 'Mcp-Name: test_simple_text' http://localhost/servers/conformance/mcp \
                -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"test_simple_text","arguments":{},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"}}}}' || true
}
out=$(local_call nobody)
expect "nobody on the local socket is refused: polkit decides for nobody's process, allow_any is no" '"code":-32003' "$out"
expect "the server saw the principal unix-user:nobody" "acting for unix-user:nobody" "$(cat "$runtime/first.log")"
out=$(local_call root)
expect "root on the local socket runs the tool: polkit decides for root's process" "simple text response" "$out"
out=$(as_user nobody curl -s --unix-socket "$local_dir/gateway.sock" "${hdr[@]}" http://localhost/mcp \
        -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/list' \
        -d '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"}}}}' || true)
expect "a local client lists what LocalScopes= lets it see" '"test_simple_text"' "$out"

# --- a caller on the bus is who the bus says it is -----------------------------------------------------

request='{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"test_simple_text","arguments":{},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"}}}}'
out=$(as_user nobody busctl "${bus[@]}" call org.aios.Conformance1 /org/aios/MCP1 org.aios.MCP1 Call 'sa{sv}' "$request" \
        4 principal s key:ops scopes s "admin tools:*" backend s conformance call s forged 2>&1 || true)
expect "nobody claiming another principal with every scope is still refused" '\"code\":-32003' "$out"
expect "and the server logs who it really is" "acting for unix-user:nobody" "$(cat "$runtime/first.log")"
out=$(as_user nobody busctl "${bus[@]}" call org.aios.Conformance1 /org/aios/MCP1 org.aios.MCP1 Call 'sa{sv}' "$request" \
        1 principal s "$(printf 'x\nforged line')" 2>&1 || true)
expect "a principal with a newline is refused before anything logs it" "printable ASCII" "$out"

# --- a server over HTTP, where there is no polkit -------------------------------------------------------

http_port=$(stack_free_port)
"$AIOS_SYSOPSD" --no-bus --listen="127.0.0.1:$http_port" --max-body=60000 --max-body-memory=65536 \
        >>"$runtime/sysops-http.log" 2>&1 &
sysops_http=$!
for ((i = 0; i < 400; i++)); do
        (exec 3<>"/dev/tcp/127.0.0.1/$http_port") 2>/dev/null && break
        kill -0 "$sysops_http" 2>/dev/null || break
        sleep 0.05
done
(exec 3<>"/dev/tcp/127.0.0.1/$http_port") 2>/dev/null || fail "aios-sysopsd serves HTTP on its port" "$(cat "$runtime/sysops-http.log")"
base_saved=$base
base=http://127.0.0.1:$http_port
out=$(stateless /mcp "" tools/list '{}')
expect "over its own HTTP port a server lists the tools that need no polkit" '"system_info"' "$out"
reject "and not those that need it, which could never run there" '"system_unit_control"' "$out"
out=$(stateless /mcp "" tools/call '{"name":"system_unit_control","arguments":{"unit":"dbus.service","action":"restart"}}')
expect "calling one anyway is refused" '"code":-32003' "$out"
out=$(stateless /mcp "" resources/templates/list '{}')
reject "nor the resource templates that need it (a unit's journal)" 'journal://unit/' "$out"
expect "(the answer is a list)" '"resourceTemplates":[' "$out"
# The bodies held at once are bounded: while one client holds 40 KB of an unfinished upload, another's 20 KB
# body would pass the 64 KiB budget and gets 503; once the first is done, it goes through.
exec 5<>"/dev/tcp/127.0.0.1/$http_port"
printf 'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 50000\r\n\r\n' >&5
head -c 40000 /dev/zero | tr '\0' ' ' >&5
big=$(printf '{"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta":{"pad":"%s"}}}' "$(head -c 20000 /dev/zero | tr '\0' x)")
for ((i = 0; i < 50; i++)); do
        out=$(curl -s -D - "${hdr[@]}" "$base/mcp" -d "$big" || true)
        [[ $out == *"HTTP/1.1 503"* ]] && break
        sleep 0.1
done
expect "a body past the server's budget for bodies held at once gets 503" "too many request bodies at once" "$out"
exec 5>&-
for ((i = 0; i < 50; i++)); do
        out=$(curl -s -D - "${hdr[@]}" "$base/mcp" -d "$big" || true)
        [[ $out != *"HTTP/1.1 503"* ]] && break
        sleep 0.1
done
reject "once the other upload is gone, it is taken" "too many request bodies at once" "$out"
base=$base_saved
kill -TERM "$sysops_http"

# --- what one caller on the bus may hold ------------------------------------------------------------------

out=$(as_user nobody "${AIOS_BUS_SESSIONS:?}" org.aios.Conformance1 fill 70)
expect "a caller opening more than 64 sessions loses its least recently used idle one" "s1 gone" "$out"
expect "and keeps its newest" "s70 ok" "$out"
reject "nobody is refused a session for it" "refused" "$out"
out=$(as_user nobody "$AIOS_BUS_SESSIONS" org.aios.Conformance1 oversized)
expect "1 MiB of client_capabilities in a context is refused" "org.freedesktop.DBus.Error.InvalidArgs" "$out"
for i in 1 2 3; do
        as_user nobody "$AIOS_BUS_SESSIONS" org.aios.Conformance1 leave 10 >/dev/null
done
out=$(busctl "${bus[@]}" call org.aios.Conformance1 /org/aios/MCP1 org.aios.MCP1 ListTools 2>&1 || true)
expect "callers that left the bus holding ten sessions each leave the server serving" "test_simple_text" "$out"
if kill -0 "$first" 2>/dev/null; then pass "and running"; else fail "and running" "aios-conformanced is gone"; fi

# --- anonymous switched off ----------------------------------------------------------------------------

# And JWT bearer tokens (HS256, the secret in the credential jwt-secret), made here with openssl.
kill -TERM "$gateway"
wait "$gateway" 2>/dev/null || true
printf '[Gateway]\nMaxRequestsPerPrincipal=4\n\n[Authentication]\nAnonymous=no\nAPIKeyFile=%s/api-keys\nJWTIssuer=https://idp.example\n\n[RateLimit]\nWrite=3/min\n' \
        "$state" >"$config/gateway.conf"
creds=$runtime/secure-credentials
mkdir -p "$creds"
secret=$(head -c 48 /dev/urandom | base64 -w0 | tr -d '/+=' | head -c 48)
printf '%s' "$secret" >"$creds/jwt-secret"
chown -R aios-gateway "$creds"
chmod -R go-rwx "$creds"
export CREDENTIALS_DIRECTORY=$creds
start_gateway "$config"
unset CREDENTIALS_DIRECTORY
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
jwt() { # PAYLOAD: an HS256 token
        local h p
        h=$(printf '{"alg":"HS256","typ":"JWT"}' | b64url)
        p=$(printf '%s' "$1" | b64url)
        printf '%s.%s.%s' "$h" "$p" "$(printf '%s.%s' "$h" "$p" | openssl dgst -sha256 -mac HMAC -macopt key:"$secret" -binary | b64url)"
}
now=$(date +%s)
aud="${base}/mcp"
good=$(jwt "{\"sub\":\"alice\",\"iss\":\"https://idp.example\",\"aud\":\"$aud\",\"exp\":$((now + 600)),\"scope\":\"tools:conformance\"}")
out=$(stateless /mcp "$good" tools/call '{"name":"test_simple_text","arguments":{}}')
expect "a JWT for this gateway with tools:conformance runs the tool" "simple text response" "$out"
narrow=$(jwt "{\"sub\":\"alice\",\"iss\":\"https://idp.example\",\"aud\":\"$aud\",\"exp\":$((now + 600)),\"scp\":[\"tools:conformance:test_simple_text\"]}")
out=$(stateless /mcp "$narrow" tools/call '{"name":"test_error_handling","arguments":{}}')
expect "scopes come from scp too, and the principal is jwt:SUB" "jwt:alice may not use test_error_handling" "$out"
other=$(jwt "{\"sub\":\"alice\",\"iss\":\"https://idp.example\",\"aud\":\"https://elsewhere.example/mcp\",\"exp\":$((now + 600)),\"scope\":\"tools:conformance\"}")
out=$(stateless /mcp "$other" tools/list '{}')
expect "a JWT issued for another resource is refused (RFC 8707)" "HTTP/1.1 401" "$out"
expired=$(jwt "{\"sub\":\"alice\",\"iss\":\"https://idp.example\",\"aud\":\"$aud\",\"exp\":$((now - 3600)),\"scope\":\"tools:conformance\"}")
out=$(stateless /mcp "$expired" tools/list '{}')
expect "an expired JWT is refused" "HTTP/1.1 401" "$out"
none=$(printf '%s.%s.' "$(printf '{"alg":"none"}' | b64url)" "$(printf '{"sub":"alice","aud":"%s","exp":%d,"scope":"admin"}' "$aud" $((now + 600)) | b64url)")
out=$(stateless /mcp "$none" tools/list '{}')
expect "alg none is refused" "HTTP/1.1 401" "$out"
out=$(stateless /mcp "" tools/list '{}')
expect "with Anonymous=no a request without credentials gets 401" "HTTP/1.1 401" "$out"
expect "and a challenge without an error code" 'WWW-Authenticate: Bearer resource_metadata=' "$out"
out=$(stateless /mcp "$key_all" tools/list '{}')
expect "a key still works" '"test_simple_text"' "$out"

# SIGHUP (systemctl reload) reads the keys again and never stops the gateway.
kill -HUP "$gateway"
out=$(stateless /mcp "$good" tools/call '{"name":"test_simple_text","arguments":{}}')
expect "after SIGHUP the gateway still serves, and the JWT still verifies" "simple text response" "$out"
if kill -0 "$gateway" 2>/dev/null; then pass "SIGHUP did not stop it"; else fail "SIGHUP did not stop it" "the gateway exited"; fi

# Rate limits: this gateway lets a principal make 3 calls a minute of tools that write (test_error_handling
# has no annotations); the JWT calls above were alice's, so key:ops starts with a full bucket.
for i in 1 2 3; do
        out=$(stateless /mcp "$key_all" tools/call '{"name":"test_error_handling","arguments":{}}')
done
expect "calls within the bucket go through" '"isError":true' "$out"
out=$(stateless /mcp "$key_all" tools/call '{"name":"test_error_handling","arguments":{}}')
expect "a call beyond the bucket gets 429" "HTTP/1.1 429" "$out"
expect "with Retry-After" "Retry-After: " "$out"
expect "and a JSON-RPC error that says which limit" '"code":-32029' "$out"
out=$(stateless /mcp "$key_one" tools/call '{"name":"test_simple_text","arguments":{}}')
expect "another principal's bucket is its own" "simple text response" "$out"

# One principal's open requests are bounded (MaxRequestsPerPrincipal=4 here): with four listen streams of
# key:ops open, its fifth request gets 429, while another principal is served.
listen_body='{"jsonrpc":"2.0","id":1,"method":"subscriptions/listen","params":{"notifications":{"toolsListChanged":true},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"}}}}'
streams=()
for i in 1 2 3 4; do
        curl -s -N --max-time 30 "${curl_tls[@]}" "${hdr[@]}" -H "Authorization: Bearer $key_all" \
                -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: subscriptions/listen' \
                "$base/servers/conformance/mcp" -d "$listen_body" >/dev/null 2>&1 &
        streams+=($!)
done
for ((i = 0; i < 100; i++)); do
        out=$(stateless /mcp "$key_all" tools/list '{}')
        [[ $out == *"HTTP/1.1 429"* ]] && break
        sleep 0.1
done
expect "a principal past its open requests gets 429" "HTTP/1.1 429" "$out"
expect "saying why" "Too many requests open: key:ops" "$out"
out=$(stateless /mcp "$key_one" tools/list '{}')
expect "while another principal is served" '"test_simple_text"' "$out"
kill "${streams[@]}" 2>/dev/null || true
wait "${streams[@]}" 2>/dev/null || true
# (the gateway notices a gone stream client at the next keepalive it writes, within 15 s)
for ((i = 0; i < 250; i++)); do
        out=$(stateless /mcp "$key_all" tools/list '{}')
        [[ $out != *"HTTP/1.1 429"* ]] && break
        sleep 0.1
done
expect "and once its streams are closed, it is served again" '"test_simple_text"' "$out"

# --- a remote backend gets the gateway's own credential, never the client's ----------------------------------

# A second gateway in front of this one (which wants credentials): its backend "remote" reaches this one's
# conformance endpoint with the key of "reader" from the credential remote-token; "bare" has no credential.
back_base=$base back_gateway=$gateway
front=$runtime/front
mkdir -p "$front/backends.d" "$front/credentials"
printf '[Backend]\nType=http\nURL=%s/servers/conformance/mcp\nBearerTokenCredential=remote-token\nAggregate=no\n' \
        "$back_base" >"$front/backends.d/remote.conf"
printf '[Backend]\nType=http\nURL=%s/servers/conformance/mcp\nAggregate=no\n' "$back_base" >"$front/backends.d/bare.conf"
printf '[Authentication]\nAPIKeyFile=%s/api-keys\n' "$state" >"$front/gateway.conf"
printf '%s\n' "$key_one" >"$front/credentials/remote-token"
chown -R aios-gateway "$front/credentials"
chmod -R go-rwx "$front/credentials"
gateway_args_saved=("${gateway_args[@]}")
gateway_args=()
export CREDENTIALS_DIRECTORY=$front/credentials
start_gateway "$front"
unset CREDENTIALS_DIRECTORY
front_gateway=$gateway
out=$(stateless /servers/remote/mcp "" tools/call '{"name":"test_simple_text","arguments":{}}')
expect "a Type=http backend with BearerTokenCredential= is called with the gateway's own key" "simple text response" "$out"
# key_front may use "remote" here; were it passed on, the back gateway would find it grants nothing there.
key_front=$("${aiosctl[@]}" key create front --scope tools:remote 2>/dev/null)
out=$(stateless /servers/remote/mcp "$key_front" tools/list '{}')
expect "a client's own token is not passed on: the remote sees the gateway's key (reader)" '"test_simple_text"' "$out"
reject "and lists only what reader may call" '"test_error_handling"' "$out"
out=$(stateless /servers/bare/mcp "" tools/call '{"name":"test_simple_text","arguments":{}}')
reject "without a credential the remote refuses the gateway" "simple text response" "$out"
kill -TERM "$front_gateway"
wait "$front_gateway" 2>/dev/null || true
rm "$front/backends.d/bare.conf" "$front/credentials/remote-token"
export CREDENTIALS_DIRECTORY=$front/credentials
out=$(as_user aios-gateway "$AIOS_GATEWAYD" --config-dir="$front" --listen=127.0.0.1:$(stack_free_port) 2>&1 || true)
unset CREDENTIALS_DIRECTORY
expect "a missing credential stops the gateway with a sentence saying so" "there is no such credential" "$out"
base=$back_base gateway=$back_gateway
gateway_args=("${gateway_args_saved[@]}")

out=$(as_user aios-gateway "$AIOS_GATEWAYD" --config-dir="$config" --listen=0.0.0.0:$(stack_free_port) 2>&1 || true)
expect "a non-loopback address without TLS is refused before it is bound, saying why" "in plain text" "$out"

# HTTPS with the credentials tls-cert and tls-key (a certificate made here for 127.0.0.1).
kill -TERM "$gateway"
wait "$gateway" 2>/dev/null || true
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
        -addext subjectAltName=IP:127.0.0.1 -keyout "$creds/tls-key" -out "$creds/tls-cert" 2>/dev/null
chown aios-gateway "$creds/tls-key" "$creds/tls-cert"
chmod 0400 "$creds/tls-key"
cp "$creds/tls-cert" "$runtime/ca.pem"
export CREDENTIALS_DIRECTORY=$creds
scheme=https curl_tls=(--cacert "$runtime/ca.pem")
start_gateway "$config"
unset CREDENTIALS_DIRECTORY
out=$(stateless /mcp "$key_all" tools/call '{"name":"test_simple_text","arguments":{}}')
expect "with tls-cert and tls-key the gateway serves HTTPS, verified against its certificate" "simple text response" "$out"
out=$(curl -s "${curl_tls[@]}" "$base/.well-known/oauth-protected-resource")
expect "and names its resource https://" '"resource":"https://127.0.0.1:' "$out"
out=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://${base#https://}/healthz" 2>&1 || true)
reject "plain HTTP gets no answer there" "200" "$out"

echo "security-check: $checks checks, $failures failed"
[[ $failures -eq 0 ]]
