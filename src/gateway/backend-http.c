/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* HTTP backends: a remote MCP server over Streamable HTTP (2025-11-25 with sessions, or the 2026-07-28 wire
 * without), through libcurl's multi interface on the gateway's event loop. Each gateway session has its own
 * session at the remote; what the remote sends on a request's stream goes to that call, what it sends on the
 * session's GET stream goes to the gateway session. */
#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <strings.h>
#include <sys/epoll.h>

#include "backend.h"
#include "jsonrpc.h"
#include "log.h"
#include "mcp-protocol.h"
#include "mcp-session.h" /* now_usec() */

#define CONNECT_TIMEOUT_MS 5000L
#define HEALTH_TIMEOUT_USEC (10 * USEC_PER_SEC)
#define SIDE_TIMEOUT_USEC (30 * USEC_PER_SEC) /* notifications, answers, DELETEs: nobody waits for them */
#define RESUME_DELAY_USEC_DEFAULT (1 * USEC_PER_SEC) /* a stream that ended without a retry: hint */
#define RESUME_DELAY_USEC_MIN (100 * USEC_PER_MSEC)
#define STREAM_BACKOFF_USEC_MIN (1 * USEC_PER_SEC)
#define STREAM_BACKOFF_USEC_MAX (60 * USEC_PER_SEC)
#define LIST_PAGES_MAX 1000U
#define HEADER_VALUE_MAX 1024U
#define CLIENT_NAME "aios-gatewayd"
#define MCP_ERROR_SESSION_NOT_FOUND -32001

typedef struct HttpBackend HttpBackend;
typedef struct Transfer Transfer;
typedef struct RemoteSession RemoteSession;
typedef struct HttpCall HttpCall;
typedef struct HttpQuestion HttpQuestion;
typedef struct Listing Listing;

typedef struct Buffer {
        char *data;
        size_t size;
        size_t allocated;
} Buffer;

typedef struct IoWatch {
        curl_socket_t fd;
        sd_event_source *source;
} IoWatch;

/* A message read from a stream, handled once curl's callbacks have returned. */
typedef struct Queued Queued;
struct Queued {
        Queued *next;
        Transfer *transfer;
        json_object *message;
};

struct HttpBackend {
        Backend *backend;
        size_t max_body;
        CURLM *multi;
        sd_event_source *timer;
        IoWatch *ios;
        size_t n_ios;
        Transfer *transfers;  /* every transfer in progress */
        Queued *queue, *queue_tail;
        Hashmap *sessions;    /* gateway session id -> RemoteSession */
        HttpCall *calls;
        HttpQuestion *questions;
        Listing *listing;
        Transfer *health;
        bool was_down;        /* a health check failed since the tools were last listed */
        unsigned next_id;     /* of the gateway's own requests */
};

/* --- transfers: one HTTP request and what comes back ---------------------------------------------- */

typedef enum HttpMethod {
        HTTP_POST,
        HTTP_GET,
        HTTP_DELETE,
} HttpMethod;

typedef struct Request {
        HttpMethod method;
        json_object *body;            /* HTTP_POST */
        json_object *expect_id;       /* the response with this id ends the transfer */
        const char *session_id;       /* Mcp-Session-Id */
        const char *protocol_version; /* MCP-Protocol-Version */
        const char *last_event_id;
        const char *mcp_method;       /* Mcp-Method and Mcp-Name: the wire without sessions */
        const char *mcp_name;
        uint64_t timeout_usec;        /* 0: none */
        bool headers_only;            /* the status is all we want */
} Request;

typedef struct TransferOps {
        /* A JSON-RPC message other than the expected response: an SSE event's data. Optional. */
        void (*message)(Transfer *t, json_object *message);
        /* The transfer ended (the expected response came, or curl says why not). Frees t. */
        void (*done)(Transfer *t, CURLcode result);
} TransferOps;

struct Transfer {
        HttpBackend *owner;
        Transfer *next, *prev;
        CURL *easy;
        bool attached;
        struct curl_slist *headers;
        const TransferOps *ops;
        void *userdata;
        json_object *expect_id;
        char *sent_session; /* the Mcp-Session-Id it carried */
        bool resuming;
        bool headers_only;
        char error[CURL_ERROR_SIZE];
        char reason[96];

        long status;
        long header_status;
        char *session_id; /* the response's Mcp-Session-Id */
        bool decided;     /* whether the body is SSE is known */
        bool sse;
        bool cr;          /* the last chunk ended in \r */
        Buffer body;      /* JSON: the body; SSE: a line not complete yet */
        Buffer data;      /* SSE: the data of the event being read */
        char *event_id;   /* SSE: the last id: */
        uint64_t retry_ms;
        bool has_retry;
        bool too_large;
        bool oom;
        json_object *response;
};

static void buffer_done(Buffer *b) {
        free(b->data);
        *b = (Buffer) {};
}

/* Appends n bytes, keeping a NUL after them. -E2BIG when the buffer would exceed max. */
static int buffer_append(Buffer *b, const char *p, size_t n, size_t max) {
        if (b->size + n > max)
                return -E2BIG;
        if (b->size + n + 1 > b->allocated) {
                size_t a = MAX(MAX(b->allocated * 2, b->size + n + 1), (size_t) 256);
                char *d = realloc(b->data, a);
                if (!d)
                        return -ENOMEM;
                b->data = d;
                b->allocated = a;
        }
        memcpy(b->data + b->size, p, n);
        b->size += n;
        b->data[b->size] = 0;
        return 0;
}

static sd_event *event_of(HttpBackend *h) {
        return h->backend->gateway->event;
}

static void queue_push(HttpBackend *h, Transfer *t, json_object *message) {
        Queued *q = new0(Queued, 1);
        if (!q) {
                json_object_put(message);
                return;
        }
        q->transfer = t;
        q->message = message;
        if (h->queue_tail)
                h->queue_tail->next = q;
        else
                h->queue = q;
        h->queue_tail = q;
}

static void queue_drop(HttpBackend *h, Transfer *t) {
        Queued **p = &h->queue;
        h->queue_tail = NULL;
        while (*p) {
                Queued *q = *p;
                if (q->transfer != t) {
                        h->queue_tail = q;
                        p = &q->next;
                        continue;
                }
                *p = q->next;
                json_object_put(q->message);
                free(q);
        }
}

static Transfer *transfer_free(Transfer *t) {
        if (!t)
                return NULL;
        HttpBackend *h = t->owner;
        if (t->easy) {
                if (t->attached)
                        (void) curl_multi_remove_handle(h->multi, t->easy);
                curl_easy_cleanup(t->easy);
        }
        curl_slist_free_all(t->headers);
        queue_drop(h, t);
        if (t->prev)
                t->prev->next = t->next;
        else
                h->transfers = t->next;
        if (t->next)
                t->next->prev = t->prev;
        json_object_put(t->expect_id);
        json_object_put(t->response);
        buffer_done(&t->body);
        buffer_done(&t->data);
        free(t->session_id);
        free(t->sent_session);
        free(t->event_id);
        free(t);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Transfer *, transfer_free);

static bool media_type_is(const char *content_type, const char *type) {
        if (!content_type)
                return false;
        size_t l = strcspn(content_type, ";");
        while (l > 0 && (content_type[l - 1] == ' ' || content_type[l - 1] == '\t'))
                l--;
        return l == strlen(type) && strncasecmp(content_type, type, l) == 0;
}

/* One event's data is one JSON-RPC message; events without data (the priming event) carry only an id. */
static int sse_dispatch(Transfer *t) {
        Buffer *d = &t->data;
        if (d->size == 0)
                return 0;
        d->data[--d->size] = 0; /* the \n after the last data line */

        size_t blank = strspn(d->data, " \t\r\n");
        if (blank < d->size) {
                json_object *m = NULL;
                const char *reason = NULL;
                if (json_parse_strict(d->data, d->size, &m, &reason) < 0)
                        log_debug("Backend %s sent an event that is not JSON: %s", t->owner->backend->config->name,
                                strempty(reason));
                else
                        queue_push(t->owner, t, m);
        }
        d->size = 0;
        return 0;
}

