/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The 2026-07-28 wire: a request's context from its _meta, the transport header checks, server/discover,
 * and what every result carries there (resultType, server info, cache hints). */
#include <stdio.h>

#include "mcp-internal.h"

/* How long clients may keep list results and what they may share them with. The tables of a server are
 * the same for every caller; a dynamic tool list announces its changes on subscriptions/listen. */
#define MCP_LIST_TTL_MS 60000
#define MCP_READ_TTL_MS 0

/* The methods whose results may carry an input_required round trip, and what names their target. */
static const char *target_key(const char *method) {
        if (streq(method, "tools/call") || streq(method, "prompts/get"))
                return "name";
        if (streq(method, "resources/read"))
                return "uri";
        return NULL;
}

static json_object *meta_of(json_object *params) {
        return json_get_object(params, "_meta");
}

/* The _meta every stateless request needs. Returns 0, or a JSON-RPC error code with *ret_message. */
static int meta_check(json_object *params, const char **ret_message) {
        json_object *meta = meta_of(params);
        if (!meta) {
                *ret_message = "Invalid params: a request without a session needs \"_meta\" with the protocol "
                               "version and the client's capabilities";
                return JSONRPC_INVALID_PARAMS;
        }
        if (!json_get_string(meta, MCP_META_PROTOCOL_VERSION)) {
                *ret_message = "Invalid params: \"_meta\" needs \"" MCP_META_PROTOCOL_VERSION "\" (a string)";
                return JSONRPC_INVALID_PARAMS;
        }
        if (!json_get_object(meta, MCP_META_CLIENT_CAPABILITIES)) {
                *ret_message = "Invalid params: \"_meta\" needs \"" MCP_META_CLIENT_CAPABILITIES "\" (an object)";
                return JSONRPC_INVALID_PARAMS;
        }
        json_object *level;
        if (json_object_object_get_ex(meta, MCP_META_LOG_LEVEL, &level) &&
                mcp_log_level_from_string(json_object_get_string(level)) < 0) {
                *ret_message = "Invalid params: \"" MCP_META_LOG_LEVEL "\" must be a log level name";
                return JSONRPC_INVALID_PARAMS;
        }
        return 0;
}

static json_object *supported_versions_new(void) {
        _cleanup_json_ json_object *a = json_object_new_array();
        if (!a || json_object_array_add(a, json_object_new_string(MCP_VERSION_STATELESS)) < 0)
                return NULL;
        return TAKE_PTR(a);
}

static json_object *unsupported_version_new(json_object *id, const char *requested) {
        _cleanup_json_ json_object *data = json_object_new_object();
        if (!data || json_add(data, "supported", supported_versions_new()) < 0 ||
                json_add_string(data, "requested", requested) < 0)
                return NULL;
        _cleanup_free_ char *message = NULL;
        if (asprintf(&message,
                    "Unsupported protocol version \"%s\" (MCP-Protocol-Version; supported: %s, or %s, %s "
                    "and %s with initialize)",
                    requested, MCP_VERSION_STATELESS, mcp_session_versions[0], mcp_session_versions[1],
                    mcp_session_versions[2]) < 0)
                return NULL;
        return jsonrpc_error_new(id, MCP_ERROR_UNSUPPORTED_VERSION, message, TAKE_PTR(data));
}

/* Header values are compared without the optional whitespace around them (RFC 9110 5.5). */
static bool header_matches(const char *header, const char *value) {
        if (!header || !value)
                return false;
        while (*header == ' ' || *header == '\t')
                header++;
        size_t n = strlen(header);
        while (n > 0 && (header[n - 1] == ' ' || header[n - 1] == '\t'))
                n--;
        return n == strlen(value) && strncmp(header, value, n) == 0;
}

int mcp_stateless_check(json_object *message, const McpWireHeaders *headers, json_object **ret_reply) {
        assert(ret_reply);
        *ret_reply = NULL;

        if (json_object_is_type(message, json_type_array)) {
                *ret_reply = jsonrpc_errorf_new(NULL, JSONRPC_INVALID_REQUEST,
                        "Invalid request: JSON-RPC batches are not supported in protocol version %s",
                        MCP_VERSION_STATELESS);
                return 1;
        }

        JsonRpcMessage m;
        const char *reason;
        if (jsonrpc_classify(message, &m, &reason) < 0 || m.kind != JSONRPC_REQUEST)
                return 0; /* the engine answers (or ignores) these as on any wire */

        const char *problem = NULL;
        int code = meta_check(m.params, &problem);
        if (code != 0) {
                /* A version header we do not know says more than the missing _meta. */
                if (headers && headers->protocol_version &&
                        !header_matches(headers->protocol_version, MCP_VERSION_STATELESS))
                        *ret_reply = unsupported_version_new(m.id, headers->protocol_version);
                else
                        *ret_reply = jsonrpc_error_new(m.id, code, problem, NULL);
                return 1;
        }
        const char *version = json_get_string(meta_of(m.params), MCP_META_PROTOCOL_VERSION);

        if (headers) {
                if (!headers->protocol_version || !header_matches(headers->protocol_version, version)) {
                        *ret_reply = jsonrpc_errorf_new(m.id, MCP_ERROR_HEADER_MISMATCH,
                                "Header mismatch: MCP-Protocol-Version must be present and equal \"_meta\"'s \"%s\"",
                                version);
                        return 1;
                }
        }

        if (!mcp_version_is_stateless(version)) {
                *ret_reply = unsupported_version_new(m.id, version);
                return 1;
        }

        if (headers) {
                if (!header_matches(headers->method, m.method)) {
                        *ret_reply = jsonrpc_errorf_new(m.id, MCP_ERROR_HEADER_MISMATCH,
                                "Header mismatch: Mcp-Method must be present and equal the method \"%s\"", m.method);
                        return 1;
                }
                const char *key = target_key(m.method);
                const char *name = key ? json_get_string(m.params, key) : NULL;
                if (name && !header_matches(headers->name, name)) {
                        *ret_reply = jsonrpc_errorf_new(m.id, MCP_ERROR_HEADER_MISMATCH,
                                "Header mismatch: Mcp-Name must be present and equal the request's \"%s\"", key);
                        return 1;
                }
        }
        return 0;
}

