# shellcheck shell=bash
# Sourced inside tools/dev-services.sh: two aios-conformanced on the private bus (org.aios.Conformance1,
# and org.aios.Conformance1.Second with Prefix=second_), a third on HTTP only (the backend "remote",
# Type=http, Prefix=remote_), and aios-gatewayd in front of them.
# stack_start sets $base (the gateway's URL), $first, $second, $remote and $gateway (pids); logs go to
# $runtime.

runtime=$AIOS_DEV_SERVICES_RUNTIME

# TAP-style results: each check prints "ok N - ..." or "not ok N - ..." with what was seen; a script ends
# with [[ $failures -eq 0 ]].
failures=0
checks=0
pass() { checks=$((checks + 1)); echo "ok $checks - $1"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "not ok $checks - $1"; [[ -z ${2:-} ]] || echo "$2" | sed 's/^/#   /'; }
expect() { # expect DESCRIPTION NEEDLE TEXT
        if [[ $3 == *"$2"* ]]; then pass "$1"; else fail "$1" "expected \"$2\" in: ${3:0:600}"; fi
}
reject() { # reject DESCRIPTION NEEDLE TEXT
        if [[ $3 != *"$2"* ]]; then pass "$1"; else fail "$1" "did not expect \"$2\" in: ${3:0:600}"; fi
}

bus=(--address="$DBUS_SYSTEM_BUS_ADDRESS")

# as_user USER CMD...: runs CMD as the user (its own group, no others).
as_user() { local u=$1; shift; setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups -- "$@"; }
# In the background, setpriv itself, so that $! is the program (a function would leave a shell in between, and
# a signal sent to $! would not reach the program): "${gateway_user[@]}" aios-gatewayd ... &
gateway_user=(setpriv --reuid=aios-gateway --regid="$(id -g aios-gateway 2>/dev/null || echo 0)" --clear-groups --)

# A loopback port nothing listens on, and that this run has not handed out before.
stack_ports_given=" "
stack_free_port() {
        local p
        while :; do
                # Below the kernel's ephemeral ports (32768 and up), which clients' sockets take.
                p=$((20000 + RANDOM % 12000))
                [[ $stack_ports_given == *" $p "* ]] && continue
                (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
                stack_ports_given+="$p "
                echo "$p"
                return 0
        done
}

# stack_wait_for_name NAME [PID]: waits up to 30 s for NAME on the bus (less when PID, the server, exits);
# when it does not come, says so with the ends of the stack's logs.
stack_wait_for_name() {
        local i
        for ((i = 0; i < 300; i++)); do
                busctl "${bus[@]}" status "$1" >/dev/null 2>&1 && return 0
                [[ -z ${2:-} ]] || kill -0 "$2" 2>/dev/null || break
                sleep 0.1
        done
        echo "stack: $1 did not appear on the bus" >&2
        local log
        for log in "$runtime"/*.log; do
                echo "--- $log" >&2
                tail -n 20 "$log" >&2
        done
        return 1
}

stack_start_first() {
        "${AIOS_CONFORMANCED:?}" >>"$runtime/first.log" 2>&1 &
        first=$!
        stack_wait_for_name org.aios.Conformance1
}

stack_start() {
        stack_start_first
        "$AIOS_CONFORMANCED" --bus-name=org.aios.Conformance1.Second >>"$runtime/second.log" 2>&1 &
        second=$!
        stack_wait_for_name org.aios.Conformance1.Second

        local config=$runtime/gateway i port remote_port
        for ((i = 0; i < 20; i++)); do
                remote_port=$(stack_free_port)
                "$AIOS_CONFORMANCED" --no-bus --listen="127.0.0.1:$remote_port" >>"$runtime/remote.log" 2>&1 &
                remote=$!
                local j
                for ((j = 0; j < 50; j++)); do
                        (exec 3<>"/dev/tcp/127.0.0.1/$remote_port") 2>/dev/null && break 2
                        kill -0 "$remote" 2>/dev/null || break
                        sleep 0.1
                done
        done

        mkdir -p "$config/backends.d"
        printf '[Backend]\nType=http\nURL=http://127.0.0.1:%s/mcp\nPrefix=remote_\n' "$remote_port" \
                >"$config/backends.d/remote.conf"
        printf '[Backend]\nType=dbus\nBusName=org.aios.Conformance1\n' >"$config/backends.d/conformance.conf"
        printf '[Backend]\nType=dbus\nBusName=org.aios.Conformance1.Second\nPrefix=second_\n' >"$config/backends.d/second.conf"
        stack_config=$config
        for ((i = 0; i < 20; i++)); do
                port=$(stack_free_port)
                "${AIOS_GATEWAYD:?}" --config-dir="$config" --listen="127.0.0.1:$port" >>"$runtime/gateway.log" 2>&1 &
                gateway=$!
                local j
                for ((j = 0; j < 100; j++)); do
                        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
                                base=http://127.0.0.1:$port
                                # Ready once both backends' tools are on /mcp.
                                for ((j = 0; j < 100; j++)); do
                                        curl -s "$base/readyz" | grep -q '"ready"' && return 0
                                        sleep 0.1
                                done
                                return 0
                        fi
                        kill -0 "$gateway" 2>/dev/null || break
                        sleep 0.1
                done
        done
        echo "stack: the gateway did not start" >&2
        return 1
}

stack_stop() {
        kill -TERM "$gateway" "$first" "$second" "$remote" 2>/dev/null || true
}
