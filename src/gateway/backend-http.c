/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* HTTP backends: a remote MCP server over Streamable HTTP (2025-11-25 with sessions, or the 2026-07-28 wire
 * without), through libcurl's multi interface on the gateway's event loop. Each gateway session has its own
 * session at the remote; what the remote sends on a request's stream goes to that call, what it sends on the
 * session's GET stream goes to the gateway session. This file: calls, cancellation, notifications, questions
 * and the transport; sessions are in backend-http-session.c, tools and health in backend-http-list.c, one
 * request in http-transfer.c. */
#include "backend-http-internal.h"
#include "jsonrpc.h"
#include "log.h"
#include "mcp-protocol.h"
#include "mcp-session.h" /* now_usec() */

static int call_route(HttpCall *hc);

/* --- questions from the remote --------------------------------------------------------------------- */

struct HttpQuestion {
        BackendQuestion question;
        HttpBackend *owner; /* NULL once the backend is gone */
        LIST_FIELDS(HttpQuestion);
        char *session;
};

static void question_free(HttpQuestion *q) {
        if (!q)
                return;
        if (q->owner)
                LIST_REMOVE(q->owner->questions, q);
        free(q->session);
        free(q);
}

static void question_answer(BackendQuestion *bq, json_object *response) {
        HttpQuestion *q = (HttpQuestion *) bq;
        _cleanup_json_ json_object *r = response;
        /* The remote waits for it on its request's stream; the answer is a POST of its own (202). */
        if (q->owner && r)
                (void) post_side(q->owner, q->session, r);
        question_free(q);
}

static HttpQuestion *question_new(HttpBackend *h, const char *session) {
        HttpQuestion *q = new0(HttpQuestion, 1);
        if (!q)
                return NULL;
        q->question.answer = question_answer;
        if (session && !(q->session = strdup(session))) {
                free(q);
                return NULL;
        }
        q->owner = h;
        LIST_PREPEND(h->questions, q);
        return q;
}

/* --- calls ----------------------------------------------------------------------------------------- */

