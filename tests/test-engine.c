/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The MCP engine driven in-process: JSON-RPC shape, lifecycle, tools, resources, prompts, cancellation. */
#include <check.h>
#include <stdio.h>

#include "mcp-content.h"
#include "mcp-request.h"
#include "mcp-session.h"
#include "test-util.h"

/* --- a small server for the tests ------------------------------------------------------------------ */

static int tool_echo(McpRequest *req, json_object *args) {
        return mcp_request_reply_text(req, "%s", json_get_string(args, "text"));
}

static int tool_fail(McpRequest *req, json_object *args) {
        return -EIO;
}

static void slow_done(McpRequest *req, void *userdata) {
        (void) mcp_request_reply_text(req, "slow done");
}

static bool slow_cancelled = false;
static void slow_cancel(McpRequest *req, void *userdata) {
        slow_cancelled = true;
}

static int tool_slow(McpRequest *req, json_object *args) {
        (void) mcp_request_progress(req, 1, 2, "halfway");
        (void) mcp_request_logf(req, MCP_LOG_DEBUG, "debug line");
        (void) mcp_request_logf(req, MCP_LOG_ERROR, "error line");
        mcp_request_on_cancel(req, slow_cancel, NULL);
        return mcp_request_sleep(req, 20 * USEC_PER_MSEC, slow_done, NULL);
}

static void ask_answer(McpRequest *req, json_object *result, json_object *error, void *userdata) {
        if (error)
                (void) mcp_request_reply_tool_error(req, "asked, got error: %s", json_get_string(error, "message"));
        else
                (void) mcp_request_reply_text(req, "asked, got: %s", json_get_string(result, "action"));
}

static int tool_ask(McpRequest *req, json_object *args) {
        return mcp_request_ask(req, "elicitation/create", json_object_new_object(), ask_answer, NULL);
}

static int read_fixed(McpRequest *req, const char *uri, json_object *vars) {
        _cleanup_json_ json_object *result = json_object_new_object();
        json_add(result, "contents", JSON_ARRAY(mcp_resource_text(uri, "text/plain", "fixed")));
        return mcp_request_reply(req, TAKE_PTR(result));
}

static int read_item(McpRequest *req, const char *uri, json_object *vars) {
        _cleanup_json_ json_object *result = json_object_new_object();
        json_add(result, "contents", JSON_ARRAY(mcp_resource_text(uri, "text/plain", json_get_string(vars, "id"))));
        return mcp_request_reply(req, TAKE_PTR(result));
}

static int get_prompt(McpRequest *req, json_object *args) {
        _cleanup_json_ json_object *result = json_object_new_object();
        json_add(result, "messages", json_object_new_array());
        return mcp_request_reply(req, TAKE_PTR(result));
}

static int complete_colors(const char *argument, const char *value, json_object *context, json_object **ret) {
        static const char *const colors[] = { "red", "green", "grey", "blue" };
        json_object *a = json_object_new_array();
        FOREACH_ELEMENT(c, colors)
        if (startswith_ptr(*c, value))
                json_object_array_add(a, json_object_new_string(*c));
        *ret = a;
        return 0;
}

static const McpTool tools[] = {
        { .name = "echo",
                .input_schema =
                        "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"}},\"required\":[\"text\"]}",
                .handler = tool_echo },
        { .name = "fail", .handler = tool_fail }, { .name = "slow", .handler = tool_slow },
        { .name = "ask", .handler = tool_ask }, { .name = "t5", .handler = tool_fail }, {}
};

static const McpResource resources[] = { { .uri = "test://fixed", .name = "fixed", .read = read_fixed }, {} };

static const McpResourceTemplate templates[] = {
        { .uri_template = "test://items/{id}", .name = "item", .read = read_item }, {}
};

static const McpPrompt prompts[] = { { .name = "greet",
                                             .arguments = "[{\"name\":\"color\",\"required\":true}]",
                                             .get = get_prompt,
                                             .complete = complete_colors },
        {} };

static const McpServerDefinition definition = {
        .name = "test",
        .version = "1",
        .tools = tools,
        .resources = resources,
        .resource_templates = templates,
        .prompts = prompts,
        .page_size = 2,
};

/* --- fixture: a server, a session, and a sink that records ----------------------------------------- */

static sd_event *event;
static McpServer *server;
static McpSession *session;
static Capture capture;

static void setup(void) {
        ck_assert_int_ge(sd_event_new(&event), 0);
        ck_assert_int_ge(mcp_server_new(&server, &definition, event, NULL), 0);
        ck_assert_int_ge(mcp_session_new(server, &session), 0);
        capture_reset(&capture);
}

static void teardown(void) {
        mcp_session_close(session);
        session = mcp_session_unref(session);
        server = mcp_server_free(server);
        event = sd_event_unref(event);
        capture_reset(&capture);
}

/* Sends text, runs the loop until the exchange is done; returns the reply (owned by capture) or NULL. */
static json_object *send_text(const char *text) {
        return capture_dispatch(&capture, server, session, event, text);
}

