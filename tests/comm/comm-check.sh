#!/usr/bin/env bash
# aios-commd end to end with real peers, on the development stack (a private system bus and polkitd): an
# SMTP server (python3-aiosmtpd) with STARTTLS and AUTH that receives what was sent, and ones that are down,
# defer with 4xx, refuse with 5xx or drop the connection after the data; the outbox across kill -9; the
# allow-list, header injection, invalid UTF-8 and oversized attachments refused; webhooks received by a
# loopback HTTP server with their method, headers and payload.
# usage: comm-check.sh   (AIOS_COMMD names the binary; runs as root; exit 77 with the reason when a peer
# cannot run here)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/comm
if [[ $(id -u) -ne 0 ]]; then
        echo "comm-check.sh: SKIP: needs root (a private mount namespace and polkitd)"
        exit 77
fi
# Debian's python3 has python3-aiosmtpd (tools/setup-deps.sh test); another python3 first in PATH may not.
python=/usr/bin/python3
if ! "$python" -c 'import aiosmtpd' 2>/dev/null; then
        echo "comm-check.sh: SKIP: $python cannot import aiosmtpd (apt-get install python3-aiosmtpd, or tools/setup-deps.sh test)"
        exit 77
fi
command -v openssl >/dev/null || { echo "comm-check.sh: SKIP: no openssl to make the SMTP peer's certificate"; exit 77; }
if [[ -z ${AIOS_DEV_SERVICES_RUNTIME:-} ]]; then
        exec "$top/tools/dev-services.sh" -- "$0" "$@"
fi

commd=${AIOS_COMMD:?}
# shellcheck source=tests/gateway/stack-lib.sh
source "$top/tests/gateway/stack-lib.sh"

work=$runtime/comm
mkdir -p "$work/state" "$work/creds"
chown aios-comm:aios-comm "$work/state"
chmod 0700 "$work/state"
# The SMTP peer's certificate, for 127.0.0.1, which aios-commd trusts through CAFile=.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
        -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1
chmod 0644 "$work/cert.pem"
printf 's3cret\n' >"$work/creds/smtp-password"
printf 'Bearer hook-token\n' >"$work/creds/hook-token"
chown -R aios-comm "$work/creds"

pids=()
commd_pid=
cleanup() {
        [[ -z $commd_pid ]] || kill -9 "$commd_pid" 2>/dev/null || true
        for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
        wait 2>/dev/null || true
}
trap cleanup EXIT

