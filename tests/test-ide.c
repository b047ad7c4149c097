/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-ided's tools served in-process on a real temporary git repository (made with git here), each answer
 * compared with what git and the file system say on their own; the escapes (each a test, the race of a
 * directory swapped for a symlink included); and bad input: huge and binary files, invalid UTF-8, patterns
 * that backtrack, a 10^5-file tree, edits that match twice. Exits 77 (skipped, with the reason) where git is
 * not installed. */
#include <check.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ide.h"
#include "jsonschema.h"
#include "mcp-session.h"
#include "sandbox.h"
#include "test-util.h"

static const McpServerDefinition definition = {
        .name = "aios-ided-test",
        .version = "1",
        .resource_templates = ide_resource_templates,
};

static IdeContext context;
static sd_event *event;
static McpServer *server;
static McpSession *session;
static Capture capture;
static unsigned next_id = 1;
static char dir[] = "/tmp/test-ide.XXXXXX";
static char ws[PATH_MAX], outside[PATH_MAX];

/* --- helpers --------------------------------------------------------------------------------------------- */

static void sh(const char *format, ...) _printf_(1, 2);
static void sh(const char *format, ...) {
        va_list ap;
        va_start(ap, format);
        _cleanup_free_ char *command = NULL;
        ck_assert_int_ge(vasprintf(&command, format, ap), 0);
        va_end(ap);
        int r = system(command);
        ck_assert_msg(r == 0, "%s: exit %d", command, r);
}

/* The output of a shell command (in the workspace), as a new string. */
static char *sh_out(const char *format, ...) _printf_(1, 2);
static char *sh_out(const char *format, ...) {
        va_list ap;
        va_start(ap, format);
        _cleanup_free_ char *command = NULL, *full = NULL;
        ck_assert_int_ge(vasprintf(&command, format, ap), 0);
        va_end(ap);
        ck_assert_int_ge(asprintf(&full, "cd '%s' && %s", ws, command), 0);
        FILE *p = popen(full, "r");
        ck_assert_ptr_nonnull(p);
        char *out = NULL;
        size_t size = 0;
        FILE *m = open_memstream(&out, &size);
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
                fwrite(buf, 1, n, m);
        fclose(m);
        ck_assert_int_eq(pclose(p), 0);
        return out;
}

static void write_file(const char *path, const char *content) {
        _cleanup_free_ char *p = NULL;
        ck_assert_int_ge(asprintf(&p, "%s/%s", ws, path), 0);
        FILE *f = fopen(p, "we");
        ck_assert_ptr_nonnull(f);
        fputs(content, f);
        fclose(f);
}

static char *read_host(const char *path) {
        FILE *f = fopen(path, "re");
        if (!f)
                return NULL;
        char *out = NULL;
        size_t size = 0;
        FILE *m = open_memstream(&out, &size);
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
                fwrite(buf, 1, n, m);
        fclose(m);
        fclose(f);
        return out;
}

static char *read_ws(const char *path) {
        _cleanup_free_ char *p = NULL;
        ck_assert_int_ge(asprintf(&p, "%s/%s", ws, path), 0);
        return read_host(p);
}

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

static const char *principal = "unix-user:tester";
static const char *sink_principal(void *userdata) {
        return principal;
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

static const McpTool *tool_find(const char *name) {
        for (const McpTool *const *family = ide_tool_families; *family; family++)
                for (const McpTool *t = *family; t->name; t++)
                        if (streq(t->name, name))
                                return t;
        ck_abort_msg("no tool %s", name);
        return NULL;
}

/* Calls a tool; structuredContent must match the tool's outputSchema. */
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
                const char *reason, *s = tool_find(tool)->output_schema;
                ck_assert_int_eq(json_parse_strict(s, strlen(s), &schema, &reason), 0);
                _cleanup_free_ char *error = NULL;
                ck_assert_msg(jsonschema_validate(schema, structured, &error) == 1,
                        "%s: structuredContent does not match its outputSchema: %s", tool, strempty(error));
        }
        return result;
}

static json_object *call(const char *tool, const char *arguments) {
        return call_for(tool, arguments, 30);
}

static const char *text_of(json_object *result) {
        return json_get_string(json_object_array_get_idx(json_get_array(result, "content"), 0), "text");
}

static json_object *ok(json_object *result) {
        ck_assert_msg(!json_get_bool(result, "isError", false), "unexpected error: %s", text_of(result));
        json_object *s = json_get_object(result, "structuredContent");
        ck_assert_msg(s, "no structuredContent: %s", json_to_string(result));
        return s;
}

/* The call fails with a tool error whose text holds what. */
static void refused(json_object *result, const char *what) {
        ck_assert_msg(json_get_bool(result, "isError", false), "not refused: %s", json_to_string(result));
        ck_assert_msg(strstr(text_of(result), what), "\"%s\" not in: %s", what, text_of(result));
}

static int64_t int_of(json_object *o, const char *key) {
        json_object *v = NULL;
        ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s in %s", key, json_to_string(o));
        return json_object_get_int64(v);
}

/* --- the fixture: a repository with a few commits, and a file outside the workspace ---------------------- */

static void setup(void) {
        ck_assert_ptr_nonnull(mkdtemp(strcpy(dir, "/tmp/test-ide.XXXXXX")));
        snprintf(ws, sizeof(ws), "%s/ws", dir);
        snprintf(outside, sizeof(outside), "%s/outside", dir);
        sh("mkdir -p '%s/src/lib' '%s' && echo secret > '%s/secret.txt'", ws, outside, outside);
        sh("cd '%s' && git init -q -b main . && git config user.name Tester && git config user.email t@example.com",
                ws);
        write_file("src/main.c", "#include <stdio.h>\n\nint main(void) {\n    puts(\"hello\");\n    return 0;\n}\n");
        write_file("src/lib/util.c", "int util(int x) {\n    return x + 1;\n}\n");
        write_file("README.md", "# Test\n\nA test repository.\n");
        write_file(".gitignore", "build/\n*.o\n");
        sh("cd '%s' && git add -A && git commit -q -m 'First commit' && echo '\nMore.' >> README.md && "
           "git commit -q -am 'Second commit'",
                ws);
        sh("mkdir -p '%s/build' && echo junk > '%s/build/out.c' && echo obj > '%s/src/main.o'", ws, ws, ws);

        _cleanup_free_ char *conf = NULL, *conf_path = NULL;
        ck_assert_int_ge(asprintf(&conf,
                                 "[IDE]\nMaxResults=200000\nMaxReadSize=64K\n\n[Workspace]\nName=ws\nPath=%s\n\n"
                                 "[Workspace]\nName=ro\nPath=%s\nReadOnly=yes\n",
                                 ws, ws),
                0);
        ck_assert_int_ge(asprintf(&conf_path, "%s/ide.conf", dir), 0);
        FILE *f = fopen(conf_path, "we");
        fputs(conf, f);
        fclose(f);

        ck_assert_int_ge(sd_event_new(&event), 0);
        context = (IdeContext){};
        ck_assert_int_ge(ide_config_load(&context.config, conf_path), 0);
        ck_assert_int_ge(mcp_server_new(&server, &definition, event, &context), 0);
        ck_assert_int_ge(ide_context_init(&context, server), 0);
        ck_assert_int_ge(ide_add_tools(server), 0);
        ck_assert_int_ge(mcp_session_new(server, &session), 0);
        json_object *r =
                dispatch("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                         "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"test\",\"version\":\"1\"}}}",
                        5);
        ck_assert_ptr_nonnull(json_get_object(r, "result"));
        principal = "unix-user:tester";
}

static void teardown(void) {
        mcp_session_close(session);
        session = mcp_session_unref(session);
        ide_context_done(&context);
        server = mcp_server_free(server);
        event = sd_event_unref(event);
        capture_reset(&capture);
        test_polkit_deny(NULL);
        sh("chmod -R u+rwX '%s' 2>/dev/null; rm -rf '%s'", dir, dir);
}

/* --- the surface ----------------------------------------------------------------------------------------- */

