/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The 2026-07-28 wire in the engine: request _meta, removed methods, discovery, input_required round trips
 * and what happens to a requestState that was altered, cut, reused elsewhere or kept too long, header
 * checks, log levels and subscriptions/listen. And what lets replicas share the other wire's sessions: session
 * ids sealed with the same key, taken up by another replica, and refused when altered, foreign, expired, ended
 * or shown by another principal. */
#include <check.h>
#include <stdio.h>

#include "mcp-request.h"
#include "mcp-session.h"
#include "test-util.h"

#define META_WITH(caps)                                                                                                              \
        "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/clientCapabilities\":" caps \
        "}"
#define META META_WITH("{\"elicitation\":{},\"sampling\":{}}")

static void on_name(McpRequest *req, json_object *result, json_object *error, void *userdata) {
        json_object *name = json_object_object_get(json_get_object(result, "content"), "name");
        (void) mcp_request_reply_text(req, "Hello, %s%s", name ? json_object_get_string(name) : "?",
                mcp_request_is_resumed(req) ? " (resumed)" : "");
}

static int tool_ask_name(McpRequest *req, json_object *args) {
        _cleanup_json_ json_object *params = json_object_new_object();
        if (!params || json_add_string(params, "message", "Name?") < 0)
                return -ENOMEM;
        return mcp_request_ask_named(req, "name", "elicitation/create", TAKE_PTR(params), on_name, NULL);
}

static void on_second(McpRequest *req, json_object *result, json_object *error, void *userdata) {
        (void) mcp_request_reply_text(req, "both answered");
}

static void on_first(McpRequest *req, json_object *result, json_object *error, void *userdata) {
        (void) mcp_request_ask_named(req, "second", "elicitation/create", json_object_new_object(), on_second, NULL);
}

static int tool_two_steps(McpRequest *req, json_object *args) {
        return mcp_request_ask_named(req, "first", "elicitation/create", json_object_new_object(), on_first, NULL);
}

static int tool_needs_roots(McpRequest *req, json_object *args) {
        return mcp_request_ask_named(req, "roots", "roots/list", NULL, on_second, NULL);
}

static int tool_logs(McpRequest *req, json_object *args) {
        (void) mcp_request_logf(req, MCP_LOG_DEBUG, "debug");
        (void) mcp_request_logf(req, MCP_LOG_WARNING, "warning");
        return mcp_request_reply_text(req, "logged");
}

static int tool_plain(McpRequest *req, json_object *args) {
        return mcp_request_reply_text(req, "plain");
}

static const McpTool tools[] = { { .name = "ask_name", .handler = tool_ask_name },
        { .name = "two_steps", .handler = tool_two_steps }, { .name = "needs_roots", .handler = tool_needs_roots },
        { .name = "logs", .handler = tool_logs }, { .name = "plain", .handler = tool_plain }, {} };

static const McpServerDefinition definition = { .name = "stateless-test", .version = "1", .tools = tools };
static const McpTool late_tool = { .name = "late", .handler = tool_plain };

static sd_event *event;
static McpServer *server;
static Capture capture;

static void setup(void) {
        ck_assert_int_ge(sd_event_new(&event), 0);
        ck_assert_int_ge(mcp_server_new(&server, &definition, event, NULL), 0);
        capture_reset(&capture);
}

static void teardown(void) {
        capture_reset(&capture);
        server = mcp_server_free(server);
        event = sd_event_unref(event);
}

static json_object *send(const char *text) {
        return capture_dispatch_stateless(&capture, server, event, text);
}

static int error_code(json_object *reply) {
        json_object *code = json_object_object_get(json_get_object(reply, "error"), "code");
        return code ? json_object_get_int(code) : 0;
}

static json_object *result_of(json_object *reply) {
        return json_get_object(reply, "result");
}

/* Calls tool with the given extra params text (",\"inputResponses\":..."), returns the reply. */
static json_object *call(const char *tool, const char *extra) {
        char text[8192];
        snprintf(text, sizeof(text),
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"%s\",\"arguments\":{}%s," META
                "}}",
                tool, extra);
        return send(text);
}

/* The requestState of an input_required reply, copied. */
static char *state_of(json_object *reply) {
        const char *s = json_get_string(result_of(reply), "requestState");
        ck_assert_ptr_nonnull(s);
        return strdup(s);
}

