#!/usr/bin/env bash
# Boots the cached test rootfs (tests/system/rootfs.sh) with systemd-nspawn --boot, as a throw-away
# container, runs commands in it, and stops it leaving nothing behind. A library to source, or a command.
#
# As a library (bash; one container per shell; start and stop it from the main shell, not from a
# $(...) or pipeline subshell):
#
#   . tests/system/boot.sh
#   trap 'boot_stop' EXIT; trap 'exit 130' INT; trap 'exit 143' TERM   # the caller's traps
#   boot_start --rootfs "$(tests/system/rootfs.sh --print-path)" --copy "$destdir"
#   state=$(boot_wait) || fail "the system is $state"
#   boot_exec systemctl start foo.service          # status and output are the command's
#   boot_sh 'busctl list | grep -q org.aios'       # the same through /bin/sh -c
#   boot_stop                                      # clean shutdown, then nothing is left
#
#   boot_start [--rootfs DIR] [--copy DIR]... [--name NAME] [-- NSPAWN_ARG...]
#       Makes an ephemeral root: an overlay file system whose lower layer is the cached rootfs DIR
#       (default: what `rootfs.sh --print-path` prints, built if missing) and whose upper layer is a
#       tmpfs. Each --copy DIR tree is copied onto that root before boot (tar, keeping the rootfs's
#       /lib -> usr/lib style symlinks: a `meson install --destdir DIR` tree lands where its paths say).
#       Then boots it, in the background, with
#         systemd-nspawn --boot --directory=ROOT --machine=NAME --register=no --keep-unit
#                        --private-network --settings=no --link-journal=no --console=read-only
#                        NSPAWN_ARG...
#       (no systemd-machined here: --register=no, and --keep-unit, so that nspawn does not ask the
#       host's systemd for a scope either; --private-network: only a loopback inside; NSPAWN_ARG, e.g.
#       --bind-ro=/host/dir:/dir, adds to that). The mounts and nspawn live in mount and pid
#       namespaces of their own (unshare), where nspawn is PID 1: nothing is written to the cached
#       rootfs or the host's disk, and whenever nspawn ends, the kernel kills the container's
#       processes and the mounts go. If the caller is killed outright (SIGKILL), nspawn dies with it
#       (parent-death signal), and so does the container. nspawn runs in a session of its own: a
#       Ctrl-C meant for the caller does not reach it; the caller's trap stops the container cleanly.
#       Returns once the container's PID 1 runs systemd. Sets:
#         BOOT_NAME     the machine name (default aios-test-PID); the hostname inside is aios-test
#         BOOT_NSPAWN   systemd-nspawn's pid
#         BOOT_LEADER   the container's PID 1, as a host pid
#         BOOT_ROOT     /proc/BOOT_LEADER/root: the container's root, readable from the host
#         BOOT_DIR      the run directory on the host: the console log, a lock, and fs/, where the
#                       tmpfs is mounted inside the private namespace only. If the caller is killed
#                       outright, the next boot_start removes it.
#         BOOT_LOG      the console log: what systemd prints while booting and shutting down
#       Holds a shared flock on ROOTFS.lock while the container runs, so that rootfs.sh does not prune
#       a rootfs in use.
#   boot_wait [TIMEOUT]
#       Waits (default 120 s) until the container's systemd has finished booting and prints its state
#       (`systemctl is-system-running --wait`): returns 0 for running or degraded, 1 otherwise (a
#       state such as maintenance or stopping, or the container died, or the time ran out: then the
#       end of the console log goes to stderr).
#   boot_exec CMD [ARG...]
#       Runs CMD inside the container, as root, with nsenter into all of PID 1's namespaces (mount, pid,
#       net, ipc, uts, cgroup) and a clean environment (PATH, HOME=/root, LANG=C.UTF-8, TERM); stdin,
#       stdout and stderr are the caller's, the status is CMD's. systemctl, busctl, journalctl work (they
#       use /run/systemd/private and the bus sockets). The process is not in one of the container's
#       units, and has what the host's root has, not what the container's processes have: neither
#       nspawn's capability bounding set nor its seccomp filter applies. For the container's own
#       context (a unit, a user, its sandboxing), run CMD through the container's systemd, e.g.
#         boot_exec systemd-run --wait --pipe --quiet --collect -p User=nobody -- CMD...
#       (with --pipe, a CMD that leaves a process behind holding its stdout keeps a $(...) waiting).
#   boot_sh SCRIPT [ARG...]
#       boot_exec /bin/sh -c SCRIPT sh ARG...
#   boot_stop [TIMEOUT]
#       Stops the container: SIGTERM to systemd-nspawn, which has the container's systemd shut down
#       cleanly; if it has not ended within TIMEOUT (default 60 s), SIGKILL to nspawn, which ends
#       everything in its pid namespace, the container included. Then removes the run directory and
#       releases the locks. Idempotent, and safe to call at any point (before boot_start, half-way
#       through it, twice): meant for the caller's EXIT trap.
#       Returns 1 if it had to kill, or nspawn exited with an error (the end of the console log is
#       shown then): a clean shutdown is status 0.
#
# As a command:
#
#   tests/system/boot.sh [--rootfs DIR] [--copy DIR]... [--name NAME] [--nspawn-arg ARG]... [-- CMD...]
#
#   boots, waits for running/degraded (a boot that ends in another state is reported, and CMD still
#   runs), runs CMD inside (default: an interactive login shell, if stdin is a terminal; otherwise it
#   waits for Ctrl-C or SIGTERM), stops the container and exits with CMD's status. Ctrl-C or SIGTERM
#   stop the container cleanly as well.
#
# Needs root, systemd-nspawn (systemd-container), unshare and nsenter (util-linux), overlayfs.
#
# Environment:
#   AIOS_BOOT_TMPDIR       where the run directory goes, default $TMPDIR or /tmp
#   AIOS_BOOT_TMPFS_SIZE   size limit of the tmpfs holding the container's writes, default 50%
#   AIOS_BOOT_VERBOSE=1    report the phases and their timings on stderr (always on as a command)
#   AIOS_BOOT_CONSOLE_LOG  a file where boot_stop copies the console log before removing it