static void initialize(const char *version) {
        char buf[512];
        snprintf(buf, sizeof(buf),
                "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"%s\","
                "\"capabilities\":{\"elicitation\":{}},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}",
                version);
        json_object *r = send_text(buf);
        ck_assert_ptr_nonnull(json_get_object(r, "result"));
        capture_reset(&capture);
}

static int error_code(json_object *reply) {
        json_object *e = json_get_object(reply, "error"), *c;
        ck_assert_msg(e, "expected an error, got %s", json_to_string(reply));
        ck_assert(json_object_object_get_ex(e, "code", &c));
        return json_object_get_int(c);
}

static const char *first_text(json_object *reply) {
        json_object *content = json_get_array(json_get_object(reply, "result"), "content");
        ck_assert_msg(content, "no content in %s", json_to_string(reply));
        return json_get_string(json_object_array_get_idx(content, 0), "text");
}

/* --- JSON-RPC shape -------------------------------------------------------------------------------- */

START_TEST(test_invalid_json_gives_parse_error) {
        json_object *m;
        const char *reason;
        ck_assert_int_eq(json_parse_strict("{\"a\":", 5, &m, &reason), -EINVAL);
        ck_assert_int_eq(json_parse_strict("{} x", 4, &m, &reason), -EINVAL);
        ck_assert_int_eq(json_parse_strict("", 0, &m, &reason), -EINVAL);
        ck_assert_int_eq(json_parse_strict("{'a':1}", 7, &m, &reason), -EINVAL);
        _cleanup_json_ json_object *e = mcp_parse_error_new(reason);
        ck_assert_int_eq(error_code(e), -32700);
}
END_TEST

START_TEST(test_invalid_utf8_is_refused) {
        json_object *m;
        const char *reason;
        const char bad[] = "{\"jsonrpc\":\"2.0\",\"method\":\"\xc3\x28\"}";
        ck_assert_int_eq(json_parse_strict(bad, sizeof(bad) - 1, &m, &reason), -EINVAL);
}
END_TEST

START_TEST(test_deep_nesting_is_refused) {
        char buf[1024] = "";
        for (int i = 0; i < 200; i++)
                strcat(buf, "[");
        for (int i = 0; i < 200; i++)
                strcat(buf, "]");
        json_object *m;
        const char *reason;
        ck_assert_int_eq(json_parse_strict(buf, strlen(buf), &m, &reason), -EINVAL);
}
END_TEST

START_TEST(test_non_object_message_is_invalid_request) {
        ck_assert_int_eq(error_code(send_text("42")), -32600);
        ck_assert_int_eq(error_code(send_text("\"ping\"")), -32600);
}
END_TEST

START_TEST(test_wrong_jsonrpc_version_is_invalid_request) {
        json_object *r = send_text("{\"jsonrpc\":\"1.0\",\"id\":7,\"method\":\"ping\"}");
        ck_assert_int_eq(error_code(r), -32600);
        json_object *id;
        ck_assert(json_object_object_get_ex(r, "id", &id));
        ck_assert_int_eq(json_object_get_int(id), 7);
}
END_TEST

START_TEST(test_bad_id_types_are_invalid_request) {
        ck_assert_int_eq(error_code(send_text("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}")), -32600);
        ck_assert_int_eq(error_code(send_text("{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"ping\"}")), -32600);
        ck_assert_int_eq(error_code(send_text("{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}")), -32600);
        ck_assert_int_eq(error_code(send_text("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}")), -32600);
}
END_TEST

START_TEST(test_huge_id_is_refused_not_mangled) {
        /* Beyond int64 the id cannot be echoed exactly, so it is refused instead of answered wrongly. */
        json_object *r = send_text("{\"jsonrpc\":\"2.0\",\"id\":123456789012345678901234567890,\"method\":\"ping\"}");
        ck_assert_int_eq(error_code(r), -32600);
        r = send_text("{\"jsonrpc\":\"2.0\",\"id\":9007199254740993,\"method\":\"ping\"}");
        ck_assert_str_eq(json_to_string(r), "{\"jsonrpc\":\"2.0\",\"id\":9007199254740993,\"result\":{}}");
}
END_TEST

START_TEST(test_ids_at_the_int64_edges_are_echoed_or_refused) {
        /* json-c saturates integers beyond 64 bits: what it could not read exactly is refused, the rest is
         * echoed digit for digit. */
        static const char *const exact[] = { "9223372036854775807", "-9223372036854775807", "9007199254740993", "0" };
        FOREACH_ELEMENT(id, exact) {
                char text[256], expected[256];
                snprintf(text, sizeof(text), "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"ping\"}", *id);
                snprintf(expected, sizeof(expected), "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":{}}", *id);
                ck_assert_str_eq(json_to_string(send_text(text)), expected);
        }
        static const char *const beyond[] = { "9223372036854775808", "18446744073709551615", "18446744073709551616",
                "-9223372036854775808", "-9223372036854775809", "1e3" };
        FOREACH_ELEMENT(id, beyond) {
                char text[256];
                snprintf(text, sizeof(text), "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"ping\"}", *id);
                json_object *r = send_text(text);
                ck_assert_int_eq(error_code(r), -32600);
                /* and the refusal does not carry an altered id either */
                ck_assert(json_object_is_type(json_object_object_get(r, "id"), json_type_null));
        }
}
END_TEST

