/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sealed session ids: with a key every replica holds, the id a client gets at initialize carries what another
 * replica needs to take the session up (the session's own id, the revision, the client's capabilities, the
 * principal it was made for and when), so that a client need not come back to the replica that opened it. */
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <time.h>

#include "log.h"
#include "mcp-internal.h"

/* Not requestState's context: an id never opens as a state, nor a state as an id. The server's name follows it,
 * so that an id of one endpoint (a gateway's /servers/NAME/mcp) does not open on another (its /mcp). */
#define MCP_SESSION_ID_CONTEXT "aios-mcp-session-v1"
#define SEALED_FORMAT 1
/* A clock ahead of ours by this much still has its ids accepted. */
#define CLOCK_SKEW_SEC 300
/* The capabilities a server acts on travel; others (experimental, extensions) stay with the first replica. */
static const char *const travelling_capabilities[] = { "elicitation", "sampling", "roots", "tasks", NULL };
/* Past this, only which capabilities were declared travels, not their options, so that the id stays short. */
#define CAPABILITIES_TEXT_MAX 256

/* The sealed bytes: format, id, created (big-endian seconds), flags, principal digest, revision length,
 * revision, then the capabilities' JSON text to the end. */
#define OFFSET_ID 1
#define OFFSET_CREATED (OFFSET_ID + MCP_SESSION_ID_BYTES)
#define OFFSET_FLAGS (OFFSET_CREATED + 8)
#define OFFSET_PRINCIPAL (OFFSET_FLAGS + 1)
#define OFFSET_VERSION_LENGTH (OFFSET_PRINCIPAL + 16)
#define OFFSET_VERSION (OFFSET_VERSION_LENGTH + 1)
#define FLAG_PRINCIPAL 0x01

struct McpSealedSession {
        char id[MCP_SESSION_ID_BYTES * 2 + 1];
        int64_t created_sec;
        bool has_principal;
        uint8_t principal_digest[16];
        char *version;
        json_object *capabilities;
};

typedef struct EndedSession {
        char id[MCP_SESSION_ID_BYTES * 2 + 1];
        int64_t expires_sec;
} EndedSession;

static int64_t now_realtime_sec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec;
}

static int principal_digest(const char *principal, uint8_t ret[16]) {
        uint8_t digest[SHA256_DIGEST_LENGTH];
        if (EVP_Digest(principal, strlen(principal), digest, NULL, EVP_sha256(), NULL) != 1)
                return -EIO;
        memcpy(ret, digest, 16);
        return 0;
}

static char *id_context(McpServer *s) {
        char *context;
        return asprintf(&context, "%s %s", MCP_SESSION_ID_CONTEXT, s->def->name) < 0 ? NULL : context;
}

static int hex_to_bytes(const char *hex, uint8_t *out, size_t n) {
        for (size_t i = 0; i < n; i++) {
                unsigned v;
                if (sscanf(hex + 2 * i, "%2x", &v) != 1)
                        return -EINVAL;
                out[i] = (uint8_t) v;
        }
        return 0;
}

