/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: the protected units, the units that end the system, and the check before system_unit_control acts. */
#include <fnmatch.h>

#include "units-internal.h"
#include "units-protect.h"

/* What may never be stopped, restarted or disabled through system_unit_control, by default: what the host
 * needs to be reached and administered (the bus, the journal, logind, polkit, sshd, the network), and aios
 * itself. $AIOS_SYSOPS_PROTECTED_UNITS, a space-separated list of unit names or globs, replaces this list
 * when it is set (empty: nothing is protected); an administrator who sets it lists aios's own units too. */
static const char *const protected_units_default[] = {
        "dbus.service",
        "dbus.socket",
        "dbus-broker.service",
        "systemd-journald.service",
        "systemd-journald.socket",
        "systemd-logind.service",
        "polkit.service",
        "ssh.service",
        "sshd.service",
        "systemd-networkd.service",
        "init.scope",
        "-.slice",
        "aios-*.service",
        "aios-*.socket",
        "aios.target",
};

/* Units whose start ends or isolates the running system, stopping every protected unit with it: never
 * started, whatever the protected list says. */
static const char *const system_state_units[] = {
        "poweroff.target",
        "reboot.target",
        "halt.target",
        "kexec.target",
        "soft-reboot.target",
        "shutdown.target",
        "rescue.target",
        "emergency.target",
        "exit.target",
        "final.target",
        "ctrl-alt-del.target",
        "systemd-poweroff.service",
        "systemd-reboot.service",
        "systemd-halt.service",
        "systemd-kexec.service",
        "systemd-soft-reboot.service",
        "systemd-exit.service",
        "rescue.service",
        "emergency.service",
};

static bool name_in(const char *name, const char *const *patterns, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (fnmatch(patterns[i], name, 0) == 0)
                        return true;
        return false;
}

static bool unit_is_protected(const char *name) {
        const char *list = getenv("AIOS_SYSOPS_PROTECTED_UNITS");
        if (!list)
                return name_in(name, protected_units_default, ELEMENTSOF(protected_units_default));

        for (const char *p = list;;) {
                p += strspn(p, " \t\n");
                size_t n = strcspn(p, " \t\n");
                if (n == 0)
                        return false;
                char pattern[UNIT_NAME_MAX + 1];
                if (n < sizeof(pattern)) {
                        memcpy(pattern, p, n);
                        pattern[n] = 0;
                        if (fnmatch(pattern, name, 0) == 0)
                                return true;
                }
                p += n;
        }
}

/* The first of the unit names in the array (or NULL) that is protected, or NULL. */
static const char *first_protected(json_object *names) {
        size_t n = names && json_object_is_type(names, json_type_array) ? json_object_array_length(names) : 0;
        for (size_t i = 0; i < n; i++) {
                const char *name = json_object_get_string(json_object_array_get_idx(names, i));
                if (name && unit_is_protected(name))
                        return name;
        }
        return NULL;
}

/* The first of the unit names in the array that ends or isolates the system, or NULL. */
static const char *first_system_state(json_object *names) {
        size_t n = names && json_object_is_type(names, json_type_array) ? json_object_array_length(names) : 0;
        for (size_t i = 0; i < n; i++) {
                const char *name = json_object_get_string(json_object_array_get_idx(names, i));
                if (name && name_in(name, system_state_units, ELEMENTSOF(system_state_units)))
                        return name;
        }
        return NULL;
}

/* Why the action may not be done to the unit with these properties (control_properties), or NULL; with
 * the unit in the way in *ret_unit. Dependencies are looked at one level deep: what needs the unit directly
 * (sysinit.target is required by every service), or conflicts with it directly (shutdown.target). */
const char *control_refusal(UnitCall *c, json_object *properties, const char **ret_unit) {
        static const char *const dependents[] = { "required_by", "requisite_of", "bound_by", "consists_of" };
        static const char *const conflicts[] = { "conflicts", "conflicted_by" };
        json_object *names = json_get_array(properties, "names");
        const char *by;

        if (unit_actions[c->action].starts) {
                if (name_in(c->unit, system_state_units, ELEMENTSOF(system_state_units)))
                        by = c->unit;
                else
                        by = first_system_state(names);
                if (by) {
                        *ret_unit = by;
                        return "starting it would shut down, reboot or isolate the system";
                }
        }
        if (unit_actions[c->action].refused_when_protected) {
                if (unit_is_protected(c->unit))
                        by = c->unit;
                else
                        by = first_protected(names);
                if (by) {
                        *ret_unit = by;
                        return "it is protected";
                }
        }
        if (unit_actions[c->action].stops_dependents)
                FOREACH_ELEMENT(key, dependents)
                        if ((by = first_protected(json_get_array(properties, *key)))) {
                                *ret_unit = by;
                                return "stopping it would stop a protected unit that depends on it";
                        }
        if (unit_actions[c->action].starts)
                FOREACH_ELEMENT(key, conflicts)
                        if ((by = first_protected(json_get_array(properties, *key)))) {
                                *ret_unit = by;
                                return "starting it would stop a protected unit that conflicts with it";
                        }
        return NULL;
}
