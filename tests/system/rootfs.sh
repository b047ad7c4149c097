#!/usr/bin/env bash
# Makes, or reuses, the Debian 12 (bookworm) root file system the system tests boot with
# systemd-nspawn: debootstrap --variant=minbase plus what a booted aios system needs at run time.
#
# usage: tests/system/rootfs.sh [--print-path]
#
# The rootfs is cached in $AIOS_ROOTFS_CACHE (default /var/cache/aios-test/rootfs) as
# bookworm-<hash>, where <hash> covers this script's own text (so any change to how the rootfs is made,
# the package list included, makes a new one) and the extra packages of $AIOS_ROOTFS_EXTRA_PACKAGES.
# It is treated as read-only: tests/system/boot.sh boots an overlay of it.
#
#   - The build goes into a temporary directory next to the cache, .build-bookworm-<hash>.XXXXXX, which
#     is renamed to bookworm-<hash> only once it is complete: a killed build leaves at most a temporary
#     directory, which the next build removes, never a rootfs that a later run trusts.
#   - Builds are serialized with flock on $AIOS_ROOTFS_CACHE/.lock; a second run waits for the first
#     and then reuses what it built.
#   - debootstrap and the package installation run in private mount and pid namespaces: the /proc,
#     /sys and /dev mounts they make in the new tree, and every process they start, disappear with
#     them; a Ctrl-C, SIGTERM or even SIGKILL of this script kills them all.
#   - After a build, cached rootfs of other hashes are removed unless a container uses them (boot.sh
#     holds a shared flock on bookworm-<hash>.lock while it runs one).
#
# What is in it, besides minbase: systemd, systemd-sysv, dbus (dbus-daemon, Debian 12's system bus),
# polkitd, the libraries the aios binaries link (libsystemd0 comes with systemd), python3 and python3-numpy
# (aios-pythond's interpreter), aios-voiced's libraries and speech model, curl, iproute2 and procps for the tests, util-linux, and man-db (`systemd-analyze verify` runs man for every
# Documentation=man:... of a unit, and fails without it); Recommends are not installed. Updates from
# bookworm-updates and bookworm-security are applied, so that the libraries match an up-to-date host.
# Then:
#   - hostname aios-test; root's password locked (no password login; tests enter with nsenter);
#   - an empty /etc/machine-id, so that every boot gets a machine ID of its own (nspawn's --uuid),
#     without running first-boot units;
#   - units that only slow down or fail in a container are masked (see `masked` below);
#   - apt's caches and package lists removed (apt-get update inside the container brings them back).
# The build log is kept in the rootfs, /var/log/aios-test-rootfs.log; /etc/aios-test-rootfs says how
# it was made.
#
# Without --print-path it reports the phases with their timings and the rootfs's size on stderr, and
# the path on stdout; with --print-path only the path (on stdout), unless it has to build.
#
# Needs root. Installs debootstrap and systemd-container (systemd-nspawn, for boot.sh) with apt-get
# when they are missing.
#
# Environment:
#   AIOS_ROOTFS_CACHE            cache directory, default /var/cache/aios-test/rootfs
#   AIOS_ROOTFS_MIRROR           Debian mirror, default http://deb.debian.org/debian
#   AIOS_ROOTFS_SECURITY_MIRROR  security mirror, default http://deb.debian.org/debian-security
#   AIOS_ROOTFS_EXTRA_PACKAGES   more packages to install (space-separated; part of the hash)
set -euo pipefail

self=$(readlink -f "${BASH_SOURCE[0]}")
prog=rootfs.sh

die() {
        echo "$prog: $*" >&2
        exit 1
}

print_path_only=0
case "${1-}" in
"") ;;
--print-path) print_path_only=1 ;;
*)
        echo "usage: $0 [--print-path]" >&2
        exit 2
        ;;