wait_port() { # wait_port PORT PID: until something listens on PORT (10 s), or PID exits
        local i
        for ((i = 0; i < 100; i++)); do
                (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
                kill -0 "$2" 2>/dev/null || break
                sleep 0.1
        done
        echo "comm-check.sh: nothing listens on port $1" >&2
        return 1
}

smtp_peer() { # smtp_peer PORT DIR MODE [ARGS...]: starts an SMTP peer; sets $peer
        local port=$1 dir=$2 mode=$3
        shift 3
        "$python" "$here/smtp-peer.py" --port "$port" --dir "$dir" --mode "$mode" \
                --tls "$work/cert.pem" "$work/key.pem" --auth aios:s3cret "$@" >>"$work/peer.log" 2>&1 &
        peer=$!
        pids+=("$peer")
        wait_port "$port" "$peer"
}

write_config() { # write_config SMTP_PORT [ALLOW...]
        local port=$1 a
        shift
        {
                printf '[SMTP]\nURL=smtp://127.0.0.1:%s\nCAFile=%s\nUser=aios\nPasswordCredential=%s\n' \
                        "$port" "$work/cert.pem" "$work/creds/smtp-password"
                printf 'From=aios@example.net\nTimeoutSec=10\nMaxAttachmentsSize=1K\n\n[Recipients]\n'
                for a in "$@"; do printf 'Allow=%s\n' "$a"; done
                printf '\n[Outbox]\nRetryMinSec=200ms\nRetryMaxSec=1s\n'
                printf '\n[Webhook team]\nURL=http://127.0.0.1:%s/hook\nTemplate=slack\n' "$hook_port"
                printf 'HeaderCredential=Authorization %s\nHeader=X-Team: ops\n' "$work/creds/hook-token"
                printf '\n[Webhook phone]\nURL=http://127.0.0.1:%s/alerts\nTemplate=ntfy\n' "$hook_port"
                printf '\n[Webhook room]\nURL=http://127.0.0.1:%s/_matrix/client/v3/rooms/r1/send/m.room.message\nTemplate=matrix\n' "$hook_port"
                printf '\n[Webhook gone]\nURL=http://127.0.0.1:%s/status/404/x\nTemplate=json\n' "$hook_port"
                printf '\n[Webhook chat]\nURL=http://127.0.0.1:%s/discord\nTemplate=discord\n' "$hook_port"
                printf '\n[Webhook plain]\nURL=http://127.0.0.1:%s/plain\nTemplate=json\nMethod=PUT\n' "$hook_port"
        } >"$work/comm.conf"
}

start_commd() {
        AIOS_COMM_CONFIG=$work/comm.conf STATE_DIRECTORY=$work/state \
                setpriv --reuid=aios-comm --regid=aios-comm --init-groups -- "$commd" >>"$work/commd.log" 2>&1 &
        commd_pid=$!
        stack_wait_for_name org.aios.Communication1 "$commd_pid"
}

stop_commd() {
        kill "$commd_pid" 2>/dev/null || true
        wait "$commd_pid" 2>/dev/null || true
        commd_pid=
}

# call TOOL ARGS: the tool's result as JSON text (a D-Bus error's message otherwise).
call() {
        local out
        if out=$(busctl "${bus[@]}" --json=short call org.aios.Communication1 /org/aios/MCP1 org.aios.MCP1 \
                CallTool ss "$1" "$2" 2>&1); then
                jq -r '.data[0]' <<<"$out"
        else
                echo "$out"
        fi
}
field() { jq -cr "$1" 2>/dev/null <<<"$2" || echo "(not JSON: ${2:0:300})"; }

outbox_count() { find "$work/state/outbox" -name '*.state' 2>/dev/null | wc -l; }

# wait_state ID STATE: until comm_outbox reports the message in STATE (20 s); prints its entry.
wait_state() {
        local i entry=
        for ((i = 0; i < 200; i++)); do
                entry=$(field ".structuredContent.messages[] | select(.id == \"$1\")" \
                        "$(call comm_outbox '{"limit":1000}')")
                [[ $(field .state "$entry") == "$2" ]] && break
                sleep 0.1
        done
        echo "$entry"
}

hook_port=$(stack_free_port)
"$python" "$here/webhook-peer.py" "$hook_port" "$work/hooks.jsonl" >>"$work/hook.log" 2>&1 &
pids+=($!)
wait_port "$hook_port" "$!"

# --- delivery through STARTTLS and AUTH, what the recipient gets ------------------------------------------
smtp_port=$(stack_free_port)
smtp_peer "$smtp_port" "$work/mail-ok" ok
write_config "$smtp_port" alice@example.com @example.org
start_commd

attachment=$(printf 'hello attachment' | base64 -w0)
out=$(call comm_send_email "{\"to\":[\"alice@example.com\"],\"cc\":[\"Bob@Example.org\"],\"bcc\":[\"carol@example.org\"],
        \"subject\":\"Réunion à 10h\",\"text\":\"Bonjour,\\nle serveur est prêt.\",\"html\":\"<p>Bonjour</p>\",
        \"reply_to\":\"ops@example.net\",\"in_reply_to\":\"<abc@example.net>\",
        \"attachments\":[{\"filename\":\"note.txt\",\"content_type\":\"text/plain\",\"data\":\"$attachment\"}]}")
id=$(field .structuredContent.id "$out")
expect "comm_send_email accepts a message to allowed recipients, queued in the outbox" '"state":"queued"' "$out"
entry=$(wait_state "$id" sent)
expect "the message is delivered and comm_outbox says sent, with the server's answer" "Ok: queued as" "$entry"
mail=$(cat "$work/mail-ok/1.eml" 2>/dev/null || true)
expect "the SMTP server received it over STARTTLS" "X-Peer-TLS: yes" "$mail"
expect "after AUTH with the password from the credential" "X-Peer-Login: aios" "$mail"
expect "the envelope has every recipient, bcc too" "X-Peer-Rcpt-To: alice@example.com Bob@Example.org carol@example.org" "$mail"
expect "From is the configured sender" "From: aios@example.net" "$mail"
expect "To and Cc are headers" "Cc: Bob@Example.org" "$mail"
reject "Bcc is not a header" "carol@example.org" "$(sed -n '/^X-Peer-Rcpt-To/!p' <<<"$mail")"
expect "a non-ASCII subject is RFC 2047 encoded" "Subject: =?UTF-8?B?" "$mail"
expect "the Message-ID carries the outbox id" "Message-ID: <$id@example.net>" "$mail"
expect "In-Reply-To is kept" "In-Reply-To: <abc@example.net>" "$mail"
expect "Reply-To is kept" "Reply-To: ops@example.net" "$mail"
expect "text and HTML are alternatives" "multipart/alternative" "$mail"
expect "the attachment travels in base64 with its name" 'filename="note.txt"' "$mail"
expect "the attachment's bytes are there" "$attachment" "$mail"
decoded=$("$python" -c 'import email,sys; m=email.message_from_string(sys.stdin.read()); print(m["Subject"] and str(email.header.make_header(email.header.decode_header(m["Subject"])))); [print(p.get_payload(decode=True).decode()) for p in m.walk() if p.get_content_type()=="text/plain" and not p.get_filename()]' <<<"$mail")
expect "the subject decodes to what was sent" "Réunion à 10h" "$decoded"
expect "the text decodes to what was sent" "le serveur est prêt." "$decoded"

# --- refusals: nothing enters the outbox -------------------------------------------------------------------
before=$(outbox_count)
out=$(call comm_send_email '{"to":["alice@example.com","mallory@evil.example"],"subject":"x","text":"x"}')
expect "a recipient outside the allow-list is refused, by name" "mallory@evil.example is not on the administrator's allow-list" "$out"
out=$(call comm_send_email '{"to":["alice@example.com"],"bcc":["eve@sub.example.org"],"subject":"x","text":"x"}')
expect "@example.org does not allow its subdomains" "eve@sub.example.org is not on" "$out"
out=$(call comm_send_email '{"to":["alice@example.com"],"subject":"Hi\r\nBcc: mallory@evil.example","text":"x"}')
expect "CR/LF in the subject is refused as header injection" "subject contains a line break" "$out"
out=$(call comm_send_email '{"to":["alice@example.com\r\nBcc: mallory@evil.example"],"subject":"x","text":"x"}')
expect "CR/LF in an address is refused as header injection" "line break (CR or LF)" "$out"
out=$(call comm_send_email '{"to":["alice@example.com"],"subject":"x","text":"x","reply_to":"a@b.c\nX: y"}')
expect "CR/LF in reply_to is refused" "line break (CR or LF)" "$out"
out=$(call comm_send_email '{"to":["alice@example.com"],"subject":"x","text":"x","in_reply_to":"<a@b>\r\nBcc: m@e.x"}')
expect "CR/LF in in_reply_to is refused" "line break" "$out"
out=$(call comm_send_email '{"to":["Alice <alice@example.com>"],"subject":"x","text":"x"}')
expect "a display name is not a plain address" "is not a plain mail address" "$out"
out=$(call comm_send_email '{"to":["alice@example.com"],"subject":"x","text":"a\u0000b"}')
expect "a text with a NUL is refused" "not valid UTF-8 (or holds a NUL)" "$out"
big=$(head -c 2048 /dev/zero | base64 -w0)
out=$(call comm_send_email "{\"to\":[\"alice@example.com\"],\"subject\":\"x\",\"text\":\"x\",\"attachments\":[{\"filename\":\"big.bin\",\"data\":\"$big\"}]}")
expect "attachments beyond MaxAttachmentsSize= are refused" "more than the 1024 bytes" "$out"
out=$(call comm_send_email '{"to":["alice@example.com"],"subject":"x","text":"x","attachments":[{"filename":"a.bin","data":"not base64!"}]}')
expect "attachment data that is not base64 is refused" "not standard base64" "$out"
out=$(call comm_send_email '{"to":["alice@example.com"],"subject":"x","text":"x","attachments":[{"filename":"../etc/passwd","data":"AA=="}]}')
expect "a file name with a slash is refused" "file name is not" "$out"
expect "nothing refused entered the outbox" "$before" "$(outbox_count)"

# polkit decides per recipient: an unprivileged caller without a session is refused.
request='{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"comm_send_email","arguments":{"to":["alice@example.com"],"subject":"x","text":"x"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"}}}}'
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups busctl "${bus[@]}" call org.aios.Communication1 \
        /org/aios/MCP1 org.aios.MCP1 Call 'sa{sv}' "$request" 0 2>&1 || true)
