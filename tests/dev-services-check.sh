#!/usr/bin/env bash
# Checks tools/dev-services.sh: it brings up a private system bus with polkitd on it, polkitd applies the
# project's polkit files, and nothing is left behind when the command it runs returns.
#
# usage: tests/dev-services-check.sh
# Exit status: 0 pass, 1 fail (with a message), 77 skip (not root, no unshare, no polkitd, ...).
#
# What runs inside the stack, as the command:
#   - org.freedesktop.PolicyKit1 is on the private bus, and DBUS_SYSTEM_BUS_ADDRESS points there;
#   - pkcheck as root: authorized for org.aios.conformance.call (polkitd authorizes uid 0 itself);
#   - pkcheck as nobody: not authorized (exit 1: allow_any is "no", and nobody is in no session);
#   - with the service users in /etc/passwd inside the stack's mount namespace only:
#     pkcheck as aios-gateway without details is not authorized (no blanket grant); aios-conformance
#     may check a nobody process with details (exit 1, "not authorized") where nobody may not (exit 127,
#     "Only trusted callers ..."), which only the owner annotation in polkit/org.aios.policy grants; and
#     polkit/50-aios.rules authorizes a gateway process for a principal whose scopes cover the tool, not
#     for another backend's scope, nor for anonymous.
# Afterwards: dbus-daemon and polkitd of the stack are gone, the runtime directory is gone, and no
# mount of it is visible here.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
action=org.aios.conformance.call

skip() {
        echo "SKIP: $*"
        exit 77
}
fail() {
        echo "FAIL: $*"
        exit 1
}

[[ $EUID -eq 0 ]] || skip "needs root (tools/dev-services.sh runs polkitd, which switches to its own user)"
for tool in unshare setpriv dbus-daemon busctl pkcheck; do
        command -v "$tool" >/dev/null || skip "$tool not installed"
done
[[ -x /usr/lib/polkit-1/polkitd ]] || skip "polkitd not installed (/usr/lib/polkit-1/polkitd)"
getent passwd polkitd >/dev/null || skip "user polkitd missing"
unshare --mount --propagation private true 2>/dev/null || skip "unshare --mount fails here (no CAP_SYS_ADMIN?)"

work=$(mktemp -d /tmp/aios-dev-check.XXXXXX)
chmod 0755 "$work" # polkitd (user polkitd) and nobody connect to the bus socket in there
trap 'rm -rf -- "$work"' EXIT
runtime=$work/runtime # created and removed by dev-services.sh

# The checks, run by dev-services.sh inside its namespace. They write what they find to $work/result,
# and the daemons' pids to $work/pids, and fail with a message on stdout.
cat >"$work/checks.sh" <<'EOF'
set -uo pipefail
work=$1 action=$2
A=$DBUS_SYSTEM_BUS_ADDRESS
bad() { echo "$*"; exit 1; }
pid_of() {
        busctl --address="$A" call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
                GetConnectionUnixProcessID s "$1" | awk '{print $2}'
}
as() { # USER CMD...: run CMD as USER, with no supplementary groups
        local user=$1
        shift
        setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups -- "$@"
}
pkcheck_as() { # USER [ARGS...]: pkcheck on its own process as USER; prints the exit status
        local user=$1
        shift
        as "$user" sh -c 'exec pkcheck --action-id "$0" --process $$ "$@"' "$action" "$@" >/dev/null 2>&1
        echo $?
}

[[ $A == unix:path=$AIOS_DEV_SERVICES_RUNTIME/system_bus_socket,* ]] || bad "DBUS_SYSTEM_BUS_ADDRESS is $A"
busctl --address="$A" call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
        NameHasOwner s org.freedesktop.PolicyKit1 | grep -qx 'b true' || bad "org.freedesktop.PolicyKit1 is not on the bus"
echo "$(pid_of org.freedesktop.DBus) $(pid_of org.freedesktop.PolicyKit1)" >"$work/pids"

rc=$(pkcheck_as root); [[ $rc == 0 ]] || bad "pkcheck as root: exit $rc, want 0 (authorized)"
rc=$(pkcheck_as nobody); [[ $rc == 1 ]] || bad "pkcheck as nobody: exit $rc, want 1 (not authorized)"

# The service users, in this namespace only: copies of passwd and group mounted over the real ones.
for db in passwd group; do
        cp "/etc/$db" "$work/$db"