static int sse_line(Transfer *t, const char *line, size_t n) {
        if (n == 0)
                return sse_dispatch(t);
        if (line[0] == ':')
                return 0; /* a comment: keep-alive */

        const char *colon = memchr(line, ':', n);
        size_t field = colon ? (size_t) (colon - line) : n;
        const char *value = colon ? colon + 1 : line + n;
        size_t l = (size_t) (line + n - value);
        if (l > 0 && value[0] == ' ') {
                value++;
                l--;
        }

        if (field == 4 && memcmp(line, "data", 4) == 0) {
                int r = buffer_append(&t->data, value, l, t->owner->max_body);
                return r < 0 ? r : buffer_append(&t->data, "\n", 1, t->owner->max_body);
        }
        if (field == 2 && memcmp(line, "id", 2) == 0) {
                if (memchr(value, 0, l) || l > HEADER_VALUE_MAX)
                        return 0;
                char *id = strndup(value, l);
                if (!id)
                        return -ENOMEM;
                free(t->event_id);
                t->event_id = id;
                return 0;
        }
        if (field == 5 && memcmp(line, "retry", 5) == 0 && l > 0 && l < 10 && strspn(value, "0123456789") >= l) {
                t->retry_ms = strtoull(value, NULL, 10);
                t->has_retry = true;
        }
        return 0; /* event: and unknown fields */
}

/* Splits what arrives into lines (\n, \r\n or \r), keeping an incomplete one for the next chunk. */
static int sse_feed(Transfer *t, const char *p, size_t n) {
        while (n > 0) {
                if (t->cr) {
                        t->cr = false;
                        if (*p == '\n') {
                                p++;
                                n--;
                                continue;
                        }
                }
                size_t l = 0;
                while (l < n && p[l] != '\n' && p[l] != '\r')
                        l++;
                if (l == n)
                        return buffer_append(&t->body, p, n, t->owner->max_body);

                int r;
                if (t->body.size > 0) {
                        r = buffer_append(&t->body, p, l, t->owner->max_body);
                        if (r >= 0)
                                r = sse_line(t, t->body.data, t->body.size);
                        t->body.size = 0;
                } else
                        r = sse_line(t, p, l);
                if (r < 0)
                        return r;
                t->cr = p[l] == '\r';
                p += l + 1;
                n -= l + 1;
        }
        return 0;
}

static size_t on_write(char *p, size_t size, size_t nmemb, void *userdata) {
        Transfer *t = userdata;
        size_t n = size * nmemb;

        if (!t->decided) {
                char *content_type = NULL;
                long status = 0;
                (void) curl_easy_getinfo(t->easy, CURLINFO_CONTENT_TYPE, &content_type);
                (void) curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
                t->sse = status >= 200 && status < 300 && media_type_is(content_type, "text/event-stream");
                t->decided = true;
        }

        int r = t->sse ? sse_feed(t, p, n) : buffer_append(&t->body, p, n, t->owner->max_body);
        if (r < 0) {
                t->too_large = r == -E2BIG;
                t->oom = r == -ENOMEM;
                return 0; /* ends the transfer with CURLE_WRITE_ERROR */
        }
        return n;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *userdata) {
        Transfer *t = userdata;
        size_t n = size * nmemb;
        static const char session_header[] = "Mcp-Session-Id:";

        if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
                /* A new response (after 100 Continue): forget what the last one said. */
                t->session_id = mfree(t->session_id);
                const char *space = memchr(p, ' ', n);
                t->header_status = space ? strtol(space + 1, NULL, 10) : 0;
                return n;
        }
        if ((n == 2 && p[0] == '\r') || (n == 1 && p[0] == '\n'))
                /* The end of the headers: for a health check, the status says it all. */
                return t->headers_only && t->header_status >= 200 ? 0 : n;

        size_t l = strlen(session_header);
        if (n > l && strncasecmp(p, session_header, l) == 0) {
                const char *v = p + l, *end = p + n;
                while (v < end && (*v == ' ' || *v == '\t'))
                        v++;
                while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
                        end--;
                /* Session ids are visible ASCII; anything else would not survive as a header of ours. */
                bool valid = end > v && (size_t) (end - v) <= HEADER_VALUE_MAX;
                for (const char *c = v; valid && c < end; c++)
                        valid = *c >= 0x21 && *c <= 0x7e;
                free(t->session_id);
                t->session_id = valid ? strndup(v, end - v) : NULL;
        }
        return n;
}

static bool header_value_is_valid(const char *v) {
        if (strlen(v) > HEADER_VALUE_MAX)
                return false;
        for (const unsigned char *c = (const unsigned char *) v; *c; c++)
                if (*c < 0x20 || *c == 0x7f)
                        return false;
        return true;
}

static int header_add(struct curl_slist **list, const char *name, const char *value) {
        if (value && !header_value_is_valid(value))
                return 0; /* would break the request apart: leave it out, the remote asks for it if needed */
        _cleanup_free_ char *line = NULL;
        /* "Name:" with nothing after it removes a header curl would add on its own. */
        if (asprintf(&line, "%s:%s%s", name, value ? " " : "", strempty(value)) < 0)
                return -ENOMEM;
        struct curl_slist *l = curl_slist_append(*list, line);
        if (!l)
                return -ENOMEM;
        *list = l;
        return 0;
}

static int transfer_headers(Transfer *t, const Request *rq) {
        struct curl_slist **l = &t->headers;
        int r = 0;
        if (rq->method == HTTP_POST) {
                r = header_add(l, "Content-Type", "application/json");
                if (r >= 0)
                        r = header_add(l, "Accept", "application/json, text/event-stream");
        } else
                r = header_add(l, "Accept", "text/event-stream");
        if (r >= 0 && rq->session_id)
                r = header_add(l, "Mcp-Session-Id", rq->session_id);
        if (r >= 0 && rq->protocol_version)
                r = header_add(l, "MCP-Protocol-Version", rq->protocol_version);
        if (r >= 0 && rq->last_event_id)
                r = header_add(l, "Last-Event-ID", rq->last_event_id);
        if (r >= 0 && rq->mcp_method)
                r = header_add(l, "Mcp-Method", rq->mcp_method);
        if (r >= 0 && rq->mcp_name)
                r = header_add(l, "Mcp-Name", rq->mcp_name);
        if (r >= 0)
                r = header_add(l, "Expect", NULL); /* no 100-continue round trip before larger bodies */
        return r;
}

static int transfer_new(HttpBackend *h, const Request *rq, const TransferOps *ops, void *userdata, Transfer **ret) {
        const BackendConfig *config = h->backend->config;

        _cleanup_(transfer_freep) Transfer *t = new0(Transfer, 1);
        if (!t)
                return -ENOMEM;
        t->owner = h;
        t->next = h->transfers;
        if (h->transfers)
                h->transfers->prev = t;
        h->transfers = t;
        t->ops = ops;
        t->userdata = userdata;
        t->expect_id = json_object_get(rq->expect_id);
        if (rq->session_id && !(t->sent_session = strdup(rq->session_id)))
                return -ENOMEM;
        t->resuming = rq->last_event_id;
        t->headers_only = rq->headers_only;

        t->easy = curl_easy_init();
        if (!t->easy)
                return -ENOMEM;
        int r = transfer_headers(t, rq);
        if (r < 0)
                return r;

        CURL *e = t->easy;
        CURLcode c = curl_easy_setopt(e, CURLOPT_URL, config->url);
        c = c ?: curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        c = c ?: curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
        c = c ?: curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        c = c ?: curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
        c = c ?: curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
        c = c ?: curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                (long) ((rq->timeout_usec + USEC_PER_MSEC - 1) / USEC_PER_MSEC));
        c = c ?: curl_easy_setopt(e, CURLOPT_USERAGENT, CLIENT_NAME "/" PROJECT_VERSION);
        c = c ?: curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
        c = c ?: curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
        c = c ?: curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
        c = c ?: curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
        c = c ?: curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
        c = c ?: curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
        c = c ?: curl_easy_setopt(e, CURLOPT_PRIVATE, t);
        if (rq->method == HTTP_POST) {
                const char *text = json_to_string(rq->body);
                c = c ?: curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long) strlen(text));
                c = c ?: curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, text);
        } else if (rq->method == HTTP_DELETE)
                c = c ?: curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE");
        if (c != CURLE_OK)
                return log_debug_errno(EINVAL, "Failed to set up a request to %s: %s", config->url, curl_easy_strerror(c));

        if (curl_multi_add_handle(h->multi, e) != CURLM_OK)
                return -ENOMEM;
        t->attached = true;
        if (ret)
                *ret = t;
        TAKE_PTR(t);
        return 0;
}