static HttpCall *http_call_free(HttpCall *hc) {
        if (!hc)
                return NULL;
        if (hc->waiting_on) {
                HttpCall **p = &hc->waiting_on->waiting;
                while (*p && *p != hc)
                        p = &(*p)->wait_next;
                if (*p)
                        *p = hc->wait_next;
        }
        LIST_REMOVE(hc->owner->calls, hc);
        transfer_free(hc->transfer);
        endpoint_bind_call(hc, NULL);
        sd_event_source_disable_unref(hc->timer);
        json_object_put(hc->pending);
        json_object_put(hc->message);
        json_object_put(hc->capabilities);
        free(hc->protocol_version);
        free(hc->last_event_id);
        free(hc);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(HttpCall *, http_call_free);

/* response is taken; message must outlive hc. */
void call_finish(HttpCall *hc, json_object *response, BackendFailure failure, const char *message) {
        BackendCall *c = hc->call;
        c->transport_data = NULL;
        http_call_free(hc);
        backend_call_finish(c, response, failure, message);
}

static bool call_time_left(HttpCall *hc, uint64_t *ret) {
        uint64_t now = now_usec();
        if (now >= hc->deadline)
                return false;
        *ret = hc->deadline - now;
        return true;
}

static void call_ask(HttpCall *hc, json_object *request, json_object *id) {
        BackendCall *c = hc->call;
        HttpBackend *h = hc->owner;

        HttpQuestion *q = question_new(h, c->session);
        int r = !q ? -ENOMEM : c->ops->ask ? c->ops->ask(c, &q->question, request, c->userdata) : -EOPNOTSUPP;
        if (r >= 0)
                return; /* q is the gateway's now, and may be gone already */
        question_free(q);

        /* The remote waits for an answer: tell it there will be none. */
        _cleanup_json_ json_object *e = jsonrpc_errorf_new(id, JSONRPC_INTERNAL_ERROR,
                "The gateway could not pass the request on to its client: %s", strerror(-r));
        if (e)
                (void) post_side(h, c->session, e);
}

static void on_call_message(Transfer *t, json_object *m) {
        HttpCall *hc = t->userdata;
        BackendCall *c = hc->call;
        JsonRpcMessage rpc;
        const char *reason;

        if (jsonrpc_classify(m, &rpc, &reason) < 0) {
                log_debug("Backend %s sent a message that is not JSON-RPC: %s", c->backend->config->name, reason);
                return;
        }
        switch (rpc.kind) {
        case JSONRPC_NOTIFICATION:
                if (c->ops->notify)
                        c->ops->notify(c, m, c->userdata);
                break;
        case JSONRPC_REQUEST:
                call_ask(hc, m, rpc.id);
                break;
        case JSONRPC_RESPONSE:
                break; /* to another request: not ours to pass on */
        }
}

static void call_resume_later(HttpCall *hc, uint64_t delay);

/* The connection to hc's endpoint was refused (or never made): the endpoint is taken out, and hc goes to
 * another, once. A session there is gone with it, as with a server that started again: a session of /mcp
 * starts over elsewhere; a client's own session is told that it was not found, and initializes again. */
static bool call_move(HttpCall *hc, const char *why) {
        BackendCall *c = hc->call;
        HttpEndpoint *failed = hc->endpoint;
        endpoint_failed(failed, why);
        if (hc->moved)
                return false;
        hc->moved = true;

        if (c->session && !hc->initialize) {
                RemoteSession *s = session_find(hc->owner, c->session);
                if (s && s->endpoint == failed)
                        session_drop(s, BACKEND_GONE, "the endpoint that held the session went away");
                if (hc->protocol_version)
                        return call_route(hc) >= 0;
                call_finish(hc, session_not_found_new(hc->id), BACKEND_OK, NULL);
                return true;
        }
        return call_send(hc) >= 0; /* to another endpoint than failed, if there is one */
}

static bool endpoint_other_usable(HttpBackend *h, const HttpEndpoint *e) {
        LIST_FOREACH(o, h->endpoints)
        if (o != e && endpoint_usable(o))
                return true;
        return false;
}

/* hc's endpoint answered HTTP 503: it did not take the request, being full (sessions, requests in progress,
 * request bodies) or on its way out. A call of no session at the remote (the wire without sessions, or an
 * initialize) goes to another usable endpoint, once. The endpoint stays in: a full server is not a gone one,
 * and one that stops refuses connections next, which takes it out; its /readyz says 503 meanwhile. Otherwise
 * the client may try again: MCP_ERROR_SERVER_BUSY with the seconds of the remote's Retry-After (bounded),
 * which the wire without sessions answers with 503 and Retry-After. */
static void call_busy(HttpCall *hc, Transfer *t) {
        BackendCall *c = hc->call;
        const char *name = c->backend->config->name;
        curl_off_t after = 0;
        (void) sym_curl_easy_getinfo(t->easy, CURLINFO_RETRY_AFTER, &after);
        int seconds = after > 0 ? (int) MIN(after, (curl_off_t) BUSY_RETRY_AFTER_MAX) : MCP_SERVER_BUSY_RETRY_AFTER;

        if ((!c->session || hc->initialize) && !hc->moved && endpoint_other_usable(hc->owner, hc->endpoint)) {
                log_debug("Backend %s: endpoint %s is busy (HTTP status 503); the call goes to another.", name,
                        hc->endpoint->name);
                hc->moved = true;
                if (call_send(hc) >= 0)
                        return;
        }

        char message[256];
        snprintf(message, sizeof(message), "The server %s is busy (HTTP status 503); try again in %d s.", name,
                seconds);
        json_object *data = json_object_new_object();
        if (data)
                (void) json_object_object_add(data, "retryAfter", json_object_new_int(seconds));
        json_object *e = jsonrpc_error_new(hc->id, MCP_ERROR_SERVER_BUSY, message, data);
        if (!e)
                call_finish(hc, NULL, BACKEND_UNAVAILABLE, "out of memory");
        else
                call_finish(hc, e, BACKEND_OK, NULL);
}

static void on_call_done(Transfer *t, CURLcode result) {
        _cleanup_(transfer_freep) Transfer *owned = t;
        HttpCall *hc = t->userdata;
        BackendCall *c = hc->call;
        hc->transfer = NULL;

        json_object *response;
        BackendFailure failure;
        const char *message;
        Outcome o = transfer_outcome(t, result, &response, &failure, &message);
        if (t->events.last_event_id) {
                free(hc->last_event_id);
                hc->last_event_id = TAKE_PTR(t->events.last_event_id);
        }
        if (t->status == 503 && o != OUTCOME_STREAM_ENDED && (o != OUTCOME_FAILED || result == CURLE_OK)) {
                json_object_put(response);
                call_busy(hc, t);
                return;
        }
        switch (o) {
        case OUTCOME_RESPONSE:
                if (hc->initialize && c->session && response)
                        session_established(hc->endpoint, c->session, t->session_id, response);
                /* Errors from before the remote's engine (HTTP 4xx) may have no id. */
                if (json_object_is_type(response, json_type_object) && hc->id)
                        (void) json_object_object_add(response, "id", json_object_get(hc->id));
                call_finish(hc, response, BACKEND_OK, NULL);
                return;

        case OUTCOME_SESSION_GONE: {
                log_debug("Backend %s: the remote forgot session %s.", c->backend->config->name, c->session);
                RemoteSession *s = session_find(hc->owner, c->session);
                if (s && s->ready && streq_ptr(s->remote_id, t->sent_session))
                        session_drop(s, BACKEND_GONE, "the remote ended the session");
                /* A session of /mcp starts over with the remote (which did not see the request), once. */
                if (hc->protocol_version && !hc->retried) {
                        hc->retried = true;
                        if (call_route(hc) >= 0)
                                return;
                }
                call_finish(hc, session_not_found_new(hc->id), BACKEND_OK, NULL);
                return;
        }

        case OUTCOME_STREAM_ENDED:
                /* SSE polling: the remote closed the stream and resumes it on a GET with Last-Event-ID. The
                 * gateway's client is told to do the same with the gateway when the remote asked for it. */
                if (c->session && !hc->initialize && hc->last_event_id) {
                        if (t->events.has_retry && c->ops->close_stream)
                                c->ops->close_stream(c, t->events.retry_ms, c->userdata);
                        call_resume_later(hc, retry_delay(t, RESUME_DELAY_USEC_DEFAULT));
                        return;
                }
                call_finish(hc, NULL, BACKEND_GONE, "its event stream ended without an answer");
                return;

        case OUTCOME_FAILED:
                if (transfer_never_sent(t, result) && call_move(hc, message))
                        return;
                call_finish(hc, NULL, failure, message);
                return;
        }
}

static const TransferOps call_ops = {
        .message = on_call_message,
        .done = on_call_done,
};

/* -ENOENT: the gateway session has no session at the remote; -ETIME: no time left; -EHOSTUNREACH: no
 * endpoint to send it to. A call that was sent before goes to another endpoint than that time's. */
int call_send(HttpCall *hc) {
        BackendCall *c = hc->call;
        HttpEndpoint *e = NULL;
        Request rq = {
                .method = HTTP_POST,
                .body = hc->message,
                .expect_id = hc->id,
                .principal = c->principal,
                .scopes = c->scopes,
                .backend = c->backend->config->name,
        };
        if (!call_time_left(hc, &rq.timeout_usec))
                return -ETIME;

        if (c->session) {
                if (!hc->initialize) {
                        RemoteSession *s = session_find(hc->owner, c->session);
                        if (!s || !s->ready)
                                return -ENOENT;
                        request_for_session(&rq, s);
                        e = s->endpoint;
                }
        } else {
                /* The wire without sessions names the request's revision, method and target in headers. */
                json_object *params = json_get_object(hc->message, "params");
                rq.protocol_version = json_get_string(json_get_object(params, "_meta"), MCP_META_PROTOCOL_VERSION);
                rq.mcp_method = json_get_string(hc->message, "method");
                rq.mcp_name = json_get_string(params, "name") ?: json_get_string(params, "uri");
        }
        if (!e)
                e = endpoint_choose(hc->owner, hc->endpoint);
        if (!e)
                return -EHOSTUNREACH;
        endpoint_bind_call(hc, e);
        return transfer_new(&e->remote, &rq, &call_ops, hc, &hc->transfer);
}

static int on_call_deferred(sd_event_source *source, void *userdata) {
        HttpCall *hc = userdata;
        hc->timer = sd_event_source_disable_unref(hc->timer);
        json_object *response = TAKE_PTR(hc->pending);
        if (response)
                call_finish(hc, response, BACKEND_OK, NULL);
        else
                call_finish(hc, NULL, BACKEND_UNAVAILABLE, "it has no endpoint: no address of its name is known");
        return 0;
}

static int on_call_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        HttpCall *hc = userdata;
        BackendCall *c = hc->call;
        hc->timer = sd_event_source_disable_unref(hc->timer);

        RemoteSession *s = session_find(hc->owner, c->session);
        Request rq = {
                .method = HTTP_GET,
                .expect_id = hc->id,
                .last_event_id = hc->last_event_id,
        };
        if (!call_time_left(hc, &rq.timeout_usec))
                call_finish(hc, NULL, BACKEND_TIMEOUT, NULL);
        else if (!s || !s->ready)
                call_finish(hc, session_not_found_new(hc->id), BACKEND_OK, NULL);
        else {
                request_for_session(&rq, s);
                endpoint_bind_call(hc, s->endpoint);
                if (transfer_new(&s->endpoint->remote, &rq, &call_ops, hc, &hc->transfer) < 0)
                        call_finish(hc, NULL, BACKEND_UNAVAILABLE, "the request's stream could not be resumed");
        }
        return 0;
}

