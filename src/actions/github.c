/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One request to GitHub's REST API and what comes back: conditional with the ETag seen before, waiting out a
 * rate limit when GitHub asks for a short wait, failing with a sentence when it asks for a long one. */
#include <strings.h>
#include <time.h>

#include "app-token.h"
#include "buffer.h"
#include "curl-event.h"
#include "etag-cache.h"
#include "github.h"
#include "list.h"
#include "log.h"

#define CONNECT_TIMEOUT_MS 10000L
#define JSON_BODY_MAX (16U * 1024U * 1024U)
#define ERROR_BODY_MAX (64U * 1024U)
#define HEADER_VALUE_MAX 2048U
/* A request is tried this often at most when GitHub keeps asking to wait. */
#define ATTEMPTS_MAX 4U
/* GitHub's advice for a secondary rate limit that says no more: wait at least a minute. */
#define SECONDARY_WAIT_USEC (60 * USEC_PER_SEC)
#define API_VERSION "2022-11-28"

struct GitHub {
        sd_event *event;
        const ActionsConfig *config;
        char *authorization; /* the header line, or NULL without a token */
        CurlEvent *curl;
        EtagCache *cache;
        GitHubCall *calls;
        long remaining;         /* -1: unknown */
        uint64_t reset;         /* CLOCK_REALTIME seconds */
        uint64_t blocked_until; /* CLOCK_REALTIME usec: a secondary limit's Retry-After */
        unsigned cache_hits;
        /* A GitHub App: its key, and the installation token minted with it (in authorization) until when. */
        EVP_PKEY *app_key;
        uint64_t token_expires; /* CLOCK_REALTIME seconds */
        GitHubCall *mint;       /* the request for a new installation token, while it runs */
};

enum { H_ETAG, H_LINK, H_LOCATION, H_RETRY_AFTER, H_REMAINING, H_RESET, _H_MAX };
static const char *const header_names[_H_MAX] = {
        [H_ETAG] = "etag",
        [H_LINK] = "link",
        [H_LOCATION] = "location",
        [H_RETRY_AFTER] = "retry-after",
        [H_REMAINING] = "x-ratelimit-remaining",
        [H_RESET] = "x-ratelimit-reset",
};

struct GitHubCall {
        LIST_FIELDS(GitHubCall);
        GitHub *owner;
        char *method;
        char *url;
        char *body;
        bool anonymous;
        char *authorization; /* instead of the server's: the App's JWT when it asks for a token */
        bool wants_token;    /* waits for the installation token */
        GitHubSink sink;
        void (*waiting)(const char *message, void *userdata);
        GitHubDone done;
        void *userdata;

        CURL *easy;
        struct curl_slist *headers;
        bool conditional; /* sent with If-None-Match */
        sd_event_source *wait;
        unsigned attempts;

        long status;
        char *header[_H_MAX];
        Buffer received;
        int sink_error;
        char error[CURL_ERROR_SIZE];
};

static void call_reset(GitHubCall *c) {
        if (c->easy) {
                curl_event_remove(c->owner->curl, c->easy);
                sym_curl_easy_cleanup(c->easy);
                c->easy = NULL;
        }
        sym_curl_slist_free_all(c->headers);
        c->headers = NULL;
        for (size_t i = 0; i < _H_MAX; i++)
                c->header[i] = mfree(c->header[i]);
        buffer_done(&c->received);
        c->status = 0;
        c->sink_error = 0;
        c->conditional = false;
        c->error[0] = 0;
}

GitHubCall *github_call_free(GitHubCall *c) {
        if (!c)
                return NULL;
        call_reset(c);
        sd_event_source_disable_unref(c->wait);
        LIST_REMOVE(c->owner->calls, c);
        if (c->owner->mint == c)
                c->owner->mint = NULL;
        free(c->method);
        free(c->url);
        free(c->body);
        free(c->authorization);
        free(c);
        return NULL;
}