expect "polkit refuses nobody, naming the recipient" "send mail to alice@example.com" "$out"

# --- webhooks: to named endpoints only ----------------------------------------------------------------------
out=$(call comm_post_webhook '{"endpoint":"team","title":"Deploy","text":"v2 is live"}')
expect "comm_post_webhook posts to a named endpoint" '"status":200' "$out"
hook=$(tail -n 1 "$work/hooks.jsonl")
expect "slack: POST to the configured URL" '"method": "POST", "path": "/hook"' "$hook"
expect "slack: the header from the credential" '"authorization": "Bearer hook-token"' "$hook"
expect "slack: the configured header" '"x-team": "ops"' "$hook"
expect "slack: the payload" "$(jq -c '{text: "*Deploy*\nv2 is live"}' <<<null | jq -R .)" "$(jq -c '.body' <<<"$hook")"
out=$(call comm_post_webhook '{"endpoint":"phone","title":"Disk réglé","text":"all good"}')
hook=$(tail -n 1 "$work/hooks.jsonl")
expect "ntfy: the message is the body" '"body": "all good"' "$hook"
expect "ntfy: the title is an RFC 2047 header" '"title": "=?UTF-8?B?' "$hook"
out=$(call comm_post_webhook '{"endpoint":"room","text":"hello room"}')
hook=$(tail -n 1 "$work/hooks.jsonl")
expect "matrix: PUT with a transaction id" '"method": "PUT", "path": "/_matrix/client/v3/rooms/r1/send/m.room.message/' "$hook"
expect "matrix: an m.text message" 'm.text' "$hook"
out=$(call comm_post_webhook '{"endpoint":"chat","title":"Deploy","text":"v2 is live"}')
hook=$(tail -n 1 "$work/hooks.jsonl")
expect "discord: the payload" "$(jq -c '{content: "**Deploy**\nv2 is live"}' <<<null | jq -R .)" "$(jq -c '.body' <<<"$hook")"
out=$(call comm_post_webhook '{"endpoint":"plain","title":"T","text":"line 1\nline 2"}')
hook=$(tail -n 1 "$work/hooks.jsonl")
expect "json: the configured method" '"method": "PUT", "path": "/plain"' "$hook"
expect "json: title and text" "$(jq -c '{title: "T", text: "line 1\nline 2"}' <<<null | jq -R .)" "$(jq -c '.body' <<<"$hook")"
expect "json: the content type" '"content-type": "application/json"' "$hook"
out=$(call comm_post_webhook '{"endpoint":"gone","text":"x"}')
expect "an endpoint's HTTP error is reported with its status" "answered HTTP 404" "$out"
out=$(call comm_post_webhook '{"endpoint":"http://evil.example/","text":"x"}')
expect "a URL is no endpoint name" "Invalid arguments" "$out"
out=$(call comm_post_webhook '{"endpoint":"nosuch","text":"x"}')
expect "an unknown endpoint lists the configured ones" "configured team, phone, room, gone, chat, plain" "$out"
out=$(call comm_post_webhook '{"endpoint":"phone","title":"a\r\nX-Evil: 1","text":"x"}')
expect "CR/LF in a webhook title is refused" "line break" "$out"
stop_commd