# Functions with optional arguments (timeouts), called without them:
# shellcheck disable=SC2119,SC2120

_boot_self=$(readlink -f "${BASH_SOURCE[0]}")
_boot_here=$(dirname "$_boot_self")

BOOT_NAME=
BOOT_NSPAWN=
BOOT_LEADER=
BOOT_ROOT=
BOOT_DIR=
BOOT_LOG=
_boot_job=
_boot_lock_fd=
_boot_dir_lock_fd=
_boot_t_last=

_boot_msg() {
        echo "boot.sh: $*" >&2
}

_boot_now_us() {
        echo "${EPOCHREALTIME/./}"
}

# Reports the time since the previous phase, with AIOS_BOOT_VERBOSE=1.
_boot_phase() {
        local t
        t=$(_boot_now_us)
        if [[ ${AIOS_BOOT_VERBOSE:-0} == 1 && -n $_boot_t_last ]]; then
                printf 'boot.sh: %-28s %6d ms\n' "$1" $(((t - _boot_t_last) / 1000)) >&2
        fi
        _boot_t_last=$t
}

# PID: true while the process exists and is not a zombie.
_boot_alive() {
        local stat
        stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
        stat=${stat##*) }
        [[ ${stat%% *} != Z ]]
}

# Prints the end of the console log on stderr.
_boot_log_tail() {
        if [[ -n $BOOT_LOG && -s $BOOT_LOG ]]; then
                _boot_msg "the end of the console log ($BOOT_LOG):"
                tail -n "${1:-25}" "$BOOT_LOG" | sed 's/^/  | /' >&2
        fi
}

# CMD...: runs CMD in the container, as a foreground command would run, but in the background with
# `wait`, so that a signal trapped by the caller (SIGTERM) is handled at once instead of after CMD.
#
# nsenter stays on the host, in the host's pid namespace, and forks CMD into the container's. Should
# nsenter die first (a Ctrl-C reaches the whole process group), CMD would be reparented to the reaper
# of nsenter's namespace, the host's init, not the container's systemd; a host init that is slow to
# reap (not every one is systemd) leaves CMD a zombie that the container's shutdown then waits 10 s
# for. So nsenter ignores SIGINT, SIGQUIT, SIGTERM and SIGHUP and waits for CMD, whose handling of
# them `env --default-signal` resets to the default.
_boot_nsenter() {
        local pid rc=0
        (
                trap '' INT QUIT TERM HUP
                # The locks stay with this shell and nspawn, not with what runs in the container.
                [[ -z $_boot_lock_fd ]] || exec {_boot_lock_fd}>&-
                [[ -z $_boot_dir_lock_fd ]] || exec {_boot_dir_lock_fd}>&-
                exec nsenter --target "$BOOT_LEADER" --mount --uts --ipc --net --pid --cgroup -- \
                        /usr/bin/env --default-signal=INT,QUIT,TERM,HUP -i \
                        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
                        HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" "$@"
        ) <&0 &
        pid=$!
        wait "$pid" || rc=$?
        # A trapped signal interrupted the wait: the trap has run (and usually exited); if not, wait on.
        while ((rc > 128)) && _boot_alive "$pid"; do
                rc=0
                wait "$pid" || rc=$?
        done
        return "$rc"
}

boot_start() {
        local rootfs='' name=aios-test-$$ copies=() nspawn_args=() children=()
        while [[ $# -gt 0 ]]; do
                case "$1" in
                --rootfs) rootfs=${2:?--rootfs needs a directory}; shift 2 ;;
                --rootfs=*) rootfs=${1#*=}; shift ;;
                --copy) copies+=("${2:?--copy needs a directory}"); shift 2 ;;
                --copy=*) copies+=("${1#*=}"); shift ;;
                --name) name=${2:?--name needs a name}; shift 2 ;;
                --name=*) name=${1#*=}; shift ;;
                --) shift; nspawn_args=("$@"); break ;;
                *) _boot_msg "boot_start: unknown option $1"; return 2 ;;
                esac
        done
        if [[ -n $_boot_job || -n $BOOT_DIR ]]; then
                _boot_msg "boot_start: a container is running already ($BOOT_NAME); boot_stop it first"
                return 1
        fi
        _boot_t_last=$(_boot_now_us)
        [[ $EUID -eq 0 ]] || { _boot_msg "needs root"; return 1; }
        local tool
        for tool in systemd-nspawn unshare nsenter setpriv setsid flock tar; do
                command -v "$tool" >/dev/null || { _boot_msg "$tool not found"; return 1; }
        done
        [[ $name =~ ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$ ]] || { _boot_msg "bad machine name '$name'"; return 1; }
        if [[ -z $rootfs ]]; then
                rootfs=$("$_boot_here/rootfs.sh" --print-path) || return 1
                _boot_phase "rootfs"
        fi
        rootfs=$(readlink -f "$rootfs")
        [[ -f $rootfs/usr/lib/os-release || -L $rootfs/usr/lib/os-release ]] ||
                { _boot_msg "$rootfs does not look like an OS tree (no usr/lib/os-release)"; return 1; }
        local dir
        for dir in "${copies[@]}"; do
                [[ -d $dir ]] || { _boot_msg "--copy $dir: not a directory"; return 1; }
        done

        # The rootfs stays while this runs (rootfs.sh prunes only what it can lock exclusively).
        exec {_boot_lock_fd}>"$rootfs.lock" || return 1
        flock -s "$_boot_lock_fd" || { boot_stop; return 1; }
        [[ -d $rootfs ]] || { _boot_msg "$rootfs went away"; boot_stop; return 1; }

        # The run directory, locked for as long as this shell or nspawn (which inherits the lock) lives.
        # Those of harnesses killed outright are unlocked: removed here. The lock file gets its name
        # only once it is locked, so that a directory being set up is never taken for one of those.
        local tmpdir=${AIOS_BOOT_TMPDIR:-${TMPDIR:-/tmp}}
        for dir in "$tmpdir"/aios-boot-*.??????; do
                [[ -f $dir/lock ]] || continue
                if flock -n "$dir/lock" true 2>/dev/null; then
                        rm -rf --one-file-system -- "$dir"
                fi
        done
        BOOT_NAME=$name
        BOOT_DIR=$(mktemp -d "$tmpdir/aios-boot-$name.XXXXXX") || { boot_stop; return 1; }
        exec {_boot_dir_lock_fd}>"$BOOT_DIR/lock.new" || { boot_stop; return 1; }
        flock "$_boot_dir_lock_fd"
        mv "$BOOT_DIR/lock.new" "$BOOT_DIR/lock"
        BOOT_LOG=$BOOT_DIR/console.log
        mkdir "$BOOT_DIR/fs"
        : >"$BOOT_LOG"
        # nspawn keeps its runtime files (image locks, the propagation directory for `machinectl bind`) in
        # /run/systemd/nspawn; here /run may be on disk, where nspawn refuses to clean up after itself.
        # The tmpfs mounted on it in the private namespace takes them all.
        mkdir -p /run/systemd/nspawn

        # In mount and pid namespaces of their own: the tmpfs, the overlay, the copies, then nspawn, which
        # becomes PID 1 of that pid namespace (unshare forks it; sh execs it). The container's pid
        # namespace is nested in that one, so whenever nspawn ends, however it ends, the kernel kills
        # everything in both, the container's processes included, and the mount namespace holding the
        # tmpfs and the overlay goes with them. unshare --kill-child kills nspawn when unshare dies;
        # setpriv --pdeathsig kills unshare when this shell dies (SIGKILL included); setsid keeps a
        # Ctrl-C meant for the caller away from it all (the caller's trap stops the container cleanly).
        # --mount-proc: nspawn sees a /proc of its own pid namespace, where its children's pids mean what
        # it thinks they mean.
        local args=(
                --boot --directory="$BOOT_DIR/fs/root" --machine="$name"
                --register=no --keep-unit --private-network --settings=no --link-journal=no
                --console=read-only "${nspawn_args[@]}"
        )
        # shellcheck disable=SC2016 # expanded by the inner shell
        local script='
                fs=$1 lower=$2 size=$3 ncopies=$4
                shift 4
                mount -t tmpfs -o mode=0755,size="$size" aios-boot "$fs"
                mount -t tmpfs -o mode=0755 aios-boot-nspawn /run/systemd/nspawn
                mkdir "$fs/upper" "$fs/work" "$fs/root"
                mount -t overlay -o lowerdir="$lower",upperdir="$fs/upper",workdir="$fs/work" aios-boot "$fs/root"
                while [ "$ncopies" -gt 0 ]; do
                        tar -C "$1" -cf - . | tar -C "$fs/root" -xpf - --keep-directory-symlink --no-overwrite-dir
                        shift
                        ncopies=$((ncopies - 1))
                done
                echo "boot.sh: the root is ready; starting systemd-nspawn"
                exec env TERM=dumb systemd-nspawn "$@"'
        # With job control (set -m) a background job leads its own process group already, and setsid
        # would fork instead of exec.
        local setsid=(setsid)
        [[ $- != *m* ]] || setsid=()
        setpriv --pdeathsig KILL -- "${setsid[@]}" \
                unshare --mount --propagation private --pid --fork --kill-child --mount-proc -- \
                /bin/sh -euc "$script" sh \
                "$BOOT_DIR/fs" "$rootfs" "${AIOS_BOOT_TMPFS_SIZE:-50%}" "${#copies[@]}" "${copies[@]}" \
                "${args[@]}" </dev/null >"$BOOT_LOG" 2>&1 &
        _boot_job=$!

        # nspawn: unshare's child, once it has exec'd nspawn. The container's PID 1: nspawn's child in
        # another pid namespace, once it has exec'd systemd (before that it is a copy of nspawn, not
        # yet in the container's root).
        local deadline=$((${EPOCHREALTIME%.*} + 60)) child comm
        while [[ -z $BOOT_LEADER ]]; do
                if ! _boot_alive "$_boot_job"; then
                        _boot_msg "systemd-nspawn ended before the container started"
                        _boot_log_tail
                        boot_stop
                        return 1
                fi
                if ((${EPOCHREALTIME%.*} > deadline)); then
                        _boot_msg "the container's init did not start within 60 s"
                        _boot_log_tail
                        boot_stop
                        return 1
                fi
                if [[ -z $BOOT_NSPAWN ]]; then
                        children=()
                        read -r -a children 2>/dev/null <"/proc/$_boot_job/task/$_boot_job/children" || true
                        for child in "${children[@]}"; do
                                comm=$(cat "/proc/$child/comm" 2>/dev/null) || continue
                                [[ $comm != systemd-nspawn ]] || BOOT_NSPAWN=$child
                        done
                fi
                if [[ -n $BOOT_NSPAWN ]]; then
                        children=()
                        read -r -a children 2>/dev/null <"/proc/$BOOT_NSPAWN/task/$BOOT_NSPAWN/children" || true
                        for child in "${children[@]}"; do
                                comm=$(cat "/proc/$child/comm" 2>/dev/null) || continue
                                [[ $comm == systemd || $comm == init ]] || continue
                                [[ /proc/$child/ns/pid -ef /proc/$BOOT_NSPAWN/ns/pid ]] && continue
                                BOOT_LEADER=$child
                        done
                fi
                [[ -n $BOOT_LEADER ]] || sleep 0.02
        done
        BOOT_ROOT=/proc/$BOOT_LEADER/root
        _boot_phase "start (init is pid $BOOT_LEADER)"
}

