/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NULL-terminated arrays of strings (scopes, names): length, free, copy, membership. */
#pragma once

#include "macro.h"

static inline size_t strv_length(char *const *l) {
        size_t n = 0;
        while (l && l[n])
                n++;
        return n;
}

static inline char **strv_free(char **l) {
        for (size_t i = 0; l && l[i]; i++)
                free(l[i]);
        free(l);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)

static inline bool strv_contains(char *const *l, const char *s) {
        for (size_t i = 0; l && l[i]; i++)
                if (streq(l[i], s))
                        return true;
        return false;
}

/* A deep copy; an empty array for NULL. NULL when out of memory. */
static inline char **strv_copy(char *const *l) {
        size_t n = strv_length(l);
        _cleanup_strv_free_ char **c = new0(char *, n + 1);
        if (!c)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (!(c[i] = strdup(l[i])))
                        return NULL;
        return TAKE_PTR(c);
}

/* The strings joined with separator between them; "" for an empty array. NULL when out of memory. */
static inline char *strv_join(char *const *l, const char *separator) {
        size_t n = 1, s = strlen(separator);
        for (size_t i = 0; l && l[i]; i++)
                n += strlen(l[i]) + s;
        char *r = new0(char, n), *p = r;
        for (size_t i = 0; r && l && l[i]; i++)
                p = stpcpy(stpcpy(p, i > 0 ? separator : ""), l[i]);
        return r;
}

/* Appends a copy of s. -ENOMEM when out of memory (*l is unchanged then). */
static inline int strv_extend(char ***l, const char *s) {
        size_t n = strv_length(*l);
        char *c = strdup(s);
        char **m = c ? realloc(*l, (n + 2) * sizeof(char *)) : NULL;
        if (!m) {
                free(c);
                return -ENOMEM;
        }
        m[n] = c;
        m[n + 1] = NULL;
        *l = m;
        return 0;
}
