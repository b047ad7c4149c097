/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /api/v1/audit: the audit records of the journal as server-sent events, the latest ones first and then
 * each new one as the journal gets it: the journal's fd is an io source of the loop, the connection is
 * suspended while there is nothing to send, and the event ids are journal cursors, so that a reconnecting
 * EventSource (Last-Event-ID) goes on where it stopped. */
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <systemd/sd-journal.h>

#include "audit.h"
#include "buffer.h"
#include "gateway.h"
#include "json-util.h"
#include "list.h"
#include "log.h"
#include "web-internal.h"

#define STREAMS_MAX 32
#define BACKLOG 50                         /* records sent first, before new ones */
#define BUFFER_MAX (256 * 1024)            /* unsent bytes; the journal is read on once they are sent */
#define KEEPALIVE_USEC (15 * USEC_PER_SEC) /* a comment on an idle stream, which also finds gone clients */
#define FIELD_MAX 1024

struct AuditStream {
        Web *web; /* NULL once the gateway stops */
        LIST_FIELDS(AuditStream);
        struct MHD_Connection *connection;
        bool suspended;
        bool ended;
        sd_journal *journal;
        sd_event_source *io, *keepalive;
        Buffer out;
        size_t sent;
};

static void stream_close_journal(AuditStream *st) {
        st->io = sd_event_source_disable_unref(st->io);
        st->keepalive = sd_event_source_disable_unref(st->keepalive);
        sd_journal_close(st->journal);
        st->journal = NULL;
}

static void stream_wake(AuditStream *st) {
        if (!st->suspended)
                return;
        st->suspended = false;
        MHD_resume_connection(st->connection);
        /* Which listener the connection came through is not known here: both run once more. */
        Gateway *g = st->web ? st->web->gateway : NULL;
        if (g) {
                mcp_http_kick(g->http);
                mcp_http_kick(g->http_local);
        }
}

/* The response is gone (the client left, or the gateway stops): the stream goes with it. */
static void stream_free(void *cls) {
        AuditStream *st = cls;
        if (st->web) {
                LIST_REMOVE(st->web->streams, st);
                st->web->n_streams--;
        }
        stream_close_journal(st);
        buffer_done(&st->out);
        free(st);
}

static void add_field(sd_journal *j, json_object *o, const char *field, const char *key) {
        const void *data;
        size_t n, l = strlen(field);
        if (sd_journal_get_data(j, field, &data, &n) < 0 || n <= l + 1)
                return;
        (void) json_add(o, key,
                json_object_new_string_len((const char *) data + l + 1, (int) MIN(n - l - 1, FIELD_MAX)));
}

/* The entry at the journal's position as one event: "id: CURSOR", "data: {json}". */
static int append_entry(AuditStream *st) {
        _cleanup_json_ json_object *o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        uint64_t usec = 0;
        (void) sd_journal_get_realtime_usec(st->journal, &usec);
        (void) json_add(o, "time_usec", json_object_new_int64((int64_t) usec));
        add_field(st->journal, o, "AIOS_PRINCIPAL", "principal");
        add_field(st->journal, o, "AIOS_TOOL", "tool");
        add_field(st->journal, o, "AIOS_BACKEND", "backend");
        add_field(st->journal, o, "AIOS_RESULT", "result");
        add_field(st->journal, o, "AIOS_DURATION_USEC", "duration_usec");
        add_field(st->journal, o, "AIOS_ARGUMENTS_SHA256", "arguments_sha256");
        add_field(st->journal, o, "AIOS_REASON", "reason");

        _cleanup_free_ char *cursor = NULL, *event = NULL;
        if (sd_journal_get_cursor(st->journal, &cursor) < 0)
                cursor = NULL;
        int k = asprintf(&event, "%s%s%sevent: audit\ndata: %s\n\n", cursor ? "id: " : "", strempty(cursor),
                cursor ? "\n" : "", json_to_string(o));
        if (k < 0)
                return -ENOMEM;
        return buffer_append(&st->out, event, k, SIZE_MAX);
}

/* Reads what the journal has after the position, while the client keeps up. */
static int stream_read_journal(AuditStream *st) {
        bool any = false;
        while (st->out.size - st->sent < BUFFER_MAX) {
                int r = sd_journal_next(st->journal);
                if (r < 0)
                        return log_warning_errno(r, "Failed to read the journal for the audit log: %m");
                if (r == 0)
                        break;
                r = append_entry(st);
                if (r < 0)
                        return r;
                any = true;
        }
        if (any)
                stream_wake(st);
        return 0;
}

static int on_journal(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        AuditStream *st = userdata;
        int r = sd_journal_process(st->journal);
        if (r < 0) {
                log_warning_errno(r, "Failed to follow the journal for the audit log, ending the stream: %m");
                st->ended = true;
                stream_close_journal(st);
                stream_wake(st);
                return 0;
        }
        (void) stream_read_journal(st);
        return 0;
}

