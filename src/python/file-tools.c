/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A session's workspace: python_file_read, python_file_write, python_files_list and the resource template
 * python://session/{id}/files/{path}. */
#include <stdio.h>

#include "base64.h"
#include "jsonrpc.h"
#include "mcp-content.h"
#include "mcp-request.h"
#include "run-internal.h"
#include "schemas.h"
#include "session.h"
#include "text.h"
#include "workspace.h"

#define LIST_MAX 1000

static PythonContext *context_of(McpRequest *req) {
        return mcp_server_get_userdata(mcp_request_get_server(req));
}

/* The session's workspace as a directory fd, or -ENOENT when the session holds no interpreter now (none yet,
 * or it died): its workspace is empty then. */
static int session_workspace(PythonSession *s) {
        if (!s->worker || s->worker->state == WORKER_DEAD)
                return -ENOENT;
        return worker_open_workspace(s->worker);
}

static const char *errno_text(int r) {
        switch (r) {
        case -ENOENT:
                return "there is no such file";
        case -EISDIR:
                return "it is a directory";
        case -EINVAL:
        case -EEXIST:
                return "it is not a regular file (a symlink, FIFO or device is neither read nor written)";
        case -EXDEV:
        case -ELOOP:
                return "it leads outside the workspace";
        case -ENOSPC:
        case -EFBIG:
        case -EDQUOT:
                return "the workspace is full";
        default:
                return strerror(-r);
        }
}

/* --- python_file_read ------------------------------------------------------------------------------------ */

static int tool_file_read(McpRequest *req, json_object *arguments) {
        PythonContext *ctx = context_of(req);
        PythonSession *s = session_get(ctx, req, json_get_string(arguments, "session_id"));
        if (!s)
                return 0;
        const char *path = workspace_path(json_get_string(arguments, "path"));
        if (!path)
                return mcp_request_reply_tool_error(req,
                        "path is a file in the workspace, e.g. \"data.csv\" or \"out/plot.png\".");
        session_touch(s);
        _cleanup_close_ int ws = session_workspace(s);
        if (ws < 0)
                return mcp_request_reply_tool_error(req, "%s cannot be read: %s.", path,
                        ws == -ENOENT
                                ? "the session's workspace is empty (its interpreter starts afresh at the next run)"
                                : strerror(-ws));
        _cleanup_free_ char *data = NULL, *segment = uri_segment_encode(path), *uri = NULL;
        size_t size = 0;
        uint64_t file_size = 0;
        int r = workspace_read(ws, path, ctx->config.max_file_read, &data, &size, &file_size);
        if (r < 0)
                return mcp_request_reply_tool_error(req, "%s cannot be read: %s.", path, errno_text(r));
        if (!segment || asprintf(&uri, "python://session/%s/files/%s", s->id, segment) < 0)
                return -ENOMEM;

        bool text = utf8_is_text(data, size);
        _cleanup_json_ json_object *o = json_object_new_object();
        if (!o || json_add_string(o, "path", path) < 0 || json_add(o, "size", json_object_new_uint64(file_size)) < 0 ||
                json_add(o, "truncated", json_object_new_boolean(size < file_size)) < 0 ||
                json_add_string(o, "mime_type", mime_type_of(path)) < 0 || json_add_string(o, "uri", uri) < 0 ||
                json_add_string(o, "encoding", text ? "utf-8" : "base64") < 0)
                return -ENOMEM;
        if (text && json_add_string(o, "text", data) < 0)
                return -ENOMEM;
        if (!text) {
                _cleanup_free_ char *b64 = base64_encode(data, size);
                if (!b64 || json_add_string(o, "base64", b64) < 0)
                        return -ENOMEM;
        }
        return mcp_request_reply_content(req,
                JSON_ARRAY(mcp_content_resource(workspace_resource(uri, path, data, size))), TAKE_PTR(o), false);
}

/* --- python_file_write ----------------------------------------------------------------------------------- */

