/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Streamable HTTP against the real aios-conformanced, started through socket activation: every check of the
 * request path answers with its status, and bad or slow clients cost the server nothing. */
#include <check.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mcp-http-stream.h"
#include "test-server.h"
#include "test-util.h"

#define PING "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}"

static TestServer server;

static void setup(void) {
        static const char *const args[] = { "--connection-timeout=2", "--max-body=65536", "--max-connections=16",
                "--session-timeout=3", NULL };
        test_server_start(&server, NULL, args);
        /* Wait until the server took over the socket. */
        HttpReply r = {};
        for (int i = 0; i < 100 && http_call(&server, "GET", NULL, NULL, &r) == 0; i++)
                usleep(20000);
        http_reply_clear(&r);
}

static void teardown(void) {
        test_server_stop(&server);
}

static int post_with_session(const char *session, const char *body, HttpReply *r) {
        char extra[512];
        snprintf(extra, sizeof(extra), "Mcp-Session-Id: %s\r\nMCP-Protocol-Version: 2025-11-25\r\n", session);
        return http_call(&server, "POST", extra, body, r);
}

static uint64_t now_msec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* Waits until the server holds at most n connections: it noticed that the clients of the others went away. */
static bool wait_server_connections_at_most(unsigned n, int timeout_ms) {
        for (uint64_t deadline = now_msec() + timeout_ms; now_msec() < deadline; usleep(10000))
                if (test_server_connections(&server) <= n)
                        return true;
        return false;
}

/* Reads a status line from fd for at most timeout_ms: the status, 0 when the server closed first, -1 when
 * nothing came. */
static int read_status(int fd, int timeout_ms) {
        char buf[1024];
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, timeout_ms) <= 0)
                return -1;
        ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
        if (n <= 0)
                return 0;
        buf[n] = 0;
        int status = 0;
        return sscanf(buf, "HTTP/1.1 %d", &status) == 1 ? status : 0;
}

START_TEST(test_initialize_creates_session) {
        const char *id = mcp_test_initialize(&server, "2025-11-25");
        ck_assert_int_ge(strlen(id), 32);
        for (const char *p = id; *p; p++)
                ck_assert(*p > 0x20 && *p < 0x7f);
        HttpReply r = {};
        ck_assert_int_eq(post_with_session(id, PING, &r), 200);
        ck_assert_ptr_nonnull(strstr(r.body, "\"result\":{}"));
        http_reply_clear(&r);
}
END_TEST

START_TEST(test_missing_session_id_gives_400) {
        HttpReply r = {};
        ck_assert_int_eq(http_call(&server, "POST", NULL, PING, &r), 400);
        ck_assert_ptr_nonnull(strstr(r.body, "Mcp-Session-Id"));
        http_reply_clear(&r);
}
END_TEST

START_TEST(test_unknown_session_id_gives_404) {
        HttpReply r = {};
        ck_assert_int_eq(post_with_session("0123456789abcdef0123456789abcdef", PING, &r), 404);
        http_reply_clear(&r);
}
END_TEST

START_TEST(test_deleted_session_gives_404) {
        char id[256], extra[512];
        snprintf(id, sizeof(id), "%s", mcp_test_initialize(&server, "2025-11-25"));
        snprintf(extra, sizeof(extra), "Mcp-Session-Id: %s\r\n", id);
        HttpReply r = {};
        ck_assert_int_eq(http_call(&server, "DELETE", extra, NULL, &r), 200);
        ck_assert_int_eq(post_with_session(id, PING, &r), 404);
        ck_assert_int_eq(http_call(&server, "DELETE", extra, NULL, &r), 404);
        http_reply_clear(&r);
}
END_TEST

START_TEST(test_idle_session_is_ended) {
        char id[256], extra[512];
        snprintf(id, sizeof(id), "%s", mcp_test_initialize(&server, "2025-11-25"));
        uint64_t start = now_msec();
        /* Asking for an unknown event finds the session without using it (a request would keep it alive):
         * 404 for the event while the session lives, 404 "Session not found" once it is ended. */
        snprintf(extra, sizeof(extra), "Mcp-Session-Id: %s\r\nLast-Event-ID: 99-1\r\n", id);
        HttpReply r = {};
        bool ended = false;
        while (!ended && now_msec() < start + 8000) {
                ck_assert_int_eq(http_call(&server, "GET", extra, NULL, &r), 404);
                ended = strstr(r.body, "Session not found") != NULL;
                http_reply_clear(&r);
                if (!ended)
                        usleep(100000);
        }
        ck_assert(ended);
        /* --session-timeout=3, swept at least every 0.75 s */
        ck_assert_uint_ge(now_msec() - start, 2900);
        ck_assert_int_eq(post_with_session(id, PING, &r), 404);
        http_reply_clear(&r);
}
END_TEST

