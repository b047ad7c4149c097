/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* HTTP backends: the endpoints of one backend (its URL= lines, or the addresses of their names), which of
 * them takes the next call (the fewest calls in progress), their health (/readyz), and their figures. */
#include <limits.h>
#include <stdio.h>

#include "backend-http-internal.h"
#include "log.h"

#define HEALTH_TIMEOUT_USEC (10 * USEC_PER_SEC)

/* url with its host replaced by address (NULL: kept) and, with path, its path, query and fragment replaced. */
static int url_rewrite(const char *url, const char *address, const char *path, char **ret) {
        CURLU *u = sym_curl_url();
        if (!u)
                return -ENOMEM;
        CURLUcode c = sym_curl_url_set(u, CURLUPART_URL, url, 0);
        _cleanup_free_ char *host = NULL;
        if (c == CURLUE_OK && address) {
                if (strchr(address, ':') && asprintf(&host, "[%s]", address) < 0)
                        c = CURLUE_OUT_OF_MEMORY;
                else
                        c = sym_curl_url_set(u, CURLUPART_HOST, host ?: address, 0);
        }
        if (c == CURLUE_OK && path) {
                c = sym_curl_url_set(u, CURLUPART_PATH, path, 0);
                c = c ?: sym_curl_url_set(u, CURLUPART_QUERY, NULL, 0);
                c = c ?: sym_curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
        }
        char *s = NULL;
        c = c ?: sym_curl_url_get(u, CURLUPART_URL, &s, 0);
        sym_curl_url_cleanup(u);
        if (c != CURLUE_OK)
                return c == CURLUE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
        *ret = strdup(s);
        sym_curl_free(s);
        return *ret ? 0 : -ENOMEM;
}

static Metrics *metrics_of(const HttpEndpoint *e) {
        return e->owner->backend->gateway->metrics;
}

static const char *backend_name(const HttpEndpoint *e) {
        return e->owner->backend->config->name;
}

int endpoint_new(HttpBackend *h, const char *url, const char *address, HttpEndpoint **ret) {
        Backend *b = h->backend;
        HttpEndpoint *e = new0(HttpEndpoint, 1);
        if (!e)
                return -ENOMEM;
        e->owner = h;
        e->url = url;
        e->up = true; /* until a check says otherwise: calls go out from the start */
        int r = url_rewrite(url, address, NULL, &e->name);
        if (r >= 0)
                r = url_rewrite(url, NULL, "/readyz", &e->health_url);
        if (r >= 0 && address && !(e->address = strdup(address)))
                r = -ENOMEM;
        if (r >= 0)
                r = http_remote_init(&e->remote, b->gateway->event, b->config->name, url,
                        (size_t) MIN(b->gateway->config->max_body, (uint64_t) SIZE_MAX - 1));
        if (r >= 0 && address)
                r = http_remote_set_address(&e->remote, address);
        if (r >= 0 && h->authorization && !(e->remote.authorization = strdup(h->authorization)))
                r = -ENOMEM;
        if (r < 0) {
                http_remote_done(&e->remote);
                free(e->name);
                free(e->health_url);
                free(e->address);
                free(e);
                return r;
        }
        /* The last of the list: the order of URL= is the order shown. */
        HttpEndpoint **tail = &h->endpoints, *prev = NULL;
        while (*tail) {
                prev = *tail;
                tail = &(*tail)->next;
        }
        e->prev = prev;
        *tail = e;
        metrics_endpoint_up(metrics_of(e), b->config->name, e->name, true);
        metrics_endpoint_calls(metrics_of(e), b->config->name, e->name, 0, 0);
        if (ret)
                *ret = e;
        return 0;
}

/* Everything on e must be gone: its calls, its sessions, the listing. */
void endpoint_free(HttpEndpoint *e) {
        if (!e)
                return;
        assert(e->n_calls == 0);
        LIST_REMOVE(e->owner->endpoints, e);
        http_remote_done(&e->remote); /* its health check and side messages, without their done() */
        if (e->remote.authorization)
                explicit_bzero(e->remote.authorization, strlen(e->remote.authorization));
        free(e->remote.authorization);
        free(e->name);
        free(e->health_url);
        free(e->address);
        free(e);
}

bool endpoint_usable(const HttpEndpoint *e) {
        return e && e->up && !e->retired;
}

static bool endpoint_eligible(const HttpEndpoint *e, const HttpEndpoint *avoid, bool only_up) {
        return e != avoid && !e->retired && (e->up || !only_up);
}

/* The least loaded endpoint; those within one call of it count as equally loaded and take turns, so that
 * clients that wait for each answer before the next call are spread evenly too, and not each held by the
 * endpoint that answered it last. */
HttpEndpoint *endpoint_choose(HttpBackend *h, const HttpEndpoint *avoid) {
        HttpEndpoint *best = NULL;
        for (int pass = 0; pass < 2 && !best; pass++) {
                bool only_up = pass == 0;
                unsigned least = UINT_MAX;
                LIST_FOREACH(e, h->endpoints)
                if (endpoint_eligible(e, avoid, only_up))
                        least = MIN(least, e->n_calls);
                LIST_FOREACH(e, h->endpoints)
                if (endpoint_eligible(e, avoid, only_up) && e->n_calls <= least + 1 &&
                        (!best || e->last_chosen < best->last_chosen))
                        best = e;
        }
        if (best)
                best->last_chosen = ++h->n_chosen;
        return best;
}

