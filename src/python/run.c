/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One run of code on a worker for a tools/call: input files in, the code sent, its output streamed to the
 * client and kept within the caps, the timeout (interrupt, then kill), and the answer with its files. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>

#include "base64.h"
#include "log.h"
#include "run-internal.h"
#include "text.h"
#include "workspace.h"

/* How often a client that asked for progress hears that the run goes on. */
#define PROGRESS_INTERVAL_USEC (1 * USEC_PER_SEC)

static void run_free(PythonRun *run) {
        if (!run)
                return;
        sd_event_source_disable_unref(run->deadline);
        sd_event_source_disable_unref(run->grace);
        sd_event_source_disable_unref(run->progress);
        mcp_request_on_cancel(run->req, NULL, NULL);
        mcp_request_unref(run->req);
        json_object_put(run->reply);
        for (int i = 0; i < 2; i++)
                free(run->kept[i]);
        free(run->session_id);
        free(run->dead_reason);
        free(run);
}

static uint64_t now_usec(PythonContext *ctx) {
        uint64_t now = 0;
        (void) sd_event_now(ctx->event, CLOCK_MONOTONIC, &now);
        return now;
}

/* The run is over: the request is answered (unless it was cancelled), and the worker goes back to the owner. */
static void run_finish(PythonRun *run) {
        run->end_usec = now_usec(run->ctx);
        run->deadline = sd_event_source_disable_unref(run->deadline);
        run->grace = sd_event_source_disable_unref(run->grace);
        run->progress = sd_event_source_disable_unref(run->progress);
        if (!mcp_request_is_done(run->req)) {
                int r = run_answer(run);
                if (r < 0)
                        (void) mcp_request_reply_tool_error(run->req, "The run's result could not be assembled: %s",
                                strerror(-r));
        }
        Worker *w = run->worker;
        run->worker = NULL;
        if (w && w->state == WORKER_DEAD)
                w = worker_free(w);
        if (w)
                worker_set_owner(w, NULL, NULL);
        run->finished(run, w, run->userdata);
        run_free(run);
}

/* Log notifications carry whole characters: what is kept is sent up to its last complete one. */
static void run_stream(PythonRun *run, int i) {
        size_t end = utf8_prefix(run->kept[i], run->kept_size[i]);
        if (end <= run->streamed[i] || !mcp_request_log_enabled(run->req, MCP_LOG_INFO))
                return;
        _cleanup_free_ char *text = utf8_sanitize(run->kept[i] + run->streamed[i], end - run->streamed[i]);
        if (!text)
                return;
        run->streamed[i] = end;
        (void) mcp_request_log(run->req, MCP_LOG_INFO, i == 0 ? "stdout" : "stderr", json_object_new_string(text));
}

static void run_output(Worker *w, int stream, const char *p, size_t n, void *userdata) {
        PythonRun *run = userdata;
        const PythonConfig *c = &run->ctx->config;
        int i = stream - 1;
        run->total[i] += n;
        size_t room = c->max_output - run->kept_size[i];
        if (room > 0) {
                size_t take = MIN(room, n);
                char *k = realloc(run->kept[i], run->kept_size[i] + take + 1);
                if (k) {
                        memcpy(k + run->kept_size[i], p, take);
                        run->kept_size[i] += take;
                        k[run->kept_size[i]] = 0;
                        run->kept[i] = k;
                        run_stream(run, i);
                }
        }
        /* Past the cap the rest is read and dropped; far past it, the code is doing nothing but write. */
        if (!run->flooded && run->total[0] + run->total[1] > c->flood_output) {
                run->flooded = true;
                log_info("A run wrote more than %zu bytes of output; killing its sandbox.", c->flood_output);
                (void) worker_kill(w, "its output went far beyond the cap");
        }
}

static void run_reply(Worker *w, json_object *reply, void *userdata) {
        PythonRun *run = userdata;
        run->reply = json_object_get(reply);
        run_finish(run);
}

static void run_dead(Worker *w, int status, const char *reason, void *userdata) {
        PythonRun *run = userdata;
        run->died = true;
        run->exit_status = status;
        if (reason)
                run->dead_reason = strdup(reason);
        run_finish(run);
}

static const WorkerOps run_ops = { .output = run_output, .reply = run_reply, .dead = run_dead };

