/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* prompts/list, prompts/get and completion/complete. */
#include "mcp-internal.h"

#define MCP_COMPLETION_MAX 100

int mcp_method_prompts_list(McpRequest *req) {
        return mcp_reply_page(req, "prompts", req->server->prompt_descriptors);
}

static const McpPrompt *prompt_find(McpServer *s, const char *name) {
        for (const McpPrompt *p = s->def->prompts; name && p && p->name; p++)
                if (streq(p->name, name))
                        return p;
        return NULL;
}

/* Checks that every required argument is there and every given one is a string. */
static int prompt_check_arguments(McpRequest *req, const McpPrompt *p, json_object *arguments) {
        json_object_object_foreach (arguments, key, value) {
                if (!json_object_is_type(value, json_type_string))
                        return mcp_request_reply_error(req, JSONRPC_INVALID_PARAMS,
                                "Invalid params: argument \"%s\" must be a string.", key);
        }

        size_t i = 0;
        json_object *declared = NULL;
        (void) json_parse_strict(p->arguments ?: "[]", strlen(p->arguments ?: "[]"), &declared, NULL);
        _cleanup_json_ json_object *d = declared;
        for (i = 0; d && i < json_object_array_length(d); i++) {
                json_object *arg = json_object_array_get_idx(d, i);
                const char *name = json_get_string(arg, "name");
                if (name && json_get_bool(arg, "required", false) && !json_object_object_get_ex(arguments, name, NULL))
                        return mcp_request_reply_error(req, JSONRPC_INVALID_PARAMS,
                                "Invalid params: prompt %s needs the argument \"%s\".", p->name, name);
        }
        return 1;
}

int mcp_method_prompts_get(McpRequest *req) {
        const char *name = json_get_string(req->params, "name");
        if (!name)
                return mcp_request_reply_error(req, JSONRPC_INVALID_PARAMS,
                        "Invalid params: \"name\" must be a string.");

        const McpPrompt *p = prompt_find(req->server, name);
        if (!p)
                return mcp_request_reply_error(req, JSONRPC_INVALID_PARAMS, "Unknown prompt: %s", name);

        json_object *arguments = json_get_object(req->params, "arguments");
        _cleanup_json_ json_object *empty = NULL;
        if (!arguments) {
                arguments = empty = json_object_new_object();
                if (!empty)
                        return -ENOMEM;
        }

        int r = prompt_check_arguments(req, p, arguments);
        if (r <= 0)
                return r;
        return p->get(req, arguments);
}

static McpCompleter completer_find(McpServer *s, json_object *ref) {
        const char *type = json_get_string(ref, "type");
        if (!type)
                return NULL;

        if (streq(type, "ref/prompt")) {
                const McpPrompt *p = prompt_find(s, json_get_string(ref, "name"));
                return p ? p->complete : NULL;
        }

        if (streq(type, "ref/resource")) {
                const char *uri = json_get_string(ref, "uri");
                for (const McpResourceTemplate *t = s->def->resource_templates; uri && t && t->uri_template; t++)
                        if (streq(t->uri_template, uri))
                                return t->complete;
        }
        return NULL;
}

int mcp_method_completion_complete(McpRequest *req) {
        /* A server that does not declare completions does not have the method (and a client that sends it
         * anyway learns so), rather than answering every argument with nothing. */
        if (!mcp_definition_has_completions(req->server->def))
                return mcp_request_reply_error(req, JSONRPC_METHOD_NOT_FOUND,
                        "Method not found: completion/complete (this server does not offer completions)");

        json_object *ref = json_get_object(req->params, "ref");
        json_object *argument = json_get_object(req->params, "argument");
        const char *arg_name = json_get_string(argument, "name");
        const char *arg_value = json_get_string(argument, "value");
        if (!ref || !arg_name || !arg_value)
                return mcp_request_reply_error(req, JSONRPC_INVALID_PARAMS,
                        "Invalid params: \"ref\" and \"argument\" with \"name\" and \"value\" are required.");

        json_object *context_args = json_get_object(json_get_object(req->params, "context"), "arguments");

        _cleanup_json_ json_object *values = NULL;
        McpCompleter complete = completer_find(req->server, ref);
        if (complete) {
                int r = complete(arg_name, arg_value, context_args, &values);
                if (r < 0)
                        return r;
        }
        if (!values && !(values = json_object_new_array()))
                return -ENOMEM;

        size_t total = json_object_array_length(values);
        if (total > MCP_COMPLETION_MAX)
                json_object_array_del_idx(values, MCP_COMPLETION_MAX, total - MCP_COMPLETION_MAX);

        _cleanup_json_ json_object *completion = json_object_new_object();
        _cleanup_json_ json_object *result = json_object_new_object();
        if (!completion || !result || json_add(completion, "values", TAKE_PTR(values)) < 0 ||
                json_add(completion, "total", json_object_new_int64((int64_t) total)) < 0 ||
                json_add(completion, "hasMore", json_object_new_boolean(total > MCP_COMPLETION_MAX)) < 0 ||
                json_add(result, "completion", TAKE_PTR(completion)) < 0)
                return -ENOMEM;
        return mcp_request_reply(req, TAKE_PTR(result));
}
