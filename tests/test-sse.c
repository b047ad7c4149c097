/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The SSE parser reads a text/event-stream however it is cut into chunks, and refuses what is too large. */
#include <check.h>
#include <stdio.h>

#include "sse.h"
#include "test-util.h"

/* The events a stream gave, one line each: "event|id|data" (data with \n as "\\n"), "-" for NULL. */
typedef struct Seen {
        char text[4096];
        size_t size;
        unsigned n;
        int fail; /* what the handler returns */
} Seen;

static int record(const SseEvent *e, void *userdata) {
        Seen *seen = userdata;
        char *p = seen->text + seen->size;
        size_t left = sizeof(seen->text) - seen->size;
        int n = snprintf(p, left, "%s|%s|", e->event ?: "-", e->id ?: "-");
        ck_assert_int_ge(n, 0);
        ck_assert_uint_lt((size_t) n, left);
        seen->size += n;
        ck_assert_uint_eq(strlen(e->data), e->size);
        for (size_t i = 0; i < e->size; i++) {
                ck_assert_uint_lt(seen->size + 3, sizeof(seen->text));
                if (e->data[i] == '\n') {
                        seen->text[seen->size++] = '\\';
                        seen->text[seen->size++] = 'n';
                } else
                        seen->text[seen->size++] = e->data[i];
        }
        seen->text[seen->size++] = '\n';
        seen->text[seen->size] = 0;
        seen->n++;
        return seen->fail;
}

/* Feeds stream in chunks of chunk bytes; returns the first error or 0. */
static int feed(SseParser *p, const char *stream, size_t chunk) {
        for (size_t n = strlen(stream); n > 0;) {
                size_t l = MIN(n, chunk);
                int r = sse_feed(p, stream, l);
                if (r < 0)
                        return r;
                stream += l;
                n -= l;
        }
        return 0;
}

/* Parses stream whole, then cut in two at every byte, then a byte at a time: each gives want. */
static void check_stream(const char *stream, const char *want) {
        size_t n = strlen(stream);
        for (size_t cut = 0; cut <= n + 1; cut++) {
                Seen seen = {};
                SseParser p;
                sse_parser_init(&p, 4096, record, &seen);
                if (cut <= n) {
                        ck_assert_int_eq(sse_feed(&p, stream, cut), 0);
                        ck_assert_int_eq(sse_feed(&p, stream + cut, n - cut), 0);
                } else
                        ck_assert_int_eq(feed(&p, stream, 1), 0);
                ck_assert_msg(streq(seen.text, want), "cut at %zu: got \"%s\", want \"%s\"", cut, seen.text, want);
                sse_parser_done(&p);
        }
}

START_TEST(test_events_split_at_every_byte) {
        check_stream("data: {\"a\":1}\n\nevent: note\ndata: two\n\ndata: three\n\n",
                "-|-|{\"a\":1}\nnote|-|two\n-|-|three\n");
}
END_TEST

START_TEST(test_lf_crlf_and_cr_end_lines) {
        check_stream("data: a\n\n", "-|-|a\n");
        check_stream("data: a\r\n\r\n", "-|-|a\n");
        check_stream("data: a\r\r", "-|-|a\n");
        check_stream("data: a\r\ndata: b\rdata: c\n\r\n", "-|-|a\\nb\\nc\n");
        /* \r\n is one line end, \n\r two. */
        check_stream("data: a\n\rdata: b\r\n\n", "-|-|a\n-|-|b\n");
}
END_TEST

START_TEST(test_comments_are_ignored) {
        check_stream(": keep-alive\n\n:\ndata: a\n: in between\ndata: b\n\n", "-|-|a\\nb\n");
}
END_TEST

START_TEST(test_data_lines_join_with_newlines) {
        check_stream("data: one\ndata:two\ndata\ndata:  four\n\n", "-|-|one\\ntwo\\n\\n four\n");
}
END_TEST

START_TEST(test_event_without_data_is_not_dispatched) {
        check_stream("id: 1\nevent: x\n\ndata: a\n\n", "-|1|a\n");
        /* An empty data: line is data, though empty. */
        check_stream("data:\n\n", "-|-|\n");
        /* An incomplete event at the end is not an event. */
        check_stream("data: a\n", "");
}
END_TEST

