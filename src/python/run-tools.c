/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* python_run (one-shot: a warm worker taken, used once, killed) and python_packages. */
#include <stdio.h>
#include "log.h"
#include "mcp-content.h"
#include "mcp-request.h"
#include "pool.h"
#include "run.h"
#include "schemas.h"

/* A python_run between the call and its run: waiting for a worker when none is warm. */
typedef struct OneShot {
        PythonContext *ctx;
        McpRequest *req;
        json_object *arguments; /* the options point into it */
        RunOptions options;
        PoolWaiter *waiter;
} OneShot;

static void one_shot_free(OneShot *o) {
        if (!o)
                return;
        pool_waiter_cancel(o->waiter);
        mcp_request_unref(o->req);
        json_object_put(o->arguments);
        free(o);
}

/* No state passes from one run to the next: the worker is killed after its one run. */
static void one_shot_finished(PythonRun *run, Worker *w, void *userdata) {
        worker_discard(w);
}

static void one_shot_start(OneShot *o, Worker *w) {
        int r = python_run_start(o->ctx, o->req, w, &o->options, one_shot_finished, NULL);
        if (r < 0) {
                worker_free(w);
                (void) mcp_request_reply_tool_error(o->req, "The run could not start: %s", strerror(-r));
        }
}

/* The error a call gets when no sandbox could be had. */
static void reply_no_worker(McpRequest *req, int error) {
        if (error == -EBUSY)
                (void) mcp_request_reply_tool_error(req,
                        "Every Python sandbox this server allows is in use (runs and sessions); try again shortly, or "
                        "close a session you no longer need.");
        else
                (void) mcp_request_reply_tool_error(req, "The Python sandbox could not be started: %s",
                        strerror(-error));
}

static void one_shot_got(Worker *w, int error, void *userdata) {
        OneShot *o = userdata;
        o->waiter = NULL;
        /* The run, if one starts, takes the cancellation over. */
        mcp_request_on_cancel(o->req, NULL, NULL);
        if (!w)
                reply_no_worker(o->req, error);
        else
                one_shot_start(o, w);
        one_shot_free(o);
}

static void one_shot_cancelled(McpRequest *req, void *userdata) {
        one_shot_free(userdata);
}

static int tool_python_run(McpRequest *req, json_object *arguments) {
        PythonContext *ctx = mcp_server_get_userdata(mcp_request_get_server(req));
        OneShot *o = new0(OneShot, 1);
        if (!o)
                return -ENOMEM;
        o->ctx = ctx;
        o->req = mcp_request_ref(req);
        o->arguments = json_object_get(arguments);
        if (python_run_options(ctx, req, arguments, &o->options) < 0) {
                one_shot_free(o);
                return 0;
        }

        Worker *w = NULL;
        int r = pool_take(ctx->pool, one_shot_got, o, &w, &o->waiter);
        if (r < 0) {
                one_shot_free(o);
                return r;
        }
        if (r > 0) {
                one_shot_start(o, w);
                one_shot_free(o);
                return 0;
        }
        mcp_request_on_cancel(req, one_shot_cancelled, o);
        return 0;
}

/* --- python_packages ----------------------------------------------------------------------------------- */

/* What the worker reports, asked once of a worker of its own and kept: the packages change only when the
 * host's do, and then the server is restarted with them. */
typedef struct PackagesCall {
        PythonContext *ctx;
        McpRequest *req;
        PoolWaiter *waiter;
} PackagesCall;

static void packages_call_free(PackagesCall *p) {
        if (!p)
                return;
        mcp_request_on_cancel(p->req, NULL, NULL);
        pool_waiter_cancel(p->waiter);
        mcp_request_unref(p->req);
        free(p);
}

static int packages_reply(McpRequest *req, json_object *packages) {
        json_object *list = json_get_array(packages, "packages");
        char text[256];
        snprintf(text, sizeof(text),
                "Python %s with %zu packages besides the standard library (structuredContent lists them with their "
                "versions and the modules each provides).",
                strempty(json_get_string(packages, "python")), list ? json_object_array_length(list) : 0);
        _cleanup_json_ json_object *content = json_object_new_array();
        if (!content || json_object_array_add(content, mcp_content_text(text)) < 0)
                return -ENOMEM;
        /* The whole listing as text too, for clients that read content only. */
        if (json_object_array_add(content, mcp_content_text(json_to_string(packages))) < 0)
                return -ENOMEM;
        return mcp_request_reply_content(req, TAKE_PTR(content), json_object_get(packages), false);
}

/* The worker's answer reduced to what the schema promises: no code ran in that worker, but nothing that comes
 * out of a sandbox is taken as it is. */
