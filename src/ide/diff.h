/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unified diffs of two versions of a text, as `diff -u` and git show them. */
#pragma once

#include <stddef.h>

/* The diff from old to new with three lines of context, headed "--- a/PATH" and "+++ b/PATH"; "" when they
 * are the same. NULL on OOM. */
char *ide_unified_diff(const char *path, const char *old, size_t old_size, const char *new, size_t new_size);
