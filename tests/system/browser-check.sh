#!/usr/bin/env bash
# aios-browserd on an installed, booted Debian 12 (aios installed with `meson install`, the gateway's socket
# enabled as the README says), under its unit's hardening: the units verify and the service's exposure score is
# printed and bounded; the fixture site (tests/browser/fixture.py) runs inside the container on its loopback,
# allowed by a drop-in in /etc/aios/browser.conf.d; through port 9000 with an API key of scope tools:browser,
# browser_navigate and browser_snapshot of a form page work (aios-browserd started by D-Bus activation, Chromium
# started by it under the unit); a blocked origin is refused and never reached; anonymous is refused; Chromium
# runs in the unit's cgroup, under the launcher's seccomp filter on top of the unit's, not the server's.
# usage: browser-check.sh SOURCE_DIR   (runs as root; exit 77 where systemd-nspawn cannot run)
set -euo pipefail

src=$(cd "${1:?usage: browser-check.sh SOURCE_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
name=browser-check.sh
# shellcheck source=tests/system/lib.sh
. "$here/lib.sh"
command -v jq >/dev/null || system_skip "jq is not installed (it builds the requests and reads the answers)"
[[ -f $src/src/browser/meson.build ]] || system_skip "this tree has no aios-browserd (src/browser)"
system_boot_installed
boot_sh 'test -x /usr/bin/chromium || test -x /usr/bin/chromium-headless-shell' ||
        system_skip "the rootfs has no Chromium (tests/system/rootfs.sh installs it; an old cached rootfs?)"

# --- the unit --------------------------------------------------------------------------------------------

out=$(boot_exec systemd-analyze verify --man=no /usr/lib/systemd/system/aios-browserd.service \
        /usr/lib/systemd/system/aios-browserd.socket 2>&1 || true)
[[ -z $out ]] && pass "systemd-analyze verify reports nothing for aios-browserd's units" ||
        fail "systemd-analyze verify reports nothing for aios-browserd's units" "$out"
# Chromium needs what the other servers are refused: JIT pages (no MemoryDenyWriteExecute=) and user namespaces
# for its own sandbox (RestrictNamespaces= allows user and pid): aios-browserd(8) says why. The bound is that.
bound=${AIOS_BROWSER_SCORE_BOUND:-2.5}
score=$(boot_exec systemd-analyze security aios-browserd.service 2>/dev/null |
        sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
echo "# systemd-analyze security aios-browserd.service: $score"
if awk -v s="$score" -v b="$bound" 'BEGIN { exit !(s != "" && s <= b) }'; then
        pass "aios-browserd.service scores $score ($bound or lower)"
else
        fail "aios-browserd.service scores $score ($bound or lower)" \
                "$(boot_exec systemd-analyze security aios-browserd.service 2>&1 | grep -v '^  ✓' | head -40)"
fi

# --- the fixture site inside the container, and the drop-in that allows it --------------------------------

boot_sh 'mkdir -p /srv/site && cat >/srv/fixture.py' <"$src/tests/browser/fixture.py"
boot_exec systemd-run --unit=fixture-site --property=DynamicUser=yes --property=StateDirectory=fixture-site \
        /usr/bin/python3 /srv/fixture.py /var/lib/fixture-site >/dev/null 2>&1 || true
for ((i = 0; i < 100; i++)); do
        ports=$(boot_exec cat /var/lib/fixture-site/ports 2>/dev/null || true)
        [[ -n $ports ]] && break
        sleep 0.1
done
[[ -n $ports ]] && pass "the fixture site runs inside the container" ||
        fail "the fixture site runs inside the container" "$(boot_exec journalctl -u fixture-site --no-pager -o cat 2>&1 | tail -20)"
site=http://127.0.0.1:$(awk '$1 == "site" { print $2 }' <<<"$ports")
blocked=http://127.0.0.3:$(awk '$1 == "blocked" { print $2 }' <<<"$ports")
boot_sh "mkdir -p /etc/aios/browser.conf.d && printf '[Origins]\nAllowLoopback=yes\nAllow=$site\nBlock=http://127.0.0.3:*\n' \
        >/etc/aios/browser.conf.d/50-fixture.conf"

boot_exec systemctl enable --now aios-gatewayd.socket >/dev/null 2>&1
key=$(boot_exec aiosctl key create browser --scope tools:browser 2>/dev/null || true)
expect "aiosctl key create makes a key with tools:browser" "aios_" "$key"

meta='{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"browser-check","version":"1"}}'
call() { # call KEY TOOL ARGUMENTS: a stateless tools/call through the gateway; prints the JSON-RPC answer
        local auth=() body reply
        [[ -z $1 ]] || auth=(-H "Authorization: Bearer $1")
        body=$(jq -cn --arg tool "$2" --argjson args "$3" --argjson meta "$meta" \
                '{jsonrpc:"2.0",id:1,method:"tools/call",params:{name:$tool,arguments:$args,_meta:$meta}}')
        reply=$(boot_exec curl -sS --max-time 120 http://127.0.0.1:9000/mcp -H 'Content-Type: application/json' \
                -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2026-07-28' \
                -H 'Mcp-Method: tools/call' -H "Mcp-Name: $2" "${auth[@]}" -d "$body" 2>&1) || {
                echo "curl failed: $reply"
                return 0
        }
        if [[ $reply == *'data: '* ]]; then
                reply=$(sed -n 's/^data: //p' <<<"$reply" | jq -c 'select(.id != null)' 2>/dev/null | tail -n 1)
        fi
        echo "$reply"
}
text() { jq -r '[.result.content[]? | select(.type == "text") | .text] | join("\n")' <<<"$1" 2>/dev/null || echo "$1"; }

# --- navigate and snapshot through port 9000 ----------------------------------------------------------------

# The first call starts the gateway, which starts aios-browserd through D-Bus activation, which starts Chromium.
for ((i = 0; i < 30; i++)); do
        out=$(call "$key" browser_navigate "{\"url\":\"$site/form\"}")
        [[ $out == *'"result"'* ]] && break
        sleep 0.5
done
[[ $out == *'"result"'* && $out != *'"isError":true'* ]] && pass "browser_navigate to the fixture's form answers without an error" ||
        fail "browser_navigate to the fixture's form answers without an error" "$out"
expect "browser_navigate says where it landed" "$site/form" "$out"
out=$(boot_exec systemctl is-active aios-browserd.service || true)
[[ $out == active ]] && pass "D-Bus activation started aios-browserd.service" ||
        fail "D-Bus activation started aios-browserd.service" \
                "$out: $(boot_exec journalctl -u aios-browserd.service --no-pager -o cat 2>&1 | tail -n 30)"
out=$(call "$key" browser_snapshot '{}')
snapshot=$(text "$out")
expect "browser_snapshot shows the form's heading" '- h1 "Order form"' "$snapshot"
expect "the text box has a ref" 'textbox "Name" [ref=' "$snapshot"
expect "the select has a ref" 'combobox "Size"' "$snapshot"
expect "the button has a ref" 'button "Place order" [ref=' "$snapshot"

out=$(call "$key" browser_navigate "{\"url\":\"$blocked/landing\"}")
expect "a blocked origin is refused" '"isError":true' "$out"
out=$(call "$key" browser_navigate "{\"url\":\"$site/redirect\"}")
expect "a redirect chain into the blocked origin is refused" '"isError":true' "$out"
hits=$(boot_exec cat /var/lib/fixture-site/blocked.log 2>/dev/null | wc -l)
expect "the blocked origin's server saw no request" "0" "$hits"
out=$(call "" browser_navigate "{\"url\":\"$site/form\"}")
expect "anonymous is refused" '"code":-32003' "$out"

# --- Chromium under the unit ----------------------------------------------------------------------------------

pid=$(boot_exec systemctl show -P MainPID aios-browserd.service || true)
status=$(boot_exec grep '^Seccomp_filters:' "/proc/$pid/status" || true)
if [[ $status =~ ([0-9]+) ]] && ((BASH_REMATCH[1] >= 2)); then
        pass "the server runs under two seccomp filters: the unit's and its own ($status)"
else
        fail "the server runs under two seccomp filters: the unit's and its own" "$status"
fi
# The browser: the Chromium process without --type= among the processes of the server's cgroup.
chromium=$(boot_sh "cg=\$(cat /proc/$pid/cgroup 2>/dev/null); for p in /proc/[0-9]*; do
        [ \"\$(cat \$p/cgroup 2>/dev/null)\" = \"\$cg\" ] || continue
        c=\$(tr '\\0' ' ' <\$p/cmdline 2>/dev/null); case \$c in *chrom*--type=*) ;; */chromium*) echo \${p#/proc/}; break;; esac
done" || true)
if [[ -n $chromium ]]; then
        pass "Chromium runs in aios-browserd.service's cgroup (pid $chromium)"
        browser_filters=$(boot_exec grep '^Seccomp_filters:' "/proc/$chromium/status" || true)
        # The launcher was forked before the server confined itself: the browser has the unit's filters and the
        # launcher's, as many as the server has (the unit's and its own); under the server's too it would have more.
        b=${browser_filters##*:} v=${status##*:}
        if [[ $b =~ ^[[:space:]]*([0-9]+)$ ]] && ((BASH_REMATCH[1] >= 2)) && [[ $v =~ ([0-9]+) ]] && ((${b//[[:space:]]/} <= BASH_REMATCH[1])); then
                pass "Chromium is under the unit's filter and the launcher's, not the server's ($browser_filters; the server:$v)"
        else
                fail "Chromium is under the unit's filter and the launcher's, not the server's" \
                        "browser: $browser_filters, server: $status"
        fi
        user=$(boot_exec stat -c %U "/proc/$chromium" || true)
        expect "Chromium runs as aios-browser" "aios-browser" "$user"
else
        fail "Chromium runs in aios-browserd.service's cgroup" "$(boot_exec systemd-cgls -u aios-browserd.service 2>&1 | head -20)"
fi
out=$(boot_exec journalctl -u aios-browserd.service --no-pager -o cat 2>&1 || true)
reject "nothing died of a signal (a system call outside the lists)" "died of signal" "$out"
out=$(boot_exec systemctl is-active aios-browserd.service || true)
[[ $out == active ]] && pass "and the service goes on" || fail "and the service goes on" "$out"

boot_stop && pass "the container stops cleanly" || fail "the container stops cleanly"

echo "$name: $checks checks, $failures failed"
[[ $failures -eq 0 ]]