START_TEST(test_method_with_nul_is_invalid_request) {
        json_object *r = send_text("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\\u0000x\"}");
        ck_assert_int_eq(error_code(r), -32600);
        ck_assert_ptr_nonnull(strstr(json_get_string(json_get_object(r, "error"), "message"), "NUL"));
}
END_TEST

START_TEST(test_params_must_be_an_object) {
        ck_assert_int_eq(error_code(send_text("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":[1]}")),
                -32600);
}
END_TEST

START_TEST(test_unknown_method_is_method_not_found) {
        initialize("2025-11-25");
        ck_assert_int_eq(error_code(send_text("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"no/such\"}")), -32601);
}
END_TEST

START_TEST(test_notification_gets_no_reply) {
        ck_assert_int_eq(capture_dispatch_count(&capture, server, session, event,
                                 "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"),
                0);
}
END_TEST

START_TEST(test_string_ids_are_echoed) {
        json_object *r = send_text("{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"method\":\"ping\"}");
        ck_assert_str_eq(json_to_string(r), "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"result\":{}}");
}
END_TEST

/* --- lifecycle ------------------------------------------------------------------------------------- */

START_TEST(test_initialize_negotiates_known_version) {
        json_object *r = send_text(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{}}}");
        ck_assert_str_eq(json_get_string(json_get_object(r, "result"), "protocolVersion"), "2025-06-18");
        ck_assert_str_eq(mcp_session_get_version(session), "2025-06-18");
        ck_assert_str_eq(json_get_string(json_get_object(json_get_object(r, "result"), "serverInfo"), "name"), "test");
}
END_TEST

START_TEST(test_initialize_unknown_version_gets_latest) {
        json_object *r = send_text(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"1999-01-01\",\"capabilities\":{}}}");
        ck_assert_str_eq(json_get_string(json_get_object(r, "result"), "protocolVersion"), "2025-11-25");
}
END_TEST

START_TEST(test_initialize_without_version_is_invalid_params) {
        ck_assert_int_eq(error_code(
                                 send_text("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}")),
                -32602);
        ck_assert(!mcp_session_is_initialized(session));
}
END_TEST

START_TEST(test_initialize_twice_is_refused) {
        initialize("2025-11-25");
        ck_assert_int_eq(
                error_code(send_text(
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\"}}")),
                -32600);
}
END_TEST

START_TEST(test_requests_before_initialize_are_refused_but_ping_works) {
        ck_assert_int_eq(error_code(send_text("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}")), -32600);
        ck_assert_ptr_nonnull(
                json_get_object(send_text("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}"), "result"));
}
END_TEST

START_TEST(test_set_level_rejects_unknown_level) {
        initialize("2025-11-25");
        ck_assert_int_eq(
                error_code(send_text(
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"logging/setLevel\",\"params\":{\"level\":\"loud\"}}")),
                -32602);
        ck_assert_ptr_nonnull(json_get_object(
                send_text(
                        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"logging/setLevel\",\"params\":{\"level\":\"error\"}}"),
                "result"));
}
END_TEST

/* --- batches --------------------------------------------------------------------------------------- */

START_TEST(test_batch_answered_as_array_on_2025_03_26) {
        initialize("2025-03-26");
        json_object *r = send_text(
                "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"},{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"},{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"nope\"}]");
        ck_assert(json_object_is_type(r, json_type_array));
        ck_assert_int_eq(json_object_array_length(r), 2);
}
END_TEST

START_TEST(test_batch_refused_from_2025_06_18) {
        initialize("2025-06-18");
        ck_assert_int_eq(error_code(send_text("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]")), -32600);
}
END_TEST

START_TEST(test_empty_batch_is_invalid_request) {
        ck_assert_int_eq(error_code(send_text("[]")), -32600);
}
END_TEST

/* --- tools ----------------------------------------------------------------------------------------- */

