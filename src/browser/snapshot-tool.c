/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* browser_snapshot: the page's accessibility tree within a budget, or a part of it by ref. */
#include "browser.h"
#include "mcp-request.h"

typedef struct SnapshotCall {
        SnapshotOptions options;
} SnapshotCall;

static void on_tree(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        _cleanup_free_ SnapshotCall *call = userdata;
        if (error) {
                tab_reply_failed(req, "Reading the page's accessibility tree", error);
                return;
        }
        json_object *nodes = json_get_array(result, "nodes");
        /* The document's title is the root's name: fresher than what the browser's events said. */
        json_object *root = nodes && json_object_array_length(nodes) > 0 ? json_object_array_get_idx(nodes, 0) : NULL;
        json_object *name = root ? json_get_object(root, "name") : NULL;
        const char *title = name ? json_get_string(name, "value") : NULL;
        if (title && *title) {
                char *copy = strdup(title);
                if (copy) {
                        free(t->title);
                        t->title = copy;
                }
        }
        SnapshotResult r;
        if (snapshot_render(nodes, &call->options, &r) < 0) {
                (void) mcp_request_reply_tool_error(req, "Out of memory.");
                return;
        }
        if (call->options.root > 0 && !r.root_found) {
                (void) mcp_request_reply_tool_error(req,
                        "There is no element e%ld on the page now (it changed, or the ref is from another page); take "
                        "a new browser_snapshot.",
                        call->options.root);
                snapshot_result_done(&r);
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
        json_add(s, "truncated", json_object_new_boolean(r.lines_shown < r.lines || r.below_depth > 0));
        json_add(s, "tab", json_object_new_int(t->id));
        (void) tab_reply(req, t, s, "Page: %s (%s)\n%s", t->title, t->url, r.text);
        snapshot_result_done(&r);
}

static void snapshot_in_tab(McpRequest *req, Tab *t) {
        json_object *arguments = json_get_object(mcp_request_get_params(req), "arguments");
        SnapshotCall *call = new0(SnapshotCall, 1);
        if (!call) {
                (void) mcp_request_reply_tool_error(req, "Out of memory.");
                return;
        }
        json_object *v;
        if (json_object_object_get_ex(arguments, "max_chars", &v))
                call->options.max_chars = json_object_get_int64(v);
        if (json_object_object_get_ex(arguments, "depth", &v))
                call->options.max_depth = json_object_get_int(v);
        if (json_get_string(arguments, "ref") && browser_argument_ref(req, arguments, "ref", &call->options.root) < 0) {
                free(call);
                return;
        }
        (void) tab_send(t, req, "Accessibility.getFullAXTree", NULL, on_tree, call);
}

int tool_browser_snapshot(McpRequest *req, json_object *arguments) {
        return browser_with_tab(req, snapshot_in_tab);
}
