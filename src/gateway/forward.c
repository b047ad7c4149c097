/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Forwarding: one McpRequest on the client's side, one BackendCall on the bus, tied until either ends. */
#include "auth.h"
#include "forward.h"
#include "guard.h"
#include "jsonrpc.h"
#include "log.h"
#include "mcp-protocol.h"
#include "mcp-request.h"
#include "mcp-session.h" /* now_usec() */
#include "result-cache.h"

typedef struct Question Question;

typedef struct Forward {
        McpRequest *req;
        Backend *backend;
        BackendCall *call;
        char *tool;
        json_object *arguments; /* tools/call: digested into the audit record */
        uint64_t started;
        Question *questions; /* the backend's questions the client has not answered yet */
        char cache_key[65];  /* a call whose result may be kept: under this key, for cache_ttl */
        uint64_t cache_ttl;
} Forward;

/* A backend's question to the client. It outlives its Forward when the client answers after the request
 * ended (or never does: the engine answers it when the session ends). */
struct Question {
        Forward *forward; /* NULL once the request ended */
        Question *next;
        BackendQuestion *question; /* NULL once answered */
        json_object *id;           /* the backend's id for it */
};

static void question_unlink(Question *q) {
        if (!q->forward)
                return;
        for (Question **p = &q->forward->questions; *p; p = &(*p)->next)
                if (*p == q) {
                        *p = q->next;
                        break;
                }
        q->forward = NULL;
        q->next = NULL;
}

static void forward_free(Forward *f) {
        /* The request ended: the server's open questions get an answer now, so that it does not wait for
         * them (each holds a reply the bus counts against the server's connection) until the session ends. */
        while (f->questions) {
                Question *q = f->questions;
                question_unlink(q);
                q->question->answer(TAKE_PTR(q->question),
                        jsonrpc_error_new(q->id, JSONRPC_INTERNAL_ERROR,
                                "The request ended before the client answered.", NULL));
        }
        mcp_request_unref(f->req);
        free(f->tool);
        json_object_put(f->arguments);
        free(f);
}

static void record(Forward *f, MetricsOutcome outcome) {
        metrics_request_done(f->backend->gateway->metrics, mcp_request_get_method(f->req), f->tool,
                f->backend->config->name, outcome, now_usec() - f->started);
        if (f->tool && f->backend->gateway->guard)
                guard_call_done(f->backend->gateway->guard, f->req, f->backend, f->tool, f->arguments, outcome,
                        now_usec() - f->started);
}

static MetricsOutcome outcome_of(json_object *response) {
        json_object *error = json_get_object(response, "error");
        if (error) {
                json_object *code = NULL;
                json_object_object_get_ex(error, "code", &code);
                return json_object_get_int(code) == MCP_ERROR_ACCESS_DENIED ? METRICS_OUTCOME_DENIED
                                                                            : METRICS_OUTCOME_ERROR;
        }
        return json_get_bool(json_get_object(response, "result"), "isError", false) ? METRICS_OUTCOME_TOOL_ERROR
                                                                                    : METRICS_OUTCOME_OK;
}

/* The backend has all the calls in progress it may: a refusal the client can act on (MCP_ERROR_SERVER_BUSY,
 * with the seconds to wait), not a failure of the server. */
static int reply_busy(McpRequest *req, const char *name) {
        _cleanup_free_ char *message = NULL;
        if (asprintf(&message, "The server %s has too many requests in progress; try again in %d s.", name,
                    MCP_SERVER_BUSY_RETRY_AFTER) < 0)
                message = NULL;
        json_object *data = json_object_new_object();
        if (data)
                json_object_object_add(data, "retryAfter", json_object_new_int(MCP_SERVER_BUSY_RETRY_AFTER));
        return mcp_request_reply_error_data(req, MCP_ERROR_SERVER_BUSY,
                message ?: "The server has too many requests in progress; try again shortly.", data);
}

