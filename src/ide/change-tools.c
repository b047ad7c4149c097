/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ide_edit_file, ide_move, ide_delete (to the workspace's trash) and ide_restore. */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "call.h"
#include "conf-parser.h"
#include "diff.h"
#include "edit.h"
#include "file-read.h"
#include "file-write.h"
#include "job.h"
#include "mcp-request.h"
#include "schemas.h"
#include "workspace.h"

#define TRASH_ORIGIN ".origin"

static char *path_of(json_object *arguments, const char *key) {
        char *n = NULL;
        const char *reason;
        return ide_path_normalize(json_get_string(arguments, key), &n, &reason) < 0 ? NULL : n;
}

static bool refuse_trash(IdeTask *t, const char *path) {
        if (!ide_path_is_trash(path) && !streq(path, "."))
                return false;
        ide_job_set_error(t->job, "%s cannot be changed this way: %s.", path,
                streq(path, ".") ? "it is the workspace itself" : "it is the trash, which ide_restore empties");
        return true;
}

/* --- ide_edit_file ------------------------------------------------------------------------------------- */

static int work_edit_file(IdeTask *t) {
        _cleanup_free_ char *path = path_of(t->arguments, "path"), *text = NULL, *original = NULL;
        if (!path)
                return -ENOMEM;
        if (refuse_trash(t, path))
                return 0;
        size_t size = 0;
        int r = ide_read_all(t->ws->fd, path, t->config->max_write_bytes, &text, &size);
        if (r < 0) {
                ide_job_set_error(t->job, "%s cannot be edited: %s.", path,
                        r == -EINVAL ? "it is not a regular file" : ide_errno_text(r));
                return 0;
        }
        if (strlen(text) != size) {
                ide_job_set_error(t->job, "%s holds NUL bytes: it is binary and is not edited as text.", path);
                return 0;
        }
        original = strdup(text);
        if (!original)
                return -ENOMEM;

        json_object *edits = json_get_array(t->arguments, "edits");
        _cleanup_json_ json_object *applied = json_object_new_array();
        if (!applied)
                return -ENOMEM;
        for (size_t i = 0; i < json_object_array_length(edits); i++) {
                json_object *e = json_object_array_get_idx(edits, i);
                IdeEdit edit = {
                        .old_text = json_get_string(e, "old_text"),
                        .new_text = json_get_string(e, "new_text") ?: "",
                        .replace_all = json_get_bool(e, "replace_all", false),
                };
                bool fuzzy;
                unsigned count;
                _cleanup_free_ char *error = NULL;
                r = ide_edit_apply(&text, &edit, &fuzzy, &count, &error);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        ide_job_set_error(t->job, "Edit %zu of %zu on %s: %s Nothing was changed.", i + 1,
                                json_object_array_length(edits), path, error ?: strerror(-r));
                        return 0;
                }
                json_object *a = json_object_new_object();
                if (!a || json_add(a, "replacements", json_object_new_int(count)) < 0 ||
                        json_add_string(a, "match", fuzzy ? "whitespace-insensitive" : "exact") < 0 ||
                        json_object_array_add(applied, a) < 0) {
                        json_object_put(a);
                        return -ENOMEM;
                }
        }
        if (strlen(text) > t->config->max_write_bytes) {
                ide_job_set_error(t->job, "The edited %s would be larger than this server writes (MaxWriteSize=).",
                        path);
                return 0;
        }
        _cleanup_free_ char *diff = ide_unified_diff(path, original, strlen(original), text, strlen(text));
        if (!diff)
                return -ENOMEM;
        bool dry_run = json_get_bool(t->arguments, "dry_run", false);
        if (!dry_run && !isempty(diff)) {
                r = ide_write_atomic(t->ws, path, text, strlen(text), false, NULL);
                if (r < 0) {
                        ide_job_set_error(t->job, "%s cannot be written: %s.", path, ide_errno_text(r));
                        return 0;
                }
        }
        _cleanup_json_ json_object *o = json_object_new_object();
        if (!o || json_add_string(o, "path", path) < 0 || json_add_string(o, "diff", diff) < 0 ||
                json_add(o, "dry_run", json_object_new_boolean(dry_run)) < 0 ||
                json_add(o, "changed", json_object_new_boolean(!isempty(diff))) < 0 ||
                json_add(o, "edits", TAKE_PTR(applied)) < 0)
                return -ENOMEM;
        ide_job_set_result(t->job, TAKE_PTR(o), isempty(diff) ? "The edits change nothing." : diff);
        return 0;
}

