/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the tests: a recording sink for the engine, and running a Check suite. */
#pragma once

#include <check.h>

#include "mcp-server.h"

/* Records what the engine sends for one exchange. */
typedef struct Capture {
        json_object *messages; /* array of messages sent before the reply */
        json_object *reply;    /* the reply, or NULL */
        bool done;
} Capture;

void capture_reset(Capture *c);
/* Parses text and dispatches it; a parse error becomes the reply. Returns what mcp_server_dispatch returned. */
int capture_start(Capture *c, McpServer *s, McpSession *session, const char *text);
/* Runs the loop until the exchange is done (at most 5 s). */
void capture_run(Capture *c, sd_event *e);
/* capture_reset + capture_start + capture_run; returns the reply (owned by c). */
json_object *capture_dispatch(Capture *c, McpServer *s, McpSession *session, sd_event *e, const char *text);
/* The same, returning the dispatch result (0: nothing to answer). */
int capture_dispatch_count(Capture *c, McpServer *s, McpSession *session, sd_event *e, const char *text);
/* The same on the stateless wire (mcp_server_dispatch_stateless). */
json_object *capture_dispatch_stateless(Capture *c, McpServer *s, sd_event *e, const char *text);
/* The recording sink's polkit refuses action ("*": every action; "ACTION KEY=VALUE": the action when its
 * detail KEY is VALUE) from now on; NULL: allows everything again (the default). */
void test_polkit_deny(const char *action);
/* The last question the recording sink's polkit was asked: {"action": ..., detail: value, ...}, or NULL. */
json_object *test_polkit_last_asked(void);
/* The recording sink, for tests that dispatch by hand (userdata: a Capture). */
extern const McpSinkOps *const test_capture_ops;
/* A standalone-stream sender recording into the Capture given as userdata. */
int capture_standalone_send(void *userdata, json_object *m);

/* Runs the suite, prints Check's summary, returns the exit code. */
int test_run_suite(Suite *s);
