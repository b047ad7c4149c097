#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Measures what a workspace file costs another server against the same bytes inline in the request: the p50
# time of voice_transcribe of a spoken passage (WAV) and of comm_send_email with a 2 MiB attachment, each
# inline (base64 in the JSON request) and as {workspace, path} (aios-ided opens the file for the principal
# after polkit's check and passes its descriptor over the bus), through the gateway's /mcp on the development
# stack, with the request's size. Each server runs as its own user; comm_send_email's figure is its
# acceptance (the message stored in the outbox, fsync'd), not delivery.
# usage: workspace-files.sh [BUILD_DIR]   (as root; default build dir: build)
#
# Environment: BENCH_ROUNDS (20): calls per row. Figures, not a test.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=${1:-${AIOS_BUILD_DIR:-$top/build}}
rounds=${BENCH_ROUNDS:-20}
for b in ide/aios-ided voice/aios-voiced comm/aios-commd gateway/aios-gatewayd aiosctl/aiosctl; do
        [[ -x $build/src/$b ]] || { echo "workspace-files.sh: build aios first (meson compile -C $build)" >&2; exit 2; }
done
[[ $(id -u) -eq 0 ]] || { echo "workspace-files.sh: run as root (the development stack's bus and polkitd)" >&2; exit 2; }
if [[ -z ${AIOS_DEV_SERVICES_RUNTIME:-} ]]; then
        AIOS_BUILD_DIR=$build exec "$top/tools/dev-services.sh" -- "$0" "$build"
fi
# shellcheck source=tests/gateway/stack-lib.sh
source "$top/tests/gateway/stack-lib.sh"
export AIOS_SECCOMP_DIR=${AIOS_SECCOMP_DIR:-$top/seccomp}

work=$runtime/bench
ws=$work/site
mkdir -p "$ws" "$work/comm-state" "$work/gateway/backends.d" "$work/gateway-state"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true' EXIT
as() { as=(setpriv --reuid="$1" --regid="$(id -g "$1")" --clear-groups --); }

printf '[Workspace]\nName=site\nPath=%s\n' "$ws" >"$work/ide.conf"
as aios-ide
AIOS_IDE_CONFIG=$work/ide.conf AIOS_FRONT_END_USERS="aios-gateway aios-voice aios-comm" "${as[@]}" \
        "$build/src/ide/aios-ided" >>"$work/ided.log" 2>&1 &
pids+=($!)
as aios-voice
"${as[@]}" "$build/src/voice/aios-voiced" >>"$work/voiced.log" 2>&1 &
pids+=($!)
# Messages are accepted and kept: the SMTP server's port is closed and the first retry is an hour away.
chown aios-comm:aios-comm "$work/comm-state"
printf '[SMTP]\nURL=smtp://127.0.0.1:%s\nStartTLS=no\nFrom=bench@example.net\nMaxAttachmentsSize=8M\n\n[Recipients]\nAllow=alice@example.com\n\n[Outbox]\nRetryMinSec=1h\nRetryMaxSec=1h\nMaxMessages=100000\n' \
        "$(stack_free_port)" >"$work/comm.conf"
as aios-comm
AIOS_COMM_CONFIG=$work/comm.conf STATE_DIRECTORY=$work/comm-state "${as[@]}" "$build/src/comm/aios-commd" \
        >>"$work/commd.log" 2>&1 &
pids+=($!)
for name in org.aios.IDE1 org.aios.Voice1 org.aios.Communication1; do stack_wait_for_name "$name"; done

for b in voice:Voice1 comm:Communication1 ide:IDE1; do
        printf '[Backend]\nType=dbus\nBusName=org.aios.%s\n' "${b#*:}" >"$work/gateway/backends.d/${b%%:*}.conf"
done
printf '[Gateway]\nMaxBodySize=16M\n\n[Authentication]\nAPIKeyFile=%s/api-keys\n' "$work/gateway-state" \
        >"$work/gateway/gateway.conf"
