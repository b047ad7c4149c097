#!/usr/bin/env bash
# The gateway's security chain on an installed, booted Debian 12 (aios installed with `meson install`,
# started as the README says: systemctl enable --now aios-gatewayd.socket): the user nobody, with no
# credentials, can neither control units nor read the journal through port 9000, on either wire, through
# /mcp or /servers/sysops/mcp; an API key with tools:sysops can; a key limited to system_info gets 403
# insufficient_scope for unit control and does not see the unit tools; a local user calling the server on
# the bus cannot claim another principal; every tool call leaves an audit record in the journal.
# usage: security-check.sh SOURCE_DIR   (runs as root; exit 77 where systemd-nspawn cannot run)
set -euo pipefail

src=$(cd "${1:?usage: security-check.sh SOURCE_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
name=security-check.sh
# shellcheck source=tests/system/lib.sh
. "$here/lib.sh"
system_boot_installed

boot_sh 'cat >/run/systemd/system/victim.service <<EOF
[Service]
ExecStart=/bin/sleep infinity
EOF
systemctl daemon-reload && systemctl start victim.service'
boot_exec systemctl enable --now aios-gatewayd.socket >/dev/null 2>&1
state_is() { # DESCRIPTION STATE: victim.service is exactly STATE
        local out
        out=$(boot_exec systemctl is-active victim.service 2>&1 || true)
        if [[ $out == "$2" ]]; then pass "$1"; else fail "$1" "systemctl is-active victim.service: $out (expected $2)"; fi
}

meta='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"security-check","version":"1"}}'
# stateless USER PATH KEY TOOL ARGUMENTS: a stateless tools/call with curl run as USER; prints headers and body.
stateless() {
        local auth=()
        [[ -z $3 ]] || auth=(-H "Authorization: Bearer $3")
        boot_exec runuser -u "$1" -- curl -s -D - --max-time 60 "http://127.0.0.1:9000$2" \
                -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
                -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' -H "Mcp-Name: $4" "${auth[@]}" \
                -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"$4\",\"arguments\":$5,$meta}}" || true
}
# session USER PATH KEY BODY: initialize, then BODY on that session; prints the second answer.
session() {
        local auth=() sid
        [[ -z $3 ]] || auth=(-H "Authorization: Bearer $3")
        sid=$(boot_exec runuser -u "$1" -- curl -s -D - -o /dev/null --max-time 60 "http://127.0.0.1:9000$2" \
                -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' "${auth[@]}" \
                -d '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"security-check","version":"1"}}}' |
                tr -d '\r' | sed -n 's/^mcp-session-id: //Ip')
        boot_exec runuser -u "$1" -- curl -s -D - --max-time 60 "http://127.0.0.1:9000$2" \
                -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' "${auth[@]}" \
                -H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-11-25' -d "$4" || true
}

# --- the scenario of the report: nobody, no credentials ----------------------------------------------

stop='{"unit":"victim.service","action":"stop"}'
for path in /mcp /servers/sysops/mcp; do
        out=$(stateless nobody "$path" "" system_unit_control "$stop")
        expect "nobody without credentials cannot stop a unit through $path (stateless)" '"code":-32003' "$out"
        out=$(session nobody "$path" "" "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"system_unit_control\",\"arguments\":$stop}}")
        expect "nor through $path on a session" '"code":-32003' "$out"
        out=$(stateless nobody "$path" "" system_journal '{}')
        expect "nor read the journal through $path" '"code":-32003' "$out"
done
state_is "the unit still runs" active

# --- API keys --------------------------------------------------------------------------------------------

ops=$(boot_exec aiosctl key create ops --scope tools:sysops 2>/dev/null || true)
reader=$(boot_exec aiosctl key create reader --scope tools:sysops:system_info 2>/dev/null || true)
expect "aiosctl key create makes keys in the gateway's store" "aios_" "$ops"

