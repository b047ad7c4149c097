/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Edits by old and new text. An exact match is replaced as it is. Without one, old_text's lines are compared
 * with the text's lines with runs of whitespace collapsed and the ends trimmed, so that a model's wrong
 * indentation or trailing spaces still find the place; the lines found are replaced by new_text, re-indented
 * by the difference between the indentation found and old_text's. Two matches are an error that says where:
 * an edit must change one place, unless it says replace_all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edit.h"
#include "macro.h"

static unsigned line_of(const char *text, const char *at) {
        unsigned line = 1;
        for (const char *p = text; p < at; p++)
                line += *p == '\n';
        return line;
}

/* Appends " N" for each line in lines (at most 10 shown). */
static void list_lines(FILE *f, const unsigned *lines, size_t n) {
        for (size_t i = 0; i < n && i < 10; i++)
                fprintf(f, "%s%u", i == 0 ? "" : ", ", lines[i]);
        if (n > 10)
                fprintf(f, " and %zu more", n - 10);
}

static int exact(char **text, const IdeEdit *e, unsigned *ret_count, char **ret_error) {
        size_t olen = strlen(e->old_text);
        unsigned lines[16];
        size_t found = 0;
        for (const char *p = strstr(*text, e->old_text); p; p = strstr(p + olen, e->old_text)) {
                if (found < ELEMENTSOF(lines))
                        lines[found] = line_of(*text, p);
                found++;
        }
        if (found == 0)
                return -ENOENT;
        if (found > 1 && !e->replace_all) {
                char *msg = NULL;
                size_t size = 0;
                FILE *f = open_memstream(&msg, &size);
                if (!f)
                        return -ENOMEM;
                fprintf(f, "old_text matches %zu places, at lines ", found);
                list_lines(f, lines, MIN(found, ELEMENTSOF(lines)));
                fputs("; add surrounding lines to old_text to make it match one place, or set replace_all.", f);
                fclose(f);
                *ret_error = msg;
                return -EEXIST;
        }
        /* Replace every match, left to right, in a new string. */
        size_t nlen = strlen(e->new_text), n = strlen(*text);
        char *out = malloc(n + found * (nlen > olen ? nlen - olen : 0) + 1), *o = out;
        if (!out)
                return -ENOMEM;
        const char *p = *text;
        for (const char *q = strstr(p, e->old_text); q; q = strstr(p, e->old_text)) {
                memcpy(o, p, q - p);
                o += q - p;
                memcpy(o, e->new_text, nlen);
                o += nlen;
                p = q + olen;
        }
        strcpy(o, p);
        free(*text);
        *text = out;
        *ret_count = found;
        return 0;
}

/* A line with whitespace runs collapsed to one space and both ends trimmed, into buf. */
static char *squeeze(const char *p, size_t n) {
        char *out = malloc(n + 1), *o = out;
        if (!out)
                return NULL;
        bool space = false;
        for (size_t i = 0; i < n; i++) {
                if (strchr(" \t\r\v\f", p[i])) {
                        space = o > out;
                        continue;
                }
                if (space)
                        *o++ = ' ';
                space = false;
                *o++ = p[i];
        }
        *o = 0;
        return out;
}

typedef struct Lines {
        const char **start; /* each line's first character */
        size_t *len;        /* without its newline */
        char **squeezed;
        size_t n;
} Lines;

static void lines_done(Lines *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->squeezed[i]);
        free(l->start);
        free(l->len);
        free(l->squeezed);
}

static int lines_split(const char *text, Lines *l) {
        size_t count = 1;
        for (const char *p = text; *p; p++)
                count += *p == '\n';
        l->start = new0(const char *, count);
        l->len = new0(size_t, count);
        l->squeezed = new0(char *, count);
        if (!l->start || !l->len || !l->squeezed)
                return -ENOMEM;
        const char *p = text;
        for (;;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p) : strlen(p);
                if (!nl && len == 0 && l->n > 0)
                        break; /* the empty piece after a final newline is no line */
                l->start[l->n] = p;
                l->len[l->n] = len;
                if (!(l->squeezed[l->n] = squeeze(p, len)))
                        return -ENOMEM;
                l->n++;
                if (!nl)
                        break;
                p = nl + 1;
        }
        return 0;
}

static size_t indent_of(const char *p, size_t n) {
        size_t i = 0;
        while (i < n && (p[i] == ' ' || p[i] == '\t'))
                i++;
        return i;
}

/* new_text with the indentation of old_text's first line replaced, on each line that starts with it, by the
 * indentation found in the text. */
static char *reindent(const char *new_text, const char *old_indent, size_t old_n, const char *found_indent,
        size_t found_n) {
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);
        if (!f)
                return NULL;
        for (const char *p = new_text; *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p + 1) : strlen(p);
                if (len >= old_n && strncmp(p, old_indent, old_n) == 0) {
                        fwrite(found_indent, 1, found_n, f);
                        fwrite(p + old_n, 1, len - old_n, f);
                } else
                        fwrite(p, 1, len, f);
                p += len;
        }
        if (fclose(f) != 0) {
                free(out);
                return NULL;
        }
        return out ?: strdup("");
}

