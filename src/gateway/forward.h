/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A client's request forwarded to a backend, and everything that comes back for it. */
#pragma once

#include "backend.h"

/* Sends message for req to backend b and finishes req with the backend's answer; progress, logging,
 * questions to the client and stream closing come back on req's stream, and a client that cancels or goes
 * away cancels the backend's work. session: the backend's session id (NULL on the stateless wire);
 * protocol_version and capabilities: for a session the backend takes as initialized (the aggregate). */
int forward_request(McpRequest *req, Backend *b, json_object *message, const char *session,
        const char *protocol_version, json_object *capabilities);
