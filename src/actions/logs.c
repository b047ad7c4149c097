/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-actionsd: github_job_logs. The job first (its steps and their times), then its log: GitHub answers the
 * log's URL with a redirect to where the text is, fetched without the token and read as it streams in. */
#include <stdio.h>

#include "log-tail.h"
#include "mcp-content.h"
#include "op.h"
#include "summary.h"

#define TAIL_LINES_DEFAULT 200U
#define TAIL_LINES_MAX 10000U
#define MAX_BYTES_DEFAULT (64U * 1024U)
#define MAX_BYTES_MAX (1024U * 1024U)
/* The most of one log read; a longer one ends the call. */
#define LOG_DOWNLOAD_MAX (512ULL * 1024U * 1024U)

typedef struct JobLogs {
        int64_t job_id;
        bool failed_only;
        unsigned tail_lines;
        size_t max_bytes;
        json_object *job; /* summary_job() */
        LogTail tail;
        bool tail_ready;
        uint64_t downloaded;
} JobLogs;

static void job_logs_free(void *p) {
        JobLogs *j = p;
        json_object_put(j->job);
        if (j->tail_ready)
                log_tail_done(&j->tail);
        free(j);
}

static int on_log_data(const char *p, size_t n, void *userdata) {
        ActionsOp *op = userdata;
        JobLogs *j = op->data;
        j->downloaded += n;
        if (j->downloaded > LOG_DOWNLOAD_MAX)
                return -E2BIG;
        return log_tail_feed(&j->tail, p, n);
}

static void log_read(ActionsOp *op, const GitHubResponse *r) {
        JobLogs *j = op->data;
        if (github_failed(r)) {
                op_fail_response(op, r);
                return;
        }
        if (log_tail_finish(&j->tail) < 0) {
                op_fail(op, "Out of memory.");
                return;
        }

        _cleanup_free_ char *text = NULL;
        if (log_tail_text(&j->tail, &text) < 0) {
                op_fail(op, "Out of memory.");
                return;
        }
        json_object *s = json_object_new_object();
        json_object *steps = json_object_new_array();
        for (size_t i = 0; steps && i < j->tail.n_steps; i++) {
                const LogStep *st = &j->tail.steps[i];
                json_object *o = json_object_new_object();
                if (!o || json_add(o, "number", json_object_new_int(st->number)) < 0 ||
                        json_add_string(o, "name", st->name) < 0 ||
                        json_add_string(o, "conclusion", st->conclusion) < 0 ||
                        json_add(o, "lines", json_object_new_int64((int64_t) st->lines)) < 0 ||
                        json_object_array_add(steps, o) < 0)
                        o = (json_object_put(o), steps = (json_object_put(steps), NULL));
        }
        bool truncated = j->tail.selected_lines > j->tail.count;
        if (!s || json_add(s, "job_id", json_object_new_int64(j->job_id)) < 0 ||
                json_add_string(s, "name", strempty(json_get_string(j->job, "name"))) < 0 ||
                json_object_object_add(s, "conclusion", json_object_get(json_object_object_get(j->job, "conclusion"))) <
                        0 ||
                json_add(s, "steps", steps) < 0 ||
                json_add(s, "lines_total", json_object_new_int64((int64_t) j->tail.total_lines)) < 0 ||
                json_add(s, "lines_selected", json_object_new_int64((int64_t) j->tail.selected_lines)) < 0 ||
                json_add(s, "lines_returned", json_object_new_int64((int64_t) j->tail.count)) < 0 ||
                json_add(s, "truncated", json_object_new_boolean(truncated)) < 0 ||
                json_add(s, "lines", log_tail_lines(&j->tail)) < 0) {
                json_object_put(s);
                op_fail(op, "Out of memory.");
                return;
        }

        _cleanup_free_ char *header = NULL;
        if (asprintf(&header, "%s: the last %zu of %zu %slines (%zu in the whole log)%s\n",
                    strempty(json_get_string(j->job, "name")), j->tail.count, j->tail.selected_lines,
                    j->failed_only ? "failed steps' " : "", j->tail.total_lines,
                    truncated ? "; tail_lines and max_bytes bound the rest" : "") < 0)
                header = NULL;
        op_reply(op, JSON_ARRAY(mcp_content_text(header ?: ""), mcp_content_text(text)), s);
}

