/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* json-c helpers: strict parsing with limits and typed getters. */
#include <errno.h>
#include <stdatomic.h>

#include "buffer.h"
#include "json-util.h"

static int invalid(const char **ret_reason, const char *reason) {
        if (ret_reason)
                *ret_reason = reason;
        return -EINVAL;
}

/* A tokener is a kilobyte and more for json-c to allocate and clear: one is kept for the next small document
 * (the buffer it keeps grows to the longest string of a document, so a large one gets its own). */
#define TOKENER_REUSE_MAX (64U * 1024U)
static _Atomic(json_tokener *) spare_tokener;

static json_tokener *tokener_get(size_t len) {
        json_tokener *tok = len <= TOKENER_REUSE_MAX ? atomic_exchange(&spare_tokener, NULL) : NULL;
        if (tok)
                json_tokener_reset(tok);
        else
                tok = json_tokener_new_ex(JSON_MAX_DEPTH);
        if (tok)
                json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        return tok;
}

static void tokener_put(json_tokener *tok, size_t len) {
        json_tokener *none = NULL;
        if (len > TOKENER_REUSE_MAX || !atomic_compare_exchange_strong(&spare_tokener, &none, tok))
                json_tokener_free(tok);
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

        json_tokener *tok = tokener_get(len);
        if (!tok)
                return -ENOMEM;

        json_object *o = json_tokener_parse_ex(tok, buf, (int) len);
        enum json_tokener_error err = json_tokener_get_error(tok);
        size_t consumed = json_tokener_get_parse_end(tok);
        if (err == json_tokener_continue) {
                /* A bare number may go on; a NUL says the input ended. */
                o = json_tokener_parse_ex(tok, "", 1);
                err = json_tokener_get_error(tok);
                consumed = len;
        }
        tokener_put(tok, len);

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

static int canonical_append(Buffer *b, json_object *o);

static int append_text(Buffer *b, const char *text) {
        return buffer_append(b, text, strlen(text), SIZE_MAX - 1);
}

static int compare_keys(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static int canonical_append_object(Buffer *b, json_object *o) {
        size_t n = (size_t) json_object_object_length(o), i = 0;
        _cleanup_free_ const char **keys = new0(const char *, n ?: 1);
        if (!keys)
                return -ENOMEM;
        json_object_object_foreach (o, key, value) {
                (void) value;
                keys[i++] = key;
        }
        qsort(keys, n, sizeof(*keys), compare_keys);

        int r = append_text(b, "{");
        for (i = 0; r >= 0 && i < n; i++) {
                _cleanup_json_ json_object *k = json_object_new_string(keys[i]);
                if (!k)
                        return -ENOMEM;
                if (i > 0)
                        r = append_text(b, ",");
                if (r >= 0)
                        r = append_text(b, json_to_string(k));
                if (r >= 0)
                        r = append_text(b, ":");
                if (r >= 0)
                        r = canonical_append(b, json_object_object_get(o, keys[i]));
        }
        return r < 0 ? r : append_text(b, "}");
}

static int canonical_append(Buffer *b, json_object *o) {
        switch (json_object_get_type(o)) {
        case json_type_object:
                return canonical_append_object(b, o);
        case json_type_array: {
                int r = append_text(b, "[");
                for (size_t i = 0, n = json_object_array_length(o); r >= 0 && i < n; i++) {
                        if (i > 0)
                                r = append_text(b, ",");
                        if (r >= 0)
                                r = canonical_append(b, json_object_array_get_idx(o, i));
                }
                return r < 0 ? r : append_text(b, "]");
        }
        default:
                /* Scalars as json-c writes them: exact integers, a parsed double's own text, escaped strings. */
                return append_text(b, json_to_string(o));
        }
}

int json_canonical_text(json_object *o, char **ret) {
        assert(ret);

        Buffer b = {};
        int r = canonical_append(&b, o);
        if (r < 0) {
                buffer_done(&b);
                return r;
        }
        *ret = b.data ?: strdup("null");
        return *ret ? 0 : -ENOMEM;
}

bool json_string_has_nul(json_object *s) {
        if (!json_object_is_type(s, json_type_string))
                return false;
        return strlen(json_object_get_string(s)) != (size_t) json_object_get_string_len(s);
}

/* Takes o's size from *left; false once that would go below zero. Strings count their bytes, not their
 * escapes, and other scalars 8 bytes each: an estimate of the serialized size, never far below it. */
static bool size_within(json_object *o, size_t *left) {
        size_t n;
        switch (json_object_get_type(o)) {
        case json_type_string:
                n = (size_t) json_object_get_string_len(o) + 2;
                break;
        case json_type_object:
                n = 2;
                json_object_object_foreach (o, key, value) {
                        size_t k = strlen(key) + 4;
                        if (k > *left)
                                return false;
                        *left -= k;
                        if (!size_within(value, left))
                                return false;
                }
                break;
        case json_type_array:
                n = 2;
                for (size_t i = 0, m = json_object_array_length(o); i < m; i++)
                        if (!size_within(json_object_array_get_idx(o, i), left))
                                return false;
                break;
        default:
                n = 8;
        }
        if (n > *left)
                return false;
        *left -= n;
        return true;
}

bool json_size_exceeds(json_object *o, size_t max) {
        size_t left = max;
        return !size_within(o, &left);
}
