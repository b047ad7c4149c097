/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The engine's front: server construction, and dispatch of incoming messages to the method handlers. */
#include <fcntl.h>
#include <stdio.h>

#include "jsonschema.h"
#include "log.h"
#include "mcp-internal.h"
#include "mcp-limits.h"

typedef enum Wire {
        WIRE_SESSION = 1 << 0,   /* 2025-11-25 and earlier: initialize, then a session */
        WIRE_STATELESS = 1 << 1, /* 2026-07-28: every request on its own */
        WIRE_BOTH = WIRE_SESSION | WIRE_STATELESS,
} Wire;

typedef struct Method {
        const char *name;
        int (*handle)(McpRequest *req);
        Wire wires;
} Method;

/* Sorted by expected frequency; the list is short enough that a linear scan beats hashing. */
static const Method methods[] = {
        { "tools/call", mcp_method_tools_call, WIRE_BOTH },
        { "tools/list", mcp_method_tools_list, WIRE_BOTH },
        { "ping", NULL, WIRE_SESSION },
        { "initialize", mcp_method_initialize, WIRE_SESSION },
        { "server/discover", mcp_method_server_discover, WIRE_STATELESS },
        { "resources/read", mcp_method_resources_read, WIRE_BOTH },
        { "resources/list", mcp_method_resources_list, WIRE_BOTH },
        { "resources/templates/list", mcp_method_resources_templates_list, WIRE_BOTH },
        { "resources/subscribe", mcp_method_resources_subscribe, WIRE_SESSION },
        { "resources/unsubscribe", mcp_method_resources_unsubscribe, WIRE_SESSION },
        { "subscriptions/listen", mcp_method_subscriptions_listen, WIRE_STATELESS },
        { "prompts/list", mcp_method_prompts_list, WIRE_BOTH },
        { "prompts/get", mcp_method_prompts_get, WIRE_BOTH },
        { "completion/complete", mcp_method_completion_complete, WIRE_BOTH },
        { "logging/setLevel", mcp_method_logging_set_level, WIRE_SESSION },
};

