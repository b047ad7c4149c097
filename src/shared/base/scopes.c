/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The scope grammar: words separated by spaces, each granting a kind of object on a backend. */
#include <string.h>

#include "macro.h"
#include "scopes.h"

/* Whether the word [s, s + n) is prefix followed by rest exactly. */
static bool word_is(const char *s, size_t n, const char *prefix, const char *rest) {
        size_t p = strlen(prefix), r = strlen(rest);
        return n == p + r && memcmp(s, prefix, p) == 0 && memcmp(s + p, rest, r) == 0;
}

static bool scope_grants(const char *s, size_t n, const char *kind, const char *backend, const char *name,
        bool any_name) {
        char head[64];
        if (strlen(kind) + 2 > sizeof(head))
                return false;
        strcpy(head, kind);
        strcat(head, ":");
        if (word_is(s, n, "admin", "") || word_is(s, n, head, "*") || word_is(s, n, head, backend))
                return true;
        /* KIND:BACKEND:NAME */
        size_t h = strlen(head), b = strlen(backend);
        if (n <= h + b + 1 || memcmp(s, head, h) != 0 || memcmp(s + h, backend, b) != 0 || s[h + b] != ':')
                return false;
        if (any_name)
                return true;
        return name && word_is(s + h + b + 1, n - h - b - 1, name, "");
}

/* Calls match on each word of scopes until it says yes. */
static bool any_word(const char *scopes, bool (*match)(const char *s, size_t n, const void *userdata),
        const void *userdata) {
        for (const char *s = strempty(scopes); *s;) {
                s += strspn(s, " ");
                size_t n = strcspn(s, " ");
                if (n > 0 && match(s, n, userdata))
                        return true;
                s += n;
        }
        return false;
}

typedef struct Grant {
        const char *kind, *backend, *name;
        bool any_name;
} Grant;

static bool word_grants(const char *s, size_t n, const void *userdata) {
        const Grant *g = userdata;
        return scope_grants(s, n, g->kind, g->backend, g->name, g->any_name);
}

bool scopes_grant(const char *scopes, const char *kind, const char *backend, const char *name) {
        if (!kind || !backend)
                return false;
        return any_word(scopes, word_grants, &(const Grant){ kind, backend, name, false });
}

bool scopes_grant_any(const char *scopes, const char *kind, const char *backend) {
        if (!kind || !backend)
                return false;
        return any_word(scopes, word_grants, &(const Grant){ kind, backend, NULL, true });
}

static bool word_equals(const char *s, size_t n, const void *userdata) {
        return word_is(s, n, userdata, "");
}

bool scopes_contain(const char *scopes, const char *scope) {
        return scope && any_word(scopes, word_equals, scope);
}
