/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-pythond's tools served in-process on real sandboxes: every tool, sessions and their owners, the limits,
 * and the escape suite: code that tries to get out of its sandbox, starve the server or reach another
 * session, each case contained, the server still serving and a bystander session untouched.
 * Exits 77 (skipped, with the reason) where sandboxes cannot be started here. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "jsonschema.h"
#include "mcp-session.h"
#include "pool.h"
#include "python.h"
#include "test-util.h"

static const McpServerDefinition definition = {
        .name = "aios-pythond-test",
        .version = "1",
        .resource_templates = python_resource_templates,
};

static PythonContext context;
static sd_event *event;
static McpServer *server;
static McpSession *session;
static Capture capture;
static unsigned next_id = 1;
static const char *principal; /* who the next calls come from; NULL: the transport knows none (anonymous) */

static const char *sink_principal(void *userdata) {
        return principal;
}

/* Runs the loop until the exchange is done, for at most seconds. */
static void run_until_done(double seconds) {
        struct timespec start, now;
        clock_gettime(CLOCK_MONOTONIC, &start);
        while (!capture.done) {
                ck_assert_int_ge(sd_event_run(event, 100 * 1000), 0);
                clock_gettime(CLOCK_MONOTONIC, &now);
                ck_assert_msg(now.tv_sec - start.tv_sec + (now.tv_nsec - start.tv_nsec) / 1e9 < seconds,
                        "no answer within %g s", seconds);
        }
}

static json_object *dispatch(const char *text, double seconds) {
        static McpSinkOps ops;
        ops = *test_capture_ops;
        ops.principal = sink_principal;
        _cleanup_json_ json_object *m = NULL;
        const char *reason;
        capture_reset(&capture);
        capture.messages = json_object_new_array();
        ck_assert_msg(json_parse_strict(text, strlen(text), &m, &reason) == 0, "%s: %s", text, reason);
        if (mcp_server_dispatch(server, session, m, &ops, &capture, NULL) == 0)
                capture.done = true;
        run_until_done(seconds);
        return capture.reply;
}

static void setup(void) {
        setenv("AIOS_PYTHON_GRACE_SEC", "1", 1);
        setenv("AIOS_PYTHON_MAX_OUTPUT", "65536", 1);
        setenv("AIOS_PYTHON_FLOOD_OUTPUT", "8388608", 1);
        setenv("AIOS_PYTHON_MAX_SESSIONS_PER_PRINCIPAL", "3", 1);
        setenv("AIOS_PYTHON_TASKS", "32", 1);
        setenv("AIOS_PYTHON_MEMORY_MB", "256", 1);
        setenv("AIOS_PYTHON_WORKSPACE_MB", "8", 1);
        setenv("AIOS_PYTHON_TMP_MB", "8", 1);
        ck_assert_int_ge(sd_event_new(&event), 0);
        ck_assert_int_ge(python_config_load(&context.config), 0);
        ck_assert_int_ge(mcp_server_new(&server, &definition, event, &context), 0);
        ck_assert_int_ge(python_context_init(&context, server), 0);
        ck_assert_int_ge(python_add_tools(server), 0);
        ck_assert_int_ge(mcp_session_new(server, &session), 0);
        principal = NULL;
        json_object *r =
                dispatch("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                         "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"test\",\"version\":\"1\"}}}",
                        5);
        ck_assert_ptr_nonnull(json_get_object(r, "result"));
}

static void teardown(void) {
        mcp_session_close(session);
        session = mcp_session_unref(session);
        python_context_done(&context);
        server = mcp_server_free(server);
        event = sd_event_unref(event);
        capture_reset(&capture);
        test_polkit_deny(NULL);
}

static const McpTool *tool_find(const char *name) {
        for (const McpTool *const *family = python_tool_families; *family; family++)
                for (const McpTool *t = *family; t->name; t++)
                        if (streq(t->name, name))
                                return t;
        ck_abort_msg("no tool %s", name);
        return NULL;
}

/* Calls a tool with arguments (JSON text); returns its result. structuredContent must match the tool's
 * outputSchema whenever there is one. */
