/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* resources/list, templates/list, read, subscribe and unsubscribe. */
#include <stdio.h>

#include "mcp-internal.h"
#include "mcp-limits.h"

/* Answers a list of descriptors (in the order of the server's table), with the entries the caller is shown
 * (mcp_request_shows()): the name of entry i and its action come from entry_of. */
static int reply_listed(McpRequest *req, const char *key, json_object *all,
        void (*entry_of)(const McpServerDefinition *def, size_t i, const char **ret_name, const char **ret_action,
                bool *ret_required)) {
        _cleanup_json_ json_object *kept = json_object_new_array();
        if (!kept)
                return -ENOMEM;
        for (size_t i = 0; i < json_object_array_length(all); i++) {
                const char *name, *action;
                bool required;
                entry_of(req->server->def, i, &name, &action, &required);
                if (mcp_request_shows(req, action, "resources", name, required) &&
                        json_object_array_add(kept, json_object_get(json_object_array_get_idx(all, i))) < 0)
                        return -ENOMEM;
        }
        return mcp_reply_page(req, key, kept);
}

static void resource_entry(const McpServerDefinition *def, size_t i, const char **ret_name, const char **ret_action,
        bool *ret_required) {
        *ret_name = def->resources[i].uri;
        *ret_action = def->resources[i].polkit_action;
        *ret_required = def->resources[i].polkit_required;
}

static void template_entry(const McpServerDefinition *def, size_t i, const char **ret_name, const char **ret_action,
        bool *ret_required) {
        *ret_name = def->resource_templates[i].uri_template;
        *ret_action = def->resource_templates[i].polkit_action;
        *ret_required = def->resource_templates[i].polkit_required;
}

int mcp_method_resources_list(McpRequest *req) {
        return reply_listed(req, "resources", req->server->resource_descriptors, resource_entry);
}

int mcp_method_resources_templates_list(McpRequest *req) {
        return reply_listed(req, "resourceTemplates", req->server->template_descriptors, template_entry);
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

static void on_read_authorized(McpRequest *req, int allowed) {
        if (req->done)
                return;
        const char *uri = json_get_string(req->params, "uri");
        if (allowed < 0)
                mcp_request_reply_error(req, JSONRPC_INTERNAL_ERROR, "Could not check authorization for %s: %s", uri,
                        strerror(-allowed));
        else if (allowed == 0)
                mcp_request_reply_error(req, MCP_ERROR_ACCESS_DENIED, "Access denied: %s this caller to read %s.",
                        mcp_request_denied_by(req), uri);
        else {
                int r = req->pending_read(req, uri, req->pending_variables);
                if (r < 0 && !req->done)
                        mcp_request_reply_errno(req, r);
        }
}

/* Reads uri with read, after polkit's answer when the resource declares an action. */
static int read_authorized(McpRequest *req, const char *uri, json_object *variables, const char *action, bool required,
        McpResourceReader read) {
        McpExchange *x = req->exchange;
        bool can_ask = x && x->ops->authorize;

        if (required && !can_ask)
                return mcp_request_reply_error(req, MCP_ERROR_ACCESS_DENIED,
                        "Access denied: %s is served only where polkit checks the caller (over D-Bus, e.g. through "
                        "aios-gatewayd).",
                        uri);
        if (!action || !can_ask)
                return read(req, uri, variables);

        req->pending_read = read;
        req->pending_variables = json_object_get(variables);
        const char *const details[] = { "uri", uri, NULL };
        return x->ops->authorize(x->userdata, req, action, details, on_read_authorized);
}

int mcp_method_resources_read(McpRequest *req) {
        const McpServerDefinition *def = req->server->def;
        const char *uri = json_get_string(req->params, "uri");
        if (!uri)
                return mcp_request_reply_error(req, JSONRPC_INVALID_PARAMS,
                        "Invalid params: \"uri\" must be a string.");

        for (const McpResource *r = def->resources; r && r->uri; r++)
                if (streq(r->uri, uri))
                        return read_authorized(req, uri, NULL, r->polkit_action, r->polkit_required, r->read);

        for (const McpResourceTemplate *t = def->resource_templates; t && t->uri_template; t++) {
                _cleanup_json_ json_object *vars = NULL;
                int r = template_match(t->uri_template, uri, &vars);
                if (r < 0)
                        return r;
                if (r > 0)
                        return read_authorized(req, uri, vars, t->polkit_action, t->polkit_required, t->read);
        }

        return mcp_request_reply_resource_not_found(req, uri);
}

int mcp_method_resources_subscribe(McpRequest *req) {
        const char *uri = json_get_string(req->params, "uri");
        if (!uri)
                return mcp_request_reply_error(req, JSONRPC_INVALID_PARAMS,
                        "Invalid params: \"uri\" must be a string.");
        if (!req->session)
                return mcp_request_reply_error(req, JSONRPC_INVALID_REQUEST, "Subscriptions need a session.");

        if (!hashmap_get(req->session->subscriptions, uri)) {
                if (hashmap_size(req->session->subscriptions) >= MCP_MAX_SUBSCRIPTIONS)
                        return mcp_request_reply_error(req, JSONRPC_INVALID_PARAMS,
                                "Invalid params: this session holds %u resource subscriptions, the most it may; "
                                "unsubscribe from one first.",
                                MCP_MAX_SUBSCRIPTIONS);
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
                return mcp_request_reply_error(req, JSONRPC_INVALID_PARAMS,
                        "Invalid params: \"uri\" must be a string.");
        if (req->session)
                free(hashmap_remove(req->session->subscriptions, uri));
        return mcp_request_reply(req, json_object_new_object());
}

bool mcp_uri_template_matches(const char *uri_template, const char *uri) {
        _cleanup_json_ json_object *vars = NULL;
        return template_match(uri_template, uri, &vars) > 0;
}
