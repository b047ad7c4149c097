/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Jobs: fork, a progress pipe and a result memfd watched by the loop, the child reaped through its pidfd. */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "job.h"
#include "log.h"
#include "mcp-content.h"
#include "mcp-request.h"

/* The result a child may hand back (audio as base64 inside JSON). */
#define VOICE_MAX_RESULT_SIZE (64U * 1024U * 1024U)

struct VoiceChild {
        int progress_fd;
        char *error;
};

typedef struct VoiceJob {
        McpRequest *req;
        VoiceJobSpec spec;
        pid_t pid;
        int pidfd;
        int progress_fd;
        int result_fd;
        sd_event_source *exit_source;
        sd_event_source *progress_source;
        sd_event_source *timer;
        char line[512];
        size_t line_size;
        bool killed;    /* cancelled: no reply */
        bool timed_out; /* killed for taking too long */
} VoiceJob;

static unsigned jobs_running;

unsigned voice_jobs_running(void) {
        return jobs_running;
}

static void job_free(VoiceJob *j) {
        if (!j)
                return;
        sd_event_source_disable_unref(j->exit_source);
        sd_event_source_disable_unref(j->progress_source);
        sd_event_source_disable_unref(j->timer);
        if (j->pid > 0) {
                /* Still running: the server goes away or the job could not be watched. */
                (void) pidfd_send_signal(j->pidfd, SIGKILL, NULL, 0);
                (void) waitpid(j->pid, NULL, 0);
                jobs_running--;
        }
        safe_close(j->pidfd);
        safe_close(j->progress_fd);
        safe_close(j->result_fd);
        if (j->spec.free_userdata)
                j->spec.free_userdata(j->spec.userdata);
        if (j->req)
                mcp_request_on_cancel(j->req, NULL, NULL);
        mcp_request_unref(j->req);
        free(j);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(VoiceJob *, job_free);

/* --- the child ---------------------------------------------------------------------------------------- */

void voice_child_progress(VoiceChild *c, double progress, double total, const char *message) {
        char line[512];
        int n = snprintf(line, sizeof(line), "%.3f\t%.3f\t%.400s\n", progress, total, strempty(message));
        if (n > 0)
                (void) write(c->progress_fd, line, MIN((size_t) n, sizeof(line) - 1));
}

json_object *voice_child_fail(VoiceChild *c, const char *format, ...) {
        va_list ap;
        va_start(ap, format);
        free(c->error);
        if (vasprintf(&c->error, format, ap) < 0)
                c->error = NULL;
        va_end(ap);
        return NULL;
}

static int write_all(int fd, const char *p, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

_Noreturn static void child_run(const VoiceJobSpec *spec, int progress_fd, int result_fd) {
        /* The server's loop, bus and sockets are its own: the child only computes and writes its two fds. It dies
         * with the server. */
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        VoiceChild c = { .progress_fd = progress_fd };
        _cleanup_json_ json_object *result = spec->work(&c, spec->work_data);
        if (!result) {
                result = json_object_new_object();
                if (!result ||
                        json_add_string(result, "error", c.error ?: "The work failed for a reason it did not say.") < 0)
                        _exit(EXIT_FAILURE);
        }
        const char *text =
                json_object_to_json_string_ext(result, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!text || write_all(result_fd, text, strlen(text)) < 0)
                _exit(EXIT_FAILURE);
        _exit(EXIT_SUCCESS);
}

/* --- the server's side -------------------------------------------------------------------------------- */

static void job_reply_error(VoiceJob *j, const char *format, ...) _printf_(2, 3);
static void job_reply_error(VoiceJob *j, const char *format, ...) {
        va_list ap;
        va_start(ap, format);
        _cleanup_free_ char *text = NULL;
        if (vasprintf(&text, format, ap) < 0)
                text = NULL;
        va_end(ap);
        (void) mcp_request_reply_tool_error(j->req, "%s", text ?: "Out of memory.");
}

static int read_result(int fd, json_object **ret) {
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_size <= 0)
                return -ENODATA;
        if ((uint64_t) st.st_size > VOICE_MAX_RESULT_SIZE)
                return -EFBIG;
        _cleanup_free_ char *buf = malloc((size_t) st.st_size);
        if (!buf)
                return -ENOMEM;
        size_t done = 0;
        while (done < (size_t) st.st_size) {
                ssize_t k = pread(fd, buf + done, (size_t) st.st_size - done, (off_t) done);
                if (k < 0)
                        return -errno;
                if (k == 0)
                        return -EIO;
                done += (size_t) k;
        }
        const char *reason;
        return json_parse_strict(buf, done, ret, &reason);
}

static void job_finish(VoiceJob *j, int status) {
        if (j->killed)
                return;
        if (j->timed_out) {
                job_reply_error(j, "The %s took longer than %llu s and was stopped.", j->spec.what,
                        (unsigned long long) (j->spec.timeout_usec / USEC_PER_SEC));
                return;
        }
        if (WIFSIGNALED(status)) {
                job_reply_error(j, "The %s worker died of signal %d (%s)%s.", j->spec.what, WTERMSIG(status),
                        strsignal(WTERMSIG(status)),
                        WTERMSIG(status) == SIGKILL ? ": it may have run out of memory (the unit's MemoryMax=)" : "");
                return;
        }
        _cleanup_json_ json_object *result = NULL;
        int r = WEXITSTATUS(status) == 0 ? read_result(j->result_fd, &result) : -EIO;
        if (r < 0) {
                log_warning_errno(r, "The %s worker's result could not be read: %m", j->spec.what);
                job_reply_error(j, "The %s failed: its worker gave no result (%s).", j->spec.what, strerror(-r));
                return;
        }
        if (j->spec.done)
                j->spec.done(j->req, result, j->spec.userdata);
        else
                voice_job_reply(j->req, result, j->spec.userdata);
}

static void job_progress_line(VoiceJob *j, char *line) {
        char *tab1 = strchr(line, '\t');
        char *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
        if (!tab2)
                return;
        *tab1 = *tab2 = 0;
        double progress = strtod(line, NULL), total = strtod(tab1 + 1, NULL);
        (void) mcp_request_progress(j->req, progress, total > 0 ? total : -1, isempty(tab2 + 1) ? NULL : tab2 + 1);
}

static int on_progress(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        VoiceJob *j = userdata;
        for (;;) {
                ssize_t k = read(fd, j->line + j->line_size, sizeof(j->line) - 1 - j->line_size);
                if (k <= 0) {
                        if (k == 0 || (errno != EAGAIN && errno != EINTR))
                                j->progress_source = sd_event_source_disable_unref(j->progress_source);
                        return 0;
                }
                j->line_size += (size_t) k;
                char *nl;
                while ((nl = memchr(j->line, '\n', j->line_size))) {
                        *nl = 0;
                        if (!j->killed)
                                job_progress_line(j, j->line);
                        size_t used = (size_t) (nl - j->line) + 1;
                        memmove(j->line, nl + 1, j->line_size - used);
                        j->line_size -= used;
                }
                if (j->line_size == sizeof(j->line) - 1) /* a line too long: a broken child */
                        j->line_size = 0;
        }
}

static int on_exit_source(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        _cleanup_(job_freep) VoiceJob *j = userdata;
        /* What progress is still in the pipe comes first. */
        if (j->progress_source)
                (void) on_progress(NULL, j->progress_fd, 0, j);
        int status = 0;
        if (waitpid(j->pid, &status, 0) < 0)
                status = W_EXITCODE(EXIT_FAILURE, 0);
        j->pid = 0;
        jobs_running--;
        job_finish(j, status);
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        VoiceJob *j = userdata;
        j->timed_out = true;
        (void) pidfd_send_signal(j->pidfd, SIGKILL, NULL, 0);
        return 0;
}

static void on_cancel(McpRequest *req, void *userdata) {
        VoiceJob *j = userdata;
        /* The child is reaped when its pidfd says it is gone (on_exit_source), which frees the job. */
        j->killed = true;
        (void) pidfd_send_signal(j->pidfd, SIGKILL, NULL, 0);
}

int voice_job_start(McpRequest *req, const VoiceJobSpec *spec) {
        _cleanup_(job_freep) VoiceJob *j = new0(VoiceJob, 1);
        if (!j) {
                if (spec->free_userdata)
                        spec->free_userdata(spec->userdata);
                return -ENOMEM;
        }
        j->spec = *spec;
        j->req = mcp_request_ref(req);
        j->pidfd = j->progress_fd = j->result_fd = -EBADF;
        if (jobs_running >= VOICE_MAX_JOBS)
                return -EBUSY;

        int pipefd[2];
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        j->progress_fd = pipefd[0];
        _cleanup_close_ int progress_write = pipefd[1];
        j->result_fd = memfd_create("aios-voice-result", MFD_CLOEXEC);
        if (j->result_fd < 0)
                return -errno;

        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                child_run(spec, progress_write, j->result_fd);
        j->pid = pid;
        jobs_running++;
        j->pidfd = pidfd_open(pid, 0);
        if (j->pidfd < 0)
                return -errno;
        if (fcntl(j->progress_fd, F_SETFL, O_NONBLOCK) < 0)
                return -errno;

        sd_event *e = mcp_request_get_event(req);
        int r = sd_event_add_io(e, &j->progress_source, j->progress_fd, EPOLLIN, on_progress, j);
        if (r < 0)
                return r;
        r = sd_event_add_time_relative(e, &j->timer, CLOCK_MONOTONIC, spec->timeout_usec, 0, on_timeout, j);
        if (r < 0)
                return r;
        r = sd_event_add_io(e, &j->exit_source, j->pidfd, EPOLLIN, on_exit_source, j);
        if (r < 0)
                return r;
        mcp_request_on_cancel(req, on_cancel, j);
        TAKE_PTR(j);
        return 0;
}

void voice_job_reply(McpRequest *req, json_object *result, void *userdata) {
        const char *error = json_get_string(result, "error");
        if (error) {
                (void) mcp_request_reply_tool_error(req, "%s", error);
                return;
        }
        json_object *content = json_get_array(result, "content");
        json_object *structured = json_get_object(result, "structured");
        (void) mcp_request_reply_content(req, content ? json_object_get(content) : json_object_new_array(),
                structured ? json_object_get(structured) : NULL, false);
}