static int fuzzy(char **text, const IdeEdit *e, unsigned *ret_count, char **ret_error) {
        _cleanup_(lines_done) Lines t = {}, o = {};
        if (lines_split(*text, &t) < 0 || lines_split(e->old_text, &o) < 0)
                return -ENOMEM;
        /* Blank lines at old_text's ends are no part of what is looked for. */
        size_t first = 0, last = o.n;
        while (first < last && isempty(o.squeezed[first]))
                first++;
        while (last > first && isempty(o.squeezed[last - 1]))
                last--;
        if (first == last)
                return -ENOENT;
        size_t k = last - first;

        size_t found = 0;
        unsigned lines[16];
        _cleanup_free_ size_t *at = new0(size_t, t.n + 1);
        if (!at)
                return -ENOMEM;
        for (size_t i = 0; i + k <= t.n; i++) {
                size_t j = 0;
                while (j < k && streq(t.squeezed[i + j], o.squeezed[first + j]))
                        j++;
                if (j < k)
                        continue;
                if (found < ELEMENTSOF(lines))
                        lines[found] = i + 1;
                at[found++] = i;
                i += k - 1; /* matches do not overlap */
        }
        if (found == 0) {
                /* Say where the first line of old_text appears, if anywhere, to help the next try. */
                char *msg = NULL;
                size_t size = 0;
                FILE *f = open_memstream(&msg, &size);
                if (!f)
                        return -ENOMEM;
                fputs("old_text was not found, neither exactly nor ignoring whitespace", f);
                size_t near = 0;
                for (size_t i = 0; i < t.n; i++)
                        if (!isempty(o.squeezed[first]) && strstr(t.squeezed[i], o.squeezed[first]) &&
                                near < ELEMENTSOF(lines))
                                lines[near++] = i + 1;
                if (near > 0) {
                        fputs("; its first line appears at line", f);
                        fputs(near > 1 ? "s " : " ", f);
                        list_lines(f, lines, near);
                        fputs(", where the lines after it differ", f);
                }
                fputs(". Read the file again (ide_read_file) and copy old_text from it.", f);
                fclose(f);
                *ret_error = msg;
                return -ENOENT;
        }
        if (found > 1 && !e->replace_all) {
                char *msg = NULL;
                size_t size = 0;
                FILE *f = open_memstream(&msg, &size);
                if (!f)
                        return -ENOMEM;
                fprintf(f, "old_text matches %zu places when whitespace is ignored, at lines ", found);
                list_lines(f, lines, MIN(found, ELEMENTSOF(lines)));
                fputs("; add surrounding lines to old_text to make it match one place.", f);
                fclose(f);
                *ret_error = msg;
                return -EEXIST;
        }
        /* Whole lines are replaced: from the start of the first line found to the end of the last one (its
         * newline stays), each match in turn, into a new text. */
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);
        if (!f)
                return -ENOMEM;
        size_t cursor = 0;
        size_t oi = indent_of(o.start[first], o.len[first]);
        for (size_t m = 0; m < found; m++) {
                size_t a = at[m];
                size_t from = t.start[a] - *text, to = t.start[a + k - 1] + t.len[a + k - 1] - *text;
                size_t ti = indent_of(t.start[a], t.len[a]);
                _cleanup_free_ char *with = reindent(e->new_text, o.start[first], oi, t.start[a], ti);
                if (!with) {
                        fclose(f);
                        free(out);
                        return -ENOMEM;
                }
                /* new_text ending in a newline would double the one that stays. */
                size_t wl = strlen(with);
                if (wl > 0 && with[wl - 1] == '\n' && (*text)[to] == '\n')
                        with[--wl] = 0;
                fwrite(*text + cursor, 1, from - cursor, f);
                fwrite(with, 1, wl, f);
                cursor = to;
        }
        fputs(*text + cursor, f);
        if (fclose(f) != 0) {
                free(out);
                return -ENOMEM;
        }
        free(*text);
        *text = out;
        *ret_count = found;
        return 0;
}

int ide_edit_apply(char **text, const IdeEdit *edit, bool *ret_fuzzy, unsigned *ret_count, char **ret_error) {
        *ret_error = NULL;
        *ret_fuzzy = false;
        *ret_count = 0;
        if (isempty(edit->old_text)) {
                *ret_error = strdup("old_text is empty; to write a whole file use ide_write_file.");
                return -EINVAL;
        }
        int r = exact(text, edit, ret_count, ret_error);
        if (r != -ENOENT)
                return r;
        *ret_fuzzy = true;
        return fuzzy(text, edit, ret_count, ret_error);
}
