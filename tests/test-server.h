/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Integration helpers: start a real server through socket activation, and speak raw HTTP to it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct TestServer {
        pid_t pid;
        int port;
} TestServer;

/* Starts binary (NULL-terminated extra args) with a listening socket on 127.0.0.1 passed as fd 3, the
 * way systemd-socket-activate does. The binary comes from $AIOS_CONFORMANCED when binary is NULL. */
void test_server_start(TestServer *s, const char *binary, const char *const *args);
/* SIGTERM, and checks that it exits cleanly within 5 s. */
void test_server_stop(TestServer *s);
bool test_server_alive(TestServer *s);
/* Starts the server and waits (with a deadline) until it answers HTTP. */
void test_server_start_ready(TestServer *s, const char *const *args);
/* The client connections the server holds: those to its port that a process accepted (one still in the
 * listen backlog has no inode yet) and has not closed. */
unsigned test_server_connections(const TestServer *s);

typedef struct HttpReply {
        int status;
        char *headers; /* raw header block, lowercase names */
        char *body;    /* de-chunked */
        size_t body_size;
} HttpReply;

void http_reply_clear(HttpReply *r);
/* The header's value, copied into buf; NULL when absent. */
const char *http_reply_header(const HttpReply *r, const char *name, char *buf, size_t size);

/* Connects to the server. */
int test_connect(TestServer *s);
/* Sends raw bytes and reads the reply until the server closes or one full response arrived. */
int http_raw(TestServer *s, const char *raw, size_t len, HttpReply *ret);
/* A request with the usual MCP headers; extra is more header lines ("Name: value\r\n"), body may be NULL. */
int http_call(TestServer *s, const char *method, const char *extra, const char *body, HttpReply *ret);
/* Initializes a session and returns its id (static storage). */
const char *mcp_test_initialize(TestServer *s, const char *version);
