#!/usr/bin/env bash
# The dashboard's cookie sessions and CSRF defences, with curl against the development stack: the sign-in
# (a bad key refused with its reason, the cookie's flags, no key in it), the session on /mcp with and
# without its CSRF token, forged cross-origin requests, sign-out, a revoked key's session, the admin API
# (keys: list, create, revoke; the audit stream) refused to others, the live audit log from a private
# systemd-journald (the latest records, then new ones, and going on after Last-Event-ID), the security
# headers, and the files (types, ETags, nothing outside the directory).
# usage: web-check.sh   (AIOS_CONFORMANCED, AIOS_GATEWAYD and AIOS_AIOSCTL name the binaries; runs as root)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
if [[ $(id -u) -ne 0 ]]; then
        echo "web-check.sh: SKIP: needs root (a private mount namespace and polkitd)"
        exit 77
fi
if [[ -z ${AIOS_DEV_SERVICES_RUNTIME:-} ]]; then
        exec "$top/tools/dev-services.sh" -- "$0" "$@"
fi
# shellcheck source=tests/web/web-lib.sh
source "$top/tests/web/web-lib.sh"
json() { /usr/bin/python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

journal_why=
web_journald_start 2>"$runtime/journald.why" || journal_why=$(cat "$runtime/journald.why")
web_stack_start
trap web_stop EXIT
jar=$runtime/cookies
origin=(-H "Origin: $base")
accept=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"web-check","version":"1"}}}'
call='{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"test_simple_text","arguments":{}}}'

# --- the files ---------------------------------------------------------------------------------------
headers=$(curl -s -D - -o /dev/null "$base/")
expect "/ is the dashboard's page" "Content-Type: text/html" "$headers"
expect "a strict Content-Security-Policy" "Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self';" "$headers"
expect "no framing" "frame-ancestors 'none'" "$headers"
expect "nosniff" "X-Content-Type-Options: nosniff" "$headers"
expect "no referrer" "Referrer-Policy: no-referrer" "$headers"
expect "revalidated by the browser" "Cache-Control: no-cache" "$headers"
etag=$(echo "$headers" | sed -n 's/^ETag: \(.*\)\r$/\1/p')
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$base/")
expect "an unchanged file is 304" 304 "$code"
expect "a module is JavaScript" "Content-Type: text/javascript" "$(curl -s -D - -o /dev/null "$base/web/app.js")"
expect "the manifest is a manifest" "Content-Type: application/manifest+json" \
        "$(curl -s -D - -o /dev/null "$base/web/manifest.webmanifest")"
expect "the service worker may serve /" "Service-Worker-Allowed: /" "$(curl -s -D - -o /dev/null "$base/web/sw.js")"
for path in /web/../README.md /web/%2e%2e/README.md /web/pages/../../meson.build /web/meson.build /web/.hidden /web/nothing.js; do
        code=$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "$base$path")
        expect "$path is not served" 404 "$code"
done
# A symbolic link in the directory is never followed: a gateway on a copy of web/ with one.
copy=$runtime/web-copy
cp -r "$top/web" "$copy"
ln -s /etc/shadow "$copy/shadow.txt"
port=$(stack_free_port)
"$AIOS_GATEWAYD" --config-dir="$runtime/gateway" --listen="127.0.0.1:$port" --web-dir="$copy" >>"$runtime/copy-gateway.log" 2>&1 &
copy_gateway=$!
for ((i = 0; i < 100; i++)); do
        curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break
        sleep 0.1
done
expect "a symbolic link in the directory is not served" 404 \
        "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/web/shadow.txt")"
kill "$copy_gateway"

# --- signing in ---------------------------------------------------------------------------------------
bad="aios_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
out=$(curl -s -w '\n%{http_code}' -X POST "$base/api/v1/session" -H "Authorization: Bearer $bad" -c "$jar")
expect "a bad key is refused with 401" $'\n401' "$out"
expect "and says why" '"error":"' "$out"
reject "and gets no cookie" aios_session "$(cat "$jar" 2>/dev/null || true)"
out=$(curl -s -w '\n%{http_code}' -X POST "$base/api/v1/session")
expect "a sign-in without a key is a bad request" $'\n400' "$out"
out=$(curl -s -w '\n%{http_code}' -X POST "$base/api/v1/session" -H "Authorization: Bearer $user_key" -H "Origin: http://evil.example")
expect "a sign-in from another origin is refused" $'\n403' "$out"

