/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.aios.MCP1: JSON-RPC messages in D-Bus calls, sessions per caller, polkit before tools, unicast signals. */
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bus-context.h"
#include "bus-direct.h"
#include "caller-context.h"
#include "hashmap.h"
#include "jsonrpc.h"
#include "list.h"
#include "log.h"
#include "mcp-bus.h"
#include "mcp-request.h"
#include "mcp-session.h"
#include "polkit.h"

/* A person answering an elicitation takes time; the default 25 s of D-Bus would cut them off. */
#define CLIENT_CALL_TIMEOUT_USEC (30 * 60 * USEC_PER_SEC)
#define BUS_ERROR_STOPPING "org.aios.MCP1.Error.Stopping"
#define BUS_ERROR_FAILED "org.aios.MCP1.Error.Failed"
#define BUS_ERROR_LIMITS_EXCEEDED "org.freedesktop.DBus.Error.LimitsExceeded"

/* What one caller may hold. A front end (the gateway) carries many clients' sessions on one connection, so
 * it gets the larger table; when a table is full, the caller's least recently used idle session ends. */
#define SESSIONS_PER_PEER_MAX 64U
#define SESSIONS_PER_FRONT_END_MAX 4096U
/* Bus sessions nobody used for this long end; the sweep runs every tenth of it. */
#define SESSION_IDLE_USEC (30 * 60 * USEC_PER_SEC)
/* The longest string each context field may be; client_capabilities is a JSON object. */
#define CONTEXT_FIELD_MAX 256U
#define CONTEXT_CAPABILITIES_MAX (64U * 1024U)
/* Direct connections held at once: a front end keeps one; a few more cover its restarts. */
#define DIRECT_CONNECTIONS_MAX 8U
/* A server on the bus alone that lost the broker exits once it had no call in flight for this long. */
#define BROKER_LOST_IDLE_USEC (10 * USEC_PER_SEC)
/* Who may speak for others when $AIOS_FRONT_END_USERS is not set. */
#define FRONT_END_USERS_DEFAULT "aios-gateway"

typedef struct BusPeer BusPeer;
typedef struct BusSession BusSession;
typedef struct BusCall BusCall;

struct McpBus {
        McpServer *server;
        sd_bus *bus;
        sd_bus_slot *object;
        sd_bus_slot *name_request;
        PolkitAuthority *polkit;
        bool name_required;
        Hashmap *peers;    /* unique name (or a direct connection's "direct/N") -> BusPeer */
        Hashmap *sessions; /* "peer\x1fsession" -> BusSession */
        BusPeer *direct;   /* the peers on direct connections */
        unsigned n_direct;
        uint64_t next_direct_id;
        BusCall *calls; /* in flight */
        uint64_t next_local_id;
        uid_t *front_ends; /* uids whose calls may name the principal they act for */
        size_t n_front_ends;
        sd_event_source *sweep_timer;
        sd_bus_slot *broker_gone;
        sd_event_source *broker_lost_timer;
        uint64_t busy_until; /* after the broker went: when a call was last in flight */
};

/* A caller: who it is (read once from the bus), and its sessions, which end when it leaves the bus. A front
 * end on a direct connection is a peer of its own, known by the connection, which the broker vouched for
 * when it was handed out; its sessions end when the connection does. */
struct BusPeer {
        McpBus *owner;
        char *name;
        sd_bus_track *track;
        unsigned n_sessions;
        bool front_end;
        uid_t uid;
        char *identity; /* "unix-user:NAME": the principal of a caller that is no front end */
        sd_bus *direct; /* a direct connection's own bus; NULL: a peer on the broker */
        pid_t pid;      /* a direct peer's process, which polkit is asked about */
        sd_bus_slot *direct_object;
        sd_bus_slot *direct_gone;
        LIST_FIELDS(BusPeer);
};

struct BusSession {
        McpBus *owner;
        BusPeer *peer;
        char *key;
        char *id; /* the caller's name for it */
        McpSession *session;
};

typedef enum CallKind {
        CALL_JSON, /* Call: the response is JSON text */
        CALL_TOOL, /* CallTool: the result, or a D-Bus error */
} CallKind;

struct BusCall {
        McpBus *owner;
        LIST_FIELDS(BusCall);
        CallKind kind;
        sd_bus_message *message;
        BusSession *session; /* NULL on the stateless wire */
        char *tag;
        char *principal; /* who the call acts for: the front end's word, or the caller itself */
        char *scopes;    /* what a front end granted the principal, space-separated; NULL otherwise */
        char *backend;   /* the front end's name for this server, which its scopes use; NULL otherwise */
        pid_t process;   /* a front end's local client: polkit decides for that process; 0 otherwise */
        uid_t process_uid;
        McpExchange *exchange;
};

/* --- peers and sessions ---------------------------------------------------------------------------- */

static void bus_session_free(BusSession *bs);

static BusPeer *bus_peer_free(BusPeer *p) {
        if (!p)
                return NULL;
        hashmap_remove(p->owner->peers, p->name);
        sd_bus_track_unref(p->track);
        if (p->direct) {
                LIST_REMOVE(p->owner->direct, p);
                p->owner->n_direct--;
                sd_bus_slot_unref(p->direct_object);
                sd_bus_slot_unref(p->direct_gone);
                (void) sd_bus_detach_event(p->direct);
                sd_bus_flush_close_unref(p->direct);
        }
        free(p->name);
        free(p->identity);
        free(p);
        return NULL;
}

/* Ends every session of a peer. Sessions are collected first: ending one changes the table. */
static void peer_sessions_end(McpBus *b, BusPeer *p) {
        while (p->n_sessions > 0) {
                BusSession *bs, *found = NULL;
                size_t i = 0;
                while (!found && hashmap_iterate(b->sessions, &i, (void **) &bs, NULL))
                        if (bs->peer == p)
                                found = bs;
                if (!found)
                        break;
                bus_session_free(found);
        }
}

static int on_peer_gone(sd_bus_track *track, void *userdata) {
        BusPeer *p = userdata;
        log_debug("%s left the bus: ending its sessions.", p->name);
        peer_sessions_end(p->owner, p);
        bus_peer_free(p);
        return 0;
}

