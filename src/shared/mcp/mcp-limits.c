/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bounds on a request's params, checked once before any method (or a relay) sees them. */
#include <stdarg.h>
#include <stdio.h>

#include "mcp-limits.h"

_printf_(2, 3) static int refuse(char **ret_message, const char *format, ...) {
        va_list ap;
        va_start(ap, format);
        int r = vasprintf(ret_message, format, ap);
        va_end(ap);
        return r < 0 ? -ENOMEM : -EINVAL;
}

/* A string member of o named key, if it is one: no NUL, at most max bytes. */
static int check_string(json_object *o, const char *key, const char *what, size_t max, char **ret_message) {
        json_object *v;
        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return 0;
        if (json_string_has_nul(v))
                return refuse(ret_message, "Invalid params: %s must not contain NUL (\\u0000)", what);
        if ((size_t) json_object_get_string_len(v) > max)
                return refuse(ret_message, "Invalid params: %s is longer than %zu bytes", what, max);
        return 0;
}

static int check_size(json_object *o, const char *key, const char *what, size_t max, char **ret_message) {
        json_object *v;
        if (!o || !json_object_object_get_ex(o, key, &v) || !json_size_exceeds(v, max))
                return 0;
        return refuse(ret_message, "Invalid params: %s is larger than %zu bytes", what, max);
}

static int check_listen(json_object *params, char **ret_message) {
        json_object *uris = json_get_array(json_get_object(params, "notifications"), "resourceSubscriptions");
        size_t n = uris ? json_object_array_length(uris) : 0;
        if (n > MCP_MAX_SUBSCRIPTIONS)
                return refuse(ret_message, "Invalid params: \"resourceSubscriptions\" may name at most %u URIs",
                        MCP_MAX_SUBSCRIPTIONS);
        for (size_t i = 0; i < n; i++) {
                json_object *uri = json_object_array_get_idx(uris, i);
                if (!json_object_is_type(uri, json_type_string))
                        continue;
                if (json_string_has_nul(uri))
                        return refuse(ret_message,
                                "Invalid params: the URIs of \"resourceSubscriptions\" must not contain NUL (\\u0000)");
                if ((size_t) json_object_get_string_len(uri) > MCP_MAX_URI_LENGTH)
                        return refuse(ret_message,
                                "Invalid params: a URI of \"resourceSubscriptions\" is longer than %u bytes",
                                MCP_MAX_URI_LENGTH);
        }
        return 0;
}

int mcp_params_check(const char *method, json_object *params, char **ret_message) {
        assert(method);
        assert(ret_message);

        if (!params)
                return 0;

        int r = check_string(json_get_object(params, "_meta"), "progressToken", "\"_meta.progressToken\"",
                MCP_MAX_PROGRESS_TOKEN_LENGTH, ret_message);
        if (r < 0)
                return r;
        r = check_string(params, "cursor", "\"cursor\"", MCP_MAX_CURSOR_LENGTH, ret_message);
        if (r < 0)
                return r;

        if (streq(method, "tools/call") || streq(method, "prompts/get"))
                return check_string(params, "name", "\"name\"", MCP_MAX_NAME_LENGTH, ret_message);
        if (startswith_ptr(method, "resources/"))
                return check_string(params, "uri", "\"uri\"", MCP_MAX_URI_LENGTH, ret_message);
        if (streq(method, "completion/complete")) {
                json_object *ref = json_get_object(params, "ref");
                return check_string(ref, "name", "\"ref.name\"", MCP_MAX_NAME_LENGTH, ret_message)
                        ?: check_string(ref, "uri", "\"ref.uri\"", MCP_MAX_URI_LENGTH, ret_message);
        }
        if (streq(method, "subscriptions/listen"))
                return check_listen(params, ret_message);
        if (streq(method, "initialize"))
                return check_size(params, "clientInfo", "\"clientInfo\"", MCP_MAX_CLIENT_INFO_SIZE, ret_message)
                        ?: check_size(params, "capabilities", "\"capabilities\"", MCP_MAX_CLIENT_CAPABILITIES_SIZE,
                                   ret_message);
        return 0;
}
