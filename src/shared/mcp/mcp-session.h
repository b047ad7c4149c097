/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A client's session: negotiated revision, capabilities, log level, subscriptions, pending requests. */
#pragma once

#include "mcp-server.h"
#include "time-util.h"

int mcp_session_new(McpServer *s, McpSession **ret);
/* Ends the session: cancels its work, answers its pending server-to-client requests with an error, forgets
 * it. The memory goes when the last reference goes. */
void mcp_session_close(McpSession *session);
McpSession *mcp_session_ref(McpSession *session);
McpSession *mcp_session_unref(McpSession *session);
DEFINE_TRIVIAL_CLEANUP_FUNC(McpSession *, mcp_session_unref);

/* The session a client names by id (the id it was handed, mcp_session_get_public_id()), or NULL. */
McpSession *mcp_server_find_session(McpServer *s, const char *id);
size_t mcp_server_n_sessions(McpServer *s);
/* Makes room in a full table: ends the least recently used idle session of the owner holding the most
 * sessions, so that one client filling the table costs its own oldest session and not everyone else's new one.
 * owner() names a session's owner (its principal, else its source address), or NULL for a session the caller
 * does not manage; idle() says whether the transport sees nothing open on it. Returns 1 when a session was
 * ended (its client gets 404 and starts a new one), 0 when none could be. */
int mcp_server_end_lru_session(McpServer *s, const char *(*owner)(McpSession *session, void *userdata),
        bool (*idle)(McpSession *session, void *userdata), void *userdata);

/* The session's id in this process and towards backends (never sealed). */
const char *mcp_session_get_id(McpSession *session);
/* The id to hand the client: sealed when the server's state key is shared, else the session's id. */
const char *mcp_session_get_public_id(McpSession *session);
/* Who the session is for (NULL: nobody authenticated). A transport that hands the session's id to a client says so
 * before initialize: with a shared key, the id handed out is sealed for that principal. */
int mcp_session_set_principal(McpSession *session, const char *principal);
bool mcp_session_is_initialized(McpSession *session);
bool mcp_session_is_closed(McpSession *session);
const char *mcp_session_get_version(McpSession *session);
json_object *mcp_session_get_client_capabilities(McpSession *session); /* borrowed, NULL before initialize */
/* Initializes a session without an initialize request: the revision and the client's capabilities came
 * another way (a gateway that initialized with the client itself). capabilities and client_info may be NULL. */
int mcp_session_initialize(McpSession *session, const char *version, json_object *capabilities,
        json_object *client_info);
uint64_t mcp_session_get_last_used(McpSession *session);
void mcp_session_touch(McpSession *session);
/* Has requests in flight (such a session is never idle). */
bool mcp_session_is_busy(McpSession *session);
/* last_used is in now_usec()'s clock (time-util.h). */

/* Where messages that belong to no request go (list_changed, resource updates). */
void mcp_session_set_standalone(McpSession *session, int (*send)(void *userdata, json_object *m), void *userdata);

/* Sends a message that belongs to no request (a relayed notification) to the session's standalone stream. */
int mcp_session_send(McpSession *session, json_object *message);

/* Opaque per-session state of a transport, freed with the session. */
void mcp_session_set_transport_data(McpSession *session, void *data, void (*free_func)(void *));
void *mcp_session_get_transport_data(McpSession *session);
/* The same, but only when it was set with free_func: the data of that transport, NULL for other sessions. */
void *mcp_session_get_transport_data_of(McpSession *session, void (*free_func)(void *));

/* Sealed sessions (mcp-session-seal.c). When the server's state key is shared (mcp_server_set_state_secret()),
 * the id a client gets at initialize is sealed with it and carries the session's id, revision, the client's
 * capabilities (elicitation, sampling, roots, tasks), a digest of its principal and when it was made. Another
 * replica with the same key takes the session up from it; it is good for mcp_server_set_session_lifetime(). */
typedef struct McpSealedSession McpSealedSession;
McpSealedSession *mcp_sealed_session_free(McpSealedSession *sealed);
DEFINE_TRIVIAL_CLEANUP_FUNC(McpSealedSession *, mcp_sealed_session_free);
const char *mcp_sealed_session_get_id(const McpSealedSession *sealed);
bool mcp_server_seals_sessions(McpServer *s);
void mcp_server_set_session_lifetime(McpServer *s, uint64_t sec);
/* Opens the id of a session this process does not hold: 1 with *ret when it was sealed with this server's key,
 * for principal (NULL: made without one), has not expired and was not ended here; 0 when not; else a negative
 * errno. */
int mcp_sealed_session_open(McpServer *s, const char *public_id, const char *principal, McpSealedSession **ret);
/* Makes that session here, initialized as it was, under public_id. -EBUSY when the table is full, -EEXIST when
 * the session is here already. */
int mcp_session_take_up(McpServer *s, const McpSealedSession *sealed, const char *public_id, McpSession **ret);
/* Ends a session for good (the client's DELETE): as mcp_session_close(), and its sealed id no longer takes it up
 * here. Other replicas cannot know: there, it may be taken up until it expires. */
void mcp_session_end(McpSession *session);
void mcp_server_forget_ended_sessions(McpServer *s);
