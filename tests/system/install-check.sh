#!/usr/bin/env bash
# aios installed with `meson install` into a Debian 12 rootfs and booted with systemd-nspawn --boot: the
# units verify and score well, sockets and the bus start what is stopped, idle servers exit, polkit and
# the sandbox hold in the running services.
# usage: install-check.sh SOURCE_DIR   (runs as root; exit 77 where systemd-nspawn cannot run)
set -euo pipefail

src=$(cd "${1:?usage: install-check.sh SOURCE_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
name=install-check.sh
# shellcheck source=tests/system/lib.sh
. "$here/lib.sh"
system_boot_installed

units=(aios-gatewayd.service aios-gatewayd.socket aios-conformanced.service aios-conformanced.socket
        aios-sysopsd.service aios-sysopsd.socket aios-actionsd.service aios-actionsd.socket aios-ided.service aios-ided.socket aios-pythond.service
        aios-pythond.socket aios-voiced.service aios-voiced.socket aios.target)
out=$(boot_exec systemd-analyze verify --man=no "${units[@]/#//usr/lib/systemd/system/}" 2>&1 || true)
[[ -z $out ]] && pass "systemd-analyze verify reports nothing for the units" ||
        fail "systemd-analyze verify reports nothing for the units" "$out"

for unit in aios-conformanced.service aios-gatewayd.service aios-sysopsd.service aios-actionsd.service \
        aios-pythond.service aios-ided.service aios-voiced.service systemd-hostnamed.service \
        systemd-localed.service; do
        score=$(boot_exec systemd-analyze security "$unit" 2>/dev/null | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
        echo "# systemd-analyze security $unit: $score"
        if [[ $unit == aios-* ]]; then
                if awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.0) }'; then
                        pass "$unit scores $score (2.0 or lower)"
                else
                        fail "$unit scores $score (2.0 or lower)"
                fi
        fi
done

