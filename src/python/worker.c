/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A worker: one python3 running aios_worker.py in a sandbox, its control channel (fd 3) and its output pipes. */
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "log.h"
#include "pool.h"
#include "sandbox.h"
#include "worker.h"

/* A control line longer than this (figures are the bulk) breaks the protocol: the worker is killed. */
#define CONTROL_LINE_MAX (64U * 1024 * 1024)
/* An interpreter that is not up by then is not going to be. */
#define READY_TIMEOUT_USEC (30 * USEC_PER_SEC)
/* What one wake-up reads of a pipe, so that a flood cannot hold the loop. */
#define READ_CHUNK 65536

static void worker_died(Worker *w, const char *reason);

static void output_enable(Worker *w, bool on) {
        for (int i = 0; i < 2; i++)
                if (w->output_source[i])
                        (void) sd_event_source_set_enabled(w->output_source[i], on ? SD_EVENT_ON : SD_EVENT_OFF);
}

/* Reads one chunk of stream i; 0 at EOF or when nothing was there, 1 when something was read. */
static int output_read(Worker *w, int i) {
        char buf[READ_CHUNK];
        ssize_t n = read(w->output_fd[i], buf, sizeof(buf));
        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        if (n == 0) {
                /* The code closed its end (and nothing in the sandbox holds another copy). */
                w->output_source[i] = sd_event_source_disable_unref(w->output_source[i]);
                w->output_fd[i] = safe_close(w->output_fd[i]);
                return 0;
        }
        if (w->ops && w->ops->output)
                w->ops->output(w, i + 1, buf, n, w->userdata);
        return 1;
}

static int on_output(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Worker *w = userdata;
        int i = fd == w->output_fd[0] ? 0 : 1;
        int r = output_read(w, i);
        if (r < 0)
                log_debug_errno(r, "Reading a worker's output failed: %m");
        return 0;
}

/* What the code wrote before the worker answered is in the pipes already (it flushed first): read it all,
 * within the pipes' capacity, so that it comes before the answer. */
static void output_drain(Worker *w) {
        for (int i = 0; i < 2; i++)
                for (unsigned k = 0; k < 64 && w->output_fd[i] >= 0 && w->state != WORKER_DEAD; k++)
                        if (output_read(w, i) <= 0)
                                break;
}

static int control_flush(Worker *w) {
        while (w->out_offset < w->out_size) {
                ssize_t n = send(w->control_fd, w->out + w->out_offset, w->out_size - w->out_offset,
                        MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return sd_event_source_set_io_events(w->control_source, EPOLLIN | EPOLLOUT);
                        return -errno;
                }
                w->out_offset += n;
        }
        w->out = mfree(w->out);
        w->out_size = w->out_offset = 0;
        return sd_event_source_set_io_events(w->control_source, EPOLLIN);
}

static int control_line(Worker *w, const char *line, size_t n) {
        _cleanup_json_ json_object *message = NULL;
        const char *reason = NULL;
        if (json_parse_strict(line, n, &message, &reason) < 0 || !json_object_is_type(message, json_type_object))
                return -EBADMSG;

        switch (w->state) {
        case WORKER_STARTING:
                if (!json_get_bool(message, "ready", false))
                        return -EBADMSG;
                w->state = WORKER_READY;
                w->ready_timer = sd_event_source_disable_unref(w->ready_timer);
                free(w->python_version);
                w->python_version = strdup(strempty(json_get_string(message, "python")));
                if (w->ops && w->ops->ready)
                        w->ops->ready(w, w->userdata);
                return 0;
        case WORKER_BUSY:
                output_drain(w);
                if (w->state == WORKER_DEAD)
                        return 0;
                output_enable(w, false);
                w->state = WORKER_READY;
                if (w->ops && w->ops->reply)
                        w->ops->reply(w, message, w->userdata);
                return 0;
        default:
                /* Nothing was asked: the code writes to the control channel itself. */
                return -EBADMSG;
        }
}

