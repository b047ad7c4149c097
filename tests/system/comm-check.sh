#!/usr/bin/env bash
# aios-commd in a booted Debian 12 (aios installed with `meson install`, booted with systemd-nspawn --boot),
# under its unit's hardening and seccomp list: D-Bus activation, a message delivered to an SMTP sink in the
# container (Python's smtpd), the outbox in /var/lib/aios-comm surviving SIGKILL of the service and
# delivered once the sink is back, a mailbox read from a Dovecot in the container (STARTTLS, the password as
# a credential of the unit), a desktop notification refused under the shipped unit and shown with the
# drop-in aios-commd(8) gives (to python3-dbusmock's notification daemon on a user's session bus), polkit
# refusing an unprivileged caller, and nothing killed by a filter.
# usage: comm-check.sh SOURCE_DIR   (runs as root; exit 77 where systemd-nspawn cannot run)
set -euo pipefail

src=$(cd "${1:?usage: comm-check.sh SOURCE_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
name=comm-check.sh
# shellcheck source=tests/system/lib.sh
. "$here/lib.sh"
system_boot_installed

call() { # call USER TOOL ARGUMENTS: CallTool on org.aios.Communication1 as USER
        local user=$1
        shift
        local cmd=(busctl call org.aios.Communication1 /org/aios/MCP1 org.aios.MCP1 CallTool ss "$@")
        [[ $user == root ]] || cmd=(runuser -u "$user" -- "${cmd[@]}")
        boot_exec "${cmd[@]}" 2>&1 || true
}
id_of() { sed -n 's/.*\\"id\\":\\"\([0-9a-f]*\)\\".*/\1/p' <<<"$1" | head -n 1; }
# wait_for DESCRIPTION COMMAND...: until the command succeeds in the container (30 s)
wait_for() {
        local what=$1 i
        shift
        for ((i = 0; i < 300; i++)); do
                boot_exec "$@" >/dev/null 2>&1 && { pass "$what"; return 0; }
                sleep 0.1
        done
        fail "$what" "$(boot_exec journalctl -u aios-commd -u smtp-sink --no-pager -n 30 2>&1 || true)"
}

# --- installation -------------------------------------------------------------------------------------------
out=$(boot_exec systemd-analyze verify --man=no /usr/lib/systemd/system/aios-commd.service \
        /usr/lib/systemd/system/aios-commd.socket 2>&1 || true)
[[ -z $out ]] && pass "systemd-analyze verify reports nothing for aios-commd's units" ||
        fail "systemd-analyze verify reports nothing for aios-commd's units" "$out"
score=$(boot_exec systemd-analyze security aios-commd.service 2>/dev/null |
        sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
echo "# systemd-analyze security aios-commd.service: $score"
if awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.0) }'; then
        pass "aios-commd.service scores $score (2.0 or lower)"
else
        fail "aios-commd.service scores $score (2.0 or lower)"
fi
out=$(boot_exec cat /etc/aios/comm.conf 2>&1 || true)
expect "comm.conf is installed with its settings commented out" "#Allow=" "$out"

# An SMTP sink in the container that writes each message to /run/smtp-sink/N.eml.
boot_sh 'mkdir -p /run/smtp-sink && cat >/run/smtp-sink.py' <<'PY'
import asyncore, os, smtpd, sys, warnings
warnings.simplefilter('ignore')
class Sink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kw):
        n = len([f for f in os.listdir('/run/smtp-sink') if f.endswith('.eml')]) + 1
        with open('/run/smtp-sink/%d.tmp' % n, 'wb') as f:
            f.write(('X-Rcpt-To: %s\n' % ' '.join(rcpttos)).encode() + data)
        os.rename('/run/smtp-sink/%d.tmp' % n, '/run/smtp-sink/%d.eml' % n)
Sink(('127.0.0.1', 2525), None)
asyncore.loop()
PY
boot_sh 'cat >/etc/aios/comm.conf' <<'CONF'
[SMTP]
URL=smtp://127.0.0.1:2525
StartTLS=no
From=aios@example.com

[Recipients]
Allow=@example.com

[Outbox]
RetryMinSec=1
RetryMaxSec=2
CONF
boot_exec systemd-run --unit=smtp-sink python3 /run/smtp-sink.py >/dev/null
boot_exec systemctl start aios-commd.socket

