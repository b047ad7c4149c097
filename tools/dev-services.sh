#!/usr/bin/env bash
# Brings up the system services aios needs -- a system-type D-Bus bus and polkitd with the project's
# D-Bus policy (the gateway's dbus/*.conf; the servers', generated, in the build directory's dbus/),
# polkit actions (polkit/*.policy) and rules (polkit/*.rules) -- on a machine where systemd is not PID 1
# (development, CI, containers), without touching the host's /etc, /usr or /run.
#
# usage: tools/dev-services.sh [-- CMD [ARGS...]]
#
# Runs as root, in a private mount namespace of its own (it re-executes itself under
# `unshare --mount --propagation private`). There it
#   - creates a runtime directory, mktemp -d /tmp/aios-dev.XXXXXX, or $AIOS_DEV_RUNTIME (which must not
#     exist or be empty),
#   - bind-mounts, inside the namespace only, copies of /etc/passwd, /etc/group and their shadows with
#     the project's users (the build directory's sysusers.d/*.conf) added,
#   - starts dbus-daemon as a system bus listening on unix:path=$RUNTIME/system_bus_socket, with the
#     system bus's default policy plus the project's bus policies and the host's polkit bus policy,
#   - bind-mounts, inside the namespace only, a copy of the host's /usr/share/polkit-1/actions and
#     /usr/share/polkit-1/rules.d with the project's files added over those directories (the host's
#     /etc/polkit-1/rules.d, the administrator's rules, still applies),
#   - starts /usr/lib/polkit-1/polkitd on that bus and waits until org.freedesktop.PolicyKit1 is there,
#   - runs CMD inside the namespace with DBUS_SYSTEM_BUS_ADDRESS and AIOS_DEV_SERVICES_RUNTIME (the
#     runtime directory) exported, then
#     stops polkitd and dbus-daemon, removes the runtime directory and exits with CMD's status.
# Without CMD it prints the bus address and waits for Ctrl-C (or SIGTERM).
#
# Clients outside the namespace can use the bus too (the socket is in /tmp); they just see the host's
# polkit files, which doesn't matter to a client.
#
# Logs: $RUNTIME/dbus-daemon.log and $RUNTIME/polkitd.log (gone with the runtime directory; CMD can
# read them). polkitd runs without --no-debug, which would only send its output to /dev/null: with
# it, everything it says goes to syslog alone, and there is usually no syslog where this runs.
#
# Environment:
#   AIOS_BUILD_DIR          the meson build directory (default: build/ in the source tree), where the
#                           servers' bus policies and the users are generated from their declarations
#                           (aios_servers in meson.build); meson test sets it
#   AIOS_DEV_RUNTIME        runtime directory to use instead of a new /tmp/aios-dev.XXXXXX
#   AIOS_DEV_VERBOSE=1      report the phases and their timings on stderr (always on without CMD)
#   AIOS_DEV_POLKIT_DEBUG=1 polkitd logs its debug messages too (G_MESSAGES_DEBUG=all)
#   AIOS_DBUS_DAEMON, AIOS_POLKITD  the daemons' binaries (dbus-daemon, /usr/lib/polkit-1/polkitd)
#   AIOS_DEV_START_TIMEOUT  seconds to wait for each daemon, default 10
set -euo pipefail

self=$(readlink -f "${BASH_SOURCE[0]}")
top=$(cd "$(dirname "$self")/.." && pwd)
build=${AIOS_BUILD_DIR:-$top/build}
prog=dev-services.sh

die() {
        echo "$prog: $*" >&2
        exit 1
}

if [[ ${1-} == -- ]]; then
        shift
