/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tools/list and tools/call: argument validation, then the tool's handler. */
#include <stdio.h>

#include "jsonschema.h"
#include "mcp-internal.h"

bool mcp_request_shows(McpRequest *req, const char *action, const char *kind, const char *name, bool required) {
        const McpSinkOps *ops = req->exchange ? req->exchange->ops : NULL;
        if (!action)
                return true;
        if (ops && ops->shows)
                return ops->shows(req->exchange->userdata, action, kind, name, required);
        /* Where polkit decides at the call, everything is listed; where nobody can ask it, what needs it is
         * refused, so it is not listed either: a client must not offer its model a tool that can never run. */
        return (ops && ops->authorize) || !required;
}

const char *mcp_request_denied_by(McpRequest *req) {
        const McpSinkOps *ops = req->exchange ? req->exchange->ops : NULL;
        return ops && ops->denied_by ? ops->denied_by : "polkit does not allow";
}

int mcp_method_tools_list(McpRequest *req) {
        McpServer *s = req->server;

        _cleanup_json_ json_object *all = json_object_new_array_ext((int) s->n_tools);
        if (!all)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_tools; i++) {
                const McpTool *t = s->tools[i]->tool;
                if (mcp_request_shows(req, t->polkit_action, "tools", t->name, t->polkit_required) &&
                        json_object_array_add(all, json_object_get(s->tools[i]->descriptor)) < 0)
                        return -ENOMEM;
        }

        return mcp_reply_page(req, "tools", all);
}

static json_object *arguments_of(McpRequest *req) {
        json_object *arguments = NULL;
        json_object_object_get_ex(req->params, "arguments", &arguments);
        return arguments && json_object_is_type(arguments, json_type_object) ? arguments : NULL;
}

static void run_tool(McpRequest *req) {
        _cleanup_json_ json_object *empty = NULL;
        json_object *arguments = arguments_of(req);
        if (!arguments) {
                empty = json_object_new_object();
                if (!empty) {
                        mcp_request_reply_errno(req, -ENOMEM);
                        return;
                }
                arguments = empty;
        }
        int r = req->tool->handler(req, arguments);
        if (r < 0 && !req->done)
                mcp_request_reply_errno(req, r);
}

static void on_authorized(McpRequest *req, int allowed) {
        if (req->done)
                return;
        if (allowed < 0) {
                mcp_request_reply_error(req, JSONRPC_INTERNAL_ERROR, "Could not check authorization for %s: %s",
                        req->tool->polkit_action, strerror(-allowed));
                return;
        }
        if (allowed == 0) {
                _cleanup_json_ json_object *data = json_object_new_object();
                if (data)
                        (void) json_add_string(data, "action", req->tool->polkit_action);
                _cleanup_free_ char *message = NULL;
                if (asprintf(&message, "Access denied: %s this caller to run the tool.", mcp_request_denied_by(req)) <
                        0)
                        message = NULL;
                mcp_request_reply_error_data(req, MCP_ERROR_ACCESS_DENIED, message ?: "Access denied.", TAKE_PTR(data));
                return;
        }
        run_tool(req);
}

int mcp_method_tools_call(McpRequest *req) {
        json_object *name;
        if (!req->params || !json_object_object_get_ex(req->params, "name", &name) ||
                !json_object_is_type(name, json_type_string))
                return mcp_request_reply_error(req, JSONRPC_INVALID_PARAMS,
                        "Invalid params: \"name\" must be a string.");

        ToolEntry *e = hashmap_get(req->server->tools_by_name, json_object_get_string(name));
        if (!e)
                return mcp_request_reply_error(req, JSONRPC_INVALID_PARAMS, "Unknown tool: %s",
                        json_object_get_string(name));
        req->tool = e->tool;

        json_object *arguments = NULL;
        if (json_object_object_get_ex(req->params, "arguments", &arguments) &&
                !json_object_is_type(arguments, json_type_object) && !json_object_is_type(arguments, json_type_null))
                return mcp_request_reply_error(req, JSONRPC_INVALID_PARAMS,
                        "Invalid params: \"arguments\" must be an object.");

        _cleanup_json_ json_object *empty = NULL;
        if (!arguments || json_object_is_type(arguments, json_type_null)) {
                empty = json_object_new_object();
                if (!empty)
                        return -ENOMEM;
                arguments = empty;
        }

        /* Invalid arguments are a tool error, not a protocol error: the model reads it and can correct itself. */
        _cleanup_free_ char *error = NULL;
        int r = jsonschema_validate(e->input_schema, arguments, &error);
        if (r < 0)
                return r;
        if (r == 0)
                return mcp_request_reply_tool_error(req, "Invalid arguments for tool %s: %s", e->tool->name,
                        strempty(error));

        McpExchange *x = req->exchange;
        if (e->tool->polkit_required && !(x && x->ops->authorize)) {
                _cleanup_json_ json_object *data = json_object_new_object();
                if (data && e->tool->polkit_action)
                        (void) json_add_string(data, "action", e->tool->polkit_action);
                return mcp_request_reply_error_data(req, MCP_ERROR_ACCESS_DENIED,
                        "Access denied: this tool is served only where polkit checks the caller (over D-Bus, e.g. "
                        "through aios-gatewayd).",
                        TAKE_PTR(data));
        }
        if (e->tool->polkit_action && x && x->ops->authorize) {
                /* The schema was checked above; an argument that is absent or not a string is left out. */
                const char *argument = e->tool->polkit_detail_argument;
                const char *value = argument ? json_get_string(arguments, argument) : NULL;
                const char *const details[] = { value ? argument : NULL, value, NULL };
                /* The exchange may finish before polkit answers (cancellation): the request stays alive until then. */
                r = x->ops->authorize(x->userdata, req, e->tool->polkit_action, details, on_authorized);
                if (r < 0)
                        return r;
                return 0;
        }

        return e->tool->handler(req, arguments);
}

static void on_handler_authorized(McpRequest *req, int allowed) {
        McpAuthorizeDone done = req->authorize_done;
        void *userdata = req->authorize_userdata;
        req->authorize_done = NULL;
        req->authorize_userdata = NULL;
        /* Also when the request ended meanwhile: the handler frees what userdata holds. */
        if (done)
                done(req, allowed, userdata);
}

int mcp_request_authorize(McpRequest *req, const char *action, const char *const *details, McpAuthorizeDone done,
        void *userdata) {
        assert(req && action && done);
        if (req->done)
                return -ESTALE;
        if (req->authorize_done)
                return -EBUSY;
        McpExchange *x = req->exchange;
        if (!x || !x->ops->authorize) {
                done(req, 1, userdata);
                return 0;
        }
        req->authorize_done = done;
        req->authorize_userdata = userdata;
        int r = x->ops->authorize(x->userdata, req, action, details, on_handler_authorized);
        if (r < 0) {
                req->authorize_done = NULL;
                req->authorize_userdata = NULL;
        }
        return r;
}
