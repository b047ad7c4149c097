/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Host and Origin allow-lists, the DNS-rebinding defence of the HTTP transport. */
#include <check.h>

#include "mcp-http.h"
#include "test-util.h"

START_TEST(test_loopback_hosts_are_allowed_by_default) {
        ck_assert(mcp_http_host_allowed(NULL, "localhost"));
        ck_assert(mcp_http_host_allowed(NULL, "localhost:8080"));
        ck_assert(mcp_http_host_allowed(NULL, "127.0.0.1:9000"));
        ck_assert(mcp_http_host_allowed(NULL, "[::1]:9000"));
        ck_assert(mcp_http_host_allowed(NULL, "LOCALHOST:1"));
}
END_TEST

START_TEST(test_other_hosts_are_refused_by_default) {
        ck_assert(!mcp_http_host_allowed(NULL, NULL));
        ck_assert(!mcp_http_host_allowed(NULL, ""));
        ck_assert(!mcp_http_host_allowed(NULL, "evil.example"));
        ck_assert(!mcp_http_host_allowed(NULL, "localhost.evil.example"));
        ck_assert(!mcp_http_host_allowed(NULL, "127.0.0.1.evil.example:80"));
        ck_assert(!mcp_http_host_allowed(NULL, "localhost:80x"));
        ck_assert(!mcp_http_host_allowed(NULL, "localhost:"));
        ck_assert(!mcp_http_host_allowed(NULL, "[::1"));
        ck_assert(!mcp_http_host_allowed(NULL, "[::2]:80"));
}
END_TEST

START_TEST(test_configured_hosts_replace_the_default) {
        char *allowed[] = { (char *) "mcp.example.org", NULL };
        ck_assert(mcp_http_host_allowed(allowed, "mcp.example.org:443"));
        ck_assert(!mcp_http_host_allowed(allowed, "localhost"));
}
END_TEST

START_TEST(test_origins_need_a_scheme_and_an_allowed_host) {
        ck_assert(mcp_http_origin_allowed(NULL, "http://localhost:3000"));
        ck_assert(mcp_http_origin_allowed(NULL, "https://127.0.0.1"));
        ck_assert(!mcp_http_origin_allowed(NULL, "null"));
        ck_assert(!mcp_http_origin_allowed(NULL, "file://localhost"));
        ck_assert(!mcp_http_origin_allowed(NULL, "http://evil.example"));
        ck_assert(!mcp_http_origin_allowed(NULL, "http://localhost:3000/path"));
}
END_TEST

static Suite *allow_suite(void) {
        Suite *s = suite_create("http-allow");
        TCase *tc = tcase_create("allow-list");
        tcase_add_test(tc, test_loopback_hosts_are_allowed_by_default);
        tcase_add_test(tc, test_other_hosts_are_refused_by_default);
        tcase_add_test(tc, test_configured_hosts_replace_the_default);
        tcase_add_test(tc, test_origins_need_a_scheme_and_an_allowed_host);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_run_suite(allow_suite());
}
