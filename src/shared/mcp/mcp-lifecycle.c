/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* initialize and logging/setLevel: what a session is. */
#include "mcp-internal.h"

bool mcp_definition_has_completions(const McpServerDefinition *def) {
        for (const McpPrompt *prompt = def->prompts; prompt && prompt->name; prompt++)
                if (prompt->complete)
                        return true;
        for (const McpResourceTemplate *t = def->resource_templates; t && t->uri_template; t++)
                if (t->complete)
                        return true;
        return false;
}

json_object *mcp_capabilities_new(McpServer *s) {
        const McpServerDefinition *def = s->def;
        if (def->capabilities) {
                json_object *caps = NULL;
                return json_parse_strict(def->capabilities, strlen(def->capabilities), &caps, NULL) < 0 ? NULL : caps;
        }
        _cleanup_json_ json_object *caps = json_object_new_object();
        _cleanup_json_ json_object *tools = json_object_new_object();
        if (!caps || !tools || json_add(tools, "listChanged", json_object_new_boolean(true)) < 0 ||
                json_add(caps, "tools", TAKE_PTR(tools)) < 0)
                return NULL;

        if (json_add(caps, "logging", json_object_new_object()) < 0)
                return NULL;

        bool has_resources = (def->resources && def->resources->uri) ||
                (def->resource_templates && def->resource_templates->uri_template);
        if (has_resources) {
                _cleanup_json_ json_object *r = json_object_new_object();
                /* The resource and prompt tables are fixed: their lists never change. */
                if (!r || json_add(r, "subscribe", json_object_new_boolean(true)) < 0 ||
                        json_add(r, "listChanged", json_object_new_boolean(false)) < 0 ||
                        json_add(caps, "resources", TAKE_PTR(r)) < 0)
                        return NULL;
        }

        if (def->prompts && def->prompts->name) {
                _cleanup_json_ json_object *p = json_object_new_object();
                if (!p || json_add(p, "listChanged", json_object_new_boolean(false)) < 0 ||
                        json_add(caps, "prompts", TAKE_PTR(p)) < 0)
                        return NULL;
        }
        if (mcp_definition_has_completions(def) && json_add(caps, "completions", json_object_new_object()) < 0)
                return NULL;

        return TAKE_PTR(caps);
}

json_object *mcp_server_info_new(McpServer *s) {
        const McpServerDefinition *def = s->def;
        _cleanup_json_ json_object *info = json_object_new_object();
        if (!info || json_add_string(info, "name", def->name) < 0 ||
                json_add_string(info, "version", def->version ?: "0") < 0)
                return NULL;
        if (def->title && json_add_string(info, "title", def->title) < 0)
                return NULL;
        return TAKE_PTR(info);
}

int mcp_method_initialize(McpRequest *req) {
        McpSession *session = req->session;

        if (!session)
                return mcp_request_reply_error(req, JSONRPC_INVALID_REQUEST, "This transport has no sessions.");
        if (session->initialized)
                return mcp_request_reply_error(req, JSONRPC_INVALID_REQUEST, "The session is already initialized.");

        const char *requested = json_get_string(req->params, "protocolVersion");
        if (!requested)
                return mcp_request_reply_error(req, JSONRPC_INVALID_PARAMS,
                        "Invalid params: \"protocolVersion\" must be a string.");
        json_object *caps = json_get_object(req->params, "capabilities");

        /* A revision we do not know is answered with our newest; the client decides whether to go on. */
        const char *version = mcp_version_is_supported(requested) ? requested : MCP_VERSION_LATEST_SESSION;

        _cleanup_json_ json_object *result = json_object_new_object();
        if (!result || json_add_string(result, "protocolVersion", version) < 0 ||
                json_add(result, "capabilities", mcp_capabilities_new(req->server)) < 0 ||
                json_add(result, "serverInfo", mcp_server_info_new(req->server)) < 0)
                return -ENOMEM;
        if (req->server->def->instructions &&
                json_add_string(result, "instructions", req->server->def->instructions) < 0)
                return -ENOMEM;

        int r = mcp_session_initialize(session, version, caps, json_get_object(req->params, "clientInfo"));
        if (r < 0)
                return r;

        /* The request was created before the session knew its revision and the client's capabilities. */
        free(req->protocol_version);
        req->protocol_version = strdup(version);
        json_object_put(req->client_capabilities);
        req->client_capabilities = json_object_get(session->client_capabilities);

        return mcp_request_reply(req, TAKE_PTR(result));
}

int mcp_method_logging_set_level(McpRequest *req) {
        McpLogLevel level = mcp_log_level_from_string(json_get_string(req->params, "level"));
        if (level < 0)
                return mcp_request_reply_error(req, JSONRPC_INVALID_PARAMS,
                        "Invalid params: \"level\" must be one of debug, info, notice, warning, error, critical, alert, emergency.");
        if (req->session)
                req->session->log_level = level;
        return mcp_request_reply(req, json_object_new_object());
}
