/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: the units an action would change, as systemd's transaction would, and whether the policy lets it. */
#include <stdio.h>
#include <stdlib.h>

#include "hashmap.h"
#include "units-walk.h"

const Property unit_walk_properties[] = { { "Id", "id" }, { "Names", "names" }, { "LoadState", "load_state" },
        { "ActiveState", "active_state" }, { "ConditionResult", "condition_result" },
        { "ConditionTimestamp", "condition_timestamp", PROPERTY_TIMESTAMP }, { "Requires", "requires" },
        { "Wants", "wants" }, { "BindsTo", "binds_to" }, { "Upholds", "upholds" }, { "Conflicts", "conflicts" },
        { "ConflictedBy", "conflicted_by" }, { "RequiredBy", "required_by" }, { "RequisiteOf", "requisite_of" },
        { "BoundBy", "bound_by" }, { "ConsistsOf", "consists_of" }, { "PropagatesStopTo", "propagates_stop_to" },
        { "PropagatesReloadTo", "propagates_reload_to" }, { "OnFailure", "on_failure" }, { "OnSuccess", "on_success" },
        { "FailureAction", "failure_action" }, { "SuccessAction", "success_action" },
        { "StartLimitAction", "start_limit_action" }, { "JobTimeoutAction", "job_timeout_action" }, {} };

/* What a job of each role adds for the units it depends on, as systemd's transaction does
 * (transaction_add_job_and_dependencies()): a start starts what the unit requires, wants, is bound to and
 * upholds, and stops what it conflicts with; a stop stops what requires it, is bound to it, is part of it or
 * takes its stop (PropagatesStopTo=); a reload reloads what takes its reloads. systemd adds these jobs whatever
 * the state of the unit in between, so the walk goes through every unit, changed or not. */
typedef struct Edge {
        const char *key;
        UnitRole role;
} Edge;

static const Edge start_edges[] = {
        { "requires", UNIT_ROLE_START },
        { "wants", UNIT_ROLE_START },
        { "binds_to", UNIT_ROLE_START },
        { "upholds", UNIT_ROLE_START },
        { "conflicts", UNIT_ROLE_STOP },
        { "conflicted_by", UNIT_ROLE_STOP },
        {},
};
static const Edge stop_edges[] = {
        { "required_by", UNIT_ROLE_STOP },
        { "requisite_of", UNIT_ROLE_STOP },
        { "bound_by", UNIT_ROLE_STOP },
        { "consists_of", UNIT_ROLE_STOP },
        { "propagates_stop_to", UNIT_ROLE_STOP },
        {},
};
static const Edge reload_edges[] = { { "propagates_reload_to", UNIT_ROLE_RELOAD }, {} };
/* A unit that starts or stops runs, and ends: what it starts when it fails or succeeds comes with it. */
static const Edge ending_edges[] = { { "on_failure", UNIT_ROLE_START }, { "on_success", UNIT_ROLE_START }, {} };
static const Edge file_edges[] = { {} };
static const Edge *const edges_of[_UNIT_ROLE_MAX] = {
        [UNIT_ROLE_START] = start_edges,
        [UNIT_ROLE_STOP] = stop_edges,
        [UNIT_ROLE_RELOAD] = reload_edges,
        [UNIT_ROLE_FILE] = file_edges,
};

static const char *const role_verb[_UNIT_ROLE_MAX] = {
        [UNIT_ROLE_START] = "start",
        [UNIT_ROLE_STOP] = "stop",
        [UNIT_ROLE_RELOAD] = "reload",
        [UNIT_ROLE_FILE] = "change the unit file of",
};

typedef struct WalkNode WalkNode;
struct WalkNode {
        char *name;
        json_object *properties;          /* NULL until added */
        unsigned roles;                   /* the roles it was reached in (1 << UnitRole) */
        unsigned applied;                 /* the roles whose dependencies were followed */
        WalkNode *parent[_UNIT_ROLE_MAX]; /* the unit each role came from; NULL for the unit acted on */
        bool asked;
};

struct UnitWalk {
        const UnitPolicy *policy;
        UnitAction action;
        Hashmap *by_name;
        WalkNode **nodes; /* in the order reached: the first is the unit acted on */
        size_t n_nodes, n_allocated, next_ask;
        /* the refusal */
        const char *why;
        WalkNode *in_the_way;
        UnitRole in_the_way_role;
        const char *in_the_way_name;
        bool too_many;
};

UnitWalk *unit_walk_free(UnitWalk *w) {
        if (!w)
                return NULL;
        for (size_t i = 0; i < w->n_nodes; i++) {
                json_object_put(w->nodes[i]->properties);
                free(w->nodes[i]->name);
                free(w->nodes[i]);
        }
        free(w->nodes);
        hashmap_free(w->by_name);
        free(w);
        return NULL;
}

/* The emergency actions a unit can take when it ends, fails, restarts too often or its job times out
 * (reboot, poweroff, exit, kexec, ...): what the protected targets are protected from, without a target. */
