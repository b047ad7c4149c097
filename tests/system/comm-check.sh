#!/usr/bin/env bash
# aios-commd in a booted Debian 12 (aios installed with `meson install`, booted with systemd-nspawn --boot),
# under its unit's hardening and seccomp list: D-Bus activation, a message delivered to an SMTP sink in the
# container (Python's smtpd), the outbox in /var/lib/aios-comm surviving SIGKILL of the service and
# delivered once the sink is back, polkit refusing an unprivileged caller, and nothing killed by a filter.
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

out=$(boot_exec journalctl -u aios-commd --no-pager -o cat 2>&1 || true)
reject "no system call was refused or killed by a filter" "SIGSYS" "$out"
reject "nothing failed for lack of a permission" "Operation not permitted" "$out"

echo "1..$checks"
[[ $failures -eq 0 ]]
