/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-actionsd's tools served in-process against a GitHub REST fixture on the loopback
 * (tests/actions/github-fixture.py): pagination, ETags, rate limits, the allow-list, dispatch inputs, logs
 * behind a redirect, and a run that completes while github_wait_run waits. Skipped (exit 77) without
 * python3. */
#include <check.h>
#include <curl/curl.h>
#include <openssl/pem.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "actions.h"
#include "base64url.h"
#include "buffer.h"
#include "log-tail.h"
#include "mcp-session.h"
#include "strv.h"
#include "test-util.h"
#include "workflow-inputs.h"

static char dir[] = "/tmp/test-actions-XXXXXX";
static pid_t fixture_pid;
static int fixture_port;

static sd_event *event;
static ActionsContext context;
static McpServer *server;
static McpSession *session;
static Capture capture;
static unsigned next_id = 1;

static const McpServerDefinition definition = { .name = "aios-actionsd-test", .version = "1" };

/* --- the fixture ---------------------------------------------------------------------------------------- */

static uint64_t mono_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static int fixture_start(void) {
        char port_file[PATH_MAX];
        snprintf(port_file, sizeof(port_file), "%s/port", dir);
        const char *script = getenv("AIOS_GITHUB_FIXTURE");
        fixture_pid = fork();
        if (fixture_pid < 0)
                return -errno;
        if (fixture_pid == 0) {
                execl("/usr/bin/python3", "python3", script, port_file, (char *) NULL);
                _exit(127);
        }
        /* Until it says its port, with a deadline. */
        for (uint64_t deadline = mono_usec() + 20 * USEC_PER_SEC; mono_usec() < deadline;) {
                FILE *f = fopen(port_file, "re");
                if (f) {
                        int ok = fscanf(f, "%d", &fixture_port);
                        fclose(f);
                        if (ok == 1)
                                return 0;
                }
                if (waitpid(fixture_pid, NULL, WNOHANG) == fixture_pid)
                        return -ECHILD;
                usleep(20000);
        }
        return -ETIMEDOUT;
}

static size_t collect(char *p, size_t size, size_t nmemb, void *userdata) {
        return buffer_append(userdata, p, size * nmemb, 64U * 1024U * 1024U) < 0 ? 0 : size * nmemb;
}

/* A request to the fixture's own control endpoints (the test's side, blocking is fine here). */
static json_object *fixture(const char *method, const char *path) {
        char url[256];
        snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", fixture_port, path);
        Buffer b = {};
        CURL *e = curl_easy_init();
        ck_assert_ptr_nonnull(e);
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
        if (streq(method, "POST"))
                curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
        ck_assert_int_eq(curl_easy_perform(e), CURLE_OK);
        curl_easy_cleanup(e);
        json_object *j = NULL;
        ck_assert_int_ge(json_parse_strict(b.data, b.size, &j, NULL), 0);
        buffer_done(&b);
        return j;
}

static size_t fixture_requests(void) {
        _cleanup_json_ json_object *r = fixture("GET", "/_fixture/requests");
        return json_object_array_length(r);
}

/* --- a server on a configuration ------------------------------------------------------------------------- */

static void server_start(const char *extra_config) {
        char path[PATH_MAX], token[PATH_MAX];
        snprintf(token, sizeof(token), "%s/token", dir);
        FILE *f = fopen(token, "we");
        ck_assert_ptr_nonnull(f);
        fputs("fixture-token\n", f);
        fclose(f);
        snprintf(path, sizeof(path), "%s/actions.conf", dir);
        f = fopen(path, "we");
        ck_assert_ptr_nonnull(f);
        fprintf(f,
                "[GitHub]\nAPIURL=http://127.0.0.1:%d/\nTokenCredential=%s\n"
                "Repositories=octo-org/octo-repo octo-org/limited\nRepositories=octo-org/secondary octo-org/exhausted\n"
                "PollIntervalSec=100ms\nMaxRateLimitWaitSec=4\n%s",
                fixture_port, token, strempty(extra_config));
        fclose(f);

        _cleanup_json_ json_object *reset = fixture("POST", "/_fixture/reset");
        ck_assert_int_ge(sd_event_new(&event), 0);
        ck_assert_int_ge(actions_context_init(&context, event, path), 0);
        ck_assert_int_ge(mcp_server_new(&server, &definition, event, &context), 0);
        ck_assert_int_ge(actions_add_tools(server, &context), 0);
        ck_assert_int_ge(mcp_session_new(server, &session), 0);
        json_object *r = capture_dispatch(&capture, server, session, event,
                "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\","
                "\"capabilities\":{},\"clientInfo\":{\"name\":\"test\",\"version\":\"1\"}}}");
        ck_assert_ptr_nonnull(json_get_object(r, "result"));
}

