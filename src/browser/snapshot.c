/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Writing the page reader's nodes as indented "- role "name" [flags] [ref=eN]: value" lines within a budget. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#include "snapshot.h"

void snapshot_result_done(SnapshotResult *r) {
        free(r->text);
        *r = (SnapshotResult){};
}

bool snapshot_ref_is_valid(const char *ref) {
        if (!ref || ref[0] != 'e' || ref[1] < '1' || ref[1] > '9')
                return false;
        size_t n = strspn(ref + 1, "0123456789");
        return n <= 10 && ref[1 + n] == 0;
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

/* One item's line, without indentation and newline, in a new string. */
static char *item_line(json_object *item, bool has_children) {
        const char *role = item_string(item, 1), *name = item_string(item, 2), *ref = item_string(item, 3),
                   *value = item_string(item, 4), *flags = item_string(item, 5);
        int64_t below = item_int(item, 6);
        char *line = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&line, &size);
        if (!f)
                return NULL;
        fputs("- ", f);
        if (streq(role, "text")) {
                fputs("text: ", f);
                put_text(f, name, false);
        } else {
                put_text(f, role, false);
                if (*name) {
                        fputc(' ', f);
                        put_text(f, name, true);
                }
                /* Flags as the reader wrote them, space-separated: each in brackets. */
                for (const char *p = flags; *p;) {
                        size_t n = strcspn(p, " ");
                        if (n > 0)
                                fprintf(f, " [%.*s]", (int) n, p);
                        p += n + (p[n] == ' ');
                }
                if (*ref && snapshot_ref_is_valid(ref))
                        fprintf(f, " [ref=%s]", ref);
                if (below > 0)
                        fprintf(f, " [+%" PRId64 "]", below);
                if (*value) {
                        fputs(": ", f);
                        put_text(f, value, false);
                } else if (has_children)
                        fputc(':', f);
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
        for (size_t i = 0; i < n; i++) {
                json_object *item = json_object_array_get_idx(items, i);
                if (!json_object_is_type(item, json_type_array) || json_object_array_length(item) < 7)
                        continue;
                int64_t depth = item_int(item, 0);
                if (depth < 0 || depth > 1000)
                        depth = 0;
                json_object *next = i + 1 < n ? json_object_array_get_idx(items, i + 1) : NULL;
                bool has_children = next && json_object_is_type(next, json_type_array) && item_int(next, 0) > depth;
                const char *ref = item_string(item, 3);
                bool has_ref = *ref && snapshot_ref_is_valid(ref);
                ret->lines++;
                ret->refs += has_ref;
                ret->texts_cut += streq(item_string(item, 1), "text") && streq(item_string(item, 5), "cut");
                below += MAX(item_int(item, 6), 0);
                if (cut) {
                        if (!first_cut_ref && has_ref && depth <= 1)
                                first_cut_ref = ref;
                        continue;
                }
                _cleanup_free_ char *line = item_line(item, has_children);
                if (!line) {
                        fclose(f);
                        free(text);
                        return -ENOMEM;
                }
                size_t len = 2 * depth + strlen(line) + 1;
                if (used + len > max_chars) {
                        cut = true;
                        if (has_ref && depth <= 1)
                                first_cut_ref = ref;
                        continue;
                }
                fprintf(f, "%*s%s\n", (int) (2 * depth), "", line);
                used += len;
                ret->lines_shown++;
                ret->refs_shown += has_ref;
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
                for (size_t i = 0; i < n_tail; i++) {
                        json_object *item = json_object_array_get_idx(tail, i);
                        if (!json_object_is_type(item, json_type_array) || json_object_array_length(item) < 7)
                                continue;
                        _cleanup_free_ char *line = item_line(item, false);
                        if (!line) {
                                fclose(f);
                                free(text);
                                return -ENOMEM;
                        }
                        fprintf(f, "%s\n", line);
                        ret->refs_shown += *item_string(item, 3) != 0;
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