static void call_resume_later(HttpCall *hc, uint64_t delay) {
        int r = sd_event_add_time_relative(event_of(hc->owner), &hc->timer, CLOCK_MONOTONIC, delay, USEC_PER_MSEC,
                on_call_timer, hc);
        if (r < 0)
                call_finish(hc, NULL, BACKEND_GONE, "its event stream ended and could not be resumed");
}

/* Sends hc, or queues it behind its session's handshake with the remote, which a session of /mcp starts
 * with its first call. -ENOENT: the gateway session has no session at the remote. */
static int call_route(HttpCall *hc) {
        BackendCall *c = hc->call;
        if (!c->session || hc->initialize)
                return call_send(hc);

        RemoteSession *s = session_find(hc->owner, c->session);
        if (s && s->ready && !endpoint_usable(s->endpoint)) {
                /* Its endpoint is out: the session is gone with it, as with a server that started again. */
                session_drop(s, BACKEND_GONE, "the endpoint that held the session went away");
                s = NULL;
        }
        if (!s && hc->protocol_version) {
                HttpEndpoint *e = endpoint_choose(hc->owner, NULL);
                if (!e)
                        return -EHOSTUNREACH;
                int r = session_new(hc->owner, c->session, e, &s);
                if (r < 0)
                        return r;
                r = handshake_start(s, hc->protocol_version, hc->capabilities);
                if (r < 0) {
                        session_drop(s, BACKEND_UNAVAILABLE, NULL);
                        return r;
                }
        }
        if (!s || s->ready)
                return call_send(hc);

        hc->waiting_on = s;
        HttpCall **p = &s->waiting;
        while (*p)
                p = &(*p)->wait_next;
        *p = hc;
        return 0;
}

