#!/usr/bin/env bash
# aios-sysopsd's unit tools in a booted Debian 12 (aios installed with `meson install`, booted with
# systemd-nspawn --boot): list, status, start, stop, restart, enable and disable a test unit through
# org.aios.SystemOps1, with systemd agreeing; protected units refused, also where an action on another unit
# would change them, and the allow-list; polkit refusing a principal
# without the grant, and a rule that names one unit allowing exactly that unit; bad input as tool errors.
# usage: sysops-check.sh SOURCE_DIR   (runs as root; exit 77 where systemd-nspawn cannot run)
set -euo pipefail

src=$(cd "${1:?usage: sysops-check.sh SOURCE_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
name=sysops-check.sh
# shellcheck source=tests/system/lib.sh
. "$here/lib.sh"
system_boot_installed

# call USER TOOL ARGUMENTS: CallTool on org.aios.SystemOps1 as USER (root: busctl itself), printing what
# busctl prints (the result as an escaped JSON string) or its error.
call() {
        local user=$1
        shift
        local cmd=(busctl call org.aios.SystemOps1 /org/aios/MCP1 org.aios.MCP1 CallTool ss "$@")
        [[ $user == root ]] || cmd=(runuser -u "$user" -- "${cmd[@]}")
        boot_exec "${cmd[@]}" 2>&1 || true
}
state_is() { # state_is DESCRIPTION UNIT STATE: systemctl is-active UNIT says exactly STATE
        local out
        out=$(boot_exec systemctl is-active "$2" 2>&1 || true)
        if [[ $out == "$3" ]]; then pass "$1"; else fail "$1" "systemctl is-active $2: $out (expected $3)"; fi
}
enabled_is() { # enabled_is DESCRIPTION UNIT STATE: systemctl is-enabled UNIT says exactly STATE
        local out
        out=$(boot_exec systemctl is-enabled "$2" 2>&1 || true)
        if [[ $out == "$3" ]]; then pass "$1"; else fail "$1" "systemctl is-enabled $2: $out (expected $3)"; fi
}

# --- installation ----------------------------------------------------------------------------------------

out=$(boot_exec id aios-sysops 2>&1 || true)
expect "sysusers.d makes the user aios-sysops, in the group systemd-journal" "systemd-journal" "$out"
out=$(boot_exec systemd-analyze verify --man=no /usr/lib/systemd/system/aios-sysopsd.service \
        /usr/lib/systemd/system/aios-sysopsd.socket 2>&1 || true)
[[ -z $out ]] && pass "systemd-analyze verify reports nothing for aios-sysopsd's units" ||
        fail "systemd-analyze verify reports nothing for aios-sysopsd's units" "$out"
score=$(boot_exec systemd-analyze security aios-sysopsd.service 2>/dev/null |
        sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
echo "# systemd-analyze security aios-sysopsd.service: $score"
if awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.0) }'; then
        pass "aios-sysopsd.service scores $score (2.0 or lower)"
else
        fail "aios-sysopsd.service scores $score (2.0 or lower)"
fi

boot_exec systemctl start aios-sysopsd.socket
out=$(boot_exec busctl call org.aios.SystemOps1 /org/aios/MCP1 org.aios.MCP1 ListTools 2>&1 || true)
expect "a call to org.aios.SystemOps1 starts the server through D-Bus activation" "system_unit_control" "$out"
out=$(boot_exec systemctl show -P User aios-sysopsd.service 2>&1 || true)
expect "it runs as aios-sysops" "aios-sysops" "$out"
init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"sysops-check","version":"1"}}}'
out=$(boot_exec curl -s --max-time 20 http://127.0.0.1:8002/mcp -H 'Content-Type: application/json' \
        -H 'Accept: application/json, text/event-stream' -d "$init" || true)
expect "it serves MCP on 127.0.0.1:8002 (socket activation, IPAddressAllow=localhost)" '"name":"aios-sysopsd"' "$out"
out=$(call root system_network '{}')
expect "system_network sees the interfaces from within the sandbox (netlink allowed)" '\"name\":\"lo\"' "$out"

# --- system_info: what systemd-hostnamed says where it runs --------------------------------------------
out=$(call root system_info '{}')
expect "system_info takes the host's details from systemd-hostnamed" '\"source\":\"hostname1\"' "$out"
expect "with its host name" '\"hostname\":\"aios-test\"' "$out"

# --- system_units ----------------------------------------------------------------------------------------

