#!/usr/bin/env bash
# aios-commd reading mail and notifying users, with real peers on the development stack (a private system bus
# and polkitd): Dovecot, unprivileged on a loopback port with STARTTLS required, serving a maildir of a plain
# message, a multipart one with an attachment, encoded headers, invalid UTF-8, HTML only and a large one;
# an IMAP server that answers garbage or drops the connection; a user's session bus (dbus-daemon --session
# at /run/user/UID/bus, in this namespace) with python3-dbusmock's notification daemon. Refusals: a mailbox
# not configured, a user not allowed or without a session, a caller polkit refuses, attachments the
# administrator does not let out, a message over the mailbox's size cap.
# usage: read-check.sh   (AIOS_COMMD names the binary; runs as root; exit 77 with the reason when a peer
# cannot run here)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/comm
if [[ $(id -u) -ne 0 ]]; then
        echo "read-check.sh: SKIP: needs root (a private mount namespace, polkitd, users switched to)"
        exit 77
fi
python=/usr/bin/python3
dovecot=/usr/sbin/dovecot
[[ -x $dovecot ]] || { echo "read-check.sh: SKIP: no $dovecot (apt-get install dovecot-imapd, or tools/setup-deps.sh test)"; exit 77; }
if ! "$python" -c 'import dbusmock' 2>/dev/null; then
        echo "read-check.sh: SKIP: $python cannot import dbusmock (apt-get install python3-dbusmock, or tools/setup-deps.sh test)"
        exit 77
fi
command -v dbus-daemon >/dev/null || { echo "read-check.sh: SKIP: no dbus-daemon"; exit 77; }
command -v openssl >/dev/null || { echo "read-check.sh: SKIP: no openssl to make Dovecot's certificate"; exit 77; }
if [[ -z ${AIOS_DEV_SERVICES_RUNTIME:-} ]]; then
        exec "$top/tools/dev-services.sh" -- "$0" "$@"
fi

commd=${AIOS_COMMD:?}
# shellcheck source=tests/gateway/stack-lib.sh
source "$top/tests/gateway/stack-lib.sh"

work=$runtime/comm-read
mkdir -p "$work/state" "$work/creds" "$work/dovecot/run" "$work/dovecot/state"
chown aios-comm:aios-comm "$work/state"
chmod 0700 "$work/state"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
        -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1
chmod 0644 "$work/cert.pem" "$work/key.pem"
printf 'imap-s3cret\n' >"$work/creds/imap-password"
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
        echo "read-check.sh: nothing listens on port $1" >&2
        return 1
}

# --- the mailbox: a maildir served by Dovecot as nobody ------------------------------------------------------
maildir=$work/dovecot/home/alice/Maildir
mkdir -p "$maildir/cur" "$maildir/new" "$maildir/tmp"
n=0
message() { # message FLAGS: stdin into the maildir as the next message, in order
        n=$((n + 1))
        cat >"$maildir/cur/$((1700000000 + n)).M${n}P1.test:2,$1"
        touch -d "@$((1700000000 + n))" "$maildir/cur/$((1700000000 + n)).M${n}P1.test:2,$1"
}
message S <<'EOF'
From: =?UTF-8?Q?Ren=C3=A9e?= <renee@example.com>
To: alice@example.com
Subject: =?ISO-8859-1?Q?caf=E9?= plain
Date: Mon, 30 Nov 2026 09:00:00 +0000
Message-ID: <plain@example.com>

Hello Alice,
the coffee is ready.
EOF
message "" <<'EOF'
From: Bob <bob@example.com>
To: alice@example.com
Cc: carol@example.com
Subject: Report attached
Date: Mon, 30 Nov 2026 09:10:00 +0000
Message-ID: <report@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

This is a multi-part message in MIME format.
--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Bonjour, voici le r=C3=A9sultat de la semaine, avec une ligne tr=
=C3=A8s longue.
--inner
Content-Type: text/html; charset=utf-8

