/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One request in flight: its context, and what a handler does with it. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "log.h"
#include "mcp-content.h"
#include "mcp-internal.h"
#include "mcp-limits.h"

int mcp_request_new(McpExchange *x, json_object *message, const JsonRpcMessage *m, McpRequest **ret) {
        assert(x);
        assert(m);
        assert(ret);

        _cleanup_(mcp_request_unrefp) McpRequest *req = new0(McpRequest, 1);
        if (!req)
                return -ENOMEM;

        req->n_ref = 1;
        req->server = x->server;
        req->message = json_object_get(message);
        req->id = m->id;
        req->method = m->method;
        req->params = m->params;
        req->id_key = strdup(json_to_string(m->id));
        if (!req->id_key)
                return -ENOMEM;
        req->log_level = MCP_LOG_DEBUG; /* a session's level applies on the session wire */
        const char *principal = x->ops->principal ? x->ops->principal(x->userdata) : NULL;
        if (principal && !(req->principal = strdup(principal)))
                return -ENOMEM;
        const char *scopes = x->ops->scopes ? x->ops->scopes(x->userdata) : NULL;
        if (scopes && !(req->scopes = strdup(scopes)))
                return -ENOMEM;
        if (x->ops->process)
                req->process = x->ops->process(x->userdata, &req->process_uid);
        const char *sender = NULL;
        sd_bus *bus = x->ops->bus ? x->ops->bus(x->userdata, &sender) : NULL;
        if (bus) {
                if (sender && !(req->bus_sender = strdup(sender)))
                        return -ENOMEM;
                req->bus = sd_bus_ref(bus);
        }

        json_object *meta = json_get_object(m->params, "_meta");
        json_object *token;
        if (meta && json_object_object_get_ex(meta, "progressToken", &token) &&
                (json_object_is_type(token, json_type_string) || json_object_is_type(token, json_type_int)))
                req->progress_token = token;

        if (x->session) {
                McpSession *session = x->session;
                if (hashmap_size(session->requests) >= MCP_MAX_REQUESTS_IN_FLIGHT)
                        return -EBUSY;
                int r = hashmap_put(session->requests, req->id_key, req);
                if (r < 0)
                        return r;
                req->session = mcp_session_ref(session);
                req->protocol_version = session->version ? strdup(session->version) : NULL;
                req->client_capabilities = json_object_get(session->client_capabilities);
        }

        /* The exchange's pending list holds the engine's reference until the request is done. */
        req->exchange = x;
        req->exchange_next = x->requests;
        if (x->requests)
                x->requests->exchange_prev = req;
        x->requests = req;
        x->n_pending++;
        mcp_request_ref(req);

        *ret = TAKE_PTR(req);
        return 0;
}

static McpRequest *request_free(McpRequest *req) {
        assert(!req->exchange);
        if (req->session) {
                if (hashmap_get(req->session->requests, req->id_key) == req)
                        hashmap_remove(req->session->requests, req->id_key);
                mcp_session_unref(req->session);
        }
        json_object_put(req->message);
        json_object_put(req->client_capabilities);
        json_object_put(req->state_answers);
        json_object_put(req->used_answers);
        json_object_put(req->input_requests);
        free(req->protocol_version);
        free(req->principal);
        free(req->scopes);
        free(req->bus_sender);
        sd_bus_unref(req->bus);
        json_object_put(req->pending_variables);
        free(req->id_key);
        free(req);
        return NULL;
}

McpRequest *mcp_request_ref(McpRequest *req) {
        if (req)
                req->n_ref++;
        return req;
}

McpRequest *mcp_request_unref(McpRequest *req) {
        if (!req)
                return NULL;
        assert(req->n_ref > 0);
        if (--req->n_ref == 0)
                request_free(req);
        return NULL;
}

McpServer *mcp_request_get_server(McpRequest *req) {
        return req->server;
}

McpSession *mcp_request_get_session(McpRequest *req) {
        return req->session;
}

sd_event *mcp_request_get_event(McpRequest *req) {
        return req->server->event;
}

const char *mcp_request_get_method(McpRequest *req) {
        return req->method;
}

const char *mcp_request_get_tool_name(McpRequest *req) {
        return req->tool ? req->tool->name : NULL;
}