static bool uid_is_front_end(McpBus *b, uid_t uid) {
        if (uid == 0)
                return true; /* root could act as any front end anyway */
        for (size_t i = 0; i < b->n_front_ends; i++)
                if (b->front_ends[i] == uid)
                        return true;
        return false;
}

/* Who the caller is, from the bus: the broker vouches for the uid of a connection. */
static int bus_peer_set_uid(BusPeer *p, uid_t uid) {
        p->uid = uid;
        p->front_end = uid_is_front_end(p->owner, uid);
        char buf[4096];
        struct passwd pw, *found = NULL;
        int r;
        if (getpwuid_r(uid, &pw, buf, sizeof(buf), &found) == 0 && found)
                r = asprintf(&p->identity, "unix-user:%s", found->pw_name);
        else
                r = asprintf(&p->identity, "unix-user:%u", (unsigned) uid);
        return r < 0 ? -ENOMEM : 0;
}

static int bus_peer_identify(BusPeer *p) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        uid_t uid;
        /* The uid the broker recorded when the peer connected (its SO_PEERCRED, which sd-bus gives as the
         * effective uid), not one read from /proc afterwards, which a process that exits could hand on with
         * its pid. */
        int r = sd_bus_get_name_creds(p->owner->bus, p->name, SD_BUS_CREDS_EUID, &creds);
        if (r >= 0)
                r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0)
                return log_warning_errno(r, "Failed to learn who %s is: %m", p->name);
        return bus_peer_set_uid(p, uid);
}

static BusPeer *direct_peer_of(McpBus *b, sd_bus_message *m) {
        sd_bus *bus = sd_bus_message_get_bus(m);
        if (bus == b->bus)
                return NULL;
        for (BusPeer *p = b->direct; p; p = p->next)
                if (p->direct == bus)
                        return p;
        return NULL;
}

/* The name m's sender is known by here: its unique name on the broker, or its direct connection's name. */
static const char *peer_name_of(McpBus *b, sd_bus_message *m) {
        if (sd_bus_message_get_bus(m) == b->bus)
                return sd_bus_message_get_sender(m);
        BusPeer *p = direct_peer_of(b, m);
        return p ? p->name : NULL;
}

/* Where what goes to m's sender is sent: the connection m came on, to the sender's name on the broker. */
static sd_bus *route_of(McpBus *b, sd_bus_message *m, const char **ret_destination) {
        sd_bus *bus = sd_bus_message_get_bus(m);
        *ret_destination = bus == b->bus ? sd_bus_message_get_sender(m) : NULL;
        return bus;
}

/* The peer that sent m, known from now until it leaves the bus. */
static int bus_peer_get(McpBus *b, sd_bus_message *m, BusPeer **ret) {
        if (sd_bus_message_get_bus(m) != b->bus) {
                BusPeer *p = direct_peer_of(b, m);
                if (!p)
                        return -ENOTCONN;
                *ret = p;
                return 0;
        }
        const char *name = sd_bus_message_get_sender(m);
        if (!name)
                return -EPROTO;
        BusPeer *p = hashmap_get(b->peers, name);
        if (p) {
                *ret = p;
                return 0;
        }

        p = new0(BusPeer, 1);
        if (!p)
                return -ENOMEM;
        p->owner = b;
        p->name = strdup(name);
        if (!p->name) {
                free(p);
                return -ENOMEM;
        }
        int r = hashmap_put(b->peers, p->name, p);
        if (r < 0) {
                free(p->name);
                free(p);
                return r;
        }
        r = bus_peer_identify(p);
        if (r >= 0)
                r = sd_bus_track_new(b->bus, &p->track, on_peer_gone, p);
        if (r >= 0)
                r = sd_bus_track_add_name(p->track, name);
        if (r < 0) {
                bus_peer_free(p);
                return r;
        }
        *ret = p;
        return 0;
}

static void bus_session_free(BusSession *bs) {
        if (!bs)
                return;
        McpBus *b = bs->owner;
        hashmap_remove(b->sessions, bs->key);
        if (bs->session) {
                mcp_session_set_standalone(bs->session, NULL, NULL);
                mcp_session_close(bs->session);
                mcp_session_unref(bs->session);
        }
        if (bs->peer)
                bs->peer->n_sessions--;
        free(bs->key);
        free(bs->id);
        free(bs);
}

/* Makes room for one more session of p: ends its least recently used idle session when its table is full.
 * Returns -EBUSY when every one of them is busy. */
static int peer_make_room(McpBus *b, BusPeer *p) {
        unsigned max = p->front_end ? SESSIONS_PER_FRONT_END_MAX : SESSIONS_PER_PEER_MAX;
        if (p->n_sessions < max)
                return 0;

        BusSession *bs, *oldest = NULL;
        size_t i = 0;
        while (hashmap_iterate(b->sessions, &i, (void **) &bs, NULL))
                if (bs->peer == p && !mcp_session_is_busy(bs->session) &&
                        (!oldest ||
                                mcp_session_get_last_used(bs->session) < mcp_session_get_last_used(oldest->session)))
                        oldest = bs;
        if (!oldest)
                return -EBUSY;
        log_info("%s holds %u sessions: ending its least recently used idle one.", p->name, p->n_sessions);
        bus_session_free(oldest);
        return 0;
}

static int on_sweep(sd_event_source *s, uint64_t usec, void *userdata) {
        McpBus *b = userdata;
        uint64_t now = now_usec();
        BusSession *bs;
        size_t i = 0;
        /* Freeing a session removes only its own entry, which the table allows while iterating. */
        while (hashmap_iterate(b->sessions, &i, (void **) &bs, NULL))
                if (!mcp_session_is_busy(bs->session) &&
                        mcp_session_get_last_used(bs->session) + SESSION_IDLE_USEC < now)
                        bus_session_free(bs);
        return sd_event_source_set_time_relative(s, SESSION_IDLE_USEC / 10);
}

static char *session_key(const char *sender, const char *id) {
        char *k = NULL;
        return asprintf(&k, "%s\x1f%s", sender, id) < 0 ? NULL : k;
}

/* A front end that moved to a direct connection (or came back to the broker from one that still lives)
 * goes on with its sessions: one of the same user, by the id it gave it, becomes the new peer's. */