<p>Bonjour (HTML)</p>
--inner--
--outer
Content-Type: text/plain; name="ignored.txt"
Content-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.txt
Content-Transfer-Encoding: base64

aGVsbG8g
YXR0YWNobWVudA==
--outer
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="big.bin"
Content-Transfer-Encoding: base64

EOF
head -c 3000 /dev/zero | base64 -w 76 >>"$(ls "$maildir"/cur/*M2P1*)"
printf -- '--outer--\n' >>"$(ls "$maildir"/cur/*M2P1*)"
message "" <<'EOF'
From: =?ISO-8859-1?Q?J=F6rg?= <jorg@example.com>
To: alice@example.com
Subject: =?UTF-8?B?w4lsw6lwaGFudA==?=
 =?UTF-8?Q?_et_souris?=
Date: Mon, 30 Nov 2026 09:20:00 +0000

Encoded headers only.
EOF
message "" < <(printf 'From: mallory@example.com\nTo: alice@example.com\nSubject: Bad \xff bytes\nDate: Mon, 30 Nov 2026 09:30:00 +0000\nContent-Type: text/plain; charset=utf-8\n\ncaf\xe9 \xff\xfe end\x01\n')
message "" <<'EOF'
From: news@example.com
To: alice@example.com
Subject: HTML only
Date: Mon, 30 Nov 2026 09:40:00 +0000
Content-Type: text/html; charset=iso-8859-1

<html><head><style>p { color: red }</style></head><body><p>Hello&nbsp;<b>world</b> &amp; friends &#233;t&eacute;</p><script>evil()</script></body></html>
EOF
message "" < <(
        printf 'From: big@example.com\nTo: alice@example.com\nSubject: Huge\nDate: Mon, 30 Nov 2026 09:50:00 +0000\n'
        printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nThe start of a long text.\n'
        for ((i = 0; i < 8000; i++)); do printf 'line %d of the long text, which goes on and on.\n' "$i"; done
        printf -- '--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=late.pdf\n\nPDF\n--b--\n'
)
# A folder of its own (Dovecot's maildir++ .Long) with a message whose one line is longer than what curl takes
# in one answer (300 KiB).
mkdir -p "$maildir/.Long/cur" "$maildir/.Long/new" "$maildir/.Long/tmp"
{
        printf 'From: long@example.com\nTo: alice@example.com\nSubject: One long line\n\n'
        head -c 400000 /dev/zero | tr '\0' 'x'
        printf '\nend of the long line\n'
} >"$maildir/.Long/cur/1700000100.M1P1.test:2,"
# A folder of 60 messages, more than one FETCH of headers takes (25).
mkdir -p "$maildir/.Many/cur" "$maildir/.Many/new" "$maildir/.Many/tmp"
for ((i = 1; i <= 60; i++)); do
        printf 'From: many%d@example.com\nSubject: Many %d\n\nbody\n' "$i" "$i" >"$maildir/.Many/cur/$((1700000300 + i)).M${i}P1.test:2,"
done
# A folder whose name is not ASCII: IMAP's modified UTF-7 on the wire, and on Dovecot's disk.
mkdir -p "$maildir/.Entw&APw-rfe/cur" "$maildir/.Entw&APw-rfe/new" "$maildir/.Entw&APw-rfe/tmp"
printf 'From: draft@example.com\nSubject: Draft\n\nnot sent yet\n' >"$maildir/.Entw&APw-rfe/cur/1700000200.M1P1.test:2,"
chown -R nobody:nogroup "$work/dovecot"

