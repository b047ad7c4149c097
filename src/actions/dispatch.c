/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-actionsd: github_run_workflow. The workflow, the ref (the repository's default branch unless given),
 * the workflow file at that ref through the contents API, its declared inputs, and only when the given inputs
 * fit them the workflow_dispatch event. Besides the tool's own check of the repository, every tool here asks
 * polkit once more with the workflow's file as the detail "workflow" (org.aios.github.run), so that a rule can
 * allow a principal one workflow of a repository: github_rerun, github_rerun_failed and github_cancel_run read
 * the run first to learn its workflow. */
#include <stdio.h>

#include <openssl/evp.h>

#include "mcp-content.h"
#include "op.h"
#include "workflow-inputs.h"

#define WORKFLOW_FILE_MAX (1024U * 1024U)

typedef struct Dispatch {
        char *workflow; /* as the caller named it */
        char *ref;
        json_object *given;
        int64_t workflow_id;
        char *path;
        json_object *inputs; /* checked, to dispatch with */
} Dispatch;

static void dispatch_free(void *p) {
        Dispatch *d = p;
        free(d->workflow);
        free(d->ref);
        json_object_put(d->given);
        free(d->path);
        json_object_put(d->inputs);
        free(d);
}

static bool ref_is_valid(const char *s) {
        size_t n = s ? strlen(s) : 0;
        if (n == 0 || n > 255 || s[0] == '-' || strstr(s, ".."))
                return false;
        for (const char *p = s; *p; p++)
                if ((unsigned char) *p <= ' ' || *p == 0x7f || strchr("~^:?*[\\", *p))
                        return false;
        return true;
}

static bool workflow_path_is_valid(const char *s) {
        return s && startswith_ptr(s, ".github/workflows/") && !strstr(s, "..") &&
                !s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-/")];
}

/* The contents API's base64 (with line breaks). */
static int base64_decode(const char *in, char **ret, size_t *ret_size) {
        size_t n = strlen(in);
        if (n > WORKFLOW_FILE_MAX * 2)
                return -E2BIG;
        _cleanup_free_ char *out = malloc(n / 4 * 3 + 4);
        EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
        int l = 0, f = 0;
        bool ok = out && ctx;
        if (ok) {
                EVP_DecodeInit(ctx);
                ok = EVP_DecodeUpdate(ctx, (unsigned char *) out, &l, (const unsigned char *) in, (int) n) >= 0 &&
                        EVP_DecodeFinal(ctx, (unsigned char *) out + l, &f) > 0;
        }
        EVP_ENCODE_CTX_free(ctx);
        if (!out)
                return -ENOMEM;
        if (!ok)
                return -EINVAL;
        out[l + f] = 0;
        *ret_size = (size_t) (l + f);
        *ret = TAKE_PTR(out);
        return 0;
}

/* --- the workflow as a polkit detail ---------------------------------------------------------------------- */

static void workflow_authorize(ActionsOp *op, const char *path, McpAuthorizeDone done) {
        const char *const details[] = { "repository", op->repository, "workflow", path, NULL };
        int r = mcp_request_authorize(op->req, ACTIONS_ACTION_RUN, details, done, op);
        if (r < 0)
                op_fail(op, "polkit could not be asked about workflow %s: %s.", path, strerror(-r));
}

/* Whether the op goes on after polkit's answer about path; answers it otherwise. The op is gone when the
 * request ended meanwhile (cancelled). */
static bool workflow_allowed(McpRequest *req, int allowed, ActionsOp *op, const char *path) {
        if (mcp_request_is_done(req))
                return false;
        if (allowed < 0) {
                op_fail(op, "polkit could not be asked about workflow %s: %s.", path, strerror(-allowed));
                return false;
        }
        if (allowed == 0) {
                op_fail(op, "Access denied: %s this caller to run workflow %s of %s (%s).", mcp_request_denied_by(req),
                        path, op->repository, ACTIONS_ACTION_RUN);
                return false;
        }
        return true;
}

static void dispatched(ActionsOp *op, const GitHubResponse *r) {
        Dispatch *d = op->data;
        if (github_failed(r)) {
                op_fail_response(op, r);
                return;
        }
        json_object *s = json_object_new_object();
        if (s &&
                (json_add_string(s, "repository", op->repository) < 0 ||
                        json_add(s, "workflow_id", json_object_new_int64(d->workflow_id)) < 0 ||
                        json_add_string(s, "workflow", d->path) < 0 || json_add_string(s, "ref", d->ref) < 0 ||
                        json_add(s, "inputs", json_object_get(d->inputs)) < 0 ||
                        json_add(s, "dispatched", json_object_new_boolean(true)) < 0))
                s = (json_object_put(s), NULL);
        _cleanup_free_ char *text = NULL;
        if (asprintf(&text,
                    "Dispatched %s on %s. The run appears in github_list_runs with event=workflow_dispatch and "
                    "branch=%s within seconds.",
                    d->path, d->ref, d->ref) < 0)
                text = NULL;
        op_reply(op, text ? JSON_ARRAY(mcp_content_text(text)) : NULL, s);
}

static void file_read(ActionsOp *op, const GitHubResponse *r) {
        Dispatch *d = op->data;
        if (github_failed(r)) {
                op_fail_response(op, r);
                return;
        }
        const char *content = json_get_string(r->json, "content");
        if (!content || !streq_ptr(json_get_string(r->json, "encoding"), "base64")) {
                op_fail(op, "GitHub did not give the content of %s at %s.", d->path, d->ref);
                return;
        }
        _cleanup_free_ char *text = NULL;
        size_t size;
        if (base64_decode(content, &text, &size) < 0) {
                op_fail(op, "The content of %s that GitHub gave is not base64.", d->path);
                return;
        }

        WorkflowInputs w;
        _cleanup_free_ char *error = NULL;
        int k = workflow_inputs_parse(text, size, &w, &error);
        if (k < 0) {
                op_fail(op, "%s: %s", d->path, error ?: "out of memory");
                return;
        }
        if (!w.dispatchable) {
                workflow_inputs_done(&w);
                op_fail(op, "%s at %s has no workflow_dispatch trigger: it cannot be run by hand.", d->path, d->ref);
                return;
        }
        k = workflow_inputs_check(&w, d->given, &d->inputs, &error);
        if (k < 0) {
                _cleanup_json_ json_object *declared = workflow_inputs_describe(&w);
                workflow_inputs_done(&w);
                op_fail(op, "Not dispatched: the inputs do not fit what %s declares. %s Declared inputs: %s", d->path,
                        error ?: "Out of memory.", declared ? json_to_string(declared) : "?");
                return;
        }
        workflow_inputs_done(&w);

        json_object *body = json_object_new_object();
        if (body &&
                (json_add_string(body, "ref", d->ref) < 0 || json_add(body, "inputs", json_object_get(d->inputs)) < 0))
                body = (json_object_put(body), NULL);
        if (!body) {
                op_fail(op, "Out of memory.");
                return;
        }
        _cleanup_free_ char *url = op_url(op, "/actions/workflows/%" PRIi64 "/dispatches", d->workflow_id);
        (void) op_request(op, "POST", url, body, dispatched);
}

static void read_file(ActionsOp *op) {
        Dispatch *d = op->data;
        _cleanup_free_ char *ref = github_escape(d->ref);
        _cleanup_free_ char *url = ref ? op_url(op, "/contents/%s?ref=%s", d->path, ref) : NULL;
        (void) op_request(op, NULL, url, NULL, file_read);
}

static void repository_read(ActionsOp *op, const GitHubResponse *r) {
        Dispatch *d = op->data;
        if (github_failed(r)) {
                op_fail_response(op, r);
                return;
        }
        const char *branch = json_get_string(r->json, "default_branch");
        if (!ref_is_valid(branch) || !(d->ref = strdup(branch))) {
                op_fail(op, "GitHub did not say which branch is %s's default: give ref.", op->repository);
                return;
        }
        read_file(op);
}

static void on_workflow_authorized(McpRequest *req, int allowed, void *userdata) {
        ActionsOp *op = userdata;
        if (!workflow_allowed(req, allowed, op, ((Dispatch *) op->data)->path))
                return;
        Dispatch *d = op->data;
        if (d->ref) {
                read_file(op);
                return;
        }
        _cleanup_free_ char *url = op_url(op, "%s", "");
        (void) op_request(op, NULL, url, NULL, repository_read);
}

static void workflow_read(ActionsOp *op, const GitHubResponse *r) {
        Dispatch *d = op->data;
        if (github_failed(r)) {
                op_fail_response(op, r);
                return;
        }
        json_object *id;
        const char *path = json_get_string(r->json, "path");
        if (!json_object_object_get_ex(r->json, "id", &id) || !workflow_path_is_valid(path)) {
                op_fail(op, "GitHub's description of the workflow %s has no id or file path.", d->workflow);
                return;
        }
        d->workflow_id = json_object_get_int64(id);
        if (!(d->path = strdup(path))) {
                op_fail(op, "Out of memory.");
                return;
        }
        workflow_authorize(op, d->path, on_workflow_authorized);
}

static int tool_run_workflow(McpRequest *req, json_object *arguments) {
        int r;
        ActionsOp *op = op_new(req, arguments, &r);
        if (!op)
                return r;
        Dispatch *d = new0(Dispatch, 1);
        if (!d) {
                op_free(op);
                return -ENOMEM;
        }
        op->data = d;
        op->data_free = dispatch_free;

        const char *workflow = json_get_string(arguments, "workflow");
        const char *ref = json_get_string(arguments, "ref");
        if (!workflow || isempty(workflow) ||
                workflow[strspn(workflow, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")] ||
                streq(workflow, ".") || streq(workflow, "..")) {
                op_fail(op, "\"%s\" names no workflow: give its id or its file name, such as ci.yml.",
                        strempty(workflow));
                return 0;
        }
        if (ref && !ref_is_valid(ref)) {
                op_fail(op, "\"%s\" is not a branch or tag name.", ref);
                return 0;
        }
        json_object *given = json_get_object(arguments, "inputs");
        if (!(d->workflow = strdup(workflow)) || (ref && !(d->ref = strdup(ref)))) {
                op_free(op);
                return -ENOMEM;
        }
        d->given = json_object_get(given);

        _cleanup_free_ char *url = op_url(op, "/actions/workflows/%s", workflow);
        (void) op_request(op, NULL, url, NULL, workflow_read);
        return 0;
}

/* --- github_rerun, github_rerun_failed, github_cancel_run --------------------------------------------- */

static void run_acted(ActionsOp *op, const GitHubResponse *r) {
        const char *what = op->what;
        if (github_failed(r)) {
                op_fail_response(op, r);
                return;
        }
        json_object *s = json_object_new_object();
        if (s &&
                (json_add_string(s, "repository", op->repository) < 0 ||
                        json_add(s, "run_id", json_object_new_int64(op->id)) < 0 ||
                        json_add_string(s, "action", what) < 0 ||
                        json_add(s, "accepted", json_object_new_boolean(true)) < 0))
                s = (json_object_put(s), NULL);
        _cleanup_free_ char *text = NULL;
        if (asprintf(&text, "GitHub accepted the %s; github_wait_run follows the run from here.", what) < 0)
                text = NULL;
        op_reply(op, text ? JSON_ARRAY(mcp_content_text(text)) : NULL, s);
}

/* What a run action does once the run's workflow is known and allowed. */
typedef struct RunAction {
        const char *endpoint;
        json_object *body;
        char *workflow;
} RunAction;

static void run_action_free(void *p) {
        RunAction *a = p;
        json_object_put(a->body);
        free(a->workflow);
        free(a);
}

static void on_run_workflow_authorized(McpRequest *req, int allowed, void *userdata) {
        ActionsOp *op = userdata;
        if (!workflow_allowed(req, allowed, op, ((RunAction *) op->data)->workflow))
                return;
        RunAction *a = op->data;
        _cleanup_free_ char *url = op_url(op, "/actions/runs/%" PRIi64 "/%s", op->id, a->endpoint);
        (void) op_request(op, "POST", url, TAKE_PTR(a->body), run_acted);
}

static void run_read(ActionsOp *op, const GitHubResponse *r) {
        RunAction *a = op->data;
        if (github_failed(r)) {
                op_fail_response(op, r);
                return;
        }
        const char *path = json_get_string(r->json, "path");
        if (!workflow_path_is_valid(path)) {
                op_fail(op, "GitHub's description of run %" PRIi64 " does not say which workflow file it ran.", op->id);
                return;
        }
        if (!(a->workflow = strdup(path))) {
                op_fail(op, "Out of memory.");
                return;
        }
        workflow_authorize(op, a->workflow, on_run_workflow_authorized);
}

static int run_action(McpRequest *req, json_object *arguments, const char *what, const char *endpoint,
        json_object *body) {
        _cleanup_json_ json_object *b = body;
        int r;
        ActionsOp *op = op_new(req, arguments, &r);
        if (!op)
                return r;
        int64_t id = op_argument_id(arguments, "run_id");
        if (id <= 0) {
                op_fail(op, "run_id must be a workflow run's id, a positive integer.");
                return 0;
        }
        RunAction *a = new0(RunAction, 1);
        if (!a) {
                op_free(op);
                return -ENOMEM;
        }
        a->endpoint = endpoint;
        a->body = TAKE_PTR(b);
        op->data = a;
        op->data_free = run_action_free;
        op->what = what;
        op->id = id;
        _cleanup_free_ char *url = op_url(op, "/actions/runs/%" PRIi64, id);
        (void) op_request(op, NULL, url, NULL, run_read);
        return 0;
}

static int tool_rerun(McpRequest *req, json_object *arguments) {
        json_object *body = NULL;
        if (json_get_bool(arguments, "enable_debug_logging", false)) {
                body = json_object_new_object();
                if (!body || json_add(body, "enable_debug_logging", json_object_new_boolean(true)) < 0) {
                        json_object_put(body);
                        return -ENOMEM;
                }
        }
        return run_action(req, arguments, "re-run", "rerun", body);
}

static int tool_rerun_failed(McpRequest *req, json_object *arguments) {
        return run_action(req, arguments, "re-run of the failed jobs", "rerun-failed-jobs", NULL);
}

static int tool_cancel_run(McpRequest *req, json_object *arguments) {
        return run_action(req, arguments, "cancellation", "cancel", NULL);
}

#include "schemas.h"

const McpTool actions_write_tools[] = {
        { .name = "github_run_workflow",
                .title = "Run a workflow",
                .description = "Starts a workflow that has the workflow_dispatch trigger, on ref (the repository's "
                               "default branch unless given), with inputs. The inputs are checked against those the "
                               "workflow file declares at that ref (names, required, boolean, number, choice options) "
                               "before anything is started; a mismatch is refused with the declared inputs.",
                .input_schema = actions_schema_run_workflow_input,
                .output_schema = actions_schema_run_workflow_output,
                .annotations = "{\"readOnlyHint\":false,\"destructiveHint\":false,\"idempotentHint\":false,"
                               "\"openWorldHint\":true}",
                .polkit_action = ACTIONS_ACTION_RUN,
                .polkit_required = true,
                .polkit_detail_argument = "repository",
                .handler = tool_run_workflow },
        { .name = "github_rerun",
                .title = "Re-run a workflow run",
                .description = "Re-runs every job of a completed workflow run, optionally with debug logging.",
                .input_schema = actions_schema_rerun_input,
                .output_schema = actions_schema_run_action_output,
                .annotations = "{\"readOnlyHint\":false,\"destructiveHint\":false,\"idempotentHint\":false,"
                               "\"openWorldHint\":true}",
                .polkit_action = ACTIONS_ACTION_RUN,
                .polkit_required = true,
                .polkit_detail_argument = "repository",
                .handler = tool_rerun },
        { .name = "github_rerun_failed",
                .title = "Re-run a run's failed jobs",
                .description = "Re-runs the failed jobs of a completed workflow run, and the jobs that depend on them.",
                .input_schema = actions_schema_run_id_input,
                .output_schema = actions_schema_run_action_output,
                .annotations = "{\"readOnlyHint\":false,\"destructiveHint\":false,\"idempotentHint\":false,"
                               "\"openWorldHint\":true}",
                .polkit_action = ACTIONS_ACTION_RUN,
                .polkit_required = true,
                .polkit_detail_argument = "repository",
                .handler = tool_rerun_failed },
        { .name = "github_cancel_run",
                .title = "Cancel a workflow run",
                .description = "Cancels a workflow run that is queued or in progress.",
                .input_schema = actions_schema_run_id_input,
                .output_schema = actions_schema_run_action_output,
                .annotations = "{\"readOnlyHint\":false,\"destructiveHint\":true,\"idempotentHint\":true,"
                               "\"openWorldHint\":true}",
                .polkit_action = ACTIONS_ACTION_RUN,
                .polkit_required = true,
                .polkit_detail_argument = "repository",
                .handler = tool_cancel_run },
        {}
};
