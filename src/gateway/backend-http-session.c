/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* HTTP backends: each gateway session's session at the remote (mapped by the gateway's session id), its
 * handshake, its standalone GET stream with reconnects, and its DELETE; and the messages the gateway sends
 * of its own. */
#include <inttypes.h>
#include <stdio.h>

#include "backend-http-internal.h"
#include "jsonrpc.h"
#include "log.h"

/* --- messages of the gateway's own ----------------------------------------------------------------- */

json_object *request_id_new(HttpBackend *h) {
        char id[64];
        snprintf(id, sizeof(id), CLIENT_NAME "-%u", ++h->next_id);
        return json_object_new_string(id);
}

json_object *client_info_new(void) {
        _cleanup_json_ json_object *info = json_object_new_object();
        if (!info || json_add_string(info, "name", CLIENT_NAME) < 0 ||
                json_add_string(info, "version", PROJECT_VERSION) < 0)
                return NULL;
        return TAKE_PTR(info);
}

json_object *initialize_new(HttpBackend *h, const char *version, json_object *capabilities) {
        _cleanup_json_ json_object *params = json_object_new_object();
        if (!params || json_add_string(params, "protocolVersion", version) < 0 ||
                json_add(params, "capabilities",
                        capabilities ? json_object_get(capabilities) : json_object_new_object()) < 0 ||
                json_add(params, "clientInfo", client_info_new()) < 0)
                return NULL;
        return jsonrpc_request_new(request_id_new(h), "initialize", TAKE_PTR(params));
}

json_object *session_not_found_new(json_object *id) {
        return jsonrpc_error_new(id, MCP_ERROR_SESSION_NOT_FOUND, "Session not found", NULL);
}

static void on_side_done(Transfer *t, CURLcode result) {
        if (result != CURLE_OK || t->status >= 300)
                log_debug("Backend %s: a message that needs no answer was not taken: %s (HTTP %ld)", t->owner->name,
                        t->error[0] ? t->error : sym_curl_easy_strerror(result), t->status);
        transfer_free(t);
}

static const TransferOps side_ops = {
        .done = on_side_done,
};

/* --- sessions at the remote ------------------------------------------------------------------------ */

void request_for_session(Request *rq, const RemoteSession *s) {
        rq->session_id = s->remote_id;
        rq->protocol_version = s->version;
}

RemoteSession *session_find(HttpBackend *h, const char *id) {
        return id ? hashmap_get(h->sessions, id) : NULL;
}

