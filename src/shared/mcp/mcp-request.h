/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a handler can do with the request it serves: answer, report progress, log, ask the client. */
#pragma once

#include "mcp-server.h"

McpRequest *mcp_request_ref(McpRequest *req);
McpRequest *mcp_request_unref(McpRequest *req);
DEFINE_TRIVIAL_CLEANUP_FUNC(McpRequest *, mcp_request_unref);

McpServer *mcp_request_get_server(McpRequest *req);
McpSession *mcp_request_get_session(McpRequest *req); /* NULL on stateless transports */
sd_event *mcp_request_get_event(McpRequest *req);
const char *mcp_request_get_method(McpRequest *req);
const char *mcp_request_get_tool_name(McpRequest *req); /* tools/call only */
const char *mcp_request_get_protocol_version(McpRequest *req);
/* The client's progressToken as text, or NULL when it asked for no progress. */
const char *mcp_request_get_progress_token(McpRequest *req);
/* Whether the client declared the capability (e.g. "sampling", "elicitation", "roots", "elicitation.form"). */
bool mcp_request_client_supports(McpRequest *req, const char *capability);
/* Finished (answered or cancelled): further replies are dropped. */
bool mcp_request_is_done(McpRequest *req);
bool mcp_request_is_cancelled(McpRequest *req);

/* Answers. Each takes ownership of what it is given, returns 0, or -ESTALE when the request was already
 * answered or cancelled (then nothing is sent). */
int mcp_request_reply(McpRequest *req, json_object *result);
int mcp_request_reply_error(McpRequest *req, int code, const char *format, ...) _printf_(3, 4);
/* A JSON-RPC error with a data member (taken). */
int mcp_request_reply_error_data(McpRequest *req, int code, const char *message, json_object *data);
/* A tools/call result: content (array, taken) and optional structuredContent (taken). */
int mcp_request_reply_content(McpRequest *req, json_object *content, json_object *structured, bool is_error);
int mcp_request_reply_text(McpRequest *req, const char *format, ...) _printf_(2, 3);
/* A tool's execution error: an isError result with the text, which the model can read and act on. */
int mcp_request_reply_tool_error(McpRequest *req, const char *format, ...) _printf_(2, 3);

/* Progress, when the client asked for it with a progressToken (otherwise nothing is sent). total and
 * message are optional (total < 0, message NULL). */
int mcp_request_progress(McpRequest *req, double progress, double total, const char *message);
/* notifications/message at level, if the client's log level lets it through. data is taken. */
int mcp_request_log(McpRequest *req, McpLogLevel level, const char *logger, json_object *data);
/* Whether a message at level would reach the client (the session's or the request's log level). */
bool mcp_request_log_enabled(McpRequest *req, McpLogLevel level);
int mcp_request_logf(McpRequest *req, McpLogLevel level, const char *format, ...) _printf_(3, 4);

/* Asks the client something: sampling/createMessage, elicitation/create or roots/list. answer is called
 * exactly once: with the result, with the client's error, or with an error the engine makes when the session
 * ends. params is taken.
 *
 * The same handler works on both wires. With a session the question is a server-to-client request on this
 * request's stream. On the stateless wire the request is answered with an input_required result carrying
 * every question asked so far (keyed by key) and a sealed requestState; when the client retries with the
 * answers, the handler runs again from the start and its questions are answered at once, from the retry's
 * inputResponses or from requestState. So a handler asks in the same order every time and keeps no state
 * of its own between questions. mcp_request_ask() names the questions "ask1", "ask2", ... in that order.
 *
 * When the client has not declared the capability the question needs, the request is answered with
 * MissingRequiredClientCapability (-32021) and -ESTALE is returned: the handler just returns. */
typedef void (*McpAnswerHandler)(McpRequest *req, json_object *result, json_object *error, void *userdata);
int mcp_request_ask(McpRequest *req, const char *method, json_object *params, McpAnswerHandler answer, void *userdata);
int mcp_request_ask_named(McpRequest *req, const char *key, const char *method, json_object *params,
        McpAnswerHandler answer, void *userdata);
