/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Work run off the loop in threads, its results handed back over an eventfd watched by the loop. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "job.h"
#include "log.h"
#include "mcp-content.h"

struct IdeJob {
        IdeContext *ctx;
        McpRequest *req;
        IdeJobWork work;
        void *userdata;
        void (*free_userdata)(void *);
        bool streams;
        LIST_FIELDS(IdeJob);

        pthread_t thread;
        bool started;
        int efd;
        sd_event_source *source;
        atomic_bool cancelled;

        /* Filled by the thread; read by the loop after it saw the eventfd (under lock, or after the join). */
        pthread_mutex_t lock;
        json_object *emitted; /* array of {item, count} not yet sent */
        bool finished;
        int r;
        json_object *structured;
        char *text;
        char *error;
};

static void job_free(IdeJob *j) {
        if (!j)
                return;
        if (j->free_userdata)
                j->free_userdata(j->userdata);
        sd_event_source_disable_unref(j->source);
        safe_close(j->efd);
        json_object_put(j->emitted);
        json_object_put(j->structured);
        free(j->text);
        free(j->error);
        pthread_mutex_destroy(&j->lock);
        mcp_request_unref(j->req);
        free(j);
}

bool ide_job_cancelled(IdeJob *job) {
        return atomic_load(&job->cancelled);
}

bool ide_job_streams(IdeJob *job) {
        return job->streams;
}

static void job_poke(IdeJob *j) {
        uint64_t one = 1;
        (void) !write(j->efd, &one, sizeof(one));
}

void ide_job_set_result(IdeJob *job, json_object *structured, const char *text) {
        json_object_put(job->structured);
        job->structured = structured;
        free(job->text);
        job->text = text ? strdup(text) : NULL;
}

void ide_job_set_error(IdeJob *job, const char *format, ...) {
        va_list ap;
        va_start(ap, format);
        free(job->error);
        if (vasprintf(&job->error, format, ap) < 0)
                job->error = NULL;
        va_end(ap);
}

void ide_job_emit(IdeJob *job, json_object *item, double count) {
        if (!item)
                return;
        json_object *e = json_object_new_object();
        if (!e || json_add(e, "item", item) < 0 || json_add(e, "count", json_object_new_double(count)) < 0) {
                json_object_put(e);
                return;
        }
        pthread_mutex_lock(&job->lock);
        if (json_object_array_add(job->emitted, e) < 0)
                json_object_put(e);
        pthread_mutex_unlock(&job->lock);
        job_poke(job);
}

static void *job_thread(void *userdata) {
        IdeJob *j = userdata;
        int r = j->work(j, j->userdata);
        pthread_mutex_lock(&j->lock);
        j->r = r;
        j->finished = true;
        pthread_mutex_unlock(&j->lock);
        job_poke(j);
        return NULL;
}

static void job_send_emitted(IdeJob *j) {
        pthread_mutex_lock(&j->lock);
        _cleanup_json_ json_object *items = TAKE_PTR(j->emitted);
        j->emitted = json_object_new_array();
        pthread_mutex_unlock(&j->lock);

        const char *tool = mcp_request_get_tool_name(j->req);
        size_t n = items ? json_object_array_length(items) : 0;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(items, i);
                json_object *item = NULL, *count = NULL;
                json_object_object_get_ex(e, "item", &item);
                json_object_object_get_ex(e, "count", &count);
                (void) mcp_request_log(j->req, MCP_LOG_INFO, tool, json_object_get(item));
                if (i + 1 == n)
                        (void) mcp_request_progress(j->req, json_object_get_double(count), -1, NULL);
        }
}

static void job_start_waiting(IdeContext *ctx);

