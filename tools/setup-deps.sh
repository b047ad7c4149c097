#!/usr/bin/env bash
# Installs the Debian packages aios needs to build, test and benchmark, when they are missing.
# usage: setup-deps.sh [build|dev|test|bench|deploy]...   (default: build)
set -euo pipefail

build=(gcc meson ninja-build pkg-config scdoc
       libsystemd-dev libmicrohttpd-dev libjson-c-dev libssl-dev nettle-dev libseccomp-dev libpcre2-dev libinih-dev libcurl4-openssl-dev check
       libgit2-dev
       libyaml-dev
       libespeak-ng-dev libpocketsphinx-dev pocketsphinx-en-us libsndfile1-dev libsamplerate0-dev libopusenc-dev libasound2-dev)
# python3-aiosmtpd: the development stack's SMTP sink for aios-commd, and the SMTP peers of its tests.
# git: the sample workspace of aios-ided that the development stack makes.
dev=(dbus-daemon polkitd systemd util-linux python3 python3-aiosmtpd git)
# python3 runs in aios-pythond's sandboxes; numpy and matplotlib are what its tests import and plot with.
# chromium: the dashboard's tests drive it headless (tests/web), with playwright-core from tools/npm-deps.sh.
# git: the IDE tests make their repositories with it and compare with what it says; universal-ctags is what
# ide_symbols runs.
# dovecot-imapd and python3-dbusmock: aios-commd's peers in tests/comm/read-check.sh, a mailbox read over IMAP
# and a notification daemon on a session bus.
test=(curl npm git universal-ctags ca-certificates openssl clang clang-format python3 python3-numpy python3-matplotlib chromium dovecot-imapd python3-dbusmock "${dev[@]}")
# deploy/image/build.sh and tests/deploy: buildah builds the image, podman kube play runs the manifests (with
# runc: see deploy/podman/containers.conf), netavark and aardvark-dns give its pods a network where they find
# each other by name, iptables is what netavark drives; python3-yaml reads the rendered manifests. kubectl
# (for `kubectl kustomize`) is not among them: Debian's kubernetes-client is too old for the overlay's
# patches; the tests skip without one.
deploy=(podman buildah runc iptables netavark aardvark-dns slirp4netns uidmap fuse-overlayfs catatonit python3-yaml)
# ripgrep: bench/ide-search.sh measures ide_search against it.
bench=(wrk curl npm ca-certificates ripgrep)

wanted=()
for set in "${@:-build}"; do
        case "$set" in
        build) wanted+=("${build[@]}") ;;
        dev) wanted+=("${build[@]}" "${dev[@]}") ;;
        test) wanted+=("${build[@]}" "${test[@]}" "${deploy[@]}") ;;
        bench) wanted+=("${build[@]}" "${bench[@]}") ;;
        deploy) wanted+=("${build[@]}" "${deploy[@]}") ;;
        *) echo "setup-deps.sh: unknown set '$set' (build, dev, test, bench, deploy)" >&2; exit 2 ;;
        esac
done

missing=()
for pkg in "${wanted[@]}"; do
        # An npm that came with another Node.js build (NodeSource's nodejs carries one) will do.
        [[ $pkg == npm ]] && command -v npm >/dev/null && continue
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
                missing+=("$pkg")
        fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
if [[ $(id -u) -ne 0 ]]; then
        echo "Missing Debian packages: ${missing[*]}" >&2
        echo "Run this command as root (sudo), or install them with: apt-get install ${missing[*]}" >&2
        exit 1
fi

echo "Installing ${missing[*]} ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# dovecot-imapd starts the system's own IMAP server (ports 143 and 993 on every address) where systemd runs;
# the tests run a Dovecot of their own on loopback and need none.
if [[ " ${missing[*]} " == *" dovecot-imapd "* ]] && [[ -d /run/systemd/system ]]; then
        systemctl disable --now dovecot.service dovecot.socket >/dev/null 2>&1 || true
fi
