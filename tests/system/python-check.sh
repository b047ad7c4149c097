#!/usr/bin/env bash
# aios-pythond on an installed, booted Debian 12 (aios installed with `meson install`, started as the README
# says: systemctl enable --now aios-gatewayd.socket): its unit scores 2.0 or lower; python_run through port
# 9000 runs for an API key with tools:python and is refused to anonymous; a session made with one key does
# not exist for another; the sandbox under the real unit (its user, no /etc/shadow, no network, the unit's
# own hardening around the daemon); and the limits that stop fork and memory bombs: the cgroup's pids.max and
# memory.max where the container has a delegated cgroup v2 with those controllers, else the rlimits, with the
# reason said.
# usage: python-check.sh SOURCE_DIR   (runs as root; exit 77 where systemd-nspawn cannot run)
set -euo pipefail

src=$(cd "${1:?usage: python-check.sh SOURCE_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
name=python-check.sh
# shellcheck source=tests/system/lib.sh
. "$here/lib.sh"
command -v jq >/dev/null || system_skip "jq is not installed (it builds the requests and reads the answers)"
system_boot_installed
boot_exec test -x /usr/bin/python3 ||
        system_skip "the rootfs has no python3 (tests/system/rootfs.sh installs it; an old cached rootfs?)"

# --- the unit --------------------------------------------------------------------------------------------

out=$(boot_exec systemd-analyze verify --man=no /usr/lib/systemd/system/aios-pythond.service \
        /usr/lib/systemd/system/aios-pythond.socket 2>&1 || true)
[[ -z $out ]] && pass "systemd-analyze verify reports nothing for aios-pythond's units" ||
        fail "systemd-analyze verify reports nothing for aios-pythond's units" "$out"
score=$(boot_exec systemd-analyze security aios-pythond.service 2>/dev/null |
        sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
echo "# systemd-analyze security aios-pythond.service: $score"
if awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.0) }'; then
        pass "aios-pythond.service scores $score (2.0 or lower)"
else
        fail "aios-pythond.service scores $score (2.0 or lower)" \
                "$(boot_exec systemd-analyze security aios-pythond.service 2>&1 | grep -v '^  ✓' | head -40)"
fi

boot_exec systemctl enable --now aios-gatewayd.socket >/dev/null 2>&1
key_a=$(boot_exec aiosctl key create py-a --scope tools:python 2>/dev/null || true)
key_b=$(boot_exec aiosctl key create py-b --scope tools:python 2>/dev/null || true)
expect "aiosctl key create makes two keys with tools:python" "aios_" "$key_a $key_b"

meta='{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"python-check","version":"1"}}'
# call KEY TOOL ARGUMENTS [URL]: a stateless tools/call through the gateway (or at URL); prints the last
# JSON-RPC answer of the reply (plain JSON or the last event of an SSE stream), or curl's failure.
call() {
        local auth=() body reply
        [[ -z $1 ]] || auth=(-H "Authorization: Bearer $1")
        body=$(jq -cn --arg tool "$2" --argjson args "$3" --argjson meta "$meta" \
                '{jsonrpc:"2.0",id:1,method:"tools/call",params:{name:$tool,arguments:$args,_meta:$meta}}')
        reply=$(boot_exec curl -sS --max-time 90 "${4:-http://127.0.0.1:9000/mcp}" -H 'Content-Type: application/json' \
                -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2026-07-28' \
                -H 'Mcp-Method: tools/call' -H "Mcp-Name: $2" "${auth[@]}" -d "$body" 2>&1) || {
                echo "curl failed: $reply"
                return 0
        }
        # An SSE stream: the answer is the last data: line that has an id.
        if [[ $reply == *'data: '* ]]; then
                reply=$(sed -n 's/^data: //p' <<<"$reply" | jq -c 'select(.id != null)' 2>/dev/null | tail -n 1)
        fi
        echo "$reply"
}
# run KEY CODE [EXTRA_ARGUMENTS]: python_run through the gateway; prints its answer.
run() {
        call "$1" python_run "$(jq -cn --arg code "$2" --argjson extra "${3:-{\}}" '{code:$code} + $extra')"
}
sc() { # sc ANSWER FILTER: a field of the answer's structuredContent (jq), empty if absent
        jq -r ".result.structuredContent | $2 // empty" <<<"$1" 2>/dev/null || true
}