imap_port=$(stack_free_port)
cat >"$work/dovecot/dovecot.conf" <<EOF
base_dir = $work/dovecot/run
state_dir = $work/dovecot/state
log_path = /dev/stderr
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <$work/cert.pem
ssl_key = <$work/key.pem
ssl_dh = </usr/share/dovecot/dh.pem
default_internal_user = nobody
default_internal_group = nogroup
default_login_user = nobody
auth_mechanisms = plain
disable_plaintext_auth = yes
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $work/dovecot/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$work/dovecot/home/%u
}
mail_location = maildir:~/Maildir
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $imap_port
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
EOF
printf 'alice:{PLAIN}imap-s3cret\n' >"$work/dovecot/passwd"
chown nobody:nogroup "$work/dovecot/passwd" "$work/dovecot/dovecot.conf"
setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$dovecot" -F -c "$work/dovecot/dovecot.conf" \
        >>"$work/dovecot.log" 2>&1 &
pids+=($!)
wait_port "$imap_port" "$!" || { tail -n 20 "$work/dovecot.log"; exit 1; }

peer() { # peer MODE: a misbehaving IMAP server; prints its port
        local port
        port=$(stack_free_port)
        "$python" "$here/imap-peer.py" "$port" "$1" >>"$work/peer.log" 2>&1 &
        pids+=($!)
        wait_port "$port" "$!" >&2
        echo "$port"
}
garbage_port=$(peer garbage)
drop_port=$(peer drop)
plain_port=$(peer plain)
old_port=$(peer old)

# --- a user's graphical session: their session bus with a notification daemon ---------------------------------
# Three users of this namespace's /etc/passwd (a copy dev-services.sh made): aios-desk has a session bus at
# /run/user/UID/bus (a tmpfs mounted here, in this mount namespace only), aios-away has none, and aios-stuck
# has a socket there that takes connections and never answers.
for u in aios-desk aios-away aios-stuck; do
        if ! getent passwd "$u" >/dev/null; then
                uid=$(for ((i = 4200; i < 4300; i++)); do getent passwd "$i" >/dev/null || getent group "$i" >/dev/null || { echo "$i"; break; }; done)
                echo "$u:x:$uid:$uid:aios test user:/nonexistent:/usr/sbin/nologin" >>/etc/passwd
                echo "$u:x:$uid:" >>/etc/group
        fi
done
desk_uid=$(id -u aios-desk)
mkdir -p /run/user
mount -t tmpfs -o mode=0755 tmpfs /run/user
install -d -m 0700 -o aios-desk -g aios-desk "/run/user/$desk_uid"
stuck_uid=$(id -u aios-stuck)
install -d -m 0700 -o aios-stuck -g aios-stuck "/run/user/$stuck_uid"
setpriv --reuid=aios-stuck --regid=aios-stuck --clear-groups -- "$python" -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(8)
held = []
while True:
    held.append(s.accept()[0])' "/run/user/$stuck_uid/bus" >>"$work/stuck.log" 2>&1 &
pids+=($!)
cat >"$work/session.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=/run/user/$desk_uid/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
chmod 0644 "$work/session.conf"
setpriv --reuid=aios-desk --regid=aios-desk --clear-groups -- dbus-daemon --config-file="$work/session.conf" \
        --nofork >>"$work/session-bus.log" 2>&1 &
pids+=($!)
for ((i = 0; i < 100; i++)); do [[ -S /run/user/$desk_uid/bus ]] && break; sleep 0.1; done
session=unix:path=/run/user/$desk_uid/bus
start_notification_daemon() {
        DBUS_SESSION_BUS_ADDRESS=$session setpriv --reuid=aios-desk --regid=aios-desk --clear-groups -- \
                "$python" -m dbusmock --session --template notification_daemon --logfile "$work/notifications.log" \
                >>"$work/dbusmock.log" 2>&1 &
        notifier=$!
        pids+=("$notifier")
        for ((i = 0; i < 100; i++)); do
                DBUS_SESSION_BUS_ADDRESS=$session setpriv --reuid=aios-desk --regid=aios-desk --clear-groups -- \
                        busctl --user status org.freedesktop.Notifications >/dev/null 2>&1 && return 0
                sleep 0.1
        done
        echo "read-check.sh: the notification daemon did not appear" >&2
}
: >"$work/notifications.log"
chmod 0666 "$work/notifications.log"
start_notification_daemon

