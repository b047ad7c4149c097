#!/usr/bin/env bash
# The C sources follow .clang-format: clang-format would change nothing in them.
# usage: format-check.sh SOURCE_DIR   (exit 77 without clang-format)
set -euo pipefail

src=$(cd "${1:?usage: format-check.sh SOURCE_DIR}" && pwd)
command -v clang-format >/dev/null || { echo "format-check.sh: SKIP: clang-format is not installed"; exit 77; }

mapfile -t files < <(cd "$src" && find src tests -name '*.[ch]' | sort)
cd "$src"
if clang-format --dry-run --Werror "${files[@]}" 2>"${TMPDIR:-/tmp}/format-check.$$"; then
        rm -f "${TMPDIR:-/tmp}/format-check.$$"
        echo "format-check.sh: ${#files[@]} files follow .clang-format"
        exit 0
fi
grep -oE '^[^ :]+\.[ch]:' "${TMPDIR:-/tmp}/format-check.$$" | sort -u | sed 's/:$//; s/^/not formatted: /'
head -40 "${TMPDIR:-/tmp}/format-check.$$"
rm -f "${TMPDIR:-/tmp}/format-check.$$"
echo "format-check.sh: run clang-format -i on the files above"
exit 1