boot_exec() {
        if [[ -z $BOOT_LEADER ]] || ! _boot_alive "$BOOT_LEADER"; then
                _boot_msg "boot_exec: no container is running"
                return 125
        fi
        _boot_nsenter "$@"
}

boot_sh() {
        local script=${1:?boot_sh needs a script}
        shift
        boot_exec /bin/sh -c "$script" sh "$@"
}

boot_wait() {
        local timeout=${1:-120} state deadline
        deadline=$((${EPOCHREALTIME%.*} + timeout))
        if [[ -z $BOOT_LEADER ]]; then
                _boot_msg "boot_wait: no container is running"
                echo "none"
                return 1
        fi
        # Until PID 1 answers on /run/systemd/private: before that, systemctl fails at once.
        while :; do
                state=$(boot_exec timeout "$((deadline - ${EPOCHREALTIME%.*} + 1))" \
                        systemctl is-system-running --wait 2>/dev/null) || true
                case "$state" in
                # "offline": PID 1 does not answer yet (or nsenter could not enter yet); try again.
                running | degraded | maintenance | stopping) break ;;
                esac
                if ! _boot_alive "$BOOT_LEADER"; then
                        state="${state:-unknown} (the container is gone)"
                        break
                fi
                if ((${EPOCHREALTIME%.*} >= deadline)); then
                        # Where it is stuck: the state without waiting, and the jobs still queued.
                        state=$(boot_exec timeout 5 systemctl is-system-running 2>/dev/null) || true
                        state="${state:-unknown} (not up within ${timeout} s)"
                        boot_exec timeout 5 systemctl list-jobs --no-pager >&2 || true
                        break
                fi
                sleep 0.05
        done
        _boot_phase "boot to $state"
        echo "$state"
        case "$state" in
        running | degraded) return 0 ;;
        esac
        _boot_log_tail
        return 1
}