static bool is_response_to(json_object *m, json_object *id) {
        json_object *mid;
        if (!id || json_object_object_get_ex(m, "method", NULL) || !json_object_object_get_ex(m, "id", &mid))
                return false;
        if (!json_object_object_get_ex(m, "result", NULL) && !json_object_object_get_ex(m, "error", NULL))
                return false;
        return json_object_equal(mid, id);
}

static void transfer_end(Transfer *t, CURLcode result) {
        (void) curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->status);
        if (t->status == 0)
                t->status = t->header_status;
        if (t->attached) {
                (void) curl_multi_remove_handle(t->owner->multi, t->easy);
                t->attached = false;
        }
        t->ops->done(t, result);
}

static void transfer_handle(Transfer *t, json_object *m) {
        if (is_response_to(m, t->expect_id)) {
                /* The answer is in: whatever else the stream would bring belongs to nobody. */
                json_object_put(t->response);
                t->response = json_object_get(m);
                transfer_end(t, CURLE_OK);
                return;
        }
        if (t->ops->message)
                t->ops->message(t, m);
}

typedef enum Outcome {
        OUTCOME_RESPONSE,     /* the response (NULL: none, as with 202) */
        OUTCOME_FAILED,       /* failure and message say why */
        OUTCOME_SESSION_GONE, /* 404 for the session we named */
        OUTCOME_STREAM_ENDED, /* an SSE stream with event ids ended before the response */
} Outcome;

static BackendFailure failure_of(Transfer *t, CURLcode result, const char **ret_message) {
        *ret_message = t->error[0] ? t->error : curl_easy_strerror(result);
        switch (result) {
        case CURLE_OPERATION_TIMEDOUT: {
                /* Connected (or reusing a connection) and sent: the remote is slow, not unreachable. */
                curl_off_t sent = 0;
                (void) curl_easy_getinfo(t->easy, CURLINFO_PRETRANSFER_TIME_T, &sent);
                return sent > 0 || t->header_status > 0 ? BACKEND_TIMEOUT : BACKEND_UNAVAILABLE;
        }
        case CURLE_GOT_NOTHING:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_PARTIAL_FILE:
                return BACKEND_GONE;
        case CURLE_WRITE_ERROR:
                if (t->too_large)
                        *ret_message = "response too large";
                else if (t->oom)
                        *ret_message = "out of memory";
                return BACKEND_UNAVAILABLE;
        default:
                return BACKEND_UNAVAILABLE;
        }
}

/* What a finished transfer brought. *ret_response is a new reference. */
static Outcome transfer_outcome(Transfer *t, CURLcode result, json_object **ret_response, BackendFailure *ret_failure,
        const char **ret_message) {
        *ret_response = NULL;
        *ret_failure = BACKEND_OK;
        *ret_message = NULL;

        if (t->response) {
                *ret_response = TAKE_PTR(t->response);
                return OUTCOME_RESPONSE;
        }
        if (result != CURLE_OK) {
                *ret_failure = failure_of(t, result, ret_message);
                return OUTCOME_FAILED;
        }

        json_object *body = NULL;
        if (!t->sse && t->body.size > 0 && json_parse_strict(t->body.data, t->body.size, &body, NULL) < 0)
                body = NULL;
        _cleanup_json_ json_object *b = body;

        if (t->status >= 200 && t->status < 300) {
                if (t->sse) {
                        if (t->event_id)
                                return OUTCOME_STREAM_ENDED;
                        *ret_failure = BACKEND_GONE;
                        *ret_message = "its event stream ended without an answer";
                        return OUTCOME_FAILED;
                }
                if (t->body.size > 0 && !b) {
                        *ret_failure = BACKEND_UNAVAILABLE;
                        *ret_message = "its answer is not JSON";
                        return OUTCOME_FAILED;
                }
                *ret_response = TAKE_PTR(b);
                return OUTCOME_RESPONSE;
        }

        json_object *error = json_get_object(b, "error");
        if (t->status == 404 && t->sent_session) {
                /* A resumption the remote cannot serve is not the end of the session, unless it says so. */
                json_object *code = NULL;
                json_object_object_get_ex(error, "code", &code);
                if (!t->resuming || (code && json_object_get_int(code) == MCP_ERROR_SESSION_NOT_FOUND))
                        return OUTCOME_SESSION_GONE;
                *ret_failure = BACKEND_GONE;
                *ret_message = "it no longer has the stream of this request";
                return OUTCOME_FAILED;
        }
        if (error) {
                *ret_response = TAKE_PTR(b);
                return OUTCOME_RESPONSE;
        }
        snprintf(t->reason, sizeof(t->reason), "it answered with HTTP status %ld", t->status);
        *ret_failure = BACKEND_UNAVAILABLE;
        *ret_message = t->reason;
        return OUTCOME_FAILED;
}

/* --- curl on sd-event ------------------------------------------------------------------------------ */

static void queue_deliver(HttpBackend *h) {
        Queued *q;
        while ((q = h->queue)) {
                h->queue = q->next;
                if (!h->queue)
                        h->queue_tail = NULL;
                Transfer *t = q->transfer;
                _cleanup_json_ json_object *m = q->message;
                free(q);
                transfer_handle(t, m);
        }
}

/* After curl did its work: the messages it read, in order, then the transfers it finished. Outside curl's
 * callbacks, so that handlers may start and stop transfers. */
static void glue_process(HttpBackend *h) {
        queue_deliver(h);

        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(h->multi, &left))) {
                if (m->msg != CURLMSG_DONE)
                        continue;
                CURLcode result = m->data.result;
                char *p = NULL;
                (void) curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &p);
                transfer_end((Transfer *) p, result);
                queue_deliver(h);
        }
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        HttpBackend *h = userdata;
        int action = (revents & EPOLLIN ? CURL_CSELECT_IN : 0) | (revents & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                     (revents & EPOLLERR ? CURL_CSELECT_ERR : 0);
        int running;
        (void) curl_multi_socket_action(h->multi, fd, action, &running);
        glue_process(h);
        return 0;
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userdata, void *socketp) {
        HttpBackend *h = userdata;
        IoWatch *w = NULL;
        for (size_t i = 0; i < h->n_ios && !w; i++)
                if (h->ios[i].fd == fd)
                        w = &h->ios[i];

        if (what == CURL_POLL_REMOVE) {
                if (w) {
                        sd_event_source_disable_unref(w->source);
                        *w = h->ios[--h->n_ios];
                }
                return 0;
        }

        uint32_t events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
        if (w)
                return sd_event_source_set_io_events(w->source, events) < 0 ? -1 : 0;

        IoWatch *ios = reallocarray(h->ios, h->n_ios + 1, sizeof(IoWatch));
        if (!ios)
                return -1;
        h->ios = ios;
        sd_event_source *source;
        int r = sd_event_add_io(event_of(h), &source, fd, events, on_io, h);
        if (r < 0) {
                log_debug_errno(r, "Failed to watch a connection to %s: %m", h->backend->config->url);
                return -1;
        }
        h->ios[h->n_ios++] = (IoWatch) { .fd = fd, .source = source };
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        HttpBackend *h = userdata;
        int running;
        (void) curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        glue_process(h);
        return 0;
}

