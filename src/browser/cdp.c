/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The DevTools protocol over pipes: writes queued and flushed when the pipe takes them, reads split at NULs,
 * replies matched to commands by id. Nothing here blocks. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "buffer.h"
#include "cdp-frame.h"
#include "cdp.h"
#include "list.h"
#include "log.h"

typedef struct CdpCall CdpCall;
struct CdpCall {
        unsigned long long id;
        CdpReplyHandler reply;
        void *userdata;
        uint64_t deadline;
        LIST_FIELDS(CdpCall);
};

struct Cdp {
        sd_event *event;
        int out_fd, in_fd;
        sd_event_source *out_source, *in_source, *timer;
        const CdpOps *ops;
        void *userdata;
        Buffer out;
        size_t out_done; /* bytes of out already written */
        Buffer in;
        unsigned long long next_id;
        CdpCall *calls; /* newest first */
        bool dead;
};

static void cdp_fail_calls(Cdp *c, const char *why) {
        while (c->calls) {
                CdpCall *call = c->calls;
                LIST_REMOVE(c->calls, call);
                if (call->reply)
                        call->reply(c, NULL, why, call->userdata);
                free(call);
        }
}

static void cdp_die(Cdp *c, const char *reason) {
        if (c->dead)
                return;
        c->dead = true;
        (void) sd_event_source_set_enabled(c->in_source, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(c->out_source, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
        cdp_fail_calls(c, "The browser went away before it answered.");
        if (c->ops->closed)
                c->ops->closed(c, reason, c->userdata);
}

bool cdp_is_dead(Cdp *c) {
        return !c || c->dead;
}

static void cdp_dispatch(Cdp *c, const char *text, size_t size) {
        _cleanup_json_ json_object *m = NULL;
        const char *reason = NULL;
        if (json_parse_strict(text, size, &m, &reason) < 0 || !json_object_is_type(m, json_type_object)) {
                /* An answer too deeply nested to parse (a page's value, say) still answers its command. */
                unsigned long long n;
                if (sscanf(text, "{\"id\":%llu", &n) == 1)
                        LIST_FOREACH(call, c->calls)
                if (call->id == n) {
                        LIST_REMOVE(c->calls, call);
                        if (call->reply)
                                call->reply(c, NULL,
                                        "The browser's answer could not be read (nested too deeply, or not "
                                        "JSON).",
                                        call->userdata);
                        free(call);
                        return;
                }
                log_warning("The browser sent something that is not a JSON object (%s), ignored.", strempty(reason));
                return;
        }
        json_object *id;
        if (json_object_object_get_ex(m, "id", &id)) {
                unsigned long long n = json_object_get_uint64(id);
                LIST_FOREACH(call, c->calls)
                if (call->id == n) {
                        LIST_REMOVE(c->calls, call);
                        json_object *error = json_get_object(m, "error");
                        const char *message = error ? json_get_string(error, "message") : NULL;
                        if (call->reply) {
                                if (error)
                                        call->reply(c, NULL, message ?: "The browser refused the command.",
                                                call->userdata);
                                else
                                        call->reply(c, json_get_object(m, "result"), NULL, call->userdata);
                        }
                        free(call);
                        return;
                }
                return; /* an answer nobody waits for any more */
        }
        const char *method = json_get_string(m, "method");
        if (method && c->ops->event)
                c->ops->event(c, json_get_string(m, "sessionId"), method, json_get_object(m, "params"), c->userdata);
}

static int on_in(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Cdp *c = userdata;
        char buf[65536];
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return 0;
                cdp_die(c, "reading from the browser failed");
                return 0;
        }
        if (n == 0) {
                cdp_die(c, "the browser closed its end of the pipe");
                return 0;
        }
        if (buffer_append(&c->in, buf, n, CDP_FRAME_MAX + sizeof(buf)) < 0) {
                cdp_die(c, "the browser sent a message larger than the limit");
                return 0;
        }
        size_t start = 0;
        for (;;) {
                ssize_t len = cdp_frame_find(c->in.data + start, c->in.size - start, CDP_FRAME_MAX);
                if (len == -E2BIG) {
                        cdp_die(c, "the browser sent a message larger than the limit");
                        return 0;
                }
                if (len < 0)
                        break;
                cdp_dispatch(c, c->in.data + start, len);
                if (c->dead)
                        return 0;
                start += len + 1;
        }
        if (start > 0) {
                memmove(c->in.data, c->in.data + start, c->in.size - start);
                c->in.size -= start;
                c->in.data[c->in.size] = 0;
        }
        return 0;
}

static int cdp_flush(Cdp *c) {
        while (c->out_done < c->out.size) {
                ssize_t n = write(c->out_fd, c->out.data + c->out_done, c->out.size - c->out_done);
                if (n < 0) {
                        if (errno == EAGAIN)
                                break;
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                c->out_done += n;
        }
        if (c->out_done == c->out.size)
                c->out.size = c->out_done = 0;
        return sd_event_source_set_enabled(c->out_source, c->out.size > 0 ? SD_EVENT_ON : SD_EVENT_OFF);
}

static int on_out(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Cdp *c = userdata;
        if (cdp_flush(c) < 0)
                cdp_die(c, "writing to the browser failed");
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Cdp *c = userdata;
        LIST_FOREACH(call, c->calls)
        if (call->deadline <= usec) {
                LIST_REMOVE(c->calls, call);
                if (call->reply)
                        call->reply(c, NULL, "The browser did not answer in time.", call->userdata);
                free(call);
        }
        if (c->calls)
                (void) sd_event_source_set_time_relative(s, USEC_PER_SEC);
        else
                (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        return 0;
}

int cdp_new(sd_event *event, int out_fd, int in_fd, const CdpOps *ops, void *userdata, Cdp **ret) {
        _cleanup_close_ int out = out_fd, in = in_fd;
        Cdp *c = new0(Cdp, 1);
        if (!c)
                return -ENOMEM;
        *c = (Cdp){ .event = sd_event_ref(event),
                .out_fd = -EBADF,
                .in_fd = -EBADF,
                .ops = ops,
                .userdata = userdata,
                .next_id = 1 };
        (void) fcntl(out, F_SETFL, O_NONBLOCK);
        (void) fcntl(in, F_SETFL, O_NONBLOCK);
        c->out_fd = TAKE_FD(out);
        c->in_fd = TAKE_FD(in);
        int r = sd_event_add_io(event, &c->in_source, c->in_fd, EPOLLIN, on_in, c);
        if (r >= 0)
                r = sd_event_add_io(event, &c->out_source, c->out_fd, EPOLLOUT, on_out, c);
        if (r >= 0)
                r = sd_event_source_set_enabled(c->out_source, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_event_add_time_relative(event, &c->timer, CLOCK_MONOTONIC, USEC_PER_SEC, 0, on_timer, c);
        if (r >= 0)
                r = sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
        if (r < 0) {
                cdp_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

Cdp *cdp_free(Cdp *c) {
        if (!c)
                return NULL;
        c->dead = true;
        cdp_fail_calls(c, "The browser went away before it answered.");
        sd_event_source_disable_unref(c->in_source);
        sd_event_source_disable_unref(c->out_source);
        sd_event_source_disable_unref(c->timer);
        safe_close(c->in_fd);
        safe_close(c->out_fd);
        buffer_done(&c->in);
        buffer_done(&c->out);
        sd_event_unref(c->event);
        free(c);
        return NULL;
}

int cdp_send(Cdp *c, const char *session_id, const char *method, json_object *params, CdpReplyHandler reply,
        void *userdata) {
        _cleanup_json_ json_object *p = params;
        if (cdp_is_dead(c))
                return -ENOTCONN;
        _cleanup_free_ char *frame = NULL;
        size_t size;
        unsigned long long id = c->next_id++;
        int r = cdp_frame_command(id, session_id, method, p, &frame, &size);
        if (r < 0)
                return r;
        CdpCall *call = new0(CdpCall, 1);
        if (!call)
                return -ENOMEM;
        r = buffer_append(&c->out, frame, size, SIZE_MAX / 2);
        if (r < 0) {
                free(call);
                return r;
        }
        uint64_t now;
        (void) sd_event_now(c->event, CLOCK_MONOTONIC, &now);
        *call = (CdpCall){ .id = id, .reply = reply, .userdata = userdata, .deadline = now + CDP_COMMAND_TIMEOUT_USEC };
        LIST_PREPEND(c->calls, call);
        if (sd_event_source_get_enabled(c->timer, NULL) == 0) {
                (void) sd_event_source_set_time_relative(c->timer, USEC_PER_SEC);
                (void) sd_event_source_set_enabled(c->timer, SD_EVENT_ON);
        }
        r = cdp_flush(c);
        if (r < 0)
                /* Answered (with an error) from cdp_die() once the loop sees the pipe broken. */
                log_debug_errno(r, "Writing to the browser failed: %m");
        return 0;
}
