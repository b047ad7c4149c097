#!/usr/bin/env bash
# aios-actionsd in a booted Debian 12 (aios installed with `meson install`, booted with systemd-nspawn --boot)
# against the GitHub REST fixture of tests/actions on the container's loopback: its user, units and score,
# D-Bus and socket activation, the token from /etc/credstore through LoadCredential=, the tools under the
# unit's sandbox and the server's seccomp allow-list (pages, a log behind a redirect, a dispatch, a wait),
# the allow-list, an artifact downloaded into a workspace of aios-ided (and refused for a read-only one),
# polkit refusing a caller without a session, and a rule that allows one workflow by the detail "workflow".
# usage: actions-check.sh SOURCE_DIR   (runs as root; exit 77 where systemd-nspawn cannot run)
set -euo pipefail

src=$(cd "${1:?usage: actions-check.sh SOURCE_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
name=actions-check.sh
# shellcheck source=tests/system/lib.sh
. "$here/lib.sh"
system_boot_installed

# call USER TOOL ARGUMENTS: CallTool on org.aios.GitHubActions1 as USER (root: busctl itself).
call() {
        local user=$1
        shift
        local cmd=(busctl call --timeout=60 org.aios.GitHubActions1 /org/aios/MCP1 org.aios.MCP1 CallTool ss "$@")
        [[ $user == root ]] || cmd=(runuser -u "$user" -- "${cmd[@]}")
        boot_exec "${cmd[@]}" 2>&1 || true
}

# --- the fixture on the container's loopback, the token and the configuration ---------------------------

boot_sh 'mkdir -p /usr/local/lib/aios-test && cat >/usr/local/lib/aios-test/github-fixture.py' \
        <"$src/tests/actions/github-fixture.py"
boot_exec systemd-run --quiet --unit=github-fixture -p DynamicUser=yes -p RuntimeDirectory=github-fixture \
        /usr/bin/python3 /usr/local/lib/aios-test/github-fixture.py /run/github-fixture/port
port=
for ((i = 0; i < 200; i++)); do
        port=$(boot_exec cat /run/github-fixture/port 2>/dev/null || true)
        [[ -n $port ]] && break
        boot_exec systemctl is-failed --quiet github-fixture.service && break
        boot_exec sleep 0.1
done
[[ -n $port ]] && pass "the GitHub fixture serves on the container's loopback" ||
        fail "the GitHub fixture serves on the container's loopback" "$(boot_exec journalctl -u github-fixture -n 20 2>&1)"
boot_sh 'mkdir -p /etc/credstore && umask 077 && echo fixture-token >/etc/credstore/github-token'
boot_sh "printf '[GitHub]\nAPIURL=http://127.0.0.1:%s\nRepositories=octo-org/octo-repo\nPollIntervalSec=200ms\n' $port \
        >/etc/aios/actions.conf"

# --- installation -----------------------------------------------------------------------------------------

out=$(boot_exec id aios-actions 2>&1 || true)
expect "sysusers.d makes the user aios-actions" "aios-actions" "$out"
out=$(boot_exec systemd-analyze verify --man=no /usr/lib/systemd/system/aios-actionsd.service \
        /usr/lib/systemd/system/aios-actionsd.socket 2>&1 || true)
[[ -z $out ]] && pass "systemd-analyze verify reports nothing for aios-actionsd's units" ||
        fail "systemd-analyze verify reports nothing for aios-actionsd's units" "$out"
score=$(boot_exec systemd-analyze security aios-actionsd.service 2>/dev/null |
        sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
echo "# systemd-analyze security aios-actionsd.service: $score"
if awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.0) }'; then
        pass "aios-actionsd.service scores $score (2.0 or lower)"
else
        fail "aios-actionsd.service scores $score (2.0 or lower)"
fi
out=$(boot_exec cat /etc/aios/backends.d/actions.conf 2>&1 || true)
expect "the gateway's backends.d has its entry" "org.aios.GitHubActions1" "$out"

# --- activation, the token, the tools ----------------------------------------------------------------------

boot_exec systemctl start aios-actionsd.socket
out=$(boot_exec busctl call org.aios.GitHubActions1 /org/aios/MCP1 org.aios.MCP1 ListTools 2>&1 || true)
expect "a call to org.aios.GitHubActions1 starts the server through D-Bus activation" "github_wait_run" "$out"
out=$(boot_exec systemctl show -P User aios-actionsd.service 2>&1 || true)
expect "it runs as aios-actions" "aios-actions" "$out"

out=$(call root github_list_runs '{"repository":"octo-org/octo-repo","limit":5}')
expect "github_list_runs gathers five runs across the fixture's three pages, with the credential's token" \
        '\"total_count\":5' "$out"
reject "the token is in no answer" "fixture-token" "$out"
out=$(call root github_job_logs '{"repository":"octo-org/octo-repo","job_id":399444496,"failed_steps_only":true,"tail_lines":2}')
expect "github_job_logs reads megabytes behind the redirect under the unit's sandbox and seccomp" \
        "Process completed with exit code 2." "$out"