# --- delivery under the unit's sandbox ----------------------------------------------------------------------
out=$(call root comm_send_email '{"to":["alice@example.com"],"subject":"booted","text":"from the sandbox"}')
expect "a call to org.aios.Communication1 starts aios-commd and the message is accepted" '\"state\":\"queued\"' "$out"
out=$(boot_exec systemctl show -P User aios-commd.service 2>&1 || true)
expect "it runs as aios-comm" "aios-comm" "$out"
wait_for "the sink receives it (outbound TCP, RestrictAddressFamilies=, the seccomp list)" test -e /run/smtp-sink/1.eml
out=$(boot_exec cat /run/smtp-sink/1.eml 2>&1 || true)
expect "with its subject and recipient" "Subject: booted" "$out"
out=$(call root comm_outbox '{"state":"sent"}')
expect "comm_outbox says sent" '\"subject\":\"booted\"' "$out"
out=$(call root comm_send_email '{"to":["mallory@evil.example"],"subject":"x","text":"x"}')
expect "a recipient off the allow-list is refused" "mallory@evil.example is not on" "$out"
out=$(call nobody comm_send_email '{"to":["alice@example.com"],"subject":"x","text":"x"}')
expect "polkit refuses an unprivileged caller without a session" "Access denied" "$out"

# --- the outbox across SIGKILL --------------------------------------------------------------------------------
boot_exec systemctl stop smtp-sink
out=$(call root comm_send_email '{"to":["bob@example.com"],"subject":"survives","text":"queued while the sink is down"}')
id=$(id_of "$out")
expect "accepted while the SMTP server is down" '\"state\":\"queued\"' "$out"
out=$(boot_exec ls /var/lib/aios-comm/outbox 2>&1 || true)
expect "its files are in the state directory" "$id.state" "$out"
pid=$(boot_exec systemctl show -P MainPID aios-commd.service)
boot_exec systemctl kill --signal=SIGKILL aios-commd.service
wait_for "aios-commd is gone after SIGKILL" sh -c "! kill -0 $pid"
boot_exec systemd-run --unit=smtp-sink python3 /run/smtp-sink.py >/dev/null
out=$(call root comm_outbox '{}')
expect "after a restart through D-Bus activation the outbox still has it" "$id" "$out"
wait_for "and it is delivered" test -e /run/smtp-sink/2.eml
out=$(boot_exec cat /run/smtp-sink/2.eml 2>&1 || true)
expect "the delivered message is the one queued before SIGKILL" "Subject: survives" "$out"

# --- reading a mailbox: Dovecot in the container on 127.0.0.1:1143, STARTTLS with a CA of the test's ------------
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
        -keyout "$work/imap-key.pem" -out "$work/imap-cert.pem" >/dev/null 2>&1
boot_sh 'mkdir -p /run/imap-test/run /run/imap-test/home/alice/Maildir/cur /run/imap-test/home/alice/Maildir/new \
        /run/imap-test/home/alice/Maildir/tmp && cat >/etc/aios/imap-ca.pem' <"$work/imap-cert.pem"
boot_sh 'umask 077 && cat >/run/imap-test/key.pem' <"$work/imap-key.pem"
boot_sh 'cat >"/run/imap-test/home/alice/Maildir/cur/1700000001.M1P1.test:2,"' <<'MAIL'
From: Booted Sender <sender@example.com>
To: alice@example.com
Subject: =?UTF-8?Q?Mail_in_the_container?=
Date: Mon, 30 Nov 2026 10:00:00 +0000
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Read through the unit's sandbox=2E
MAIL
boot_sh 'cat >/run/imap-test/dovecot.conf' <<'CONF'
base_dir = /run/imap-test/run
log_path = /dev/stderr
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = </etc/aios/imap-ca.pem
ssl_key = </run/imap-test/key.pem
ssl_dh = </usr/share/dovecot/dh.pem
disable_plaintext_auth = yes
auth_mechanisms = plain
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u /run/imap-test/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=/run/imap-test/home/%u
}
mail_location = maildir:~/Maildir
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = 1143
  }
  inet_listener imaps {
    port = 0
  }
}
CONF
boot_sh 'printf "alice:{PLAIN}imap-s3cret\n" >/run/imap-test/passwd && chown -R nobody:nogroup /run/imap-test/home'
boot_exec systemd-run --unit=imap-test dovecot -F -c /run/imap-test/dovecot.conf >/dev/null
wait_for "Dovecot listens in the container" bash -c 'exec 3<>/dev/tcp/127.0.0.1/1143'
# The password as the unit's credential, loaded by a drop-in (LoadCredential=), as comm.conf(5) says.
boot_sh 'mkdir -p -m 0700 /etc/credstore && printf "imap-s3cret\n" >/etc/credstore/imap-alice &&
        mkdir -p /etc/systemd/system/aios-commd.service.d &&
        printf "[Service]\nLoadCredential=imap-alice\n" >/etc/systemd/system/aios-commd.service.d/imap.conf &&
        printf "\n[Mailbox inbox]\nURL=imap://127.0.0.1:1143\nCAFile=/etc/aios/imap-ca.pem\nUser=alice\nPasswordCredential=imap-alice\n" >>/etc/aios/comm.conf &&
        printf "\n[Notifications]\nAllowUser=desk\n" >>/etc/aios/comm.conf &&
        systemctl daemon-reload && systemctl stop aios-commd.service'