elif [[ $# -gt 0 ]]; then
        echo "usage: $0 [-- CMD [ARGS...]]" >&2
        exit 2
fi

now_us() { echo "${EPOCHREALTIME/./}"; }
t_begin=${_AIOS_DEV_T0:-$(now_us)}

# Step 1: into a private mount namespace. The bind mounts below are made there and disappear with it;
# --propagation private keeps them (and everything mounted there) from propagating to the host.
# _AIOS_DEV_OUTER_NS is the namespace we came from: the script goes on only once it is in another one
# (the cleanup stops every process in its namespace).
mnt_ns() { stat -L -c %i /proc/self/ns/mnt; }
if [[ -z ${_AIOS_DEV_OUTER_NS-} ]]; then
        [[ $EUID -eq 0 ]] || die "must run as root: polkitd switches to its own user and the namespace needs CAP_SYS_ADMIN (try sudo)"
        command -v unshare >/dev/null || die "unshare (util-linux) not found"
        # unshare execs the script in place, so this process (and its pid) remains the one to signal.
        _AIOS_DEV_OUTER_NS=$(mnt_ns) _AIOS_DEV_T0=$t_begin \
                exec unshare --mount --propagation private -- "$self" -- "$@"
fi
[[ $(mnt_ns) != "$_AIOS_DEV_OUTER_NS" ]] || die "not in a mount namespace of its own"
unset _AIOS_DEV_OUTER_NS _AIOS_DEV_T0

verbose=${AIOS_DEV_VERBOSE:-0}
[[ $# -eq 0 ]] && verbose=1
timeout_s=${AIOS_DEV_START_TIMEOUT:-10}
dbus_daemon=${AIOS_DBUS_DAEMON:-dbus-daemon}
polkitd=${AIOS_POLKITD:-/usr/lib/polkit-1/polkitd}
command -v "$dbus_daemon" >/dev/null || die "dbus-daemon not found (Debian: apt-get install dbus-daemon)"
[[ -x $polkitd ]] || die "$polkitd not found (Debian: apt-get install polkitd)"
command -v busctl >/dev/null || die "busctl (systemd) not found"
[[ -f $build/sysusers.d/aios.conf ]] ||
        die "$build/sysusers.d/aios.conf not found: set up that build directory (meson setup), or name another in AIOS_BUILD_DIR"
getent passwd polkitd >/dev/null || die "user polkitd does not exist; polkitd switches to it (it comes with the polkitd package)"

t_last=$t_begin
phase() { # NAME: report the time since the previous phase
        local t
        t=$(now_us)
        if [[ $verbose == 1 ]]; then
                printf '%s: %-28s %4d ms\n' "$prog" "$1" $(((t - t_last) / 1000)) >&2
        fi
        t_last=$t
}
phase "mount namespace"

runtime=
created_runtime=0
mounts=()
dbus_pid=
polkit_pid=
cmd_pid=
status=0

# Whatever CMD left running in this mount namespace (background jobs, daemons it started) would keep a
# dead bus and the namespace alive: SIGTERM, then SIGKILL after a second.
# shellcheck disable=SC2317 # invoked by cleanup
stop_stragglers() {
        local p left=() i
        for p in /proc/[0-9]*; do
                p=${p#/proc/}
                [[ $p == "$$" || $p == "$dbus_pid" || $p == "$polkit_pid" ]] && continue
                [[ /proc/$p/ns/mnt -ef /proc/$$/ns/mnt ]] && kill -TERM "$p" 2>/dev/null && left+=("$p")
        done
        for ((i = 0; i < 100 && ${#left[@]} > 0; i++)); do
                sleep 0.01
                for p in "${!left[@]}"; do
                        # gone, or a zombie (whose namespaces are gone)
                        [[ /proc/${left[p]}/ns/mnt -ef /proc/$$/ns/mnt ]] || unset 'left[p]'
                done
        done
        [[ ${#left[@]} -eq 0 ]] || kill -KILL "${left[@]}" 2>/dev/null
}

# Stops what runs, in the reverse order of starting, and removes the runtime directory. Runs once, on
# every exit (set -e failures included); INT and TERM lead here through exit.
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
        local rc=$?
        trap - EXIT INT TERM
        set +e
        if [[ -n $cmd_pid ]] && kill -0 "$cmd_pid" 2>/dev/null; then
                kill -TERM "$cmd_pid" 2>/dev/null
                wait "$cmd_pid" 2>/dev/null
        fi
        stop_stragglers
        local pid
        for pid in $polkit_pid $dbus_pid; do
                kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
        done
        local i
        for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
                umount "${mounts[i]}" 2>/dev/null
        done
        if [[ $created_runtime == 1 ]]; then
                rm -rf -- "$runtime"
        fi
        exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Step 2: the runtime directory. Created here, so that removing it at the end removes only what this
# script made. World-searchable: polkitd (user polkitd) and unprivileged clients connect to the socket.
if [[ -n ${AIOS_DEV_RUNTIME-} ]]; then
        runtime=$AIOS_DEV_RUNTIME
        if [[ -e $runtime ]]; then
                [[ -d $runtime && -z $(ls -A "$runtime") ]] || die "AIOS_DEV_RUNTIME=$runtime exists and is not an empty directory"
                rmdir "$runtime"
        fi
        mkdir -m 0755 "$runtime"
        created_runtime=1
        runtime=$(cd "$runtime" && pwd)
        setpriv --reuid=polkitd --regid="$(id -g polkitd)" --clear-groups -- test -x "$runtime" ||
                die "AIOS_DEV_RUNTIME=$runtime: user polkitd cannot reach it (a parent directory is not searchable for others)"
else
        runtime=$(mktemp -d /tmp/aios-dev.XXXXXX)
        created_runtime=1
        chmod 0755 "$runtime"
fi
socket=$runtime/system_bus_socket
address=unix:path=$socket

# Step 2b: the project's users (sysusers.d/aios.conf in the build directory: aios-gateway, aios-sysops,
# ...), so that the servers and the gateway can run as they do when installed, and the bus policy and
# polkit rules that name them apply. In this namespace only: copies of the host's account files with the
# users added, bind-mounted over the originals before the bus reads its policy.
mkdir -m 0755 "$runtime/etc"
account_files=()
for f in passwd group shadow gshadow; do
        [[ -e /etc/$f ]] || continue
        cp -p -- "/etc/$f" "$runtime/etc/$f"
        account_files+=("$f")
done
command -v systemd-sysusers >/dev/null || die "systemd-sysusers (systemd) not found"
systemd-sysusers --root="$runtime" "$build"/sysusers.d/*.conf >/dev/null 2>"$runtime/sysusers.log" ||
        { cat "$runtime/sysusers.log" >&2; die "systemd-sysusers could not add the project's users"; }
for f in "${account_files[@]}"; do
        mount --bind "$runtime/etc/$f" "/etc/$f"
        mounts+=("/etc/$f")
done
phase "users"

# Step 3: the system bus. The default policy of /usr/share/dbus-1/system.conf, less what needs the
# real system: no <user>messagebus</user> (the daemon stays root, which it may; the user may not
# exist), no pid file in /run/dbus, no syslog, no activation helper (the servers are started by hand,
# not activated). The service policies are copied, so that the bus sees the project's files as they
# are now, whatever happens to the tree while it runs.
mkdir "$runtime/system.d"
shopt -s nullglob
dbus_confs=("$top"/dbus/*.conf "$build"/dbus/*.conf)
[[ -f /usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf ]] ||
        die "/usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf not found (polkitd's bus policy)"
cp -- /usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf "${dbus_confs[@]}" "$runtime/system.d/"
cat >"$runtime/system.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<!-- Written by tools/dev-services.sh: a private system bus for aios development. -->
<busconfig>
  <type>system</type>
  <auth>EXTERNAL</auth>
  <listen>$address</listen>

  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Properties"/>
    <deny send_destination="org.freedesktop.DBus"
          send_interface="org.freedesktop.DBus"
          send_member="UpdateActivationEnvironment"/>
    <deny send_destination="org.freedesktop.DBus"
          send_interface="org.freedesktop.DBus.Debug.Stats"/>
  </policy>
  <policy user="root">
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Monitoring"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Debug.Stats"/>
  </policy>

  <includedir>$runtime/system.d</includedir>
</busconfig>
EOF

# The daemon writes its address, a whole line, into a file once it listens; the loop waits for that line
# (a read with a timeout on a pipe could lose the start of a line that arrived in two parts).
# setsid: the daemons are stopped by this script, not by a Ctrl-C meant for CMD. --pdeathsig: if this
# script is killed outright (SIGKILL), the bus dies with it, and polkitd exits when it loses the bus.
: >"$runtime/.address"
exec {addr_fd}>"$runtime/.address"
setsid setpriv --pdeathsig KILL -- "$dbus_daemon" --config-file="$runtime/system.conf" --nofork \
        --print-address="$addr_fd" </dev/null >"$runtime/dbus-daemon.log" 2>&1 &
dbus_pid=$!
exec {addr_fd}>&-
deadline=$((${EPOCHREALTIME%.*} + timeout_s))
until [[ $(tail -c 1 "$runtime/.address" | od -An -c | tr -d ' ') == '\n' ]]; do
        if ! kill -0 "$dbus_pid" 2>/dev/null || ((${EPOCHREALTIME%.*} > deadline)); then
                cat "$runtime/dbus-daemon.log" >&2
                die "dbus-daemon did not start"
        fi
        sleep 0.01
done
bus_address=$(head -n 1 "$runtime/.address")
rm -f "$runtime/.address"
phase "dbus-daemon"

# Step 4: polkit's files, seen by polkitd in this namespace only: copies of the host's directories
# with the project's files added (a project file replaces a host file of the same name).
overlay_dir() { # SRC_DIR DEST_DIR FILES...: make DEST_DIR a copy of SRC_DIR plus FILES, mount it on SRC_DIR
        local src=$1 dest=$2
        shift 2
        mkdir -m 0755 "$dest"
        local host=("$src"/*)
        [[ ${#host[@]} -eq 0 ]] || cp -R -- "${host[@]}" "$dest/"
        [[ $# -eq 0 ]] || cp -- "$@" "$dest/"
        chmod -R u=rwX,go=rX "$dest"
        mkdir -p "$src"
        mount --bind "$dest" "$src"
        mounts+=("$src")
}
overlay_dir /usr/share/polkit-1/actions "$runtime/polkit-actions" "$top"/polkit/*.policy
overlay_dir /usr/share/polkit-1/rules.d "$runtime/polkit-rules.d" "$top"/polkit/*.rules
phase "polkit files"

# Step 5: polkitd. Started as root, it switches to the user polkitd itself; the bus policy
# org.freedesktop.PolicyKit1.conf lets only that user own the name. Without MALLOC_PERTURB_, which meson
# test sets at random for the code under test, not for the system's daemons.
polkit_env=(DBUS_SYSTEM_BUS_ADDRESS="$bus_address")
[[ ${AIOS_DEV_POLKIT_DEBUG:-0} == 1 ]] && polkit_env+=(G_MESSAGES_DEBUG=all)
env -u MALLOC_PERTURB_ "${polkit_env[@]}" setsid "$polkitd" </dev/null >"$runtime/polkitd.log" 2>&1 &
polkit_pid=$!
deadline=$((${EPOCHREALTIME%.*} + timeout_s))
until busctl --address="$bus_address" call org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus NameHasOwner s org.freedesktop.PolicyKit1 2>/dev/null | grep -qx 'b true'; do
        if ! kill -0 "$polkit_pid" 2>/dev/null || ((${EPOCHREALTIME%.*} > deadline)); then
                cat "$runtime/polkitd.log" >&2
                die "polkitd did not come up on the bus"
        fi
        sleep 0.01
done
phase "polkitd"
if [[ $verbose == 1 ]]; then
        printf '%s: %-28s %4d ms\n' "$prog" "total" $(((t_last - t_begin) / 1000)) >&2
fi

export DBUS_SYSTEM_BUS_ADDRESS=$bus_address
export AIOS_DEV_SERVICES_RUNTIME=$runtime
unset AIOS_DEV_RUNTIME # an input; a nested run makes its own

if [[ $# -eq 0 ]]; then
        cat <<MSG
System bus:  DBUS_SYSTEM_BUS_ADDRESS=$bus_address
             (polkitd is on it; logs in $runtime)
Try:         busctl --address=$bus_address list
Press Ctrl-C to stop.
MSG
        # Until a signal ends the script, or one of the daemons dies.
        wait -n "$dbus_pid" "$polkit_pid" || true
        cat "$runtime/dbus-daemon.log" "$runtime/polkitd.log" >&2
        die "a daemon exited unexpectedly; its log is above"
fi

# Step 6: CMD. In the background so that a SIGTERM to this script is handled at once (bash runs traps
# only between foreground commands), but with what a foreground command would have: the terminal as
# stdin and the default SIGINT/SIGQUIT (bash ignores those in background commands), so Ctrl-C reaches
# it as usual. On SIGINT this script waits for CMD to finish (an interactive CMD may keep running); on
# SIGTERM it passes the signal on. If this script is killed outright, CMD gets a SIGTERM too.
(
        trap - INT QUIT
        exec setpriv --pdeathsig TERM -- "$@"
) <&0 &
cmd_pid=$!
signalled=0
trap 'signalled=1' INT
trap 'signalled=1; kill -TERM "$cmd_pid" 2>/dev/null || true' TERM
while :; do
        # A trapped signal interrupts wait (status >128) whether or not CMD has finished; waiting again
        # returns CMD's own status, also when CMD is gone already.
        signalled=0
        status=0
        wait "$cmd_pid" || status=$?
        [[ $signalled == 1 ]] || break
done
cmd_pid=
exit "$status"
