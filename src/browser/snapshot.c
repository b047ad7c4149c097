/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rendering an accessibility tree as indented "- role "name" [ref=eN]" lines within a character budget. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#include "hashmap.h"
#include "snapshot.h"

typedef struct Line {
        unsigned depth;
        char *text; /* without indentation and newline */
        long ref;   /* 0: none */
        bool has_children;
} Line;

typedef struct Render {
        json_object *nodes;
        Hashmap *by_id; /* nodeId -> json node */
        Line *lines;
        size_t n_lines, allocated;
        unsigned max_depth;
        size_t below_depth;
        int r;
} Render;

static const char *const interactive_roles[] = {
        "button",
        "link",
        "textbox",
        "searchbox",
        "checkbox",
        "radio",
        "combobox",
        "listbox",
        "option",
        "menuitem",
        "menuitemcheckbox",
        "menuitemradio",
        "tab",
        "switch",
        "slider",
        "spinbutton",
        "treeitem",
        "textField",
        "TextField",
        "PopUpButton",
        "ComboBoxMenuButton",
        "ComboBoxSelect",
        "ListBoxOption",
        "MenuListPopup",
        "MenuListOption",
        "ToggleButton",
        "DisclosureTriangle",
        "scrollbar",
};

static const char *node_role(json_object *n) {
        json_object *role = json_get_object(n, "role");
        return role ? json_get_string(role, "value") : NULL;
}

static const char *node_name(json_object *n) {
        json_object *name = json_get_object(n, "name");
        const char *s = name ? json_get_string(name, "value") : NULL;
        return s && *s ? s : NULL;
}

static json_object *node_property(json_object *n, const char *key) {
        json_object *props = json_get_array(n, "properties");
        for (size_t i = 0; props && i < json_object_array_length(props); i++) {
                json_object *p = json_object_array_get_idx(props, i);
                const char *name = json_get_string(p, "name");
                if (name && streq(name, key)) {
                        json_object *v = json_get_object(p, "value");
                        json_object *value;
                        return v && json_object_object_get_ex(v, "value", &value) ? value : NULL;
                }
        }
        return NULL;
}

static long node_backend_id(json_object *n) {
        json_object *id;
        return json_object_object_get_ex(n, "backendDOMNodeId", &id) ? json_object_get_int64(id) : 0;
}

static bool node_is_interactive(json_object *n, const char *role) {
        FOREACH_ELEMENT(r, interactive_roles)
        if (streq(*r, role))
                return true;
        json_object *f = node_property(n, "focusable");
        return f && json_object_get_boolean(f) && !streq(role, "RootWebArea") && !streq(role, "WebArea");
}

static bool role_is_wrapper(const char *role) {
        return streq(role, "generic") || streq(role, "none") || streq(role, "GenericContainer") ||
                streq(role, "RootWebArea") || streq(role, "WebArea") || streq(role, "LabelText") ||
                streq(role, "Section") || streq(role, "presentation") || streq(role, "LayoutTable") ||
                streq(role, "LayoutTableRow") || streq(role, "LayoutTableCell") || streq(role, "MenuListPopup");
}

/* Appends s to b as one line's text: newlines and tabs become spaces, runs of spaces one, at most max bytes
 * (then "…"). quote: inside "", with " and \ escaped. */
static int append_text(FILE *f, const char *s, size_t max, bool quote) {
        if (quote)
                fputc('"', f);
        size_t n = 0;
        bool space = false;
        for (const char *p = s; *p; p++) {
                unsigned char c = *p;
                if (c == '\n' || c == '\t' || c == '\r' || c == ' ') {
                        space = n > 0;
                        continue;
                }
                if (c < 0x20)
                        continue;
                if (space) {
                        fputc(' ', f);
                        n++;
                        space = false;
                }
                if (n >= max && (c & 0xc0) != 0x80) {
                        fputs("…", f);
                        break;
                }
                if (quote && (c == '"' || c == '\\'))
                        fputc('\\', f);
                fputc(c, f);
                n++;
        }
        if (quote)
                fputc('"', f);
        return 0;
}

