/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Persistent sessions: an interpreter and its workspace kept for one principal, found by id only by it, ended
 * by close or after idling, bounded in number per principal and in all. */
#include <stdio.h>
#include <sys/random.h>
#include <time.h>

#include "log.h"
#include "mcp-identity.h"
#include "session.h"
#include "worker.h"

static uint64_t now(PythonContext *ctx, clockid_t clock) {
        uint64_t t = 0;
        (void) sd_event_now(ctx->event, clock, &t);
        return t;
}

const char *session_principal(McpRequest *req) {
        return mcp_request_get_principal(req) ?: MCP_PRINCIPAL_ANONYMOUS;
}

void session_touch(PythonSession *s) {
        s->last_used = now(s->ctx, CLOCK_MONOTONIC);
}

static void session_free(PythonSession *s) {
        if (!s)
                return;
        if (!s->closed)
                hashmap_remove(s->ctx->sessions, s->id);
        pool_waiter_cancel(s->waiter);
        if (s->pending) {
                (void) mcp_request_reply_tool_error(s->pending, "The session %s was closed.", s->id);
                mcp_request_unref(s->pending);
        }
        worker_free(s->worker);
        free(s->principal);
        free(s);
}

static void session_dead(Worker *w, int status, const char *reason, void *userdata) {
        PythonSession *s = userdata;
        log_info("The interpreter of session %s ended between runs (%s); it starts afresh at the next use.", s->id,
                reason ?: "its sandbox exited");
        session_drop_worker(s, true);
}

static const WorkerOps session_ops = { .dead = session_dead };

void session_drop_worker(PythonSession *s, bool lost) {
        s->worker = worker_free(s->worker);
        s->restarted = lost;
}

static void session_got_worker(Worker *w, int error, void *userdata) {
        PythonSession *s = userdata;
        s->waiter = NULL;
        McpRequest *req = TAKE_PTR(s->pending);
        if (w) {
                s->worker = w;
                worker_set_owner(w, &session_ops, s);
        }
        s->then(s, req, error);
        mcp_request_unref(req);
}

int session_with_worker(PythonSession *s, McpRequest *req, void (*then)(PythonSession *s, McpRequest *req, int error)) {
        if (s->running || s->pending)
                return -EBUSY;
        session_touch(s);
        if (s->worker) {
                then(s, req, 0);
                return 0;
        }
        Worker *w = NULL;
        s->then = then;
        s->pending = mcp_request_ref(req);
        int r = pool_take(s->ctx->pool, session_got_worker, s, &w, &s->waiter);
        if (r < 0) {
                s->pending = mcp_request_unref(s->pending);
                return r;
        }
        if (r > 0)
                session_got_worker(w, 0, s);
        return 0;
}

void session_run_finished(PythonSession *s, Worker *w) {
        s->running = false;
        s->runs++;
        session_touch(s);
        if (s->closed) {
                worker_free(w);
                session_free(s);
                return;
        }
        s->worker = w;
        s->restarted = false;
        if (w)
                worker_set_owner(w, &session_ops, s);
}

void session_close(PythonSession *s) {
        hashmap_remove(s->ctx->sessions, s->id);
        s->closed = true;
        if (s->running && s->worker) {
                /* The run holds the worker: killing it ends the run, which frees the session. */
                (void) worker_kill(s->worker, "the session was closed");
                return;
        }
        session_free(s);
}

static unsigned count_of(PythonContext *ctx, const char *principal) {
        unsigned n = 0;
        PythonSession *s;
        for (size_t i = 0; hashmap_iterate(ctx->sessions, &i, (void **) &s, NULL);)
                n += streq(s->principal, principal);
        return n;
}

int session_new(PythonContext *ctx, McpRequest *req, PythonSession **ret) {
        const PythonConfig *c = &ctx->config;
        const char *principal = session_principal(req);
        if (count_of(ctx, principal) >= c->max_sessions_per_principal) {
                (void) mcp_request_reply_tool_error(req,
                        "You have %u sessions open, as many as this server allows one principal; close one "
                        "(python_session_close) or let it idle out.",
                        c->max_sessions_per_principal);
                return -EUSERS;
        }
        if (hashmap_size(ctx->sessions) >= c->max_sessions) {
                (void) mcp_request_reply_tool_error(req,
                        "The server has %u sessions open, as many as it allows; try again later or use python_run.",
                        c->max_sessions);
                return -EMFILE;
        }

        PythonSession *s = new0(PythonSession, 1);
        if (!s)
                return -ENOMEM;
        s->ctx = ctx;
        uint8_t random[SESSION_ID_LENGTH / 2];
        if (getrandom(random, sizeof(random), 0) != sizeof(random)) {
                free(s);
                return -EIO;
        }
        for (size_t i = 0; i < sizeof(random); i++)
                sprintf(s->id + 2 * i, "%02x", random[i]);
        s->principal = strdup(principal);
        if (!s->principal) {
                free(s);
                return -ENOMEM;
        }
        s->created_realtime = now(ctx, CLOCK_REALTIME);
        session_touch(s);
        int r = hashmap_put(ctx->sessions, s->id, s);
        if (r < 0) {
                free(s->principal);
                free(s);
                return r;
        }
        *ret = s;
        return 0;
}

