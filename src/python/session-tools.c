/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* python_session_create, python_session_run, python_session_reset, python_session_close, python_session_list. */
#include <stdio.h>
#include "log.h"
#include "mcp-content.h"
#include "mcp-request.h"
#include "run.h"
#include "schemas.h"
#include "session.h"

static PythonContext *context_of(McpRequest *req) {
        return mcp_server_get_userdata(mcp_request_get_server(req));
}

/* Answers with the session's description, and "Session ID what" as text. */
static int reply_session(McpRequest *req, PythonSession *s, const char *what) {
        _cleanup_json_ json_object *d = session_describe(s);
        if (!d)
                return -ENOMEM;
        char text[256];
        snprintf(text, sizeof(text), "Session %s %s", s->id, what);
        return mcp_request_reply_content(req, JSON_ARRAY(mcp_content_text(text)), TAKE_PTR(d), false);
}

static void reply_no_worker(McpRequest *req, int error) {
        if (error == -EBUSY)
                (void) mcp_request_reply_tool_error(req,
                        "Every Python sandbox this server allows is in use; try again shortly, or close a session you "
                        "no longer need.");
        else
                (void) mcp_request_reply_tool_error(req, "The Python sandbox could not be started: %s",
                        strerror(-error));
}

static void reply_busy(McpRequest *req, PythonSession *s) {
        (void) mcp_request_reply_tool_error(req,
                "Session %s is running code (one run at a time); wait for it to finish, or close the session.", s->id);
}

/* --- python_session_create -------------------------------------------------------------------------------- */

static void created(PythonSession *s, McpRequest *req, int error) {
        if (error < 0) {
                reply_no_worker(req, error);
                session_close(s);
                return;
        }
        (void) reply_session(req, s,
                "is ready: its globals, imported modules and files in /work persist "
                "from one python_session_run to the next.");
}

static int tool_session_create(McpRequest *req, json_object *arguments) {
        PythonContext *ctx = context_of(req);
        const PythonConfig *c = &ctx->config;
        uint64_t memory = c->memory_bytes;
        json_object *v;
        if (json_object_object_get_ex(arguments, "memory_mb", &v) && v) {
                int64_t mb = json_object_get_int64(v);
                if (mb < 16 || (uint64_t) mb > c->max_memory_bytes / (1024 * 1024))
                        return mcp_request_reply_tool_error(req, "memory_mb is from 16 to %llu here.",
                                (unsigned long long) (c->max_memory_bytes / (1024 * 1024)));
                memory = (uint64_t) mb * 1024 * 1024;
        }
        PythonSession *s = NULL;
        int r = session_new(ctx, req, &s);
        if (r < 0)
                return r == -ENOMEM || r == -EIO ? r : 0;
        s->memory_bytes = memory;
        /* The interpreter is taken now, so that the session's first run finds it warm. */
        r = session_with_worker(s, req, created);
        if (r < 0) {
                session_close(s);
                return r;
        }
        return 0;
}

/* --- python_session_run ----------------------------------------------------------------------------------- */

typedef struct SessionRun {
        json_object *arguments;
        RunOptions options;
} SessionRun;

static void session_run_finished_cb(PythonRun *run, Worker *w, void *userdata) {
        PythonSession *s = userdata;
        session_run_finished(s, w);
}

static void session_run_go(PythonSession *s, McpRequest *req, int error) {
        PythonContext *ctx = s->ctx;
        _cleanup_json_ json_object *arguments = json_object_get(mcp_request_get_params(req));
        json_object *args = json_get_object(arguments, "arguments");
        if (error < 0) {
                reply_no_worker(req, error);
                return;
        }
        RunOptions o;
        if (python_run_options(ctx, req, args, &o) < 0)
                return;
        o.session_id = s->id;
        o.memory_bytes = s->memory_bytes;
        o.restarted = s->restarted;
        /* The run owns the worker now (s->worker stays for the file tools); the session has it back in
         * session_run_finished(), which may come before python_run_start() returns. */
        s->running = true;
        int r = python_run_start(ctx, req, s->worker, &o, session_run_finished_cb, s);
        if (r < 0) {
                s->running = false;
                (void) mcp_request_reply_tool_error(req, "The run could not start: %s", strerror(-r));
        }
}

static int tool_session_run(McpRequest *req, json_object *arguments) {
        PythonContext *ctx = context_of(req);
        PythonSession *s = session_get(ctx, req, json_get_string(arguments, "session_id"));
        if (!s)
                return 0;
        RunOptions check;
        if (python_run_options(ctx, req, arguments, &check) < 0)
                return 0;
        int r = session_with_worker(s, req, session_run_go);
        if (r == -EBUSY) {
                reply_busy(req, s);
                return 0;
        }
        return r;
}

/* --- python_session_reset, python_session_close, python_session_list -------------------------------------- */

static void reset_done(PythonSession *s, McpRequest *req, int error) {
        if (error < 0) {
                reply_no_worker(req, error);
                return;
        }
        (void) reply_session(req, s,
                "starts afresh: no globals, no imported modules of its own, an empty "
                "workspace.");
}

static int tool_session_reset(McpRequest *req, json_object *arguments) {
        PythonContext *ctx = context_of(req);
        PythonSession *s = session_get(ctx, req, json_get_string(arguments, "session_id"));
        if (!s)
                return 0;
        if (s->running || s->pending) {
                reply_busy(req, s);
                return 0;
        }
        /* A new interpreter in a new sandbox: nothing of the old one can linger in the new. */
        session_drop_worker(s, false);
        return session_with_worker(s, req, reset_done);
}

