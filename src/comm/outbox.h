/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The durable outbox: each accepted message and its delivery state in files of the state directory,
 * written with fsync (the file and the directory) before anyone is told that the message was accepted. */
#pragma once

#include <stdint.h>

#include "json-util.h"
#include "list.h"

typedef enum OutboxState {
        OUTBOX_QUEUED,    /* waiting for its next attempt */
        OUTBOX_SENDING,   /* the SMTP server was receiving its data: if we stop now, the outcome is unknown */
        OUTBOX_SENT,      /* the SMTP server accepted it */
        OUTBOX_FAILED,    /* refused for good (5xx), or not delivered in time */
        OUTBOX_UNKNOWN,   /* the connection ended after the data went out: never sent again by itself */
        OUTBOX_CANCELLED, /* cancelled before it was sent */
        _OUTBOX_STATE_MAX,
        _OUTBOX_STATE_INVALID = -EINVAL,
} OutboxState;

const char *outbox_state_to_string(OutboxState s);
OutboxState outbox_state_from_string(const char *s);

#define OUTBOX_ID_LENGTH 32

typedef struct OutboxEntry OutboxEntry;
struct OutboxEntry {
        LIST_FIELDS(OutboxEntry);
        char id[OUTBOX_ID_LENGTH + 1];
        OutboxState state;
        unsigned attempts;
        uint64_t created_usec; /* CLOCK_REALTIME */
        uint64_t updated_usec;
        uint64_t queued_usec;       /* accepted, or retried last: GiveUpSec= counts from here */
        uint64_t next_attempt_usec; /* for OUTBOX_QUEUED */
        char *last_error;           /* what went wrong last, or NULL */
        char *smtp_reply;           /* the SMTP server's last reply, or NULL */
        char *principal;            /* who had it sent */
        json_object *summary;       /* {"to", "cc", "bcc", "subject"}, for listing */
};

typedef struct Outbox Outbox;

/* Opens (and creates) DIR/outbox and reads back every message there. A message that was being handed to the
 * SMTP server when the server stopped becomes OUTBOX_UNKNOWN; files of a message whose acceptance was not
 * complete are removed. */
int outbox_open(const char *dir, Outbox **ret);
Outbox *outbox_free(Outbox *o);
DEFINE_TRIVIAL_CLEANUP_FUNC(Outbox *, outbox_free);

OutboxEntry *outbox_entries(Outbox *o);
OutboxEntry *outbox_find(Outbox *o, const char *id);
/* Messages queued or being sent. */
size_t outbox_n_pending(Outbox *o);

/* Writes the message (JSON, with its "id" already set by outbox_new_id()) and its state, queued for now. */
void outbox_new_id(char ret[OUTBOX_ID_LENGTH + 1]);
int outbox_add(Outbox *o, const char *id, json_object *message, json_object *summary, const char *principal,
        OutboxEntry **ret);
/* Writes e's state as it is now in memory, atomically and durably. */
int outbox_save(Outbox *o, OutboxEntry *e);
/* Sets state, the error and the reply (copied; NULL clears them) and saves. */
int outbox_set_state(Outbox *o, OutboxEntry *e, OutboxState state, const char *error, const char *reply);
int outbox_load_message(Outbox *o, OutboxEntry *e, json_object **ret);

/* Removes the finished messages (sent, failed, unknown, cancelled) that last changed more than keep_usec ago,
 * their files first. Returns how many. */
size_t outbox_prune(Outbox *o, uint64_t keep_usec);

/* e as comm_outbox lists it. */
json_object *outbox_entry_to_json(const OutboxEntry *e);