/* The client's capabilities that travel, as compact JSON text. */
static int capabilities_text(json_object *capabilities, char **ret) {
        _cleanup_json_ json_object *kept = json_object_new_object(), *names = json_object_new_object();
        if (!kept || !names)
                return -ENOMEM;
        for (const char *const *name = travelling_capabilities; *name; name++) {
                json_object *value;
                if (!capabilities || !json_object_object_get_ex(capabilities, *name, &value))
                        continue;
                if (json_add(kept, *name, json_object_get(value)) < 0 ||
                        json_add(names, *name, json_object_new_object()) < 0)
                        return -ENOMEM;
        }
        _cleanup_free_ char *text = NULL;
        int r = json_canonical_text(kept, &text);
        if (r < 0)
                return r;
        if (strlen(text) > CAPABILITIES_TEXT_MAX) {
                free(text);
                text = NULL;
                r = json_canonical_text(names, &text);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(text);
        return 0;
}

int mcp_session_seal_id(McpSession *session) {
        McpServer *s = session->server;
        assert(s->state_key_shared);
        assert(session->version);

        _cleanup_free_ char *capabilities = NULL;
        int r = capabilities_text(session->client_capabilities, &capabilities);
        if (r < 0)
                return r;
        size_t version_length = strlen(session->version), capabilities_length = strlen(capabilities);
        if (version_length > UINT8_MAX)
                return -EINVAL;

        size_t size = OFFSET_VERSION + version_length + capabilities_length;
        _cleanup_free_ uint8_t *buf = new0(uint8_t, size);
        if (!buf)
                return -ENOMEM;
        buf[0] = SEALED_FORMAT;
        r = hex_to_bytes(session->id, buf + OFFSET_ID, MCP_SESSION_ID_BYTES);
        if (r < 0)
                return r;
        uint64_t created = (uint64_t) session->created_sec;
        for (size_t i = 0; i < 8; i++)
                buf[OFFSET_CREATED + i] = (uint8_t) (created >> (56 - 8 * i));
        if (session->principal) {
                buf[OFFSET_FLAGS] |= FLAG_PRINCIPAL;
                r = principal_digest(session->principal, buf + OFFSET_PRINCIPAL);
                if (r < 0)
                        return r;
        }
        buf[OFFSET_VERSION_LENGTH] = (uint8_t) version_length;
        memcpy(buf + OFFSET_VERSION, session->version, version_length);
        memcpy(buf + OFFSET_VERSION + version_length, capabilities, capabilities_length);

        _cleanup_free_ char *token = NULL, *context = id_context(s);
        if (!context)
                return -ENOMEM;
        r = seal(&s->state_key, context, buf, size, &token);
        if (r < 0)
                return r;
        free(session->public_id);
        session->public_id = TAKE_PTR(token);
        return 0;
}

const char *mcp_sealed_session_get_id(const McpSealedSession *sealed) {
        return sealed->id;
}

McpSealedSession *mcp_sealed_session_free(McpSealedSession *sealed) {
        if (!sealed)
                return NULL;
        free(sealed->version);
        json_object_put(sealed->capabilities);
        free(sealed);
        return NULL;
}

static bool ended_here(McpServer *s, const char *id, int64_t now) {
        EndedSession *e = hashmap_get(s->ended_sessions, id);
        return e && e->expires_sec > now;
}

/* Opens a public id: 1 with what it says when it was sealed with this server's key and has not expired or been
 * ended here, 0 when not (or when ids are not sealed here), -ENOMEM. */
int mcp_session_unseal_id(McpServer *s, const char *public_id, McpSealedSession **ret) {
        if (!s->state_key_shared || !public_id)
                return 0;

        _cleanup_free_ char *context = id_context(s);
        if (!context)
                return -ENOMEM;
        _cleanup_free_ uint8_t *buf = NULL;
        size_t size;
        int r = unseal(&s->state_key, context, public_id, (void **) &buf, &size);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || size < OFFSET_VERSION || buf[0] != SEALED_FORMAT ||
                size < (size_t) OFFSET_VERSION + buf[OFFSET_VERSION_LENGTH])
                return 0;

        _cleanup_(mcp_sealed_session_freep) McpSealedSession *sealed = new0(McpSealedSession, 1);
        if (!sealed)
                return -ENOMEM;
        for (size_t i = 0; i < MCP_SESSION_ID_BYTES; i++)
                sprintf(sealed->id + 2 * i, "%02x", buf[OFFSET_ID + i]);
        uint64_t created = 0;
        for (size_t i = 0; i < 8; i++)
                created = (created << 8) | buf[OFFSET_CREATED + i];
        sealed->created_sec = (int64_t) created;
        sealed->has_principal = buf[OFFSET_FLAGS] & FLAG_PRINCIPAL;
        memcpy(sealed->principal_digest, buf + OFFSET_PRINCIPAL, 16);

        size_t version_length = buf[OFFSET_VERSION_LENGTH];
        sealed->version = strndup((const char *) buf + OFFSET_VERSION, version_length);
        if (!sealed->version)
                return -ENOMEM;
        const char *capabilities = (const char *) buf + OFFSET_VERSION + version_length;
        if (!mcp_version_is_supported(sealed->version) ||
                json_parse_strict(capabilities, size - OFFSET_VERSION - version_length, &sealed->capabilities, NULL) <
                        0 ||
                !json_object_is_type(sealed->capabilities, json_type_object))
                return 0;

        int64_t now = now_realtime_sec();
        if (sealed->created_sec > now + CLOCK_SKEW_SEC ||
                (uint64_t) (now - sealed->created_sec) >= s->session_lifetime_sec)
                return 0; /* expired, or from a clock far ahead */
        if (ended_here(s, sealed->id, now))
                return 0;

        *ret = TAKE_PTR(sealed);
        return 1;
}