out=$(call root comm_list_emails '{"mailbox":"inbox"}')
expect "comm_list_emails reads the mailbox under the unit's hardening (STARTTLS, the credential)" "Mail in the container" "$out"
expect "with the sender decoded" "Booted Sender <sender@example.com>" "$out"
out=$(call root comm_read_email '{"mailbox":"inbox","uid":1}')
expect "comm_read_email gives its text, quoted-printable decoded" "Read through the unit" "$out"
expect "to its end" "sandbox.\\\\n" "$out"
out=$(call nobody comm_read_email '{"mailbox":"inbox","uid":1}')
expect "polkit refuses reading to an unprivileged caller" "Access denied" "$out"
reject "who gets nothing of the message" "sandbox." "$out"

# --- a desktop notification: refused by the shipped unit, shown with the drop-in of aios-commd(8) --------------
# The user desk with a session bus at /run/user/UID/bus and python3-dbusmock's notification daemon on it.
boot_sh 'useradd -m -u 1500 desk && install -d -m 0700 -o desk -g desk /run/user/1500'
boot_exec systemd-run --unit=desk-bus --uid=desk --gid=desk dbus-daemon --session \
        --address=unix:path=/run/user/1500/bus --nofork >/dev/null
wait_for "desk's session bus is up" test -S /run/user/1500/bus
boot_exec systemd-run --unit=desk-notifications --uid=desk --gid=desk \
        -E DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1500/bus \
        python3 -m dbusmock --session --template notification_daemon --logfile /run/user/1500/notifications.log >/dev/null
wait_for "desk's notification daemon is up" runuser -u desk -- env DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1500/bus \
        busctl --user status org.freedesktop.Notifications
out=$(call root comm_notify_user '{"user":"desk","summary":"Booted hello"}')
expect "the shipped unit cannot reach a user's session bus, and says why" "does not give it CAP_SETUID and CAP_SETGID" "$out"
# The drop-in, as aios-commd(8) has it.
sed -n '/^# NOTIFICATIONS/,/^# FILES/p' "$src/man/aios-commd.8.scd" | sed -n '/^```$/,/^```$/p' | sed '/^```$/d' |
        boot_sh 'cat >/etc/systemd/system/aios-commd.service.d/notify.conf && systemctl daemon-reload &&
                systemctl stop aios-commd.service'
out=$(boot_exec cat /etc/systemd/system/aios-commd.service.d/notify.conf 2>&1 || true)
expect "the drop-in is the man page's" "AmbientCapabilities=CAP_SETUID CAP_SETGID" "$out"
out=$(call root comm_notify_user '{"user":"desk","summary":"Booted hello","body":"from the unit"}')
expect "with the drop-in comm_notify_user reaches desk's notification daemon" 'Notified desk on their desktop' "$out"
wait_for "the notification daemon received it" grep -q 'Booted hello' /run/user/1500/notifications.log
out=$(call root comm_notify_user '{"user":"root","summary":"x"}')
expect "a user not allowed is refused" "root is not among the users" "$out"
out=$(boot_exec nsenter -t "$(boot_exec systemctl show -P MainPID aios-commd.service)" -m stat -c 'mode %a' /home \
        /root 2>&1 || true)
expect "/home and /root stay inaccessible to the server with the drop-in (InaccessiblePaths=)" "mode 0
mode 0" "$out"
score=$(boot_exec systemd-analyze security aios-commd.service 2>/dev/null |
        sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
echo "# systemd-analyze security aios-commd.service with the notification drop-in: $score"

out=$(boot_exec journalctl -u aios-commd --no-pager -o cat 2>&1 || true)
reject "no system call was refused or killed by a filter" "SIGSYS" "$out"
reject "nothing failed for lack of a permission" "Operation not permitted" "$out"

echo "1..$checks"
[[ $failures -eq 0 ]]