START_TEST(test_tools_declare_titles_schemas_annotations_and_actions) {
        json_object *reply = dispatch("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{}}", 5);
        json_object *tools = json_get_array(json_get_object(reply, "result"), "tools");
        ck_assert_int_ge(json_object_array_length(tools), 20);
        for (size_t i = 0; i < json_object_array_length(tools); i++) {
                json_object *t = json_object_array_get_idx(tools, i);
                const char *name = json_get_string(t, "name");
                ck_assert_msg(strncmp(name, "ide_", 4) == 0, "%s", name);
                ck_assert_msg(json_get_string(t, "title") && json_get_object(t, "inputSchema") &&
                                json_get_object(t, "outputSchema") && json_get_object(t, "annotations"),
                        "%s lacks a title, schemas or annotations", name);
                const McpTool *tool = tool_find(name);
                ck_assert_msg(streq_ptr(tool->polkit_detail_argument, "workspace"), "%s", name);
                ck_assert_msg(strncmp(tool->polkit_action, "org.aios.ide.", 13) == 0, "%s", name);
        }
}
END_TEST

START_TEST(test_unknown_workspace_lists_the_configured_ones) {
        refused(call("ide_read_file", "{\"workspace\":\"nope\",\"path\":\"README.md\"}"), "the workspaces are: ws, ro");
}
END_TEST

/* --- reading --------------------------------------------------------------------------------------------- */

START_TEST(test_read_file_whole_and_by_lines_as_the_file_system_says) {
        _cleanup_free_ char *disk = read_ws("src/main.c");
        json_object *s = ok(call("ide_read_file", "{\"workspace\":\"ws\",\"path\":\"src/main.c\"}"));
        ck_assert_str_eq(json_get_string(s, "text"), disk);
        ck_assert_int_eq(int_of(s, "total_lines"), 6);
        ck_assert_int_eq(int_of(s, "size"), (int64_t) strlen(disk));
        ck_assert_str_eq(json_get_string(s, "encoding"), "utf-8");

        s = ok(call("ide_read_file",
                "{\"workspace\":\"ws\",\"path\":\"./src//main.c\",\"start_line\":3,\"end_line\":4,\"line_numbers\":true}"));
        ck_assert_str_eq(json_get_string(s, "text"), "     3\tint main(void) {\n     4\t    puts(\"hello\");\n");
        ck_assert_int_eq(int_of(s, "start_line"), 3);
        ck_assert_int_eq(int_of(s, "end_line"), 4);
        refused(call("ide_read_file", "{\"workspace\":\"ws\",\"path\":\"src/main.c\",\"start_line\":4,\"end_line\":2}"),
                "before start_line");
        refused(call("ide_read_file", "{\"workspace\":\"ws\",\"path\":\"src\"}"), "is a directory");
        refused(call("ide_read_file", "{\"workspace\":\"ws\",\"path\":\"nothing.txt\"}"), "no such file");
}
END_TEST

START_TEST(test_read_files_reads_each_and_reports_the_one_missing) {
        json_object *s = ok(call("ide_read_files",
                "{\"workspace\":\"ws\",\"paths\":[\"README.md\",\"missing.txt\",\"src/lib/util.c\"]}"));
        json_object *files = json_get_array(s, "files");
        ck_assert_int_eq(json_object_array_length(files), 3);
        _cleanup_free_ char *readme = read_ws("README.md"), *util = read_ws("src/lib/util.c");
        ck_assert_str_eq(json_get_string(json_object_array_get_idx(files, 0), "text"), readme);
        ck_assert_ptr_nonnull(json_get_string(json_object_array_get_idx(files, 1), "error"));
        ck_assert_str_eq(json_get_string(json_object_array_get_idx(files, 2), "text"), util);
}
END_TEST

START_TEST(test_read_binary_latin1_and_invalid_utf8) {
        sh("printf 'ELF\\000\\001\\002binary' > '%s/blob.bin' && printf 'caf\\351 cr\\350me\\n' > '%s/latin1.txt'", ws,
                ws);
        json_object *s = ok(call("ide_read_file", "{\"workspace\":\"ws\",\"path\":\"blob.bin\"}"));
        ck_assert(json_get_bool(s, "binary", false));
        ck_assert_str_eq(json_get_string(s, "text"), "");
        s = ok(call("ide_read_file", "{\"workspace\":\"ws\",\"path\":\"latin1.txt\"}"));
        ck_assert_str_eq(json_get_string(s, "encoding"), "iso-8859-1");
        ck_assert_str_eq(json_get_string(s, "text"), "caf\xc3\xa9 cr\xc3\xa8me\n");
        /* Invalid UTF-8 in a line that ide_search returns becomes U+FFFD: the answer stays valid JSON text. */
        sh("printf 'needle \\377\\376 here\\n' > '%s/bad-utf8.txt'", ws);
        s = ok(call("ide_search", "{\"workspace\":\"ws\",\"pattern\":\"needle\",\"literal\":true}"));
        json_object *m = json_object_array_get_idx(json_get_array(s, "matches"), 0);
        ck_assert_str_eq(json_get_string(m, "text"), "needle \xef\xbf\xbd\xef\xbf\xbd here");
}
END_TEST

START_TEST(test_read_huge_file_is_capped_and_a_late_range_still_read) {
        /* 40 MiB of numbered lines: the answer stops at MaxReadSize= (64K here); a range near the end is read
         * by streaming past the rest. */
        sh("seq 1 5000000 > '%s/huge.txt'", ws);
        json_object *s = ok(call("ide_read_file", "{\"workspace\":\"ws\",\"path\":\"huge.txt\"}"));
        ck_assert(json_get_bool(s, "truncated", false));
        ck_assert_int_le(strlen(json_get_string(s, "text")), 64 * 1024);
        ck_assert(!json_get_object(s, "total_lines"));
        s = ok(call("ide_read_file",
                "{\"workspace\":\"ws\",\"path\":\"huge.txt\",\"start_line\":4999999,\"end_line\":5000000}"));
        ck_assert_str_eq(json_get_string(s, "text"), "4999999\n5000000\n");
}
END_TEST

START_TEST(test_file_info_says_what_a_path_is) {
        sh("cd '%s' && ln -s src/main.c link-in && ln -s '%s/secret.txt' link-out", ws, outside);
        json_object *s = ok(call("ide_file_info", "{\"workspace\":\"ws\",\"path\":\"src/main.c\"}"));
        struct stat st;
        _cleanup_free_ char *p = NULL;
        ck_assert_int_ge(asprintf(&p, "%s/src/main.c", ws), 0);
        ck_assert_int_ge(stat(p, &st), 0);
        ck_assert_str_eq(json_get_string(s, "type"), "file");
        ck_assert_int_eq(int_of(s, "size"), st.st_size);
        s = ok(call("ide_file_info", "{\"workspace\":\"ws\",\"path\":\"link-in\"}"));
        ck_assert_str_eq(json_get_string(s, "type"), "symlink");
        ck_assert(json_get_bool(s, "target_inside", false));
        s = ok(call("ide_file_info", "{\"workspace\":\"ws\",\"path\":\"link-out\"}"));
        ck_assert(!json_get_bool(s, "target_inside", true));
        s = ok(call("ide_file_info", "{\"workspace\":\"ws\",\"path\":\"\"}"));
        ck_assert_str_eq(json_get_string(s, "type"), "directory");
}
END_TEST

/* --- writing and editing --------------------------------------------------------------------------------- */

START_TEST(test_write_file_creates_parents_replaces_atomically_and_keeps_the_mode) {
        json_object *s = ok(
                call("ide_write_file", "{\"workspace\":\"ws\",\"path\":\"new/deep/file.txt\",\"content\":\"one\\n\"}"));
        ck_assert(json_get_bool(s, "created", false));
        _cleanup_free_ char *c = read_ws("new/deep/file.txt");
        ck_assert_str_eq(c, "one\n");
        sh("chmod 0750 '%s/src/main.c'", ws);
        s = ok(call("ide_write_file", "{\"workspace\":\"ws\",\"path\":\"src/main.c\",\"content\":\"int main;\\n\"}"));
        ck_assert(!json_get_bool(s, "created", true));
        free(c);
        c = read_ws("src/main.c");
        ck_assert_str_eq(c, "int main;\n");
        struct stat st;
        _cleanup_free_ char *p = NULL;
        ck_assert_int_ge(asprintf(&p, "%s/src/main.c", ws), 0);
        ck_assert_int_ge(stat(p, &st), 0);
        ck_assert_int_eq(st.st_mode & 07777, 0750);
        /* No temporary file is left beside it. */
        _cleanup_free_ char *left = sh_out("ls -A src | grep -c '^\\.#' || true");
        ck_assert_str_eq(left, "0\n");
        refused(call("ide_write_file",
                        "{\"workspace\":\"ws\",\"path\":\"README.md\",\"content\":\"x\",\"overwrite\":false}"),
                "already exists");
        refused(call("ide_write_file",
                        "{\"workspace\":\"ws\",\"path\":\"x/y\",\"content\":\"x\",\"create_parents\":false}"),
                "no such file");
        /* git sees exactly the change. */
        _cleanup_free_ char *status = sh_out("git status --porcelain src/main.c");
        ck_assert_str_eq(status, " M src/main.c\n");
}
END_TEST