static BusSession *session_adopt(McpBus *b, BusPeer *peer, const char *id) {
        BusSession *bs, *found = NULL;
        size_t i = 0;
        while (!found && hashmap_iterate(b->sessions, &i, (void **) &bs, NULL))
                if (bs->peer != peer && bs->peer->front_end && bs->peer->uid == peer->uid && streq(bs->id, id))
                        found = bs;
        if (!found)
                return NULL;
        char *key = session_key(peer->name, id);
        if (!key)
                return NULL;
        hashmap_remove(b->sessions, found->key);
        free(found->key);
        found->key = key;
        if (hashmap_put(b->sessions, found->key, found) < 0) {
                found->peer->n_sessions--;
                found->peer = NULL;
                bus_session_free(found);
                return NULL;
        }
        found->peer->n_sessions--;
        found->peer = peer;
        peer->n_sessions++;
        return found;
}

static BusSession *session_find(McpBus *b, BusPeer *peer, const char *id) {
        _cleanup_free_ char *key = session_key(peer->name, id);
        if (!key)
                return NULL;
        BusSession *bs = hashmap_get(b->sessions, key);
        if (!bs && peer->front_end)
                bs = session_adopt(b, peer, id);
        return bs;
}

static int emit_notification(sd_bus *bus, const char *destination, const char *session, json_object *message,
        const char *tag) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r = sd_bus_message_new_signal(bus, &m, MCP_BUS_PATH, MCP_BUS_INTERFACE, "Notification");
        if (r < 0)
                return r;
        if (destination) {
                r = sd_bus_message_set_destination(m, destination);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_append(m, "ss", strempty(session), json_to_string(message));
        if (r < 0)
                return r;
        r = tag ? sd_bus_message_append(m, "a{sv}", 1, "call", "s", tag) : sd_bus_message_append(m, "a{sv}", 0);
        if (r < 0)
                return r;
        return sd_bus_send(bus, m, NULL);
}

static sd_bus *peer_bus(BusPeer *p) {
        return p->direct ?: p->owner->bus;
}

static const char *peer_destination(BusPeer *p) {
        return p->direct ? NULL : p->name;
}

static int standalone_send(void *userdata, json_object *message) {
        BusSession *bs = userdata;
        return emit_notification(peer_bus(bs->peer), peer_destination(bs->peer), bs->id, message, NULL);
}

static int bus_session_new(McpBus *b, BusPeer *peer, const char *id, BusSession **ret) {
        int r = peer_make_room(b, peer);
        if (r < 0)
                return r;

        BusSession *bs = new0(BusSession, 1);
        if (!bs)
                return -ENOMEM;
        bs->owner = b;
        bs->id = strdup(id);
        bs->key = session_key(peer->name, id);
        r = bs->id && bs->key ? mcp_session_new(b->server, &bs->session) : -ENOMEM;
        if (r >= 0)
                r = hashmap_put(b->sessions, bs->key, bs);
        if (r < 0) {
                bus_session_free(bs);
                return r;
        }
        bs->peer = peer;
        peer->n_sessions++;
        mcp_session_set_standalone(bs->session, standalone_send, bs);
        *ret = bs;
        return 0;
}

/* --- calls ----------------------------------------------------------------------------------------- */

static BusCall *bus_call_free(BusCall *c) {
        if (!c)
                return NULL;
        LIST_REMOVE(c->owner->calls, c);
        sd_bus_message_unref(c->message);
        free(c->tag);
        free(c->principal);
        free(c->scopes);
        free(c->backend);
        free(c);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(BusCall *, bus_call_free);

static int bus_call_new(McpBus *b, sd_bus_message *m, CallKind kind, BusCall **ret) {
        BusCall *c = new0(BusCall, 1);
        if (!c)
                return -ENOMEM;
        c->owner = b;
        c->kind = kind;
        c->message = sd_bus_message_ref(m);
        LIST_PREPEND(b->calls, c);
        *ret = c;
        return 0;
}

static const char *error_name_of(int code) {
        switch (code) {
        case MCP_ERROR_ACCESS_DENIED:
                return SD_BUS_ERROR_ACCESS_DENIED;
        case JSONRPC_INVALID_PARAMS:
        case JSONRPC_INVALID_REQUEST:
                return SD_BUS_ERROR_INVALID_ARGS;
        default:
                return BUS_ERROR_FAILED;
        }
}

static void reply_tool(BusCall *c, json_object *reply) {
        json_object *error = json_get_object(reply, "error");
        if (!reply)
                (void) sd_bus_reply_method_errorf(c->message, BUS_ERROR_FAILED, "The call was cancelled.");
        else if (error) {
                json_object *code = NULL;
                json_object_object_get_ex(error, "code", &code);
                (void) sd_bus_reply_method_errorf(c->message, error_name_of(json_object_get_int(code)), "%s",
                        strempty(json_get_string(error, "message")));
        } else
                (void) sd_bus_reply_method_return(c->message, "s", json_to_string(json_get_object(reply, "result")));
}

static void sink_done(void *userdata, json_object *reply) {
        BusCall *c = userdata;
        c->exchange = NULL;
        if (c->kind == CALL_TOOL)
                reply_tool(c, reply);
        else
                (void) sd_bus_reply_method_return(c->message, "s", reply ? json_to_string(reply) : "");
        bus_call_free(c);
}

/* The client's answer to a question of a session's request goes back into the engine. */
typedef struct ClientCall {
        McpBus *owner;
        McpSession *session;
} ClientCall;

static int noop_send(void *userdata, json_object *m) {
        return 0;
}
static void noop_done(void *userdata, json_object *reply) {
}
static const McpSinkOps noop_ops = { .send = noop_send, .done = noop_done };

static int on_client_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        ClientCall *cc = userdata;
        const char *text = NULL;
        _cleanup_json_ json_object *response = NULL;

        const sd_bus_error *e = sd_bus_message_get_error(reply);
        if (e)
                log_debug("The client call failed: %s: %s", e->name, strempty(e->message));
        else if (sd_bus_message_read(reply, "s", &text) < 0 ||
                json_parse_strict(text, strlen(text), &response, NULL) < 0)
                log_debug("The client's answer is not JSON: ignoring it.");
        if (response && !mcp_session_is_closed(cc->session))
                (void) mcp_server_dispatch(cc->owner->server, cc->session, response, &noop_ops, NULL, NULL);
        /* Without an answer the question stays open until the session ends, which answers it with an error. */

        mcp_session_unref(cc->session);
        free(cc);
        return 0;
}