static void setup(void) {
        server_start(NULL);
}

static void teardown(void) {
        mcp_session_close(session);
        session = mcp_session_unref(session);
        server = mcp_server_free(server);
        actions_context_done(&context);
        event = sd_event_unref(event);
        capture_reset(&capture);
        test_polkit_deny(NULL);
}

/* Calls a tool with a progress token; returns the result (owned by capture). */
static json_object *call(const char *tool, const char *arguments) {
        _cleanup_free_ char *text = NULL;
        ck_assert_int_ge(asprintf(&text,
                                 "{\"jsonrpc\":\"2.0\",\"id\":%u,\"method\":\"tools/call\",\"params\":{\"name\":\"%s\","
                                 "\"arguments\":%s,\"_meta\":{\"progressToken\":\"p\"}}}",
                                 next_id++, tool, arguments),
                0);
        json_object *reply = capture_dispatch(&capture, server, session, event, text);
        json_object *result = json_get_object(reply, "result");
        ck_assert_msg(result, "no result: %s", json_to_string(reply));
        return result;
}

static bool is_error(json_object *result) {
        return json_get_bool(result, "isError", false);
}

static const char *first_text(json_object *result) {
        return json_get_string(json_object_array_get_idx(json_get_array(result, "content"), 0), "text");
}

static json_object *structured(json_object *result) {
        json_object *s = json_get_object(result, "structuredContent");
        ck_assert_msg(s, "no structuredContent: %s", json_to_string(result));
        return s;
}

/* The progress messages the call sent, joined by newlines. */
static char *progress_messages(void) {
        Buffer b = {};
        for (size_t i = 0; i < json_object_array_length(capture.messages); i++) {
                json_object *m = json_object_array_get_idx(capture.messages, i);
                if (!streq_ptr(json_get_string(m, "method"), "notifications/progress"))
                        continue;
                const char *text = json_get_string(json_get_object(m, "params"), "message");
                ck_assert_int_ge(buffer_append(&b, text, strlen(text), SIZE_MAX), 0);
                ck_assert_int_ge(buffer_append(&b, "\n", 1, SIZE_MAX), 0);
        }
        return b.data ?: strdup("");
}

/* --- the tests ------------------------------------------------------------------------------------------- */

START_TEST(test_list_runs_follows_three_pages) {
        json_object *r = call("github_list_runs", "{\"repository\":\"octo-org/octo-repo\",\"limit\":5}");
        ck_assert_msg(!is_error(r), "%s", first_text(r));
        json_object *s = structured(r);
        ck_assert_int_eq(json_object_get_int(json_object_object_get(s, "total_count")), 5);
        json_object *runs = json_get_array(s, "runs");
        ck_assert_int_eq(json_object_array_length(runs), 5);
        ck_assert_int_eq(json_object_get_int64(json_object_object_get(json_object_array_get_idx(runs, 4), "id")),
                30433638);
        ck_assert_str_eq(json_get_string(json_object_array_get_idx(runs, 2), "actor"), "hubot");
        /* The fixture gives two a page: three requests, the later ones the Link header's URLs. */
        _cleanup_json_ json_object *requests = fixture("GET", "/_fixture/requests");
        ck_assert_int_eq(json_object_array_length(requests), 3);
        ck_assert_ptr_nonnull(strstr(json_get_string(json_object_array_get_idx(requests, 2), "path"), "page=3"));
        ck_assert_str_eq(json_get_string(json_object_array_get_idx(requests, 0), "api_version"), "2022-11-28");
}
END_TEST

START_TEST(test_list_runs_limit_and_filters) {
        json_object *r = call("github_list_runs",
                "{\"repository\":\"octo-org/octo-repo\",\"branch\":\"main\",\"status\":\"success\",\"limit\":1}");
        ck_assert_msg(!is_error(r), "%s", first_text(r));
        json_object *s = structured(r);
        ck_assert_int_eq(json_object_get_int(json_object_object_get(s, "total_count")), 2);
        ck_assert_int_eq(json_object_array_length(json_get_array(s, "runs")), 1);
        ck_assert_int_eq(fixture_requests(), 1);
        _cleanup_json_ json_object *requests = fixture("GET", "/_fixture/requests");
        const char *path = json_get_string(json_object_array_get_idx(requests, 0), "path");
        ck_assert_ptr_nonnull(strstr(path, "branch=main"));
        ck_assert_ptr_nonnull(strstr(path, "status=success"));
}
END_TEST

