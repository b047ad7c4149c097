/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-actionsd: the tools that read workflows, runs, jobs and artifacts. */
#include <stdio.h>

#include "mcp-content.h"
#include "op.h"
#include "summary.h"

#define LIMIT_DEFAULT 30U
#define LIMIT_MAX 1000U
#define PER_PAGE_MAX 100U

static unsigned argument_limit(json_object *arguments) {
        json_object *v;
        if (!json_object_object_get_ex(arguments, "limit", &v))
                return LIMIT_DEFAULT;
        int64_t l = json_object_get_int64(v);
        return l < 1 ? 1 : l > LIMIT_MAX ? LIMIT_MAX : (unsigned) l;
}

/* The answer: structured as it is, and the same as JSON text for clients that read only content. */
static void reply_structured(ActionsOp *op, json_object *structured) {
        if (!structured) {
                op_reply(op, NULL, NULL);
                return;
        }
        op_reply(op, JSON_ARRAY(mcp_content_text(json_to_string(structured))), structured);
}

static void reply_list(ActionsOp *op, const char *key, json_object *items, int64_t total) {
        json_object *s = json_object_new_object();
        if (s &&
                (json_add_string(s, "repository", op->repository) < 0 ||
                        json_add(s, "total_count", json_object_new_int64(total)) < 0 ||
                        json_add(s, key, json_object_get(items)) < 0))
                s = (json_object_put(s), NULL);
        reply_structured(op, s);
}

/* --- github_list_workflows ------------------------------------------------------------------------------ */

static void workflows_listed(ActionsOp *op, json_object *items, int64_t total) {
        reply_list(op, "workflows", items, total);
}

static int tool_list_workflows(McpRequest *req, json_object *arguments) {
        int r;
        ActionsOp *op = op_new(req, arguments, &r);
        if (!op)
                return r;
        unsigned limit = argument_limit(arguments);
        _cleanup_free_ char *url = op_url(op, "/actions/workflows?per_page=%u", MIN(limit, PER_PAGE_MAX));
        (void) op_list(op, url, "workflows", limit, summary_workflow, workflows_listed);
        return 0;
}

/* --- github_list_runs ------------------------------------------------------------------------------------ */

static void runs_listed(ActionsOp *op, json_object *items, int64_t total) {
        reply_list(op, "runs", items, total);
}

/* A workflow's id, or its file name as GitHub takes it in a path ("ci.yml"). */
static bool workflow_name_is_valid(const char *s) {
        size_t n = s ? strlen(s) : 0;
        return n > 0 && n <= 255 &&
                !s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")] && !streq(s, ".") &&
                !streq(s, "..");
}

static int tool_list_runs(McpRequest *req, json_object *arguments) {
        int r;
        ActionsOp *op = op_new(req, arguments, &r);
        if (!op)
                return r;
        const char *workflow = json_get_string(arguments, "workflow");
        if (workflow && !workflow_name_is_valid(workflow)) {
                op_fail(op, "\"%s\" names no workflow: give its id or its file name, such as ci.yml.", workflow);
                return 0;
        }

        unsigned limit = argument_limit(arguments);
        _cleanup_free_ char *query = NULL;
        if (asprintf(&query, "per_page=%u", MIN(limit, PER_PAGE_MAX)) < 0)
                return -ENOMEM;
        static const char *const filters[] = { "branch", "event", "status", "actor", "created", "head_sha" };
        FOREACH_ELEMENT(f, filters) {
                const char *v = json_get_string(arguments, *f);
                if (!v)
                        continue;
                _cleanup_free_ char *e = github_escape(v), *q = NULL;
                if (!e || asprintf(&q, "%s&%s=%s", query, *f, e) < 0)
                        return -ENOMEM;
                free(query);
                query = TAKE_PTR(q);
        }
        _cleanup_free_ char *url = workflow ? op_url(op, "/actions/workflows/%s/runs?%s", workflow, query)
                                            : op_url(op, "/actions/runs?%s", query);
        (void) op_list(op, url, "workflow_runs", limit, summary_run, runs_listed);
        return 0;
}

/* --- github_get_run, github_get_job ---------------------------------------------------------------------- */

static void got_run(ActionsOp *op, const GitHubResponse *r) {
        if (github_failed(r))
                op_fail_response(op, r);
        else
                reply_structured(op, summary_run(r->json));
}

static int tool_get_run(McpRequest *req, json_object *arguments) {
        int r;
        ActionsOp *op = op_new(req, arguments, &r);
        if (!op)
                return r;
        _cleanup_free_ char *url = op_url(op, "/actions/runs/%" PRIi64, op_argument_id(arguments, "run_id"));
        (void) op_request(op, NULL, url, NULL, got_run);
        return 0;
}

static void got_job(ActionsOp *op, const GitHubResponse *r) {
        if (github_failed(r))
                op_fail_response(op, r);
        else
                reply_structured(op, summary_job(r->json));
}

static int tool_get_job(McpRequest *req, json_object *arguments) {
        int r;
        ActionsOp *op = op_new(req, arguments, &r);
        if (!op)
                return r;
        _cleanup_free_ char *url = op_url(op, "/actions/jobs/%" PRIi64, op_argument_id(arguments, "job_id"));
        (void) op_request(op, NULL, url, NULL, got_job);
        return 0;
}