static int ask_client(BusCall *c, json_object *request) {
        McpBus *b = c->owner;
        if (!c->session)
                return -EOPNOTSUPP; /* the stateless wire asks with input_required results instead */

        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        BusPeer *peer = c->session->peer;
        int r = sd_bus_message_new_method_call(peer_bus(peer), &m, peer_destination(peer), MCP_CLIENT_BUS_PATH,
                MCP_CLIENT_BUS_INTERFACE, "Call");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "sa{sv}", json_to_string(request), 2, "session", "s", c->session->id, "call", "s",
                strempty(c->tag));
        if (r < 0)
                return r;

        ClientCall *cc = new0(ClientCall, 1);
        if (!cc)
                return -ENOMEM;
        cc->owner = b;
        cc->session = mcp_session_ref(c->session->session);
        r = sd_bus_call_async(peer_bus(peer), NULL, m, on_client_reply, cc, CLIENT_CALL_TIMEOUT_USEC);
        if (r < 0) {
                mcp_session_unref(cc->session);
                free(cc);
        }
        return r;
}

static int sink_send(void *userdata, json_object *message) {
        BusCall *c = userdata;
        if (json_object_object_get_ex(message, "id", NULL))
                return ask_client(c, message);
        const char *destination;
        sd_bus *bus = route_of(c->owner, c->message, &destination);
        return emit_notification(bus, destination, c->session ? c->session->id : NULL, message, c->tag);
}

