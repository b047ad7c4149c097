/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* HTTP backends with ResolveAddresses=yes: the name of each URL= is resolved every ResolveIntervalSec=, and
 * each of its addresses is an endpoint (what a Kubernetes headless Service gives: one address per ready
 * pod). An address that appears is added; one that leaves is retired. glibc resolves in a thread of its own
 * (getaddrinfo_a); the loop looks for the answer on a short timer, so that nothing blocks it. */
#include <netdb.h>
#include <stdio.h>

#include "backend-http-internal.h"
#include "log.h"
#include "strv.h"

#define RESOLVE_POLL_USEC (20 * USEC_PER_MSEC)

struct HttpResolve {
        HttpBackend *owner;
        const char *url; /* the configuration's string */
        char *host;      /* without brackets */
        char *port;
        struct addrinfo hints;
        struct gaicb request;
        bool busy;
        bool failed; /* the last lookup failed, and was logged */
};

DEFINE_TRIVIAL_CLEANUP_FUNC(struct addrinfo *, freeaddrinfo);

static int url_host_port(const char *url, char **ret_host, char **ret_port) {
        CURLU *u = sym_curl_url();
        if (!u)
                return -ENOMEM;
        char *host = NULL, *port = NULL;
        CURLUcode c = sym_curl_url_set(u, CURLUPART_URL, url, 0);
        c = c ?: sym_curl_url_get(u, CURLUPART_HOST, &host, 0);
        c = c ?: sym_curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
        sym_curl_url_cleanup(u);
        if (c == CURLUE_OK) {
                size_t n = strlen(host);
                bool bracketed = n > 2 && host[0] == '[' && host[n - 1] == ']';
                *ret_host = bracketed ? strndup(host + 1, n - 2) : strdup(host);
                *ret_port = strdup(port);
        }
        sym_curl_free(host);
        sym_curl_free(port);
        if (c != CURLUE_OK)
                return c == CURLUE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
        return *ret_host && *ret_port ? 0 : -ENOMEM;
}

static HttpEndpoint *endpoint_find(HttpBackend *h, const char *url, const char *address) {
        LIST_FOREACH(e, h->endpoints)
        if (e->url == url && streq_ptr(e->address, address))
                return e;
        return NULL;
}

/* One lookup's answer: the endpoints of r's URL become its addresses. A failed lookup changes nothing (the
 * health checks find what is gone). */
static void resolve_apply(HttpResolve *r, int error) {
        HttpBackend *h = r->owner;
        const char *name = h->backend->config->name;
        _cleanup_(freeaddrinfop) struct addrinfo *result = TAKE_PTR(r->request.ar_result);

        if (error != 0 || !result) {
                if (!r->failed)
                        log_warning("Backend %s: failed to resolve %s: %s%s", name, r->host,
                                error != 0 ? gai_strerror(error) : "no address",
                                h->endpoints ? "; its endpoints stay as they are." : ".");
                r->failed = true;
                return;
        }
        if (r->failed)
                log_info("Backend %s: %s resolves again.", name, r->host);
        r->failed = false;

        LIST_FOREACH(e, h->endpoints)
        if (e->url == r->url)
                e->seen = false;
        for (struct addrinfo *ai = result; ai; ai = ai->ai_next) {
                char address[NI_MAXHOST];
                if (getnameinfo(ai->ai_addr, ai->ai_addrlen, address, sizeof(address), NULL, 0, NI_NUMERICHOST) != 0)
                        continue;
                HttpEndpoint *e = endpoint_find(h, r->url, address);
                if (e && e->retired) {
                        log_info("Backend %s: endpoint %s is among the addresses of its name again.", name, e->name);
                        e->retired = false;
                        endpoint_check_health(e);
                } else if (!e) {
                        int k = endpoint_new(h, r->url, address, &e);
                        if (k < 0) {
                                log_warning_errno(k, "Backend %s: failed to add the endpoint %s of %s: %m", name,
                                        address, r->host);
                                continue;
                        }
                        log_info("Backend %s: endpoint %s added, an address of %s.", name, e->name, r->host);
                        endpoint_check_health(e);
                }
                e->seen = true;
        }
        LIST_FOREACH(e, h->endpoints)
        if (e->url == r->url && !e->seen)
                endpoint_retire(e);
        endpoints_reap(h);
}

