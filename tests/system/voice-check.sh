#!/usr/bin/env bash
# aios-voiced on an installed, booted Debian 12 (aios installed with `meson install`, started as the README
# says: systemctl enable --now aios-gatewayd.socket), under its unit's hardening: the unit verifies and scores
# 2.0 or lower; through port 9000 with an API key of scope tools:voice, voice_voices, voice_speak and
# voice_transcribe of what it said (with keywords) work, started by D-Bus activation; anonymous and a local
# user without a session are refused; the unit gives it no audio devices, so playing and listening say that
# there are none; the server runs under two seccomp filters and its jobs' children under them too.
# usage: voice-check.sh SOURCE_DIR   (runs as root; exit 77 where systemd-nspawn cannot run)
set -euo pipefail

src=$(cd "${1:?usage: voice-check.sh SOURCE_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
name=voice-check.sh
# shellcheck source=tests/system/lib.sh
. "$here/lib.sh"
command -v jq >/dev/null || system_skip "jq is not installed (it builds the requests and reads the answers)"
system_boot_installed
boot_exec test -f /usr/share/pocketsphinx/model/en-us/en-us.lm.bin ||
        system_skip "the rootfs has no pocketsphinx-en-us (tests/system/rootfs.sh installs it; an old cached rootfs?)"

# --- the unit --------------------------------------------------------------------------------------------

out=$(boot_exec systemd-analyze verify --man=no /usr/lib/systemd/system/aios-voiced.service \
        /usr/lib/systemd/system/aios-voiced.socket 2>&1 || true)
[[ -z $out ]] && pass "systemd-analyze verify reports nothing for aios-voiced's units" ||
        fail "systemd-analyze verify reports nothing for aios-voiced's units" "$out"
score=$(boot_exec systemd-analyze security aios-voiced.service 2>/dev/null |
        sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
echo "# systemd-analyze security aios-voiced.service: $score"
if awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.0) }'; then
        pass "aios-voiced.service scores $score (2.0 or lower)"
else
        fail "aios-voiced.service scores $score (2.0 or lower)" \
                "$(boot_exec systemd-analyze security aios-voiced.service 2>&1 | grep -v '^  ✓' | head -40)"
fi

boot_exec systemctl enable --now aios-gatewayd.socket >/dev/null 2>&1
key=$(boot_exec aiosctl key create voice --scope tools:voice 2>/dev/null || true)
expect "aiosctl key create makes a key with tools:voice" "aios_" "$key"

meta='{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"voice-check","version":"1"}}'
# call KEY TOOL ARGUMENTS: a stateless tools/call through the gateway; prints the JSON-RPC answer (the last
# event of an SSE stream), or curl's failure. The arguments go through a file: audio is larger than a
# command line.
call() {
        local auth=() reply
        [[ -z $1 ]] || auth=(-H "Authorization: Bearer $1")
        jq -cn --arg tool "$2" --argjson meta "$meta" --slurpfile args <(printf '%s' "$3") \
                '{jsonrpc:"2.0",id:1,method:"tools/call",params:{name:$tool,arguments:$args[0],_meta:$meta}}' \
                >"$work/request.json"
        boot_sh 'cat >/tmp/voice-request.json' <"$work/request.json"
        reply=$(boot_exec curl -sS --max-time 120 http://127.0.0.1:9000/mcp -H 'Content-Type: application/json' \
                -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2026-07-28' \
                -H 'Mcp-Method: tools/call' -H "Mcp-Name: $2" "${auth[@]}" -d @/tmp/voice-request.json 2>&1) || {
                echo "curl failed: $reply"
                return 0
        }
        if [[ $reply == *'data: '* ]]; then
                reply=$(sed -n 's/^data: //p' <<<"$reply" | jq -c 'select(.id != null)' 2>/dev/null | tail -n 1)
        fi
        echo "$reply"
}
sc() { # sc ANSWER FILTER: a field of the answer's structuredContent (jq), empty if absent
        jq -r ".result.structuredContent | $2 // empty" <<<"$1" 2>/dev/null || true
}

# --- speaking and transcribing through the gateway -------------------------------------------------------

# The first call starts the gateway, which starts aios-voiced through D-Bus activation.
for ((i = 0; i < 50; i++)); do
        out=$(call "$key" voice_voices '{"language":"en"}')
        [[ -n $(sc "$out" .count) ]] && break
        sleep 0.2
done
[[ $(sc "$out" .recognition.available) == true && $(sc "$out" .count) -ge 2 ]] &&
        pass "voice_voices answers through port 9000 with English voices and the recognizer's model" ||
        fail "voice_voices answers through port 9000 with English voices and the recognizer's model" "$out"
out=$(boot_exec systemctl is-active aios-voiced.service || true)
expect "D-Bus activation started aios-voiced.service" "active" "$out"

out=$(call "$key" voice_speak '{"text":"open the door"}')
audio=$(jq -c '.result.content[0]' <<<"$out" 2>/dev/null || true)
[[ $(jq -r .mimeType <<<"$audio" 2>/dev/null) == audio/wav ]] && pass "voice_speak returns WAV audio content" ||
        fail "voice_speak returns WAV audio content" "${out:0:400}"
out=$(call "$key" voice_transcribe "$(jq -c '{audio: ., keywords: ["open the door", "close the door", "turn on the lights"]}' <<<"$audio")")
expect "voice_transcribe of it with keywords says what was spoken" '"text":"open the door"' "$out"
out=$(call "$key" voice_transcribe "$(jq -c '{audio: .}' <<<"$audio")")
[[ $(sc "$out" .mode) == free ]] && pass "free-form transcription runs under the unit (it loads the language model)" ||
        fail "free-form transcription runs under the unit (it loads the language model)" "${out:0:400}"

out=$(call "" voice_speak '{"text":"hello"}')
expect "anonymous is refused (org.aios.voice.speak: allow_any no)" '"code":-32003' "$out"
out=$(boot_exec runuser -u nobody -- busctl call org.aios.Voice1 /org/aios/MCP1 org.aios.MCP1 CallTool ss \
        voice_listen '{}' 2>&1 || true)
expect "polkit refuses voice_listen to a local user without a session" "Access denied" "$out"

# --- no audio devices under the unit ---------------------------------------------------------------------

out=$(call "$key" voice_speak '{"text":"hello","play":true}')
expect "playing says that there is no audio output (PrivateDevices=yes)" "There is no audio output on this host" "$out"
out=$(call "$key" voice_listen '{"max_seconds":1}')
expect "listening says that there is no audio input" "There is no audio input on this host" "$out"

# --- seccomp ---------------------------------------------------------------------------------------------

pid=$(boot_exec systemctl show -P MainPID aios-voiced.service)
status=$(boot_exec grep '^Seccomp_filters:' "/proc/$pid/status" || true)
if [[ $status =~ ([0-9]+) ]] && ((BASH_REMATCH[1] >= 2)); then
        pass "the running server is under two seccomp filters: the unit's and its own ($status)"
else
        fail "the running server is under two seccomp filters: the unit's and its own" "$status"
fi
out=$(boot_exec journalctl -u aios-voiced.service --no-pager -o cat 2>&1 || true)
reject "no job's child died of a signal (a system call outside the lists)" "died of signal" "$out"
out=$(boot_exec systemctl is-active aios-voiced.service || true)
expect "and the service goes on" "active" "$out"

boot_stop && pass "the container stops cleanly" || fail "the container stops cleanly"

echo "$name: $checks checks, $failures failed"
[[ $failures -eq 0 ]]