static void file_write_go(PythonSession *s, McpRequest *req, int error) {
        PythonContext *ctx = s->ctx;
        json_object *arguments = json_get_object(mcp_request_get_params(req), "arguments");
        const char *path = workspace_path(json_get_string(arguments, "path"));
        const char *text = json_get_string(arguments, "text"), *b64 = json_get_string(arguments, "base64");
        if (error < 0) {
                (void) mcp_request_reply_tool_error(req, "The session's sandbox could not be started: %s",
                        strerror(-error));
                return;
        }
        _cleanup_free_ char *data = NULL;
        size_t size = text ? strlen(text) : 0;
        if (b64 && base64_decode(b64, strlen(b64), &data, &size) < 0) {
                (void) mcp_request_reply_tool_error(req, "base64 is not valid base64.");
                return;
        }
        if (size > ctx->config.max_input_files) {
                (void) mcp_request_reply_tool_error(req, "The file is larger than this server takes (%zu bytes).",
                        ctx->config.max_input_files);
                return;
        }
        _cleanup_close_ int ws = session_workspace(s);
        int r = ws < 0 ? ws : workspace_write(ws, path, data ?: text, size);
        if (r < 0) {
                (void) mcp_request_reply_tool_error(req, "%s cannot be written: %s.", path, errno_text(r));
                return;
        }
        _cleanup_json_ json_object *o = json_object_new_object();
        if (!o || json_add_string(o, "path", path) < 0 || json_add(o, "size", json_object_new_uint64(size)) < 0) {
                (void) mcp_request_reply_tool_error(req, "Out of memory.");
                return;
        }
        char summary[128];
        snprintf(summary, sizeof(summary), "Wrote %zu bytes to /work/%.80s.", size, path);
        (void) mcp_request_reply_content(req, JSON_ARRAY(mcp_content_text(summary)), TAKE_PTR(o), false);
}

static int tool_file_write(McpRequest *req, json_object *arguments) {
        PythonContext *ctx = context_of(req);
        PythonSession *s = session_get(ctx, req, json_get_string(arguments, "session_id"));
        if (!s)
                return 0;
        if (!workspace_path(json_get_string(arguments, "path")))
                return mcp_request_reply_tool_error(req,
                        "path is a file in the workspace, e.g. \"data.csv\" or \"in/a.txt\".");
        if (!json_get_string(arguments, "text") == !json_get_string(arguments, "base64"))
                return mcp_request_reply_tool_error(req, "Give either text or base64.");
        /* While code runs, its workspace is written as it is; otherwise an interpreter is taken if there is none. */
        if (s->running && s->worker) {
                file_write_go(s, req, 0);
                return 0;
        }
        int r = session_with_worker(s, req, file_write_go);
        if (r == -EBUSY)
                return mcp_request_reply_tool_error(req, "Session %s is starting its interpreter; try again.", s->id);
        return r;
}

/* --- python_files_list ----------------------------------------------------------------------------------- */

static int tool_files_list(McpRequest *req, json_object *arguments) {
        PythonContext *ctx = context_of(req);
        PythonSession *s = session_get(ctx, req, json_get_string(arguments, "session_id"));
        if (!s)
                return 0;
        const char *raw = json_get_string(arguments, "path");
        const char *path = isempty(raw) || streq(raw, "/work") || streq(raw, ".") ? "" : workspace_path(raw);
        if (!path)
                return mcp_request_reply_tool_error(req,
                        "path is a directory in the workspace, or empty for all of it.");
        session_touch(s);
        _cleanup_json_ json_object *list = NULL;
        bool truncated = false;
        _cleanup_close_ int ws = session_workspace(s);
        int r = ws == -ENOENT ? 0 : ws;
        if (r >= 0 && ws >= 0)
                r = workspace_list(ws, path, LIST_MAX, &list, &truncated);
        if (r < 0)
                return mcp_request_reply_tool_error(req, "%s cannot be listed: %s.", *path ? path : "/work",
                        errno_text(r));
        if (!list && !(list = json_object_new_array()))
                return -ENOMEM;
        char text[128];
        snprintf(text, sizeof(text), "%zu entries in /work%s%.80s%s.", json_object_array_length(list), *path ? "/" : "",
                path, truncated ? " (more left out)" : "");
        _cleanup_json_ json_object *o = json_object_new_object();
        if (!o || json_add(o, "files", TAKE_PTR(list)) < 0 ||
                json_add(o, "truncated", json_object_new_boolean(truncated)) < 0)
                return -ENOMEM;
        /* The listing as text too, for clients that read content only. */
        json_object *content = JSON_ARRAY(mcp_content_text(text), mcp_content_text(json_to_string(o)));
        return mcp_request_reply_content(req, content, TAKE_PTR(o), false);
}

