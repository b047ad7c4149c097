/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* browser_snapshot: the page reader run in the tab's isolated world, the frames of other origins read in their
 * own processes and put in place, the nodes written within the budget. */
#include <stdio.h>

#include "browser.h"
#include "mcp-request.h"

/* At most this many frames of other origins are read for one snapshot (the others keep their note and ref). */
#define SNAPSHOT_MAX_FRAMES 64U

/* A frame's items, to go below its iframe (items[index] of container, the page's or another frame's). */
typedef struct FrameInsert {
        json_object *container;
        size_t index;
        json_object *items;
} FrameInsert;

typedef struct SnapshotCall {
        size_t max_chars;
        unsigned depth;
        char *expression_options; /* for the frames: {max, depth, text} */
        json_object *page;        /* the main document's reading */
        json_object *pending;     /* [[container, index, ref]...]: frames of other origins still to read */
        size_t frames_read;
        bool in_frame; /* a part (ref) in a frame of another origin: not the tab's title and URL */
        FrameInsert inserts[SNAPSHOT_MAX_FRAMES];
        size_t n_inserts;
} SnapshotCall;

static void snapshot_call_free(SnapshotCall *c) {
        free(c->expression_options);
        json_object_put(c->page);
        json_object_put(c->pending);
        for (size_t i = 0; i < c->n_inserts; i++) {
                json_object_put(c->inserts[i].container);
                json_object_put(c->inserts[i].items);
        }
        free(c);
}

/* The frames a reading found (its "frames": [[index, ref]...]), to be read in turn. */
static void snapshot_queue_frames(SnapshotCall *c, json_object *reading) {
        json_object *items = json_get_array(reading, "items"), *frames = json_get_array(reading, "frames");
        for (size_t i = 0; items && frames && i < json_object_array_length(frames); i++) {
                json_object *f = json_object_array_get_idx(frames, i);
                json_object *entry = json_object_new_array();
                if (!entry)
                        return;
                json_object_array_add(entry, json_object_get(items));
                json_object_array_add(entry, json_object_get(json_object_array_get_idx(f, 0)));
                json_object_array_add(entry, json_object_get(json_object_array_get_idx(f, 1)));
                json_object_array_add(c->pending, entry);
        }
}

/* items into out, depth + base each, and below each iframe whose frame was read, that frame's items. */
static void snapshot_merge(SnapshotCall *c, json_object *out, json_object *items, int64_t base) {
        for (size_t i = 0; i < json_object_array_length(items); i++) {
                json_object *item = json_object_array_get_idx(items, i);
                if (!json_object_is_type(item, json_type_array) || json_object_array_length(item) < 7)
                        continue;
                int64_t depth = base + json_object_get_int64(json_object_array_get_idx(item, 0));
                json_object_array_put_idx(item, 0, json_object_new_int64(depth));
                json_object_array_add(out, json_object_get(item));
                for (size_t k = 0; k < c->n_inserts; k++) {
                        if (c->inserts[k].container != items || c->inserts[k].index != i)
                                continue;
                        /* Its content in place: no note, and no ref (a container, like the others). */
                        json_object_array_put_idx(item, 3, json_object_new_string(""));
                        json_object_array_put_idx(item, 4, json_object_new_string(""));
                        snapshot_merge(c, out, c->inserts[k].items, depth + 1);
                        break;
                }
        }
}

static void snapshot_finish(McpRequest *req, Tab *t, SnapshotCall *c) {
        /* The frames' nodes after their iframe, one level deeper (and theirs after theirs). */
        json_object *items = json_get_array(c->page, "items");
        if (items && c->n_inserts > 0) {
                json_object *merged = json_object_new_array();
                if (merged) {
                        snapshot_merge(c, merged, items, 0);
                        json_object_object_add(c->page, "items", merged);
                }
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
        size_t n = json_object_array_length(c->pending);
        json_object *entry = n > 0 ? json_object_array_get_idx(c->pending, n - 1) : NULL;
        if (!error && items && entry && c->n_inserts < SNAPSHOT_MAX_FRAMES) {
                c->inserts[c->n_inserts++] = (FrameInsert){
                        .container = json_object_get(json_object_array_get_idx(entry, 0)),
                        .index = (size_t) json_object_get_int64(json_object_array_get_idx(entry, 1)),
                        .items = json_object_get(items),
                };
        }
        if (n > 0)
                json_object_array_del_idx(c->pending, n - 1, 1);
        /* Frames of other origins in this one (nested): read in their turn. */
        if (!error && items)
                snapshot_queue_frames(c, page);
        /* A frame that cannot be read keeps its note; the rest of the page is still shown. */
        read_next_frame(req, t, c);
}

static void frame_skipped(McpRequest *req, Tab *t, SnapshotCall *c) {
        size_t n = json_object_array_length(c->pending);
        if (n > 0)
                json_object_array_del_idx(c->pending, n - 1, 1);
        read_next_frame(req, t, c);
}

static void on_frame_node(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        SnapshotCall *c = userdata;
        json_object *node = result ? json_get_object(result, "node") : NULL;
        const char *frame_id = node ? json_get_string(node, "frameId") : NULL;
        if (error || !frame_id || !tab_frame_find(t, frame_id, NULL)) {
                frame_skipped(req, t, c);
                return;
        }
        _cleanup_free_ char *expression = NULL;
        if (asprintf(&expression, "(%s)(%s)", snapshot_script, c->expression_options) < 0 ||
                frame_world_evaluate(t, frame_id, req, expression, true, on_frame_read, c) < 0)
                frame_skipped(req, t, c);
}

static void on_frame_ref(McpRequest *req, Tab *t, const char *cdp_session, const char *object_id, void *userdata) {
        json_object *p = json_object_new_object();
        json_add_string(p, "objectId", object_id);
        /* Asked of the document the iframe is in: the page's, or a frame's of another origin. */
        (void) tab_send_to(t, cdp_session, req, "DOM.describeNode", p, on_frame_node, userdata);
}

static void read_next_frame(McpRequest *req, Tab *t, SnapshotCall *c) {
        if (mcp_request_is_done(req)) {
                /* Answered already (a dialog opened, the browser went away). */
                snapshot_call_free(c);
                return;
        }
        size_t n = json_object_array_length(c->pending);
        if (n == 0 || c->frames_read >= SNAPSHOT_MAX_FRAMES) {
                snapshot_finish(req, t, c);
                return;
        }
        c->frames_read++;
        json_object *entry = json_object_array_get_idx(c->pending, n - 1);
        const char *ref = json_object_get_string(json_object_array_get_idx(entry, 2));
        if (tab_resolve_ref(t, req, ref, on_frame_ref, c) < 0)
                frame_skipped(req, t, c);
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
        snapshot_queue_frames(c, page);
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
        if (!c || !options || !(c->pending = json_object_new_array()) ||
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
