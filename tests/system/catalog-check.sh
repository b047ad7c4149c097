#!/usr/bin/env bash
# /mcp on an installed, freshly booted Debian 12 where nothing of aios runs yet (installed as the README says,
# then systemctl enable --now aios-gatewayd.socket): the first tools/list on port 9000 starts the gateway,
# which starts the servers by D-Bus activation for their catalogs and has every backend's tools in that first
# answer; after the servers exited idle, the list is the same; a call starts its server again.
# usage: catalog-check.sh SOURCE_DIR   (runs as root; exit 77 where systemd-nspawn cannot run)
set -euo pipefail

src=$(cd "${1:?usage: catalog-check.sh SOURCE_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
name=catalog-check.sh
# shellcheck source=tests/system/lib.sh
. "$here/lib.sh"
system_boot_installed

# The servers exit after 2 s idle instead of 120, so that the test sees it.
boot_sh 'for s in aios-sysopsd:sbin aios-conformanced:bin; do
        unit=${s%%:*}
        mkdir -p /run/systemd/system/$unit.service.d &&
        printf "[Service]\nExecStart=\nExecStart=/usr/${s##*:}/$unit --exit-idle-time=2\n" \
                >/run/systemd/system/$unit.service.d/50-test.conf
done && systemctl daemon-reload'
boot_exec systemctl enable --now aios-gatewayd.socket >/dev/null 2>&1

active() { boot_exec systemctl is-active "$1" 2>/dev/null || true; }
for unit in aios-gatewayd.service aios-sysopsd.service aios-conformanced.service; do
        out=$(active $unit)
        [[ $out != active ]] && pass "$unit does not run before the first request" ||
                fail "$unit does not run before the first request" "$out"
done

meta='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"catalog-check","version":"1"}}'
key=
mcp() { # mcp METHOD NAME PARAMS: one stateless request on /mcp, with $key if set
        boot_exec curl -s --max-time 60 http://127.0.0.1:9000/mcp -H 'Content-Type: application/json' \
                -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2026-07-28' \
                ${key:+-H "Authorization: Bearer $key"} \
                -H "Mcp-Method: $1" ${2:+-H "Mcp-Name: $2"} \
                -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":{$3$meta}}" || true
}
tools_of() { grep -o '"name":"[a-z_]*"' <<<"$1" | sort | tr '\n' ' '; }

first=$(mcp tools/list "" "")
expect "the first tools/list on /mcp has aios-sysopsd's tools" '"name":"system_info"' "$first"
expect "and aios-conformanced's" '"name":"test_simple_text"' "$first"
out=$(active aios-sysopsd.service)
expect "aios-sysopsd was started for its catalog" "active" "$out"

for ((i = 0; i < 100; i++)); do
        [[ $(active aios-sysopsd.service) != active && $(active aios-conformanced.service) != active ]] && break
        sleep 0.2
done
out="$(active aios-sysopsd.service) $(active aios-conformanced.service)"
[[ " $out " != *" active "* ]] && pass "both servers exit when idle ($out)" || fail "both servers exit when idle" "$out"
again=$(mcp tools/list "" "")
[[ $(tools_of "$again") == "$(tools_of "$first")" && -n $(tools_of "$first") ]] &&
        pass "after their idle exits tools/list on /mcp is the same" ||
        fail "after their idle exits tools/list on /mcp is the same" "first: $(tools_of "$first")
then: $(tools_of "$again")"

# anonymous may list, but polkit lets only a principal whose scopes cover the tool run it.
key=$(boot_exec aiosctl key create catalog --scope tools:conformance 2>/dev/null || true)
out=$(mcp tools/call test_simple_text '"name":"test_simple_text","arguments":{},')
expect "a call to a tool of a stopped server is answered" "simple text response" "$out"
out=$(active aios-conformanced.service)
expect "the call started its server again" "active" "$out"

# The resource monitor: the servers' figures from their units, asked of systemd when /metrics is scraped (at
# most every 5 s). A call before each scrape keeps aios-conformanced from its idle exit meanwhile.
metric() { boot_exec curl -s --max-time 10 http://127.0.0.1:9000/metrics | sed -n "s/^$1{backend=\"$2\"} //p"; }
work() { mcp tools/call test_simple_text '"name":"test_simple_text","arguments":{},' >/dev/null; }
for ((i = 0; i < 100; i++)); do
        work
        active=$(metric aios_backend_active conformance)
        [[ $active == 1 ]] && break
        sleep 0.2
done
expect "/metrics says the server's unit is active" "1" "${active:-}"
out=$(boot_exec curl -s --max-time 10 http://127.0.0.1:9000/metrics || true)
expect "and that its figures come from systemd" 'aios_backend_figures_source{backend="conformance",source="systemd"} 1' "$out"
# Memory, CPU time and tasks come from the unit's cgroup, which has them where the memory, cpu and pids
# controllers are on the unified (v2) hierarchy, as on a Debian 12 host booted with systemd. A container on a
# host with a hybrid layout gets none of them: then the unit says "[not set]" and so does /metrics.
accounting=$(boot_exec systemctl show -P MemoryCurrent aios-conformanced.service 2>/dev/null || true)
if [[ $accounting =~ ^[0-9]+$ ]]; then
        for ((i = 0; i < 100; i++)); do
                work
                mem=$(metric aios_backend_memory_bytes conformance)
                [[ -n $mem ]] && break
                sleep 0.2
        done
        if [[ ${mem:-0} -gt 100000 ]]; then pass "/metrics has the server's memory from its unit ($mem bytes)"; else
                fail "/metrics has the server's memory from its unit" "got '${mem:-}'"; fi
        out=$(boot_exec curl -s --max-time 10 http://127.0.0.1:9000/metrics || true)
        expect "with the unit's tasks" 'aios_backend_tasks{backend="conformance"}' "$out"
        cpu_before=$(metric aios_backend_cpu_seconds_total conformance)
        for ((i = 0; i < 100; i++)); do
                work
                cpu_after=$(metric aios_backend_cpu_seconds_total conformance)
                [[ -n $cpu_after && $cpu_after != "$cpu_before" ]] && break
                sleep 0.2
        done
        expect "a server's CPU time from its unit moves when it works ($cpu_before s, then $cpu_after s)" "yes" \
                "$(awk -v a="${cpu_before:-0}" -v b="${cpu_after:-0}" 'BEGIN { print (b > a) ? "yes" : "no" }')"
else
        echo "# the container's units have no resource accounting (MemoryCurrent=${accounting:-}: no cgroup v2 memory controller here); memory, CPU and tasks not checked"
        out=$(boot_exec curl -s --max-time 10 http://127.0.0.1:9000/metrics || true)
        reject "and /metrics claims no memory figure it does not have" 'aios_backend_memory_bytes{backend="conformance"}' "$out"
fi

echo "$name: $checks checks, $failures failed"
if [[ $failures -gt 0 ]]; then
        boot_exec journalctl -u aios-gatewayd.service --no-pager -n 40 || true
        exit 1
fi
