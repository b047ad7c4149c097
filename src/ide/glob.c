/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A glob matcher over path strings: iterative for "*" (backtracking to the last star only), recursive for
 * "**" (bounded by the number of segments). */
#include <string.h>

#include "glob.h"

/* A "[...]" class at p, against c; *ret_end after the closing "]". false with *ret_end NULL when the class is
 * not closed (then "[" is an ordinary character). */
static bool class_match(const char *p, char c, const char **ret_end) {
        bool negate = false, found = false;
        const char *q = p + 1;
        if (*q == '!' || *q == '^') {
                negate = true;
                q++;
        }
        bool first = true;
        for (; *q && (first || *q != ']'); first = false) {
                char lo = *q;
                if (lo == '\\' && q[1])
                        lo = *++q;
                q++;
                char hi = lo;
                if (*q == '-' && q[1] && q[1] != ']') {
                        if (q[1] == '\\' && q[2]) {
                                hi = q[2];
                                q += 3;
                        } else {
                                hi = q[1];
                                q += 2;
                        }
                }
                if (c >= lo && c <= hi)
                        found = true;
        }
        if (*q != ']') {
                *ret_end = NULL;
                return false;
        }
        *ret_end = q + 1;
        return c != '/' && found != negate;
}

static bool match(const char *p, const char *s) {
        const char *star_p = NULL, *star_s = NULL;
        for (;;) {
                if (p[0] == '*' && p[1] == '*' && (p[2] == '/' || p[2] == 0)) {
                        /* "**" at a segment's start: any number of whole segments. */
                        const char *rest = p[2] == '/' ? p + 3 : p + 2;
                        if (*rest == 0)
                                return true;
                        for (const char *t = s;; t++) {
                                if ((t == s || t[-1] == '/') && match(rest, t))
                                        return true;
                                if (*t == 0)
                                        return false;
                        }
                }
                if (*p == '*') {
                        while (*p == '*')
                                p++;
                        star_p = p;
                        star_s = s;
                        continue;
                }
                if (*s == 0)
                        return *p == 0;
                const char *next = NULL;
                bool ok;
                if (*p == '[' && (class_match(p, *s, &next), next))
                        ok = class_match(p, *s, &next);
                else if (*p == '?')
                        ok = *s != '/', next = p + 1;
                else if (*p == '\\' && p[1])
                        ok = p[1] == *s, next = p + 2;
                else
                        ok = *p && *p == *s, next = p + 1;
                if (ok) {
                        p = next;
                        s++;
                        continue;
                }
                /* Back to the last "*", which takes one more character, never a "/". */
                if (!star_p || *star_s == '/')
                        return false;
                p = star_p;
                s = ++star_s;
        }
}

bool ide_glob_match(const char *pattern, const char *path) {
        return match(pattern, path);
}

bool ide_glob_match_path(const char *pattern, const char *path) {
        if (pattern[0] == '/')
                return match(pattern + 1, path);
        if (!strchr(pattern, '/')) {
                const char *base = strrchr(path, '/');
                return match(pattern, base ? base + 1 : path);
        }
        return match(pattern, path);
}
