/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One HTTP request to a remote MCP server and what comes back: headers, a JSON or SSE body, and what it
 * amounts to. */
#include <stdio.h>
#include <strings.h>

#include "credential.h"
#include "http-transfer.h"
#include "log.h"

#define CONNECT_TIMEOUT_MS 5000L
#define HEADER_VALUE_MAX 1024U

/* A message read from a stream, handled once curl's callbacks have returned. */
struct Queued {
        Queued *next;
        Transfer *transfer;
        json_object *message;
};

static void queue_push(HttpRemote *h, Transfer *t, json_object *message) {
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

static void queue_drop(HttpRemote *h, Transfer *t) {
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

Transfer *transfer_free(Transfer *t) {
        if (!t)
                return NULL;
        HttpRemote *h = t->owner;
        if (t->easy) {
                if (t->attached)
                        curl_event_remove(h->curl, t->easy);
                sym_curl_easy_cleanup(t->easy);
        }
        sym_curl_slist_free_all(t->headers);
        queue_drop(h, t);
        LIST_REMOVE(h->transfers, t);
        json_object_put(t->expect_id);
        json_object_put(t->response);
        buffer_done(&t->body);
        sse_parser_done(&t->events);
        free(t->session_id);
        free(t->sent_session);
        free(t);
        return NULL;
}

static bool media_type_is(const char *content_type, const char *type) {
        if (!content_type)
                return false;
        size_t l = strcspn(content_type, ";");
        while (l > 0 && (content_type[l - 1] == ' ' || content_type[l - 1] == '\t'))
                l--;
        return l == strlen(type) && strncasecmp(content_type, type, l) == 0;
}

/* One event's data is one JSON-RPC message. */
static int on_event(const SseEvent *e, void *userdata) {
        Transfer *t = userdata;
        size_t blank = strspn(e->data, " \t\r\n");
        if (blank < e->size) {
                json_object *m = NULL;
                const char *reason = NULL;
                if (json_parse_strict(e->data, e->size, &m, &reason) < 0)
                        log_debug("Backend %s sent an event that is not JSON: %s", t->owner->name, strempty(reason));
                else
                        queue_push(t->owner, t, m);
        }
        return 0;
}

static size_t on_write(char *p, size_t size, size_t nmemb, void *userdata) {
        Transfer *t = userdata;
        size_t n = size * nmemb;

        if (!t->decided) {
                char *content_type = NULL;
                long status = 0;
                (void) sym_curl_easy_getinfo(t->easy, CURLINFO_CONTENT_TYPE, &content_type);
                (void) sym_curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
                t->sse = status >= 200 && status < 300 && media_type_is(content_type, "text/event-stream");
                t->decided = true;
        }

        int r = t->sse ? sse_feed(&t->events, p, n) : buffer_append(&t->body, p, n, t->owner->max_body);
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
        struct curl_slist *l = sym_curl_slist_append(*list, line);
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
        if (r >= 0 && t->owner->authorization)
                r = header_add(l, "Authorization", t->owner->authorization);
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
        /* An aios server behind its token takes the principal from these, with the rules polkit has over D-Bus;
         * a remote without the token (anyone's MCP server) learns nothing of who calls. */
        if (r >= 0 && t->owner->authorization && rq->principal) {
                r = header_add(l, "Aios-Principal", rq->principal);
                if (r >= 0 && rq->scopes)
                        r = header_add(l, "Aios-Scopes", rq->scopes);
                if (r >= 0 && rq->backend)
                        r = header_add(l, "Aios-Backend", rq->backend);
        }
        if (r >= 0)
                r = header_add(l, "Expect", NULL); /* no 100-continue round trip before larger bodies */
        return r;
}

int transfer_new(HttpRemote *h, const Request *rq, const TransferOps *ops, void *userdata, Transfer **ret) {
        _cleanup_(transfer_freep) Transfer *t = new0(Transfer, 1);
        if (!t)
                return -ENOMEM;
        t->owner = h;
        LIST_PREPEND(h->transfers, t);
        t->ops = ops;
        t->userdata = userdata;
        t->expect_id = json_object_get(rq->expect_id);
        if (rq->session_id && !(t->sent_session = strdup(rq->session_id)))
                return -ENOMEM;
        t->resuming = rq->last_event_id;
        t->headers_only = rq->headers_only;
        sse_parser_init(&t->events, h->max_body, on_event, t);

        t->easy = sym_curl_easy_init();
        if (!t->easy)
                return -ENOMEM;
        int r = transfer_headers(t, rq);
        if (r < 0)
                return r;

        CURL *e = t->easy;
        CURLcode c = sym_curl_easy_setopt(e, CURLOPT_URL, rq->url ?: h->url);
        c = c ?: sym_curl_easy_setopt(e, CURLOPT_CONNECT_TO, h->connect_to);
        c = c ?: sym_curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        c = c ?: sym_curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
        c = c ?: sym_curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        c = c ?: sym_curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
        c = c ?: sym_curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
        c = c
                ?: sym_curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                           (long) ((rq->timeout_usec + USEC_PER_MSEC - 1) / USEC_PER_MSEC));
        c = c ?: sym_curl_easy_setopt(e, CURLOPT_USERAGENT, CLIENT_NAME "/" PROJECT_VERSION);
        c = c ?: sym_curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
        c = c ?: sym_curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
        c = c ?: sym_curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
        c = c ?: sym_curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
        c = c ?: sym_curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
        c = c ?: sym_curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
        c = c ?: sym_curl_easy_setopt(e, CURLOPT_PRIVATE, t);
        if (rq->method == HTTP_POST) {
                const char *text = json_to_string(rq->body);
                c = c ?: sym_curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long) strlen(text));
                c = c ?: sym_curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, text);
        } else if (rq->method == HTTP_DELETE)
                c = c ?: sym_curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE");
        if (c != CURLE_OK)
                return log_debug_errno(EINVAL, "Failed to set up a request to %s: %s", h->url,
                        sym_curl_easy_strerror(c));

        r = curl_event_add(h->curl, e);
        if (r < 0)
                return r;
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
        (void) sym_curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->status);
        if (t->status == 0)
                t->status = t->header_status;
        if (t->attached) {
                curl_event_remove(t->owner->curl, t->easy);
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

static BackendFailure failure_of(Transfer *t, CURLcode result, const char **ret_message) {
        *ret_message = t->error[0] ? t->error : sym_curl_easy_strerror(result);
        switch (result) {
        case CURLE_OPERATION_TIMEDOUT: {
                /* Connected (or reusing a connection) and sent: the remote is slow, not unreachable. */
                curl_off_t sent = 0;
                (void) sym_curl_easy_getinfo(t->easy, CURLINFO_PRETRANSFER_TIME_T, &sent);
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

Outcome transfer_outcome(Transfer *t, CURLcode result, json_object **ret_response, BackendFailure *ret_failure,
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
                        if (t->events.last_event_id)
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

/* --- the transfers to one remote, on the loop ------------------------------------------------------ */

/* The messages curl's write callbacks read, in order. */
static void queue_deliver(void *userdata) {
        HttpRemote *h = userdata;
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

static void on_finished(CURL *easy, CURLcode result, void *userdata) {
        char *p = NULL;
        (void) sym_curl_easy_getinfo(easy, CURLINFO_PRIVATE, &p);
        transfer_end((Transfer *) p, result);
}

static const CurlEventOps curl_ops = {
        .dispatch = queue_deliver,
        .finished = on_finished,
};

/* The remote's bearer token, from the credential: one line of visible ASCII. */
int http_remote_set_bearer_token(HttpRemote *r, const char *credential) {
        _cleanup_free_ char *token = NULL;
        int k = credential_read(credential, 8192, &token);
        if (k == 0)
                k = -ENOENT;
        if (k < 0)
                return k;
        size_t n = strlen(token);
        while (n > 0 && (token[n - 1] == '\n' || token[n - 1] == '\r'))
                token[--n] = 0;
        bool visible = n > 0;
        for (size_t i = 0; i < n; i++)
                visible = visible && token[i] > 0x20 && token[i] < 0x7f;
        _cleanup_free_ char *header = NULL;
        if (visible && asprintf(&header, "Bearer %s", token) < 0)
                k = -ENOMEM;
        explicit_bzero(token, n);
        if (k < 0)
                return k;
        if (!visible)
                return -EBADMSG;
        free(r->authorization);
        r->authorization = TAKE_PTR(header);
        return 0;
}

int http_remote_init(HttpRemote *r, sd_event *event, const char *name, const char *url, size_t max_body) {
        *r = (HttpRemote){
                .name = name,
                .url = url,
                .max_body = max_body,
        };
        return curl_event_new(event, &curl_ops, r, &r->curl);
}

int http_remote_set_address(HttpRemote *r, const char *address) {
        _cleanup_free_ char *entry = NULL;
        /* "::ADDRESS:": whatever the URL's host and port, connect to ADDRESS at that port. */
        if (asprintf(&entry, strchr(address, ':') ? "::[%s]:" : "::%s:", address) < 0)
                return -ENOMEM;
        struct curl_slist *l = sym_curl_slist_append(NULL, entry);
        if (!l)
                return -ENOMEM;
        sym_curl_slist_free_all(r->connect_to);
        r->connect_to = l;
        return 0;
}

void http_remote_done(HttpRemote *r) {
        while (r->transfers)
                transfer_free(r->transfers);
        r->curl = curl_event_free(r->curl);
        sym_curl_slist_free_all(r->connect_to);
        r->connect_to = NULL;
        if (r->authorization)
                explicit_bzero(r->authorization, strlen(r->authorization));
        r->authorization = mfree(r->authorization);
}