START_TEST(test_write_refuses_symlinks_and_read_only_workspaces) {
        sh("cd '%s' && ln -s README.md alias.md", ws);
        refused(call("ide_write_file", "{\"workspace\":\"ws\",\"path\":\"alias.md\",\"content\":\"x\"}"), "symlink");
        refused(call("ide_write_file", "{\"workspace\":\"ro\",\"path\":\"new.txt\",\"content\":\"x\"}"), "read-only");
        refused(call("ide_edit_file",
                        "{\"workspace\":\"ro\",\"path\":\"README.md\",\"edits\":[{\"old_text\":\"Test\",\"new_text\":\"X\"}]}"),
                "read-only");
        refused(call("ide_delete", "{\"workspace\":\"ro\",\"path\":\"README.md\"}"), "read-only");
        refused(call("ide_git_commit", "{\"workspace\":\"ro\",\"message\":\"x\"}"), "read-only");
        /* Reading it is fine, and a dry run edits nothing. */
        ok(call("ide_read_file", "{\"workspace\":\"ro\",\"path\":\"README.md\"}"));
        json_object *s = ok(call("ide_edit_file",
                "{\"workspace\":\"ro\",\"path\":\"README.md\",\"dry_run\":true,\"edits\":[{\"old_text\":\"# Test\",\"new_text\":\"# X\"}]}"));
        ck_assert(strstr(json_get_string(s, "diff"), "+# X"));
        _cleanup_free_ char *c = read_ws("README.md");
        ck_assert(strstr(c, "# Test"));
}
END_TEST

START_TEST(test_edit_exact_then_whitespace_insensitive_with_the_diff_git_would_show) {
        json_object *s = ok(call("ide_edit_file",
                "{\"workspace\":\"ws\",\"path\":\"src/main.c\",\"edits\":[{\"old_text\":\"puts(\\\"hello\\\");\","
                "\"new_text\":\"puts(\\\"bye\\\");\"}]}"));
        ck_assert_str_eq(json_get_string(json_object_array_get_idx(json_get_array(s, "edits"), 0), "match"), "exact");
        /* The diff's changed lines are git's. */
        _cleanup_free_ char *git = sh_out("git diff -U3 src/main.c | grep '^[-+][^-+]'");
        _cleanup_free_ char *ours = NULL;
        ck_assert_int_ge(asprintf(&ours, "%s", json_get_string(s, "diff")), 0);
        ck_assert_msg(strstr(ours, "-    puts(\"hello\");\n+    puts(\"bye\");\n"), "%s", ours);
        ck_assert_msg(strstr(git, "-    puts(\"hello\");\n+    puts(\"bye\");\n"), "%s", git);
        ck_assert(strstr(ours, "@@ -1,6 +1,6 @@"));

        /* Wrong indentation and spacing: found ignoring whitespace, re-indented to the file's. */
        s = ok(call("ide_edit_file",
                "{\"workspace\":\"ws\",\"path\":\"src/main.c\",\"edits\":[{\"old_text\":\"  puts(\\\"bye\\\");\\n"
                "      return   0;\",\"new_text\":\"  puts(\\\"bye\\\");\\n  return 2;\"}]}"));
        ck_assert_str_eq(json_get_string(json_object_array_get_idx(json_get_array(s, "edits"), 0), "match"),
                "whitespace-insensitive");
        _cleanup_free_ char *c = read_ws("src/main.c");
        ck_assert_str_eq(c, "#include <stdio.h>\n\nint main(void) {\n    puts(\"bye\");\n    return 2;\n}\n");
}
END_TEST

START_TEST(test_edit_that_matches_twice_or_nowhere_changes_nothing_and_says_where) {
        write_file("twice.txt", "alpha\nbeta\nalpha\n");
        _cleanup_free_ char *before = read_ws("twice.txt");
        refused(call("ide_edit_file",
                        "{\"workspace\":\"ws\",\"path\":\"twice.txt\",\"edits\":[{\"old_text\":\"alpha\",\"new_text\":\"x\"}]}"),
                "matches 2 places, at lines 1, 3");
        refused(call("ide_edit_file",
                        "{\"workspace\":\"ws\",\"path\":\"twice.txt\",\"edits\":[{\"old_text\":\"beta\",\"new_text\":\"B\"},"
                        "{\"old_text\":\"gamma\",\"new_text\":\"x\"}]}"),
                "Edit 2 of 2");
        _cleanup_free_ char *after = read_ws("twice.txt");
        ck_assert_str_eq(before, after);
        json_object *s = ok(call("ide_edit_file",
                "{\"workspace\":\"ws\",\"path\":\"twice.txt\",\"edits\":[{\"old_text\":\"alpha\",\"new_text\":\"x\","
                "\"replace_all\":true}]}"));
        ck_assert_int_eq(int_of(json_object_array_get_idx(json_get_array(s, "edits"), 0), "replacements"), 2);
        free(after);
        after = read_ws("twice.txt");
        ck_assert_str_eq(after, "x\nbeta\nx\n");
}
END_TEST

START_TEST(test_move_delete_and_restore) {
        ok(call("ide_move",
                "{\"workspace\":\"ws\",\"source\":\"src/lib/util.c\",\"destination\":\"src/util/util2.c\"}"));
        ck_assert_int_eq(access(outside, F_OK), 0);
        _cleanup_free_ char *moved = read_ws("src/util/util2.c");
        ck_assert_ptr_nonnull(moved);
        refused(call("ide_move", "{\"workspace\":\"ws\",\"source\":\"README.md\",\"destination\":\"src/main.c\"}"),
                "destination exists");

        json_object *s = ok(call("ide_delete", "{\"workspace\":\"ws\",\"path\":\"src/util\"}"));
        _cleanup_free_ char *id = strdup(json_get_string(s, "trash_id"));
        _cleanup_free_ char *gone = read_ws("src/util/util2.c");
        ck_assert_ptr_null(gone);
        /* git does not see the trash, and the listings leave it out. */
        _cleanup_free_ char *status =
                sh_out("git status --porcelain --untracked-files=all | grep -c aios-trash || true");
        ck_assert_str_eq(status, "0\n");
        s = ok(call("ide_list_directory", "{\"workspace\":\"ws\",\"depth\":5}"));
        ck_assert(!strstr(json_to_string(s), ".aios-trash"));

        s = ok(call("ide_restore", "{\"workspace\":\"ws\"}"));
        ck_assert_str_eq(json_get_string(json_object_array_get_idx(json_get_array(s, "trash"), 0), "path"), "src/util");
        _cleanup_free_ char *args = NULL;
        ck_assert_int_ge(asprintf(&args, "{\"workspace\":\"ws\",\"trash_id\":\"%s\"}", id), 0);
        ok(call("ide_restore", args));
        _cleanup_free_ char *back = read_ws("src/util/util2.c");
        ck_assert_str_eq(back, moved);
        refused(call("ide_delete", "{\"workspace\":\"ws\",\"path\":\".\"}"), "workspace itself");
        refused(call("ide_delete", "{\"workspace\":\"ws\",\"path\":\".aios-trash\"}"), "trash");
}
END_TEST

/* --- trees ------------------------------------------------------------------------------------------------ */

/* The paths git sees (tracked, and untracked but not ignored), sorted, one a line. */
static char *git_paths(const char *pathspec) {
        return sh_out("git ls-files -co --exclude-standard -- %s | LC_ALL=C sort", pathspec);
}

static char *paths_of(json_object *entries, const char *type) {
        char *out = NULL;
        size_t size = 0;
        FILE *m = open_memstream(&out, &size);
        for (size_t i = 0; i < json_object_array_length(entries); i++) {
                json_object *e = json_object_array_get_idx(entries, i);
                if (!type || streq(json_get_string(e, "type"), type))
                        fprintf(m, "%s\n", json_get_string(e, "path"));
        }
        fclose(m);
        return out;
}

