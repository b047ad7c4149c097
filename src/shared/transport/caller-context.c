/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>

#include "caller-context.h"
#include "macro.h"

bool caller_field_ok(const char *v, size_t max, bool spaces) {
        if (!v)
                return true;
        size_t n = 0;
        for (const char *p = v; *p; p++, n++)
                if (n >= max || (unsigned char) *p < (spaces ? 0x20 : 0x21) || (unsigned char) *p > 0x7e)
                        return false;
        return true;
}

static bool reserved(const char *key) {
        return streq(key, "tool") || streq(key, "principal") || streq(key, "scopes") || streq(key, "backend");
}

void caller_details(const char *tool, const char *principal, const char *scopes, const char *backend,
        const char *const *own, const char **details, size_t max) {
        assert(max >= 2 * 4 + 1);
        size_t n = 0;
        const char *const transport[] = { "tool", strempty(tool), "principal", principal, "scopes", scopes, "backend",
                backend };
        for (size_t i = 0; i < ELEMENTSOF(transport); i += 2)
                if (transport[i + 1]) {
                        details[n++] = transport[i];
                        details[n++] = transport[i + 1];
                }
        for (const char *const *d = own; d && d[0] && d[1] && n + 2 < max; d += 2)
                if (!reserved(d[0])) {
                        details[n++] = d[0];
                        details[n++] = d[1];
                }
        details[n] = NULL;
}
