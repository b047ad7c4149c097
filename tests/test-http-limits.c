/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The HTTP transport's limits against the real aios-conformanced: malformed chunked bodies are refused at once
 * instead of spinning the loop, slow request heads are cut off, one source address cannot take every
 * connection, health checks get through when the connections are spent (aios-gatewayd), and a full session
 * table makes room for a newcomer at the expense of its biggest holder. */
#include <arpa/inet.h>
#include <check.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "test-server.h"
#include "test-util.h"

#define PING "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}"
#define INITIALIZE                                                                                                     \
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\","      \
        "\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}"
#define POST_HEAD                                                                                                      \
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"                                  \
        "Accept: application/json, text/event-stream\r\n"

static TestServer server;

static uint64_t now_msec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* The server's CPU time so far, in clock ticks. */
static unsigned long long server_cpu_ticks(void) {
        char path[64], buf[1024];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int) server.pid);
        FILE *f = fopen(path, "re");
        ck_assert_ptr_nonnull(f);
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = 0;
        /* utime and stime are fields 14 and 15, counted after the ")" that ends the command name. */
        const char *p = strrchr(buf, ')');
        ck_assert_ptr_nonnull(p);
        unsigned long long utime = 0, stime = 0;
        ck_assert_int_eq(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime), 2);
        return utime + stime;
}

static void teardown(void) {
        test_server_stop(&server);
}

/* A connection to the server from source (a 127.0.0.0/8 address: all of them are this host). */
static int connect_from(const char *source) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(fd, 0);
        struct sockaddr_in sa = { .sin_family = AF_INET };
        ck_assert_int_eq(inet_pton(AF_INET, source, &sa.sin_addr), 1);
        ck_assert_int_eq(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        sa.sin_port = htons(server.port);
        ck_assert_int_eq(inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr), 1);
        ck_assert_int_eq(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        return fd;
}

static void send_all(int fd, const char *data, size_t len) {
        for (size_t off = 0; off < len;) {
                ssize_t n = send(fd, data + off, len - off, MSG_NOSIGNAL);
                if (n <= 0)
                        return; /* the server may answer and close before reading everything */
                off += n;
        }
}

/* Reads until the end of a response head (or more) arrives or the connection closes, for at most timeout_ms.
 * Returns the status, 0 when the server closed without one, -1 when nothing came in time. buf gets the text. */
static int read_status(int fd, int timeout_ms, char *buf, size_t size) {
        uint64_t deadline = now_msec() + timeout_ms;
        size_t got = 0;
        buf[0] = 0;
        for (;;) {
                uint64_t now = now_msec();
                if (now >= deadline)
                        return -1;
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (poll(&p, 1, (int) (deadline - now)) <= 0)
                        return -1;
                ssize_t n = recv(fd, buf + got, size - 1 - got, 0);
                if (n <= 0)
                        break;
                got += n;
                buf[got] = 0;
                if (strstr(buf, "\r\n\r\n") || got == size - 1)
                        break;
        }
        int status = 0;
        if (sscanf(buf, "HTTP/1.1 %d", &status) != 1)
                return 0;
        return status;
}

/* A request from source on a new connection: its status (see read_status). */
static int request_from(const char *source, const char *extra, const char *body, char *buf, size_t size) {
        char raw[2048];
        snprintf(raw, sizeof(raw), POST_HEAD "%sContent-Length: %zu\r\n\r\n%s", extra, strlen(body), body);
        int fd = connect_from(source);
        send_all(fd, raw, strlen(raw));
        int status = read_status(fd, 5000, buf, size);
        close(fd);
        return status;
}

/* --- chunked bodies ----------------------------------------------------------------------------------- */

static void setup_chunked(void) {
        static const char *const args[] = { "--connection-timeout=6", NULL };
        test_server_start_ready(&server, args);
}

/* Sends a chunked request whose first chunk line is line, then checks that the server refuses it (or
 * closes) at once, serves another client meanwhile, and does not spin. */