static void log_redirected(ActionsOp *op, const GitHubResponse *r) {
        JobLogs *j = op->data;
        bool redirect = r->error >= 0 && r->status >= 300 && r->status < 400;
        if (!redirect && github_failed(r)) {
                if (r->status == 410)
                        op_fail(op, "The log of job %" PRIi64 " is gone: GitHub keeps logs for a limited time.",
                                j->job_id);
                else
                        op_fail_response(op, r);
                return;
        }
        if (!(r->status >= 300 && r->status < 400) || !r->location ||
                !(startswith_ptr(r->location, "https://") || startswith_ptr(r->location, "http://"))) {
                op_fail(op, "GitHub did not point to the log of job %" PRIi64 " (status %ld).", j->job_id, r->status);
                return;
        }

        /* The log's URL carries its own short-lived authorization: the token stays here. */
        _cleanup_free_ char *location = strdup(r->location);
        (void) op_call(op, &(GitHubRequest){ .url = location, .anonymous = true, .sink = on_log_data }, log_read);
}

static void job_read(ActionsOp *op, const GitHubResponse *r) {
        JobLogs *j = op->data;
        if (github_failed(r)) {
                op_fail_response(op, r);
                return;
        }
        j->job = summary_job(r->json);
        if (!j->job ||
                log_tail_init(&j->tail, json_get_array(r->json, "steps"), j->failed_only, j->tail_lines, j->max_bytes) <
                        0) {
                op_fail(op, "Out of memory.");
                return;
        }
        j->tail_ready = true;
        if (j->failed_only && !log_tail_any_selected(&j->tail)) {
                json_object *s = json_object_new_object();
                if (s &&
                        (json_add(s, "job_id", json_object_new_int64(j->job_id)) < 0 ||
                                json_object_object_add(s, "conclusion",
                                        json_object_get(json_object_object_get(j->job, "conclusion"))) < 0 ||
                                json_add(s, "lines", json_object_new_array()) < 0))
                        s = (json_object_put(s), NULL);
                op_reply(op,
                        JSON_ARRAY(mcp_content_text(
                                "No step of this job failed: there are no failed steps' lines to show.")),
                        s);
                return;
        }
        _cleanup_free_ char *url = op_url(op, "/actions/jobs/%" PRIi64 "/logs", j->job_id);
        (void) op_request(op, NULL, url, NULL, log_redirected);
}

static int tool_job_logs(McpRequest *req, json_object *arguments) {
        int r;
        ActionsOp *op = op_new(req, arguments, &r);
        if (!op)
                return r;
        JobLogs *j = new0(JobLogs, 1);
        if (!j) {
                op_free(op);
                return -ENOMEM;
        }
        op->data = j;
        op->data_free = job_logs_free;
        j->job_id = op_argument_id(arguments, "job_id");
        if (j->job_id <= 0) {
                op_fail(op, "job_id must be a job's id, a positive integer.");
                return 0;
        }
        j->failed_only = json_get_bool(arguments, "failed_steps_only", false);
        json_object *v;
        j->tail_lines = TAIL_LINES_DEFAULT;
        if (json_object_object_get_ex(arguments, "tail_lines", &v))
                j->tail_lines = (unsigned) MAX(1, MIN(json_object_get_int64(v), (int64_t) TAIL_LINES_MAX));
        j->max_bytes = MAX_BYTES_DEFAULT;
        if (json_object_object_get_ex(arguments, "max_bytes", &v))
                j->max_bytes = (size_t) MAX(256, MIN(json_object_get_int64(v), (int64_t) MAX_BYTES_MAX));

        _cleanup_free_ char *url = op_url(op, "/actions/jobs/%" PRIi64, j->job_id);
        (void) op_request(op, NULL, url, NULL, job_read);
        return 0;
}

#include "schemas.h"

const McpTool actions_log_tools[] = {
        { .name = "github_job_logs",
                .title = "A job's log",
                .description = "The end of a job's log, each line with the step it belongs to: the last tail_lines "
                               "lines (default 200) within max_bytes (default 64 KiB), optionally of the failed steps "
                               "only. Logs of any size are read as they stream; only the tail is kept.",
                .input_schema = actions_schema_job_logs_input,
                .output_schema = actions_schema_job_logs_output,
                .annotations = "{\"readOnlyHint\":true,\"openWorldHint\":true}",
                .polkit_action = ACTIONS_ACTION_READ,
                .polkit_required = true,
                .polkit_detail_argument = "repository",
                .handler = tool_job_logs },
        {}
};