headers=$(curl -s -D - -o "$runtime/session.json" -X POST "$base/api/v1/session" -H "Authorization: Bearer $user_key" "${origin[@]}" -c "$jar")
cookie=$(echo "$headers" | grep -i '^Set-Cookie:' | tr -d '\r')
expect "the cookie is HttpOnly" "; HttpOnly" "$cookie"
expect "the cookie is SameSite=Strict" "; SameSite=Strict" "$cookie"
expect "the cookie is for the whole site" "; Path=/" "$cookie"
reject "the cookie is not Secure on plain HTTP" "Secure" "$cookie"
reject "the cookie does not hold the key" "${user_key#aios_}" "$cookie"
reject "nor its id" "$(echo "$user_key" | cut -d_ -f2)" "$cookie"
token=${cookie#*aios_session=}
token=${token%%;*}
if [[ ${#token} -eq 43 ]]; then pass "the session token is 256 random bits"; else fail "the session token is 256 random bits" "$token"; fi
expect "the sign-in says who" '"principal":"key:web-user"' "$(cat "$runtime/session.json")"
csrf=$(json 'd["csrf"]' <"$runtime/session.json")
expect "GET /api/v1/session says who, with the cookie" '"principal":"key:web-user"' "$(curl -s -b "$jar" "$base/api/v1/session")"

admin_jar_early=$runtime/admin-early-cookies
curl -s -o /dev/null -X POST "$base/api/v1/session" -H "Authorization: Bearer $admin_key" -c "$admin_jar_early"

# Behind TLS (the credentials tls-cert and tls-key: a certificate made here for 127.0.0.1) the cookie is Secure.
tls=$runtime/tls
mkdir -p "$tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
        -addext subjectAltName=IP:127.0.0.1 -keyout "$tls/tls-key" -out "$tls/tls-cert" 2>/dev/null
port=$(stack_free_port)
CREDENTIALS_DIRECTORY=$tls "$AIOS_GATEWAYD" --config-dir="$runtime/gateway" --listen="127.0.0.1:$port" >>"$runtime/tls-gateway.log" 2>&1 &
tls_gateway=$!
for ((i = 0; i < 100; i++)); do
        curl -s -o /dev/null --cacert "$tls/tls-cert" "https://127.0.0.1:$port/healthz" && break
        sleep 0.1
done
cookie=$(curl -s -D - -o /dev/null --cacert "$tls/tls-cert" -X POST "https://127.0.0.1:$port/api/v1/session" \
        -H "Authorization: Bearer $user_key" | grep -i '^Set-Cookie:' | tr -d '\r')
expect "over HTTPS the cookie is Secure" "; HttpOnly; SameSite=Strict; Secure" "$cookie"
kill "$tls_gateway"

# --- the cookie on /mcp -------------------------------------------------------------------------------
out=$(curl -s -w '\n%{http_code}' -b "$jar" "${accept[@]}" -d "$init" "$base/mcp")
expect "the cookie without the CSRF header is refused" $'\n403' "$out"
expect "saying what is missing" "X-AIOS-CSRF" "$out"
out=$(curl -s -w '\n%{http_code}' -b "$jar" "${accept[@]}" -H "X-AIOS-CSRF: $csrf-wrong" -d "$init" "$base/mcp")
expect "a wrong CSRF token is refused" $'\n403' "$out"
out=$(curl -s -w '\n%{http_code}' -b "$jar" "${accept[@]}" -H "X-AIOS-CSRF: $csrf" -H "Origin: http://evil.example" -d "$init" "$base/mcp")
expect "a forged cross-origin POST is refused" $'\n403' "$out"
out=$(curl -s -w '\n%{http_code}' -b "$jar" "${accept[@]}" -H "X-AIOS-CSRF: $csrf" -H "Sec-Fetch-Site: cross-site" -d "$init" "$base/mcp")
expect "a cross-site fetch is refused" $'\n403' "$out"
headers=$(curl -s -D - -o "$runtime/init.json" -b "$jar" "${accept[@]}" -H "X-AIOS-CSRF: $csrf" "${origin[@]}" -d "$init" "$base/mcp")
expect "the cookie and the CSRF token open an MCP session" '"protocolVersion"' "$(cat "$runtime/init.json")"
session=$(echo "$headers" | sed -n 's/^Mcp-Session-Id: \(.*\)\r$/\1/Ip')
mcp=(-b "$jar" "${accept[@]}" -H "X-AIOS-CSRF: $csrf" "${origin[@]}" -H "Mcp-Session-Id: $session" -H 'MCP-Protocol-Version: 2025-11-25')
curl -s -o /dev/null "${mcp[@]}" -d '{"jsonrpc":"2.0","method":"notifications/initialized"}' "$base/mcp"
expect "a tool call with the cookie runs as the key's principal" "This is a simple text response" \
        "$(curl -s "${mcp[@]}" -d "$call" "$base/mcp")"
out=$(curl -s -w '\n%{http_code}' -b "$jar" "${accept[@]}" -H "X-AIOS-CSRF: $csrf" -H "Authorization: Bearer $bad" -d "$init" "$base/mcp")
expect "an Authorization header is judged alone, cookie or not" $'\n401' "$out"

# --- the live audit log -----------------------------------------------------------------------------------
if [[ -z $journal_why ]]; then
        stream=$(curl -s -N --max-time 3 -H "Authorization: Bearer $admin_key" "$base/api/v1/audit" || true)
        expect "the audit stream has the call made with the cookie" '"principal":"key:web-user","tool":"test_simple_text"' "$stream"
        expect "as a server-sent event" "event: audit" "$stream"
        last=$(echo "$stream" | sed -n 's/^id: //p' | tail -n 1)
        if [[ $last == s=* ]]; then pass "whose id is the journal cursor"; else fail "whose id is the journal cursor" "$last"; fi
        curl -s -o /dev/null "${mcp[@]}" -d '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"test_image_content","arguments":{}}}' "$base/mcp"
        stream=$(curl -s -N --max-time 3 -H "Authorization: Bearer $admin_key" -H "Last-Event-ID: $last" "$base/api/v1/audit" || true)
        expect "a client coming back with Last-Event-ID gets what came since" '"tool":"test_image_content"' "$stream"
        reject "and nothing it had" '"tool":"test_simple_text"' "$stream"
        # Followed live: the stream is open before the call is made.
        curl -s -N --max-time 4 -b "$admin_jar_early" "$base/api/v1/audit" >"$runtime/live.sse" 2>/dev/null &
        live=$!
        for ((i = 0; i < 50; i++)); do
                grep -q "^retry:" "$runtime/live.sse" 2>/dev/null && break
                sleep 0.1
        done
        curl -s -o /dev/null "${mcp[@]}" -d '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"test_audio_content","arguments":{}}}' "$base/mcp"
        wait "$live" || true
        expect "a call made while the stream is open comes on it, followed with the admin's cookie" '"tool":"test_audio_content"' "$(cat "$runtime/live.sse")"
else
        for what in "the audit stream has the call made with the cookie" "a client coming back with Last-Event-ID gets what came since" \
                "a call made while the stream is open comes on it"; do
                checks=$((checks + 1))
                echo "ok $checks - $what # SKIP no journal here: $journal_why"
        done
fi

# --- the admin API --------------------------------------------------------------------------------------
out=$(curl -s -w '\n%{http_code}' -b "$jar" "$base/api/v1/keys")
expect "keys are refused to a principal without admin" $'\n403' "$out"
out=$(curl -s -w '\n%{http_code}' -b "$jar" "$base/api/v1/audit")
expect "the audit log is refused to a principal without admin" $'\n403' "$out"
out=$(curl -s -w '\n%{http_code}' -H "Authorization: Bearer $admin_key" "$base/api/v1/keys")
expect "an admin key lists the keys" '"name":"web-spare"' "$out"
reject "without their secrets" "${spare_key##*_}" "$out"
admin_jar=$runtime/admin-cookies
curl -s -o "$runtime/admin.json" -X POST "$base/api/v1/session" -H "Authorization: Bearer $admin_key" -c "$admin_jar"
admin_csrf=$(json 'd["csrf"]' <"$runtime/admin.json")
out=$(curl -s -w '\n%{http_code}' -b "$admin_jar" -X POST "$base/api/v1/keys?name=made-here&scope=tools:conformance")
expect "creating a key without the CSRF token is refused" $'\n403' "$out"
out=$(curl -s -w '\n%{http_code}' -b "$admin_jar" -X POST -H "X-AIOS-CSRF: $admin_csrf" -H "Origin: http://evil.example" \
        "$base/api/v1/keys?name=made-here&scope=tools:conformance")
expect "a forged cross-origin key creation is refused" $'\n403' "$out"
out=$(curl -s -w '\n%{http_code}' -b "$admin_jar" -X POST -H "X-AIOS-CSRF: $admin_csrf" "${origin[@]}" \
        "$base/api/v1/keys?name=made-here&scope=tools:conformance&expires_in=3600")
expect "an admin session creates a key" $'\n201' "$out"
made=$(echo "$out" | head -n 1 | json 'd["key"]')
made_id=$(echo "$out" | head -n 1 | json 'd["id"]')
expect "the new key works" '"principal":"key:made-here"' \
        "$(curl -s -X POST "$base/api/v1/session" -H "Authorization: Bearer $made")"
expect "aiosctl sees it" made-here "$("$AIOS_AIOSCTL" --store="$runtime/api-keys" key list --no-legend)"
out=$(curl -s -w '\n%{http_code}' -b "$admin_jar" -X POST -H "X-AIOS-CSRF: $admin_csrf" "$base/api/v1/keys?name=bad%20name&scope=tools:*")
expect "an invalid name is refused with the rule" $'\n400' "$out"
out=$(curl -s -w '\n%{http_code}' -b "$admin_jar" -X DELETE -H "X-AIOS-CSRF: $admin_csrf" "${origin[@]}" "$base/api/v1/keys/$made_id")
expect "an admin session revokes a key" $'\n204' "$out"
out=$(curl -s -w '\n%{http_code}' -b "$admin_jar" -X DELETE -H "X-AIOS-CSRF: $admin_csrf" "$base/api/v1/keys/$made_id")
expect "revoking it again is 404" $'\n404' "$out"

# --- a revoked key's session ------------------------------------------------------------------------------
spare_jar=$runtime/spare-cookies
curl -s -o "$runtime/spare.json" -X POST "$base/api/v1/session" -H "Authorization: Bearer $spare_key" -c "$spare_jar"
spare_csrf=$(json 'd["csrf"]' <"$runtime/spare.json")
expect "the spare key's session works" '"protocolVersion"' \
        "$(curl -s -b "$spare_jar" "${accept[@]}" -H "X-AIOS-CSRF: $spare_csrf" -d "$init" "$base/mcp")"
spare_id=$(echo "$spare_key" | cut -d_ -f2)
"$AIOS_AIOSCTL" --store="$runtime/api-keys" key revoke "$spare_id" >/dev/null 2>&1
out=$(curl -s -w '\n%{http_code}' -b "$spare_jar" "${accept[@]}" -H "X-AIOS-CSRF: $spare_csrf" -d "$init" "$base/mcp")
expect "once its key is revoked, the session is refused on /mcp" $'\n401' "$out"
expect "saying that the key is no longer accepted" "no longer accepted" "$out"
out=$(curl -s -w '\n%{http_code}' -b "$spare_jar" "$base/api/v1/session")
expect "and the session is gone" $'\n401' "$out"

# --- signing out ------------------------------------------------------------------------------------------
out=$(curl -s -w '\n%{http_code}' -b "$jar" -X DELETE "$base/api/v1/session")
expect "a sign-out without the CSRF token is refused" $'\n403' "$out"
headers=$(curl -s -D - -o /dev/null -b "$jar" -c "$jar" -X DELETE -H "X-AIOS-CSRF: $csrf" "${origin[@]}" "$base/api/v1/session")
expect "sign-out answers 204" "204" "$(echo "$headers" | head -n 1)"
expect "and clears the cookie" "aios_session=; Path=/; Max-Age=0" "$headers"
out=$(curl -s -w '\n%{http_code}' -b "aios_session=$token" "${accept[@]}" -H "X-AIOS-CSRF: $csrf" -d "$init" "$base/mcp")
expect "the old token is refused after sign-out" $'\n401' "$out"
expect "saying the session ended" "session has ended" "$out"

echo "1..$checks"
[[ $failures -eq 0 ]]