out=$(stateless nobody /mcp "$reader" system_info '{}')
expect "a key with tools:sysops:system_info runs system_info" '"hostname"' "$out"
out=$(stateless nobody /mcp "$reader" system_unit_control "$stop")
expect "and gets 403 for unit control" "HTTP/1.1 403" "$out"
expect "with insufficient_scope naming the scope it needs" 'scope="tools:sysops:system_unit_control"' "$out"
out=$(boot_exec curl -s --max-time 60 http://127.0.0.1:9000/mcp -H 'Content-Type: application/json' \
        -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2026-07-28' \
        -H 'Mcp-Method: tools/list' -H "Authorization: Bearer $reader" \
        -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{$meta}}" || true)
expect "its tools/list has system_info" '"system_info"' "$out"
reject "and not the unit tools" '"system_unit_control"' "$out"
state_is "the unit still runs" active

out=$(stateless nobody /servers/sysops/mcp "$ops" system_unit_control "$stop")
expect "a key with tools:sysops stops the unit (the shipped rule grants what its scopes cover)" '\"result\":\"done\"' "$out"
state_is "systemd agrees" inactive

out=$(boot_exec journalctl --no-pager -o verbose MESSAGE_ID=e75ce78dabd24f088b8a72cca4803dc4 2>&1 || true)
expect "every tool call has an audit record in the journal" "AIOS_TOOL=system_unit_control" "$out"
expect "with the principal" "AIOS_PRINCIPAL=key:ops" "$out"
expect "and anonymous's refusals too" "AIOS_PRINCIPAL=anonymous" "$out"
out=$(boot_exec systemctl show -P LogRateLimitIntervalUSec aios-gatewayd.service 2>&1 || true)
if [[ $out == 0 ]]; then pass "journald's rate limit never drops an audit record of the gateway"
else fail "journald's rate limit never drops an audit record of the gateway" "LogRateLimitIntervalUSec is $out"; fi
out=$(boot_exec aiosctl --no-pager --json audit --principal key:ops --tool system_unit_control 2>&1 || true)
expect "aiosctl audit reads them from the journal, filtered by principal and tool" '"result":"ok"' "$out"
reject "(only that principal's)" '"principal":"anonymous"' "$out"
out=$(boot_exec aiosctl --no-pager status 2>&1 || true)
expect "aiosctl status, on the gateway's local socket, shows the servers" "sysops" "$out"

# --- the local socket: a local user is itself, and polkit decides for its process -----------------------

boot_exec systemctl start victim.service
local_stop() { # USER
        boot_exec runuser -u "$1" -- curl -s --max-time 60 --unix-socket /run/aios/gateway.sock \
                http://localhost/servers/sysops/mcp -H 'Content-Type: application/json' \
                -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2026-07-28' \
                -H 'Mcp-Method: tools/call' -H 'Mcp-Name: system_unit_control' \
                -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"system_unit_control\",\"arguments\":$stop,$meta}}" || true
}
out=$(boot_exec stat -c '%a %U' /run/aios/gateway.sock 2>&1 || true)
expect "the gateway's socket unit offers /run/aios/gateway.sock to everyone" "666 root" "$out"
out=$(local_stop nobody)
expect "nobody on the local socket cannot stop a unit (polkit decides for nobody's process)" '"code":-32003' "$out"
state_is "the unit still runs" active
out=$(local_stop root)
expect "root on the local socket can (polkit decides for root's process)" '\"result\":\"done\"' "$out"
state_is "systemd agrees" inactive
out=$(boot_exec journalctl --no-pager -o verbose MESSAGE_ID=e75ce78dabd24f088b8a72cca4803dc4 2>&1 || true)
expect "the audit record names the local user" "AIOS_PRINCIPAL=unix-user:nobody" "$out"

# --- on the bus, a caller is who the bus says ------------------------------------------------------------

boot_exec systemctl start victim.service
request="{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"system_unit_control\",\"arguments\":$stop,$meta}}"
out=$(boot_exec runuser -u nobody -- busctl call org.aios.SystemOps1 /org/aios/MCP1 org.aios.MCP1 Call 'sa{sv}' \
        "$request" 3 principal s key:ops scopes s "admin tools:*" backend s sysops 2>&1 || true)
expect "nobody calling the server directly and claiming key:ops with every scope is refused" '\"code\":-32003' "$out"
state_is "the unit still runs" active
out=$(boot_exec journalctl --no-pager -u aios-sysopsd.service 2>&1 || true)
expect "and the server logs who it really is" "acting for unix-user:nobody" "$out"

echo "$name: $checks checks, $failures failed"
[[ $failures -eq 0 ]]
