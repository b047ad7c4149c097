#!/usr/bin/env bash
# Workspace files for the other servers, end to end on the development stack (a private system bus, polkitd
# with the project's policy and rules): aios-ided opens a workspace's file for the principal another server
# acts for (org.aios.IDE1) and passes it over the bus. Through the gateway, each server's use of it:
# voice_transcribe of a WAV file of the workspace, comm_send_email with a workspace file attached (its bytes
# in the outbox, then in the mail a real SMTP server receives) and github_download_artifact into the workspace
# (the GitHub fixture's artifact redirect and zip). Each with its refusals: a principal whose scopes do not
# reach aios-ided, paths that leave the workspace, files too large, a workspace that is not configured or
# cannot be opened, a read-only one, a caller that is not one of aios-ided's front ends, and aios-ided gone.
# usage: workspace-check.sh   (AIOS_IDED, AIOS_VOICED, AIOS_COMMD, AIOS_ACTIONSD, AIOS_GATEWAYD and AIOS_AIOSCTL
# name the binaries; runs as root; exit 77 with the reason when a peer cannot run here)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
prog=workspace-check.sh
if [[ $(id -u) -ne 0 ]]; then
        echo "$prog: SKIP: needs root (a private mount namespace, polkitd and the servers' users)"
        exit 77
fi
python=/usr/bin/python3
if ! "$python" -c 'import aiosmtpd' 2>/dev/null; then
        echo "$prog: SKIP: $python cannot import aiosmtpd (apt-get install python3-aiosmtpd, or tools/setup-deps.sh test)"
        exit 77
fi
if [[ ! -d /usr/share/pocketsphinx/model/en-us/en-us ]]; then
        echo "$prog: SKIP: the US English speech model is not installed (Debian: pocketsphinx-en-us)"
        exit 77
fi
command -v openssl >/dev/null || { echo "$prog: SKIP: no openssl to make the SMTP peer's certificate"; exit 77; }
if [[ -z ${AIOS_DEV_SERVICES_RUNTIME:-} ]]; then
        exec "$top/tools/dev-services.sh" -- "$0" "$@"
fi

# shellcheck source=tests/gateway/stack-lib.sh
source "$top/tests/gateway/stack-lib.sh"