bool mcp_server_seals_sessions(McpServer *s) {
        return s->state_key_shared;
}

void mcp_server_set_session_lifetime(McpServer *s, uint64_t sec) {
        s->session_lifetime_sec = sec;
}

int mcp_sealed_session_open(McpServer *s, const char *public_id, const char *principal, McpSealedSession **ret) {
        _cleanup_(mcp_sealed_session_freep) McpSealedSession *sealed = NULL;
        int r = mcp_session_unseal_id(s, public_id, &sealed);
        if (r <= 0)
                return r;

        /* Made for someone else, or for nobody and shown by someone (or the other way round): not this caller's. */
        if (sealed->has_principal != !!principal)
                return 0;
        if (principal) {
                uint8_t digest[16];
                r = principal_digest(principal, digest);
                if (r < 0)
                        return r;
                if (CRYPTO_memcmp(digest, sealed->principal_digest, sizeof(digest)) != 0)
                        return 0;
        }
        *ret = TAKE_PTR(sealed);
        return 1;
}

int mcp_session_take_up(McpServer *s, const McpSealedSession *sealed, const char *public_id, McpSession **ret) {
        if (hashmap_get(s->sessions, sealed->id))
                return -EEXIST;

        _cleanup_(mcp_session_unrefp) McpSession *session = NULL;
        int r = mcp_session_new(s, &session);
        if (r < 0)
                return r;

        /* Under the id it has on every replica, so that the backends see one session whichever replica asks. */
        hashmap_remove(s->sessions, session->id);
        memcpy(session->id, sealed->id, sizeof(session->id));
        r = hashmap_put(s->sessions, session->id, session);
        if (r < 0) {
                session->closed = true;     /* in no table: closing it would remove another's entry */
                mcp_session_unref(session); /* the table's reference */
                return r;
        }
        session->public_id = strdup(public_id);
        if (!session->public_id) {
                mcp_session_close(session);
                return -ENOMEM;
        }
        session->hands_out_id = true; /* its id is public_id already: never sealed again here */
        session->created_sec = sealed->created_sec;
        r = mcp_session_initialize(session, sealed->version, sealed->capabilities, NULL);
        if (r < 0) {
                mcp_session_close(session);
                return r;
        }
        log_debug("Took up session %s, opened on another replica.", session->id);
        *ret = TAKE_PTR(session);
        return 0;
}

/* Remembers a sealed session ended on purpose until its id expires, so that its id does not bring it back here.
 * The set is bounded: past it, the entry that expires first is forgotten. */
static int remember_ended(McpSession *session) {
        McpServer *s = session->server;
        int64_t now = now_realtime_sec();
        if (!s->ended_sessions && !(s->ended_sessions = hashmap_new()))
                return -ENOMEM;

        if (hashmap_size(s->ended_sessions) >= MCP_MAX_ENDED_SESSIONS) {
                EndedSession *e, *first = NULL;
                size_t i = 0;
                while (hashmap_iterate(s->ended_sessions, &i, (void **) &e, NULL)) {
                        if (e->expires_sec <= now) {
                                hashmap_remove(s->ended_sessions, e->id);
                                free(e);
                        } else if (!first || e->expires_sec < first->expires_sec)
                                first = e;
                }
                if (first && hashmap_size(s->ended_sessions) >= MCP_MAX_ENDED_SESSIONS) {
                        hashmap_remove(s->ended_sessions, first->id);
                        free(first);
                }
        }

        _cleanup_free_ EndedSession *e = new0(EndedSession, 1);
        if (!e)
                return -ENOMEM;
        memcpy(e->id, session->id, sizeof(e->id));
        e->expires_sec = session->created_sec + (int64_t) s->session_lifetime_sec;
        int r = hashmap_put(s->ended_sessions, e->id, e);
        if (r < 0)
                return r == -EEXIST ? 0 : r;
        TAKE_PTR(e);
        return 0;
}

void mcp_session_end(McpSession *session) {
        if (session->public_id && remember_ended(session) < 0)
                log_warning("Out of memory: session %s, ended, may be taken up again here until it expires.",
                        session->id);
        mcp_session_close(session);
}

void mcp_server_forget_ended_sessions(McpServer *s) {
        EndedSession *e;
        size_t i = 0;
        while (hashmap_iterate(s->ended_sessions, &i, (void **) &e, NULL))
                free(e);
        s->ended_sessions = hashmap_free(s->ended_sessions);
}
