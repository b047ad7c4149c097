/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.aios.IDE1: workspace files opened for the other aios servers, for the principal they act for, and passed
 * over the bus as file descriptors (dbus/org.aios.IDE1.xml; the client is src/shared/transport/workspace-file.h).
 *
 * Only front ends may call it (AIOS_FRONT_END_USERS): they name the principal, and the subject polkit decides
 * for (the bus name, or the local process, their own caller came as). The check is the one ide_read_file or
 * ide_write_file of that path would make for that principal through the gateway ("tool" is that tool's name,
 * "backend" is "ide"), with the calling server's tool as the detail "via": a principal gets no file through
 * another server that it could not read or write with aios-ided's own tools. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus-context.h"
#include "bus-files.h"
#include "hashmap.h"
#include "log.h"
#include "polkit.h"
#include "workspace.h"

#define ERROR_NO_SUCH_WORKSPACE "org.aios.IDE1.Error.NoSuchWorkspace"
#define ERROR_NOT_FOUND "org.aios.IDE1.Error.NotFound"
#define ERROR_OUTSIDE "org.aios.IDE1.Error.Outside"
#define ERROR_READ_ONLY "org.aios.IDE1.Error.ReadOnly"
#define ERROR_NOT_REGULAR "org.aios.IDE1.Error.NotRegularFile"
#define ERROR_INVALID_PATH "org.aios.IDE1.Error.InvalidPath"
#define ERROR_FAILED "org.aios.IDE1.Error.Failed"
/* The gateway's name for aios-ided (its backends.d entry), which the default rules read scopes by. */
#define IDE_GATEWAY_BACKEND "ide"
#define CONTEXT_FIELD_MAX 256U
/* Files being written at once, by all callers: each holds a directory's fd and a temporary file. */
#define CREATED_MAX 64U

struct IdeBusFiles {
        IdeContext *ctx;
        McpBus *mcp_bus;
        sd_bus *bus;
        sd_bus_slot *slot;
        PolkitAuthority *polkit;
        Hashmap *created; /* handle -> Created */
        unsigned n_checks;
};

/* A file being written by a caller: a temporary file beside its path, until CommitFile or DiscardFile, or
 * until the caller leaves the bus. */
typedef struct Created {
        IdeBusFiles *owner;
        char handle[33];
        char *sender;
        sd_bus_track *track;
        int dir_fd;
        char *tmp;
        char *name;
        char *what; /* WORKSPACE/PATH */
        mode_t mode;
} Created;

static Created *created_free(Created *c, bool unlink_tmp) {
        if (!c)
                return NULL;
        hashmap_remove(c->owner->created, c->handle);
        if (unlink_tmp && c->dir_fd >= 0 && c->tmp)
                (void) unlinkat(c->dir_fd, c->tmp, 0);
        sd_bus_track_unref(c->track);
        safe_close(c->dir_fd);
        free(c->sender);
        free(c->tmp);
        free(c->name);
        free(c->what);
        free(c);
        return NULL;
}

static int on_creator_gone(sd_bus_track *track, void *userdata) {
        Created *c = userdata;
        log_debug("%s left the bus: removing its uncommitted file for %s.", c->sender, c->what);
        created_free(c, true);
        return 0;
}

/* One call waiting for polkit. */
typedef struct Check {
        IdeBusFiles *owner;
        sd_bus_message *message;
        IdeWorkspace *ws;
        char *path;
        bool write;
} Check;

static Check *check_free(Check *k) {
        if (!k)
                return NULL;
        k->owner->n_checks--;
        sd_bus_message_unref(k->message);
        free(k->path);
        free(k);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Check *, check_free);

static bool field_ok(const char *v, bool spaces) {
        size_t n = 0;
        for (const char *p = v; *p; p++, n++)
                if (n >= (spaces ? 16 : 1) * CONTEXT_FIELD_MAX || (unsigned char) *p < (spaces ? 0x20 : 0x21) ||
                        (unsigned char) *p > 0x7e)
                        return false;
        return true;
}

static int reply_errno(sd_bus_message *m, int r, const char *verb, const char *ws, const char *path) {
        const char *name = r == -ENOENT      ? ERROR_NOT_FOUND
                : r == -EXDEV || r == -ELOOP ? ERROR_OUTSIDE
                : r == -EISDIR               ? ERROR_NOT_REGULAR
                                             : ERROR_FAILED;
        return sd_bus_reply_method_errorf(m, name, "%s %s in workspace %s failed: %s.", verb, path, ws,
                ide_errno_text(r));
}

