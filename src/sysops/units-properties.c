/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: systemd's property values and journal text as JSON. */
#include <stdio.h>
#include <time.h>

#include "units-internal.h"

/* Microseconds since the epoch as RFC 3339 UTC text. */
json_object *sysops_timestamp_new(uint64_t usec) {
        time_t sec = (time_t) (usec / USEC_PER_SEC);
        struct tm tm;
        char text[64];
        if (!gmtime_r(&sec, &tm) || strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
                return json_object_new_uint64(usec);
        size_t n = strlen(text);
        snprintf(text + n, sizeof(text) - n, ".%06lluZ", (unsigned long long) (usec % USEC_PER_SEC));
        return json_object_new_string(text);
}

/* The length of the valid UTF-8 sequence at p (n bytes left), or 0 when there is none (NUL counts as none). */
static size_t utf8_sequence_length(const unsigned char *p, size_t n) {
        static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
        size_t len;
        uint32_t c;

        if (p[0] < 0x80)
                return p[0] ? 1 : 0;
        if ((p[0] & 0xe0) == 0xc0) {
                len = 2;
                c = p[0] & 0x1f;
        } else if ((p[0] & 0xf0) == 0xe0) {
                len = 3;
                c = p[0] & 0x0f;
        } else if ((p[0] & 0xf8) == 0xf0) {
                len = 4;
                c = p[0] & 0x07;
        } else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                c = c << 6 | (p[i] & 0x3f);
        }
        if (c < min[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
                return 0;
        return len;
}

/* A journal field is bytes: JSON and D-Bus need UTF-8. Invalid bytes become U+FFFD; at most max bytes of
 * the input are taken, and a cut is marked with an ellipsis. */
json_object *sysops_text_new(const char *s, size_t n, size_t max) {
        bool cut = n > max;
        n = MIN(n, max);
        _cleanup_free_ char *out = malloc(n * 3 + 4);
        if (!out)
                return NULL;
        size_t o = 0;
        for (size_t i = 0; i < n;) {
                size_t len = utf8_sequence_length((const unsigned char *) s + i, n - i);
                if (len == 0) {
                        memcpy(out + o, "\xef\xbf\xbd", 3);
                        o += 3;
                        i++;
                } else {
                        memcpy(out + o, s + i, len);
                        o += len;
                        i += len;
                }
        }
        if (cut) {
                memcpy(out + o, "\xe2\x80\xa6", 3);
                o += 3;
        }
        return json_object_new_string_len(out, (int) o);
}

/* Appends item (taken) to array. */
int sysops_json_add_item(json_object *array, json_object *item) {
        if (!item || json_object_array_add(array, item) < 0) {
                json_object_put(item);
                return -ENOMEM;
        }
        return 0;
}

static const Property *property_find(const Property *table, const char *name) {
        for (const Property *p = table; p->name; p++)
                if (streq(p->name, name))
                        return p;
        return NULL;
}

/* One variant as JSON: strings, numbers, booleans and string arrays. *ret is NULL for what is left out. */
static int variant_read(sd_bus_message *m, const Property *p, json_object **ret) {
        const char *contents;
        int r = sd_bus_message_peek_type(m, NULL, &contents);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'v', contents);
        if (r < 0)
                return r;

        json_object *v = NULL;
        const char *s;
        int b;
        int32_t i;
        uint32_t u;
        uint64_t t;
        char **strv = NULL;

        if (streq(contents, "s") || streq(contents, "o")) {
                r = sd_bus_message_read_basic(m, contents[0], &s);
                if (r >= 0 && !(v = json_object_new_string(s)))
                        r = -ENOMEM;
        } else if (streq(contents, "b")) {
                r = sd_bus_message_read_basic(m, 'b', &b);
                if (r >= 0 && !(v = json_object_new_boolean(b)))
                        r = -ENOMEM;
        } else if (streq(contents, "i")) {
                r = sd_bus_message_read_basic(m, 'i', &i);
                if (r >= 0 && !(v = json_object_new_int64(i)))
                        r = -ENOMEM;
        } else if (streq(contents, "u")) {
                r = sd_bus_message_read_basic(m, 'u', &u);
                if (r >= 0 && !(v = json_object_new_int64(u)))
                        r = -ENOMEM;
        } else if (streq(contents, "t")) {
                r = sd_bus_message_read_basic(m, 't', &t);
                if (r >= 0 && !(p->kind == PROPERTY_TIMESTAMP && t == 0) &&
                        !(p->kind == PROPERTY_COUNTER && t == UINT64_MAX) &&
                        !(v = p->kind == PROPERTY_TIMESTAMP ? sysops_timestamp_new(t) : json_object_new_uint64(t)))
                        r = -ENOMEM;
        } else if (streq(contents, "as")) {
                r = sd_bus_message_read_strv(m, &strv);
                if (r >= 0 && !(v = json_object_new_array()))
                        r = -ENOMEM;
                for (char **x = strv; x && *x; x++) {
                        if (r >= 0 && sysops_json_add_item(v, json_object_new_string(*x)) < 0)
                                r = -ENOMEM;
                        free(*x);
                }
                free(strv);
        } else
                r = sd_bus_message_skip(m, contents);
        if (r < 0) {
                json_object_put(v);
                return r;
        }

        r = sd_bus_message_exit_container(m);
        if (r < 0) {
                json_object_put(v);
                return r;
        }
        *ret = v;
        return 0;
}

/* Properties.GetAll's answer: the properties of table, added to into under their keys. */
int sysops_properties_read(sd_bus_message *m, const Property *table, json_object *into) {
        int r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *name;
                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;
                const Property *p = property_find(table, name);
                if (p) {
                        json_object *v = NULL;
                        r = variant_read(m, p, &v);
                        if (r >= 0 && v)
                                r = json_add(into, p->key, v);
                } else
                        r = sd_bus_message_skip(m, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

/* Loaded units and units systemd only made up because they were asked for. */
bool unit_is_unknown(json_object *properties) {
        return streq_ptr(json_get_string(properties, "load_state"), "not-found") &&
                streq_ptr(json_get_string(properties, "active_state"), "inactive");
}