static Line *line_add(Render *r, unsigned depth) {
        if (r->n_lines == r->allocated) {
                size_t n = r->allocated ? r->allocated * 2 : 256;
                Line *l = reallocarray(r->lines, n, sizeof(Line));
                if (!l) {
                        r->r = -ENOMEM;
                        return NULL;
                }
                r->lines = l;
                r->allocated = n;
        }
        Line *l = &r->lines[r->n_lines++];
        *l = (Line){ .depth = depth };
        return l;
}

static size_t count_descendants(Render *r, json_object *n, unsigned guard) {
        json_object *children = json_get_array(n, "childIds");
        size_t total = 0;
        for (size_t i = 0; guard < 512 && children && i < json_object_array_length(children); i++) {
                json_object *c = hashmap_get(r->by_id, json_object_get_string(json_object_array_get_idx(children, i)));
                if (!c)
                        continue;
                const char *role = node_role(c);
                bool shown = role && !json_get_bool(c, "ignored", false) && !role_is_wrapper(role) &&
                        !streq(role, "InlineTextBox");
                total += shown + count_descendants(r, c, guard + 1);
        }
        return total;
}

/* The text of the StaticText children of n, joined, when n has only text below it (after wrappers); else
 * NULL. */
static void render_node(Render *r, json_object *n, unsigned depth, const char *parent_name, unsigned guard);

static void render_children(Render *r, json_object *n, unsigned depth, const char *parent_name, unsigned guard) {
        json_object *children = json_get_array(n, "childIds");
        for (size_t i = 0; r->r >= 0 && children && i < json_object_array_length(children); i++) {
                json_object *c = hashmap_get(r->by_id, json_object_get_string(json_object_array_get_idx(children, i)));
                if (c)
                        render_node(r, c, depth, parent_name, guard + 1);
        }
}