static json_object *call_for(const char *tool, const char *arguments, double seconds) {
        _cleanup_free_ char *text = NULL;
        ck_assert_int_ge(asprintf(&text,
                                 "{\"jsonrpc\":\"2.0\",\"id\":%u,\"method\":\"tools/call\",\"params\":{\"name\":\"%s\","
                                 "\"arguments\":%s}}",
                                 next_id++, tool, arguments),
                0);
        json_object *reply = dispatch(text, seconds);
        json_object *result = json_get_object(reply, "result");
        ck_assert_msg(result, "%s gave no result: %s", tool, json_to_string(reply));
        json_object *structured = json_get_object(result, "structuredContent");
        if (structured) {
                _cleanup_json_ json_object *schema = NULL;
                const char *reason;
                const char *s = tool_find(tool)->output_schema;
                ck_assert_int_eq(json_parse_strict(s, strlen(s), &schema, &reason), 0);
                _cleanup_free_ char *error = NULL;
                ck_assert_msg(jsonschema_validate(schema, structured, &error) == 1,
                        "%s: structuredContent does not match its outputSchema: %s", tool, strempty(error));
        }
        return result;
}

static json_object *call(const char *tool, const char *arguments) {
        return call_for(tool, arguments, 20);
}

static const char *text_of(json_object *result) {
        return json_get_string(json_object_array_get_idx(json_get_array(result, "content"), 0), "text");
}

static json_object *structured_of(json_object *result) {
        json_object *s = json_get_object(result, "structuredContent");
        ck_assert_msg(s, "no structuredContent: %s", json_to_string(result));
        return s;
}

static const char *field(json_object *result, const char *key) {
        return json_get_string(structured_of(result), key);
}

/* python_run of code (a C string, escaped here), expecting status; returns the result. */
static json_object *run_code(const char *code, const char *extra, const char *status) {
        _cleanup_json_ json_object *s = json_object_new_string(code);
        _cleanup_free_ char *arguments = NULL;
        ck_assert_int_ge(asprintf(&arguments, "{\"code\":%s%s%s}", json_to_string(s), extra ? "," : "",
                                 strempty(extra)),
                0);
        json_object *result = call("python_run", arguments);
        if (status)
                ck_assert_msg(streq_ptr(field(result, "status"), status), "%s: status %s, not %s: %s", code,
                        field(result, "status"), status, json_to_string(result));
        return result;
}

static const char *session_create(void) {
        static char id[64];
        json_object *r = call("python_session_create", "{}");
        ck_assert_msg(!json_get_bool(r, "isError", false), "%s", text_of(r));
        snprintf(id, sizeof(id), "%s", field(r, "session_id"));
        return id;
}

static json_object *session_run(const char *id, const char *code, const char *extra) {
        _cleanup_json_ json_object *s = json_object_new_string(code);
        _cleanup_free_ char *arguments = NULL;
        ck_assert_int_ge(asprintf(&arguments, "{\"session_id\":\"%s\",\"code\":%s%s%s}", id, json_to_string(s),
                                 extra ? "," : "", strempty(extra)),
                0);
        return call("python_session_run", arguments);
}

/* --- the surface ---------------------------------------------------------------------------------------- */

START_TEST(test_tools_declare_titles_schemas_annotations_and_the_run_action) {
        _cleanup_free_ char *text = NULL;
        json_object *reply = dispatch("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{}}", 5);
        json_object *tools = json_get_array(json_get_object(reply, "result"), "tools");
        ck_assert_int_eq(json_object_array_length(tools), 10);
        for (size_t i = 0; i < json_object_array_length(tools); i++) {
                json_object *t = json_object_array_get_idx(tools, i);
                const char *name = json_get_string(t, "name");
                ck_assert_msg(json_get_string(t, "title") && json_get_object(t, "outputSchema") &&
                                json_get_object(t, "annotations"),
                        "%s: title, outputSchema, annotations", name);
                ck_assert(!json_get_bool(json_get_object(t, "annotations"), "openWorldHint", true));
                ck_assert_str_eq(tool_find(name)->polkit_action, PYTHON_ACTION_RUN);
        }
}
END_TEST