chown aios-gateway:aios-gateway "$work/gateway-state"
as aios-gateway
key=$("${as[@]}" "$build/src/aiosctl/aiosctl" --store="$work/gateway-state/api-keys" key create bench \
        --scope tools:voice --scope tools:comm --scope tools:ide 2>/dev/null)
port=$(stack_free_port)
"${as[@]}" "$build/src/gateway/aios-gatewayd" --config-dir="$work/gateway" --listen="127.0.0.1:$port" \
        >>"$work/gateway.log" 2>&1 &
pids+=($!)
base=http://127.0.0.1:$port
for ((i = 0; i < 300; i++)); do
        curl -s "$base/readyz" | grep -q '"ready"' && break
        sleep 0.1
done

meta='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"bench","version":"1"}}'
body() { # body TOOL ARGUMENTS_FILE > request
        printf '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"%s","arguments":' "$1"
        cat "$2"
        printf ',%s}}' "$meta"
}
post() { # post TOOL REQUEST_FILE: prints the answer
        curl -sS -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
                -H "Authorization: Bearer $key" -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' \
                -H "Mcp-Name: $1" "$base/mcp" --data-binary "@$2"
}

# The inputs: a spoken passage saved into the workspace, and 2 MiB of random bytes.
printf '{"text":"%s"}' "The quick brown fox jumps over the lazy dog. Open the door and close the window. Turn on the lights in the kitchen, then play some music." >"$work/speak.json"
body voice_speak "$work/speak.json" >"$work/speak.req"
post voice_speak "$work/speak.req" | jq -r '.result.content[] | select(.type == "audio") | .data' >"$work/speech.b64"
base64 -d <"$work/speech.b64" >"$ws/speech.wav"
head -c $((2 * 1024 * 1024)) /dev/urandom >"$ws/data.bin"
base64 -w0 <"$ws/data.bin" >"$work/data.b64"
chown -R aios-ide:aios-ide "$ws"

{ printf '{"audio":{"data":"'; tr -d '\n' <"$work/speech.b64"; printf '","mimeType":"audio/wav"},"keywords":["open","close","the door","the window"]}'; } >"$work/transcribe-inline.json"
printf '{"file":{"workspace":"site","path":"speech.wav"},"keywords":["open","close","the door","the window"]}' >"$work/transcribe-file.json"
{ printf '{"to":["alice@example.com"],"subject":"bench","text":"t","attachments":[{"filename":"data.bin","data":"'; cat "$work/data.b64"; printf '"}]}'; } >"$work/email-inline.json"
printf '{"to":["alice@example.com"],"subject":"bench","text":"t","attachments":[{"workspace":"site","path":"data.bin"}]}' >"$work/email-file.json"

echo "workspace files against inline bytes, through the gateway, $rounds calls per row, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "audio: $(stat -c %s "$ws/speech.wav") bytes of WAV; attachment: $(stat -c %s "$ws/data.bin") bytes"
printf '%-22s %14s %10s %10s\n' row "request bytes" "p50 ms" "p90 ms"
for row in transcribe-inline transcribe-file email-inline email-file; do
        tool=voice_transcribe
        [[ $row == email-* ]] && tool=comm_send_email
        req=$work/$row.req
        body "$tool" "$work/$row.json" >"$req"
        out=$(post "$tool" "$req")
        if [[ $out != *'"isError":false'* && $out == *'"isError":true'* ]] || [[ $out != *'"result"'* ]]; then
                echo "workspace-files.sh: $row failed: ${out:0:300}" >&2
                exit 1
        fi
        times=()
        for ((i = 0; i < rounds; i++)); do
                t0=${EPOCHREALTIME/./}
                post "$tool" "$req" >/dev/null
                t1=${EPOCHREALTIME/./}
                times+=($((t1 - t0)))
        done
        mapfile -t sorted < <(printf '%s\n' "${times[@]}" | sort -n)
        p50=${sorted[$((rounds / 2))]}
        p90=${sorted[$((rounds * 9 / 10))]}
        printf '%-22s %14s %10.1f %10.1f\n' "$row" "$(stat -c %s "$req")" "$(awk "BEGIN { print $p50 / 1000 }")" \
                "$(awk "BEGIN { print $p90 / 1000 }")"
done