/* Stateless wire: the request came back with a requestState that opened (it continues an earlier round). */
bool mcp_request_is_resumed(McpRequest *req);

/* Called when the request ends without the handler's answer: the client cancelled it, closed its stream, or
 * (stateless wire) the engine answered input_required. The handler stops its work (timers, children) there. */
void mcp_request_on_cancel(McpRequest *req, void (*cancel)(McpRequest *req, void *userdata), void *userdata);

/* A check of the handler's own, beside the one the engine made for the tool's polkit_action: for a tool that
 * acts on several objects, one check per object (details: NULL-terminated key, value pairs; the transport
 * adds "tool" and "principal"). done gets 1 (allowed), 0 (refused) or a negative errno, at once or later.
 * On a transport that does not ask polkit (its caller was authenticated otherwise) it gets 1. done is called
 * even when the request ended meanwhile (its answers are dropped then), so that it can free userdata. One check
 * at a time per request: -EBUSY while one is pending. */
typedef void (*McpAuthorizeDone)(McpRequest *req, int allowed, void *userdata);
int mcp_request_authorize(McpRequest *req, const char *action, const char *const *details, McpAuthorizeDone done,
        void *userdata);
/* Who refuses when such a check says no, with its verb, for an access-denied message: "polkit does not allow",
 * or over HTTP behind the gateway "the principal's scopes do not allow". */
const char *mcp_request_denied_by(McpRequest *req);

/* Calls done after usec on the event loop, unless the request is finished by then. The request stays
 * referenced until the timer fires. */
int mcp_request_sleep(McpRequest *req, uint64_t usec, void (*done)(McpRequest *req, void *userdata), void *userdata);

/* Asks the transport to end the request's stream now; the client reconnects after retry_ms and receives
 * the rest (SSE polling). -EOPNOTSUPP where the transport has no such thing. */
int mcp_request_close_stream(McpRequest *req, uint64_t retry_ms);

/* --- relays (the gateway) ------------------------------------------------------------------------- */

/* Finishes req with a whole JSON-RPC response from elsewhere (taken); its id becomes req's. A response to
 * initialize initializes the session as the far side did. A response that is neither result nor error, or
 * NULL, finishes req without an answer (the far side cancelled it). */
int mcp_request_reply_raw(McpRequest *req, json_object *response);
/* Passes a message from elsewhere (a notification tied to req) on to req's stream as it is. Not taken. */
int mcp_request_forward(McpRequest *req, json_object *message);
/* Asks the client as mcp_request_ask() does, without checking its capabilities: the far side checked. */
int mcp_request_ask_raw(McpRequest *req, const char *method, json_object *params, McpAnswerHandler answer,
        void *userdata);
/* Answers a list method with the page of all (an array, borrowed) that the request's cursor names, under
 * key ("tools", "resources", ...), with nextCursor when more follow. */
int mcp_request_reply_page(McpRequest *req, const char *key, json_object *all);
/* Answers that uri names no resource, with the error code of the request's revision. */
int mcp_request_reply_resource_not_found(McpRequest *req, const char *uri);
/* The request's params (borrowed), and its JSON-RPC id as JSON text. */
json_object *mcp_request_get_params(McpRequest *req);
const char *mcp_request_get_id(McpRequest *req);
/* What the transport knows of the caller, passed to polkit as details (NULL when unknown). */
const char *mcp_request_get_principal(McpRequest *req);
/* What the principal was granted (space-separated scopes), as the transport says, or NULL. */
const char *mcp_request_get_scopes(McpRequest *req);
/* The local process the caller is, as the transport knows it (a local socket's peer), and its uid; 0 when
 * there is none. */
pid_t mcp_request_get_process(McpRequest *req, uid_t *ret_uid);
/* The system bus the caller came over and its unique name there (*ret_sender; NULL when it has none there, a
 * front end on a direct connection: mcp_request_get_process() names it then), or NULL on other transports. */
sd_bus *mcp_request_get_bus(McpRequest *req, const char **ret_sender);
void mcp_request_set_principal(McpRequest *req, const char *principal);
