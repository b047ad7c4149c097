/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The resource template workspace://{workspace}/{path} (slashes in path percent-encoded, as one segment),
 * and updates for subscribers: the directory of each file read is watched with inotify (an sd-event io
 * source), and a change to a file there is announced to the sessions subscribed to its URI. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "base64.h"
#include "file-read.h"
#include "hashmap.h"
#include "ide.h"
#include "json-util.h"
#include "jsonrpc.h"
#include "log.h"
#include "mcp-content.h"
#include "mcp-protocol.h"
#include "mcp-request.h"
#include "text.h"
#include "workspace.h"

#define WATCHES_MAX 4096

typedef struct Watch {
        char key[16]; /* the watch descriptor, as text */
        char *workspace;
        char *dir; /* relative to the workspace, "." for its root */
} Watch;

static void watch_free(Watch *w) {
        if (!w)
                return;
        free(w->workspace);
        free(w->dir);
        free(w);
}

/* path with every byte but unreserved ones percent-encoded: one URI segment. */
static char *segment_encode(const char *path) {
        char *out = malloc(strlen(path) * 3 + 1), *o = out;
        if (!out)
                return NULL;
        for (const unsigned char *p = (const unsigned char *) path; *p; p++)
                if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                        strchr("-._~", *p))
                        *o++ = *p;
                else
                        o += sprintf(o, "%%%02X", *p);
        *o = 0;
        return out;
}

static char *segment_decode(const char *s) {
        char *out = malloc(strlen(s) + 1), *o = out;
        if (!out)
                return NULL;
        for (const char *p = s; *p; p++) {
                unsigned v;
                if (*p == '%' && sscanf(p + 1, "%2x", &v) == 1 && p[1] && p[2]) {
                        *o++ = (char) v;
                        p += 2;
                } else
                        *o++ = *p;
        }
        *o = 0;
        return out;
}

char *ide_resource_uri(const char *workspace, const char *path) {
        _cleanup_free_ char *segment = segment_encode(path);
        char *uri = NULL;
        if (!segment || asprintf(&uri, "workspace://%s/%s", workspace, segment) < 0)
                return NULL;
        return uri;
}

static int on_inotify(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        IdeContext *ctx = userdata;
        char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n <= 0)
                        return 0;
                for (char *p = buf; p < buf + n;) {
                        struct inotify_event *e = (struct inotify_event *) p;
                        p += sizeof(*e) + e->len;
                        char key[16];
                        (void) snprintf(key, sizeof(key), "%d", e->wd);
                        Watch *w = hashmap_get(ctx->watches, key);
                        if (e->mask & IN_IGNORED) {
                                watch_free(hashmap_remove(ctx->watches, key));
                                continue;
                        }
                        if (!w || e->len == 0)
                                continue;
                        _cleanup_free_ char *path = NULL, *uri = NULL;
                        if (asprintf(&path, "%s%s%s", streq(w->dir, ".") ? "" : w->dir, streq(w->dir, ".") ? "" : "/",
                                    e->name) < 0)
                                return 0;
                        uri = ide_resource_uri(w->workspace, path);
                        if (uri)
                                mcp_server_notify_resource_updated(ctx->server, uri);
                }
        }
}

/* Watches the directory holding path (beneath the workspace), once. */
static void watch_parent(IdeContext *ctx, IdeWorkspace *ws, const char *path) {
        if (ctx->inotify_fd < 0 || hashmap_size(ctx->watches) >= WATCHES_MAX)
                return;
        _cleanup_free_ char *dir = strdup(path);
        if (!dir)
                return;
        char *slash = strrchr(dir, '/');
        if (slash)
                *slash = 0;
        else
                strcpy(dir, ".");
        _cleanup_close_ int fd = ide_open(ws, dir, O_PATH | O_DIRECTORY, 0);
        if (fd < 0)
                return;
        char proc[64];
        (void) snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        int wd = inotify_add_watch(ctx->inotify_fd, proc,
                IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_ATTRIB | IN_ONLYDIR);
        if (wd < 0)
                return;
        char key[16];
        (void) snprintf(key, sizeof(key), "%d", wd);
        if (hashmap_get(ctx->watches, key))
                return; /* the same directory again */
        Watch *w = new0(Watch, 1);
        if (!w)
                return;
        memcpy(w->key, key, sizeof(key));
        w->workspace = strdup(ws->name);
        w->dir = TAKE_PTR(dir);
        if (!w->workspace || hashmap_put(ctx->watches, w->key, w) < 0)
                watch_free(w);
}

int ide_resources_init(IdeContext *ctx) {
        ctx->watches = hashmap_new();
        if (!ctx->watches)
                return -ENOMEM;
        ctx->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (ctx->inotify_fd < 0) {
                log_warning_errno(errno, "No inotify (%m): workspace:// resources are read, but not watched.");
                return 0;
        }
        return sd_event_add_io(ctx->event, &ctx->inotify_source, ctx->inotify_fd, EPOLLIN, on_inotify, ctx);
}

void ide_resources_done(IdeContext *ctx) {
        if (!ctx->watches)
                return; /* never set up */
        ctx->inotify_source = sd_event_source_disable_unref(ctx->inotify_source);
        if (ctx->inotify_fd >= 0)
                ctx->inotify_fd = safe_close(ctx->inotify_fd);
        size_t state = 0;
        void *w;
        while (ctx->watches && hashmap_iterate(ctx->watches, &state, &w, NULL))
                watch_free(w);
        ctx->watches = hashmap_free(ctx->watches);
}