static const char *emergency_action(json_object *properties) {
        static const struct {
                const char *key, *why;
        } actions[] = {
                { "failure_action", "has a FailureAction=, which reboots, powers off or exits the system" },
                { "success_action", "has a SuccessAction=, which reboots, powers off or exits the system" },
                { "start_limit_action", "has a StartLimitAction=, which reboots, powers off or exits the system" },
                { "job_timeout_action", "has a JobTimeoutAction=, which reboots, powers off or exits the system" },
        };
        FOREACH_ELEMENT(a, actions) {
                const char *value = json_get_string(properties, a->key);
                if (!isempty(value) && !streq(value, "none"))
                        return a->why;
        }
        return NULL;
}

/* Whether a job of role would change the unit: starting what is not running (and whose conditions did not
 * already fail: systemd would skip it again), stopping or reloading what runs. The file of the unit acted on
 * always changes. */
static bool role_changes(UnitRole role, json_object *properties) {
        const char *state = json_get_string(properties, "active_state");
        bool running = state &&
                (streq(state, "active") || streq(state, "reloading") || streq(state, "activating") ||
                        streq(state, "deactivating"));
        switch (role) {
        case UNIT_ROLE_START: {
                if (running && !streq(state, "deactivating"))
                        return false;
                if (streq_ptr(json_get_string(properties, "load_state"), "not-found") ||
                        streq_ptr(json_get_string(properties, "load_state"), "masked"))
                        return false; /* systemd cannot start it */
                json_object *condition = NULL;
                bool condition_failed = json_object_object_get_ex(properties, "condition_result", &condition) &&
                        condition && !json_object_get_boolean(condition) &&
                        json_get_string(properties, "condition_timestamp");
                return !condition_failed;
        }
        case UNIT_ROLE_STOP:
        case UNIT_ROLE_RELOAD:
                return running;
        default:
                return true;
        }
}

static void refuse(UnitWalk *w, WalkNode *node, UnitRole role, const char *why, const char *name) {
        if (w->why)
                return;
        w->why = why;
        w->in_the_way = node;
        w->in_the_way_role = role;
        w->in_the_way_name = name;
}

/* The node for name, made when it is new; the role is added to those it was reached in. */
static int reach(UnitWalk *w, const char *name, UnitRole role, WalkNode *parent, WalkNode **ret) {
        WalkNode *node = hashmap_get(w->by_name, name);
        if (!node) {
                if (w->n_nodes >= UNIT_WALK_MAX) {
                        w->too_many = true;
                        refuse(w, parent, role, "it would reach more units than aios-sysopsd checks", name);
                        return 0;
                }
                if (w->n_nodes == w->n_allocated) {
                        size_t n = MAX(w->n_allocated * 2, (size_t) 64);
                        WalkNode **a = realloc(w->nodes, n * sizeof(WalkNode *));
                        if (!a)
                                return -ENOMEM;
                        w->nodes = a;
                        w->n_allocated = n;
                }
                node = new0(WalkNode, 1);
                if (!node)
                        return -ENOMEM;
                node->name = strdup(name);
                if (!node->name || hashmap_put(w->by_name, node->name, node) < 0) {
                        free(node->name);
                        free(node);
                        return -ENOMEM;
                }
                w->nodes[w->n_nodes++] = node;
        }
        if (!(node->roles & (1U << role))) {
                node->roles |= 1U << role;
                node->parent[role] = parent;
        }
        if (ret)
                *ret = node;
        return 0;
}

/* Decides on node in each role it was reached in and not yet looked at, and reaches what those roles add. */
static int apply(UnitWalk *w, WalkNode *node) {
        if (!node->properties)
                return 0;
        for (UnitRole role = 0; role < _UNIT_ROLE_MAX && !w->why; role++) {
                if (!(node->roles & (1U << role)) || (node->applied & (1U << role)))
                        continue;
                node->applied |= 1U << role;

                bool root = node == w->nodes[0];
                bool changes = role_changes(role, node->properties);
                if (root || changes) {
                        const char *name = NULL;
                        const char *why = unit_policy_refusal(w->policy, root ? node->name : NULL,
                                json_get_array(node->properties, "names"), &name);
                        if (why) {
                                refuse(w, node, role, why, name);
                                return 0;
                        }
                }
                bool ends = changes && (role == UNIT_ROLE_START || role == UNIT_ROLE_STOP);
                const char *action = ends ? emergency_action(node->properties) : NULL;
                if (action) {
                        refuse(w, node, role, action, node->name);
                        return 0;
                }

                const Edge *const lists[] = { edges_of[role], ends ? ending_edges : file_edges };
                FOREACH_ELEMENT(list, lists) {
                        for (const Edge *e = *list; e->key; e++) {
                                json_object *deps = json_get_array(node->properties, e->key);
                                size_t n = deps ? json_object_array_length(deps) : 0;
                                for (size_t i = 0; i < n && !w->why; i++) {
                                        const char *dep = json_object_get_string(json_object_array_get_idx(deps, i));
                                        if (!dep)
                                                continue;
                                        WalkNode *d = NULL;
                                        int r = reach(w, dep, e->role, node, &d);
                                        if (r < 0)
                                                return r;
                                        /* Already known: decide on it in its new role now. */
                                        if (d && d->properties && (r = apply(w, d)) < 0)
                                                return r;
                                }
                        }
                }
        }
        return 0;
}

