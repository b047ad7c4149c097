/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stdio transport: lines in, lines out, both non-blocking on the event loop. */
#include <fcntl.h>

#include "log.h"
#include "mcp-session.h"
#include "mcp-stdio.h"

struct McpStdio {
        McpServer *server;
        McpSession *session;
        int in_fd, out_fd;
        sd_event_source *in_source, *out_source;
        size_t max_line;

        char *in_buf;
        size_t in_size, in_allocated;
        bool skipping; /* inside an overlong line: drop until its newline */
        bool eof;

        char *out_buf;
        size_t out_size, out_allocated;
};

static void maybe_exit(McpStdio *s) {
        if (s->eof && s->out_size == 0)
                (void) sd_event_exit(mcp_server_get_event(s->server), 0);
}

static int flush_output(McpStdio *s) {
        while (s->out_size > 0) {
                ssize_t n = write(s->out_fd, s->out_buf, s->out_size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        /* The reader is gone: nobody can get our answers any more. */
                        log_debug_errno(errno, "Failed to write to stdout: %m");
                        s->out_size = 0;
                        s->eof = true;
                        break;
                }
                memmove(s->out_buf, s->out_buf + n, s->out_size - n);
                s->out_size -= n;
        }
        if (s->out_source)
                (void) sd_event_source_set_enabled(s->out_source, s->out_size > 0 ? SD_EVENT_ON : SD_EVENT_OFF);
        maybe_exit(s);
        return 0;
}

static int write_message(McpStdio *s, json_object *m) {
        const char *text = json_to_string(m);
        size_t l = strlen(text);
        if (s->out_size + l + 1 > s->out_allocated) {
                size_t n = MAX(s->out_allocated * 2, s->out_size + l + 1);
                char *b = realloc(s->out_buf, n);
                if (!b)
                        return log_oom();
                s->out_buf = b;
                s->out_allocated = n;
        }
        memcpy(s->out_buf + s->out_size, text, l);
        s->out_buf[s->out_size + l] = '\n';
        s->out_size += l + 1;
        return flush_output(s);
}

static int sink_send(void *userdata, json_object *m) {
        return write_message(userdata, m);
}

static void sink_done(void *userdata, json_object *reply) {
        if (reply)
                (void) write_message(userdata, reply);
}

static const McpSinkOps stdio_sink_ops = {
        .send = sink_send,
        .done = sink_done,
};

static void refuse_too_large(McpStdio *s) {
        _cleanup_json_ json_object *e = mcp_parse_error_new("message too large");
        if (e)
                (void) write_message(s, e);
}

static void handle_line(McpStdio *s, const char *line, size_t len) {
        if (len == 0 || strspn(line, " \t\r") == len)
                return;
        if (len > s->max_line) {
                refuse_too_large(s);
                return;
        }

        _cleanup_json_ json_object *message = NULL;
        const char *reason;
        if (json_parse_strict(line, len, &message, &reason) < 0) {
                _cleanup_json_ json_object *e = mcp_parse_error_new(reason);
                if (e)
                        (void) write_message(s, e);
                return;
        }

        int r = mcp_server_dispatch(s->server, s->session, message, &stdio_sink_ops, s, NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to handle a message: %m");
}

static void process_input(McpStdio *s) {
        size_t start = 0;
        for (;;) {
                char *nl = memchr(s->in_buf + start, '\n', s->in_size - start);
                if (!nl)
                        break;
                size_t len = nl - (s->in_buf + start);
                if (s->skipping)
                        s->skipping = false;
                else
                        handle_line(s, s->in_buf + start, len);
                start += len + 1;
        }
        memmove(s->in_buf, s->in_buf + start, s->in_size - start);
        s->in_size -= start;

        if (s->in_size > s->max_line) {
                /* No newline yet and already too long: answer now, drop the rest of the line as it comes. */
                if (!s->skipping)
                        refuse_too_large(s);
                s->skipping = true;
                s->in_size = 0;
        }
}

static int on_input(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        McpStdio *s = userdata;

        if (s->in_allocated - s->in_size < 64 * 1024) {
                size_t n = s->in_allocated + 64 * 1024;
                char *b = realloc(s->in_buf, n);
                if (!b)
                        return log_oom();
                s->in_buf = b;
                s->in_allocated = n;
        }

        ssize_t n = read(fd, s->in_buf + s->in_size, s->in_allocated - s->in_size);
        if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return 0;
                log_warning_errno(errno, "Failed to read stdin: %m");
                n = 0;
        }
        if (n == 0) {
                /* A last line without its newline still counts. */
                if (s->in_size > 0 && !s->skipping)
                        handle_line(s, s->in_buf, s->in_size);
                s->in_size = 0;
                s->eof = true;
                (void) sd_event_source_set_enabled(source, SD_EVENT_OFF);
                maybe_exit(s);
                return 0;
        }

        s->in_size += n;
        process_input(s);
        return 0;
}

static int on_output(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        return flush_output(userdata);
}

int mcp_stdio_new(McpStdio **ret, McpServer *server, int in_fd, int out_fd, size_t max_line) {
        _cleanup_(mcp_stdio_freep) McpStdio *s = new0(McpStdio, 1);
        if (!s)
                return log_oom();
        s->server = server;
        s->in_fd = in_fd;
        s->out_fd = out_fd;
        s->max_line = max_line;

        int r = mcp_session_new(server, &s->session);
        if (r < 0)
                return log_error_errno(r, "Failed to create the stdio session: %m");

        sd_event *e = mcp_server_get_event(server);
        (void) fcntl(in_fd, F_SETFL, fcntl(in_fd, F_GETFL) | O_NONBLOCK);
        r = sd_event_add_io(e, &s->in_source, in_fd, EPOLLIN, on_input, s);
        if (r == -EPERM) {
                /* A regular file cannot be polled; it is always readable, so a defer-like loop works. */
                return log_error_errno(r, "stdin must be a pipe, socket or terminal.");
        }
        if (r < 0)
                return log_error_errno(r, "Failed to watch stdin: %m");

        (void) fcntl(out_fd, F_SETFL, fcntl(out_fd, F_GETFL) | O_NONBLOCK);
        r = sd_event_add_io(e, &s->out_source, out_fd, EPOLLOUT, on_output, s);
        if (r == -EPERM)
                s->out_source = NULL; /* a regular file: writes never wait */
        else if (r < 0)
                return log_error_errno(r, "Failed to watch stdout: %m");
        else
                (void) sd_event_source_set_enabled(s->out_source, SD_EVENT_OFF);

        *ret = TAKE_PTR(s);
        return 0;
}

McpStdio *mcp_stdio_free(McpStdio *s) {
        if (!s)
                return NULL;
        if (s->session) {
                mcp_session_close(s->session);
                mcp_session_unref(s->session);
        }
        sd_event_source_disable_unref(s->in_source);
        sd_event_source_disable_unref(s->out_source);
        free(s->in_buf);
        free(s->out_buf);
        free(s);
        return NULL;
}