START_TEST(test_polkit_is_asked_with_the_session_id_and_its_refusal_stops_the_run) {
        test_polkit_deny(PYTHON_ACTION_RUN);
        json_object *reply = dispatch("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":"
                                      "\"python_session_run\",\"arguments\":{\"session_id\":"
                                      "\"0123456789abcdef0123456789abcdef\",\"code\":\"1\"}}}",
                5);
        ck_assert_ptr_nonnull(json_get_object(reply, "error"));
        json_object *asked = test_polkit_last_asked();
        ck_assert_str_eq(json_get_string(asked, "action"), PYTHON_ACTION_RUN);
        ck_assert_str_eq(json_get_string(asked, "session_id"), "0123456789abcdef0123456789abcdef");
}
END_TEST

/* --- python_run ------------------------------------------------------------------------------------------ */

START_TEST(test_run_returns_output_and_the_last_expression) {
        json_object *r = run_code("print('hello')\n6 * 7", NULL, "ok");
        ck_assert_str_eq(field(r, "stdout"), "hello\n");
        ck_assert_str_eq(field(r, "value_repr"), "42");
        ck_assert(strstr(text_of(r), "Out: 42"));
        /* The output came as it was written, as a logging notification. */
        bool logged = false;
        for (size_t i = 0; i < json_object_array_length(capture.messages); i++) {
                json_object *p = json_get_object(json_object_array_get_idx(capture.messages, i), "params");
                logged |= streq_ptr(json_get_string(p, "logger"), "stdout") &&
                        streq_ptr(json_get_string(p, "data"), "hello\n");
        }
        ck_assert(logged);
}
END_TEST

START_TEST(test_run_reports_exceptions_exit_status_and_stdin) {
        json_object *r = run_code("def f():\n    raise ValueError('bad')\nf()", NULL, "exception");
        ck_assert(json_get_bool(r, "isError", false));
        ck_assert_str_eq(json_get_string(json_get_object(structured_of(r), "exception"), "type"), "ValueError");
        ck_assert(strstr(field(r, "traceback"), "line 2, in f"));
        r = run_code("import sys\nsys.exit(3)", NULL, "exit");
        ck_assert_int_eq(json_object_get_int(json_object_object_get(structured_of(r), "exit_status")), 3);
        r = run_code("input() + input()", "\"stdin\":\"ab\\ncd\\n\"", "ok");
        ck_assert_str_eq(field(r, "value_repr"), "'abcd'");
        r = run_code("x = (", NULL, "exception");
        ck_assert_str_eq(json_get_string(json_get_object(structured_of(r), "exception"), "type"), "SyntaxError");
}
END_TEST

START_TEST(test_runs_share_nothing) {
        run_code("x = 1\nopen('left.txt', 'w').write('x')", NULL, "ok");
        json_object *r = run_code("import os\n(os.listdir('.'), 'x' in globals())", NULL, "ok");
        ck_assert_str_eq(field(r, "value_repr"), "([], False)");
}
END_TEST

START_TEST(test_input_files_go_in_and_written_files_come_back) {
        json_object *r = run_code(
                "open('out/upper.txt', 'w').write(open('in/a.txt').read().upper()) if __import__('os')"
                ".makedirs('out', exist_ok=True) is None else 0\n"
                "open('blob.bin', 'wb').write(bytes(range(4)) + open('b.bin', 'rb').read())",
                "\"files\":[{\"path\":\"in/a.txt\",\"text\":\"hello\"},{\"path\":\"b.bin\",\"base64\":\"/w==\"}]",
                "ok");
        json_object *files = json_get_array(structured_of(r), "files");
        ck_assert_int_eq(json_object_array_length(files), 2);
        json_object *content = json_get_array(r, "content");
        bool text = false, blob = false;
        for (size_t i = 0; i < json_object_array_length(content); i++) {
                json_object *res = json_get_object(json_object_array_get_idx(content, i), "resource");
                text |= streq_ptr(json_get_string(res, "text"), "HELLO");
                blob |= streq_ptr(json_get_string(res, "blob"), "AAECA/8=");
        }
        ck_assert(text && blob);
}
END_TEST

