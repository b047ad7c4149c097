/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test helpers: a sink that records, and the suite runner. */
#include <stdlib.h>
#include <string.h>

#include "json-util.h"
#include "test-util.h"

void capture_reset(Capture *c) {
        json_object_put(c->messages);
        json_object_put(c->reply);
        *c = (Capture){};
}

static int sink_send(void *userdata, json_object *m) {
        Capture *c = userdata;
        if (!c->messages)
                c->messages = json_object_new_array();
        json_object_array_add(c->messages, json_object_get(m));
        return 0;
}

static void sink_done(void *userdata, json_object *reply) {
        Capture *c = userdata;
        c->reply = json_object_get(reply);
        c->done = true;
}

/* The test transport stands for a caller polkit allows everything, unless a test says which action polkit
 * refuses; it remembers the last question. What polkit itself decides is tested on the real stack
 * (tests/gateway/stack-check.sh, tests/system/). */
static char *polkit_denied;
static json_object *polkit_asked;

void test_polkit_deny(const char *action) {
        free(polkit_denied);
        polkit_denied = action ? strdup(action) : NULL;
}

json_object *test_polkit_last_asked(void) {
        return polkit_asked;
}

/* "*", "ACTION", or "ACTION KEY=VALUE": that action only when its detail KEY is VALUE. */
static bool polkit_refuses(const char *action, const char *const *details) {
        if (!polkit_denied)
                return false;
        if (streq(polkit_denied, "*") || streq(polkit_denied, action))
                return true;
        const char *space = strchr(polkit_denied, ' ');
        if (!space || strncmp(polkit_denied, action, space - polkit_denied) || action[space - polkit_denied])
                return false;
        const char *eq = strchr(space + 1, '=');
        for (const char *const *d = details; eq && d && d[0] && d[1]; d += 2)
                if (strlen(d[0]) == (size_t) (eq - space - 1) && !strncmp(d[0], space + 1, eq - space - 1) &&
                        streq(d[1], eq + 1))
                        return true;
        return false;
}

static int sink_authorize(void *userdata, McpRequest *req, const char *action, const char *const *details,
        void (*done)(McpRequest *req, int allowed)) {
        json_object_put(polkit_asked);
        polkit_asked = json_object_new_object();
        (void) json_add_string(polkit_asked, "action", action);
        for (const char *const *d = details; d && d[0] && d[1]; d += 2)
                (void) json_add_string(polkit_asked, d[0], d[1]);
        done(req, !polkit_refuses(action, details));
        return 0;
}

static const McpSinkOps capture_ops = {
        .send = sink_send,
        .done = sink_done,
        .authorize = sink_authorize,
};

const McpSinkOps *const test_capture_ops = &capture_ops;

int capture_standalone_send(void *userdata, json_object *m) {
        return sink_send(userdata, m);
}

int capture_start(Capture *c, McpServer *s, McpSession *session, const char *text) {
        _cleanup_json_ json_object *m = NULL;
        const char *reason;

        capture_reset(c);
        c->messages = json_object_new_array();
        if (json_parse_strict(text, strlen(text), &m, &reason) < 0) {
                c->reply = mcp_parse_error_new(reason);
                c->done = true;
                return 1;
        }
        int r = mcp_server_dispatch(s, session, m, &capture_ops, c, NULL);
        if (r == 0)
                c->done = true;
        return r;
}

json_object *capture_dispatch_stateless(Capture *c, McpServer *s, sd_event *e, const char *text) {
        _cleanup_json_ json_object *m = NULL;
        const char *reason;

        capture_reset(c);
        c->messages = json_object_new_array();
        ck_assert_msg(json_parse_strict(text, strlen(text), &m, &reason) == 0, "%s: %s", text, reason);
        if (mcp_server_dispatch_stateless(s, m, &capture_ops, c, NULL) == 0)
                c->done = true;
        capture_run(c, e);
        return c->reply;
}

void capture_run(Capture *c, sd_event *e) {
        for (int i = 0; !c->done && i < 500; i++)
                ck_assert_int_ge(sd_event_run(e, 10 * 1000), 0);
        ck_assert_msg(c->done, "the exchange did not finish");
}

json_object *capture_dispatch(Capture *c, McpServer *s, McpSession *session, sd_event *e, const char *text) {
        capture_start(c, s, session, text);
        capture_run(c, e);
        return c->reply;
}

int capture_dispatch_count(Capture *c, McpServer *s, McpSession *session, sd_event *e, const char *text) {
        int r = capture_start(c, s, session, text);
        capture_run(c, e);
        return r;
}

int test_run_suite(Suite *s) {
        SRunner *runner = srunner_create(s);
        srunner_run_all(runner, CK_NORMAL);
        int failed = srunner_ntests_failed(runner);
        srunner_free(runner);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
