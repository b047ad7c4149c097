/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The aggregate endpoint: each backend's tools become the gateway's own (with the backend's prefix), and a
 * call goes to the backend that owns the tool, on a session the backend takes from the client's. Resources
 * and prompts are merged the same way: lists from every backend, a read or a get routed by URI (exact,
 * then by template) or by prompt name. */
#include <stdio.h>

#include "aggregate.h"
#include "auth.h"
#include "json-value.h"
#include "forward.h"
#include "jsonrpc.h"
#include "log.h"
#include "mcp-request.h"
#include "mcp-session.h"

/* A backend's tool as the gateway offers it. */
typedef struct ProxyTool {
        McpTool tool;       /* its strings are owned here */
        char *backend_name; /* the tool's name at the backend */
        Backend *backend;
} ProxyTool;

/* Where a resource URI, a template or a prompt lives. */
typedef struct Route {
        char *key;          /* URI, URI template, or prompt name as the gateway offers it */
        char *backend_name; /* the prompt's name at the backend (prompts only) */
        Backend *backend;
} Route;

struct Aggregate {
        Gateway *gateway;
        McpServer *server;
        Hashmap *tools; /* gateway name -> ProxyTool */

        /* Rebuilt from every backend's catalog when one changes. */
        json_object *resources, *templates, *prompts; /* the merged list entries */
        Hashmap *resource_routes;                     /* uri -> Route */
        Route *template_routes;                       /* in list order, matched in turn */
        size_t n_template_routes;
        Hashmap *prompt_routes; /* name -> Route */
};

static ProxyTool *proxy_tool_free(ProxyTool *t) {
        if (!t)
                return NULL;
        free((char *) t->tool.name);
        free((char *) t->tool.title);
        free((char *) t->tool.description);
        json_object_put(t->tool.descriptor);
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
                return mcp_request_reply_error(req, JSONRPC_INVALID_PARAMS, "Unknown tool: %s",
                        mcp_request_get_tool_name(req));

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
        /* Its schemas, annotations and icons shared with the backend's catalog, not parsed again. */
        t->tool.descriptor = json_object_get(descriptor);
        /* What the backend says of reusing its results, said again on /mcp. */
        json_object *ttl = NULL;
        if (json_object_object_get_ex(json_get_object(descriptor, "_meta"), MCP_META_CACHE_TTL, &ttl) &&
                json_object_is_type(ttl, json_type_int) && json_object_get_int64(ttl) > 0)
                t->tool.cache_ttl_msec = (uint64_t) json_object_get_int64(ttl);
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
                        log_warning(
                                "Backend %s offers tool %s, which backend %s offers already: not offering it on /mcp. "
                                "Give one of them a Prefix=.",
                                b->config->name, t->tool.name, other->backend->config->name);
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

static void route_free(Route *r) {
        if (!r)
                return;
        free(r->key);
        free(r->backend_name);
        free(r);
}

static void routes_clear(Aggregate *a) {
        Route *r;
        size_t i = 0;
        while (hashmap_iterate(a->resource_routes, &i, (void **) &r, NULL)) {
                hashmap_remove(a->resource_routes, r->key);
                route_free(r);
        }
        i = 0;
        while (hashmap_iterate(a->prompt_routes, &i, (void **) &r, NULL)) {
                hashmap_remove(a->prompt_routes, r->key);
                route_free(r);
        }
        for (size_t j = 0; j < a->n_template_routes; j++) {
                free(a->template_routes[j].key);
                free(a->template_routes[j].backend_name);
        }
        a->template_routes = mfree(a->template_routes);
        a->n_template_routes = 0;
}

static int route_put(Hashmap *map, const char *key, const char *backend_name, Backend *b, bool *ret_taken) {
        if (hashmap_get(map, key)) {
                *ret_taken = true;
                return 0;
        }
        Route *r = new0(Route, 1);
        if (!r)
                return -ENOMEM;
        r->backend = b;
        r->key = strdup(key);
        r->backend_name = backend_name ? strdup(backend_name) : NULL;
        if (!r->key || (backend_name && !r->backend_name) || hashmap_put(map, r->key, r) < 0) {
                route_free(r);
                return -ENOMEM;
        }
        *ret_taken = false;
        return 0;
}

/* Adds b's resources, templates and prompts to the merged lists; what another backend offers already stays
 * with it. */
static int merge_backend(Aggregate *a, Backend *b) {
        json_object *list;
        bool taken;
        int r;

        list = json_get_array(b->catalog, "resources");
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                json_object *e = json_object_array_get_idx(list, i);
                const char *uri = json_get_string(e, "uri");
                if (!uri)
                        continue;
                r = route_put(a->resource_routes, uri, NULL, b, &taken);
                if (r < 0)
                        return r;
                if (taken)
                        log_warning("Backend %s offers resource %s, which another backend offers already: not on /mcp.",
                                b->config->name, uri);
                else if (json_object_array_add(a->resources, json_object_get(e)) < 0)
                        return -ENOMEM;
        }

        list = json_get_array(b->catalog, "resourceTemplates");
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                json_object *e = json_object_array_get_idx(list, i);
                const char *t = json_get_string(e, "uriTemplate");
                if (!t)
                        continue;
                Route *routes = reallocarray(a->template_routes, a->n_template_routes + 1, sizeof(Route));
                if (!routes)
                        return -ENOMEM;
                a->template_routes = routes;
                routes[a->n_template_routes] = (Route){ .key = strdup(t), .backend = b };
                if (!routes[a->n_template_routes].key)
                        return -ENOMEM;
                a->n_template_routes++;
                if (json_object_array_add(a->templates, json_object_get(e)) < 0)
                        return -ENOMEM;
        }

        list = json_get_array(b->catalog, "prompts");
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                json_object *e = json_object_array_get_idx(list, i);
                const char *name = json_get_string(e, "name");
                _cleanup_free_ char *full = NULL;
                if (!name || asprintf(&full, "%s%s", b->config->prefix, name) < 0)
                        continue;
                r = route_put(a->prompt_routes, full, name, b, &taken);
                if (r < 0)
                        return r;
                if (taken) {
                        log_warning("Backend %s offers prompt %s, which another backend offers already: not on /mcp. "
                                    "Give one of them a Prefix=.",
                                b->config->name, full);
                        continue;
                }
                _cleanup_json_ json_object *copy = NULL;
                if (json_object_deep_copy(e, &copy, NULL) < 0 || json_add_string(copy, "name", full) < 0 ||
                        json_object_array_add(a->prompts, TAKE_PTR(copy)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* Rebuilds the merged lists and tells the clients about the ones that changed. */
static void merge_catalogs(Aggregate *a) {
        _cleanup_json_ json_object *old_resources = TAKE_PTR(a->resources), *old_templates = TAKE_PTR(a->templates),
                                   *old_prompts = TAKE_PTR(a->prompts);
        routes_clear(a);
        a->resources = json_object_new_array();
        a->templates = json_object_new_array();
        a->prompts = json_object_new_array();
        if (!a->resources || !a->templates || !a->prompts) {
                log_oom();
                return;
        }
        for (size_t i = 0; i < a->gateway->n_backends; i++)
                if (a->gateway->backends[i]->config->aggregate && merge_backend(a, a->gateway->backends[i]) < 0) {
                        log_oom();
                        break;
                }

        if (!json_equal(old_resources, a->resources) || !json_equal(old_templates, a->templates))
                mcp_server_broadcast(a->server, "notifications/resources/list_changed", NULL);
        if (!json_equal(old_prompts, a->prompts))
                mcp_server_broadcast(a->server, "notifications/prompts/list_changed", NULL);
}

static Backend *backend_for_uri(Aggregate *a, const char *uri) {
        Route *r = hashmap_get(a->resource_routes, uri);
        if (r)
                return r->backend;
        for (size_t i = 0; i < a->n_template_routes; i++)
                if (mcp_uri_template_matches(a->template_routes[i].key, uri))
                        return a->template_routes[i].backend;
        return NULL;
}

/* Sends req on to b as it came, or with the name at params.name (or params.ref.name) replaced. */
static int forward_to(McpRequest *req, Backend *b, json_object *message, const char *name_key, const char *name) {
        _cleanup_json_ json_object *copy = NULL;
        if (name) {
                if (json_object_deep_copy(message, &copy, NULL) < 0)
                        return -ENOMEM;
                json_object *params = json_get_object(copy, "params");
                json_object *target = streq(name_key, "ref") ? json_get_object(params, "ref") : params;
                if (!target || json_add_string(target, "name", name) < 0)
                        return -ENOMEM;
                message = copy;
        }
        McpSession *session = mcp_request_get_session(req);
        if (!session)
                return forward_request(req, b, message, NULL, NULL, NULL);
        return forward_request(req, b, message, mcp_session_get_id(session), mcp_session_get_version(session),
                mcp_session_get_client_capabilities(session));
}

static int unknown_prompt(McpRequest *req, const char *name) {
        return mcp_request_reply_error(req, JSONRPC_INVALID_PARAMS, "Unknown prompt: %s", strempty(name));
}

static int aggregate_request(McpRequest *req, json_object *message, void *userdata) {
        Aggregate *a = userdata;
        const char *method = mcp_request_get_method(req);
        json_object *params = mcp_request_get_params(req);
        McpSession *session = mcp_request_get_session(req);

        /* Uninitialized sessions and everything else: the engine answers as for any server. */
        if (session && !mcp_session_is_initialized(session))
                return 0;

        if (streq(method, "resources/list"))
                return mcp_request_reply_page(req, "resources", a->resources) ?: 1;
        if (streq(method, "resources/templates/list"))
                return mcp_request_reply_page(req, "resourceTemplates", a->templates) ?: 1;
        if (streq(method, "prompts/list"))
                return mcp_request_reply_page(req, "prompts", a->prompts) ?: 1;

        bool subscription = streq(method, "resources/subscribe") || streq(method, "resources/unsubscribe");
        if (streq(method, "resources/read") || (subscription && session)) {
                const char *uri = json_get_string(params, "uri");
                if (!uri)
                        return 0; /* the engine says what is wrong */
                Backend *b = backend_for_uri(a, uri);
                if (!b)
                        return mcp_request_reply_resource_not_found(req, uri) ?: 1;
                return forward_to(req, b, message, NULL, NULL) ?: 1;
        }

        if (streq(method, "prompts/get")) {
                const char *name = json_get_string(params, "name");
                Route *r = name ? hashmap_get(a->prompt_routes, name) : NULL;
                if (!r)
                        return unknown_prompt(req, name) ?: 1;
                return forward_to(req, r->backend, message, "params", r->backend_name) ?: 1;
        }

        if (streq(method, "completion/complete")) {
                json_object *ref = json_get_object(params, "ref");
                const char *type = json_get_string(ref, "type");
                if (streq_ptr(type, "ref/prompt")) {
                        const char *name = json_get_string(ref, "name");
                        Route *r = name ? hashmap_get(a->prompt_routes, name) : NULL;
                        if (!r)
                                return unknown_prompt(req, name) ?: 1;
                        return forward_to(req, r->backend, message, "ref", r->backend_name) ?: 1;
                }
                if (streq_ptr(type, "ref/resource")) {
                        const char *uri = json_get_string(ref, "uri");
                        for (size_t i = 0; uri && i < a->n_template_routes; i++)
                                if (streq(a->template_routes[i].key, uri))
                                        return forward_to(req, a->template_routes[i].backend, message, NULL, NULL) ?: 1;
                        Backend *b = uri ? backend_for_uri(a, uri) : NULL;
                        if (!b)
                                return mcp_request_reply_resource_not_found(req, strempty(uri)) ?: 1;
                        return forward_to(req, b, message, NULL, NULL) ?: 1;
                }
                return 0;
        }
        return 0;
}

void aggregate_refresh(Aggregate *a, Backend *b) {
        aggregate_drop(a, b);
        if (b->tools && b->config->aggregate)
                aggregate_add(a, b, b->tools);
        merge_catalogs(a);
}

static void aggregate_session_closed(McpSession *session, void *userdata) {
        Aggregate *a = userdata;
        for (size_t i = 0; i < a->gateway->n_backends; i++)
                (void) backend_end_session(a->gateway->backends[i], mcp_session_get_id(session));
}

/* Tools are the engine's own (proxies added per backend); these are merged or routed here. */
static const char *const aggregate_methods[] = {
        "resources/list",
        "resources/templates/list",
        "resources/read",
        "resources/subscribe",
        "resources/unsubscribe",
        "prompts/list",
        "prompts/get",
        "completion/complete",
        NULL,
};

static const McpRelay aggregate_relay = {
        .request = aggregate_request,
        .methods = aggregate_methods,
        .session_closed = aggregate_session_closed,
};

static const McpServerDefinition aggregate_definition = {
        .name = "aios-gatewayd",
        .title = "aios",
        .version = PROJECT_VERSION,
        .instructions = "The tools of this machine's aios servers. Each tool's name starts with its area "
                        "(system_, python_, browser_, ...).",
        .relay = &aggregate_relay,
        .list_filter = gateway_auth_list_visible,
        .capabilities = "{\"tools\":{\"listChanged\":true},\"logging\":{},"
                        "\"resources\":{\"subscribe\":true,\"listChanged\":true},"
                        "\"prompts\":{\"listChanged\":true},\"completions\":{}}",
};

int aggregate_new(Gateway *g, Aggregate **ret) {
        Aggregate *a = new0(Aggregate, 1);
        if (!a)
                return log_oom();
        a->gateway = g;
        a->tools = hashmap_new();
        a->resource_routes = hashmap_new();
        a->prompt_routes = hashmap_new();
        a->resources = json_object_new_array();
        a->templates = json_object_new_array();
        a->prompts = json_object_new_array();
        int r = a->tools && a->resource_routes && a->prompt_routes && a->resources && a->templates && a->prompts
                ? mcp_server_new(&a->server, &aggregate_definition, g->event, a)
                : -ENOMEM;
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
        routes_clear(a);
        hashmap_free(a->resource_routes);
        hashmap_free(a->prompt_routes);
        json_object_put(a->resources);
        json_object_put(a->templates);
        json_object_put(a->prompts);
        free(a);
        return NULL;
}

Backend *aggregate_target(Aggregate *a, const char *kind, const char *name, const char **ret_backend_name) {
        *ret_backend_name = NULL;
        if (!name)
                return NULL;
        if (streq(kind, "tools")) {
                ProxyTool *t = hashmap_get(a->tools, name);
                if (!t)
                        return NULL;
                *ret_backend_name = t->backend_name;
                return t->backend;
        }
        if (streq(kind, "prompts")) {
                Route *r = hashmap_get(a->prompt_routes, name);
                if (!r)
                        return NULL;
                *ret_backend_name = r->backend_name;
                return r->backend;
        }
        *ret_backend_name = name;
        if (streq(kind, "resourceTemplates")) {
                for (size_t i = 0; i < a->n_template_routes; i++)
                        if (streq(a->template_routes[i].key, name))
                                return a->template_routes[i].backend;
                return NULL;
        }
        return backend_for_uri(a, name);
}
