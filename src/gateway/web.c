/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The dashboard's URLs: its page at /, its files at /web/, its API at /api/v1/; and its context. */
#include <stdio.h>

#include "gateway.h"
#include "log.h"
#include "web-internal.h"

int web_new(Web **ret, Gateway *g, const char *directory) {
        _cleanup_(web_freep) Web *w = new0(Web, 1);
        if (!w)
                return log_oom();
        w->gateway = g;
        w->directory = strdup(directory ?: WEB_DIRECTORY_DEFAULT);
        if (!w->directory || web_sessions_new(&w->sessions) < 0)
                return log_oom();
        int r = web_files_load(w->directory, &w->files);
        if (r == -ENOENT)
                log_notice("No dashboard in %s: / is not served.", w->directory);
        else if (r < 0)
                return log_error_errno(r, "Failed to read the dashboard's files in %s: %m", w->directory);
        else if (!hashmap_get(w->files, "/web/index.html"))
                log_warning("The dashboard in %s has no index.html: / is not served.", w->directory);
        else
                log_info("Serving the dashboard from %s at / (%zu files).", w->directory, hashmap_size(w->files));
        *ret = TAKE_PTR(w);
        return 0;
}

Web *web_free(Web *w) {
        if (!w)
                return NULL;
        web_stop_streams(w);
        web_files_free(w->files);
        web_sessions_free(w->sessions);
        free(w->directory);
        free(w);
        return NULL;
}

bool web_is_idle(Web *w) {
        return !w || w->n_streams == 0;
}

static int serve_file(Web *w, struct MHD_Connection *c, const char *path, const char *method) {
        WebFile *f = w->files ? hashmap_get(w->files, path) : NULL;
        if (!f)
                return web_respond_error(c, MHD_HTTP_NOT_FOUND, "Not Found: %s", path);
        if (!streq(method, MHD_HTTP_METHOD_GET) && !streq(method, MHD_HTTP_METHOD_HEAD))
                return web_respond_empty(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET, HEAD");

        const char *match = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
        bool fresh = match && strstr(match, f->etag);
        struct MHD_Response *r = fresh ? MHD_create_response_from_buffer(0, (void *) "", MHD_RESPMEM_PERSISTENT)
                                       : MHD_create_response_from_buffer(f->size, f->data, MHD_RESPMEM_PERSISTENT);
        if (!r)
                return MHD_NO;
        if (!fresh)
                MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, f->type);
        /* No hashed names without a build step: browsers keep the files, and ask whether they changed. */
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
        MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, f->etag);
        if (streq(path, "/web/sw.js"))
                MHD_add_response_header(r, "Service-Worker-Allowed", "/"); /* it serves the page at / */
        return web_respond(c, fresh ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, r);
}

int web_route(Web *w, struct MHD_Connection *c, const char *url, const char *method) {
        if (!w)
                return -1;
        if (streq(url, "/") || streq(url, "/index.html"))
                return serve_file(w, c, "/web/index.html", method);
        if (startswith_ptr(url, "/web/"))
                return serve_file(w, c, url, method);
        if (streq(url, "/api/v1/session"))
                return web_session_route(w, c, method);
        if (streq(url, "/api/v1/audit"))
                return web_audit_route(w, c, method);
        if (streq(url, "/api/v1/keys"))
                return web_keys_route(w, c, method, NULL);
        if (startswith_ptr(url, "/api/v1/keys/") && url[13] && !strchr(url + 13, '/'))
                return web_keys_route(w, c, method, url + 13);
        if (startswith_ptr(url, "/api/"))
                return web_respond_error(c, MHD_HTTP_NOT_FOUND, "Not Found: %s", url);
        return -1;
}
