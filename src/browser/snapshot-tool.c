/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* browser_snapshot: the page reader run in the tab's isolated world, its nodes written within the budget. */
#include <stdio.h>

#include "browser.h"
#include "mcp-request.h"

static void on_read(McpRequest *req, Tab *t, json_object *remote, const char *error, void *userdata) {
        size_t max_chars = (size_t) userdata;
        if (error) {
                tab_reply_failed(req, "Reading the page", error);
                return;
        }
        json_object *page = json_get_object(remote, "value");
        if (json_get_bool(page, "missing", false)) {
                (void) mcp_request_reply_tool_error(req,
                        "There is no such element on the page now (the page changed or navigated); take a new "
                        "browser_snapshot.");
                return;
        }
        const char *title = json_get_string(page, "title"), *url = json_get_string(page, "url");
        if (title) {
                free(t->title);
                t->title = strdup(title);
        }
        if (url) {
                free(t->url);
                t->url = strdup(url);
        }
        SnapshotResult r;
        int k = snapshot_render(page, max_chars, &r);
        if (k < 0) {
                (void) mcp_request_reply_tool_error(req,
                        k == -ENOMEM ? "Out of memory." : "The page could not be read.");
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
        json_add(s, "truncated", json_object_new_boolean(r.truncated));
        json_add(s, "tab", json_object_new_int(t->id));
        (void) tab_reply(req, t, s, "Page: %s (%s)\n%s", strempty(t->title), strempty(t->url), r.text);
        snapshot_result_done(&r);
}

static void snapshot_in_tab(McpRequest *req, Tab *t) {
        json_object *arguments = json_get_object(mcp_request_get_params(req), "arguments");
        json_object *v;
        size_t max_chars = json_object_object_get_ex(arguments, "max_chars", &v) ? (size_t) json_object_get_int64(v)
                                                                                 : SNAPSHOT_DEFAULT_MAX_CHARS;
        unsigned depth = json_object_object_get_ex(arguments, "depth", &v) ? (unsigned) json_object_get_int(v)
                                                                           : SNAPSHOT_DEFAULT_MAX_DEPTH;
        const char *ref = json_get_string(arguments, "ref");
        if (ref && !snapshot_ref_is_valid(ref)) {
                (void) mcp_request_reply_tool_error(req,
                        "\"ref\" must be a ref from browser_snapshot, such as \"e12\", not \"%.64s\".", ref);
                return;
        }
        _cleanup_json_ json_object *options = json_object_new_object();
        if (!options || json_add(options, "max", json_object_new_int64(max_chars)) < 0 ||
                json_add(options, "depth", json_object_new_int(depth)) < 0 ||
                (ref && json_add_string(options, "ref", ref) < 0)) {
                (void) mcp_request_reply_tool_error(req, "Out of memory.");
                return;
        }
        _cleanup_free_ char *expression = NULL;
        if (asprintf(&expression, "(%s)(%s)", snapshot_script, json_to_string(options)) < 0) {
                (void) mcp_request_reply_tool_error(req, "Out of memory.");
                return;
        }
        (void) tab_world_evaluate(t, req, expression, true, on_read, (void *) max_chars);
}

int tool_browser_snapshot(McpRequest *req, json_object *arguments) {
        return browser_with_tab(req, snapshot_in_tab);
}