START_TEST(test_figures_come_back_as_png_images) {
        if (access("/usr/lib/python3/dist-packages/matplotlib", F_OK) < 0) {
                fprintf(stderr, "matplotlib is not installed (python3-matplotlib): not checked\n");
                return;
        }
        json_object *r = run_code("import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.show()", NULL, "ok");
        ck_assert_int_eq(json_object_get_int(json_object_object_get(structured_of(r), "figures")), 1);
        json_object *image = json_object_array_get_idx(json_get_array(r, "content"), 1);
        ck_assert_str_eq(json_get_string(image, "type"), "image");
        ck_assert_str_eq(json_get_string(image, "mimeType"), "image/png");
        ck_assert(startswith_ptr(json_get_string(image, "data"), "iVBORw0KGgo"));
}
END_TEST

START_TEST(test_packages_lists_what_can_be_imported) {
        json_object *r = call("python_packages", "{}");
        ck_assert(startswith_ptr(field(r, "python"), "3."));
        json_object *std = json_get_array(structured_of(r), "stdlib_modules");
        ck_assert_int_gt(json_object_array_length(std), 100);
        if (access("/usr/lib/python3/dist-packages/numpy", F_OK) == 0) {
                json_object *list = json_get_array(structured_of(r), "packages");
                bool numpy = false;
                for (size_t i = 0; i < json_object_array_length(list); i++)
                        numpy |= streq_ptr(json_get_string(json_object_array_get_idx(list, i), "name"), "numpy");
                ck_assert(numpy);
                run_code("import numpy\nnumpy.arange(4).sum()", NULL, "ok");
        }
}
END_TEST

/* --- limits ---------------------------------------------------------------------------------------------- */

START_TEST(test_timeout_interrupts_then_kills) {
        json_object *r = run_code("while True: pass", "\"timeout\":0.5", "timeout");
        ck_assert_str_eq(json_get_string(json_get_object(structured_of(r), "exception"), "type"), "KeyboardInterrupt");
        r = run_code("import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True: time.sleep(0.01)",
                "\"timeout\":0.5", "timeout");
        ck_assert_ptr_nonnull(field(r, "killed_reason"));
        run_code("1", NULL, "ok");
}
END_TEST

START_TEST(test_output_is_capped_and_a_flood_killed) {
        json_object *r = run_code("print('x' * 200000)", NULL, "ok");
        ck_assert(json_get_bool(structured_of(r), "stdout_truncated", false));
        ck_assert_int_eq(strlen(field(r, "stdout")), 65536);
        ck_assert(strstr(text_of(r), "stdout cut"));
        r = run_code("import os\nwhile True: os.write(1, b'y' * 65536)", NULL, "killed");
        ck_assert(strstr(field(r, "killed_reason"), "output"));
        run_code("1", NULL, "ok");
}
END_TEST

START_TEST(test_limits_beyond_the_maxima_are_refused) {
        json_object *r = call("python_run", "{\"code\":\"1\",\"timeout\":100000}");
        ck_assert(json_get_bool(r, "isError", false));
        r = call("python_run", "{\"code\":\"1\",\"memory_mb\":1000000}");
        ck_assert(json_get_bool(r, "isError", false));
        r = call("python_run", "{\"code\":\"1\",\"files\":[{\"path\":\"../x\",\"text\":\"\"}]}");
        ck_assert(!json_get_bool(r, "isError", false) || strstr(text_of(r), "workspace"));
}
END_TEST

/* --- sessions -------------------------------------------------------------------------------------------- */

START_TEST(test_session_state_persists_and_reset_clears_it) {
        const char *id = session_create();
        session_run(id, "import json\nx = 41", NULL);
        json_object *r = session_run(id, "x + 1, 'json' in dir()", NULL);
        ck_assert_str_eq(field(r, "value_repr"), "(42, True)");
        ck_assert(!json_get_bool(structured_of(r), "state_lost", true));
        char args[128];
        snprintf(args, sizeof(args), "{\"session_id\":\"%s\"}", id);
        call("python_session_reset", args);
        r = session_run(id, "'x' in globals()", NULL);
        ck_assert_str_eq(field(r, "value_repr"), "False");
        r = call("python_session_list", "{}");
        ck_assert_int_eq(json_object_array_length(json_get_array(structured_of(r), "sessions")), 1);
        call("python_session_close", args);
        r = session_run(id, "1", NULL);
        ck_assert(json_get_bool(r, "isError", false));
}
END_TEST