START_TEST(test_list_and_find_respect_gitignore_as_git_does) {
        write_file("src/lib/.gitignore", "*.tmp\n!keep.tmp\n");
        write_file("src/lib/x.tmp", "x");
        write_file("src/lib/keep.tmp", "k");
        json_object *s = ok(call("ide_list_directory", "{\"workspace\":\"ws\",\"depth\":10}"));
        _cleanup_free_ char *ours = paths_of(json_get_array(s, "entries"), "file"), *git = git_paths(".");
        _cleanup_free_ char *sorted = NULL;
        /* The listing is depth-first; compare as sets. */
        FILE *p = NULL;
        _cleanup_free_ char *cmd = NULL;
        ck_assert_int_ge(asprintf(&cmd, "printf '%%s' '%s' | LC_ALL=C sort", ours), 0);
        p = popen(cmd, "r");
        size_t n = 0;
        ck_assert_int_ge(getdelim(&sorted, &n, 0, p), 0);
        pclose(p);
        ck_assert_str_eq(sorted, git);
        ck_assert(!strstr(ours, "build/") && !strstr(ours, "main.o") && !strstr(ours, "x.tmp"));

        s = ok(call("ide_find_files", "{\"workspace\":\"ws\",\"pattern\":\"*.c\"}"));
        _cleanup_free_ char *found = paths_of(json_get_array(s, "matches"), NULL), *git_c = git_paths("'*.c'");
        ck_assert_str_eq(found, git_c);
        s = ok(call("ide_find_files", "{\"workspace\":\"ws\",\"pattern\":\"src/**/*.c\",\"gitignore\":false}"));
        free(found);
        found = paths_of(json_get_array(s, "matches"), NULL);
        ck_assert_str_eq(found, "src/lib/util.c\nsrc/main.c\n");
        s = ok(call("ide_find_files", "{\"workspace\":\"ws\",\"pattern\":\"*.c\",\"gitignore\":false}"));
        free(found);
        found = paths_of(json_get_array(s, "matches"), NULL);
        ck_assert_str_eq(found, "build/out.c\nsrc/lib/util.c\nsrc/main.c\n");
        s = ok(call("ide_list_directory", "{\"workspace\":\"ws\",\"path\":\"src\"}"));
        free(found);
        found = paths_of(json_get_array(s, "entries"), NULL);
        ck_assert_str_eq(found, "src/lib\nsrc/main.c\n");
}
END_TEST

START_TEST(test_a_tree_of_100000_files_is_walked_and_bounded) {
        /* 100 directories of 1000 files each. */
        sh("cd '%s' && mkdir big && cd big && for d in $(seq 0 99); do mkdir d$d; done && "
           "for d in $(seq 0 99); do (cd d$d && seq -f 'f%%g.txt' 0 999 | xargs touch); done && "
           "echo 'the needle' > d57/f123.txt",
                ws);
        json_object *s = ok(call_for("ide_find_files", "{\"workspace\":\"ws\",\"pattern\":\"big/**/*.txt\"}", 120));
        ck_assert_int_eq(json_object_array_length(json_get_array(s, "matches")), 100000);
        ck_assert(!json_get_bool(s, "truncated", true));
        s = ok(call_for("ide_search", "{\"workspace\":\"ws\",\"pattern\":\"needle\",\"path\":\"big\"}", 120));
        ck_assert_int_eq(int_of(s, "files_searched"), 100000);
        ck_assert_str_eq(json_get_string(json_object_array_get_idx(json_get_array(s, "matches"), 0), "path"),
                "big/d57/f123.txt");
        s = ok(call_for("ide_list_directory", "{\"workspace\":\"ws\",\"path\":\"big\",\"depth\":3,\"max_entries\":500}",
                120));
        ck_assert(json_get_bool(s, "truncated", false));
        ck_assert_int_eq(json_object_array_length(json_get_array(s, "entries")), 500);
}
END_TEST

/* --- search ---------------------------------------------------------------------------------------------- */

START_TEST(test_search_finds_what_git_grep_finds) {
        json_object *s = ok(call("ide_search", "{\"workspace\":\"ws\",\"pattern\":\"return \\\\w+\"}"));
        _cleanup_free_ char *git = sh_out("git grep -n -P 'return \\w+' | LC_ALL=C sort");
        char *ours = NULL;
        size_t size = 0;
        FILE *m = open_memstream(&ours, &size);
        json_object *matches = json_get_array(s, "matches");
        for (size_t i = 0; i < json_object_array_length(matches); i++) {
                json_object *x = json_object_array_get_idx(matches, i);
                fprintf(m, "%s:%" PRId64 ":%s\n", json_get_string(x, "path"), int_of(x, "line"),
                        json_get_string(x, "text"));
        }
        fclose(m);
        ck_assert_str_eq(ours, git);
        free(ours);

        s = ok(call("ide_search",
                "{\"workspace\":\"ws\",\"pattern\":\"PUTS\",\"literal\":true,\"case_insensitive\":true,"
                "\"context\":1,\"include\":[\"*.c\"]}"));
        json_object *x = json_object_array_get_idx(json_get_array(s, "matches"), 0);
        ck_assert_str_eq(json_get_string(x, "path"), "src/main.c");
        ck_assert_int_eq(int_of(x, "column"), 5);
        ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(json_get_array(x, "before"), 0)),
                "int main(void) {");
        ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(json_get_array(x, "after"), 0)),
                "    return 0;");
        /* exclude, ignored and binary files. */
        s = ok(call("ide_search", "{\"workspace\":\"ws\",\"pattern\":\"return\",\"exclude\":[\"src/lib\"]}"));
        ck_assert_int_eq(json_object_array_length(json_get_array(s, "matches")), 1);
        s = ok(call("ide_search", "{\"workspace\":\"ws\",\"pattern\":\"junk\"}"));
        ck_assert_int_eq(json_object_array_length(json_get_array(s, "matches")), 0);
        s = ok(call("ide_search", "{\"workspace\":\"ws\",\"pattern\":\"junk\",\"gitignore\":false}"));
        ck_assert_int_eq(json_object_array_length(json_get_array(s, "matches")), 1);
        sh("printf 'return\\000binary' > '%s/bin.dat'", ws);
        s = ok(call("ide_search", "{\"workspace\":\"ws\",\"pattern\":\"binary\"}"));
        ck_assert_int_eq(json_object_array_length(json_get_array(s, "matches")), 0);
        ck_assert_int_ge(int_of(s, "files_skipped"), 1);
        refused(call("ide_search", "{\"workspace\":\"ws\",\"pattern\":\"(unclosed\"}"), "does not compile");
}
END_TEST

START_TEST(test_search_bounds_matches_and_backtracking) {
        sh("seq 1 5000 | sed 's/^/match /' > '%s/many.txt'", ws);
        json_object *s = ok(call("ide_search", "{\"workspace\":\"ws\",\"pattern\":\"match\",\"max_matches\":10}"));
        ck_assert_int_eq(json_object_array_length(json_get_array(s, "matches")), 10);
        ck_assert(json_get_bool(s, "truncated", false));
        /* Catastrophic backtracking is cut off per file, and the answer says so, quickly. */
        sh("python3 -c \"print('a' * 50000 + 'b')\" > '%s/evil.txt' 2>/dev/null || "
           "(head -c 50000 /dev/zero | tr '\\\\0' a; echo b) > '%s/evil.txt'",
                ws, ws);
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        s = ok(call("ide_search", "{\"workspace\":\"ws\",\"pattern\":\"(a+)+$\",\"path\":\"evil.txt\"}"));
        clock_gettime(CLOCK_MONOTONIC, &b);
        ck_assert(json_get_bool(s, "backtrack_limited", false));
        ck_assert_int_lt(b.tv_sec - a.tv_sec, 10);
        /* A time bound stops a search that would take longer: 5000 files of 100 KiB in 1 ms. */
        sh("cd '%s' && mkdir slow && head -c 102400 /dev/urandom | base64 > slow/0 && cd slow && "
           "for i in $(seq 1 4999); do ln 0 $i; done",
                ws);
        s = ok(call("ide_search",
                "{\"workspace\":\"ws\",\"pattern\":\"nothing[0-9]+here\",\"path\":\"slow\",\"timeout_ms\":1}"));
        ck_assert(json_get_bool(s, "timed_out", false));
        ck_assert_int_lt(int_of(s, "files_searched"), 5000);
}
END_TEST

