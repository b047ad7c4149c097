/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The engine's private structures, shared by mcp-server.c, mcp-session.c, mcp-request.c and the methods. */
#pragma once

#include "hashmap.h"
#include "jsonrpc.h"
#include "seal.h"
#include "mcp-request.h"
#include "mcp-server.h"
#include "mcp-session.h"

#define MCP_DEFAULT_PAGE_SIZE 100U
#define MCP_MAX_SESSIONS_DEFAULT 4096U
#define MCP_SESSION_ID_BYTES 24
/* A sealed session id is good this long after it was made, unless the server says otherwise. */
#define MCP_SESSION_LIFETIME_SEC_DEFAULT (24U * 3600U)
/* Ids of sessions ended on purpose (DELETE) that this process remembers until they expire. */
#define MCP_MAX_ENDED_SESSIONS 4096U

typedef struct ToolEntry {
        const McpTool *tool;
        json_object *input_schema;
        json_object *descriptor; /* the tools/list entry, built once */
} ToolEntry;

struct McpServer {
        const McpServerDefinition *def;
        sd_event *event;
        void *userdata;

        ToolEntry **tools; /* in list order */
        size_t n_tools;
        Hashmap *tools_by_name;
        json_object *resource_descriptors; /* array */
        json_object *template_descriptors; /* array */
        json_object *prompt_descriptors;   /* array */

        Hashmap *sessions;
        uint64_t next_ask_id;

        SealKey state_key;             /* seals requestState of the stateless wire */
        uint64_t state_ttl_sec;        /* how long a requestState opens */
        bool state_key_shared;         /* the key came from a secret other replicas hold too: session ids are sealed */
        uint64_t session_lifetime_sec; /* how long a sealed session id is good */
        Hashmap *ended_sessions;       /* internal id -> EndedSession: sealed sessions ended here on purpose */
        json_object *server_info;      /* {name, version, title} */
        McpRequest *listeners;         /* subscriptions/listen requests, linked through listen_next */
};

typedef struct Ask {
        char key[24];
        McpRequest *req;
        McpAnswerHandler answer;
        void *userdata;
} Ask;

struct McpSession {
        unsigned n_ref;
        McpServer *server;
        char id[MCP_SESSION_ID_BYTES * 2 + 1]; /* the table's key and the backends' name for it */
        bool initialized;
        bool closed;

        /* With a shared key: the id the client holds, sealed (mcp-session-seal.c), made at initialize for a
         * session whose transport hands its id out, or the id another replica made, for one taken up here. */
        char *public_id;
        bool hands_out_id;
        char *principal;     /* who it is for, NULL: nobody authenticated (sealed as a digest) */
        int64_t created_sec; /* wall clock, when the session was first made (on whichever replica) */

        char *version;
        json_object *client_capabilities;
        json_object *client_info;
        McpLogLevel log_level;

        Hashmap *subscriptions; /* uri -> strdup'd uri */
        Hashmap *requests;      /* id key -> McpRequest, in flight */
        Hashmap *asks;          /* our request id -> Ask */

        int (*standalone_send)(void *userdata, json_object *m);
        void *standalone_userdata;

        void *transport_data;
        void (*transport_data_free)(void *);
        uint64_t last_used;
};

struct McpExchange {
        McpServer *server;
        McpSession *session;
        const McpSinkOps *ops;
        void *userdata;

        McpRequest *requests; /* pending, linked through exchange_next */
        unsigned n_pending;
        bool batch;
        bool dispatching;
        bool stateless;       /* the 2026-07-28 wire: no session, each request carries its context */
        json_object *replies; /* batch: array; otherwise the one reply */
};

typedef struct Sleep Sleep;
typedef struct McpDeferredAnswer McpDeferredAnswer;

/* Whether a server's tables complete anything (the completions capability). */
bool mcp_definition_has_completions(const McpServerDefinition *def);

struct McpRequest {
        unsigned n_ref;
        McpServer *server;
        McpSession *session;
        McpExchange *exchange; /* NULL once done */
        McpRequest *exchange_next, *exchange_prev;

        json_object *id;
        char *id_key;
        const char *method; /* points into params' message, kept alive by message */
        json_object *message;
        json_object *params;
        json_object *progress_token;
        const McpTool *tool;
        char *principal; /* who the transport says the caller acts for, or NULL */
        char *scopes;    /* what the transport says the principal was granted, or NULL */
        pid_t process;   /* the local process the caller is, or 0 */
        uid_t process_uid;
        sd_bus *bus;      /* the bus the caller came over, or NULL */
        char *bus_sender; /* its unique name there */
        /* mcp_request_authorize(): the handler's own check, waiting for polkit */
        McpAuthorizeDone authorize_done;
        void *authorize_userdata;
        /* resources/read waiting for polkit: what to read once allowed */
        McpResourceReader pending_read;
        json_object *pending_variables;