static int resolve_lookup(HttpResolve *r) {
        r->request = (struct gaicb){
                .ar_name = r->host,
                .ar_service = r->port,
                .ar_request = &r->hints,
        };
        struct gaicb *list[] = { &r->request };
        struct sigevent none = { .sigev_notify = SIGEV_NONE };
        int k = getaddrinfo_a(GAI_NOWAIT, list, 1, &none);
        if (k != 0) {
                log_warning("Backend %s: failed to start resolving %s: %s", r->owner->backend->config->name, r->host,
                        gai_strerror(k));
                return -EAGAIN;
        }
        r->busy = true;
        return 0;
}

static int on_resolve_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        HttpBackend *h = userdata;
        Backend *b = h->backend;

        bool busy = false, answered = false;
        for (size_t i = 0; i < h->n_resolves; i++) {
                HttpResolve *r = &h->resolves[i];
                if (!r->busy)
                        continue;
                int error = gai_error(&r->request);
                if (error == EAI_INPROGRESS) {
                        busy = true;
                        continue;
                }
                r->busy = false;
                answered = true;
                resolve_apply(r, error);
        }
        if (!busy && !answered)
                /* The interval passed: every name again. */
                for (size_t i = 0; i < h->n_resolves; i++)
                        busy = resolve_lookup(&h->resolves[i]) >= 0 || busy;
        if (answered && !busy && !h->listing && (!b->listed || (h->endpoints && !b->tools)))
                /* The first addresses (or the first since none answered): what the backend offers. Without
                 * any, it offers nothing for now, and /mcp does not wait for it. */
                (void) http_list_tools(b);
        return sd_event_source_set_time_relative(source, busy ? RESOLVE_POLL_USEC : b->config->resolve_interval_usec);
}

int resolve_start(HttpBackend *h) {
        Backend *b = h->backend;
        size_t n = strv_length(b->config->urls);
        h->resolves = new0(HttpResolve, n);
        if (!h->resolves)
                return log_oom();
        for (size_t i = 0; i < n; i++) {
                HttpResolve *r = &h->resolves[h->n_resolves];
                *r = (HttpResolve){
                        .owner = h,
                        .url = b->config->urls[i],
                        .hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM },
                };
                int k = url_host_port(r->url, &r->host, &r->port);
                h->n_resolves++;
                if (k == -ENOMEM)
                        return log_oom();
                if (k < 0)
                        return log_error_errno(k, "Backend %s: no host and port in %s.", b->config->name, r->url);
        }
        int k = sd_event_add_time_relative(event_of(h), &h->resolve_timer, CLOCK_MONOTONIC, 0, USEC_PER_MSEC,
                on_resolve_timer, h);
        if (k < 0)
                return log_error_errno(k, "Backend %s: failed to set up resolving its names: %m", b->config->name);
        return sd_event_source_set_enabled(h->resolve_timer, SD_EVENT_ON);
}

void resolve_done(HttpBackend *h) {
        h->resolve_timer = sd_event_source_disable_unref(h->resolve_timer);
        for (size_t i = 0; i < h->n_resolves; i++) {
                HttpResolve *r = &h->resolves[i];
                if (r->busy && gai_cancel(&r->request) != EAI_CANCELED) {
                        /* Running: glibc writes into the request until it ends, so it is waited for. */
                        const struct gaicb *list[] = { &r->request };
                        while (gai_error(&r->request) == EAI_INPROGRESS)
                                (void) gai_suspend(list, 1, NULL);
                }
                if (r->request.ar_result)
                        freeaddrinfo(r->request.ar_result);
                free(r->host);
                free(r->port);
        }
        h->resolves = mfree(h->resolves);
        h->n_resolves = 0;
}