# --- python_run through the gateway ----------------------------------------------------------------------

# The first call starts the gateway, which starts aios-pythond through D-Bus activation.
for ((i = 0; i < 50; i++)); do
        out=$(run "$key_a" 'print(6 * 7)')
        [[ $(sc "$out" .stdout) == 42 ]] && break
        sleep 0.2
done
[[ $(sc "$out" .stdout) == 42 ]] && pass "python_run with a key of scope tools:python answers through port 9000 (the shipped rule)" ||
        fail "python_run with a key of scope tools:python answers through port 9000 (the shipped rule)" "$out"
out=$(boot_exec systemctl is-active aios-pythond.service || true)
expect "D-Bus activation started aios-pythond.service" "active" "$out"
out=$(run "" 'print(1)')
expect "anonymous is refused (org.aios.python.run: allow_any no)" '"code":-32003' "$out"
out=$(run "$key_a" '1 + 1')
expect "the value of a final expression comes back" '"value_repr":"2"' "$out"
out=$(run "$key_a" 'raise ValueError("nope")')
[[ $(sc "$out" .status) == exception && $(sc "$out" .exception.type) == ValueError ]] &&
        pass "an exception comes back as such" || fail "an exception comes back as such" "$out"

# --- sessions belong to their principal ------------------------------------------------------------------