static int on_grace(sd_event_source *s, uint64_t usec, void *userdata) {
        PythonRun *run = userdata;
        run->grace = sd_event_source_disable_unref(run->grace);
        (void) worker_kill(run->worker,
                run->timed_out ? "it did not stop when interrupted at the timeout"
                               : "it did not stop when interrupted");
        return 0;
}

/* KeyboardInterrupt first, which leaves a session's state as it is; the kill after the grace period. */
static void run_interrupt(PythonRun *run) {
        if (run->grace || !run->worker)
                return;
        int r = worker_interrupt(run->worker);
        if (r < 0 ||
                sd_event_add_time_relative(run->ctx->event, &run->grace, CLOCK_MONOTONIC, run->ctx->config.grace_usec,
                        0, on_grace, run) < 0)
                (void) worker_kill(run->worker, "it could not be interrupted");
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        PythonRun *run = userdata;
        run->deadline = sd_event_source_disable_unref(run->deadline);
        run->timed_out = true;
        run_interrupt(run);
        return 0;
}

static int on_progress(sd_event_source *s, uint64_t usec, void *userdata) {
        PythonRun *run = userdata;
        uint64_t elapsed = now_usec(run->ctx) - run->start_usec;
        char message[128];
        snprintf(message, sizeof(message), "running for %llu s, %llu bytes of output",
                (unsigned long long) (elapsed / USEC_PER_SEC), (unsigned long long) (run->total[0] + run->total[1]));
        (void) mcp_request_progress(run->req, (double) elapsed / USEC_PER_SEC,
                (double) run->timeout_usec / USEC_PER_SEC, message);
        return sd_event_source_set_time_relative(s, PROGRESS_INTERVAL_USEC);
}

static void on_cancel(McpRequest *req, void *userdata) {
        PythonRun *run = userdata;
        run->cancelled = true;
        run_interrupt(run);
}

static int write_input_files(PythonRun *run, json_object *files) {
        if (!files || json_object_array_length(files) == 0)
                return 0;
        _cleanup_close_ int ws = worker_open_workspace(run->worker);
        if (ws < 0)
                return mcp_request_reply_tool_error(run->req, "The sandbox's workspace could not be opened: %s",
                        strerror(-ws));
        for (size_t i = 0; i < json_object_array_length(files); i++) {
                json_object *f = json_object_array_get_idx(files, i);
                const char *path = workspace_path(json_get_string(f, "path"));
                const char *text = json_get_string(f, "text"), *b64 = json_get_string(f, "base64");
                _cleanup_free_ char *data = NULL;
                size_t size = text ? strlen(text) : 0;
                if (b64 && base64_decode(b64, strlen(b64), &data, &size) < 0)
                        return mcp_request_reply_tool_error(run->req, "Input file %s: base64 is not valid base64.",
                                json_get_string(f, "path"));
                int r = workspace_write(ws, path, data ?: text, size);
                if (r < 0)
                        return mcp_request_reply_tool_error(run->req,
                                "Input file %s could not be written into the workspace: %s", path,
                                r == -EFBIG || r == -ENOSPC ? "the workspace is full" : strerror(-r));
        }
        return 0;
}

int python_run_start(PythonContext *ctx, McpRequest *req, Worker *w, const RunOptions *o, RunFinished finished,
        void *userdata) {
        PythonRun *run = new0(PythonRun, 1);
        if (!run)
                return -ENOMEM;
        run->ctx = ctx;
        run->req = mcp_request_ref(req);
        run->worker = w;
        run->finished = finished;
        run->userdata = userdata;
        run->timeout_usec = o->timeout_usec;
        run->restarted = o->restarted;
        run->start_usec = now_usec(ctx);
        if (o->session_id && !(run->session_id = strdup(o->session_id))) {
                run_free(run);
                return -ENOMEM;
        }

        _cleanup_json_ json_object *request = json_object_new_object();
        if (!request || json_add_string(request, "op", "run") < 0 || json_add_string(request, "code", o->code) < 0 ||
                (o->stdin_text && json_add_string(request, "stdin", o->stdin_text) < 0) ||
                (o->memory_bytes > 0 &&
                        json_add(request, "memory_bytes", json_object_new_uint64(o->memory_bytes)) < 0) ||
                json_add(request, "final", json_object_new_boolean(!o->session_id)) < 0 ||
                json_add(request, "repr_limit", json_object_new_uint64(ctx->config.max_output)) < 0 ||
                json_add(request, "max_figures", json_object_new_uint64(ctx->config.max_figures)) < 0) {
                run_free(run);
                return -ENOMEM;
        }

        int r = sd_event_add_time_relative(ctx->event, &run->deadline, CLOCK_MONOTONIC, o->timeout_usec, 0, on_deadline,
                run);
        if (r >= 0 && mcp_request_get_progress_token(req))
                r = sd_event_add_time_relative(ctx->event, &run->progress, CLOCK_MONOTONIC, PROGRESS_INTERVAL_USEC, 0,
                        on_progress, run);
        if (r < 0) {
                run_free(run);
                return r;
        }

        /* From here on the worker is the run's, and every outcome ends in run_finish(). */
        worker_set_owner(w, &run_ops, run);
        mcp_request_on_cancel(req, on_cancel, run);
        r = write_input_files(run, o->files);
        if (r >= 0 && !mcp_request_is_done(req))
                r = worker_send(w, request);
        if (r < 0 && !mcp_request_is_done(req))
                (void) mcp_request_reply_tool_error(req, "The code could not be handed to the interpreter: %s",
                        strerror(-r));
        if (mcp_request_is_done(req) && w->state == WORKER_READY)
                run_finish(run);
        return 0;
}

