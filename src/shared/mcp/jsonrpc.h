/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON-RPC 2.0 messages: classification, and builders for responses, errors and notifications. */
#pragma once

#include "json-util.h"

enum {
        JSONRPC_PARSE_ERROR = -32700,
        JSONRPC_INVALID_REQUEST = -32600,
        JSONRPC_METHOD_NOT_FOUND = -32601,
        JSONRPC_INVALID_PARAMS = -32602,
        JSONRPC_INTERNAL_ERROR = -32603,
        /* MCP: a resource that does not exist (SEP-2164 uses -32602 for new revisions; older ones -32002). */
        MCP_ERROR_RESOURCE_NOT_FOUND = -32002,
        MCP_ERROR_URL_ELICITATION_REQUIRED = -32042,
};

typedef enum JsonRpcKind {
        JSONRPC_REQUEST,
        JSONRPC_NOTIFICATION,
        JSONRPC_RESPONSE, /* result or error, answering one of our requests */
} JsonRpcKind;

typedef struct JsonRpcMessage {
        JsonRpcKind kind;
        json_object *id; /* borrowed from the message; NULL for notifications */
        const char *method;
        json_object *params; /* NULL when absent */
        json_object *result; /* responses */
        json_object *error;  /* responses */
} JsonRpcMessage;

/* Whether id can be a request's id and be echoed exactly: a string, or an integer json-c read without
 * saturating it (within int64, INT64_MIN excluded). */
bool jsonrpc_id_is_valid(json_object *id);

/* Classifies a parsed message. Returns 0, or -EINVAL with *ret_reason set to a sentence that says what is
 * wrong (for a -32600 answer). The fields of *ret borrow from m. */
int jsonrpc_classify(json_object *m, JsonRpcMessage *ret, const char **ret_reason);

/* Builders. id is referenced, not taken; the returned object is new. NULL on OOM. */
json_object *jsonrpc_result_new(json_object *id, json_object *result /* taken */);
json_object *jsonrpc_error_new(json_object *id, int code, const char *message, json_object *data /* taken */);
json_object *jsonrpc_errorf_new(json_object *id, int code, const char *format, ...) _printf_(3, 4);
json_object *jsonrpc_notification_new(const char *method, json_object *params /* taken */);
json_object *jsonrpc_request_new(json_object *id /* taken */, const char *method, json_object *params /* taken */);