START_TEST(test_missing_meta_is_invalid_params) {
        ck_assert_int_eq(error_code(send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{}}")),
                -32602);
        ck_assert_int_eq(error_code(
                                 send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"_meta\":"
                                      "{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}}}")),
                -32602);
        ck_assert_int_eq(error_code(
                                 send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{" META_WITH(
                                         "{}") ",\"x\":1,\"_meta2\":{}}}")),
                0);
        json_object *reply = send(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"_meta\":{"
                "\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/clientCapabilities\":{},"
                "\"io.modelcontextprotocol/logLevel\":\"loud\"}}}");
        ck_assert_int_eq(error_code(reply), -32602);
}
END_TEST

START_TEST(test_unsupported_version_lists_supported) {
        json_object *reply = send(
                "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/list\",\"params\":{\"_meta\":{"
                "\"io.modelcontextprotocol/protocolVersion\":\"2099-01-01\",\"io.modelcontextprotocol/clientCapabilities\":{}}}}");
        ck_assert_int_eq(error_code(reply), -32022);
        json_object *data = json_get_object(json_get_object(reply, "error"), "data");
        ck_assert_str_eq(json_get_string(data, "requested"), "2099-01-01");
        ck_assert_str_eq(json_to_string(json_get_array(data, "supported")), "[\"2026-07-28\"]");
        ck_assert_int_eq(json_object_get_int(json_object_object_get(reply, "id")), 9);
}
END_TEST

START_TEST(test_session_methods_are_not_found) {
        static const char *const removed[] = { "initialize", "ping", "logging/setLevel", "resources/subscribe",
                "resources/unsubscribe", "no/such/method" };
        FOREACH_ELEMENT(m, removed) {
                char text[512];
                snprintf(text, sizeof(text), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":{" META "}}",
                        *m);
                ck_assert_int_eq(error_code(send(text)), -32601);
        }
}
END_TEST

START_TEST(test_discover_and_result_fields) {
        json_object *r =
                result_of(send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\",\"params\":{" META "}}"));
        ck_assert_ptr_nonnull(r);
        ck_assert_str_eq(json_to_string(json_get_array(r, "supportedVersions")), "[\"2026-07-28\"]");
        ck_assert_ptr_nonnull(json_get_object(json_get_object(r, "capabilities"), "tools"));
        ck_assert_str_eq(json_get_string(json_get_object(json_get_object(r, "_meta"),
                                                 "io.modelcontextprotocol/serverInfo"),
                                 "name"),
                "stateless-test");

        r = result_of(send("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\",\"params\":{" META "}}"));
        ck_assert_str_eq(json_get_string(r, "resultType"), "complete");
        ck_assert_str_eq(json_get_string(r, "cacheScope"), "public");
        ck_assert(json_object_object_get_ex(r, "ttlMs", NULL));
        /* deterministic order: the table's */
        ck_assert_str_eq(json_get_string(json_object_array_get_idx(json_get_array(r, "tools"), 0), "name"), "ask_name");

        r = result_of(call("plain", ""));
        ck_assert_str_eq(json_get_string(r, "resultType"), "complete");
        ck_assert(!json_object_object_get_ex(r, "ttlMs", NULL));
}
END_TEST

START_TEST(test_round_trip) {
        json_object *r = result_of(call("ask_name", ""));
        ck_assert_str_eq(json_get_string(r, "resultType"), "input_required");
        json_object *question = json_get_object(json_get_object(r, "inputRequests"), "name");
        ck_assert_str_eq(json_get_string(question, "method"), "elicitation/create");
        ck_assert(!json_object_object_get_ex(r, "ttlMs", NULL));
        _cleanup_free_ char *state = state_of(capture.reply);

        /* Answered without the state: the handler runs again and finds the answer. */
        r = result_of(call("ask_name",
                ",\"inputResponses\":{\"name\":{\"action\":\"accept\",\"content\":{\"name\":\"Ada\"}}}"));
        ck_assert_str_eq(json_get_string(json_object_array_get_idx(json_get_array(r, "content"), 0), "text"),
                "Hello, Ada");

        /* With the state, and extra answers that nobody asked for. */
        char extra[4096];
        snprintf(extra, sizeof(extra),
                ",\"requestState\":\"%s\",\"inputResponses\":{\"name\":{\"action\":\"accept\","
                "\"content\":{\"name\":\"Ada\"}},\"unasked\":{\"action\":\"decline\"}}",
                state);
        r = result_of(call("ask_name", extra));
        ck_assert_str_eq(json_get_string(json_object_array_get_idx(json_get_array(r, "content"), 0), "text"),
                "Hello, Ada (resumed)");

        /* Wrong keys: asked again, not an error. */
        r = result_of(call("ask_name", ",\"inputResponses\":{\"other\":{\"action\":\"accept\"}}"));
        ck_assert_str_eq(json_get_string(r, "resultType"), "input_required");
}
END_TEST

