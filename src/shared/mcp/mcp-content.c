/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Content blocks and resource contents, shaped as the MCP schema has them. */
#include <stdarg.h>

#include "mcp-content.h"

static json_object *typed(const char *type) {
        json_object *o = json_object_new_object();
        if (o && json_add_string(o, "type", type) < 0) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

json_object *mcp_content_text(const char *text) {
        _cleanup_json_ json_object *o = typed("text");
        if (!o || json_add_string(o, "text", text) < 0)
                return NULL;
        return TAKE_PTR(o);
}

static json_object *binary(const char *type, const char *data, const char *mime_type) {
        _cleanup_json_ json_object *o = typed(type);
        if (!o || json_add_string(o, "data", data) < 0 || json_add_string(o, "mimeType", mime_type) < 0)
                return NULL;
        return TAKE_PTR(o);
}

json_object *mcp_content_image(const char *base64_data, const char *mime_type) {
        return binary("image", base64_data, mime_type);
}

json_object *mcp_content_audio(const char *base64_data, const char *mime_type) {
        return binary("audio", base64_data, mime_type);
}

json_object *mcp_content_resource_link(const char *uri, const char *name, const char *description,
        const char *mime_type) {
        _cleanup_json_ json_object *o = typed("resource_link");
        if (!o || json_add_string(o, "uri", uri) < 0 || json_add_string(o, "name", name) < 0)
                return NULL;
        if (description && json_add_string(o, "description", description) < 0)
                return NULL;
        if (mime_type && json_add_string(o, "mimeType", mime_type) < 0)
                return NULL;
        return TAKE_PTR(o);
}

json_object *mcp_content_resource(json_object *contents) {
        _cleanup_json_ json_object *c = contents;
        _cleanup_json_ json_object *o = typed("resource");
        if (!o || !c || json_add(o, "resource", TAKE_PTR(c)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

static json_object *resource_contents(const char *uri, const char *mime_type, const char *key, const char *value) {
        _cleanup_json_ json_object *o = json_object_new_object();
        if (!o || json_add_string(o, "uri", uri) < 0)
                return NULL;
        if (mime_type && json_add_string(o, "mimeType", mime_type) < 0)
                return NULL;
        if (json_add_string(o, key, value) < 0)
                return NULL;
        return TAKE_PTR(o);
}

json_object *mcp_resource_text(const char *uri, const char *mime_type, const char *text) {
        return resource_contents(uri, mime_type, "text", text);
}

json_object *mcp_resource_blob(const char *uri, const char *mime_type, const char *base64_blob) {
        return resource_contents(uri, mime_type, "blob", base64_blob);
}

json_object *json_array_new_from(size_t n, ...) {
        _cleanup_json_ json_object *a = json_object_new_array_ext((int) n);
        bool failed = !a;
        va_list ap;

        /* Every argument is consumed, so that a failed builder among them leaks nothing. */
        va_start(ap, n);
        for (size_t i = 0; i < n; i++) {
                json_object *o = va_arg(ap, json_object *);
                if (failed || !o || json_object_array_add(a, o) < 0) {
                        failed = true;
                        json_object_put(o);
                }
        }
        va_end(ap);

        return failed ? NULL : TAKE_PTR(a);
}