static int on_keepalive(sd_event_source *s, uint64_t usec, void *userdata) {
        AuditStream *st = userdata;
        /* Also reads on where the journal lacks inotify and its fd says nothing (sd_journal_get_timeout). */
        if (st->journal)
                (void) stream_read_journal(st);
        if (st->out.size == st->sent && buffer_append(&st->out, ": keepalive\n\n", 13, SIZE_MAX) >= 0)
                stream_wake(st);
        return sd_event_source_set_time_relative(s, KEEPALIVE_USEC);
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max) {
        AuditStream *st = cls;
        size_t n = MIN(st->out.size - st->sent, max);
        if (n > 0) {
                memcpy(buf, st->out.data + st->sent, n);
                st->sent += n;
                if (st->sent == st->out.size) {
                        st->out.size = st->sent = 0;
                        if (st->journal)
                                (void) stream_read_journal(st); /* what waited for the client to catch up */
                }
                return (ssize_t) n;
        }
        if (st->ended || !st->web)
                return MHD_CONTENT_READER_END_OF_STREAM;
        /* Nothing to say yet: step out of MHD's loop until there is (returning 0 alone would spin). */
        MHD_suspend_connection(st->connection);
        st->suspended = true;
        return 0;
}

/* Where a new stream starts: after the event a reconnecting client saw last, else BACKLOG records back. */
static int stream_seek(AuditStream *st, const char *last_event_id) {
        if (last_event_id && sd_journal_seek_cursor(st->journal, last_event_id) >= 0) {
                /* The cursor's own entry was sent; step onto it, then on from there. */
                if (sd_journal_next(st->journal) > 0 && sd_journal_test_cursor(st->journal, last_event_id) > 0)
                        return 0;
                (void) sd_journal_seek_cursor(st->journal, last_event_id);
                return 0;
        }
        int r = sd_journal_seek_tail(st->journal);
        if (r < 0)
                return r;
        r = sd_journal_previous_skip(st->journal, BACKLOG + 1);
        if (r < 0)
                return r;
        if (r <= BACKLOG) /* fewer records than that: from the first one */
                return sd_journal_seek_head(st->journal);
        return 0;
}

static int stream_open(Web *w, struct MHD_Connection *c, AuditStream **ret) {
        AuditStream *st = new0(AuditStream, 1);
        if (!st)
                return -ENOMEM;
        st->connection = c;
        int r = sd_journal_open(&st->journal, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
        if (r >= 0)
                r = sd_journal_add_match(st->journal, "MESSAGE_ID=" AUDIT_MESSAGE_ID, 0);
        if (r >= 0)
                r = stream_seek(st, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID"));
        int fd = r >= 0 ? sd_journal_get_fd(st->journal) : r;
        if (fd < 0) {
                stream_free(st);
                return fd;
        }
        r = sd_event_add_io(w->gateway->event, &st->io, fd, (uint32_t) sd_journal_get_events(st->journal), on_journal,
                st);
        if (r >= 0)
                r = sd_event_add_time_relative(w->gateway->event, &st->keepalive, CLOCK_MONOTONIC, KEEPALIVE_USEC,
                        USEC_PER_SEC, on_keepalive, st);
        if (r >= 0)
                r = sd_event_source_set_enabled(st->keepalive, SD_EVENT_ON);
        if (r >= 0)
                r = buffer_append(&st->out, "retry: 3000\n\n", 13, SIZE_MAX);
        if (r >= 0)
                r = stream_read_journal(st);
        if (r < 0) {
                stream_free(st);
                return r;
        }
        (void) sd_event_source_set_description(st->io, "audit-journal");
        st->web = w;
        LIST_PREPEND(w->streams, st);
        w->n_streams++;
        *ret = st;
        return 0;
}

int web_audit_route(Web *w, struct MHD_Connection *c, const char *method) {
        if (!streq(method, MHD_HTTP_METHOD_GET))
                return web_respond_empty(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET");
        _cleanup_(mcp_identity_unrefp) McpIdentity *identity = NULL;
        int result = MHD_NO;
        int r = web_identify(w, c, false, &identity, &result);
        if (r < 0)
                return MHD_NO;
        if (r == 0)
                return result;
        if (!web_scopes_have(identity->scopes, "admin"))
                return web_respond_error(c, MHD_HTTP_FORBIDDEN,
                        "Forbidden: %s may not read the audit log (the scope admin is needed)", identity->principal);
        if (w->n_streams >= STREAMS_MAX)
                return web_respond_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
                        "The audit log is being followed by %u clients already; close one", w->n_streams);

        AuditStream *st;
        r = stream_open(w, c, &st);
        if (r < 0) {
                log_warning_errno(r, "Failed to open the journal for the audit log: %m");
                return web_respond_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
                        "The journal cannot be read here (%s); the gateway needs to be in the group systemd-journal",
                        strerror(-r));
        }
        struct MHD_Response *response =
                MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, stream_reader, st, stream_free);
        if (!response) {
                stream_free(st);
                return MHD_NO;
        }
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
        MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        MHD_add_response_header(response, "X-Accel-Buffering", "no");
        log_info("%s follows the audit log.", identity->principal);
        return web_respond(c, MHD_HTTP_OK, response);
}

void web_stop_streams(Web *w) {
        if (!w)
                return;
        LIST_FOREACH(st, w->streams) {
                LIST_REMOVE(w->streams, st);
                st->web = NULL;
                st->ended = true;
                stream_close_journal(st);
                stream_wake(st);
        }
        w->n_streams = 0;
}