int mcp_stateless_request_init(McpRequest *req) {
        const char *problem = NULL;
        int code = meta_check(req->params, &problem);
        if (code != 0)
                return mcp_request_reply_error(req, code, "%s", problem) ?: 0;

        json_object *meta = meta_of(req->params);
        const char *version = json_get_string(meta, MCP_META_PROTOCOL_VERSION);
        if (!mcp_version_is_stateless(version)) {
                json_object *reply = unsupported_version_new(req->id, version);
                if (!reply)
                        return -ENOMEM;
                json_object *error = json_get_object(reply, "error");
                mcp_request_reply_error_data(req, MCP_ERROR_UNSUPPORTED_VERSION, json_get_string(error, "message"),
                        json_object_get(json_get_object(error, "data")));
                json_object_put(reply);
                return 0;
        }

        req->stateless = true;
        req->protocol_version = strdup(version);
        if (!req->protocol_version)
                return -ENOMEM;
        req->client_capabilities = json_object_get(json_get_object(meta, MCP_META_CLIENT_CAPABILITIES));
        /* Without a level the client gets no log messages for this request. */
        const char *level = json_get_string(meta, MCP_META_LOG_LEVEL);
        req->log_level = level ? mcp_log_level_from_string(level) : _MCP_LOG_MAX;

        if (!target_key(req->method))
                return 1;

        json_object *responses;
        if (json_object_object_get_ex(req->params, "inputResponses", &responses)) {
                if (!json_object_is_type(responses, json_type_object))
                        return mcp_request_reply_error(req, JSONRPC_INVALID_PARAMS,
                                       "Invalid params: \"inputResponses\" must be an object")
                                ?: 0;
                req->input_responses = responses;
        }

        json_object *state;
        if (json_object_object_get_ex(req->params, "requestState", &state)) {
                if (!json_object_is_type(state, json_type_string))
                        return mcp_request_reply_error(req, JSONRPC_INVALID_PARAMS,
                                       "Invalid params: \"requestState\" must be a string")
                                ?: 0;
                /* A relay's tools are another server's: that server sealed the state, and it opens it. */
                if (req->server->def->relay)
                        return 1;
                int r = mcp_mrtr_state_open(req, json_object_get_string(state));
                if (r <= 0)
                        return r;
        }
        return 1;
}

static bool method_is_cacheable(const char *method) {
        return streq(method, "tools/list") || streq(method, "prompts/list") || streq(method, "resources/list") ||
                streq(method, "resources/templates/list") || streq(method, "resources/read") ||
                streq(method, "server/discover");
}

void mcp_stateless_decorate_result(McpRequest *req, json_object *result) {
        if (!json_object_is_type(result, json_type_object))
                return;

        /* Failures to add these leave a result that is still an answer; nothing better can be done. */
        if (!json_object_object_get_ex(result, "resultType", NULL))
                (void) json_add_string(result, "resultType", "complete");

        json_object *meta = json_get_object(result, "_meta");
        if (!meta) {
                meta = json_object_new_object();
                if (meta && json_add(result, "_meta", meta) < 0)
                        meta = NULL;
        }
        if (meta && !json_object_object_get_ex(meta, MCP_META_SERVER_INFO, NULL))
                (void) json_add(meta, MCP_META_SERVER_INFO, json_object_get(req->server->server_info));

        /* A tool that says its results may be reused: for this caller only. */
        const McpTool *tool = streq(req->method, "tools/call") ? req->tool : NULL;
        if (tool && tool->cache_ttl_msec > 0 && streq_ptr(json_get_string(result, "resultType"), "complete") &&
                !json_get_bool(result, "isError", false) && !json_object_object_get_ex(result, "ttlMs", NULL)) {
                (void) json_add(result, "ttlMs", json_object_new_int64((int64_t) tool->cache_ttl_msec));
                (void) json_add_string(result, "cacheScope", "private");
        }

        if (method_is_cacheable(req->method) && streq_ptr(json_get_string(result, "resultType"), "complete") &&
                !json_object_object_get_ex(result, "ttlMs", NULL)) {
                bool read = streq(req->method, "resources/read");
                (void) json_add(result, "ttlMs", json_object_new_int(read ? MCP_READ_TTL_MS : MCP_LIST_TTL_MS));
                /* Resource contents may depend on who asks; the server's tables do not, unless the transport
                 * shows each caller its own part of them (McpSinkOps.shows). */
                bool per_caller = read || (req->exchange && req->exchange->ops->shows);
                (void) json_add_string(result, "cacheScope", per_caller ? "private" : "public");
        }
}

int mcp_method_server_discover(McpRequest *req) {
        _cleanup_json_ json_object *result = json_object_new_object();
        if (!result || json_add(result, "supportedVersions", supported_versions_new()) < 0 ||
                json_add(result, "capabilities", mcp_capabilities_new(req->server)) < 0)
                return -ENOMEM;
        const char *instructions = req->server->def->instructions;
        if (instructions && json_add_string(result, "instructions", instructions) < 0)
                return -ENOMEM;
        return mcp_request_reply(req, TAKE_PTR(result));
}
