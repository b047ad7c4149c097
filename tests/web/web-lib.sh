# shellcheck shell=bash
# Sourced inside tools/dev-services.sh by the dashboard's tests: a private systemd-journald (so that the
# gateway's audit records reach a real journal, which the live audit log follows), and the development
# stack (tests/gateway/stack-lib.sh) with the gateway serving the source tree's web/ and three API keys:
# $admin_key (admin), $user_key (tools, resources, prompts) and $spare_key (tools, revoked by the tests).

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/gateway/stack-lib.sh
source "$top/tests/gateway/stack-lib.sh"

# web_journald_start: systemd-journald on tmpfs over /run/systemd, /run/log and /var/log/journal, in this
# mount namespace only; the stack's processes log to it and sd_journal_open() reads it. Returns 1 with
# the reason on stderr where it cannot run.
web_journald_start() {
        local journald=${AIOS_JOURNALD:-/lib/systemd/systemd-journald} d i
        [[ -x $journald ]] || { echo "no $journald (Debian: apt-get install systemd)" >&2; return 1; }
        for d in /run/systemd /run/log /var/log/journal; do
                if ! mkdir -p "$d" || ! mount -t tmpfs -o mode=0755 tmpfs "$d"; then
                        echo "cannot mount a tmpfs on $d" >&2
                        return 1
                fi
        done
        "$journald" >>"$runtime/journald.log" 2>&1 &
        journald_pid=$!
        for ((i = 0; i < 100; i++)); do
                [[ -S /run/systemd/journal/socket ]] && journalctl --no-pager -q -n 0 >/dev/null 2>&1 && return 0
                kill -0 "$journald_pid" 2>/dev/null || break
                sleep 0.1
        done
        echo "systemd-journald did not start: $(tail -n 5 "$runtime/journald.log")" >&2
        return 1
}

web_stack_start() {
        local config=$runtime/gateway
        mkdir -p "$config"
        printf '[Gateway]\nWebDirectory=%s/web\n[Authentication]\nAPIKeyFile=%s/api-keys\n' "$top" "$runtime" \
                >"$config/gateway.conf"
        admin_key=$("${AIOS_AIOSCTL:?}" --store="$runtime/api-keys" key create web-admin --scope admin 2>/dev/null)
        user_key=$("$AIOS_AIOSCTL" --store="$runtime/api-keys" key create web-user \
                --scope 'tools:*' --scope 'resources:*' --scope 'prompts:*' 2>/dev/null)
        spare_key=$("$AIOS_AIOSCTL" --store="$runtime/api-keys" key create web-spare --scope 'tools:*' 2>/dev/null)
        [[ $admin_key == aios_* && $user_key == aios_* && $spare_key == aios_* ]] || { echo "aiosctl made no keys" >&2; return 1; }
        stack_start
}

web_stop() {
        stack_stop
        [[ -z ${journald_pid:-} ]] || kill "$journald_pid" 2>/dev/null || true
}
