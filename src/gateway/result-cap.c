/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Cuts a tool result down to a size cap, content by content, keeping it a valid MCP result. */
#include <stdio.h>

#include "json-util.h"
#include "result-cap.h"

/* Rounds of cutting before giving up on keeping the content; each round cuts the largest item. */
#define ROUNDS_MAX 16

static size_t json_size(json_object *o) {
        return strlen(json_to_string(o));
}

/* At least json_size(o), without writing it out: every byte of a string may take 6 when escaped. Stops
 * counting past limit. */
static size_t json_size_bound(json_object *o, size_t limit) {
        size_t n = 0;
        switch (json_object_get_type(o)) {
        case json_type_string:
                return 2 + 6 * (size_t) json_object_get_string_len(o);
        case json_type_array:
                n = 2;
                for (size_t i = 0; i < json_object_array_length(o) && n <= limit; i++)
                        n += 1 + json_size_bound(json_object_array_get_idx(o, i), limit);
                return n;
        case json_type_object:
                n = 2;
                json_object_object_foreach (o, key, value) {
                        n += 4 + 6 * strlen(key) + json_size_bound(value, limit);
                        if (n > limit)
                                break;
                }
                return n;
        case json_type_double:
                return json_size(o); /* json-c writes a parsed number as it came, however long */
        default:
                return 32; /* null, true, false, and integers */
        }
}

/* Where an item keeps the bytes that can be cut: its text, or its base64 data (binary). */
static json_object *item_payload(json_object *item, bool *ret_binary) {
        const char *type = json_get_string(item, "type");
        json_object *holder = item, *v = NULL;
        const char *key = NULL;

        if (streq_ptr(type, "text"))
                key = "text", *ret_binary = false;
        else if (streq_ptr(type, "image") || streq_ptr(type, "audio"))
                key = "data", *ret_binary = true;
        else if (streq_ptr(type, "resource")) {
                holder = json_get_object(item, "resource");
                if (json_get_string(holder, "text"))
                        key = "text", *ret_binary = false;
                else
                        key = "blob", *ret_binary = true;
        }
        if (!key || !json_object_object_get_ex(holder, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return v;
}

/* The first n bytes of s, fewer when n falls inside a UTF-8 sequence. */
static size_t utf8_prefix(const char *s, size_t n) {
        while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80)
                n--;
        return n;
}

#define CUT_NOTICE "\n\n[The gateway cut this text"

/* The bytes of a text shown before the gateway's notice (all of it when it was not cut yet). */
static size_t text_shown(json_object *v, size_t original) {
        const char *s = json_object_get_string(v);
        const char *notice = original > 0 ? strstr(s, CUT_NOTICE) : NULL;
        return notice ? (size_t) (notice - s) : (size_t) json_object_get_string_len(v);
}

static int cut_text(json_object *v, size_t *original, size_t cut, const char *tool) {
        const char *s = json_object_get_string(v);
        size_t shown = text_shown(v, *original);
        if (*original == 0)
                *original = json_object_get_string_len(v);
        size_t keep = utf8_prefix(s, cut < shown ? shown - cut : 0);

        _cleanup_free_ char *text = NULL;
        int n = asprintf(&text, "%.*s" CUT_NOTICE ": %zu of %zu bytes shown, the size limit for the results of %s.]",
                (int) keep, s, keep, *original, tool);
        if (n < 0)
                return -ENOMEM;
        return json_object_set_string_len(v, text, n) ? 0 : -ENOMEM;
}

static int drop_binary(json_object *item, size_t size, const char *tool) {
        _cleanup_free_ char *text = NULL;
        if (asprintf(&text,
                    "[The gateway left out %s content of %zu bytes: more than the size limit for the results of %s allows.]",
                    strempty(json_get_string(item, "type")), size, tool) < 0)
                return -ENOMEM;
        /* The item becomes a text content: its other members (mimeType, annotations) go with it. */
        json_object_object_foreach (item, key, value) {
                (void) value;
                json_object_object_del(item, key);
        }
        if (json_add_string(item, "type", "text") < 0 || json_add_string(item, "text", text) < 0)
                return -ENOMEM;
        return 0;
}

static int replace_with_error(json_object *result, size_t size, size_t max, const char *tool) {
        _cleanup_free_ char *text = NULL;
        if (asprintf(&text,
                    "The result of %s was %zu bytes, more than the gateway's limit of %zu bytes, and could not be cut down to it. "
                    "Ask for less (a narrower query, fewer items).",
                    tool, size, max) < 0)
                return -ENOMEM;

        json_object_object_foreach (result, key, value) {
                (void) value;
                json_object_object_del(result, key);
        }
        _cleanup_json_ json_object *content = json_object_new_array(), *item = json_object_new_object();
        if (!content || !item || json_add_string(item, "type", "text") < 0 || json_add_string(item, "text", text) < 0 ||
                json_object_array_add(content, TAKE_PTR(item)) < 0 ||
                json_add(result, "content", TAKE_PTR(content)) < 0 ||
                json_add(result, "isError", json_object_new_boolean(true)) < 0)
                return -ENOMEM;
        return 1;
}

int result_cap(json_object *result, size_t max, const char *tool) {
        assert(result);

        tool = strempty(tool);
        max = MAX(max, (size_t) RESULT_CAP_MIN);
        if (json_size_bound(result, max) <= max)
                return 0;
        size_t size = json_size(result), first_size = size;
        if (size <= max)
                return 0;

        json_object *content = json_get_array(result, "content");
        size_t n = content ? json_object_array_length(content) : 0;
        _cleanup_free_ size_t *original = n > 0 ? new0(size_t, n) : NULL;
        if (n > 0 && !original)
                return -ENOMEM;

        for (unsigned round = 0; round < ROUNDS_MAX && size > max; round++) {
                /* The largest item that still has something to give. */
                size_t best = SIZE_MAX, best_len = 0;
                bool best_binary = false;
                for (size_t i = 0; i < n; i++) {
                        bool binary;
                        json_object *v = item_payload(json_object_array_get_idx(content, i), &binary);
                        if (!v)
                                continue;
                        size_t len = binary ? (size_t) json_object_get_string_len(v) : text_shown(v, original[i]);
                        if (len > best_len && (!binary || len > 64))
                                best = i, best_len = len, best_binary = binary;
                }
                if (best == SIZE_MAX)
                        break;

                json_object *item = json_object_array_get_idx(content, best);
                bool binary;
                json_object *v = item_payload(item, &binary);
                int k = best_binary ? drop_binary(item, best_len, tool)
                                    : cut_text(v, &original[best], size - max + 160 + strlen(tool), tool);
                if (k < 0)
                        return k;
                size = json_size(result);
        }

        if (size > max)
                return replace_with_error(result, first_size, max, tool);
        return 1;
}