START_TEST(test_foreign_host_gives_403) {
        const char raw[] = "POST /mcp HTTP/1.1\r\nHost: evil.example:80\r\nContent-Type: application/json\r\n"
                           "Content-Length: 2\r\n\r\n{}";
        HttpReply r = {};
        ck_assert_int_eq(http_raw(&server, raw, strlen(raw), &r), 403);
        http_reply_clear(&r);
}
END_TEST

START_TEST(test_foreign_origin_gives_403) {
        HttpReply r = {};
        ck_assert_int_eq(http_call(&server, "POST", "Origin: http://evil.example\r\n", PING, &r), 403);
        ck_assert_int_eq(http_call(&server, "POST", "Origin: http://localhost.evil.example:3000\r\n", PING, &r), 403);
        ck_assert_int_eq(http_call(&server, "POST", "Origin: null\r\n", PING, &r), 403);
        /* a loopback origin passes the check and reaches the session check */
        ck_assert_int_eq(http_call(&server, "POST", "Origin: http://localhost:3000\r\n", PING, &r), 400);
        http_reply_clear(&r);
}
END_TEST

START_TEST(test_unsupported_protocol_version_gives_400) {
        HttpReply r = {};
        ck_assert_int_eq(http_call(&server, "POST", "MCP-Protocol-Version: 1999-01-01\r\n", PING, &r), 400);
        ck_assert_ptr_nonnull(strstr(r.body, "MCP-Protocol-Version"));
        http_reply_clear(&r);
}
END_TEST

START_TEST(test_wrong_content_type_gives_415) {
        char raw[256];
        snprintf(raw, sizeof(raw),
                "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                "Content-Length: %zu\r\n\r\n%s",
                strlen(PING), PING);
        HttpReply r = {};
        ck_assert_int_eq(http_raw(&server, raw, strlen(raw), &r), 415);
        http_reply_clear(&r);
}
END_TEST