/* --- escapes: each refused, and nothing outside read or written ----------------------------------------- */

static void assert_outside_untouched(void) {
        _cleanup_free_ char *secret = NULL, *list = NULL, *cmd = NULL;
        ck_assert_int_ge(asprintf(&cmd, "%s/secret.txt", outside), 0);
        secret = read_host(cmd);
        ck_assert_str_eq(secret, "secret\n");
        list = sh_out("ls -A '%s'", outside);
        ck_assert_str_eq(list, "secret.txt\n");
}

START_TEST(test_escape_dotdot) {
        refused(call("ide_read_file", "{\"workspace\":\"ws\",\"path\":\"../outside/secret.txt\"}"),
                "outside the workspace");
        refused(call("ide_read_file", "{\"workspace\":\"ws\",\"path\":\"src/../../outside/secret.txt\"}"),
                "outside the workspace");
        refused(call("ide_write_file", "{\"workspace\":\"ws\",\"path\":\"../outside/new.txt\",\"content\":\"x\"}"),
                "outside the workspace");
        refused(call("ide_list_directory", "{\"workspace\":\"ws\",\"path\":\"..\"}"), "outside the workspace");
        refused(call("ide_search", "{\"workspace\":\"ws\",\"pattern\":\"secret\",\"path\":\"..\"}"),
                "outside the workspace");
        refused(call("ide_git_log", "{\"workspace\":\"ws\",\"path\":\"../outside\"}"), "outside the workspace");
        /* ".." that stays inside is fine. */
        ok(call("ide_read_file", "{\"workspace\":\"ws\",\"path\":\"src/../README.md\"}"));
        assert_outside_untouched();
}
END_TEST

START_TEST(test_escape_absolute_paths) {
        _cleanup_free_ char *args = NULL;
        ck_assert_int_ge(asprintf(&args, "{\"workspace\":\"ws\",\"path\":\"%s/secret.txt\"}", outside), 0);
        refused(call("ide_read_file", args), "absolute");
        refused(call("ide_read_file", "{\"workspace\":\"ws\",\"path\":\"/etc/passwd\"}"), "absolute");
        refused(call("ide_move", "{\"workspace\":\"ws\",\"source\":\"README.md\",\"destination\":\"/tmp/stolen\"}"),
                "absolute");
        ck_assert_int_ne(access("/tmp/stolen", F_OK), 0);
        assert_outside_untouched();
}
END_TEST

START_TEST(test_escape_symlinks_pointing_out) {
        sh("cd '%s' && ln -s '%s' out && ln -s ../outside/secret.txt rel && ln -s '%s/README.md' abs-in && "
           "ln -s src inside",
                ws, outside, ws);
        refused(call("ide_read_file", "{\"workspace\":\"ws\",\"path\":\"out/secret.txt\"}"), "outside the workspace");
        refused(call("ide_read_file", "{\"workspace\":\"ws\",\"path\":\"rel\"}"), "outside the workspace");
        refused(call("ide_write_file", "{\"workspace\":\"ws\",\"path\":\"out/new.txt\",\"content\":\"x\"}"),
                "outside the workspace");
        refused(call("ide_edit_file",
                        "{\"workspace\":\"ws\",\"path\":\"out/secret.txt\",\"edits\":[{\"old_text\":\"secret\",\"new_text\":\"x\"}]}"),
                "outside the workspace");
        refused(call("ide_delete", "{\"workspace\":\"ws\",\"path\":\"out/secret.txt\"}"), "outside the workspace");
        refused(call("ide_move", "{\"workspace\":\"ws\",\"source\":\"README.md\",\"destination\":\"out/README.md\"}"),
                "outside the workspace");
        /* An absolute symlink is refused even where it would land inside: the kernel sees "/" first. */
        refused(call("ide_read_file", "{\"workspace\":\"ws\",\"path\":\"abs-in\"}"), "outside the workspace");
        /* A symlink that stays inside works. */
        json_object *s = ok(call("ide_read_file", "{\"workspace\":\"ws\",\"path\":\"inside/lib/util.c\"}"));
        ck_assert(strstr(json_get_string(s, "text"), "util"));
        /* Walks show symlinks and do not follow them. */
        s = ok(call("ide_search", "{\"workspace\":\"ws\",\"pattern\":\"secret\"}"));
        ck_assert_int_eq(json_object_array_length(json_get_array(s, "matches")), 0);
        s = ok(call("ide_find_files", "{\"workspace\":\"ws\",\"pattern\":\"secret*\"}"));
        ck_assert_int_eq(json_object_array_length(json_get_array(s, "matches")), 0);
        assert_outside_untouched();
}
END_TEST

START_TEST(test_escape_proc_magic_links) {
        sh("cd '%s' && ln -s /proc/self/root root && ln -s /proc/self/cwd cwd", ws);
        refused(call("ide_read_file", "{\"workspace\":\"ws\",\"path\":\"root/etc/passwd\"}"), "outside the workspace");
        refused(call("ide_read_file", "{\"workspace\":\"ws\",\"path\":\"cwd/README.md\"}"), "outside the workspace");
        /* Through a path of the workspace that reaches /proc: the same. */
        refused(call("ide_read_file", "{\"workspace\":\"ws\",\"path\":\"/proc/self/root/etc/passwd\"}"), "absolute");
}
END_TEST

START_TEST(test_escape_fifo_and_device_do_not_hang_or_read) {
        sh("cd '%s' && mkfifo fifo && ln -s /dev/zero zero", ws);
        refused(call_for("ide_read_file", "{\"workspace\":\"ws\",\"path\":\"fifo\"}", 5), "not a regular file");
        refused(call_for("ide_read_file", "{\"workspace\":\"ws\",\"path\":\"zero\"}", 5), "outside the workspace");
        json_object *s = ok(call_for("ide_search", "{\"workspace\":\"ws\",\"pattern\":\"x\"}", 5));
        (void) s;
}
END_TEST

/* The race: while tools read and write through "d/", another thread keeps swapping the directory d for a
 * symlink to the outside and back. Whatever the timing, nothing outside is read or written. */
static atomic_bool racing;

static void *swapper(void *userdata) {
        char d[PATH_MAX + 16], real[PATH_MAX + 16], tmp[PATH_MAX + 16];
        snprintf(d, sizeof(d), "%s/d", ws);
        snprintf(real, sizeof(real), "%s/d.real", ws);
        snprintf(tmp, sizeof(tmp), "%s/d.link", ws);
        while (atomic_load(&racing)) {
                (void) unlink(tmp);
                (void) symlink(outside, tmp);
                (void) rename(d, real);
                (void) rename(tmp, d); /* d is now a symlink out */
                (void) rename(d, tmp);
                (void) rename(real, d); /* and a directory again */
        }
        return NULL;
}

START_TEST(test_escape_race_directory_swapped_for_a_symlink) {
        sh("mkdir '%s/d' && echo inside > '%s/d/secret.txt'", ws, ws);
        pthread_t t;
        atomic_store(&racing, true);
        ck_assert_int_eq(pthread_create(&t, NULL, swapper, NULL), 0);
        unsigned read_inside = 0, refused_n = 0;
        for (int i = 0; i < 300; i++) {
                json_object *r = call("ide_read_file", "{\"workspace\":\"ws\",\"path\":\"d/secret.txt\"}");
                if (json_get_bool(r, "isError", false))
                        refused_n++;
                else {
                        const char *text = json_get_string(json_get_object(r, "structuredContent"), "text");
                        ck_assert_msg(streq(text, "inside\n"), "read the outside: %s", text);
                        read_inside++;
                }
                r = call("ide_write_file", "{\"workspace\":\"ws\",\"path\":\"d/written.txt\",\"content\":\"w\"}");
                (void) call("ide_delete", "{\"workspace\":\"ws\",\"path\":\"d/written.txt\"}");
                (void) call("ide_search", "{\"workspace\":\"ws\",\"pattern\":\"secret\",\"path\":\"d\"}");
        }
        atomic_store(&racing, false);
        pthread_join(t, NULL);
        ck_assert_int_gt(read_inside + refused_n, 0);
        assert_outside_untouched();
}
END_TEST