# --- aios-commd ----------------------------------------------------------------------------------------------
cat >"$work/comm.conf" <<EOF
[Mailbox work]
URL=imap://127.0.0.1:$imap_port
CAFile=$work/cert.pem
User=alice
PasswordCredential=$work/creds/imap-password
DownloadAttachments=yes
MaxAttachmentSize=1K

[Mailbox capped]
URL=imap://127.0.0.1:$imap_port
CAFile=$work/cert.pem
User=alice
PasswordCredential=$work/creds/imap-password
MaxMessageSize=4K

[Mailbox cleartext]
URL=imap://127.0.0.1:$plain_port
User=alice
PasswordCredential=$work/creds/imap-password

[Mailbox garbage]
URL=imap://127.0.0.1:$garbage_port
StartTLS=no
User=alice
PasswordCredential=$work/creds/imap-password

[Mailbox old]
URL=imap://127.0.0.1:$old_port
StartTLS=no
User=alice
PasswordCredential=$work/creds/imap-password

[Mailbox dropping]
URL=imap://127.0.0.1:$drop_port
StartTLS=no
User=alice
PasswordCredential=$work/creds/imap-password
TimeoutSec=10

[Notifications]
AllowUser=aios-desk
AllowUser=aios-away
AllowUser=aios-stuck
TimeoutSec=1
EOF

start_commd() { # start_commd [SETPRIV OPTIONS...]
        AIOS_COMM_CONFIG=$work/comm.conf STATE_DIRECTORY=$work/state \
                setpriv --reuid=aios-comm --regid=aios-comm --init-groups "$@" -- "$commd" >>"$work/commd.log" 2>&1 &
        commd_pid=$!
        stack_wait_for_name org.aios.Communication1 "$commd_pid"
}
stop_commd() {
        kill "$commd_pid" 2>/dev/null || true
        wait "$commd_pid" 2>/dev/null || true
        commd_pid=
}
call() { # call TOOL ARGS: the tool's result as JSON text (a D-Bus error's message otherwise)
        local out
        if out=$(busctl "${bus[@]}" --json=short call org.aios.Communication1 /org/aios/MCP1 org.aios.MCP1 \
                CallTool ss "$1" "$2" 2>&1); then
                jq -r '.data[0]' <<<"$out"
        else
                echo "$out"
        fi
}
field() { jq -cr "$1" 2>/dev/null <<<"$2" || echo "(not JSON: ${2:0:300})"; }

start_commd

# --- listing ----------------------------------------------------------------------------------------------------
out=$(call comm_list_emails '{"mailbox":"work"}')
expect "comm_list_emails lists the folder's six messages (STARTTLS, AUTH from the credential)" '"total":6' "$out"
expect "newest first" 'Huge' "$(field '.structuredContent.messages[0].subject' "$out")"
expect "a From in encoded words is decoded" 'Renée <renee@example.com>' "$out"
expect "a Latin-1 subject is UTF-8" '"subject":"café plain"' "$out"
expect "two encoded words folded over two lines are one subject" '"subject":"Éléphant et souris"' "$out"
expect "a Latin-1 From" 'Jörg <jorg@example.com>' "$out"
expect "bytes that are not UTF-8 in a header become U+FFFD" '"subject":"Bad � bytes"' "$out"
expect "a seen message says so" 'true' "$(field '.structuredContent.messages[] | select(.subject == "café plain") | .seen' "$out")"
expect "Cc is listed" '"cc":"carol@example.com"' "$out"
expect "the text lists each by UID" 'UID ' "$(field '.content[0].text' "$out")"
uid() { field ".structuredContent.messages[] | select(.subject == \"$1\") | .uid" "$(call comm_list_emails '{"mailbox":"work"}')"; }
report=$(uid "Report attached")
plain=$(uid "café plain")
encoded=$(uid "Éléphant et souris")
bad=$(uid "Bad � bytes")
html=$(uid "HTML only")
huge=$(uid "Huge")

