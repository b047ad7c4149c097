/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The MCP engine: a server declared as tables of tools, resources and prompts, and its dispatcher. */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "json-util.h"
#include "mcp-protocol.h"

typedef struct McpServer McpServer;
typedef struct McpSession McpSession;
typedef struct McpRequest McpRequest;
typedef struct McpExchange McpExchange;

/* Handlers start the work and return 0; they answer later (or at once) with mcp_request_reply*(). A negative
 * return means the work could not start: the engine answers with an error built from it. Handlers must never
 * block: anything slow is an sd-event source on mcp_server_get_event(). */
typedef int (*McpToolHandler)(McpRequest *req, json_object *arguments);
/* variables: the values of a template's {variables}, or NULL for a fixed resource. */
typedef int (*McpResourceReader)(McpRequest *req, const char *uri, json_object *variables);
typedef int (*McpPromptHandler)(McpRequest *req, json_object *arguments);
/* Completion is synchronous: it fills *ret_values with a new array of strings. context_arguments may be NULL. */
typedef int (*McpCompleter)(const char *argument, const char *value, json_object *context_arguments,
        json_object **ret_values);

/* A server that forwards what it receives to another server (the gateway) instead of serving tables. */
typedef struct McpRelay {
        /* A request from the client. Returns 1 when it was taken (finish it with mcp_request_reply_raw()), 0 to
         * let the engine's own method handle it, or a negative errno. */
        int (*request)(McpRequest *req, json_object *message, void *userdata);
        /* The methods request() is asked about (NULL-terminated); NULL: every method. The others go straight
         * to the engine's own methods. */
        const char *const *methods;
        /* A notification from the client: initialized, cancelled, roots/list_changed, ... session is NULL on
         * the stateless wire. */
        void (*notify)(McpSession *session, json_object *message, void *userdata);
        /* The session ended (the client deleted it, it idled out, the server stops). */
        void (*session_closed)(McpSession *session, void *userdata);
} McpRelay;

typedef struct McpTool {
        const char *name;
        const char *title;
        const char *description;
        const char *input_schema;  /* JSON text; NULL means an object with no properties */
        const char *output_schema; /* JSON text or NULL */
        const char *annotations;   /* JSON text or NULL */
        const char *icons;         /* JSON text or NULL */
        const char *polkit_action; /* NULL: the tool needs no authorization */
        /* Optional: the name of a string argument that polkit gets as a detail of the same name, beside
         * "tool" and "principal", so that a rule can decide per object (e.g. "unit": which unit). */
        const char *polkit_detail_argument;
        /* Refuse the tool (access denied) on transports that cannot ask polkit about the caller (HTTP, stdio):
         * for a tool whose effect, with the server's own privileges, no unchecked caller may have. */
        bool polkit_required;
        /* Non-zero: the tool only reads, and the same caller calling it with the same arguments may be given
         * the same result for this long (ms). tools/list says so in its entry's _meta ("io.aios/cacheTtlMs"),
         * which the gateway's result cache goes by; on the 2026-07-28 wire its results carry ttlMs with
         * cacheScope "private". Only for a tool whose annotations say readOnlyHint and idempotentHint. */
        uint64_t cache_ttl_msec;
        McpToolHandler handler;
        /* Optional, in place of the JSON texts above: a tools/list entry already parsed (a proxy's, from its
         * backend's catalog), whose inputSchema, outputSchema, annotations and icons the engine shares (takes
         * references to, and never changes) rather than parsing copies of them. */
        json_object *descriptor;
} McpTool;

/* The _meta key of a tools/list entry that states McpTool.cache_ttl_msec. */
#define MCP_META_CACHE_TTL "io.aios/cacheTtlMs"

typedef struct McpResource {
        const char *uri;
        const char *name;
        const char *title;
        const char *description;
        const char *mime_type;
        const char *polkit_action; /* NULL: readable by anyone who can reach the server */
        bool polkit_required;      /* refused where there is no polkit (HTTP, stdio) */
        McpResourceReader read;
} McpResource;

