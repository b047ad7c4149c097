/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A page as text: the YAML-like lines agents know from Playwright MCP ("- button "Submit" [ref=b12]"), within a
 * character budget. Pure: from what the page reader (snapshot.js) collected to text, no browser needed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "json-util.h"

#define SNAPSHOT_DEFAULT_MAX_CHARS 20000U
#define SNAPSHOT_MAX_MAX_CHARS 1000000U
#define SNAPSHOT_DEFAULT_MAX_DEPTH 40U
#define SNAPSHOT_DEFAULT_TEXT_CHARS 200U
#define SNAPSHOT_MAX_TEXT_CHARS 100000U
/* Siblings of one role written on one line ("- link "A" [ref=b1], "B" [ref=b2]") make it this long at most. */
#define SNAPSHOT_LINE_CHARS 160U
/* A ref is the letters of its document (one or two: a, b, ..., z, aa, ..., zz) and a number from 1. */
#define SNAPSHOT_REF_PREFIX_MAX 2U
#define SNAPSHOT_REF_BLOCKS (26U + 26U * 26U)

/* The page reader's source, a function of one argument: {max, depth, ref}. */
extern const char snapshot_script[];

typedef struct SnapshotResult {
        char *text;   /* the lines, then what was left out and how to ask for it */
        size_t lines; /* lines written from what the reader collected, shown or not */
        size_t lines_shown;
        size_t refs; /* refs among the collected lines, and among those left uncollected (the reader counted) */
        size_t refs_shown;
        size_t texts_cut; /* runs of text cut at the reader's text limit */
        bool truncated;   /* something was left out: past the budget, below the depth limit, or text cut */
} SnapshotResult;

void snapshot_result_done(SnapshotResult *r);

/* Writes what the reader returned ({items: [[depth, role, name, ref, value, flags, below]...], more, moreRefs,
 * resume}) as lines, at most max_chars characters of them (0: SNAPSHOT_DEFAULT_MAX_CHARS), and a last line that
 * says what was left out: lines past the budget, the elements the reader did not collect, nodes below the depth
 * limit ([+N]), with the max_chars or ref= to ask for them. Returns 0, -EINVAL when page is not the reader's
 * answer, or -ENOMEM. */
int snapshot_render(json_object *page, size_t max_chars, SnapshotResult *ret);

/* Whether ref is one the reader makes (a document's letters and a number: "b12", "ak3"). */
bool snapshot_ref_is_valid(const char *ref);
/* The number of the document whose letters start ref, or -EINVAL when ref is not one. */
int snapshot_ref_block(const char *ref);
/* The letters of the refs of document number block (modulo SNAPSHOT_REF_BLOCKS): 0 "a", 25 "z", 26 "aa". */
void snapshot_ref_prefix(unsigned block, char ret[static SNAPSHOT_REF_PREFIX_MAX + 1]);