static int on_control(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Worker *w = userdata;

        if (revents & EPOLLOUT) {
                int r = control_flush(w);
                if (r < 0) {
                        worker_kill(w, "its control channel broke");
                        return 0;
                }
        }
        if (!(revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                return 0;

        if (w->in_allocated - w->in_size < READ_CHUNK) {
                size_t want = MAX(w->in_allocated * 2, w->in_size + READ_CHUNK + 1);
                char *p = realloc(w->in, want);
                if (!p) {
                        worker_kill(w, "the daemon ran out of memory");
                        return 0;
                }
                w->in = p;
                w->in_allocated = want;
        }
        ssize_t n = recv(fd, w->in + w->in_size, READ_CHUNK, MSG_DONTWAIT);
        if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return 0;
                worker_kill(w, "its control channel broke");
                return 0;
        }
        if (n == 0) {
                /* The code closed fd 3, or the interpreter exited: either way nothing more can be asked. */
                worker_kill(w, "the interpreter exited, or the code closed its control channel");
                return 0;
        }
        w->in_size += n;

        /* Lines are handled one at a time: a handler may free the worker, so it is the last thing done. */
        char *nl = memchr(w->in + w->in_size - n, '\n', n);
        if (!nl) {
                if (w->in_size > CONTROL_LINE_MAX)
                        worker_kill(w, "it sent a control message beyond the limit");
                return 0;
        }
        size_t line = nl - w->in, rest = w->in_size - line - 1;
        _cleanup_free_ char *copy = malloc(line + 1);
        if (!copy) {
                worker_kill(w, "the daemon ran out of memory");
                return 0;
        }
        memcpy(copy, w->in, line);
        memmove(w->in, nl + 1, rest);
        w->in_size = rest;
        if (rest > 0) {
                /* The protocol is one answer per request: more is the code speaking on fd 3. */
                worker_kill(w, "it sent control messages that were not asked for");
                return 0;
        }
        if (control_line(w, copy, line) < 0)
                worker_kill(w, "it broke the control protocol");
        return 0;
}

static int on_dead_event(sd_event_source *s, void *userdata) {
        Worker *w = userdata;
        w->dead_event = sd_event_source_disable_unref(w->dead_event);
        if (w->ops && w->ops->dead)
                w->ops->dead(w, w->exit_status, w->dead_reason, w->userdata);
        return 0;
}

/* The owner hears of the death from the loop, not from within the sandbox's own callback. */
static void worker_died(Worker *w, const char *reason) {
        if (w->state == WORKER_DEAD)
                return;
        w->state = WORKER_DEAD;
        if (reason && !w->dead_reason)
                w->dead_reason = strdup(reason);
        w->control_source = sd_event_source_disable_unref(w->control_source);
        w->ready_timer = sd_event_source_disable_unref(w->ready_timer);
        output_enable(w, false);
        if (sd_event_add_defer(w->ctx->event, &w->dead_event, on_dead_event, w) < 0)
                log_error("Failed to schedule a worker's end; it stays until the server stops.");
}

static void on_exited(Sandbox *s, int status, void *userdata) {
        Worker *w = userdata;
        w->exit_status = status;
        log_debug("Worker %d exited with status 0x%x.", (int) sandbox_get_pid(s), (unsigned) status);
        worker_died(w, NULL);
}

static int on_ready_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Worker *w = userdata;
        log_warning("A Python worker did not become ready within %llu s; killing it.",
                (unsigned long long) (READY_TIMEOUT_USEC / USEC_PER_SEC));
        worker_kill(w, "the interpreter did not start in time");
        return 0;
}

int worker_kill(Worker *w, const char *reason) {
        assert(w);
        if (reason && !w->dead_reason)
                w->dead_reason = strdup(reason);
        if (w->state == WORKER_DEAD)
                return 0;
        int r = w->sandbox ? sandbox_kill(w->sandbox) : -ESRCH;
        if (r < 0) {
                /* Nothing left to wait for: it is dead already, or cannot be told apart from dead. */
                worker_died(w, reason);
                return 0;
        }
        /* sandbox_watch()'s callback follows; until then nothing more is read. */
        w->control_source = sd_event_source_disable_unref(w->control_source);
        output_enable(w, false);
        return 0;
}

