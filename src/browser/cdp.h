/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A DevTools protocol connection over two pipes, on the event loop: commands with their replies, events. */
#pragma once

#include <systemd/sd-event.h>

#include "json-util.h"

typedef struct Cdp Cdp;

/* A command's answer: result (borrowed) or, when it failed, error is a sentence (the browser's message, or
 * that the browser went away or did not answer in time). */
typedef void (*CdpReplyHandler)(Cdp *c, json_object *result, const char *error, void *userdata);

typedef struct CdpOps {
        /* An event; session_id is NULL for the browser's own. params borrowed. */
        void (*event)(Cdp *c, const char *session_id, const char *method, json_object *params, void *userdata);
        /* The browser closed its end or wrote something that is not the protocol: the connection is dead, every
         * pending command was answered with an error. The owner frees it (not from within this callback). */
        void (*closed)(Cdp *c, const char *reason, void *userdata);
} CdpOps;

/* out_fd: what the browser reads (its fd 3); in_fd: what it writes (its fd 4). Both are taken. */
int cdp_new(sd_event *event, int out_fd, int in_fd, const CdpOps *ops, void *userdata, Cdp **ret);
/* Pending commands are answered with an error first. */
Cdp *cdp_free(Cdp *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Cdp *, cdp_free);

/* Sends a command (params taken, may be NULL) to the browser or to a target's session. reply may be NULL.
 * Returns 0, or a negative errno (the connection is dead: -ENOTCONN; reply is then not called). A command
 * unanswered after CDP_COMMAND_TIMEOUT_USEC is answered with an error. */
#define CDP_COMMAND_TIMEOUT_USEC (60ULL * 1000000ULL)
int cdp_send(Cdp *c, const char *session_id, const char *method, json_object *params, CdpReplyHandler reply,
        void *userdata);
bool cdp_is_dead(Cdp *c);
