/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Integration helpers: socket activation of a real server, and a minimal HTTP/1.1 client. */
#include <arpa/inet.h>
#include <check.h>
#include <ctype.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test-server.h"

void test_server_start(TestServer *s, const char *binary, const char *const *args) {
        if (!binary)
                binary = getenv("AIOS_CONFORMANCED");
        ck_assert_msg(binary, "set AIOS_CONFORMANCED to the server binary");

        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(fd, 0);
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        ck_assert_int_eq(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        ck_assert_int_eq(listen(fd, 128), 0);
        socklen_t len = sizeof(sa);
        ck_assert_int_eq(getsockname(fd, (struct sockaddr *) &sa, &len), 0);
        s->port = ntohs(sa.sin_port);

        s->pid = fork();
        ck_assert_int_ge(s->pid, 0);
        if (s->pid == 0) {
                char pid[32];
                if (dup2(fd, 3) < 0)
                        _exit(127);
                snprintf(pid, sizeof(pid), "%d", getpid());
                setenv("LISTEN_FDS", "1", 1);
                setenv("LISTEN_PID", pid, 1);
                const char *argv[32] = { binary };
                size_t n = 1;
                for (; args && args[n - 1] && n < 31; n++)
                        argv[n] = args[n - 1];
                argv[n] = NULL;
                execv(binary, (char **) argv);
                _exit(127);
        }
        close(fd);
}

bool test_server_alive(TestServer *s) {
        return s->pid > 0 && waitpid(s->pid, NULL, WNOHANG) == 0;
}

void test_server_stop(TestServer *s) {
        if (s->pid <= 0)
                return;
        kill(s->pid, SIGTERM);
        int status = 0;
        for (int i = 0; i < 500; i++) {
                pid_t p = waitpid(s->pid, &status, WNOHANG);
                if (p == s->pid) {
                        s->pid = 0;
                        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "server exited with status %d",
                                status);
                        return;
                }
                usleep(10000);
        }
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
        ck_abort_msg("server did not stop within 5 s of SIGTERM");
}

int test_connect(TestServer *s) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(fd, 0);
        struct sockaddr_in sa = { .sin_family = AF_INET,
                .sin_port = htons(s->port),
                .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        ck_assert_int_eq(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        return fd;
}

void http_reply_clear(HttpReply *r) {
        free(r->headers);
        free(r->body);
        *r = (HttpReply){};
}

const char *http_reply_header(const HttpReply *r, const char *name, char *buf, size_t size) {
        char key[128];
        snprintf(key, sizeof(key), "\n%s:", name);
        for (char *k = key; *k; k++)
                *k = tolower(*k);
        const char *p = r->headers ? strstr(r->headers, key) : NULL;
        if (!p)
                return NULL;
        p += strlen(key);
        p += strspn(p, " ");
        size_t l = strcspn(p, "\r\n");
        snprintf(buf, size, "%.*s", (int) l, p);
        return buf;
}

/* Decodes a chunked body in place; returns its length, or -1 while incomplete. */
static ssize_t dechunk(const char *in, size_t len, char *out, bool *complete) {
        size_t i = 0, o = 0;
        *complete = false;
        while (i < len) {
                char *end;
                unsigned long n = strtoul(in + i, &end, 16);
                const char *crlf = memmem(in + i, len - i, "\r\n", 2);
                if (!crlf)
                        return (ssize_t) o;
                i = crlf - in + 2;
                if (n == 0) {
                        *complete = true;
                        return (ssize_t) o;
                }
                if (i + n + 2 > len) {
                        memcpy(out + o, in + i, len - i);
                        return (ssize_t) (o + len - i);
                }
                memcpy(out + o, in + i, n);
                o += n;
                i += n + 2;
                (void) end;
        }
        return (ssize_t) o;
}

static bool parse_reply(char *buf, size_t len, HttpReply *ret) {
        char *end = memmem(buf, len, "\r\n\r\n", 4);
        if (!end)
                return false;
        size_t hlen = end - buf + 2;
        http_reply_clear(ret);
        ret->headers = strndup(buf, hlen);
        for (char *p = ret->headers; *p; p++) {
                if (*p == ':') {
                        /* lowercase names only, up to the colon of each line */
                        char *q = p;
                        while (q > ret->headers && q[-1] != '\n')
                                q--;
                        for (; q < p; q++)
                                *q = tolower(*q);
                        p += strcspn(p, "\n");
                        if (!*p)
                                break;
                }
        }
        sscanf(buf, "HTTP/1.%*d %d", &ret->status);

        char value[64];
        const char *body = end + 4;
        size_t blen = len - (body - buf);
        ret->body = calloc(1, blen + 1);
        if (http_reply_header(ret, "transfer-encoding", value, sizeof(value))) {
                bool complete;
                ssize_t n = dechunk(body, blen, ret->body, &complete);
                ret->body_size = n;
                return complete;
        }
        memcpy(ret->body, body, blen);
        ret->body_size = blen;
        if (http_reply_header(ret, "content-length", value, sizeof(value)))
                return blen >= strtoul(value, NULL, 10);
        return false;
}

int http_raw(TestServer *s, const char *raw, size_t len, HttpReply *ret) {
        int fd = test_connect(s);
        size_t off = 0;
        while (off < len) {
                ssize_t n = send(fd, raw + off, len - off, MSG_NOSIGNAL);
                if (n <= 0)
                        break; /* the server may answer (413) before reading everything */
                off += n;
        }

        size_t size = 0, allocated = 64 * 1024;
        char *buf = malloc(allocated);
        *ret = (HttpReply){};
        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (poll(&p, 1, 10000) <= 0)
                        break;
                if (size + 4096 > allocated)
                        buf = realloc(buf, allocated *= 2);
                ssize_t n = recv(fd, buf + size, allocated - size - 1, 0);
                if (n <= 0)
                        break;
                size += n;
                buf[size] = 0;
                if (parse_reply(buf, size, ret))
                        break;
        }
        if (size > 0 && !ret->headers)
                parse_reply(buf, size, ret);
        free(buf);
        close(fd);
        return ret->status;
}