/* --- python://session/{id}/files/{path} ------------------------------------------------------------------ */

static int read_session_file(McpRequest *req, const char *uri, json_object *variables) {
        PythonContext *ctx = context_of(req);
        /* Another principal's session is answered as one that does not exist. */
        PythonSession *s = session_find(ctx, req, json_get_string(variables, "id"));
        _cleanup_free_ char *decoded = NULL;
        const char *raw = json_get_string(variables, "path");
        if (raw)
                decoded = percent_decode(raw);
        const char *path = workspace_path(decoded);
        if (!s || !path)
                return mcp_request_reply_resource_not_found(req, uri);
        session_touch(s);
        _cleanup_close_ int ws = session_workspace(s);
        if (ws < 0)
                return mcp_request_reply_resource_not_found(req, uri);
        _cleanup_free_ char *data = NULL;
        size_t size = 0;
        uint64_t file_size = 0;
        int r = workspace_read(ws, path, ctx->config.max_file_read, &data, &size, &file_size);
        if (r == -ENOENT)
                return mcp_request_reply_resource_not_found(req, uri);
        if (r < 0)
                return mcp_request_reply_error(req, JSONRPC_INVALID_PARAMS, "%s cannot be read: %s.", path,
                        errno_text(r));
        _cleanup_json_ json_object *result = json_object_new_object();
        if (!result || json_add(result, "contents", JSON_ARRAY(workspace_resource(uri, path, data, size))) < 0)
                return -ENOMEM;
        return mcp_request_reply(req, TAKE_PTR(result));
}

/* --- the tables ------------------------------------------------------------------------------------------ */

const McpTool python_file_tools[] = {
        { .name = "python_file_read",
                .title = "Read a session file",
                .description = "Reads a file of a session's workspace (/work): text as text, anything else as base64, "
                               "up to the server's limit (truncated says when it was cut). The same file is the "
                               "resource python://session/{id}/files/{path}.",
                .input_schema = python_schema_python_file_read_input,
                .output_schema = python_schema_python_file_read_output,
                .annotations = "{\"readOnlyHint\":true,\"openWorldHint\":false}",
                .polkit_action = PYTHON_ACTION_RUN,
                .polkit_required = true,
                .polkit_detail_argument = "session_id",
                .handler = tool_file_read },
        { .name = "python_file_write",
                .title = "Write a session file",
                .description = "Writes a file into a session's workspace (/work), from text or base64, making its "
                               "directories; an existing file is replaced. The code sees it at /work/PATH, or PATH "
                               "relative to its working directory.",
                .input_schema = python_schema_python_file_write_input,
                .output_schema = python_schema_python_file_write_output,
                .annotations = "{\"readOnlyHint\":false,\"destructiveHint\":true,\"idempotentHint\":true,"
                               "\"openWorldHint\":false}",
                .polkit_action = PYTHON_ACTION_RUN,
                .polkit_required = true,
                .polkit_detail_argument = "session_id",
                .handler = tool_file_write },
        { .name = "python_files_list",
                .title = "List session files",
                .description = "Lists a session's workspace (/work), or a directory in it, depth first: path, type "
                               "(file, directory, symlink, other), size and modification time.",
                .input_schema = python_schema_python_files_list_input,
                .output_schema = python_schema_python_files_list_output,
                .annotations = "{\"readOnlyHint\":true,\"openWorldHint\":false}",
                .polkit_action = PYTHON_ACTION_RUN,
                .polkit_required = true,
                .polkit_detail_argument = "session_id",
                .handler = tool_files_list },
        {}
};

const McpResourceTemplate python_resource_templates[] = {
        { .uri_template = "python://session/{id}/files/{path}",
                .name = "python-session-file",
                .title = "A file of a Python session",
                .description = "A file in the workspace of one of your sessions; a path with directories has its "
                               "slashes percent-encoded (out%2Fplot.png)",
                .polkit_action = PYTHON_ACTION_RUN,
                .polkit_required = true,
                .read = read_session_file },
        {}
};
