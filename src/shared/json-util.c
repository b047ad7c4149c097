/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* json-c helpers: strict parsing with limits and typed getters. */
#include <errno.h>

#include "json-util.h"

static int invalid(const char **ret_reason, const char *reason) {
        if (ret_reason)
                *ret_reason = reason;
        return -EINVAL;
}

/* json-c accepts some things that are not JSON even in strict mode: single-quoted names, NaN and Infinity.
 * Outside strings, JSON has no quote but '"' and no letters but those of true, false, null and exponents. */
static bool outside_strings_is_json(const char *buf, size_t len) {
        bool in_string = false;
        for (size_t i = 0; i < len; i++) {
                char c = buf[i];
                if (in_string) {
                        if (c == '\\')
                                i++;
                        else if (c == '"')
                                in_string = false;
                        continue;
                }
                if (c == '"')
                        in_string = true;
                else if (c == '\'' || (((c | 0x20) >= 'a' && (c | 0x20) <= 'z') && !strchr("truefalsnE", c)))
                        return false;
        }
        return true;
}

int json_parse_strict(const char *buf, size_t len, json_object **ret, const char **ret_reason) {
        assert(buf || len == 0);
        assert(ret);

        if (len > INT32_MAX)
                return invalid(ret_reason, "document too large");
        if (!outside_strings_is_json(buf, len))
                return invalid(ret_reason, "unexpected character");

        json_tokener *tok = json_tokener_new_ex(JSON_MAX_DEPTH);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);

        json_object *o = json_tokener_parse_ex(tok, buf, (int) len);
        enum json_tokener_error err = json_tokener_get_error(tok);
        size_t consumed = json_tokener_get_parse_end(tok);
        if (err == json_tokener_continue) {
                /* A bare number may go on; a NUL says the input ended. */
                o = json_tokener_parse_ex(tok, "", 1);
                err = json_tokener_get_error(tok);
                consumed = len;
        }
        json_tokener_free(tok);

        if (!o || err != json_tokener_success) {
                json_object_put(o);
                if (err == json_tokener_success) /* a bare "null" */
                        return invalid(ret_reason, "null is not a JSON-RPC message");
                return invalid(ret_reason,
                        err == json_tokener_continue ? "unexpected end of input" : json_tokener_error_desc(err));
        }

        /* json-c stops after the first complete value; anything but whitespace after it is garbage. */
        for (size_t i = consumed; i < len; i++)
                if (!strchr(" \t\r\n", buf[i])) {
                        json_object_put(o);
                        return invalid(ret_reason, "unexpected data after the JSON value");
                }

        *ret = o;
        return 0;
}

const char *json_get_string(json_object *o, const char *key) {
        json_object *v;
        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

json_object *json_get_object(json_object *o, const char *key) {
        json_object *v;
        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_object))
                return NULL;
        return v;
}

json_object *json_get_array(json_object *o, const char *key) {
        json_object *v;
        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_array))
                return NULL;
        return v;
}

bool json_get_bool(json_object *o, const char *key, bool def) {
        json_object *v;
        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_boolean))
                return def;
        return json_object_get_boolean(v);
}

const char *json_to_string(json_object *o) {
        return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

int json_add(json_object *obj, const char *key, json_object *value) {
        assert(obj);
        if (!value)
                return -ENOMEM;
        if (json_object_object_add(obj, key, value) < 0) {
                json_object_put(value);
                return -ENOMEM;
        }
        return 0;
}

int json_add_string(json_object *obj, const char *key, const char *value) {
        return json_add(obj, key, json_object_new_string(value));
}
