/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: the units an action would change, as systemd's transaction would, and whether the policy lets it. */
#pragma once

#include "units-internal.h"
#include "units-protect.h"

/* Bounds: a walk that reaches more units than this is refused rather than decided on half the graph. */
#define UNIT_WALK_MAX 4096

/* What a job does to a unit it reaches. */
typedef enum UnitRole {
        UNIT_ROLE_START,
        UNIT_ROLE_STOP,
        UNIT_ROLE_RELOAD,
        UNIT_ROLE_FILE, /* enable, disable: the unit file, no job */
        _UNIT_ROLE_MAX,
} UnitRole;

/* The Unit properties a walk needs (Properties.GetAll on org.freedesktop.systemd1.Unit, read by
 * sysops_properties_read()): names, state, and the dependencies systemd follows. */
extern const Property unit_walk_properties[];

typedef struct UnitWalk UnitWalk;

/* A walk for action on the unit as typed. The policy is borrowed. */
int unit_walk_new(const UnitPolicy *policy, UnitAction action, const char *unit, UnitWalk **ret);
UnitWalk *unit_walk_free(UnitWalk *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(UnitWalk *, unit_walk_free);

/* The next unit whose properties the walk needs (valid as long as the walk), or NULL when none is waiting to
 * be asked for. Each name is given once. */
const char *unit_walk_next(UnitWalk *w);

/* The properties of a unit unit_walk_next() gave, as sysops_properties_read() made them from unit_walk_properties
 * (borrowed; a reference is kept). Returns 0, or a negative errno. */
int unit_walk_add(UnitWalk *w, const char *name, json_object *properties);

/* Done: refused, or every unit it reached has been added. */
bool unit_walk_done(const UnitWalk *w);

/* Whether the action is refused. */
bool unit_walk_refused(const UnitWalk *w);

/* Why the action is refused (a sentence without the final period, to free), or NULL when it may go on
 * (or no answer yet). */
char *unit_walk_refusal(const UnitWalk *w);

/* The canonical name of the unit (systemd's Id), once its properties were added; else NULL. */
const char *unit_walk_id(const UnitWalk *w);

/* How many units the walk reached. */
size_t unit_walk_size(const UnitWalk *w);