static const char *mime_of(const char *path) {
        static const struct {
                const char *suffix, *type;
        } types[] = {
                { ".c", "text/x-c" },
                { ".h", "text/x-c" },
                { ".py", "text/x-python" },
                { ".md", "text/markdown" },
                { ".json", "application/json" },
                { ".sh", "text/x-shellscript" },
                { ".html", "text/html" },
                { ".css", "text/css" },
                { ".js", "text/javascript" },
                { ".png", "image/png" },
                { ".jpg", "image/jpeg" },
                { ".svg", "image/svg+xml" },
        };
        size_t n = strlen(path);
        FOREACH_ELEMENT(t, types) {
                size_t k = strlen(t->suffix);
                if (n > k && streq(path + n - k, t->suffix))
                        return t->type;
        }
        return NULL;
}

typedef struct ReadCall {
        IdeContext *ctx;
        IdeWorkspace *ws;
        char *path, *uri;
} ReadCall;

static void read_call_free(ReadCall *c) {
        free(c->path);
        free(c->uri);
        free(c);
}

static void on_read_authorized(McpRequest *req, int allowed, void *userdata) {
        ReadCall *c = userdata;
        if (mcp_request_is_done(req)) {
                read_call_free(c);
                return;
        }
        if (allowed <= 0) {
                (void) mcp_request_reply_error(req, MCP_ERROR_ACCESS_DENIED,
                        "Access denied: %s this caller to read %s in workspace %s.", mcp_request_denied_by(req),
                        c->path, c->ws->name);
                read_call_free(c);
                return;
        }
        _cleanup_free_ char *data = NULL, *b64 = NULL;
        size_t size = 0;
        int r = ide_read_all(c->ws->fd, c->path, c->ctx->config.max_read_bytes, &data, &size);
        if (r < 0) {
                if (r == -ENOENT || r == -EXDEV || r == -ELOOP || r == -EISDIR || r == -EINVAL)
                        (void) mcp_request_reply_resource_not_found(req, c->uri);
                else
                        (void) mcp_request_reply_error(req, JSONRPC_INTERNAL_ERROR, "%s cannot be read: %s.", c->path,
                                ide_errno_text(r));
                read_call_free(c);
                return;
        }
        watch_parent(c->ctx, c->ws, c->path);
        bool text = strlen(data) == size && utf8_is_valid(data, size);
        const char *mime = mime_of(c->path) ?: (text ? "text/plain" : "application/octet-stream");
        _cleanup_json_ json_object *contents = json_object_new_object(), *result = json_object_new_object();
        if (!text)
                b64 = base64_encode(data, size);
        if (!contents || !result || (!text && !b64) || json_add_string(contents, "uri", c->uri) < 0 ||
                json_add_string(contents, "mimeType", mime) < 0 ||
                json_add_string(contents, text ? "text" : "blob", text ? data : b64) < 0 ||
                json_add(result, "contents", JSON_ARRAY(TAKE_PTR(contents))) < 0)
                (void) mcp_request_reply_error(req, JSONRPC_INTERNAL_ERROR, "Out of memory.");
        else
                (void) mcp_request_reply(req, TAKE_PTR(result));
        read_call_free(c);
}

static int read_workspace_file(McpRequest *req, const char *uri, json_object *variables) {
        IdeContext *ctx = mcp_server_get_userdata(mcp_request_get_server(req));
        IdeWorkspace *ws = ide_config_find_workspace(&ctx->config, json_get_string(variables, "workspace"));
        _cleanup_free_ char *decoded = segment_decode(strempty(json_get_string(variables, "path"))), *path = NULL;
        const char *reason;
        if (!decoded)
                return -ENOMEM;
        if (!ws || ws->fd < 0 || ide_path_normalize(decoded, &path, &reason) < 0)
                return mcp_request_reply_resource_not_found(req, uri);
        ReadCall *c = new0(ReadCall, 1);
        if (!c)
                return -ENOMEM;
        *c = (ReadCall){ .ctx = ctx, .ws = ws, .path = TAKE_PTR(path), .uri = strdup(uri) };
        if (!c->uri) {
                read_call_free(c);
                return -ENOMEM;
        }
        /* "uri" makes it a resource's check for the rules, which "resources:..." scopes grant. */
        const char *const details[] = { "uri", c->uri, "workspace", ws->name, "path", c->path, NULL };
        int r = mcp_request_authorize(req, IDE_ACTION_READ, details, on_read_authorized, c);
        if (r < 0)
                read_call_free(c);
        return r;
}

const McpResourceTemplate ide_resource_templates[] = {
        { .uri_template = "workspace://{workspace}/{path}",
                .name = "workspace-file",
                .title = "A workspace's file",
                .description = "A file of a workspace, path relative to it with its slashes percent-encoded "
                               "(workspace://website/src%2Fmain.c). Text as text, other files as base64, up to "
                               "MaxReadSize=. Subscribers are told when it changes.",
                .polkit_action = IDE_ACTION_READ,
                .polkit_required = true,
                .read = read_workspace_file },
        {}
};
