/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ide_read_file, ide_read_files, ide_write_file, ide_file_info. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "call.h"
#include "file-read.h"
#include "file-write.h"
#include "job.h"
#include "mcp-request.h"
#include "schemas.h"
#include "text.h"
#include "workspace.h"

#define READ_FILES_MAX 50

static char *path_of(json_object *arguments, const char *key) {
        char *n = NULL;
        const char *reason;
        return ide_path_normalize(json_get_string(arguments, key), &n, &reason) < 0 ? NULL : n;
}

static unsigned get_unsigned(json_object *o, const char *key, unsigned def) {
        json_object *v = NULL;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return def;
        int64_t i = json_object_get_int64(v);
        return i < 0 ? def : (unsigned) MIN(i, (int64_t) UINT32_MAX);
}

static void read_options(IdeTask *t, json_object *a, IdeReadOptions *o) {
        *o = (IdeReadOptions){
                .start_line = get_unsigned(a, "start_line", 0),
                .end_line = get_unsigned(a, "end_line", 0),
                .line_numbers = json_get_bool(a, "line_numbers", false),
                .max_bytes = MIN((uint64_t) get_unsigned(a, "max_bytes", UINT32_MAX), t->config->max_read_bytes),
        };
}

/* --- ide_read_file ------------------------------------------------------------------------------------- */

static int work_read_file(IdeTask *t) {
        _cleanup_free_ char *path = path_of(t->arguments, "path"), *error = NULL;
        if (!path)
                return -ENOMEM;
        IdeReadOptions o;
        read_options(t, t->arguments, &o);
        if (o.end_line > 0 && o.end_line < o.start_line) {
                ide_job_set_error(t->job, "end_line (%u) is before start_line (%u).", o.end_line, o.start_line);
                return 0;
        }
        json_object *result = NULL;
        int r = ide_read_one(t->ws, path, &o, &result, &error);
        if (r < 0 && error) {
                ide_job_set_error(t->job, "%s", error);
                return 0;
        }
        if (r < 0)
                return r;
        const char *text = json_get_string(result, "text");
        _cleanup_free_ char *summary = NULL;
        if (json_get_bool(result, "binary", false) || !streq(json_get_string(result, "encoding"), "utf-8"))
                if (asprintf(&summary, "%s: %s file of %" PRId64 " bytes%s", path, json_get_string(result, "encoding"),
                            json_object_get_int64(json_get_object(result, "size") ?: NULL),
                            isempty(text) ? ", not shown as text" : "") < 0)
                        return -ENOMEM;
        ide_job_set_result(t->job, result, summary ? summary : text);
        return 0;
}

static int tool_read_file(McpRequest *req, json_object *arguments) {
        return ide_call(req, arguments, IDE_ACTION_READ, (const char *const[]){ "path", NULL }, work_read_file);
}

/* --- ide_read_files ------------------------------------------------------------------------------------ */

static int work_read_files(IdeTask *t) {
        json_object *paths = json_get_array(t->arguments, "paths");
        IdeReadOptions o;
        read_options(t, t->arguments, &o);
        size_t n = json_object_array_length(paths), budget = o.max_bytes;
        _cleanup_json_ json_object *files = json_object_new_array(), *result = json_object_new_object();
        if (!files || !result)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL, *error = NULL;
                const char *reason;
                json_object *f = NULL;
                if (ide_path_normalize(json_object_get_string(json_object_array_get_idx(paths, i)), &path, &reason) < 0)
                        return -ENOMEM;
                /* The cap holds for all files together: each gets what the ones before it left. */
                o.max_bytes = budget;
                int r = ide_read_one(t->ws, path, &o, &f, &error);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        f = json_object_new_object();
                        if (!f || json_add_string(f, "path", path) < 0 ||
                                json_add_string(f, "error", error ?: strerror(-r)) < 0) {
                                json_object_put(f);
                                return -ENOMEM;
                        }
                } else {
                        size_t used = strlen(json_get_string(f, "text") ?: "");
                        budget = budget > used ? budget - used : 0;
                }
                if (json_object_array_add(files, f) < 0) {
                        json_object_put(f);
                        return -ENOMEM;
                }
        }
        if (json_add(result, "files", TAKE_PTR(files)) < 0)
                return -ENOMEM;

        /* The text: each file under a header line. */
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        _cleanup_(fclosep) FILE *m = open_memstream(&text, &size);
        if (!m)
                return -ENOMEM;
        json_object *all = json_get_array(result, "files");
        for (size_t i = 0; i < json_object_array_length(all); i++) {
                json_object *f = json_object_array_get_idx(all, i);
                const char *error = json_get_string(f, "error");
                fprintf(m, "==> %s <==\n%s%s", json_get_string(f, "path"), error ?: json_get_string(f, "text"),
                        error ? "\n" : "");
                if (!error && !json_get_bool(f, "binary", false)) {
                        const char *tx = json_get_string(f, "text");
                        if (!isempty(tx) && tx[strlen(tx) - 1] != '\n')
                                fputc('\n', m);
                }
        }
        if (fflush(m) != 0)
                return -ENOMEM;
        ide_job_set_result(t->job, TAKE_PTR(result), text);
        return 0;
}