START_TEST(test_unchanged_answer_is_a_304_from_the_cache) {
        json_object *r = call("github_get_run", "{\"repository\":\"octo-org/octo-repo\",\"run_id\":30433642}");
        ck_assert_msg(!is_error(r), "%s", first_text(r));
        ck_assert_str_eq(json_get_string(structured(r), "conclusion"), "failure");
        r = call("github_get_run", "{\"repository\":\"octo-org/octo-repo\",\"run_id\":30433642}");
        ck_assert_msg(!is_error(r), "%s", first_text(r));
        ck_assert_str_eq(json_get_string(structured(r), "conclusion"), "failure");
        ck_assert_int_eq(github_cache_hits(context.github), 1);
        _cleanup_json_ json_object *requests = fixture("GET", "/_fixture/requests");
        ck_assert_int_eq(json_object_array_length(requests), 2);
        ck_assert_ptr_null(json_get_string(json_object_array_get_idx(requests, 0), "if_none_match"));
        ck_assert_ptr_nonnull(json_get_string(json_object_array_get_idx(requests, 1), "if_none_match"));
}
END_TEST

START_TEST(test_repository_outside_allow_list_is_refused_before_any_request) {
        json_object *r = call("github_list_workflows", "{\"repository\":\"other-org/secret\"}");
        ck_assert(is_error(r));
        ck_assert_ptr_nonnull(strstr(first_text(r), "Repositories="));
        r = call("github_get_run", "{\"repository\":\"../etc\",\"run_id\":1}");
        ck_assert(is_error(r));
        ck_assert_int_eq(fixture_requests(), 0);
        /* An owner's wildcard covers its repositories, whatever their case. */
        ck_assert(actions_config_allows(&(ActionsConfig){ .repositories = (char *[]){ "octo-org/*", NULL } },
                "Octo-Org/anything"));
        ck_assert(!actions_config_allows(&(ActionsConfig){ .repositories = (char *[]){ "octo-org/*", NULL } },
                "octo-org2/anything"));
}
END_TEST

START_TEST(test_primary_rate_limit_is_waited_out_and_reported) {
        uint64_t start = mono_usec();
        json_object *r = call("github_list_workflows", "{\"repository\":\"octo-org/limited\"}");
        ck_assert_msg(!is_error(r), "%s", first_text(r));
        ck_assert_int_eq(json_object_array_length(json_get_array(structured(r), "workflows")), 2);
        ck_assert_uint_ge(mono_usec() - start, USEC_PER_SEC); /* the reset was 2 s ahead */
        _cleanup_free_ char *progress = progress_messages();
        ck_assert_msg(strstr(progress, "rate limit is used up: waiting"), "%s", progress);
}
END_TEST

START_TEST(test_secondary_rate_limit_honours_retry_after) {
        json_object *r = call("github_list_workflows", "{\"repository\":\"octo-org/secondary\"}");
        ck_assert_msg(!is_error(r), "%s", first_text(r));
        _cleanup_free_ char *progress = progress_messages();
        ck_assert_msg(strstr(progress, "secondary rate limit: waiting 1 s"), "%s", progress);
        ck_assert_int_eq(fixture_requests(), 2); /* refused, then asked again */
}
END_TEST

START_TEST(test_long_rate_limit_fails_clearly_without_waiting) {
        uint64_t start = mono_usec();
        json_object *r = call("github_list_workflows", "{\"repository\":\"octo-org/exhausted\"}");
        ck_assert(is_error(r));
        ck_assert_msg(strstr(first_text(r), "MaxRateLimitWaitSec="), "%s", first_text(r));
        ck_assert_uint_lt(mono_usec() - start, 3 * USEC_PER_SEC);
        /* The limit is known now: the next call is refused without asking. */
        r = call("github_list_workflows", "{\"repository\":\"octo-org/octo-repo\"}");
        ck_assert(is_error(r));
        ck_assert_int_eq(fixture_requests(), 1);
}
END_TEST

