/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Walking a workspace's tree: each directory opened beneath the one above it with O_NOFOLLOW (a symlink is
 * reported, never followed), entries in name order, .git and the trash left out, .gitignore obeyed. */
#pragma once

#include <stdbool.h>

#include "ide.h"

typedef struct IdeWalkEntry {
        const char *path; /* relative to the workspace */
        const char *name;
        int dirfd;          /* the directory holding it, for openat() of name */
        unsigned char type; /* DT_REG, DT_DIR, DT_LNK, ... */
        unsigned depth;     /* 1 for the entries of the start directory */
} IdeWalkEntry;

typedef struct IdeWalkOptions {
        bool gitignore;     /* leave out what .gitignore files ignore */
        bool hidden;        /* include names starting with "." (never .git and the trash) */
        unsigned max_depth; /* 0: no limit (but IDE_WALK_DEPTH_MAX) */
} IdeWalkOptions;

#define IDE_WALK_DEPTH_MAX 128

enum {
        IDE_WALK_CONTINUE = 0,
        IDE_WALK_SKIP = 1, /* a directory: do not enter it */
        IDE_WALK_STOP = 2,
};

/* visit returns one of the above or a negative errno (which ends the walk with it). */
typedef int (*IdeWalkVisit)(const IdeWalkEntry *e, void *userdata);

/* Walks start (a directory of ws, normalized). Returns 0, a negative errno, -ECANCELED when job was
 * cancelled. */
int ide_walk(IdeWorkspace *ws, const char *start, const IdeWalkOptions *o, IdeJob *job, IdeWalkVisit visit,
        void *userdata);