/* --- polkit ---------------------------------------------------------------------------------------------- */

START_TEST(test_polkit_is_asked_per_path_and_a_refusal_stops_the_change) {
        ok(call("ide_read_file", "{\"workspace\":\"ws\",\"path\":\"./src//main.c\"}"));
        json_object *asked = test_polkit_last_asked();
        ck_assert_str_eq(json_get_string(asked, "action"), "org.aios.ide.read");
        ck_assert_str_eq(json_get_string(asked, "workspace"), "ws");
        ck_assert_str_eq(json_get_string(asked, "path"), "src/main.c");

        test_polkit_deny("org.aios.ide.write");
        /* The engine's own check of the tool's action (on the workspace) answers with a protocol error. */
        json_object *reply = dispatch("{\"jsonrpc\":\"2.0\",\"id\":99,\"method\":\"tools/call\",\"params\":{\"name\":"
                                      "\"ide_write_file\",\"arguments\":{\"workspace\":\"ws\",\"path\":\"README.md\","
                                      "\"content\":\"x\"}}}",
                5);
        ck_assert_msg(strstr(strempty(json_get_string(json_get_object(reply, "error"), "message")), "Access denied"),
                "%s", json_to_string(reply));
        _cleanup_free_ char *c = read_ws("README.md");
        ck_assert(strstr(c, "# Test"));
        /* ide_edit_file asks for read on the workspace, then write on the path. */
        refused(call("ide_edit_file",
                        "{\"workspace\":\"ws\",\"path\":\"README.md\",\"edits\":[{\"old_text\":\"Test\",\"new_text\":\"X\"}]}"),
                "Access denied");
        asked = test_polkit_last_asked();
        ck_assert_str_eq(json_get_string(asked, "action"), "org.aios.ide.write");
        ck_assert_str_eq(json_get_string(asked, "path"), "README.md");
        ok(call("ide_read_file", "{\"workspace\":\"ws\",\"path\":\"README.md\"}"));
        ok(call("ide_edit_file",
                "{\"workspace\":\"ws\",\"path\":\"README.md\",\"dry_run\":true,\"edits\":[{\"old_text\":\"Test\",\"new_text\":\"X\"}]}"));
}
END_TEST

/* --- git ------------------------------------------------------------------------------------------------- */

START_TEST(test_git_status_and_diff_as_git_says) {
        write_file("README.md", "# Changed\n");
        write_file("new.txt", "new\n");
        sh("cd '%s' && echo staged >> src/lib/util.c && git add src/lib/util.c", ws);
        json_object *s = ok(call("ide_git_status", "{\"workspace\":\"ws\"}"));
        ck_assert_str_eq(json_get_string(s, "branch"), "main");
        _cleanup_free_ char *git = sh_out("git status --porcelain=v1 --untracked-files=all | LC_ALL=C sort -k2");
        char *ours = NULL;
        size_t size = 0;
        FILE *m = open_memstream(&ours, &size);
        json_object *entries = json_get_array(s, "entries");
        for (size_t i = 0; i < json_object_array_length(entries); i++) {
                json_object *e = json_object_array_get_idx(entries, i);
                const char *idx = json_get_string(e, "index"), *wt = json_get_string(e, "worktree");
                char x = !idx ? ' ' : streq(idx, "modified") ? 'M' : streq(idx, "added") ? 'A' : '?';
                char y = !wt ? ' ' : streq(wt, "modified") ? 'M' : streq(wt, "untracked") ? '?' : '!';
                if (y == '?')
                        x = '?';
                fprintf(m, "%c%c %s\n", x, y, json_get_string(e, "path"));
        }
        fclose(m);
        /* git lists the untracked last; libgit2 in path order. */
        _cleanup_free_ char *cmd = NULL, *sorted = NULL;
        ck_assert_int_ge(asprintf(&cmd, "printf '%%s' '%s' | LC_ALL=C sort -k2", ours), 0);
        FILE *p = popen(cmd, "r");
        size_t n = 0;
        ck_assert_int_ge(getdelim(&sorted, &n, 0, p), 0);
        pclose(p);
        ck_assert_str_eq(sorted, git);
        free(ours);

        s = ok(call("ide_git_diff", "{\"workspace\":\"ws\"}"));
        _cleanup_free_ char *git_diff = sh_out("git diff --no-color");
        ck_assert_str_eq(json_get_string(s, "diff"), git_diff);
        s = ok(call("ide_git_diff", "{\"workspace\":\"ws\",\"staged\":true}"));
        _cleanup_free_ char *git_staged = sh_out("git diff --cached --no-color");
        ck_assert_str_eq(json_get_string(s, "diff"), git_staged);
        s = ok(call("ide_git_diff", "{\"workspace\":\"ws\",\"from\":\"HEAD~1\",\"to\":\"HEAD\"}"));
        _cleanup_free_ char *git_range = sh_out("git diff --no-color HEAD~1 HEAD");
        ck_assert_str_eq(json_get_string(s, "diff"), git_range);
        ck_assert_int_eq(int_of(s, "files_changed"), 1);
        s = ok(call("ide_git_diff", "{\"workspace\":\"ws\",\"from\":\"HEAD~1\",\"to\":\"HEAD\",\"path\":\"src\"}"));
        ck_assert_int_eq(int_of(s, "files_changed"), 0);
        refused(call("ide_git_diff", "{\"workspace\":\"ws\",\"from\":\"no-such-rev\"}"), "no-such-rev");
}
END_TEST

START_TEST(test_git_log_show_and_blame_as_git_says) {
        json_object *s = ok(call("ide_git_log", "{\"workspace\":\"ws\"}"));
        _cleanup_free_ char *git = sh_out("git log --format=%%H"), *ours = NULL;
        size_t size = 0;
        FILE *m = open_memstream(&ours, &size);
        json_object *commits = json_get_array(s, "commits");
        for (size_t i = 0; i < json_object_array_length(commits); i++)
                fprintf(m, "%s\n", json_get_string(json_object_array_get_idx(commits, i), "id"));
        fclose(m);
        ck_assert_str_eq(ours, git);
        ck_assert_str_eq(json_get_string(json_object_array_get_idx(commits, 0), "summary"), "Second commit");
        ck_assert_str_eq(json_get_string(json_object_array_get_idx(commits, 0), "author"), "Tester");

        s = ok(call("ide_git_log", "{\"workspace\":\"ws\",\"path\":\"src\"}"));
        _cleanup_free_ char *git_src = sh_out("git log --format=%%s -- src");
        ck_assert_int_eq(json_object_array_length(json_get_array(s, "commits")), 1);
        ck_assert_str_eq(git_src, "First commit\n");

        s = ok(call("ide_git_show", "{\"workspace\":\"ws\"}"));
        _cleanup_free_ char *git_show = sh_out("git show --no-color --format= HEAD");
        ck_assert_str_eq(json_get_string(s, "diff"), git_show);
        s = ok(call("ide_git_show", "{\"workspace\":\"ws\",\"revision\":\"HEAD~1:README.md\"}"));
        _cleanup_free_ char *git_blob = sh_out("git show HEAD~1:README.md");
        ck_assert_str_eq(json_get_string(s, "content"), git_blob);

        s = ok(call("ide_git_blame", "{\"workspace\":\"ws\",\"path\":\"README.md\"}"));
        _cleanup_free_ char *git_blame =
                sh_out("git blame --porcelain README.md | grep -E '^[0-9a-f]{40} [0-9]+ [0-9]+' | cut -d' ' -f1");
        free(ours);
        m = open_memstream(&ours, &size);
        json_object *lines = json_get_array(s, "lines");
        for (size_t i = 0; i < json_object_array_length(lines); i++)
                fprintf(m, "%s\n", json_get_string(json_object_array_get_idx(lines, i), "commit"));
        fclose(m);
        ck_assert_str_eq(ours, git_blame);
}
END_TEST

