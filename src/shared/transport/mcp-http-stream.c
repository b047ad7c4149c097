/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SSE streams: events numbered per stream, kept for replay, written by a content reader that suspends the
 * connection when there is nothing to say and is resumed when there is. */
#include <inttypes.h>
#include <stdio.h>

#include "caller-context.h"
#include "log.h"
#include "mcp-http-stream.h"
#include "mcp-request.h"
#include "scope-rules.h"

struct SseEvent {
        SseEvent *next;
        uint64_t seq;
        bool ephemeral; /* comments and retry hints: written once, never replayed */
        size_t size;
        char text[];
};

/* Kept for a client to come back for (Last-Event-ID): in a session's set, no connection reading it. */
static bool stream_kept(const HttpStream *st) {
        return st->owner && st->index != 0 && !st->connection;
}

int http_stream_new(HttpStream **ret, HttpServer *server, StreamSet *owner, bool standalone, size_t buffer_max) {
        HttpStream *st = new0(HttpStream, 1);
        if (!st)
                return -ENOMEM;
        st->n_ref = 1;
        st->server = server;
        st->buffer_max = buffer_max;
        st->next_seq = 1;
        st->json_allowed = st->sse_allowed = true;

        if (owner) {
                st->index = standalone ? 0 : ++owner->next_index;
                st->owner = owner;
                LIST_PREPEND(owner->streams, http_stream_ref(st));
                if (stream_kept(st))
                        owner->n_kept++;
        }
        if (standalone)
                st->mode = STREAM_SSE;

        *ret = st;
        return 0;
}

static void events_free(HttpStream *st) {
        while (st->first) {
                SseEvent *e = st->first;
                st->first = e->next;
                free(e);
        }
        st->last = st->next_to_send = NULL;
        st->n_bytes = 0;
}

HttpStream *http_stream_ref(HttpStream *st) {
        if (st)
                st->n_ref++;
        return st;
}

HttpStream *http_stream_unref(HttpStream *st) {
        if (!st)
                return NULL;
        assert(st->n_ref > 0);
        if (--st->n_ref > 0)
                return NULL;

        assert(!st->connection);
        /* Nobody can receive the answer any more: stop the work. */
        if (st->exchange)
                mcp_exchange_abort(TAKE_PTR(st->exchange));
        events_free(st);
        json_object_put(st->reply);
        mcp_identity_unref(st->identity);
        free(st);
        return NULL;
}

void http_stream_forget(HttpStream *st) {
        StreamSet *set = st->owner;
        if (!set)
                return;
        if (stream_kept(st))
                set->n_kept--;
        LIST_REMOVE(set->streams, st);
        st->owner = NULL;
        http_stream_unref(st);
}

HttpStream *stream_set_find(StreamSet *set, unsigned index) {
        LIST_FOREACH(st, set->streams) {
                if (st->index == index)
                        return st;
        }
        return NULL;
}

void stream_set_prune(StreamSet *set, unsigned max) {
        /* Newest first: keep the first max streams without a connection, forget the rest. Counted as they
         * come and go, so that a session with many requests in flight is not walked on each new one. */
        if (set->n_kept <= max)
                return;
        unsigned kept = 0;
        LIST_FOREACH(st, set->streams) {
                if (st->connection || st->index == 0)
                        continue;
                if (++kept > max)
                        http_stream_forget(st);
        }
}

void stream_set_clear(StreamSet *set) {
        while (set->streams)
                http_stream_forget(set->streams);
}

void http_stream_suspend(HttpStream *st) {
        if (st->connection && !st->suspended) {
                MHD_suspend_connection(st->connection);
                st->suspended = true;
        }
}

void http_stream_wake(HttpStream *st) {
        if (st->connection && st->suspended) {
                st->suspended = false;
                MHD_resume_connection(st->connection);
                http_server_kick(st->server);
        }
}

void http_stream_attach(HttpStream *st, struct MHD_Connection *connection) {
        assert(!st->connection);
        if (stream_kept(st))
                st->owner->n_kept--;
        st->connection = connection;
        st->suspended = false;
}

void http_stream_detach(HttpStream *st) {
        if (st->connection && st->owner && st->index != 0)
                st->owner->n_kept++;
        st->connection = NULL;
        st->suspended = false;
        st->drop_when_drained = false;
}

static void trim(HttpStream *st) {
        /* Drop what was written already, oldest first, once the replay buffer is over its limit. */
        while (st->first && st->first != st->next_to_send && st->n_bytes > st->buffer_max) {
                SseEvent *e = st->first;
                st->first = e->next;
                if (st->last == e)
                        st->last = NULL;
                st->n_bytes -= e->size;
                free(e);
        }
}