/* Hands the answer over; the call is finished and its owner may free it from done. */
static void call_finish(GitHubCall *c, const GitHubResponse *r) {
        GitHubDone done = TAKE_PTR(c->done);
        if (done)
                done(r, c->userdata);
}

static void call_fail(GitHubCall *c, int error, const char *format, ...) _printf_(3, 4);
static void call_fail(GitHubCall *c, int error, const char *format, ...) {
        _cleanup_free_ char *text = NULL;
        va_list ap;
        va_start(ap, format);
        if (vasprintf(&text, format, ap) < 0)
                text = NULL;
        va_end(ap);
        call_reset(c);
        call_finish(c, &(GitHubResponse){ .error = error, .error_text = text ?: "Out of memory." });
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *userdata) {
        GitHubCall *c = userdata;
        size_t n = size * nmemb;

        if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
                /* A new response: forget what an earlier one (100 Continue) said. */
                for (size_t i = 0; i < _H_MAX; i++)
                        c->header[i] = mfree(c->header[i]);
                return n;
        }
        const char *colon = memchr(p, ':', n);
        if (!colon)
                return n;
        for (size_t i = 0; i < _H_MAX; i++) {
                size_t l = strlen(header_names[i]);
                if ((size_t) (colon - p) != l || strncasecmp(p, header_names[i], l) != 0)
                        continue;
                const char *v = colon + 1, *end = p + n;
                while (v < end && (*v == ' ' || *v == '\t'))
                        v++;
                while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
                        end--;
                if ((size_t) (end - v) > HEADER_VALUE_MAX)
                        break;
                free(c->header[i]);
                c->header[i] = strndup(v, end - v);
                break;
        }
        return n;
}

static size_t on_write(char *p, size_t size, size_t nmemb, void *userdata) {
        GitHubCall *c = userdata;
        size_t n = size * nmemb;
        if (c->status == 0)
                (void) sym_curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &c->status);

        if (c->sink && c->status >= 200 && c->status < 300) {
                int r = c->sink(p, n, c->userdata);
                if (r < 0) {
                        c->sink_error = r;
                        return 0;
                }
                return n;
        }
        int r = buffer_append(&c->received, p, n, c->sink ? ERROR_BODY_MAX : JSON_BODY_MAX);
        if (r < 0) {
                c->sink_error = r;
                return 0; /* ends the transfer with CURLE_WRITE_ERROR */
        }
        return n;
}

static int header_add(struct curl_slist **list, const char *line) {
        struct curl_slist *l = sym_curl_slist_append(*list, line);
        if (!l)
                return -ENOMEM;
        *list = l;
        return 0;
}

static int call_send(GitHubCall *c) {
        GitHub *g = c->owner;
        call_reset(c);

        c->easy = sym_curl_easy_init();
        if (!c->easy)
                return -ENOMEM;

        const char *etag = streq(c->method, "GET") && !c->sink ? etag_cache_etag(g->cache, c->url) : NULL;
        _cleanup_free_ char *if_none_match = NULL;
        if (etag && asprintf(&if_none_match, "If-None-Match: %s", etag) < 0)
                return -ENOMEM;
        c->conditional = etag;

        int r = 0;
        if (!c->anonymous) {
                r = header_add(&c->headers, "Accept: application/vnd.github+json");
                r = r ?: header_add(&c->headers, "X-GitHub-Api-Version: " API_VERSION);
                if (c->authorization || g->authorization)
                        r = r ?: header_add(&c->headers, c->authorization ?: g->authorization);
        }
        if (if_none_match)
                r = r ?: header_add(&c->headers, if_none_match);
        if (c->body)
                r = r ?: header_add(&c->headers, "Content-Type: application/json");
        r = r ?: header_add(&c->headers, "Expect:");
        if (r < 0)
                return r;

        CURL *e = c->easy;
        CURLcode k = sym_curl_easy_setopt(e, CURLOPT_URL, c->url);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        /* Redirects are the caller's to follow: the token must not travel to where a Location points. */
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long) (g->config->request_timeout_usec / USEC_PER_MSEC));
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_USERAGENT, "aios-actionsd/" PROJECT_VERSION);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->headers);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->error);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_PRIVATE, c);
        if (c->body) {
                k = k ?: sym_curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long) strlen(c->body));
                k = k ?: sym_curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body);
        } else if (streq(c->method, "POST"))
                k = k ?: sym_curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
        if (!streq(c->method, "GET"))
                k = k ?: sym_curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, c->method);
        if (k != CURLE_OK)
                return log_debug_errno(EINVAL, "Failed to set up a request to %s: %s", c->url,
                        sym_curl_easy_strerror(k));

        r = curl_event_add(g->curl, e);
        if (r < 0) {
                sym_curl_easy_cleanup(TAKE_PTR(c->easy));
                return r;
        }
        return 0;
}