# --- 4xx: retried with backoff until accepted -----------------------------------------------------------------
port=$(stack_free_port)
smtp_peer "$port" "$work/mail-tempfail" tempfail --count 2
write_config "$port" alice@example.com
start_commd
out=$(call comm_send_email '{"to":["alice@example.com"],"subject":"deferred","text":"x"}')
id=$(field .structuredContent.id "$out")
entry=$(wait_state "$id" sent)
expect "a message deferred with 451 twice is delivered on the third attempt" '"attempts":3' "$entry"
expect "the deferring server saw two attempts" "2" "$(find "$work/mail-tempfail" -name 'tempfail.*' | wc -l)"
expect "and the third delivered it" "Subject: deferred" "$(cat "$work/mail-tempfail/1.eml" 2>/dev/null)"
stop_commd
kill "$peer"

# --- 5xx: final, reported --------------------------------------------------------------------------------------
port=$(stack_free_port)
smtp_peer "$port" "$work/mail-permfail" permfail
write_config "$port" alice@example.com
start_commd
out=$(call comm_send_email '{"to":["alice@example.com"],"subject":"refused","text":"x"}')
id=$(field .structuredContent.id "$out")
entry=$(wait_state "$id" failed)
expect "a 550 is final: failed, with the server's answer" "refused the message for good: 550 5.1.1" "$entry"
expect "after one attempt" '"attempts":1' "$entry"
stop_commd
kill "$peer"