START_TEST(test_tools_list_paginates_with_cursor) {
        initialize("2025-11-25");
        json_object *r = send_text("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
        json_object *result = json_get_object(r, "result");
        ck_assert_int_eq(json_object_array_length(json_get_array(result, "tools")), 2);
        const char *cursor = json_get_string(result, "nextCursor");
        ck_assert_ptr_nonnull(cursor);

        size_t seen = 2;
        char buf[256];
        while (cursor) {
                snprintf(buf, sizeof(buf),
                        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\",\"params\":{\"cursor\":\"%s\"}}",
                        cursor);
                result = json_get_object(send_text(buf), "result");
                seen += json_object_array_length(json_get_array(result, "tools"));
                cursor = json_get_string(result, "nextCursor");
        }
        ck_assert_int_eq(seen, 5);
}
END_TEST

START_TEST(test_tools_list_unknown_cursor_is_invalid_params) {
        initialize("2025-11-25");
        ck_assert_int_eq(
                error_code(send_text(
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"cursor\":\"bogus\"}}")),
                -32602);
        ck_assert_int_eq(
                error_code(send_text(
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"cursor\":\"o999\"}}")),
                -32602);
}
END_TEST

START_TEST(test_unknown_tool_is_invalid_params) {
        initialize("2025-11-25");
        ck_assert_int_eq(
                error_code(send_text(
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"nope\"}}")),
                -32602);
        ck_assert_int_eq(error_code(send_text(
                                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":5}}")),
                -32602);
        ck_assert_int_eq(error_code(send_text("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\"}")), -32602);
}
END_TEST

static void assert_invalid_params(const char *text, const char *why) {
        json_object *r = send_text(text);
        ck_assert_int_eq(error_code(r), -32602);
        const char *message = json_get_string(json_get_object(r, "error"), "message");
        ck_assert_msg(strstr(message, why), "\"%s\" does not say \"%s\"", message, why);
}

START_TEST(test_names_with_nul_are_refused_not_cut_short) {
        initialize("2025-11-25");
        /* "echo\u0000x" would run "echo" if read as a C string. */
        assert_invalid_params(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\\u0000x\","
                "\"arguments\":{\"text\":\"hi\"}}}",
                "\"name\" must not contain NUL");
        ck_assert_int_eq(json_object_array_length(capture.messages), 0);
        assert_invalid_params(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"prompts/get\",\"params\":{\"name\":\"greet\\u0000\","
                "\"arguments\":{\"color\":\"red\"}}}",
                "NUL");
        assert_invalid_params(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\",\"params\":{\"uri\":\"test://fixed\\u0000.x\"}}",
                "\"uri\" must not contain NUL");
        assert_invalid_params(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/subscribe\",\"params\":{\"uri\":\"test://fixed\\u0000\"}}",
                "NUL");
        assert_invalid_params(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"completion/complete\",\"params\":{\"ref\":{\"type\":"
                "\"ref/prompt\",\"name\":\"greet\\u0000\"},\"argument\":{\"name\":\"color\",\"value\":\"r\"}}}",
                "NUL");
        /* The name without the NUL still runs. */
        json_object *r =
                send_text("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\","
                          "\"arguments\":{\"text\":\"hi\"}}}");
        ck_assert_str_eq(first_text(r), "hi");
}
END_TEST

/* A request with a string of n bytes where "%s" is in format. */
static json_object *send_with_long_string(const char *format, size_t n) {
        const char *at = strstr(format, "%s");
        ck_assert_ptr_nonnull(at);
        _cleanup_free_ char *filler = malloc(n + 1), *text = NULL;
        ck_assert_ptr_nonnull(filler);
        memset(filler, 'a', n);
        filler[n] = 0;
        ck_assert_int_ge(asprintf(&text, "%.*s%s%s", (int) (at - format), format, filler, at + 2), 0);
        return send_text(text);
}

START_TEST(test_long_uris_cursors_and_tokens_are_refused) {
        initialize("2025-11-25");
        /* 1 MB URIs: not read, not kept as a subscription. */
        json_object *r = send_with_long_string(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/subscribe\",\"params\":{\"uri\":\"test://items/%s\"}}",
                1024 * 1024);
        ck_assert_int_eq(error_code(r), -32602);
        ck_assert_ptr_nonnull(
                strstr(json_get_string(json_get_object(r, "error"), "message"), "longer than 8192 bytes"));
        r = send_with_long_string(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\",\"params\":{\"uri\":\"test://items/%s\"}}",
                1024 * 1024);
        ck_assert_int_eq(error_code(r), -32602);
        /* Up to the limit is fine. */
        r = send_with_long_string(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\",\"params\":{\"uri\":\"test://items/%s\"}}",
                8192 - strlen("test://items/"));
        ck_assert_ptr_nonnull(json_get_object(r, "result"));

        r = send_with_long_string(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"cursor\":\"%s\"}}", 5000);
        ck_assert_int_eq(error_code(r), -32602);
        ck_assert_ptr_nonnull(strstr(json_get_string(json_get_object(r, "error"), "message"), "\"cursor\""));
        r = send_with_long_string(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\","
                "\"arguments\":{\"text\":\"x\"},\"_meta\":{\"progressToken\":\"%s\"}}}",
                2000);
        ck_assert_int_eq(error_code(r), -32602);
        ck_assert_ptr_nonnull(strstr(json_get_string(json_get_object(r, "error"), "message"), "progressToken"));
        r = send_with_long_string(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"%s\"}}", 2000);
        ck_assert_int_eq(error_code(r), -32602);
}
END_TEST

START_TEST(test_subscriptions_per_session_are_bounded) {
        initialize("2025-11-25");
        char text[256];
        for (int i = 0; i < 1000; i++) {
                snprintf(text, sizeof(text),
                        "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"resources/subscribe\",\"params\":{\"uri\":\"test://items/%d\"}}",
                        i, i);
                ck_assert_ptr_nonnull(json_get_object(send_text(text), "result"));
        }
        assert_invalid_params(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/subscribe\",\"params\":{\"uri\":\"test://items/new\"}}",
                "this session holds 1000 resource subscriptions");
        /* One already held may be asked for again; after an unsubscribe there is room for one more. */
        ck_assert_ptr_nonnull(json_get_object(
                send_text(
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/subscribe\",\"params\":{\"uri\":\"test://items/7\"}}"),
                "result"));
        send_text(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/unsubscribe\",\"params\":{\"uri\":\"test://items/7\"}}");
        ck_assert_ptr_nonnull(json_get_object(
                send_text(
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/subscribe\",\"params\":{\"uri\":\"test://items/new\"}}"),
                "result"));
}
END_TEST

START_TEST(test_requests_in_flight_per_session_are_bounded) {
        initialize("2025-11-25");
        static Capture slow[257];
        char text[256];
        for (int i = 0; i < 256; i++) {
                snprintf(text, sizeof(text),
                        "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\",\"params\":{\"name\":\"slow\"}}", i);
                ck_assert_int_eq(capture_start(&slow[i], server, session, text), 1);
                ck_assert(!slow[i].done);
        }
        /* The 257th is refused at once; the others finish, and then there is room again. */
        capture_start(&slow[256], server, session,
                "{\"jsonrpc\":\"2.0\",\"id\":\"one-more\",\"method\":\"tools/call\",\"params\":{\"name\":\"slow\"}}");
        ck_assert(slow[256].done);
        ck_assert_int_eq(error_code(slow[256].reply), -32600);
        ck_assert_ptr_nonnull(strstr(json_get_string(json_get_object(slow[256].reply, "error"), "message"),
                "256 requests in flight"));
        ck_assert_str_eq(json_get_string(slow[256].reply, "id"), "one-more");
        for (int i = 0; i < 256; i++) {
                capture_run(&slow[i], event);
                ck_assert_str_eq(first_text(slow[i].reply), "slow done");
        }
        ck_assert_str_eq(
                first_text(send_text(
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"slow\"}}")),
                "slow done");
        for (int i = 0; i < 257; i++)
                capture_reset(&slow[i]);
}
END_TEST

START_TEST(test_initialize_with_huge_client_info_is_refused) {
        json_object *r = send_with_long_string(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"%s\",\"version\":\"1\"}}}",
                100 * 1024);
        ck_assert_int_eq(error_code(r), -32602);
        r = send_with_long_string(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                "\"2025-11-25\",\"capabilities\":{\"x\":\"%s\"},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}",
                100 * 1024);
        ck_assert_int_eq(error_code(r), -32602);
        ck_assert(!mcp_session_is_initialized(session));
}
END_TEST

START_TEST(test_canonical_text_sorts_keys_and_keeps_numbers) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "{\"b\":[1,2.50,\"x\"],\"a\":{\"d\":null,\"c\":true}}",
                        "{\"a\":{\"c\":true,\"d\":null},\"b\":[1,2.50,\"x\"]}" },
                { "{\"n\":9007199254740992}", "{\"n\":9007199254740992}" },
                { "{\"n\":9007199254740993}", "{\"n\":9007199254740993}" },
                { "{\"n\":1.0}", "{\"n\":1.0}" },
                { "{\"s\":\"a\\u0000b\\\"\"}", "{\"s\":\"a\\u0000b\\\"\"}" },
                { "[]", "[]" },
                { "{}", "{}" },
        };
        FOREACH_ELEMENT(c, cases) {
                _cleanup_json_ json_object *o = NULL;
                _cleanup_free_ char *text = NULL;
                ck_assert_int_eq(json_parse_strict(c->in, strlen(c->in), &o, NULL), 0);
                ck_assert_int_eq(json_canonical_text(o, &text), 0);
                ck_assert_str_eq(text, c->out);
        }
}
END_TEST

