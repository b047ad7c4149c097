#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds the aios OCI image with buildah, from scratch: the meson install of this tree into a staging root,
# then only what the binaries need at run time: the libraries they link (the ldd closure of every ELF file
# copied, the dynamic loader among them) and the few data files named in rootfs-files below. No shell, no
# package manager, no systemd, no polkit, no D-Bus: in a cluster the servers and the gateway speak HTTP
# (--listen), and who may do what is decided by the gateway's API keys and scopes (see deploy/README.md).
#
#   deploy/image/build.sh [--tag NAME] [--build-dir DIR] [--output-root DIR]
#
# --tag         the image's name (default: localhost/aios:VERSION, also tagged localhost/aios:latest)
# --build-dir   where meson builds (default: a directory under ${TMPDIR:-/var/tmp}, removed afterwards)
# --output-root keep the staged root file system here instead of a temporary directory (for inspection)
#
# Prints the image's name and size on the last line. Needs buildah, meson, ninja and the build
# dependencies (tools/setup-deps.sh), and root (or a user namespace buildah can use).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
version=$(sed -n "s/^ *version : '\([^']*\)'.*/\1/p" "$src/meson.build" | head -n1)
tag="localhost/aios:$version"
build_dir=""
output_root=""

while [ $# -gt 0 ]; do
        case "$1" in
        --tag) tag="$2"; shift 2 ;;
        --build-dir) build_dir="$2"; shift 2 ;;
        --output-root) output_root="$2"; shift 2 ;;
        -h | --help) sed -n '3,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build.sh: unknown argument \"$1\" (see --help)" >&2; exit 2 ;;
        esac
done

for tool in buildah meson ninja ldd; do
        command -v "$tool" >/dev/null || { echo "build.sh: $tool is not installed" >&2; exit 1; }
done

cleanup=()
trap 'for c in "${cleanup[@]}"; do eval "$c"; done' EXIT
if [ -z "$build_dir" ]; then
        build_dir=$(mktemp -d "${TMPDIR:-/var/tmp}/aios-image-build.XXXXXX")
        cleanup+=("rm -rf '$build_dir'")
fi
staging=$(mktemp -d "${TMPDIR:-/var/tmp}/aios-image-destdir.XXXXXX")
cleanup+=("rm -rf '$staging'")
if [ -n "$output_root" ]; then
        rm -rf "$output_root"
        mkdir -p "$output_root"
        root=$(cd "$output_root" && pwd)
else
        root=$(mktemp -d "${TMPDIR:-/var/tmp}/aios-image-root.XXXXXX")
        cleanup+=("rm -rf '$root'")
fi

# 1. The meson install, as a distribution would do it.
if [ ! -f "$build_dir/build.ninja" ]; then
        meson setup "$build_dir" "$src" --prefix=/usr --sysconfdir=/etc --localstatedir=/var \
                --buildtype=release -Dtests=false >/dev/null
fi
ninja -C "$build_dir" -j"${NINJA_JOBS:-2}" >/dev/null
DESTDIR="$staging" meson install -C "$build_dir" --no-rebuild --quiet >/dev/null

# 2. What of it the image holds: the programs, their allow-lists, the dashboard, the Python worker and the
# default configuration. Units, bus policies, polkit files, sysusers/tmpfiles and man pages are for a host.
copy_tree() { # copy_tree FROM PATH...: PATH (relative to /) from the root FROM into the image's root
        local from="$1"
        shift
        for p in "$@"; do
                [ -e "$from/$p" ] || [ -L "$from/$p" ] || continue
                mkdir -p "$root/$(dirname "$p")"
                cp -a "$from/$p" "$root/$(dirname "$p")/"
        done
}
copy_tree "$staging" usr/sbin usr/bin usr/share/aios etc/aios

# 3. What the servers run or read at run time that is no library: the Python interpreter and its standard
# library (aios-pythond's workers), ctags (aios-ided's symbol index), espeak-ng's data and pocketsphinx's
# en-US model (aios-voiced), the CA certificates (aios-actionsd and Type=http backends over https).
pyver=$(/usr/bin/python3 -c 'import sys; print("python%d.%d" % sys.version_info[:2])')
copy_tree / usr/bin/python3 "usr/bin/$pyver" usr/bin/ctags usr/lib/x86_64-linux-gnu/espeak-ng-data \
        usr/share/pocketsphinx/model/en-us usr/share/pocketsphinx/model/cmudict-en-us.dict \
        etc/ssl/certs/ca-certificates.crt