int unit_walk_new(const UnitPolicy *policy, UnitAction action, const char *unit, UnitWalk **ret) {
        _cleanup_(unit_walk_freep) UnitWalk *w = new0(UnitWalk, 1);
        if (!w)
                return -ENOMEM;
        w->policy = policy;
        w->action = action;
        w->by_name = hashmap_new();
        if (!w->by_name)
                return -ENOMEM;

        static const unsigned roles_of[] = {
                [ACTION_START] = 1U << UNIT_ROLE_START,
                [ACTION_STOP] = 1U << UNIT_ROLE_STOP,
                [ACTION_RESTART] = (1U << UNIT_ROLE_STOP) | (1U << UNIT_ROLE_START),
                [ACTION_RELOAD] = 1U << UNIT_ROLE_RELOAD,
                [ACTION_ENABLE] = 1U << UNIT_ROLE_FILE,
                [ACTION_DISABLE] = 1U << UNIT_ROLE_FILE,
        };
        for (UnitRole role = 0; role < _UNIT_ROLE_MAX; role++)
                if (roles_of[action] & (1U << role)) {
                        int r = reach(w, unit, role, NULL, NULL);
                        if (r < 0)
                                return r;
                }

        /* A protected name as typed is refused before systemd is asked anything. (The allow-list waits for the
         * unit's names: an administrator may list it by an alias.) */
        if (unit_policy_is_protected(policy, unit))
                refuse(w, w->nodes[0], (UnitRole) __builtin_ctz(w->nodes[0]->roles), "is protected", w->nodes[0]->name);
        *ret = TAKE_PTR(w);
        return 0;
}

const char *unit_walk_next(UnitWalk *w) {
        if (w->why)
                return NULL;
        while (w->next_ask < w->n_nodes) {
                WalkNode *node = w->nodes[w->next_ask++];
                if (!node->asked) {
                        node->asked = true;
                        return node->name;
                }
        }
        return NULL;
}

int unit_walk_add(UnitWalk *w, const char *name, json_object *properties) {
        WalkNode *node = hashmap_get(w->by_name, name);
        if (!node || node->properties)
                return -EINVAL;
        node->properties = json_object_get(properties);
        return apply(w, node);
}

bool unit_walk_done(const UnitWalk *w) {
        if (w->why)
                return true;
        for (size_t i = 0; i < w->n_nodes; i++)
                if (!w->nodes[i]->properties)
                        return false;
        return true;
}

bool unit_walk_refused(const UnitWalk *w) {
        return w->why;
}

const char *unit_walk_id(const UnitWalk *w) {
        return w->n_nodes > 0 ? json_get_string(w->nodes[0]->properties, "id") : NULL;
}

size_t unit_walk_size(const UnitWalk *w) {
        return w->n_nodes;
}

char *unit_walk_refusal(const UnitWalk *w) {
        if (!w->why)
                return NULL;
        char *text = NULL;
        const WalkNode *node = w->in_the_way;
        if (w->too_many) {
                if (asprintf(&text, "it would reach more than %u units (%s and more), more than aios-sysopsd checks",
                            UNIT_WALK_MAX, w->in_the_way_name) < 0)
                        return NULL;
                return text;
        }
        if (node == w->nodes[0]) {
                if (asprintf(&text, "%s %s", w->in_the_way_name, w->why) < 0)
                        return NULL;
                return text;
        }

        /* The way from the unit acted on to the one in the way, as far back as it goes (a few steps are enough
         * to see why): "would stop dbus.service (through a.service, b.target)". */
        const char *way[8];
        size_t n_way = 0;
        UnitRole role = w->in_the_way_role;
        for (const WalkNode *p = node->parent[role]; p && p != w->nodes[0] && n_way < ELEMENTSOF(way);) {
                way[n_way++] = p->name;
                /* The role p was reached in that led here: the same when it has it, else any it has. */
                role = (p->roles & (1U << role)) ? role : (UnitRole) __builtin_ctz(p->roles);
                p = p->parent[role];
        }
        char path[1024] = "";
        size_t o = 0;
        for (size_t i = n_way; i > 0; i--) {
                int k = snprintf(path + o, sizeof(path) - o, "%s%s", o ? ", " : "", way[i - 1]);
                if (k < 0 || (size_t) k >= sizeof(path) - o)
                        break;
                o += (size_t) k;
        }
        bool alias = !streq(node->name, w->in_the_way_name);
        if (asprintf(&text, "it would %s %s%s%s%s%s%s%s, which %s", role_verb[w->in_the_way_role], node->name,
                    alias ? " (" : "", alias ? w->in_the_way_name : "", alias ? ")" : "", o ? " through " : "", path,
                    "", w->why) < 0)
                return NULL;
        return text;
}
