/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Commands in sandboxes: spawned from the loop's thread (as sandbox_spawn() wants), watched through the init's
 * pidfd, their output read from pipes as sd-event io sources, a timer for the timeout (SIGTERM to the command,
 * then the whole sandbox killed after a grace period). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "run.h"
#include "sandbox.h"
#include "text.h"
#include "time-util.h"

#define GRACE_USEC (5 * USEC_PER_SEC)
#define PROGRESS_USEC (1 * USEC_PER_SEC)

typedef struct Stream {
        IdeRun *run;
        const char *name; /* "stdout", "stderr" */
        int fd;
        sd_event_source *source;
        char *data; /* a ring of max bytes: the last ones written */
        size_t size, start;
        uint64_t total;
} Stream;

struct IdeRun {
        IdeContext *ctx;
        McpRequest *req;
        IdeRunOptions o;
        Sandbox *sandbox;
        Stream out, err;
        sd_event_source *timer, *progress;
        uint64_t started;
        bool exited, timed_out, finished;
        bool counted; /* in ctx->n_runs, which keeps the server from exiting when idle */
        int status;
};

static void stream_done(Stream *s) {
        s->source = sd_event_source_disable_unref(s->source);
        s->fd = safe_close(s->fd);
        s->data = mfree(s->data);
}

static void run_free(IdeRun *r) {
        if (!r)
                return;
        if (r->counted)
                r->ctx->n_runs--;
        stream_done(&r->out);
        stream_done(&r->err);
        sd_event_source_disable_unref(r->timer);
        sd_event_source_disable_unref(r->progress);
        sandbox_free(r->sandbox);
        mcp_request_unref(r->req);
        free(r);
}

/* The ring's content in order, into a new string. */
static char *stream_text(Stream *s, size_t max) {
        char *t = malloc(s->size + 1);
        if (!t)
                return NULL;
        size_t first = MIN(s->size, max - s->start);
        if (s->size < max)
                memcpy(t, s->data, s->size);
        else {
                memcpy(t, s->data + s->start, first);
                memcpy(t + first, s->data, s->size - first);
        }
        t[s->size] = 0;
        return t;
}

static void run_finish(IdeRun *r) {
        if (r->finished || !r->exited || r->out.fd >= 0 || r->err.fd >= 0)
                return;
        r->finished = true;
        size_t max = MAX(r->o.max_output, (size_t) 1);
        _cleanup_free_ char *out = stream_text(&r->out, max), *err = stream_text(&r->err, max);
        IdeRunResult result = {
                .exit_code = WIFEXITED(r->status) ? WEXITSTATUS(r->status) : -1,
                .signal = WIFSIGNALED(r->status) ? WTERMSIG(r->status) : 0,
                .timed_out = r->timed_out,
                .duration_usec = now_usec() - r->started,
                .stdout_data = out ?: "",
                .stderr_data = err ?: "",
                .stdout_size = out ? r->out.size : 0,
                .stderr_size = err ? r->err.size : 0,
                .stdout_total = r->out.total,
                .stderr_total = r->err.total,
        };
        mcp_request_on_cancel(r->req, NULL, NULL);
        r->o.done(r->req, 0, &result, r->o.userdata);
        run_free(r);
}

static int on_output(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        Stream *s = userdata;
        IdeRun *r = s->run;
        char buf[16384];
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n <= 0) {
                s->source = sd_event_source_disable_unref(s->source);
                s->fd = safe_close(s->fd);
                run_finish(r);
                return 0;
        }
        s->total += n;
        size_t max = MAX(r->o.max_output, (size_t) 1);
        if (!s->data && !(s->data = malloc(max)))
                return 0;
        /* Keep the last max bytes: a build's errors are at its end. */
        for (ssize_t i = 0; i < n; i++) {
                size_t at = (s->start + s->size) % max;
                s->data[at] = buf[i];
                if (s->size < max)
                        s->size++;
                else
                        s->start = (s->start + 1) % max;
        }
        if (r->o.stream && mcp_request_log_enabled(r->req, MCP_LOG_INFO)) {
                json_object *chunk = ide_json_string(buf, n);
                (void) mcp_request_log(r->req, MCP_LOG_INFO, s->name, chunk);
        }
        return 0;
}

static void on_exited(Sandbox *s, int status, void *userdata) {
        IdeRun *r = userdata;
        r->exited = true;
        r->status = status;
        r->timer = sd_event_source_disable_unref(r->timer);
        r->progress = sd_event_source_disable_unref(r->progress);
        run_finish(r);
}

static int on_timeout(sd_event_source *source, uint64_t usec, void *userdata) {
        IdeRun *r = userdata;
        if (!r->timed_out) {
                /* First a SIGTERM for the command to end itself; then everything in the sandbox goes. */
                r->timed_out = true;
                (void) sandbox_signal_payload(r->sandbox, SIGTERM);
                (void) sd_event_source_set_time(source, usec + GRACE_USEC);
                (void) sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
                return 0;
        }
        (void) sandbox_kill(r->sandbox);
        return 0;
}

