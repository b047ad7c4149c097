/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* resources/list, templates/list, read, subscribe and unsubscribe. */
#include <stdio.h>

#include "mcp-internal.h"

int mcp_method_resources_list(McpRequest *req) {
        return mcp_reply_page(req, "resources", req->server->resource_descriptors);
}

int mcp_method_resources_templates_list(McpRequest *req) {
        return mcp_reply_page(req, "resourceTemplates", req->server->template_descriptors);
}

/* Matches uri against an RFC 6570 level 1 template; each {var} takes one or more characters other than '/'.
 * Returns 1 and the variables on a match, 0 when it does not match. */
static int template_match(const char *template, const char *uri, json_object **ret_variables) {
        _cleanup_json_ json_object *vars = json_object_new_object();
        if (!vars)
                return -ENOMEM;

        const char *t = template, *u = uri;
        while (*t) {
                if (*t != '{') {
                        if (*t++ != *u++)
                                return 0;
                        continue;
                }

                const char *close = strchr(t, '}');
                if (!close)
                        return 0;
                _cleanup_free_ char *name = strndup(t + 1, close - t - 1);
                if (!name)
                        return -ENOMEM;

                size_t len = strcspn(u, "/?#");
                if (len == 0)
                        return 0;
                if (json_add(vars, name, json_object_new_string_len(u, (int) len)) < 0)
                        return -ENOMEM;
                u += len;
                t = close + 1;
        }
        if (*u)
                return 0;

        *ret_variables = TAKE_PTR(vars);
        return 1;
}

int mcp_request_reply_resource_not_found(McpRequest *req, const char *uri) {
        _cleanup_json_ json_object *data = json_object_new_object();
        _cleanup_free_ char *message = NULL;
        if (!data || json_add_string(data, "uri", uri) < 0 || asprintf(&message, "Resource not found: %s", uri) < 0)
                return -ENOMEM;
        return mcp_request_reply_error_data(req, MCP_ERROR_RESOURCE_NOT_FOUND, message, TAKE_PTR(data));
}

int mcp_method_resources_read(McpRequest *req) {
        const McpServerDefinition *def = req->server->def;
        const char *uri = json_get_string(req->params, "uri");
        if (!uri)
                return mcp_request_reply_error(req, JSONRPC_INVALID_PARAMS, "Invalid params: \"uri\" must be a string.");

        for (const McpResource *r = def->resources; r && r->uri; r++)
                if (streq(r->uri, uri))
                        return r->read(req, uri, NULL);

        for (const McpResourceTemplate *t = def->resource_templates; t && t->uri_template; t++) {
                _cleanup_json_ json_object *vars = NULL;
                int r = template_match(t->uri_template, uri, &vars);
                if (r < 0)
                        return r;
                if (r > 0)
                        return t->read(req, uri, vars);
        }

        return mcp_request_reply_resource_not_found(req, uri);
}

int mcp_method_resources_subscribe(McpRequest *req) {
        const char *uri = json_get_string(req->params, "uri");
        if (!uri)
                return mcp_request_reply_error(req, JSONRPC_INVALID_PARAMS, "Invalid params: \"uri\" must be a string.");
        if (!req->session)
                return mcp_request_reply_error(req, JSONRPC_INVALID_REQUEST, "Subscriptions need a session.");

        if (!hashmap_get(req->session->subscriptions, uri)) {
                char *copy = strdup(uri);
                if (!copy)
                        return -ENOMEM;
                int r = hashmap_put(req->session->subscriptions, copy, copy);
                if (r < 0) {
                        free(copy);
                        return r;
                }
        }
        return mcp_request_reply(req, json_object_new_object());
}

int mcp_method_resources_unsubscribe(McpRequest *req) {
        const char *uri = json_get_string(req->params, "uri");
        if (!uri)
                return mcp_request_reply_error(req, JSONRPC_INVALID_PARAMS, "Invalid params: \"uri\" must be a string.");
        if (req->session)
                free(hashmap_remove(req->session->subscriptions, uri));
        return mcp_request_reply(req, json_object_new_object());
}

bool mcp_uri_template_matches(const char *uri_template, const char *uri) {
        _cleanup_json_ json_object *vars = NULL;
        return template_match(uri_template, uri, &vars) > 0;
}