static int tool_read_files(McpRequest *req, json_object *arguments) {
        if (json_object_array_length(json_get_array(arguments, "paths")) > READ_FILES_MAX)
                return mcp_request_reply_tool_error(req, "At most %d files are read at once.", READ_FILES_MAX);
        return ide_call(req, arguments, IDE_ACTION_READ, (const char *const[]){ "paths", NULL }, work_read_files);
}

/* --- ide_write_file ------------------------------------------------------------------------------------ */

static int work_write_file(IdeTask *t) {
        _cleanup_free_ char *path = path_of(t->arguments, "path");
        if (!path)
                return -ENOMEM;
        json_object *v = NULL;
        json_object_object_get_ex(t->arguments, "content", &v);
        const char *data = json_object_get_string(v);
        size_t size = json_object_get_string_len(v);
        if (json_string_has_nul(v)) {
                ide_job_set_error(t->job, "content holds a NUL character; ide_write_file writes text.");
                return 0;
        }
        if (size > t->config->max_write_bytes) {
                ide_job_set_error(t->job,
                        "content is %zu bytes; this server writes at most %" PRIu64 " (MaxWriteSize=).", size,
                        t->config->max_write_bytes);
                return 0;
        }
        if (ide_path_is_trash(path)) {
                ide_job_set_error(t->job, "%s is in the trash, which only ide_delete and ide_restore change.", path);
                return 0;
        }
        if (!json_get_bool(t->arguments, "overwrite", true)) {
                _cleanup_close_ int fd = ide_open(t->ws, path, O_PATH | O_NOFOLLOW, 0);
                if (fd >= 0 || fd != -ENOENT) {
                        ide_job_set_error(t->job, "%s %s, and overwrite is false.", path,
                                fd >= 0 ? "already exists" : ide_errno_text(fd));
                        return 0;
                }
        }
        bool created = false;
        int r = ide_write_atomic(t->ws, path, data, size, json_get_bool(t->arguments, "create_parents", true),
                &created);
        if (r < 0) {
                ide_job_set_error(t->job, "%s cannot be written: %s.", path,
                        r == -ELOOP ? "it is a symlink; write the file it points to by its own path"
                                    : ide_errno_text(r));
                return 0;
        }
        _cleanup_json_ json_object *o = json_object_new_object();
        _cleanup_free_ char *text = NULL;
        if (!o || json_add_string(o, "path", path) < 0 || json_add(o, "size", json_object_new_uint64(size)) < 0 ||
                json_add(o, "created", json_object_new_boolean(created)) < 0 ||
                asprintf(&text, "%s %s (%zu bytes).", created ? "Created" : "Replaced", path, size) < 0)
                return -ENOMEM;
        ide_job_set_result(t->job, TAKE_PTR(o), text);
        return 0;
}

static int tool_write_file(McpRequest *req, json_object *arguments) {
        return ide_call(req, arguments, IDE_ACTION_WRITE, (const char *const[]){ "path", NULL }, work_write_file);
}

/* --- ide_file_info ------------------------------------------------------------------------------------- */

const char *ide_file_type(mode_t mode) {
        /* clang-format off */
        return S_ISREG(mode) ? "file"
                : S_ISDIR(mode) ? "directory"
                : S_ISLNK(mode) ? "symlink"
                : S_ISFIFO(mode) ? "fifo"
                : S_ISSOCK(mode) ? "socket"
                : "device";
        /* clang-format on */
}