static int http_call(BackendCall *c, json_object *message, const BackendCaller *caller, const char *protocol_version,
        json_object *capabilities) {
        HttpBackend *h = c->backend->transport_data;

        _cleanup_(http_call_freep) HttpCall *hc = new0(HttpCall, 1);
        if (!hc)
                return -ENOMEM;
        hc->owner = h;
        LIST_PREPEND(h->calls, hc);
        hc->call = c;
        hc->message = json_object_get(message);
        json_object_object_get_ex(message, "id", &hc->id);
        hc->initialize = streq_ptr(json_get_string(message, "method"), "initialize");
        hc->deadline = now_usec() + c->backend->config->timeout_usec;

        if (c->session && protocol_version) {
                hc->protocol_version = strdup(protocol_version);
                hc->capabilities = json_object_get(capabilities);
                if (!hc->protocol_version)
                        return -ENOMEM;
        }

        int r = call_route(hc);
        if (r == -ENOENT || r == -EHOSTUNREACH) {
                /* Gone at the remote (or never there), or nowhere to send it: answered from the loop, not
                 * from within call(). */
                if (r == -ENOENT && !(hc->pending = session_not_found_new(hc->id)))
                        return -ENOMEM;
                r = sd_event_add_defer(event_of(h), &hc->timer, on_call_deferred, hc);
        }
        if (r < 0)
                return r;
        c->transport_data = TAKE_PTR(hc);
        return 0;
}