esac
[[ $# -le 1 ]] || {
        echo "usage: $0 [--print-path]" >&2
        exit 2
}

suite=bookworm
cache=${AIOS_ROOTFS_CACHE:-/var/cache/aios-test/rootfs}
mirror=${AIOS_ROOTFS_MIRROR:-http://deb.debian.org/debian}
security_mirror=${AIOS_ROOTFS_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

# What a booted aios system needs at run time, and what the tests use in it.
packages=(
        systemd systemd-sysv dbus polkitd
        libmicrohttpd12 libjson-c5 libssl3 libseccomp2 libpcre2-8-0 libinih1 libcurl4 libyaml-0-2
        curl iproute2 procps util-linux
        man-db # systemd-analyze verify runs man for each Documentation=man:... of a unit
        python3 python3-numpy # what aios-pythond runs in its sandboxes, and the import its test times
        # aios-voiced: speech out (espeak-ng-data comes with it) and in, with the US English model, audio
        # files, Ogg Opus and ALSA
        libespeak-ng1 libpocketsphinx3 libsphinxbase3 pocketsphinx-en-us libsndfile1 libsamplerate0 libopusenc0 libasound2
        libgit2-1.5 universal-ctags # aios-ided: git through libgit2, and ide_symbols runs ctags
        chromium # aios-browserd: the browser it drives over the DevTools pipe
        dovecot-imapd python3-dbusmock # aios-commd's peers: a mailbox to read over IMAP, a notification daemon
)
read -r -a extra <<<"${AIOS_ROOTFS_EXTRA_PACKAGES-}"
packages+=("${extra[@]}")

# Units that only slow the boot down or fail in a container, or that would start work at random
# times during a test. Masking a unit that is not installed is harmless.
masked=(
        systemd-networkd-wait-online.service # waits up to 2 minutes for a network there is none of
        apt-daily.timer apt-daily-upgrade.timer
        e2scrub_all.timer e2scrub_reap.service
        fstrim.timer man-db.timer
)

now_us() { echo "${EPOCHREALTIME/./}"; }
t_begin=$(now_us)
t_last=$t_begin
verbose=$((1 - print_path_only))
phase() { # NAME: report the time since the previous phase
        local t
        t=$(now_us)
        if [[ $verbose == 1 ]]; then
                printf '%s: %-28s %7d ms\n' "$prog" "$1" $(((t - t_last) / 1000)) >&2
        fi
        t_last=$t
}

[[ $EUID -eq 0 ]] || die "must run as root (debootstrap, chroot, and the cache in $cache)"

arch=$(dpkg --print-architecture)
hash=$({
        cat -- "$self"
        printf '%s\n' "$suite" "$arch" "${packages[@]}"
} | sha256sum | cut -c1-12)
name=$suite-$hash
rootfs=$cache/$name

# The host's tools.
missing=()
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v systemd-nspawn >/dev/null || missing+=(systemd-container)
for tool in unshare setpriv flock chroot; do
        command -v "$tool" >/dev/null || die "$tool not found (util-linux, coreutils)"
done
if [[ ${#missing[@]} -gt 0 ]]; then
        echo "$prog: installing ${missing[*]} ..." >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
                apt-get update -qq
                apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
        }
        phase "install ${missing[*]}"
fi

# The fast path: the rootfs is there (the rename that completes a build is atomic, so there is no
# need for the lock to trust it).
if [[ -d $rootfs ]]; then
        if [[ $verbose == 1 ]]; then
                echo "$prog: cached: $rootfs ($(du -sh --one-file-system "$rootfs" | cut -f1))" >&2
        fi
        echo "$rootfs"
        exit 0
fi
verbose=1 # a build is reported, --print-path or not
[[ -f /usr/share/keyrings/debian-archive-keyring.gpg ]] ||
        die "/usr/share/keyrings/debian-archive-keyring.gpg not found (apt-get install debian-archive-keyring)"

mkdir -p "$cache"
exec {lock_fd}>"$cache/.lock"
if ! flock -n "$lock_fd"; then
        echo "$prog: another build is running; waiting for it ..." >&2
        flock "$lock_fd"
fi
if [[ -d $rootfs ]]; then # built by the run we waited for
        phase "wait for the other build"
        echo "$rootfs"
        exit 0
fi

# What killed builds left. Safe to remove: we hold the lock, and builds mount nothing visible here.
shopt -s nullglob
for stale in "$cache"/.build-*; do
        rm -rf --one-file-system -- "$stale"
done
shopt -u nullglob

build=$(mktemp -d "$cache/.build-$name.XXXXXX")
chmod 0755 "$build" # the root directory of the system
log=$build.log
job=

# CMD...: runs CMD in mount and pid namespaces of its own, logging to the build log. The mounts CMD
# makes (debootstrap's /proc, /sys, /dev in the new tree; /proc for the chroot) stay in its mount
# namespace; its processes stay in its pid namespace, where CMD is PID 1: when CMD ends or is killed,
# the kernel kills whatever it left. unshare --kill-child kills CMD when unshare dies, and setpriv
# --pdeathsig kills unshare when this script dies, also by SIGKILL. In the background with `wait`, so
# that a SIGTERM or Ctrl-C to this script is handled at once.
isolated() {
        setpriv --pdeathsig KILL -- \
                unshare --mount --propagation private --pid --fork --kill-child -- "$@" </dev/null >>"$log" 2>&1 &
        job=$!
        local rc=0
        wait "$job" || rc=$?
        job=
        return "$rc"
}

# Stops a running isolated() job: kills unshare's child, PID 1 of the namespace, whose end kills every
# other process there; unshare reaps it (it exits only once the namespace is empty) and exits. If unshare
# has not forked yet, or does not exit, it is killed too.
# shellcheck disable=SC2317 # invoked by cleanup
stop_job() {
        [[ -n $job ]] || return 0
        local children=() i
        read -r -a children 2>/dev/null <"/proc/$job/task/$job/children" || true
        if [[ ${#children[@]} -gt 0 ]]; then
                kill -KILL "${children[@]}" 2>/dev/null
                for ((i = 0; i < 500; i++)); do
                        kill -0 "$job" 2>/dev/null || break
                        [[ $(cat "/proc/$job/stat" 2>/dev/null) != *") Z "* ]] || break
                        sleep 0.02
                done
        fi
        kill -KILL "$job" 2>/dev/null
        wait "$job" 2>/dev/null
        job=
}

# On any failure or signal: stop what runs, remove the half-made tree. The mounts made inside it were
# in namespaces of their own, gone with their processes; --one-file-system is a second guard.
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
        local rc=$?
        trap - EXIT INT TERM
        set +e
        stop_job
        if [[ -n $build ]]; then
                if [[ $rc -ne 0 && -f $log ]]; then
                        echo "$prog: the build failed; the end of its log:" >&2
                        tail -n 30 "$log" >&2
                fi
                rm -rf --one-file-system -- "$build" "$log"
        fi
        exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
: >"$log"
echo "$prog: building $rootfs (log: $log)" >&2

# Step 1: debootstrap.
isolated debootstrap --variant=minbase --arch="$arch" --components=main \
        --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
        "$suite" "$build" "$mirror" || die "debootstrap failed"
phase "debootstrap minbase"

# Step 2: updates and packages, with apt in a chroot.
cat >"$build/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security_mirror $suite-security main
EOF
# No daemon is to start in the chroot (invoke-rc.d finds no running systemd anyway).
printf '#!/bin/sh\nexit 101\n' >"$build/usr/sbin/policy-rc.d"
chmod 0755 "$build/usr/sbin/policy-rc.d"
in_root() { # CMD...: run CMD in the chroot, with /proc (of its own pid namespace)
        # shellcheck disable=SC2016 # expanded by the inner shell
        isolated /bin/sh -euc '
                root=$1; shift
                mount -t proc proc "$root/proc"
                exec chroot "$root" "$@"' sh "$build" \
                env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 HOME=/root \
                DEBIAN_FRONTEND=noninteractive "$@"
}
apt_opts=(-y -q -o Dpkg::Use-Pty=0 --no-install-recommends)
in_root apt-get update -q || die "apt-get update failed in the rootfs"
in_root apt-get "${apt_opts[@]}" dist-upgrade || die "apt-get dist-upgrade failed in the rootfs"
in_root apt-get "${apt_opts[@]}" install "${packages[@]}" || die "apt-get install failed in the rootfs"
phase "packages"

# Step 3: configuration.
rm -f "$build/usr/sbin/policy-rc.d"
echo aios-test >"$build/etc/hostname"
cat >"$build/etc/hosts" <<EOF
127.0.0.1	localhost
127.0.1.1	aios-test
::1		localhost ip6-localhost ip6-loopback
EOF
in_root passwd -l root || die "passwd -l root failed"
: >"$build/etc/machine-id"
rm -f "$build/var/lib/dbus/machine-id"
ln -s /etc/machine-id "$build/var/lib/dbus/machine-id"
for unit in "${masked[@]}"; do
        ln -sf /dev/null "$build/etc/systemd/system/$unit"
done
in_root apt-get clean
rm -rf "${build:?}"/var/lib/apt/lists/* "$build"/var/cache/apt/*.bin "$build"/var/cache/debconf/*-old
{
        echo "# made by tests/system/rootfs.sh"
        echo "HASH=$hash"
        echo "SUITE=$suite"
        echo "ARCH=$arch"
        echo "BUILT=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "PACKAGES=\"${packages[*]}\""
        echo "MASKED=\"${masked[*]}\""
} >"$build/etc/aios-test-rootfs"
phase "configuration"

# Step 4: in place. The contents reach the disk before the rename that makes the rootfs trusted.
mv -- "$log" "$build/var/log/aios-test-rootfs.log"
sync -f "$build"
mv -T -- "$build" "$rootfs"
build=
phase "rename"

# Step 5: older rootfs (other hashes) no container uses.
shopt -s nullglob
for old in "$cache/$suite"-*; do
        [[ -d $old && $old != "$rootfs" ]] || continue
        exec {old_fd}>"$old.lock"
        if flock -n -x "$old_fd"; then
                rm -rf --one-file-system -- "$old"
                rm -f -- "$old.lock"
                echo "$prog: removed the old $old" >&2
        else
                echo "$prog: kept the old $old: a container uses it" >&2
        fi
        exec {old_fd}>&-
done
shopt -u nullglob

size=$(du -sh --one-file-system "$rootfs" | cut -f1)
t=$(now_us)
printf '%s: %-28s %7d ms\n' "$prog" "total" $(((t - t_begin) / 1000)) >&2
echo "$prog: $rootfs: $size" >&2
echo "$rootfs"