static int tool_edit_file(McpRequest *req, json_object *arguments) {
        return ide_call(req, arguments, json_get_bool(arguments, "dry_run", false) ? IDE_ACTION_READ : IDE_ACTION_WRITE,
                (const char *const[]){ "path", NULL }, work_edit_file);
}

/* --- ide_move ------------------------------------------------------------------------------------------ */

static int work_move(IdeTask *t) {
        _cleanup_free_ char *source = path_of(t->arguments, "source"),
                            *destination = path_of(t->arguments, "destination");
        if (!source || !destination)
                return -ENOMEM;
        if (refuse_trash(t, source) || refuse_trash(t, destination))
                return 0;
        const char *sname, *dname;
        _cleanup_close_ int sdir = ide_open_parent(t->ws, source, false, &sname);
        if (sdir < 0) {
                ide_job_set_error(t->job, "%s cannot be moved: %s.", source, ide_errno_text(sdir));
                return 0;
        }
        _cleanup_close_ int ddir = ide_open_parent(t->ws, destination, true, &dname);
        if (ddir < 0) {
                ide_job_set_error(t->job, "%s cannot be made: %s.", destination, ide_errno_text(ddir));
                return 0;
        }
        bool overwrite = json_get_bool(t->arguments, "overwrite", false);
        if (renameat2(sdir, sname, ddir, dname, overwrite ? 0 : RENAME_NOREPLACE) < 0) {
                int r = -errno;
                ide_job_set_error(t->job, "%s cannot be moved to %s: %s%s.", source, destination,
                        r == -EEXIST ? "the destination exists" : ide_errno_text(r),
                        r == -EEXIST ? " (overwrite=true replaces it)" : "");
                return 0;
        }
        _cleanup_json_ json_object *o = json_object_new_object();
        _cleanup_free_ char *text = NULL;
        if (!o || json_add_string(o, "source", source) < 0 || json_add_string(o, "destination", destination) < 0 ||
                asprintf(&text, "Moved %s to %s.", source, destination) < 0)
                return -ENOMEM;
        ide_job_set_result(t->job, TAKE_PTR(o), text);
        return 0;
}

static int tool_move(McpRequest *req, json_object *arguments) {
        return ide_call(req, arguments, IDE_ACTION_WRITE, (const char *const[]){ "source", "destination", NULL },
                work_move);
}

/* --- ide_delete ---------------------------------------------------------------------------------------- */

/* The trash: .aios-trash/ID/NAME is what was deleted, .aios-trash/ID/.origin its path. A .gitignore of "*"
 * keeps git from seeing any of it. */