static int reply_open(Check *k) {
        _cleanup_close_ int fd = ide_open(k->ws, k->path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
        if (fd < 0)
                return reply_errno(k->message, fd, "Opening", k->ws->name, k->path);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return reply_errno(k->message, -errno, "Opening", k->ws->name, k->path);
        if (!S_ISREG(st.st_mode))
                return sd_bus_reply_method_errorf(k->message, ERROR_NOT_REGULAR,
                        "%s in workspace %s is a %s, not a regular file.", k->path, k->ws->name,
                        ide_file_type(st.st_mode));
        /* Reads of a regular file do not block anyway; the receiver gets an ordinary descriptor. */
        (void) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        return sd_bus_reply_method_return(k->message, "ht", fd, (uint64_t) st.st_size);
}

static int reply_create(Check *k) {
        IdeBusFiles *f = k->owner;
        const char *name;
        _cleanup_close_ int dir = ide_open_parent(k->ws, k->path, true, &name);
        if (dir < 0)
                return reply_errno(k->message, dir, "Creating", k->ws->name, k->path);
        struct stat st;
        mode_t mode = 0644;
        if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) >= 0) {
                if (!S_ISREG(st.st_mode))
                        return sd_bus_reply_method_errorf(k->message, ERROR_NOT_REGULAR,
                                "%s in workspace %s is a %s: only a regular file is replaced.", k->path, k->ws->name,
                                ide_file_type(st.st_mode));
                mode = st.st_mode & 07777;
        } else if (errno != ENOENT)
                return reply_errno(k->message, -errno, "Creating", k->ws->name, k->path);

        uint64_t random[2];
        if (getrandom(random, sizeof(random), 0) != sizeof(random))
                return reply_errno(k->message, -errno, "Creating", k->ws->name, k->path);
        Created *c = new0(Created, 1);
        if (!c)
                return -ENOMEM;
        c->owner = f;
        c->dir_fd = -EBADF;
        c->mode = mode;
        snprintf(c->handle, sizeof(c->handle), "%016llx%016llx", (unsigned long long) random[0],
                (unsigned long long) random[1]);
        int r = -ENOMEM;
        if (asprintf(&c->tmp, ".#%.200s.%.16s", name, c->handle) < 0 || !(c->name = strdup(name)) ||
                asprintf(&c->what, "%s/%s", k->ws->name, k->path) < 0 ||
                !(c->sender = strdup(sd_bus_message_get_sender(k->message)))) {
                free(c->tmp);
                free(c->name);
                free(c->what);
                free(c->sender);
                free(c);
                return -ENOMEM;
        }
        r = hashmap_put(f->created, c->handle, c);
        if (r < 0) {
                c->tmp = mfree(c->tmp);
                created_free(c, false);
                return r;
        }
        _cleanup_close_ int fd = ide_openat(dir, c->tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
        if (fd < 0) {
                c->tmp = mfree(c->tmp);
                created_free(c, false);
                return reply_errno(k->message, fd, "Creating", k->ws->name, k->path);
        }
        c->dir_fd = TAKE_FD(dir);
        r = sd_bus_track_new(f->bus, &c->track, on_creator_gone, c);
        if (r >= 0)
                r = sd_bus_track_add_sender(c->track, k->message);
        if (r < 0) {
                created_free(c, true);
                return r;
        }
        log_debug("%s writes %s (as %s).", c->sender, c->what, c->tmp);
        r = sd_bus_reply_method_return(k->message, "hs", fd, c->handle);
        if (r < 0)
                created_free(c, true);
        return r;
}

static void on_authorized(int allowed, void *userdata) {
        _cleanup_(check_freep) Check *k = userdata;
        int r;
        if (allowed < 0)
                r = sd_bus_reply_method_errorf(k->message, ERROR_FAILED,
                        "polkit could not be asked about %s in workspace %s: %s.", k->path, k->ws->name,
                        strerror(-allowed));
        else if (allowed == 0) {
                log_info("polkit refused %s of %s in workspace %s to %s.", k->write ? "writing" : "reading", k->path,
                        k->ws->name, sd_bus_message_get_sender(k->message));
                r = sd_bus_reply_method_errorf(k->message, SD_BUS_ERROR_ACCESS_DENIED,
                        "Access denied: polkit does not allow this principal to %s %s in workspace %s (%s).",
                        k->write ? "write" : "read", k->path, k->ws->name,
                        k->write ? IDE_ACTION_WRITE : IDE_ACTION_READ);
        } else
                r = k->write ? reply_create(k) : reply_open(k);
        if (r < 0)
                (void) sd_bus_reply_method_errorf(k->message, ERROR_FAILED, "The file could not be opened: %s.",
                        strerror(-r));
}