static int append(HttpStream *st, bool ephemeral, const char *format, ...) _printf_(3, 4);
static int append(HttpStream *st, bool ephemeral, const char *format, ...) {
        va_list ap;
        va_start(ap, format);
        int n = vsnprintf(NULL, 0, format, ap);
        va_end(ap);
        if (n < 0)
                return -EINVAL;

        SseEvent *e = malloc(sizeof(SseEvent) + n + 1);
        if (!e)
                return -ENOMEM;
        va_start(ap, format);
        vsnprintf(e->text, n + 1, format, ap);
        va_end(ap);
        e->next = NULL;
        e->size = n;
        e->ephemeral = ephemeral;
        e->seq = ephemeral ? 0 : st->next_seq++;

        if (st->last)
                st->last->next = e;
        else
                st->first = e;
        st->last = e;
        if (!st->next_to_send)
                st->next_to_send = e;
        st->n_bytes += e->size;
        trim(st);
        return 0;
}

static int start_sse(HttpStream *st) {
        if (st->mode == STREAM_SSE)
                return 0;
        assert(st->mode == STREAM_UNDECIDED);
        st->mode = STREAM_SSE;
        /* The priming event carries an id and no data, so that a client that loses the connection before
         * the first real event can still resume. */
        if (st->prime)
                return append(st, false, "id: %u-%" PRIu64 "\ndata: \n\n", st->index, st->next_seq);
        return 0;
}

int http_stream_push(HttpStream *st, json_object *message) {
        if (st->mode == STREAM_UNDECIDED && !st->sse_allowed)
                return 0; /* a JSON-only client cannot receive messages besides its reply */
        if (st->mode == STREAM_JSON)
                return -ESTALE;

        int r = start_sse(st);
        if (r < 0)
                return r;
        r = append(st, false, "id: %u-%" PRIu64 "\ndata: %s\n\n", st->index, st->next_seq, json_to_string(message));
        if (r < 0)
                return r;
        http_stream_wake(st);
        return 0;
}

static int sink_send(void *userdata, json_object *message) {
        return http_stream_push(userdata, message);
}

static void sink_done(void *userdata, json_object *reply) {
        HttpStream *st = userdata;

        st->exchange = NULL;
        st->finished = true;
        if (st->mode == STREAM_UNDECIDED && st->json_allowed) {
                st->mode = STREAM_JSON;
                st->reply = json_object_get(reply);
        } else if (reply) {
                (void) http_stream_push(st, reply);
        } else if (st->mode == STREAM_UNDECIDED)
                (void) start_sse(st);
        http_stream_wake(st);
}

static int sink_close_stream(void *userdata, uint64_t retry_ms) {
        HttpStream *st = userdata;

        if (!st->sse_allowed)
                return -EOPNOTSUPP;
        int r = start_sse(st);
        if (r < 0)
                return r;
        /* The retry hint tells the client how soon to come back with Last-Event-ID. */
        r = append(st, true, "retry: %" PRIu64 "\n\n", retry_ms);
        if (r < 0)
                return r;
        st->retry_ms = retry_ms;
        st->drop_when_drained = true;
        http_stream_wake(st);
        return 0;
}

static const char *sink_principal(void *userdata) {
        HttpStream *st = userdata;
        return st->identity ? st->identity->principal : NULL;
}

static const char *sink_scopes(void *userdata) {
        HttpStream *st = userdata;
        return st->identity ? st->identity->scopes : NULL;
}

static pid_t sink_process(void *userdata, uid_t *ret_uid) {
        HttpStream *st = userdata;
        if (!st->identity)
                return 0;
        *ret_uid = st->identity->uid;
        return st->identity->pid;
}

const McpSinkOps http_stream_sink_ops = {
        .send = sink_send,
        .done = sink_done,
        .close_stream = sink_close_stream,
        .principal = sink_principal,
        .scopes = sink_scopes,
        .process = sink_process,
};

/* The front end's own requests: lists show it everything (its catalog, which it filters for each principal
 * itself), as over D-Bus; what needs polkit is refused at the call, as to any caller here. */
static bool front_end_shows(void *userdata, const char *action, const char *kind, const char *name, bool required) {
        return true;
}

const McpSinkOps http_stream_front_end_sink_ops = {
        .send = sink_send,
        .done = sink_done,
        .close_stream = sink_close_stream,
        .principal = sink_principal,
        .scopes = sink_scopes,
        .process = sink_process,
        .shows = front_end_shows,
};