static int work_delete(IdeTask *t) {
        _cleanup_free_ char *path = path_of(t->arguments, "path");
        if (!path)
                return -ENOMEM;
        if (refuse_trash(t, path))
                return 0;
        const char *name;
        _cleanup_close_ int sdir = ide_open_parent(t->ws, path, false, &name);
        struct stat st;
        if (sdir < 0 || fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                ide_job_set_error(t->job, "%s cannot be deleted: %s.", path, ide_errno_text(sdir < 0 ? sdir : -errno));
                return 0;
        }

        uint64_t random;
        if (getrandom(&random, sizeof(random), 0) != sizeof(random))
                return -errno;
        char id[64], holder[IDE_PATH_MAX];
        (void) snprintf(id, sizeof(id), "%" PRIu64 "-%08" PRIx64, (uint64_t) time(NULL), random & 0xffffffffu);
        (void) snprintf(holder, sizeof(holder), IDE_TRASH_DIR "/%s/" TRASH_ORIGIN, id);
        const char *origin_name;
        _cleanup_close_ int tdir = ide_open_parent(t->ws, holder, true, &origin_name);
        if (tdir < 0) {
                ide_job_set_error(t->job, "The trash cannot be made: %s.", ide_errno_text(tdir));
                return 0;
        }
        _cleanup_close_ int trash = ide_open(t->ws, IDE_TRASH_DIR, O_PATH | O_DIRECTORY, 0);
        _cleanup_close_ int ignore =
                trash >= 0 ? ide_openat(trash, ".gitignore", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644) : -EBADF;
        if (ignore >= 0)
                (void) !write(ignore, "*\n", 2);
        _cleanup_close_ int ofd = ide_openat(tdir, TRASH_ORIGIN, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
        if (ofd < 0 || write(ofd, path, strlen(path)) != (ssize_t) strlen(path)) {
                ide_job_set_error(t->job, "The trash cannot be written: %s.", ide_errno_text(ofd < 0 ? ofd : -errno));
                return 0;
        }
        if (renameat2(sdir, name, tdir, name, RENAME_NOREPLACE) < 0) {
                int r = -errno;
                (void) unlinkat(tdir, TRASH_ORIGIN, 0);
                _cleanup_close_ int tr = ide_open(t->ws, IDE_TRASH_DIR, O_PATH | O_DIRECTORY, 0);
                if (tr >= 0)
                        (void) unlinkat(tr, id, AT_REMOVEDIR);
                ide_job_set_error(t->job, "%s cannot be moved to the trash: %s.", path, ide_errno_text(r));
                return 0;
        }
        _cleanup_json_ json_object *o = json_object_new_object();
        _cleanup_free_ char *text = NULL;
        if (!o || json_add_string(o, "path", path) < 0 || json_add_string(o, "trash_id", id) < 0 ||
                json_add_string(o, "type", ide_file_type(st.st_mode)) < 0 ||
                asprintf(&text, "Moved %s to the trash as %s; ide_restore with trash_id \"%s\" brings it back.", path,
                        id, id) < 0)
                return -ENOMEM;
        ide_job_set_result(t->job, TAKE_PTR(o), text);
        return 0;
}

static int tool_delete(McpRequest *req, json_object *arguments) {
        return ide_call(req, arguments, IDE_ACTION_WRITE, (const char *const[]){ "path", NULL }, work_delete);
}

/* --- ide_restore --------------------------------------------------------------------------------------- */

static int trash_origin(int trash, const char *id, char *buf, size_t size) {
        char p[256];
        if (snprintf(p, sizeof(p), "%s/" TRASH_ORIGIN, id) >= (int) sizeof(p))
                return -ENAMETOOLONG;
        _cleanup_close_ int fd = ide_openat(trash, p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
        if (fd < 0)
                return fd;
        ssize_t n = read(fd, buf, size - 1);
        if (n <= 0)
                return n < 0 ? -errno : -EBADMSG;
        buf[n] = 0;
        return 0;
}

static int list_trash(IdeTask *t, int trash) {
        _cleanup_json_ json_object *entries = json_object_new_array(), *o = json_object_new_object();
        if (!entries || !o)
                return -ENOMEM;
        int fd = trash >= 0 ? ide_openat(trash, ".", O_RDONLY | O_DIRECTORY, 0) : -ENOENT;
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d && fd >= 0)
                safe_close(fd);
        for (struct dirent *de; d && (de = readdir(d));) {
                char origin[IDE_PATH_MAX + 1];
                if (de->d_name[0] == '.' || trash_origin(trash, de->d_name, origin, sizeof(origin)) < 0)
                        continue;
                json_object *e = json_object_new_object();
                if (!e || json_add_string(e, "trash_id", de->d_name) < 0 || json_add_string(e, "path", origin) < 0 ||
                        json_object_array_add(entries, e) < 0) {
                        json_object_put(e);
                        closedir(d);
                        return -ENOMEM;
                }
        }
        if (d)
                closedir(d);
        if (json_add(o, "trash", TAKE_PTR(entries)) < 0)
                return -ENOMEM;
        ide_job_set_result(t->job, TAKE_PTR(o), NULL);
        return 0;
}

static int work_restore(IdeTask *t) {
        const char *id = json_get_string(t->arguments, "trash_id");
        _cleanup_close_ int trash = ide_open(t->ws, IDE_TRASH_DIR, O_PATH | O_DIRECTORY, 0);
        if (!id)
                return list_trash(t, trash);
        if (!config_string_is_token(id, "-", 64)) {
                ide_job_set_error(t->job, "\"%s\" is no trash id; ide_restore without one lists them.", id);
                return 0;
        }
        char origin[IDE_PATH_MAX + 1];
        int r = trash >= 0 ? trash_origin(trash, id, origin, sizeof(origin)) : trash;
        if (r < 0) {
                ide_job_set_error(t->job, "The trash holds nothing as %s; ide_restore without trash_id lists it.", id);
                return 0;
        }
        _cleanup_free_ char *path = NULL;
        const char *reason, *name;
        if (ide_path_normalize(origin, &path, &reason) < 0)
                return -EBADMSG;
        _cleanup_close_ int entry = ide_openat(trash, id, O_PATH | O_DIRECTORY, 0);
        _cleanup_close_ int ddir = ide_open_parent(t->ws, path, true, &name);
        if (entry < 0 || ddir < 0) {
                ide_job_set_error(t->job, "%s cannot be restored: %s.", path, ide_errno_text(entry < 0 ? entry : ddir));
                return 0;
        }
        if (renameat2(entry, name, ddir, name, RENAME_NOREPLACE) < 0) {
                r = -errno;
                ide_job_set_error(t->job, "%s cannot be restored: %s.", path,
                        r == -EEXIST ? "something else is there now; move it away first" : ide_errno_text(r));
                return 0;
        }
        (void) unlinkat(entry, TRASH_ORIGIN, 0);
        (void) unlinkat(trash, id, AT_REMOVEDIR);
        _cleanup_json_ json_object *o = json_object_new_object();
        _cleanup_free_ char *text = NULL;
        if (!o || json_add_string(o, "path", path) < 0 || json_add_string(o, "trash_id", id) < 0 ||
                asprintf(&text, "Restored %s.", path) < 0)
                return -ENOMEM;
        ide_job_set_result(t->job, TAKE_PTR(o), text);
        return 0;
}

static int tool_restore(McpRequest *req, json_object *arguments) {
        return ide_call(req, arguments, IDE_ACTION_WRITE, NULL, work_restore);
}

/* --- the table ------------------------------------------------------------------------------------------ */

const McpTool ide_change_tools[] = {
        { .name = "ide_edit_file",
                .title = "Edit a file",
                .description =
                        "Applies a list of edits to a text file of a workspace, in order, each replacing old_text "
                        "with new_text. old_text is matched exactly first; when that fails, line by line ignoring "
                        "differences in whitespace (new_text is then re-indented to the place found). An edit that "
                        "matches nowhere or in more than one place (unless replace_all) is an error that says "
                        "where, and then nothing is written. Always returns the unified diff; dry_run shows it "
                        "without writing. The file is replaced atomically.",
                .input_schema = ide_schema_ide_edit_file_input,
                .output_schema = ide_schema_ide_edit_file_output,
                .annotations = "{\"readOnlyHint\":false,\"destructiveHint\":true,\"idempotentHint\":false,"
                               "\"openWorldHint\":false}",
                .polkit_action = IDE_ACTION_READ, /* org.aios.ide.write too, per path, unless dry_run */
                .polkit_required = true,
                .polkit_detail_argument = "workspace",
                .handler = tool_edit_file },
        { .name = "ide_move",
                .title = "Move or rename",
                .description = "Moves or renames a file or directory within a workspace, making the destination's "
                               "parent directories. An existing destination is refused unless overwrite is true.",
                .input_schema = ide_schema_ide_move_input,
                .output_schema = ide_schema_ide_move_output,
                .annotations = "{\"readOnlyHint\":false,\"destructiveHint\":true,\"idempotentHint\":false,"
                               "\"openWorldHint\":false}",
                .polkit_action = IDE_ACTION_WRITE,
                .polkit_required = true,
                .polkit_detail_argument = "workspace",
                .handler = tool_move },
        { .name = "ide_delete",
                .title = "Delete to the trash",
                .description = "Moves a file or directory of a workspace to the workspace's trash (.aios-trash, "
                               "ignored by git and by the other tools) and returns its trash_id, with which "
                               "ide_restore brings it back.",
                .input_schema = ide_schema_ide_delete_input,
                .output_schema = ide_schema_ide_delete_output,
                .annotations = "{\"readOnlyHint\":false,\"destructiveHint\":true,\"idempotentHint\":false,"
                               "\"openWorldHint\":false}",
                .polkit_action = IDE_ACTION_WRITE,
                .polkit_required = true,
                .polkit_detail_argument = "workspace",
                .handler = tool_delete },
        { .name = "ide_restore",
                .title = "Restore from the trash",
                .description = "Puts back what ide_delete moved to the trash, at its old path (refused when "
                               "something else is there now). Without trash_id, lists what the trash holds.",
                .input_schema = ide_schema_ide_restore_input,
                .output_schema = ide_schema_ide_restore_output,
                .annotations = "{\"readOnlyHint\":false,\"destructiveHint\":false,\"idempotentHint\":false,"
                               "\"openWorldHint\":false}",
                .polkit_action = IDE_ACTION_WRITE,
                .polkit_required = true,
                .polkit_detail_argument = "workspace",
                .handler = tool_restore },
        {}
};