static int tool_session_close(McpRequest *req, json_object *arguments) {
        PythonContext *ctx = context_of(req);
        PythonSession *s = session_get(ctx, req, json_get_string(arguments, "session_id"));
        if (!s)
                return 0;
        _cleanup_json_ json_object *o = json_object_new_object();
        if (!o || json_add_string(o, "session_id", s->id) < 0 ||
                json_add(o, "closed", json_object_new_boolean(true)) < 0)
                return -ENOMEM;
        char text[128];
        snprintf(text, sizeof(text), "Session %s is closed; its interpreter and workspace are gone.", s->id);
        session_close(s);
        return mcp_request_reply_content(req, JSON_ARRAY(mcp_content_text(text)), TAKE_PTR(o), false);
}

static int tool_session_list(McpRequest *req, json_object *arguments) {
        PythonContext *ctx = context_of(req);
        const char *principal = session_principal(req);
        _cleanup_json_ json_object *list = json_object_new_array(), *o = json_object_new_object();
        if (!list || !o)
                return -ENOMEM;
        PythonSession *s;
        for (size_t i = 0; hashmap_iterate(ctx->sessions, &i, (void **) &s, NULL);) {
                if (!streq(s->principal, principal))
                        continue;
                json_object *d = session_describe(s);
                if (!d || json_object_array_add(list, d) < 0) {
                        json_object_put(d);
                        return -ENOMEM;
                }
        }
        char text[128];
        snprintf(text, sizeof(text), "%zu session(s) of %s.", json_object_array_length(list), principal);
        if (json_add(o, "sessions", TAKE_PTR(list)) < 0 ||
                json_add(o, "max_sessions", json_object_new_int(ctx->config.max_sessions_per_principal)) < 0)
                return -ENOMEM;
        /* The listing as text too, for clients that read content only. */
        json_object *content = JSON_ARRAY(mcp_content_text(text), mcp_content_text(json_to_string(o)));
        return mcp_request_reply_content(req, content, TAKE_PTR(o), false);
}

/* --- the table ------------------------------------------------------------------------------------------ */

#define SESSION_ANNOTATIONS(read_only, destructive, idempotent)                                                        \
        "{\"readOnlyHint\":" #read_only ",\"destructiveHint\":" #destructive ",\"idempotentHint\":" #idempotent        \
        ",\"openWorldHint\":false}"

const McpTool python_session_tools[] = {
        { .name = "python_session_create",
                .title = "Start a Python session",
                .description =
                        "Starts a persistent Python session: an interpreter in a sandbox of its own whose globals, "
                        "imported modules and workspace files (/work) last from one python_session_run to the next. "
                        "Only you (the principal that made it) can see and use it. It ends with python_session_close "
                        "or after it has been idle for a while (expires_in_s); you may hold a few at once.",
                .input_schema = python_schema_python_session_create_input,
                .output_schema = python_schema_python_session_output,
                .annotations = SESSION_ANNOTATIONS(false, false, false),
                .polkit_action = PYTHON_ACTION_RUN,
                .polkit_required = true,
                .handler = tool_session_create },
        { .name = "python_session_run",
                .title = "Run Python in a session",
                .description =
                        "Runs code in a session, as python_run does, with the session's globals and modules: variables "
                        "defined by earlier runs are there, and so are files in /work. At the timeout the code gets "
                        "KeyboardInterrupt and the state survives; code that does not stop is killed, and then the "
                        "session starts afresh (state_lost says so).",
                .input_schema = python_schema_python_session_run_input,
                .output_schema = python_schema_python_run_output,
                .annotations = SESSION_ANNOTATIONS(false, false, false),
                .polkit_action = PYTHON_ACTION_RUN,
                .polkit_required = true,
                .polkit_detail_argument = "session_id",
                .handler = tool_session_run },
        { .name = "python_session_reset",
                .title = "Reset a Python session",
                .description = "Gives the session a fresh interpreter: its globals, imported modules and workspace "
                               "files are gone; the session id stays.",
                .input_schema = python_schema_python_session_id_input,
                .output_schema = python_schema_python_session_output,
                .annotations = SESSION_ANNOTATIONS(false, true, true),
                .polkit_action = PYTHON_ACTION_RUN,
                .polkit_required = true,
                .polkit_detail_argument = "session_id",
                .handler = tool_session_reset },
        { .name = "python_session_close",
                .title = "Close a Python session",
                .description = "Ends the session: its interpreter is stopped (a run going on is killed) and its "
                               "workspace is gone.",
                .input_schema = python_schema_python_session_id_input,
                .output_schema = python_schema_python_session_close_output,
                .annotations = SESSION_ANNOTATIONS(false, true, true),
                .polkit_action = PYTHON_ACTION_RUN,
                .polkit_required = true,
                .polkit_detail_argument = "session_id",
                .handler = tool_session_close },
        { .name = "python_session_list",
                .title = "List your Python sessions",
                .description = "Your sessions (those of the principal you act as): id, when made and last used, how "
                               "long until an idle one ends, runs so far, whether code is running.",
                .input_schema = python_schema_python_session_list_input,
                .output_schema = python_schema_python_session_list_output,
                .annotations = "{\"readOnlyHint\":true,\"openWorldHint\":false}",
                .polkit_action = PYTHON_ACTION_RUN,
                .polkit_required = true,
                .handler = tool_session_list },
        {}
};