static void render_node(Render *r, json_object *n, unsigned depth, const char *parent_name, unsigned guard) {
        if (guard > 1024) /* a tree deeper than any page: a cycle, or worse */
                return;
        const char *role = node_role(n) ?: "none";
        const char *name = node_name(n);

        if (streq(role, "InlineTextBox") || streq(role, "ListMarker"))
                return;
        if (json_get_bool(n, "ignored", false) ||
                (role_is_wrapper(role) && !(name && !streq(role, "RootWebArea") && !streq(role, "generic")))) {
                render_children(r, n, depth, parent_name, guard);
                return;
        }
        if (streq(role, "StaticText")) {
                if (!name || (parent_name && strstr(parent_name, name)))
                        return;
                /* Text after text: one line. */
                if (r->n_lines > 0) {
                        Line *last = &r->lines[r->n_lines - 1];
                        if (last->depth == depth && startswith_ptr(last->text, "- text: ") && !last->has_children) {
                                char *joined = NULL;
                                size_t size = 0;
                                FILE *f = open_memstream(&joined, &size);
                                if (!f) {
                                        r->r = -ENOMEM;
                                        return;
                                }
                                fputs(last->text, f);
                                fputc(' ', f);
                                append_text(f, name, 500, false);
                                if (fclose(f) != 0) {
                                        r->r = -ENOMEM;
                                        return;
                                }
                                free(last->text);
                                last->text = joined;
                                return;
                        }
                }
                Line *l = line_add(r, depth);
                if (!l)
                        return;
                char *t = NULL;
                size_t size = 0;
                FILE *f = open_memstream(&t, &size);
                if (!f) {
                        r->r = -ENOMEM;
                        return;
                }
                fputs("- text: ", f);
                append_text(f, name, 500, false);
                if (fclose(f) != 0)
                        r->r = -ENOMEM;
                l->text = t;
                return;
        }

        long id = node_backend_id(n);
        bool interactive = node_is_interactive(n, role);
        size_t index = r->n_lines;
        Line *l = line_add(r, depth);
        if (!l)
                return;

        char *t = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&t, &size);
        if (!f) {
                r->r = -ENOMEM;
                return;
        }
        fprintf(f, "- %s", role);
        if (name) {
                fputc(' ', f);
                append_text(f, name, 300, true);
        }
        static const char *const flags[] = { "checked", "disabled", "expanded", "selected", "pressed", "required" };
        FOREACH_ELEMENT(flag, flags) {
                json_object *v = node_property(n, *flag);
                if (!v)
                        continue;
                const char *s = json_object_get_string(v);
                if (streq(s, "true"))
                        fprintf(f, " [%s]", *flag);
                else if (streq(s, "mixed"))
                        fprintf(f, " [%s=mixed]", *flag);
        }
        json_object *level = streq(role, "heading") ? node_property(n, "level") : NULL;
        if (level)
                fprintf(f, " [level=%d]", json_object_get_int(level));
        bool cut = depth >= r->max_depth && json_object_array_length(json_get_array(n, "childIds")) > 0;
        size_t hidden = cut ? count_descendants(r, n, guard) : 0;
        if (id > 0 && (interactive || hidden > 0))
                fprintf(f, " [ref=e%ld]", id);
        if (hidden > 0)
                fprintf(f, " [+%zu]", hidden);
        json_object *value = json_get_object(n, "value");
        const char *v = value ? json_get_string(value, "value") : NULL;
        bool valued = v && *v && !(name && streq(v, name));
        long value_at = valued ? ftell(f) : -1;
        if (valued) {
                fputs(": ", f);
                append_text(f, v, 300, false);
        }
        if (fclose(f) != 0) {
                r->r = -ENOMEM;
                return;
        }
        r->lines[index].text = t;
        r->lines[index].ref = id > 0 && (interactive || hidden > 0) ? id : 0;
        if (cut) {
                r->below_depth += hidden;
                return;
        }

        render_children(r, n, depth + 1, name, guard);
        if (r->r < 0)
                return;
        /* A node whose only child is one text line: "- paragraph: the text". */
        if (r->n_lines == index + 2 && startswith_ptr(r->lines[index + 1].text, "- text: ") && !valued &&
                !r->lines[index + 1].has_children) {
                Line *child = &r->lines[index + 1];
                char *joined = NULL;
                if (asprintf(&joined, "%s: %s", r->lines[index].text, child->text + strlen("- text: ")) < 0) {
                        r->r = -ENOMEM;
                        return;
                }
                free(r->lines[index].text);
                r->lines[index].text = joined;
                free(child->text);
                r->n_lines--;
                return;
        }
        r->lines[index].has_children = r->n_lines > index + 1;
        /* A value and children (a select and its options, which say which is selected): the children only. */
        if (r->lines[index].has_children && value_at > 0)
                r->lines[index].text[value_at] = 0;
}

void snapshot_result_done(SnapshotResult *r) {
        free(r->text);
        *r = (SnapshotResult){};
}

int snapshot_ref_parse(const char *ref, long *ret) {
        if (!ref || ref[0] != 'e' || !isdigit((unsigned char) ref[1]) || ref[1] == '0')
                return -EINVAL;
        char *end;
        errno = 0;
        long v = strtol(ref + 1, &end, 10);
        if (errno != 0 || *end || v <= 0 || v > INT32_MAX)
                return -EINVAL;
        *ret = v;
        return 0;
}

