/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: which units system_unit_control may touch: the protected units, the allow-list, and the test of one
 * unit. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "units-internal.h"
#include "units-protect.h"

#define PATTERN_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:-_.\\@*?[]!"

/* What system_unit_control never starts, stops, restarts, reloads, enables or disables, nor changes as a
 * consequence of what it does to another unit: what the host needs to be reached and administered, what ends,
 * suspends or isolates the running system or opens a console to it, and aios itself.
 * $AIOS_SYSOPS_PROTECTED_UNITS adds to this list; nothing removes from it. */
static const char *const protected_default[] = {
        /* a root shell on tty9 */
        "debug-shell.service",
        /* the states of the machine: sleep, rescue, end, reboot, isolate */
        "sleep.target",
        "suspend.target",
        "hibernate.target",
        "hybrid-sleep.target",
        "suspend-then-hibernate.target",
        "systemd-suspend.service",
        "systemd-hibernate.service",
        "systemd-hybrid-sleep.service",
        "systemd-suspend-then-hibernate.service",
        "rescue.target",
        "rescue.service",
        "emergency.target",
        "emergency.service",
        "halt.target",
        "poweroff.target",
        "reboot.target",
        "kexec.target",
        "soft-reboot.target",
        "shutdown.target",
        "exit.target",
        "final.target",
        "factory-reset.target",
        "ctrl-alt-del.target",
        "default.target",
        "graphical.target",
        "multi-user.target",
        "basic.target",
        "sysinit.target",
        "systemd-halt.service",
        "systemd-poweroff.service",
        "systemd-reboot.service",
        "systemd-kexec.service",
        "systemd-soft-reboot.service",
        "systemd-exit.service",
        "systemd-factory-reset.service",
        /* reaching the machine: the network, ssh, logins and consoles */
        "networking.service",
        "NetworkManager.service",
        "systemd-networkd.service",
        "systemd-networkd.socket",
        "systemd-resolved.service",
        "ssh.service",
        "ssh.socket",
        "ssh@*.service",
        "sshd.service",
        "sshd.socket",
        "sshd@*.service",
        "systemd-user-sessions.service",
        "getty.target",
        "getty@*.service",
        "serial-getty@*.service",
        "autovt@*.service",
        "console-getty.service",
        "container-getty@*.service",
        /* the cgroup tree: stopping a slice stops everything in it */
        "-.slice",
        "system.slice",
        "user.slice",
        "user-*.slice",
        "user@*.service",
        "user-runtime-dir@*.service",
        "init.scope",
        "session-*.scope",
        /* the services everything else needs */
        "dbus.service",
        "dbus.socket",
        "dbus-broker.service",
        "systemd-journald.service",
        "systemd-journald.socket",
        "systemd-journald-dev-log.socket",
        "systemd-journald-audit.socket",
        "systemd-journald@*.service",
        "systemd-logind.service",
        "polkit.service",
        "systemd-udevd.service",
        "systemd-udevd-control.socket",
        "systemd-udevd-kernel.socket",
        /* aios */
        "aios-*.service",
        "aios-*.socket",
        "aios.target",
};

static void patterns_free(char **patterns, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(patterns[i]);
        free(patterns);
}

UnitPolicy *unit_policy_free(UnitPolicy *p) {
        if (!p)
                return NULL;
        patterns_free(p->protected, p->n_protected);
        patterns_free(p->controllable, p->n_controllable);
        free(p);
        return NULL;
}

static int pattern_add(char ***patterns, size_t *n, const char *p, size_t len) {
        if (*n >= UNIT_PATTERNS_MAX)
                return -E2BIG;
        char **a = realloc(*patterns, (*n + 1) * sizeof(char *));
        if (!a)
                return -ENOMEM;
        *patterns = a;
        a[*n] = strndup(p, len);
        if (!a[*n])
                return -ENOMEM;
        (*n)++;
        return 0;
}

/* Splits a space-separated list into patterns, refusing what no unit name could match. */
static int patterns_parse(const char *variable, const char *list, char ***patterns, size_t *n, char **ret_error) {
        for (const char *p = strempty(list);;) {
                p += strspn(p, " \t\n");
                size_t len = strcspn(p, " \t\n");
                if (len == 0)
                        return 0;
                const char *why = NULL;
                if (len > UNIT_NAME_MAX)
                        why = "it is longer than a unit name can be (255 characters)";
                else if (strspn(p, PATTERN_CHARS) < len)
                        why = "it has a character no unit name has (names have letters, digits and \":-_.\\@\"; "
                              "globs add \"*?[]!\")";
                if (why) {
                        if (asprintf(ret_error, "%s: the pattern \"%.*s%s\" is refused: %s", variable,
                                    (int) MIN(len, (size_t) 64), p, len > 64 ? "..." : "", why) < 0)
                                *ret_error = NULL;
                        return -EINVAL;
                }
                int r = pattern_add(patterns, n, p, len);
                if (r == -E2BIG) {
                        if (asprintf(ret_error, "%s: more than %u patterns", variable, UNIT_PATTERNS_MAX) < 0)
                                *ret_error = NULL;
                        return -EINVAL;
                }
                if (r < 0)
                        return r;
                p += len;
        }
}

