/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sessions: created by initialize, found by id, ended by the client or by idleness. */
#include <stdio.h>
#include <sys/random.h>
#include <time.h>

#include "log.h"
#include "mcp-internal.h"

static int random_hex(char *out, size_t n_bytes) {
        uint8_t buf[64];
        assert(n_bytes <= sizeof(buf));

        ssize_t l = getrandom(buf, n_bytes, 0);
        if (l < 0)
                return -errno;
        if ((size_t) l != n_bytes)
                return -EIO;
        for (size_t i = 0; i < n_bytes; i++)
                sprintf(out + 2 * i, "%02x", buf[i]);
        return 0;
}

int mcp_session_new(McpServer *s, McpSession **ret) {
        assert(s);
        assert(ret);

        if (hashmap_size(s->sessions) >= MCP_MAX_SESSIONS_DEFAULT)
                return -EBUSY;

        _cleanup_(mcp_session_unrefp) McpSession *session = new0(McpSession, 1);
        if (!session)
                return -ENOMEM;
        session->n_ref = 1;
        session->server = s;
        session->log_level = MCP_LOG_DEBUG;
        session->last_used = now_usec();
        session->created_sec = (int64_t) time(NULL);
        session->subscriptions = hashmap_new();
        session->requests = hashmap_new();
        session->asks = hashmap_new();
        if (!session->subscriptions || !session->requests || !session->asks)
                return -ENOMEM;

        int r = random_hex(session->id, MCP_SESSION_ID_BYTES);
        if (r < 0)
                return r;

        r = hashmap_put(s->sessions, session->id, session);
        if (r < 0)
                return r;

        /* The server's table holds a reference until the session is closed. */
        *ret = mcp_session_ref(TAKE_PTR(session));
        return 0;
}

static void session_free(McpSession *session) {
        assert(hashmap_size(session->requests) == 0);
        assert(hashmap_size(session->asks) == 0);

        char *uri;
        size_t i = 0;
        while (hashmap_iterate(session->subscriptions, &i, (void **) &uri, NULL))
                free(uri);
        hashmap_free(session->subscriptions);
        hashmap_free(session->requests);
        hashmap_free(session->asks);

        if (session->transport_data_free)
                session->transport_data_free(session->transport_data);
        json_object_put(session->client_capabilities);
        json_object_put(session->client_info);
        free(session->version);
        free(session->public_id);
        free(session->principal);
        free(session);
}

McpSession *mcp_session_ref(McpSession *session) {
        if (session)
                session->n_ref++;
        return session;
}

McpSession *mcp_session_unref(McpSession *session) {
        if (!session)
                return NULL;
        assert(session->n_ref > 0);
        if (--session->n_ref == 0)
                session_free(session);
        return NULL;
}

static void ask_answer(Ask *ask, json_object *result, json_object *error) {
        McpRequest *req = ask->req;
        ask->answer(req, result, error, ask->userdata);
        mcp_request_unref(req);
        free(ask);
}

void mcp_session_close(McpSession *session) {
        if (!session || session->closed)
                return;

        _cleanup_(mcp_session_unrefp) McpSession *ref = mcp_session_ref(session);
        session->closed = true;
        hashmap_remove(session->server->sessions, session->id);

        /* Work first: a cancelled request is never answered, whatever its handler does next. */
        McpRequest *req;
        size_t i = 0;
        while (hashmap_iterate(session->requests, &i, (void **) &req, NULL))
                mcp_request_cancel(req);

        /* Every pending question gets its answer, so that handlers can release what they hold. */
        _cleanup_json_ json_object *error = json_object_new_object();
        if (error) {
                json_add(error, "code", json_object_new_int(JSONRPC_INTERNAL_ERROR));
                json_add_string(error, "message", "The session ended before the client answered.");
        }
        Ask *ask;
        i = 0;
        while (hashmap_iterate(session->asks, &i, (void **) &ask, NULL)) {
                hashmap_remove(session->asks, ask->key);
                ask_answer(ask, NULL, error);
        }

        session->standalone_send = NULL;
        const McpRelay *relay = session->server->def->relay;
        if (relay && relay->session_closed)
                relay->session_closed(session, session->server->userdata);
        mcp_session_unref(session); /* the server table's reference */
}

McpSession *mcp_server_find_session(McpServer *s, const char *id) {
        if (!s->state_key_shared)
                return hashmap_get(s->sessions, id);

        /* Sealed ids: the session is held under the id inside, and only the id it was handed out with (or taken
         * up with) names it, while that has not expired. */
        _cleanup_(mcp_sealed_session_freep) McpSealedSession *sealed = NULL;
        if (mcp_session_unseal_id(s, id, &sealed) <= 0)
                return NULL;
        McpSession *session = hashmap_get(s->sessions, mcp_sealed_session_get_id(sealed));
        return session && streq_ptr(session->public_id, id) ? session : NULL;
}

size_t mcp_server_n_sessions(McpServer *s) {
        return hashmap_size(s->sessions);
}

typedef struct OwnerTally {
        const char *owner;
        size_t n;
        McpSession *oldest_idle;
} OwnerTally;