START_TEST(test_arguments_of_wrong_type_are_invalid_params) {
        initialize("2025-11-25");
        ck_assert_int_eq(
                error_code(send_text(
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":[1]}}")),
                -32602);
}
END_TEST

START_TEST(test_arguments_failing_schema_give_tool_error) {
        initialize("2025-11-25");
        json_object *r = send_text(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":5}}}");
        ck_assert(json_get_bool(json_get_object(r, "result"), "isError", false));
        ck_assert_ptr_nonnull(strstr(first_text(r), "Invalid arguments"));

        r = send_text(
                "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{}}}");
        ck_assert(json_get_bool(json_get_object(r, "result"), "isError", false));
}
END_TEST

START_TEST(test_tool_call_returns_text) {
        initialize("2025-11-25");
        json_object *r = send_text(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"héllo\"}}}");
        ck_assert_str_eq(first_text(r), "héllo");
        ck_assert(!json_get_bool(json_get_object(r, "result"), "isError", false));
}
END_TEST

START_TEST(test_failing_handler_gives_tool_error) {
        initialize("2025-11-25");
        json_object *r =
                send_text("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"fail\"}}");
        ck_assert(json_get_bool(json_get_object(r, "result"), "isError", true));
        ck_assert_ptr_nonnull(strstr(first_text(r), "Input/output error"));
}
END_TEST

