/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ide_run (a build or test command) and ide_symbols (Universal Ctags' JSON), both in sandboxes. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "call.h"
#include "conf-parser.h"
#include "mcp-content.h"
#include "run.h"
#include "schemas.h"
#include "strv.h"
#include "text.h"
#include "workspace.h"

#define CTAGS "/usr/bin/ctags"
#define SYMBOLS_OUTPUT_MAX (16 * 1024 * 1024)
#define SYMBOLS_TIMEOUT_USEC (120 * USEC_PER_SEC)

/* The working directory inside the sandbox, checked beneath the workspace first. NULL with the answer given
 * when it is refused. */
static char *sandbox_cwd(McpRequest *req, IdeWorkspace *ws, const char *arg) {
        _cleanup_free_ char *n = NULL;
        const char *reason = NULL;
        int r = ide_path_normalize(arg, &n, &reason);
        if (r < 0) {
                (void) mcp_request_reply_tool_error(req, "cwd \"%s\" is refused: %s.", strempty(arg),
                        reason ?: strerror(-r));
                return NULL;
        }
        _cleanup_close_ int fd = ide_open(ws, n, O_PATH | O_DIRECTORY, 0);
        if (fd < 0) {
                (void) mcp_request_reply_tool_error(req, "cwd %s cannot be used: %s.", n, ide_errno_text(fd));
                return NULL;
        }
        char *cwd = NULL;
        if (asprintf(&cwd, IDE_RUN_WORKSPACE "%s%s", streq(n, ".") ? "" : "/", streq(n, ".") ? "" : n) < 0)
                return NULL;
        return cwd;
}

/* --- ide_run ------------------------------------------------------------------------------------------- */

static void run_done(McpRequest *req, int r, const IdeRunResult *res, void *userdata) {
        if (r < 0) {
                (void) mcp_request_reply_tool_error(req, "The command could not be started: %s.", strerror(-r));
                return;
        }
        _cleanup_json_ json_object *o = json_object_new_object();
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        _cleanup_(fclosep) FILE *f = open_memstream(&text, &size);
        if (!o || !f || json_add(o, "exit_code", json_object_new_int(res->exit_code)) < 0 ||
                (res->signal > 0 && json_add_string(o, "signal", strsignal(res->signal)) < 0) ||
                json_add(o, "timed_out", json_object_new_boolean(res->timed_out)) < 0 ||
                json_add(o, "duration_ms", json_object_new_int64(res->duration_usec / USEC_PER_MSEC)) < 0 ||
                json_add(o, "stdout", ide_json_string(res->stdout_data, res->stdout_size)) < 0 ||
                json_add(o, "stderr", ide_json_string(res->stderr_data, res->stderr_size)) < 0 ||
                json_add(o, "stdout_bytes", json_object_new_int64(res->stdout_total)) < 0 ||
                json_add(o, "stderr_bytes", json_object_new_int64(res->stderr_total)) < 0) {
                (void) mcp_request_reply_tool_error(req, "Out of memory.");
                return;
        }
        if (res->timed_out)
                fprintf(f, "The command ran past its timeout and was stopped.\n");
        if (res->signal > 0)
                fprintf(f, "Killed by signal %d (%s).\n", res->signal, strsignal(res->signal));
        else
                fprintf(f, "Exit status %d.\n", res->exit_code);
        if (res->stdout_total > 0)
                fprintf(f, "--- stdout%s ---\n%s\n", res->stdout_total > res->stdout_size ? " (its end)" : "",
                        json_get_string(o, "stdout"));
        if (res->stderr_total > 0)
                fprintf(f, "--- stderr%s ---\n%s\n", res->stderr_total > res->stderr_size ? " (its end)" : "",
                        json_get_string(o, "stderr"));
        if (fflush(f) != 0) {
                (void) mcp_request_reply_tool_error(req, "Out of memory.");
                return;
        }
        /* A command that failed is still a result the model reads, not a tool error. */
        (void) mcp_request_reply_content(req, JSON_ARRAY(mcp_content_text(text)), TAKE_PTR(o), false);
}

static int go_run(McpRequest *req, IdeContext *ctx, IdeWorkspace *ws, json_object *arguments) {
        const IdeConfig *c = &ctx->config;
        json_object *argv_json = json_get_array(arguments, "argv");
        const char *shell = json_get_string(arguments, "shell");
        if (!!argv_json == !!shell)
                return mcp_request_reply_tool_error(req, "Give either argv (the command and its arguments) or shell.");
        if (shell && !c->allow_shell)
                return mcp_request_reply_tool_error(req,
                        "A shell command line is not allowed here (AllowShell= in ide.conf): give argv, an array "
                        "of the program and its arguments.");
        _cleanup_free_ char *cwd = sandbox_cwd(req, ws, json_get_string(arguments, "cwd"));
        if (!cwd)
                return mcp_request_is_done(req) ? 0 : -ENOMEM;

        _cleanup_strv_free_ char **argv = NULL;
        if (shell) {
                if (strv_extend(&argv, "/bin/sh") < 0 || strv_extend(&argv, "-c") < 0 || strv_extend(&argv, shell) < 0)
                        return -ENOMEM;
        } else
                for (size_t i = 0; i < json_object_array_length(argv_json); i++) {
                        json_object *a = json_object_array_get_idx(argv_json, i);
                        if (json_string_has_nul(a))
                                return mcp_request_reply_tool_error(req, "argv[%zu] holds a NUL character.", i);
                        if (strv_extend(&argv, json_object_get_string(a)) < 0)
                                return -ENOMEM;
                }
        _cleanup_free_ char *program = ide_run_find_program(argv[0], cwd);
        if (!program)
                return mcp_request_reply_tool_error(req,
                        "%s is not found in /usr/local/bin, /usr/bin, /bin, /usr/sbin or /sbin; give its path (e.g. "
                        "\"./build.sh\" in the workspace).",
                        argv[0]);
        free(argv[0]);
        argv[0] = TAKE_PTR(program);

        uint64_t timeout = c->run_timeout_usec;
        json_object *v = NULL;
        if (json_object_object_get_ex(arguments, "timeout_sec", &v)) {
                timeout = (uint64_t) json_object_get_int64(v) * USEC_PER_SEC;
                if (timeout > c->run_max_timeout_usec)
                        return mcp_request_reply_tool_error(req,
                                "timeout_sec is more than this server allows (%" PRIu64 " s, RunMaxTimeoutSec=).",
                                (uint64_t) (c->run_max_timeout_usec / USEC_PER_SEC));
        }
        IdeRunOptions o = {
                .argv = argv,
                .cwd = cwd,
                .timeout_usec = timeout,
                .max_output = c->run_max_output,
                .stream = true,
                .done = run_done,
        };
        return ide_run_start(ctx, req, ws, &o);
}

static int tool_run(McpRequest *req, json_object *arguments) {
        return ide_call_loop(req, arguments, IDE_ACTION_RUN, (const char *const[]){ "cwd", NULL }, go_run);
}

/* --- ide_symbols --------------------------------------------------------------------------------------- */

static void symbols_done(McpRequest *req, int r, const IdeRunResult *res, void *userdata) {
        _cleanup_free_ char *name = userdata;
        if (r < 0) {
                (void) mcp_request_reply_tool_error(req, "ctags could not be started: %s.", strerror(-r));
                return;
        }
        if (res->timed_out) {
                (void) mcp_request_reply_tool_error(req, "ctags took longer than %llu s; give a path to narrow it.",
                        (unsigned long long) (SYMBOLS_TIMEOUT_USEC / USEC_PER_SEC));
                return;
        }
        /* grep exits 1 when it finds nothing: that is an empty answer, not a failure. */
        if (res->exit_code != 0 && !(name && res->exit_code == 1)) {
                (void) mcp_request_reply_tool_error(req, "ctags failed (exit status %d): %.*s", res->exit_code,
                        (int) MIN(res->stderr_size, (size_t) 2000), res->stderr_data);
                return;
        }
        _cleanup_json_ json_object *o = json_object_new_object(), *symbols = json_object_new_array();
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        _cleanup_(fclosep) FILE *f = open_memstream(&text, &size);
        if (!o || !symbols || !f) {
                (void) mcp_request_reply_tool_error(req, "Out of memory.");
                return;
        }
        bool truncated = res->stdout_total > res->stdout_size;
        for (const char *p = res->stdout_data, *end = p + res->stdout_size; p < end;) {
                const char *nl = memchr(p, '\n', end - p);
                size_t len = (nl ?: end) - p;
                _cleanup_json_ json_object *tag = NULL;
                const char *reason;
                if (json_parse_strict(p, len, &tag, &reason) == 0 && streq_ptr(json_get_string(tag, "_type"), "tag") &&
                        (!name || streq_ptr(json_get_string(tag, "name"), name))) {
                        json_object *s = json_object_new_object();
                        json_object *line = NULL, *endl = NULL;
                        json_object_object_get_ex(tag, "line", &line);
                        json_object_object_get_ex(tag, "end", &endl);
                        const char *path = json_get_string(tag, "path");
                        if (path && strncmp(path, "./", 2) == 0)
                                path += 2;
                        if (!s || json_add_string(s, "name", json_get_string(tag, "name")) < 0 ||
                                json_add_string(s, "kind", json_get_string(tag, "kind") ?: "") < 0 ||
                                json_add_string(s, "path", path ?: "") < 0 ||
                                json_add(s, "line", json_object_new_int(json_object_get_int(line))) < 0 ||
                                (endl && json_add(s, "end_line", json_object_new_int(json_object_get_int(endl))) < 0) ||
                                (json_get_string(tag, "scope") &&
                                        json_add_string(s, "scope", json_get_string(tag, "scope")) < 0) ||
                                (json_get_string(tag, "signature") &&
                                        json_add_string(s, "signature", json_get_string(tag, "signature")) < 0) ||
                                json_object_array_add(symbols, s) < 0) {
                                json_object_put(s);
                                (void) mcp_request_reply_tool_error(req, "Out of memory.");
                                return;
                        }
                        fprintf(f, "%s:%d %s %s%s%s\n", path ?: "", json_object_get_int(line),
                                json_get_string(tag, "kind") ?: "", json_get_string(tag, "name"),
                                strempty(json_get_string(tag, "signature")), json_get_string(tag, "scope") ? "" : "");
                }
                p = nl ? nl + 1 : end;
        }
        if (json_object_array_length(symbols) == 0)
                fputs(name ? "No definition of that name.\n" : "No symbols.\n", f);
        if (fflush(f) != 0 || json_add(o, "symbols", TAKE_PTR(symbols)) < 0 ||
                json_add(o, "truncated", json_object_new_boolean(truncated)) < 0) {
                (void) mcp_request_reply_tool_error(req, "Out of memory.");
                return;
        }
        (void) mcp_request_reply_content(req, JSON_ARRAY(mcp_content_text(text)), TAKE_PTR(o), false);
}

static int go_symbols(McpRequest *req, IdeContext *ctx, IdeWorkspace *ws, json_object *arguments) {
        const char *path = json_get_string(arguments, "path"), *name = json_get_string(arguments, "name");
        if (!!path == !!name)
                return mcp_request_reply_tool_error(req,
                        "Give path (a file's outline) or name (where it is defined in the workspace).");
        if (access(CTAGS, X_OK) < 0)
                return mcp_request_reply_tool_error(req, "Universal Ctags is not installed (" CTAGS ").");
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *file = NULL, *match = NULL;
        if (path) {
                const char *reason;
                int r = ide_path_normalize(path, &file, &reason);
                if (r < 0)
                        return r == -ENOMEM ? r : mcp_request_reply_tool_error(req, "path is refused: %s.", reason);
                _cleanup_close_ int fd = ide_open(ws, file, O_PATH, 0);
                if (fd < 0)
                        return mcp_request_reply_tool_error(req, "%s: %s.", file, ide_errno_text(fd));
                /* "./" first: a file named like an option stays a file. */
                _cleanup_free_ char *dot = NULL;
                if (asprintf(&dot, "./%s", file) < 0)
                        return -ENOMEM;
                const char *const a[] = { CTAGS, "--output-format=json", "--fields=+nKSe", "-f", "-", dot, NULL };
                argv = strv_copy((char *const *) a);
        } else {
                if (!config_string_is_token(name, "_.:$~-", 256))
                        return mcp_request_reply_tool_error(req,
                                "name is an identifier: letters, digits, _ . : $ ~ -.");
                /* Only the lines with the name leave the sandbox. */
                if (asprintf(&match, "\"name\": \"%s\"", name) < 0)
                        return -ENOMEM;
                const char *const a[] = { "/bin/sh", "-c",
                        CTAGS " --output-format=json --fields=+nKSe -f - -R . | grep -F -- \"$1\"", "sh", match, NULL };
                argv = strv_copy((char *const *) a);
        }
        if (!argv)
                return -ENOMEM;
        _cleanup_free_ char *name_copy = name ? strdup(name) : NULL;
        if (name && !name_copy)
                return -ENOMEM;
        IdeRunOptions o = {
                .argv = argv,
                .cwd = IDE_RUN_WORKSPACE,
                .timeout_usec = SYMBOLS_TIMEOUT_USEC,
                .max_output = SYMBOLS_OUTPUT_MAX,
                .read_only = true,
                .done = symbols_done,
                .userdata = name_copy,
        };
        int r = ide_run_start(ctx, req, ws, &o);
        if (r >= 0)
                TAKE_PTR(name_copy);
        return r;
}

static int tool_symbols(McpRequest *req, json_object *arguments) {
        return ide_call_loop(req, arguments, IDE_ACTION_READ, (const char *const[]){ "path", NULL }, go_symbols);
}

/* --- the table ------------------------------------------------------------------------------------------ */

const McpTool ide_run_tools[] = {
        { .name = "ide_run",
                .title = "Run a command",
                .description =
                        "Runs a build or test command in a workspace, inside a sandbox: argv is the program and its "
                        "arguments (a bare name is looked up in /usr/bin and the like; \"./x\" is relative to cwd), "
                        "never a shell line unless the administrator allows shell. The workspace is /work (its "
                        "only writable place besides /tmp; read-only for a read-only workspace), cwd a directory "
                        "of it. No network, no access to the rest of the host, limits on time (timeout_sec), "
                        "memory and processes. Output is streamed as logging notifications (logger stdout or "
                        "stderr) while it runs; the answer has the exit status and the end of stdout and stderr.",
                .input_schema = ide_schema_ide_run_input,
                .output_schema = ide_schema_ide_run_output,
                .annotations = "{\"readOnlyHint\":false,\"destructiveHint\":true,\"idempotentHint\":false,"
                               "\"openWorldHint\":false}",
                .polkit_action = IDE_ACTION_RUN,
                .polkit_required = true,
                .polkit_detail_argument = "workspace",
                .handler = tool_run },
        { .name = "ide_symbols",
                .title = "Code symbols",
                .description = "Universal Ctags, run in a sandbox on the workspace read-only: a file's outline "
                               "(path: its functions, types, variables with lines, scopes and signatures), or where "
                               "a name is defined across the workspace (name).",
                .input_schema = ide_schema_ide_symbols_input,
                .output_schema = ide_schema_ide_symbols_output,
                .annotations = "{\"readOnlyHint\":true,\"openWorldHint\":false}",
                .polkit_action = IDE_ACTION_READ,
                .polkit_required = true,
                .polkit_detail_argument = "workspace",
                .handler = tool_symbols },
        {}
};
