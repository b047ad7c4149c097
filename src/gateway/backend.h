/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One backend: a tool server reached over D-Bus (org.aios.MCP1), its calls in flight and its health. */
#pragma once

#include "gateway.h"

/* response: the backend's JSON-RPC response, or NULL when it answered nothing (cancelled) or failed, in
 * which case error says why. */
typedef void (*BackendReply)(BackendCall *call, json_object *response, const sd_bus_error *error, void *userdata);
/* A notification the backend sent for this call (progress, logging). */
typedef void (*BackendNotify)(BackendCall *call, json_object *notification, void *userdata);
/* The backend asks the client something for this call; answer with backend_call_answer(). */
typedef int (*BackendAsk)(BackendCall *call, sd_bus_message *question, json_object *request, void *userdata);
/* The backend wants this call's stream closed and resumed after retry_ms. */
typedef void (*BackendCloseStream)(BackendCall *call, uint64_t retry_ms, void *userdata);

typedef struct BackendCallOps {
        BackendReply reply;
        BackendNotify notify;
        BackendAsk ask;
        BackendCloseStream close_stream;
} BackendCallOps;

struct Backend {
        Gateway *gateway;
        const BackendConfig *config;
        McpServer *relay;   /* /servers/<name>/mcp */
        char *endpoint;     /* "/servers/<name>/mcp" */
        char *owner;        /* the unique name that owns the bus name, NULL when not running */
        bool activatable;   /* the bus can start it */
        bool up;            /* answered the last health check */
        unsigned n_in_flight;
        sd_bus_slot *owner_match;
        sd_bus_slot *owner_query;
        sd_bus_slot *health_slot;
        json_object *tools;  /* its tools/list entries, for /mcp; NULL until listed */
        sd_bus_slot *list_slot;
};

int backend_new(Gateway *g, const BackendConfig *config, Backend **ret);
Backend *backend_free(Backend *b);

/* Sends message (a request) to the backend with its context; ops tell what comes back. session is the
 * session id for the backend (NULL: the stateless wire); protocol_version and capabilities ask the backend
 * to take an unknown session as initialized (NULL otherwise). */
int backend_call(Backend *b, json_object *message, const char *session, const char *principal,
        const char *protocol_version, json_object *capabilities, const BackendCallOps *ops, void *userdata,
        BackendCall **ret);
/* The client no longer wants the answer: tells the backend (cancellation) and drops the call; reply is not
 * called. */
void backend_call_cancel(BackendCall *call, const char *request_id);
/* Answers the backend's question (the response JSON, taken). */
int backend_call_answer(sd_bus_message *question, json_object *response);

int backend_notify(Backend *b, const char *session, json_object *notification);
int backend_end_session(Backend *b, const char *session);

/* Routes the backends' signals and client calls: installed once per gateway. */
int backend_routing_install(Gateway *g);
/* Backend b sent a notification for session, outside any call (list_changed, resource updates). */
void gateway_session_notify(Gateway *g, Backend *b, const char *session, json_object *notification);
/* b started, stopped or was replaced by another process. */
void gateway_backend_changed(Gateway *g, Backend *b);
/* Health: checks every backend now; the result lands in b->up. */
void backend_check_health(Backend *b);