START_TEST(test_progress_and_logging_travel_before_the_reply) {
        initialize("2025-11-25");
        send_text("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"logging/setLevel\",\"params\":{\"level\":\"info\"}}");
        capture_reset(&capture);
        json_object *r = send_text(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"slow\",\"_meta\":{\"progressToken\":\"p1\"}}}");
        ck_assert_str_eq(first_text(r), "slow done");
        /* progress, then the error log line; the debug line is below the level set */
        ck_assert_int_eq(json_object_array_length(capture.messages), 2);
        json_object *progress = json_object_array_get_idx(capture.messages, 0);
        ck_assert_str_eq(json_get_string(progress, "method"), "notifications/progress");
        ck_assert_str_eq(json_get_string(json_get_object(progress, "params"), "progressToken"), "p1");
        json_object *log = json_object_array_get_idx(capture.messages, 1);
        ck_assert_str_eq(json_get_string(json_get_object(log, "params"), "level"), "error");
}
END_TEST

START_TEST(test_no_progress_without_token) {
        initialize("2025-11-25");
        send_text("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"slow\"}}");
        for (size_t i = 0; i < json_object_array_length(capture.messages); i++)
                ck_assert_str_ne(json_get_string(json_object_array_get_idx(capture.messages, i), "method"),
                        "notifications/progress");
}
END_TEST

START_TEST(test_cancelled_request_gets_no_reply) {
        initialize("2025-11-25");
        slow_cancelled = false;
        capture_start(&capture, server, session,
                "{\"jsonrpc\":\"2.0\",\"id\":\"c1\",\"method\":\"tools/call\",\"params\":{\"name\":\"slow\"}}");
        ck_assert(!capture.done);
        Capture other = {};
        ck_assert_int_eq(
                capture_dispatch_count(&other, server, session, event,
                        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":\"c1\",\"reason\":\"test\"}}"),
                0);
        ck_assert(slow_cancelled);
        ck_assert(capture.done);
        ck_assert_ptr_null(capture.reply);
        capture_reset(&other);
}
END_TEST

START_TEST(test_cancelling_unknown_request_is_ignored) {
        initialize("2025-11-25");
        ck_assert_int_eq(
                capture_dispatch_count(&capture, server, session, event,
                        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":\"nope\"}}"),
                0);
}
END_TEST

START_TEST(test_duplicate_request_id_in_flight_is_refused) {
        initialize("2025-11-25");
        capture_start(&capture, server, session,
                "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"slow\"}}");
        Capture other = {};
        json_object *r =
                capture_dispatch(&other, server, session, event, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\"}");
        ck_assert_int_eq(error_code(r), -32600);
        capture_run(&capture, event);
        ck_assert_str_eq(first_text(capture.reply), "slow done");
        capture_reset(&other);
}
END_TEST