START_TEST(test_git_add_commit_branch_and_checkout_as_git_sees_them) {
        write_file("feature.txt", "feature\n");
        refused(call("ide_git_commit", "{\"workspace\":\"ws\",\"message\":\"nothing\"}"), "Nothing is staged");
        ok(call("ide_git_add", "{\"workspace\":\"ws\",\"paths\":[\"feature.txt\"]}"));
        _cleanup_free_ char *cached = sh_out("git diff --cached --name-only");
        ck_assert_str_eq(cached, "feature.txt\n");
        json_object *s =
                ok(call("ide_git_commit", "{\"workspace\":\"ws\",\"message\":\"Add the feature\\n\\nWith a body.\"}"));
        _cleanup_free_ char *head = sh_out("git rev-parse HEAD"), *who = sh_out("git log -1 --format='%%an|%%ae|%%s'");
        ck_assert_int_eq(strncmp(head, json_get_string(s, "id"), 40), 0);
        ck_assert_str_eq(who, "unix-user:tester|unix-user.tester@aios.invalid|Add the feature\n");

        /* A deleted file is staged as a removal. */
        sh("rm '%s/feature.txt'", ws);
        ok(call("ide_git_add", "{\"workspace\":\"ws\",\"paths\":[\".\"]}"));
        free(cached);
        cached = sh_out("git diff --cached --name-status");
        ck_assert_str_eq(cached, "D\tfeature.txt\n");
        sh("cd '%s' && git reset -q --hard", ws);

        s = ok(call("ide_git_branch", "{\"workspace\":\"ws\",\"create\":\"topic\",\"start_point\":\"HEAD~1\"}"));
        _cleanup_free_ char *branches = sh_out("git branch --format='%%(refname:short) %%(objectname)'");
        _cleanup_free_ char *expected =
                sh_out("echo \"main $(git rev-parse main)\"; echo \"topic $(git rev-parse HEAD~1)\"");
        ck_assert_str_eq(branches, expected);
        refused(call("ide_git_branch", "{\"workspace\":\"ws\",\"create\":\"bad..name\"}"), "not a valid branch name");

        ok(call("ide_git_checkout", "{\"workspace\":\"ws\",\"target\":\"topic\"}"));
        _cleanup_free_ char *current = sh_out("git rev-parse --abbrev-ref HEAD");
        ck_assert_str_eq(current, "topic\n");
        _cleanup_free_ char *f = read_ws("feature.txt");
        ck_assert_ptr_null(f);
        /* A local file the checkout would overwrite stops it (main has feature.txt; topic does not). */
        write_file("feature.txt", "local work\n");
        refused(call("ide_git_checkout", "{\"workspace\":\"ws\",\"target\":\"main\"}"), "feature.txt");
        free(current);
        current = sh_out("git rev-parse --abbrev-ref HEAD");
        ck_assert_str_eq(current, "topic\n");
        _cleanup_free_ char *local = read_ws("feature.txt");
        ck_assert_str_eq(local, "local work\n");
        sh("rm '%s/feature.txt'", ws);
        ok(call("ide_git_checkout", "{\"workspace\":\"ws\",\"target\":\"fresh\",\"create\":true}"));
        free(current);
        current = sh_out("git rev-parse --abbrev-ref HEAD");
        ck_assert_str_eq(current, "fresh\n");
}
END_TEST

START_TEST(test_git_refuses_a_workspace_that_is_no_repository) {
        sh("rm -rf '%s/.git'", ws);
        refused(call("ide_git_status", "{\"workspace\":\"ws\"}"), "not a git repository");
}
END_TEST

/* --- resources ------------------------------------------------------------------------------------------ */

START_TEST(test_resource_read_and_updates_to_its_subscribers) {
        Capture standalone = {};
        standalone.messages = json_object_new_array();
        mcp_session_set_standalone(session, capture_standalone_send, &standalone);

        json_object *reply =
                dispatch("{\"jsonrpc\":\"2.0\",\"id\":50,\"method\":\"resources/read\",\"params\":{\"uri\":"
                         "\"workspace://ws/src%2Fmain.c\"}}",
                        5);
        json_object *contents =
                json_object_array_get_idx(json_get_array(json_get_object(reply, "result"), "contents"), 0);
        _cleanup_free_ char *disk = read_ws("src/main.c");
        ck_assert_str_eq(json_get_string(contents, "text"), disk);
        ck_assert_str_eq(json_get_string(contents, "mimeType"), "text/x-c");
        reply = dispatch("{\"jsonrpc\":\"2.0\",\"id\":51,\"method\":\"resources/subscribe\",\"params\":{\"uri\":"
                         "\"workspace://ws/src%2Fmain.c\"}}",
                5);
        ck_assert_ptr_nonnull(json_get_object(reply, "result"));

        /* A change by anyone (here: the test, as an editor would) reaches the subscriber. */
        write_file("src/main.c", "int main(void) { return 7; }\n");
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        bool seen = false;
        while (!seen) {
                ck_assert_int_ge(sd_event_run(event, 100 * 1000), 0);
                for (size_t i = 0; i < json_object_array_length(standalone.messages); i++) {
                        json_object *m = json_object_array_get_idx(standalone.messages, i);
                        if (streq_ptr(json_get_string(m, "method"), "notifications/resources/updated") &&
                                streq_ptr(json_get_string(json_get_object(m, "params"), "uri"),
                                        "workspace://ws/src%2Fmain.c"))
                                seen = true;
                }
                clock_gettime(CLOCK_MONOTONIC, &b);
                ck_assert_msg(b.tv_sec - a.tv_sec < 5, "no update within 5 s: %s", json_to_string(standalone.messages));
        }
        /* Outside the workspace, or nothing there: no such resource. */
        reply = dispatch("{\"jsonrpc\":\"2.0\",\"id\":52,\"method\":\"resources/read\",\"params\":{\"uri\":"
                         "\"workspace://ws/..%2Foutside%2Fsecret.txt\"}}",
                5);
        ck_assert_ptr_nonnull(json_get_object(reply, "error"));
        mcp_session_set_standalone(session, NULL, NULL);
        capture_reset(&standalone);
}
END_TEST

/* --- commands in the sandbox ---------------------------------------------------------------------------- */

static bool sandbox_ok;
static char sandbox_reason[256];

/* Whether a sandbox starts here at all (user namespaces, mounts). */
static void probe_sandbox(void) {
        char *argv[] = { (char *) "/bin/true", NULL }, *envp[] = { NULL };
        SandboxConfig c = {
                .argv = argv,
                .envp = envp,
                .workspace = "/work",
                .stdin_fd = -1,
                .stdout_fd = -1,
                .stderr_fd = -1,
                .control_fd = -1,
        };
        Sandbox *s = NULL;
        int r = sandbox_spawn(&c, &s);
        sandbox_ok = r >= 0;
        if (!sandbox_ok)
                snprintf(sandbox_reason, sizeof(sandbox_reason), "no sandbox can be started here: %s", strerror(-r));
        sandbox_free(s);
}

#define REQUIRE_SANDBOX()                                                                                              \
        do {                                                                                                           \
                if (!sandbox_ok) {                                                                                     \
                        printf("%s: skipped, %s\n", __func__, sandbox_reason);                                         \
                        return;                                                                                        \
                }                                                                                                      \
        } while (false)

/* Commands write as the sandbox user: the daemon's user outside, nobody when the test runs as root. */
static void workspace_open_to_all(void) {
        sh("chmod 0755 '%s' && chmod -R a+rwX '%s'", dir, ws);
}

static bool logged(const char *logger, const char *text) {
        for (size_t i = 0; capture.messages && i < json_object_array_length(capture.messages); i++) {
                json_object *params = json_get_object(json_object_array_get_idx(capture.messages, i), "params");
                if (streq_ptr(json_get_string(params, "logger"), logger) &&
                        strstr(strempty(json_get_string(params, "data")), text))
                        return true;
        }
        return false;
}

START_TEST(test_run_builds_in_the_workspace_and_streams_its_output) {
        REQUIRE_SANDBOX();
        workspace_open_to_all();
        json_object *s = ok(call("ide_run",
                "{\"workspace\":\"ws\",\"argv\":[\"sh\",\"-c\",\"echo out; echo err >&2; pwd; cat lib/util.c | head -1; "
                "echo built > ../artifact.txt; exit 2\"],\"cwd\":\"src\"}"));
        ck_assert_int_eq(int_of(s, "exit_code"), 2);
        ck_assert_str_eq(json_get_string(s, "stdout"), "out\n/work/src\nint util(int x) {\n");
        ck_assert_str_eq(json_get_string(s, "stderr"), "err\n");
        ck_assert(logged("stdout", "out"));
        ck_assert(logged("stderr", "err"));
        _cleanup_free_ char *artifact = read_ws("artifact.txt");
        ck_assert_str_eq(artifact, "built\n");
        /* git sees the command's file like any other. */
        _cleanup_free_ char *status = sh_out("git status --porcelain artifact.txt");
        ck_assert_str_eq(status, "?? artifact.txt\n");
}
END_TEST