typedef struct McpResourceTemplate {
        const char *uri_template; /* RFC 6570 level 1: {var} matches one path segment */
        const char *name;
        const char *title;
        const char *description;
        const char *mime_type;
        const char *polkit_action; /* NULL: readable by anyone who can reach the server */
        bool polkit_required;      /* refused where there is no polkit (HTTP, stdio) */
        McpResourceReader read;
        McpCompleter complete;
} McpResourceTemplate;

typedef struct McpPrompt {
        const char *name;
        const char *title;
        const char *description;
        const char *arguments; /* JSON text: [{"name": ..., "description": ..., "required": ...}] or NULL */
        McpPromptHandler get;
        McpCompleter complete;
} McpPrompt;

/* What a server is. Tables end with an entry whose name (or uri) is NULL. */
typedef struct McpServerDefinition {
        const char *name;
        const char *title;
        const char *version;
        const char *instructions;
        const McpTool *tools;
        const McpResource *resources;
        const McpResourceTemplate *resource_templates;
        const McpPrompt *prompts;
        unsigned page_size;       /* list page size; 0 means the default */
        const char *bus_name;     /* the well-known name owned on the system bus, or NULL */
        const char *capabilities; /* JSON text replacing the capabilities derived from the tables, or NULL */
        const McpRelay *relay;    /* NULL for a server of its own */
        /* Optional: whether req may see entry of the list key ("tools", "resources", "resourceTemplates" or
         * "prompts"); entries it may not see are left out of the list. */
        bool (*list_filter)(McpRequest *req, const char *key, json_object *entry);
} McpServerDefinition;

