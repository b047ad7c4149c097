/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A tool call in flight: the allow-list check before anything is asked, GitHub calls chained step by step,
 * lists across pages, progress, and the answer. */
#include <stdio.h>

#include "log.h"
#include "mcp-content.h"
#include "op.h"

static void on_cancel(McpRequest *req, void *userdata) {
        op_free(userdata);
}

ActionsOp *op_new(McpRequest *req, json_object *arguments, int *ret_error) {
        ActionsContext *ctx = mcp_server_get_userdata(mcp_request_get_server(req));
        const char *repository = json_get_string(arguments, "repository");
        *ret_error = 0;

        if (!repository_name_is_valid(repository)) {
                (void) mcp_request_reply_tool_error(req,
                        "\"%s\" is not a repository: give it as OWNER/NAME, such as octo-org/octo-repo.",
                        strempty(repository));
                return NULL;
        }
        if (!actions_config_allows(&ctx->config, repository)) {
                (void) mcp_request_reply_tool_error(req,
                        "The repository %s is not one this server may touch: its administrator lists those in "
                        "Repositories= of actions.conf.",
                        repository);
                return NULL;
        }

        ActionsOp *op = new0(ActionsOp, 1);
        if (!op) {
                *ret_error = -ENOMEM;
                return NULL;
        }
        op->req = mcp_request_ref(req);
        op->ctx = ctx;
        snprintf(op->repository, sizeof(op->repository), "%s", repository);
        mcp_request_on_cancel(req, on_cancel, op);
        return op;
}

void op_free(ActionsOp *op) {
        if (!op)
                return;
        mcp_request_on_cancel(op->req, NULL, NULL);
        github_call_free(op->call);
        json_object_put(op->items);
        if (op->data_free)
                op->data_free(op->data);
        mcp_request_unref(op->req);
        free(op);
}

void op_reply(ActionsOp *op, json_object *content, json_object *structured) {
        if (!content) {
                json_object_put(structured);
                (void) mcp_request_reply_error(op->req, -32603, "Out of memory.");
        } else
                (void) mcp_request_reply_content(op->req, content, structured, false);
        op_free(op);
}

void op_fail(ActionsOp *op, const char *format, ...) {
        _cleanup_free_ char *text = NULL;
        va_list ap;
        va_start(ap, format);
        if (vasprintf(&text, format, ap) < 0)
                text = NULL;
        va_end(ap);
        (void) mcp_request_reply_tool_error(op->req, "%s", text ?: "Out of memory.");
        op_free(op);
}

void op_fail_response(ActionsOp *op, const GitHubResponse *r) {
        op_fail(op, "%s", r->error_text ?: "GitHub did not answer as expected.");
}

static void on_waiting(const char *message, void *userdata) {
        op_report(userdata, "%s", message);
}

static void on_response(const GitHubResponse *r, void *userdata) {
        ActionsOp *op = userdata;
        /* The answer lives in the finished call: it is freed after the step, which may start the next. */
        _cleanup_(github_call_freep) GitHubCall *finished = TAKE_PTR(op->call);
        op->step(op, r);
}

int op_call(ActionsOp *op, const GitHubRequest *rq, OpStep step) {
        GitHubRequest copy = *rq;
        if (!copy.url) {
                op_fail(op, "Out of memory.");
                return -ENOMEM;
        }
        copy.waiting = on_waiting;
        op->step = step;
        int r = github_call(op->ctx->github, &copy, on_response, op, &op->call);
        if (r < 0) {
                op_fail(op, "Could not start a request to GitHub: %s", strerror(-r));
                return r;
        }
        return 0;
}

int op_request(ActionsOp *op, const char *method, const char *url, json_object *body, OpStep step) {
        _cleanup_json_ json_object *b = body;
        return op_call(op, &(GitHubRequest){ .method = method, .url = url, .body = b }, step);
}

static void on_page(ActionsOp *op, const GitHubResponse *r) {
        if (github_failed(r)) {
                op_fail_response(op, r);
                return;
        }
        json_object *items = json_get_array(r->json, op->list_key);
        if (!items) {
                op_fail(op, "GitHub's answer has no list \"%s\".", op->list_key);
                return;
        }
        json_object *total = NULL;
        if (json_object_object_get_ex(r->json, "total_count", &total) && json_object_is_type(total, json_type_int))
                op->total = json_object_get_int64(total);

        size_t n = json_object_array_length(items);
        for (size_t i = 0; i < n && json_object_array_length(op->items) < op->limit; i++) {
                json_object *item = json_object_array_get_idx(items, i);
                json_object *s = op->summarize ? op->summarize(item) : json_object_get(item);
                if (!s || json_object_array_add(op->items, s) < 0) {
                        json_object_put(s);
                        op_fail(op, "Out of memory.");
                        return;
                }
        }
        if (r->next && n > 0 && json_object_array_length(op->items) < op->limit) {
                _cleanup_free_ char *next = strdup(r->next);
                (void) op_request(op, NULL, next, NULL, on_page);
                return;
        }
        if (op->total < 0)
                op->total = json_object_array_length(op->items);
        _cleanup_json_ json_object *all = TAKE_PTR(op->items);
        op->list_done(op, all, op->total);
}

int op_list(ActionsOp *op, const char *url, const char *list_key, unsigned limit,
        json_object *(*summarize)(json_object *), OpListDone done) {
        json_object_put(op->items);
        op->items = json_object_new_array();
        if (!op->items) {
                op_fail(op, "Out of memory.");
                return -ENOMEM;
        }
        op->list_key = list_key;
        op->limit = limit;
        op->summarize = summarize;
        op->total = -1;
        op->list_done = done;
        return op_request(op, NULL, url, NULL, on_page);
}

void op_report(ActionsOp *op, const char *format, ...) {
        _cleanup_free_ char *text = NULL;
        va_list ap;
        va_start(ap, format);
        if (vasprintf(&text, format, ap) < 0)
                text = NULL;
        va_end(ap);
        if (!text)
                return;
        op->progress += 1;
        (void) mcp_request_progress(op->req, op->progress, -1, text);
        (void) mcp_request_logf(op->req, MCP_LOG_INFO, "%s", text);
}

char *op_url(ActionsOp *op, const char *format, ...) {
        _cleanup_free_ char *rest = NULL;
        va_list ap;
        va_start(ap, format);
        if (vasprintf(&rest, format, ap) < 0)
                rest = NULL;
        va_end(ap);
        char *url;
        if (!rest || asprintf(&url, "/repos/%s%s", op->repository, rest) < 0)
                return NULL;
        return url;
}

int64_t op_argument_id(json_object *arguments, const char *key) {
        json_object *v;
        if (!json_object_object_get_ex(arguments, key, &v))
                return -1;
        if (!json_object_is_type(v, json_type_int))
                return 0;
        int64_t id = json_object_get_int64(v);
        return id > 0 ? id : 0;
}

json_object *json_pick(json_object *from, const char *const *keys) {
        json_object *o = json_object_new_object();
        for (const char *const *k = keys; o && *k; k++) {
                json_object *v;
                /* null members too (a conclusion not yet known): json_add() takes NULL for out of memory. */
                if (json_object_object_get_ex(from, *k, &v) && json_object_object_add(o, *k, json_object_get(v)) < 0)
                        o = (json_object_put(o), NULL);
        }
        return o;
}
