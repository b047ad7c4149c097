#!/usr/bin/env bash
# Checks the system-test harness (tests/system/rootfs.sh and tests/system/boot.sh): the cached Debian 12
# rootfs boots under systemd-nspawn, systemd, D-Bus and polkit work in it as they do on a real system,
# and stopping it leaves nothing behind.
#
# usage: tests/system/boot-check.sh
# Exit status: 0 pass, 1 fail (with a message), 77 skip (not root, no namespaces, no overlayfs).
#
#   - rootfs.sh --print-path gives the rootfs (building it if the cache has none);
#   - boot_start boots it with a file copied in (--copy), boot_wait says running or degraded (degraded
#     is accepted, with each failed unit listed and why it failed);
#   - the file copied in is there, the hostname is aios-test, the network is a loopback only;
#   - `systemd-analyze verify` of dbus.service reports nothing;
#   - busctl list shows org.freedesktop.PolicyKit1 (activatable or running); `systemctl start polkit`
#     works; after `systemctl stop polkit`, a D-Bus call to org.freedesktop.PolicyKit1 starts it again
#     through systemd (D-Bus activation);
#   - systemd-run -p User=nobody runs a command as nobody (how tests run unprivileged calls);
#   - boot_stop shuts the container down cleanly; then no nspawn process, no process of the container's
#     pid namespaces (nspawn's and the container's), no mount of the run directory in any process's
#     mount table, and no run directory are left.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)

skip() {
        echo "SKIP: $*"
        exit 77
}
fail() {
        echo "FAIL: $*"
        exit 1
}
step() {
        echo "--- $*"
}

[[ $EUID -eq 0 ]] || skip "needs root (systemd-nspawn, mounts, namespaces)"
for tool in unshare nsenter setpriv; do
        command -v "$tool" >/dev/null || skip "$tool not installed (util-linux)"
done
unshare --mount --pid --net --uts --ipc --fork --propagation private true 2>/dev/null ||
        skip "cannot create mount/pid/net/uts/ipc namespaces here (no CAP_SYS_ADMIN, or a container that forbids it)"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || skip "no overlayfs in this kernel"
# The rest needs the rootfs and systemd-nspawn, which rootfs.sh installs.

# shellcheck disable=SC1091 # checked on its own
. "$here/boot.sh"
export AIOS_BOOT_VERBOSE=1

work=$(mktemp -d /tmp/aios-boot-check.XXXXXX)
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
        local rc=$?
        trap - EXIT INT TERM
        boot_stop || true
        rm -rf -- "$work"
        exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "rootfs"
rootfs=$("$here/rootfs.sh" --print-path) || fail "rootfs.sh failed"
echo "$rootfs ($(du -sh --one-file-system "$rootfs" | cut -f1))"
command -v systemd-nspawn >/dev/null || fail "systemd-nspawn missing after rootfs.sh"

step "boot"
mkdir -p "$work/copy/etc/aios-boot-check" "$work/copy/usr/lib/aios-boot-check"
echo "copied $$" >"$work/copy/etc/aios-boot-check/marker"
echo "copied $$" >"$work/copy/usr/lib/aios-boot-check/marker"
t0=${EPOCHREALTIME/./}
# The checks above make a failure here the harness's (or nspawn's), not the machine's: fail, with the
# console log that boot_start shows.
boot_start --rootfs "$rootfs" --copy "$work/copy" --name "aios-boot-check-$$" || fail "boot_start failed (see above)"
rc=0
state=$(boot_wait 120) || rc=$?
t1=${EPOCHREALTIME/./}
echo "state: $state after $(((t1 - t0) / 1000)) ms"
run_dir=$BOOT_DIR
nspawn_pid=$BOOT_NSPAWN
leader=$BOOT_LEADER
pidns=$(stat -L -c %i "/proc/$leader/ns/pid")
outer_pidns=$(stat -L -c %i "/proc/$nspawn_pid/ns/pid")
[[ $rc -eq 0 ]] || fail "the system is $state, not running or degraded"
if [[ $state == degraded ]]; then
        echo "degraded; the failed units:"
        boot_exec systemctl --failed --no-pager --no-legend || true
        for unit in $(boot_exec systemctl --failed --no-legend --plain | awk '{print $1}'); do
                echo "--- $unit:"
                boot_exec systemctl status --no-pager --lines=0 "$unit" || true
                boot_exec journalctl -b --no-pager -o cat -u "$unit" | tail -n 10 || true
        done
fi