static void call_go(GitHubCall *c);

/* GitHub's answer to the request for an installation token: the token and when it expires. */
static void on_minted(const GitHubResponse *r, void *userdata) {
        GitHub *g = userdata;
        const char *token = json_get_string(r->json, "token");
        const char *expires = json_get_string(r->json, "expires_at");
        struct tm tm = {};
        const char *end = expires ? strptime(expires, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;
        _cleanup_free_ char *failure = NULL;
        if (r->error < 0 || r->status != 201 || isempty(token) || strpbrk(token, "\r\n") || !end || *end) {
                if (asprintf(&failure,
                            "GitHub gave this server no installation token for its GitHub App (AppID= in "
                            "actions.conf): %s",
                            r->error_text ?: "its answer has no token") < 0)
                        failure = NULL;
        } else {
                if (g->authorization)
                        explicit_bzero(g->authorization, strlen(g->authorization));
                free(g->authorization);
                if (asprintf(&g->authorization, "Authorization: Bearer %s", token) < 0)
                        g->authorization = NULL;
                g->token_expires = (uint64_t) timegm(&tm);
                log_debug("Minted an installation token until %s.", expires);
        }

        LIST_FOREACH(c, g->calls)
        if (c->wants_token) {
                c->wants_token = false;
                if (failure || !g->authorization)
                        call_fail(c, -EACCES, "%s", failure ?: "Out of memory.");
                else
                        call_go(c);
        }
        /* The request's own call: done with it (nothing of it is used after this). */
        github_call_free(g->mint);
}

/* A GitHub App's installation token lasts an hour: a new one is minted five minutes before it expires. */
static bool call_needs_token(GitHubCall *c) {
        GitHub *g = c->owner;
        if (!g->app_key || c->anonymous || c->authorization)
                return false;
        if (g->authorization && (uint64_t) time(NULL) + 300 < g->token_expires)
                return false;
        c->wants_token = true;
        if (g->mint)
                return true;

        _cleanup_free_ char *jwt = NULL, *url = NULL;
        int r = app_jwt_new(g->app_key, g->config->app_id, (uint64_t) time(NULL), &jwt);
        if (r < 0 || asprintf(&url, "/app/installations/%s/access_tokens", g->config->installation_id) < 0) {
                c->wants_token = false;
                call_fail(c, r < 0 ? r : -ENOMEM, "Could not sign the GitHub App's token request: %s",
                        strerror(r < 0 ? -r : ENOMEM));
                return true;
        }
        GitHubCall *m;
        r = github_call(g, &(GitHubRequest){ .method = "POST", .url = url }, on_minted, g, &m);
        if (r >= 0 && asprintf(&m->authorization, "Authorization: Bearer %s", jwt) < 0)
                r = -ENOMEM;
        explicit_bzero(jwt, strlen(jwt));
        if (r < 0) {
                c->wants_token = false;
                call_fail(c, r, "Could not ask GitHub for an installation token: %s", strerror(-r));
                return true;
        }
        g->mint = m;
        return true;
}

static uint64_t now_realtime(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static void format_span(char *buf, size_t size, uint64_t usec) {
        uint64_t s = (usec + USEC_PER_SEC - 1) / USEC_PER_SEC;
        if (s < 120)
                snprintf(buf, size, "%" PRIu64 " s", s);
        else
                snprintf(buf, size, "%" PRIu64 " min", (s + 59) / 60);
}

static int on_wait_done(sd_event_source *s, uint64_t usec, void *userdata) {
        GitHubCall *c = userdata;
        c->wait = sd_event_source_disable_unref(c->wait);
        call_go(c);
        return 0;
}

/* Waits usec before (re)sending, telling the caller, or fails when that is longer than allowed. */
static void call_wait(GitHubCall *c, uint64_t usec, const char *why) {
        GitHub *g = c->owner;
        char span[32];
        format_span(span, sizeof(span), usec);
        if (usec > g->config->max_rate_limit_wait_usec || c->attempts >= ATTEMPTS_MAX) {
                time_t at = (time_t) ((now_realtime() + usec) / USEC_PER_SEC);
                struct tm tm;
                char when[32] = "";
                if (gmtime_r(&at, &tm))
                        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
                call_fail(c, -EBUSY,
                        "%s: GitHub accepts no more requests from this server until %s (in %s), longer than it waits "
                        "on a call's behalf (MaxRateLimitWaitSec= in actions.conf). Try again then.",
                        why, when, span);
                return;
        }
        call_reset(c);
        if (c->waiting) {
                _cleanup_free_ char *m = NULL;
                if (asprintf(&m, "%s: waiting %s before asking GitHub again.", why, span) >= 0)
                        c->waiting(m, c->userdata);
        }
        int r = sd_event_add_time_relative(g->event, &c->wait, CLOCK_MONOTONIC, usec, USEC_PER_MSEC, on_wait_done, c);
        if (r < 0)
                call_fail(c, r, "Could not wait for GitHub's rate limit: %s", strerror(-r));
}

/* Before a request: a limit already known to be reached is waited out without asking. */
static bool call_must_wait(GitHubCall *c) {
        GitHub *g = c->owner;
        if (c->anonymous)
                return false;
        uint64_t now = now_realtime();
        if (g->blocked_until > now) {
                call_wait(c, g->blocked_until - now, "GitHub's secondary rate limit");
                return true;
        }
        if (g->remaining == 0 && g->reset * USEC_PER_SEC > now) {
                call_wait(c, g->reset * USEC_PER_SEC - now + USEC_PER_SEC, "GitHub's rate limit is used up");
                return true;
        }
        return false;
}

static bool parse_u64(const char *s, uint64_t *ret) {
        char *end;
        if (!s || !(*s >= '0' && *s <= '9'))
                return false;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno != 0 || *end)
                return false;
        *ret = v;
        return true;
}

/* Sends the request, once the rate limit and the App's token allow. */
static void call_go(GitHubCall *c) {
        if (call_must_wait(c) || call_needs_token(c))
                return;
        int r = call_send(c);
        if (r < 0)
                call_fail(c, r, "Could not send a request to GitHub: %s", strerror(-r));
}

static int on_start(sd_event_source *s, uint64_t usec, void *userdata) {
        GitHubCall *c = userdata;
        c->wait = sd_event_source_disable_unref(c->wait);
        call_go(c);
        return 0;
}

static void note_rate_limit(GitHubCall *c) {
        GitHub *g = c->owner;
        uint64_t remaining, reset;
        if (parse_u64(c->header[H_REMAINING], &remaining) && parse_u64(c->header[H_RESET], &reset)) {
                g->remaining = (long) MIN(remaining, (uint64_t) LONG_MAX);
                g->reset = reset;
        }
}

/* A 403 or 429 that is a rate limit, not a refusal: how long GitHub wants us to wait. */
static bool rate_limited(GitHubCall *c, json_object *body, uint64_t *ret_usec, const char **ret_why) {
        if (c->status != 403 && c->status != 429)
                return false;
        uint64_t v, now = now_realtime();
        if (parse_u64(c->header[H_RETRY_AFTER], &v)) {
                *ret_usec = v * USEC_PER_SEC;
                *ret_why = "GitHub's secondary rate limit";
                c->owner->blocked_until = now + *ret_usec;
                return true;
        }
        if (streq_ptr(c->header[H_REMAINING], "0") && parse_u64(c->header[H_RESET], &v)) {
                *ret_usec = v * USEC_PER_SEC > now ? v * USEC_PER_SEC - now + USEC_PER_SEC : USEC_PER_SEC;
                *ret_why = "GitHub's rate limit is used up";
                return true;
        }
        const char *message = json_get_string(body, "message");
        if (message && strcasestr(message, "rate limit")) {
                *ret_usec = SECONDARY_WAIT_USEC;
                *ret_why = "GitHub's secondary rate limit";
                c->owner->blocked_until = now + *ret_usec;
                return true;
        }
        return false;
}

/* Link: <URL>; rel="next", <URL>; rel="last": the next page's URL, if it is on the API's own origin (the token
 * goes with it). */
static char *link_next(GitHub *g, const char *link) {
        for (const char *p = link; p && *p;) {
                const char *open = strchr(p, '<'), *close = open ? strchr(open, '>') : NULL;
                if (!close)
                        return NULL;
                const char *end = strchr(close, ',');
                size_t params = end ? (size_t) (end - close) : strlen(close);
                _cleanup_free_ char *rest = strndup(close + 1, params - 1);
                if (!rest)
                        return NULL;
                if (strstr(rest, "rel=\"next\"")) {
                        size_t n = close - open - 1, base = strlen(g->config->api_url);
                        if (n <= base || strncmp(open + 1, g->config->api_url, base) != 0 || open[1 + base] != '/')
                                return NULL;
                        return strndup(open + 1, n);
                }
                p = end ? end + 1 : NULL;
        }
        return NULL;
}

static void call_done_http(GitHubCall *c) {
        GitHub *g = c->owner;
        _cleanup_json_ json_object *json = NULL;
        const char *text = c->received.data;
        size_t size = c->received.size;
        bool cached = false;

        if (c->status == 304 && c->conditional) {
                text = etag_cache_body(g->cache, c->url, &size);
                if (!text) {
                        call_fail(c, -EIO, "GitHub answered 304 for %s, which this server no longer remembers.",
                                c->url);
                        return;
                }
                cached = true;
                g->cache_hits++;
        }
        if (text && size > 0 && json_parse_strict(text, size, &json, NULL) < 0)
                json = NULL;

        uint64_t wait;
        const char *why;
        if (rate_limited(c, json, &wait, &why)) {
                call_wait(c, wait, why);
                return;
        }
        if (c->status == 200 && !cached && c->header[H_ETAG] && json && streq(c->method, "GET") && !c->sink)
                (void) etag_cache_put(g->cache, c->url, c->header[H_ETAG], c->received.data, c->received.size);

        _cleanup_free_ char *next = c->header[H_LINK] ? link_next(g, c->header[H_LINK]) : NULL;
        _cleanup_free_ char *error_text = NULL;
        long status = cached ? 200 : c->status;
        if (status >= 400) {
                const char *message = json_get_string(json, "message");
                if (asprintf(&error_text, "GitHub answered %ld for %s%s%s", status, c->url, message ? ": " : ".",
                            strempty(message)) < 0)
                        error_text = NULL;
        } else if (status >= 300 &&
                asprintf(&error_text, "GitHub answered %ld for %s: moved to %s.", status, c->url,
                        strempty(c->header[H_LOCATION])) < 0)
                error_text = NULL;
        GitHubResponse r = {
                .status = status,
                .json = json,
                .next = next,
                .location = c->header[H_LOCATION],
                .cached = cached,
                .error_text = error_text ?: (status >= 300 ? "GitHub did not answer the request." : NULL),
        };
        call_finish(c, &r);
}

static void on_finished(CURL *easy, CURLcode result, void *userdata) {
        GitHubCall *c = NULL;
        (void) sym_curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **) &c);
        if (!c)
                return;
        curl_event_remove(c->owner->curl, easy);
        (void) sym_curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &c->status);
        c->attempts++;

        if (c->sink_error == -E2BIG) {
                call_fail(c, -E2BIG, "GitHub's answer for %s was larger than this server reads.", c->url);
                return;
        }
        if (c->sink_error < 0) {
                call_fail(c, c->sink_error, "Reading GitHub's answer for %s failed: %s", c->url,
                        strerror(-c->sink_error));
                return;
        }
        if (result != CURLE_OK) {
                call_fail(c, -EHOSTUNREACH, "Could not get %s: %s", c->url,
                        c->error[0] ? c->error : sym_curl_easy_strerror(result));
                return;
        }
        if (!c->anonymous)
                note_rate_limit(c);
        call_done_http(c);
}