static void reply_failure(Forward *f, BackendFailure failure, const char *message) {
        const char *name = f->backend->config->name;
        switch (failure) {
        case BACKEND_GONE:
                mcp_request_reply_error(f->req, JSONRPC_INTERNAL_ERROR,
                        "The server %s stopped before it answered this request; other requests are not affected. Try again.",
                        name);
                record(f, METRICS_OUTCOME_UNAVAILABLE);
                break;
        case BACKEND_TIMEOUT:
                mcp_request_reply_error(f->req, JSONRPC_INTERNAL_ERROR, "The server %s did not answer within %llu s.",
                        name, (unsigned long long) (f->backend->config->timeout_usec / USEC_PER_SEC));
                record(f, METRICS_OUTCOME_TIMEOUT);
                break;
        case BACKEND_BUSY:
                reply_busy(f->req, name);
                record(f, METRICS_OUTCOME_UNAVAILABLE);
                break;
        default:
                mcp_request_reply_error(f->req, JSONRPC_INTERNAL_ERROR, "The server %s is unavailable: %s", name,
                        strempty(message));
                record(f, METRICS_OUTCOME_UNAVAILABLE);
        }
}

static void on_reply(BackendCall *call, json_object *response, BackendFailure failure, const char *message,
        void *userdata) {
        Forward *f = userdata;
        mcp_request_on_cancel(f->req, NULL, NULL);
        f->call = NULL;
        if (failure != BACKEND_OK)
                reply_failure(f, failure, message);
        else {
                if (response && f->backend->gateway->guard)
                        guard_filter_response(f->backend->gateway->guard, response, f->tool);
                if (response)
                        gateway_auth_filter_list(response, mcp_request_get_method(f->req), f->backend->config->name,
                                mcp_request_get_scopes(f->req));
                MetricsOutcome outcome = response ? outcome_of(response) : METRICS_OUTCOME_ERROR;
                json_object *result = json_get_object(response, "result");
                if (f->cache_ttl > 0 && outcome == METRICS_OUTCOME_OK &&
                        streq(json_get_string(result, "resultType") ?: "complete", "complete"))
                        (void) result_cache_put(f->backend->gateway->results, f->cache_key, result,
                                f->started + f->cache_ttl);
                record(f, outcome);
                mcp_request_reply_raw(f->req, response);
        }
        forward_free(f);
}

static void on_notify(BackendCall *call, json_object *notification, void *userdata) {
        Forward *f = userdata;
        /* The client's log level, where the gateway keeps it (/mcp), applies to what backends log. */
        if (streq_ptr(json_get_string(notification, "method"), "notifications/message")) {
                McpLogLevel level =
                        mcp_log_level_from_string(json_get_string(json_get_object(notification, "params"), "level"));
                if (level >= 0 && !mcp_request_log_enabled(f->req, level))
                        return;
        }
        if (f->backend->gateway->guard)
                guard_filter_notification(f->backend->gateway->guard, notification);
        (void) mcp_request_forward(f->req, notification);
}

static void on_answer(McpRequest *req, json_object *result, json_object *error, void *userdata) {
        Question *q = userdata;
        json_object *response;

        question_unlink(q);
        if (!q->question) { /* answered when the request ended */
                json_object_put(q->id);
                free(q);
                return;
        }

        if (error) {
                json_object *code = NULL, *data = NULL;
                json_object_object_get_ex(error, "code", &code);
                json_object_object_get_ex(error, "data", &data);
                response = jsonrpc_error_new(q->id, code ? json_object_get_int(code) : JSONRPC_INTERNAL_ERROR,
                        json_get_string(error, "message") ?: "The client did not answer.", json_object_get(data));
        } else
                response = jsonrpc_result_new(q->id, json_object_get(result));

        q->question->answer(q->question, response);
        json_object_put(q->id);
        free(q);
}

static int on_ask(BackendCall *call, BackendQuestion *question, json_object *request, void *userdata) {
        Forward *f = userdata;
        json_object *params = json_get_object(request, "params");
        json_object *id = NULL;
        json_object_object_get_ex(request, "id", &id);

        Question *q = new0(Question, 1);
        if (!q)
                return -ENOMEM;
        q->question = question;
        q->id = json_object_get(id);
        int r = mcp_request_ask_raw(f->req, json_get_string(request, "method"), params ? json_object_get(params) : NULL,
                on_answer, q);
        if (r < 0) {
                json_object_put(q->id);
                free(q);
                return r;
        }
        q->forward = f;
        q->next = f->questions;
        f->questions = q;
        return 0;
}