# --- the connection cut after the data: unknown, never sent again by itself ------------------------------------
port=$(stack_free_port)
smtp_peer "$port" "$work/mail-cut" cut
write_config "$port" alice@example.com
start_commd
out=$(call comm_send_email '{"to":["alice@example.com"],"subject":"cut","text":"x"}')
id=$(field .structuredContent.id "$out")
entry=$(wait_state "$id" unknown)
expect "a connection dropped after the data leaves the outcome unknown" '"state":"unknown"' "$entry"
# Several retry periods (200 ms to 1 s) later, the server has still seen it once.
deadline=$((SECONDS + 3))
while ((SECONDS < deadline)); do sleep 0.5; done
expect "an unknown message is not sent again by itself" "1" "$(find "$work/mail-cut" -name 'cut.*' | wc -l)"
expect "it stays unknown" '"state":"unknown"' "$(wait_state "$id" unknown)"
out=$(call comm_outbox_retry "{\"id\":\"$id\"}")
expect "comm_outbox_retry sends an unknown message again when asked" '"state":"queued"' "$out"
wait_state "$id" unknown >/dev/null
expect "the server saw it a second time" "2" "$(find "$work/mail-cut" -name 'cut.*' | wc -l)"
stop_commd
kill "$peer"

# --- the server down, kill -9, and delivery once both are back ------------------------------------------------
port=$(stack_free_port)
write_config "$port" alice@example.com
start_commd
out=$(call comm_send_email '{"to":["alice@example.com"],"subject":"survives","text":"written before the answer"}')
id=$(field .structuredContent.id "$out")
expect "accepted while the SMTP server is down" '"state":"queued"' "$out"
expect "its files are on disk when the tool answers" "2" "$(find "$work/state/outbox" -name "$id.*" | wc -l)"
out=$(call comm_send_email '{"to":["alice@example.com"],"subject":"to be cancelled","text":"x"}')
cancel_id=$(field .structuredContent.id "$out")
out=$(call comm_outbox_cancel "{\"id\":\"$cancel_id\"}")
expect "comm_outbox_cancel cancels a queued message" '"state":"cancelled"' "$out"
for ((i = 0; i < 100; i++)); do
        [[ $(field .attempts "$(wait_state "$id" queued)") -ge 2 ]] && break
        sleep 0.1
done
entry=$(wait_state "$id" queued)
expect "it is retried while the server is down, with the reason" "Couldn't connect to server" "$entry"
kill -9 "$commd_pid"
wait "$commd_pid" 2>/dev/null || true
commd_pid=
smtp_peer "$port" "$work/mail-late" ok
start_commd
entry=$(wait_state "$id" sent)
expect "after kill -9 and a restart, the queued message is delivered" '"state":"sent"' "$entry"
expect "the server received it" "Subject: survives" "$(cat "$work/mail-late/1.eml" 2>/dev/null)"
expect "exactly once" "1" "$(find "$work/mail-late" -name '*.eml' | wc -l)"
expect "the cancelled message stayed cancelled" '"state":"cancelled"' "$(wait_state "$cancel_id" cancelled)"
stop_commd

# --- an empty allow-list sends nothing --------------------------------------------------------------------
write_config "$port"
start_commd
out=$(call comm_send_email '{"to":["alice@example.com"],"subject":"x","text":"x"}')
expect "with no Allow= nothing is sent" "allow-list ([Recipients] Allow= in comm.conf) is empty" "$out"
stop_commd

echo "1..$checks"
if ((failures > 0)); then
        echo "--- commd.log"; tail -n 40 "$work/commd.log"
        echo "--- peer.log"; tail -n 20 "$work/peer.log"
fi
[[ $failures -eq 0 ]]
