/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Glob patterns as git and ripgrep read them: "*" and "?" within a path segment, "[...]" classes, "**" across
 * segments, "\" escapes. */
#pragma once

#include <stdbool.h>

/* Whether path (segments separated by "/") matches pattern as a whole. */
bool ide_glob_match(const char *pattern, const char *path);
/* An include or exclude glob of ide_find_files and ide_search: a pattern with no "/" matches the last
 * segment of path, one with a "/" the whole path (a leading "/" anchors it at the workspace). */
bool ide_glob_match_path(const char *pattern, const char *path);