static int sink_close_stream(void *userdata, uint64_t retry_ms) {
        BusCall *c = userdata;
        if (!c->tag)
                return -EOPNOTSUPP;

        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        const char *destination;
        sd_bus *bus = route_of(c->owner, c->message, &destination);
        int r = sd_bus_message_new_signal(bus, &m, MCP_BUS_PATH, MCP_BUS_INTERFACE, "CloseStream");
        if (r < 0)
                return r;
        if (destination) {
                r = sd_bus_message_set_destination(m, destination);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_append(m, "sst", c->session ? c->session->id : "", c->tag, retry_ms);
        if (r < 0)
                return r;
        return sd_bus_send(bus, m, NULL);
}

typedef struct AuthorizeCheck {
        McpRequest *req;
        char *sender;
        void (*done)(McpRequest *req, int allowed);
} AuthorizeCheck;

static AuthorizeCheck *authorize_check_free(AuthorizeCheck *a) {
        if (!a)
                return NULL;
        mcp_request_unref(a->req);
        free(a->sender);
        free(a);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(AuthorizeCheck *, authorize_check_free);

static void on_polkit_answer(int allowed, void *userdata) {
        _cleanup_(authorize_check_freep) AuthorizeCheck *a = userdata;
        /* The principal was checked to be printable when it came in: it cannot forge log lines. */
        if (allowed == 0)
                log_info("polkit refused tool %s to %s acting for %s.", strempty(mcp_request_get_tool_name(a->req)),
                        a->sender, strempty(mcp_request_get_principal(a->req)));
        a->done(a->req, allowed);
}

static int sink_authorize(void *userdata, McpRequest *req, const char *action, const char *const *tool_details,
        void (*done)(McpRequest *req, int allowed)) {
        BusCall *c = userdata;
        const char *principal = mcp_request_get_principal(req);
        const char *tool = mcp_request_get_tool_name(req);
        const char *details[2 * 8 + 1];
        caller_details(tool, principal, c->scopes, c->backend, tool_details, details, ELEMENTSOF(details));

        _cleanup_(authorize_check_freep) AuthorizeCheck *a = new0(AuthorizeCheck, 1);
        if (!a)
                return -ENOMEM;
        a->req = mcp_request_ref(req);
        a->done = done;
        BusPeer *direct = direct_peer_of(c->owner, c->message);
        a->sender = strdup(strempty(peer_name_of(c->owner, c->message)));
        if (!a->sender)
                return -ENOMEM;
        /* A remembered answer calls on_polkit_answer() before polkit_check() returns, and that frees it. A
         * front end's local client is checked as the process it is: polkit decides for its user and session,
         * so it gets what it would get on the bus itself, no more. */
        AuthorizeCheck *check = TAKE_PTR(a);
        bool interactive = sd_bus_message_get_allow_interactive_authorization(c->message) > 0;
        /* A front end on a direct connection has no name on the bus: polkit is asked about its process, which
         * the broker named when the connection was handed out; the connection ends with the process. */
        int r = c->process > 0 ? polkit_check_process(c->owner->polkit, c->process, c->process_uid, action, details,
                                         interactive, on_polkit_answer, check)
                : direct
                ? polkit_check_process(c->owner->polkit, direct->pid, direct->uid, action, details, interactive,
                          on_polkit_answer, check)
                : polkit_check(c->owner->polkit, check->sender, action, details, interactive, on_polkit_answer, check);
        if (r < 0)
                authorize_check_free(check);
        return r;
}

static const char *sink_principal(void *userdata) {
        BusCall *c = userdata;
        return c->principal;
}

static const char *sink_scopes(void *userdata) {
        BusCall *c = userdata;
        return c->scopes;
}

/* The process polkit decides for: a front end's local client, or a front end on a direct connection (which
 * has no name on the bus). */
static pid_t sink_process(void *userdata, uid_t *ret_uid) {
        BusCall *c = userdata;
        BusPeer *direct = direct_peer_of(c->owner, c->message);
        if (c->process <= 0 && direct) {
                *ret_uid = direct->uid;
                return direct->pid;
        }
        *ret_uid = c->process_uid;
        return c->process;
}

/* The system bus, where a server calls another for this caller, and the caller's name there (NULL for a
 * direct connection, whose process stands for it). */
static sd_bus *sink_bus(void *userdata, const char **ret_sender) {
        BusCall *c = userdata;
        *ret_sender =
                sd_bus_message_get_bus(c->message) == c->owner->bus ? sd_bus_message_get_sender(c->message) : NULL;
        return c->owner->bus;
}

static const McpSinkOps bus_sink_ops = {
        .principal = sink_principal,
        .scopes = sink_scopes,
        .process = sink_process,
        .bus = sink_bus,
        .send = sink_send,
        .done = sink_done,
        .close_stream = sink_close_stream,
        .authorize = sink_authorize,
};

/* --- methods --------------------------------------------------------------------------------------- */

typedef struct CallContext {
        const char *session;
        const char *tag;
        const char *principal;
        const char *scopes;
        const char *backend;
        const char *process;
        const char *protocol_version;
        const char *client_capabilities;
} CallContext;

static int read_context(sd_bus_message *m, CallContext *ret, sd_bus_error *error) {
        *ret = (CallContext){};
        const BusContextField fields[] = {
                { "session", &ret->session },
                { "call", &ret->tag },
                { "principal", &ret->principal },
                { "scopes", &ret->scopes },
                { "backend", &ret->backend },
                { "process", &ret->process },
                { "protocol_version", &ret->protocol_version },
                { "client_capabilities", &ret->client_capabilities },
        };
        int r = bus_context_read(m, fields, ELEMENTSOF(fields));
        if (r < 0)
                return r;

        if (!caller_field_ok(ret->session, CONTEXT_FIELD_MAX, false) ||
                !caller_field_ok(ret->tag, CONTEXT_FIELD_MAX, false) ||
                !caller_field_ok(ret->principal, CONTEXT_FIELD_MAX, false) || (ret->principal && !*ret->principal) ||
                !caller_field_ok(ret->scopes, 16 * CONTEXT_FIELD_MAX, true) ||
                !caller_field_ok(ret->backend, CONTEXT_FIELD_MAX, false) || !caller_field_ok(ret->process, 32, true) ||
                !caller_field_ok(ret->protocol_version, 32, false) ||
                (ret->client_capabilities && strlen(ret->client_capabilities) > CONTEXT_CAPABILITIES_MAX))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                        "A context field is too long or has characters other than printable ASCII "
                        "(session, call, principal and backend: up to %u; client_capabilities: up to %u bytes).",
                        CONTEXT_FIELD_MAX, CONTEXT_CAPABILITIES_MAX);
        return 0;
}

/* The arguments of Call and Notify: a JSON text and its context. */
static int read_message(sd_bus_message *m, const char **ret_text, CallContext *ret_ctx, sd_bus_error *error) {
        int r = sd_bus_message_read(m, "s", ret_text);
        if (r < 0)
                return r;
        return read_context(m, ret_ctx, error);
}

/* The caller's session named in context: found, created by initialize, or created initialized when the
 * caller says what its client negotiated. Returns 1 with *ret, or 0 with an error response in *ret_error. */
static int find_session(McpBus *b, BusPeer *peer, const CallContext *ctx, json_object *message, BusSession **ret,
        json_object **ret_error) {

        BusSession *bs = session_find(b, peer, ctx->session);
        if (bs) {
                *ret = bs;
                return 1;
        }

        json_object *id = NULL;
        if (json_object_is_type(message, json_type_object))
                json_object_object_get_ex(message, "id", &id);
        bool initialize = mcp_message_is_initialize(message);
        if (!initialize && !ctx->protocol_version) {
                *ret_error = jsonrpc_errorf_new(id, -32001, "Session not found");
                return 0;
        }

        int r = bus_session_new(b, peer, ctx->session, &bs);
        if (r == -EBUSY) {
                *ret_error = jsonrpc_errorf_new(id, -32000,
                        "Too many sessions: every one of the %s sessions of this caller is busy",
                        peer->front_end ? "front end's" : "caller's");
                return 0;
        }
        if (r < 0)
                return r;
        if (!initialize) {
                _cleanup_json_ json_object *caps = NULL;
                if (ctx->client_capabilities &&
                        json_parse_strict(ctx->client_capabilities, strlen(ctx->client_capabilities), &caps, NULL) < 0)
                        caps = NULL;
                r = mcp_session_initialize(bs->session, ctx->protocol_version, caps, NULL);
                if (r < 0) {
                        bus_session_free(bs);
                        return r;
                }
        }
        *ret = bs;
        return 1;
}

static int reply_json(sd_bus_message *m, json_object *reply) {
        return sd_bus_reply_method_return(m, "s", reply ? json_to_string(reply) : "");
}

/* Hands a parsed message to the engine for call c; answers at once when there is nothing to wait for. */
static int call_dispatch(BusCall *c, json_object *message) {
        McpBus *b = c->owner;
        int r = c->session
                ? mcp_server_dispatch(b->server, c->session->session, message, &bus_sink_ops, c, &c->exchange)
                : mcp_server_dispatch_stateless(b->server, message, &bus_sink_ops, c, &c->exchange);
        if (r < 0) {
                bus_call_free(c);
                return r;
        }
        if (r == 0)
                sink_done(c, NULL); /* notifications and responses only */
        /* Otherwise done was called already, or will be, and frees c. 1 tells sd-bus the call is handled,
         * even when its reply comes later. */
        return 1;
}

/* Who a call acts for: a front end says so in the context (its client, as it authenticated it); anyone else
 * acts for itself, whatever its context claims. */
static int bus_call_set_principal(BusCall *c, BusPeer *peer, const CallContext *ctx) {
        const char *principal = peer->front_end && ctx->principal ? ctx->principal : peer->identity;
        c->principal = strdup(principal);
        if (!c->principal)
                return -ENOMEM;
        if (!peer->front_end)
                return 0;
        if (ctx->scopes && !(c->scopes = strdup(ctx->scopes)))
                return -ENOMEM;
        if (ctx->backend && !(c->backend = strdup(ctx->backend)))
                return -ENOMEM;
        if (ctx->process) {
                int pid;
                unsigned uid;
                int consumed = 0;
                if (sscanf(ctx->process, "%d %u%n", &pid, &uid, &consumed) != 2 || ctx->process[consumed] || pid <= 0)
                        return -EINVAL;
                c->process = pid;
                c->process_uid = uid;
        }
        return 0;
}

static int method_call(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        McpBus *b = userdata;
        const char *text;
        CallContext ctx;

        int r = read_message(m, &text, &ctx, error);
        if (r < 0)
                return r;

        BusPeer *peer;
        r = bus_peer_get(b, m, &peer);
        if (r < 0)
                return r;

        _cleanup_json_ json_object *message = NULL;
        const char *reason = NULL;
        if (json_parse_strict(text, strlen(text), &message, &reason) < 0) {
                _cleanup_json_ json_object *e = mcp_parse_error_new(reason);
                return reply_json(m, e);
        }

        BusSession *bs = NULL;
        if (ctx.session) {
                _cleanup_json_ json_object *e = NULL;
                r = find_session(b, peer, &ctx, message, &bs, &e);
                if (r < 0)
                        return r;
                if (r == 0)
                        return reply_json(m, e);
        }

        _cleanup_(bus_call_freep) BusCall *c = NULL;
        r = bus_call_new(b, m, CALL_JSON, &c);
        if (r < 0)
                return r;
        c->session = bs;
        c->tag = ctx.tag ? strdup(ctx.tag) : NULL;
        if (ctx.tag && !c->tag)
                return -ENOMEM;
        r = bus_call_set_principal(c, peer, &ctx);
        if (r < 0)
                return r;
        return call_dispatch(TAKE_PTR(c), message);
}

static void call_cancel(McpBus *b, const char *sender, const char *tag) {
        for (BusCall *c = b->calls; c; c = c->next)
                if (!c->session && streq_ptr(c->tag, tag) && streq_ptr(peer_name_of(b, c->message), sender)) {
                        McpExchange *x = TAKE_PTR(c->exchange);
                        mcp_exchange_abort(x);
                        (void) sd_bus_reply_method_return(c->message, "s", "");
                        bus_call_free(c);
                        return;
                }
}

static int method_notify(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        McpBus *b = userdata;
        const char *text;
        CallContext ctx;

        int r = read_message(m, &text, &ctx, error);
        if (r < 0)
                return r;

        _cleanup_json_ json_object *message = NULL;
        if (json_parse_strict(text, strlen(text), &message, NULL) < 0 ||
                !json_object_is_type(message, json_type_object) || json_object_object_get_ex(message, "id", NULL))
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "Notify takes one JSON-RPC notification.");

        const char *sender = peer_name_of(b, m);
        if (!sender)
                return sd_bus_reply_method_return(m, NULL);
        if (ctx.session) {
                BusPeer *peer;
                r = bus_peer_get(b, m, &peer);
                if (r < 0)
                        return r;
                BusSession *bs = session_find(b, peer, ctx.session);
                if (bs)
                        (void) mcp_server_dispatch(b->server, bs->session, message, &noop_ops, NULL, NULL);
        } else if (ctx.tag && streq_ptr(json_get_string(message, "method"), "notifications/cancelled"))
                /* The stateless wire has no request ids to cancel by: the caller names its call. */
                call_cancel(b, sender, ctx.tag);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_end_session(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        McpBus *b = userdata;
        const char *id;

        int r = sd_bus_message_read(m, "s", &id);
        if (r < 0)
                return r;
        BusPeer *peer;
        r = bus_peer_get(b, m, &peer);
        if (r < 0)
                return r;
        bus_session_free(session_find(b, peer, id));
        return sd_bus_reply_method_return(m, NULL);
}

static int method_list_tools(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        McpBus *b = userdata;
        _cleanup_json_ json_object *tools = mcp_server_tool_descriptors(b->server);
        if (!tools)
                return -ENOMEM;
        return sd_bus_reply_method_return(m, "s", json_to_string(tools));
}

static int method_describe(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        McpBus *b = userdata;
        _cleanup_json_ json_object *catalog = mcp_server_catalog(b->server);
        if (!catalog)
                return -ENOMEM;
        return sd_bus_reply_method_return(m, "s", json_to_string(catalog));
}

/* busctl's calls share one session per caller, made on first use. */
static int local_session(McpBus *b, BusPeer *peer, BusSession **ret) {
        CallContext ctx = { .session = "", .protocol_version = MCP_VERSION_LATEST_SESSION };
        _cleanup_json_ json_object *e = NULL, *none = json_object_new_object();
        if (!none)
                return -ENOMEM;
        int r = find_session(b, peer, &ctx, none, ret, &e);
        if (r < 0)
                return r;
        return r == 0 ? -EBUSY : 0;
}

static int method_call_tool(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        McpBus *b = userdata;
        const char *name, *arguments_text;

        int r = sd_bus_message_read(m, "ss", &name, &arguments_text);
        if (r < 0)
                return r;

        _cleanup_json_ json_object *arguments = NULL;
        if (isempty(arguments_text))
                arguments = json_object_new_object();
        else if (json_parse_strict(arguments_text, strlen(arguments_text), &arguments, NULL) < 0 ||
                !json_object_is_type(arguments, json_type_object))
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "The arguments must be a JSON object.");

        BusPeer *peer;
        BusSession *bs;
        r = bus_peer_get(b, m, &peer);
        if (r >= 0)
                r = local_session(b, peer, &bs);
        if (r == -EBUSY)
                return sd_bus_error_set(error, BUS_ERROR_LIMITS_EXCEEDED, "Every session of this caller is busy.");
        if (r < 0)
                return r;

        _cleanup_json_ json_object *params = json_object_new_object();
        if (!params || !arguments || json_add_string(params, "name", name) < 0 ||
                json_add(params, "arguments", TAKE_PTR(arguments)) < 0)
                return -ENOMEM;
        _cleanup_json_ json_object *request = jsonrpc_request_new(json_object_new_int64((int64_t) ++b->next_local_id),
                "tools/call", TAKE_PTR(params));
        if (!request)
                return -ENOMEM;

        _cleanup_(bus_call_freep) BusCall *c = NULL;
        r = bus_call_new(b, m, CALL_TOOL, &c);
        if (r < 0)
                return r;
        c->session = bs;
        CallContext ctx = {};
        r = bus_call_set_principal(c, peer, &ctx);
        if (r < 0)
                return r;
        return call_dispatch(TAKE_PTR(c), request);
}