static void check_chunk_line_refused(const char *line, size_t len) {
        unsigned long long cpu = server_cpu_ticks();
        uint64_t start_ms = now_msec();

        const char head[] = POST_HEAD "Transfer-Encoding: chunked\r\n\r\n";
        int fd = test_connect(&server);
        send_all(fd, head, strlen(head));
        send_all(fd, line, len);

        /* Another client, on the server's own port, with a tool that needs the loop's timers. */
        const char *id = mcp_test_initialize(&server, "2025-11-25");
        char extra[256];
        snprintf(extra, sizeof(extra), "Mcp-Session-Id: %s\r\nMCP-Protocol-Version: 2025-11-25\r\n", id);
        HttpReply r = {};
        ck_assert_int_eq(http_call(&server, "POST", extra,
                                 "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":"
                                 "{\"name\":\"test_tool_with_progress\",\"_meta\":{\"progressToken\":7}}}",
                                 &r),
                200);
        ck_assert_ptr_nonnull(strstr(r.body, "\"id\":3,\"result\""));
        http_reply_clear(&r);

        char buf[4096];
        int status = read_status(fd, 2000, buf, sizeof(buf));
        close(fd);
        ck_assert_msg(status == 400 || status == 413 || status == 0,
                "a bad chunk line got %d instead of 400, 413 or a close", status);
        ck_assert_uint_lt(now_msec() - start_ms, 3000); /* not the connection timeout (6 s) */

        /* The loop did not spin meanwhile: well under a second of CPU for all of it. */
        long ticks = sysconf(_SC_CLK_TCK);
        ck_assert_uint_lt(server_cpu_ticks() - cpu, (unsigned long long) ticks / 2);
}

START_TEST(test_long_chunk_size_line_is_refused) {
        size_t n = 64 * 1024;
        char *line = malloc(n + 2);
        memset(line, '1', n);
        memcpy(line + n, "\r\n", 2);
        check_chunk_line_refused(line, n + 2);
        free(line);
}
END_TEST

START_TEST(test_leading_zeros_are_refused) {
        size_t n = 64 * 1024;
        char *line = malloc(n + 16);
        memset(line, '0', n);
        memcpy(line + n, "2\r\n{}\r\n0\r\n\r\n", 12);
        check_chunk_line_refused(line, n + 12);
        free(line);
}
END_TEST

START_TEST(test_long_chunk_extension_is_refused) {
        size_t n = 100 * 1024;
        char *line = malloc(n + 16);
        memcpy(line, "2;", 2);
        memset(line + 2, 'a', n - 2);
        memcpy(line + n, "\r\n{}\r\n0\r\n\r\n", 11);
        check_chunk_line_refused(line, n + 11);
        free(line);
}
END_TEST

START_TEST(test_chunked_then_identity_gets_400) {
        char buf[4096];
        uint64_t start_ms = now_msec();
        ck_assert_int_eq(request_from("127.0.0.1", "Transfer-Encoding: chunked, identity\r\n", "", buf, sizeof(buf)),
                400);
        ck_assert_int_eq(request_from("127.0.0.1", "Transfer-Encoding: chunked\r\n", "", buf, sizeof(buf)), 400);
        ck_assert_uint_lt(now_msec() - start_ms, 2000);

        /* Well-formed chunked bodies still go through. */
        const char raw[] = POST_HEAD "Transfer-Encoding: chunked\r\n\r\n"
                                     "28\r\n" PING "\r\n0\r\n\r\n";
        HttpReply r = {};
        ck_assert_int_eq(http_raw(&server, raw, strlen(raw), &r), 400); /* no session: the engine's answer */
        ck_assert_ptr_nonnull(strstr(r.body, "Mcp-Session-Id"));
        http_reply_clear(&r);
}
END_TEST

/* --- slow and many connections ------------------------------------------------------------------------ */

static void setup_connections(void) {
        static const char *const args[] = { "--connection-timeout=30", "--request-head-timeout=2",
                "--max-connections=16", "--max-connections-per-source=8", NULL };
        test_server_start_ready(&server, args);
}

