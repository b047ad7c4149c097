/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Applying old/new text edits to a text: exact matches first, then matches that ignore whitespace. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct IdeEdit {
        const char *old_text;
        const char *new_text;
        bool replace_all;
} IdeEdit;

/* Applies edit to *text (a NUL-terminated string, replaced by the result). Returns 0, or -ENOENT (not found),
 * -EEXIST (found more than once, replace_all not set) or -EINVAL (old_text empty), with *ret_error saying
 * where (line numbers), or -ENOMEM. *ret_fuzzy says whether whitespace was ignored to find it; *ret_count how
 * many places were replaced. */
int ide_edit_apply(char **text, const IdeEdit *edit, bool *ret_fuzzy, unsigned *ret_count, char **ret_error);
