/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-actionsd: github_wait_run. Polls the run and its jobs (conditional requests: an unchanged answer is a
 * 304 that costs no rate limit) no more often than PollIntervalSec= and than the rate limit left allows, and
 * tells the client, as progress, each job and step that completes. */
#include <stdio.h>

#include <time.h>

#include "mcp-content.h"
#include "op.h"
#include "summary.h"

#define TIMEOUT_DEFAULT_SEC 600
#define TIMEOUT_MAX_SEC 3600
/* The requests one poll costs at most: the run and the first page of its jobs. */
#define REQUESTS_PER_POLL 2

typedef struct WaitRun {
        uint64_t deadline; /* CLOCK_MONOTONIC usec */
        json_object *run;  /* summary_run() of the last answer */
        json_object *seen; /* "JOB" and "JOB/STEP" that completed, as keys */
        bool baseline;     /* the first poll only notes what had already completed */
        unsigned polls;
} WaitRun;

static void wait_run_free(void *p) {
        WaitRun *w = p;
        json_object_put(w->run);
        json_object_put(w->seen);
        free(w);
}

static uint64_t now_monotonic(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static void poll_run(ActionsOp *op);

static void on_sleep_done(McpRequest *req, void *userdata) {
        poll_run(userdata);
}

/* How long until the next poll: the configured interval, or longer when the rate limit left would not last
 * until it resets at that pace. */
static uint64_t next_interval(ActionsOp *op) {
        uint64_t interval = op->ctx->config.poll_interval_usec;
        long remaining;
        uint64_t reset;
        github_rate_limit(op->ctx->github, &remaining, &reset);
        time_t now = time(NULL);
        if (remaining >= 0 && reset > (uint64_t) now) {
                uint64_t need =
                        (reset - (uint64_t) now) * USEC_PER_SEC * REQUESTS_PER_POLL / (uint64_t) MAX(remaining, 1L);
                interval = MAX(interval, need);
        }
        return interval;
}

static void finish(ActionsOp *op, json_object *jobs, bool completed) {
        WaitRun *w = op->data;
        json_object *s = json_object_new_object();
        if (s &&
                (json_add_string(s, "repository", op->repository) < 0 ||
                        json_add(s, "completed", json_object_new_boolean(completed)) < 0 ||
                        json_add(s, "polls", json_object_new_int((int) w->polls)) < 0 ||
                        json_add(s, "run", json_object_get(w->run)) < 0 ||
                        json_add(s, "jobs", json_object_get(jobs)) < 0))
                s = (json_object_put(s), NULL);
        _cleanup_free_ char *text = NULL;
        const char *conclusion = json_get_string(w->run, "conclusion");
        if (completed ? asprintf(&text, "Run %" PRIi64 " completed: %s.", op->id, strempty(conclusion)) < 0
                      : asprintf(&text,
                                "Run %" PRIi64 " is still %s after the time given (timeout_seconds); call again to "
                                "go on waiting.",
                                op->id, strempty(json_get_string(w->run, "status"))) < 0)
                text = NULL;
        json_object *content = JSON_ARRAY(mcp_content_text(text ?: ""), mcp_content_text(s ? json_to_string(s) : ""));
        op_reply(op, content, s);
}

static void note_progress(ActionsOp *op, json_object *jobs) {
        WaitRun *w = op->data;
        for (size_t i = 0; i < json_object_array_length(jobs); i++) {
                json_object *job = json_object_array_get_idx(jobs, i);
                const char *name = json_get_string(job, "name") ?: "?";
                json_object *id = json_object_object_get(job, "id");
                json_object *steps = json_get_array(job, "steps");
                size_t n = steps ? json_object_array_length(steps) : 0;
                for (size_t k = 0; k < n; k++) {
                        json_object *step = json_object_array_get_idx(steps, k);
                        if (!streq_ptr(json_get_string(step, "status"), "completed"))
                                continue;
                        char key[64];
                        snprintf(key, sizeof(key), "%s/%d", json_object_get_string(id),
                                json_object_get_int(json_object_object_get(step, "number")));
                        if (json_object_object_get_ex(w->seen, key, NULL))
                                continue;
                        (void) json_object_object_add(w->seen, key, NULL);
                        if (!w->baseline)
                                op_report(op, "Job %s: step %zu of %zu, %s, completed (%s).", name, k + 1, n,
                                        strempty(json_get_string(step, "name")),
                                        strempty(json_get_string(step, "conclusion")));
                }
                const char *key = json_object_get_string(id);
                if (streq_ptr(json_get_string(job, "status"), "completed") &&
                        !json_object_object_get_ex(w->seen, key, NULL)) {
                        (void) json_object_object_add(w->seen, key, NULL);
                        if (!w->baseline)
                                op_report(op, "Job %s completed (%s).", name,
                                        strempty(json_get_string(job, "conclusion")));
                }
        }
        w->baseline = false;
}

static void jobs_listed(ActionsOp *op, json_object *jobs, int64_t total) {
        WaitRun *w = op->data;
        note_progress(op, jobs);
        if (streq_ptr(json_get_string(w->run, "status"), "completed")) {
                finish(op, jobs, true);
                return;
        }
        uint64_t interval = next_interval(op), now = now_monotonic();
        if (now + interval > w->deadline) {
                finish(op, jobs, false);
                return;
        }
        int r = mcp_request_sleep(op->req, interval, on_sleep_done, op);
        if (r < 0)
                op_fail(op, "Could not wait for the next poll: %s", strerror(-r));
}

static void run_read(ActionsOp *op, const GitHubResponse *r) {
        WaitRun *w = op->data;
        if (github_failed(r)) {
                op_fail_response(op, r);
                return;
        }
        json_object_put(w->run);
        w->run = summary_run(r->json);
        if (!w->run) {
                op_fail(op, "Out of memory.");
                return;
        }
        if (w->polls == 1)
                op_report(op, "Run %" PRIi64 " (%s) is %s.", op->id, strempty(json_get_string(w->run, "name")),
                        strempty(json_get_string(w->run, "status")));
        _cleanup_free_ char *url = op_url(op, "/actions/runs/%" PRIi64 "/jobs?per_page=100", op->id);
        (void) op_list(op, url, "jobs", 100, summary_job, jobs_listed);
}

static void poll_run(ActionsOp *op) {
        WaitRun *w = op->data;
        w->polls++;
        _cleanup_free_ char *url = op_url(op, "/actions/runs/%" PRIi64, op->id);
        (void) op_request(op, NULL, url, NULL, run_read);
}

static int tool_wait_run(McpRequest *req, json_object *arguments) {
        int r;
        ActionsOp *op = op_new(req, arguments, &r);
        if (!op)
                return r;
        WaitRun *w = new0(WaitRun, 1);
        if (!w || !(w->seen = json_object_new_object())) {
                free(w);
                op_free(op);
                return -ENOMEM;
        }
        op->data = w;
        op->data_free = wait_run_free;
        op->id = op_argument_id(arguments, "run_id");
        if (op->id <= 0) {
                op_fail(op, "run_id must be a workflow run's id, a positive integer.");
                return 0;
        }
        int64_t timeout = TIMEOUT_DEFAULT_SEC;
        json_object *v;
        if (json_object_object_get_ex(arguments, "timeout_seconds", &v))
                timeout = MAX(1, MIN(json_object_get_int64(v), (int64_t) TIMEOUT_MAX_SEC));
        w->deadline = now_monotonic() + (uint64_t) timeout * USEC_PER_SEC;
        w->baseline = true;
        poll_run(op);
        return 0;
}

#include "schemas.h"

const McpTool actions_wait_tools[] = {
        { .name = "github_wait_run",
                .title = "Wait for a workflow run",
                .description = "Waits until a workflow run completes (or timeout_seconds pass, default 600), telling "
                               "as progress each job and step that completes, and answers with the run and its jobs. "
                               "It polls no faster than the server's PollIntervalSec= and its rate limit allow; "
                               "unchanged answers cost no rate limit.",
                .input_schema = actions_schema_wait_run_input,
                .output_schema = actions_schema_wait_run_output,
                .annotations = "{\"readOnlyHint\":true,\"openWorldHint\":true}",
                .polkit_action = ACTIONS_ACTION_READ,
                .polkit_required = true,
                .polkit_detail_argument = "repository",
                .handler = tool_wait_run },
        {}
};
