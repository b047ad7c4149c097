/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Replacing a file of a workspace atomically: a temporary file beside it, written, synced, renamed over it. */
#pragma once

#include "ide.h"

/* Writes data to path (its parents made when create_parents); the old file's mode is kept, a new one is 0644.
 * A symlink at path is refused (-ELOOP), a directory too (-EISDIR). *ret_created says whether it is new. */
int ide_write_atomic(IdeWorkspace *ws, const char *path, const char *data, size_t size, bool create_parents,
        bool *ret_created);