START_TEST(test_session_timeout_keeps_state_and_a_kill_says_it_was_lost) {
        const char *id = session_create();
        session_run(id, "x = 5", NULL);
        json_object *r = session_run(id, "while True: pass", "\"timeout\":0.5");
        ck_assert_str_eq(field(r, "status"), "timeout");
        r = session_run(id, "x", NULL);
        ck_assert_str_eq(field(r, "value_repr"), "5");
        r = session_run(id, "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True: pass",
                "\"timeout\":0.5");
        ck_assert(json_get_bool(structured_of(r), "state_lost", false));
        r = session_run(id, "'x' in globals()", NULL);
        ck_assert_str_eq(field(r, "value_repr"), "False");
}
END_TEST

START_TEST(test_another_principal_cannot_see_or_use_a_session) {
        principal = "key:alice";
        const char *id = session_create();
        char args[256];
        snprintf(args, sizeof(args), "{\"session_id\":\"%s\",\"path\":\"a.txt\",\"text\":\"secret\"}", id);
        call("python_file_write", args);

        principal = "key:mallory";
        json_object *r = session_run(id, "1", NULL);
        ck_assert(json_get_bool(r, "isError", false));
        ck_assert(strstr(text_of(r), "There is no session"));
        snprintf(args, sizeof(args), "{\"session_id\":\"%s\",\"path\":\"a.txt\"}", id);
        r = call("python_file_read", args);
        ck_assert(strstr(text_of(r), "There is no session"));
        r = call("python_session_list", "{}");
        ck_assert_int_eq(json_object_array_length(json_get_array(structured_of(r), "sessions")), 0);
        snprintf(args, sizeof(args), "{\"session_id\":\"%s\"}", id);
        r = call("python_session_close", args);
        ck_assert(json_get_bool(r, "isError", false));
        _cleanup_free_ char *read = NULL;
        ck_assert_int_ge(asprintf(&read,
                                 "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"resources/read\",\"params\":{\"uri\":"
                                 "\"python://session/%s/files/a.txt\"}}",
                                 id),
                0);
        ck_assert_ptr_nonnull(json_get_object(dispatch(read, 5), "error"));

        principal = "key:alice";
        snprintf(args, sizeof(args), "{\"session_id\":\"%s\",\"path\":\"a.txt\"}", id);
        r = call("python_file_read", args);
        ck_assert_str_eq(field(r, "text"), "secret");
        ck_assert(json_get_object(dispatch(read, 5), "result"));
}
END_TEST

START_TEST(test_sessions_per_principal_are_bounded) {
        principal = "key:greedy";
        for (int i = 0; i < 3; i++)
                session_create();
        json_object *r = call("python_session_create", "{}");
        ck_assert(json_get_bool(r, "isError", false));
        principal = "key:other";
        session_create();
}
END_TEST

START_TEST(test_session_files_write_read_list_and_no_symlink_is_followed) {
        const char *id = session_create();
        char args[256];
        snprintf(args, sizeof(args), "{\"session_id\":\"%s\",\"path\":\"data/in.csv\",\"text\":\"a,b\\n1,2\\n\"}", id);
        call("python_file_write", args);
        json_object *r = session_run(id,
                "import os\nos.symlink('/etc/shadow', 'shadow')\nos.symlink('/etc/passwd', 'data/link')\n"
                "os.mkfifo('fifo')\nopen('data/in.csv').read()",
                NULL);
        ck_assert_str_eq(field(r, "value_repr"), "'a,b\\n1,2\\n'");
        snprintf(args, sizeof(args), "{\"session_id\":\"%s\"}", id);
        r = call("python_files_list", args);
        ck_assert_int_ge(json_object_array_length(json_get_array(structured_of(r), "files")), 5);
        static const char *const refused[] = { "shadow", "data/link", "fifo", "../../etc/passwd", "/etc/passwd" };
        FOREACH_ELEMENT(p, refused) {
                snprintf(args, sizeof(args), "{\"session_id\":\"%s\",\"path\":\"%s\"}", id, *p);
                r = call("python_file_read", args);
                ck_assert_msg(json_get_bool(r, "isError", false), "%s was read: %s", *p, json_to_string(r));
        }
        /* Writing through a planted symlink or FIFO neither follows it nor blocks. */
        snprintf(args, sizeof(args), "{\"session_id\":\"%s\",\"path\":\"fifo\",\"text\":\"x\"}", id);
        ck_assert(json_get_bool(call_for("python_file_write", args, 5), "isError", false));
        snprintf(args, sizeof(args), "{\"session_id\":\"%s\",\"path\":\"shadow\",\"text\":\"x\"}", id);
        ck_assert(json_get_bool(call_for("python_file_write", args, 5), "isError", false));
}
END_TEST