START_TEST(test_dispatch_checks_inputs_against_the_workflow_file) {
        json_object *r = call("github_run_workflow",
                "{\"repository\":\"octo-org/octo-repo\",\"workflow\":\"deploy.yml\","
                "\"inputs\":{\"environment\":\"moon\",\"debug\":\"maybe\",\"colour\":\"red\"}}");
        ck_assert(is_error(r));
        const char *text = first_text(r);
        ck_assert_msg(strstr(text, "\"environment\" is one of: staging, production"), "%s", text);
        ck_assert_msg(strstr(text, "\"debug\" is a boolean"), "%s", text);
        ck_assert_msg(strstr(text, "no input \"colour\""), "%s", text);
        r = call("github_run_workflow", "{\"repository\":\"octo-org/octo-repo\",\"workflow\":\"deploy.yml\"}");
        ck_assert(is_error(r));
        ck_assert_msg(strstr(first_text(r), "\"environment\" is required"), "%s", first_text(r));
        _cleanup_json_ json_object *none = fixture("GET", "/_fixture/dispatches");
        ck_assert_int_eq(json_object_array_length(none), 0);

        r = call("github_run_workflow",
                "{\"repository\":\"octo-org/octo-repo\",\"workflow\":\"deploy.yml\","
                "\"inputs\":{\"environment\":\"staging\",\"debug\":true,\"replicas\":3}}");
        ck_assert_msg(!is_error(r), "%s", first_text(r));
        ck_assert_str_eq(json_get_string(structured(r), "ref"), "main");
        _cleanup_json_ json_object *sent = fixture("GET", "/_fixture/dispatches");
        ck_assert_int_eq(json_object_array_length(sent), 1);
        json_object *inputs = json_get_object(json_object_array_get_idx(sent, 0), "inputs");
        ck_assert_str_eq(json_get_string(inputs, "debug"), "true");
        ck_assert_str_eq(json_get_string(inputs, "replicas"), "3");

        /* A workflow without the trigger is refused before GitHub is asked to start it. */
        r = call("github_run_workflow", "{\"repository\":\"octo-org/octo-repo\",\"workflow\":\"ci.yml\"}");
        ck_assert(is_error(r));
        ck_assert_msg(strstr(first_text(r), "no workflow_dispatch trigger"), "%s", first_text(r));
}
END_TEST

START_TEST(test_job_logs_tail_of_megabytes_behind_a_redirect) {
        json_object *r = call("github_job_logs",
                "{\"repository\":\"octo-org/octo-repo\",\"job_id\":399444496,\"tail_lines\":3}");
        ck_assert_msg(!is_error(r), "%s", first_text(r));
        json_object *s = structured(r);
        ck_assert_int_ge(json_object_get_int(json_object_object_get(s, "lines_total")), 60000);
        json_object *lines = json_get_array(s, "lines");
        ck_assert_int_eq(json_object_array_length(lines), 3);
        json_object *last = json_object_array_get_idx(lines, 2);
        ck_assert_str_eq(json_get_string(last, "text"), "Post job cleanup.");
        ck_assert_int_eq(json_object_get_int(json_object_object_get(last, "step")), 4);
        json_object *error = json_object_array_get_idx(lines, 1);
        ck_assert_str_eq(json_get_string(error, "text"), "##[error]Process completed with exit code 2.");
        ck_assert_int_eq(json_object_get_int(json_object_object_get(error, "step")), 3);

        /* The log's URL got no token. */
        _cleanup_json_ json_object *requests = fixture("GET", "/_fixture/requests");
        json_object *log = json_object_array_get_idx(requests, json_object_array_length(requests) - 1);
        ck_assert_ptr_nonnull(strstr(json_get_string(log, "path"), "/_logs/"));
        ck_assert_ptr_null(json_get_string(log, "authorization"));
}
END_TEST

START_TEST(test_job_logs_failed_steps_within_budget) {
        json_object *r = call("github_job_logs",
                "{\"repository\":\"octo-org/octo-repo\",\"job_id\":399444496,"
                "\"failed_steps_only\":true,\"tail_lines\":10000,\"max_bytes\":4096}");
        ck_assert_msg(!is_error(r), "%s", first_text(r));
        json_object *s = structured(r);
        json_object *lines = json_get_array(s, "lines");
        size_t n = json_object_array_length(lines), bytes = 0;
        ck_assert_uint_gt(n, 10);
        for (size_t i = 0; i < n; i++) {
                json_object *l = json_object_array_get_idx(lines, i);
                ck_assert_int_eq(json_object_get_int(json_object_object_get(l, "step")), 3);
                bytes += strlen(json_get_string(l, "text")) + 1;
        }
        ck_assert_uint_le(bytes, 4096);
        ck_assert(json_get_bool(s, "truncated", false));
        ck_assert_str_eq(json_get_string(json_object_array_get_idx(lines, n - 1), "text"),
                "##[error]Process completed with exit code 2.");
}
END_TEST

