/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Delivers the outbox's queued messages over SMTP with libcurl on the event loop, one at a time, retrying
 * with exponential backoff while the server is unreachable or answers 4xx. */
#pragma once

#include <systemd/sd-event.h>

#include "comm-config.h"
#include "outbox.h"

typedef struct Delivery Delivery;

int delivery_new(sd_event *event, const CommConfig *config, Outbox *outbox, Delivery **ret);
Delivery *delivery_free(Delivery *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(Delivery *, delivery_free);

/* Looks at the outbox again: a message was added, or one was retried or cancelled. */
void delivery_kick(Delivery *d);
/* The message being handed to the SMTP server now, or NULL. */
OutboxEntry *delivery_current(Delivery *d);
/* When the attempt after attempts failed ones is due, from now: RetryMinSec doubled each time, at most
 * RetryMaxSec. */
uint64_t delivery_backoff_usec(const CommConfig *config, unsigned attempts);