out=$(call comm_list_emails '{"mailbox":"work","limit":2,"offset":1}')
expect "a page: limit and offset, with the total" '"total":6,"offset":1' "$out"
expect "the page has two messages" "2" "$(field '.structuredContent.messages | length' "$out")"
expect "the second newest first on it" 'HTML only' "$(field '.structuredContent.messages[0].subject' "$out")"
out=$(call comm_list_emails '{"mailbox":"work","offset":6}')
expect "a page past the end is empty" '"messages":[]' "$out"
out=$(call comm_list_emails '{"mailbox":"work","search":{"subject":"Report"}}')
expect "a search by subject" '"total":1' "$out"
out=$(call comm_list_emails '{"mailbox":"work","search":{"from":"bob@example.com","since":"2020-01-01"}}')
expect "a search by sender and date" '"subject":"Report attached"' "$out"
out=$(call comm_list_emails '{"mailbox":"work","search":{"text":"café"}}')
expect "a search for non-ASCII text (CHARSET UTF-8)" '"total":1' "$out"
out=$(call comm_list_emails '{"mailbox":"work","search":{"unseen":true}}')
expect "unseen leaves out the seen one" '"total":5' "$out"
out=$(call comm_list_emails '{"mailbox":"work","search":{"subject":"x\" ALL DELETE"}}')
expect "a quote in a search term stays in the term" '"total":0' "$out"
out=$(call comm_list_emails '{"mailbox":"work","search":{"subject":"a\r\nA1 LOGOUT"}}')
expect "CR/LF in a search term is refused" "line break" "$out"
out=$(call comm_list_emails '{"mailbox":"work","folder":"Archive"}')
expect "a folder that does not exist: the server's answer" "The folder Archive of the mailbox work cannot be opened: NO Mailbox doesn't exist" "$out"
out=$(call comm_list_emails '{"mailbox":"work","folder":"INBOX*"}')
expect "a wildcard in a folder is refused" "wildcards" "$out"

# --- reading ---------------------------------------------------------------------------------------------------
out=$(call comm_read_email "{\"mailbox\":\"work\",\"uid\":$plain}")
expect "comm_read_email gives the body as text" 'the coffee is ready.' "$(field .structuredContent.text "$out")"
expect "with the decoded headers" '"from":"Renée <renee@example.com>"' "$out"
out=$(call comm_read_email "{\"mailbox\":\"work\",\"uid\":$report}")
expect "multipart: the plain alternative, quoted-printable decoded, soft line breaks joined" \
        'voici le résultat de la semaine, avec une ligne très longue.' "$(field .structuredContent.text "$out")"
