/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The dashboard's sign-in: an API key checked as a bearer token would be, then a cookie holding a random
 * session token (HttpOnly, SameSite=Strict, Secure behind TLS); the session keeps the key in memory and
 * checks it again on every request, and state-changing requests carry the session's CSRF token too. */
#include <stdio.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "auth.h"
#include "base64url.h"
#include "gateway.h"
#include "json-util.h"
#include "log.h"
#include "mcp-protocol.h"
#include "time-util.h"
#include "web-internal.h"

#define TOKEN_BYTES 32
#define TOKEN_LEN 43 /* base64url of 32 bytes, unpadded */

typedef struct WebSession {
        char *token; /* the cookie's value, the table's key */
        char *csrf;
        char *credential;                 /* "Bearer KEY", wiped when the session ends */
        char *principal;                  /* as signed in, for the log */
        uint64_t created_usec, used_usec; /* CLOCK_MONOTONIC */
} WebSession;

struct WebSessions {
        Hashmap *table;
};

static WebSession *session_free(WebSession *s) {
        if (!s)
                return NULL;
        if (s->credential)
                OPENSSL_cleanse(s->credential, strlen(s->credential));
        free(s->credential);
        free(s->token);
        free(s->csrf);
        free(s->principal);
        free(s);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(WebSession *, session_free);

int web_sessions_new(WebSessions **ret) {
        WebSessions *s = new0(WebSessions, 1);
        if (!s || !(s->table = hashmap_new())) {
                free(s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

WebSessions *web_sessions_free(WebSessions *s) {
        if (!s)
                return NULL;
        size_t state = 0;
        void *v;
        while (hashmap_iterate(s->table, &state, &v, NULL))
                session_free(v);
        hashmap_free(s->table);
        free(s);
        return NULL;
}

static void session_end(WebSessions *s, WebSession *session, const char *why) {
        hashmap_remove(s->table, session->token);
        log_info("Dashboard session of %s ended: %s.", session->principal, why);
        session_free(session);
}

static bool session_expired(const WebSession *session, uint64_t now) {
        return now - session->created_usec >= WEB_SESSION_LIFETIME_USEC ||
                now - session->used_usec >= WEB_SESSION_IDLE_USEC;
}

/* Ends expired sessions; when the table is still full, the one unused the longest too. */
static void sessions_sweep(WebSessions *s, uint64_t now) {
        size_t state = 0;
        void *v;
        WebSession *oldest = NULL;
        while (hashmap_iterate(s->table, &state, &v, NULL)) {
                WebSession *session = v;
                if (session_expired(session, now))
                        session_end(s, session, "expired");
                else if (!oldest || session->used_usec < oldest->used_usec)
                        oldest = session;
        }
        if (oldest && hashmap_size(s->table) >= WEB_SESSIONS_MAX)
                session_end(s, oldest, "too many sessions, this one unused the longest");
}

static char *random_token(void) {
        uint8_t bytes[TOKEN_BYTES];
        if (RAND_bytes(bytes, sizeof(bytes)) != 1)
                return NULL;
        char *t = base64url_encode(bytes, sizeof(bytes));
        OPENSSL_cleanse(bytes, sizeof(bytes));
        return t;
}

static bool secure_cookies(Web *w) {
        return gateway_auth_tls(w->gateway->auth, NULL, NULL) || w->gateway->config->auth.tls_off;
}

bool web_scopes_have(const char *scopes, const char *scope) {
        size_t l = strlen(scope);
        for (const char *p = strempty(scopes); *p;) {
                p += strspn(p, " ");
                size_t n = strcspn(p, " ");
                if (n == l && strncmp(p, scope, l) == 0)
                        return true;
                p += n;
        }
        return false;
}

/* Answers a refusal as the dashboard's API does: {"error": ...} with its status and header. */
static int respond_refusal(struct MHD_Connection *c, McpHttpRefusal *refusal) {
        _cleanup_json_ json_object *body = json_object_new_object();
        int r = MHD_NO;
        if (body && json_add_string(body, "error", strempty(refusal->message)) >= 0) {
                const char *text = json_to_string(body);
                struct MHD_Response *response =
                        MHD_create_response_from_buffer(strlen(text), (void *) text, MHD_RESPMEM_MUST_COPY);
                if (response) {
                        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
                        MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
                        if (refusal->header && refusal->header_value)
                                MHD_add_response_header(response, refusal->header, refusal->header_value);
                        r = web_respond(c, refusal->status ?: MHD_HTTP_FORBIDDEN, response);
                }
        }
        mcp_http_refusal_done(refusal);
        return r;
}

static int refuse(McpHttpRefusal *ret, unsigned status, const char *message) {
        *ret = (McpHttpRefusal){
                .status = status,
                .code = status == MHD_HTTP_FORBIDDEN ? MCP_ERROR_ACCESS_DENIED : -32001,
                .message = strdup(message),
        };
        return ret->message ? 0 : -ENOMEM;
}

static bool csrf_matches(const WebSession *session, const char *header) {
        return header && strlen(header) == strlen(session->csrf) &&
                CRYPTO_memcmp(header, session->csrf, strlen(header)) == 0;
}

/* The session of a cookie, checked: 1 with *ret_session and the credential's principal and scopes in
 * *ret_bearer, 0 with the refusal filled. */
static int session_check(Web *w, struct MHD_Connection *c, const char *token, bool csrf, WebSession **ret_session,
        BearerResult *ret_bearer, McpHttpRefusal *ret_refusal) {
        WebSessions *s = w->sessions;
        uint64_t now = now_usec();
        WebSession *session = strlen(token) == TOKEN_LEN ? hashmap_get(s->table, token) : NULL;
        if (session && session_expired(session, now)) {
                session_end(s, session, "expired");
                session = NULL;
        }
        if (!session)
                return refuse(ret_refusal, MHD_HTTP_UNAUTHORIZED,
                        "Unauthorized: the dashboard session has ended (signed out, expired, or the gateway "
                        "restarted); sign in again");
        if (!web_same_origin(c))
                return refuse(ret_refusal, MHD_HTTP_FORBIDDEN,
                        "Forbidden: a request from another origin with the dashboard's cookie");
        if (csrf && !csrf_matches(session, MHD_lookup_connection_value(c, MHD_HEADER_KIND, WEB_CSRF_HEADER)))
                return refuse(ret_refusal, MHD_HTTP_FORBIDDEN,
                        "Forbidden: a request with the dashboard's cookie must carry the session's CSRF token in "
                        "the header " WEB_CSRF_HEADER);

        int r = gateway_auth_check_bearer(w->gateway->auth, session->credential, ret_bearer);
        if (r < 0)
                return r;
        if (r == 0) {
                _cleanup_free_ char *message = NULL;
                if (asprintf(&message,
                            "Unauthorized: the key this dashboard session was signed in with is no longer accepted "
                            "(%s); sign in again",
                            strempty(ret_bearer->description)) < 0)
                        return -ENOMEM;
                session_end(s, session, "its key is no longer accepted");
                return refuse(ret_refusal, MHD_HTTP_UNAUTHORIZED, message);
        }
        session->used_usec = now;
        *ret_session = session;
        return 1;
}

int web_authenticate(Web *w, struct MHD_Connection *c, McpIdentity **ret_identity, McpHttpRefusal *ret_refusal) {
        const char *token = w ? MHD_lookup_connection_value(c, MHD_COOKIE_KIND, WEB_SESSION_COOKIE) : NULL;
        if (!token)
                return -ENOENT;
        _cleanup_(bearer_result_done) BearerResult bearer = {};
        WebSession *session;
        int r = session_check(w, c, token, true, &session, &bearer, ret_refusal);
        if (r <= 0)
                return r;
        r = mcp_identity_new(ret_identity, bearer.principal, bearer.scopes);
        return r < 0 ? r : 1;
}

int web_identify(Web *w, struct MHD_Connection *c, bool csrf, McpIdentity **ret_identity, int *ret_result) {
        McpHttpRefusal refusal = {};
        const char *token = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, WEB_SESSION_COOKIE);
        bool header = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        int r;
        if (token && !header) {
                _cleanup_(bearer_result_done) BearerResult bearer = {};
                WebSession *session;
                r = session_check(w, c, token, csrf, &session, &bearer, &refusal);
                if (r > 0)
                        r = mcp_identity_new(ret_identity, bearer.principal, bearer.scopes) < 0 ? -ENOMEM : 1;
        } else
                r = gateway_auth_authenticate(w->gateway, c, ret_identity, &refusal);
        if (r == 0)
                *ret_result = respond_refusal(c, &refusal);
        else
                mcp_http_refusal_done(&refusal);
        return r;
}

static json_object *session_json(const WebSession *session, const BearerResult *bearer) {
        _cleanup_json_ json_object *o = json_object_new_object(), *scopes = json_object_new_array();
        if (!o || !scopes)
                return NULL;
        const char *p = strempty(bearer->scopes);
        while (*p) {
                p += strspn(p, " ");
                size_t n = strcspn(p, " ");
                if (n > 0 && json_object_array_add(scopes, json_object_new_string_len(p, (int) n)) < 0)
                        return NULL;
                p += n;
        }
        if (json_add_string(o, "principal", bearer->principal) < 0 || json_add(o, "scopes", TAKE_PTR(scopes)) < 0 ||
                json_add(o, "admin", json_object_new_boolean(web_scopes_have(bearer->scopes, "admin"))) < 0 ||
                json_add_string(o, "csrf", session->csrf) < 0)
                return NULL;
        return TAKE_PTR(o);
}

static int respond_session(Web *w, struct MHD_Connection *c, unsigned status, const WebSession *session,
        const BearerResult *bearer, bool set_cookie) {
        _cleanup_json_ json_object *body = session_json(session, bearer);
        if (!body)
                return MHD_NO;
        const char *text = json_to_string(body);
        struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *) text, MHD_RESPMEM_MUST_COPY);
        if (!r)
                return MHD_NO;
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        if (set_cookie) {
                char cookie[256];
                snprintf(cookie, sizeof(cookie),
                        WEB_SESSION_COOKIE "=%s; Path=/; Max-Age=%llu; HttpOnly; SameSite=Strict%s", session->token,
                        (unsigned long long) (WEB_SESSION_LIFETIME_USEC / USEC_PER_SEC),
                        secure_cookies(w) ? "; Secure" : "");
                MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
        }
        return web_respond(c, status, r);
}

static int sign_in(Web *w, struct MHD_Connection *c) {
        const char *header = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        if (!header)
                return web_respond_error(c, MHD_HTTP_BAD_REQUEST,
                        "Sign in with an API key, sent as the header Authorization: Bearer KEY");
        if (!web_same_origin(c))
                return web_respond_error(c, MHD_HTTP_FORBIDDEN, "Forbidden: a sign-in from another origin");

        _cleanup_(bearer_result_done) BearerResult bearer = {};
        int r = gateway_auth_check_bearer(w->gateway->auth, header, &bearer);
        if (r < 0)
                return MHD_NO;
        if (r == 0) {
                log_info("Refused a dashboard sign-in: %s", strempty(bearer.description));
                return web_respond_error(c, MHD_HTTP_UNAUTHORIZED, "%s", strempty(bearer.description));
        }

        uint64_t now = now_usec();
        sessions_sweep(w->sessions, now);
        _cleanup_(session_freep) WebSession *session = new0(WebSession, 1);
        if (!session || !(session->token = random_token()) || !(session->csrf = random_token()) ||
                !(session->credential = strdup(header)) || !(session->principal = strdup(bearer.principal)))
                return MHD_NO;
        session->created_usec = session->used_usec = now;
        if (hashmap_put(w->sessions->table, session->token, session) < 0)
                return MHD_NO;
        WebSession *s = TAKE_PTR(session);
        log_info("Dashboard session started for %s.", s->principal);
        return respond_session(w, c, MHD_HTTP_OK, s, &bearer, true);
}

static int sign_out(Web *w, struct MHD_Connection *c) {
        const char *token = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, WEB_SESSION_COOKIE);
        WebSession *session = token && strlen(token) == TOKEN_LEN ? hashmap_get(w->sessions->table, token) : NULL;
        if (session) {
                /* Signing someone out is a state change like any other. */
                if (!web_same_origin(c))
                        return web_respond_error(c, MHD_HTTP_FORBIDDEN, "Forbidden: a sign-out from another origin");
                if (!csrf_matches(session, MHD_lookup_connection_value(c, MHD_HEADER_KIND, WEB_CSRF_HEADER)))
                        return web_respond_error(c, MHD_HTTP_FORBIDDEN,
                                "Forbidden: a sign-out must carry the session's CSRF token in the header " WEB_CSRF_HEADER);
                session_end(w->sessions, session, "signed out");
        }
        struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *) "", MHD_RESPMEM_PERSISTENT);
        if (!r)
                return MHD_NO;
        char cookie[160];
        snprintf(cookie, sizeof(cookie), WEB_SESSION_COOKIE "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict%s",
                secure_cookies(w) ? "; Secure" : "");
        MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        return web_respond(c, MHD_HTTP_NO_CONTENT, r);
}

static int who(Web *w, struct MHD_Connection *c) {
        const char *token = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, WEB_SESSION_COOKIE);
        if (!token)
                return web_respond_error(c, MHD_HTTP_UNAUTHORIZED, "Not signed in");
        McpHttpRefusal refusal = {};
        _cleanup_(bearer_result_done) BearerResult bearer = {};
        WebSession *session;
        int r = session_check(w, c, token, false, &session, &bearer, &refusal);
        if (r < 0) {
                mcp_http_refusal_done(&refusal);
                return MHD_NO;
        }
        if (r == 0)
                return respond_refusal(c, &refusal);
        return respond_session(w, c, MHD_HTTP_OK, session, &bearer, false);
}

int web_session_route(Web *w, struct MHD_Connection *c, const char *method) {
        if (streq(method, MHD_HTTP_METHOD_POST))
                return sign_in(w, c);
        if (streq(method, MHD_HTTP_METHOD_DELETE))
                return sign_out(w, c);
        if (streq(method, MHD_HTTP_METHOD_GET) || streq(method, MHD_HTTP_METHOD_HEAD))
                return who(w, c);
        return web_respond_empty(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET, HEAD, POST, DELETE");
}