/* OpenFile and CreateFile: who asks, for whom, and polkit's word on it. */
static int file_method(sd_bus_message *m, IdeBusFiles *f, bool write, sd_bus_error *error) {
        int r = mcp_bus_sender_is_front_end(f->mcp_bus, m);
        if (r < 0)
                return r;
        if (r == 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED,
                        "Only the aios servers aios-ided trusts to name whom they act for (AIOS_FRONT_END_USERS) may "
                        "open workspace files for others; call the ide_* tools of org.aios.MCP1 instead.");

        const char *subject = NULL, *principal = NULL, *scopes = NULL, *tool = NULL, *process = NULL;
        const BusContextField fields[] = {
                { "subject", &subject },
                { "principal", &principal },
                { "scopes", &scopes },
                { "tool", &tool },
                { "process", &process },
        };
        r = bus_context_read(m, fields, ELEMENTSOF(fields));
        if (r < 0)
                return r;
        const char *workspace, *path, *mode = "r";
        r = sd_bus_message_read(m, "ss", &workspace, &path);
        if (r >= 0 && !write)
                r = sd_bus_message_read(m, "s", &mode);
        if (r < 0)
                return r;

        if ((!subject && !process) || !principal || (subject && !field_ok(subject, false)) ||
                !field_ok(principal, false) || (scopes && !field_ok(scopes, true)) ||
                (tool && !field_ok(tool, false)) || (process && !field_ok(process, true)))
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS,
                        "The context needs \"principal\" and the subject polkit decides for, \"subject\" (a bus "
                        "name) or \"process\" (\"PID UID\"), printable ASCII of at most 256 characters; "
                        "\"scopes\" and \"tool\" are optional.");
        pid_t pid = 0;
        uid_t uid = 0;
        if (process) {
                int p, consumed = 0;
                unsigned u;
                if (sscanf(process, "%d %u%n", &p, &u, &consumed) != 2 || process[consumed] || p <= 0)
                        return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "\"process\" is \"PID UID\".");
                pid = p;
                uid = u;
        }
        if (!streq(mode, "r"))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                        "OpenFile opens for reading (mode \"r\"); CreateFile writes.");

        IdeWorkspace *ws = ide_config_find_workspace(&f->ctx->config, workspace);
        if (!ws) {
                _cleanup_free_ char *names = ide_config_workspace_names(&f->ctx->config);
                return sd_bus_error_setf(error, ERROR_NO_SUCH_WORKSPACE,
                        "There is no workspace \"%s\"; the workspaces are: %s.", workspace, strempty(names));
        }
        if (ws->fd < 0)
                return sd_bus_error_setf(error, ERROR_NO_SUCH_WORKSPACE, "Workspace %s (%s) cannot be opened: %s.",
                        ws->name, ws->path, strerror(-ws->fd));
        if (write && hashmap_size(f->created) >= CREATED_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                        "%u files are being written into workspaces already, the most at once; try again when "
                        "one is committed or discarded.",
                        CREATED_MAX);
        if (write && ws->read_only)
                return sd_bus_error_setf(error, ERROR_READ_ONLY,
                        "Workspace %s is read-only (ReadOnly= in ide.conf): nothing is written there.", ws->name);

        _cleanup_free_ char *normalized = NULL;
        const char *reason = NULL;
        r = ide_path_normalize(path, &normalized, &reason);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || streq(normalized, ".") || ide_path_is_trash(normalized))
                return sd_bus_error_setf(error, ERROR_INVALID_PATH, "The path \"%s\" in workspace %s is refused: %s.",
                        path, ws->name, reason ?: "it names no file of the workspace");

        _cleanup_(check_freep) Check *k = new0(Check, 1);
        if (!k)
                return -ENOMEM;
        f->n_checks++;
        k->owner = f;
        k->message = sd_bus_message_ref(m);
        k->ws = ws;
        k->path = TAKE_PTR(normalized);
        k->write = write;

        const char *details[2 * 8 + 1] = {
                "tool",
                write ? "ide_write_file" : "ide_read_file",
                "principal",
                principal,
                "backend",
                IDE_GATEWAY_BACKEND,
                "workspace",
                ws->name,
                "path",
                k->path,
        };
        size_t n = 10;
        if (scopes) {
                details[n++] = "scopes";
                details[n++] = scopes;
        }
        if (tool) {
                details[n++] = "via";
                details[n++] = tool;
        }
        const char *action = write ? IDE_ACTION_WRITE : IDE_ACTION_READ;
        bool interactive = sd_bus_message_get_allow_interactive_authorization(m) > 0;
        Check *check = TAKE_PTR(k);
        r = pid > 0 ? polkit_check_process(f->polkit, pid, uid, action, details, interactive, on_authorized, check)
                    : polkit_check(f->polkit, subject, action, details, interactive, on_authorized, check);
        if (r < 0) {
                check_free(check);
                return r;
        }
        return 1;
}

