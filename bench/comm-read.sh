#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Measures aios-commd reading mail from a real IMAP server: Dovecot on loopback (STARTTLS, as a mailbox is
# configured by default) with a folder of 1,000 small messages and one of 5 MB (a text and a 4.5 MB
# attachment), each tool called over the system bus with busctl, the p50 and best of RUNS calls as the
# client sees them (busctl's own start included: the comm_outbox row, which reaches no IMAP server, shows
# that floor), and the server's peak RSS after all of them.
#
# usage: bench/comm-read.sh [BUILD_DIR]   (default: build); RUNS=N (10). aios-commd runs on a private system
# bus with polkitd (tools/dev-services.sh; so run it as root), Dovecot as nobody. Prints figures; it asserts
# nothing.
set -euo pipefail

build=$(cd "${1:-build}" && pwd)
commd=$build/src/comm/aios-commd
runs=${RUNS:-10}
source_dir=$(cd "$(dirname "$0")/.." && pwd)
[[ -x $commd ]] || { echo "no $commd: build first (meson compile -C $build)" >&2; exit 1; }
[[ -x /usr/sbin/dovecot ]] || { echo "no Dovecot: apt-get install dovecot-imapd" >&2; exit 1; }
if [[ -z ${AIOS_DEV_SERVICES_RUNTIME:-} ]]; then
        [[ $(id -u) -eq 0 ]] || { echo "run as root: the server runs on a private bus with polkitd" >&2; exit 1; }
        AIOS_BUILD_DIR=$build exec "$source_dir/tools/dev-services.sh" -- "$0" "$@"
fi
bus=(--address="$DBUS_SYSTEM_BUS_ADDRESS")

work=$(mktemp -d /tmp/comm-read-bench.XXXXXX)
chmod 0755 "$work"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT

free_port() {
        local p
        while :; do
                p=$((20000 + RANDOM % 12000))
                (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
        done
}

# The mailbox: INBOX with 1,000 messages of a few hundred bytes, Big with one of 5 MB.
maildir=$work/home/bench/Maildir
mkdir -p "$maildir"/{cur,new,tmp} "$maildir/.Big"/{cur,new,tmp}
for ((i = 1; i <= 1000; i++)); do
        printf 'From: sender%d@example.com\nTo: bench@example.com\nSubject: Message %d\nDate: Mon, 30 Nov 2026 10:00:00 +0000\n\nThe body of message %d.\n' \
                "$i" "$i" "$i" >"$maildir/cur/$((1700000000 + i)).M${i}P1.bench:2,"
done
{
        printf 'From: big@example.com\nTo: bench@example.com\nSubject: Big\nMIME-Version: 1.0\n'
        printf 'Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; charset=utf-8\n\n'
        for ((i = 0; i < 5000; i++)); do printf 'Line %d of the text of the big message.\n' "$i"; done
        printf -- '--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=data.bin\n'
        printf 'Content-Transfer-Encoding: base64\n\n'
        head -c 4500000 /dev/urandom | base64 -w 76
        printf -- '--b--\n'
} >"$maildir/.Big/cur/1700002000.M1P1.bench:2,"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
        -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1
chmod 0644 "$work/cert.pem" "$work/key.pem"
port=$(free_port)
mkdir -p "$work/run" "$work/state"
cat >"$work/dovecot.conf" <<EOF
base_dir = $work/run
state_dir = $work/state
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
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $work/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$work/home/%u
}
mail_location = maildir:~/Maildir
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
EOF
printf 'bench:{PLAIN}bench\n' >"$work/passwd"
printf 'bench\n' >"$work/password"
chown -R nobody:nogroup "$work/home" "$work/run" "$work/state" "$work/passwd"
chown aios-comm "$work/password"
setpriv --reuid=nobody --regid=nogroup --clear-groups -- /usr/sbin/dovecot -F -c "$work/dovecot.conf" \
        2>"$work/dovecot.log" &
pids+=($!)

mkdir -p "$work/comm-state"
chown aios-comm:aios-comm "$work/comm-state"
cat >"$work/comm.conf" <<EOF
[Mailbox bench]
URL=imap://127.0.0.1:$port
CAFile=$work/cert.pem
User=bench
PasswordCredential=$work/password
MaxMessageSize=16M
DownloadAttachments=yes
MaxAttachmentSize=8M
EOF
AIOS_COMM_CONFIG=$work/comm.conf STATE_DIRECTORY=$work/comm-state AIOS_SECCOMP_DIR=$source_dir/seccomp \
        setpriv --reuid=aios-comm --regid=aios-comm --init-groups -- "$commd" --log-level=warning 2>"$work/commd.log" &
commd_pid=$!
pids+=("$commd_pid")
for ((i = 0; i < 100; i++)); do
        busctl "${bus[@]}" status org.aios.Communication1 >/dev/null 2>&1 && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        kill -0 "$commd_pid" 2>/dev/null || { echo "aios-commd did not start" >&2; cat "$work/commd.log" >&2; exit 1; }
        sleep 0.1
done

# row LABEL TOOL ARGUMENTS: p50 and best of RUNS calls after one to warm up, and the answer's size.
row() {
        local label=$1 tool=$2 args=$3 times=() i t0 t1 out
        for ((i = 0; i <= runs; i++)); do
                t0=$(date +%s%N)
                out=$(busctl "${bus[@]}" --json=short call org.aios.Communication1 /org/aios/MCP1 org.aios.MCP1 \
                        CallTool ss "$tool" "$args")
                t1=$(date +%s%N)
                [[ $out != *'isError\":true'* && $out != *'"isError":true'* ]] ||
                        { echo "$label: ${out:0:300}" >&2; exit 1; }
                ((i == 0)) || times+=($(((t1 - t0) / 1000)))
        done
        python3 -c 'import statistics, sys
t = sorted(int(x) for x in sys.argv[3:])
print(f"{sys.argv[1]:<40} {statistics.median(t) / 1000:9.1f} {t[0] / 1000:9.1f} {int(sys.argv[2]) / 1048576:9.2f}")' \
                "$label" "${#out}" "${times[@]}"
}

echo "Dovecot $(/usr/sbin/dovecot --version | cut -d' ' -f1) on loopback with STARTTLS; $runs calls per row after one; load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
printf '%-40s %9s %9s %9s\n' call "p50 ms" "best ms" "answer MB"
row "comm_outbox (no IMAP: the floor)" comm_outbox '{}'
row "comm_list_emails, 20 of 1,000" comm_list_emails '{"mailbox":"bench","limit":20}'
row "comm_list_emails, 100 of 1,000, page 5" comm_list_emails '{"mailbox":"bench","limit":100,"offset":400}'
row "comm_list_emails, search subject" comm_list_emails '{"mailbox":"bench","search":{"subject":"Message 77"}}'
row "comm_read_email, 200 bytes" comm_read_email '{"mailbox":"bench","uid":500}'
row "comm_read_email, 5 MB, attachment listed" comm_read_email '{"mailbox":"bench","folder":"Big","uid":1}'
row "comm_read_email, 5 MB, attachment returned" comm_read_email '{"mailbox":"bench","folder":"Big","uid":1,"download_attachments":[0]}'
echo "aios-commd: peak RSS $(awk '/VmHWM/ { printf "%.1f MB", $2 / 1024 }' "/proc/$commd_pid/status"), now $(awk '/VmRSS/ { printf "%.1f MB", $2 / 1024 }' "/proc/$commd_pid/status")"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) after"
