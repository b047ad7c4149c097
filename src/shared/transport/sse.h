/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An incremental text/event-stream (Server-Sent Events) parser: bytes in as they arrive, events out. */
#pragma once

#include <stdint.h>

#include "buffer.h"

/* An id: longer than this is ignored: a client sends it back in a Last-Event-ID header. */
#define SSE_ID_MAX 1024U

typedef struct SseEvent {
        const char *id;    /* the last id: so far, NULL when none came */
        const char *event; /* its event: field, NULL when it had none (a "message") */
        const char *data;  /* its data: lines joined by \n, NUL-terminated */
        size_t size;       /* of data */
        bool has_retry;    /* whether a retry: came so far, and the last one */
        uint64_t retry_ms;
} SseEvent;

/* Called for each event with data. A negative return stops sse_feed(), which returns it. */
typedef int (*SseHandler)(const SseEvent *event, void *userdata);

typedef struct SseParser {
        /* What the stream said so far, for whoever reconnects: the last id: (which may be taken) and the
         * last retry:, whether or not an event was dispatched since. */
        char *last_event_id;
        bool has_retry;
        uint64_t retry_ms;

        /* private */
        size_t max;
        SseHandler handler;
        void *userdata;
        size_t bom;   /* bytes of a byte order mark read at the start */
        bool started; /* past where a byte order mark can be */
        bool cr;      /* the last chunk ended in \r */
        Buffer line;  /* a line not complete yet */
        Buffer data;  /* the data of the event being read */
        char *event;  /* its event: */
} SseParser;

/* max limits a line and an event's data: more is refused with -E2BIG. */
void sse_parser_init(SseParser *p, size_t max, SseHandler handler, void *userdata);
void sse_parser_done(SseParser *p);

/* Reads the next n bytes of the stream. Returns 0, -E2BIG, -ENOMEM or what the handler returned. */
int sse_feed(SseParser *p, const char *data, size_t n);
