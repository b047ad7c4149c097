/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-actionsd: github_download_artifact. The artifact first (its size against MaxArtifactSize=, whether it
 * expired), then a new file in the IDE workspace, which aios-ided makes for the caller's principal once polkit
 * allows it (org.aios.ide.write), then the zip: GitHub answers the download URL with a redirect to where the
 * zip is, fetched without the token and written into that file as it streams in, then put in place. */
#include <stdio.h>
#include <unistd.h>

#include "mcp-content.h"
#include "op.h"
#include "workspace-file.h"

typedef struct Download Download;

/* What a workspace call answers to: the op, unless it ended meanwhile (cancelled). */
typedef struct DownloadWait {
        Download *download;
} DownloadWait;

struct Download {
        ActionsOp *op;
        McpRequest *req; /* for discarding the file when the op ends */
        DownloadWait *wait;
        int64_t artifact_id;
        char *workspace;
        char *path;
        char *name;
        char *digest;
        uint64_t max_size;
        int fd;       /* the new file in the workspace */
        char *handle; /* its name for aios-ided, until it is committed */
        uint64_t written;
        bool too_large;
};

static void download_free(void *p) {
        Download *d = p;
        if (d->wait)
                d->wait->download = NULL; /* the answer, when it comes, finds nobody waiting */
        safe_close(d->fd);
        if (d->handle)
                (void) workspace_file_discard(d->req, d->handle);
        mcp_request_unref(d->req);
        free(d->workspace);
        free(d->path);
        free(d->name);
        free(d->digest);
        free(d->handle);
        free(d);
}

static DownloadWait *download_wait(Download *d) {
        DownloadWait *w = new0(DownloadWait, 1);
        if (w) {
                w->download = d;
                d->wait = w;
        }
        return w;
}

/* The Download a workspace call's answer is for, or NULL when the op ended meanwhile. Frees w. */
static Download *download_waited(DownloadWait *w) {
        Download *d = w->download;
        if (d)
                d->wait = NULL;
        free(w);
        return d;
}

static void on_committed(McpRequest *req, WorkspaceFile *f, void *userdata) {
        Download *d = download_waited(userdata);
        if (!d)
                return;
        ActionsOp *op = d->op;
        d->handle = mfree(d->handle); /* put in place, or removed by aios-ided when that failed */
        if (f->error) {
                op_fail(op, "The artifact's zip could not be put in place: %s", f->error);
                return;
        }
        json_object *s = json_object_new_object();
        if (s &&
                (json_add_string(s, "repository", op->repository) < 0 ||
                        json_add(s, "artifact_id", json_object_new_int64(d->artifact_id)) < 0 ||
                        json_add_string(s, "name", d->name) < 0 || json_add_string(s, "workspace", d->workspace) < 0 ||
                        json_add_string(s, "path", d->path) < 0 ||
                        json_add(s, "size", json_object_new_int64((int64_t) f->size)) < 0 ||
                        json_add(s, "digest", d->digest ? json_object_new_string(d->digest) : NULL) < 0))
                s = (json_object_put(s), NULL);
        _cleanup_free_ char *text = NULL;
        if (asprintf(&text, "Artifact %s (%" PRIu64 " bytes, a zip) is at %s in workspace %s.", d->name, f->size,
                    d->path, d->workspace) < 0)
                text = NULL;
        op_reply(op, text ? JSON_ARRAY(mcp_content_text(text)) : NULL, s);
}

