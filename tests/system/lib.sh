# shellcheck shell=bash
# What the booted-system tests share: the checks that the harness can run here (else exit 77), TAP-style
# results, and aios built with the system's paths, installed with `meson install --destdir` and booted.
# Sourced by a test that has set `name` (for messages) and `src` (the source tree); sets `work`.

system_skip() {
        echo "$name: SKIP: $*"
        exit 77
}
[[ $(id -u) -eq 0 ]] || system_skip "needs root (systemd-nspawn, mounts, namespaces)"
for tool in unshare nsenter setpriv meson; do
        command -v "$tool" >/dev/null || system_skip "$tool is not installed"
done
unshare --mount --pid --net --uts --ipc --fork --propagation private true 2>/dev/null ||
        system_skip "cannot create mount/pid/net/uts/ipc namespaces here (no CAP_SYS_ADMIN, or a container that forbids it)"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || system_skip "no overlayfs in this kernel"

failures=0
checks=0
pass() { checks=$((checks + 1)); echo "ok $checks - $1"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "not ok $checks - $1"; [[ -z ${2:-} ]] || echo "$2" | sed 's/^/#   /'; }
expect() { # expect DESCRIPTION NEEDLE TEXT
        if [[ $3 == *"$2"* ]]; then pass "$1"; else fail "$1" "expected \"$2\" in: ${3:0:1200}"; fi
}
reject() { # reject DESCRIPTION NEEDLE TEXT
        if [[ $3 != *"$2"* ]]; then pass "$1"; else fail "$1" "did not expect \"$2\" in: ${3:0:1200}"; fi
}

# Builds and installs aios as a distribution package would (prefix /usr), boots the cached rootfs with
# that tree copied in, and does what the package's scripts would (users, tmpfiles, reloads).
system_boot_installed() {
        work=$(mktemp -d "${TMPDIR:-/tmp}/aios-system.XXXXXX")
        local destdir=$work/destdir here
        here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
        trap 'boot_stop || true; rm -rf "$work"' EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
        # One build serves every booted-system test of a run (AIOS_SYSTEM_BUILD_DIR, set by tests/meson.build):
        # the first builds it, the others only bring it up to date, one at a time (the lock).
        local build=${AIOS_SYSTEM_BUILD_DIR:-$work/build} lock
        mkdir -p "$(dirname "$build")"
        exec {lock}>"$build.lock"
        flock "$lock"
        echo "# building in $build and installing into $destdir"
        if [[ ! -f $build/build.ninja ]]; then
                rm -rf "$build"
                meson setup "$build" "$src" --prefix=/usr --sysconfdir=/etc --localstatedir=/var -Dtests=false \
                        -Dbuildtype=release >/dev/null
        fi
        meson compile -C "$build" >/dev/null
        DESTDIR=$destdir meson install -C "$build" --no-rebuild --quiet
        exec {lock}>&-

        # shellcheck source=tests/system/boot.sh
        . "$here/boot.sh"
        boot_start --rootfs "$("$here/rootfs.sh" --print-path)" --copy "$destdir"
        local state
        state=$(boot_wait) || true
        if [[ $state == running || $state == degraded ]]; then
                pass "the container boots ($state)"
        else
                fail "the container boots" "its state is \"$state\""
        fi
        boot_sh 'systemd-sysusers && systemd-tmpfiles --create && systemctl daemon-reload && systemctl reload dbus'
}