void endpoint_bind_call(HttpCall *hc, HttpEndpoint *e) {
        HttpEndpoint *old = hc->endpoint;
        if (old == e)
                return;
        if (old) {
                old->n_calls--;
                metrics_endpoint_calls(metrics_of(old), backend_name(old), old->name, -1, 0);
        }
        hc->endpoint = e;
        if (e) {
                e->n_calls++;
                e->n_sent++;
                metrics_endpoint_calls(metrics_of(e), backend_name(e), e->name, +1, 1);
        }
}

bool transfer_never_sent(Transfer *t, CURLcode result) {
        switch (result) {
        case CURLE_COULDNT_CONNECT:
        case CURLE_COULDNT_RESOLVE_HOST:
                return true;
        case CURLE_OPERATION_TIMEDOUT: {
                curl_off_t sent = 0;
                (void) sym_curl_easy_getinfo(t->easy, CURLINFO_PRETRANSFER_TIME_T, &sent);
                return sent == 0 && t->header_status == 0;
        }
        default:
                return false;
        }
}

/* The backend is up while one of its endpoints is; when one comes back after none was, what the backend
 * offers is listed again (it may have come back with other tools). */
static void backend_update(HttpBackend *h) {
        Backend *b = h->backend;
        bool up = false;
        LIST_FOREACH(e, h->endpoints)
        up = up || endpoint_usable(e);
        backend_set_up(b, up);
        if (!up)
                h->was_down = true;
        else if ((h->was_down || !b->tools) && !h->listing)
                (void) http_list_tools(b);
}

static void endpoint_set(HttpEndpoint *e, bool up, const char *why) {
        if (e->up != up) {
                if (up)
                        log_info("Backend %s: endpoint %s is up.", backend_name(e), e->name);
                else
                        log_info("Backend %s: endpoint %s is down: %s", backend_name(e), e->name, strempty(why));
        }
        e->up = up;
        metrics_endpoint_up(metrics_of(e), backend_name(e), e->name, up && !e->retired);
}

void endpoint_set_up(HttpEndpoint *e, bool up) {
        endpoint_set(e, up, "it does not answer");
        backend_update(e->owner);
}

void endpoint_failed(HttpEndpoint *e, const char *why) {
        endpoint_set(e, false, why);
        backend_update(e->owner);
}

void endpoint_retire(HttpEndpoint *e) {
        if (e->retired)
                return;
        log_info("Backend %s: endpoint %s is no longer among the addresses of its name.", backend_name(e), e->name);
        e->retired = true;
        metrics_endpoint_up(metrics_of(e), backend_name(e), e->name, false);
        sessions_drop_on(e, "its endpoint is no longer among the addresses of the backend's name");
}

void endpoints_reap(HttpBackend *h) {
        for (HttpEndpoint *e = h->endpoints, *next; e; e = next) {
                next = e->next;
                if (e->retired && e->n_calls == 0 && !listing_uses(h->listing, e) && !e->remote.transfers)
                        endpoint_free(e);
        }
}

/* --- health ---------------------------------------------------------------------------------------- */

static void on_health_done(Transfer *t, CURLcode result) {
        HttpEndpoint *e = t->userdata;
        e->health = NULL;

        /* /readyz answers 200, or 503 while the server cannot serve; a server without it (404, 405) still
         * answers, which is all that can be known of it. */
        bool up = t->status > 0 && t->status < 500;
        char why[CURL_ERROR_SIZE + 64];
        if (t->status >= 500)
                snprintf(why, sizeof(why), "its /readyz answered HTTP status %ld", t->status);
        else
                snprintf(why, sizeof(why), "%s", t->error[0] ? t->error : sym_curl_easy_strerror(result));
        transfer_free(t);

        if (e->retired)
                return;
        endpoint_set(e, up, why);
        backend_update(e->owner);
}

static const TransferOps health_ops = {
        .done = on_health_done,
};

void endpoint_check_health(HttpEndpoint *e) {
        if (e->health || e->retired)
                return; /* the last check has not come back yet */

        Request rq = {
                .method = HTTP_GET,
                .url = e->health_url,
                .timeout_usec = HEALTH_TIMEOUT_USEC,
                .headers_only = true,
        };
        int r = transfer_new(&e->remote, &rq, &health_ops, e, &e->health);
        if (r < 0) {
                log_warning_errno(r, "Backend %s: failed to check endpoint %s: %m", backend_name(e), e->name);
                endpoint_set_up(e, false);
        }
}

void http_check_health(Backend *b) {
        HttpBackend *h = b->transport_data;
        endpoints_reap(h);
        LIST_FOREACH(e, h->endpoints)
        endpoint_check_health(e);
        if (!h->endpoints)
                backend_set_up(b, false); /* no address known */
}

/* For /readyz: [{"url", "up", "calls", "sent"}] in the order of the endpoints. */
json_object *http_describe(Backend *b) {
        HttpBackend *h = b->transport_data;
        _cleanup_json_ json_object *list = json_object_new_array();
        if (!list)
                return NULL;
        LIST_FOREACH(e, h->endpoints) {
                if (e->retired)
                        continue;
                _cleanup_json_ json_object *o = json_object_new_object();
                if (!o || json_add_string(o, "url", e->name) < 0 ||
                        json_add(o, "up", json_object_new_boolean(e->up)) < 0 ||
                        json_add(o, "outstanding", json_object_new_int64(e->n_calls)) < 0 ||
                        json_add(o, "calls", json_object_new_int64((int64_t) MIN(e->n_sent, (uint64_t) INT64_MAX))) <
                                0 ||
                        json_object_array_add(list, o) < 0)
                        return NULL;
                TAKE_PTR(o);
        }
        return TAKE_PTR(list);
}
