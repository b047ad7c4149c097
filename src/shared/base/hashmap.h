/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A small open-addressing hash table from NUL-terminated string keys to pointers. */
#pragma once

#include <stddef.h>

#include "macro.h"

typedef struct Hashmap Hashmap;

Hashmap *hashmap_new(void);
Hashmap *hashmap_free(Hashmap *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(Hashmap *, hashmap_free);

/* The key is not copied: it must live as long as the entry (usually it is a field of the value). Returns 0,
 * -EEXIST when the key is present or -ENOMEM. */
int hashmap_put(Hashmap *h, const char *key, void *value);
void *hashmap_get(Hashmap *h, const char *key);
void *hashmap_remove(Hashmap *h, const char *key);
size_t hashmap_size(Hashmap *h);

/* Iteration: start with *state = 0; returns false at the end. Removing the current entry while iterating is
 * allowed (the table never shrinks during iteration). */
bool hashmap_iterate(Hashmap *h, size_t *state, void **ret_value, const char **ret_key);