/* --- the escape suite ------------------------------------------------------------------------------------- */

static const char *bystander; /* a session whose state every escape case must leave as it was */

static void escape_setup(void) {
        setup();
        principal = "key:bystander";
        static char id[64];
        snprintf(id, sizeof(id), "%s", session_create());
        bystander = id;
        session_run(bystander, "canary = 'still here'\nopen('canary.txt', 'w').write('ok')", NULL);
        principal = "key:attacker";
}

static void escape_teardown(void) {
        /* The server still serves, and the bystander's session is as it was. */
        principal = "key:attacker";
        run_code("print(1)", NULL, "ok");
        principal = "key:bystander";
        json_object *r = session_run(bystander, "canary, open('canary.txt').read()", NULL);
        ck_assert_str_eq(field(r, "value_repr"), "('still here', 'ok')");
        teardown();
}

/* The code prints "ESCAPED" when it got through; anything else (an exception, a kill) is containment. */
static void assert_contained(const char *code, const char *extra) {
        json_object *r = run_code(code, extra, NULL);
        ck_assert_msg(!strstr(strempty(field(r, "stdout")), "ESCAPED"), "%s got out: %s", code, json_to_string(r));
}

START_TEST(test_escape_connect_to_the_hosts_loopback) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        ck_assert_int_eq(bind(fd, (struct sockaddr *) &a, sizeof(a)), 0);
        ck_assert_int_eq(listen(fd, 4), 0);
        socklen_t len = sizeof(a);
        ck_assert_int_eq(getsockname(fd, (struct sockaddr *) &a, &len), 0);
        char code[512];
        snprintf(code, sizeof(code),
                "import socket\ntry:\n    socket.create_connection(('127.0.0.1', %d), timeout=2)\n    print('ESCAPED')\n"
                "except OSError as e:\n    print('refused', e)\n"
                "try:\n    socket.create_connection(('1.1.1.1', 53), timeout=2)\n    print('ESCAPED')\nexcept OSError as e:\n"
                "    print('refused', e)",
                ntohs(a.sin_port));
        assert_contained(code, NULL);
        close(fd);
}
END_TEST

START_TEST(test_escape_read_shadow_and_another_sessions_files) {
        assert_contained("import os\n"
                         "for p in ['/etc/shadow', '/etc/gshadow', '/run/dbus/system_bus_socket', '/var/run/dbus']:\n"
                         "    if os.path.exists(p): print('ESCAPED', p)\n"
                         "for d in ['/home', '/root', '/run', '/var/lib']:\n"
                         "    try:\n        if os.listdir(d): print('ESCAPED', d, os.listdir(d)[:3])\n"
                         "    except OSError: pass\n"
                         "for d in ['/work', '/tmp']:\n    for root, dirs, files in os.walk(d):\n"
                         "        if 'canary.txt' in files: print('ESCAPED', root)",
                NULL);
}
END_TEST

START_TEST(test_escape_write_outside_the_workspace) {
        assert_contained(
                "for p in ['/usr/x', '/etc/x', '/x', '/bin/x', '/var/x']:\n    try:\n        open(p, 'w').write('x')\n"
                "        print('ESCAPED', p)\n    except OSError: pass",
                NULL);
        ck_assert_int_lt(access("/usr/x", F_OK), 0);
        ck_assert_int_lt(access("/x", F_OK), 0);
}
END_TEST