int snapshot_render(json_object *nodes, const SnapshotOptions *options, SnapshotResult *ret) {
        Render r = { .nodes = nodes, .max_depth = options->max_depth ?: SNAPSHOT_DEFAULT_MAX_DEPTH };
        size_t max_chars = options->max_chars ?: SNAPSHOT_DEFAULT_MAX_CHARS;
        *ret = (SnapshotResult){};
        r.by_id = hashmap_new();
        if (!r.by_id)
                return -ENOMEM;

        json_object *root = NULL;
        size_t n = json_object_is_type(nodes, json_type_array) ? json_object_array_length(nodes) : 0;
        for (size_t i = 0; i < n; i++) {
                json_object *node = json_object_array_get_idx(nodes, i);
                const char *id = json_get_string(node, "nodeId");
                if (id && hashmap_put(r.by_id, id, node) < 0) {
                        hashmap_free(r.by_id);
                        return -ENOMEM;
                }
                if (!root &&
                        (options->root > 0 ? node_backend_id(node) == options->root && node_role(node) &&
                                                !streq(node_role(node), "InlineTextBox")
                                           : !json_get_string(node, "parentId")))
                        root = node;
        }
        ret->root_found = root != NULL;
        if (root) {
                if (options->root > 0) {
                        /* The subtree's root is shown with its ref, whatever it is. */
                        render_node(&r, root, 0, NULL, 0);
                        if (r.n_lines > 0 && r.lines[0].ref == 0 && node_backend_id(root) > 0) {
                                char *t = NULL;
                                char *colon = strstr(r.lines[0].text, ": ");
                                if (asprintf(&t, "%.*s [ref=e%ld]%s",
                                            (int) (colon ? colon - r.lines[0].text : (long) strlen(r.lines[0].text)),
                                            r.lines[0].text, node_backend_id(root), colon ? colon : "") >= 0) {
                                        free(r.lines[0].text);
                                        r.lines[0].text = t;
                                        r.lines[0].ref = node_backend_id(root);
                                }
                        }
                } else
                        render_node(&r, root, 0, NULL, 0);
        }

        char *text = NULL;
        size_t size = 0;
        FILE *f = r.r >= 0 ? open_memstream(&text, &size) : NULL;
        if (f) {
                size_t used = 0;
                long cut_refs[8];
                size_t n_cut_refs = 0;
                for (size_t i = 0; i < r.n_lines; i++) {
                        Line *l = &r.lines[i];
                        size_t len = 2 * l->depth + strlen(l->text) + (l->has_children ? 1 : 0) + 1;
                        ret->refs += l->ref > 0;
                        if (used + len <= max_chars && ret->lines_shown == i) {
                                fprintf(f, "%*s%s%s\n", (int) (2 * l->depth), "", l->text, l->has_children ? ":" : "");
                                used += len;
                                ret->lines_shown++;
                                ret->refs_shown += l->ref > 0;
                        } else if (l->depth <= 1 && l->ref > 0 && n_cut_refs < ELEMENTSOF(cut_refs))
                                cut_refs[n_cut_refs++] = l->ref;
                }
                ret->lines = r.n_lines;
                ret->below_depth = r.below_depth;
                if (ret->lines_shown < ret->lines) {
                        fprintf(f,
                                "# Left out: %zu of %zu lines (%zu of %zu refs) past the %zu-character budget. Ask for "
                                "more with browser_snapshot max_chars=%zu, or for a part with browser_snapshot ref=<a ref "
                                "shown>",
                                ret->lines - ret->lines_shown, ret->lines, ret->refs - ret->refs_shown, ret->refs,
                                max_chars, MIN(SNAPSHOT_MAX_MAX_CHARS, max_chars * 4));
                        for (size_t i = 0; i < n_cut_refs; i++)
                                fprintf(f, "%se%ld", i == 0 ? " (left out: ref=" : ", ", cut_refs[i]);
                        fputs(n_cut_refs > 0 ? ").\n" : ".\n", f);
                }
                if (r.below_depth > 0)
                        fprintf(f,
                                "# [+N]: N nodes below, left out at depth %u; browser_snapshot ref=<its ref> shows them.\n",
                                r.max_depth);
                if (fclose(f) != 0)
                        r.r = -ENOMEM;
        } else if (r.r >= 0)
                r.r = -ENOMEM;

        for (size_t i = 0; i < r.n_lines; i++)
                free(r.lines[i].text);
        free(r.lines);
        hashmap_free(r.by_id);
        if (r.r < 0) {
                free(text);
                return r.r;
        }
        ret->text = text;
        return 0;
}