out=$(call root system_units '{"pattern":"dbus*"}')
expect "system_units as root finds dbus.service" '\"name\":\"dbus.service\"' "$out"
expect "with its states" '\"active_state\":\"active\",\"sub_state\":\"running\"' "$out"
out=$(call aios-gateway system_units '{}')
expect "the gateway's user has no blanket grant: system_units acting for itself is refused" "Access denied" "$out"
out=$(call root system_units '{"type":"socket","state":"listening"}')
expect "system_units lists listening sockets" '.socket\"' "$out"
reject "filtered by type" '.service\"' "$out"
reject "and by state" '\"sub_state\":\"running\"' "$out"
out=$(call root system_units '{"type":"socket","limit":2}')
expect "bounded by the limit" '\"truncated\":true' "$out"
out=$(call root system_units '{"pattern":"ssh["}')
expect "a malformed pattern is a tool error" 'opens a set that is never closed' "$out"
expect "(isError)" '\"isError\":true' "$out"
out=$(call root system_units '{"pattern":"$(reboot)"}')
expect "a pattern with other characters is a tool error" 'does not match the pattern' "$out"
out=$(call root system_units '{"limit":100000}')
expect "a huge limit is a tool error" 'greater than the maximum 2000' "$out"
out=$(call nobody system_units '{}')
expect "polkit refuses system_units to nobody" "Access denied" "$out"

# --- a test unit -----------------------------------------------------------------------------------------

boot_sh 'cat >/run/systemd/system/sysops-test.service <<EOF
[Unit]
Description=aios sysops test service
[Service]
ExecStartPre=/bin/echo sysops-test says hello
ExecStart=/bin/sleep infinity
[Install]
WantedBy=multi-user.target
EOF
cat >/run/systemd/system/sysops-other.service <<EOF
[Service]
ExecStart=/bin/sleep infinity
EOF
cat >/run/systemd/system/sysops-fail.service <<EOF
[Service]
Type=oneshot
ExecStart=/bin/false
EOF
cat >/run/systemd/system/sysops-slow.service <<EOF
[Service]
Type=oneshot
ExecStart=/bin/sleep 30
EOF
cat >/run/systemd/system/sysops-after.service <<EOF
[Unit]
After=sysops-slow.service
[Service]
ExecStart=/bin/sleep infinity
EOF
systemctl daemon-reload'

out=$(call root system_unit_status '{"unit":"sysops-test.service"}')
expect "system_unit_status shows a stopped unit" '\"active_state\":\"inactive\"' "$out"
expect "its description" 'aios sysops test service' "$out"
expect "its unit file" '\"fragment_path\":\"/run/systemd/system/sysops-test.service\"' "$out"

t0=$(date +%s%N)
out=$(call root system_unit_control '{"unit":"sysops-test.service","action":"start"}')
echo "# a start, with the walk through what it would change, took $((($(date +%s%N) - t0) / 1000000)) ms"
expect "system_unit_control starts the unit and reports the job's result" '\"result\":\"done\"' "$out"
expect "and the state it ended in" '\"active_state\":\"active\",\"sub_state\":\"running\"' "$out"
state_is "systemctl agrees" sysops-test.service active