/* curl wants to be called back after timeout_ms (-1: never): one timer for all its transfers. */
static int on_timer_change(CURLM *multi, long timeout_ms, void *userdata) {
        HttpBackend *h = userdata;
        int r;

        if (timeout_ms < 0)
                return h->timer && sd_event_source_set_enabled(h->timer, SD_EVENT_OFF) < 0 ? -1 : 0;

        uint64_t now;
        r = sd_event_now(event_of(h), CLOCK_MONOTONIC, &now);
        if (r < 0)
                return -1;
        uint64_t when = now + (uint64_t) timeout_ms * USEC_PER_MSEC;
        if (!h->timer)
                r = sd_event_add_time(event_of(h), &h->timer, CLOCK_MONOTONIC, when, USEC_PER_MSEC, on_timer, h);
        else {
                r = sd_event_source_set_time(h->timer, when);
                if (r >= 0)
                        r = sd_event_source_set_enabled(h->timer, SD_EVENT_ONESHOT);
        }
        return r < 0 ? -1 : 0;
}

/* --- messages of the gateway's own ----------------------------------------------------------------- */

static json_object *request_id_new(HttpBackend *h) {
        char id[64];
        snprintf(id, sizeof(id), CLIENT_NAME "-%u", ++h->next_id);
        return json_object_new_string(id);
}

static json_object *client_info_new(void) {
        _cleanup_json_ json_object *info = json_object_new_object();
        if (!info || json_add_string(info, "name", CLIENT_NAME) < 0 || json_add_string(info, "version", PROJECT_VERSION) < 0)
                return NULL;
        return TAKE_PTR(info);
}

static json_object *initialize_new(HttpBackend *h, const char *version, json_object *capabilities) {
        _cleanup_json_ json_object *params = json_object_new_object();
        if (!params || json_add_string(params, "protocolVersion", version) < 0 ||
            json_add(params, "capabilities", capabilities ? json_object_get(capabilities) : json_object_new_object()) < 0 ||
            json_add(params, "clientInfo", client_info_new()) < 0)
                return NULL;
        return jsonrpc_request_new(request_id_new(h), "initialize", TAKE_PTR(params));
}

static json_object *session_not_found_new(json_object *id) {
        return jsonrpc_error_new(id, MCP_ERROR_SESSION_NOT_FOUND, "Session not found", NULL);
}

static void on_side_done(Transfer *t, CURLcode result) {
        if (result != CURLE_OK || t->status >= 300)
                log_debug("Backend %s: a message that needs no answer was not taken: %s (HTTP %ld)",
                        t->owner->backend->config->name, t->error[0] ? t->error : curl_easy_strerror(result), t->status);
        transfer_free(t);
}

static const TransferOps side_ops = {
        .done = on_side_done,
};

/* --- sessions at the remote ------------------------------------------------------------------------ */

struct RemoteSession {
        HttpBackend *owner;
        char *id;          /* the gateway's session id */
        char *remote_id;   /* Mcp-Session-Id at the remote; NULL when it gave none */
        char *version;     /* the negotiated MCP-Protocol-Version */
        bool ready;        /* initialized: requests go out with the two above */
        Transfer *handshake; /* initialize and notifications/initialized on the gateway's behalf */
        HttpCall *waiting;   /* calls that wait for the handshake, in order */
        Transfer *stream;    /* the standalone GET stream */
        char *stream_event_id;
        bool no_stream;      /* the remote has none */
        sd_event_source *reconnect;
        uint64_t backoff_usec;
};

struct HttpCall {
        HttpBackend *owner;
        HttpCall *next, *prev;
        BackendCall *call;
        json_object *message;
        json_object *id; /* borrowed from message */
        bool initialize;
        char *protocol_version;    /* a session of /mcp: what its handshake with the remote says */
        json_object *capabilities;
        bool retried;
        uint64_t deadline;
        Transfer *transfer;
        RemoteSession *waiting_on;
        HttpCall *wait_next;
        char *last_event_id;
        sd_event_source *timer; /* resumption, or a finish that cannot happen within call() */
        json_object *pending;   /* what that finish answers */
};

static void call_finish(HttpCall *hc, json_object *response, BackendFailure failure, const char *message);
static int call_send(HttpCall *hc);
static int call_route(HttpCall *hc);

static void request_for_session(Request *rq, const RemoteSession *s) {
        rq->session_id = s->remote_id;
        rq->protocol_version = s->version;
}

static RemoteSession *session_find(HttpBackend *h, const char *id) {
        return id ? hashmap_get(h->sessions, id) : NULL;
}