static json_object *packages_sanitize(json_object *reply) {
        _cleanup_json_ json_object *o = json_object_new_object(), *list = json_object_new_array(),
                                   *stdlib = json_object_new_array();
        if (!o || !list || !stdlib)
                return NULL;
        json_object *in = json_get_array(reply, "packages"), *std = json_get_array(reply, "stdlib");
        for (size_t i = 0; in && i < json_object_array_length(in); i++) {
                json_object *p = json_object_array_get_idx(in, i), *modules = json_get_array(p, "modules");
                const char *name = json_get_string(p, "name"), *version = json_get_string(p, "version");
                if (!name || !version)
                        continue;
                json_object *e = json_object_new_object(), *m = json_object_new_array();
                if (!e || !m || json_object_array_add(list, e) < 0) {
                        json_object_put(e);
                        json_object_put(m);
                        return NULL;
                }
                for (size_t k = 0; modules && k < json_object_array_length(modules); k++) {
                        json_object *v = json_object_array_get_idx(modules, k);
                        if (json_object_is_type(v, json_type_string))
                                (void) json_object_array_add(m, json_object_get(v));
                }
                if (json_add_string(e, "name", name) < 0 || json_add_string(e, "version", version) < 0 ||
                        json_add(e, "modules", m) < 0)
                        return NULL;
        }
        for (size_t i = 0; std && i < json_object_array_length(std); i++) {
                json_object *v = json_object_array_get_idx(std, i);
                if (json_object_is_type(v, json_type_string))
                        (void) json_object_array_add(stdlib, json_object_get(v));
        }
        if (json_add_string(o, "python", strempty(json_get_string(reply, "python"))) < 0 ||
                json_add(o, "packages", TAKE_PTR(list)) < 0 || json_add(o, "stdlib_modules", TAKE_PTR(stdlib)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

static void packages_answer(Worker *w, json_object *reply, void *userdata) {
        PackagesCall *p = userdata;
        PythonContext *ctx = p->ctx;
        json_object_put(ctx->packages);
        ctx->packages = packages_sanitize(reply);
        if (!ctx->packages)
                (void) mcp_request_reply_tool_error(p->req, "The interpreter's package list could not be read.");
        else
                (void) packages_reply(p->req, ctx->packages);
        worker_free(w);
        packages_call_free(p);
}

static void packages_dead(Worker *w, int status, const char *reason, void *userdata) {
        PackagesCall *p = userdata;
        (void) mcp_request_reply_tool_error(p->req, "The interpreter ended before it listed its packages (%s).",
                reason ?: "its sandbox exited");
        worker_free(w);
        packages_call_free(p);
}

static const WorkerOps packages_ops = { .reply = packages_answer, .dead = packages_dead };

static void packages_got(Worker *w, int error, void *userdata) {
        PackagesCall *p = userdata;
        p->waiter = NULL;
        if (!w) {
                reply_no_worker(p->req, error);
                packages_call_free(p);
                return;
        }
        _cleanup_json_ json_object *request = json_object_new_object();
        if (!request || json_add_string(request, "op", "packages") < 0) {
                worker_free(w);
                (void) mcp_request_reply_tool_error(p->req, "Out of memory.");
                packages_call_free(p);
                return;
        }
        /* The call is the worker's owner until it answers; a cancelled call lets it finish and is dropped then. */
        mcp_request_on_cancel(p->req, NULL, NULL);
        worker_set_owner(w, &packages_ops, p);
        int r = worker_send(w, request);
        if (r < 0) {
                worker_set_owner(w, NULL, NULL);
                worker_free(w);
                (void) mcp_request_reply_tool_error(p->req, "The interpreter could not be asked: %s", strerror(-r));
                packages_call_free(p);
        }
}

static void packages_cancelled(McpRequest *req, void *userdata) {
        packages_call_free(userdata);
}

static int tool_python_packages(McpRequest *req, json_object *arguments) {
        PythonContext *ctx = mcp_server_get_userdata(mcp_request_get_server(req));
        if (ctx->packages)
                return packages_reply(req, ctx->packages);

        PackagesCall *p = new0(PackagesCall, 1);
        if (!p)
                return -ENOMEM;
        p->ctx = ctx;
        p->req = mcp_request_ref(req);
        Worker *w = NULL;
        int r = pool_take(ctx->pool, packages_got, p, &w, &p->waiter);
        if (r < 0) {
                packages_call_free(p);
                return r;
        }
        if (r > 0)
                packages_got(w, 0, p);
        else
                mcp_request_on_cancel(req, packages_cancelled, p);
        return 0;
}

/* --- the table ------------------------------------------------------------------------------------------ */

const McpTool python_run_tools[] = {
        { .name = "python_run",
                .title = "Run Python",
                .description =
                        "Runs Python 3 code in a fresh sandbox (no network, no access to the host's files; a private "
                        "/tmp and the workspace /work, which is the working directory) and returns its stdout and "
                        "stderr (capped), the exception with its traceback or the exit status, the repr of the last "
                        "expression, matplotlib figures as PNG images, and the files the code wrote in /work. "
                        "Nothing is kept between calls: use python_session_create and python_session_run for state. "
                        "Input files (text or base64) are put into /work first. Output is streamed as logging "
                        "notifications (logger stdout/stderr) while the code runs. At the timeout the code gets "
                        "KeyboardInterrupt, and is killed if it does not stop.",
                .input_schema = python_schema_python_run_input,
                .output_schema = python_schema_python_run_output,
                .annotations = "{\"readOnlyHint\":false,\"destructiveHint\":false,\"idempotentHint\":false,"
                               "\"openWorldHint\":false}",
                .polkit_action = PYTHON_ACTION_RUN,
                .polkit_required = true,
                .handler = tool_python_run },
        { .name = "python_packages",
                .title = "Python packages",
                .description =
                        "What the sandboxed Python can import: its version, the installed packages (the host's Debian "
                        "python3-* packages) with their versions and the top-level modules each provides, and the "
                        "standard library's modules.",
                .input_schema = python_schema_python_packages_input,
                .output_schema = python_schema_python_packages_output,
                .annotations = "{\"readOnlyHint\":true,\"openWorldHint\":false}",
                .polkit_action = PYTHON_ACTION_RUN,
                .polkit_required = true,
                .handler = tool_python_packages },
        {}
};