static void job_finish(IdeJob *j) {
        IdeContext *ctx = j->ctx;
        (void) pthread_join(j->thread, NULL);
        j->started = false;
        ctx->n_running--;
        LIST_REMOVE(ctx->jobs, j);
        mcp_request_on_cancel(j->req, NULL, NULL);

        job_send_emitted(j);
        if (j->r < 0 && !j->error)
                (void) mcp_request_reply_tool_error(j->req, "%s failed: %s", mcp_request_get_tool_name(j->req),
                        strerror(-j->r));
        else if (j->error)
                (void) mcp_request_reply_tool_error(j->req, "%s", j->error);
        else {
                const char *text = j->text
                        ?: (j->structured ? json_object_to_json_string_ext(j->structured,
                                                    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
                                          : "");
                (void) mcp_request_reply_content(j->req, JSON_ARRAY(mcp_content_text(text)), TAKE_PTR(j->structured),
                        false);
        }
        job_free(j);
        job_start_waiting(ctx);
}

static int job_on_event(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        IdeJob *j = userdata;
        uint64_t v;
        (void) !read(j->efd, &v, sizeof(v));
        pthread_mutex_lock(&j->lock);
        bool finished = j->finished;
        pthread_mutex_unlock(&j->lock);
        if (finished)
                job_finish(j);
        else
                job_send_emitted(j);
        return 0;
}

static void job_cancelled(McpRequest *req, void *userdata) {
        IdeJob *j = userdata;
        atomic_store(&j->cancelled, true);
        if (!j->started) {
                /* Still waiting for a thread: it never runs. */
                LIST_REMOVE(j->ctx->jobs, j);
                job_free(j);
        }
}

static int job_run(IdeJob *j) {
        j->started = true;
        int r = -pthread_create(&j->thread, NULL, job_thread, j);
        if (r < 0) {
                j->started = false;
                return log_error_errno(r, "Failed to start a thread: %m");
        }
        j->ctx->n_running++;
        return 0;
}

static void job_start_waiting(IdeContext *ctx) {
        while (ctx->n_running < ctx->config.max_jobs) {
                /* The list holds the newest first: the last one not started is the one waiting longest. */
                IdeJob *oldest = NULL;
                LIST_FOREACH(j, ctx->jobs)
                if (!j->started)
                        oldest = j;
                if (!oldest)
                        return;
                if (job_run(oldest) < 0) {
                        LIST_REMOVE(ctx->jobs, oldest);
                        mcp_request_on_cancel(oldest->req, NULL, NULL);
                        (void) mcp_request_reply_tool_error(oldest->req, "The server could not start the work.");
                        job_free(oldest);
                }
        }
}

int ide_job_start(IdeContext *ctx, McpRequest *req, IdeJobWork work, void *userdata, void (*free_userdata)(void *)) {
        IdeJob *j = new0(IdeJob, 1);
        if (!j) {
                if (free_userdata)
                        free_userdata(userdata);
                return -ENOMEM;
        }
        *j = (IdeJob){
                .ctx = ctx,
                .req = mcp_request_ref(req),
                .work = work,
                .userdata = userdata,
                .free_userdata = free_userdata,
                .efd = -EBADF,
                .streams = mcp_request_get_progress_token(req) && mcp_request_log_enabled(req, MCP_LOG_INFO),
        };
        pthread_mutex_init(&j->lock, NULL);
        j->emitted = json_object_new_array();
        j->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (!j->emitted || j->efd < 0) {
                job_free(j);
                return -ENOMEM;
        }
        int r = sd_event_add_io(ctx->event, &j->source, j->efd, EPOLLIN, job_on_event, j);
        if (r < 0) {
                job_free(j);
                return r;
        }
        LIST_PREPEND(ctx->jobs, j);
        mcp_request_on_cancel(req, job_cancelled, j);
        job_start_waiting(ctx);
        return 0;
}

void ide_jobs_stop(IdeContext *ctx) {
        LIST_FOREACH(j, ctx->jobs) {
                atomic_store(&j->cancelled, true);
                if (j->started)
                        (void) pthread_join(j->thread, NULL);
                LIST_REMOVE(ctx->jobs, j);
                mcp_request_on_cancel(j->req, NULL, NULL);
                job_free(j);
        }
        ctx->n_running = 0;
}