out=$(call root github_run_workflow '{"repository":"octo-org/octo-repo","workflow":"deploy.yml","inputs":{"environment":"moon"}}')
expect "github_run_workflow refuses inputs the workflow file does not declare so" "is one of: staging, production" "$out"
out=$(call root github_wait_run '{"repository":"octo-org/octo-repo","run_id":30433700,"timeout_seconds":30}')
expect "github_wait_run answers once the run completes" '\"completed\":true' "$out"
out=$(call root github_list_workflows '{"repository":"other-org/secret"}')
expect "a repository outside the allow-list is refused" "Repositories=" "$out"
requests=$(boot_exec curl -s --max-time 10 "http://127.0.0.1:$port/_fixture/requests" 2>&1 || true)
reject "the refused repository never reached GitHub" "other-org" "$requests"

# github_download_artifact into a workspace of aios-ided (started by the call through D-Bus activation): the zip
# streams into the file aios-ided made in /srv, under both units' sandboxes and seccomp filters.
boot_sh 'mkdir -p /srv/ci /srv/ci-ro /etc/aios/ide.conf.d && chown aios-ide:aios-ide /srv/ci /srv/ci-ro &&
        printf "[Workspace]\nName=ci\nPath=/srv/ci\n\n[Workspace]\nName=ci-ro\nPath=/srv/ci-ro\nReadOnly=yes\n" \
                >/etc/aios/ide.conf.d/ci.conf'
out=$(call root github_download_artifact '{"repository":"octo-org/octo-repo","artifact_id":21,"workspace":"ci","path":"artifacts/test-results.zip"}')
expect "github_download_artifact puts the artifact's zip into an aios-ided workspace" \
        "is at artifacts/test-results.zip in workspace ci" "$out"
out=$(boot_exec python3 -c 'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).namelist())' \
        /srv/ci/artifacts/test-results.zip 2>&1 || true)
expect "the file on disk is the zip" "report.xml" "$out"
out=$(boot_exec stat -c %U /srv/ci/artifacts/test-results.zip 2>&1 || true)
expect "and belongs to aios-ided's user" "aios-ide" "$out"
out=$(call root github_download_artifact '{"repository":"octo-org/octo-repo","artifact_id":21,"workspace":"ci-ro","path":"a.zip"}')
expect "a read-only workspace takes none" "Workspace ci-ro is read-only" "$out"
out=$(boot_exec ls -A /srv/ci-ro 2>&1 || true)
if [[ -z $out ]]; then pass "(nothing is left there)"; else fail "(nothing is left there)" "$out"; fi

out=$(call nobody github_list_runs '{"repository":"octo-org/octo-repo"}')
expect "polkit refuses org.aios.github.read to a caller without a session" "ccess denied" "$out"
out=$(call nobody github_cancel_run '{"repository":"octo-org/octo-repo","run_id":30433700}')
expect "polkit refuses org.aios.github.run to a caller without a session" "ccess denied" "$out"

# A rule of the administrator's that lets nobody run one workflow: the run tools' second check carries the
# workflow's file, so a re-run of a CI run is refused while the deploy run may be cancelled.
boot_sh 'cat >/etc/polkit-1/rules.d/40-actions-workflow.rules <<RULES
polkit.addRule(function(action, subject) {
        if (action.id == "org.aios.github.run" && subject.user == "nobody" &&
            action.lookup("repository") == "octo-org/octo-repo" &&
            (!action.lookup("workflow") || action.lookup("workflow") == ".github/workflows/deploy.yml"))
                return polkit.Result.YES;
});
RULES'
# polkitd reads the new rule when it notices the file.
for ((i = 0; i < 50; i++)); do
        out=$(call nobody github_cancel_run '{"repository":"octo-org/octo-repo","run_id":30433700}')
        [[ $out == *accepted* ]] && break
        sleep 0.2
done
expect "a rule on the detail workflow lets a principal cancel a run of that workflow" '\"accepted\":true' "$out"
out=$(call nobody github_rerun '{"repository":"octo-org/octo-repo","run_id":30433642}')
expect "and not re-run one of another workflow of the same repository" \
        "does not allow this caller to run workflow .github/workflows/ci.yml" "$out"

init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"actions-check","version":"1"}}}'
out=$(boot_exec curl -s --max-time 20 http://127.0.0.1:8005/mcp -H 'Content-Type: application/json' \
        -H 'Accept: application/json, text/event-stream' -d "$init" 2>&1 || true)
expect "its socket on 127.0.0.1:8005 answers MCP" "aios-actionsd" "$out"
list='{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"actions-check","version":"1"}}}}'
out=$(boot_exec curl -s --max-time 20 http://127.0.0.1:8005/mcp -H 'Content-Type: application/json' \
        -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2026-07-28' \
        -H 'Mcp-Method: tools/list' -d "$list" 2>&1 || true)
expect "but there, where polkit cannot be asked about the caller, it offers none of its tools" '"tools":[]' "$out"

echo "1..$checks"
[[ $failures -eq 0 ]]
