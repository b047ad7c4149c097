/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The answer to a run: structuredContent with what happened, and content a model reads at a glance (the
 * output, the error, the value), the figures as images and the files the code wrote as embedded resources. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

#include "mcp-content.h"
#include "mcp-request.h"
#include "run-internal.h"
#include "text.h"
#include "workspace.h"

/* Written files returned by one run, at most. */
#define FILES_RETURNED_MAX 64

char *uri_segment_encode(const char *path) {
        static const char hex[] = "0123456789ABCDEF";
        char *out = malloc(strlen(path) * 3 + 1), *o = out;
        if (!out)
                return NULL;
        for (const unsigned char *p = (const unsigned char *) path; *p; p++) {
                if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                        strchr("-._~", *p))
                        *o++ = *p;
                else {
                        *o++ = '%';
                        *o++ = hex[*p >> 4];
                        *o++ = hex[*p & 15];
                }
        }
        *o = 0;
        return out;
}

/* ok, exception, exit, timeout, cancelled, killed. */
static const char *run_status(PythonRun *run) {
        if (run->died)
                return run->timed_out ? "timeout" : run->cancelled ? "cancelled" : "killed";
        const char *s = json_get_string(run->reply, "status");
        if (streq_ptr(s, "interrupted"))
                return run->timed_out ? "timeout" : run->cancelled ? "cancelled" : "exception";
        if (streq_ptr(s, "ok") || streq_ptr(s, "exit") || streq_ptr(s, "exception"))
                return s;
        return "exception";
}

static char *killed_reason(PythonRun *run) {
        char *text = NULL;
        if (!run->died)
                return NULL;
        if (run->dead_reason)
                return strdup(run->dead_reason);
        int st = run->exit_status;
        if (WIFSIGNALED(st))
                (void) asprintf(&text, "the interpreter was killed by signal %s%s", sigabbrev_np(WTERMSIG(st)) ?: "?",
                        WTERMSIG(st) == SIGKILL ? " (memory or task limits, or the code itself)" : "");
        else
                (void) asprintf(&text, "the interpreter exited with status %d", WEXITSTATUS(st));
        return text;
}

static json_object *output_string(PythonRun *run, int i) {
        _cleanup_free_ char *text = utf8_sanitize(strempty(run->kept[i]), run->kept_size[i]);
        return text ? json_object_new_string(text) : NULL;
}

/* Reads the files the worker says the code wrote, through the workspace (nothing it names leads elsewhere),
 * within the caps: a resource each into content, a summary each into files. */
static int add_files(PythonRun *run, json_object *content, json_object *files) {
        json_object *written = json_get_array(run->reply, "files_written");
        if (!written || json_object_array_length(written) == 0 || !run->worker)
                return 0;
        _cleanup_close_ int ws = worker_open_workspace(run->worker);
        if (ws < 0)
                return 0;
        const PythonConfig *c = &run->ctx->config;
        size_t budget = c->max_files_returned;
        for (size_t i = 0; i < json_object_array_length(written) && i < FILES_RETURNED_MAX; i++) {
                const char *path = workspace_path(json_object_get_string(json_object_array_get_idx(written, i)));
                if (!path)
                        continue;
                _cleanup_free_ char *data = NULL, *segment = uri_segment_encode(path), *uri = NULL;
                size_t size = 0;
                uint64_t file_size = 0;
                if (!segment)
                        return -ENOMEM;
                if (workspace_read(ws, path, MIN(budget, c->max_file_read), &data, &size, &file_size) < 0)
                        continue;
                if (run->session_id)
                        (void) asprintf(&uri, "python://session/%s/files/%s", run->session_id, segment);
                else
                        (void) asprintf(&uri, "python://run/files/%s", segment);
                if (!uri)
                        return -ENOMEM;
                budget -= size;
                json_object *f = json_object_new_object();
                if (!f || json_object_array_add(files, f) < 0) {
                        json_object_put(f);
                        return -ENOMEM;
                }
                if (json_add_string(f, "path", path) < 0 ||
                        json_add(f, "size", json_object_new_uint64(file_size)) < 0 ||
                        json_add(f, "truncated", json_object_new_boolean(size < file_size)) < 0 ||
                        json_add_string(f, "uri", uri) < 0 || json_add_string(f, "mime_type", mime_type_of(path)) < 0)
                        return -ENOMEM;
                json_object *block = mcp_content_resource(workspace_resource(uri, path, data, size));
                if (!block || json_object_array_add(content, block) < 0) {
                        json_object_put(block);
                        return -ENOMEM;
                }
        }
        return 0;
}

static int add_figures(PythonRun *run, json_object *content, unsigned *ret_n) {
        json_object *figures = json_get_array(run->reply, "figures");
        unsigned n = 0;
        for (size_t i = 0; figures && i < json_object_array_length(figures) && n < run->ctx->config.max_figures; i++) {
                json_object *f = json_object_array_get_idx(figures, i);
                if (!json_object_is_type(f, json_type_string))
                        continue;
                json_object *image = mcp_content_image(json_object_get_string(f), "image/png");
                if (!image || json_object_array_add(content, image) < 0) {
                        json_object_put(image);
                        return -ENOMEM;
                }
                n++;
        }
        *ret_n = n;
        return 0;
}