/* --- direct connections ---------------------------------------------------------------------------- */

/* The front end's connection ended (it left, or its process did): its calls stop, its sessions end. */
static int on_direct_gone(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        BusPeer *p = userdata;
        McpBus *b = p->owner;
        log_debug("The direct connection %s ended: ending its calls and sessions.", p->name);
        for (BusCall *c = b->calls, *next; c; c = next) {
                next = c->next;
                if (sd_bus_message_get_bus(c->message) != p->direct)
                        continue;
                McpExchange *x = TAKE_PTR(c->exchange);
                mcp_exchange_abort(x);
                bus_call_free(c);
        }
        peer_sessions_end(b, p);
        bus_peer_free(p);
        return 0;
}

static int mcp_bus_export(McpBus *b, sd_bus *bus, sd_bus_slot **ret);

/* A direct connection's peer: the caller of Connect, as the broker knows it, on fd (taken). */
static int direct_peer_new(McpBus *b, int fd, pid_t pid, uid_t uid) {
        BusPeer *p = new0(BusPeer, 1);
        if (!p) {
                close(fd);
                return -ENOMEM;
        }
        p->owner = b;
        p->pid = pid;
        int r = asprintf(&p->name, "direct/%" PRIu64, ++b->next_direct_id);
        if (r < 0) {
                free(p);
                close(fd);
                return -ENOMEM;
        }
        r = bus_direct_serve(mcp_server_get_event(b->server), fd, &p->direct);
        if (r < 0) {
                free(p->name);
                free(p);
                return r;
        }
        LIST_PREPEND(b->direct, p);
        b->n_direct++;
        r = hashmap_put(b->peers, p->name, p);
        if (r < 0) {
                p->name[0] = 0; /* not in the table: removing it removes nothing */
                bus_peer_free(p);
                return r;
        }
        r = bus_peer_set_uid(p, uid);
        if (r >= 0)
                r = mcp_bus_export(b, p->direct, &p->direct_object);
        if (r >= 0)
                r = bus_direct_on_disconnect(p->direct, &p->direct_gone, on_direct_gone, p);
        if (r < 0) {
                bus_peer_free(p);
                return r;
        }
        return 0;
}