boot_stop() {
        local timeout=${1:-60} rc=0 deadline
        if [[ -n $_boot_job ]]; then
                _boot_t_last=$(_boot_now_us)
                if _boot_alive "$_boot_job"; then
                        # nspawn passes SIGTERM on to the container's init as its halt signal
                        # (SIGRTMIN+3): a clean shutdown, after which nspawn exits, and unshare with it.
                        # (Before nspawn runs, unshare's child is the shell that sets up the root.)
                        if [[ -n $BOOT_NSPAWN ]]; then
                                kill -TERM "$BOOT_NSPAWN" 2>/dev/null || true
                        else
                                kill -KILL "$_boot_job" 2>/dev/null || true
                        fi
                        deadline=$((${EPOCHREALTIME%.*} + timeout))
                        while _boot_alive "$_boot_job" && ((${EPOCHREALTIME%.*} < deadline)); do
                                sleep 0.02
                        done
                        if _boot_alive "$_boot_job"; then
                                _boot_msg "the container did not stop within $timeout s; killing it"
                                _boot_log_tail
                                # nspawn's end ends everything in its pid namespace, the container too.
                                [[ -z $BOOT_NSPAWN ]] || kill -KILL "$BOOT_NSPAWN" 2>/dev/null || true
                                kill -KILL "$_boot_job" 2>/dev/null || true
                                rc=1
                        fi
                fi
                # unshare exits with nspawn's status: 0 after a halt; 133 after a reboot inside (nspawn does
                # not restart it). 127: not this shell's child (boot_start ran in another), status unknown.
                local nspawn_rc=0
                wait "$_boot_job" 2>/dev/null || nspawn_rc=$?
                if [[ $rc -eq 0 && $nspawn_rc -ne 0 && $nspawn_rc -ne 127 ]]; then
                        _boot_msg "systemd-nspawn exited with status $nspawn_rc"
                        _boot_log_tail
                        rc=1
                fi
                # Gone by now unless unshare was killed before nspawn: then wait for the kernel.
                deadline=$((${EPOCHREALTIME%.*} + 10))
                while { [[ -n $BOOT_NSPAWN ]] && _boot_alive "$BOOT_NSPAWN"; } ||
                        { [[ -n $BOOT_LEADER ]] && _boot_alive "$BOOT_LEADER"; }; do
                        ((${EPOCHREALTIME%.*} < deadline)) || break
                        sleep 0.02
                done
                _boot_phase "stop"
        fi
        if [[ -n ${AIOS_BOOT_CONSOLE_LOG-} && -n $BOOT_LOG && -f $BOOT_LOG ]]; then
                cp -- "$BOOT_LOG" "$AIOS_BOOT_CONSOLE_LOG" || true
        fi
        if [[ -n $BOOT_DIR ]]; then
                # The tmpfs was mounted in nspawn's private namespace only; here fs/ is an empty directory.
                # --one-file-system all the same, should anything be mounted there.
                rm -rf --one-file-system -- "$BOOT_DIR"
        fi
        if [[ -n $_boot_dir_lock_fd ]]; then
                exec {_boot_dir_lock_fd}>&-
        fi
        if [[ -n $_boot_lock_fd ]]; then
                exec {_boot_lock_fd}>&-
        fi
        _boot_job=''
        BOOT_NSPAWN=''
        BOOT_LEADER=''
        BOOT_ROOT=''
        BOOT_DIR=''
        BOOT_LOG=''
        BOOT_NAME=''
        _boot_lock_fd=''
        _boot_dir_lock_fd=''
        return "$rc"
}