if [ -d "/usr/lib/$pyver" ]; then
        mkdir -p "$root/usr/lib"
        # The standard library without its tests, IDLE, Tk and the installers (nothing runs them here).
        tar -C /usr/lib --exclude="$pyver/test" --exclude="$pyver/idlelib" --exclude="$pyver/tkinter" \
                --exclude="$pyver/turtledemo" --exclude="$pyver/ensurepip" --exclude="$pyver/lib2to3" \
                --exclude="$pyver/config-*" -cf - "$pyver" | tar -C "$root/usr/lib" -xf -
        for f in /etc/"$pyver"/sitecustomize.py; do
                [ -e "$f" ] && copy_tree / "${f#/}"
        done
fi

# 4. The ldd closure of every ELF file in the image, the dynamic loader with it. A library is copied under
# the path ldd resolves, with the symlink it was found through when there is one.
is_elf() { [ -f "$1" ] && [ "$(head -c4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]; }
declare -A seen=()
add_library() { # under its directory's real path (/lib is /usr/lib on Debian), and the file it links to
        local dir name real
        dir=$(readlink -f "$(dirname "$1")")
        name=$(basename "$1")
        [ -n "${seen[$dir/$name]:-}" ] && return 0
        seen[$dir/$name]=1
        real=$(readlink -f "$1")
        mkdir -p "$root$dir" "$root$(dirname "$real")"
        [ -e "$root$real" ] || cp -a "$real" "$root$real"
        [ "$dir/$name" = "$real" ] || ln -sfn "$real" "$root$dir/$name"
}
# /lib and /lib64 are links into /usr, as on the host, so that the loader's path resolves.
mkdir -p "$root/usr/lib" "$root/usr/lib64"
ln -sfn usr/lib "$root/lib"
ln -sfn usr/lib64 "$root/lib64"
while IFS= read -r -d '' f; do
        is_elf "$f" || continue
        while read -r lib; do
                add_library "$lib"
        done < <(ldd "$f" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p')
done < <(find "$root/usr" -type f \( -perm -u+x -o -name '*.so*' \) -print0)
# And what the daemons load with dlopen() when they first need it (libcurl: src/shared/transport/curl-dlopen.h),
# which no ldd shows, with its own closure.
dlopened=(libcurl.so.4)
for soname in "${dlopened[@]}"; do
        lib=$(ldconfig -p | sed -n "s|^[[:space:]]*$soname (.*) => \(/.*\)$|\1|p" | head -n 1)
        [ -n "$lib" ] || { echo "build.sh: $soname is not installed" >&2; exit 1; }
        add_library "$lib"
        while read -r dep; do
                add_library "$dep"
        done < <(ldd "$lib" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p')
done

# 5. The user the processes run as (not root), and the few files a libc wants. /tmp, /run and /var/lib/aios
# are where the cluster mounts writable volumes: the root file system is read-only.
mkdir -p "$root/etc" "$root/tmp" "$root/run" "$root/var/lib/aios" "$root/home/aios"
cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/nonexistent
aios:x:61000:61000:aios:/home/aios:/nonexistent
nobody:x:65534:65534:nobody:/nonexistent:/nonexistent
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
aios:x:61000:
nogroup:x:65534:
EOF
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
cat >"$root/usr/lib/os-release" <<EOF
NAME="aios"
ID=aios
VERSION_ID=$version
PRETTY_NAME="aios $version (container image)"
EOF
ln -sfn ../usr/lib/os-release "$root/etc/os-release"
chmod 1777 "$root/tmp"
chown 61000:61000 "$root/var/lib/aios" "$root/home/aios"

# 6. The image.
ctr=$(buildah from --quiet scratch)
cleanup=("buildah rm '$ctr' >/dev/null" "${cleanup[@]}")
mnt=$(buildah mount "$ctr")
cp -a "$root/." "$mnt/"
buildah umount "$ctr" >/dev/null
buildah config --user 61000:61000 --workingdir /home/aios \
        --env PATH=/usr/sbin:/usr/bin --env HOME=/home/aios --env TMPDIR=/tmp \
        --env AIOS_SECCOMP_DIR=/usr/share/aios/seccomp \
        --port 9000 --entrypoint '[]' \
        --cmd '["/usr/sbin/aios-gatewayd", "--listen=0.0.0.0:9000"]' \
        --label org.opencontainers.image.title=aios \
        --label "org.opencontainers.image.version=$version" \
        --label org.opencontainers.image.licenses=LGPL-2.1-or-later "$ctr"
buildah commit --quiet --rm "$ctr" "$tag" >/dev/null
cleanup=("${cleanup[@]:1}")
if [ "$tag" = "localhost/aios:$version" ]; then
        buildah tag "$tag" localhost/aios:latest
fi
size=$(buildah images --format '{{.Size}}' "$tag" | head -n1)
echo "$tag $size"
