/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* browser_evaluate: the caller's JavaScript function in the page's own world (its variables, its DOM), with an
 * element of the snapshot as its argument on request. Its own polkit action, off by default. */
#include <stdio.h>

#include "browser.h"
#include "mcp-request.h"

/* A result larger than this is refused rather than cut. */
#define EVALUATE_MAX_RESULT (1024U * 1024U)

static json_object *arguments_of(McpRequest *req) {
        return json_get_object(mcp_request_get_params(req), "arguments");
}

static void on_result(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        if (error) {
                tab_reply_failed(req, "Running the function", error);
                return;
        }
        json_object *details = json_get_object(result, "exceptionDetails");
        if (details) {
                json_object *ex = json_get_object(details, "exception");
                (void) mcp_request_reply_tool_error(req, "The function threw: %.2000s",
                        strempty((ex ? json_get_string(ex, "description") : NULL) ?: json_get_string(details, "text")));
                return;
        }
        json_object *remote = json_get_object(result, "result");
        json_object *value = NULL;
        bool has_value = remote && json_object_object_get_ex(remote, "value", &value);
        if (has_value && json_size_exceeds(value, EVALUATE_MAX_RESULT)) {
                (void) mcp_request_reply_tool_error(req,
                        "The function's result is larger than %u KiB; return less (a count, a slice).",
                        EVALUATE_MAX_RESULT / 1024);
                return;
        }
        json_object *s = json_object_new_object();
        json_add(s, "result", has_value ? json_object_get(value) : NULL);
        json_add(s, "tab", json_object_new_int(t->id));
        const char *shown = has_value
                ? json_to_string(value)
                : strempty(json_get_string(remote, "description") ?: json_get_string(remote, "type"));
        (void) tab_reply(req, t, s, "Result: %.20000s%s", shown, strlen(shown) > 20000 ? "…" : "");
}

static json_object *call_params(const char *function) {
        json_object *p = json_object_new_object();
        json_add_string(p, "functionDeclaration", function);
        json_add(p, "returnByValue", json_object_new_boolean(true));
        json_add(p, "awaitPromise", json_object_new_boolean(true));
        json_add(p, "userGesture", json_object_new_boolean(true));
        return p;
}

static void on_main_world_node(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        _cleanup_free_ char *session = userdata;
        json_object *object = result ? json_get_object(result, "object") : NULL;
        const char *object_id = object ? json_get_string(object, "objectId") : NULL;
        if (error || !object_id) {
                tab_reply_failed(req, "Finding the element in the page's world", error ?: "no object");
                return;
        }
        json_object *p = call_params(json_get_string(arguments_of(req), "function"));
        json_add_string(p, "objectId", object_id);
        json_object *args = json_object_new_array();
        json_object *a = json_object_new_object();
        json_add_string(a, "objectId", object_id);
        json_object_array_add(args, a);
        json_add(p, "arguments", args);
        (void) tab_send_to(t, session, req, "Runtime.callFunctionOn", p, on_result, NULL);
}

static void on_described(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        char *session = userdata;
        json_object *node = result ? json_get_object(result, "node") : NULL;
        json_object *id;
        if (error || !node || !json_object_object_get_ex(node, "backendNodeId", &id)) {
                tab_reply_failed(req, "Finding the element", error ?: "no node");
                free(session);
                return;
        }
        /* The element as the page's own world sees it (the ref was found in the isolated one). */
        json_object *p = json_object_new_object();
        json_add(p, "backendNodeId", json_object_get(id));
        (void) tab_send_to(t, session, req, "DOM.resolveNode", p, on_main_world_node, session);
}

static void on_element(McpRequest *req, Tab *t, const char *cdp_session, const char *object_id, void *userdata) {
        json_object *p = json_object_new_object();
        json_add_string(p, "objectId", object_id);
        (void) tab_send_to(t, cdp_session, req, "DOM.describeNode", p, on_described, strdup(cdp_session));
}

static void evaluate_in_tab(McpRequest *req, Tab *t) {
        if (t->dialog) {
                (void) mcp_request_reply_tool_error(req,
                        "A dialog stops the page; browser_handle_dialog answers it before scripts can run.");
                return;
        }
        json_object *arguments = arguments_of(req);
        const char *ref = json_get_string(arguments, "ref");
        if (ref) {
                (void) tab_resolve_ref(t, req, ref, on_element, NULL);
                return;
        }
        _cleanup_free_ char *expression = NULL;
        if (asprintf(&expression, "(%s)()", json_get_string(arguments, "function")) < 0) {
                (void) mcp_request_reply_tool_error(req, "Out of memory.");
                return;
        }
        json_object *p = json_object_new_object();
        json_add_string(p, "expression", expression);
        json_add(p, "returnByValue", json_object_new_boolean(true));
        json_add(p, "awaitPromise", json_object_new_boolean(true));
        json_add(p, "userGesture", json_object_new_boolean(true));
        json_add(p, "timeout", json_object_new_int(30000));
        (void) tab_send(t, req, "Runtime.evaluate", p, on_result, NULL);
}

int tool_browser_evaluate(McpRequest *req, json_object *arguments) {
        return browser_with_tab(req, evaluate_in_tab);
}
