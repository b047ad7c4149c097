/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON-RPC 2.0 message shape, checked once so that the engine can trust it afterwards. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "jsonrpc.h"

bool jsonrpc_id_is_valid(json_object *id) {
        /* MCP: ids are strings or integers, never null. An id must go back exactly as it came, and json-c
         * saturates integers beyond 64 bits, so what it could not read exactly is refused. */
        switch (json_object_get_type(id)) {
        case json_type_string:
                return true;
        case json_type_int:
                /* json-c saturates integers beyond int64 (and keeps up to uint64): refuse what it could not
                 * read exactly. */
                return json_object_get_int64(id) != INT64_MIN && json_object_get_uint64(id) <= INT64_MAX;
        default:
                return false;
        }
}

int jsonrpc_classify(json_object *m, JsonRpcMessage *ret, const char **ret_reason) {
        assert(ret);
        assert(ret_reason);

        *ret = (JsonRpcMessage){};

        if (!json_object_is_type(m, json_type_object)) {
                *ret_reason = "a JSON-RPC message must be an object";
                return -EINVAL;
        }

        const char *version = json_get_string(m, "jsonrpc");
        if (!version || !streq(version, "2.0")) {
                *ret_reason = "\"jsonrpc\" must be \"2.0\"";
                return -EINVAL;
        }

        json_object *id = NULL, *method = NULL, *params = NULL, *result = NULL, *error = NULL;
        bool has_id = json_object_object_get_ex(m, "id", &id);
        bool has_method = json_object_object_get_ex(m, "method", &method);
        json_object_object_get_ex(m, "params", &params);
        bool has_result = json_object_object_get_ex(m, "result", &result);
        bool has_error = json_object_object_get_ex(m, "error", &error);

        if (has_id && !jsonrpc_id_is_valid(id)) {
                *ret_reason = "\"id\" must be a string or an integer";
                return -EINVAL;
        }

        if (has_method) {
                if (!json_object_is_type(method, json_type_string)) {
                        *ret_reason = "\"method\" must be a string";
                        return -EINVAL;
                }
                if (json_string_has_nul(method)) {
                        /* C would read "ping\u0000x" as "ping". */
                        *ret_reason = "\"method\" must not contain NUL (\\u0000)";
                        return -EINVAL;
                }
                if (has_result || has_error) {
                        *ret_reason = "a request must not carry \"result\" or \"error\"";
                        return -EINVAL;
                }
                if (json_object_object_get_ex(m, "params", NULL) && !json_object_is_type(params, json_type_object)) {
                        *ret_reason = "\"params\" must be an object";
                        return -EINVAL;
                }
                ret->kind = has_id ? JSONRPC_REQUEST : JSONRPC_NOTIFICATION;
                ret->id = id;
                ret->method = json_object_get_string(method);
                ret->params = params;
                return 0;
        }

        if (has_result == has_error) {
                *ret_reason = "a message needs \"method\", or exactly one of \"result\" and \"error\"";
                return -EINVAL;
        }
        if (!has_id) {
                *ret_reason = "a response needs an \"id\"";
                return -EINVAL;
        }
        if (has_error && !json_object_is_type(error, json_type_object)) {
                *ret_reason = "\"error\" must be an object";
                return -EINVAL;
        }

        ret->kind = JSONRPC_RESPONSE;
        ret->id = id;
        ret->result = result;
        ret->error = error;
        return 0;
}

static json_object *envelope(json_object *id) {
        _cleanup_json_ json_object *o = json_object_new_object();
        if (!o || json_add_string(o, "jsonrpc", "2.0") < 0)
                return NULL;
        /* An id we could not read (a parse error) is answered with null, as JSON-RPC wants. */
        if (json_object_object_add(o, "id", json_object_get(id)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

json_object *jsonrpc_result_new(json_object *id, json_object *result) {
        _cleanup_json_ json_object *r = result;
        _cleanup_json_ json_object *o = envelope(id);
        if (!o || !r || json_add(o, "result", TAKE_PTR(r)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

json_object *jsonrpc_error_new(json_object *id, int code, const char *message, json_object *data) {
        _cleanup_json_ json_object *d = data;
        _cleanup_json_ json_object *o = envelope(id);
        _cleanup_json_ json_object *e = json_object_new_object();
        if (!o || !e)
                return NULL;
        if (json_add(e, "code", json_object_new_int(code)) < 0 || json_add_string(e, "message", message) < 0)
                return NULL;
        if (d && json_add(e, "data", TAKE_PTR(d)) < 0)
                return NULL;
        if (json_add(o, "error", TAKE_PTR(e)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

json_object *jsonrpc_errorf_new(json_object *id, int code, const char *format, ...) {
        _cleanup_free_ char *message = NULL;
        va_list ap;
        va_start(ap, format);
        int r = vasprintf(&message, format, ap);
        va_end(ap);
        if (r < 0)
                return NULL;
        return jsonrpc_error_new(id, code, message, NULL);
}

json_object *jsonrpc_notification_new(const char *method, json_object *params) {
        _cleanup_json_ json_object *p = params;
        _cleanup_json_ json_object *o = json_object_new_object();
        if (!o || json_add_string(o, "jsonrpc", "2.0") < 0 || json_add_string(o, "method", method) < 0)
                return NULL;
        if (p && json_add(o, "params", TAKE_PTR(p)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

json_object *jsonrpc_request_new(json_object *id, const char *method, json_object *params) {
        _cleanup_json_ json_object *i = id;
        _cleanup_json_ json_object *o = jsonrpc_notification_new(method, params);
        if (!o || !i || json_add(o, "id", TAKE_PTR(i)) < 0)
                return NULL;
        return TAKE_PTR(o);
}
