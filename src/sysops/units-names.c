/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: unit names and unit name globs: their types, and what systemd would refuse. */
#include "units-internal.h"

#define UNIT_NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:-_.\\@"
#define PATTERN_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@._:*?[]-"

/* The unit types, with the D-Bus interface of each type's own properties. */
const UnitType unit_types[] = {
        { "service", "org.freedesktop.systemd1.Service" },
        { "socket", "org.freedesktop.systemd1.Socket" },
        { "timer", "org.freedesktop.systemd1.Timer" },
        { "target", NULL }, /* no properties of its own */
        { "mount", "org.freedesktop.systemd1.Mount" },
        { "path", "org.freedesktop.systemd1.Path" },
        { "slice", "org.freedesktop.systemd1.Slice" },
        { "scope", "org.freedesktop.systemd1.Scope" },
        { "device", NULL },
        { "swap", "org.freedesktop.systemd1.Swap" },
        { "automount", "org.freedesktop.systemd1.Automount" },
};

/* The index of the type of unit name in unit_types[], or -1. */
int unit_type_of(const char *name) {
        const char *dot = strrchr(name, '.');
        if (!dot)
                return -1;
        for (size_t i = 0; i < ELEMENTSOF(unit_types); i++)
                if (streq(dot + 1, unit_types[i].suffix))
                        return (int) i;
        return -1;
}

/* Why name is not a unit name systemd would take, or NULL when it is one. */
const char *unit_name_invalid(const char *name) {
        size_t n = strlen(name);
        if (n == 0 || n > UNIT_NAME_MAX)
                return "a unit name has 1 to 255 characters";
        if (strspn(name, UNIT_NAME_CHARS) != n)
                return "a unit name has only letters, digits and \":-_.\\@\"";
        const char *dot = strrchr(name, '.');
        if (!dot || dot == name || unit_type_of(name) < 0)
                return "a unit name ends in its type: .service, .socket, .timer, .target, .mount, .path, .slice, "
                       ".scope, .device, .swap or .automount (e.g. \"ssh.service\")";
        const char *at = strchr(name, '@');
        if (at && (at == name || strchr(at + 1, '@')))
                return "a unit name has at most one \"@\", after a prefix (\"getty@tty1.service\")";
        return NULL;
}

/* Why pattern is not a glob for unit names, or NULL. Its characters were checked by the schema. */
const char *unit_pattern_invalid(const char *pattern) {
        if (strspn(pattern, PATTERN_CHARS) != strlen(pattern))
                return "a pattern has only letters, digits and \"@._:-\", and the glob characters \"*?[]\"";
        bool open = false;
        for (const char *p = pattern; *p; p++)
                if (*p == '[') {
                        if (open)
                                return "a \"[\" opens a set that has not been closed";
                        open = true;
                        if (p[1] == ']')
                                return "\"[]\" is an empty set";
                } else if (*p == ']') {
                        if (!open)
                                return "a \"]\" closes a set that was not opened";
                        open = false;
                }
        return open ? "a \"[\" opens a set that is never closed" : NULL;
}