# The command.
_boot_main() {
        set -euo pipefail
        local start_args=() nspawn_args=() status=0 state
        local usage="usage: $0 [--rootfs DIR] [--copy DIR]... [--name NAME] [--nspawn-arg ARG]... [-- CMD...]"
        while [[ $# -gt 0 ]]; do
                case "$1" in
                --rootfs | --copy | --name) start_args+=("$1" "${2:?$1 needs a value}"); shift 2 ;;
                --rootfs=* | --copy=* | --name=*) start_args+=("$1"); shift ;;
                --nspawn-arg) nspawn_args+=("${2:?--nspawn-arg needs a value}"); shift 2 ;;
                --nspawn-arg=*) nspawn_args+=("${1#*=}"); shift ;;
                --) shift; break ;;
                -h | --help)
                        echo "$usage"
                        return 0
                        ;;
                *)
                        echo "$usage" >&2
                        return 2
                        ;;
                esac
        done
        export AIOS_BOOT_VERBOSE=1
        trap 'boot_stop || true' EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
        boot_start "${start_args[@]}" -- "${nspawn_args[@]}"
        if state=$(boot_wait); then
                _boot_msg "the system is $state"
        else
                _boot_msg "the system is $state; going on"
        fi
        if [[ $# -gt 0 ]]; then
                boot_exec "$@" || status=$?
        elif [[ -t 0 ]]; then
                _boot_msg "a shell in $BOOT_NAME; exit it to stop the container"
                boot_exec /bin/bash -l || status=$?
        else
                _boot_msg "$BOOT_NAME is up (init: pid $BOOT_LEADER, root: $BOOT_ROOT); Ctrl-C or SIGTERM stops it"
                wait "$_boot_job" || true # until nspawn ends, or a trapped signal
        fi
        boot_stop || { [[ $status -ne 0 ]] || status=1; }
        trap - EXIT
        return "$status"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
        _boot_main "$@"
        exit $?
fi
