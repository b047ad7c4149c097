/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* MCP over stdio against the real aios-conformanced: one message per line, errors per line, clean exit at EOF. */
#include <check.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-util.h"

typedef struct Child {
        pid_t pid;
        int in, out;
        char buf[65536];
        size_t size;
} Child;

static void child_start(Child *c) {
        const char *binary = getenv("AIOS_CONFORMANCED");
        ck_assert_ptr_nonnull(binary);
        int to[2], from[2];
        ck_assert_int_eq(pipe(to), 0);
        ck_assert_int_eq(pipe(from), 0);
        c->pid = fork();
        if (c->pid == 0) {
                dup2(to[0], 0);
                dup2(from[1], 1);
                close(to[1]);
                close(from[0]);
                execl(binary, binary, "--stdio", "--max-body=1024", NULL);
                _exit(127);
        }
        close(to[0]);
        close(from[1]);
        c->in = to[1];
        c->out = from[0];
        c->size = 0;
}

static void child_send(Child *c, const char *text) {
        ck_assert_int_eq(write(c->in, text, strlen(text)), (ssize_t) strlen(text));
}

/* Reads one line (without its newline) into a static buffer. */
static const char *child_line(Child *c) {
        static char line[65536];
        for (;;) {
                char *nl = memchr(c->buf, '\n', c->size);
                if (nl) {
                        size_t l = nl - c->buf;
                        memcpy(line, c->buf, l);
                        line[l] = 0;
                        memmove(c->buf, nl + 1, c->size - l - 1);
                        c->size -= l + 1;
                        return line;
                }
                struct pollfd p = { .fd = c->out, .events = POLLIN };
                ck_assert_int_eq(poll(&p, 1, 5000), 1);
                ssize_t n = read(c->out, c->buf + c->size, sizeof(c->buf) - c->size);
                ck_assert_int_gt(n, 0);
                c->size += n;
        }
}

static int child_finish(Child *c) {
        close(c->in);
        int status;
        for (int i = 0; i < 500; i++) {
                if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
                        close(c->out);
                        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
                }
                usleep(10000);
        }
        kill(c->pid, SIGKILL);
        waitpid(c->pid, NULL, 0);
        close(c->out);
        return -1;
}

START_TEST(test_stdio_session_works_line_by_line) {
        Child c;
        child_start(&c);
        child_send(&c,
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{}}}\n");
        ck_assert_ptr_nonnull(strstr(child_line(&c), "\"protocolVersion\":\"2025-11-25\""));
        child_send(&c, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n");
        child_send(&c,
                "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"test_simple_text\"}}\n");
        ck_assert_ptr_nonnull(strstr(child_line(&c), "This is a simple text response for testing."));
        ck_assert_int_eq(child_finish(&c), 0);
}
END_TEST

START_TEST(test_stdio_bad_lines_get_errors_and_the_rest_goes_on) {
        Child c;
        child_start(&c);
        child_send(&c, "not json\n");
        ck_assert_ptr_nonnull(strstr(child_line(&c), "-32700"));
        child_send(&c, "\n   \n{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"nope/nope\"}\n");
        ck_assert_ptr_nonnull(strstr(child_line(&c), "-32601"));

        /* A line longer than --max-body=1024 is refused once and skipped up to its newline. */
        char big[4096];
        memset(big, 'a', sizeof(big) - 2);
        big[0] = '"';
        big[sizeof(big) - 2] = '\n';
        big[sizeof(big) - 1] = 0;
        child_send(&c, big);
        ck_assert_ptr_nonnull(strstr(child_line(&c), "message too large"));

        child_send(&c, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}");
        ck_assert_int_eq(child_finish(&c), 0); /* the last line had no newline and still counts */
}
END_TEST

START_TEST(test_stdio_answers_last_line_without_newline) {
        Child c;
        child_start(&c);
        child_send(&c, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}");
        close(c.in);
        c.in = -1;
        ck_assert_str_eq(child_line(&c), "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}}");
        int status;
        ck_assert_int_eq(waitpid(c.pid, &status, 0), c.pid);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        close(c.out);
}
END_TEST

static Suite *stdio_suite(void) {
        Suite *s = suite_create("stdio");
        TCase *tc = tcase_create("stdio");
        tcase_add_test(tc, test_stdio_session_works_line_by_line);
        tcase_add_test(tc, test_stdio_bad_lines_get_errors_and_the_rest_goes_on);
        tcase_add_test(tc, test_stdio_answers_last_line_without_newline);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_run_suite(stdio_suite());
}