static void http_cancel(BackendCall *c, json_object *notification) {
        HttpBackend *h = c->backend->transport_data;
        /* Removing the transfer closes its connection, which on the wire without sessions is the
         * cancellation; with sessions the remote hears of it from the notification. */
        http_call_free(c->transport_data);
        c->transport_data = NULL;
        if (notification && c->session)
                (void) post_side(h, c->session, notification);
}

static int http_notify(Backend *b, const char *session, json_object *notification) {
        if (!session)
                return 0;
        return post_side(b->transport_data, session, notification);
}

/* --- the transport --------------------------------------------------------------------------------- */

static int http_init(Backend *b) {
        /* A remote backend is what has the gateway load libcurl: its addresses are parsed with it too. */
        int r = curl_dlopen();
        if (r < 0)
                return r;
        HttpBackend *h = new0(HttpBackend, 1);
        if (!h)
                return log_oom();
        b->transport_data = h;
        h->backend = b;
        h->sessions = hashmap_new();
        if (!h->sessions)
                return log_oom();
        if (b->config->bearer_token_credential) {
                /* The gateway's own credential, the same for every endpoint: a client's token is never passed
                 * on. */
                HttpRemote reader = {};
                r = http_remote_set_bearer_token(&reader, b->config->bearer_token_credential);
                h->authorization = TAKE_PTR(reader.authorization);
                if (r < 0)
                        return log_error_errno(r, "Backend %s: failed to read its token from %s%s: %s", b->config->name,
                                b->config->bearer_token_credential[0] == '/' ? "" : "the credential ",
                                b->config->bearer_token_credential,
                                r == -EBADMSG ? "it is not one line of visible ASCII"
                                        : r == -ENOENT && b->config->bearer_token_credential[0] != '/'
                                        ? "there is no such credential (LoadCredential= in the unit)"
                                        : strerror(-r));
        }

        if (b->config->resolve_addresses)
                /* The endpoints come with the names' addresses; the tools are listed once there is one. */
                return resolve_start(h);
        for (char **url = b->config->urls; *url; url++) {
                r = endpoint_new(h, *url, NULL, NULL);
                if (r == -ENOMEM)
                        return log_oom();
                if (r < 0)
                        return log_error_errno(r, "Failed to set up libcurl for %s: %m", *url);
        }

        /* /mcp offers its tools as soon as it answers. */
        r = http_list_tools(b);
        if (r < 0)
                log_warning_errno(r, "Failed to list the tools of %s: %m", b->config->name);
        return 0;
}

static void http_done(Backend *b) {
        HttpBackend *h = b->transport_data;

        /* Calls still here are dropped without an answer, as the gateway stops. */
        while (h->calls) {
                h->calls->call->transport_data = NULL;
                http_call_free(h->calls);
        }
        RemoteSession *s;
        size_t i = 0;
        while (hashmap_iterate(h->sessions, &i, (void **) &s, NULL)) {
                hashmap_remove(h->sessions, s->id);
                session_free(s);
        }
        hashmap_free(h->sessions);
        for (HttpQuestion *q = h->questions, *next; q; q = next) {
                next = q->next;
                q->owner = NULL; /* answered later into the void */
        }
        listing_free(h->listing);
        resolve_done(h);
        while (h->endpoints)
                endpoint_free(h->endpoints);
        if (h->authorization)
                explicit_bzero(h->authorization, strlen(h->authorization));
        free(h->authorization);
        free(h);
        b->transport_data = NULL;
}

const BackendTransport backend_http_transport = {
        .init = http_init,
        .done = http_done,
        .call = http_call,
        .cancel = http_cancel,
        .notify = http_notify,
        .end_session = http_end_session,
        .check_health = http_check_health,
        .list_tools = http_list_tools,
        .describe = http_describe,
};