START_TEST(test_id_persists_and_retry_is_read) {
        check_stream("id: 7\ndata: a\n\ndata: b\n\nid\ndata: c\n\n", "-|7|a\n-|7|b\n-||c\n");

        Seen seen = {};
        SseParser p;
        sse_parser_init(&p, 4096, record, &seen);
        ck_assert_int_eq(feed(&p, "retry: 2500\nid: 42\n\n", 3), 0);
        ck_assert_uint_eq(seen.n, 0); /* a priming event: no data */
        ck_assert_str_eq(p.last_event_id, "42");
        ck_assert(p.has_retry);
        ck_assert_uint_eq(p.retry_ms, 2500);

        /* retry: with anything but digits is ignored; id: with a NUL, or too long, too. */
        const char bad[] = "retry: 12a\nretry:\nretry: 1234567890\nid: x\0y\n\n";
        ck_assert_int_eq(sse_feed(&p, bad, sizeof(bad) - 1), 0);
        ck_assert_uint_eq(p.retry_ms, 2500);
        ck_assert_str_eq(p.last_event_id, "42");
        char long_id[SSE_ID_MAX + 16];
        int n = snprintf(long_id, sizeof(long_id), "id: %0*d\n", (int) SSE_ID_MAX + 1, 0);
        ck_assert_int_eq(sse_feed(&p, long_id, n), 0);
        ck_assert_str_eq(p.last_event_id, "42");

        /* The id of the event is the last one so far; an id: without data still counts afterwards. */
        ck_assert_int_eq(feed(&p, "id: 43\nretry: 10\ndata: z\n\nid: 44\n", 5), 0);
        ck_assert_str_eq(seen.text, "-|43|z\n");
        ck_assert_str_eq(p.last_event_id, "44");
        ck_assert_uint_eq(p.retry_ms, 10);
        sse_parser_done(&p);
}
END_TEST

START_TEST(test_a_bom_at_the_start_is_skipped) {
        check_stream("\xEF\xBB\xBF"
                     "data: a\n\n",
                "-|-|a\n");
        /* Only one, and only at the start: a second one makes a field of another name. */
        check_stream("\xEF\xBB\xBF\xEF\xBB\xBF"
                     "data: a\n\ndata: b\n\n",
                "-|-|b\n");
        /* The start of one that is not one is text. */
        check_stream("\xEF\xBB"
                     "data: a\n\ndata: b\n\n",
                "-|-|b\n");
}
END_TEST

START_TEST(test_oversized_event_is_refused) {
        Seen seen = {};
        SseParser p;

        /* A line longer than the limit, in one chunk or in many. */
        for (size_t chunk = 1; chunk <= 40; chunk++) {
                sse_parser_init(&p, 16, record, &seen);
                ck_assert_int_eq(feed(&p, "data: 0123456789abcdef\n\n", chunk), -E2BIG);
                sse_parser_done(&p);
        }

        /* Lines short enough, that make an event too large. */
        sse_parser_init(&p, 16, record, &seen);
        ck_assert_int_eq(feed(&p, "data: 01234\ndata: 56789\ndata: abcde\n\n", 4), -E2BIG);
        sse_parser_done(&p);

        /* Just within the limit, again and again. */
        sse_parser_init(&p, 16, record, &seen);
        for (unsigned i = 0; i < 3; i++)
                ck_assert_int_eq(feed(&p, "data: 0123456789\ndata: abcd\n\n", 2), 0);
        ck_assert_uint_eq(seen.n, 3);
        sse_parser_done(&p);
        ck_assert_str_eq(seen.text, "-|-|0123456789\\nabcd\n-|-|0123456789\\nabcd\n-|-|0123456789\\nabcd\n");
}
END_TEST

START_TEST(test_handler_error_stops_the_feed) {
        Seen seen = { .fail = -EBADMSG };
        SseParser p;
        sse_parser_init(&p, 4096, record, &seen);
        ck_assert_int_eq(sse_feed(&p, "data: a\n\ndata: b\n\n", 18), -EBADMSG);
        ck_assert_uint_eq(seen.n, 1);
        sse_parser_done(&p);
}
END_TEST

static Suite *sse_suite(void) {
        Suite *s = suite_create("sse");
        TCase *tc = tcase_create("sse");
        tcase_add_test(tc, test_events_split_at_every_byte);
        tcase_add_test(tc, test_lf_crlf_and_cr_end_lines);
        tcase_add_test(tc, test_comments_are_ignored);
        tcase_add_test(tc, test_data_lines_join_with_newlines);
        tcase_add_test(tc, test_event_without_data_is_not_dispatched);
        tcase_add_test(tc, test_id_persists_and_retry_is_read);
        tcase_add_test(tc, test_a_bom_at_the_start_is_skipped);
        tcase_add_test(tc, test_oversized_event_is_refused);
        tcase_add_test(tc, test_handler_error_stops_the_feed);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_run_suite(sse_suite());
}