START_TEST(test_escape_fork_bomb) {
        json_object *r =
                run_code("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
                        "\"timeout\":2", NULL);
        ck_assert_msg(!streq_ptr(field(r, "status"), "ok"), "%s", json_to_string(r));
}
END_TEST

START_TEST(test_escape_memory_bomb) {
        json_object *r = run_code("x = []\nwhile True: x.append(bytearray(64 * 1024 * 1024))", "\"timeout\":10", NULL);
        const char *status = field(r, "status");
        ck_assert_msg(streq_ptr(status, "exception") || streq_ptr(status, "killed"), "%s", json_to_string(r));
}
END_TEST

START_TEST(test_escape_fill_the_disk) {
        json_object *r = run_code(
                "import os\nfor d in ['/work', '/tmp']:\n    try:\n        with open(d + '/fill', 'wb') as f:\n"
                "            while True: f.write(b'z' * 1048576)\n    except OSError as e:\n        print(d, e.errno)",
                "\"timeout\":10", NULL);
        ck_assert_msg(strstr(strempty(field(r, "stdout")), "/work 28") ||
                        strstr(strempty(field(r, "stdout")), "/work 27"),
                "%s", json_to_string(r));
}
END_TEST

START_TEST(test_escape_ptrace_kill_all_and_proc) {
        setenv("AIOS_TEST_SECRET", "host-secret-value", 1);
        assert_contained(
                "import os, signal, ctypes\n"
                "libc = ctypes.CDLL(None, use_errno=True)\n"
                "if libc.ptrace(16, 1, 0, 0) == 0: print('ESCAPED ptrace')\n"
                "try:\n    print(open('/proc/1/environ', 'rb').read())\nexcept OSError: pass\n"
                "for p in os.listdir('/proc'):\n    if p.isdigit() and int(p) > 1000000: print('ESCAPED pid', p)\n",
                NULL);
        json_object *r = run_code("import os\nopen('/proc/1/environ', 'rb').read()", NULL, NULL);
        ck_assert(!strstr(strempty(field(r, "value_repr")), "host-secret-value"));
        /* kill(-1) reaches only what is in the sandbox. */
        run_code("import os, signal\nos.kill(-1, signal.SIGKILL)", NULL, NULL);
}
END_TEST

START_TEST(test_escape_ctypes_mount_unshare_and_inet_socket) {
        assert_contained("import ctypes, socket\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                         "if libc.mount(b'none', b'/tmp', b'tmpfs', 0, None) == 0: print('ESCAPED mount')\n"
                         "if libc.unshare(0x10000000) == 0: print('ESCAPED unshare user')\n"
                         "if libc.unshare(0x00020000) == 0: print('ESCAPED unshare mnt')\n"
                         "if libc.socket(socket.AF_INET, socket.SOCK_STREAM, 0) >= 0: print('ESCAPED socket')\n"
                         "if libc.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0) >= 0: print('ESCAPED netlink')\n",
                NULL);
}
END_TEST

START_TEST(test_escape_a_run_that_closes_its_pipes) {
        json_object *r = run_code("import os\nos.close(1)\nos.close(2)\nos.close(3)\nos.close(0)", NULL, NULL);
        ck_assert_ptr_nonnull(field(r, "status"));
        r = run_code(
                "import os\nfor fd in range(3, 64):\n    try: os.write(fd, b'{\"status\": \"ok\"}\\n')\n    except OSError: pass",
                NULL, NULL);
        ck_assert_ptr_nonnull(field(r, "status"));
}
END_TEST

START_TEST(test_escape_infinite_loop_in_a_thread) {
        json_object *r =
                run_code("import threading\nthreading.Thread(target=lambda: [0 for _ in iter(int, 1)]).start()\n"
                         "threading.Event().wait()",
                        "\"timeout\":0.5", "timeout");
        ck_assert(json_get_bool(structured_of(r), "timed_out", false));
}
END_TEST

/* --- running it ----------------------------------------------------------------------------------------- */

/* Whether a sandbox starts here at all: if not, the suite is skipped with the reason. Plain code, not Check's
 * asserts: it runs before the suite. */
