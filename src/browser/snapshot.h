/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A page's accessibility tree as text: the YAML-like form agents know from Playwright MCP, made smaller. Pure:
 * from Accessibility.getFullAXTree's nodes to text, no browser needed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "json-util.h"

#define SNAPSHOT_DEFAULT_MAX_CHARS 20000U
#define SNAPSHOT_MAX_MAX_CHARS 1000000U
#define SNAPSHOT_DEFAULT_MAX_DEPTH 40U

typedef struct SnapshotOptions {
        size_t max_chars;   /* the budget for the tree's lines; 0: SNAPSHOT_DEFAULT_MAX_CHARS */
        unsigned max_depth; /* levels below the root shown; 0: SNAPSHOT_DEFAULT_MAX_DEPTH */
        long root;          /* a backendDOMNodeId (a ref's number) to start from, or 0 for the whole page */
} SnapshotOptions;

typedef struct SnapshotResult {
        char *text;         /* the tree, then a line that says what was left out and how to ask for it */
        size_t lines;       /* lines of the whole tree */
        size_t lines_shown; /* of them within the budget */
        size_t refs;        /* refs in the whole tree */
        size_t refs_shown;  /* of them within the budget */
        size_t below_depth; /* nodes left out by the depth limit */
        bool root_found;    /* false when root named no node of the tree */
} SnapshotResult;

void snapshot_result_done(SnapshotResult *r);

/* Renders nodes (the array getFullAXTree returns). Every interactive node (a role a user acts on, or
 * focusable) gets a ref, "e" and its backendDOMNodeId; so do nodes whose children the depth limit left out.
 * Wrappers without a name (generic, none, ignored nodes) are not shown, their children move up a level; text
 * that repeats the name of its parent is not shown twice. Returns 0 or -ENOMEM. */
int snapshot_render(json_object *nodes, const SnapshotOptions *options, SnapshotResult *ret);

/* A ref as the snapshot writes it ("e123") to the backendDOMNodeId it stands for; -EINVAL if it is not one. */
int snapshot_ref_parse(const char *ref, long *ret);
