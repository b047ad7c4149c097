/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The per-session memory attacks against the real aios-conformanced over HTTP, bounded in count: 1 MB
 * subscription URIs, 1 MB client capabilities, subscriptions up to the session's limit; the server's RSS
 * before and after each says whether it kept what it was sent. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test-server.h"
#include "test-util.h"

static TestServer server;

static void setup(void) {
        static const char *const args[] = { "--max-body=2097152", NULL };
        test_server_start_ready(&server, args);
}

static void teardown(void) {
        test_server_stop(&server);
}

/* The server's resident set, in KiB. */
static long server_rss_kib(void) {
        char path[64], line[256];
        snprintf(path, sizeof(path), "/proc/%d/status", (int) server.pid);
        FILE *f = fopen(path, "re");
        ck_assert_ptr_nonnull(f);
        long kib = -1;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
                        break;
        fclose(f);
        ck_assert_int_gt(kib, 0);
        return kib;
}

static char *filler(size_t n) {
        char *s = malloc(n + 1);
        ck_assert_ptr_nonnull(s);
        memset(s, 'a', n);
        s[n] = 0;
        return s;
}

/* POSTs body on the session; returns the reply's body (static, overwritten by the next call). */
static const char *post(const char *session, const char *body) {
        static HttpReply r;
        char extra[512];
        http_reply_clear(&r);
        snprintf(extra, sizeof(extra), "Mcp-Session-Id: %s\r\nMCP-Protocol-Version: 2025-11-25\r\n", session);
        ck_assert_int_eq(http_call(&server, "POST", extra, body, &r), 200);
        return r.body ?: "";
}

#define MIB 1048576

START_TEST(test_megabyte_uris_are_not_kept) {
        char session[128];
        snprintf(session, sizeof(session), "%s", mcp_test_initialize(&server, "2025-11-25"));
        _cleanup_free_ char *long_part = filler(MIB), *body = NULL;
        ck_assert_int_ge(asprintf(&body,
                                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/subscribe\","
                                 "\"params\":{\"uri\":\"test://template/%s/data\"}}",
                                 long_part),
                0);
        (void) post(session, body); /* the first round's buffers are the baseline */
        long before = server_rss_kib();
        for (int i = 0; i < 100; i++)
                ck_assert_ptr_nonnull(strstr(post(session, body), "longer than 8192 bytes"));
        long grown = server_rss_kib() - before;
        fprintf(stderr, "the server grew by %ld KiB\n", grown);
        /* 100 MB were sent; kept, they would be more than 100 MB. */
        ck_assert_msg(grown < 16 * 1024, "the server grew by %ld KiB", grown);
}
END_TEST

START_TEST(test_megabyte_capabilities_are_not_kept) {
        _cleanup_free_ char *big = filler(MIB), *body = NULL;
        ck_assert_int_ge(asprintf(&body,
                                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                                 "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{\"x\":\"%s\"},"
                                 "\"clientInfo\":{\"name\":\"soak\",\"version\":\"1\"}}}",
                                 big),
                0);
        HttpReply r = {};
        ck_assert_int_eq(http_call(&server, "POST", NULL, body, &r), 200);
        http_reply_clear(&r);
        long before = server_rss_kib();
        for (int i = 0; i < 40; i++) {
                ck_assert_int_eq(http_call(&server, "POST", NULL, body, &r), 200);
                ck_assert_msg(strstr(r.body ?: "", "capabilities\\\" is larger than 65536 bytes"), "%.300s",
                        r.body ?: "(none)");
                http_reply_clear(&r);
        }
        long grown = server_rss_kib() - before;
        fprintf(stderr, "the server grew by %ld KiB\n", grown);
        ck_assert_msg(grown < 16 * 1024, "the server grew by %ld KiB", grown);
}
END_TEST

START_TEST(test_subscriptions_stop_at_the_session_limit) {
        char session[128];
        snprintf(session, sizeof(session), "%s", mcp_test_initialize(&server, "2025-11-25"));
        _cleanup_free_ char *part = filler(8000);
        long before = server_rss_kib();
        for (int i = 0; i <= 1000; i++) {
                _cleanup_free_ char *body = NULL;
                ck_assert_int_ge(asprintf(&body,
                                         "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"resources/subscribe\","
                                         "\"params\":{\"uri\":\"test://template/%d%s/data\"}}",
                                         i, i, part),
                        0);
                const char *reply = post(session, body);
                if (i < 1000)
                        ck_assert_msg(strstr(reply, "\"result\""), "subscription %d: %s", i, reply);
                else
                        ck_assert_msg(strstr(reply, "this session holds 1000 resource subscriptions"), "%s", reply);
        }
        /* 1,000 URIs of 8 KB are 8 MB, and that is all a session can hold. */
        long grown = server_rss_kib() - before;
        fprintf(stderr, "the server grew by %ld KiB\n", grown);
        ck_assert_msg(grown < 24 * 1024, "the server grew by %ld KiB", grown);
}
END_TEST

static Suite *soak_suite(void) {
        Suite *s = suite_create("soak");
        TCase *tc = tcase_create("per-session state");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_megabyte_uris_are_not_kept);
        tcase_add_test(tc, test_megabyte_capabilities_are_not_kept);
        tcase_add_test(tc, test_subscriptions_stop_at_the_session_limit);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_run_suite(soak_suite());
}
