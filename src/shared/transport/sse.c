/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An incremental text/event-stream (Server-Sent Events) parser: bytes in as they arrive, events out. */
#include "sse.h"

static const char bom[] = "\xEF\xBB\xBF";

void sse_parser_init(SseParser *p, size_t max, SseHandler handler, void *userdata) {
        assert(handler);
        *p = (SseParser){
                .max = max,
                .handler = handler,
                .userdata = userdata,
        };
}

void sse_parser_done(SseParser *p) {
        free(p->last_event_id);
        free(p->event);
        buffer_done(&p->line);
        buffer_done(&p->data);
        *p = (SseParser){};
}

static int sse_dispatch(SseParser *p) {
        Buffer *d = &p->data;
        _cleanup_free_ char *event = TAKE_PTR(p->event);
        if (d->size == 0)
                return 0;       /* an event without data (a priming event) carries only an id */
        d->data[--d->size] = 0; /* the \n after the last data line */

        SseEvent e = {
                .id = p->last_event_id,
                .event = event,
                .data = d->data,
                .size = d->size,
                .has_retry = p->has_retry,
                .retry_ms = p->retry_ms,
        };
        int r = p->handler(&e, p->userdata);
        d->size = 0;
        return r;
}

static int sse_line(SseParser *p, const char *line, size_t n) {
        if (n == 0)
                return sse_dispatch(p);
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
                int r = buffer_append(&p->data, value, l, p->max);
                return r < 0 ? r : buffer_append(&p->data, "\n", 1, p->max);
        }
        if (field == 2 && memcmp(line, "id", 2) == 0) {
                if (memchr(value, 0, l) || l > SSE_ID_MAX)
                        return 0;
                char *id = strndup(value, l);
                if (!id)
                        return -ENOMEM;
                free(p->last_event_id);
                p->last_event_id = id;
                return 0;
        }
        if (field == 5 && memcmp(line, "event", 5) == 0) {
                char *event = strndup(value, l);
                if (!event)
                        return -ENOMEM;
                free(p->event);
                p->event = event;
                return 0;
        }
        if (field == 5 && memcmp(line, "retry", 5) == 0 && l > 0 && l < 10) {
                uint64_t ms = 0;
                for (size_t i = 0; i < l; i++) {
                        if (value[i] < '0' || value[i] > '9')
                                return 0;
                        ms = ms * 10 + (uint64_t) (value[i] - '0');
                }
                p->retry_ms = ms;
                p->has_retry = true;
        }
        return 0; /* unknown fields */
}

/* Splits what arrives into lines (\n, \r\n or \r), keeping an incomplete one for the next chunk. */
static int sse_lines(SseParser *p, const char *s, size_t n) {
        while (n > 0) {
                if (p->cr) {
                        p->cr = false;
                        if (*s == '\n') {
                                s++;
                                n--;
                                continue;
                        }
                }
                size_t l = 0;
                while (l < n && s[l] != '\n' && s[l] != '\r')
                        l++;
                if (l == n)
                        return buffer_append(&p->line, s, n, p->max);

                int r;
                if (p->line.size > 0) {
                        r = buffer_append(&p->line, s, l, p->max);
                        if (r >= 0)
                                r = sse_line(p, p->line.data, p->line.size);
                        p->line.size = 0;
                } else
                        r = sse_line(p, s, l);
                if (r < 0)
                        return r;
                p->cr = s[l] == '\r';
                s += l + 1;
                n -= l + 1;
        }
        return 0;
}

int sse_feed(SseParser *p, const char *data, size_t n) {
        /* One byte order mark at the start is not part of the stream. */
        while (!p->started && n > 0) {
                if (*data == bom[p->bom]) {
                        data++;
                        n--;
                        p->started = ++p->bom == strlen(bom);
                        continue;
                }
                p->started = true;
                int r = sse_lines(p, bom, p->bom); /* what looked like one is text after all */
                if (r < 0)
                        return r;
        }
        return sse_lines(p, data, n);
}
