/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aiosctl's way to the gateway: MCP requests on the stateless wire over HTTP, on the gateway's local socket
 * (the caller is who the kernel says) or at a URL with an API key. A command-line client may block: one
 * request at a time, libcurl's easy interface. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "macro.h"

#define GATEWAY_SOCKET_DEFAULT "/run/aios/gateway.sock"

typedef struct Client Client;

/* How a command ends, for scripts (aiosctl(1), EXIT STATUS). */
enum {
        EXIT_OK = 0,
        EXIT_FAILED = 1,      /* the operation ran and failed: a JSON-RPC error, a tool's isError result */
        EXIT_USAGE = 2,       /* wrong arguments */
        EXIT_NOT_FOUND = 3,   /* no such tool, resource, prompt or server */
        EXIT_DENIED = 4,      /* 401, 403 or access denied by polkit */
        EXIT_UNREACHABLE = 5, /* no gateway answered */
};

/* Where the client goes: socket (an AF_UNIX path) when url is NULL; key is sent as a bearer token. */
int client_new(Client **ret, const char *socket_path, const char *url, const char *key);
Client *client_free(Client *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Client *, client_free);

/* Handlers of what comes during a request: notifications (progress, logging) and questions
 * (elicitation/create, as input_required asks them: returns the answer object, or NULL to decline). */
typedef struct ClientHandlers {
        void (*notification)(json_object *message, void *userdata);
        json_object *(*elicit)(json_object *params, void *userdata);
        void *userdata;
} ClientHandlers;

/* One MCP request to endpoint ("/mcp", "/servers/NAME/mcp"). params is borrowed (may be NULL); the
 * stateless wire's _meta is added. On success *ret_result is the result; on a JSON-RPC error it is NULL and
 * *ret_error the error object. Returns 0 (either of the two), or an EXIT_* code > 0 after logging why (the
 * gateway could not be reached, refused the caller, or answered something that is not MCP). */
int client_request(Client *c, const char *endpoint, const char *method, json_object *params,
        const ClientHandlers *handlers, json_object **ret_result, json_object **ret_error);

/* Every item of a list method (tools/list, ...), following nextCursor: *ret is an array under key. */
int client_list_all(Client *c, const char *endpoint, const char *method, const char *key, json_object **ret);

/* A plain GET of path (/readyz, /metrics): the status in *ret_status and the body in *ret_body. Returns 0
 * or EXIT_UNREACHABLE. */
int client_get(Client *c, const char *path, long *ret_status, char **ret_body);

/* The exit code a JSON-RPC error stands for. */
int client_error_exit(json_object *error);