out=$(call "$key_a" python_session_create '{}')
sid=$(sc "$out" .session_id)
[[ -n $sid ]] && pass "key A makes a session ($sid)" || fail "key A makes a session" "$out"
out=$(call "$key_a" python_session_run "$(jq -cn --arg s "$sid" '{session_id:$s,code:"secret = 1234"}')")
expect "key A runs code in it" '"status":"ok"' "$out"
out=$(call "$key_a" python_session_run "$(jq -cn --arg s "$sid" '{session_id:$s,code:"secret"}')")
expect "and its state persists between runs" '"value_repr":"1234"' "$out"
out=$(call "$key_b" python_session_list '{}')
reject "key B does not see it in python_session_list" "$sid" "$out"
expect "(python_session_list answers key B)" '"result"' "$out"
out=$(call "$key_b" python_session_run "$(jq -cn --arg s "$sid" '{session_id:$s,code:"print(secret)"}')")
reject "key B cannot run code in it" '1234' "$out"
expect "it does not exist for key B" 'isError' "$out"
out=$(call "$key_b" python_file_write "$(jq -cn --arg s "$sid" '{session_id:$s,path:"planted.txt",text:"x"}')")
expect "nor can key B write into its files" 'isError' "$out"
out=$(call "$key_b" python_session_close "$(jq -cn --arg s "$sid" '{session_id:$s}')")
expect "nor close it" 'isError' "$out"
out=$(call "$key_a" python_session_run "$(jq -cn --arg s "$sid" '{session_id:$s,code:"import os; print(secret, os.listdir(\"/work\"))"}')")
expect "key A's session is untouched (its workspace empty)" '1234 []' "$out"
out=$(call "$key_a" python_file_write "$(jq -cn --arg s "$sid" '{session_id:$s,path:"in/a/dir/note.txt",text:"from A"}')")
reject "key A writes a file into its workspace, the directories made on the way" 'isError' "$out"
out=$(call "$key_a" python_session_run "$(jq -cn --arg s "$sid" \
        '{session_id:$s,code:"import os; st = os.stat(\"in/a/dir\"); print(open(\"in/a/dir/note.txt\").read(), st.st_uid)"}')")
expect "which the session's code reads, as the owner of those directories" 'from A 1000' "$out"
out=$(call "$key_a" python_session_close "$(jq -cn --arg s "$sid" '{session_id:$s}')")
reject "key A closes it" 'isError' "$out"

# --- the sandbox under the real unit ---------------------------------------------------------------------

out=$(run "$key_a" 'import os, socket
print("uid", os.getuid(), os.getgid())
print("shadow", os.path.exists("/etc/shadow"), os.path.exists("/run/dbus/system_bus_socket"), os.path.exists("/home"))
for family in (socket.AF_INET, socket.AF_INET6):
    try:
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(3)
        s.connect(("127.0.0.1", 9000) if family == socket.AF_INET else ("::1", 9000))
        print("net CONNECTED")
    except OSError as e:
        print("net refused", e.errno)
print("pids", sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))')
stdout=$(sc "$out" .stdout)
expect "a run sees the sandbox's user, 1000" "uid 1000 1000" "$stdout"
expect "no /etc/shadow, no bus socket, no /home" "shadow False False False" "$stdout"
reject "no network: it cannot connect to the container's 127.0.0.1:9000" "CONNECTED" "$stdout"
expect "(socket() or connect() failed)" "net refused" "$stdout"
[[ $stdout =~ pids\ \[([0-9, ]*)\] && $(tr -d , <<<"${BASH_REMATCH[1]}" | wc -w) -le 3 ]] &&
        pass "its /proc shows its own PID namespace only (${BASH_REMATCH[1]})" ||
        fail "its /proc shows its own PID namespace only" "$out"

pid=$(boot_exec systemctl show -P MainPID aios-pythond.service)
status=$(boot_exec cat "/proc/$pid/status" 2>/dev/null || true)
out=$(boot_exec ps -o user= -p "$pid" || true)
expect "the daemon runs as aios-python" "aios-python" "$out"
expect "with no_new_privs" "NoNewPrivs:	1" "$status"
expect "no effective capabilities" "CapEff:	0000000000000000" "$status"
expect "and no bounding set" "CapBnd:	0000000000000000" "$status"
[[ $status =~ Seccomp_filters:[[:space:]]+([0-9]+) ]] && ((BASH_REMATCH[1] >= 2)) &&
        pass "under two seccomp filters, the unit's and its own (${BASH_REMATCH[1]})" ||
        fail "under two seccomp filters, the unit's and its own" "$(grep -i seccomp <<<"$status")"
out="$(boot_exec readlink /proc/1/ns/net) $(boot_exec readlink "/proc/$pid/ns/net")"
[[ ${out% *} != "${out#* }" ]] && pass "in a network namespace of its own (PrivateNetwork=)" ||
        fail "in a network namespace of its own (PrivateNetwork=)" "$out"
# A warm worker: a sandboxed python3 below the daemon.
worker=$(boot_sh 'for p in $(pgrep -u aios-python python3); do echo $p; break; done' || true)
if [[ -n $worker ]]; then
        wstatus=$(boot_exec cat "/proc/$worker/status" 2>/dev/null || true)
        [[ $wstatus =~ Seccomp_filters:[[:space:]]+([0-9]+) ]] && ((BASH_REMATCH[1] >= 3)) &&
                pass "a warm worker is under the sandbox's filter too (${BASH_REMATCH[1]} filters)" ||
                fail "a warm worker is under the sandbox's filter too" "$(grep -i seccomp <<<"$wstatus")"
        out="$(boot_exec readlink "/proc/$pid/ns/user") $(boot_exec readlink "/proc/$worker/ns/user")"
        [[ ${out% *} != "${out#* }" ]] && pass "and in a user namespace of its own" ||
                fail "and in a user namespace of its own" "$out"
else
        fail "a warm worker runs as aios-python" "$(boot_exec ps -ef 2>&1 | tail -n 20)"
fi
out=$(boot_exec journalctl -u aios-pythond.service --no-pager -o cat 2>&1 || true)
reject "the daemon's allow-list refused nothing it needed (no SIGSYS or \"Operation not permitted\")" \
        "not permitted" "$out"

# --- limits: cgroup v2 under systemd, or rlimits ---------------------------------------------------------

fstype=$(boot_exec stat -fc %T /sys/fs/cgroup)
cgroup=$(boot_exec systemctl show -P ControlGroup aios-pythond.service)
echo "# /sys/fs/cgroup in the container: $fstype; aios-pythond.service's cgroup: $cgroup"
echo "# /proc/$pid/cgroup: $(boot_exec cat "/proc/$pid/cgroup" | tr '\n' ' ')"
controllers=
if [[ $fstype == cgroup2fs ]]; then
        controllers=$(boot_exec cat "/sys/fs/cgroup$cgroup/cgroup.subtree_control" 2>/dev/null || true)
fi
echo "# its subtree's controllers: ${controllers:-none}"
log=$(boot_exec journalctl -u aios-pythond.service --no-pager -o cat 2>&1 || true)

if [[ $controllers == *memory* && $controllers == *pids* ]]; then
        expect "the daemon says its sandboxes get cgroups" "Sandboxes get cgroups under" "$log"
        # The fork bomb, held for a moment once the kernel refuses it, so that its sandbox's cgroup can be read.
        # pids.max is the task limit, as RLIMIT_NPROC is; which of the two the kernel meets first, pids.events
        # says (its "max" counts the forks the cgroup refused).
        code='import os, time
n = 0
for i in range(100000):
    try:
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        n += 1
    except OSError as e:
        print("fork refused after", n, "children:", e.strerror, flush=True)
        break
time.sleep(3)'
        boot_sh "cat >/tmp/fork.json" <<<"$(jq -cn --arg code "$code" --argjson meta "$meta" \
                '{jsonrpc:"2.0",id:1,method:"tools/call",params:{name:"python_run",arguments:{code:$code,timeout:20},_meta:$meta}}')"
        boot_sh "curl -s --max-time 60 http://127.0.0.1:9000/mcp -H 'Content-Type: application/json' \
                -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2026-07-28' \
                -H 'Mcp-Method: tools/call' -H 'Mcp-Name: python_run' -H 'Authorization: Bearer $key_a' \
                -d @/tmp/fork.json >/tmp/fork.out 2>&1 &"
        files=
        for ((i = 0; i < 200; i++)); do
                files=$(boot_sh "cd /sys/fs/cgroup$cgroup && grep -H . sandbox-*/pids.max sandbox-*/pids.current sandbox-*/pids.events 2>/dev/null" || true)
                [[ $files =~ pids.current:([0-9]+) ]] && ((BASH_REMATCH[1] >= 60)) && break
                sleep 0.1
        done
        echo "# the fork bomb's sandbox: $(tr '\n' ' ' <<<"$files")"
        expect "a fork bomb's sandbox has a cgroup with pids.max, the task limit" "/pids.max:64" "$files"
        [[ $files =~ pids.current:([0-9]+) ]] && ((BASH_REMATCH[1] <= 64)) &&
                pass "which holds its tasks at 64 or fewer (${BASH_REMATCH[1]})" || fail "which holds its tasks at 64 or fewer" "$files"
        for ((i = 0; i < 300; i++)); do
                out=$(boot_exec cat /tmp/fork.out 2>/dev/null || true)
                [[ $out == *'"status"'* ]] && break
                sleep 0.1
        done
        expect "the fork bomb is refused" "fork refused after" "$out"
        # The memory bomb: processes that stay under the address-space rlimit each, over memory.max (the
        # sandbox's, AIOS_PYTHON_MAX_MEMORY_MB, 1 GiB) together.
        before=$(boot_exec sed -n 's/^oom_kill //p' "/sys/fs/cgroup$cgroup/memory.events")
        out=$(run "$key_a" 'import os, time
for i in range(8):
    if os.fork() == 0:
        b = bytearray(200 * 1024 * 1024)
        for j in range(0, len(b), 4096): b[j] = 1
        time.sleep(5)
        os._exit(0)
for i in range(8):
    print(os.wait())' '{"memory_mb":1024,"timeout":20}')
        after=$(boot_exec sed -n 's/^oom_kill //p' "/sys/fs/cgroup$cgroup/memory.events")
        echo "# memory bomb: $(sc "$out" .stdout | tr '\n' ' '); oom_kill in the unit's cgroup: $before -> $after"
        ((after > before)) && pass "a memory bomb of 8 x 200 MiB is stopped by the sandbox's memory.max (the kernel's OOM killer)" ||
                fail "a memory bomb of 8 x 200 MiB is stopped by the sandbox's memory.max" "$out"
else
        # Why: memory and pids bound to cgroup v1 hierarchies (/proc/cgroups, a non-zero hierarchy) cannot be
        # in a v2 tree at the same time, in any cgroup namespace of this kernel.
        why="/sys/fs/cgroup in the container is $fstype"
        v1=$(boot_exec awk '$1 ~ /^(memory|pids|cpu)$/ && $2 != 0 { printf "%s ", $1 }' /proc/cgroups || true)
        [[ -z $v1 ]] || why="$why; the kernel has ${v1% } bound to cgroup v1 hierarchies (/proc/cgroups), so no cgroup v2 tree here can have them"
        [[ $fstype != cgroup2fs || -n $v1 ]] || why="$why; the unit's subtree has the controllers \"$controllers\""
        echo "# NO CGROUP V2 LIMITS in this container: $why. The rlimit path is checked instead."
        expect "the daemon says its sandboxes are limited by rlimits alone (no delegated cgroup v2: $why)" \
                "sandboxes are limited by rlimits alone" "$log"
        out=$(run "$key_a" 'print(open("/proc/self/limits").read())' '{"memory_mb":256}')
        limits=$(sc "$out" .stdout)
        expect "a run's RLIMIT_NPROC is the sandbox's task limit (64)" "$(printf 'Max processes             64')" "$limits"
        expect "its RLIMIT_AS is the memory it asked for (256 MiB)" "Max address space         268435456" "$limits"
        expect "and it may not dump core" "Max core file size        0" "$limits"
        out=$(run "$key_a" 'import os, time
n = 0
for i in range(100000):
    try:
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        n += 1
    except OSError as e:
        print("fork refused after", n, "children:", e.strerror)
        break' '{"timeout":10}')
        expect "a fork bomb is refused by RLIMIT_NPROC" "fork refused after" "$out"
        n=$(sed -n 's/.*fork refused after \([0-9]*\) children.*/\1/p' <<<"$(sc "$out" .stdout)")
        [[ -n $n ]] && ((n < 64)) && pass "below the limit of 64 ($n children)" || fail "below the limit of 64" "$out"
        out=$(run "$key_a" 'x = []
while True:
    x.append(bytearray(32 * 1024 * 1024))' '{"memory_mb":256,"timeout":20}')
        [[ $(sc "$out" .exception.type) == MemoryError ]] &&
                pass "a memory bomb gets MemoryError at its RLIMIT_AS" || fail "a memory bomb gets MemoryError at its RLIMIT_AS" "$out"
fi
# What is left: the daemon and its warm pool (an init and a python3 each, AIOS_PYTHON_POOL_SIZE=2), nothing
# of the bombs (the processes a sandbox's code started end with its init).
for ((i = 0; i < 100; i++)); do
        left=$(boot_exec pgrep -c -u aios-python || true)
        ((left <= 5)) && break
        sleep 0.1
done
((left <= 5)) && pass "nothing of the bombs is left running ($left processes of aios-python: the daemon and its pool)" ||
        fail "nothing of the bombs is left running" "$(boot_exec ps -u aios-python -o pid,ppid,args 2>&1 | cut -c1-120)"
out=$(run "$key_a" 'print("still", "serving")')
expect "the daemon keeps serving" "still serving" "$out"
out=$(boot_exec systemctl show -P NRestarts aios-pythond.service || true)
[[ $out == 0 ]] && pass "without a restart" || fail "without a restart" "NRestarts=$out"

out=$(boot_exec journalctl -u aios-pythond.service --no-pager -q -o short -p warning 2>&1 || true)
[[ -z $out ]] && pass "the server logged no warnings or errors" || fail "the server logged no warnings or errors" "$out"

boot_stop && pass "the container stops cleanly" || fail "the container stops cleanly"

echo "$name: $checks checks, $failures failed"
[[ $failures -eq 0 ]]
