/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Writing the page reader's nodes as indented YAML-like lines within a budget: "- role "name" [flags] [ref=b1]:
 * value", a heading as "- h2 "name"", a run of text as "- "text"", and siblings of one role with nothing below
 * them on one line ("- link "A" [ref=b1], "B" [ref=b2]"). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"

void snapshot_result_done(SnapshotResult *r) {
        free(r->text);
        *r = (SnapshotResult){};
}

int snapshot_ref_block(const char *ref) {
        if (!ref)
                return -EINVAL;
        size_t letters = 0;
        while (ref[letters] >= 'a' && ref[letters] <= 'z')
                letters++;
        if (letters < 1 || letters > SNAPSHOT_REF_PREFIX_MAX || ref[letters] < '1' || ref[letters] > '9')
                return -EINVAL;
        size_t n = strspn(ref + letters, "0123456789");
        if (n > 10 || ref[letters + n] != 0)
                return -EINVAL;
        if (letters == 1)
                return ref[0] - 'a';
        return 26 + (ref[0] - 'a') * 26 + (ref[1] - 'a');
}

bool snapshot_ref_is_valid(const char *ref) {
        return snapshot_ref_block(ref) >= 0;
}

void snapshot_ref_prefix(unsigned block, char ret[static SNAPSHOT_REF_PREFIX_MAX + 1]) {
        block %= SNAPSHOT_REF_BLOCKS;
        if (block < 26) {
                ret[0] = (char) ('a' + block);
                ret[1] = 0;
                return;
        }
        block -= 26;
        ret[0] = (char) ('a' + block / 26);
        ret[1] = (char) ('a' + block % 26);
        ret[2] = 0;
}

/* s on one line: control characters dropped; quoted: inside "" with " and \ escaped. */
static void put_text(FILE *f, const char *s, bool quote) {
        if (quote)
                fputc('"', f);
        for (const char *p = s; *p; p++) {
                unsigned char c = *p;
                if (c < 0x20) {
                        fputc(' ', f);
                        continue;
                }
                if (quote && (c == '"' || c == '\\'))
                        fputc('\\', f);
                fputc(c, f);
        }
        if (quote)
                fputc('"', f);
}

