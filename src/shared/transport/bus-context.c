/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading the context dictionaries of the aios D-Bus interfaces. */
#include "bus-context.h"

static const BusContextField *field_find(const BusContextField *fields, size_t n, const char *key) {
        for (size_t i = 0; i < n; i++)
                if (streq(fields[i].key, key))
                        return fields + i;
        return NULL;
}

int bus_context_read(sd_bus_message *m, const BusContextField *fields, size_t n_fields) {
        int r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *key;
                r = sd_bus_message_read(m, "s", &key);
                if (r < 0)
                        return r;

                const BusContextField *f = field_find(fields, n_fields, key);
                const char *contents = NULL;
                if (f && sd_bus_message_peek_type(m, NULL, &contents) >= 0 && streq_ptr(contents, "s"))
                        r = sd_bus_message_read(m, "v", "s", f->value);
                else
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