static void on_close_stream(BackendCall *call, uint64_t retry_ms, void *userdata) {
        Forward *f = userdata;
        (void) mcp_request_close_stream(f->req, retry_ms);
}

static const BackendCallOps forward_ops = {
        .reply = on_reply,
        .notify = on_notify,
        .ask = on_ask,
        .close_stream = on_close_stream,
};

static void on_cancel(McpRequest *req, void *userdata) {
        Forward *f = userdata;
        backend_call_cancel(TAKE_PTR(f->call));
        /* The client's choice, not a failure: a listen stream it closed ends here too. */
        record(f, METRICS_OUTCOME_CANCELLED);
        forward_free(f);
}

/* The tools/list entry of the backend's tool name, or NULL. */
static json_object *backend_tool(Backend *b, const char *name) {
        for (size_t i = 0; name && b->tools && i < json_object_array_length(b->tools); i++) {
                json_object *t = json_object_array_get_idx(b->tools, i);
                if (streq_ptr(json_get_string(t, "name"), name))
                        return t;
        }
        return NULL;
}

/* A tools/call of a tool whose results may be reused: answered from the cache when the same caller asked the
 * same within the tool's lifetime (1), or marked to keep the answer it gets (0). */
static int forward_from_cache(Forward *f, json_object *message) {
        Gateway *g = f->backend->gateway;
        json_object *params = json_get_object(message, "params");
        if (!g->results || json_object_object_get_ex(params, "inputResponses", NULL) ||
                json_object_object_get_ex(params, "requestState", NULL))
                return 0;
        const char *name = json_get_string(params, "name");
        uint64_t ttl = result_cache_ttl_of(backend_tool(f->backend, name));
        if (ttl == 0 ||
                result_cache_key(f->backend->config->name, name, mcp_request_get_principal(f->req),
                        mcp_request_get_scopes(f->req), json_get_object(params, "arguments"), f->cache_key) < 0)
                return 0;

        _cleanup_json_ json_object *result = result_cache_get(g->results, f->cache_key, f->started);
        metrics_result_cache(g->metrics, f->tool, result != NULL);
        if (!result) {
                f->cache_ttl = ttl;
                return 0;
        }
        _cleanup_json_ json_object *response = jsonrpc_result_new(NULL, TAKE_PTR(result));
        if (!response)
                return 0;
        record(f, METRICS_OUTCOME_OK);
        mcp_request_reply_raw(f->req, TAKE_PTR(response));
        return 1;
}

int forward_request(McpRequest *req, Backend *b, json_object *message, const char *session,
        const char *protocol_version, json_object *capabilities) {

        Forward *f = new0(Forward, 1);
        if (!f)
                return -ENOMEM;
        f->req = mcp_request_ref(req);
        f->backend = b;
        f->started = now_usec();
        const char *method = mcp_request_get_method(req);
        if (method && streq(method, "tools/call")) {
                const char *tool = json_get_string(mcp_request_get_params(req), "name");
                f->tool = tool ? strdup(tool) : NULL;
        }
        /* For the audit record (rate limits were taken at the HTTP edge, guard_authorize()). */
        if (f->tool)
                f->arguments = json_object_get(json_get_object(mcp_request_get_params(req), "arguments"));
        if (f->tool && forward_from_cache(f, message) > 0) {
                forward_free(f);
                return 0;
        }

        BackendCaller caller = {
                .principal = mcp_request_get_principal(req),
                .scopes = mcp_request_get_scopes(req),
        };
        caller.pid = mcp_request_get_process(req, &caller.uid);
        int r = backend_call(b, message, session, &caller, protocol_version, capabilities, &forward_ops, f, &f->call);
        if (r == -EBUSY) {
                record(f, METRICS_OUTCOME_UNAVAILABLE);
                forward_free(f);
                return reply_busy(req, b->config->name);
        }
        if (r < 0) {
                forward_free(f);
                return r;
        }
        mcp_request_on_cancel(req, on_cancel, f);
        return 0;
}