static const CurlEventOps curl_ops = { .finished = on_finished };

int github_new(sd_event *event, const ActionsConfig *config, const char *token, const char *app_key, GitHub **ret) {
        _cleanup_(github_freep) GitHub *g = new0(GitHub, 1);
        if (!g)
                return -ENOMEM;
        g->event = sd_event_ref(event);
        g->config = config;
        g->remaining = -1;
        g->cache = etag_cache_new();
        if (!g->cache)
                return -ENOMEM;
        if (config->app_id) {
                int k = app_key_from_pem(strempty(app_key), &g->app_key);
                if (k < 0)
                        return k;
        } else if (!isempty(token) && asprintf(&g->authorization, "Authorization: Bearer %s", token) < 0)
                return -ENOMEM;
        int r = curl_event_new(event, &curl_ops, g, &g->curl);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(g);
        return 0;
}

GitHub *github_free(GitHub *g) {
        if (!g)
                return NULL;
        while (g->calls)
                github_call_free(g->calls);
        curl_event_free(g->curl);
        etag_cache_free(g->cache);
        EVP_PKEY_free(g->app_key);
        if (g->authorization)
                explicit_bzero(g->authorization, strlen(g->authorization));
        free(g->authorization);
        sd_event_unref(g->event);
        free(g);
        return NULL;
}

