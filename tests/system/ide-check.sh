#!/usr/bin/env bash
# aios-ided on an installed, booted Debian 12 (aios installed with `meson install`, the gateway's socket enabled
# as the README says): its units verify and score 2.0 or lower; a workspace in /srv that a polkit rule of the
# administrator's makes read-only for one principal: that principal reads and is refused writes, another writes,
# and the file on disk says so; aios-voiced transcribing a file of it for a principal that may read it, not for
# one that may not (org.aios.IDE1 between the two units); its own HTTP port offers none of its tools.
# usage: ide-check.sh SOURCE_DIR   (runs as root; exit 77 where systemd-nspawn cannot run)
set -euo pipefail

src=$(cd "${1:?usage: ide-check.sh SOURCE_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
name=ide-check.sh
# shellcheck source=tests/system/lib.sh
. "$here/lib.sh"
command -v jq >/dev/null || system_skip "jq is not installed (it builds the requests and reads the answers)"
system_boot_installed

# --- the unit --------------------------------------------------------------------------------------------

out=$(boot_exec systemd-analyze verify --man=no /usr/lib/systemd/system/aios-ided.service \
        /usr/lib/systemd/system/aios-ided.socket 2>&1 || true)
[[ -z $out ]] && pass "systemd-analyze verify reports nothing for aios-ided's units" ||
        fail "systemd-analyze verify reports nothing for aios-ided's units" "$out"
score=$(boot_exec systemd-analyze security aios-ided.service 2>/dev/null |
        sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
echo "# systemd-analyze security aios-ided.service: $score"
if awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.0) }'; then
        pass "aios-ided.service scores $score (2.0 or lower)"
else
        fail "aios-ided.service scores $score (2.0 or lower)" \
                "$(boot_exec systemd-analyze security aios-ided.service 2>&1 | grep -v '^  ✓' | head -40)"
fi

# --- a workspace, and a rule that makes it read-only for one principal -------------------------------------

boot_sh 'mkdir -p /srv/demo /etc/aios/ide.conf.d &&
        printf "hello\n" >/srv/demo/README &&
        chown -R aios-ide:aios-ide /srv/demo &&
        printf "[Workspace]\nName=demo\nPath=/srv/demo\n" >/etc/aios/ide.conf.d/demo.conf &&
        cat >/etc/polkit-1/rules.d/40-ide-demo.rules <<RULES
polkit.addRule(function(action, subject) {
        if (action.id == "org.aios.ide.write" && action.lookup("principal") == "key:ide-reader" &&
            action.lookup("workspace") == "demo")
                return polkit.Result.NO;
});
RULES'
boot_exec systemctl enable --now aios-gatewayd.socket >/dev/null 2>&1
reader=$(boot_exec aiosctl key create ide-reader --scope tools:ide 2>/dev/null || true)
writer=$(boot_exec aiosctl key create ide-writer --scope tools:ide 2>/dev/null || true)
expect "aiosctl key create makes two keys with tools:ide" "aios_" "$reader $writer"

meta='{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"ide-check","version":"1"}}'
call() { # call KEY TOOL ARGUMENTS [URL]: a stateless tools/call through the gateway; prints the answer
        local body
        body=$(jq -cn --arg tool "$2" --argjson args "$3" --argjson meta "$meta" \
                '{jsonrpc:"2.0",id:1,method:"tools/call",params:{name:$tool,arguments:$args,_meta:$meta}}')
        boot_exec curl -sS --max-time 90 "${4:-http://127.0.0.1:9000/mcp}" -H 'Content-Type: application/json' \
                -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2026-07-28' \
                -H 'Mcp-Method: tools/call' -H "Mcp-Name: $2" -H "Authorization: Bearer $1" -d "$body" 2>&1 || true
}

# The first call starts the gateway, which starts aios-ided through D-Bus activation.
for ((i = 0; i < 50; i++)); do
        out=$(call "$reader" ide_read_file '{"workspace":"demo","path":"README"}')
        [[ $out == *hello* ]] && break
        sleep 0.2
done
expect "the read-only principal reads the workspace (openat2 under the real unit)" "hello" "$out"
out=$(call "$reader" ide_write_file '{"workspace":"demo","path":"notes.txt","content":"from the reader"}')
expect "and polkit refuses it a write there" "-32003" "$out"
out=$(boot_exec cat /srv/demo/notes.txt 2>&1 || true)
reject "(nothing was written)" "from the reader" "$out"
out=$(call "$writer" ide_write_file '{"workspace":"demo","path":"notes.txt","content":"from the writer"}')
reject "another principal may write" '"isError":true' "$out"
out=$(boot_exec cat /srv/demo/notes.txt 2>&1 || true)
expect "and the file on disk has its text" "from the writer" "$out"
out=$(call "$writer" ide_read_file '{"workspace":"demo","path":"../../etc/shadow"}')
reject "a path that leaves the workspace reads nothing" "root:" "$out"

# --- another server's use of the workspace ------------------------------------------------------------------
# aios-voiced transcribes a file of the workspace for the caller's principal: aios-ided (its unit's
# AIOS_FRONT_END_USERS names aios-voice; the bus policy lets the servers call org.aios.IDE1) asks polkit about
# that principal and passes the open file to aios-voiced over the bus, under both units' sandboxes and filters.
out=$(boot_exec systemctl show -p Environment aios-ided.service 2>&1 || true)
expect "aios-ided's unit lets the other servers name the principal they act for" "aios-voice aios-comm aios-actions" "$out"
both=$(boot_exec aiosctl key create ws-both --scope tools:ide --scope tools:voice 2>/dev/null || true)
voice_only=$(boot_exec aiosctl key create ws-voice --scope tools:voice 2>/dev/null || true)
out=$(call "$both" voice_speak '{"text":"open the door"}')
jq -r '.result.content[] | select(.type == "audio") | .data' <<<"$out" 2>/dev/null |
        boot_sh 'base64 -d >/srv/demo/speech.wav && chown aios-ide:aios-ide /srv/demo/speech.wav' || true
transcribe='{"file":{"workspace":"demo","path":"speech.wav"},"keywords":["open","close","the door","the window"]}'
out=$(call "$both" voice_transcribe "$transcribe")
expect "voice_transcribe reads a workspace file for a principal that may read the workspace" "open the door" "$out"
out=$(call "$voice_only" voice_transcribe "$transcribe")
expect "and not for one whose scopes do not reach aios-ided" \
        "polkit does not allow this principal to read speech.wav in workspace demo" "$out"
out=$(boot_exec setpriv --reuid=nobody --regid=nogroup --clear-groups busctl call org.aios.IDE1 /org/aios/IDE1 \
        org.aios.IDE1 OpenFile 'a{sv}sss' 2 subject s :1.1 principal s unix-user:root demo README r 2>&1 || true)
expect "a local user who is no front end cannot open files for others" "Access denied" "$out"
reject "(and gets none)" "hello" "$out"

list='{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"_meta":'"$meta"'}}'
out=$(boot_exec curl -s --max-time 20 http://127.0.0.1:8004/mcp -H 'Content-Type: application/json' \
        -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2026-07-28' \
        -H 'Mcp-Method: tools/list' -d "$list" 2>&1 || true)
expect "its own HTTP port, where polkit cannot be asked about the caller, offers none of its tools" '"tools":[]' "$out"

echo "$name: $checks checks, $failures failed"
if [[ $failures -gt 0 ]]; then
        boot_exec journalctl -u aios-ided.service --no-pager -n 40 || true
        exit 1
fi