START_TEST(test_state_carries_earlier_answers) {
        json_object *r = result_of(call("two_steps", ""));
        ck_assert(json_get_object(json_get_object(r, "inputRequests"), "first"));

        r = result_of(call("two_steps", ",\"inputResponses\":{\"first\":{\"action\":\"accept\",\"content\":{}}}"));
        ck_assert_str_eq(json_get_string(r, "resultType"), "input_required");
        ck_assert(json_get_object(json_get_object(r, "inputRequests"), "second"));
        ck_assert(!json_get_object(json_get_object(r, "inputRequests"), "first"));
        _cleanup_free_ char *state = state_of(capture.reply);

        /* Round three has only the second answer; the first comes from the state. */
        char extra[4096];
        snprintf(extra, sizeof(extra),
                ",\"requestState\":\"%s\",\"inputResponses\":{\"second\":{\"action\":\"accept\"}}", state);
        r = result_of(call("two_steps", extra));
        ck_assert_str_eq(json_get_string(json_object_array_get_idx(json_get_array(r, "content"), 0), "text"),
                "both answered");

        /* Without the state round three is asked the first question again. */
        r = result_of(call("two_steps", ",\"inputResponses\":{\"second\":{\"action\":\"accept\"}}"));
        ck_assert(json_get_object(json_get_object(r, "inputRequests"), "first"));
}
END_TEST

static void assert_state_refused(const char *tool, const char *state, const char *args, const char *why) {
        char text[8192];
        snprintf(text, sizeof(text),
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"%s\",\"arguments\":%s,"
                "\"requestState\":\"%s\",\"inputResponses\":{\"name\":{\"action\":\"accept\",\"content\":{\"name\":\"x\"}}}," META
                "}}",
                tool, args, state);
        json_object *reply = send(text);
        ck_assert_int_eq(error_code(reply), -32602);
        const char *message = json_get_string(json_get_object(reply, "error"), "message");
        ck_assert_msg(strstr(message, why), "\"%s\" does not say \"%s\"", message, why);
}

START_TEST(test_tampered_state_is_refused) {
        call("ask_name", "");
        _cleanup_free_ char *state = state_of(capture.reply);
        for (size_t i = 0, n = strlen(state); i < n; i += 7) {
                char saved = state[i];
                state[i] = saved == 'A' ? 'B' : 'A';
                assert_state_refused("ask_name", state, "{}", "integrity");
                state[i] = saved;
        }
}
END_TEST

START_TEST(test_truncated_state_is_refused) {
        call("ask_name", "");
        _cleanup_free_ char *state = state_of(capture.reply);
        size_t n = strlen(state);
        FOREACH_ELEMENT(keep, ((size_t[]){ 0, 1, 16, n / 2, n - 1 })) {
                char cut[4096];
                snprintf(cut, sizeof(cut), "%.*s", (int) *keep, state);
                assert_state_refused("ask_name", cut, "{}", "integrity");
        }
        assert_state_refused("ask_name", "not base64 at all!", "{}", "integrity");
}
END_TEST

START_TEST(test_foreign_state_is_refused) {
        call("ask_name", "");
        _cleanup_free_ char *state = state_of(capture.reply);

        /* Another tool, or other arguments. */
        assert_state_refused("two_steps", state, "{}", "another request");
        assert_state_refused("ask_name", state, "{\"extra\":1}", "another request");

        /* Another server, with its own key. */
        _cleanup_(mcp_server_freep) McpServer *other = NULL;
        ck_assert_int_ge(mcp_server_new(&other, &definition, event, NULL), 0);
        McpServer *mine = server;
        server = other;
        assert_state_refused("ask_name", state, "{}", "integrity");
        server = mine;

        /* Replicas sharing a secret open each other's states. */
        ck_assert_int_eq(mcp_server_set_state_secret(server, "shared secret", 13), 0);
        ck_assert_int_eq(mcp_server_set_state_secret(other, "shared secret", 13), 0);
        call("ask_name", "");
        _cleanup_free_ char *shared = state_of(capture.reply);
        server = other;
        char extra[4096];
        snprintf(extra, sizeof(extra),
                ",\"requestState\":\"%s\",\"inputResponses\":{\"name\":{\"action\":\"accept\","
                "\"content\":{\"name\":\"Bo\"}}}",
                shared);
        json_object *r = result_of(call("ask_name", extra));
        server = mine;
        ck_assert_ptr_nonnull(r);
        ck_assert_str_eq(json_get_string(json_object_array_get_idx(json_get_array(r, "content"), 0), "text"),
                "Hello, Bo (resumed)");
}
END_TEST