# Socket activation: nothing runs, a request to port 9000 starts the gateway, which answers.
boot_exec systemctl start aios-gatewayd.socket aios-conformanced.socket
out=$(boot_exec systemctl is-active aios-gatewayd.service || true)
expect "the gateway is not running before the first request" "inactive" "$out"
out=$(boot_exec curl -s --max-time 20 http://127.0.0.1:9000/healthz || true)
expect "a request to port 9000 starts the gateway, which answers" "ok" "$out"
out=$(boot_exec systemctl is-active aios-gatewayd.service || true)
expect "the gateway runs now" "active" "$out"

# D-Bus activation: a call to a stopped server starts it.
boot_exec systemctl stop aios-conformanced.service || true
out=$(boot_exec busctl call org.aios.Conformance1 /org/aios/MCP1 org.aios.MCP1 ListTools 2>&1 || true)
expect "a busctl call to a stopped server starts it through D-Bus activation" "test_simple_text" "$out"
out=$(boot_exec systemctl is-active aios-conformanced.service || true)
expect "the server runs now" "active" "$out"

# The gateway in front of the server, as its own user: anonymous gets what polkit allows any user (here
# nothing), an API key what its scopes and the shipped rule grant.
init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"install-check","version":"1"}}}'
call='{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"test_simple_text","arguments":{},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"install-check","version":"1"}}}}'
for ((i = 0; i < 50; i++)); do
        out=$(boot_exec curl -s --max-time 20 http://127.0.0.1:9000/mcp -H 'Content-Type: application/json' \
                -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2026-07-28' \
                -H 'Mcp-Method: tools/call' -H 'Mcp-Name: test_simple_text' -d "$call" || true)
        [[ $out == *'"code":-32003'* || $out == *"simple text response"* ]] && break
        sleep 0.2
done
expect "an anonymous tools/call through the gateway on port 9000 reaches the server, and polkit refuses it" \
        '"code":-32003' "$out"
key=$(boot_exec aiosctl key create install-check --scope tools:conformance 2>/dev/null || true)
expect "aiosctl key create, as root, makes a key in the gateway's store" "aios_" "$key"
out=$(boot_exec curl -s --max-time 20 http://127.0.0.1:9000/mcp -H 'Content-Type: application/json' \
        -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2026-07-28' \
        -H 'Mcp-Method: tools/call' -H 'Mcp-Name: test_simple_text' -H "Authorization: Bearer $key" -d "$call" || true)
expect "with a key of scope tools:conformance the call runs" "simple text response" "$out"

# polkit for real: an unprivileged user is refused, and so is the gateway's user acting for nobody: the
# rules grant it only what an authenticated principal's scopes cover.
out=$(boot_exec runuser -u nobody -- busctl call org.aios.Conformance1 /org/aios/MCP1 org.aios.MCP1 CallTool ss \
        test_simple_text '{}' 2>&1 || true)
expect "polkit refuses an unprivileged user" "Access denied" "$out"
out=$(boot_exec runuser -u aios-gateway -- busctl call org.aios.Conformance1 /org/aios/MCP1 org.aios.MCP1 CallTool ss \
        test_simple_text '{}' 2>&1 || true)
expect "the gateway's user acting for nobody in particular is refused too" "Access denied" "$out"

# Secrets through credentials: the requestState key from /etc/credstore.
boot_sh 'mkdir -p /etc/credstore && head -c 32 /dev/urandom >/etc/credstore/request-state-key &&
        chmod 0400 /etc/credstore/request-state-key && systemctl restart aios-conformanced.service'
out=$(boot_exec journalctl -u aios-conformanced.service --no-pager -n 20 2>&1 || true)
expect "the server seals requestState with the key from its credential" "sealed with the key from" "$out"

# Idle exit: an activated server with nothing to do goes away.
boot_sh 'mkdir -p /run/systemd/system/aios-conformanced.service.d &&
        printf "[Service]\nExecStart=\nExecStart=/usr/bin/aios-conformanced --exit-idle-time=2\n" \
                >/run/systemd/system/aios-conformanced.service.d/50-test.conf &&
        systemctl daemon-reload && systemctl restart aios-conformanced.service'
for ((i = 0; i < 60; i++)); do
        out=$(boot_exec systemctl is-active aios-conformanced.service || true)
        [[ $out == inactive ]] && break
        sleep 0.2
done
expect "an idle activated server exits by itself" "inactive" "$out"
out=$(boot_exec systemctl show -P Result aios-conformanced.service || true)
expect "cleanly" "success" "$out"

# The sandbox in a running service: the unit's SystemCallFilter= and the server's own allow-list, stacked.
boot_sh 'rm -f /run/systemd/system/aios-conformanced.service.d/50-test.conf && systemctl daemon-reload &&
        systemctl start aios-conformanced.service'
pid=$(boot_exec systemctl show -P MainPID aios-conformanced.service)
status=$(boot_exec grep '^Seccomp_filters:' "/proc/$pid/status" || true)
if [[ $status =~ ([0-9]+) ]] && ((BASH_REMATCH[1] >= 2)); then
        pass "the running server is under two seccomp filters: the unit's and its own ($status)"
else
        fail "the running server is under two seccomp filters: the unit's and its own" "$status"
fi

# Its own allow-list without getrandom (opening a session needs it, starting does not).
boot_sh 'mkdir -p /run/aios-test-seccomp /run/systemd/system/aios-conformanced.service.d &&
        cp /usr/share/aios/seccomp/*.syscalls /run/aios-test-seccomp/ &&
        sed -i "/^getrandom\b/d" /run/aios-test-seccomp/*.syscalls &&
        printf "[Service]\nEnvironment=AIOS_SECCOMP_DIR=/run/aios-test-seccomp\n" \
                >/run/systemd/system/aios-conformanced.service.d/50-test.conf &&
        systemctl daemon-reload && systemctl restart aios-conformanced.service'
out=$(boot_exec curl -s --max-time 20 http://127.0.0.1:8099/mcp -H 'Content-Type: application/json' \
        -H 'Accept: application/json, text/event-stream' -d "$init" || true)
expect "a syscall missing from the allow-list fails in the running service" \
        "could not open a session: Operation not permitted" "$out"
out=$(boot_exec systemctl is-active aios-conformanced.service || true)
expect "and the service goes on" "active" "$out"

# The unit's filter: accept4 forbidden, so the running service cannot take the connection.
boot_sh 'printf "[Service]\nSystemCallFilter=~accept4\n" >/run/systemd/system/aios-conformanced.service.d/50-test.conf &&
        systemctl daemon-reload && systemctl restart aios-conformanced.service'
out=$(boot_exec curl -s --max-time 3 -o /dev/null -w '%{http_code}' http://127.0.0.1:8099/mcp \
        -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' -d "$init" || true)
expect "a syscall the unit's SystemCallFilter= forbids fails in the running service (no connection accepted)" "000" "$out"
out=$(boot_exec systemctl is-active aios-conformanced.service || true)
expect "and the service is still running" "active" "$out"

boot_stop && pass "the container stops cleanly" || fail "the container stops cleanly"
left=$(pgrep -f "systemd-nspawn.*$BOOT_NAME" || true)
[[ -z $left ]] && pass "nothing is left running on the host" || fail "nothing is left running on the host" "$left"

echo "install-check: $checks checks, $failures failed"
[[ $failures -eq 0 ]]
