/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* browser_snapshot: the page reader run in the tab's isolated world, the frames of other origins read in their
 * own processes and put in place, the nodes written within the budget. */
#include <stdio.h>

#include "browser.h"
#include "mcp-request.h"

typedef struct SnapshotCall {
        size_t max_chars;
        unsigned depth;
        char *expression_options; /* for the frames: {max, depth, text} */
        json_object *page;        /* the main document's reading */
        json_object *frames;      /* [[index, ref]...] of frames of other origins, read from the last */
        size_t next;              /* frames still to read: the first next of them */
        bool in_frame;            /* a part (ref) in a frame of another origin: not the tab's title and URL */
        json_object *inserts;     /* index (as text) -> the frame's items */
} SnapshotCall;

static void snapshot_call_free(SnapshotCall *c) {
        free(c->expression_options);
        json_object_put(c->page);
        json_object_put(c->inserts);
        free(c);
}

static void snapshot_finish(McpRequest *req, Tab *t, SnapshotCall *c) {
        /* The frames' nodes after their iframe, one level deeper. */
        json_object *items = json_get_array(c->page, "items");
        if (items && json_object_object_length(c->inserts) > 0) {
                json_object *merged = json_object_new_array();
                for (size_t i = 0; merged && i < json_object_array_length(items); i++) {
                        json_object *item = json_object_array_get_idx(items, i);
                        json_object_array_add(merged, json_object_get(item));
                        char key[32];
                        snprintf(key, sizeof(key), "%zu", i);
                        json_object *inner = json_get_array(c->inserts, key);
                        if (!inner)
                                continue;
                        int64_t base = json_object_get_int64(json_object_array_get_idx(item, 0)) + 1;
                        /* Its content in place: no note, and no ref (a container, like the others). */
                        json_object_array_put_idx(item, 3, json_object_new_string(""));
                        json_object_array_put_idx(item, 4, json_object_new_string(""));
                        for (size_t j = 0; j < json_object_array_length(inner); j++) {
                                json_object *x = json_object_array_get_idx(inner, j);
                                if (!json_object_is_type(x, json_type_array) || json_object_array_length(x) < 7)
                                        continue;
                                json_object_array_put_idx(x, 0,
                                        json_object_new_int64(
                                                base + json_object_get_int64(json_object_array_get_idx(x, 0))));
                                json_object_array_add(merged, json_object_get(x));
                        }
                }
                if (merged)
                        json_object_object_add(c->page, "items", merged);
        }

        SnapshotResult r;
        int k = snapshot_render(c->page, c->max_chars, &r);
        if (k < 0) {
                (void) mcp_request_reply_tool_error(req,
                        k == -ENOMEM ? "Out of memory." : "The page could not be read.");
                snapshot_call_free(c);
                return;
        }
        json_object *s = json_object_new_object();
        json_add_string(s, "url", t->url);
        json_add_string(s, "title", t->title);
        json_add_string(s, "snapshot", r.text);
        json_add(s, "lines", json_object_new_int64(r.lines));
        json_add(s, "linesShown", json_object_new_int64(r.lines_shown));
        json_add(s, "refs", json_object_new_int64(r.refs));
        json_add(s, "refsShown", json_object_new_int64(r.refs_shown));
        json_add(s, "textsCut", json_object_new_int64(r.texts_cut));
        json_add(s, "truncated", json_object_new_boolean(r.truncated));
        json_add(s, "tab", json_object_new_int(t->id));
        (void) tab_reply(req, t, s, "Page: %s (%s)\n%s", strempty(t->title), strempty(t->url), r.text);
        snapshot_result_done(&r);
        snapshot_call_free(c);
}

static void read_next_frame(McpRequest *req, Tab *t, SnapshotCall *c);

static void on_frame_read(McpRequest *req, Tab *t, json_object *remote, const char *error, void *userdata) {
        SnapshotCall *c = userdata;
        json_object *page = remote ? json_get_object(remote, "value") : NULL;
        json_object *items = page ? json_get_array(page, "items") : NULL;
        if (!error && items) {
                json_object *entry = json_object_array_get_idx(c->frames, c->next);
                char key[32];
                snprintf(key, sizeof(key), "%d", json_object_get_int(json_object_array_get_idx(entry, 0)));
                json_object_object_add(c->inserts, key, json_object_get(items));
        }
        /* A frame that cannot be read keeps its note; the rest of the page is still shown. */
        read_next_frame(req, t, c);
}

static void on_frame_node(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        SnapshotCall *c = userdata;
        json_object *node = result ? json_get_object(result, "node") : NULL;
        const char *frame_id = node ? json_get_string(node, "frameId") : NULL;
        if (error || !frame_id || !tab_frame_find(t, frame_id, NULL)) {
                read_next_frame(req, t, c);
                return;
        }
        _cleanup_free_ char *expression = NULL;
        if (asprintf(&expression, "(%s)(%s)", snapshot_script, c->expression_options) < 0 ||
                frame_world_evaluate(t, frame_id, req, expression, true, on_frame_read, c) < 0)
                read_next_frame(req, t, c);
}