static bool probe(char **ret_reason) {
        PythonContext ctx = {};
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        McpServer *s = NULL;
        int r = sd_event_new(&e);
        if (r >= 0)
                r = python_config_load(&ctx.config);
        if (r >= 0)
                r = mcp_server_new(&s, &definition, e, &ctx);
        if (r >= 0)
                r = python_context_init(&ctx, s);
        bool ok = false;
        /* A warm worker ready within 30 s is a sandbox with python3 up in it. */
        for (int i = 0; r >= 0 && i < 300 && !ok; i++) {
                r = sd_event_run(e, 100 * 1000);
                ok = pool_n_ready(ctx.pool) > 0;
        }
        if (!ok &&
                asprintf(ret_reason, "%s",
                        r < 0 ? strerror(-r) : "no warm worker became ready (see the messages above)") < 0)
                *ret_reason = NULL;
        python_context_done(&ctx);
        mcp_server_free(s);
        return ok;
}

static Suite *python_suite(void) {
        Suite *s = suite_create("python");
        TCase *tc = tcase_create("tools");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_tools_declare_titles_schemas_annotations_and_the_run_action);
        tcase_add_test(tc, test_polkit_is_asked_with_the_session_id_and_its_refusal_stops_the_run);
        tcase_add_test(tc, test_run_returns_output_and_the_last_expression);
        tcase_add_test(tc, test_run_reports_exceptions_exit_status_and_stdin);
        tcase_add_test(tc, test_runs_share_nothing);
        tcase_add_test(tc, test_input_files_go_in_and_written_files_come_back);
        tcase_add_test(tc, test_figures_come_back_as_png_images);
        tcase_add_test(tc, test_packages_lists_what_can_be_imported);
        tcase_add_test(tc, test_timeout_interrupts_then_kills);
        tcase_add_test(tc, test_output_is_capped_and_a_flood_killed);
        tcase_add_test(tc, test_limits_beyond_the_maxima_are_refused);
        tcase_add_test(tc, test_session_state_persists_and_reset_clears_it);
        tcase_add_test(tc, test_session_timeout_keeps_state_and_a_kill_says_it_was_lost);
        tcase_add_test(tc, test_another_principal_cannot_see_or_use_a_session);
        tcase_add_test(tc, test_sessions_per_principal_are_bounded);
        tcase_add_test(tc, test_session_files_write_read_list_and_no_symlink_is_followed);
        suite_add_tcase(s, tc);

        TCase *escape = tcase_create("escape");
        tcase_add_checked_fixture(escape, escape_setup, escape_teardown);
        tcase_set_timeout(escape, 120);
        tcase_add_test(escape, test_escape_connect_to_the_hosts_loopback);
        tcase_add_test(escape, test_escape_read_shadow_and_another_sessions_files);
        tcase_add_test(escape, test_escape_write_outside_the_workspace);
        tcase_add_test(escape, test_escape_fork_bomb);
        tcase_add_test(escape, test_escape_memory_bomb);
        tcase_add_test(escape, test_escape_fill_the_disk);
        tcase_add_test(escape, test_escape_ptrace_kill_all_and_proc);
        tcase_add_test(escape, test_escape_ctypes_mount_unshare_and_inet_socket);
        tcase_add_test(escape, test_escape_a_run_that_closes_its_pipes);
        tcase_add_test(escape, test_escape_infinite_loop_in_a_thread);
        suite_add_tcase(s, escape);
        return s;
}

int main(int argc, char *argv[]) {
        if (access("/usr/bin/python3", X_OK) < 0) {
                printf("SKIP: /usr/bin/python3 is not installed (Debian's python3)\n");
                return 77;
        }
        _cleanup_free_ char *reason = NULL;
        /* The probe runs in a child, as Check's tests do, so that a failing one leaves this process clean. */
        pid_t pid = fork();
        if (pid == 0) {
                bool ok = probe(&reason);
                if (!ok)
                        printf("SKIP: no sandbox can be started here: %s\n", strempty(reason));
                fflush(stdout);
                _exit(ok ? 0 : 77);
        }
        int status = 0;
        if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
                return EXIT_FAILURE;
        if (WEXITSTATUS(status) == 77)
                return 77;
        return test_run_suite(python_suite());
}