START_TEST(test_slow_request_head_is_cut_off) {
        /* One header byte every 300 ms: each resets the idle timer, but the head has 2 s to be complete. */
        const char head[] = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        int fd = test_connect(&server);
        uint64_t start_ms = now_msec();
        int status = -1;
        char buf[1024];
        for (size_t i = 0; i < strlen(head) && status < 0; i++) {
                if (send(fd, head + i, 1, MSG_NOSIGNAL) <= 0) {
                        status = 0;
                        break;
                }
                status = read_status(fd, 300, buf, sizeof(buf));
        }
        close(fd);
        ck_assert_msg(status == 408 || status == 0, "a slow head got %d", status);
        uint64_t took = now_msec() - start_ms;
        ck_assert_uint_ge(took, 1500);
        ck_assert_uint_lt(took, 5000);
}
END_TEST

START_TEST(test_one_source_cannot_take_every_connection) {
        /* Sixteen slow connections from one address: eight are let in (and held), the rest are closed. */
        int fds[16];
        for (size_t i = 0; i < ELEMENTSOF(fds); i++) {
                fds[i] = connect_from("127.0.0.1");
                ck_assert_int_gt(send(fds[i], "POST", 4, MSG_NOSIGNAL), 0);
        }
        unsigned closed = 0;
        char buf[256];
        for (size_t i = 0; i < ELEMENTSOF(fds); i++)
                if (read_status(fds[i], i < 8 ? 50 : 1000, buf, sizeof(buf)) == 0)
                        closed++;
        ck_assert_uint_eq(closed, 8);

        /* Another source is served meanwhile. */
        ck_assert_int_eq(request_from("127.0.0.2", "", INITIALIZE, buf, sizeof(buf)), 200);
        for (size_t i = 0; i < ELEMENTSOF(fds); i++)
                close(fds[i]);
}
END_TEST

/* --- the reserve for health checks (the gateway names them) --------------------------------------------- */

static char config_dir[] = "/tmp/test-http-limits-XXXXXX";

static void setup_reserve(void) {
        const char *gatewayd = getenv("AIOS_GATEWAYD");
        ck_assert_msg(gatewayd, "$AIOS_GATEWAYD names the gateway to test");
        ck_assert_ptr_nonnull(mkdtemp(config_dir));
        char path[PATH_MAX], arg[PATH_MAX + 32];
        snprintf(path, sizeof(path), "%s/gateway.conf", config_dir);
        FILE *f = fopen(path, "we");
        ck_assert_ptr_nonnull(f);
        fputs("[Gateway]\nMaxConnections=4\n", f);
        fclose(f);
        snprintf(arg, sizeof(arg), "--config-dir=%s", config_dir);
        const char *const args[] = { arg, NULL };
        test_server_start(&server, gatewayd, args);
        HttpReply r = {};
        for (int i = 0; i < 100 && http_call(&server, "GET", NULL, NULL, &r) == 0; i++)
                usleep(20000);
        http_reply_clear(&r);
}

static void teardown_reserve(void) {
        test_server_stop(&server);
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/gateway.conf", config_dir);
        (void) unlink(path);
        (void) rmdir(config_dir);
}