int mcp_server_end_lru_session(McpServer *s, const char *(*owner)(McpSession *session, void *userdata),
        bool (*idle)(McpSession *session, void *userdata), void *userdata) {
        assert(owner);
        assert(idle);

        /* One pass counts each owner's sessions and finds its least recently used idle one. Only run when the
         * table is full, so the walk over it is paid by the client that fills it. */
        _cleanup_(hashmap_freep) Hashmap *tallies = hashmap_new();
        if (!tallies)
                return -ENOMEM;
        OwnerTally *best = NULL;
        McpSession *session;
        size_t i = 0;
        int r = 0;
        while (hashmap_iterate(s->sessions, &i, (void **) &session, NULL)) {
                const char *o = owner(session, userdata);
                if (!o)
                        continue;
                OwnerTally *t = hashmap_get(tallies, o);
                if (!t) {
                        t = new0(OwnerTally, 1);
                        if (!t || hashmap_put(tallies, o, t) < 0) {
                                free(t);
                                r = -ENOMEM;
                                break;
                        }
                        t->owner = o;
                }
                t->n++;
                if (!mcp_session_is_busy(session) && idle(session, userdata) &&
                        (!t->oldest_idle || session->last_used < t->oldest_idle->last_used))
                        t->oldest_idle = session;
        }

        OwnerTally *t;
        i = 0;
        while (hashmap_iterate(tallies, &i, (void **) &t, NULL)) {
                if (r == 0 && t->oldest_idle && (!best || t->n > best->n))
                        best = t;
        }
        McpSession *victim = best ? best->oldest_idle : NULL;
        if (victim)
                log_info("The session table is full: ending session %s, the least recently used idle one of the "
                         "client holding the most (%zu).",
                        victim->id, best->n);

        i = 0;
        while (hashmap_iterate(tallies, &i, (void **) &t, NULL))
                free(t);
        if (r < 0)
                return r;
        if (!victim)
                return 0;
        mcp_session_close(victim);
        return 1;
}

const char *mcp_session_get_id(McpSession *session) {
        return session->id;
}

const char *mcp_session_get_public_id(McpSession *session) {
        return session->public_id ?: session->id;
}

int mcp_session_set_principal(McpSession *session, const char *principal) {
        char *p = NULL;
        if (principal && !(p = strdup(principal)))
                return -ENOMEM;
        free(session->principal);
        session->principal = p;
        session->hands_out_id = true;
        return 0;
}

bool mcp_session_is_initialized(McpSession *session) {
        return session->initialized;
}

bool mcp_session_is_closed(McpSession *session) {
        return session->closed;
}

const char *mcp_session_get_version(McpSession *session) {
        return session->version;
}

json_object *mcp_session_get_client_capabilities(McpSession *session) {
        return session->client_capabilities;
}

int mcp_session_initialize(McpSession *session, const char *version, json_object *capabilities,
        json_object *client_info) {
        assert(version);

        char *v = strdup(version);
        if (!v)
                return -ENOMEM;
        free(session->version);
        session->version = v;
        json_object_put(session->client_capabilities);
        session->client_capabilities = capabilities ? json_object_get(capabilities) : json_object_new_object();
        json_object_put(session->client_info);
        session->client_info = json_object_get(client_info);
        if (session->server->state_key_shared && session->hands_out_id && !session->public_id) {
                int r = mcp_session_seal_id(session);
                if (r < 0)
                        return r;
        }
        session->initialized = true;
        return 0;
}

uint64_t mcp_session_get_last_used(McpSession *session) {
        return session->last_used;
}

void mcp_session_touch(McpSession *session) {
        session->last_used = now_usec();
}

bool mcp_session_is_busy(McpSession *session) {
        return hashmap_size(session->requests) > 0;
}

void mcp_session_set_standalone(McpSession *session, int (*send)(void *userdata, json_object *m), void *userdata) {
        session->standalone_send = send;
        session->standalone_userdata = userdata;
}

int mcp_session_send_standalone(McpSession *session, json_object *message) {
        if (!session->standalone_send)
                return 0; /* nobody listens; such notifications are hints, and the client can list again */
        return session->standalone_send(session->standalone_userdata, message);
}

void mcp_session_set_transport_data(McpSession *session, void *data, void (*free_func)(void *)) {
        session->transport_data = data;
        session->transport_data_free = free_func;
}

void *mcp_session_get_transport_data(McpSession *session) {
        return session->transport_data;
}

void *mcp_session_get_transport_data_of(McpSession *session, void (*free_func)(void *)) {
        return session->transport_data_free == free_func ? session->transport_data : NULL;
}

void mcp_session_handle_response(McpSession *session, const JsonRpcMessage *m) {
        Ask *ask = hashmap_remove(session->asks, json_to_string(m->id));
        if (!ask) {
                log_debug("Ignoring a response to unknown request %s.", json_to_string(m->id));
                return;
        }
        ask_answer(ask, m->result, m->error);
}

void mcp_session_handle_cancelled(McpSession *session, json_object *params) {
        json_object *id;
        if (!params || !json_object_object_get_ex(params, "requestId", &id))
                return;

        McpRequest *req = hashmap_get(session->requests, json_to_string(id));
        if (!req)
                return; /* already answered, or never known: the spec says to ignore it */
        if (req->method && streq(req->method, "initialize"))
                return; /* initialize cannot be cancelled */
        mcp_request_cancel(req);
}

int mcp_session_send(McpSession *session, json_object *message) {
        return mcp_session_send_standalone(session, message);
}