START_TEST(test_wait_run_reports_steps_until_it_completes) {
        json_object *r = call("github_wait_run",
                "{\"repository\":\"octo-org/octo-repo\",\"run_id\":30433700,\"timeout_seconds\":30}");
        ck_assert_msg(!is_error(r), "%s", first_text(r));
        json_object *s = structured(r);
        ck_assert(json_get_bool(s, "completed", false));
        ck_assert_str_eq(json_get_string(json_get_object(s, "run"), "conclusion"), "success");
        _cleanup_free_ char *progress = progress_messages();
        ck_assert_msg(strstr(progress, "step 1 of 3, Set up job, completed (success)"), "%s", progress);
        ck_assert_msg(strstr(progress, "step 3 of 3, Complete job, completed (success)"), "%s", progress);
        ck_assert_msg(strstr(progress, "Job deploy completed (success)"), "%s", progress);
}
END_TEST

START_TEST(test_artifacts_jobs_and_run_actions) {
        json_object *r = call("github_list_artifacts", "{\"repository\":\"octo-org/octo-repo\",\"run_id\":30433642}");
        ck_assert_msg(!is_error(r), "%s", first_text(r));
        json_object *a = json_object_array_get_idx(json_get_array(structured(r), "artifacts"), 0);
        ck_assert_str_eq(json_get_string(a, "name"), "test-results");
        r = call("github_list_jobs", "{\"repository\":\"octo-org/octo-repo\",\"run_id\":30433642}");
        json_object *job = json_object_array_get_idx(json_get_array(structured(r), "jobs"), 0);
        ck_assert_int_eq(json_object_array_length(json_get_array(job, "steps")), 4);
        r = call("github_rerun_failed", "{\"repository\":\"octo-org/octo-repo\",\"run_id\":30433642}");
        ck_assert_msg(!is_error(r), "%s", first_text(r));
        r = call("github_cancel_run", "{\"repository\":\"octo-org/octo-repo\",\"run_id\":30433642}");
        ck_assert(is_error(r));
        ck_assert_msg(strstr(first_text(r), "409"), "%s", first_text(r));
}
END_TEST

START_TEST(test_polkit_is_asked_with_the_repository) {
        test_polkit_deny(ACTIONS_ACTION_RUN);
        json_object *reply = capture_dispatch(&capture, server, session, event,
                "{\"jsonrpc\":\"2.0\",\"id\":99,\"method\":\"tools/call\",\"params\":{\"name\":\"github_rerun\","
                "\"arguments\":{\"repository\":\"octo-org/octo-repo\",\"run_id\":30433642}}}");
        ck_assert_ptr_nonnull(json_get_object(reply, "error"));
        json_object *asked = test_polkit_last_asked();
        ck_assert_str_eq(json_get_string(asked, "action"), ACTIONS_ACTION_RUN);
        ck_assert_str_eq(json_get_string(asked, "repository"), "octo-org/octo-repo");
        ck_assert_int_eq(fixture_requests(), 0);
}
END_TEST

START_TEST(test_run_actions_ask_polkit_about_the_workflow) {
        json_object *r = call("github_rerun", "{\"repository\":\"octo-org/octo-repo\",\"run_id\":30433642}");
        ck_assert_msg(!is_error(r), "%s", first_text(r));
        json_object *asked = test_polkit_last_asked();
        ck_assert_str_eq(json_get_string(asked, "action"), ACTIONS_ACTION_RUN);
        ck_assert_str_eq(json_get_string(asked, "workflow"), ".github/workflows/ci.yml");

        /* A rule that refuses one workflow: the run of another goes on, this one is refused before the POST. */
        test_polkit_deny(ACTIONS_ACTION_RUN " workflow=.github/workflows/ci.yml");
        r = call("github_rerun_failed", "{\"repository\":\"octo-org/octo-repo\",\"run_id\":30433642}");
        ck_assert(is_error(r));
        ck_assert_msg(strstr(first_text(r), "does not allow this caller to run workflow .github/workflows/ci.yml"),
                "%s", first_text(r));
        r = call("github_run_workflow",
                "{\"repository\":\"octo-org/octo-repo\",\"workflow\":\"deploy.yml\","
                "\"inputs\":{\"environment\":\"staging\"}}");
        ck_assert_msg(!is_error(r), "%s", first_text(r));
        ck_assert_str_eq(json_get_string(test_polkit_last_asked(), "workflow"), ".github/workflows/deploy.yml");
        test_polkit_deny(ACTIONS_ACTION_RUN " workflow=.github/workflows/deploy.yml");
        r = call("github_run_workflow",
                "{\"repository\":\"octo-org/octo-repo\",\"workflow\":\"deploy.yml\","
                "\"inputs\":{\"environment\":\"staging\"}}");
        ck_assert(is_error(r));
        ck_assert_msg(strstr(first_text(r), "run workflow .github/workflows/deploy.yml of octo-org/octo-repo"), "%s",
                first_text(r));
        test_polkit_deny(NULL);
}
END_TEST