/* Calls ask_name with arguments (JSON text) and the extra params text, as principal (NULL: none). */
static const char *current_principal;
static const char *principal_of(void *userdata) {
        return current_principal;
}

static json_object *call_as(const char *principal, const char *arguments, const char *extra) {
        McpSinkOps ops = *test_capture_ops;
        ops.principal = principal_of;
        current_principal = principal;

        _cleanup_free_ char *text = NULL;
        ck_assert_int_ge(asprintf(&text,
                                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":"
                                 "\"ask_name\",\"arguments\":%s%s," META "}}",
                                 arguments, extra),
                0);
        _cleanup_json_ json_object *m = NULL;
        ck_assert_int_eq(json_parse_strict(text, strlen(text), &m, NULL), 0);
        capture_reset(&capture);
        capture.messages = json_object_new_array();
        if (mcp_server_dispatch_stateless(server, m, &ops, &capture, NULL) == 0)
                capture.done = true;
        capture_run(&capture, event);
        return capture.reply;
}

/* The reply's error message, or its first text. */
static const char *outcome(json_object *reply) {
        const char *message = json_get_string(json_get_object(reply, "error"), "message");
        if (message)
                return message;
        return json_get_string(json_object_array_get_idx(json_get_array(result_of(reply), "content"), 0), "text");
}

static const char *resume_as(const char *principal, const char *arguments, const char *state) {
        _cleanup_free_ char *extra = NULL;
        ck_assert_int_ge(asprintf(&extra,
                                 ",\"requestState\":\"%s\",\"inputResponses\":{\"name\":{\"action\":\"accept\","
                                 "\"content\":{\"name\":\"Di\"}}}",
                                 state),
                0);
        return outcome(call_as(principal, arguments, extra));
}

START_TEST(test_state_is_bound_to_exact_arguments) {
        /* Equal as doubles, different as integers: a state for one must not open for the other. */
        call_as(NULL, "{\"n\":9007199254740992}", "");
        _cleanup_free_ char *state = state_of(capture.reply);
        ck_assert_ptr_nonnull(strstr(resume_as(NULL, "{\"n\":9007199254740993}", state), "another request"));
        ck_assert_ptr_nonnull(strstr(resume_as(NULL, "{\"n\":9007199254740992.0}", state), "another request"));
        ck_assert_ptr_nonnull(strstr(resume_as(NULL, "{\"n\":\"9007199254740992\"}", state), "another request"));
        ck_assert_str_eq(resume_as(NULL, "{\"n\":9007199254740992}", state), "Hello, Di (resumed)");

        /* The order of members is not part of the arguments; strings are compared whole, past a NUL. */
        call_as(NULL, "{\"a\":1,\"b\":\"x\\u0000y\"}", "");
        _cleanup_free_ char *ordered = state_of(capture.reply);
        ck_assert_str_eq(resume_as(NULL, "{\"b\":\"x\\u0000y\",\"a\":1}", ordered), "Hello, Di (resumed)");
        ck_assert_ptr_nonnull(strstr(resume_as(NULL, "{\"a\":1,\"b\":\"x\\u0000z\"}", ordered), "another request"));
}
END_TEST

START_TEST(test_state_is_bound_to_the_principal) {
        call_as("alice", "{}", "");
        _cleanup_free_ char *state = state_of(capture.reply);
        ck_assert_ptr_nonnull(strstr(resume_as("bob", "{}", state), "another request"));
        ck_assert_ptr_nonnull(strstr(resume_as(NULL, "{}", state), "another request"));
        ck_assert_ptr_nonnull(strstr(resume_as("", "{}", state), "another request"));
        ck_assert_str_eq(resume_as("alice", "{}", state), "Hello, Di (resumed)");

        call_as(NULL, "{}", "");
        _cleanup_free_ char *anonymous = state_of(capture.reply);
        ck_assert_ptr_nonnull(strstr(resume_as("alice", "{}", anonymous), "another request"));
        ck_assert_str_eq(resume_as(NULL, "{}", anonymous), "Hello, Di (resumed)");
}
END_TEST

/* A relay's tool (the gateway's /mcp): it sees requestState as the client sent it. */
static int tool_show_state(McpRequest *req, json_object *args) {
        const char *state = json_get_string(mcp_request_get_params(req), "requestState");
        return mcp_request_reply_text(req, "state: %s", state ?: "(none)");
}

static int relay_nothing(McpRequest *req, json_object *message, void *userdata) {
        return 0;
}