START_TEST(test_run_reaches_nothing_of_the_host_and_no_shell_line) {
        REQUIRE_SANDBOX();
        workspace_open_to_all();
        refused(call("ide_run", "{\"workspace\":\"ws\",\"shell\":\"echo hi\"}"), "not allowed");
        refused(call("ide_run", "{\"workspace\":\"ws\",\"argv\":[\"true\"],\"cwd\":\"..\"}"), "outside the workspace");
        refused(call("ide_run", "{\"workspace\":\"ws\",\"argv\":[\"no-such-program-here\"]}"), "not found");
        _cleanup_free_ char *script = NULL;
        ck_assert_int_ge(
                asprintf(&script,
                        "{\"workspace\":\"ws\",\"argv\":[\"sh\",\"-c\",\"cat '%s/secret.txt' || echo no-outside; "
                        "ls /home /root /run 2>/dev/null | wc -l; touch /usr/x 2>/dev/null || echo ro-usr; "
                        "echo x > ../escape.txt 2>/dev/null || echo no-parent\"]}",
                        outside),
                0);
        json_object *s = ok(call("ide_run", script));
        const char *out = json_get_string(s, "stdout");
        ck_assert_msg(strstr(out, "no-outside") && strstr(out, "ro-usr") && strstr(out, "no-parent"), "%s", out);
        ck_assert_msg(strstr(out, "\n0\n"), "%s", out);
        assert_outside_untouched();
        _cleanup_free_ char *escape = NULL;
        ck_assert_int_ge(asprintf(&escape, "%s/escape.txt", dir), 0);
        ck_assert_int_ne(access(escape, F_OK), 0);
}
END_TEST

START_TEST(test_run_timeout_stops_the_command) {
        REQUIRE_SANDBOX();
        workspace_open_to_all();
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        json_object *s = ok(call("ide_run", "{\"workspace\":\"ws\",\"argv\":[\"sleep\",\"60\"],\"timeout_sec\":1}"));
        clock_gettime(CLOCK_MONOTONIC, &b);
        ck_assert(json_get_bool(s, "timed_out", false));
        ck_assert_int_lt(b.tv_sec - a.tv_sec, 10);
        refused(call("ide_run", "{\"workspace\":\"ws\",\"argv\":[\"true\"],\"timeout_sec\":999999}"),
                "RunMaxTimeoutSec");
}
END_TEST

START_TEST(test_run_in_a_read_only_workspace_writes_nothing) {
        REQUIRE_SANDBOX();
        workspace_open_to_all();
        json_object *s = ok(call("ide_run", "{\"workspace\":\"ro\",\"argv\":[\"touch\",\"made.txt\"]}"));
        ck_assert_int_ne(int_of(s, "exit_code"), 0);
        ck_assert(strstr(json_get_string(s, "stderr"), "Read-only file system"));
        _cleanup_free_ char *made = read_ws("made.txt");
        ck_assert_ptr_null(made);
}
END_TEST

START_TEST(test_symbols_outline_and_definitions_from_ctags) {
        REQUIRE_SANDBOX();
        if (access("/usr/bin/ctags", X_OK) < 0) {
                printf("%s: skipped, Universal Ctags is not installed (Debian's universal-ctags)\n", __func__);
                return;
        }
        workspace_open_to_all();
        json_object *s = ok(call("ide_symbols", "{\"workspace\":\"ws\",\"path\":\"src/main.c\"}"));
        json_object *first = json_object_array_get_idx(json_get_array(s, "symbols"), 0);
        ck_assert_str_eq(json_get_string(first, "name"), "main");
        ck_assert_str_eq(json_get_string(first, "kind"), "function");
        ck_assert_int_eq(int_of(first, "line"), 3);
        s = ok(call("ide_symbols", "{\"workspace\":\"ws\",\"name\":\"util\"}"));
        ck_assert_int_eq(json_object_array_length(json_get_array(s, "symbols")), 1);
        first = json_object_array_get_idx(json_get_array(s, "symbols"), 0);
        ck_assert_str_eq(json_get_string(first, "path"), "src/lib/util.c");
        s = ok(call("ide_symbols", "{\"workspace\":\"ws\",\"name\":\"nowhere_defined\"}"));
        ck_assert_int_eq(json_object_array_length(json_get_array(s, "symbols")), 0);
        refused(call("ide_symbols", "{\"workspace\":\"ws\",\"path\":\"../outside/secret.txt\"}"),
                "outside the workspace");
}
END_TEST

/* --- the suite ------------------------------------------------------------------------------------------- */

static Suite *ide_suite(void) {
        Suite *s = suite_create("ide");
        TCase *tc = tcase_create("tools");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_tools_declare_titles_schemas_annotations_and_actions);
        tcase_add_test(tc, test_unknown_workspace_lists_the_configured_ones);
        tcase_add_test(tc, test_read_file_whole_and_by_lines_as_the_file_system_says);
        tcase_add_test(tc, test_read_files_reads_each_and_reports_the_one_missing);
        tcase_add_test(tc, test_read_binary_latin1_and_invalid_utf8);
        tcase_add_test(tc, test_read_huge_file_is_capped_and_a_late_range_still_read);
        tcase_add_test(tc, test_file_info_says_what_a_path_is);
        tcase_add_test(tc, test_write_file_creates_parents_replaces_atomically_and_keeps_the_mode);
        tcase_add_test(tc, test_write_refuses_symlinks_and_read_only_workspaces);
        tcase_add_test(tc, test_edit_exact_then_whitespace_insensitive_with_the_diff_git_would_show);
        tcase_add_test(tc, test_edit_that_matches_twice_or_nowhere_changes_nothing_and_says_where);
        tcase_add_test(tc, test_move_delete_and_restore);
        tcase_add_test(tc, test_list_and_find_respect_gitignore_as_git_does);
        tcase_add_test(tc, test_a_tree_of_100000_files_is_walked_and_bounded);
        tcase_add_test(tc, test_search_finds_what_git_grep_finds);
        tcase_add_test(tc, test_search_bounds_matches_and_backtracking);
        tcase_add_test(tc, test_polkit_is_asked_per_path_and_a_refusal_stops_the_change);
        tcase_add_test(tc, test_git_status_and_diff_as_git_says);
        tcase_add_test(tc, test_git_log_show_and_blame_as_git_says);
        tcase_add_test(tc, test_git_add_commit_branch_and_checkout_as_git_sees_them);
        tcase_add_test(tc, test_git_refuses_a_workspace_that_is_no_repository);
        tcase_add_test(tc, test_resource_read_and_updates_to_its_subscribers);
        suite_add_tcase(s, tc);

        TCase *escape = tcase_create("escape");
        tcase_add_checked_fixture(escape, setup, teardown);
        tcase_set_timeout(escape, 120);
        tcase_add_test(escape, test_escape_dotdot);
        tcase_add_test(escape, test_escape_absolute_paths);
        tcase_add_test(escape, test_escape_symlinks_pointing_out);
        tcase_add_test(escape, test_escape_proc_magic_links);
        tcase_add_test(escape, test_escape_fifo_and_device_do_not_hang_or_read);
        tcase_add_test(escape, test_escape_race_directory_swapped_for_a_symlink);
        suite_add_tcase(s, escape);

        TCase *run = tcase_create("run");
        tcase_add_checked_fixture(run, setup, teardown);
        tcase_set_timeout(run, 120);
        tcase_add_test(run, test_run_builds_in_the_workspace_and_streams_its_output);
        tcase_add_test(run, test_run_reaches_nothing_of_the_host_and_no_shell_line);
        tcase_add_test(run, test_run_timeout_stops_the_command);
        tcase_add_test(run, test_run_in_a_read_only_workspace_writes_nothing);
        tcase_add_test(run, test_symbols_outline_and_definitions_from_ctags);
        suite_add_tcase(s, run);
        return s;
}

int main(int argc, char *argv[]) {
        if (system("git --version >/dev/null 2>&1") != 0) {
                printf("SKIP: git is not installed (Debian's git): the tests make their repository with it\n");
                return 77;
        }
        probe_sandbox();
        return test_run_suite(ide_suite());
}