static int on_progress(sd_event_source *source, uint64_t usec, void *userdata) {
        IdeRun *r = userdata;
        char message[64];
        uint64_t elapsed = (now_usec() - r->started) / USEC_PER_SEC;
        (void) snprintf(message, sizeof(message), "running for %llu s", (unsigned long long) elapsed);
        (void) mcp_request_progress(r->req, (double) elapsed, -1, message);
        (void) sd_event_source_set_time(source, usec + PROGRESS_USEC);
        (void) sd_event_source_set_enabled(source, SD_EVENT_ON);
        return 0;
}

static void on_cancel(McpRequest *req, void *userdata) {
        IdeRun *r = userdata;
        /* The client gave up: everything in the sandbox is killed, and the run freed (sandbox_free() reaps the
         * init). */
        r->finished = true;
        (void) sandbox_kill(r->sandbox);
        run_free(r);
}

static int stream_open(IdeRun *r, Stream *s, const char *name, int *ret_write_fd) {
        int p[2];
        if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
                return -errno;
        *s = (Stream){ .run = r, .name = name, .fd = p[0] };
        *ret_write_fd = p[1];
        return sd_event_add_io(r->ctx->event, &s->source, s->fd, EPOLLIN, on_output, s);
}

int ide_run_start(IdeContext *ctx, McpRequest *req, IdeWorkspace *ws, const IdeRunOptions *o) {
        const IdeConfig *c = &ctx->config;
        IdeRun *r = new0(IdeRun, 1);
        if (!r)
                return -ENOMEM;
        *r = (IdeRun){ .ctx = ctx, .req = mcp_request_ref(req), .o = *o, .out.fd = -EBADF, .err.fd = -EBADF };

        _cleanup_close_ int out_w = -EBADF, err_w = -EBADF;
        int k = stream_open(r, &r->out, "stdout", &out_w);
        if (k >= 0)
                k = stream_open(r, &r->err, "stderr", &err_w);
        if (k < 0) {
                run_free(r);
                return k;
        }

        /* The command starts in cwd: a small shell line, so that the sandbox's own cwd (the workspace) needs no
         * option of its own. */
        size_t n = 0;
        while (o->argv[n])
                n++;
        _cleanup_free_ char **argv = new0(char *, n + 5);
        if (!argv) {
                run_free(r);
                return -ENOMEM;
        }
        argv[0] = (char *) "/bin/sh";
        argv[1] = (char *) "-c";
        argv[2] = (char *) "cd -- \"$0\" && exec \"$@\"";
        argv[3] = (char *) o->cwd;
        for (size_t i = 0; i < n; i++)
                argv[4 + i] = o->argv[i];
        char *envp[] = { (char *) "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
                (char *) "HOME=" IDE_RUN_WORKSPACE, (char *) "LANG=C.UTF-8", (char *) "TERM=dumb", (char *) "CI=true",
                NULL };
        SandboxConfig sc = {
                .argv = argv,
                .envp = envp,
                .workspace = IDE_RUN_WORKSPACE,
                .workspace_bind = ws->path,
                .workspace_read_only = ws->read_only || o->read_only,
                .hostname = "ide",
                .network = c->run_network,
                .limits = {
                        .memory_bytes = c->run_memory_bytes,
                        .tasks = c->run_tasks,
                        .open_files = 1024,
                        .tmp_bytes = c->run_tmp_bytes,
                },
                .stdin_fd = -1,
                .stdout_fd = out_w,
                .stderr_fd = err_w,
                .control_fd = -1,
                .cgroup_parent = ctx->cgroup_parent,
        };
        r->started = now_usec();
        k = sandbox_spawn(&sc, &r->sandbox);
        out_w = safe_close(out_w);
        err_w = safe_close(err_w);
        if (k >= 0)
                k = sandbox_watch(r->sandbox, ctx->event, on_exited, r);
        if (k >= 0)
                k = sd_event_add_time_relative(ctx->event, &r->timer, CLOCK_MONOTONIC, o->timeout_usec, 0, on_timeout,
                        r);
        if (k >= 0 && mcp_request_get_progress_token(req))
                k = sd_event_add_time_relative(ctx->event, &r->progress, CLOCK_MONOTONIC, PROGRESS_USEC, 0, on_progress,
                        r);
        if (k < 0) {
                run_free(r);
                return k;
        }
        mcp_request_on_cancel(req, on_cancel, r);
        r->counted = true;
        ctx->n_runs++;
        return 0;
}

char *ide_run_find_program(const char *name, const char *cwd) {
        char *p = NULL;
        if (name[0] == '/')
                return strdup(name);
        if (strchr(name, '/'))
                return asprintf(&p, "%s/%s", cwd, name) < 0 ? NULL : p;
        static const char *const dirs[] = { "/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin" };
        FOREACH_ELEMENT(d, dirs) {
                if (asprintf(&p, "%s/%s", *d, name) < 0)
                        return NULL;
                if (access(p, X_OK) == 0)
                        return p;
                p = mfree(p);
        }
        return NULL;
}
