/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libcurl's multi interface driven from sd-event: its sockets as io sources, its timeouts as one timer source. */
#include <sys/epoll.h>

#include "curl-event.h"
#include "log.h"

typedef struct IoWatch {
        curl_socket_t fd;
        sd_event_source *source;
} IoWatch;

struct CurlEvent {
        sd_event *event;
        const CurlEventOps *ops;
        void *userdata;
        CURLM *multi; /* made by the first transfer */
        sd_event_source *timer;
        IoWatch *ios;
        size_t n_ios;
};

static void dispatch(CurlEvent *c) {
        if (c->ops->dispatch)
                c->ops->dispatch(c->userdata);
}

/* After curl did its work: what the write callbacks noted, in order, then the transfers it finished. Outside
 * curl's callbacks, so that handlers may start and stop transfers. */
static void process(CurlEvent *c) {
        dispatch(c);

        CURLMsg *m;
        int left;
        while ((m = sym_curl_multi_info_read(c->multi, &left))) {
                if (m->msg != CURLMSG_DONE)
                        continue;
                c->ops->finished(m->easy_handle, m->data.result, c->userdata);
                dispatch(c);
        }
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        CurlEvent *c = userdata;
        int action = (revents & EPOLLIN ? CURL_CSELECT_IN : 0) | (revents & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                (revents & EPOLLERR ? CURL_CSELECT_ERR : 0);
        int running;
        (void) sym_curl_multi_socket_action(c->multi, fd, action, &running);
        process(c);
        return 0;
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userdata, void *socketp) {
        CurlEvent *c = userdata;
        IoWatch *w = NULL;
        for (size_t i = 0; i < c->n_ios && !w; i++)
                if (c->ios[i].fd == fd)
                        w = &c->ios[i];

        if (what == CURL_POLL_REMOVE) {
                if (w) {
                        sd_event_source_disable_unref(w->source);
                        *w = c->ios[--c->n_ios];
                }
                return 0;
        }

        uint32_t events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
        if (w)
                return sd_event_source_set_io_events(w->source, events) < 0 ? -1 : 0;

        IoWatch *ios = reallocarray(c->ios, c->n_ios + 1, sizeof(IoWatch));
        if (!ios)
                return -1;
        c->ios = ios;
        sd_event_source *source;
        int r = sd_event_add_io(c->event, &source, fd, events, on_io, c);
        if (r < 0) {
                char *url = NULL;
                (void) sym_curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &url);
                log_debug_errno(r, "Failed to watch a connection to %s: %m", strempty(url));
                return -1;
        }
        c->ios[c->n_ios++] = (IoWatch){ .fd = fd, .source = source };
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        CurlEvent *c = userdata;
        int running;
        (void) sym_curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        process(c);
        return 0;
}

/* curl wants to be called back after timeout_ms (-1: never): one timer for all its transfers. */
static int on_timer_change(CURLM *multi, long timeout_ms, void *userdata) {
        CurlEvent *c = userdata;
        int r;

        if (timeout_ms < 0)
                return c->timer && sd_event_source_set_enabled(c->timer, SD_EVENT_OFF) < 0 ? -1 : 0;

        uint64_t now;
        r = sd_event_now(c->event, CLOCK_MONOTONIC, &now);
        if (r < 0)
                return -1;
        uint64_t when = now + (uint64_t) timeout_ms * USEC_PER_MSEC;
        if (!c->timer)
                r = sd_event_add_time(c->event, &c->timer, CLOCK_MONOTONIC, when, USEC_PER_MSEC, on_timer, c);
        else {
                r = sd_event_source_set_time(c->timer, when);
                if (r >= 0)
                        r = sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
        }
        return r < 0 ? -1 : 0;
}

int curl_event_new(sd_event *event, const CurlEventOps *ops, void *userdata, CurlEvent **ret) {
        assert(event);
        assert(ops && ops->finished);

        /* Whoever sets up transfers has libcurl loaded first. */
        int r = curl_dlopen();
        if (r < 0)
                return r;
        CurlEvent *c = new0(CurlEvent, 1);
        if (!c)
                return -ENOMEM;
        c->event = sd_event_ref(event);
        c->ops = ops;
        c->userdata = userdata;
        *ret = c;
        return 0;
}

/* libcurl's multi handle, made now if this is the first transfer: making it starts libcurl and with it
 * OpenSSL (2.5 MiB of a process's memory), which a server that has not sent anything yet does without. */
static int multi_ready(CurlEvent *c) {
        if (c->multi)
                return 0;
        c->multi = sym_curl_multi_init();
        if (!c->multi)
                return -ENOMEM;

        CURLMcode m = sym_curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
        m = m ?: sym_curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
        m = m ?: sym_curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer_change);
        m = m ?: sym_curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
        if (m != CURLM_OK) {
                log_debug("Failed to set up libcurl's multi interface: %s", sym_curl_multi_strerror(m));
                sym_curl_multi_cleanup(c->multi);
                c->multi = NULL;
                return -EINVAL;
        }
        return 0;
}

CurlEvent *curl_event_free(CurlEvent *c) {
        if (!c)
                return NULL;
        if (c->multi)
                sym_curl_multi_cleanup(c->multi);
        for (size_t i = 0; i < c->n_ios; i++)
                sd_event_source_disable_unref(c->ios[i].source);
        free(c->ios);
        sd_event_source_disable_unref(c->timer);
        sd_event_unref(c->event);
        free(c);
        return NULL;
}

int curl_event_add(CurlEvent *c, CURL *easy) {
        int r = multi_ready(c);
        if (r < 0)
                return r;
        return sym_curl_multi_add_handle(c->multi, easy) == CURLM_OK ? 0 : -ENOMEM;
}

void curl_event_remove(CurlEvent *c, CURL *easy) {
        if (c->multi)
                (void) sym_curl_multi_remove_handle(c->multi, easy);
}