out=$(call root system_unit_status '{"unit":"sysops-test.service"}')
expect "system_unit_status shows it running" '\"sub_state\":\"running\"' "$out"
[[ $out =~ \\\"main_pid\\\":([0-9]+) ]] && pid=${BASH_REMATCH[1]} || pid=
if [[ -n $pid && $pid == "$(boot_exec systemctl show -P MainPID sysops-test.service)" ]]; then
        pass "with the main PID systemctl shows ($pid)"
else
        fail "with the main PID systemctl shows" "$out"
fi
expect "and its log lines from the journal" 'sysops-test says hello' "$out"
expect "including systemd's own about it" 'Started' "$out"

out=$(call aios-gateway system_unit_control '{"unit":"sysops-test.service","action":"stop"}')
expect "the gateway's user acting for itself may not stop it" "Access denied" "$out"
state_is "and the unit still runs" sysops-test.service active
out=$(call root system_unit_control '{"unit":"sysops-test.service","action":"restart"}')
expect "restart: done" '\"result\":\"done\"' "$out"
out=$(call root system_unit_control '{"unit":"sysops-test.service","action":"stop"}')
expect "stop: done" '\"result\":\"done\"' "$out"
state_is "systemctl agrees that it stopped" sysops-test.service inactive

out=$(call root system_unit_control '{"unit":"sysops-test.service","action":"enable"}')
expect "enable: the symlink is made" '\"type\":\"symlink\"' "$out"
enabled_is "systemctl agrees that it is enabled" sysops-test.service enabled
out=$(call root system_unit_control '{"unit":"sysops-test.service","action":"disable"}')
expect "disable: the symlink is removed" '\"type\":\"unlink\"' "$out"
enabled_is "systemctl agrees that it is disabled" sysops-test.service disabled
out=$(call root system_unit_control '{"unit":"sysops-other.service","action":"enable"}')
expect "enabling a unit without [Install] says so" 'no [Install] section' "$out"

out=$(call root system_unit_control '{"unit":"sysops-fail.service","action":"start"}')
expect "a unit that fails to start: the job's result is failed" '\"result\":\"failed\"' "$out"
expect "as a tool error" '\"isError\":true' "$out"
out=$(call root system_unit_control '{"unit":"sysops-slow.service","action":"start","timeout_sec":1}')
expect "a job longer than timeout_sec: a tool error that says it goes on" 'did not finish within 1 s' "$out"
state_is "systemctl agrees that it goes on" sysops-slow.service activating
boot_exec systemctl stop sysops-slow.service

# A caller that gives up (busctl's own timeout, after which it leaves the bus) cancels its call, and the
# job it queued is cancelled with it: the work does not go on behind its back. sysops-after's start waits
# for sysops-slow's (After=), so it is still queued when the caller leaves.
boot_exec systemctl start --no-block sysops-slow.service
out=$(boot_exec busctl --timeout=3 call org.aios.SystemOps1 /org/aios/MCP1 org.aios.MCP1 CallTool ss \
        system_unit_control '{"unit":"sysops-after.service","action":"start"}' 2>&1 || true)
expect "a caller that gives up waiting gets busctl's timeout" "timed out" "$out"
for ((i = 0; i < 100; i++)); do
        [[ -z $(boot_exec systemctl list-jobs --no-legend sysops-after.service 2>&1 || true) ]] && break
        sleep 0.1
done
out=$(boot_exec systemctl list-jobs --no-legend 2>&1 || true)
reject "the start job it queued is cancelled, not left to run" "sysops-after.service" "$out"
state_is "so the unit never starts" sysops-after.service inactive
out=$(boot_exec journalctl -u aios-sysopsd.service --no-pager 2>&1 || true)
expect "the server says so" "its call was cancelled" "$out"
boot_exec systemctl stop sysops-slow.service

# --- what may not be done --------------------------------------------------------------------------------

out=$(call root system_unit_control '{"unit":"dbus.service","action":"stop"}')
expect "stopping dbus.service is refused as a protected unit" 'Refused to stop dbus.service: dbus.service is protected' "$out"
state_is "dbus.service still runs" dbus.service active
out=$(call root system_unit_control '{"unit":"aios-sysopsd.service","action":"restart"}')
expect "restarting aios itself is refused" 'aios-sysopsd.service is protected' "$out"
out=$(call root system_unit_control '{"unit":"dbus.socket","action":"disable"}')
expect "disabling dbus.socket is refused" 'Refused to disable dbus.socket: dbus.socket is protected' "$out"
for action in start enable; do
        out=$(call root system_unit_control "{\"unit\":\"debug-shell.service\",\"action\":\"$action\"}")
        expect "debug-shell.service: $action is refused" "Refused to $action debug-shell.service: debug-shell.service is protected" "$out"
done
state_is "debug-shell.service did not start" debug-shell.service inactive
enabled_is "nor was it enabled" debug-shell.service disabled
for target in poweroff reboot halt kexec rescue emergency suspend hibernate hybrid-sleep suspend-then-hibernate factory-reset; do
        out=$(call root system_unit_control "{\"unit\":\"$target.target\",\"action\":\"start\"}")
        expect "starting $target.target is refused" "$target.target is protected" "$out"
done
state_is "the system still runs" multi-user.target active
for unit in system.slice user.slice -.slice systemd-user-sessions.service console-getty.service sysinit.target; do
        out=$(call root system_unit_control "{\"unit\":\"$unit\",\"action\":\"stop\"}")
        expect "stopping $unit is refused" "$unit is protected" "$out"
done

# What an action would change, as systemd's transaction would: units that pull in, conflict with, require
# or take the stop of a protected unit.
boot_sh 'cat >/run/systemd/system/sysops-pull.service <<END
[Unit]
Wants=debug-shell.service
[Service]
ExecStart=/bin/sleep infinity
END
cat >/run/systemd/system/sysops-conflict.service <<END
[Unit]
Conflicts=dbus.service
[Service]
ExecStart=/bin/sleep infinity
END
cat >/run/systemd/system/sysops-propagate.service <<END
[Unit]
PropagatesStopTo=dbus.service
[Service]
ExecStart=/bin/sleep infinity
END
cat >/run/systemd/system/sysops-needed.service <<END
[Service]
ExecStart=/bin/sleep infinity
END
mkdir -p /run/systemd/system/systemd-logind.service.d
printf "[Unit]\nRequires=sysops-needed.service\n" >/run/systemd/system/systemd-logind.service.d/sysops-test.conf
ln -sf /run/systemd/system/sysops-other.service /run/systemd/system/sysops-alias.service
ln -sf /lib/systemd/system/dbus.service /run/systemd/system/sysops-bus.service
systemctl daemon-reload
systemctl start sysops-propagate.service sysops-needed.service'
out=$(call root system_unit_control '{"unit":"sysops-pull.service","action":"start"}')
expect "starting a unit that wants debug-shell.service is refused" 'would start debug-shell.service' "$out"
state_is "it did not start" sysops-pull.service inactive
state_is "nor did debug-shell.service" debug-shell.service inactive
out=$(call root system_unit_control '{"unit":"sysops-conflict.service","action":"start"}')
expect "starting a unit that conflicts with dbus.service is refused" 'would stop dbus.service' "$out"
out=$(call root system_unit_control '{"unit":"sysops-propagate.service","action":"stop"}')
expect "stopping a unit with PropagatesStopTo=dbus.service is refused" 'would stop dbus.service' "$out"
state_is "it still runs" sysops-propagate.service active
out=$(call root system_unit_control '{"unit":"sysops-needed.service","action":"restart"}')
expect "restarting a unit systemd-logind requires is refused" 'would stop systemd-logind.service' "$out"
out=$(call root system_unit_control '{"unit":"sysops-bus.service","action":"stop"}')
expect "an alias of dbus.service is refused as dbus.service" 'dbus.service is protected' "$out"
out=$(call root system_unit_control '{"unit":"sysops-alias.service","action":"start"}')
expect "an alias of an ordinary unit is refused with the unit's own name" 'is another name of sysops-other.service' "$out"
state_is "which was not started" sysops-other.service inactive
# (Its PropagatesStopTo= goes before it is stopped, or the stop would take dbus.service with it.)
boot_sh 'rm -f /run/systemd/system/systemd-logind.service.d/sysops-test.conf /run/systemd/system/sysops-bus.service
printf "[Service]\nExecStart=/bin/sleep infinity\n" >/run/systemd/system/sysops-propagate.service
systemctl daemon-reload; systemctl stop sysops-propagate.service sysops-needed.service'
state_is "dbus.service still runs after the test units are gone" dbus.service active

# What a unit does when it ends: OnFailure= units, and emergency actions that need no target.
boot_sh 'cat >/run/systemd/system/sysops-onfailure.service <<END
[Unit]
OnFailure=rescue.target
[Service]
ExecStart=/bin/false
END
cat >/run/systemd/system/sysops-action.service <<END
[Unit]
FailureAction=reboot
[Service]
ExecStart=/bin/false
END
systemctl daemon-reload'
out=$(call root system_unit_control '{"unit":"sysops-onfailure.service","action":"start"}')
expect "starting a unit with OnFailure=rescue.target is refused" 'would start rescue.target' "$out"
out=$(call root system_unit_control '{"unit":"sysops-action.service","action":"start"}')
expect "starting a unit with FailureAction=reboot is refused" 'sysops-action.service has a FailureAction=' "$out"
state_is "the system still runs, not rescued nor rebooted" multi-user.target active

# enable cannot be asked beforehand: what it did is checked and undone when it reached a protected unit.
boot_sh 'cat >/run/systemd/system/sysops-also.service <<END
[Service]
ExecStart=/bin/sleep infinity
[Install]
WantedBy=multi-user.target
Also=debug-shell.service
END
systemctl daemon-reload'
out=$(call root system_unit_control '{"unit":"sysops-also.service","action":"enable"}')
expect "enabling a unit with Also=debug-shell.service is refused" 'it changed the links of another unit, debug-shell.service, which is protected; the change was undone' "$out"
enabled_is "debug-shell.service is not enabled" debug-shell.service disabled
enabled_is "nor is the unit" sysops-also.service disabled

# The allow-list: with AIOS_SYSOPS_CONTROLLABLE_UNITS nothing else is touched.
boot_sh 'mkdir -p /run/systemd/system/aios-sysopsd.service.d
printf "[Service]\nEnvironment=AIOS_SYSOPS_CONTROLLABLE_UNITS=sysops-test.service\n" >/run/systemd/system/aios-sysopsd.service.d/allow.conf
systemctl daemon-reload; systemctl restart aios-sysopsd.service'
out=$(call root system_unit_control '{"unit":"sysops-other.service","action":"start"}')
expect "with an allow-list, a unit outside it is refused" 'sysops-other.service is not among the units AIOS_SYSOPS_CONTROLLABLE_UNITS allows' "$out"
state_is "and not started" sysops-other.service inactive
out=$(call root system_unit_control '{"unit":"sysops-test.service","action":"start"}')
expect "a unit on it may be started" '\"result\":\"done\"' "$out"
out=$(call root system_unit_control '{"unit":"sysops-test.service","action":"stop"}')
expect "and stopped" '\"result\":\"done\"' "$out"
boot_sh 'rm -f /run/systemd/system/aios-sysopsd.service.d/allow.conf; systemctl daemon-reload; systemctl restart aios-sysopsd.service'

out=$(call root system_unit_status '{"unit":"no-such-unit.service"}')
expect "status of an unknown unit is a tool error" 'No unit no-such-unit.service is loaded or known.' "$out"
out=$(call root system_unit_control '{"unit":"no-such-unit.service","action":"start"}')
expect "starting an unknown unit is a tool error" 'No unit no-such-unit.service is loaded or known.' "$out"
out=$(call root system_unit_status '{"unit":"sshd"}')
expect "a name without its type is a tool error that says how" 'a unit name ends in its type' "$out"
out=$(call root system_unit_control '{"unit":"sysops-test.service","action":"kill"}')
expect "an unknown action is a tool error" 'is not one of' "$out"

# --- polkit ----------------------------------------------------------------------------------------------

out=$(call nobody system_unit_control '{"unit":"sysops-test.service","action":"start"}')
expect "polkit refuses unit control to nobody" "Access denied" "$out"
state_is "and the unit was not started" sysops-test.service inactive

# A rule that reads the detail "unit": nobody may control sysops-test.service, and nothing else.
boot_sh 'cat >/etc/polkit-1/rules.d/40-sysops-test.rules <<EOF
polkit.addRule(function(action, subject) {
    if (action.id == "org.aios.system.manage-units" && subject.user == "nobody" &&
        action.lookup("unit") == "sysops-test.service" && action.lookup("tool") == "system_unit_control") {
        return polkit.Result.YES;
    }
});
EOF'
for ((i = 0; i < 50; i++)); do
        out=$(call nobody system_unit_control '{"unit":"sysops-test.service","action":"start"}')
        [[ $out == *'\"result\":\"done\"'* ]] && break
        sleep 0.2
done
expect "a rule that names the unit lets nobody start exactly that unit" '\"result\":\"done\"' "$out"
state_is "systemctl agrees" sysops-test.service active
out=$(call nobody system_unit_control '{"unit":"sysops-other.service","action":"start"}')
expect "but no other unit" "Access denied" "$out"
state_is "which was not started" sysops-other.service inactive

# HTTP on 127.0.0.1:8002 is open to every local user and asks polkit nothing: unit control is not served
# there, or anyone could use the server's grant from systemd.
stop='{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"system_unit_control","arguments":{"unit":"sysops-test.service","action":"stop"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"sysops-check","version":"1"}}}}'
out=$(boot_exec runuser -u nobody -- curl -s --max-time 20 http://127.0.0.1:8002/mcp -H 'Content-Type: application/json' \
        -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2026-07-28' \
        -H 'Mcp-Method: tools/call' -H 'Mcp-Name: system_unit_control' -d "$stop" || true)
expect "unit control over HTTP, where polkit cannot check the caller, is refused" '"code":-32003' "$out"
state_is "and the unit still runs" sysops-test.service active

out=$(call nobody system_unit_control '{"unit":"sysops-test.service","action":"stop"}')
expect "and nobody may stop it again through the bus" '\"result\":\"done\"' "$out"

# --- the journal -------------------------------------------------------------------------

marker="sysops-check-$RANDOM$RANDOM"
boot_exec systemd-cat -t sysops-check echo "$marker"
for ((i = 0; i < 25; i++)); do
        out=$(call root system_journal "{\"grep\":\"$marker\",\"limit\":5}")
        [[ $out == *"$marker"* ]] && break
        sleep 0.2
done
expect "system_journal finds a line the test wrote with systemd-cat" "$marker" "$out"

out=$(boot_exec journalctl -u aios-sysopsd.service --no-pager -q -o short -p warning 2>&1 || true)
[[ -z $out ]] && pass "the server logged no warnings or errors" ||
        fail "the server logged no warnings or errors" "$out"

boot_stop && pass "the container stops cleanly" || fail "the container stops cleanly"

echo "sysops-check: $checks checks, $failures failed"
[[ $failures -eq 0 ]]