reject "not the HTML alternative" 'HTML' "$(field .structuredContent.text "$out")"
expect "the attachment is listed with its RFC 2231 name" '"filename":"résumé.txt"' "$out"
expect "its decoded size" '"size":16' "$(field '.structuredContent.attachments[0]' "$out")"
reject "its contents only when asked" '"data"' "$out"
out=$(call comm_read_email "{\"mailbox\":\"work\",\"uid\":$report,\"download_attachments\":[0]}")
expect "an attachment asked for comes in base64" "\"data\":\"$(printf 'hello attachment' | base64 -w0)\"" "$out"
out=$(call comm_read_email "{\"mailbox\":\"work\",\"uid\":$report,\"download_attachments\":[1]}")
expect "an attachment over MaxAttachmentSize= is refused" "more than the 1024 bytes" "$out"
out=$(call comm_read_email "{\"mailbox\":\"work\",\"uid\":$report,\"download_attachments\":[5]}")
expect "an attachment that is not there" "has no attachment 5" "$out"
out=$(call comm_read_email "{\"mailbox\":\"capped\",\"uid\":$report,\"download_attachments\":[0]}")
expect "attachments of a mailbox without DownloadAttachments= stay on the server" "DownloadAttachments=" "$out"
out=$(call comm_read_email "{\"mailbox\":\"work\",\"uid\":$encoded}")
expect "encoded headers decoded in a read" '"subject":"Éléphant et souris"' "$out"
out=$(call comm_read_email "{\"mailbox\":\"work\",\"uid\":$bad}")
expect "a body with bytes that are not UTF-8: replaced, the rest kept" 'caf� �� end�' "$(field .structuredContent.text "$out")"
out=$(call comm_read_email "{\"mailbox\":\"work\",\"uid\":$html}")
expect "an HTML-only message as text, entities decoded, from Latin-1" 'Hello world & friends été' "$(field .structuredContent.text "$out")"
expect "it says the text came from HTML" '"text_from_html":true' "$out"
reject "scripts are not text" 'evil' "$(field .structuredContent.text "$out")"
reject "styles are not text" 'color' "$(field .structuredContent.text "$out")"
out=$(call comm_read_email "{\"mailbox\":\"work\",\"uid\":$huge}")
expect "a large message under the cap is read whole" 'line 7999 of the long text' "$out"
expect "with its last attachment complete" '"filename":"late.pdf","content_type":"application/pdf","size":3,"complete":true' "$out"
out=$(call comm_read_email "{\"mailbox\":\"capped\",\"uid\":$huge}")
expect "over MaxMessageSize= only the start is read" '"truncated":true' "$out"
expect "and the text says how much" "only its first 4096 were read" "$out"
reject "the rest never came" 'line 7999' "$out"
out=$(call comm_list_emails '{"mailbox":"work","folder":"Long"}')
expect "another folder than INBOX" '"subject":"One long line"' "$out"
out=$(call comm_list_emails '{"mailbox":"work","folder":"Entwürfe"}')
expect "a folder named in UTF-8 (modified UTF-7 on the wire)" '"subject":"Draft"' "$out"
out=$(call comm_list_emails '{"mailbox":"work","folder":"Many","limit":60}')
expect "a page larger than one FETCH of headers is whole" "60" "$(field '.structuredContent.messages | length' "$out")"
expect "in order across the batches" "Many 60 Many 35 Many 34 Many 1" \
        "$(field '[.structuredContent.messages[0,25,26,59].subject] | join(" ")' "$out")"
out=$(call comm_read_email '{"mailbox":"work","folder":"Long","uid":1}')

expect "a line longer than curl takes in one answer is read whole (in pieces)" 'end of the long line' "$out"
out=$(call comm_read_email '{"mailbox":"work","uid":999}')
expect "a UID that is not there" "has no message with UID 999" "$out"
list=$(call comm_list_emails '{"mailbox":"work","search":{"unseen":true}}')
expect "reading marked nothing as seen" '"total":5' "$list"

# --- refusals ---------------------------------------------------------------------------------------------------
out=$(call comm_list_emails '{"mailbox":"personal"}')
expect "a mailbox not configured is refused, naming the configured ones" \
        "no mailbox named personal. The administrator configured work, capped, cleartext, garbage, old, dropping" "$out"
out=$(call comm_list_emails '{"mailbox":"cleartext"}')
expect "a server without STARTTLS gets no login" "does not offer STARTTLS" "$out"
reject "and never saw the password" "AUTHENTICATE" "$(cat "$work/peer.log" 2>/dev/null)"
out=$(call comm_list_emails '{"mailbox":"garbage"}')
expect "a SEARCH answer that is not IMAP is refused" "answered the SEARCH with something that is not IMAP" "$out"
out=$(call comm_read_email '{"mailbox":"garbage","uid":1}')
expect "a literal longer than the answer is refused" "something that is not IMAP" "$out"
out=$(call comm_list_emails '{"mailbox":"old","limit":2}')
expect "a server without ESEARCH is asked with a plain SEARCH" '"total":3' "$out"
expect "and its page is the newest two" '"subject":"old 3"' "$(field '.structuredContent.messages[0]' "$out")"
out=$(call comm_read_email '{"mailbox":"dropping","uid":1}')
expect "a server dropping the connection mid-answer is an error" "could not be read" "$out"
request='{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"comm_list_emails","arguments":{"mailbox":"work"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"}}}}'
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups busctl "${bus[@]}" call org.aios.Communication1 \
        /org/aios/MCP1 org.aios.MCP1 Call 'sa{sv}' "$request" 0 2>&1 || true)