int unit_policy_new(const char *protected_list, const char *controllable_list, UnitPolicy **ret, char **ret_error) {
        _cleanup_(unit_policy_freep) UnitPolicy *p = new0(UnitPolicy, 1);
        if (!p)
                return -ENOMEM;
        *ret_error = NULL;
        FOREACH_ELEMENT(d, protected_default) {
                int r = pattern_add(&p->protected, &p->n_protected, *d, strlen(*d));
                if (r < 0)
                        return r;
        }
        int r = patterns_parse("AIOS_SYSOPS_PROTECTED_UNITS", protected_list, &p->protected, &p->n_protected,
                ret_error);
        if (r < 0)
                return r;
        r = patterns_parse("AIOS_SYSOPS_CONTROLLABLE_UNITS", controllable_list, &p->controllable, &p->n_controllable,
                ret_error);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

int unit_policy_from_environment(UnitPolicy **ret) {
        _cleanup_free_ char *error = NULL;
        int r = unit_policy_new(getenv("AIOS_SYSOPS_PROTECTED_UNITS"), getenv("AIOS_SYSOPS_CONTROLLABLE_UNITS"), ret,
                &error);
        if (r < 0 && error)
                return log_error_errno(r, "%s. aios-sysopsd does not start with a list it cannot follow.", error);
        if (r < 0)
                return log_error_errno(r, "Failed to read the protected units: %m");
        return 0;
}

static bool name_matches(char *const *patterns, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (fnmatch(patterns[i], name, FNM_NOESCAPE) == 0)
                        return true;
        return false;
}

bool unit_policy_is_protected(const UnitPolicy *p, const char *name) {
        return name_matches(p->protected, p->n_protected, name);
}

bool unit_policy_is_controllable(const UnitPolicy *p, const char *name) {
        return !p->controllable || name_matches(p->controllable, p->n_controllable, name);
}

const char *unit_policy_refusal(const UnitPolicy *p, const char *typed, json_object *names, const char **ret_name) {
        size_t n = names && json_object_is_type(names, json_type_array) ? json_object_array_length(names) : 0;

        /* Protected under any of its names: an alias must not get past a pattern that names the unit. */
        if (typed && unit_policy_is_protected(p, typed)) {
                *ret_name = typed;
                return "is protected";
        }
        for (size_t i = 0; i < n; i++) {
                const char *name = json_object_get_string(json_object_array_get_idx(names, i));
                if (name && unit_policy_is_protected(p, name)) {
                        *ret_name = name;
                        return "is protected";
                }
        }

        /* Controllable under one of its names: the administrator may list the unit by an alias. */
        if (!p->controllable)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                const char *name = json_object_get_string(json_object_array_get_idx(names, i));
                if (name && unit_policy_is_controllable(p, name))
                        return NULL;
        }
        if (n == 0 && typed && unit_policy_is_controllable(p, typed))
                return NULL;
        *ret_name = n > 0 ? json_object_get_string(json_object_array_get_idx(names, 0)) : typed;
        return "is not among the units AIOS_SYSOPS_CONTROLLABLE_UNITS allows";
}

const char *unit_policy_changes_refusal(const UnitPolicy *p, json_object *changes, const char **ret_why) {
        size_t n = changes && json_object_is_type(changes, json_type_array) ? json_object_array_length(changes) : 0;
        for (size_t i = 0; i < n; i++) {
                json_object *change = json_object_array_get_idx(changes, i);
                const char *type = json_get_string(change, "type"), *file = json_get_string(change, "file");
                if (!file || !(streq_ptr(type, "symlink") || streq_ptr(type, "unlink")))
                        continue;
                const char *slash = strrchr(file, '/');
                const char *unit = slash ? slash + 1 : file;
                const char *name = NULL;
                const char *why = unit_policy_refusal(p, unit, NULL, &name);
                if (why) {
                        *ret_why = why;
                        return unit;
                }
        }
        return NULL;
}