step "inside"
[[ $(boot_exec hostname) == aios-test ]] || fail "hostname is $(boot_exec hostname), not aios-test"
for f in /etc/aios-boot-check/marker /usr/lib/aios-boot-check/marker /lib/aios-boot-check/marker; do
        [[ $(boot_exec cat "$f") == "copied $$" ]] || fail "$f, copied in with --copy, is not in the container"
done
[[ $(cat "$BOOT_ROOT/etc/aios-boot-check/marker") == "copied $$" ]] ||
        fail "BOOT_ROOT does not show the container's root"
links=$(boot_exec ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')
[[ $links == "lo " ]] || fail "the container has network links other than lo: $links"
if boot_exec false; then fail "boot_exec false succeeded"; fi
rc=0
boot_sh 'exit 7' || rc=$?
[[ $rc -eq 7 ]] || fail "boot_sh 'exit 7' returned $rc"
echo "hostname, copied files, loopback only, exit statuses: ok"

step "systemd-analyze verify dbus.service"
out=$(boot_exec systemd-analyze verify /usr/lib/systemd/system/dbus.service 2>&1) ||
        fail "systemd-analyze verify dbus.service failed: $out"
[[ -z $out ]] || fail "systemd-analyze verify dbus.service reported: $out"
echo "nothing reported"

step "polkit"
names=$(boot_exec busctl list --no-pager --no-legend)
grep -E '^org\.freedesktop\.PolicyKit1 ' <<<"$names" || fail "org.freedesktop.PolicyKit1 is not on the bus: $names"
boot_exec systemctl start polkit.service || fail "systemctl start polkit failed"
boot_exec systemctl is-active --quiet polkit.service || fail "polkit.service is not active after start"
boot_exec busctl list --no-pager --no-legend | grep -E '^org\.freedesktop\.PolicyKit1 +[0-9]+ polkitd ' ||
        fail "polkitd does not own org.freedesktop.PolicyKit1"
boot_exec systemctl stop polkit.service
boot_exec systemctl is-active --quiet polkit.service && fail "polkit.service still active after stop"
backend=$(boot_exec busctl get-property org.freedesktop.PolicyKit1 /org/freedesktop/PolicyKit1/Authority \
        org.freedesktop.PolicyKit1.Authority BackendName) || fail "calling org.freedesktop.PolicyKit1 failed"
boot_exec systemctl is-active --quiet polkit.service ||
        fail "the call did not start polkit.service (D-Bus activation)"
echo "activated by a call: BackendName $backend"
boot_exec pkcheck --action-id org.freedesktop.policykit.exec --process 1 >/dev/null ||
        fail "pkcheck for PID 1 (root) is not authorized"
echo "pkcheck as root: authorized"

step "systemd-run as nobody"
who=$(boot_exec systemd-run --wait --pipe --quiet --collect -p User=nobody -- id -un) ||
        fail "systemd-run -p User=nobody failed"
[[ $who == nobody ]] || fail "systemd-run -p User=nobody ran as '$who'"
echo "ran as $who"

step "stop"
t0=${EPOCHREALTIME/./}
boot_stop || fail "boot_stop did not shut the container down cleanly"
t1=${EPOCHREALTIME/./}
echo "stopped in $(((t1 - t0) / 1000)) ms"
[[ -z $BOOT_NSPAWN && -z $BOOT_DIR ]] || fail "boot_stop left its state set"
[[ ! -e /proc/$nspawn_pid ]] || [[ $(cat "/proc/$nspawn_pid/comm" 2>/dev/null) != systemd-nspawn ]] ||
        fail "systemd-nspawn ($nspawn_pid) is still running"
[[ ! -e /proc/$leader ]] || [[ $(stat -L -c %i "/proc/$leader/ns/pid" 2>/dev/null) != "$pidns" ]] ||
        fail "the container's init ($leader) is still there"
for p in /proc/[0-9]*; do
        ns=$(stat -L -c %i "$p/ns/pid" 2>/dev/null) || continue
        [[ $ns != "$pidns" && $ns != "$outer_pidns" ]] ||
                fail "process ${p#/proc/} of the container's pid namespaces is left: $(tr '\0' ' ' <"$p/cmdline")"
        ! grep -qF -- "$run_dir" "$p/mounts" 2>/dev/null ||
                fail "process ${p#/proc/} still sees a mount of $run_dir"
done
! grep -qF -- "$run_dir" /proc/mounts || fail "a mount of $run_dir is left"
[[ ! -e $run_dir ]] || fail "the run directory $run_dir is left"
echo "nothing left: no nspawn, no process of the container, no mount, no run directory"

echo "PASS"