START_TEST(test_accepting_neither_type_gives_406) {
        char raw[256];
        snprintf(raw, sizeof(raw),
                "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n"
                "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                strlen(PING), PING);
        HttpReply r = {};
        ck_assert_int_eq(http_raw(&server, raw, strlen(raw), &r), 406);
        http_reply_clear(&r);
}
END_TEST

START_TEST(test_oversized_body_gives_413) {
        size_t n = 100 * 1024;
        char *body = malloc(n + 1);
        memset(body, ' ', n);
        body[n] = 0;
        body[0] = '{';
        body[n - 1] = '}';
        HttpReply r = {};
        ck_assert_int_eq(http_call(&server, "POST", NULL, body, &r), 413);
        http_reply_clear(&r);

        /* Without Content-Length (chunked), the limit holds while reading. */
        char *raw = NULL;
        ck_assert_int_gt(asprintf(&raw,
                                 "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                 "Transfer-Encoding: chunked\r\n\r\n%zx\r\n%s\r\n0\r\n\r\n",
                                 n, body),
                0);
        ck_assert_int_eq(http_raw(&server, raw, strlen(raw), &r), 413);
        http_reply_clear(&r);
        free(raw);
        free(body);
        ck_assert(test_server_alive(&server));
}
END_TEST

START_TEST(test_malformed_json_gives_parse_error) {
        const char *id = mcp_test_initialize(&server, "2025-11-25");
        HttpReply r = {};
        ck_assert_int_eq(post_with_session(id, "{\"jsonrpc\":\"2.0\",", &r), 400);
        ck_assert_ptr_nonnull(strstr(r.body, "-32700"));
        ck_assert_int_eq(post_with_session(id, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\"}", &r), 400);
        ck_assert_int_eq(post_with_session(id, "[1,2", &r), 400);
        http_reply_clear(&r);
}
END_TEST

START_TEST(test_invalid_request_gives_400) {
        const char *id = mcp_test_initialize(&server, "2025-11-25");
        HttpReply r = {};
        ck_assert_int_eq(post_with_session(id, "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}", &r), 400);
        ck_assert_ptr_nonnull(strstr(r.body, "-32600"));
        http_reply_clear(&r);
}
END_TEST

START_TEST(test_unknown_tool_is_json_rpc_error) {
        const char *id = mcp_test_initialize(&server, "2025-11-25");
        HttpReply r = {};
        ck_assert_int_eq(
                post_with_session(id,
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"nope\"}}", &r),
                200);
        ck_assert_ptr_nonnull(strstr(r.body, "-32602"));
        http_reply_clear(&r);
}
END_TEST

START_TEST(test_notification_gives_202) {
        const char *id = mcp_test_initialize(&server, "2025-11-25");
        HttpReply r = {};
        ck_assert_int_eq(post_with_session(id, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", &r),
                202);
        ck_assert_int_eq(r.body_size, 0);
        http_reply_clear(&r);
}
END_TEST

START_TEST(test_unknown_path_gives_404_and_put_gives_405) {
        const char raw[] = "GET /other HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        HttpReply r = {};
        ck_assert_int_eq(http_raw(&server, raw, strlen(raw), &r), 404);
        ck_assert_int_eq(http_call(&server, "PUT", NULL, PING, &r), 405);
        char allow[64];
        ck_assert_ptr_nonnull(http_reply_header(&r, "allow", allow, sizeof(allow)));
        http_reply_clear(&r);
}
END_TEST

START_TEST(test_second_get_stream_gives_409) {
        char id[256], raw[512];
        snprintf(id, sizeof(id), "%s", mcp_test_initialize(&server, "2025-11-25"));
        snprintf(raw, sizeof(raw),
                "GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                "Mcp-Session-Id: %s\r\n\r\n",
                id);

        int fd = test_connect(&server);
        ck_assert_int_eq(send(fd, raw, strlen(raw), 0), (ssize_t) strlen(raw));
        char buf[512];
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ck_assert_int_eq(poll(&p, 1, 5000), 1);
        ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
        ck_assert_int_gt(n, 0);
        buf[n] = 0;
        ck_assert_ptr_nonnull(strstr(buf, "200 OK"));
        ck_assert_ptr_nonnull(strstr(buf, "text/event-stream"));

        HttpReply r = {};
        ck_assert_int_eq(http_raw(&server, raw, strlen(raw), &r), 409);
        http_reply_clear(&r);
        close(fd);
}
END_TEST

START_TEST(test_delete_ends_open_get_stream) {
        char id[256], raw[512], extra[300];
        snprintf(id, sizeof(id), "%s", mcp_test_initialize(&server, "2025-11-25"));
        snprintf(raw, sizeof(raw),
                "GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                "Mcp-Session-Id: %s\r\n\r\n",
                id);
        int fd = test_connect(&server);
        ck_assert_int_eq(send(fd, raw, strlen(raw), 0), (ssize_t) strlen(raw));
        char buf[4096];
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ck_assert_int_eq(poll(&p, 1, 5000), 1);
        ck_assert_int_gt(recv(fd, buf, sizeof(buf), 0), 0);

        snprintf(extra, sizeof(extra), "Mcp-Session-Id: %s\r\n", id);
        HttpReply r = {};
        ck_assert_int_eq(http_call(&server, "DELETE", extra, NULL, &r), 200);
        http_reply_clear(&r);

        /* The stream ends: the last chunk arrives, or the connection closes. */
        bool ended = false;
        for (int i = 0; i < 20 && !ended; i++) {
                ck_assert_int_eq(poll(&p, 1, 5000), 1);
                ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
                if (n <= 0)
                        ended = true;
                else {
                        buf[n] = 0;
                        ended = strstr(buf, "0\r\n\r\n") != NULL;
                }
        }
        ck_assert(ended);
        close(fd);
}
END_TEST

START_TEST(test_unknown_last_event_id_gives_404) {
        char extra[512];
        snprintf(extra, sizeof(extra), "Mcp-Session-Id: %s\r\nLast-Event-ID: 99-1\r\n",
                mcp_test_initialize(&server, "2025-11-25"));
        HttpReply r = {};
        ck_assert_int_eq(http_call(&server, "GET", extra, NULL, &r), 404);
        snprintf(extra, sizeof(extra), "Mcp-Session-Id: %s\r\nLast-Event-ID: garbage\r\n",
                mcp_test_initialize(&server, "2025-11-25"));
        ck_assert_int_eq(http_call(&server, "GET", extra, NULL, &r), 404);
        http_reply_clear(&r);
}
END_TEST

START_TEST(test_progress_streams_as_sse_with_priming_event) {
        const char *id = mcp_test_initialize(&server, "2025-11-25");
        HttpReply r = {};
        ck_assert_int_eq(post_with_session(id,
                                 "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":"
                                 "{\"name\":\"test_tool_with_progress\",\"_meta\":{\"progressToken\":7}}}",
                                 &r),
                200);
        char ct[64];
        ck_assert_str_eq(http_reply_header(&r, "content-type", ct, sizeof(ct)), "text/event-stream");
        ck_assert_ptr_nonnull(strstr(r.body, "data: \n\n")); /* priming */
        ck_assert_ptr_nonnull(strstr(r.body, "\"progress\":50"));
        ck_assert_ptr_nonnull(strstr(r.body, "\"id\":3,\"result\""));
        http_reply_clear(&r);
}
END_TEST

START_TEST(test_slow_client_is_disconnected) {
        /* Half a request head, then nothing: the connection timeout (2 s), or the deadline for a request head
         * (which is never longer), ends it. */
        int fd = test_connect(&server);
        ck_assert_int_gt(send(fd, "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n", 37, 0), 0);
        int status = read_status(fd, 6000);
        ck_assert_msg(status == 0 || status == 408, "a stalled request head got %d", status);
        close(fd);
}
END_TEST

START_TEST(test_connection_limit_holds_and_recovers) {
        /* --max-connections=16: sixteen idle connections take every place... */
        ck_assert(wait_server_connections_at_most(0, 2000));
        int held[16], extra[4];
        for (size_t i = 0; i < ELEMENTSOF(held); i++)
                held[i] = test_connect(&server);
        for (uint64_t deadline = now_msec() + 2000; test_server_connections(&server) < 16 && now_msec() < deadline;)
                usleep(10000);
        /* At least: on a loaded machine a connection of the test before may still be closing. What matters
         * is below: the extra ones get nothing. */
        ck_assert_uint_ge(test_server_connections(&server), 16);

        /* ...so that more connections get nothing: neither accepted nor answered while those are held. */
        char raw[256];
        snprintf(raw, sizeof(raw),
                "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                "Content-Length: %zu\r\n\r\n%s",
                strlen(PING), PING);
        for (size_t i = 0; i < ELEMENTSOF(extra); i++) {
                extra[i] = test_connect(&server);
                ck_assert_int_gt(send(extra[i], raw, strlen(raw), MSG_NOSIGNAL), 0);
        }
        for (size_t i = 0; i < ELEMENTSOF(extra); i++)
                ck_assert_int_le(read_status(extra[i], i == 0 ? 500 : 10), 0);
        ck_assert_uint_eq(test_server_connections(&server), 16);

        /* Once the held ones go, the waiting ones are served, and so is everyone after them. */
        for (size_t i = 0; i < ELEMENTSOF(held); i++)
                close(held[i]);
        for (size_t i = 0; i < ELEMENTSOF(extra); i++) {
                ck_assert_int_eq(read_status(extra[i], 5000), 400);
                close(extra[i]);
        }
        HttpReply r = {};
        ck_assert_int_eq(http_call(&server, "POST", NULL, PING, &r), 400);
        http_reply_clear(&r);
}
END_TEST

START_TEST(test_garbage_bytes_do_not_hurt) {
        const char garbage[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all\r\n\r\n";
        HttpReply r = {};
        http_raw(&server, garbage, sizeof(garbage) - 1, &r);
        http_reply_clear(&r);
        ck_assert(test_server_alive(&server));
        ck_assert_int_eq(http_call(&server, "POST", NULL, PING, &r), 400);
        http_reply_clear(&r);
}
END_TEST

START_TEST(test_client_gone_mid_call_leaves_server_serving) {
        const char *id = mcp_test_initialize(&server, "2025-11-25");
        char raw[1024];
        const char *body =
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"test_tool_with_logging\"}}";
        snprintf(raw, sizeof(raw),
                "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json, text/event-stream\r\n"
                "Content-Type: application/json\r\nMcp-Session-Id: %s\r\nContent-Length: %zu\r\n\r\n%s",
                id, strlen(body), body);
        ck_assert(wait_server_connections_at_most(0, 2000));
        int fd = test_connect(&server);
        ck_assert_int_gt(send(fd, raw, strlen(raw), 0), 0);
        close(fd);
        /* The server noticed and let the connection go (at the tool's first message, 50 ms in). */
        ck_assert(wait_server_connections_at_most(0, 5000));
        HttpReply r = {};
        ck_assert_int_eq(post_with_session(id, PING, &r), 200);
        http_reply_clear(&r);
}
END_TEST

/* --- the 2026-07-28 wire on the same endpoint ---------------------------------------------------------- */

#define META                                                                                                           \
        "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/clientCapabilities\":{\"elicitation\":{}}}"

static int post_stateless(const char *method, const char *name, const char *body, HttpReply *r) {
        char extra[512];
        snprintf(extra, sizeof(extra), "MCP-Protocol-Version: 2026-07-28\r\nMcp-Method: %s\r\n%s%s%s", method,
                name ? "Mcp-Name: " : "", name ?: "", name ? "\r\n" : "");
        return http_call(&server, "POST", extra, body, r);
}

START_TEST(test_both_eras_interleaved) {
        const char *id = mcp_test_initialize(&server, "2025-11-25");
        HttpReply r = {};

        ck_assert_int_eq(post_stateless("server/discover", NULL,
                                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\",\"params\":{" META "}}",
                                 &r),
                200);
        ck_assert_ptr_nonnull(strstr(r.body, "\"supportedVersions\":[\"2026-07-28\"]"));
        ck_assert_ptr_nonnull(strstr(r.body, "\"io.modelcontextprotocol/serverInfo\""));
        ck_assert_ptr_null(http_reply_header(&r, "mcp-session-id", (char[64]){}, 64));
        http_reply_clear(&r);

        /* The session goes on as before, with no 2026 fields in its results. */
        ck_assert_int_eq(post_with_session(id, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}", &r), 200);
        ck_assert_ptr_null(strstr(r.body, "resultType"));
        ck_assert_ptr_null(strstr(r.body, "ttlMs"));
        http_reply_clear(&r);

        ck_assert_int_eq(post_stateless("tools/list", NULL,
                                 "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\",\"params\":{" META "}}", &r),
                200);
        ck_assert_ptr_nonnull(strstr(r.body, "\"resultType\":\"complete\""));
        ck_assert_ptr_nonnull(strstr(r.body, "\"ttlMs\""));
        http_reply_clear(&r);

        /* An elicitation: a server-to-client request in the session, an input_required result without. */
        ck_assert_int_eq(post_stateless("tools/call", "test_input_required_result_elicitation",
                                 "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":"
                                 "\"test_input_required_result_elicitation\",\"arguments\":{}," META "}}",
                                 &r),
                200);
        ck_assert_ptr_nonnull(strstr(r.body, "\"resultType\":\"input_required\""));
        ck_assert_ptr_nonnull(strstr(r.body, "\"requestState\""));
        http_reply_clear(&r);

        ck_assert_int_eq(post_with_session(id,
                                 "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":"
                                 "\"test_simple_text\",\"arguments\":{}}}",
                                 &r),
                200);
        ck_assert_ptr_nonnull(strstr(r.body, "simple text"));
        http_reply_clear(&r);

        /* Session methods are not there without a session. */
        ck_assert_int_eq(post_stateless("ping", NULL,
                                 "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"ping\",\"params\":{" META "}}", &r),
                404);
        ck_assert_ptr_nonnull(strstr(r.body, "-32601"));
        http_reply_clear(&r);
}
END_TEST

START_TEST(test_stateless_errors_have_their_status) {
        HttpReply r = {};
        /* no _meta */
        ck_assert_int_eq(post_stateless("tools/list", NULL,
                                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{}}", &r),
                400);
        ck_assert_ptr_nonnull(strstr(r.body, "-32602"));
        http_reply_clear(&r);
        /* Mcp-Method differs from the body */
        ck_assert_int_eq(post_stateless("prompts/list", NULL,
                                 "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\",\"params\":{" META "}}", &r),
                400);
        ck_assert_ptr_nonnull(strstr(r.body, "-32020"));
        http_reply_clear(&r);
        /* Mcp-Name missing for tools/call */
        ck_assert_int_eq(
                post_stateless("tools/call", NULL,
                        "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"test_simple_text\"," META
                        "}}",
                        &r),
                400);
        ck_assert_ptr_nonnull(strstr(r.body, "-32020"));
        http_reply_clear(&r);
        /* Mcp-Name with surrounding blanks is the same name */
        ck_assert_int_eq(
                post_stateless("tools/call", "  test_simple_text ",
                        "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"test_simple_text\"," META
                        "}}",
                        &r),
                200);
        http_reply_clear(&r);
        /* a batch */
        ck_assert_int_eq(post_stateless("tools/list", NULL,
                                 "[{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/list\",\"params\":{" META "}}]",
                                 &r),
                400);
        http_reply_clear(&r);
        /* a capability the client did not declare */
        ck_assert_int_eq(
                post_stateless("tools/call", "test_missing_capability",
                        "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/call\",\"params\":{\"name\":\"test_missing_capability\"," META
                        "}}",
                        &r),
                400);
        ck_assert_ptr_nonnull(strstr(r.body, "\"requiredCapabilities\":{\"sampling\":{}}"));
        http_reply_clear(&r);
        /* GET and DELETE have nothing to do there */
        ck_assert_int_eq(http_call(&server, "GET", "MCP-Protocol-Version: 2026-07-28\r\n", NULL, &r), 405);
        http_reply_clear(&r);
        ck_assert_int_eq(http_call(&server, "DELETE", "MCP-Protocol-Version: 2026-07-28\r\n", NULL, &r), 405);
        http_reply_clear(&r);
}
END_TEST

/* Closing the stream of a stateless request cancels it; a listener gone leaves the server serving. */
START_TEST(test_closed_listen_stream_is_forgotten) {
        const char *body =
                "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"subscriptions/listen\",\"params\":{\"notifications\":"
                "{\"toolsListChanged\":true}," META "}}";
        char raw[1024];
        snprintf(raw, sizeof(raw),
                "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json, text/event-stream\r\n"
                "Content-Type: application/json\r\nMCP-Protocol-Version: 2026-07-28\r\nMcp-Method: subscriptions/listen\r\n"
                "Content-Length: %zu\r\n\r\n%s",
                strlen(body), body);
        int fd = test_connect(&server);
        ck_assert_int_gt(send(fd, raw, strlen(raw), 0), 0);
        char buf[4096] = {};
        size_t got = 0;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        while (!strstr(buf, "subscriptionId") && got < sizeof(buf) - 1 && poll(&p, 1, 5000) == 1) {
                ssize_t n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
                if (n <= 0)
                        break;
                got += (size_t) n;
        }
        ck_assert_ptr_nonnull(strstr(buf, "text/event-stream"));
        ck_assert_ptr_nonnull(strstr(buf, "notifications/subscriptions/acknowledged"));
        ck_assert_ptr_nonnull(strstr(buf, "\"io.modelcontextprotocol/subscriptionId\":7"));
        unsigned with_listener = test_server_connections(&server);
        close(fd);
        /* The server noticed at the stream's next keep-alive (--session-timeout=3: every 0.75 s). */
        ck_assert(wait_server_connections_at_most(with_listener - 1, 5000));

        /* A tool list change now has no listener to reach; the server goes on. */
        HttpReply r = {};
        ck_assert_int_eq(
                post_stateless("tools/call", "test_trigger_tool_change",
                        "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":\"test_trigger_tool_change\"," META
                        "}}",
                        &r),
                200);
        http_reply_clear(&r);
        ck_assert(test_server_alive(&server));
}
END_TEST

/* A server behind the gateway (--front-end-credential=): only requests with the gateway's token reach its
 * endpoint; its probes answer anyone, under any Host. */
static char token_path[] = "/tmp/aios-test-front-end-XXXXXX";

static void setup_front_end(void) {
        int fd = mkstemp(token_path);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, "gateway-token-1\n", 16), 16);
        close(fd);
        char option[64];
        snprintf(option, sizeof(option), "--front-end-credential=%s", token_path);
        /* --allow-host= too: it once recursed without end when it was the first name given. */
        const char *const args[] = { option, "--allow-host=aios-conformance", NULL };
        test_server_start(&server, NULL, args);
        HttpReply r = {};
        for (int i = 0; i < 100 && http_call(&server, "GET", NULL, NULL, &r) == 0; i++)
                usleep(20000);
        http_reply_clear(&r);
}

static void teardown_front_end(void) {
        test_server_stop(&server);
        unlink(token_path);
        strcpy(token_path, "/tmp/aios-test-front-end-XXXXXX");
}

START_TEST(test_front_end_token_is_required) {
        HttpReply r = {};
        ck_assert_int_eq(http_call(&server, "POST", NULL, PING, &r), 401);
        ck_assert_ptr_nonnull(strstr(r.headers, "www-authenticate: Bearer"));
        ck_assert_ptr_nonnull(strstr(r.body, "only its front end"));
        http_reply_clear(&r);
        ck_assert_int_eq(http_call(&server, "POST", "Authorization: Bearer gateway-token-2\r\n", PING, &r), 401);
        http_reply_clear(&r);
        ck_assert_int_eq(http_call(&server, "POST", "Authorization: Bearer gateway-token-1x\r\n", PING, &r), 401);
        http_reply_clear(&r);
        ck_assert_int_eq(http_call(&server, "POST", "Authorization: Basic Z2F0ZXdheQ==\r\n", PING, &r), 401);
        http_reply_clear(&r);
        const char initialize[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                                  "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
                                  "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";
        ck_assert_int_eq(http_call(&server, "POST", "Authorization: Bearer gateway-token-1\r\n", initialize, &r), 200);
        ck_assert_ptr_nonnull(strstr(r.body, "\"protocolVersion\""));
        http_reply_clear(&r);
}
END_TEST

START_TEST(test_probes_answer_without_credentials_under_any_host) {
        const char healthz[] = "GET /healthz HTTP/1.1\r\nHost: 10.1.2.3:8000\r\n\r\n";
        HttpReply r = {};
        ck_assert_int_eq(http_raw(&server, healthz, strlen(healthz), &r), 200);
        ck_assert_ptr_nonnull(strstr(r.body, "\"ok\""));
        http_reply_clear(&r);
        const char readyz[] = "GET /readyz HTTP/1.1\r\nHost: 10.1.2.3:8000\r\n\r\n";
        ck_assert_int_eq(http_raw(&server, readyz, strlen(readyz), &r), 200);
        ck_assert_ptr_nonnull(strstr(r.body, "\"ready\""));
        http_reply_clear(&r);
        /* The endpoint answers under the name --allow-host= gave, with the token. */
        const char named[] = "POST /mcp HTTP/1.1\r\nHost: aios-conformance:8099\r\nContent-Type: application/json\r\n"
                             "Accept: application/json, text/event-stream\r\n"
                             "Authorization: Bearer gateway-token-1\r\nContent-Length: 2\r\n\r\n{}";
        ck_assert_int_eq(http_raw(&server, named, strlen(named), &r), 400);
        http_reply_clear(&r);
        /* The endpoint under that Host is still refused. */
        const char post[] = "POST /mcp HTTP/1.1\r\nHost: 10.1.2.3:8000\r\nContent-Type: application/json\r\n"
                            "Content-Length: 2\r\n\r\n{}";
        ck_assert_int_eq(http_raw(&server, post, strlen(post), &r), 403);
        http_reply_clear(&r);
}
END_TEST

/* A session's streams, counted as they come and go: the newest kept ones stay for Last-Event-ID, the rest are
 * forgotten, and one taken out of the middle leaves the list whole. */
START_TEST(test_stream_set_keeps_the_newest) {
        struct MHD_Connection *reader = (struct MHD_Connection *) &reader; /* never read: only attached */
        StreamSet set = {};
        HttpStream *s[40], *standalone;
        ck_assert_int_eq(http_stream_new(&standalone, NULL, &set, true, 1024), 0);
        for (size_t i = 0; i < ELEMENTSOF(s); i++)
                ck_assert_int_eq(http_stream_new(&s[i], NULL, &set, false, 1024), 0);
        ck_assert_uint_eq(set.n_kept, 40); /* the standalone stream is not one of them */

        http_stream_attach(s[0], reader);
        http_stream_attach(s[39], reader);
        ck_assert_uint_eq(set.n_kept, 38);
        stream_set_prune(&set, 32);
        ck_assert_uint_eq(set.n_kept, 32);
        for (size_t i = 1; i <= 6; i++)
                ck_assert_ptr_null(s[i]->owner); /* the oldest six kept ones */
        for (size_t i = 7; i < ELEMENTSOF(s); i++)
                ck_assert_ptr_eq(stream_set_find(&set, s[i]->index), s[i]);
        ck_assert_ptr_eq(stream_set_find(&set, s[0]->index), s[0]); /* read by a connection: not pruned */
        ck_assert_ptr_eq(stream_set_find(&set, 0), standalone);

        unsigned middle = s[20]->index;
        http_stream_forget(s[20]);
        ck_assert_uint_eq(set.n_kept, 31);
        ck_assert_ptr_null(stream_set_find(&set, middle));
        ck_assert_ptr_eq(stream_set_find(&set, s[19]->index), s[19]);
        ck_assert_ptr_eq(stream_set_find(&set, s[21]->index), s[21]);
        stream_set_prune(&set, 32); /* under the limit: nothing to do */
        ck_assert_ptr_eq(stream_set_find(&set, s[7]->index), s[7]);

        http_stream_detach(s[39]);
        http_stream_detach(s[0]);
        ck_assert_uint_eq(set.n_kept, 33);
        stream_set_clear(&set);
        ck_assert_ptr_null(set.streams);
        ck_assert_uint_eq(set.n_kept, 0);
        http_stream_unref(standalone);
        for (size_t i = 0; i < ELEMENTSOF(s); i++)
                http_stream_unref(s[i]);
}
END_TEST

static Suite *http_suite(void) {
        Suite *s = suite_create("http");
        TCase *tc = tcase_create("streamable-http");
        tcase_set_timeout(tc, 30);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_initialize_creates_session);
        tcase_add_test(tc, test_missing_session_id_gives_400);
        tcase_add_test(tc, test_unknown_session_id_gives_404);
        tcase_add_test(tc, test_deleted_session_gives_404);
        tcase_add_test(tc, test_idle_session_is_ended);
        tcase_add_test(tc, test_foreign_host_gives_403);
        tcase_add_test(tc, test_foreign_origin_gives_403);
        tcase_add_test(tc, test_unsupported_protocol_version_gives_400);
        tcase_add_test(tc, test_wrong_content_type_gives_415);
        tcase_add_test(tc, test_accepting_neither_type_gives_406);
        tcase_add_test(tc, test_oversized_body_gives_413);
        tcase_add_test(tc, test_malformed_json_gives_parse_error);
        tcase_add_test(tc, test_invalid_request_gives_400);
        tcase_add_test(tc, test_unknown_tool_is_json_rpc_error);
        tcase_add_test(tc, test_notification_gives_202);
        tcase_add_test(tc, test_unknown_path_gives_404_and_put_gives_405);
        tcase_add_test(tc, test_second_get_stream_gives_409);
        tcase_add_test(tc, test_unknown_last_event_id_gives_404);
        tcase_add_test(tc, test_delete_ends_open_get_stream);
        tcase_add_test(tc, test_progress_streams_as_sse_with_priming_event);
        tcase_add_test(tc, test_slow_client_is_disconnected);
        tcase_add_test(tc, test_connection_limit_holds_and_recovers);
        tcase_add_test(tc, test_garbage_bytes_do_not_hurt);
        tcase_add_test(tc, test_client_gone_mid_call_leaves_server_serving);
        tcase_add_test(tc, test_both_eras_interleaved);
        tcase_add_test(tc, test_stateless_errors_have_their_status);
        tcase_add_test(tc, test_closed_listen_stream_is_forgotten);
        suite_add_tcase(s, tc);

        TCase *fe = tcase_create("front-end-credential");
        tcase_set_timeout(fe, 30);
        tcase_add_checked_fixture(fe, setup_front_end, teardown_front_end);
        tcase_add_test(fe, test_front_end_token_is_required);
        tcase_add_test(fe, test_probes_answer_without_credentials_under_any_host);
        suite_add_tcase(s, fe);

        TCase *streams = tcase_create("stream-set");
        tcase_add_test(streams, test_stream_set_keeps_the_newest);
        suite_add_tcase(s, streams);
        return s;
}

int main(void) {
        return test_run_suite(http_suite());
}