int mcp_server_new(McpServer **ret, const McpServerDefinition *def, sd_event *event, void *userdata);
McpServer *mcp_server_free(McpServer *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(McpServer *, mcp_server_free);

sd_event *mcp_server_get_event(McpServer *s);
/* initialize's serverInfo and capabilities, new references. */
json_object *mcp_server_info(McpServer *s);
json_object *mcp_server_capabilities(McpServer *s);
/* Every tool's tools/list entry, one array, a new reference. */
json_object *mcp_server_tool_descriptors(McpServer *s);
/* Everything the server offers, in one object: {"tools": [...], "resources": [...],
 * "resourceTemplates": [...], "prompts": [...]} with the entries of the list methods. */
json_object *mcp_server_catalog(McpServer *s);
/* Whether uri matches an RFC 6570 level 1 template ({var} takes one path segment). */
bool mcp_uri_template_matches(const char *uri_template, const char *uri);
void *mcp_server_get_userdata(McpServer *s);
const McpServerDefinition *mcp_server_get_definition(McpServer *s);

/* Tools can come and go at run time; clients are told with notifications/tools/list_changed. */
int mcp_server_add_tool(McpServer *s, const McpTool *tool);
int mcp_server_remove_tool(McpServer *s, const char *name);
/* Tells every subscribed session that the resource changed. */
void mcp_server_notify_resource_updated(McpServer *s, const char *uri);
/* Sends a notification to every initialized session's standalone stream. */
void mcp_server_broadcast(McpServer *s, const char *method, json_object *params /* taken */);

/* --- transports ------------------------------------------------------------------------------------- */

/* Where the messages of one exchange (one HTTP POST body, one stdio line) go. */
typedef struct McpSinkOps {
        /* A message tied to a request of the exchange: progress, logging, a server-to-client request. */
        int (*send)(void *userdata, json_object *message);
        /* The exchange is complete: reply is the response, an array of responses (batch), or NULL when there
         * is nothing to answer. Called exactly once, possibly from within mcp_server_dispatch(). */
        void (*done)(void *userdata, json_object *reply);
        /* Optional: a handler asks the client to reconnect and resume the stream later (SSE polling). */
        int (*close_stream)(void *userdata, uint64_t retry_ms);
        /* Optional: may the caller run a tool that declares polkit action? details are the tool's own
         * (NULL-terminated key, value pairs, or NULL), valid during the call only. Calls done with 1 (yes),
         * 0 (no) or a negative errno, at once or later. Without it, the transport authenticated its caller
         * itself. */
        int (*authorize)(void *userdata, McpRequest *req, const char *action, const char *const *details,
                void (*done)(McpRequest *req, int allowed));
        /* Optional, beside authorize: whether a list shows the caller an entry that action guards (kind "tools"
         * or "resources"; name the tool, URI or URI template; required: the entry is refused where authorize is
         * absent), decided at once. Without it a list shows every entry where authorize is there (polkit
         * decides at the call), and leaves out the required ones where it is not. */
        bool (*shows)(void *userdata, const char *action, const char *kind, const char *name, bool required);
        /* Optional: who refuses when authorize says no, with its verb, for the access-denied message ("polkit
         * does not allow" when NULL). */
        const char *denied_by;
        /* Optional: who the caller acts for (mcp_request_get_principal()), or NULL. */
        const char *(*principal)(void *userdata);
        /* Optional: what the principal was granted, space-separated (mcp_request_get_scopes()), or NULL. */
        const char *(*scopes)(void *userdata);
        /* Optional: the local process the caller is (mcp_request_get_process()): its pid, or 0. */
        pid_t (*process)(void *userdata, uid_t *ret_uid);
        /* Optional: the system bus the caller came over and its unique name there (mcp_request_get_bus()), which
         * a server calling another one on the caller's behalf names as the subject for polkit (NULL for a
         * caller without a name there, whose process() stands for it); NULL on other transports. */
        sd_bus *(*bus)(void *userdata, const char **ret_sender);
} McpSinkOps;

/* Feeds one parsed message (or batch array) into the engine. session is NULL only for transports without
 * sessions. Returns 1 when sink->done will be (or already was) called with a reply, 0 when the message needs
 * no answer (notifications, responses: the sink is not used at all), or a negative errno. *ret_exchange gets
 * the exchange when 1 is returned and ret_exchange is not NULL; it stays valid until done is called. */
int mcp_server_dispatch(McpServer *s, McpSession *session, json_object *message, const McpSinkOps *ops, void *userdata,
        McpExchange **ret_exchange);

/* The stateless (2026-07-28) wire: requests without a session, each with its context in params._meta. */
typedef struct McpWireHeaders {
        const char *protocol_version; /* MCP-Protocol-Version */
        const char *method;           /* Mcp-Method */
        const char *name;             /* Mcp-Name */
} McpWireHeaders;
/* Checks a message for the stateless wire before it is dispatched: a batch, a request without the _meta it
 * needs (-32602), a version header that differs from _meta's (-32020), an unsupported version (-32022), and
 * Mcp-Method/Mcp-Name headers that differ from the body (-32020). headers may be NULL where the transport has
 * none. Returns 0 when the message may go on, 1 with the error response in *ret_reply. */
int mcp_stateless_check(json_object *message, const McpWireHeaders *headers, json_object **ret_reply);
/* Like mcp_server_dispatch(), for the stateless wire. */
int mcp_server_dispatch_stateless(McpServer *s, json_object *message, const McpSinkOps *ops, void *userdata,
        McpExchange **ret_exchange);
/* The key that seals requestState: the same secret on every replica lets any of them continue a request.
 * Without it each server makes a random key at start. With it, session ids are sealed too (mcp-session.h). */
int mcp_server_set_state_secret(McpServer *s, const void *secret, size_t size);
/* Reads that secret from path, or when path is NULL from the systemd credential "request-state-key"
 * ($CREDENTIALS_DIRECTORY): returns 1 with the secret and *ret_size, 0 when path is NULL and there is no such
 * credential, or a negative errno after logging. The caller wipes the secret. */
#define MCP_STATE_SECRET_CREDENTIAL "request-state-key"
#define MCP_STATE_SECRET_MAX 4096
int mcp_state_secret_read(const char *path, uint8_t secret[static MCP_STATE_SECRET_MAX], size_t *ret_size);
/* mcp_state_secret_read() and mcp_server_set_state_secret() in one. Logs what it did. */
int mcp_server_load_state_secret(McpServer *s, const char *path);
/* How long a client has to answer an input_required result (default MCP_REQUEST_STATE_TTL_SEC). */
#define MCP_REQUEST_STATE_TTL_SEC 600U
void mcp_server_set_request_state_ttl(McpServer *s, uint64_t sec);

/* The transport's sink is going away: cancels what is still running in the exchange. done is not called. */
void mcp_exchange_abort(McpExchange *x);

/* Answer for a message that could not be parsed at all. */
json_object *mcp_parse_error_new(const char *reason);
bool mcp_message_is_initialize(json_object *message);
