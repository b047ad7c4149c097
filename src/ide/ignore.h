/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* .gitignore rules as git applies them: the files of each directory from the root down to an entry, later
 * rules over earlier ones and deeper files over shallower ones, "!" re-including, a trailing "/" for
 * directories only, a "/" elsewhere anchoring the pattern at its file's directory; plus .git/info/exclude. */
#pragma once

#include <stdbool.h>

typedef struct IdeIgnore IdeIgnore;

/* Pushes the rules of dirfd's .gitignore (if any) for the directory base ("" for the workspace's root; with
 * root set, .git/info/exclude is read too). Returns the number of levels pushed (0 or 1), which
 * ide_ignore_pop() takes back when the walk leaves the directory, or -ENOMEM. */
int ide_ignore_push(IdeIgnore **stack, int dirfd, const char *base, bool root);
void ide_ignore_pop(IdeIgnore **stack);
void ide_ignore_free(IdeIgnore **stack);
/* Whether path (relative to the workspace) is ignored by the rules on the stack. */
bool ide_ignore_match(IdeIgnore *stack, const char *path, bool is_dir);
