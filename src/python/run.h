/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One run of code on a worker for a tools/call: input files in, the code sent, its output streamed to the
 * client and kept within the caps, the timeout (interrupt, then kill), and the answer with its files. */
#pragma once

#include "mcp-request.h"
#include "python.h"
#include "worker.h"

typedef struct PythonRun PythonRun;

typedef struct RunOptions {
        const char *code;
        const char *stdin_text; /* or NULL */
        json_object *files;     /* input files [{path, text | base64}] (borrowed), or NULL */
        uint64_t timeout_usec;
        uint64_t memory_bytes;  /* the address space the code may use; 0: the sandbox's */
        const char *session_id; /* the session the run belongs to, or NULL for a one-shot run */
        bool restarted;         /* the session's interpreter died since its last run: its state is gone */
} RunOptions;

/* Called once the run is over and the request answered (or cancelled). w is the worker, still alive and ready
 * for more, or NULL when it died (or was killed) during the run: then it was freed. */
typedef void (*RunFinished)(PythonRun *run, Worker *w, void *userdata);

/* Starts the run; the worker belongs to the run until finished is called. Input files that cannot be written
 * answer req with a tool error, as any later failure does: the return value is 0 once req will be answered,
 * a negative errno when nothing was started (the worker is still the caller's). */
int python_run_start(PythonContext *ctx, McpRequest *req, Worker *w, const RunOptions *o, RunFinished finished,
        void *userdata);

/* The arguments a run and a session run share (code, stdin, files, timeout), checked against the server's
 * limits: 0, or a tool error answered on req and -EINVAL. */
int python_run_options(PythonContext *ctx, McpRequest *req, json_object *arguments, RunOptions *ret);