/* In-process there is no bus, so no subject aios-ided could ask polkit about: refused, with the reason. The
 * download itself is tested on the development stack (tests/workspace/workspace-check.sh). */
START_TEST(test_download_artifact_needs_the_bus) {
        json_object *r = call("github_download_artifact",
                "{\"repository\":\"octo-org/octo-repo\",\"artifact_id\":21,\"workspace\":\"w\",\"path\":\"a.zip\"}");
        ck_assert(is_error(r));
        ck_assert_msg(strstr(first_text(r), "only to calls that come over the system bus"), "%s", first_text(r));
        r = call("github_download_artifact",
                "{\"repository\":\"octo-org/octo-repo\",\"artifact_id\":22,\"workspace\":\"w\",\"path\":\"a.zip\"}");
        ck_assert(is_error(r));
        ck_assert_msg(strstr(first_text(r), "more than the 104857600"), "%s", first_text(r));
        r = call("github_download_artifact",
                "{\"repository\":\"octo-org/octo-repo\",\"artifact_id\":23,\"workspace\":\"w\",\"path\":\"a.zip\"}");
        ck_assert(is_error(r));
        ck_assert_msg(strstr(first_text(r), "has expired"), "%s", first_text(r));
}
END_TEST

START_TEST(test_read_only_lists_no_write_tool) {
        teardown();
        server_start("ReadOnly=yes\n");
        _cleanup_json_ json_object *tools = mcp_server_tool_descriptors(server);
        size_t n = json_object_array_length(tools);
        /* github_download_artifact writes into a workspace, not to GitHub: it stays. */
        ck_assert_uint_eq(n, 9);
        for (size_t i = 0; i < n; i++) {
                const char *name = json_get_string(json_object_array_get_idx(tools, i), "name");
                ck_assert(!streq(name, "github_run_workflow") && !streq(name, "github_rerun") &&
                        !streq(name, "github_rerun_failed") && !streq(name, "github_cancel_run"));
        }
}
END_TEST

/* The App's JWT as the fixture received it: RS256 over its first two parts with the key the test made. */
static void assert_jwt_signed(const char *authorization, EVP_PKEY *key) {
        ck_assert_ptr_nonnull(authorization);
        const char *jwt = authorization + strlen("Bearer ");
        const char *dot = strrchr(jwt, '.');
        ck_assert_ptr_nonnull(dot);
        uint8_t *sig = NULL;
        size_t size = 0;
        ck_assert_int_ge(base64url_decode(dot + 1, strlen(dot + 1), &sig, &size), 0);
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        ck_assert_int_eq(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key), 1);
        ck_assert_int_eq(EVP_DigestVerify(md, sig, size, (const unsigned char *) jwt, dot - jwt), 1);
        EVP_MD_CTX_free(md);
        free(sig);
}

START_TEST(test_app_mints_an_installation_token_once) {
        teardown();
        char key_path[PATH_MAX], config[PATH_MAX + 128];
        snprintf(key_path, sizeof(key_path), "%s/app-key.pem", dir);
        EVP_PKEY *key = EVP_RSA_gen(2048);
        ck_assert_ptr_nonnull(key);
        FILE *f = fopen(key_path, "we");
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
        fclose(f);
        snprintf(config, sizeof(config), "AppID=12345\nInstallationID=42\nAppKeyCredential=%s\n", key_path);
        server_start(config);

        json_object *r = call("github_list_workflows", "{\"repository\":\"octo-org/octo-repo\"}");
        ck_assert_msg(!is_error(r), "%s", first_text(r));
        r = call("github_get_run", "{\"repository\":\"octo-org/octo-repo\",\"run_id\":30433642}");
        ck_assert_msg(!is_error(r), "%s", first_text(r));

        _cleanup_json_ json_object *requests = fixture("GET", "/_fixture/requests");
        ck_assert_int_eq(json_object_array_length(requests), 3);
        json_object *mint = json_object_array_get_idx(requests, 0);
        ck_assert_str_eq(json_get_string(mint, "path"), "/app/installations/42/access_tokens");
        assert_jwt_signed(json_get_string(mint, "authorization"), key);
        for (size_t i = 1; i < 3; i++)
                ck_assert_str_eq(json_get_string(json_object_array_get_idx(requests, i), "authorization"),
                        "Bearer ghs_fixtureinstallationtoken");
        EVP_PKEY_free(key);
}
END_TEST

