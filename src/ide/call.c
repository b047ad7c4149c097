/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The common start of every tool: the workspace, read-only refusals, and a polkit check per path. */
#include "call.h"
#include "job.h"
#include "mcp-request.h"
#include "strv.h"
#include "workspace.h"

typedef struct IdeCall {
        McpRequest *req;
        IdeContext *ctx;
        IdeWorkspace *ws;
        json_object *arguments;
        const char *action;
        char **paths; /* normalized, each checked with polkit in turn */
        size_t next;
        IdeTaskWork work;
        IdeCallGo go;
} IdeCall;

static void call_free(IdeCall *c) {
        mcp_request_unref(c->req);
        json_object_put(c->arguments);
        strv_free(c->paths);
        free(c);
}

IdeContext *ide_context_of(McpRequest *req) {
        return mcp_server_get_userdata(mcp_request_get_server(req));
}

static void task_free(void *userdata) {
        IdeTask *t = userdata;
        json_object_put(t->arguments);
        free(t->principal);
        free(t);
}

static int task_run(IdeJob *job, void *userdata) {
        IdeTask *t = userdata;
        t->job = job;
        return t->work(t);
}

static void call_next(IdeCall *c);

static void on_path_authorized(McpRequest *req, int allowed, void *userdata) {
        IdeCall *c = userdata;
        if (mcp_request_is_done(req)) {
                call_free(c);
                return;
        }
        if (allowed <= 0) {
                if (allowed < 0)
                        (void) mcp_request_reply_tool_error(req, "polkit could not be asked about %s in %s: %s",
                                c->paths[c->next], c->ws->name, strerror(-allowed));
                else
                        (void) mcp_request_reply_tool_error(req,
                                "Access denied: %s this caller %s %s in workspace %s (%s).", mcp_request_denied_by(req),
                                streq(c->action, IDE_ACTION_READ) ? "to read" : "to change", c->paths[c->next],
                                c->ws->name, c->action);
                call_free(c);
                return;
        }
        c->next++;
        call_next(c);
}

static void call_next(IdeCall *c) {
        if (c->paths && c->paths[c->next]) {
                const char *const details[] = { "workspace", c->ws->name, "path", c->paths[c->next], NULL };
                int r = mcp_request_authorize(c->req, c->action, details, on_path_authorized, c);
                if (r < 0) {
                        (void) mcp_request_reply_tool_error(c->req, "polkit could not be asked: %s", strerror(-r));
                        call_free(c);
                }
                return;
        }
        if (c->go) {
                int k = c->go(c->req, c->ctx, c->ws, c->arguments);
                if (k < 0 && !mcp_request_is_done(c->req))
                        (void) mcp_request_reply_tool_error(c->req, "%s could not start: %s",
                                mcp_request_get_tool_name(c->req), strerror(-k));
                call_free(c);
                return;
        }
        int r = -ENOMEM;
        IdeTask *t = new0(IdeTask, 1);
        if (t) {
                const char *principal = mcp_request_get_principal(c->req);
                *t = (IdeTask){ .config = &c->ctx->config, .ws = c->ws, .work = c->work };
                t->principal = principal ? strdup(principal) : NULL;
                if (json_object_deep_copy(c->arguments, &t->arguments, NULL) < 0 || (principal && !t->principal))
                        task_free(t);
                else
                        /* The job owns t from here, and frees it also when it cannot start. */
                        r = ide_job_start(c->ctx, c->req, task_run, t, task_free);
        }
        if (r < 0 && !mcp_request_is_done(c->req))
                (void) mcp_request_reply_tool_error(c->req, "%s could not start: %s", mcp_request_get_tool_name(c->req),
                        strerror(-r));
        call_free(c);
}

static int add_path(McpRequest *req, IdeCall *c, const char *key, const char *path) {
        _cleanup_free_ char *n = NULL;
        const char *reason = NULL;
        int r = ide_path_normalize(path, &n, &reason);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                (void) mcp_request_reply_tool_error(req, "%s \"%s\" is refused: %s.", key, path, reason);
                return 0;
        }
        if (!strv_contains(c->paths, n) && strv_extend(&c->paths, n) < 0)
                return -ENOMEM;
        return 1;
}

static int call_start(McpRequest *req, json_object *arguments, const char *action, const char *const *path_keys,
        IdeTaskWork work, IdeCallGo go) {
        IdeContext *ctx = ide_context_of(req);
        const char *name = json_get_string(arguments, "workspace");
        IdeWorkspace *ws = ide_config_find_workspace(&ctx->config, name);
        if (!ws) {
                _cleanup_free_ char *names = ide_config_workspace_names(&ctx->config);
                return mcp_request_reply_tool_error(req, "There is no workspace \"%s\"; the workspaces are: %s.",
                        strempty(name), strempty(names));
        }
        if (ws->fd < 0)
                return mcp_request_reply_tool_error(req, "Workspace %s (%s) cannot be opened: %s.", ws->name, ws->path,
                        strerror(-ws->fd));
        if (!streq(action, IDE_ACTION_READ) && ws->read_only && !streq(action, IDE_ACTION_RUN))
                return mcp_request_reply_tool_error(req,
                        "Workspace %s is read-only (ReadOnly= in ide.conf): it cannot be changed.", ws->name);

        IdeCall *c = new0(IdeCall, 1);
        if (!c)
                return -ENOMEM;
        *c = (IdeCall){
                .req = mcp_request_ref(req),
                .ctx = ctx,
                .ws = ws,
                .arguments = json_object_get(arguments),
                .action = action,
                .work = work,
                .go = go,
        };
        for (const char *const *k = path_keys; k && *k; k++) {
                json_object *v = NULL;
                int r = 1;
                if (!json_object_object_get_ex(arguments, *k, &v) || !v) {
                        if (k == path_keys)
                                r = add_path(req, c, *k, ".");
                } else if (json_object_is_type(v, json_type_string))
                        r = add_path(req, c, *k, json_object_get_string(v));
                else if (json_object_is_type(v, json_type_array))
                        for (size_t i = 0; r > 0 && i < json_object_array_length(v); i++) {
                                json_object *e = json_object_array_get_idx(v, i);
                                if (json_object_is_type(e, json_type_string))
                                        r = add_path(req, c, *k, json_object_get_string(e));
                        }
                if (r <= 0) {
                        call_free(c);
                        return r;
                }
        }
        call_next(c);
        return 0;
}

int ide_call(McpRequest *req, json_object *arguments, const char *action, const char *const *path_keys,
        IdeTaskWork work) {
        return call_start(req, arguments, action, path_keys, work, NULL);
}

int ide_call_loop(McpRequest *req, json_object *arguments, const char *action, const char *const *path_keys,
        IdeCallGo go) {
        return call_start(req, arguments, action, path_keys, NULL, go);
}