/* Answers req with a tool error the model can act on; returns -EINVAL for the caller to stop. */
_printf_(2, 3) static int refuse(McpRequest *req, const char *format, ...) {
        va_list ap;
        va_start(ap, format);
        _cleanup_free_ char *text = NULL;
        int r = vasprintf(&text, format, ap);
        va_end(ap);
        (void) mcp_request_reply_tool_error(req, "%s", r < 0 ? "The arguments are not valid." : text);
        return -EINVAL;
}

static bool get_number(json_object *arguments, const char *key, double *ret) {
        json_object *v;
        if (!json_object_object_get_ex(arguments, key, &v) || !v)
                return false;
        *ret = json_object_get_double(v);
        return true;
}

int python_run_options(PythonContext *ctx, McpRequest *req, json_object *arguments, RunOptions *ret) {
        const PythonConfig *c = &ctx->config;
        RunOptions o = {
                .code = json_get_string(arguments, "code"),
                .stdin_text = json_get_string(arguments, "stdin"),
                .files = json_get_array(arguments, "files"),
                .timeout_usec = c->timeout_usec,
                .memory_bytes = c->memory_bytes,
        };
        if (!o.code)
                return refuse(req, "code is required.");
        if (strlen(o.code) > c->max_code)
                return refuse(req, "code is longer than this server takes (%zu bytes).", c->max_code);
        if (o.stdin_text && strlen(o.stdin_text) > c->max_code)
                return refuse(req, "stdin is longer than this server takes (%zu bytes).", c->max_code);

        double v;
        if (get_number(arguments, "timeout", &v)) {
                double max = (double) c->max_timeout_usec / USEC_PER_SEC;
                if (!(v > 0) || v > max)
                        return refuse(req, "timeout is in seconds, more than 0 and at most %g here.", max);
                o.timeout_usec = (uint64_t) (v * USEC_PER_SEC);
        }
        if (get_number(arguments, "memory_mb", &v)) {
                double max = (double) c->max_memory_bytes / (1024 * 1024);
                if (!(v >= 16) || v > max)
                        return refuse(req, "memory_mb is from 16 to %g here.", max);
                o.memory_bytes = (uint64_t) v * 1024 * 1024;
        }

        size_t total = 0;
        for (size_t i = 0; o.files && i < json_object_array_length(o.files); i++) {
                json_object *f = json_object_array_get_idx(o.files, i);
                const char *path = json_get_string(f, "path"), *text = json_get_string(f, "text"),
                           *b64 = json_get_string(f, "base64");
                if (!workspace_path(path))
                        return refuse(req,
                                "Input file \"%s\": a path is relative to the workspace (/work), without empty "
                                "components, at most 1024 bytes.",
                                strempty(path));
                if (!!text == !!b64)
                        return refuse(req, "Input file %s: give either text or base64.", path);
                total += text ? strlen(text) : strlen(b64) / 4 * 3;
                if (total > c->max_input_files)
                        return refuse(req, "The input files are larger together than this server takes (%zu bytes).",
                                c->max_input_files);
        }
        *ret = o;
        return 0;
}