int http_call(TestServer *s, const char *method, const char *extra, const char *body, HttpReply *ret) {
        char *raw = NULL;
        int n;
        if (body)
                n = asprintf(&raw,
                        "%s /mcp HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: application/json, text/event-stream\r\n"
                        "Content-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n%s",
                        method, s->port, strlen(body), extra ?: "", body);
        else
                n = asprintf(&raw,
                        "%s /mcp HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: application/json, text/event-stream\r\n%s\r\n",
                        method, s->port, extra ?: "");
        ck_assert_int_gt(n, 0);
        int status = http_raw(s, raw, strlen(raw), ret);
        free(raw);
        return status;
}

const char *mcp_test_initialize(TestServer *s, const char *version) {
        static char id[256];
        char body[512];
        HttpReply r = {};
        snprintf(body, sizeof(body),
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"%s\","
                "\"capabilities\":{},\"clientInfo\":{\"name\":\"test\",\"version\":\"1\"}}}",
                version);
        ck_assert_int_eq(http_call(s, "POST", NULL, body, &r), 200);
        ck_assert_ptr_nonnull(http_reply_header(&r, "mcp-session-id", id, sizeof(id)));
        http_reply_clear(&r);
        return id;
}

void test_server_start_ready(TestServer *s, const char *const *args) {
        test_server_start(s, NULL, args);
        HttpReply r = {};
        for (int i = 0; i < 100 && http_call(s, "GET", NULL, NULL, &r) == 0; i++)
                usleep(20000);
        http_reply_clear(&r);
}

unsigned test_server_connections(const TestServer *s) {
        FILE *f = fopen("/proc/net/tcp", "re");
        ck_assert_ptr_nonnull(f);
        char line[512];
        unsigned n = 0;
        while (fgets(line, sizeof(line), f)) {
                unsigned local_port, state;
                unsigned long inode;
                if (sscanf(line, " %*d: %*x:%x %*x:%*x %x %*x:%*x %*x:%*x %*x %*u %*u %lu", &local_port, &state,
                            &inode) != 3)
                        continue;
                n += local_port == (unsigned) s->port && state != 0x0A /* LISTEN */ && inode != 0;
        }
        fclose(f);
        return n;
}