static void on_frame_ref(McpRequest *req, Tab *t, const char *cdp_session, const char *object_id, void *userdata) {
        json_object *p = json_object_new_object();
        json_add_string(p, "objectId", object_id);
        (void) tab_send_to(t, cdp_session, req, "DOM.describeNode", p, on_frame_node, userdata);
}

static void read_next_frame(McpRequest *req, Tab *t, SnapshotCall *c) {
        if (c->next == 0) {
                snapshot_finish(req, t, c);
                return;
        }
        c->next--;
        json_object *entry = json_object_array_get_idx(c->frames, c->next);
        const char *ref = json_object_get_string(json_object_array_get_idx(entry, 1));
        if (tab_resolve_ref(t, req, ref, on_frame_ref, c) < 0 && !mcp_request_is_done(req))
                read_next_frame(req, t, c);
}

static void on_read(McpRequest *req, Tab *t, json_object *remote, const char *error, void *userdata) {
        SnapshotCall *c = userdata;
        if (error) {
                tab_reply_failed(req, "Reading the page", error);
                snapshot_call_free(c);
                return;
        }
        json_object *page = json_get_object(remote, "value");
        if (json_get_bool(page, "missing", false)) {
                (void) mcp_request_reply_tool_error(req,
                        "There is no such element on the page now (the page changed or navigated); take a new "
                        "browser_snapshot.");
                snapshot_call_free(c);
                return;
        }
        const char *title = c->in_frame ? NULL : json_get_string(page, "title"),
                   *url = c->in_frame ? NULL : json_get_string(page, "url");
        if (title) {
                free(t->title);
                t->title = strdup(title);
        }
        if (url) {
                free(t->url);
                t->url = strdup(url);
        }
        c->page = json_object_get(page);
        c->frames = json_get_array(page, "frames");
        c->next = c->frames ? json_object_array_length(c->frames) : 0;
        read_next_frame(req, t, c);
}

static void snapshot_in_tab(McpRequest *req, Tab *t) {
        json_object *arguments = json_get_object(mcp_request_get_params(req), "arguments");
        json_object *v;
        size_t max_chars = json_object_object_get_ex(arguments, "max_chars", &v) ? (size_t) json_object_get_int64(v)
                                                                                 : SNAPSHOT_DEFAULT_MAX_CHARS;
        unsigned depth = json_object_object_get_ex(arguments, "depth", &v) ? (unsigned) json_object_get_int(v)
                                                                           : SNAPSHOT_DEFAULT_MAX_DEPTH;
        unsigned text_chars = json_object_object_get_ex(arguments, "text_chars", &v) ? (unsigned) json_object_get_int(v)
                                                                                     : SNAPSHOT_DEFAULT_TEXT_CHARS;
        const char *ref = json_get_string(arguments, "ref");
        if (ref && !snapshot_ref_is_valid(ref)) {
                (void) mcp_request_reply_tool_error(req,
                        "\"ref\" must be a ref from browser_snapshot, such as \"b12\", not \"%.64s\".", ref);
                return;
        }
        SnapshotCall *c = new0(SnapshotCall, 1);
        _cleanup_json_ json_object *options = json_object_new_object();
        if (!c || !options || !(c->inserts = json_object_new_object()) ||
                json_add(options, "max", json_object_new_int64(max_chars)) < 0 ||
                json_add(options, "depth", json_object_new_int(depth)) < 0 ||
                json_add(options, "text", json_object_new_int(text_chars)) < 0 ||
                !(c->expression_options = strdup(json_to_string(options))) ||
                (ref && json_add_string(options, "ref", ref) < 0)) {
                if (c)
                        snapshot_call_free(c);
                (void) mcp_request_reply_tool_error(req, "Out of memory.");
                return;
        }
        c->max_chars = max_chars;
        c->depth = depth;
        _cleanup_free_ char *expression = NULL;
        if (asprintf(&expression, "(%s)(%s)", snapshot_script, json_to_string(options)) < 0) {
                snapshot_call_free(c);
                (void) mcp_request_reply_tool_error(req, "Out of memory.");
                return;
        }
        /* A ref in a frame of another origin: the part is read there. */
        const char *frame_id = ref ? tab_ref_frame(t, ref) : NULL;
        c->in_frame = frame_id != NULL;
        if (frame_world_evaluate(t, frame_id, req, expression, true, on_read, c) < 0)
                snapshot_call_free(c);
}

int tool_browser_snapshot(McpRequest *req, json_object *arguments) {
        return browser_with_tab(req, snapshot_in_tab);
}