/* A principal the front end named: the shipped rules decide at once, as polkit would for the front end. */
static int principal_authorize(void *userdata, McpRequest *req, const char *action, const char *const *own,
        void (*done)(McpRequest *req, int allowed)) {
        HttpStream *st = userdata;
        const char *tool = mcp_request_get_tool_name(req);
        const char *details[2 * 12 + 1];
        caller_details(tool, st->identity->principal, st->identity->scopes, st->identity->backend, own, details,
                ELEMENTSOF(details));
        bool allowed = scope_rules_allow(action, details);
        /* The principal and scopes were checked to be printable when they came in: they cannot forge log lines. */
        if (!allowed)
                log_info("The scope rules refused %s%s%s to %s (scopes \"%s\", backend %s).", action,
                        tool ? " for tool " : "", strempty(tool), st->identity->principal, st->identity->scopes,
                        st->identity->backend ?: "(none)");
        done(req, allowed);
        return 0;
}

static bool principal_shows(void *userdata, const char *action, const char *kind, const char *name, bool required) {
        HttpStream *st = userdata;
        bool tool = streq(kind, "tools");
        const char *const own[] = { tool ? NULL : "uri", name, NULL };
        const char *details[2 * 6 + 1];
        caller_details(tool ? name : NULL, st->identity->principal, st->identity->scopes, st->identity->backend, own,
                details, ELEMENTSOF(details));
        return scope_rules_allow(action, details);
}

const McpSinkOps http_stream_principal_sink_ops = {
        .send = sink_send,
        .done = sink_done,
        .close_stream = sink_close_stream,
        .principal = sink_principal,
        .scopes = sink_scopes,
        .process = sink_process,
        .authorize = principal_authorize,
        .shows = principal_shows,
        .denied_by = "the principal's scopes do not allow",
};

int http_stream_parse_event_id(const char *id, unsigned *ret_index, uint64_t *ret_seq) {
        unsigned index;
        uint64_t seq;
        int consumed = 0;
        if (!id || sscanf(id, "%u-%" SCNu64 "%n", &index, &seq, &consumed) != 2 || id[consumed])
                return -EINVAL;
        *ret_index = index;
        *ret_seq = seq;
        return 0;
}

int http_stream_seek(HttpStream *st, uint64_t after_seq) {
        if (after_seq >= st->next_seq)
                return -ENOENT;
        /* Events before the first kept one were trimmed: resuming from there would lose some. */
        if (st->first && !st->first->ephemeral && after_seq + 1 < st->first->seq)
                return -ENOENT;

        st->next_to_send = NULL;
        st->next_offset = 0;
        for (SseEvent *e = st->first; e; e = e->next)
                if (!e->ephemeral && e->seq > after_seq) {
                        st->next_to_send = e;
                        break;
                }
        return 0;
}

bool http_stream_drained(HttpStream *st) {
        return st->finished && !st->next_to_send;
}

void http_stream_keepalive(HttpStream *st) {
        if (st->mode != STREAM_SSE || !st->connection)
                return;
        if (append(st, true, ": keepalive\n\n") >= 0)
                http_stream_wake(st);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
        HttpStream *st = cls;
        size_t n = 0;

        while (n < max && st->next_to_send) {
                SseEvent *e = st->next_to_send;
                size_t l = MIN(e->size - st->next_offset, max - n);
                memcpy(buf + n, e->text + st->next_offset, l);
                n += l;
                st->next_offset += l;
                if (st->next_offset < e->size)
                        break;
                st->next_to_send = e->next;
                st->next_offset = 0;
        }
        if (n > 0)
                return (ssize_t) n;

        if (http_stream_drained(st) || st->drop_when_drained)
                return MHD_CONTENT_READER_END_OF_STREAM;
        if (!st->connection)
                return MHD_CONTENT_READER_END_WITH_ERROR;

        /* Nothing to say yet: step out of MHD's loop until there is (returning 0 alone would spin). */
        http_stream_suspend(st);
        return 0;
}

static void stream_response_free(void *cls) {
        http_stream_unref(cls);
}

struct MHD_Response *http_stream_response_new(HttpStream *st) {
        struct MHD_Response *response =
                MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, stream_read, st, stream_response_free);
        if (!response)
                return NULL;
        http_stream_ref(st);
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
        MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
        /* Tell reverse proxies not to buffer the stream. */
        MHD_add_response_header(response, "X-Accel-Buffering", "no");
        return response;
}
