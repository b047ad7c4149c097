/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One HTTP request to a remote MCP server and what comes back: headers, a JSON or SSE body, and what it
 * amounts to. The transfers to one remote share an HttpRemote: its URL, body limit and curl on the loop. */
#pragma once

#include "backend.h"
#include "buffer.h"
#include "list.h"
#include "curl-event.h"
#include "sse.h"

#define CLIENT_NAME "aios-gatewayd"
#define MCP_ERROR_SESSION_NOT_FOUND -32001

typedef struct Transfer Transfer;
typedef struct Queued Queued;

typedef struct HttpRemote {
        const char *name; /* for the log */
        const char *url;
        char *authorization;           /* "Bearer TOKEN": the gateway's own credential for the remote, or NULL */
        struct curl_slist *connect_to; /* CURLOPT_CONNECT_TO: the address to connect to instead of the name's */
        size_t max_body;
        CurlEvent *curl;
        Transfer *transfers; /* every transfer in progress */
        Queued *queue, *queue_tail;
} HttpRemote;

typedef enum HttpMethod {
        HTTP_POST,
        HTTP_GET,
        HTTP_DELETE,
} HttpMethod;

typedef struct Request {
        HttpMethod method;
        const char *url;              /* NULL: the remote's */
        json_object *body;            /* HTTP_POST */
        json_object *expect_id;       /* the response with this id ends the transfer */
        const char *session_id;       /* Mcp-Session-Id */
        const char *protocol_version; /* MCP-Protocol-Version */
        const char *last_event_id;
        const char *mcp_method; /* Mcp-Method and Mcp-Name: the wire without sessions */
        const char *mcp_name;
        const char *principal; /* who the request acts for, sent only with the gateway's token: Aios-Principal */
        const char *scopes;    /* ... Aios-Scopes */
        const char *backend;   /* ... Aios-Backend: the gateway's name for the remote, which the scopes use */
        uint64_t timeout_usec; /* 0: none */
        bool headers_only;     /* the status is all we want */
} Request;

typedef struct TransferOps {
        /* A JSON-RPC message other than the expected response: an SSE event's data. Optional. */
        void (*message)(Transfer *t, json_object *message);
        /* The transfer ended (the expected response came, or curl says why not). Frees t. */
        void (*done)(Transfer *t, CURLcode result);
} TransferOps;

struct Transfer {
        HttpRemote *owner;
        LIST_FIELDS(Transfer);
        CURL *easy;
        bool attached;
        struct curl_slist *headers;
        const TransferOps *ops;
        void *userdata;
        json_object *expect_id;
        char *sent_session; /* the Mcp-Session-Id it carried */
        bool resuming;
        bool headers_only;
        char error[CURL_ERROR_SIZE];
        char reason[96];

        long status;
        long header_status;
        char *session_id; /* the response's Mcp-Session-Id */
        bool decided;     /* whether the body is SSE is known */
        bool sse;
        Buffer body;      /* JSON: the body */
        SseParser events; /* SSE: its last id: and retry: too */
        bool too_large;
        bool oom;
        json_object *response;
};

typedef enum Outcome {
        OUTCOME_RESPONSE,     /* the response (NULL: none, as with 202) */
        OUTCOME_FAILED,       /* failure and message say why */
        OUTCOME_SESSION_GONE, /* 404 for the session we named */
        OUTCOME_STREAM_ENDED, /* an SSE stream with event ids ended before the response */
} Outcome;

/* name and url must outlive r. */
int http_remote_init(HttpRemote *r, sd_event *event, const char *name, const char *url, size_t max_body);
/* Sends "Authorization: Bearer TOKEN" to the remote, the token read from a credential (name or path):
 * -ENOENT when it is not there, -EBADMSG when it is not one line of visible ASCII. */
int http_remote_set_bearer_token(HttpRemote *r, const char *credential);
/* Connects to address (numeric, IPv6 without brackets) instead of what the URL's name resolves to; the name
 * stays in Host and TLS. */
int http_remote_set_address(HttpRemote *r, const char *address);
/* Frees the transfers still in progress, without calling their done(). */
void http_remote_done(HttpRemote *r);

int transfer_new(HttpRemote *r, const Request *rq, const TransferOps *ops, void *userdata, Transfer **ret);
Transfer *transfer_free(Transfer *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(Transfer *, transfer_free);

/* What a finished transfer brought. *ret_response is a new reference. */
Outcome transfer_outcome(Transfer *t, CURLcode result, json_object **ret_response, BackendFailure *ret_failure,
        const char **ret_message);