done
uid=900
for user in aios-gateway aios-conformance; do
        getent passwd "$user" >/dev/null && continue # the stack has added it already
        while getent passwd "$uid" >/dev/null || getent group "$uid" >/dev/null; do uid=$((uid + 1)); done
        echo "$user:x:$uid:$uid::/nonexistent:/usr/sbin/nologin" >>"$work/passwd"
        echo "$user:x:$uid:" >>"$work/group"
        uid=$((uid + 1))
done
mount --bind "$work/passwd" /etc/passwd && mount --bind "$work/group" /etc/group || bad "cannot mount over /etc/passwd"

rc=$(pkcheck_as aios-gateway); [[ $rc == 1 ]] || bad "pkcheck as aios-gateway without details: exit $rc, want 1 (no blanket grant)"
rc=$(pkcheck_as aios-conformance); [[ $rc == 1 ]] || bad "pkcheck as aios-conformance: exit $rc, want 1"
setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups -- sleep 30 </dev/null >/dev/null 2>&1 &
subject=$!
trap 'kill "$subject" 2>/dev/null' EXIT
for ((i = 0; i < 500; i++)); do # until it runs as nobody: before that it is a root process
        [[ $(stat -c %u "/proc/$subject") == "$(id -u nobody)" ]] && break
        sleep 0.01
done
rc=0; as aios-conformance pkcheck --action-id "$action" --process "$subject" --detail tool test_simple_text >/dev/null 2>&1 || rc=$?
[[ $rc == 1 ]] || bad "aios-conformance checking a nobody process with details: exit $rc, want 1 (owner annotation)"
rc=0; as nobody pkcheck --action-id "$action" --process "$$" --detail tool test_simple_text >/dev/null 2>&1 || rc=$?
[[ $rc == 127 ]] || bad "nobody checking a root process with details: exit $rc, want 127 (not a trusted caller)"

# 50-aios.rules: the gateway's user gets what an authenticated principal's scopes cover, nothing for
# anonymous. Asked as the server would: by aios-conformance (the action's owner), about a gateway process.
setpriv --reuid=aios-gateway --regid="$(id -g aios-gateway)" --clear-groups -- sleep 30 </dev/null >/dev/null 2>&1 &
gateway=$!
trap 'kill "$subject" "$gateway" 2>/dev/null' EXIT
for ((i = 0; i < 500; i++)); do
        [[ $(stat -c %u "/proc/$gateway") == "$(id -u aios-gateway)" ]] && break
        sleep 0.01
done
gateway_check() { # PRINCIPAL SCOPES: pkcheck's exit status
        local rc=0
        as aios-conformance pkcheck --action-id "$action" --process "$gateway" --detail tool test_simple_text \
                --detail principal "$1" --detail scopes "$2" --detail backend conformance >/dev/null 2>&1 || rc=$?
        echo "$rc"
}
rc=$(gateway_check key:ops tools:conformance); [[ $rc == 0 ]] || bad "a key with tools:conformance: exit $rc, want 0"
rc=$(gateway_check key:ops tools:conformance:test_simple_text); [[ $rc == 0 ]] || bad "a key with the tool's scope: exit $rc, want 0"
rc=$(gateway_check key:ops tools:other); [[ $rc == 1 ]] || bad "a key with another backend's scope: exit $rc, want 1"
rc=$(gateway_check anonymous "tools:* admin"); [[ $rc == 1 ]] || bad "anonymous, whatever its scopes: exit $rc, want 1"
echo ok >"$work/result"
EOF

out=$(AIOS_DEV_RUNTIME=$runtime "$top/tools/dev-services.sh" -- bash "$work/checks.sh" "$work" "$action" 2>&1) ||
        fail "the checks inside the stack failed: $out"
[[ -f $work/result ]] || fail "the checks did not run: $out"

# Nothing left behind.
read -r dbus_pid polkit_pid <"$work/pids"
for pid in $dbus_pid $polkit_pid; do
        if [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qE 'dbus-daemon|polkitd'; then
                fail "process $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline")) is still running"
        fi
done
[[ ! -e $runtime ]] || fail "runtime directory $runtime is still there"
! grep -q "$work" /proc/self/mountinfo || fail "a mount of $work is visible outside the stack"
echo "PASS: private bus with polkitd, project policy applied, nothing left behind"