static int method_open_file(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return file_method(m, userdata, false, error);
}

static int method_create_file(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return file_method(m, userdata, true, error);
}

/* The caller's own file of handle, or NULL with error set. */
static Created *created_of(IdeBusFiles *f, sd_bus_message *m, const char *handle, sd_bus_error *error) {
        Created *c = hashmap_get(f->created, handle);
        if (!c || !streq(c->sender, sd_bus_message_get_sender(m))) {
                sd_bus_error_setf(error, ERROR_NOT_FOUND,
                        "No file is being written under \"%s\" by this caller (committed, discarded, or never made).",
                        handle);
                return NULL;
        }
        return c;
}

static int method_commit_file(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        IdeBusFiles *f = userdata;
        const char *handle;
        int r = sd_bus_message_read(m, "s", &handle);
        if (r < 0)
                return r;
        Created *c = created_of(f, m, handle, error);
        if (!c)
                return -EINVAL;

        struct stat st;
        r = 0;
        if (fstatat(c->dir_fd, c->tmp, &st, AT_SYMLINK_NOFOLLOW) < 0 || fchmodat(c->dir_fd, c->tmp, c->mode, 0) < 0 ||
                renameat(c->dir_fd, c->tmp, c->dir_fd, c->name) < 0)
                r = -errno;
        if (r < 0) {
                _cleanup_free_ char *what = strdup(c->what);
                created_free(c, true);
                return sd_bus_error_setf(error, ERROR_FAILED, "Putting %s in place failed: %s.", strempty(what),
                        ide_errno_text(r));
        }
        /* The rename is durable once the directory is synced; the data was synced by the writer. */
        _cleanup_close_ int sync_fd = ide_openat(c->dir_fd, ".", O_RDONLY | O_DIRECTORY, 0);
        if (sync_fd >= 0)
                (void) fsync(sync_fd);
        log_debug("%s wrote %s (%llu bytes).", c->sender, c->what, (unsigned long long) st.st_size);
        created_free(c, false);
        return sd_bus_reply_method_return(m, "t", (uint64_t) st.st_size);
}

static int method_discard_file(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        IdeBusFiles *f = userdata;
        const char *handle;
        int r = sd_bus_message_read(m, "s", &handle);
        if (r < 0)
                return r;
        Created *c = created_of(f, m, handle, error);
        if (!c)
                return -EINVAL;
        created_free(c, true);
        return sd_bus_reply_method_return(m, NULL);
}

static const sd_bus_vtable ide_files_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("OpenFile", SD_BUS_ARGS("a{sv}", context, "s", workspace, "s", path, "s", mode),
                SD_BUS_RESULT("h", fd, "t", size), method_open_file, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("CreateFile", SD_BUS_ARGS("a{sv}", context, "s", workspace, "s", path),
                SD_BUS_RESULT("h", fd, "s", handle), method_create_file, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("CommitFile", SD_BUS_ARGS("s", handle), SD_BUS_RESULT("t", size), method_commit_file,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DiscardFile", SD_BUS_ARGS("s", handle), SD_BUS_NO_RESULT, method_discard_file,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int ide_bus_files_new(IdeContext *ctx, McpBus *mcp_bus, sd_bus *bus, IdeBusFiles **ret) {
        _cleanup_(ide_bus_files_freep) IdeBusFiles *f = new0(IdeBusFiles, 1);
        if (!f)
                return log_oom();
        f->ctx = ctx;
        f->mcp_bus = mcp_bus;
        f->bus = sd_bus_ref(bus);
        f->created = hashmap_new();
        if (!f->created)
                return log_oom();
        int r = polkit_authority_new(&f->polkit, bus);
        if (r < 0)
                return r;
        r = sd_bus_add_object_vtable(bus, &f->slot, IDE_FILES_BUS_PATH, IDE_FILES_BUS_INTERFACE, ide_files_vtable, f);
        if (r < 0)
                return log_error_errno(r, "Failed to export %s: %m", IDE_FILES_BUS_PATH);
        *ret = TAKE_PTR(f);
        return 0;
}

IdeBusFiles *ide_bus_files_free(IdeBusFiles *f) {
        if (!f)
                return NULL;
        Created *c;
        size_t i = 0;
        while (hashmap_iterate(f->created, &i, (void **) &c, NULL)) {
                created_free(c, true);
                i = 0;
        }
        hashmap_free(f->created);
        sd_bus_slot_unref(f->slot);
        polkit_authority_free(f->polkit);
        sd_bus_unref(f->bus);
        free(f);
        return NULL;
}

bool ide_bus_files_busy(IdeBusFiles *f) {
        return f && (f->n_checks > 0 || hashmap_size(f->created) > 0);
}