/* The text block: the output, the error, the value, and what the model should know about how it ended. */
static char *summary_text(PythonRun *run, const char *status, const char *reason) {
        const PythonConfig *c = &run->ctx->config;
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        if (!f)
                return NULL;
        static const char *const names[] = { "stdout", "stderr" };
        for (int i = 0; i < 2; i++) {
                if (run->kept_size[i] == 0)
                        continue;
                _cleanup_free_ char *s = utf8_sanitize(run->kept[i], run->kept_size[i]);
                if (i == 1)
                        fputs("[stderr]\n", f);
                fputs(strempty(s), f);
                if (run->kept_size[i] > 0 && run->kept[i][run->kept_size[i] - 1] != '\n')
                        fputc('\n', f);
                if (run->total[i] > run->kept_size[i])
                        fprintf(f, "[%s cut: %llu bytes in all, the first %zu kept]\n", names[i],
                                (unsigned long long) run->total[i], c->max_output);
        }
        const char *traceback = json_get_string(run->reply, "traceback");
        if (traceback && !streq(status, "timeout"))
                fputs(traceback, f);
        const char *value = json_get_string(run->reply, "value_repr");
        if (value)
                fprintf(f, "Out: %s\n", value);
        json_object *exit_status = NULL;
        if (streq(status, "exit") && json_object_object_get_ex(run->reply, "exit_status", &exit_status))
                fprintf(f, "[exited with status %d]\n", json_object_get_int(exit_status));
        if (streq(status, "timeout"))
                fprintf(f, "[timed out after %.3g s: %s]\n", (double) run->timeout_usec / USEC_PER_SEC,
                        run->died ? "the sandbox was killed" : "interrupted with KeyboardInterrupt");
        else if (streq(status, "killed"))
                fprintf(f, "[the sandbox was killed: %s]\n", reason);
        if (run->session_id && run->restarted)
                fputs("[the session's interpreter ended between runs (it exited, or something it left running "
                      "killed it): this run started afresh, without the earlier state]\n",
                        f);
        if (run->session_id && run->died)
                fputs("[the session's state was lost: its interpreter starts afresh, without its variables, modules "
                      "and workspace files]\n",
                        f);
        if (ftell(f) == 0)
                fputs("(no output)\n", f);
        if (fclose(f) != 0) {
                free(text);
                return NULL;
        }
        return text;
}

int run_answer(PythonRun *run) {
        const char *status = run_status(run);
        _cleanup_free_ char *reason = killed_reason(run);
        _cleanup_json_ json_object *s = json_object_new_object(), *content = json_object_new_array(),
                                   *files = json_object_new_array();
        if (!s || !content || !files)
                return -ENOMEM;

        _cleanup_free_ char *text = summary_text(run, status, reason);
        if (!text || json_object_array_add(content, mcp_content_text(text)) < 0)
                return -ENOMEM;
        unsigned n_figures = 0;
        int r = add_figures(run, content, &n_figures);
        if (r < 0)
                return r;
        r = add_files(run, content, files);
        if (r < 0)
                return r;

        json_object *exit_status = NULL, *exception = json_get_object(run->reply, "exception");
        (void) json_object_object_get_ex(run->reply, "exit_status", &exit_status);
        bool ok =
                streq(status, "ok") || (streq(status, "exit") && exit_status && json_object_get_int(exit_status) == 0);
        const char *value = json_get_string(run->reply, "value_repr"),
                   *traceback = json_get_string(run->reply, "traceback");

        if (json_add_string(s, "status", status) < 0 || json_add(s, "stdout", output_string(run, 0)) < 0 ||
                json_add(s, "stderr", output_string(run, 1)) < 0 ||
                json_add(s, "stdout_truncated", json_object_new_boolean(run->total[0] > run->kept_size[0])) < 0 ||
                json_add(s, "stderr_truncated", json_object_new_boolean(run->total[1] > run->kept_size[1])) < 0 ||
                json_add(s, "stdout_bytes", json_object_new_uint64(run->total[0])) < 0 ||
                json_add(s, "stderr_bytes", json_object_new_uint64(run->total[1])) < 0 ||
                json_add(s, "figures", json_object_new_int(n_figures)) < 0 ||
                json_add(s, "files", TAKE_PTR(files)) < 0 ||
                json_add(s, "duration_ms",
                        json_object_new_double((double) (run->end_usec - run->start_usec) / USEC_PER_MSEC)) < 0 ||
                json_add(s, "timed_out", json_object_new_boolean(run->timed_out)) < 0)
                return -ENOMEM;
        /* What does not apply is left out. */
        if ((value && json_add_string(s, "value_repr", value) < 0) ||
                (streq(status, "exit") && exit_status &&
                        json_add(s, "exit_status", json_object_get(exit_status)) < 0) ||
                (exception && json_add(s, "exception", json_object_get(exception)) < 0) ||
                (traceback && json_add_string(s, "traceback", traceback) < 0) ||
                (reason && json_add_string(s, "killed_reason", reason) < 0))
                return -ENOMEM;
        if (run->session_id &&
                (json_add_string(s, "session_id", run->session_id) < 0 ||
                        json_add(s, "state_lost", json_object_new_boolean(run->died || run->restarted)) < 0))
                return -ENOMEM;
        return mcp_request_reply_content(run->req, TAKE_PTR(content), TAKE_PTR(s), !ok);
}