static int work_file_info(IdeTask *t) {
        _cleanup_free_ char *path = path_of(t->arguments, "path");
        if (!path)
                return -ENOMEM;
        /* The path itself, not what a last symlink points to: open it without following that one. */
        _cleanup_close_ int fd = ide_open(t->ws, path, O_PATH | O_NOFOLLOW, 0);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
                ide_job_set_error(t->job, "%s: %s.", path, ide_errno_text(fd < 0 ? fd : -errno));
                return 0;
        }
        char mode[8], mtime[32];
        struct tm tm;
        (void) snprintf(mode, sizeof(mode), "%04o", (unsigned) (st.st_mode & 07777));
        (void) strftime(mtime, sizeof(mtime), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&st.st_mtime, &tm));
        _cleanup_json_ json_object *o = json_object_new_object();
        if (!o || json_add_string(o, "path", path) < 0 || json_add_string(o, "type", ide_file_type(st.st_mode)) < 0 ||
                json_add(o, "size", json_object_new_int64(st.st_size)) < 0 || json_add_string(o, "mode", mode) < 0 ||
                json_add_string(o, "modified", mtime) < 0)
                return -ENOMEM;
        if (S_ISLNK(st.st_mode)) {
                char target[IDE_PATH_MAX + 1];
                ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
                if (n >= 0) {
                        target[n] = 0;
                        _cleanup_close_ int resolved = ide_open(t->ws, path, O_PATH, 0);
                        if (json_add_string(o, "target", target) < 0 ||
                                json_add(o, "target_inside", json_object_new_boolean(resolved >= 0)) < 0)
                                return -ENOMEM;
                }
        }
        if (S_ISREG(st.st_mode)) {
                _cleanup_close_ int rfd = ide_open(t->ws, path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW, 0);
                char head[8192];
                ssize_t n = rfd >= 0 ? read(rfd, head, sizeof(head)) : -1;
                if (n >= 0) {
                        IdeEncoding e = ide_encoding_detect(head, n);
                        if (json_add_string(o, "encoding", ide_encoding_to_string(e)) < 0 ||
                                json_add(o, "binary", json_object_new_boolean(e == IDE_ENCODING_BINARY)) < 0)
                                return -ENOMEM;
                }
        }
        ide_job_set_result(t->job, TAKE_PTR(o), NULL);
        return 0;
}

static int tool_file_info(McpRequest *req, json_object *arguments) {
        return ide_call(req, arguments, IDE_ACTION_READ, (const char *const[]){ "path", NULL }, work_file_info);
}

/* --- the table ------------------------------------------------------------------------------------------ */

#define READ_ONLY "{\"readOnlyHint\":true,\"openWorldHint\":false}"

const McpTool ide_file_tools[] = {
        { .name = "ide_read_file",
                .title = "Read a file",
                .description =
                        "Reads a text file of a workspace, whole or a range of lines (start_line, end_line, "
                        "1-based and inclusive), optionally with line numbers. The answer is capped "
                        "(max_bytes, and the server's MaxReadSize=): truncated says so. The encoding is "
                        "detected: UTF-8 as it is, ISO-8859-1 converted to UTF-8, and binary or UTF-16 "
                        "files are described, not shown. total_lines is given when the file was read to its end.",
                .input_schema = ide_schema_ide_read_file_input,
                .output_schema = ide_schema_ide_read_file_output,
                .annotations = READ_ONLY,
                .polkit_action = IDE_ACTION_READ,
                .polkit_required = true,
                .polkit_detail_argument = "workspace",
                .handler = tool_read_file },
        { .name = "ide_read_files",
                .title = "Read several files",
                .description = "Reads up to 50 files of a workspace at once, each as ide_read_file would (with the "
                               "same line range and numbering); the size cap holds for all of them together. A file "
                               "that cannot be read has an error instead of text; the others are still read.",
                .input_schema = ide_schema_ide_read_files_input,
                .output_schema = ide_schema_ide_read_files_output,
                .annotations = READ_ONLY,
                .polkit_action = IDE_ACTION_READ,
                .polkit_required = true,
                .polkit_detail_argument = "workspace",
                .handler = tool_read_files },
        { .name = "ide_write_file",
                .title = "Write a file",
                .description = "Writes text to a file of a workspace, creating it (and its parent directories, "
                               "unless create_parents is false) or replacing it atomically: the content goes to a "
                               "temporary file that is synced and renamed over the old one, whose mode is kept. "
                               "overwrite=false refuses an existing file. Symlinks are not written through.",
                .input_schema = ide_schema_ide_write_file_input,
                .output_schema = ide_schema_ide_write_file_output,
                .annotations = "{\"readOnlyHint\":false,\"destructiveHint\":true,\"idempotentHint\":true,"
                               "\"openWorldHint\":false}",
                .polkit_action = IDE_ACTION_WRITE,
                .polkit_required = true,
                .polkit_detail_argument = "workspace",
                .handler = tool_write_file },
        { .name = "ide_file_info",
                .title = "File information",
                .description = "What a path of a workspace is: its type (file, directory, symlink, ...), size, mode "
                               "and modification time; a symlink's target and whether it stays inside the "
                               "workspace; a file's encoding and whether it is binary.",
                .input_schema = ide_schema_ide_file_info_input,
                .output_schema = ide_schema_ide_file_info_output,
                .annotations = READ_ONLY,
                .polkit_action = IDE_ACTION_READ,
                .polkit_required = true,
                .polkit_detail_argument = "workspace",
                .handler = tool_file_info },
        {}
};