/* --- the pure parts: configuration, workflow files, log lines ------------------------------------------- */

static int config_from(const char *text, ActionsConfig *c) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/parse.conf", dir);
        FILE *f = fopen(path, "we");
        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        fclose(f);
        *c = (ActionsConfig){};
        return actions_config_load(c, path);
}

START_TEST(test_config_values_are_checked) {
        ActionsConfig c;
        ck_assert_int_eq(config_from("[GitHub]\nRepositories=octo-org/*\nRepositories=\nRepositories=a/b c/d\n"
                                     "APIURL=https://github.example.com/api/v3/\nPollIntervalSec=1.5min\n",
                                 &c),
                0);
        ck_assert_str_eq(c.api_url, "https://github.example.com/api/v3");
        ck_assert_int_eq(strv_length(c.repositories), 2);
        ck_assert(!actions_config_allows(&c, "octo-org/x")); /* the empty value forgot it */
        ck_assert_uint_eq(c.poll_interval_usec, 90 * USEC_PER_SEC);
        ck_assert_str_eq(c.token_credential, "github-token");
        actions_config_done(&c);

        static const char *const bad[] = { "[GitHub]\nRepositories=octo-org\n", "[GitHub]\nRepositories=*/*\n",
                "[GitHub]\nRepositories=a/..\n", "[GitHub]\nRepositories=-a/b\n", "[GitHub]\nAPIURL=ftp://x\n",
                "[GitHub]\nReadOnly=maybe\n", "[GitHub]\nTokenCredential=../x\n", "[GitHub]\nPollIntervalSec=soon\n",
                "[GitHub\n", "[GitHub]\nAppID=12345\n", "[GitHub]\nInstallationID=x\n" };
        FOREACH_ELEMENT(b, bad) {
                ck_assert_msg(config_from(*b, &c) < 0, "accepted: %s", *b);
                actions_config_done(&c);
        }
}
END_TEST

static int inputs_of(const char *yaml, WorkflowInputs *w) {
        _cleanup_free_ char *error = NULL;
        return workflow_inputs_parse(yaml, strlen(yaml), w, &error);
}

START_TEST(test_workflow_dispatch_trigger_in_every_spelling) {
        WorkflowInputs w;
        ck_assert_int_eq(inputs_of("on: workflow_dispatch\n", &w), 0);
        ck_assert(w.dispatchable);
        ck_assert_uint_eq(w.n_inputs, 0);
        workflow_inputs_done(&w);
        ck_assert_int_eq(inputs_of("on: [push, workflow_dispatch]\n", &w), 0);
        ck_assert(w.dispatchable);
        workflow_inputs_done(&w);
        ck_assert_int_eq(inputs_of("on:\n  workflow_dispatch:\n", &w), 0);
        ck_assert(w.dispatchable);
        workflow_inputs_done(&w);
        ck_assert_int_eq(inputs_of("on:\n  push:\n", &w), 0);
        ck_assert(!w.dispatchable);
        workflow_inputs_done(&w);
        ck_assert_int_eq(inputs_of("on: [push\n", &w), -EINVAL);
        ck_assert_int_eq(inputs_of("on:\n  workflow_dispatch:\n    inputs:\n      x:\n        type: colour\n", &w),
                -EINVAL);

        ck_assert_int_eq(inputs_of("on:\n  workflow_dispatch:\n    inputs:\n      level:\n        type: choice\n"
                                   "        options: [low, high]\n        required: yes\n      note:\n",
                                 &w),
                0);
        ck_assert_uint_eq(w.n_inputs, 2);
        _cleanup_json_ json_object *given = json_tokener_parse("{\"level\":\"high\",\"note\":\"hi\"}");
        json_object *out = NULL;
        _cleanup_free_ char *error = NULL;
        ck_assert_int_eq(workflow_inputs_check(&w, given, &out, &error), 0);
        ck_assert_str_eq(json_get_string(out, "level"), "high");
        json_object_put(out);
        _cleanup_json_ json_object *missing = json_tokener_parse("{\"note\":\"hi\"}");
        ck_assert_int_eq(workflow_inputs_check(&w, missing, &out, &error), -EINVAL);
        ck_assert_ptr_nonnull(strstr(error, "\"level\" is required"));
        workflow_inputs_done(&w);
}
END_TEST