/* A front end asks for a connection of its own: the other end of a socket pair, for its calls to bypass the
 * broker. Only a front end gets one; everyone else calls over the bus, where the broker says who they are. */
static int method_connect(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        McpBus *b = userdata;
        if (sd_bus_message_get_bus(m) != b->bus)
                return sd_bus_error_set(error, SD_BUS_ERROR_NOT_SUPPORTED, "This is a direct connection already.");

        BusPeer *peer;
        int r = bus_peer_get(b, m, &peer);
        if (r < 0)
                return r;
        if (!peer->front_end) {
                log_info("Refused a direct connection to %s (%s): it is no front end.", peer->name, peer->identity);
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED,
                        "Only a front end (the gateway's user) gets a direct connection; call over the bus.");
        }
        if (b->n_direct >= DIRECT_CONNECTIONS_MAX)
                return sd_bus_error_setf(error, BUS_ERROR_LIMITS_EXCEEDED,
                        "This server holds %u direct connections already; call over the bus.", b->n_direct);

        /* The process polkit is asked about for calls on the connection: the caller's, as the broker saw it
         * connect, with the uid it vouched for. */
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        pid_t pid;
        r = sd_bus_get_name_creds(b->bus, peer->name, SD_BUS_CREDS_PID, &creds);
        if (r >= 0)
                r = sd_bus_creds_get_pid(creds, &pid);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to learn the process of %s: %m", peer->name);

        int pair[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) < 0)
                return -errno;
        _cleanup_close_ int theirs = pair[1];
        r = direct_peer_new(b, pair[0], pid, peer->uid);
        if (r < 0)
                return log_warning_errno(r, "Failed to set up a direct connection for %s: %m", peer->name);
        log_debug("A direct connection for %s (process %d).", peer->name, (int) pid);
        return sd_bus_reply_method_return(m, "h", theirs);
}

static int property_json(sd_bus *bus, const char *path, const char *interface, const char *property,
        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        McpBus *b = userdata;

        if (streq(property, "Instructions"))
                return sd_bus_message_append(reply, "s", strempty(mcp_server_get_definition(b->server)->instructions));

        _cleanup_json_ json_object *v =
                streq(property, "ServerInfo") ? mcp_server_info(b->server) : mcp_server_capabilities(b->server);
        if (!v)
                return -ENOMEM;
        return sd_bus_message_append(reply, "s", json_to_string(v));
}

static const sd_bus_vtable mcp_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Call", SD_BUS_ARGS("s", request, "a{sv}", context), SD_BUS_RESULT("s", response),
                method_call, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Notify", SD_BUS_ARGS("s", notification, "a{sv}", context), SD_BUS_NO_RESULT,
                method_notify, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("EndSession", SD_BUS_ARGS("s", session), SD_BUS_NO_RESULT, method_end_session,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListTools", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", tools), method_list_tools,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Describe", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", catalog), method_describe,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("CallTool", SD_BUS_ARGS("s", name, "s", arguments), SD_BUS_RESULT("s", result),
                method_call_tool, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Connect", SD_BUS_NO_ARGS, SD_BUS_RESULT("h", socket), method_connect,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("Notification", SD_BUS_ARGS("s", session, "s", notification, "a{sv}", context), 0),
        SD_BUS_SIGNAL_WITH_ARGS("CloseStream", SD_BUS_ARGS("s", session, "s", call, "t", retry_ms), 0),
        SD_BUS_PROPERTY("ServerInfo", "s", property_json, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Capabilities", "s", property_json, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Instructions", "s", property_json, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_VTABLE_END,
};

/* --- setup ----------------------------------------------------------------------------------------- */

static int mcp_bus_export(McpBus *b, sd_bus *bus, sd_bus_slot **ret) {
        return sd_bus_add_object_vtable(bus, ret, MCP_BUS_PATH, MCP_BUS_INTERFACE, mcp_vtable, b);
}

int bus_open_system_attached(sd_event *event, sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}

static int on_name_acquired(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        McpBus *b = userdata;
        const char *name = mcp_server_get_definition(b->server)->bus_name;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (!e) {
                log_info("Serving MCP on the system bus as %s.", name);
                return 0;
        }
        if (b->name_required) {
                log_error("Failed to own the bus name %s: %s", name, strempty(e->message));
                return sd_event_exit(mcp_server_get_event(b->server), -sd_bus_error_get_errno(e) ?: -EACCES);
        }
        log_warning("Failed to own the bus name %s, serving HTTP only: %s", name, strempty(e->message));
        return 0;
}

static int on_broker_lost_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        McpBus *b = userdata;
        uint64_t now = now_usec();
        if (b->calls)
                b->busy_until = now;
        else if (now - b->busy_until >= BROKER_LOST_IDLE_USEC) {
                log_info("No call in flight for %llu s since the system bus went away: exiting, to be started on "
                         "the bus that comes back.",
                        (unsigned long long) (BROKER_LOST_IDLE_USEC / USEC_PER_SEC));
                return sd_event_exit(mcp_server_get_event(b->server), 0);
        }
        return sd_event_source_set_time_relative(s, USEC_PER_SEC);
}