START_TEST(test_relay_passes_state_on_to_its_tools) {
        static const char *const no_methods[] = { NULL };
        static const McpRelay relay = { .request = relay_nothing, .methods = no_methods };
        static const McpTool relayed[] = { { .name = "far", .handler = tool_show_state }, {} };
        static const McpServerDefinition relay_definition = { .name = "relay",
                .version = "1",
                .tools = relayed,
                .relay = &relay };
        _cleanup_(mcp_server_freep) McpServer *front = NULL;
        ck_assert_int_ge(mcp_server_new(&front, &relay_definition, event, NULL), 0);

        static const char text[] =
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"far\","
                "\"arguments\":{},\"requestState\":\"sealed-by-the-backend\",\"inputResponses\":{}," META "}}";
        json_object *reply = capture_dispatch_stateless(&capture, front, event, text);
        ck_assert_str_eq(outcome(reply), "state: sealed-by-the-backend");

        /* A server of its own still opens (and here refuses) what it did not seal. */
        static const char own[] =
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"plain\","
                "\"arguments\":{},\"requestState\":\"sealed-by-the-backend\"," META "}}";
        ck_assert_int_eq(error_code(send(own)), -32602);
}
END_TEST

START_TEST(test_listen_subscriptions_are_bounded) {
        _cleanup_free_ char *uris = NULL, *text = NULL;
        size_t n = 1001;
        uris = malloc(n * 24 + 1);
        ck_assert_ptr_nonnull(uris);
        char *p = uris;
        for (size_t i = 0; i < n; i++)
                p += sprintf(p, "%s\"test://r/%zu\"", i ? "," : "", i);
        ck_assert_int_ge(asprintf(&text,
                                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"subscriptions/listen\",\"params\":{"
                                 "\"notifications\":{\"resourceSubscriptions\":[%s]}," META "}}",
                                 uris),
                0);
        json_object *reply = send(text);
        ck_assert_int_eq(error_code(reply), -32602);
        ck_assert_ptr_nonnull(strstr(outcome(reply), "at most 1000 URIs"));

        static const char nul[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"subscriptions/listen\",\"params\":{"
                                  "\"notifications\":{\"resourceSubscriptions\":[\"test://a\\u0000b\"]}," META "}}";
        ck_assert_int_eq(error_code(send(nul)), -32602);
}
END_TEST

START_TEST(test_replayed_state_is_idempotent_until_it_expires) {
        call("ask_name", "");
        _cleanup_free_ char *state = state_of(capture.reply);
        char extra[4096];
        snprintf(extra, sizeof(extra),
                ",\"requestState\":\"%s\",\"inputResponses\":{\"name\":{\"action\":\"accept\","
                "\"content\":{\"name\":\"Cy\"}}}",
                state);
        /* The same state twice gives the same answer: there is nothing stored on the server to use up. */
        for (int i = 0; i < 2; i++)
                ck_assert_str_eq(json_get_string(json_object_array_get_idx(json_get_array(result_of(call("ask_name",
                                                                                                  extra)),
                                                                                   "content"),
                                                         0),
                                         "text"),
                        "Hello, Cy (resumed)");

        mcp_server_set_request_state_ttl(server, 0);
        call("ask_name", "");
        _cleanup_free_ char *stale = state_of(capture.reply);
        assert_state_refused("ask_name", stale, "{}", "expired");
}
END_TEST

START_TEST(test_missing_capability_is_refused) {
        char text[1024];
        snprintf(text, sizeof(text),
                "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"needs_roots\"," META
                "}}");
        json_object *reply = send(text);
        ck_assert_int_eq(error_code(reply), -32021);
        json_object *required =
                json_get_object(json_get_object(json_get_object(reply, "error"), "data"), "requiredCapabilities");
        ck_assert_ptr_nonnull(json_get_object(required, "roots"));
}
END_TEST

START_TEST(test_headers_are_checked_against_the_body) {
        static const char body[] =
                "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"plain\"," META "}}";
        _cleanup_json_ json_object *m = NULL;
        ck_assert_int_eq(json_parse_strict(body, strlen(body), &m, NULL), 0);

        static const struct {
                McpWireHeaders h;
                int code;
        } cases[] = {
                { { "2026-07-28", "tools/call", "plain" }, 0 },
                { { " 2026-07-28 ", "\ttools/call ", "  plain  " }, 0 },
                { { NULL, "tools/call", "plain" }, -32020 },
                { { "2025-11-25", "tools/call", "plain" }, -32020 },
                { { "2026-07-28", NULL, "plain" }, -32020 },
                { { "2026-07-28", "TOOLS/CALL", "plain" }, -32020 },
                { { "2026-07-28", "tools/list", "plain" }, -32020 },
                { { "2026-07-28", "tools/call", NULL }, -32020 },
                { { "2026-07-28", "tools/call", "other" }, -32020 },
        };
        FOREACH_ELEMENT(c, cases) {
                _cleanup_json_ json_object *reply = NULL;
                int r = mcp_stateless_check(m, &c->h, &reply);
                ck_assert_int_eq(r, c->code ? 1 : 0);
                ck_assert_int_eq(error_code(reply), c->code);
                if (reply)
                        ck_assert_int_eq(json_object_get_int(json_object_object_get(reply, "id")), 4);
        }
}
END_TEST

START_TEST(test_log_level_from_meta) {
        call("logs", "");
        ck_assert_int_eq(json_object_array_length(capture.messages), 0);

        char text[1024];
        snprintf(text, sizeof(text),
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"logs\",\"_meta\":{"
                "\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/clientCapabilities\":{},"
                "\"io.modelcontextprotocol/logLevel\":\"info\"}}}");
        send(text);
        ck_assert_int_eq(json_object_array_length(capture.messages), 1);
        ck_assert_str_eq(json_to_string(json_get_object(json_object_array_get_idx(capture.messages, 0), "params")),
                "{\"level\":\"warning\",\"data\":\"warning\"}");
}
END_TEST

START_TEST(test_listen_acknowledges_and_filters) {
        Capture tools_listener = {}, prompts_listener = {};
        _cleanup_json_ json_object *a = NULL, *b = NULL;
        static const char tools_text[] =
                "{\"jsonrpc\":\"2.0\",\"id\":\"t\",\"method\":\"subscriptions/listen\",\"params\":{"
                "\"notifications\":{\"toolsListChanged\":true,\"unknownFlag\":true}," META "}}";
        static const char prompts_text[] =
                "{\"jsonrpc\":\"2.0\",\"id\":\"p\",\"method\":\"subscriptions/listen\",\"params\":{"
                "\"notifications\":{\"promptsListChanged\":true}," META "}}";
        ck_assert_int_eq(json_parse_strict(tools_text, strlen(tools_text), &a, NULL), 0);
        ck_assert_int_eq(json_parse_strict(prompts_text, strlen(prompts_text), &b, NULL), 0);
        McpExchange *xa = NULL, *xb = NULL;
        tools_listener.messages = json_object_new_array();
        prompts_listener.messages = json_object_new_array();

        ck_assert_int_eq(mcp_server_dispatch_stateless(server, a, test_capture_ops, &tools_listener, &xa), 1);
        ck_assert_int_eq(mcp_server_dispatch_stateless(server, b, test_capture_ops, &prompts_listener, &xb), 1);
        ck_assert_ptr_nonnull(xa);
        ck_assert(!tools_listener.done);

        json_object *ack = json_object_array_get_idx(tools_listener.messages, 0);
        ck_assert_str_eq(json_get_string(ack, "method"), "notifications/subscriptions/acknowledged");
        ck_assert_str_eq(json_to_string(json_get_object(ack, "params")),
                "{\"notifications\":{\"toolsListChanged\":true},\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":\"t\"}}");

        ck_assert_int_eq(mcp_server_add_tool(server, &late_tool), 0);
        ck_assert_int_eq(json_object_array_length(tools_listener.messages), 2);
        json_object *changed = json_object_array_get_idx(tools_listener.messages, 1);
        ck_assert_str_eq(json_get_string(changed, "method"), "notifications/tools/list_changed");
        ck_assert_str_eq(json_get_string(json_get_object(json_get_object(changed, "params"), "_meta"),
                                 "io.modelcontextprotocol/subscriptionId"),
                "t");
        ck_assert_int_eq(json_object_array_length(prompts_listener.messages), 1); /* only its acknowledgement */

        /* The client closes the streams: the listeners are gone, with no answer sent. */
        mcp_exchange_abort(xa);
        mcp_exchange_abort(xb);
        ck_assert_int_eq(mcp_server_remove_tool(server, "late"), 0);
        ck_assert_int_eq(json_object_array_length(tools_listener.messages), 2);
        ck_assert(!tools_listener.done);
        capture_reset(&tools_listener);
        capture_reset(&prompts_listener);
}
END_TEST

/* --- sealed session ids ------------------------------------------------------------------------------ */

#define CAPABILITIES "{\"elicitation\":{\"form\":{}},\"roots\":{\"listChanged\":true},\"experimental\":{\"x\":{}}}"

/* A session of server as an HTTP transport opens one for principal, initialized; its public id, copied. */
static char *open_session(McpServer *s, const char *principal, McpSession **ret) {
        McpSession *session = NULL;
        ck_assert_int_eq(mcp_session_new(s, &session), 0);
        ck_assert_int_eq(mcp_session_set_principal(session, principal), 0);
        _cleanup_json_ json_object *caps = NULL;
        ck_assert_int_eq(json_parse_strict(CAPABILITIES, strlen(CAPABILITIES), &caps, NULL), 0);
        ck_assert_int_eq(mcp_session_initialize(session, "2025-11-25", caps, NULL), 0);
        *ret = session;
        return strdup(mcp_session_get_public_id(session));
}

/* Whether id opens on s for principal (and frees what it opened). */
static bool opens(McpServer *s, const char *id, const char *principal) {
        _cleanup_(mcp_sealed_session_freep) McpSealedSession *sealed = NULL;
        int r = mcp_sealed_session_open(s, id, principal, &sealed);
        ck_assert_int_ge(r, 0);
        return r > 0;
}

START_TEST(test_session_ids_are_random_without_a_shared_key) {
        McpSession *session = NULL;
        _cleanup_free_ char *id = open_session(server, "key:alice", &session);
        ck_assert(!mcp_server_seals_sessions(server));
        ck_assert_str_eq(id, mcp_session_get_id(session));
        ck_assert_uint_eq(strlen(id), 48);
        ck_assert_ptr_eq(mcp_server_find_session(server, id), session);
        ck_assert(!opens(server, id, "key:alice"));
        mcp_session_unref(session);
}
END_TEST

START_TEST(test_sealed_session_is_taken_up_by_a_replica) {
        _cleanup_(mcp_server_freep) McpServer *replica = NULL;
        ck_assert_int_ge(mcp_server_new(&replica, &definition, event, NULL), 0);
        ck_assert_int_eq(mcp_server_set_state_secret(server, "shared secret", 13), 0);
        ck_assert_int_eq(mcp_server_set_state_secret(replica, "shared secret", 13), 0);

        McpSession *session = NULL;
        _cleanup_free_ char *id = open_session(server, "key:alice", &session);
        /* Sealed, short enough for a header, and only the sealed id names the session. */
        ck_assert_str_ne(id, mcp_session_get_id(session));
        ck_assert_uint_le(strlen(id), 200);
        ck_assert_ptr_eq(mcp_server_find_session(server, id), session);
        ck_assert_ptr_null(mcp_server_find_session(server, mcp_session_get_id(session)));

        /* The replica does not hold it, and takes it up for its principal only. */
        ck_assert_ptr_null(mcp_server_find_session(replica, id));
        ck_assert(!opens(replica, id, "key:bob"));
        ck_assert(!opens(replica, id, NULL));
        _cleanup_(mcp_sealed_session_freep) McpSealedSession *sealed = NULL;
        ck_assert_int_eq(mcp_sealed_session_open(replica, id, "key:alice", &sealed), 1);
        McpSession *taken = NULL;
        ck_assert_int_eq(mcp_session_take_up(replica, sealed, id, &taken), 0);
        ck_assert(mcp_session_is_initialized(taken));
        ck_assert_str_eq(mcp_session_get_version(taken), "2025-11-25");
        ck_assert_str_eq(mcp_session_get_id(taken), mcp_session_get_id(session));
        ck_assert_str_eq(mcp_session_get_public_id(taken), id);
        ck_assert_ptr_eq(mcp_server_find_session(replica, id), taken);
        ck_assert_int_eq(mcp_session_take_up(replica, sealed, id, &(McpSession *){ NULL }), -EEXIST);

        /* The capabilities a server acts on travel, with their options; experimental ones do not. */
        json_object *caps = mcp_session_get_client_capabilities(taken);
        ck_assert_ptr_nonnull(json_get_object(json_get_object(caps, "elicitation"), "form"));
        ck_assert_ptr_nonnull(json_get_object(caps, "roots"));
        ck_assert(!json_object_object_get_ex(caps, "experimental", NULL));
        ck_assert(!json_object_object_get_ex(caps, "sampling", NULL));

        /* Ended here on purpose: not taken up here again, while the first replica still holds it. */
        mcp_session_end(taken);
        mcp_session_unref(taken);
        ck_assert_ptr_null(mcp_server_find_session(replica, id));
        ck_assert(!opens(replica, id, "key:alice"));
        ck_assert_ptr_eq(mcp_server_find_session(server, id), session);
        mcp_session_unref(session);
}
END_TEST

START_TEST(test_session_made_without_a_principal_opens_only_without_one) {
        ck_assert_int_eq(mcp_server_set_state_secret(server, "shared secret", 13), 0);
        McpSession *session = NULL;
        _cleanup_free_ char *id = open_session(server, NULL, &session);
        mcp_session_close(session);
        mcp_session_unref(session);
        ck_assert(opens(server, id, NULL)); /* ended for idleness, say: taken up again */
        ck_assert(!opens(server, id, "anonymous"));
}
END_TEST

START_TEST(test_altered_foreign_and_expired_session_ids_do_not_open) {
        _cleanup_(mcp_server_freep) McpServer *other = NULL, *unkeyed = NULL;
        ck_assert_int_ge(mcp_server_new(&other, &definition, event, NULL), 0);
        ck_assert_int_ge(mcp_server_new(&unkeyed, &definition, event, NULL), 0);
        ck_assert_int_eq(mcp_server_set_state_secret(server, "shared secret", 13), 0);
        ck_assert_int_eq(mcp_server_set_state_secret(other, "another secret", 14), 0);

        McpSession *session = NULL;
        _cleanup_free_ char *id = open_session(server, "key:alice", &session);
        ck_assert(opens(server, id, "key:alice"));

        /* Each character altered in turn (a base64url letter for another), and the id cut short. */
        for (size_t i = 0; id[i]; i++) {
                _cleanup_free_ char *altered = strdup(id);
                altered[i] = altered[i] == 'A' ? 'B' : 'A';
                ck_assert_msg(!opens(server, altered, "key:alice"), "altered at %zu", i);
                ck_assert_ptr_null(mcp_server_find_session(server, altered));
        }
        _cleanup_free_ char *cut = strndup(id, strlen(id) - 4);
        ck_assert(!opens(server, cut, "key:alice"));
        ck_assert(!opens(server, "not a sealed id", "key:alice"));

        /* Another key, or none shared, or another server (endpoint) with the same key. */
        ck_assert(!opens(other, id, "key:alice"));
        static const McpServerDefinition elsewhere = { .name = "another-endpoint", .version = "1", .tools = tools };
        _cleanup_(mcp_server_freep) McpServer *endpoint = NULL;
        ck_assert_int_ge(mcp_server_new(&endpoint, &elsewhere, event, NULL), 0);
        ck_assert_int_eq(mcp_server_set_state_secret(endpoint, "shared secret", 13), 0);
        ck_assert(!opens(endpoint, id, "key:alice"));
        ck_assert(!opens(unkeyed, id, "key:alice"));
        ck_assert_ptr_null(mcp_server_find_session(unkeyed, id));

        /* A requestState sealed with the same key is no session id. */
        call("ask_name", "");
        _cleanup_free_ char *state = state_of(capture.reply);
        ck_assert(!opens(server, state, "key:alice"));

        /* Past its lifetime it names the session nowhere, not even on the replica holding it. */
        mcp_server_set_session_lifetime(server, 0);
        ck_assert(!opens(server, id, "key:alice"));
        ck_assert_ptr_null(mcp_server_find_session(server, id));
        mcp_session_unref(session);
}
END_TEST

static Suite *stateless_suite(void) {
        Suite *s = suite_create("stateless");
        TCase *tc = tcase_create("stateless");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_missing_meta_is_invalid_params);
        tcase_add_test(tc, test_unsupported_version_lists_supported);
        tcase_add_test(tc, test_session_methods_are_not_found);
        tcase_add_test(tc, test_discover_and_result_fields);
        tcase_add_test(tc, test_round_trip);
        tcase_add_test(tc, test_state_carries_earlier_answers);
        tcase_add_test(tc, test_tampered_state_is_refused);
        tcase_add_test(tc, test_truncated_state_is_refused);
        tcase_add_test(tc, test_foreign_state_is_refused);
        tcase_add_test(tc, test_replayed_state_is_idempotent_until_it_expires);
        tcase_add_test(tc, test_state_is_bound_to_exact_arguments);
        tcase_add_test(tc, test_state_is_bound_to_the_principal);
        tcase_add_test(tc, test_relay_passes_state_on_to_its_tools);
        tcase_add_test(tc, test_listen_subscriptions_are_bounded);
        tcase_add_test(tc, test_missing_capability_is_refused);
        tcase_add_test(tc, test_headers_are_checked_against_the_body);
        tcase_add_test(tc, test_log_level_from_meta);
        tcase_add_test(tc, test_listen_acknowledges_and_filters);
        suite_add_tcase(s, tc);

        tc = tcase_create("sealed sessions");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_session_ids_are_random_without_a_shared_key);
        tcase_add_test(tc, test_sealed_session_is_taken_up_by_a_replica);
        tcase_add_test(tc, test_session_made_without_a_principal_opens_only_without_one);
        tcase_add_test(tc, test_altered_foreign_and_expired_session_ids_do_not_open);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_run_suite(stateless_suite());
}