static RemoteSession *session_free(RemoteSession *s) {
        if (!s)
                return NULL;
        assert(!s->waiting);
        transfer_free(s->handshake);
        transfer_free(s->stream);
        sd_event_source_disable_unref(s->reconnect);
        free(s->id);
        free(s->remote_id);
        free(s->version);
        free(s->stream_event_id);
        free(s);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(RemoteSession *, session_free);

static int session_new(HttpBackend *h, const char *id, RemoteSession **ret) {
        _cleanup_(session_freep) RemoteSession *s = new0(RemoteSession, 1);
        if (!s)
                return -ENOMEM;
        s->owner = h;
        s->backoff_usec = STREAM_BACKOFF_USEC_MIN;
        s->id = strdup(id);
        if (!s->id)
                return -ENOMEM;
        int r = hashmap_put(h->sessions, s->id, s);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

/* Forgets the session (the remote's side stays as it is) and fails the calls that waited for it. message
 * must outlive s. */
static void session_drop(RemoteSession *s, BackendFailure failure, const char *message) {
        HttpCall *waiting = TAKE_PTR(s->waiting);
        hashmap_remove(s->owner->sessions, s->id);
        session_free(s);

        while (waiting) {
                HttpCall *hc = waiting;
                waiting = hc->wait_next;
                hc->wait_next = NULL;
                hc->waiting_on = NULL;
                call_finish(hc, NULL, failure, message);
        }
}

static int post_delete(HttpBackend *h, const char *remote_id, const char *version) {
        Request rq = {
                .method = HTTP_DELETE,
                .session_id = remote_id,
                .protocol_version = version,
                .timeout_usec = SIDE_TIMEOUT_USEC,
        };
        return transfer_new(h, &rq, &side_ops, NULL, NULL);
}

/* Sends a message that needs no answer (a notification, a response to the remote's request) in the
 * session's context. Without a session at the remote there is nobody to tell. */
static int post_side(HttpBackend *h, const char *session, json_object *message) {
        Request rq = {
                .method = HTTP_POST,
                .body = message,
                .timeout_usec = SIDE_TIMEOUT_USEC,
        };
        if (session) {
                RemoteSession *s = session_find(h, session);
                if (!s || !s->ready)
                        return 0;
                request_for_session(&rq, s);
        }
        return transfer_new(h, &rq, &side_ops, NULL, NULL);
}

static void stream_start(RemoteSession *s);

static int on_reconnect(sd_event_source *source, uint64_t usec, void *userdata) {
        RemoteSession *s = userdata;
        s->reconnect = sd_event_source_disable_unref(s->reconnect);
        stream_start(s);
        return 0;
}

static void stream_reconnect_later(RemoteSession *s, uint64_t delay) {
        if (s->reconnect)
                return;
        int r = sd_event_add_time_relative(event_of(s->owner), &s->reconnect, CLOCK_MONOTONIC, delay, USEC_PER_MSEC,
                on_reconnect, s);
        if (r < 0)
                log_warning_errno(r, "Backend %s: failed to schedule reconnecting a session's stream: %m",
                        s->owner->backend->config->name);
}

/* What the remote sends on the session's stream belongs to no request: notifications go to the gateway
 * session; requests (ping) are answered here, since no client request is there to carry them. */
static void on_stream_message(Transfer *t, json_object *m) {
        RemoteSession *s = t->userdata;
        HttpBackend *h = s->owner;
        JsonRpcMessage rpc;
        const char *reason;

        if (jsonrpc_classify(m, &rpc, &reason) < 0)
                return;
        s->backoff_usec = STREAM_BACKOFF_USEC_MIN;
        if (rpc.kind == JSONRPC_NOTIFICATION) {
                gateway_session_notify(h->backend->gateway, h->backend, s->id, m);
                return;
        }
        if (rpc.kind != JSONRPC_REQUEST)
                return;
        _cleanup_json_ json_object *reply = streq(rpc.method, "ping") ?
                jsonrpc_result_new(rpc.id, json_object_new_object()) :
                jsonrpc_errorf_new(rpc.id, JSONRPC_METHOD_NOT_FOUND,
                        "The gateway passes on requests only while a request of its client is in progress: %s", rpc.method);
        if (reply)
                (void) post_side(h, s->id, reply);
}

static void on_stream_done(Transfer *t, CURLcode result) {
        _cleanup_(transfer_freep) Transfer *owned = t;
        RemoteSession *s = t->userdata;
        const char *name = s->owner->backend->config->name;
        s->stream = NULL;
        if (t->event_id) {
                free(s->stream_event_id);
                s->stream_event_id = TAKE_PTR(t->event_id);
        }

        long status = result == CURLE_OK ? t->status : 0;
        if (status == 404) {
                log_debug("Backend %s: the remote forgot session %s.", name, s->id);
                session_drop(s, BACKEND_GONE, "the remote ended the session");
                return;
        }
        if (status >= 400 && status < 500 && status != 408 && status != 429) {
                /* 405: the remote has no such stream, which is fine. */
                log_debug("Backend %s offers no stream outside requests (HTTP %ld).", name, status);
                s->no_stream = true;
                return;
        }

        uint64_t delay;
        if (status >= 200 && status < 300) {
                /* The remote ended it: come back when it says. */
                delay = t->has_retry ? MAX(t->retry_ms * USEC_PER_MSEC, RESUME_DELAY_USEC_MIN) : STREAM_BACKOFF_USEC_MIN;
                s->backoff_usec = STREAM_BACKOFF_USEC_MIN;
        } else {
                delay = s->backoff_usec;
                s->backoff_usec = MIN(s->backoff_usec * 2, STREAM_BACKOFF_USEC_MAX);
                log_debug("Backend %s: the stream of session %s broke (%s); reconnecting in %" PRIu64 " s.", name, s->id,
                        result != CURLE_OK ? (t->error[0] ? t->error : curl_easy_strerror(result)) : "HTTP error",
                        (uint64_t) (delay / USEC_PER_SEC));
        }
        stream_reconnect_later(s, delay);
}

static const TransferOps stream_ops = {
        .message = on_stream_message,
        .done = on_stream_done,
};

static void stream_start(RemoteSession *s) {
        if (s->stream || s->reconnect || !s->ready || s->no_stream)
                return;
        Request rq = {
                .method = HTTP_GET,
                .last_event_id = s->stream_event_id,
        };
        request_for_session(&rq, s);
        if (transfer_new(s->owner, &rq, &stream_ops, s, &s->stream) < 0)
                stream_reconnect_later(s, s->backoff_usec);
}

/* An initialize succeeded (the client's, through a relay, or ours): requests of the gateway session go to
 * this session at the remote from now on. */
static void session_established(HttpBackend *h, const char *id, const char *remote_id, json_object *response) {
        const char *version = json_get_string(json_get_object(response, "result"), "protocolVersion");
        if (!version)
                return; /* refused: no session */

        RemoteSession *s = session_find(h, id);
        if (s && s->ready) {
                /* Initialized again: the old session at the remote is of no use any more. */
                if (s->remote_id)
                        (void) post_delete(h, s->remote_id, s->version);
                session_drop(s, BACKEND_UNAVAILABLE, "the session was initialized again");
                s = NULL;
        }
        if (!s && session_new(h, id, &s) < 0) {
                log_oom();
                return;
        }
        free(s->remote_id);
        free(s->version);
        s->remote_id = remote_id ? strdup(remote_id) : NULL;
        s->version = strdup(version);
        if ((remote_id && !s->remote_id) || !s->version) {
                log_oom();
                session_drop(s, BACKEND_UNAVAILABLE, "out of memory");
                return;
        }
        s->ready = true;
        stream_start(s);
}

/* The handshake is done: the calls that waited go out. */
static void session_release(RemoteSession *s) {
        HttpCall *waiting = TAKE_PTR(s->waiting);
        while (waiting) {
                HttpCall *hc = waiting;
                waiting = hc->wait_next;
                hc->wait_next = NULL;
                hc->waiting_on = NULL;
                int r = call_send(hc);
                if (r == -ENOENT)
                        call_finish(hc, session_not_found_new(hc->id), BACKEND_OK, NULL);
                else if (r == -ETIME)
                        call_finish(hc, NULL, BACKEND_TIMEOUT, NULL);
                else if (r < 0)
                        call_finish(hc, NULL, BACKEND_UNAVAILABLE, "the request could not be sent");
        }
}

static void on_initialized_done(Transfer *t, CURLcode result) {
        RemoteSession *s = t->userdata;
        s->handshake = NULL;
        transfer_free(t);
        /* Whatever came back: the requests tell whether the session works. */
        s->ready = true;
        stream_start(s);
        session_release(s);
}

static const TransferOps initialized_ops = {
        .done = on_initialized_done,
};

static void on_handshake_done(Transfer *t, CURLcode result) {
        _cleanup_(transfer_freep) Transfer *owned = t;
        RemoteSession *s = t->userdata;
        HttpBackend *h = s->owner;
        s->handshake = NULL;

        json_object *response;
        BackendFailure failure;
        const char *message;
        Outcome o = transfer_outcome(t, result, &response, &failure, &message);
        _cleanup_json_ json_object *owned_response = response;

        const char *version = json_get_string(json_get_object(response, "result"), "protocolVersion");
        if (o == OUTCOME_RESPONSE && version) {
                s->remote_id = TAKE_PTR(t->session_id);
                s->version = strdup(version);
                _cleanup_json_ json_object *n = jsonrpc_notification_new("notifications/initialized", NULL);
                if (!s->version || !n) {
                        session_drop(s, BACKEND_UNAVAILABLE, "out of memory");
                        return;
                }
                Request rq = {
                        .method = HTTP_POST,
                        .body = n,
                        .timeout_usec = SIDE_TIMEOUT_USEC,
                };
                request_for_session(&rq, s);
                if (transfer_new(h, &rq, &initialized_ops, s, &s->handshake) < 0)
                        session_drop(s, BACKEND_UNAVAILABLE, "the session could not be started");
                return;
        }

        _cleanup_free_ char *why = NULL;
        if (o == OUTCOME_RESPONSE) {
                const char *m = json_get_string(json_get_object(response, "error"), "message");
                failure = BACKEND_UNAVAILABLE;
                message = asprintf(&why, "it refused to start a session: %s", m ?: "no reason given") < 0 ? NULL : why;
        } else if (o != OUTCOME_FAILED) {
                failure = BACKEND_GONE;
                message = "it did not answer initialize";
        }
        log_debug("Backend %s: failed to start a session for %s: %s", h->backend->config->name, s->id, strempty(message));
        session_drop(s, failure, message ?: "it did not start a session");
}

static const TransferOps handshake_ops = {
        .done = on_handshake_done,
};

/* initialize with the gateway session's revision and client capabilities, then notifications/initialized:
 * what a client of /mcp already did with the gateway, done again with the remote. */
static int handshake_start(RemoteSession *s, const char *version, json_object *capabilities) {
        HttpBackend *h = s->owner;
        _cleanup_json_ json_object *message = initialize_new(h, version, capabilities);
        if (!message)
                return -ENOMEM;
        json_object *id = NULL;
        json_object_object_get_ex(message, "id", &id);
        Request rq = {
                .method = HTTP_POST,
                .body = message,
                .expect_id = id,
                .timeout_usec = h->backend->config->timeout_usec,
        };
        return transfer_new(h, &rq, &handshake_ops, s, &s->handshake);
}

/* --- questions from the remote --------------------------------------------------------------------- */

struct HttpQuestion {
        BackendQuestion question;
        HttpBackend *owner; /* NULL once the backend is gone */
        HttpQuestion *next, *prev;
        char *session;
};

static void question_free(HttpQuestion *q) {
        if (!q)
                return;
        if (q->owner) {
                if (q->prev)
                        q->prev->next = q->next;
                else
                        q->owner->questions = q->next;
                if (q->next)
                        q->next->prev = q->prev;
        }
        free(q->session);
        free(q);
}

static void question_answer(BackendQuestion *bq, json_object *response) {
        HttpQuestion *q = (HttpQuestion *) bq;
        _cleanup_json_ json_object *r = response;
        /* The remote waits for it on its request's stream; the answer is a POST of its own (202). */
        if (q->owner && r)
                (void) post_side(q->owner, q->session, r);
        question_free(q);
}

static HttpQuestion *question_new(HttpBackend *h, const char *session) {
        HttpQuestion *q = new0(HttpQuestion, 1);
        if (!q)
                return NULL;
        q->question.answer = question_answer;
        if (session && !(q->session = strdup(session))) {
                free(q);
                return NULL;
        }
        q->owner = h;
        q->next = h->questions;
        if (h->questions)
                h->questions->prev = q;
        h->questions = q;
        return q;
}

/* --- calls ----------------------------------------------------------------------------------------- */

static HttpCall *http_call_free(HttpCall *hc) {
        if (!hc)
                return NULL;
        if (hc->waiting_on) {
                HttpCall **p = &hc->waiting_on->waiting;
                while (*p && *p != hc)
                        p = &(*p)->wait_next;
                if (*p)
                        *p = hc->wait_next;
        }
        if (hc->prev)
                hc->prev->next = hc->next;
        else if (hc->owner->calls == hc)
                hc->owner->calls = hc->next;
        if (hc->next)
                hc->next->prev = hc->prev;
        transfer_free(hc->transfer);
        sd_event_source_disable_unref(hc->timer);
        json_object_put(hc->pending);
        json_object_put(hc->message);
        json_object_put(hc->capabilities);
        free(hc->protocol_version);
        free(hc->last_event_id);
        free(hc);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(HttpCall *, http_call_free);

/* response is taken; message must outlive hc. */
static void call_finish(HttpCall *hc, json_object *response, BackendFailure failure, const char *message) {
        BackendCall *c = hc->call;
        c->transport_data = NULL;
        http_call_free(hc);
        backend_call_finish(c, response, failure, message);
}

static bool call_time_left(HttpCall *hc, uint64_t *ret) {
        uint64_t now = now_usec();
        if (now >= hc->deadline)
                return false;
        *ret = hc->deadline - now;
        return true;
}

static void call_ask(HttpCall *hc, json_object *request, json_object *id) {
        BackendCall *c = hc->call;
        HttpBackend *h = hc->owner;

        HttpQuestion *q = question_new(h, c->session);
        int r = !q ? -ENOMEM : c->ops->ask ? c->ops->ask(c, &q->question, request, c->userdata) : -EOPNOTSUPP;
        if (r >= 0)
                return; /* q is the gateway's now, and may be gone already */
        question_free(q);

        /* The remote waits for an answer: tell it there will be none. */
        _cleanup_json_ json_object *e = jsonrpc_errorf_new(id, JSONRPC_INTERNAL_ERROR,
                "The gateway could not pass the request on to its client: %s", strerror(-r));
        if (e)
                (void) post_side(h, c->session, e);
}

static void on_call_message(Transfer *t, json_object *m) {
        HttpCall *hc = t->userdata;
        BackendCall *c = hc->call;
        JsonRpcMessage rpc;
        const char *reason;

        if (jsonrpc_classify(m, &rpc, &reason) < 0) {
                log_debug("Backend %s sent a message that is not JSON-RPC: %s", c->backend->config->name, reason);
                return;
        }
        switch (rpc.kind) {
        case JSONRPC_NOTIFICATION:
                if (c->ops->notify)
                        c->ops->notify(c, m, c->userdata);
                break;
        case JSONRPC_REQUEST:
                call_ask(hc, m, rpc.id);
                break;
        case JSONRPC_RESPONSE:
                break; /* to another request: not ours to pass on */
        }
}

static void call_resume_later(HttpCall *hc, uint64_t delay);

static void on_call_done(Transfer *t, CURLcode result) {
        _cleanup_(transfer_freep) Transfer *owned = t;
        HttpCall *hc = t->userdata;
        BackendCall *c = hc->call;
        hc->transfer = NULL;

        json_object *response;
        BackendFailure failure;
        const char *message;
        Outcome o = transfer_outcome(t, result, &response, &failure, &message);
        if (t->event_id) {
                free(hc->last_event_id);
                hc->last_event_id = TAKE_PTR(t->event_id);
        }
        switch (o) {
        case OUTCOME_RESPONSE:
                if (hc->initialize && c->session && response)
                        session_established(hc->owner, c->session, t->session_id, response);
                /* Errors from before the remote's engine (HTTP 4xx) may have no id. */
                if (json_object_is_type(response, json_type_object) && hc->id)
                        (void) json_object_object_add(response, "id", json_object_get(hc->id));
                call_finish(hc, response, BACKEND_OK, NULL);
                return;

        case OUTCOME_SESSION_GONE: {
                log_debug("Backend %s: the remote forgot session %s.", c->backend->config->name, c->session);
                RemoteSession *s = session_find(hc->owner, c->session);
                if (s && s->ready && streq_ptr(s->remote_id, t->sent_session))
                        session_drop(s, BACKEND_GONE, "the remote ended the session");
                /* A session of /mcp starts over with the remote (which did not see the request), once. */
                if (hc->protocol_version && !hc->retried) {
                        hc->retried = true;
                        if (call_route(hc) >= 0)
                                return;
                }
                call_finish(hc, session_not_found_new(hc->id), BACKEND_OK, NULL);
                return;
        }

        case OUTCOME_STREAM_ENDED:
                /* SSE polling: the remote closed the stream and resumes it on a GET with Last-Event-ID. The
                 * gateway's client is told to do the same with the gateway when the remote asked for it. */
                if (c->session && !hc->initialize && hc->last_event_id) {
                        if (t->has_retry && c->ops->close_stream)
                                c->ops->close_stream(c, t->retry_ms, c->userdata);
                        call_resume_later(hc, t->has_retry ? MAX(t->retry_ms * USEC_PER_MSEC, RESUME_DELAY_USEC_MIN) :
                                                             RESUME_DELAY_USEC_DEFAULT);
                        return;
                }
                call_finish(hc, NULL, BACKEND_GONE, "its event stream ended without an answer");
                return;

        case OUTCOME_FAILED:
                call_finish(hc, NULL, failure, message);
                return;
        }
}

static const TransferOps call_ops = {
        .message = on_call_message,
        .done = on_call_done,
};

/* -ENOENT: the gateway session has no session at the remote; -ETIME: no time left. */
static int call_send(HttpCall *hc) {
        BackendCall *c = hc->call;
        Request rq = {
                .method = HTTP_POST,
                .body = hc->message,
                .expect_id = hc->id,
        };
        if (!call_time_left(hc, &rq.timeout_usec))
                return -ETIME;

        if (c->session) {
                if (!hc->initialize) {
                        RemoteSession *s = session_find(hc->owner, c->session);
                        if (!s || !s->ready)
                                return -ENOENT;
                        request_for_session(&rq, s);
                }
        } else {
                /* The wire without sessions names the request's revision, method and target in headers. */
                json_object *params = json_get_object(hc->message, "params");
                rq.protocol_version = json_get_string(json_get_object(params, "_meta"), MCP_META_PROTOCOL_VERSION);
                rq.mcp_method = json_get_string(hc->message, "method");
                rq.mcp_name = json_get_string(params, "name") ?: json_get_string(params, "uri");
        }
        return transfer_new(hc->owner, &rq, &call_ops, hc, &hc->transfer);
}

static int on_call_deferred(sd_event_source *source, void *userdata) {
        HttpCall *hc = userdata;
        hc->timer = sd_event_source_disable_unref(hc->timer);
        call_finish(hc, TAKE_PTR(hc->pending), BACKEND_OK, NULL);
        return 0;
}

static int on_call_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        HttpCall *hc = userdata;
        BackendCall *c = hc->call;
        hc->timer = sd_event_source_disable_unref(hc->timer);

        RemoteSession *s = session_find(hc->owner, c->session);
        Request rq = {
                .method = HTTP_GET,
                .expect_id = hc->id,
                .last_event_id = hc->last_event_id,
        };
        if (!call_time_left(hc, &rq.timeout_usec))
                call_finish(hc, NULL, BACKEND_TIMEOUT, NULL);
        else if (!s || !s->ready)
                call_finish(hc, session_not_found_new(hc->id), BACKEND_OK, NULL);
        else {
                request_for_session(&rq, s);
                if (transfer_new(hc->owner, &rq, &call_ops, hc, &hc->transfer) < 0)
                        call_finish(hc, NULL, BACKEND_UNAVAILABLE, "the request's stream could not be resumed");
        }
        return 0;
}

static void call_resume_later(HttpCall *hc, uint64_t delay) {
        int r = sd_event_add_time_relative(event_of(hc->owner), &hc->timer, CLOCK_MONOTONIC, delay, USEC_PER_MSEC,
                on_call_timer, hc);
        if (r < 0)
                call_finish(hc, NULL, BACKEND_GONE, "its event stream ended and could not be resumed");
}

/* Sends hc, or queues it behind its session's handshake with the remote, which a session of /mcp starts
 * with its first call. -ENOENT: the gateway session has no session at the remote. */
static int call_route(HttpCall *hc) {
        BackendCall *c = hc->call;
        if (!c->session || hc->initialize)
                return call_send(hc);

        RemoteSession *s = session_find(hc->owner, c->session);
        if (!s && hc->protocol_version) {
                int r = session_new(hc->owner, c->session, &s);
                if (r < 0)
                        return r;
                r = handshake_start(s, hc->protocol_version, hc->capabilities);
                if (r < 0) {
                        session_drop(s, BACKEND_UNAVAILABLE, NULL);
                        return r;
                }
        }
        if (!s || s->ready)
                return call_send(hc);

        hc->waiting_on = s;
        HttpCall **p = &s->waiting;
        while (*p)
                p = &(*p)->wait_next;
        *p = hc;
        return 0;
}

static int http_call(BackendCall *c, json_object *message, const char *principal, const char *protocol_version,
        json_object *capabilities) {
        HttpBackend *h = c->backend->transport_data;

        _cleanup_(http_call_freep) HttpCall *hc = new0(HttpCall, 1);
        if (!hc)
                return -ENOMEM;
        hc->owner = h;
        hc->next = h->calls;
        if (h->calls)
                h->calls->prev = hc;
        h->calls = hc;
        hc->call = c;
        hc->message = json_object_get(message);
        json_object_object_get_ex(message, "id", &hc->id);
        hc->initialize = streq_ptr(json_get_string(message, "method"), "initialize");
        hc->deadline = now_usec() + c->backend->config->timeout_usec;

        if (c->session && protocol_version) {
                hc->protocol_version = strdup(protocol_version);
                hc->capabilities = json_object_get(capabilities);
                if (!hc->protocol_version)
                        return -ENOMEM;
        }

        int r = call_route(hc);
        if (r == -ENOENT) {
                /* Gone at the remote (or never there): answered from the loop, not from within call(). */
                hc->pending = session_not_found_new(hc->id);
                r = sd_event_add_defer(event_of(h), &hc->timer, on_call_deferred, hc);
        }
        if (r < 0)
                return r;
        c->transport_data = TAKE_PTR(hc);
        return 0;
}

static void http_cancel(BackendCall *c, json_object *notification) {
        HttpBackend *h = c->backend->transport_data;
        /* Removing the transfer closes its connection, which on the wire without sessions is the
         * cancellation; with sessions the remote hears of it from the notification. */
        http_call_free(c->transport_data);
        c->transport_data = NULL;
        if (notification && c->session)
                (void) post_side(h, c->session, notification);
}

static int http_notify(Backend *b, const char *session, json_object *notification) {
        if (!session)
                return 0;
        return post_side(b->transport_data, session, notification);
}

static int http_end_session(Backend *b, const char *session) {
        HttpBackend *h = b->transport_data;
        RemoteSession *s = session_find(h, session);
        if (!s)
                return 0;

        _cleanup_free_ char *remote_id = s->ready ? TAKE_PTR(s->remote_id) : NULL;
        _cleanup_free_ char *version = TAKE_PTR(s->version);
        session_drop(s, BACKEND_UNAVAILABLE, "the session ended");
        return remote_id ? post_delete(h, remote_id, version) : 0;
}

/* --- the remote's tools, for /mcp ------------------------------------------------------------------ */

typedef enum ListPhase {
        LIST_INITIALIZE,
        LIST_INITIALIZED,
        LIST_PAGE,
} ListPhase;

/* A private session (or the wire without sessions) that reads tools/list to its end. */
struct Listing {
        HttpBackend *owner;
        Transfer *transfer;
        ListPhase phase;
        bool stateless;
        char *remote_id;
        char *version;
        json_object *tools;
        unsigned n_pages;
};

static Listing *listing_free(Listing *l) {
        if (!l)
                return NULL;
        transfer_free(l->transfer);
        free(l->remote_id);
        free(l->version);
        json_object_put(l->tools);
        free(l);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Listing *, listing_free);

/* Ends the listing: its session at the remote goes, /mcp gets the tools (NULL: none). why must outlive l. */
static void listing_finish(Listing *l, bool ok, const char *why) {
        HttpBackend *h = l->owner;
        Backend *b = h->backend;
        if (h->listing == l)
                h->listing = NULL;
        if (l->remote_id)
                (void) post_delete(h, l->remote_id, l->version);
        json_object *tools = ok ? TAKE_PTR(l->tools) : NULL;
        if (!ok)
                log_warning("Failed to list the tools of %s: %s", b->config->name, strempty(why));
        listing_free(l);
        backend_tools_listed(b, tools);
}

static const TransferOps listing_ops;

static int listing_step(Listing *l, const char *cursor) {
        HttpBackend *h = l->owner;
        _cleanup_json_ json_object *message = NULL;
        Request rq = {
                .method = HTTP_POST,
                .session_id = l->remote_id,
                .protocol_version = l->version,
                .timeout_usec = h->backend->config->timeout_usec,
        };

        switch (l->phase) {
        case LIST_INITIALIZE:
                message = initialize_new(h, MCP_VERSION_LATEST_SESSION, NULL);
                break;
        case LIST_INITIALIZED:
                message = jsonrpc_notification_new("notifications/initialized", NULL);
                break;
        case LIST_PAGE: {
                _cleanup_json_ json_object *params = json_object_new_object();
                if (!params || (cursor && json_add_string(params, "cursor", cursor) < 0))
                        return -ENOMEM;
                if (l->stateless) {
                        _cleanup_json_ json_object *meta = json_object_new_object();
                        if (!meta || json_add_string(meta, MCP_META_PROTOCOL_VERSION, MCP_VERSION_STATELESS) < 0 ||
                            json_add(meta, MCP_META_CLIENT_CAPABILITIES, json_object_new_object()) < 0 ||
                            json_add(meta, MCP_META_CLIENT_INFO, client_info_new()) < 0 ||
                            json_add(params, "_meta", TAKE_PTR(meta)) < 0)
                                return -ENOMEM;
                        rq.mcp_method = "tools/list";
                }
                message = jsonrpc_request_new(request_id_new(h), "tools/list", TAKE_PTR(params));
                break;
        }
        }
        if (!message)
                return -ENOMEM;
        json_object_object_get_ex(message, "id", &rq.expect_id);
        rq.body = message;
        return transfer_new(h, &rq, &listing_ops, l, &l->transfer);
}

/* Takes in what a step brought. Returns 1 to go on (*ret_cursor: the next page's), 0 when the list is
 * complete, or -1 with *ret_why. */
static int listing_advance(Listing *l, Transfer *t, Outcome o, json_object *response, const char *message,
        const char **ret_cursor, const char **ret_why) {
        json_object *res = json_get_object(response, "result");
        const char *error = json_get_string(json_get_object(response, "error"), "message");

        switch (l->phase) {
        case LIST_INITIALIZE: {
                const char *version = json_get_string(res, "protocolVersion");
                if (o == OUTCOME_RESPONSE && version) {
                        l->remote_id = TAKE_PTR(t->session_id);
                        l->phase = LIST_INITIALIZED;
                } else if ((o == OUTCOME_RESPONSE && error) || (o == OUTCOME_FAILED && t->status >= 400)) {
                        /* No sessions there: perhaps the wire without them. */
                        l->stateless = true;
                        version = MCP_VERSION_STATELESS;
                        l->phase = LIST_PAGE;
                } else {
                        *ret_why = message ?: "it did not answer initialize";
                        return -1;
                }
                l->version = strdup(version);
                if (!l->version) {
                        *ret_why = "out of memory";
                        return -1;
                }
                return 1;
        }

        case LIST_INITIALIZED:
                l->phase = LIST_PAGE; /* tools/list tells whether the session works */
                return 1;

        case LIST_PAGE: {
                json_object *tools = json_get_array(res, "tools");
                if (o != OUTCOME_RESPONSE || !tools) {
                        *ret_why = message ?: error ?: "its tools/list result has no tools";
                        return -1;
                }
                for (size_t i = 0; i < json_object_array_length(tools); i++)
                        if (json_object_array_add(l->tools, json_object_get(json_object_array_get_idx(tools, i))) < 0) {
                                *ret_why = "out of memory";
                                return -1;
                        }
                *ret_cursor = json_get_string(res, "nextCursor");
                if (isempty(*ret_cursor))
                        return 0;
                if (++l->n_pages >= LIST_PAGES_MAX) {
                        *ret_why = "its tool list does not end";
                        return -1;
                }
                return 1;
        }
        }
        return -1;
}

static void on_listing_done(Transfer *t, CURLcode result) {
        _cleanup_(transfer_freep) Transfer *owned = t;
        Listing *l = t->userdata;
        l->transfer = NULL;

        json_object *response;
        BackendFailure failure;
        const char *message, *cursor = NULL, *why = NULL;
        Outcome o = transfer_outcome(t, result, &response, &failure, &message);
        _cleanup_json_ json_object *owned_response = response;

        int r = listing_advance(l, t, o, response, message, &cursor, &why);
        if (r > 0 && listing_step(l, cursor) < 0) {
                r = -1;
                why = "the next request could not be sent";
        }
        if (r <= 0)
                listing_finish(l, r == 0, why);
}

static const TransferOps listing_ops = {
        .done = on_listing_done,
};

static int http_list_tools(Backend *b) {
        HttpBackend *h = b->transport_data;

        if (h->listing) {
                /* Start over: the list may have changed since that one began. */
                if (h->listing->remote_id)
                        (void) post_delete(h, h->listing->remote_id, h->listing->version);
                h->listing = listing_free(h->listing);
        }

        _cleanup_(listing_freep) Listing *l = new0(Listing, 1);
        if (!l)
                return -ENOMEM;
        h->was_down = false;
        l->owner = h;
        l->tools = json_object_new_array();
        if (!l->tools)
                return -ENOMEM;
        int r = listing_step(l, NULL);
        if (r < 0)
                return r;
        h->listing = TAKE_PTR(l);
        return 0;
}

/* --- health ---------------------------------------------------------------------------------------- */

static void on_health_done(Transfer *t, CURLcode result) {
        HttpBackend *h = t->userdata;
        Backend *b = h->backend;
        h->health = NULL;

        /* Any HTTP answer means the server is there; a GET without a session gets 400 or 405 from most. */
        bool up = t->status > 0;
        if (!up)
                log_debug("Backend %s does not answer: %s", b->config->name,
                        t->error[0] ? t->error : curl_easy_strerror(result));
        transfer_free(t);

        backend_set_up(b, up);
        if (!up)
                h->was_down = true;
        else if ((h->was_down || !b->tools) && !h->listing)
                (void) http_list_tools(b); /* it may have come back with other tools */
}

static const TransferOps health_ops = {
        .done = on_health_done,
};

static void http_check_health(Backend *b) {
        HttpBackend *h = b->transport_data;
        if (h->health)
                return; /* the last check has not come back yet */

        Request rq = {
                .method = HTTP_GET,
                .timeout_usec = HEALTH_TIMEOUT_USEC,
                .headers_only = true,
        };
        int r = transfer_new(h, &rq, &health_ops, h, &h->health);
        if (r < 0) {
                log_warning_errno(r, "Failed to check backend %s: %m", b->config->name);
                backend_set_up(b, false);
        }
}

/* --- the transport --------------------------------------------------------------------------------- */

static int http_init(Backend *b) {
        HttpBackend *h = new0(HttpBackend, 1);
        if (!h)
                return log_oom();
        b->transport_data = h;
        h->backend = b;
        h->max_body = (size_t) MIN(b->gateway->config->max_body, (uint64_t) SIZE_MAX - 1);
        h->sessions = hashmap_new();
        h->multi = curl_multi_init();
        if (!h->sessions || !h->multi)
                return log_oom();

        CURLMcode c = curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
        c = c ?: curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
        c = c ?: curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer_change);
        c = c ?: curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
        if (c != CURLM_OK)
                return log_error_errno(EINVAL, "Failed to set up libcurl for %s: %s", b->config->url, curl_multi_strerror(c));

        /* /mcp offers its tools as soon as it answers. */
        int r = http_list_tools(b);
        if (r < 0)
                log_warning_errno(r, "Failed to list the tools of %s: %m", b->config->name);
        return 0;
}

static void http_done(Backend *b) {
        HttpBackend *h = b->transport_data;

        /* Calls still here are dropped without an answer, as the gateway stops. */
        while (h->calls) {
                h->calls->call->transport_data = NULL;
                http_call_free(h->calls);
        }
        RemoteSession *s;
        size_t i = 0;
        while (hashmap_iterate(h->sessions, &i, (void **) &s, NULL)) {
                hashmap_remove(h->sessions, s->id);
                session_free(s);
        }
        hashmap_free(h->sessions);
        for (HttpQuestion *q = h->questions, *next; q; q = next) {
                next = q->next;
                q->owner = NULL; /* answered later into the void */
        }
        listing_free(h->listing);
        while (h->transfers)
                transfer_free(h->transfers);
        if (h->multi)
                curl_multi_cleanup(h->multi);
        for (size_t j = 0; j < h->n_ios; j++)
                sd_event_source_disable_unref(h->ios[j].source);
        free(h->ios);
        sd_event_source_disable_unref(h->timer);
        free(h);
        b->transport_data = NULL;
}

const BackendTransport backend_http_transport = {
        .init = http_init,
        .done = http_done,
        .call = http_call,
        .cancel = http_cancel,
        .notify = http_notify,
        .end_session = http_end_session,
        .check_health = http_check_health,
        .list_tools = http_list_tools,
};