RemoteSession *session_free(RemoteSession *s) {
        if (!s)
                return NULL;
        assert(!s->waiting);
        transfer_free(s->handshake);
        transfer_free(s->stream);
        sd_event_source_disable_unref(s->reconnect);
        free(s->id);
        free(s->remote_id);
        free(s->version);
        free(s->stream_event_id);
        json_object_put(s->initialize);
        free(s);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(RemoteSession *, session_free);

int session_new(HttpBackend *h, const char *id, HttpEndpoint *e, RemoteSession **ret) {
        _cleanup_(session_freep) RemoteSession *s = new0(RemoteSession, 1);
        if (!s)
                return -ENOMEM;
        s->owner = h;
        s->endpoint = e;
        s->backoff_usec = STREAM_BACKOFF_USEC_MIN;
        s->id = strdup(id);
        if (!s->id)
                return -ENOMEM;
        int r = hashmap_put(h->sessions, s->id, s);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

/* Forgets the session (the remote's side stays as it is) and fails the calls that waited for it. message
 * must outlive s. */
void session_drop(RemoteSession *s, BackendFailure failure, const char *message) {
        HttpCall *waiting = TAKE_PTR(s->waiting);
        hashmap_remove(s->owner->sessions, s->id);
        session_free(s);

        while (waiting) {
                HttpCall *hc = waiting;
                waiting = hc->wait_next;
                hc->wait_next = NULL;
                hc->waiting_on = NULL;
                call_finish(hc, NULL, failure, message);
        }
}

void sessions_drop_on(HttpEndpoint *e, const char *why) {
        for (;;) {
                RemoteSession *s, *found = NULL;
                size_t i = 0;
                while (!found && hashmap_iterate(e->owner->sessions, &i, (void **) &s, NULL))
                        if (s->endpoint == e)
                                found = s;
                if (!found)
                        return;
                session_drop(found, BACKEND_GONE, why);
        }
}

int post_delete(HttpEndpoint *e, const char *remote_id, const char *version) {
        Request rq = {
                .method = HTTP_DELETE,
                .session_id = remote_id,
                .protocol_version = version,
                .timeout_usec = SIDE_TIMEOUT_USEC,
        };
        return transfer_new(&e->remote, &rq, &side_ops, NULL, NULL);
}

/* Sends a message that needs no answer (a notification, a response to the remote's request) in the
 * session's context. Without a session at the remote there is nobody to tell. */
int post_side(HttpBackend *h, const char *session, json_object *message) {
        Request rq = {
                .method = HTTP_POST,
                .body = message,
                .timeout_usec = SIDE_TIMEOUT_USEC,
        };
        HttpEndpoint *e;
        if (session) {
                RemoteSession *s = session_find(h, session);
                if (!s || !s->ready)
                        return 0;
                request_for_session(&rq, s);
                e = s->endpoint;
        } else if (!(e = endpoint_choose(h, NULL)))
                return 0;
        return transfer_new(&e->remote, &rq, &side_ops, NULL, NULL);
}

static void stream_start(RemoteSession *s);

static int on_reconnect(sd_event_source *source, uint64_t usec, void *userdata) {
        RemoteSession *s = userdata;
        s->reconnect = sd_event_source_disable_unref(s->reconnect);
        stream_start(s);
        return 0;
}

static void stream_reconnect_later(RemoteSession *s, uint64_t delay) {
        if (s->reconnect)
                return;
        int r = sd_event_add_time_relative(event_of(s->owner), &s->reconnect, CLOCK_MONOTONIC, delay, USEC_PER_MSEC,
                on_reconnect, s);
        if (r < 0)
                log_warning_errno(r, "Backend %s: failed to schedule reconnecting a session's stream: %m",
                        s->owner->backend->config->name);
}

/* What the remote sends on the session's stream belongs to no request: notifications go to the gateway
 * session; requests (ping) are answered here, since no client request is there to carry them. */
static void on_stream_message(Transfer *t, json_object *m) {
        RemoteSession *s = t->userdata;
        HttpBackend *h = s->owner;
        JsonRpcMessage rpc;
        const char *reason;

        if (jsonrpc_classify(m, &rpc, &reason) < 0)
                return;
        s->backoff_usec = STREAM_BACKOFF_USEC_MIN;
        if (rpc.kind == JSONRPC_NOTIFICATION) {
                gateway_session_notify(h->backend->gateway, h->backend, s->id, m);
                return;
        }
        if (rpc.kind != JSONRPC_REQUEST)
                return;
        _cleanup_json_ json_object *reply = streq(rpc.method, "ping")
                ? jsonrpc_result_new(rpc.id, json_object_new_object())
                : jsonrpc_errorf_new(rpc.id, JSONRPC_METHOD_NOT_FOUND,
                          "The gateway passes on requests only while a request of its client is in progress: %s",
                          rpc.method);
        if (reply)
                (void) post_side(h, s->id, reply);
}

static void on_stream_done(Transfer *t, CURLcode result) {
        _cleanup_(transfer_freep) Transfer *owned = t;
        RemoteSession *s = t->userdata;
        const char *name = s->owner->backend->config->name;
        s->stream = NULL;
        if (t->events.last_event_id) {
                free(s->stream_event_id);
                s->stream_event_id = TAKE_PTR(t->events.last_event_id);
        }

        long status = result == CURLE_OK ? t->status : 0;
        if (status == 404) {
                log_debug("Backend %s: the remote forgot session %s.", name, s->id);
                session_drop(s, BACKEND_GONE, "the remote ended the session");
                return;
        }
        if (status >= 400 && status < 500 && status != 408 && status != 429) {
                /* 405: the remote has no such stream, which is fine. */
                log_debug("Backend %s offers no stream outside requests (HTTP %ld).", name, status);
                s->no_stream = true;
                return;
        }

        uint64_t delay;
        if (status >= 200 && status < 300) {
                /* The remote ended it: come back when it says. */
                delay = retry_delay(t, STREAM_BACKOFF_USEC_MIN);
                s->backoff_usec = STREAM_BACKOFF_USEC_MIN;
        } else {
                delay = s->backoff_usec;
                s->backoff_usec = MIN(s->backoff_usec * 2, STREAM_BACKOFF_USEC_MAX);
                log_debug("Backend %s: the stream of session %s broke (%s); reconnecting in %" PRIu64 " s.", name,
                        s->id,
                        result != CURLE_OK ? (t->error[0] ? t->error : sym_curl_easy_strerror(result)) : "HTTP error",
                        (uint64_t) (delay / USEC_PER_SEC));
        }
        stream_reconnect_later(s, delay);
}

static const TransferOps stream_ops = {
        .message = on_stream_message,
        .done = on_stream_done,
};

static void stream_start(RemoteSession *s) {
        if (s->stream || s->reconnect || !s->ready || s->no_stream)
                return;
        Request rq = {
                .method = HTTP_GET,
                .last_event_id = s->stream_event_id,
        };
        request_for_session(&rq, s);
        if (transfer_new(&s->endpoint->remote, &rq, &stream_ops, s, &s->stream) < 0)
                stream_reconnect_later(s, s->backoff_usec);
}

/* An initialize succeeded (the client's, through a relay, or ours): requests of the gateway session go to
 * this session at the remote from now on. */
void session_established(HttpEndpoint *e, const char *id, const char *remote_id, json_object *response) {
        HttpBackend *h = e->owner;
        const char *version = json_get_string(json_get_object(response, "result"), "protocolVersion");
        if (!version)
                return; /* refused: no session */

        RemoteSession *s = session_find(h, id);
        if (s && s->ready) {
                /* Initialized again: the old session at the remote is of no use any more. */
                if (s->remote_id)
                        (void) post_delete(s->endpoint, s->remote_id, s->version);
                session_drop(s, BACKEND_UNAVAILABLE, "the session was initialized again");
                s = NULL;
        }
        if (!s && session_new(h, id, e, &s) < 0) {
                log_oom();
                return;
        }
        free(s->remote_id);
        free(s->version);
        s->remote_id = remote_id ? strdup(remote_id) : NULL;
        s->version = strdup(version);
        if ((remote_id && !s->remote_id) || !s->version) {
                log_oom();
                session_drop(s, BACKEND_UNAVAILABLE, "out of memory");
                return;
        }
        s->ready = true;
        stream_start(s);
}

/* The handshake is done: the calls that waited go out. */
static void session_release(RemoteSession *s) {
        HttpCall *waiting = TAKE_PTR(s->waiting);
        while (waiting) {
                HttpCall *hc = waiting;
                waiting = hc->wait_next;
                hc->wait_next = NULL;
                hc->waiting_on = NULL;
                int r = call_send(hc);
                if (r == -ENOENT)
                        call_finish(hc, session_not_found_new(hc->id), BACKEND_OK, NULL);
                else if (r == -ETIME)
                        call_finish(hc, NULL, BACKEND_TIMEOUT, NULL);
                else if (r < 0)
                        call_finish(hc, NULL, BACKEND_UNAVAILABLE, "the request could not be sent");
        }
}

static void on_initialized_done(Transfer *t, CURLcode result) {
        RemoteSession *s = t->userdata;
        s->handshake = NULL;
        transfer_free(t);
        /* Whatever came back: the requests tell whether the session works. */
        s->ready = true;
        stream_start(s);
        session_release(s);
}

static const TransferOps initialized_ops = {
        .done = on_initialized_done,
};

static int handshake_send(RemoteSession *s);

static void on_handshake_done(Transfer *t, CURLcode result) {
        _cleanup_(transfer_freep) Transfer *owned = t;
        RemoteSession *s = t->userdata;
        HttpBackend *h = s->owner;
        s->handshake = NULL;

        json_object *response;
        BackendFailure failure;
        const char *message;
        Outcome o = transfer_outcome(t, result, &response, &failure, &message);
        _cleanup_json_ json_object *owned_response = response;

        const char *version = json_get_string(json_get_object(response, "result"), "protocolVersion");
        if (o == OUTCOME_RESPONSE && version) {
                s->remote_id = TAKE_PTR(t->session_id);
                s->version = strdup(version);
                _cleanup_json_ json_object *n = jsonrpc_notification_new("notifications/initialized", NULL);
                if (!s->version || !n) {
                        session_drop(s, BACKEND_UNAVAILABLE, "out of memory");
                        return;
                }
                Request rq = {
                        .method = HTTP_POST,
                        .body = n,
                        .timeout_usec = SIDE_TIMEOUT_USEC,
                };
                request_for_session(&rq, s);
                if (transfer_new(&s->endpoint->remote, &rq, &initialized_ops, s, &s->handshake) < 0)
                        session_drop(s, BACKEND_UNAVAILABLE, "the session could not be started");
                return;
        }

        if (o == OUTCOME_FAILED && transfer_never_sent(t, result)) {
                /* Refused before anything was sent: the endpoint is out, and the session starts on another,
                 * once. */
                HttpEndpoint *failed = s->endpoint;
                endpoint_failed(failed, message);
                HttpEndpoint *other = s->moved ? NULL : endpoint_choose(h, failed);
                if (other) {
                        s->endpoint = other;
                        s->moved = true;
                        if (handshake_send(s) >= 0)
                                return;
                }
        }

        _cleanup_free_ char *why = NULL;
        if (o == OUTCOME_RESPONSE) {
                const char *m = json_get_string(json_get_object(response, "error"), "message");
                failure = BACKEND_UNAVAILABLE;
                message = asprintf(&why, "it refused to start a session: %s", m ?: "no reason given") < 0 ? NULL : why;
        } else if (o != OUTCOME_FAILED) {
                failure = BACKEND_GONE;
                message = "it did not answer initialize";
        }
        log_debug("Backend %s: failed to start a session for %s: %s", h->backend->config->name, s->id,
                strempty(message));
        session_drop(s, failure, message ?: "it did not start a session");
}

static const TransferOps handshake_ops = {
        .done = on_handshake_done,
};

static int handshake_send(RemoteSession *s) {
        HttpBackend *h = s->owner;
        json_object *id = NULL;
        json_object_object_get_ex(s->initialize, "id", &id);
        Request rq = {
                .method = HTTP_POST,
                .body = s->initialize,
                .expect_id = id,
                .timeout_usec = h->backend->config->timeout_usec,
        };
        return transfer_new(&s->endpoint->remote, &rq, &handshake_ops, s, &s->handshake);
}

/* initialize with the gateway session's revision and client capabilities, then notifications/initialized:
 * what a client of /mcp already did with the gateway, done again with the remote. */
int handshake_start(RemoteSession *s, const char *version, json_object *capabilities) {
        json_object_put(s->initialize);
        s->initialize = initialize_new(s->owner, version, capabilities);
        if (!s->initialize)
                return -ENOMEM;
        return handshake_send(s);
}

int http_end_session(Backend *b, const char *session) {
        HttpBackend *h = b->transport_data;
        RemoteSession *s = session_find(h, session);
        if (!s)
                return 0;

        _cleanup_free_ char *remote_id = s->ready ? TAKE_PTR(s->remote_id) : NULL;
        _cleanup_free_ char *version = TAKE_PTR(s->version);
        HttpEndpoint *e = s->endpoint;
        session_drop(s, BACKEND_UNAVAILABLE, "the session ended");
        return remote_id ? post_delete(e, remote_id, version) : 0;
}