START_TEST(test_log_lines_go_to_their_steps) {
        _cleanup_json_ json_object *steps = json_tokener_parse(
                "[{\"number\":1,\"name\":\"a\",\"conclusion\":\"success\",\"started_at\":\"2024-01-10T12:00:00Z\","
                "\"completed_at\":\"2024-01-10T12:00:05Z\"},"
                "{\"number\":2,\"name\":\"b\",\"conclusion\":\"failure\",\"started_at\":\"2024-01-10T12:00:05Z\","
                "\"completed_at\":\"2024-01-10T12:00:09Z\"}]");
        LogTail t;
        ck_assert_int_eq(log_tail_init(&t, steps, false, 10, 4096), 0);
        const char *log = "\xef\xbb\xbf"
                          "2024-01-10T11:59:59.9000000Z preamble\n"
                          "2024-01-10T12:00:05.1000000Z last of a\n"
                          "2024-01-10T12:00:05.2000000Z ##[group]Run b\n"
                          "continued without a timestamp\n"
                          "2024-01-10T12:00:08.0000000Z end of b";
        /* Fed in pieces that split lines. */
        for (size_t i = 0; i < strlen(log); i += 7)
                ck_assert_int_eq(log_tail_feed(&t, log + i, MIN((size_t) 7, strlen(log) - i)), 0);
        ck_assert_int_eq(log_tail_finish(&t), 0);
        _cleanup_json_ json_object *lines = log_tail_lines(&t);
        ck_assert_int_eq(json_object_array_length(lines), 5);
        static const int expected[] = { 1, 1, 2, 2, 2 };
        for (size_t i = 0; i < 5; i++)
                ck_assert_int_eq(json_object_get_int(
                                         json_object_object_get(json_object_array_get_idx(lines, i), "step")),
                        expected[i]);
        ck_assert_str_eq(json_get_string(json_object_array_get_idx(lines, 0), "text"), "preamble");
        log_tail_done(&t);
}
END_TEST

static Suite *actions_suite(void) {
        Suite *s = suite_create("actions");
        TCase *tc = tcase_create("tools");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_list_runs_follows_three_pages);
        tcase_add_test(tc, test_list_runs_limit_and_filters);
        tcase_add_test(tc, test_unchanged_answer_is_a_304_from_the_cache);
        tcase_add_test(tc, test_repository_outside_allow_list_is_refused_before_any_request);
        tcase_add_test(tc, test_primary_rate_limit_is_waited_out_and_reported);
        tcase_add_test(tc, test_secondary_rate_limit_honours_retry_after);
        tcase_add_test(tc, test_long_rate_limit_fails_clearly_without_waiting);
        tcase_add_test(tc, test_dispatch_checks_inputs_against_the_workflow_file);
        tcase_add_test(tc, test_job_logs_tail_of_megabytes_behind_a_redirect);
        tcase_add_test(tc, test_job_logs_failed_steps_within_budget);
        tcase_add_test(tc, test_wait_run_reports_steps_until_it_completes);
        tcase_add_test(tc, test_artifacts_jobs_and_run_actions);
        tcase_add_test(tc, test_polkit_is_asked_with_the_repository);
        tcase_add_test(tc, test_run_actions_ask_polkit_about_the_workflow);
        tcase_add_test(tc, test_download_artifact_needs_the_bus);
        tcase_add_test(tc, test_read_only_lists_no_write_tool);
        tcase_add_test(tc, test_app_mints_an_installation_token_once);
        suite_add_tcase(s, tc);
        TCase *pure = tcase_create("parsers");
        tcase_add_test(pure, test_config_values_are_checked);
        tcase_add_test(pure, test_workflow_dispatch_trigger_in_every_spelling);
        tcase_add_test(pure, test_log_lines_go_to_their_steps);
        suite_add_tcase(s, pure);
        return s;
}

int main(void) {
        if (access("/usr/bin/python3", X_OK) < 0) {
                printf("SKIP: /usr/bin/python3 is needed for the GitHub fixture server.\n");
                return 77;
        }
        if (!mkdtemp(dir)) {
                perror("mkdtemp");
                return 1;
        }
        int r = fixture_start();
        if (r < 0) {
                fprintf(stderr, "The GitHub fixture server did not start: %s\n", strerror(-r));
                return 1;
        }
        r = test_run_suite(actions_suite());
        kill(fixture_pid, SIGTERM);
        waitpid(fixture_pid, NULL, 0);
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        (void) system(cmd);
        return r;
}
