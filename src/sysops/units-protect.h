/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: which units system_unit_control may touch: the protected units, the allow-list, and the test of one
 * unit. */
#pragma once

#include <stdbool.h>

#include "json-util.h"
#include "macro.h"

#define UNIT_PATTERNS_MAX 1024

/* Globs over unit names (fnmatch(3) without escapes, case-sensitive as systemd's names are). */
typedef struct UnitPolicy {
        char **protected; /* the defaults, then $AIOS_SYSOPS_PROTECTED_UNITS */
        size_t n_protected;
        char **controllable; /* $AIOS_SYSOPS_CONTROLLABLE_UNITS; NULL: every unit that is not protected */
        size_t n_controllable;
} UnitPolicy;

UnitPolicy *unit_policy_free(UnitPolicy *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(UnitPolicy *, unit_policy_free);

/* The policy from the defaults and the two lists (space-separated globs, NULL or empty: none). A pattern
 * longer than a unit name or with characters no unit name has is refused: -EINVAL, with the pattern and the
 * reason in *ret_error (free it), so that a mistyped list stops the server instead of protecting less. */
int unit_policy_new(const char *protected_list, const char *controllable_list, UnitPolicy **ret, char **ret_error);

/* unit_policy_new() with $AIOS_SYSOPS_PROTECTED_UNITS and $AIOS_SYSOPS_CONTROLLABLE_UNITS; logs what is wrong. */
int unit_policy_from_environment(UnitPolicy **ret);

bool unit_policy_is_protected(const UnitPolicy *p, const char *name);
bool unit_policy_is_controllable(const UnitPolicy *p, const char *name);

/* Why system_unit_control may not touch the unit with these names (a JSON array of strings, systemd's Names,
 * which holds its Id and its aliases) or the name typed (may be NULL), or NULL when it may. The name that
 * decided goes to *ret_name. */
const char *unit_policy_refusal(const UnitPolicy *p, const char *typed, json_object *names, const char **ret_name);

/* What enable or disable changed (systemd's changes: an array of {type, file, destination}): the first unit
 * whose link was made or removed that the policy refuses (a link is for the unit its file is named after:
 * an Also= unit's, an Alias= name), or NULL; why in *ret_why. */
const char *unit_policy_changes_refusal(const UnitPolicy *p, json_object *changes, const char **ret_why);
