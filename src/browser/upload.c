/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* browser_file_upload: files of an IDE workspace, opened by aios-ided for the principal the call acts for
 * (org.aios.ide.read decides, as for ide_read_file), copied into the session's upload directory beside the
 * browser's profile, and set on a file input of the page. Nothing else of the machine can be uploaded. */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "action.h"
#include "mcp-request.h"
#include "workspace-file.h"

/* Each file at most this large. */
#define UPLOAD_MAX_BYTES (64ULL * 1024 * 1024)

typedef struct UploadCall {
        char *target_id;
        char *object_id;
        char *cdp_session;
        size_t next;
        json_object *paths; /* where the copies are, for DOM.setFileInputFiles */
        json_object *files; /* what was uploaded, for the answer */
} UploadCall;

static void upload_call_free(UploadCall *c) {
        free(c->target_id);
        free(c->object_id);
        free(c->cdp_session);
        json_object_put(c->paths);
        json_object_put(c->files);
        free(c);
}

static json_object *arguments_of(McpRequest *req) {
        return json_get_object(mcp_request_get_params(req), "arguments");
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void) (type == FTW_DP ? rmdir(path) : unlink(path));
        return 0;
}

void browser_session_remove_uploads(BrowserSession *s) {
        if (!s->upload_dir)
                return;
        (void) nftw(s->upload_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
        s->upload_dir = mfree(s->upload_dir);
}

/* The session's directory for copies, made on first use under the browser's profile base. */
static int session_upload_dir(BrowserSession *s, const char **ret) {
        if (!s->upload_dir) {
                char *d = NULL;
                if (asprintf(&d, "%s/aios-upload.XXXXXX", s->browser->profile_base) < 0)
                        return -ENOMEM;
                if (!mkdtemp(d)) {
                        int r = -errno;
                        free(d);
                        return r;
                }
                s->upload_dir = d;
        }
        *ret = s->upload_dir;
        return 0;
}

/* Copies fd (size bytes) to dir/N/name, the name the page will see. */
static int copy_into(const char *dir, size_t n, const char *path, int fd, uint64_t size, char **ret) {
        const char *name = strrchr(path, '/');
        name = name ? name + 1 : path;
        _cleanup_free_ char *sub = NULL, *target = NULL;
        if (asprintf(&sub, "%s/%zu", dir, n) < 0 || asprintf(&target, "%s/%s", sub, *name ? name : "file") < 0)
                return -ENOMEM;
        if (mkdir(sub, 0700) < 0 && errno != EEXIST)
                return -errno;
        _cleanup_close_ int out = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (out < 0)
                return -errno;
        char buf[65536];
        uint64_t done = 0;
        while (done < size) {
                ssize_t k = pread(fd, buf, MIN(sizeof(buf), size - done), done);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                for (ssize_t w = 0; w < k;) {
                        ssize_t m = write(out, buf + w, k - w);
                        if (m < 0 && errno == EINTR)
                                continue;
                        if (m < 0)
                                return -errno;
                        w += m;
                }
                done += k;
        }
        *ret = TAKE_PTR(target);
        return 0;
}

static void upload_next(McpRequest *req, UploadCall *c);

static void on_set(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        UploadCall *c = userdata;
        if (error) {
                tab_reply_failed(req, "Setting the files on the input", error);
                upload_call_free(c);
                return;
        }
        json_object *arguments = arguments_of(req);
        char what[400];
        snprintf(what, sizeof(what), "Set %zu file%s on %.200s (%s)", json_object_array_length(c->files),
                json_object_array_length(c->files) == 1 ? "" : "s", strempty(json_get_string(arguments, "element")),
                strempty(json_get_string(arguments, "ref")));
        action_begin(t, req, what);
        upload_call_free(c);
        action_settle(req, t);
}

static void on_file(McpRequest *req, WorkspaceFile *f, void *userdata) {
        UploadCall *c = userdata;
        if (mcp_request_is_done(req)) {
                upload_call_free(c);
                return;
        }
        if (f->fd < 0) {
                (void) mcp_request_reply_tool_error(req, "%s", f->error ?: "The workspace file could not be opened.");
                upload_call_free(c);
                return;
        }
        Tab *t = tab_find_by_target(&browser_context, c->target_id);
        json_object *file = json_object_array_get_idx(json_get_array(arguments_of(req), "files"), c->next);
        const char *dir = NULL;
        _cleanup_free_ char *copy = NULL;
        int r = t ? session_upload_dir(t->session, &dir) : -ESRCH;
        if (r >= 0)
                r = copy_into(dir, c->next, json_get_string(file, "path"), f->fd, f->size, &copy);
        if (r < 0) {
                (void) mcp_request_reply_tool_error(req, "Copying %s of workspace %s for the browser failed: %s",
                        strempty(json_get_string(file, "path")), strempty(json_get_string(file, "workspace")),
                        strerror(-r));
                upload_call_free(c);
                return;
        }
        json_object_array_add(c->paths, json_object_new_string(copy));
        json_object *e = json_object_new_object();
        json_add_string(e, "workspace", json_get_string(file, "workspace"));
        json_add_string(e, "path", json_get_string(file, "path"));
        json_add(e, "bytes", json_object_new_int64(f->size));
        json_object_array_add(c->files, e);
        c->next++;
        upload_next(req, c);
}

static void upload_next(McpRequest *req, UploadCall *c) {
        json_object *files = json_get_array(arguments_of(req), "files");
        if (c->next < json_object_array_length(files)) {
                json_object *file = json_object_array_get_idx(files, c->next);
                int r = workspace_file_open(req, json_get_string(file, "workspace"), json_get_string(file, "path"),
                        UPLOAD_MAX_BYTES, on_file, c);
                if (r < 0) {
                        (void) mcp_request_reply_tool_error(req, "Asking aios-ided for the file failed: %s",
                                strerror(-r));
                        upload_call_free(c);
                }
                return;
        }
        Tab *t = tab_find_by_target(&browser_context, c->target_id);
        if (!t) {
                (void) mcp_request_reply_tool_error(req, "The tab went away.");
                upload_call_free(c);
                return;
        }
        json_object *p = json_object_new_object();
        json_add(p, "files", json_object_get(c->paths));
        json_add_string(p, "objectId", c->object_id);
        if (tab_send_to(t, c->cdp_session, req, "DOM.setFileInputFiles", p, on_set, c) < 0)
                upload_call_free(c);
}

static void upload_on(McpRequest *req, Tab *t, const char *cdp_session, const char *object_id, void *userdata) {
        UploadCall *c = new0(UploadCall, 1);
        if (!c || !(c->target_id = strdup(t->target_id)) || !(c->object_id = strdup(object_id)) ||
                !(c->cdp_session = strdup(cdp_session)) || !(c->paths = json_object_new_array()) ||
                !(c->files = json_object_new_array())) {
                if (c)
                        upload_call_free(c);
                (void) mcp_request_reply_tool_error(req, "Out of memory.");
                return;
        }
        upload_next(req, c);
}

static void upload_in_tab(McpRequest *req, Tab *t) {
        (void) tab_resolve_ref(t, req, json_get_string(arguments_of(req), "ref"), upload_on, NULL);
}

int tool_browser_file_upload(McpRequest *req, json_object *arguments) {
        return browser_with_tab(req, upload_in_tab);
}