static int on_zip_data(const char *p, size_t n, void *userdata) {
        ActionsOp *op = userdata;
        Download *d = op->data;
        if (d->written + n > d->max_size) {
                d->too_large = true;
                return -EFBIG;
        }
        while (n > 0) {
                ssize_t k = write(d->fd, p, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                p += k;
                n -= (size_t) k;
                d->written += (uint64_t) k;
        }
        return 0;
}

static void zip_read(ActionsOp *op, const GitHubResponse *r) {
        Download *d = op->data;
        if (d->too_large) {
                op_fail(op,
                        "Artifact %s's zip is larger than the %" PRIu64 " bytes this server puts in a workspace "
                        "(MaxArtifactSize= in actions.conf): nothing was written.",
                        d->name, d->max_size);
                return;
        }
        if (github_failed(r)) {
                op_fail_response(op, r);
                return;
        }
        /* The data is on disk before its name is (CommitFile renames it over the path). */
        if (fsync(d->fd) < 0) {
                op_fail(op, "The artifact's zip could not be written to the workspace: %m.");
                return;
        }
        d->fd = safe_close(d->fd);
        DownloadWait *w = download_wait(d);
        int k = w ? workspace_file_commit(op->req, d->handle, on_committed, w) : -ENOMEM;
        if (k < 0) {
                if (w)
                        (void) download_waited(w);
                op_fail(op, "The artifact's zip could not be put in place: %s.", strerror(-k));
        }
}

static void zip_redirected(ActionsOp *op, const GitHubResponse *r) {
        Download *d = op->data;
        bool redirect = r->error >= 0 && r->status >= 300 && r->status < 400;
        if (!redirect && github_failed(r)) {
                if (r->status == 410)
                        op_fail(op, "Artifact %s has expired: GitHub keeps artifacts for a limited time.", d->name);
                else
                        op_fail_response(op, r);
                return;
        }
        if (!redirect || !r->location ||
                !(startswith_ptr(r->location, "https://") || startswith_ptr(r->location, "http://"))) {
                op_fail(op, "GitHub did not point to the zip of artifact %s (status %ld).", d->name, r->status);
                return;
        }
        /* The zip's URL carries its own short-lived authorization: the token stays here. */
        _cleanup_free_ char *location = strdup(r->location);
        (void) op_call(op, &(GitHubRequest){ .url = location, .anonymous = true, .sink = on_zip_data }, zip_read);
}

static void on_created(McpRequest *req, WorkspaceFile *f, void *userdata) {
        Download *d = download_waited(userdata);
        if (!d) {
                /* The call ended while aios-ided made the file: nobody writes it. */
                if (f->fd >= 0)
                        (void) workspace_file_discard(req, f->handle);
                return;
        }
        ActionsOp *op = d->op;
        if (f->fd < 0) {
                op_fail(op, "%s Nothing was downloaded.", f->error);
                return;
        }
        d->fd = TAKE_FD(f->fd);
        if (!(d->handle = strdup(f->handle))) {
                (void) workspace_file_discard(req, f->handle);
                op_fail(op, "Out of memory.");
                return;
        }
        _cleanup_free_ char *url = op_url(op, "/actions/artifacts/%" PRIi64 "/zip", d->artifact_id);
        (void) op_request(op, NULL, url, NULL, zip_redirected);
}

static void artifact_read(ActionsOp *op, const GitHubResponse *r) {
        Download *d = op->data;
        if (github_failed(r)) {
                op_fail_response(op, r);
                return;
        }
        const char *name = json_get_string(r->json, "name");
        const char *digest = json_get_string(r->json, "digest");
        json_object *size;
        if (!name || !json_object_object_get_ex(r->json, "size_in_bytes", &size)) {
                op_fail(op, "GitHub's description of artifact %" PRIi64 " has no name or size.", d->artifact_id);
                return;
        }
        if (!(d->name = strdup(name)) || (digest && !(d->digest = strdup(digest)))) {
                op_fail(op, "Out of memory.");
                return;
        }
        if (json_get_bool(r->json, "expired", false)) {
                op_fail(op, "Artifact %s has expired: GitHub keeps artifacts for a limited time.", d->name);
                return;
        }
        int64_t n = json_object_get_int64(size);
        if (n < 0 || (uint64_t) n > d->max_size) {
                op_fail(op,
                        "Artifact %s is %" PRIi64 " bytes, more than the %" PRIu64 " this server puts in a "
                        "workspace (MaxArtifactSize= in actions.conf): nothing was downloaded.",
                        d->name, n, d->max_size);
                return;
        }
        DownloadWait *w = download_wait(d);
        int k = w ? workspace_file_create(op->req, d->workspace, d->path, on_created, w) : -ENOMEM;
        if (k < 0) {
                if (w)
                        (void) download_waited(w);
                op_fail(op, "The workspace file could not be asked for: %s.", strerror(-k));
        }
}

static int tool_download_artifact(McpRequest *req, json_object *arguments) {
        int r;
        ActionsOp *op = op_new(req, arguments, &r);
        if (!op)
                return r;
        Download *d = new0(Download, 1);
        if (!d) {
                op_free(op);
                return -ENOMEM;
        }
        d->fd = -EBADF;
        d->op = op;
        d->req = mcp_request_ref(req);
        d->max_size = op->ctx->config.max_artifact_size;
        op->data = d;
        op->data_free = download_free;
        d->artifact_id = op_argument_id(arguments, "artifact_id");
        if (d->artifact_id <= 0) {
                op_fail(op, "artifact_id must be an artifact's id, a positive integer.");
                return 0;
        }
        const char *workspace = json_get_string(arguments, "workspace"), *path = json_get_string(arguments, "path");
        if (!workspace || !path) {
                op_fail(op, "Give the workspace and the path in it to put the artifact's zip at.");
                return 0;
        }
        if (!(d->workspace = strdup(workspace)) || !(d->path = strdup(path))) {
                op_free(op);
                return -ENOMEM;
        }
        _cleanup_free_ char *url = op_url(op, "/actions/artifacts/%" PRIi64, d->artifact_id);
        (void) op_request(op, NULL, url, NULL, artifact_read);
        return 0;
}

#include "schemas.h"

const McpTool actions_artifact_tools[] = {
        { .name = "github_download_artifact",
                .title = "Download an artifact into a workspace",
                .description = "Downloads an artifact of a workflow run (github_list_artifacts gives the ids) as the "
                               "zip GitHub serves, into a file of an IDE workspace: the caller must be allowed to "
                               "write there (org.aios.ide.write). Artifacts larger than the server's limit "
                               "(MaxArtifactSize=, 100 MiB by default) are refused before anything is downloaded; "
                               "the file appears whole or not at all.",
                .input_schema = actions_schema_download_artifact_input,
                .output_schema = actions_schema_download_artifact_output,
                .annotations = "{\"readOnlyHint\":false,\"destructiveHint\":true,\"idempotentHint\":true,"
                               "\"openWorldHint\":true}",
                .polkit_action = ACTIONS_ACTION_READ,
                .polkit_required = true,
                .polkit_detail_argument = "repository",
                .handler = tool_download_artifact },
        {}
};