        char *protocol_version;
        json_object *client_capabilities;
        McpLogLevel log_level; /* stateless: from _meta; _MCP_LOG_MAX sends nothing */

        /* The stateless wire's multi round-trip requests (mcp-mrtr.c). */
        bool stateless;
        bool resumed;                 /* came with a valid requestState */
        unsigned n_asks;              /* asks made so far, for the automatic keys */
        json_object *input_responses; /* answers sent with this request (object, borrowed from params) */
        json_object *state_answers;   /* answers carried in requestState (object, owned) */
        json_object *used_answers;    /* answers the handler consumed, for the next requestState */
        json_object *input_requests;  /* questions without answers yet (object, owned) */
        sd_event_source *mrtr_flush;
        McpDeferredAnswer *deferred_answers;

        /* subscriptions/listen (mcp-subscriptions.c) */
        json_object *listen_filter;
        McpRequest *listen_next, *listen_prev;

        bool done;
        bool cancelled;
        void (*cancel)(McpRequest *req, void *userdata);
        void *cancel_userdata;
        Sleep *sleeps; /* pending mcp_request_sleep() timers */
};

/* mcp-request.c */
int mcp_request_new(McpExchange *x, json_object *message, const JsonRpcMessage *m, McpRequest **ret);
int mcp_request_send(McpRequest *req, json_object *message);
void mcp_request_cancel(McpRequest *req);
int mcp_request_reply_errno(McpRequest *req, int error);

/* mcp-stateless.c */
int mcp_stateless_request_init(McpRequest *req);
void mcp_stateless_decorate_result(McpRequest *req, json_object *result);
int mcp_method_server_discover(McpRequest *req);
json_object *mcp_capabilities_new(McpServer *s);
json_object *mcp_server_info_new(McpServer *s);

/* mcp-mrtr.c */
int mcp_mrtr_ask(McpRequest *req, const char *key, json_object *question, McpAnswerHandler answer, void *userdata);
void mcp_mrtr_done(McpRequest *req);
int mcp_mrtr_state_open(McpRequest *req, const char *token);

/* mcp-subscriptions.c */
int mcp_method_subscriptions_listen(McpRequest *req);
void mcp_subscriptions_forget(McpRequest *req);
void mcp_subscriptions_deliver(McpServer *s, const char *method, json_object *params, const char *uri);

/* mcp-exchange.c */
void mcp_exchange_complete(McpExchange *x, McpRequest *req, json_object *reply);
void mcp_exchange_add_reply(McpExchange *x, json_object *reply);

/* mcp-session.c */
void mcp_session_handle_response(McpSession *session, const JsonRpcMessage *m);
void mcp_session_handle_cancelled(McpSession *session, json_object *params);
int mcp_session_send_standalone(McpSession *session, json_object *message);

/* mcp-session-seal.c */
int mcp_session_seal_id(McpSession *session);
int mcp_session_unseal_id(McpServer *s, const char *public_id, McpSealedSession **ret);
uint64_t now_usec(void);

/* method handlers, one file per family */
int mcp_method_initialize(McpRequest *req);
int mcp_method_tools_list(McpRequest *req);
int mcp_method_tools_call(McpRequest *req);
/* Whether a list shows the request's caller an entry that action guards (NULL: always), as the transport's
 * shows() decides, else as the presence of its authorize() does (McpSinkOps). */
bool mcp_request_shows(McpRequest *req, const char *action, const char *kind, const char *name, bool required);
int mcp_method_resources_list(McpRequest *req);
int mcp_method_resources_templates_list(McpRequest *req);
int mcp_method_resources_read(McpRequest *req);
int mcp_method_resources_subscribe(McpRequest *req);
int mcp_method_resources_unsubscribe(McpRequest *req);
int mcp_method_prompts_list(McpRequest *req);
int mcp_method_prompts_get(McpRequest *req);
int mcp_method_completion_complete(McpRequest *req);
int mcp_method_logging_set_level(McpRequest *req);

/* mcp-list.c: one page of a descriptor array, with nextCursor. */
int mcp_reply_page(McpRequest *req, const char *key, json_object *all);
int mcp_server_build_descriptors(McpServer *s);
json_object *mcp_tool_descriptor_new(const McpTool *t, json_object *input_schema);
