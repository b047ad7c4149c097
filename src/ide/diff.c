/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unified diffs: Myers' O(ND) line diff between the common head and tail, with a bound on D beyond which
 * the middle is shown as removed and added whole (an edit tool's diffs are small; a rewrite is a rewrite). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "macro.h"

#define CONTEXT 3
#define MAX_D 1000

typedef struct Line {
        const char *p;
        size_t n; /* without the newline */
        bool newline;
} Line;

static size_t split_lines(const char *s, size_t size, Line **ret) {
        size_t count = 0;
        for (size_t i = 0; i < size; i++)
                if (s[i] == '\n')
                        count++;
        Line *l = new0(Line, count + 2);
        if (!l)
                return SIZE_MAX;
        size_t n = 0;
        for (const char *p = s, *end = s + size; p < end;) {
                const char *nl = memchr(p, '\n', end - p);
                l[n++] = (Line){ p, (nl ?: end) - p, nl != NULL };
                p = nl ? nl + 1 : end;
        }
        *ret = l;
        return n;
}

static bool line_eq(const Line *a, const Line *b) {
        return a->n == b->n && a->newline == b->newline && memcmp(a->p, b->p, a->n) == 0;
}

/* The edit script: for each line of a and b, whether it is kept (0) or removed/added (1). */
static int myers(const Line *a, size_t n, const Line *b, size_t m, uint8_t *da, uint8_t *db) {
        if (n == 0 || m == 0) {
                memset(da, 1, n);
                memset(db, 1, m);
                return 0;
        }
        size_t max = MIN(n + m, (size_t) MAX_D);
        size_t off = max + 1;
        ssize_t *v = new0(ssize_t, 2 * max + 3);
        /* trace[d] holds v[-d..d] after step d. */
        ssize_t **trace = new0(ssize_t *, max + 1);
        if (!v || !trace) {
                free(v);
                free(trace);
                return -ENOMEM;
        }
        ssize_t dfound = -1;
        for (size_t d = 0; d <= max && dfound < 0; d++) {
                for (ssize_t k = -(ssize_t) d; k <= (ssize_t) d; k += 2) {
                        ssize_t x;
                        if (k == -(ssize_t) d || (k != (ssize_t) d && v[off + k - 1] < v[off + k + 1]))
                                x = v[off + k + 1];
                        else
                                x = v[off + k - 1] + 1;
                        ssize_t y = x - k;
                        while (x < (ssize_t) n && y < (ssize_t) m && line_eq(&a[x], &b[y]))
                                x++, y++;
                        v[off + k] = x;
                        if (x >= (ssize_t) n && y >= (ssize_t) m)
                                dfound = d;
                }
                trace[d] = malloc((2 * d + 1) * sizeof(ssize_t));
                if (!trace[d]) {
                        dfound = -2;
                        break;
                }
                memcpy(trace[d], v + off - d, (2 * d + 1) * sizeof(ssize_t));
        }
        int r = 0;
        if (dfound == -2)
                r = -ENOMEM;
        else if (dfound < 0) {
                memset(da, 1, n);
                memset(db, 1, m);
        } else {
                ssize_t x = n, y = m;
                for (ssize_t d = dfound; d > 0; d--) {
                        ssize_t *pv = trace[d - 1]; /* indices -(d-1)..(d-1) */
                        ssize_t k = x - y, pk;
#define PV(kk) pv[(kk) + (d - 1)]
                        if (k == -d || (k != d && PV(k - 1) < PV(k + 1)))
                                pk = k + 1;
                        else
                                pk = k - 1;
                        ssize_t px = PV(pk), py = px - pk;
#undef PV
                        while (x > px && y > py)
                                x--, y--;
                        if (x == px)
                                db[--y] = 1; /* an insertion */
                        else
                                da[--x] = 1; /* a deletion */
                }
        }
        for (size_t d = 0; d <= max; d++)
                free(trace[d]);
        free(trace);
        free(v);
        return r;
}

static void emit_line(FILE *f, char sign, const Line *l) {
        fputc(sign, f);
        fwrite(l->p, 1, l->n, f);
        fputc('\n', f);
        if (!l->newline)
                fputs("\\ No newline at end of file\n", f);
}

char *ide_unified_diff(const char *path, const char *old, size_t old_size, const char *new, size_t new_size) {
        _cleanup_free_ Line *a = NULL, *b = NULL;
        size_t n = split_lines(old, old_size, &a), m = split_lines(new, new_size, &b);
        if (n == SIZE_MAX || m == SIZE_MAX)
                return NULL;
        _cleanup_free_ uint8_t *da = new0(uint8_t, n + 1), *db = new0(uint8_t, m + 1);
        if (!da || !db)
                return NULL;

        size_t head = 0, tail = 0;
        while (head < n && head < m && line_eq(&a[head], &b[head]))
                head++;
        while (tail < n - head && tail < m - head && line_eq(&a[n - 1 - tail], &b[m - 1 - tail]))
                tail++;
        if (head == n && head == m)
                return strdup("");
        if (myers(a + head, n - head - tail, b + head, m - head - tail, da + head, db + head) < 0)
                return NULL;

        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        if (!f)
                return NULL;
        fprintf(f, "--- a/%s\n+++ b/%s\n", path, path);

        /* The script as one sequence of operations, each with the line it stands at on both sides. */
        typedef struct Op {
                char kind; /* ' ', '-', '+' */
                size_t i, j;
        } Op;
        _cleanup_free_ Op *ops = new0(Op, n + m + 1);
        if (!ops) {
                fclose(f);
                free(text);
                return NULL;
        }
        size_t k = 0;
        for (size_t i = 0, j = 0; i < n || j < m;) {
                if (i < n && da[i])
                        ops[k++] = (Op){ '-', i++, j };
                else if (j < m && db[j])
                        ops[k++] = (Op){ '+', i, j++ };
                else
                        ops[k++] = (Op){ ' ', i++, j++ };
        }

        /* A hunk: changes no more than 2*CONTEXT kept lines apart, with CONTEXT kept lines around them. */
        for (size_t c = 0; c < k;) {
                while (c < k && ops[c].kind == ' ')
                        c++;
                if (c >= k)
                        break;
                size_t last = c;
                for (size_t x = c + 1; x < k && x - last <= 2 * CONTEXT; x++)
                        if (ops[x].kind != ' ')
                                last = x;
                size_t start = c >= CONTEXT ? c - CONTEXT : 0, end = MIN(last + 1 + CONTEXT, k);
                size_t na = 0, nb = 0;
                for (size_t x = start; x < end; x++) {
                        na += ops[x].kind != '+';
                        nb += ops[x].kind != '-';
                }
                fprintf(f, "@@ -%zu", na == 0 ? ops[start].i : ops[start].i + 1);
                if (na != 1)
                        fprintf(f, ",%zu", na);
                fprintf(f, " +%zu", nb == 0 ? ops[start].j : ops[start].j + 1);
                if (nb != 1)
                        fprintf(f, ",%zu", nb);
                fputs(" @@\n", f);
                for (size_t x = start; x < end; x++)
                        emit_line(f, ops[x].kind, ops[x].kind == '+' ? &b[ops[x].j] : &a[ops[x].i]);
                c = end;
        }
        if (fclose(f) != 0) {
                free(text);
                return NULL;
        }
        return text;
}
