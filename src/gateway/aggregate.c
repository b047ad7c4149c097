/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The aggregate endpoint: each backend's tools become the gateway's own (with the backend's prefix), and a
 * call goes to the backend that owns the tool, on a session the backend takes from the client's. */
#include <stdio.h>

#include "aggregate.h"
#include "forward.h"
#include "jsonrpc.h"
#include "log.h"
#include "mcp-request.h"
#include "mcp-session.h"

/* A backend's tool as the gateway offers it. */
typedef struct ProxyTool {
        McpTool tool; /* its strings are owned here */
        char *backend_name; /* the tool's name at the backend */
        Backend *backend;
} ProxyTool;

struct Aggregate {
        Gateway *gateway;
        McpServer *server;
        Hashmap *tools; /* gateway name -> ProxyTool */
};

static ProxyTool *proxy_tool_free(ProxyTool *t) {
        if (!t)
                return NULL;
        free((char *) t->tool.name);
        free((char *) t->tool.title);
        free((char *) t->tool.description);
        free((char *) t->tool.input_schema);
        free((char *) t->tool.output_schema);
        free((char *) t->tool.annotations);
        free((char *) t->tool.icons);
        free(t->backend_name);
        free(t);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(ProxyTool *, proxy_tool_free);

static Aggregate *aggregate_of(McpRequest *req) {
        return mcp_server_get_userdata(mcp_request_get_server(req));
}

static int proxy_call(McpRequest *req, json_object *arguments) {
        Aggregate *a = aggregate_of(req);
        ProxyTool *t = hashmap_get(a->tools, mcp_request_get_tool_name(req));
        if (!t)
                return mcp_request_reply_error(req, JSONRPC_INVALID_PARAMS, "Unknown tool: %s", mcp_request_get_tool_name(req));

        /* The same request, with the tool's name as the backend knows it. */
        _cleanup_json_ json_object *params = NULL, *id = NULL;
        const char *id_text = mcp_request_get_id(req);
        if (json_object_deep_copy(mcp_request_get_params(req), &params, NULL) < 0 ||
            json_add_string(params, "name", t->backend_name) < 0 ||
            json_parse_strict(id_text, strlen(id_text), &id, NULL) < 0)
                return -ENOMEM;
        _cleanup_json_ json_object *message = jsonrpc_request_new(TAKE_PTR(id), "tools/call", TAKE_PTR(params));
        if (!message)
                return -ENOMEM;

        McpSession *session = mcp_request_get_session(req);
        if (!session)
                return forward_request(req, t->backend, message, NULL, NULL, NULL);
        return forward_request(req, t->backend, message, mcp_session_get_id(session), mcp_session_get_version(session),
                mcp_session_get_client_capabilities(session));
}

static char *json_text_of(json_object *o, const char *key) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
                return NULL;
        return strdup(json_to_string(v));
}

static int proxy_tool_new(Backend *b, json_object *descriptor, ProxyTool **ret) {
        const char *name = json_get_string(descriptor, "name");
        if (!name)
                return -EINVAL;

        _cleanup_(proxy_tool_freep) ProxyTool *t = new0(ProxyTool, 1);
        if (!t)
                return -ENOMEM;
        t->backend = b;
        t->backend_name = strdup(name);
        char *full = NULL;
        if (asprintf(&full, "%s%s", b->config->prefix, name) < 0)
                return -ENOMEM;
        t->tool.name = full;
        const char *title = json_get_string(descriptor, "title");
        const char *description = json_get_string(descriptor, "description");
        t->tool.title = title ? strdup(title) : NULL;
        t->tool.description = description ? strdup(description) : NULL;
        t->tool.input_schema = json_text_of(descriptor, "inputSchema");
        t->tool.output_schema = json_text_of(descriptor, "outputSchema");
        t->tool.annotations = json_text_of(descriptor, "annotations");
        t->tool.icons = json_text_of(descriptor, "icons");
        t->tool.handler = proxy_call;
        if (!t->backend_name)
                return -ENOMEM;
        *ret = TAKE_PTR(t);
        return 0;
}

void aggregate_drop(Aggregate *a, Backend *b) {
        ProxyTool *t;
        size_t i = 0;
        while (hashmap_iterate(a->tools, &i, (void **) &t, NULL)) {
                if (t->backend != b)
                        continue;
                hashmap_remove(a->tools, t->tool.name);
                (void) mcp_server_remove_tool(a->server, t->tool.name);
                proxy_tool_free(t);
        }
}

static void aggregate_add(Aggregate *a, Backend *b, json_object *tools) {
        size_t n = json_object_array_length(tools);
        for (size_t i = 0; i < n; i++) {
                _cleanup_(proxy_tool_freep) ProxyTool *t = NULL;
                if (proxy_tool_new(b, json_object_array_get_idx(tools, i), &t) < 0)
                        continue;
                ProxyTool *other = hashmap_get(a->tools, t->tool.name);
                if (other) {
                        log_warning("Backend %s offers tool %s, which backend %s offers already: not offering it on /mcp. "
                                "Give one of them a Prefix=.", b->config->name, t->tool.name, other->backend->config->name);
                        continue;
                }
                if (mcp_server_add_tool(a->server, &t->tool) < 0)
                        continue; /* logged: an unusable schema */
                if (hashmap_put(a->tools, t->tool.name, t) < 0) {
                        (void) mcp_server_remove_tool(a->server, t->tool.name);
                        continue;
                }
                TAKE_PTR(t);
        }
}

void aggregate_refresh(Aggregate *a, Backend *b) {
        aggregate_drop(a, b);
        if (b->tools)
                aggregate_add(a, b, b->tools);
}

static void aggregate_session_closed(McpSession *session, void *userdata) {
        Aggregate *a = userdata;
        for (size_t i = 0; i < a->gateway->n_backends; i++)
                (void) backend_end_session(a->gateway->backends[i], mcp_session_get_id(session));
}

static const McpRelay aggregate_relay = {
        .session_closed = aggregate_session_closed,
};

static const McpServerDefinition aggregate_definition = {
        .name = "aios-gatewayd",
        .title = "aios",
        .version = PROJECT_VERSION,
        .instructions = "The tools of this machine's aios servers. Each tool's name starts with its area "
                        "(system_, python_, browser_, ...).",
        .relay = &aggregate_relay,
};

int aggregate_new(Gateway *g, Aggregate **ret) {
        Aggregate *a = new0(Aggregate, 1);
        if (!a)
                return log_oom();
        a->gateway = g;
        a->tools = hashmap_new();
        int r = a->tools ? mcp_server_new(&a->server, &aggregate_definition, g->event, a) : -ENOMEM;
        if (r < 0) {
                aggregate_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

McpServer *aggregate_server(Aggregate *a) {
        return a->server;
}

Aggregate *aggregate_free(Aggregate *a) {
        if (!a)
                return NULL;
        a->server = mcp_server_free(a->server);
        ProxyTool *t;
        size_t i = 0;
        while (hashmap_iterate(a->tools, &i, (void **) &t, NULL))
                proxy_tool_free(t);
        hashmap_free(a->tools);
        free(a);
        return NULL;
}