/* The broker went away. A server on the bus alone can be reached by nobody new: its front ends' direct
 * connections go on while they are used, and once it had no call in flight for a while it exits, as systemd's
 * bus services do, so that the bus that comes back starts it again. A server that also serves HTTP goes on. */
static int on_broker_gone(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        McpBus *b = userdata;
        if (!b->name_required) {
                log_warning("Lost the system bus: serving on without it.");
                return 0;
        }
        log_warning("Lost the system bus: serving the direct connections until no call was in flight for %llu s.",
                (unsigned long long) (BROKER_LOST_IDLE_USEC / USEC_PER_SEC));
        b->busy_until = now_usec();
        int r = sd_event_add_time_relative(mcp_server_get_event(b->server), &b->broker_lost_timer, CLOCK_MONOTONIC,
                USEC_PER_SEC, 0, on_broker_lost_tick, b);
        if (r >= 0)
                r = sd_event_source_set_enabled(b->broker_lost_timer, SD_EVENT_ON);
        if (r < 0)
                return sd_event_exit(mcp_server_get_event(b->server), 0);
        return 0;
}

/* The users whose calls may name the principal they act for: $AIOS_FRONT_END_USERS (names separated by
 * spaces), or the gateway's user. A name that does not exist is skipped. */
static int front_ends_read(McpBus *b) {
        const char *e = getenv("AIOS_FRONT_END_USERS");
        _cleanup_free_ char *names = strdup(e ?: FRONT_END_USERS_DEFAULT);
        if (!names)
                return -ENOMEM;
        char *save = NULL;
        for (char *name = strtok_r(names, " \t,", &save); name; name = strtok_r(NULL, " \t,", &save)) {
                char buf[4096];
                struct passwd pw, *found = NULL;
                if (getpwnam_r(name, &pw, buf, sizeof(buf), &found) != 0 || !found) {
                        log_debug("Front end user %s does not exist: skipping it.", name);
                        continue;
                }
                uid_t *n = reallocarray(b->front_ends, b->n_front_ends + 1, sizeof(uid_t));
                if (!n)
                        return -ENOMEM;
                b->front_ends = n;
                b->front_ends[b->n_front_ends++] = found->pw_uid;
        }
        return 0;
}

int mcp_bus_new(McpBus **ret, McpServer *server, sd_bus *bus, bool required) {
        const char *name = mcp_server_get_definition(server)->bus_name;
        assert(name);

        _cleanup_(mcp_bus_freep) McpBus *b = new0(McpBus, 1);
        if (!b)
                return log_oom();
        b->server = server;
        b->bus = sd_bus_ref(bus);
        b->name_required = required;
        b->peers = hashmap_new();
        b->sessions = hashmap_new();
        if (!b->peers || !b->sessions)
                return log_oom();

        int r = front_ends_read(b);
        if (r < 0)
                return log_oom();
        r = sd_event_add_time_relative(mcp_server_get_event(server), &b->sweep_timer, CLOCK_MONOTONIC,
                SESSION_IDLE_USEC / 10, USEC_PER_SEC, on_sweep, b);
        if (r < 0)
                return log_error_errno(r, "Failed to add the bus session timer: %m");
        (void) sd_event_source_set_enabled(b->sweep_timer, SD_EVENT_ON);

        r = polkit_authority_new(&b->polkit, bus);
        if (r < 0)
                return r;
        r = sd_bus_add_object_vtable(bus, &b->object, MCP_BUS_PATH, MCP_BUS_INTERFACE, mcp_vtable, b);
        if (r < 0)
                return log_error_errno(r, "Failed to export %s: %m", MCP_BUS_PATH);
        r = sd_bus_request_name_async(bus, &b->name_request, name, 0, on_name_acquired, b);
        if (r < 0)
                return log_error_errno(r, "Failed to request the bus name %s: %m", name);
        r = bus_direct_on_disconnect(bus, &b->broker_gone, on_broker_gone, b);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the system bus connection: %m");

        *ret = TAKE_PTR(b);
        return 0;
}

McpBus *mcp_bus_free(McpBus *b) {
        if (!b)
                return NULL;

        /* Calls in flight get an answer that says why, instead of a timeout. */
        while (b->calls) {
                BusCall *c = b->calls;
                McpExchange *x = TAKE_PTR(c->exchange);
                mcp_exchange_abort(x);
                (void) sd_bus_reply_method_errorf(c->message, BUS_ERROR_STOPPING, "The server is stopping.");
                bus_call_free(c);
        }

        BusPeer *p;
        size_t i = 0;
        while (hashmap_iterate(b->peers, &i, (void **) &p, NULL)) {
                peer_sessions_end(b, p);
                bus_peer_free(p);
                i = 0;
        }
        hashmap_free(b->sessions);
        hashmap_free(b->peers);
        free(b->front_ends);
        sd_event_source_disable_unref(b->sweep_timer);
        sd_event_source_disable_unref(b->broker_lost_timer);
        sd_bus_slot_unref(b->broker_gone);

        sd_bus_slot_unref(b->name_request);
        sd_bus_slot_unref(b->object);
        polkit_authority_free(b->polkit);
        /* Answers go out before the connection does. */
        sd_bus_flush_close_unref(b->bus);
        free(b);
        return NULL;
}

int mcp_bus_sender_is_front_end(McpBus *b, sd_bus_message *m) {
        BusPeer *p;
        int r = bus_peer_get(b, m, &p);
        if (r < 0)
                return r;
        return p->front_end;
}

bool mcp_bus_is_idle(McpBus *b) {
        return !b->calls && hashmap_size(b->sessions) == 0;
}