static const char *item_string(json_object *item, size_t i) {
        json_object *v = json_object_array_get_idx(item, i);
        return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

static int64_t item_int(json_object *item, size_t i) {
        json_object *v = json_object_array_get_idx(item, i);
        return json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : 0;
}

static bool item_is_valid(json_object *item) {
        return json_object_is_type(item, json_type_array) && json_object_array_length(item) >= 7;
}

static int64_t item_depth(json_object *item) {
        int64_t depth = item_int(item, 0);
        return depth < 0 || depth > 1000 ? 0 : depth;
}

/* Whether the item after items[i] is below it. */
static bool item_has_children(json_object *items, size_t n, size_t i) {
        json_object *next = i + 1 < n ? json_object_array_get_idx(items, i + 1) : NULL;
        return item_is_valid(next) && item_depth(next) > item_depth(json_object_array_get_idx(items, i));
}

/* The word a line starts with: the role, or "h2" for a heading of level 2 (its level flag then not written). */
static const char *role_word(json_object *item, char buf[static 3]) {
        const char *role = item_string(item, 1), *flags = item_string(item, 5);
        const char *level = strstr(flags, "level=");
        if (streq(role, "heading") && level && (level == flags || level[-1] == ' ') && level[6] >= '1' &&
                level[6] <= '6' && (level[7] == ' ' || level[7] == 0)) {
                buf[0] = 'h';
                buf[1] = level[6];
                buf[2] = 0;
                return buf;
        }
        return role;
}

/* An element's part of a line after its role word: ' "name" [flags] [ref=b1] [+N]', in a new string. */
static char *member_text(json_object *item, bool heading_level_in_role) {
        const char *name = item_string(item, 2), *ref = item_string(item, 3), *flags = item_string(item, 5);
        int64_t below = item_int(item, 6);
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        if (!f)
                return NULL;
        if (*name) {
                fputc(' ', f);
                put_text(f, name, true);
        }
        /* Flags as the reader wrote them, space-separated: each in brackets. */
        for (const char *p = flags; *p;) {
                size_t n = strcspn(p, " ");
                if (n > 0 && !(heading_level_in_role && n == 7 && strncmp(p, "level=", 6) == 0))
                        fprintf(f, " [%.*s]", (int) n, p);
                p += n + (p[n] == ' ');
        }
        if (*ref && snapshot_ref_is_valid(ref))
                fprintf(f, " [ref=%s]", ref);
        if (below > 0)
                fprintf(f, " [+%" PRId64 "]", below);
        if (fclose(f) != 0) {
                free(text);
                return NULL;
        }
        return text;
}

/* Whether items[j] may share the line of the sibling before it whose role word is word: a named element of
 * that role with no value and nothing below it. */
static bool item_joins(json_object *items, size_t n, size_t j, int64_t depth, const char *word) {
        json_object *x = json_object_array_get_idx(items, j);
        char buf[3];
        return item_is_valid(x) && item_depth(x) == depth && !streq(item_string(x, 1), "text") &&
                streq(role_word(x, buf), word) && *item_string(x, 2) && !*item_string(x, 4) && item_int(x, 6) <= 0 &&
                !item_has_children(items, n, j);
}

/* The line of items[i] (and of the siblings that share it: items[i+1] up to *ret_end), without indentation and
 * newline, in a new string. */
static char *line_at(json_object *items, size_t n, size_t i, size_t *ret_end) {
        json_object *item = json_object_array_get_idx(items, i);
        char *line = NULL;
        size_t size = 0;
        *ret_end = i + 1;
        FILE *f = open_memstream(&line, &size);
        if (!f)
                return NULL;
        fputs("- ", f);
        if (streq(item_string(item, 1), "text"))
                put_text(f, item_string(item, 2), true);
        else {
                char buf[3];
                const char *word = role_word(item, buf);
                bool heading = word == buf;
                _cleanup_free_ char *first = member_text(item, heading);
                if (!first) {
                        fclose(f);
                        free(line);
                        return NULL;
                }
                fputs(word, f);
                fputs(first, f);
                const char *value = item_string(item, 4);
                int64_t depth = item_depth(item);
                if (*value) {
                        fputs(": ", f);
                        put_text(f, value, false);
                } else if (item_has_children(items, n, i))
                        fputc(':', f);
                else if (*item_string(item, 2) && item_int(item, 6) <= 0) {
                        size_t used = 2 + strlen(word) + strlen(first);
                        while (*ret_end < n && item_joins(items, n, *ret_end, depth, word)) {
                                _cleanup_free_ char *next =
                                        member_text(json_object_array_get_idx(items, *ret_end), heading);
                                if (!next || used + 1 + strlen(next) > SNAPSHOT_LINE_CHARS)
                                        break;
                                fputc(',', f);
                                fputs(next, f);
                                used += 1 + strlen(next);
                                (*ret_end)++;
                        }
                }
        }
        if (fclose(f) != 0) {
                free(line);
                return NULL;
        }
        return line;
}

int snapshot_render(json_object *page, size_t max_chars, SnapshotResult *ret) {
        *ret = (SnapshotResult){};
        json_object *items = json_get_array(page, "items");
        if (!items)
                return -EINVAL;
        if (max_chars == 0)
                max_chars = SNAPSHOT_DEFAULT_MAX_CHARS;
        size_t n = json_object_array_length(items);

        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        size_t used = 0, below = 0;
        bool cut = false;
        const char *first_cut_ref = NULL;
        for (size_t i = 0, end; i < n; i = end) {
                json_object *item = json_object_array_get_idx(items, i);
                end = i + 1;
                if (!item_is_valid(item))
                        continue;
                int64_t depth = item_depth(item);
                _cleanup_free_ char *line = line_at(items, n, i, &end);
                if (!line) {
                        fclose(f);
                        free(text);
                        return -ENOMEM;
                }
                /* The refs on the line, and the first of them for a part to ask for once the budget is out. */
                size_t refs = 0;
                const char *line_ref = NULL;
                for (size_t k = i; k < end; k++) {
                        json_object *x = json_object_array_get_idx(items, k);
                        const char *ref = item_string(x, 3);
                        if (*ref && snapshot_ref_is_valid(ref)) {
                                refs++;
                                line_ref = line_ref ?: ref;
                        }
                        ret->texts_cut += streq(item_string(x, 1), "text") && streq(item_string(x, 5), "cut");
                        below += MAX(item_int(x, 6), 0);
                }
                ret->lines++;
                ret->refs += refs;
                size_t len = 2 * depth + strlen(line) + 1;
                if (!cut && used + len > max_chars)
                        cut = true;
                if (cut) {
                        if (!first_cut_ref && line_ref && depth <= 1)
                                first_cut_ref = line_ref;
                        continue;
                }
                fprintf(f, "%*s%s\n", (int) (2 * depth), "", line);
                used += len;
                ret->lines_shown++;
                ret->refs_shown += refs;
        }

        json_object *v;
        int64_t more = json_object_object_get_ex(page, "more", &v) ? json_object_get_int64(v) : 0;
        int64_t more_refs = json_object_object_get_ex(page, "moreRefs", &v) ? json_object_get_int64(v) : 0;
        const char *resume = json_get_string(page, "resume");
        if (!snapshot_ref_is_valid(resume))
                resume = NULL;
        ret->refs += MAX(more_refs, 0);
        if (ret->lines_shown < ret->lines || more > 0) {
                fprintf(f, "# Left out past the %zu-character budget: ", max_chars);
                if (ret->lines_shown < ret->lines)
                        fprintf(f, "%zu more lines", ret->lines - ret->lines_shown);
                if (more > 0)
                        fprintf(f, "%s%" PRId64 " more elements", ret->lines_shown < ret->lines ? ", then " : "", more);
                fprintf(f, " (%zu with refs). Ask with browser_snapshot max_chars=%zu", ret->refs - ret->refs_shown,
                        (size_t) MIN(SNAPSHOT_MAX_MAX_CHARS, max_chars * 4));
                const char *part = first_cut_ref ?: resume;
                if (part)
                        fprintf(f, ", or for a part with browser_snapshot ref=%s (or another ref shown)", part);
                fputs(".\n", f);
        }
        json_object *tail = json_get_array(page, "tail");
        size_t n_tail = tail ? json_object_array_length(tail) : 0;
        if (n_tail > 0) {
                fprintf(f, "# Further down, to act on (%zu of the %zu refs left out):\n", n_tail,
                        ret->refs - ret->refs_shown);
                for (size_t i = 0, end; i < n_tail; i = end) {
                        end = i + 1;
                        if (!item_is_valid(json_object_array_get_idx(tail, i)))
                                continue;
                        _cleanup_free_ char *line = line_at(tail, n_tail, i, &end);
                        if (!line) {
                                fclose(f);
                                free(text);
                                return -ENOMEM;
                        }
                        fprintf(f, "%s\n", line);
                        for (size_t k = i; k < end; k++)
                                ret->refs_shown += *item_string(json_object_array_get_idx(tail, k), 3) != 0;
                }
        }
        if (ret->texts_cut > 0) {
                int64_t text_max = json_object_object_get_ex(page, "textMax", &v) ? json_object_get_int64(v) : 0;
                fprintf(f,
                        "# Runs of text cut at %" PRId64 " characters (…): %zu; browser_snapshot text_chars=%" PRId64
                        " shows more of them.\n",
                        text_max, ret->texts_cut, MIN((int64_t) SNAPSHOT_MAX_TEXT_CHARS, MAX(text_max, 1) * 10));
        }
        if (below > 0)
                fprintf(f,
                        "# [+N]: N elements below, left out at the depth limit; browser_snapshot ref=<its ref> shows "
                        "them.\n");
        ret->truncated = ret->lines_shown < ret->lines || more > 0 || below > 0 || ret->texts_cut > 0;
        if (fclose(f) != 0) {
                free(text);
                return -ENOMEM;
        }
        ret->text = text;
        return 0;
}
