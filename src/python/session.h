/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Persistent sessions: an interpreter and its workspace kept for one principal, found by id only by it, ended
 * by close or after idling, bounded in number per principal and in all. */
#pragma once

#include "mcp-request.h"
#include "pool.h"
#include "python.h"

#define SESSION_ID_LENGTH 32

struct PythonSession {
        PythonContext *ctx;
        char id[SESSION_ID_LENGTH + 1];
        char *principal;
        /* NULL until one is taken from the pool, and after the interpreter died. While running, the run owns it
         * and the session only reads and writes its workspace. */
        Worker *worker;
        PoolWaiter *waiter;  /* taking one */
        McpRequest *pending; /* the call waiting for the worker */
        void (*then)(PythonSession *s, McpRequest *req, int error);
        bool running;   /* a run owns the worker */
        bool closed;    /* out of the table, freed once its run ends */
        bool restarted; /* the interpreter died between runs: the next run says the state was lost */
        uint64_t memory_bytes;
        uint64_t created_realtime, last_used; /* CLOCK_REALTIME, CLOCK_MONOTONIC */
        unsigned runs;
};

/* Who a request acts for, as sessions are owned: the transport's principal, or "anonymous". */
const char *session_principal(McpRequest *req);

/* A new session of req's principal; a tool error is answered on req (and -EUSERS/-EMFILE returned) when the
 * principal or the server has as many as allowed. */
int session_new(PythonContext *ctx, McpRequest *req, PythonSession **ret);
/* The session id names, if req's principal owns it; NULL otherwise (another's session does not exist). */
PythonSession *session_find(PythonContext *ctx, McpRequest *req, const char *id);
/* Like session_find(), answering req with a tool error when there is no such session. */
PythonSession *session_get(PythonContext *ctx, McpRequest *req, const char *id);
/* Ends the session: its sandbox is killed. With a run going on, the run ends (killed) and the session is freed
 * after it. */
void session_close(PythonSession *s);
/* Kills the interpreter and starts afresh (a new sandbox, empty workspace) at the next use. */
void session_drop_worker(PythonSession *s, bool lost);

/* Calls then(s, req, 0) with s->worker ready, at once or once one is taken from the pool; then(s, req, error)
 * when none can be had. -EBUSY when the session is running code or waiting already. */
int session_with_worker(PythonSession *s, McpRequest *req, void (*then)(PythonSession *s, McpRequest *req, int error));
/* A run's worker comes back (or NULL: it died during the run). */
void session_run_finished(PythonSession *s, Worker *w);
void session_touch(PythonSession *s);

/* The session as python_session_list and python_session_create show it. */
json_object *session_describe(PythonSession *s);

int session_table_init(PythonContext *ctx);
void session_table_done(PythonContext *ctx);