START_TEST(test_answer_to_server_request_resumes_tool) {
        initialize("2025-11-25");
        capture_start(&capture, server, session,
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"ask\"}}");
        ck_assert_int_eq(json_object_array_length(capture.messages), 1);
        json_object *ask = json_object_array_get_idx(capture.messages, 0);
        ck_assert_str_eq(json_get_string(ask, "method"), "elicitation/create");

        char buf[256];
        json_object *id;
        ck_assert(json_object_object_get_ex(ask, "id", &id));
        snprintf(buf, sizeof(buf), "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":{\"action\":\"accept\"}}",
                json_to_string(id));
        Capture other = {};
        ck_assert_int_eq(capture_dispatch_count(&other, server, session, event, buf), 0);
        ck_assert(capture.done);
        ck_assert_str_eq(first_text(capture.reply), "asked, got: accept");
        capture_reset(&other);
}
END_TEST

START_TEST(test_session_end_answers_pending_server_request) {
        initialize("2025-11-25");
        capture_start(&capture, server, session,
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"ask\"}}");
        mcp_session_close(session);
        ck_assert(capture.done);
        ck_assert_ptr_null(capture.reply); /* the request was cancelled with its session */
}
END_TEST

START_TEST(test_response_to_unknown_request_is_ignored) {
        initialize("2025-11-25");
        ck_assert_int_eq(capture_dispatch_count(&capture, server, session, event,
                                 "{\"jsonrpc\":\"2.0\",\"id\":4242,\"result\":{}}"),
                0);
}
END_TEST

/* --- resources, prompts, completion ---------------------------------------------------------------- */

START_TEST(test_resource_read_fixed_and_template) {
        initialize("2025-11-25");
        json_object *r = send_text(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\",\"params\":{\"uri\":\"test://fixed\"}}");
        json_object *contents = json_get_array(json_get_object(r, "result"), "contents");
        ck_assert_str_eq(json_get_string(json_object_array_get_idx(contents, 0), "text"), "fixed");

        r = send_text(
                "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resources/read\",\"params\":{\"uri\":\"test://items/42\"}}");
        contents = json_get_array(json_get_object(r, "result"), "contents");
        ck_assert_str_eq(json_get_string(json_object_array_get_idx(contents, 0), "text"), "42");
}
END_TEST

START_TEST(test_unknown_resource_is_resource_not_found) {
        initialize("2025-11-25");
        ck_assert_int_eq(
                error_code(send_text(
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\",\"params\":{\"uri\":\"test://items/\"}}")),
                -32002);
        ck_assert_int_eq(
                error_code(send_text(
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\",\"params\":{\"uri\":\"test://items/1/2\"}}")),
                -32002);
        ck_assert_int_eq(error_code(send_text(
                                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\",\"params\":{}}")),
                -32602);
}
END_TEST

START_TEST(test_subscribed_session_is_told_of_updates) {
        initialize("2025-11-25");
        Capture standalone = {};
        mcp_session_set_standalone(session, capture_standalone_send, &standalone);
        send_text(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/subscribe\",\"params\":{\"uri\":\"test://fixed\"}}");
        mcp_server_notify_resource_updated(server, "test://fixed");
        mcp_server_notify_resource_updated(server, "test://other");
        ck_assert_int_eq(json_object_array_length(standalone.messages), 1);

        send_text(
                "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resources/unsubscribe\",\"params\":{\"uri\":\"test://fixed\"}}");
        mcp_server_notify_resource_updated(server, "test://fixed");
        ck_assert_int_eq(json_object_array_length(standalone.messages), 1);
        mcp_session_set_standalone(session, NULL, NULL);
        capture_reset(&standalone);
}
END_TEST

START_TEST(test_tool_list_change_is_broadcast) {
        static const McpTool extra = { .name = "extra", .handler = tool_fail };
        initialize("2025-11-25");
        Capture standalone = {};
        mcp_session_set_standalone(session, capture_standalone_send, &standalone);
        ck_assert_int_eq(mcp_server_add_tool(server, &extra), 0);
        ck_assert_int_eq(mcp_server_add_tool(server, &extra), -EEXIST);
        ck_assert_int_eq(mcp_server_remove_tool(server, "extra"), 0);
        ck_assert_int_eq(mcp_server_remove_tool(server, "extra"), -ENOENT);
        ck_assert_int_eq(json_object_array_length(standalone.messages), 2);
        ck_assert_str_eq(json_get_string(json_object_array_get_idx(standalone.messages, 0), "method"),
                "notifications/tools/list_changed");
        mcp_session_set_standalone(session, NULL, NULL);
        capture_reset(&standalone);
}
END_TEST

START_TEST(test_prompt_missing_required_argument_is_invalid_params) {
        initialize("2025-11-25");
        ck_assert_int_eq(
                error_code(send_text(
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"prompts/get\",\"params\":{\"name\":\"greet\"}}")),
                -32602);
        ck_assert_int_eq(
                error_code(send_text(
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"prompts/get\",\"params\":{\"name\":\"greet\",\"arguments\":{\"color\":3}}}")),
                -32602);
        ck_assert_int_eq(
                error_code(send_text(
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"prompts/get\",\"params\":{\"name\":\"nope\"}}")),
                -32602);
        ck_assert_ptr_nonnull(json_get_object(
                send_text(
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"prompts/get\",\"params\":{\"name\":\"greet\",\"arguments\":{\"color\":\"red\"}}}"),
                "result"));
}
END_TEST

START_TEST(test_completion_filters_by_prefix) {
        initialize("2025-11-25");
        json_object *r = send_text(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"completion/complete\",\"params\":{\"ref\":{\"type\":\"ref/prompt\",\"name\":\"greet\"},\"argument\":{\"name\":\"color\",\"value\":\"gr\"}}}");
        json_object *completion = json_get_object(json_get_object(r, "result"), "completion");
        ck_assert_int_eq(json_object_array_length(json_get_array(completion, "values")), 2);
        ck_assert_int_eq(
                error_code(send_text(
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"completion/complete\",\"params\":{\"ref\":{}}}")),
                -32602);
}
END_TEST

/* A server whose tables complete nothing neither declares completions nor has the method. */
START_TEST(test_completion_without_the_capability_is_method_not_found) {
        static const McpServerDefinition plain = { .name = "plain", .version = "1", .tools = tools };
        McpServer *s = NULL;
        McpSession *ss = NULL;
        Capture c = {};
        ck_assert_int_ge(mcp_server_new(&s, &plain, event, NULL), 0);
        ck_assert_int_ge(mcp_session_new(s, &ss), 0);
        json_object *r = capture_dispatch(&c, s, ss, event,
                "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\","
                "\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
        ck_assert_ptr_null(
                json_get_object(json_get_object(json_get_object(r, "result"), "capabilities"), "completions"));
        capture_reset(&c);
        r = capture_dispatch(&c, s, ss, event,
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"completion/complete\",\"params\":{\"ref\":{\"type\":"
                "\"ref/prompt\",\"name\":\"greet\"},\"argument\":{\"name\":\"color\",\"value\":\"gr\"}}}");
        ck_assert_int_eq(error_code(r), -32601);
        capture_reset(&c);
        mcp_session_close(ss);
        mcp_session_unref(ss);
        mcp_server_free(s);
}
END_TEST

START_TEST(test_initialize_declares_capabilities) {
        json_object *r = send_text(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\"}}");
        json_object *caps = json_get_object(json_get_object(r, "result"), "capabilities");
        ck_assert_ptr_nonnull(json_get_object(caps, "tools"));
        ck_assert_ptr_nonnull(json_get_object(caps, "resources"));
        ck_assert_ptr_nonnull(json_get_object(caps, "prompts"));
        ck_assert_ptr_nonnull(json_get_object(caps, "completions"));
        ck_assert_ptr_nonnull(json_get_object(caps, "logging"));
}
END_TEST

static Suite *engine_suite(void) {
        Suite *s = suite_create("engine");
        TCase *tc = tcase_create("jsonrpc");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_invalid_json_gives_parse_error);
        tcase_add_test(tc, test_invalid_utf8_is_refused);
        tcase_add_test(tc, test_deep_nesting_is_refused);
        tcase_add_test(tc, test_non_object_message_is_invalid_request);
        tcase_add_test(tc, test_wrong_jsonrpc_version_is_invalid_request);
        tcase_add_test(tc, test_bad_id_types_are_invalid_request);
        tcase_add_test(tc, test_huge_id_is_refused_not_mangled);
        tcase_add_test(tc, test_ids_at_the_int64_edges_are_echoed_or_refused);
        tcase_add_test(tc, test_method_with_nul_is_invalid_request);
        tcase_add_test(tc, test_canonical_text_sorts_keys_and_keeps_numbers);
        tcase_add_test(tc, test_params_must_be_an_object);
        tcase_add_test(tc, test_unknown_method_is_method_not_found);
        tcase_add_test(tc, test_notification_gets_no_reply);
        tcase_add_test(tc, test_string_ids_are_echoed);
        suite_add_tcase(s, tc);

        tc = tcase_create("lifecycle");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_initialize_negotiates_known_version);
        tcase_add_test(tc, test_initialize_unknown_version_gets_latest);
        tcase_add_test(tc, test_initialize_without_version_is_invalid_params);
        tcase_add_test(tc, test_initialize_twice_is_refused);
        tcase_add_test(tc, test_requests_before_initialize_are_refused_but_ping_works);
        tcase_add_test(tc, test_set_level_rejects_unknown_level);
        tcase_add_test(tc, test_initialize_declares_capabilities);
        tcase_add_test(tc, test_batch_answered_as_array_on_2025_03_26);
        tcase_add_test(tc, test_batch_refused_from_2025_06_18);
        tcase_add_test(tc, test_empty_batch_is_invalid_request);
        suite_add_tcase(s, tc);

        tc = tcase_create("tools");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_tools_list_paginates_with_cursor);
        tcase_add_test(tc, test_tools_list_unknown_cursor_is_invalid_params);
        tcase_add_test(tc, test_unknown_tool_is_invalid_params);
        tcase_add_test(tc, test_names_with_nul_are_refused_not_cut_short);
        tcase_add_test(tc, test_long_uris_cursors_and_tokens_are_refused);
        tcase_add_test(tc, test_subscriptions_per_session_are_bounded);
        tcase_add_test(tc, test_initialize_with_huge_client_info_is_refused);
        tcase_add_test(tc, test_requests_in_flight_per_session_are_bounded);
        tcase_add_test(tc, test_arguments_of_wrong_type_are_invalid_params);
        tcase_add_test(tc, test_arguments_failing_schema_give_tool_error);
        tcase_add_test(tc, test_tool_call_returns_text);
        tcase_add_test(tc, test_failing_handler_gives_tool_error);
        tcase_add_test(tc, test_progress_and_logging_travel_before_the_reply);
        tcase_add_test(tc, test_no_progress_without_token);
        tcase_add_test(tc, test_cancelled_request_gets_no_reply);
        tcase_add_test(tc, test_cancelling_unknown_request_is_ignored);
        tcase_add_test(tc, test_duplicate_request_id_in_flight_is_refused);
        tcase_add_test(tc, test_answer_to_server_request_resumes_tool);
        tcase_add_test(tc, test_session_end_answers_pending_server_request);
        tcase_add_test(tc, test_response_to_unknown_request_is_ignored);
        tcase_add_test(tc, test_tool_list_change_is_broadcast);
        suite_add_tcase(s, tc);

        tc = tcase_create("resources-prompts");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_resource_read_fixed_and_template);
        tcase_add_test(tc, test_unknown_resource_is_resource_not_found);
        tcase_add_test(tc, test_subscribed_session_is_told_of_updates);
        tcase_add_test(tc, test_prompt_missing_required_argument_is_invalid_params);
        tcase_add_test(tc, test_completion_filters_by_prefix);
        tcase_add_test(tc, test_completion_without_the_capability_is_method_not_found);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_run_suite(engine_suite());
}
