/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Paths inside a workspace: every one relative, resolved from the workspace's directory fd with openat2()'s
 * RESOLVE_BENEATH and RESOLVE_NO_MAGICLINKS, so that "..", absolute paths, symlinks that point out and
 * /proc magic links are refused by the kernel at the moment of use, not by a check before it. */
#pragma once

#include <sys/types.h>

#include "ide.h"

#define IDE_PATH_MAX 4096
/* The per-workspace trash of ide_delete (ide_restore), hidden from listings, searches and git. */
#define IDE_TRASH_DIR ".aios-trash"

/* Whether path is one a caller may give: relative, no NUL, at most IDE_PATH_MAX; NULL or "" stands for the
 * workspace itself ("."). *ret_reason says why not. Normalizes away "./" and repeated slashes into *ret
 * (a new string); ".." stays (the kernel refuses it where it would leave). */
int ide_path_normalize(const char *path, char **ret, const char **ret_reason);
/* Opens path below the workspace (flags as for openat(), O_CLOEXEC added). Returns the fd or a negative errno:
 * -EXDEV when the path leads outside (a "..", a symlink out), -ELOOP for a magic link or too many symlinks. */
int ide_openat(int dirfd, const char *path, int flags, mode_t mode);
int ide_open(IdeWorkspace *w, const char *path, int flags, mode_t mode);
/* Opens the directory that holds path's last component (O_PATH|O_DIRECTORY), creating missing parents when
 * create is set; *ret_name points into path at that component, which is never "." or "..". */
int ide_open_parent(IdeWorkspace *w, const char *path, bool create, const char **ret_name);
/* What an errno means for a path of a workspace, as the end of a sentence ("it leads outside the workspace"). */
const char *ide_errno_text(int r);
/* Whether path is the trash or inside it. */
bool ide_path_is_trash(const char *path);
/* "file", "directory", "symlink", "fifo", "socket" or "device". */
const char *ide_file_type(mode_t mode);