PythonSession *session_find(PythonContext *ctx, McpRequest *req, const char *id) {
        PythonSession *s = id ? hashmap_get(ctx->sessions, id) : NULL;
        if (!s || !streq(s->principal, session_principal(req)))
                return NULL;
        return s;
}

PythonSession *session_get(PythonContext *ctx, McpRequest *req, const char *id) {
        PythonSession *s = session_find(ctx, req, id);
        if (!s)
                (void) mcp_request_reply_tool_error(req,
                        "There is no session %s: it was closed, idled out, or never existed. python_session_list "
                        "shows yours; python_session_create starts one.",
                        strempty(id));
        return s;
}

static json_object *iso_time(uint64_t realtime_usec) {
        char buf[32];
        time_t t = realtime_usec / USEC_PER_SEC;
        struct tm tm;
        if (!gmtime_r(&t, &tm) || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return NULL;
        return json_object_new_string(buf);
}

json_object *session_describe(PythonSession *s) {
        const PythonConfig *c = &s->ctx->config;
        uint64_t mono = now(s->ctx, CLOCK_MONOTONIC), real = now(s->ctx, CLOCK_REALTIME);
        uint64_t idle = mono - s->last_used;
        uint64_t left = idle >= c->session_idle_usec ? 0 : c->session_idle_usec - idle;
        _cleanup_json_ json_object *o = json_object_new_object();
        if (!o || json_add_string(o, "session_id", s->id) < 0 ||
                json_add(o, "created", iso_time(s->created_realtime)) < 0 ||
                json_add(o, "last_used", iso_time(real - idle)) < 0 ||
                json_add(o, "expires_in_s",
                        json_object_new_uint64(
                                s->running ? c->session_idle_usec / USEC_PER_SEC : left / USEC_PER_SEC)) < 0 ||
                json_add(o, "runs", json_object_new_uint64(s->runs)) < 0 ||
                json_add(o, "running", json_object_new_boolean(s->running)) < 0 ||
                json_add(o, "memory_mb", json_object_new_uint64(s->memory_bytes / (1024 * 1024))) < 0 ||
                json_add_string(o, "workspace", "/work") < 0)
                return NULL;
        return TAKE_PTR(o);
}

static int on_sweep(sd_event_source *source, uint64_t usec, void *userdata) {
        PythonContext *ctx = userdata;
        uint64_t t = now(ctx, CLOCK_MONOTONIC);
        PythonSession *s;
        for (size_t i = 0; hashmap_iterate(ctx->sessions, &i, (void **) &s, NULL);)
                if (!s->running && !s->pending && t - s->last_used >= ctx->config.session_idle_usec) {
                        log_info("Session %s of %s idled out.", s->id, s->principal);
                        session_close(s);
                }
        return sd_event_source_set_time_relative(source,
                MIN(ctx->config.session_idle_usec / 4, 30 * USEC_PER_SEC) ?: 1);
}

int session_table_init(PythonContext *ctx) {
        ctx->sessions = hashmap_new();
        if (!ctx->sessions)
                return -ENOMEM;
        int r = sd_event_add_time_relative(ctx->event, &ctx->session_sweep, CLOCK_MONOTONIC,
                MIN(ctx->config.session_idle_usec / 4, 30 * USEC_PER_SEC) ?: 1, 0, on_sweep, ctx);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(ctx->session_sweep, SD_EVENT_ON);
}

void session_table_done(PythonContext *ctx) {
        ctx->session_sweep = sd_event_source_disable_unref(ctx->session_sweep);
        if (!ctx->sessions)
                return;
        PythonSession *s;
        for (size_t i = 0; hashmap_iterate(ctx->sessions, &i, (void **) &s, NULL);)
                session_close(s);
        ctx->sessions = hashmap_free(ctx->sessions);
}