work=$runtime/workspace
mkdir -p "$work"
chmod 0755 "$work"
pids=()
ided_pid=
cleanup() {
        local log
        if ((failures > 0)); then
                for log in "$work"/*.log; do
                        echo "--- $log"
                        tail -n 25 "$log"
                done
        fi
        [[ -z $ided_pid ]] || kill "$ided_pid" 2>/dev/null || true
        for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
        wait 2>/dev/null || true
}
trap cleanup EXIT

# as USER: sets $as to the command that runs a program as USER; in the background "${as[@]}" PROGRAM & makes $!
# the program itself (a function would leave a shell in between).
as() { as=(setpriv --reuid="$1" --regid="$(id -g "$1")" --clear-groups --); }
run_as() { local u=$1; shift; setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups -- "$@"; }

wait_port() { # wait_port PORT PID
        local i
        for ((i = 0; i < 100; i++)); do
                (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
                kill -0 "$2" 2>/dev/null || break
                sleep 0.1
        done
        echo "$prog: nothing listens on port $1" >&2
        return 1
}

# --- the workspaces ------------------------------------------------------------------------------------------
site=$work/site
mkdir -p "$site/sub" "$work/docs"
printf 'quarterly numbers: 42\n' >"$site/report.txt"
head -c 2048 /dev/zero | tr '\0' 'x' >"$site/medium.txt"
head -c $((17 * 1024 * 1024)) /dev/zero >"$site/big.wav"
ln -s /etc/passwd "$site/passwd-link"
printf 'read me\n' >"$work/docs/readme.txt"
chown -R aios-ide:aios-ide "$site" "$work/docs"
cat >"$work/ide.conf" <<EOF
[Workspace]
Name=site
Path=$site

[Workspace]
Name=docs
Path=$work/docs
ReadOnly=yes

[Workspace]
Name=gone
Path=$work/not-there
EOF

start_ided() {
        as aios-ide
        AIOS_IDE_CONFIG=$work/ide.conf AIOS_FRONT_END_USERS="aios-gateway aios-voice aios-comm aios-actions" \
                "${as[@]}" "${AIOS_IDED:?}" >>"$work/ided.log" 2>&1 &
        ided_pid=$!
        stack_wait_for_name org.aios.IDE1 "$ided_pid"
}
start_ided

# --- the servers that use them ---------------------------------------------------------------------------------
as aios-voice
"${as[@]}" "${AIOS_VOICED:?}" >>"$work/voiced.log" 2>&1 &
pids+=($!)
stack_wait_for_name org.aios.Voice1 "$!"

# aios-commd with a real SMTP server (STARTTLS and AUTH, as comm-check.sh has it).
mkdir -p "$work/comm-state" "$work/creds"
chown aios-comm:aios-comm "$work/comm-state"
chmod 0700 "$work/comm-state"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
        -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1
chmod 0644 "$work/cert.pem"
printf 's3cret\n' >"$work/creds/smtp-password"
chown -R aios-comm "$work/creds"
smtp_port=$(stack_free_port)
"$python" "$top/tests/comm/smtp-peer.py" --port "$smtp_port" --dir "$work/mail" --mode ok \
        --tls "$work/cert.pem" "$work/key.pem" --auth aios:s3cret >>"$work/smtp.log" 2>&1 &
pids+=($!)
wait_port "$smtp_port" "$!"
printf '[SMTP]\nURL=smtp://127.0.0.1:%s\nCAFile=%s\nUser=aios\nPasswordCredential=%s\nFrom=aios@example.net\nMaxAttachmentsSize=1K\n\n[Recipients]\nAllow=alice@example.com\n' \
        "$smtp_port" "$work/cert.pem" "$work/creds/smtp-password" >"$work/comm.conf"
as aios-comm
AIOS_COMM_CONFIG=$work/comm.conf STATE_DIRECTORY=$work/comm-state "${as[@]}" "${AIOS_COMMD:?}" >>"$work/commd.log" 2>&1 &
pids+=($!)
stack_wait_for_name org.aios.Communication1 "$!"

# aios-actionsd against the GitHub fixture; an artifact's zip may be 1 MiB here.
mkdir -p "$work/actions"
chown aios-actions "$work/actions"
as aios-actions
"${as[@]}" "$python" "$top/tests/actions/github-fixture.py" "$work/actions/port" >>"$work/fixture.log" 2>&1 &
pids+=($!)
for ((i = 0; i < 100; i++)); do
        [[ -s $work/actions/port ]] && break
        sleep 0.1
done
fixture=http://127.0.0.1:$(cat "$work/actions/port")
echo fixture-token >"$work/actions/token"
printf '[GitHub]\nAPIURL=%s\nTokenCredential=%s/token\nRepositories=octo-org/*\nMaxArtifactSize=1M\n' \
        "$fixture" "$work/actions" >"$work/actions/actions.conf"
chown aios-actions "$work/actions/token" "$work/actions/actions.conf"
AIOS_ACTIONS_CONFIG=$work/actions/actions.conf "${as[@]}" "${AIOS_ACTIONSD:?}" >>"$work/actionsd.log" 2>&1 &
pids+=($!)
stack_wait_for_name org.aios.GitHubActions1 "$!"

# --- the gateway, and keys with and without aios-ided's scopes ---------------------------------------------
config=$work/gateway
state=$work/gateway-state
mkdir -p "$config/backends.d" "$state"
chown aios-gateway:aios-gateway "$state"
chmod 0700 "$state"
for b in voice:Voice1 comm:Communication1 actions:GitHubActions1 ide:IDE1; do
        printf '[Backend]\nType=dbus\nBusName=org.aios.%s\n' "${b#*:}" >"$config/backends.d/${b%%:*}.conf"
done
printf '[Authentication]\nAPIKeyFile=%s/api-keys\n' "$state" >"$config/gateway.conf"
aiosctl_keys=(run_as aios-gateway "${AIOS_AIOSCTL:?}" --store="$state/api-keys")
servers=(--scope tools:voice --scope tools:comm --scope tools:actions)
key_all=$("${aiosctl_keys[@]}" key create all "${servers[@]}" --scope tools:ide 2>/dev/null)
key_noide=$("${aiosctl_keys[@]}" key create noide "${servers[@]}" 2>/dev/null)
key_reader=$("${aiosctl_keys[@]}" key create reader "${servers[@]}" --scope tools:ide:ide_read_file 2>/dev/null)
port=$(stack_free_port)
as aios-gateway
"${as[@]}" "${AIOS_GATEWAYD:?}" --config-dir="$config" --listen="127.0.0.1:$port" >>"$work/gateway.log" 2>&1 &
pids+=($!)
base=http://127.0.0.1:$port
for ((i = 0; i < 300; i++)); do
        curl -s "$base/readyz" | grep -q '"ready"' && break
        sleep 0.1
done

# call KEY TOOL JSON: the tool's answer through the gateway's /mcp (one request of the stateless wire), or the
# JSON-RPC error.
call() {
        local meta='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"workspace-check","version":"1"}}'
        curl -s -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
                -H "Authorization: Bearer $1" -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' \
                -H "Mcp-Name: $2" "$base/mcp" \
                -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"$2\",\"arguments\":$3,$meta}}" ||
                true
}
# busctl_call [USER] TOOL JSON on a server directly, as root or as USER.
bus_tool() { # bus_tool NAME TOOL JSON
        busctl "${bus[@]}" --json=short call "$1" /org/aios/MCP1 org.aios.MCP1 CallTool ss "$2" "$3" 2>&1 || true
}

# --- voice_transcribe of a workspace file ----------------------------------------------------------------------
# The audio is voice_speak's own, saved into the workspace.
speech=$(bus_tool org.aios.Voice1 voice_speak '{"text":"open the door"}')
jq -r '.data[0]' <<<"$speech" | jq -r '.content[] | select(.type == "audio") | .data' | base64 -d >"$site/speech.wav"
chown aios-ide "$site/speech.wav"
expect "voice_speak made a WAV file for the workspace" "RIFF" "$(head -c 4 "$site/speech.wav")"

transcribe='{"file":{"workspace":"site","path":"speech.wav"},"keywords":["open","close","the door","the window"]}'
out=$(call "$key_all" voice_transcribe "$transcribe")
expect "voice_transcribe reads a workspace file for a principal with tools:ide" "open the door" "$out"
out=$(call "$key_reader" voice_transcribe "$transcribe")
expect "and for one with tools:ide:ide_read_file" "open the door" "$out"
out=$(call "$key_noide" voice_transcribe "$transcribe")
expect "a principal that may not read the workspace is refused by polkit" \
        "polkit does not allow this principal to read speech.wav in workspace site" "$out"
reject "and nothing is transcribed" "open the door" "$out"
out=$(bus_tool org.aios.Voice1 voice_transcribe "$transcribe")
expect "a local caller on the bus gets what polkit allows it (root: everything)" "open the door" "$(jq -r .data[0] <<<"$out" 2>/dev/null || echo "$out")"
out=$(call "$key_all" voice_transcribe '{"file":{"workspace":"site","path":"passwd-link"}}')
expect "a symlink that points out of the workspace is refused" "leads outside the workspace" "$out"
out=$(call "$key_all" voice_transcribe '{"file":{"workspace":"site","path":"../docs/readme.txt"}}')
expect "so is a path through .." "leads outside the workspace" "$out"
out=$(call "$key_all" voice_transcribe '{"file":{"workspace":"site","path":"/etc/passwd"}}')
expect "and an absolute path" "is refused" "$out"
out=$(call "$key_all" voice_transcribe '{"file":{"workspace":"site","path":"big.wav"}}')
expect "a file larger than voice_transcribe takes is refused" "more than the 16777216 this tool takes" "$out"
out=$(call "$key_all" voice_transcribe '{"file":{"workspace":"site","path":"sub"}}')
expect "a directory is not a file" "not a regular file" "$out"
out=$(call "$key_all" voice_transcribe '{"file":{"workspace":"site","path":"nothing.wav"}}')
expect "a missing file says so" "no such file or directory" "$out"
out=$(call "$key_all" voice_transcribe '{"file":{"workspace":"nowhere","path":"a.wav"}}')
expect "a workspace that is not configured says which are" "There is no workspace \\\"nowhere\\\"; the workspaces are: site, docs, gone" "$out"
out=$(call "$key_all" voice_transcribe '{"file":{"workspace":"gone","path":"a.wav"}}')
expect "a workspace whose directory is missing says so" "Workspace gone" "$out"

# --- aios-ided serves only its front ends -------------------------------------------------------------------------
# (busctl prints an AccessDenied error's message only in its debug output.)
out=$(as_user nobody env SYSTEMD_LOG_LEVEL=debug busctl "${bus[@]}" call org.aios.IDE1 /org/aios/IDE1 org.aios.IDE1 OpenFile 'a{sv}sss' 2 \
        subject s :1.1 principal s unix-user:root site report.txt r 2>&1 || true)
expect "a caller that is no front end cannot open files for others" "Only the aios servers aios-ided trusts" "$out"

# Files being written are bounded, and go away with the caller that left them uncommitted (dbus-python holds one
# connection for all of them; root is a front end).
out=$("$python" - "$site/held" <<'PY' 2>&1 || true
import os, sys
import dbus
bus = dbus.SystemBus()
ide = dbus.Interface(bus.get_object('org.aios.IDE1', '/org/aios/IDE1'), 'org.aios.IDE1')
context = dbus.Dictionary({'subject': bus.get_unique_name(), 'principal': 'unix-user:root'}, signature='sv')
made = 0
for i in range(70):
    try:
        ide.CreateFile(context, 'site', 'held/f%d.bin' % i)
        made += 1
    except dbus.exceptions.DBusException as e:
        print('refused after %d: %s: %s' % (made, e.get_dbus_name(), e.get_dbus_message()))
        break
print('temporary files: %d' % len(os.listdir(sys.argv[1])))
PY
)
expect "at most 64 files are being written at once" "refused after 64: org.freedesktop.DBus.Error.LimitsExceeded" "$out"
expect "(each a temporary file beside its path)" "temporary files: 64" "$out"
for ((i = 0; i < 100; i++)); do
        [[ -z $(ls -A "$site/held" 2>/dev/null) ]] && break
        sleep 0.1
done
left=$(ls -A "$site/held" 2>&1)
if [[ -z $left ]]; then pass "a caller that leaves the bus leaves no temporary file"; else fail "temporary files left" "$left"; fi

# --- comm_send_email with a workspace file attached -----------------------------------------------------------
mail='{"to":["alice@example.com"],"subject":"numbers","text":"attached","attachments":[{"workspace":"site","path":"report.txt","content_type":"text/plain"}]}'
out=$(call "$key_all" comm_send_email "$mail")
expect "comm_send_email accepts a workspace file as an attachment" "is in the outbox" "$out"
id=$(jq -r '.result.structuredContent.id // empty' <<<"$out" 2>/dev/null || true)
expect "the file's bytes are in the outbox with the message" "$(base64 -w0 <"$site/report.txt")" \
        "$(cat "$work/comm-state/outbox/$id".* 2>/dev/null)"
for ((i = 0; i < 100; i++)); do
        [[ -s $work/mail/1.eml ]] && break
        sleep 0.1
done
eml=$(cat "$work/mail/1.eml" 2>/dev/null || true)
expect "the mail arrives with the attachment named after the file" 'filename="report.txt"' "$eml"
decoded=$("$python" -c 'import email,sys; m=email.message_from_string(sys.stdin.read()); print("".join(p.get_payload(decode=True).decode() for p in m.walk() if p.get_filename()))' <<<"$eml" 2>/dev/null || true)
expect "with the file's content" "quarterly numbers: 42" "$decoded"
out=$(call "$key_noide" comm_send_email "$mail")
expect "a principal that may not read the workspace cannot attach its files" \
        "polkit does not allow this principal to read report.txt in workspace site" "$out"
expect "and nothing was sent" "Nothing was sent" "$out"
out=$(call "$key_all" comm_send_email '{"to":["alice@example.com"],"subject":"s","text":"t","attachments":[{"workspace":"site","path":"medium.txt"}]}')
expect "a workspace file beyond MaxAttachmentsSize= is refused" "more than the 1024 bytes a message may carry" "$out"
out=$(call "$key_all" comm_send_email '{"to":["alice@example.com"],"subject":"s","text":"t","attachments":[{"workspace":"site","path":"../../etc/passwd"}]}')
expect "an attachment's path may not leave the workspace" "leads outside the workspace" "$out"
out=$(call "$key_all" comm_send_email '{"to":["alice@example.com"],"subject":"s","text":"t","attachments":[{"workspace":"site","path":"report.txt","data":"eA=="}]}')
expect "an attachment is inline or a workspace file, not both (the schema's oneOf)" \
        'at /attachments/0: the value matches none of the schemas in \"oneOf\"' "$out"
out=$(call "$key_all" comm_send_email '{"to":["alice@example.com"],"subject":"s","text":"t","attachments":[{"workspace":"nowhere","path":"report.txt"}]}')
expect "an attachment from a workspace that is not configured is refused" "There is no workspace" "$out"
reject "the refused messages never reached the outbox" "2.eml" "$(ls "$work/mail")"

# --- github_download_artifact into the workspace ----------------------------------------------------------------
download() { call "$1" github_download_artifact "{\"repository\":\"octo-org/octo-repo\",\"artifact_id\":$2,\"workspace\":\"$3\",\"path\":\"$4\"}"; }
out=$(download "$key_all" 21 site artifacts/test-results.zip)
expect "github_download_artifact puts the artifact's zip in the workspace" "is at artifacts/test-results.zip in workspace site" "$out"
listing=$("$python" -c 'import sys,zipfile; print(" ".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$site/artifacts/test-results.zip" 2>&1 || true)
expect "the file is the zip GitHub serves" "report.xml log.txt" "$listing"
expect "it belongs to aios-ided's user, like what ide_write_file writes" "aios-ide" "$(stat -c %U "$site/artifacts/test-results.zip" 2>&1)"
digest=$(sha256sum "$site/artifacts/test-results.zip" | cut -d' ' -f1)
expect "and matches GitHub's digest" "sha256:$digest" "$out"
out=$(download "$key_reader" 21 site artifacts/again.zip)
expect "a principal that may only read the workspace cannot download into it" \
        "polkit does not allow this principal to write artifacts/again.zip in workspace site" "$out"
out=$(download "$key_noide" 21 site artifacts/again.zip)
expect "nor one without aios-ided's scopes" "Access denied" "$out"
out=$(download "$key_all" 22 site artifacts/big.zip)
expect "an artifact larger than MaxArtifactSize= is refused before the download" "more than the 1048576" "$out"
out=$(download "$key_all" 24 site artifacts/understated.zip)
expect "a zip that turns out larger while it streams is stopped" "larger than the 1048576 bytes" "$out"
out=$(download "$key_all" 23 site artifacts/old.zip)
expect "an expired artifact says so" "has expired" "$out"
out=$(download "$key_all" 21 docs artifacts/results.zip)
expect "a read-only workspace takes no download" "Workspace docs is read-only" "$out"
out=$(download "$key_all" 21 gone artifacts/results.zip)
expect "a workspace whose directory is missing takes no download" "Workspace gone" "$out"
out=$(download "$key_all" 21 site sub)
expect "a directory is not replaced by a download" "only a regular file is replaced" "$out"
out=$(download "$key_all" 21 site ../escape.zip)
expect "the download's path may not leave the workspace" "leads outside the workspace" "$out"
left=$(find "$site" "$work" -maxdepth 2 -name '.#*' -o -maxdepth 2 -name 'escape.zip' -o -maxdepth 2 -name 'big.zip' \
        -o -maxdepth 2 -name 'understated.zip' 2>/dev/null)
if [[ -z $left ]]; then pass "no temporary or partial file is left behind"; else fail "files were left behind" "$left"; fi
requests=$(curl -s "$fixture/_fixture/requests")
reject "nothing was downloaded for the refused principal or the oversized artifact" "/_artifacts/22" "$requests"

# --- aios-ided not running --------------------------------------------------------------------------------------
kill "$ided_pid"
wait "$ided_pid" 2>/dev/null || true
ided_pid=
out=$(call "$key_all" voice_transcribe "$transcribe")
expect "without aios-ided, voice_transcribe of a file says why" "aios-ided (org.aios.IDE1) is not running" "$out"
out=$(call "$key_all" comm_send_email "$mail")
expect "so does comm_send_email" "aios-ided (org.aios.IDE1) is not running" "$out"
out=$(download "$key_all" 21 site artifacts/later.zip)
expect "and github_download_artifact" "aios-ided (org.aios.IDE1) is not running" "$out"

echo "1..$checks"
[[ $failures -eq 0 ]]