const char *mcp_request_get_protocol_version(McpRequest *req) {
        return req->protocol_version;
}

const char *mcp_request_get_progress_token(McpRequest *req) {
        return req->progress_token ? json_object_get_string(req->progress_token) : NULL;
}

bool mcp_request_client_supports(McpRequest *req, const char *capability) {
        /* "elicitation.form" looks up capabilities.elicitation.form. */
        json_object *o = req->client_capabilities;
        _cleanup_free_ char *path = strdup(capability);
        if (!o || !path)
                return false;

        char *save = NULL;
        for (char *part = strtok_r(path, ".", &save); part; part = strtok_r(NULL, ".", &save))
                if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, part, &o))
                        return false;
        return true;
}

bool mcp_request_is_done(McpRequest *req) {
        return req->done;
}

bool mcp_request_is_cancelled(McpRequest *req) {
        return req->cancelled;
}

static void request_cancel_sleeps(McpRequest *req);

static void request_finish(McpRequest *req, json_object *reply) {
        McpExchange *x = req->exchange;
        if (req->cancelled) {
                /* A cancelled request is never answered. */
                json_object_put(reply);
                reply = NULL;
        }
        req->done = true;
        if (req->session && hashmap_get(req->session->requests, req->id_key) == req)
                hashmap_remove(req->session->requests, req->id_key);
        /* Timers, pending answers and subscriptions of a finished request have nothing left to do. */
        request_cancel_sleeps(req);
        mcp_mrtr_done(req);
        mcp_subscriptions_forget(req);
        mcp_exchange_complete(x, req, reply);
        mcp_request_unref(req); /* the exchange's reference */
}

int mcp_request_reply(McpRequest *req, json_object *result) {
        _cleanup_json_ json_object *r = result;
        assert(req);

        if (req->done)
                return -ESTALE;
        if (!r)
                return mcp_request_reply_errno(req, -ENOMEM);

        if (req->stateless)
                mcp_stateless_decorate_result(req, r);
        json_object *reply = jsonrpc_result_new(req->id, TAKE_PTR(r));
        if (!reply)
                return mcp_request_reply_errno(req, -ENOMEM);
        request_finish(req, reply);
        return 0;
}

int mcp_request_reply_error_data(McpRequest *req, int code, const char *message, json_object *data) {
        _cleanup_json_ json_object *d = data;

        if (req->done)
                return -ESTALE;
        json_object *reply = jsonrpc_error_new(req->id, code, message, TAKE_PTR(d));
        request_finish(req, reply ?: jsonrpc_error_new(req->id, JSONRPC_INTERNAL_ERROR, "Out of memory", NULL));
        return 0;
}

static int reply_errorv(McpRequest *req, int code, const char *format, va_list ap) {
        _cleanup_free_ char *message = NULL;
        if (vasprintf(&message, format, ap) < 0)
                message = NULL;
        return mcp_request_reply_error_data(req, code, message ?: "Out of memory", NULL);
}

int mcp_request_reply_error(McpRequest *req, int code, const char *format, ...) {
        va_list ap;
        va_start(ap, format);
        int r = reply_errorv(req, code, format, ap);
        va_end(ap);
        return r;
}

int mcp_request_reply_errno(McpRequest *req, int error) {
        if (error == -ENOMEM)
                return mcp_request_reply_error(req, JSONRPC_INTERNAL_ERROR, "Internal error: out of memory");
        if (req->tool)
                return mcp_request_reply_tool_error(req, "%s failed: %s", req->tool->name, strerror(abs(error)));
        return mcp_request_reply_error(req, JSONRPC_INTERNAL_ERROR, "Internal error: %s", strerror(abs(error)));
}

int mcp_request_reply_content(McpRequest *req, json_object *content, json_object *structured, bool is_error) {
        _cleanup_json_ json_object *c = content, *sc = structured;
        _cleanup_json_ json_object *result = json_object_new_object();

        if (!result || !c || json_add(result, "content", TAKE_PTR(c)) < 0)
                return mcp_request_reply_errno(req, -ENOMEM);
        if (sc && json_add(result, "structuredContent", TAKE_PTR(sc)) < 0)
                return mcp_request_reply_errno(req, -ENOMEM);
        if (is_error && json_add(result, "isError", json_object_new_boolean(true)) < 0)
                return mcp_request_reply_errno(req, -ENOMEM);
        return mcp_request_reply(req, TAKE_PTR(result));
}

