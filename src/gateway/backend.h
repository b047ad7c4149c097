/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One backend: a tool server reached over D-Bus (org.aios.MCP1) or over HTTP (a remote MCP server), its
 * calls in flight and its health. The transports are in backend-dbus.c and backend-http.c. */
#pragma once

#include "gateway.h"

/* Why a call ended without the backend's answer. */
typedef enum BackendFailure {
        BACKEND_OK,
        BACKEND_GONE,        /* the server stopped (or crashed) before it answered */
        BACKEND_TIMEOUT,     /* no answer within the backend's TimeoutSec= */
        BACKEND_UNAVAILABLE, /* it could not be reached at all */
        BACKEND_BUSY,        /* the bus refused one more call for now (LimitsExceeded) */
} BackendFailure;

/* A question the backend asks the client (sampling, elicitation, roots) for a call. */
typedef struct BackendQuestion BackendQuestion;
struct BackendQuestion {
        /* Sends the client's JSON-RPC response (taken; NULL: no answer) back and frees the question. */
        void (*answer)(BackendQuestion *q, json_object *response);
};

/* response: the backend's JSON-RPC response, or NULL when it answered nothing (the request was cancelled
 * there; failure BACKEND_OK) or failed (failure and message say why). */
typedef void (*BackendReply)(BackendCall *call, json_object *response, BackendFailure failure, const char *message,
        void *userdata);
typedef void (*BackendNotify)(BackendCall *call, json_object *notification, void *userdata);
/* request: the backend's JSON-RPC request. Answer q later with q->answer(). A negative return refuses. */
typedef int (*BackendAsk)(BackendCall *call, BackendQuestion *q, json_object *request, void *userdata);
typedef void (*BackendCloseStream)(BackendCall *call, uint64_t retry_ms, void *userdata);

typedef struct BackendCallOps {
        BackendReply reply;
        BackendNotify notify;
        BackendAsk ask;
        BackendCloseStream close_stream;
} BackendCallOps;

/* Who a forwarded request acts for, as the gateway authenticated it; the strings belong to the caller. */
typedef struct BackendCaller {
        const char *principal; /* NULL: nobody said */
        const char *scopes;    /* space-separated, NULL: none */
        pid_t pid;             /* a local client's process, for the server's polkit check; 0: none */
        uid_t uid;
} BackendCaller;

/* One forwarded request. The transport keeps its own state in transport_data. */
struct BackendCall {
        Backend *backend;
        char tag[32];     /* unique in this gateway */
        char *session;    /* the session id at the backend, NULL on the stateless wire */
        char *request_id; /* the JSON text of the request's id, which notifications/cancelled names */
        bool long_lived;  /* subscriptions/listen: open until the client leaves, never timed out */
        char *principal;  /* the caller's, kept for what a transport sends later (NULL: nobody said) */
        char *scopes;
        const BackendCallOps *ops;
        void *userdata;
        uint64_t started;
        void *transport_data;
};

/* What a transport does. Every function gets the backend (b->transport_data is the transport's). */
typedef struct BackendTransport {
        int (*init)(Backend *b);
        void (*done)(Backend *b);
        /* Sends c's message; the transport calls backend_call_finish() once with what came back, and
         * c->ops->notify/ask/close_stream for what comes before. */
        int (*call)(BackendCall *c, json_object *message, const BackendCaller *caller, const char *protocol_version,
                json_object *capabilities);
        /* The client gave up on c: stop waiting for it (backend_call_finish() is not called afterwards) and
         * tell the server, with notification (notifications/cancelled) when the wire has request ids. */
        void (*cancel)(BackendCall *c, json_object *notification);
        int (*notify)(Backend *b, const char *session, json_object *notification);
        int (*end_session)(Backend *b, const char *session);
        /* Sets b->up through backend_set_up(), at once or later. */
        void (*check_health)(Backend *b);
        /* Calls backend_catalog_listed() (or backend_tools_listed()) with what the server offers. */
        int (*list_tools)(Backend *b);
        /* What /readyz shows of the backend beside up or down (an HTTP backend's endpoints). Optional. */
        json_object *(*describe)(Backend *b);
} BackendTransport;

extern const BackendTransport backend_dbus_transport;
extern const BackendTransport backend_http_transport;

struct Backend {
        Gateway *gateway;
        const BackendConfig *config;
        const BackendTransport *transport;
        void *transport_data;
        McpServer *relay; /* /servers/<name>/mcp */
        char *endpoint;   /* "/servers/<name>/mcp" */
        char *owner;      /* D-Bus: the unique name that owns the bus name, NULL when not running */
        bool activatable; /* D-Bus: the bus can start it */
        bool up;          /* answered the last health check */
        unsigned n_in_flight;
        json_object *tools;   /* its tools/list entries, for /mcp; NULL until listed */
        json_object *catalog; /* also resources, resourceTemplates and prompts (mcp_server_catalog()) */
        bool listed;          /* it told what it offers, or that it offers nothing: /mcp waits for this at start */
};

int backend_new(Gateway *g, const BackendConfig *config, Backend **ret);
Backend *backend_free(Backend *b);

/* Sends message (a request) to the backend with its context; ops tell what comes back. session is the
 * session id for the backend (NULL: the stateless wire); protocol_version and capabilities ask the backend
 * to take an unknown session as initialized (NULL otherwise). -EBUSY when MaxInFlightPerBackend= is hit. */
int backend_call(Backend *b, json_object *message, const char *session, const BackendCaller *caller,
        const char *protocol_version, json_object *capabilities, const BackendCallOps *ops, void *userdata,
        BackendCall **ret);
/* The client no longer wants the answer: tells the backend and drops the call; reply is not called. */
void backend_call_cancel(BackendCall *call);
/* For transports: the call is over; hands what came back to the caller and frees the call. */
void backend_call_finish(BackendCall *call, json_object *response, BackendFailure failure, const char *message);
/* For transports: the backend's TimeoutSec= passed. Cancels the work at the backend, so that it stops and
 * answers, and finishes the call with BACKEND_TIMEOUT. */
void backend_call_time_out(BackendCall *call);
BackendCall *backend_call_find(Gateway *g, const char *tag);

int backend_notify(Backend *b, const char *session, json_object *notification);
int backend_end_session(Backend *b, const char *session);
void backend_check_health(Backend *b);
int backend_list_tools(Backend *b);

/* For transports: state changes they observe. */
void backend_set_up(Backend *b, bool up);
void backend_tools_listed(Backend *b, json_object *tools /* taken, NULL on failure */);
/* The same with everything the backend offers: {"tools", "resources", "resourceTemplates", "prompts"}. */
void backend_catalog_listed(Backend *b, json_object *catalog /* taken, NULL on failure */);

/* Installed once per gateway: org.aios.MCPClient1 and the match for the servers' signals. */
int backend_dbus_routing_install(Gateway *g);
/* On g->bus, the broker's connection: the routing, the gateway's bus name, and a watch that connects to the
 * broker again when it goes away (calls go on over the servers' direct connections meanwhile). */
int backend_dbus_broker_attach(Gateway *g);

/* Implemented by the gateway (main.c): what the backends' events mean for the endpoints. */
void gateway_backend_changed(Gateway *g, Backend *b);
void gateway_session_notify(Gateway *g, Backend *b, const char *session, json_object *notification);
void gateway_tools_listed(Gateway *g, Backend *b);
