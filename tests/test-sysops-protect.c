/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* system_unit_control's refusals, decided over unit names and property sets as systemd would report them. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "test-util.h"
#include "units-protect.h"
#include "units-walk.h"

/* --- a graph of units as systemd would describe them ------------------------------------------------------ */

static json_object *graph;

static void graph_setup(void) {
        graph = json_object_new_object();
}

static void graph_teardown(void) {
        json_object_put(graph);
        graph = NULL;
}

/* Adds a unit: its active state, then key, value pairs where value is a space-separated list of units
 * ("wants", "a.service b.service"), ending with NULL. Its names are its id and the "names" given. */
static json_object *unit(const char *id, const char *active_state, ...) {
        json_object *u = json_object_new_object();
        ck_assert_int_ge(json_add_string(u, "id", id), 0);
        ck_assert_int_ge(json_add_string(u, "load_state", "loaded"), 0);
        ck_assert_int_ge(json_add_string(u, "active_state", active_state), 0);
        json_object *names = json_object_new_array();
        json_object_array_add(names, json_object_new_string(id));
        json_object_object_add(u, "names", names);
        va_list ap;
        va_start(ap, active_state);
        for (const char *key; (key = va_arg(ap, const char *));) {
                const char *list = va_arg(ap, const char *);
                json_object *a = streq(key, "names") ? names : json_object_new_array();
                char *copy = strdup(list);
                for (char *save = NULL, *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
                        json_object_array_add(a, json_object_new_string(t));
                free(copy);
                if (a != names)
                        json_object_object_add(u, key, a);
        }
        va_end(ap);
        json_object_object_add(graph, id, u);
        /* Every alias answers with the same unit, as systemd does. */
        for (size_t i = 1; i < json_object_array_length(names); i++)
                json_object_object_add(graph, json_object_get_string(json_object_array_get_idx(names, i)),
                        json_object_get(u));
        return u;
}

/* Runs a walk as units-control.c does, answering from the graph (a unit it does not hold: not found).
 * Returns the refusal (to free) or NULL when the action may go on. */
static char *decide(const char *protected_list, const char *controllable_list, UnitAction action, const char *name) {
        _cleanup_(unit_policy_freep) UnitPolicy *p = NULL;
        _cleanup_free_ char *error = NULL;
        ck_assert_int_eq(unit_policy_new(protected_list, controllable_list, &p, &error), 0);
        _cleanup_(unit_walk_freep) UnitWalk *w = NULL;
        ck_assert_int_eq(unit_walk_new(p, action, name, &w), 0);
        for (const char *next; (next = unit_walk_next(w));) {
                json_object *u = NULL;
                _cleanup_json_ json_object *unknown = NULL;
                if (!json_object_object_get_ex(graph, next, &u)) {
                        unknown = json_object_new_object();
                        json_add_string(unknown, "id", next);
                        json_add_string(unknown, "load_state", "not-found");
                        json_add_string(unknown, "active_state", "inactive");
                        u = unknown;
                }
                ck_assert_int_eq(unit_walk_add(w, next, u), 0);
        }
        ck_assert(unit_walk_done(w));
        char *why = unit_walk_refusal(w);
        ck_assert(!why == !unit_walk_refused(w));
        return why;
}

static void allowed(UnitAction action, const char *name) {
        _cleanup_free_ char *why = decide(NULL, NULL, action, name);
        ck_assert_msg(!why, "%s %s was refused: %s", unit_actions[action].name, name, why);
}

/* The action is refused, and the reason contains each of the texts given (NULL-terminated). */
static void refused_with(const char *protected_list, const char *controllable_list, UnitAction action, const char *name,
        ...) {
        _cleanup_free_ char *why = decide(protected_list, controllable_list, action, name);
        ck_assert_msg(why, "%s %s was allowed", unit_actions[action].name, name);
        va_list ap;
        va_start(ap, name);
        for (const char *text; (text = va_arg(ap, const char *));)
                ck_assert_msg(strstr(why, text), "%s %s: expected \"%s\" in \"%s\"", unit_actions[action].name, name,
                        text, why);
        va_end(ap);
}
#define refused(action, name, ...) refused_with(NULL, NULL, action, name, __VA_ARGS__, NULL)

static bool is_protected(const char *name) {
        _cleanup_(unit_policy_freep) UnitPolicy *p = NULL;
        _cleanup_free_ char *error = NULL;
        ck_assert_int_eq(unit_policy_new(NULL, NULL, &p, &error), 0);
        return unit_policy_is_protected(p, name);
}

/* --- the protected names ----------------------------------------------------------------------------------- */

static const char *const protected_by_default[] = {
        "debug-shell.service",
        "sleep.target",
        "suspend.target",
        "hibernate.target",
        "hybrid-sleep.target",
        "suspend-then-hibernate.target",
        "systemd-suspend.service",
        "rescue.target",
        "emergency.target",
        "halt.target",
        "kexec.target",
        "poweroff.target",
        "reboot.target",
        "factory-reset.target",
        "ctrl-alt-del.target",
        "default.target",
        "graphical.target",
        "multi-user.target",
        "systemd-reboot.service",
        "networking.service",
        "NetworkManager.service",
        "systemd-networkd.service",
        "systemd-resolved.service",
        "ssh.service",
        "ssh.socket",
        "sshd.service",
        "systemd-user-sessions.service",
        "getty@tty1.service",
        "getty@.service",
        "serial-getty@ttyS0.service",
        "user.slice",
        "user-1000.slice",
        "user@1000.service",
        "system.slice",
        "-.slice",
        "init.scope",
        "dbus.service",
        "dbus.socket",
        "systemd-journald.service",
        "systemd-logind.service",
        "polkit.service",
        "systemd-udevd.service",
        "aios-sysopsd.service",
        "aios-gatewayd.socket",
        "aios.target",
};

START_TEST(test_the_defaults_protect_what_reaches_and_runs_the_host) {
        FOREACH_ELEMENT(name, protected_by_default)
        ck_assert_msg(is_protected(*name), "%s is not protected", *name);
}
END_TEST

START_TEST(test_ordinary_units_are_not_protected) {
        static const char *const ordinary[] = {
                "cron.service",
                "nginx.service",
                "apt-daily.timer",
                "getty-static.service",
                "user-runtime.service",
                "x-.slice",
                "system-getty.slice",
                "my-dbus.service",
                "debug-shell.socket",
                "sshd-keygen.service",
        };
        FOREACH_ELEMENT(name, ordinary)
        ck_assert_msg(!is_protected(*name), "%s is protected", *name);
}
END_TEST

START_TEST(test_names_are_case_sensitive_as_systemd_is) {
        /* DBUS.service is another unit for systemd; were it an alias, its names would say so (below). */
        ck_assert(!is_protected("DBUS.service"));
        ck_assert(!is_protected("Debug-Shell.service"));
        ck_assert(is_protected("NetworkManager.service"));
        ck_assert(!is_protected("networkmanager.service"));
}
END_TEST

START_TEST(test_escaped_names_match_literally) {
        _cleanup_(unit_policy_freep) UnitPolicy *p = NULL;
        _cleanup_free_ char *error = NULL;
        ck_assert_int_eq(unit_policy_new("dev-disk-by\\x2dlabel-root.mount home-*\\x2d*.mount", NULL, &p, &error), 0);
        ck_assert(unit_policy_is_protected(p, "dev-disk-by\\x2dlabel-root.mount"));
        /* A backslash is not an escape in a pattern: "\x2d" is four characters, as in systemd's names. */
        ck_assert(!unit_policy_is_protected(p, "dev-disk-byx2dlabel-root.mount"));
        ck_assert(unit_policy_is_protected(p, "home-a\\x2db.mount"));
        ck_assert(!unit_policy_is_protected(p, "home-a-b.mount"));
}
END_TEST

START_TEST(test_templates_and_instances) {
        ck_assert(is_protected("getty@tty1.service"));
        ck_assert(is_protected("getty@.service"));
        ck_assert(is_protected("serial-getty@ttyS0.service"));
        ck_assert(is_protected("container-getty@1.service"));
        ck_assert(is_protected("user@0.service"));
        ck_assert(!is_protected("agetty@tty1.service"));
        ck_assert(!is_protected("getty@tty1.socket"));
}
END_TEST

/* --- the policy: added to, never taken from; refused loudly ----------------------------------------------- */

START_TEST(test_the_protected_list_adds_to_the_defaults) {
        _cleanup_(unit_policy_freep) UnitPolicy *p = NULL;
        _cleanup_free_ char *error = NULL;
        ck_assert_int_eq(unit_policy_new("nginx.service  cron.*", NULL, &p, &error), 0);
        ck_assert(unit_policy_is_protected(p, "nginx.service"));
        ck_assert(unit_policy_is_protected(p, "cron.timer"));
        ck_assert(unit_policy_is_protected(p, "dbus.service"));
        ck_assert(unit_policy_is_protected(p, "debug-shell.service"));
}
END_TEST

START_TEST(test_a_pattern_too_long_is_refused_not_dropped) {
        char pattern[300];
        memset(pattern, 'a', sizeof(pattern));
        memcpy(pattern + sizeof(pattern) - 9, ".service", 9);
        _cleanup_free_ char *list = NULL;
        ck_assert_int_ge(asprintf(&list, "nginx.service %s", pattern), 0);

        UnitPolicy *p = NULL;
        _cleanup_free_ char *error = NULL;
        ck_assert_int_eq(unit_policy_new(list, NULL, &p, &error), -EINVAL);
        ck_assert_ptr_null(p);
        ck_assert_msg(error && strstr(error, "AIOS_SYSOPS_PROTECTED_UNITS") && strstr(error, "longer than a unit name"),
                "%s", strempty(error));
        free(error);
        error = NULL;
        ck_assert_int_eq(unit_policy_new(NULL, list, &p, &error), -EINVAL);
        ck_assert_msg(error && strstr(error, "AIOS_SYSOPS_CONTROLLABLE_UNITS"), "%s", strempty(error));

        /* The environment is read the same way: the server does not start with it. */
        setenv("AIOS_SYSOPS_PROTECTED_UNITS", list, 1);
        ck_assert_int_lt(unit_policy_from_environment(&p), 0);
        unsetenv("AIOS_SYSOPS_PROTECTED_UNITS");
        ck_assert_int_eq(unit_policy_from_environment(&p), 0);
        p = unit_policy_free(p);
}
END_TEST

START_TEST(test_a_pattern_with_foreign_characters_is_refused) {
        UnitPolicy *p = NULL;
        _cleanup_free_ char *error = NULL;
        ck_assert_int_eq(unit_policy_new("nginx.service;rm", NULL, &p, &error), -EINVAL);
        ck_assert_msg(error && strstr(error, "nginx.service;rm"), "%s", strempty(error));
}
END_TEST

/* --- the unit acted on ---------------------------------------------------------------------------------- */

START_TEST(test_every_action_on_a_protected_unit_is_refused) {
        unit("debug-shell.service", "inactive", NULL);
        unit("dbus.service", "active", NULL);
        for (UnitAction a = ACTION_START; a <= ACTION_DISABLE; a++) {
                refused(a, "debug-shell.service", "debug-shell.service is protected");
                refused(a, "dbus.service", "dbus.service is protected");
        }
}
END_TEST

START_TEST(test_an_alias_does_not_get_past_a_protected_name) {
        /* sshd.service is ssh.service's alias on Debian; an administrator's alias of dbus.service too. */
        unit("ssh.service", "active", "names", "sshd.service", NULL);
        unit("dbus.service", "active", "names", "my-bus.service", NULL);
        for (UnitAction a = ACTION_START; a <= ACTION_DISABLE; a++)
                refused(a, "my-bus.service", "dbus.service is protected");
        refused(ACTION_STOP, "sshd.service", "is protected");

        /* An alias whose case differs from the protected name's is caught by the unit's names. */
        unit("polkit.service", "active", "names", "Polkit.service", NULL);
        refused(ACTION_STOP, "Polkit.service", "polkit.service is protected");
}
END_TEST

START_TEST(test_ordinary_units_may_be_controlled) {
        unit("nginx.service", "active", "required_by", "multi-user.target", "requires", "sysinit.target", NULL);
        unit("multi-user.target", "active", NULL);
        unit("sysinit.target", "active", NULL);
        unit("cron.service", "inactive", "wants", "sysinit.target", NULL);
        for (UnitAction a = ACTION_START; a <= ACTION_DISABLE; a++)
                if (a != ACTION_STOP && a != ACTION_RESTART)
                        allowed(a, "nginx.service");
        allowed(ACTION_START, "cron.service");
        allowed(ACTION_ENABLE, "cron.service");
        refused(ACTION_STOP, "nginx.service", "would stop multi-user.target");
}
END_TEST

START_TEST(test_the_canonical_id_is_the_units_own) {
        unit("nginx.service", "active", "names", "web.service", NULL);
        _cleanup_(unit_policy_freep) UnitPolicy *p = NULL;
        _cleanup_free_ char *error = NULL;
        ck_assert_int_eq(unit_policy_new(NULL, NULL, &p, &error), 0);
        _cleanup_(unit_walk_freep) UnitWalk *w = NULL;
        ck_assert_int_eq(unit_walk_new(p, ACTION_RELOAD, "web.service", &w), 0);
        const char *next = unit_walk_next(w);
        ck_assert_str_eq(next, "web.service");
        ck_assert_ptr_null(unit_walk_id(w));
        ck_assert_int_eq(unit_walk_add(w, next, json_get_object(graph, next)), 0);
        ck_assert_ptr_null(unit_walk_next(w));
        ck_assert(unit_walk_done(w));
        ck_assert(!unit_walk_refused(w));
        ck_assert_str_eq(unit_walk_id(w), "nginx.service");
}
END_TEST

/* --- what stopping would stop ----------------------------------------------------------------------------- */

START_TEST(test_stop_follows_what_requires_binds_and_is_part_of_the_unit) {
        unit("libfoo.service", "active", "required_by", "app.service", NULL);
        unit("app.service", "active", "bound_by", "helper.service", NULL);
        unit("helper.service", "active", "consists_of", "NetworkManager.service", NULL);
        unit("NetworkManager.service", "active", NULL);
        refused(ACTION_STOP, "libfoo.service", "would stop NetworkManager.service", "helper.service", "app.service",
                "is protected");
        refused(ACTION_RESTART, "libfoo.service", "NetworkManager.service");
}
END_TEST

START_TEST(test_stop_follows_propagates_stop_to_and_requisite_of) {
        unit("a.service", "active", "propagates_stop_to", "ssh.socket", NULL);
        unit("ssh.socket", "active", NULL);
        unit("b.service", "active", "requisite_of", "systemd-user-sessions.service", NULL);
        unit("systemd-user-sessions.service", "active", NULL);
        refused(ACTION_STOP, "a.service", "would stop ssh.socket");
        refused(ACTION_STOP, "b.service", "would stop systemd-user-sessions.service");
}
END_TEST

START_TEST(test_stop_leaves_alone_what_is_not_running) {
        unit("a.service", "active", "required_by", "debug-shell.service rescue.service", NULL);
        unit("debug-shell.service", "inactive", NULL);
        unit("rescue.service", "failed", NULL);
        allowed(ACTION_STOP, "a.service");
}
END_TEST

START_TEST(test_stop_goes_through_units_that_are_not_running) {
        /* systemd adds the stop jobs whatever the state of the unit in between. */
        unit("a.service", "active", "required_by", "b.service", NULL);
        unit("b.service", "inactive", "bound_by", "user@1000.service", NULL);
        unit("user@1000.service", "active", NULL);
        refused(ACTION_STOP, "a.service", "would stop user@1000.service", "b.service");
}
END_TEST

START_TEST(test_stopping_a_slice_is_refused) {
        unit("system.slice", "active", NULL);
        unit("user-1000.slice", "active", NULL);
        unit("-.slice", "active", NULL);
        refused(ACTION_STOP, "system.slice", "system.slice is protected");
        refused(ACTION_STOP, "user-1000.slice", "is protected");
        refused(ACTION_STOP, "-.slice", "-.slice is protected");
}
END_TEST

/* --- what starting would start or stop ------------------------------------------------------------------- */

START_TEST(test_start_follows_what_the_unit_pulls_in) {
        unit("a.service", "inactive", "wants", "b.target", NULL);
        unit("b.target", "inactive", "requires", "debug-shell.service", NULL);
        unit("debug-shell.service", "inactive", NULL);
        refused(ACTION_START, "a.service", "would start debug-shell.service", "b.target");
        refused(ACTION_RESTART, "a.service", "would start debug-shell.service");

        unit("c.service", "inactive", "binds_to", "rescue.target", NULL);
        unit("rescue.target", "inactive", NULL);
        refused(ACTION_START, "c.service", "would start rescue.target");
        unit("d.service", "inactive", "upholds", "suspend.target", NULL);
        unit("suspend.target", "inactive", NULL);
        refused(ACTION_START, "d.service", "would start suspend.target");
}
END_TEST

START_TEST(test_start_goes_through_units_already_running) {
        unit("a.service", "inactive", "requires", "basic.target", NULL);
        unit("basic.target", "active", "wants", "emergency.service", NULL);
        unit("emergency.service", "inactive", NULL);
        refused(ACTION_START, "a.service", "would start emergency.service", "basic.target");
}
END_TEST

START_TEST(test_start_leaves_alone_what_runs_or_cannot_start) {
        unit("a.service", "inactive", "requires", "dbus.service sysinit.target", "wants",
                "systemd-udevd.service ghost.service", NULL);
        unit("dbus.service", "active", NULL);
        unit("sysinit.target", "active", NULL);
        /* In a container udevd's condition failed: systemd skips it again. */
        json_object *udevd = unit("systemd-udevd.service", "inactive", NULL);
        json_object_object_add(udevd, "condition_result", json_object_new_boolean(false));
        json_add_string(udevd, "condition_timestamp", "2026-01-01T00:00:00Z");
        allowed(ACTION_START, "a.service");

        /* A condition never checked is no excuse. */
        unit("b.service", "inactive", "wants", "systemd-logind.service", NULL);
        json_object *logind = unit("systemd-logind.service", "inactive", NULL);
        json_object_object_add(logind, "condition_result", json_object_new_boolean(false));
        refused(ACTION_START, "b.service", "would start systemd-logind.service");
}
END_TEST

START_TEST(test_start_stops_what_conflicts) {
        unit("a.service", "inactive", "conflicts", "ssh.service", NULL);
        unit("ssh.service", "active", NULL);
        refused(ACTION_START, "a.service", "would stop ssh.service");

        unit("b.service", "inactive", "conflicted_by", "c.service", NULL);
        unit("c.service", "active", "required_by", "getty@tty1.service", NULL);
        unit("getty@tty1.service", "active", NULL);
        refused(ACTION_START, "b.service", "would stop getty@tty1.service", "c.service");

        /* Every service conflicts with shutdown.target, which does not run. */
        unit("d.service", "inactive", "conflicts", "shutdown.target", NULL);
        unit("shutdown.target", "inactive", NULL);
        allowed(ACTION_START, "d.service");
}
END_TEST

START_TEST(test_what_a_unit_does_when_it_ends_is_followed) {
        /* OnFailure=rescue.target: the unit's failure would isolate the system. */
        unit("a.service", "inactive", "on_failure", "rescue.target", NULL);
        unit("rescue.target", "inactive", NULL);
        refused(ACTION_START, "a.service", "would start rescue.target");
        unit("b.service", "active", "on_success", "b-report.service", NULL);
        unit("b-report.service", "inactive", "wants", "debug-shell.service", NULL);
        unit("debug-shell.service", "inactive", NULL);
        refused(ACTION_STOP, "b.service", "would start debug-shell.service", "b-report.service");

        /* Emergency actions reboot or power off without any target. */
        json_object *c = unit("c.service", "inactive", NULL);
        json_add_string(c, "failure_action", "reboot");
        refused(ACTION_START, "c.service", "c.service has a FailureAction=");
        json_object *d = unit("d.service", "active", NULL);
        json_add_string(d, "success_action", "poweroff-force");
        refused(ACTION_STOP, "d.service", "has a SuccessAction=");
        unit("e.service", "inactive", "requires", "f.service", NULL);
        json_object *f = unit("f.service", "inactive", NULL);
        json_add_string(f, "start_limit_action", "reboot-force");
        refused(ACTION_START, "e.service", "would start f.service", "StartLimitAction=");

        /* "none", and a unit that stays as it is, are no reason. */
        json_object *g = unit("g.service", "inactive", "on_failure", "rescue.target", NULL);
        json_add_string(g, "failure_action", "none");
        json_add_string(g, "job_timeout_action", "none");
        unit("h.service", "inactive", "wants", "g.service", NULL);
        json_add_string(json_get_object(graph, "g.service"), "active_state", "active");
        allowed(ACTION_START, "h.service");
        allowed(ACTION_RELOAD, "g.service");
}
END_TEST

START_TEST(test_reload_follows_propagates_reload_to) {
        unit("a.service", "active", "propagates_reload_to", "sshd.service", NULL);
        unit("ssh.service", "active", "names", "sshd.service", NULL);
        refused(ACTION_RELOAD, "a.service", "would reload sshd.service (ssh.service)", "which is protected");
}
END_TEST

START_TEST(test_cycles_end) {
        unit("a.service", "inactive", "requires", "b.service", "required_by", "b.service", NULL);
        unit("b.service", "inactive", "requires", "a.service", "required_by", "a.service", NULL);
        allowed(ACTION_RESTART, "a.service");
}
END_TEST

START_TEST(test_a_walk_too_large_is_refused) {
        char name[64], next[64];
        for (unsigned i = 0; i <= UNIT_WALK_MAX; i++) {
                snprintf(name, sizeof(name), "u%u.service", i);
                snprintf(next, sizeof(next), "u%u.service", i + 1);
                unit(name, "inactive", "wants", next, NULL);
        }
        refused(ACTION_START, "u0.service", "more than");
}
END_TEST

/* --- the allow-list --------------------------------------------------------------------------------------- */

START_TEST(test_nothing_outside_the_allow_list_is_touched) {
        const char *allow = "app.service app-*.timer";
        unit("app.service", "inactive", "requires", "sysinit.target", "wants", "app-cleanup.timer", NULL);
        unit("sysinit.target", "active", NULL);
        unit("app-cleanup.timer", "inactive", NULL);
        _cleanup_free_ char *why = decide(NULL, allow, ACTION_START, "app.service");
        ck_assert_msg(!why, "%s", why);

        unit("other.service", "inactive", NULL);
        refused_with(NULL, allow, ACTION_START, "other.service", "other.service is not among", NULL);
        refused_with(NULL, allow, ACTION_ENABLE, "other.service", "AIOS_SYSOPS_CONTROLLABLE_UNITS", NULL);

        unit("app2.service", "inactive", NULL);
        unit("web.service", "inactive", "wants", "app2.service", NULL);
        refused_with(NULL, "web.service", ACTION_START, "web.service", "would start app2.service", "not among", NULL);
        /* Listed under an alias, the unit is allowed. */
        unit("real.service", "inactive", "names", "alias.service", NULL);
        free(why);
        why = decide(NULL, "alias.service", ACTION_START, "real.service");
        ck_assert_msg(!why, "%s", why);
        /* The protected units stay protected even when listed. */
        unit("dbus.service", "active", NULL);
        refused_with(NULL, "dbus.service", ACTION_RESTART, "dbus.service", "is protected", NULL);
}
END_TEST

/* --- enable and disable: what the [Install] section reached -------------------------------------------------- */

static json_object *changes(const char *type, const char *file, const char *destination) {
        json_object *a = json_object_new_array(), *c = json_object_new_object();
        json_add_string(c, "type", type);
        json_add_string(c, "file", file);
        if (destination)
                json_add_string(c, "destination", destination);
        json_object_array_add(a, c);
        return a;
}

START_TEST(test_enable_reaching_a_protected_unit_is_refused) {
        _cleanup_(unit_policy_freep) UnitPolicy *p = NULL;
        _cleanup_free_ char *error = NULL;
        ck_assert_int_eq(unit_policy_new(NULL, NULL, &p, &error), 0);
        const char *why = NULL;

        /* The unit's own link in a target's .wants: fine, even for a protected target. */
        _cleanup_json_ json_object *own = changes("symlink", "/etc/systemd/system/multi-user.target.wants/app.service",
                "/etc/systemd/system/app.service");
        ck_assert_ptr_null(unit_policy_changes_refusal(p, own, &why));
        /* Also=debug-shell.service in its [Install]. */
        _cleanup_json_ json_object *also =
                changes("symlink", "/etc/systemd/system/getty.target.wants/debug-shell.service",
                        "/lib/systemd/system/debug-shell.service");
        ck_assert_str_eq(unit_policy_changes_refusal(p, also, &why), "debug-shell.service");
        ck_assert_str_eq(why, "is protected");
        /* Alias=dbus.service in its [Install]: the unit would take dbus.service's name. */
        _cleanup_json_ json_object *alias =
                changes("symlink", "/etc/systemd/system/dbus.service", "/etc/systemd/system/app.service");
        ck_assert_str_eq(unit_policy_changes_refusal(p, alias, &why), "dbus.service");
        /* Disable with Also=ssh.service. */
        _cleanup_json_ json_object *unlink =
                changes("unlink", "/etc/systemd/system/multi-user.target.wants/ssh.service", NULL);
        ck_assert_str_eq(unit_policy_changes_refusal(p, unlink, &why), "ssh.service");

        /* And with an allow-list, a unit outside it. */
        _cleanup_(unit_policy_freep) UnitPolicy *allow = NULL;
        free(error);
        error = NULL;
        ck_assert_int_eq(unit_policy_new(NULL, "app.service", &allow, &error), 0);
        ck_assert_ptr_null(unit_policy_changes_refusal(allow, own, &why));
        _cleanup_json_ json_object *other = changes("symlink", "/etc/systemd/system/timers.target.wants/other.timer",
                "/lib/systemd/system/other.timer");
        ck_assert_str_eq(unit_policy_changes_refusal(allow, other, &why), "other.timer");
}
END_TEST

static Suite *protect_suite(void) {
        Suite *s = suite_create("sysops-protect");
        TCase *tc = tcase_create("names");
        tcase_add_test(tc, test_the_defaults_protect_what_reaches_and_runs_the_host);
        tcase_add_test(tc, test_ordinary_units_are_not_protected);
        tcase_add_test(tc, test_names_are_case_sensitive_as_systemd_is);
        tcase_add_test(tc, test_escaped_names_match_literally);
        tcase_add_test(tc, test_templates_and_instances);
        tcase_add_test(tc, test_the_protected_list_adds_to_the_defaults);
        tcase_add_test(tc, test_a_pattern_too_long_is_refused_not_dropped);
        tcase_add_test(tc, test_a_pattern_with_foreign_characters_is_refused);
        suite_add_tcase(s, tc);

        tc = tcase_create("walk");
        tcase_add_checked_fixture(tc, graph_setup, graph_teardown);
        tcase_add_test(tc, test_every_action_on_a_protected_unit_is_refused);
        tcase_add_test(tc, test_an_alias_does_not_get_past_a_protected_name);
        tcase_add_test(tc, test_ordinary_units_may_be_controlled);
        tcase_add_test(tc, test_the_canonical_id_is_the_units_own);
        tcase_add_test(tc, test_stop_follows_what_requires_binds_and_is_part_of_the_unit);
        tcase_add_test(tc, test_stop_follows_propagates_stop_to_and_requisite_of);
        tcase_add_test(tc, test_stop_leaves_alone_what_is_not_running);
        tcase_add_test(tc, test_stop_goes_through_units_that_are_not_running);
        tcase_add_test(tc, test_stopping_a_slice_is_refused);
        tcase_add_test(tc, test_start_follows_what_the_unit_pulls_in);
        tcase_add_test(tc, test_start_goes_through_units_already_running);
        tcase_add_test(tc, test_start_leaves_alone_what_runs_or_cannot_start);
        tcase_add_test(tc, test_start_stops_what_conflicts);
        tcase_add_test(tc, test_what_a_unit_does_when_it_ends_is_followed);
        tcase_add_test(tc, test_reload_follows_propagates_reload_to);
        tcase_add_test(tc, test_cycles_end);
        tcase_add_test(tc, test_a_walk_too_large_is_refused);
        tcase_add_test(tc, test_nothing_outside_the_allow_list_is_touched);
        tcase_add_test(tc, test_enable_reaching_a_protected_unit_is_refused);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_run_suite(protect_suite());
}