static int reply_textv(McpRequest *req, bool is_error, const char *format, va_list ap) {
        _cleanup_free_ char *text = NULL;
        if (vasprintf(&text, format, ap) < 0)
                return mcp_request_reply_errno(req, -ENOMEM);
        return mcp_request_reply_content(req, JSON_ARRAY(mcp_content_text(text)), NULL, is_error);
}

int mcp_request_reply_text(McpRequest *req, const char *format, ...) {
        va_list ap;
        va_start(ap, format);
        int r = reply_textv(req, false, format, ap);
        va_end(ap);
        return r;
}

int mcp_request_reply_tool_error(McpRequest *req, const char *format, ...) {
        va_list ap;
        va_start(ap, format);
        int r = reply_textv(req, true, format, ap);
        va_end(ap);
        return r;
}

int mcp_request_send(McpRequest *req, json_object *message) {
        if (req->done || !req->exchange)
                return -ESTALE;
        McpExchange *x = req->exchange;
        return x->ops->send(x->userdata, message);
}

int mcp_request_progress(McpRequest *req, double progress, double total, const char *message) {
        if (!req->progress_token)
                return 0;

        _cleanup_json_ json_object *params = json_object_new_object();
        if (!params || json_add(params, "progressToken", json_object_get(req->progress_token)) < 0)
                return -ENOMEM;
        /* Whole numbers go out as integers, which is what clients compare against. */
        if (json_add(params, "progress",
                    progress == floor(progress) ? json_object_new_int64((int64_t) progress)
                                                : json_object_new_double(progress)) < 0)
                return -ENOMEM;
        if (total >= 0 &&
                json_add(params, "total",
                        total == floor(total) ? json_object_new_int64((int64_t) total)
                                              : json_object_new_double(total)) < 0)
                return -ENOMEM;
        if (message && json_add_string(params, "message", message) < 0)
                return -ENOMEM;

        _cleanup_json_ json_object *n = jsonrpc_notification_new("notifications/progress", TAKE_PTR(params));
        if (!n)
                return -ENOMEM;
        return mcp_request_send(req, n);
}

bool mcp_request_log_enabled(McpRequest *req, McpLogLevel level) {
        if (req->session && level < req->session->log_level)
                return false;
        return level >= req->log_level; /* stateless: the level the request asked for, if any */
}

int mcp_request_log(McpRequest *req, McpLogLevel level, const char *logger, json_object *data) {
        _cleanup_json_ json_object *d = data;

        if (!mcp_request_log_enabled(req, level))
                return 0;

        _cleanup_json_ json_object *params = json_object_new_object();
        if (!params || json_add_string(params, "level", mcp_log_level_to_string(level)) < 0)
                return -ENOMEM;
        if (logger && json_add_string(params, "logger", logger) < 0)
                return -ENOMEM;
        if (json_add(params, "data", d ? TAKE_PTR(d) : json_object_new_null()) < 0)
                return -ENOMEM;

        _cleanup_json_ json_object *n = jsonrpc_notification_new("notifications/message", TAKE_PTR(params));
        if (!n)
                return -ENOMEM;
        return mcp_request_send(req, n);
}