static ToolEntry *tool_entry_free(ToolEntry *e) {
        if (!e)
                return NULL;
        json_object_put(e->input_schema);
        json_object_put(e->descriptor);
        free(e);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(ToolEntry *, tool_entry_free);

static int tool_entry_new(const McpTool *t, ToolEntry **ret) {
        assert(t);
        assert(t->name);
        assert(t->handler);

        _cleanup_(tool_entry_freep) ToolEntry *e = new0(ToolEntry, 1);
        if (!e)
                return -ENOMEM;
        e->tool = t;

        json_object *schema = NULL;
        const char *text = t->input_schema ?: "{\"type\":\"object\"}";
        const char *reason = NULL;
        if (t->descriptor && json_object_object_get_ex(t->descriptor, "inputSchema", &schema) && schema)
                e->input_schema = json_object_get(schema);
        else if (json_parse_strict(text, strlen(text), &e->input_schema, &reason) < 0)
                return log_error_errno(EINVAL, "Tool %s: inputSchema is not valid JSON: %s", t->name, reason);

        _cleanup_free_ char *error = NULL;
        if (jsonschema_check(e->input_schema, &error) < 0)
                return log_error_errno(EINVAL, "Tool %s: inputSchema is unusable: %s", t->name, strempty(error));

        e->descriptor = mcp_tool_descriptor_new(t, e->input_schema);
        if (!e->descriptor)
                return log_error_errno(EINVAL, "Tool %s: its annotations, icons or outputSchema are not valid JSON.",
                        t->name);

        *ret = TAKE_PTR(e);
        return 0;
}

int mcp_server_add_tool(McpServer *s, const McpTool *t) {
        assert(s);

        if (hashmap_get(s->tools_by_name, t->name))
                return log_error_errno(EEXIST, "Tool %s is declared twice.", t->name);

        _cleanup_(tool_entry_freep) ToolEntry *e = NULL;
        int r = tool_entry_new(t, &e);
        if (r < 0)
                return r;

        ToolEntry **a = reallocarray(s->tools, s->n_tools + 1, sizeof(ToolEntry *));
        if (!a)
                return log_oom();
        s->tools = a;

        r = hashmap_put(s->tools_by_name, t->name, e);
        if (r < 0)
                return log_oom();
        s->tools[s->n_tools++] = TAKE_PTR(e);

        mcp_server_broadcast(s, "notifications/tools/list_changed", NULL);
        return 0;
}

int mcp_server_remove_tool(McpServer *s, const char *name) {
        assert(s);

        ToolEntry *e = hashmap_remove(s->tools_by_name, name);
        if (!e)
                return -ENOENT;

        for (size_t i = 0; i < s->n_tools; i++)
                if (s->tools[i] == e) {
                        memmove(s->tools + i, s->tools + i + 1, (s->n_tools - i - 1) * sizeof(ToolEntry *));
                        s->n_tools--;
                        break;
                }
        tool_entry_free(e);

        mcp_server_broadcast(s, "notifications/tools/list_changed", NULL);
        return 0;
}

int mcp_server_new(McpServer **ret, const McpServerDefinition *def, sd_event *event, void *userdata) {
        assert(ret);
        assert(def);
        assert(def->name);
        assert(event);

        _cleanup_(mcp_server_freep) McpServer *s = new0(McpServer, 1);
        if (!s)
                return log_oom();

        s->def = def;
        s->event = sd_event_ref(event);
        s->userdata = userdata;
        s->next_ask_id = 1;
        s->state_ttl_sec = MCP_REQUEST_STATE_TTL_SEC;
        s->session_lifetime_sec = MCP_SESSION_LIFETIME_SEC_DEFAULT;
        s->server_info = mcp_server_info_new(s);
        if (!s->server_info)
                return log_oom();
        int k = seal_key_generate(&s->state_key);
        if (k < 0)
                return log_error_errno(k, "Failed to make the requestState key: %m");
        s->tools_by_name = hashmap_new();
        s->sessions = hashmap_new();
        if (!s->tools_by_name || !s->sessions)
                return log_oom();

        for (const McpTool *t = def->tools; t && t->name; t++) {
                int r = mcp_server_add_tool(s, t);
                if (r < 0)
                        return r;
        }

        int r = mcp_server_build_descriptors(s);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(s);
        return 0;
}

McpServer *mcp_server_free(McpServer *s) {
        if (!s)
                return NULL;

        McpSession *session;
        size_t i = 0;
        while (hashmap_iterate(s->sessions, &i, (void **) &session, NULL))
                mcp_session_close(session);
        hashmap_free(s->sessions);
        mcp_server_forget_ended_sessions(s);

        for (size_t j = 0; j < s->n_tools; j++)
                tool_entry_free(s->tools[j]);
        free(s->tools);
        hashmap_free(s->tools_by_name);
        json_object_put(s->resource_descriptors);
        json_object_put(s->template_descriptors);
        json_object_put(s->prompt_descriptors);
        json_object_put(s->server_info);
        sd_event_unref(s->event);
        seal_key_wipe(&s->state_key);
        free(s);
        return NULL;
}

sd_event *mcp_server_get_event(McpServer *s) {
        return s->event;
}

json_object *mcp_server_info(McpServer *s) {
        return json_object_get(s->server_info);
}

json_object *mcp_server_capabilities(McpServer *s) {
        return mcp_capabilities_new(s);
}

json_object *mcp_server_catalog(McpServer *s) {
        _cleanup_json_ json_object *catalog = json_object_new_object();
        if (!catalog || json_add(catalog, "tools", mcp_server_tool_descriptors(s)) < 0 ||
                json_add(catalog, "resources", json_object_get(s->resource_descriptors)) < 0 ||
                json_add(catalog, "resourceTemplates", json_object_get(s->template_descriptors)) < 0 ||
                json_add(catalog, "prompts", json_object_get(s->prompt_descriptors)) < 0)
                return NULL;
        return TAKE_PTR(catalog);
}

json_object *mcp_server_tool_descriptors(McpServer *s) {
        json_object *all = json_object_new_array_ext((int) s->n_tools);
        if (!all)
                return NULL;
        for (size_t i = 0; i < s->n_tools; i++)
                if (json_object_array_add(all, json_object_get(s->tools[i]->descriptor)) < 0)
                        return json_object_put(all), NULL;
        return all;
}

void *mcp_server_get_userdata(McpServer *s) {
        return s->userdata;
}

const McpServerDefinition *mcp_server_get_definition(McpServer *s) {
        return s->def;
}

int mcp_server_set_state_secret(McpServer *s, const void *secret, size_t size) {
        seal_key_wipe(&s->state_key); /* the random key, or a secret given before */
        int r = seal_key_derive(&s->state_key, secret, size, "aios-mcp-requestState");
        if (r < 0)
                return r;
        s->state_key_shared = true; /* and with it, session ids are sealed (mcp-session-seal.c) */
        return 0;
}

int mcp_state_secret_read(const char *path, uint8_t secret[static MCP_STATE_SECRET_MAX], size_t *ret_size) {
        _cleanup_free_ char *credential = NULL;
        if (!path) {
                const char *dir = getenv("CREDENTIALS_DIRECTORY");
                if (dir && asprintf(&credential, "%s/" MCP_STATE_SECRET_CREDENTIAL, dir) < 0)
                        return log_oom();
                if (!credential || access(credential, F_OK) < 0) {
                        log_debug("No " MCP_STATE_SECRET_CREDENTIAL
                                  " credential: requestState and session ids are sealed with a key of this process.");
                        return 0;
                }
                path = credential;
        }

        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return log_error_errno(errno, "Failed to open the request state key %s: %m", path);
        ssize_t n = read(fd, secret, MCP_STATE_SECRET_MAX);
        if (n < 0)
                return log_error_errno(errno, "Failed to read the request state key %s: %m", path);
        if (n < 16) {
                explicit_bzero(secret, MCP_STATE_SECRET_MAX);
                return log_error_errno(EINVAL,
                        "The request state key %s is too short: give it at least 16 bytes (32 random bytes are best).",
                        path);
        }
        *ret_size = (size_t) n;
        return 1;
}

int mcp_server_load_state_secret(McpServer *s, const char *path) {
        uint8_t secret[MCP_STATE_SECRET_MAX];
        size_t size;
        int r = mcp_state_secret_read(path, secret, &size);
        if (r <= 0)
                return r;
        r = mcp_server_set_state_secret(s, secret, size);
        explicit_bzero(secret, sizeof(secret));
        if (r < 0)
                return log_error_errno(r, "Failed to derive the request state key: %m");
        log_info("requestState and session ids are sealed with the key from %s.",
                path ?: "the " MCP_STATE_SECRET_CREDENTIAL " credential");
        return 0;
}

void mcp_server_set_request_state_ttl(McpServer *s, uint64_t sec) {
        s->state_ttl_sec = sec;
}

void mcp_server_broadcast(McpServer *s, const char *method, json_object *params) {
        _cleanup_json_ json_object *p = params;
        McpSession *session;
        size_t i = 0;

        mcp_subscriptions_deliver(s, method, p, NULL);

        while (hashmap_iterate(s->sessions, &i, (void **) &session, NULL)) {
                if (!session->initialized)
                        continue;
                _cleanup_json_ json_object *n = jsonrpc_notification_new(method, p ? json_object_get(p) : NULL);
                if (n)
                        (void) mcp_session_send_standalone(session, n);
        }
}

void mcp_server_notify_resource_updated(McpServer *s, const char *uri) {
        McpSession *session;
        size_t i = 0;

        _cleanup_json_ json_object *updated = json_object_new_object();
        if (updated && json_add_string(updated, "uri", uri) >= 0)
                mcp_subscriptions_deliver(s, "notifications/resources/updated", updated, uri);

        while (hashmap_iterate(s->sessions, &i, (void **) &session, NULL)) {
                if (!hashmap_get(session->subscriptions, uri))
                        continue;
                _cleanup_json_ json_object *params = json_object_new_object();
                if (!params || json_add_string(params, "uri", uri) < 0)
                        continue;
                _cleanup_json_ json_object *n =
                        jsonrpc_notification_new("notifications/resources/updated", TAKE_PTR(params));
                if (n)
                        (void) mcp_session_send_standalone(session, n);
        }
}

json_object *mcp_parse_error_new(const char *reason) {
        return jsonrpc_errorf_new(NULL, JSONRPC_PARSE_ERROR, "Parse error: %s", reason);
}

bool mcp_message_is_initialize(json_object *message) {
        const char *method = json_get_string(message, "method");
        return method && streq(method, "initialize") && json_object_object_get_ex(message, "id", NULL);
}

static const Method *method_find(const char *name) {
        FOREACH_ELEMENT(m, methods)
        if (streq(m->name, name))
                return m;
        return NULL;
}

static void handle_notification(McpServer *s, McpSession *session, json_object *message, const JsonRpcMessage *m) {
        const McpRelay *relay = s->def->relay;
        if (relay && relay->notify)
                relay->notify(session, message, s->userdata);
        if (!session)
                return;
        if (streq(m->method, "notifications/cancelled"))
                mcp_session_handle_cancelled(session, m->params);
        /* notifications/initialized, notifications/roots/list_changed and the rest need nothing from us. */
}

/* Answers a request that mcp_request_new() refused for the client's sake (an id in use, too many in flight);
 * other errors are the caller's. */
static bool request_refused(McpExchange *x, const JsonRpcMessage *m, int r) {
        if (r == -EEXIST)
                mcp_exchange_add_reply(x,
                        jsonrpc_errorf_new(m->id, JSONRPC_INVALID_REQUEST,
                                "A request with id %s is already in progress.", json_to_string(m->id)));
        else if (r == -EBUSY)
                mcp_exchange_add_reply(x,
                        jsonrpc_errorf_new(m->id, JSONRPC_INVALID_REQUEST,
                                "This session has %u requests in flight, the most it may: wait for one to finish.",
                                MCP_MAX_REQUESTS_IN_FLIGHT));
        else
                return false;
        return true;
}

/* A relay forwards a request as it is; the far side checks it. */
static int dispatch_relayed(McpExchange *x, json_object *message, const JsonRpcMessage *m, bool *ret_taken) {
        const McpRelay *relay = x->server->def->relay;

        _cleanup_(mcp_request_unrefp) McpRequest *req = NULL;
        int r = mcp_request_new(x, message, m, &req);
        if (request_refused(x, m, r)) {
                *ret_taken = true;
                return 0;
        }
        if (r < 0)
                return r;
        req->stateless = x->stateless;

        r = relay->request(req, message, x->server->userdata);
        if (r < 0 && !req->done)
                mcp_request_reply_errno(req, r);
        if (r == 0 && !req->done) {
                /* Not the relay's: undo, and let the engine's method have it. */
                req->cancelled = true;
                mcp_request_cancel(req);
                *ret_taken = false;
                return 0;
        }
        *ret_taken = true;
        return 0;
}

static bool relay_wants(const McpRelay *relay, const char *method) {
        if (!relay || !relay->request)
                return false;
        if (!relay->methods)
                return true;
        for (const char *const *name = relay->methods; *name; name++)
                if (streq(*name, method))
                        return true;
        return false;
}

static int dispatch_request(McpExchange *x, json_object *message, const JsonRpcMessage *m) {
        /* Over-long names and URIs, or ones a NUL would cut short, go no further: not to a method, not on to a
         * backend. */
        _cleanup_free_ char *problem = NULL;
        int k = mcp_params_check(m->method, m->params, &problem);
        if (k == -EINVAL) {
                mcp_exchange_add_reply(x, jsonrpc_error_new(m->id, JSONRPC_INVALID_PARAMS, problem, NULL));
                return 0;
        }
        if (k < 0)
                return k;

        if (relay_wants(x->server->def->relay, m->method)) {
                bool taken;
                int r = dispatch_relayed(x, message, m, &taken);
                if (r < 0 || taken)
                        return r;
        }

        const Method *method = method_find(m->method);
        if (!method || !(method->wires & (x->stateless ? WIRE_STATELESS : WIRE_SESSION))) {
                mcp_exchange_add_reply(x,
                        jsonrpc_errorf_new(m->id, JSONRPC_METHOD_NOT_FOUND, "Method not found: %s", m->method));
                return 0;
        }

        if (x->session && !x->session->initialized && !streq(m->method, "initialize") && !streq(m->method, "ping")) {
                mcp_exchange_add_reply(x,
                        jsonrpc_errorf_new(m->id, JSONRPC_INVALID_REQUEST,
                                "The session is not initialized: send \"initialize\" first."));
                return 0;
        }

        _cleanup_(mcp_request_unrefp) McpRequest *req = NULL;
        int r = mcp_request_new(x, message, m, &req);
        if (request_refused(x, m, r))
                return 0;
        if (r < 0)
                return r;

        if (x->stateless) {
                r = mcp_stateless_request_init(req);
                if (r <= 0) {
                        if (r < 0 && !req->done)
                                mcp_request_reply_errno(req, r);
                        return 0;
                }
        }

        if (!method->handle)
                return mcp_request_reply(req, json_object_new_object());

        r = method->handle(req);
        if (r < 0 && !req->done)
                mcp_request_reply_errno(req, r);
        return 0;
}

static int dispatch_one(McpExchange *x, json_object *message) {
        JsonRpcMessage m;
        const char *reason;

        if (jsonrpc_classify(message, &m, &reason) < 0) {
                /* Echo the id when it is readable, so that the client can match the error. */
                json_object *id = NULL;
                if (json_object_is_type(message, json_type_object))
                        json_object_object_get_ex(message, "id", &id);
                if (id && !jsonrpc_id_is_valid(id))
                        id = NULL; /* null rather than an id altered on the way in */
                mcp_exchange_add_reply(x,
                        jsonrpc_errorf_new(id, JSONRPC_INVALID_REQUEST, "Invalid request: %s", reason));
                return 0;
        }

        switch (m.kind) {
        case JSONRPC_NOTIFICATION:
                handle_notification(x->server, x->session, message, &m);
                return 0;
        case JSONRPC_RESPONSE:
                if (x->session)
                        mcp_session_handle_response(x->session, &m);
                return 0;
        case JSONRPC_REQUEST:
                return dispatch_request(x, message, &m);
        }
        assert(false);
        return -EINVAL;
}

static bool message_expects_reply(json_object *message) {
        /* Requests and anything malformed are answered; notifications and responses are not. */
        if (!json_object_is_type(message, json_type_object))
                return true;
        JsonRpcMessage m;
        const char *reason;
        if (jsonrpc_classify(message, &m, &reason) < 0)
                return true;
        return m.kind == JSONRPC_REQUEST;
}

static int dispatch(McpServer *s, McpSession *session, bool stateless, json_object *message, const McpSinkOps *ops,
        void *userdata, McpExchange **ret_exchange) {

        assert(s);
        assert(message);
        assert(ops);

        bool batch = json_object_is_type(message, json_type_array);
        size_t n = batch ? json_object_array_length(message) : 1;
        size_t n_replies = 0;

        for (size_t i = 0; i < n; i++)
                if (message_expects_reply(batch ? json_object_array_get_idx(message, i) : message))
                        n_replies++;

        if (session)
                mcp_session_touch(session);

        if (batch && (n == 0 || (session && session->initialized && !mcp_version_allows_batches(session->version)))) {
                /* One error for the whole batch: an empty one is invalid, and 2025-06-18 removed batching. */
                _cleanup_json_ json_object *e = jsonrpc_errorf_new(NULL, JSONRPC_INVALID_REQUEST,
                        n == 0 ? "Invalid request: empty batch"
                               : "Invalid request: JSON-RPC batches are not supported in protocol version %s",
                        session ? session->version : "");
                ops->done(userdata, e);
                return 1;
        }

        if (n_replies == 0) {
                /* Notifications and responses only: handle them; the transport acknowledges (HTTP 202). */
                McpExchange x = { .server = s,
                        .session = session,
                        .ops = ops,
                        .userdata = userdata,
                        .stateless = stateless };
                for (size_t i = 0; i < n; i++)
                        (void) dispatch_one(&x, batch ? json_object_array_get_idx(message, i) : message);
                return 0;
        }

        McpExchange *x = new0(McpExchange, 1);
        if (!x)
                return -ENOMEM;
        *x = (McpExchange){
                .server = s,
                .session = session ? mcp_session_ref(session) : NULL,
                .ops = ops,
                .userdata = userdata,
                .batch = batch,
                .dispatching = true,
                .stateless = stateless,
        };
        if (batch) {
                x->replies = json_object_new_array();
                if (!x->replies) {
                        mcp_session_unref(x->session);
                        free(x);
                        return -ENOMEM;
                }
        }

        for (size_t i = 0; i < n; i++) {
                int r = dispatch_one(x, batch ? json_object_array_get_idx(message, i) : message);
                if (r < 0)
                        mcp_exchange_add_reply(x,
                                jsonrpc_errorf_new(NULL, JSONRPC_INTERNAL_ERROR, "Internal error: %s", strerror(-r)));
        }

        x->dispatching = false;
        if (ret_exchange)
                *ret_exchange = x->n_pending > 0 ? x : NULL;
        mcp_exchange_complete(x, NULL, NULL);
        return 1;
}

int mcp_server_dispatch(McpServer *s, McpSession *session, json_object *message, const McpSinkOps *ops, void *userdata,
        McpExchange **ret_exchange) {
        return dispatch(s, session, false, message, ops, userdata, ret_exchange);
}

int mcp_server_dispatch_stateless(McpServer *s, json_object *message, const McpSinkOps *ops, void *userdata,
        McpExchange **ret_exchange) {
        _cleanup_json_ json_object *error = NULL;
        if (mcp_stateless_check(message, NULL, &error) > 0) {
                if (!error)
                        return -ENOMEM;
                ops->done(userdata, error);
                return 1;
        }
        return dispatch(s, NULL, true, message, ops, userdata, ret_exchange);
}
