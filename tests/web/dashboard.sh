#!/usr/bin/env bash
# The dashboard in a real headless Chromium (Debian's chromium), driven by playwright-core (npm, through
# tools/npm-deps.sh) against the development stack, with a private systemd-journald for the live audit
# log: tests/web/dashboard.mjs says what it checks. Screenshots go to $AIOS_TEST_LOG_DIR.
# usage: dashboard.sh   (AIOS_CONFORMANCED, AIOS_GATEWAYD and AIOS_AIOSCTL name the binaries; runs as root)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
skip() {
        echo "dashboard.sh: SKIP: $*"
        exit 77
}
if [[ -z ${AIOS_DEV_SERVICES_RUNTIME:-} ]]; then
        [[ $(id -u) -eq 0 ]] || skip "needs root (a private mount namespace, polkitd and journald)"
        chromium=${AIOS_CHROMIUM:-/usr/bin/chromium}
        [[ -x $chromium ]] || skip "no Chromium at $chromium (tools/setup-deps.sh test installs Debian's chromium)"
        # shellcheck source=tools/npm-env.sh
        source "$top/tools/npm-env.sh"
        if [[ ! -x $AIOS_NODE || ! -f $AIOS_NODE_PATH_PLAYWRIGHT/playwright-core/package.json ]]; then
                "$top/tools/npm-deps.sh" >&2 || skip "the npm packages (playwright-core, Node 22) cannot be installed here"
        fi
        exec "$top/tools/dev-services.sh" -- "$0" "$@"
fi

# shellcheck source=tools/npm-env.sh
source "$top/tools/npm-env.sh"
# shellcheck source=tests/web/web-lib.sh
source "$top/tests/web/web-lib.sh"

# The live audit log follows the journal; without one the browser test cannot see it, and says so.
if web_journald_start 2>"$runtime/journald.why"; then
        export AIOS_WEB_JOURNAL=1
else
        AIOS_WEB_JOURNAL_WHY=$(cat "$runtime/journald.why")
        export AIOS_WEB_JOURNAL=0 AIOS_WEB_JOURNAL_WHY
fi
web_stack_start
trap web_stop EXIT

logs=${AIOS_TEST_LOG_DIR:-$runtime/logs}
mkdir -p "$logs"
profile=$(mktemp -d "$runtime/chromium.XXXXXX")
status=0
AIOS_WEB_BASE=$base AIOS_WEB_ADMIN_KEY=$admin_key AIOS_WEB_USER_KEY=$user_key AIOS_WEB_LOGS=$logs \
        AIOS_WEB_PROFILE=$profile AIOS_CHROMIUM=${AIOS_CHROMIUM:-/usr/bin/chromium} \
        NODE_PATH=$AIOS_NODE_PATH_PLAYWRIGHT "$AIOS_NODE" "$top/tests/web/dashboard.mjs" || status=$?
if [[ $status -ne 0 && $status -ne 77 ]]; then
        echo "--- gateway log"
        tail -n 30 "$runtime/gateway.log"
fi
echo "# screenshots in $logs"
exit "$status"