int mcp_request_logf(McpRequest *req, McpLogLevel level, const char *format, ...) {
        _cleanup_free_ char *text = NULL;
        va_list ap;
        va_start(ap, format);
        int r = vasprintf(&text, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return mcp_request_log(req, level, NULL, json_object_new_string(text));
}

static const char *capability_of(const char *method) {
        if (streq(method, "sampling/createMessage"))
                return "sampling";
        if (streq(method, "elicitation/create"))
                return "elicitation";
        if (streq(method, "roots/list"))
                return "roots";
        return NULL;
}

static int reply_missing_capability(McpRequest *req, const char *capability) {
        _cleanup_json_ json_object *data = json_object_new_object(), *required = json_object_new_object();
        if (!data || !required || json_add(required, capability, json_object_new_object()) < 0 ||
                json_add(data, "requiredCapabilities", TAKE_PTR(required)) < 0)
                return -ENOMEM;
        _cleanup_free_ char *message = NULL;
        if (asprintf(&message, "Missing required client capability: %s is needed and the client did not declare it",
                    capability) < 0)
                return -ENOMEM;
        (void) mcp_request_reply_error_data(req, MCP_ERROR_MISSING_CAPABILITY, message, TAKE_PTR(data));
        return -ESTALE;
}

static int ask_session(McpRequest *req, const char *method, json_object *params, McpAnswerHandler answer,
        void *userdata) {
        _cleanup_json_ json_object *p = params;

        _cleanup_free_ Ask *ask = new0(Ask, 1);
        if (!ask)
                return -ENOMEM;
        uint64_t id = req->server->next_ask_id++;
        snprintf(ask->key, sizeof(ask->key), "%" PRIu64, id);

        _cleanup_json_ json_object *m = jsonrpc_request_new(json_object_new_int64((int64_t) id), method, TAKE_PTR(p));
        if (!m)
                return -ENOMEM;

        int r = hashmap_put(req->session->asks, ask->key, ask);
        if (r < 0)
                return r;

        r = mcp_request_send(req, m);
        if (r < 0) {
                hashmap_remove(req->session->asks, ask->key);
                return r;
        }

        ask->req = mcp_request_ref(req);
        ask->answer = answer;
        ask->userdata = userdata;
        TAKE_PTR(ask);
        return 0;
}

int mcp_request_ask_named(McpRequest *req, const char *key, const char *method, json_object *params,
        McpAnswerHandler answer, void *userdata) {
        _cleanup_json_ json_object *p = params;

        assert(req);
        assert(key);
        assert(method);
        assert(answer);

        if (req->done)
                return -ESTALE;
        req->n_asks++;

        /* Asking for what the client cannot do ends the request with MissingRequiredClientCapability. */
        const char *capability = capability_of(method);
        if (capability && !mcp_request_client_supports(req, capability))
                return reply_missing_capability(req, capability);

        if (req->stateless) {
                _cleanup_json_ json_object *question = json_object_new_object();
                if (!question || json_add_string(question, "method", method) < 0 ||
                        json_add(question, "params", TAKE_PTR(p) ?: json_object_new_object()) < 0)
                        return -ENOMEM;
                return mcp_mrtr_ask(req, key, TAKE_PTR(question), answer, userdata);
        }
        if (!req->session)
                return -EOPNOTSUPP;
        return ask_session(req, method, TAKE_PTR(p), answer, userdata);
}

int mcp_request_ask(McpRequest *req, const char *method, json_object *params, McpAnswerHandler answer, void *userdata) {
        /* Keys by order of asking: a handler that runs again asks the same things in the same order. */
        char key[32];
        snprintf(key, sizeof(key), "ask%u", req->n_asks + 1);
        return mcp_request_ask_named(req, key, method, params, answer, userdata);
}

bool mcp_request_is_resumed(McpRequest *req) {
        return req->resumed;
}

void mcp_request_on_cancel(McpRequest *req, void (*cancel)(McpRequest *req, void *userdata), void *userdata) {
        req->cancel = cancel;
        req->cancel_userdata = userdata;
}

void mcp_request_cancel(McpRequest *req) {
        if (req->done)
                return;

        /* Keep req alive through the handler's callback and the exchange's completion. */
        _cleanup_(mcp_request_unrefp) McpRequest *ref = mcp_request_ref(req);
        req->cancelled = true;
        if (req->cancel)
                req->cancel(req, req->cancel_userdata);
        if (!req->done)
                request_finish(req, NULL);
}

int mcp_request_close_stream(McpRequest *req, uint64_t retry_ms) {
        if (req->done || !req->exchange)
                return -ESTALE;
        McpExchange *x = req->exchange;
        if (!x->ops->close_stream)
                return -EOPNOTSUPP;
        return x->ops->close_stream(x->userdata, retry_ms);
}

struct Sleep {
        Sleep *next;
        sd_event_source *source;
        McpRequest *req;
        void (*done)(McpRequest *req, void *userdata);
        void *userdata;
};

static void sleep_free(Sleep *sl) {
        sd_event_source_disable_unref(sl->source); /* sd-event allows this from the source's own callback */
        mcp_request_unref(sl->req);
        free(sl);
}

static void sleep_unlink(Sleep *sl) {
        for (Sleep **p = &sl->req->sleeps; *p; p = &(*p)->next)
                if (*p == sl) {
                        *p = sl->next;
                        return;
                }
}

static void request_cancel_sleeps(McpRequest *req) {
        while (req->sleeps) {
                Sleep *sl = req->sleeps;
                req->sleeps = sl->next;
                sleep_free(sl);
        }
}

static int on_sleep_done(sd_event_source *source, uint64_t usec, void *userdata) {
        Sleep *sl = userdata;
        sleep_unlink(sl);
        sl->done(sl->req, sl->userdata);
        sleep_free(sl);
        return 0;
}

int mcp_request_sleep(McpRequest *req, uint64_t usec, void (*done)(McpRequest *req, void *userdata), void *userdata) {
        if (req->done)
                return -ESTALE;

        _cleanup_free_ Sleep *sl = new0(Sleep, 1);
        if (!sl)
                return -ENOMEM;

        /* 1 ms accuracy: the default (0) would let sd-event fire up to 250 ms late. */
        int r = sd_event_add_time_relative(req->server->event, &sl->source, CLOCK_MONOTONIC, usec, USEC_PER_MSEC,
                on_sleep_done, sl);
        if (r < 0)
                return r;

        sl->req = mcp_request_ref(req);
        sl->done = done;
        sl->userdata = userdata;
        sl->next = req->sleeps;
        req->sleeps = TAKE_PTR(sl);
        return 0;
}

int mcp_request_reply_raw(McpRequest *req, json_object *response) {
        _cleanup_json_ json_object *m = response;

        if (req->done)
                return -ESTALE;

        json_object *result = NULL, *error = NULL;
        bool is_object = m && json_object_is_type(m, json_type_object);
        if (!is_object ||
                (!json_object_object_get_ex(m, "result", &result) && !json_object_object_get_ex(m, "error", &error))) {
                /* The far side ended the request without an answer: it was cancelled there. */
                req->cancelled = true;
                request_finish(req, NULL);
                return 0;
        }

        if (result && req->session && !req->session->initialized && streq(req->method, "initialize")) {
                const char *version = json_get_string(result, "protocolVersion");
                if (version) {
                        int r = mcp_session_initialize(req->session, version,
                                json_get_object(req->params, "capabilities"),
                                json_get_object(req->params, "clientInfo"));
                        if (r < 0)
                                return mcp_request_reply_errno(req, r);
                }
        }

        if (json_add(m, "id", json_object_get(req->id)) < 0)
                return mcp_request_reply_errno(req, -ENOMEM);
        request_finish(req, TAKE_PTR(m));
        return 0;
}

int mcp_request_forward(McpRequest *req, json_object *message) {
        return mcp_request_send(req, message);
}

int mcp_request_ask_raw(McpRequest *req, const char *method, json_object *params, McpAnswerHandler answer,
        void *userdata) {
        _cleanup_json_ json_object *p = params;

        if (req->done)
                return -ESTALE;
        if (!req->session)
                return -EOPNOTSUPP;
        return ask_session(req, method, TAKE_PTR(p), answer, userdata);
}

json_object *mcp_request_get_params(McpRequest *req) {
        return req->params;
}

const char *mcp_request_get_id(McpRequest *req) {
        return req->id_key;
}

const char *mcp_request_get_principal(McpRequest *req) {
        return req->principal;
}

const char *mcp_request_get_scopes(McpRequest *req) {
        return req->scopes;
}

pid_t mcp_request_get_process(McpRequest *req, uid_t *ret_uid) {
        if (ret_uid)
                *ret_uid = req->process_uid;
        return req->process;
}

sd_bus *mcp_request_get_bus(McpRequest *req, const char **ret_sender) {
        if (ret_sender)
                *ret_sender = req->bus_sender;
        return req->bus;
}

void mcp_request_set_principal(McpRequest *req, const char *principal) {
        char *p = principal ? strdup(principal) : NULL;
        free(req->principal);
        req->principal = p;
}