expect "polkit refuses reading to a caller without the grant" "Access denied" "$out"
reject "and nothing was read" "renee@example.com" "$out"

# --- notifications: without the capabilities the drop-in gives, then with them --------------------------------
out=$(call comm_notify_user '{"user":"aios-desk","summary":"Build done"}')
expect "without CAP_SETUID the tool says what the unit lacks" "does not give it CAP_SETUID and CAP_SETGID" "$out"
stop_commd
start_commd --inh-caps=+setuid,+setgid --ambient-caps=+setuid,+setgid
out=$(call comm_notify_user '{"user":"aios-desk","summary":"Build done","body":"All 42 tests passed — ünïcode","urgency":"critical"}')
expect "comm_notify_user reaches the user's notification daemon" '"user":"aios-desk"' "$out"
expect "with the notification's id" '"id":' "$out"
for ((i = 0; i < 50; i++)); do grep -q 'Build done' "$work/notifications.log" && break; sleep 0.1; done
log=$(cat "$work/notifications.log")
expect "the daemon received Notify with the summary and body" '"Build done" "All 42 tests passed — ünïcode"' "$log"
expect "from aios, with the urgency" 'Notify "aios" 0 "" ' "$log"
out=$(call comm_notify_user '{"user":"aios-away","summary":"x"}')
expect "a user without a session bus has no graphical session" "aios-away has no graphical session" "$out"
out=$(call comm_notify_user '{"user":"aios-stuck","summary":"x"}')
expect "a session bus that never answers: the helper ends itself after TimeoutSec=" "aios-stuck did not answer within TimeoutSec=" "$out"
out=$(call comm_notify_user '{"user":"aios-desk","summary":"After the stuck one"}')
expect "and the next notification goes through" '"user":"aios-desk"' "$out"
out=$(call comm_notify_user '{"user":"root","summary":"x"}')
expect "a user not allowed is refused" "root is not among the users the administrator allows" "$out"
out=$(call comm_notify_user '{"user":"aios-desk","summary":"a\u0000b"}')
expect "a summary with a NUL is refused" "not valid UTF-8" "$out"
kill "$notifier"
wait "$notifier" 2>/dev/null || true
out=$(call comm_notify_user '{"user":"aios-desk","summary":"nobody listens"}')
expect "a session bus without a notification service says so" "no notification service" "$out"
request='{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"comm_notify_user","arguments":{"user":"aios-desk","summary":"x"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"}}}}'
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups busctl "${bus[@]}" call org.aios.Communication1 \
        /org/aios/MCP1 org.aios.MCP1 Call 'sa{sv}' "$request" 0 2>&1 || true)
expect "polkit refuses notifying to a caller without the grant" "Access denied" "$out"
stop_commd

out=$(cat "$work/commd.log")
reject "no system call was refused by aios-commd's filter" "SIGSYS" "$out"
# With a build made with -Db_sanitize=address,undefined (AIOS_COMMD naming its aios-commd), what they found.
reject "no memory error or leak found by AddressSanitizer" "Sanitizer" "$out"
reject "no undefined behaviour" "runtime error:" "$out"

echo "1..$checks"
if ((failures > 0)); then
        echo "--- commd.log"; tail -n 40 "$work/commd.log"
        echo "--- dovecot.log"; tail -n 20 "$work/dovecot.log"
        echo "--- peer.log"; tail -n 20 "$work/peer.log"
        echo "--- dbusmock.log"; tail -n 20 "$work/dbusmock.log"
fi
[[ $failures -eq 0 ]]
