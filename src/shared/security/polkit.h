/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Asks polkit, asynchronously over sd-bus, whether a bus peer may do an action; remembers answers briefly. */
#pragma once

#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "macro.h"

typedef struct PolkitAuthority PolkitAuthority;

/* How long an answer is reused for the same peer, action and details. polkit's Changed signal (new rules,
 * new policy) forgets every answer at once. */
#define POLKIT_CACHE_USEC (5 * USEC_PER_SEC)

/* allowed: 1 yes, 0 no, or a negative errno when polkit could not be asked. */
typedef void (*PolkitDone)(int allowed, void *userdata);

int polkit_authority_new(PolkitAuthority **ret, sd_bus *bus);
PolkitAuthority *polkit_authority_free(PolkitAuthority *a);
DEFINE_TRIVIAL_CLEANUP_FUNC(PolkitAuthority *, polkit_authority_free);

/* Checks action for the bus peer sender (a unique name), with details (NULL-terminated key, value pairs,
 * may be NULL). interactive lets polkit ask an authentication agent. done is called exactly once, possibly
 * before this returns (a remembered answer). Returns 0 or a negative errno (then done is not called). */
int polkit_check(PolkitAuthority *a, const char *sender, const char *action, const char *const *details,
        bool interactive, PolkitDone done, void *userdata);

/* The same for a process (a front end's local client, identified by its peer credentials): polkitd decides
 * as it would for that process itself (its user, its session). Only a caller that owns the action
 * (org.freedesktop.policykit.owner) or root may ask about another process. */
int polkit_check_process(PolkitAuthority *a, pid_t pid, uid_t uid, const char *action, const char *const *details,
        bool interactive, PolkitDone done, void *userdata);

/* How many checks went to polkitd, and how many were answered from memory. */
void polkit_authority_stats(PolkitAuthority *a, uint64_t *ret_asked, uint64_t *ret_remembered);
