/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <math.h>

#include "json-value.h"

bool json_is_number(json_object *o) {
        return json_object_is_type(o, json_type_int) || json_object_is_type(o, json_type_double);
}

long double json_number(json_object *o) {
        if (json_object_is_type(o, json_type_double))
                return json_object_get_double(o);

        /* json-c keeps integers above INT64_MAX as uint64; get_int64 clamps those to INT64_MAX. */
        int64_t i = json_object_get_int64(o);
        if (i == INT64_MAX)
                return (long double) json_object_get_uint64(o);
        return (long double) i;
}

bool json_is_integral(json_object *o) {
        if (json_object_is_type(o, json_type_int))
                return true;
        if (!json_object_is_type(o, json_type_double))
                return false;
        double d = json_object_get_double(o);
        return isfinite(d) && d == floor(d);
}

static bool object_equal(json_object *a, json_object *b) {
        if (json_object_object_length(a) != json_object_object_length(b))
                return false;
        json_object_object_foreach (a, key, value) {
                json_object *other;
                if (!json_object_object_get_ex(b, key, &other) || !json_equal(value, other))
                        return false;
        }
        return true;
}

static bool array_equal(json_object *a, json_object *b) {
        size_t n = json_object_array_length(a);
        if (n != json_object_array_length(b))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!json_equal(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i)))
                        return false;
        return true;
}

bool json_equal(json_object *a, json_object *b) {
        if (json_is_number(a) && json_is_number(b))
                return json_number(a) == json_number(b);

        json_type t = json_object_get_type(a);
        if (t != json_object_get_type(b))
                return false;

        switch (t) {
        case json_type_null:
                return true;
        case json_type_boolean:
                return json_object_get_boolean(a) == json_object_get_boolean(b);
        case json_type_string:
                return json_object_get_string_len(a) == json_object_get_string_len(b) &&
                        memcmp(json_object_get_string(a), json_object_get_string(b), json_object_get_string_len(a)) ==
                        0;
        case json_type_object:
                return object_equal(a, b);
        case json_type_array:
                return array_equal(a, b);
        default:
                return false;
        }
}

/* FNV-1a, then a final mix so that the order-independent sum over members spreads well. */
static uint64_t hash_bytes(uint64_t h, const void *p, size_t n) {
        const unsigned char *c = p;
        for (size_t i = 0; i < n; i++) {
                h ^= c[i];
                h *= UINT64_C(0x100000001b3);
        }
        return h;
}

static uint64_t mix(uint64_t h) {
        h ^= h >> 33;
        h *= UINT64_C(0xff51afd7ed558ccd);
        h ^= h >> 33;
        return h;
}

uint64_t json_hash(json_object *o) {
        uint64_t h = UINT64_C(0xcbf29ce484222325);

        if (json_is_number(o)) {
                /* Hash the value, not the representation: 1 and 1.0 must collide, and so must 0 and -0. */
                long double v = json_number(o);
                double d = v == 0 ? 0.0 : (double) v;
                h = hash_bytes(h ^ 'n', &d, sizeof(d));
                return mix(h);
        }

        json_type t = json_object_get_type(o);
        h = hash_bytes(h, &t, sizeof(t));
        switch (t) {
        case json_type_boolean: {
                bool b = json_object_get_boolean(o);
                h = hash_bytes(h, &b, sizeof(b));
                break;
        }
        case json_type_string:
                h = hash_bytes(h, json_object_get_string(o), json_object_get_string_len(o));
                break;
        case json_type_object: {
                uint64_t sum = 0;
                json_object_object_foreach (o, key, value)
                        sum += mix(hash_bytes(json_hash(value), key, strlen(key)));
                h = hash_bytes(h, &sum, sizeof(sum));
                break;
        }
        case json_type_array:
                for (size_t i = 0, n = json_object_array_length(o); i < n; i++) {
                        uint64_t item = json_hash(json_object_array_get_idx(o, i));
                        h = hash_bytes(h, &item, sizeof(item));
                }
                break;
        default:
                break;
        }
        return mix(h);
}

size_t utf8_length(const char *s, size_t n_bytes) {
        size_t n = 0;
        for (size_t i = 0; i < n_bytes; i++)
                if (((unsigned char) s[i] & 0xC0) != 0x80)
                        n++;
        return n;
}
