/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The client side of org.aios.IDE1: workspace files opened by aios-ided for the principal of a request. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"
#include "workspace-file.h"

/* polkit may ask an authentication agent on a local caller's behalf: give it time. */
#define WORKSPACE_CALL_TIMEOUT_USEC (120 * USEC_PER_SEC)

typedef enum WorkspaceOp {
        OP_OPEN,
        OP_CREATE,
        OP_COMMIT,
} WorkspaceOp;

typedef struct WorkspaceCall {
        McpRequest *req;
        WorkspaceOp op;
        char *what; /* "WORKSPACE/PATH" or the handle, for messages */
        uint64_t max_size;
        WorkspaceFileDone done;
        void *userdata;
} WorkspaceCall;

static WorkspaceCall *workspace_call_free(WorkspaceCall *c) {
        if (!c)
                return NULL;
        mcp_request_unref(c->req);
        free(c->what);
        free(c);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(WorkspaceCall *, workspace_call_free);

static void finish(WorkspaceCall *c, WorkspaceFile *f) {
        c->done(c->req, f, c->userdata);
        if (f->fd >= 0)
                safe_close(f->fd);
}

static void fail(WorkspaceCall *c, int error, const char *format, ...) _printf_(3, 4);
static void fail(WorkspaceCall *c, int error, const char *format, ...) {
        _cleanup_free_ char *text = NULL;
        va_list ap;
        va_start(ap, format);
        if (vasprintf(&text, format, ap) < 0)
                text = NULL;
        va_end(ap);
        WorkspaceFile f = { .fd = error, .error = text ?: "Out of memory." };
        finish(c, &f);
}

/* aios-ided's error names, and what they mean to a caller. */
static int error_of(const sd_bus_error *e) {
        static const struct {
                const char *name;
                int error;
        } table[] = {
                { SD_BUS_ERROR_ACCESS_DENIED, -EACCES },
                { "org.aios.IDE1.Error.NoSuchWorkspace", -ENOENT },
                { "org.aios.IDE1.Error.NotFound", -ENOENT },
                { "org.aios.IDE1.Error.Outside", -EXDEV },
                { "org.aios.IDE1.Error.ReadOnly", -EROFS },
                { "org.aios.IDE1.Error.NotRegularFile", -EISDIR },
                { "org.aios.IDE1.Error.InvalidPath", -EINVAL },
                { SD_BUS_ERROR_SERVICE_UNKNOWN, -EHOSTDOWN },
                { SD_BUS_ERROR_NAME_HAS_NO_OWNER, -EHOSTDOWN },
                { SD_BUS_ERROR_NO_REPLY, -EHOSTDOWN },
                { SD_BUS_ERROR_DISCONNECTED, -EHOSTDOWN },
                { SD_BUS_ERROR_UNKNOWN_METHOD, -EHOSTDOWN },
                { SD_BUS_ERROR_UNKNOWN_OBJECT, -EHOSTDOWN },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (sd_bus_error_has_name(e, table[i].name))
                        return table[i].error;
        return -sd_bus_error_get_errno(e) ?: -EIO;
}

static int on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        _cleanup_(workspace_call_freep) WorkspaceCall *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        if (e) {
                int error = error_of(e);
                if (error == -EHOSTDOWN)
                        fail(c, error,
                                "Workspace files are unavailable: aios-ided (%s) is not running and could not be "
                                "started (%s).",
                                WORKSPACE_BUS_NAME, strempty(e->message ?: e->name));
                else
                        /* aios-ided's own sentences name the workspace and the path. */
                        fail(c, error, "%s", strempty(e->message ?: e->name));
                return 0;
        }

        WorkspaceFile f = { .fd = -EBADF };
        int fd = -EBADF, r;
        const char *handle = NULL;
        switch (c->op) {
        case OP_OPEN:
                r = sd_bus_message_read(reply, "ht", &fd, &f.size);
                break;
        case OP_CREATE:
                r = sd_bus_message_read(reply, "hs", &fd, &handle);
                break;
        default:
                r = sd_bus_message_read(reply, "t", &f.size);
                break;
        }
        if (r < 0) {
                fail(c, -EPROTO, "aios-ided answered %s with something else than expected: %s.", c->what, strerror(-r));
                return 0;
        }
        /* The message owns the fd it carries. */
        if (fd >= 0 && (f.fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0) {
                fail(c, -errno, "The file %s could not be kept: %m.", c->what);
                return 0;
        }
        if (c->op == OP_OPEN && f.size > c->max_size) {
                f.fd = safe_close(f.fd);
                fail(c, -EFBIG, "%s is %" PRIu64 " bytes, more than the %" PRIu64 " this tool takes.", c->what, f.size,
                        c->max_size);
                return 0;
        }
        f.handle = handle;
        finish(c, &f);
        return 0;
}

static int context_append(sd_bus_message *m, McpRequest *req, const char *sender) {
        const char *principal = mcp_request_get_principal(req);
        const char *scopes = mcp_request_get_scopes(req);
        const char *tool = mcp_request_get_tool_name(req);
        uid_t uid;
        pid_t pid = mcp_request_get_process(req, &uid);
        char process[64];
        (void) snprintf(process, sizeof(process), "%d %u", (int) pid, (unsigned) uid);

        int r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0 && sender)
                r = sd_bus_message_append(m, "{sv}", "subject", "s", sender);
        if (r >= 0 && principal)
                r = sd_bus_message_append(m, "{sv}", "principal", "s", principal);
        if (r >= 0 && scopes)
                r = sd_bus_message_append(m, "{sv}", "scopes", "s", scopes);
        if (r >= 0 && tool)
                r = sd_bus_message_append(m, "{sv}", "tool", "s", tool);
        if (r >= 0 && pid > 0)
                r = sd_bus_message_append(m, "{sv}", "process", "s", process);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

/* Sends method with the request's context (with_context) and the string arguments, and answers done. */
static int call_start(McpRequest *req, WorkspaceOp op, const char *method, bool with_context, const char *a1,
        const char *a2, const char *a3, uint64_t max_size, WorkspaceFileDone done, void *userdata) {
        assert(req);
        assert(done);

        _cleanup_(workspace_call_freep) WorkspaceCall *c = new0(WorkspaceCall, 1);
        if (!c)
                return -ENOMEM;
        c->req = mcp_request_ref(req);
        c->op = op;
        c->max_size = max_size;
        c->done = done;
        c->userdata = userdata;
        if ((a2 ? asprintf(&c->what, "%s/%s", a1, a2) : asprintf(&c->what, "%s", a1)) < 0)
                return -ENOMEM;

        const char *sender = NULL;
        sd_bus *bus = mcp_request_get_bus(req, &sender);
        if (!bus || (!sender && mcp_request_get_process(req, NULL) <= 0)) {
                fail(c, -EPERM,
                        "%s cannot be used here: workspace files are given only to calls that come over the system "
                        "bus (through the gateway, or from a local caller), for which polkit can be asked.",
                        c->what);
                return 0;
        }

        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r = sd_bus_message_new_method_call(bus, &m, WORKSPACE_BUS_NAME, WORKSPACE_BUS_PATH, WORKSPACE_BUS_INTERFACE,
                method);
        if (r < 0)
                return r;
        if (with_context) {
                r = context_append(m, req, sender);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_append(m, "s", a1);
        if (r >= 0 && a2)
                r = sd_bus_message_append(m, "s", a2);
        if (r >= 0 && a3)
                r = sd_bus_message_append(m, "s", a3);
        if (r < 0)
                return r;
        /* An answer (or the error sd-bus makes when the bus goes away) comes in any case, and frees c. */
        r = sd_bus_call_async(bus, NULL, m, on_reply, c, WORKSPACE_CALL_TIMEOUT_USEC);
        if (r < 0)
                return r;
        TAKE_PTR(c);
        return 0;
}

int workspace_file_open(McpRequest *req, const char *workspace, const char *path, uint64_t max_size,
        WorkspaceFileDone done, void *userdata) {
        return call_start(req, OP_OPEN, "OpenFile", true, workspace, path, "r", max_size, done, userdata);
}

int workspace_file_create(McpRequest *req, const char *workspace, const char *path, WorkspaceFileDone done,
        void *userdata) {
        return call_start(req, OP_CREATE, "CreateFile", true, workspace, path, NULL, UINT64_MAX, done, userdata);
}

int workspace_file_commit(McpRequest *req, const char *handle, WorkspaceFileDone done, void *userdata) {
        return call_start(req, OP_COMMIT, "CommitFile", false, handle, NULL, NULL, UINT64_MAX, done, userdata);
}

int workspace_file_discard(McpRequest *req, const char *handle) {
        const char *sender = NULL;
        sd_bus *bus = mcp_request_get_bus(req, &sender);
        if (!bus)
                return -EPERM;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r = sd_bus_message_new_method_call(bus, &m, WORKSPACE_BUS_NAME, WORKSPACE_BUS_PATH, WORKSPACE_BUS_INTERFACE,
                "DiscardFile");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", handle);
        if (r >= 0)
                r = sd_bus_message_set_expect_reply(m, false);
        if (r >= 0)
                r = sd_bus_send(bus, m, NULL);
        return r;
}

int workspace_file_read_all(int fd, uint64_t size, char **ret, size_t *ret_size) {
        if (size >= SIZE_MAX)
                return -EFBIG;
        _cleanup_free_ char *bytes = malloc(size + 1);
        if (!bytes)
                return -ENOMEM;
        size_t n = 0;
        while (n < size) {
                ssize_t k = pread(fd, bytes + n, size - n, (off_t) n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        bytes[n] = 0;
        *ret = TAKE_PTR(bytes);
        *ret_size = n;
        return 0;
}