int github_call(GitHub *g, const GitHubRequest *rq, GitHubDone done, void *userdata, GitHubCall **ret) {
        assert(g && rq && rq->url && done && ret);

        _cleanup_(github_call_freep) GitHubCall *c = new0(GitHubCall, 1);
        if (!c)
                return -ENOMEM;
        c->owner = g;
        LIST_PREPEND(g->calls, c);
        c->method = strdup(rq->method ?: "GET");
        if (rq->url[0] == '/' ? asprintf(&c->url, "%s%s", g->config->api_url, rq->url) < 0
                              : !(c->url = strdup(rq->url)))
                c->url = NULL;
        if (!c->method || !c->url)
                return -ENOMEM;
        if (rq->body && !(c->body = strdup(json_to_string(rq->body))))
                return -ENOMEM;
        c->anonymous = rq->anonymous;
        c->sink = rq->sink;
        c->waiting = rq->waiting;
        c->done = done;
        c->userdata = userdata;

        /* Started from the loop, so that done is never called before this returns. */
        int r = sd_event_add_time_relative(g->event, &c->wait, CLOCK_MONOTONIC, 0, 0, on_start, c);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

void github_rate_limit(GitHub *g, long *ret_remaining, uint64_t *ret_reset) {
        *ret_remaining = g->remaining;
        *ret_reset = g->reset;
}

unsigned github_cache_hits(GitHub *g) {
        return g->cache_hits;
}

char *github_escape(const char *s) {
        char *e = sym_curl_easy_escape(NULL, s, 0);
        if (!e)
                return NULL;
        char *copy = strdup(e);
        sym_curl_free(e);
        return copy;
}