int worker_new(PythonContext *ctx, const WorkerOps *ops, void *userdata, Worker **ret) {
        const PythonConfig *c = &ctx->config;
        _cleanup_(worker_freep) Worker *w = new0(Worker, 1);
        if (!w)
                return -ENOMEM;
        w->ctx = ctx;
        w->control_fd = w->output_fd[0] = w->output_fd[1] = -EBADF;
        w->ops = ops;
        w->userdata = userdata;
        w->started_usec = 0;
        (void) sd_event_now(ctx->event, CLOCK_MONOTONIC, &w->started_usec);
        ctx->n_workers++;

        int control[2], out[2], err[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, control) < 0)
                return -errno;
        w->control_fd = control[0];
        _cleanup_close_ int peer = control[1];
        if (pipe2(out, O_CLOEXEC) < 0)
                return -errno;
        w->output_fd[0] = out[0];
        _cleanup_close_ int out_w = out[1];
        if (pipe2(err, O_CLOEXEC) < 0)
                return -errno;
        w->output_fd[1] = err[0];
        _cleanup_close_ int err_w = err[1];
        for (int i = 0; i < 2; i++)
                if (fcntl(w->output_fd[i], F_SETFL, O_NONBLOCK) < 0)
                        return -errno;

        const SandboxConfig config = {
                .argv = ctx->worker_argv,
                .envp = ctx->worker_envp,
                .ro_binds = (const char *const *) ctx->worker_ro_binds,
                .workspace = "/work",
                .hostname = "python",
                .limits = {
                        .memory_bytes = c->max_memory_bytes,
                        .tasks = c->tasks,
                        .open_files = 256,
                        .file_size = MAX(c->workspace_bytes, c->tmp_bytes),
                        .cpu_quota_pct = c->cpu_quota_pct,
                        .tmp_bytes = c->tmp_bytes,
                        .workspace_bytes = c->workspace_bytes,
                },
                .stdin_fd = -1,
                .stdout_fd = out_w,
                .stderr_fd = err_w,
                .control_fd = peer,
                .cgroup_parent = ctx->cgroup_parent,
        };
        int r = sandbox_spawn(&config, &w->sandbox);
        if (r < 0)
                return r;
        r = sandbox_watch(w->sandbox, ctx->event, on_exited, w);
        if (r < 0)
                return r;

        r = sd_event_add_io(ctx->event, &w->control_source, w->control_fd, EPOLLIN, on_control, w);
        if (r < 0)
                return r;
        for (int i = 0; i < 2; i++) {
                r = sd_event_add_io(ctx->event, &w->output_source[i], w->output_fd[i], EPOLLIN, on_output, w);
                if (r < 0)
                        return r;
        }
        /* Output is read while a request is out; in between, what a leftover process writes waits in the pipe. */
        output_enable(w, false);
        r = sd_event_add_time_relative(ctx->event, &w->ready_timer, CLOCK_MONOTONIC, READY_TIMEOUT_USEC, 0,
                on_ready_timeout, w);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(w);
        return 0;
}

Worker *worker_free(Worker *w) {
        if (!w)
                return NULL;
        w->control_source = sd_event_source_disable_unref(w->control_source);
        for (int i = 0; i < 2; i++) {
                w->output_source[i] = sd_event_source_disable_unref(w->output_source[i]);
                safe_close(w->output_fd[i]);
        }
        w->ready_timer = sd_event_source_disable_unref(w->ready_timer);
        w->dead_event = sd_event_source_disable_unref(w->dead_event);
        sandbox_free(w->sandbox);
        safe_close(w->control_fd);
        free(w->in);
        free(w->out);
        free(w->dead_reason);
        free(w->python_version);
        assert(w->ctx->n_workers > 0);
        w->ctx->n_workers--;
        /* A sandbox less: the pool may start one it was waiting to start. */
        if (w->ctx->pool)
                pool_schedule_refill(w->ctx->pool);
        free(w);
        return NULL;
}

void worker_set_owner(Worker *w, const WorkerOps *ops, void *userdata) {
        w->ops = ops;
        w->userdata = userdata;
}

int worker_send(Worker *w, json_object *request) {
        assert(w);
        if (w->state != WORKER_READY)
                return w->state == WORKER_DEAD ? -ESRCH : -EBUSY;
        const char *text = json_to_string(request);
        size_t n = strlen(text);
        char *line = malloc(n + 1);
        if (!line)
                return -ENOMEM;
        memcpy(line, text, n);
        line[n] = '\n';
        free(w->out);
        w->out = line;
        w->out_size = n + 1;
        w->out_offset = 0;
        w->state = WORKER_BUSY;
        output_enable(w, true);
        int r = control_flush(w);
        if (r < 0) {
                worker_kill(w, "its control channel broke");
                return r;
        }
        return 0;
}

int worker_interrupt(Worker *w) {
        if (w->state == WORKER_DEAD || !w->sandbox)
                return -ESRCH;
        return sandbox_signal_payload(w->sandbox, SIGINT);
}

int worker_open_workspace(Worker *w) {
        if (w->state == WORKER_DEAD || !w->sandbox)
                return -ESRCH;
        return sandbox_open_workspace(w->sandbox);
}

static void discard_dead(Worker *w, int status, const char *reason, void *userdata) {
        worker_free(w);
}

static const WorkerOps discard_ops = { .dead = discard_dead };

void worker_discard(Worker *w) {
        if (!w)
                return;
        worker_set_owner(w, &discard_ops, NULL);
        if (w->state == WORKER_DEAD) {
                /* Dead already: its dead callback is pending, or came and went. */
                if (!w->dead_event)
                        worker_free(w);
                return;
        }
        (void) worker_kill(w, NULL);
}