START_TEST(test_health_checks_get_through_when_connections_are_spent) {
        /* MaxConnections=4, all of them held by idle clients... */
        int held[4];
        for (size_t i = 0; i < ELEMENTSOF(held); i++)
                held[i] = connect_from("127.0.0.1");
        for (uint64_t deadline = now_msec() + 2000; test_server_connections(&server) < 4 && now_msec() < deadline;)
                usleep(10000);
        ck_assert_uint_eq(test_server_connections(&server), 4);

        /* ...and still /healthz and /readyz answer, on a connection of the reserve that is closed after... */
        char buf[4096];
        for (int i = 0; i < 3; i++) {
                int fd = connect_from("127.0.0.1");
                const char raw[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
                send_all(fd, raw, strlen(raw));
                ck_assert_int_eq(read_status(fd, 5000, buf, sizeof(buf)), 200);
                struct pollfd p = { .fd = fd, .events = POLLIN };
                bool closed = false;
                for (uint64_t deadline = now_msec() + 3000; !closed && now_msec() < deadline;)
                        closed = poll(&p, 1, 100) == 1 && recv(fd, buf, sizeof(buf), 0) <= 0;
                ck_assert(closed);
                close(fd);
        }
        int fd = connect_from("127.0.0.1");
        const char raw[] = "GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        send_all(fd, raw, strlen(raw));
        ck_assert_int_eq(read_status(fd, 5000, buf, sizeof(buf)), 200);
        close(fd);

        /* ...while anything else there is refused. */
        ck_assert_int_eq(request_from("127.0.0.1", "", INITIALIZE, buf, sizeof(buf)), 503);
        for (size_t i = 0; i < ELEMENTSOF(held); i++)
                close(held[i]);
}
END_TEST

/* --- the session table -------------------------------------------------------------------------------- */

static void setup_sessions(void) {
        static const char *const args[] = { "--max-sessions=4", NULL };
        test_server_start_ready(&server, args);
}

/* Opens a session from source and returns its id in id. */
static void initialize_from(const char *source, char *id, size_t size) {
        char buf[4096];
        ck_assert_int_eq(request_from(source, "", INITIALIZE, buf, sizeof(buf)), 200);
        const char *h = strcasestr(buf, "\r\nMcp-Session-Id: ");
        ck_assert_ptr_nonnull(h);
        h += strlen("\r\nMcp-Session-Id: ");
        size_t l = strcspn(h, "\r\n");
        ck_assert_uint_lt(l, size);
        memcpy(id, h, l);
        id[l] = 0;
}

static int ping_from(const char *source, const char *id) {
        char extra[512], buf[4096];
        snprintf(extra, sizeof(extra), "Mcp-Session-Id: %s\r\nMCP-Protocol-Version: 2025-11-25\r\n", id);
        return request_from(source, extra, PING, buf, sizeof(buf));
}

/* Opens the session's standalone SSE stream from source and returns the connection, which keeps it open. */
static int open_stream(const char *source, const char *id) {
        char raw[512], buf[1024];
        snprintf(raw, sizeof(raw),
                "GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nMcp-Session-Id: %s\r\n\r\n", id);
        int fd = connect_from(source);
        send_all(fd, raw, strlen(raw));
        ck_assert_int_eq(read_status(fd, 5000, buf, sizeof(buf)), 200);
        return fd;
}

START_TEST(test_full_table_ends_the_biggest_holders_oldest_idle_session) {
        char a[3][64], b[64], c[64];
        for (size_t i = 0; i < ELEMENTSOF(a); i++)
                initialize_from("127.0.0.1", a[i], sizeof(a[i]));
        initialize_from("127.0.0.2", b, sizeof(b));
        /* a[0] is the oldest, but a[1] was used least recently. */
        ck_assert_int_eq(ping_from("127.0.0.1", a[0]), 200);

        /* The table is full (--max-sessions=4): a newcomer still gets a session... */
        initialize_from("127.0.0.3", c, sizeof(c));
        ck_assert_int_eq(ping_from("127.0.0.3", c), 200);
        /* ...at the expense of the least recently used idle session of 127.0.0.1, which holds the most. */
        ck_assert_int_eq(ping_from("127.0.0.1", a[1]), 404);
        ck_assert_int_eq(ping_from("127.0.0.1", a[0]), 200);
        ck_assert_int_eq(ping_from("127.0.0.1", a[2]), 200);
        ck_assert_int_eq(ping_from("127.0.0.2", b), 200);
}
END_TEST

START_TEST(test_sessions_with_open_streams_are_not_ended) {
        char a[4][64];
        int streams[4];
        for (size_t i = 0; i < ELEMENTSOF(a); i++) {
                initialize_from("127.0.0.1", a[i], sizeof(a[i]));
                streams[i] = open_stream("127.0.0.1", a[i]);
        }

        /* Every session is being listened to: none can go, and the newcomer is told to come back, and when. */
        char buf[4096];
        ck_assert_int_eq(request_from("127.0.0.3", "", INITIALIZE, buf, sizeof(buf)), 503);
        ck_assert_ptr_nonnull(strcasestr(buf, "\r\nRetry-After: 1\r\n"));
        for (size_t i = 0; i < ELEMENTSOF(a); i++) {
                ck_assert_int_eq(ping_from("127.0.0.1", a[i]), 200);
                close(streams[i]);
        }
}
END_TEST

static void setup_sessions_per_client(void) {
        static const char *const args[] = { "--max-sessions=16", "--max-sessions-per-client=3", NULL };
        test_server_start_ready(&server, args);
}

START_TEST(test_one_client_holds_at_most_its_share_of_sessions) {
        char a[4][64], b[64];
        initialize_from("127.0.0.2", b, sizeof(b));
        for (size_t i = 0; i < 3; i++)
                initialize_from("127.0.0.1", a[i], sizeof(a[i]));
        /* a[0] is the oldest, but a[1] was used least recently. */
        ck_assert_int_eq(ping_from("127.0.0.1", a[0]), 200);

        /* A fourth session of 127.0.0.1 ends its own least recently used idle one, nobody else's. */
        initialize_from("127.0.0.1", a[3], sizeof(a[3]));
        ck_assert_int_eq(ping_from("127.0.0.1", a[1]), 404);
        ck_assert_int_eq(ping_from("127.0.0.1", a[0]), 200);
        ck_assert_int_eq(ping_from("127.0.0.1", a[2]), 200);
        ck_assert_int_eq(ping_from("127.0.0.1", a[3]), 200);
        ck_assert_int_eq(ping_from("127.0.0.2", b), 200);
}
END_TEST

START_TEST(test_a_client_whose_sessions_are_all_in_use_is_refused) {
        char a[3][64];
        int streams[3];
        for (size_t i = 0; i < ELEMENTSOF(a); i++) {
                initialize_from("127.0.0.1", a[i], sizeof(a[i]));
                streams[i] = open_stream("127.0.0.1", a[i]);
        }

        /* All three are listened to: the fourth is refused with 429 and a sentence saying why... */
        char buf[4096];
        ck_assert_int_eq(request_from("127.0.0.1", "", INITIALIZE, buf, sizeof(buf)), 429);
        ck_assert_ptr_nonnull(strstr(buf, "has 3 sessions open"));
        /* ...while another client still gets one, and the three are untouched. */
        ck_assert_int_eq(request_from("127.0.0.2", "", INITIALIZE, buf, sizeof(buf)), 200);
        for (size_t i = 0; i < ELEMENTSOF(a); i++) {
                ck_assert_int_eq(ping_from("127.0.0.1", a[i]), 200);
                close(streams[i]);
        }
}
END_TEST

static Suite *limits_suite(void) {
        Suite *s = suite_create("http-limits");

        TCase *tc = tcase_create("chunked");
        tcase_set_timeout(tc, 30);
        tcase_add_checked_fixture(tc, setup_chunked, teardown);
        tcase_add_test(tc, test_long_chunk_size_line_is_refused);
        tcase_add_test(tc, test_leading_zeros_are_refused);
        tcase_add_test(tc, test_long_chunk_extension_is_refused);
        tcase_add_test(tc, test_chunked_then_identity_gets_400);
        suite_add_tcase(s, tc);

        tc = tcase_create("connections");
        tcase_set_timeout(tc, 30);
        tcase_add_checked_fixture(tc, setup_connections, teardown);
        tcase_add_test(tc, test_slow_request_head_is_cut_off);
        tcase_add_test(tc, test_one_source_cannot_take_every_connection);
        suite_add_tcase(s, tc);

        tc = tcase_create("reserve");
        tcase_set_timeout(tc, 30);
        tcase_add_checked_fixture(tc, setup_reserve, teardown_reserve);
        tcase_add_test(tc, test_health_checks_get_through_when_connections_are_spent);
        suite_add_tcase(s, tc);

        tc = tcase_create("sessions");
        tcase_set_timeout(tc, 30);
        tcase_add_checked_fixture(tc, setup_sessions, teardown);
        tcase_add_test(tc, test_full_table_ends_the_biggest_holders_oldest_idle_session);
        tcase_add_test(tc, test_sessions_with_open_streams_are_not_ended);
        suite_add_tcase(s, tc);

        tc = tcase_create("sessions-per-client");
        tcase_set_timeout(tc, 30);
        tcase_add_checked_fixture(tc, setup_sessions_per_client, teardown);
        tcase_add_test(tc, test_one_client_holds_at_most_its_share_of_sessions);
        tcase_add_test(tc, test_a_client_whose_sessions_are_all_in_use_is_refused);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_run_suite(limits_suite());
}