/* --- github_list_jobs, github_list_artifacts ------------------------------------------------------------- */

static void jobs_listed(ActionsOp *op, json_object *items, int64_t total) {
        reply_list(op, "jobs", items, total);
}

static int tool_list_jobs(McpRequest *req, json_object *arguments) {
        int r;
        ActionsOp *op = op_new(req, arguments, &r);
        if (!op)
                return r;
        unsigned limit = argument_limit(arguments);
        const char *filter = json_get_string(arguments, "filter") ?: "latest";
        _cleanup_free_ char *url = op_url(op, "/actions/runs/%" PRIi64 "/jobs?filter=%s&per_page=%u",
                op_argument_id(arguments, "run_id"), streq(filter, "all") ? "all" : "latest", MIN(limit, PER_PAGE_MAX));
        (void) op_list(op, url, "jobs", limit, summary_job, jobs_listed);
        return 0;
}

static void artifacts_listed(ActionsOp *op, json_object *items, int64_t total) {
        reply_list(op, "artifacts", items, total);
}

static int tool_list_artifacts(McpRequest *req, json_object *arguments) {
        int r;
        ActionsOp *op = op_new(req, arguments, &r);
        if (!op)
                return r;
        unsigned limit = argument_limit(arguments);
        _cleanup_free_ char *url = op_url(op, "/actions/runs/%" PRIi64 "/artifacts?per_page=%u",
                op_argument_id(arguments, "run_id"), MIN(limit, PER_PAGE_MAX));
        (void) op_list(op, url, "artifacts", limit, summary_artifact, artifacts_listed);
        return 0;
}

/* --- the table -------------------------------------------------------------------------------------------- */

#include "schemas.h"

#define READ_ANNOTATIONS "{\"readOnlyHint\":true,\"openWorldHint\":true}"

const McpTool actions_list_tools[] = {
        { .name = "github_list_workflows",
                .title = "List workflows",
                .description = "The workflows of a repository: id, name, file path and state (active or disabled).",
                .input_schema = actions_schema_list_workflows_input,
                .output_schema = actions_schema_list_workflows_output,
                .annotations = READ_ANNOTATIONS,
                .polkit_action = ACTIONS_ACTION_READ,
                .polkit_required = true,
                .polkit_detail_argument = "repository",
                .handler = tool_list_workflows },
        { .name = "github_list_runs",
                .title = "List workflow runs",
                .description = "A repository's workflow runs, newest first, optionally of one workflow and filtered by "
                               "branch, event, status (queued, in_progress, completed, success, failure, ...), actor "
                               "and creation date (GitHub's created syntax, such as >=2024-01-01).",
                .input_schema = actions_schema_list_runs_input,
                .output_schema = actions_schema_list_runs_output,
                .annotations = READ_ANNOTATIONS,
                .polkit_action = ACTIONS_ACTION_READ,
                .polkit_required = true,
                .polkit_detail_argument = "repository",
                .handler = tool_list_runs },
        { .name = "github_get_run",
                .title = "Get a workflow run",
                .description = "One workflow run: its workflow, branch, commit, event, status and conclusion.",
                .input_schema = actions_schema_run_id_input,
                .output_schema = actions_schema_run_output,
                .annotations = READ_ANNOTATIONS,
                .polkit_action = ACTIONS_ACTION_READ,
                .polkit_required = true,
                .polkit_detail_argument = "repository",
                .handler = tool_get_run },
        { .name = "github_list_jobs",
                .title = "List a run's jobs",
                .description = "The jobs of a workflow run with their steps, status and conclusion; of the latest "
                               "attempt unless filter is \"all\".",
                .input_schema = actions_schema_list_jobs_input,
                .output_schema = actions_schema_list_jobs_output,
                .annotations = READ_ANNOTATIONS,
                .polkit_action = ACTIONS_ACTION_READ,
                .polkit_required = true,
                .polkit_detail_argument = "repository",
                .handler = tool_list_jobs },
        { .name = "github_get_job",
                .title = "Get a job",
                .description = "One job of a workflow run, with its steps, their status, conclusion and times.",
                .input_schema = actions_schema_job_id_input,
                .output_schema = actions_schema_job_output,
                .annotations = READ_ANNOTATIONS,
                .polkit_action = ACTIONS_ACTION_READ,
                .polkit_required = true,
                .polkit_detail_argument = "repository",
                .handler = tool_get_job },
        { .name = "github_list_artifacts",
                .title = "List a run's artifacts",
                .description =
                        "The artifacts a workflow run uploaded: id, name, size, digest and expiry; github_download_artifact "
                        "puts one into an IDE workspace.",
                .input_schema = actions_schema_list_artifacts_input,
                .output_schema = actions_schema_list_artifacts_output,
                .annotations = READ_ANNOTATIONS,
                .polkit_action = ACTIONS_ACTION_READ,
                .polkit_required = true,
                .polkit_detail_argument = "repository",
                .handler = tool_list_artifacts },
        {}
};
