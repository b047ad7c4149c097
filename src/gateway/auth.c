/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Authentication at the gateway's edge (API keys as bearer tokens; anonymous when allowed) and the scope
 * check before a request is routed, with the 401 and 403 answers MCP's authorization asks of a resource
 * server (RFC 6750, RFC 9728). */
#include <stdio.h>
#include <strings.h>
#include <time.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "aggregate.h"
#include "auth-bearer.h"
#include "auth.h"
#include "credential.h"
#include "gateway.h"
#include "json-util.h"
#include "jwt.h"
#include "log.h"
#include "mcp-protocol.h"
#include "mcp-request.h"
#include "web.h"

struct GatewayAuth {
        bool anonymous;
        char *anonymous_scopes;
        char *local_scopes;
        ApiKeyStore *keys;
        JwtVerifier *jwt;         /* NULL: no token keys configured */
        char *resource;           /* the canonical URI of /mcp */
        char *metadata_url;       /* where its RFC 9728 metadata is */
        char *tls_cert, *tls_key; /* PEM, from the credentials tls-cert and tls-key; NULL: plain HTTP */
};

GatewayAuth *gateway_auth_free(GatewayAuth *a) {
        if (!a)
                return NULL;
        apikey_store_free(a->keys);
        jwt_verifier_free(a->jwt);
        free(a->anonymous_scopes);
        free(a->local_scopes);
        free(a->resource);
        free(a->metadata_url);
        free(a->tls_cert);
        if (a->tls_key)
                OPENSSL_cleanse(a->tls_key, strlen(a->tls_key));
        free(a->tls_key);
        free(a);
        return NULL;
}

int gateway_auth_reload(GatewayAuth *a) {
        if (!a->jwt)
                return 0;
        const char *why = NULL;
        int r = jwt_verifier_reload(a->jwt, true, &why);
        if (r < 0)
                return log_warning_errno(r, "Failed to read the JWKS file again, keeping the keys in use: %s",
                        why ?: strerror(-r));
        if (r > 0)
                log_info("Read the JWKS file again.");
        return 0;
}

/* RFC 9728 puts the well-known path between the resource's authority and its path. */
static char *metadata_url_of(const char *resource) {
        const char *scheme_end = strstr(resource, "://");
        const char *path = scheme_end ? strchr(scheme_end + 3, '/') : NULL;
        char *url = NULL;
        if (!path)
                return asprintf(&url, "%s/.well-known/oauth-protected-resource", resource) < 0 ? NULL : url;
        int r = asprintf(&url, "%.*s/.well-known/oauth-protected-resource%s", (int) (path - resource), resource, path);
        return r < 0 ? NULL : url;
}

/* The JWT verifier, when the configuration names keys: a secret in the credential jwt-secret (HS*), a PEM
 * public key, or a JWKS file. Tokens must be issued for this gateway (aud) and, when set, by JWTIssuer=. */
static int auth_setup_jwt(GatewayAuth *a, const AuthConfig *config) {
        const char *creds = getenv("CREDENTIALS_DIRECTORY");
        _cleanup_free_ char *secret = NULL;
        if (creds && *creds == '/' && asprintf(&secret, "%s/" GATEWAY_JWT_SECRET_CREDENTIAL, creds) < 0)
                return log_oom();
        if (secret && access(secret, F_OK) < 0)
                secret = mfree(secret);
        if (!secret && !config->jwt_public_key && !config->jwks_file)
                return 0;

        JwtPolicy policy = {
                .issuer = config->jwt_issuer,
                .audience = a->resource,
                .leeway_usec = JWT_LEEWAY_USEC_DEFAULT,
        };
        int r = jwt_verifier_new(&policy, &a->jwt);
        if (r < 0)
                return log_oom();
        const char *why = NULL;
        if (secret && (r = jwt_verifier_add_secret_file(a->jwt, NULL, secret, &why)) < 0)
                return log_error_errno(r, "Failed to use the credential %s: %s", GATEWAY_JWT_SECRET_CREDENTIAL,
                        why ?: strerror(-r));
        if (config->jwt_public_key && (r = jwt_verifier_add_pem_file(a->jwt, NULL, config->jwt_public_key, &why)) < 0)
                return log_error_errno(r, "Failed to use the key %s: %s", config->jwt_public_key, why ?: strerror(-r));
        if (config->jwks_file && (r = jwt_verifier_set_jwks_file(a->jwt, config->jwks_file, &why)) < 0)
                return log_error_errno(r, "Failed to use the JWKS file %s: %s", config->jwks_file, why ?: strerror(-r));
        log_info("JWT bearer tokens are accepted for %s%s%s.", a->resource, config->jwt_issuer ? " from " : "",
                strempty(config->jwt_issuer));
        return 0;
}

static int auth_setup_tls(GatewayAuth *a) {
        int r = credential_read(GATEWAY_TLS_CERT_CREDENTIAL, CREDENTIAL_SIZE_MAX, &a->tls_cert);
        if (r >= 0)
                r = credential_read(GATEWAY_TLS_KEY_CREDENTIAL, CREDENTIAL_SIZE_MAX, &a->tls_key);
        if (r < 0)
                return log_error_errno(r, "Failed to read the TLS credentials: %m");
        if (!a->tls_cert != !a->tls_key)
                return log_error_errno(EINVAL, "Only one of the credentials %s and %s is there: HTTPS needs both.",
                        GATEWAY_TLS_CERT_CREDENTIAL, GATEWAY_TLS_KEY_CREDENTIAL);
        if (a->tls_cert)
                log_info("Serving HTTPS with the certificate of the credential %s.", GATEWAY_TLS_CERT_CREDENTIAL);
        return 0;
}

bool gateway_auth_tls(GatewayAuth *a, const char **ret_cert, const char **ret_key) {
        if (ret_cert)
                *ret_cert = a->tls_cert;
        if (ret_key)
                *ret_key = a->tls_key;
        return a->tls_cert;
}

int gateway_auth_new(GatewayAuth **ret, const AuthConfig *config, const char *listen) {
        _cleanup_(gateway_auth_freep) GatewayAuth *a = new0(GatewayAuth, 1);
        if (!a)
                return log_oom();
        a->anonymous = config->anonymous;
        a->anonymous_scopes = strdup(strempty(config->anonymous_scopes));
        a->local_scopes = strdup(strempty(config->local_scopes));
        if (!a->local_scopes)
                return log_oom();
        int r = auth_setup_tls(a);
        if (r < 0)
                return r;
        if (config->audience)
                a->resource = strdup(config->audience);
        else if (asprintf(&a->resource, "%s://%s/mcp", a->tls_cert ? "https" : "http", listen) < 0)
                a->resource = NULL;
        if (!a->anonymous_scopes || !a->resource || !(a->metadata_url = metadata_url_of(a->resource)))
                return log_oom();

        _cleanup_free_ void *pepper = NULL;
        size_t pepper_size = 0;
        r = apikey_pepper_load(NULL, &pepper, &pepper_size);
        if (r < 0)
                return log_error_errno(r, "Failed to read the credential %s: %m", APIKEY_PEPPER_CREDENTIAL);
        const char *path = config->api_key_file ?: apikey_store_default_path();
        r = apikey_store_open(path, pepper, pepper_size, &a->keys);
        if (r < 0)
                return log_error_errno(r, "Failed to open the API key store %s: %m", path);
        log_info("API keys from %s%s; requests without credentials are %s.", path, pepper ? " (with a pepper)" : "",
                a->anonymous ? "served as \"anonymous\"" : "refused");
        r = auth_setup_jwt(a, config);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(a);
        return 0;
}

const char *gateway_auth_resource(GatewayAuth *a) {
        return a->resource;
}

bool gateway_auth_allows_anonymous(GatewayAuth *a) {
        return a->anonymous;
}

/* Fills refusal with a 401 or 403 and its WWW-Authenticate challenge. error is an RFC 6750 error code or NULL
 * (no credentials at all); scope, when given, is what the request needs. */
static int refuse(GatewayAuth *a, McpHttpRefusal *refusal, unsigned status, const char *error, const char *scope,
        const char *message) {
        _cleanup_free_ char *challenge = NULL;
        int k;
        if (error)
                k = asprintf(&challenge,
                        "Bearer error=\"%s\", error_description=\"%s\"%s%s%s, resource_metadata=\"%s\"", error, message,
                        scope ? ", scope=\"" : "", strempty(scope), scope ? "\"" : "", a->metadata_url);
        else
                k = asprintf(&challenge, "Bearer resource_metadata=\"%s\"", a->metadata_url);
        if (k < 0)
                return -ENOMEM;
        *refusal = (McpHttpRefusal){
                .status = status,
                .code = status == MHD_HTTP_FORBIDDEN ? MCP_ERROR_ACCESS_DENIED : -32001,
                .message = strdup(message),
                .header = MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                .header_value = TAKE_PTR(challenge),
        };
        return refusal->message ? 0 : -ENOMEM;
}

static uint64_t realtime_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

/* A client of the local socket is who the kernel says it is: the principal unix-user:NAME, with the scopes
 * of LocalScopes=, and its process, for which the servers ask polkit. 1 with *ret, 0 when the connection is
 * not on a local socket. */
static int authenticate_local(GatewayAuth *a, struct MHD_Connection *c, McpIdentity **ret) {
        /* The address libmicrohttpd kept from accept(): no system call on every request. */
        const union MHD_ConnectionInfo *peer = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (!peer || !peer->client_addr || peer->client_addr->sa_family != AF_UNIX)
                return 0;
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!info)
                return 0;
        struct ucred cred;
        socklen_t cred_len = sizeof(cred);
        if (getsockopt(info->connect_fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) < 0)
                return -errno;

        char buf[4096];
        struct passwd pw, *found = NULL;
        _cleanup_free_ char *principal = NULL;
        int r = getpwuid_r(cred.uid, &pw, buf, sizeof(buf), &found) == 0 && found
                ? asprintf(&principal, "unix-user:%s", found->pw_name)
                : asprintf(&principal, "unix-user:%u", (unsigned) cred.uid);
        if (r < 0)
                return -ENOMEM;
        r = mcp_identity_new(ret, principal, a->local_scopes);
        if (r < 0)
                return r;
        (*ret)->pid = cred.pid;
        (*ret)->uid = cred.uid;
        return 1;
}

int gateway_auth_authenticate(void *userdata, struct MHD_Connection *c, McpIdentity **ret_identity,
        McpHttpRefusal *ret_refusal) {
        Gateway *g = userdata;
        GatewayAuth *a = g->auth;

        const char *header = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        if (!header) {
                int r = authenticate_local(a, c, ret_identity);
                if (r != 0)
                        return r;
                r = web_authenticate(g->web, c, ret_identity, ret_refusal); /* the dashboard's cookie */
                if (r != -ENOENT)
                        return r;
                if (!a->anonymous) {
                        r = refuse(a, ret_refusal, MHD_HTTP_UNAUTHORIZED, NULL, NULL,
                                "Unauthorized: this gateway needs a bearer token (Authorization: Bearer ...)");
                        return r < 0 ? r : 0;
                }
                r = mcp_identity_new(ret_identity, MCP_PRINCIPAL_ANONYMOUS, a->anonymous_scopes);
                return r < 0 ? r : 1;
        }

        _cleanup_(bearer_result_done) BearerResult bearer = {};
        int r = auth_bearer_check(a->keys, a->jwt, header, realtime_usec(), &bearer);
        if (r < 0)
                return r;
        if (r == 0) {
                r = refuse(a, ret_refusal, MHD_HTTP_UNAUTHORIZED, bearer.error, NULL, bearer.description);
                return r < 0 ? r : 0;
        }
        r = mcp_identity_new(ret_identity, bearer.principal, bearer.scopes);
        return r < 0 ? r : 1;
}

int gateway_auth_check_bearer(GatewayAuth *a, const char *header, BearerResult *ret) {
        return auth_bearer_check(a->keys, a->jwt, header, realtime_usec(), ret);
}

ApiKeyStore *gateway_auth_keys(GatewayAuth *a) {
        return a->keys;
}

/* What a request asks for, as a scope names it: kind ("tools", "resources", "prompts") and the object's name
 * or URI. Returns false for requests that name no such object (lists, ping, initialize, notifications). */
static bool request_target(json_object *m, const char **ret_kind, const char **ret_name) {
        const char *method = json_get_string(m, "method");
        json_object *params = json_get_object(m, "params");
        if (!method || !params)
                return false;
        if (streq(method, "tools/call")) {
                *ret_kind = "tools";
                *ret_name = json_get_string(params, "name");
        } else if (streq(method, "prompts/get")) {
                *ret_kind = "prompts";
                *ret_name = json_get_string(params, "name");
        } else if (streq(method, "resources/read") || streq(method, "resources/subscribe") ||
                streq(method, "resources/unsubscribe")) {
                *ret_kind = "resources";
                *ret_name = json_get_string(params, "uri");
        } else if (streq(method, "completion/complete")) {
                json_object *ref = json_get_object(params, "ref");
                const char *type = json_get_string(ref, "type");
                if (streq_ptr(type, "ref/prompt")) {
                        *ret_kind = "prompts";
                        *ret_name = json_get_string(ref, "name");
                } else if (streq_ptr(type, "ref/resource")) {
                        *ret_kind = "resources";
                        *ret_name = json_get_string(ref, "uri");
                } else
                        return false;
        } else
                return false;
        return *ret_name != NULL;
}

static Backend *relay_backend(Gateway *g, McpServer *server) {
        for (size_t i = 0; i < g->n_backends; i++)
                if (g->backends[i]->relay == server)
                        return g->backends[i];
        return NULL;
}

/* 1 when identity may send m (one message) to server; 0 with the refusal filled. */
static int authorize_one(Gateway *g, McpServer *server, const McpIdentity *identity, json_object *m,
        McpHttpRefusal *ret_refusal) {
        const char *kind, *name;
        if (!json_object_is_type(m, json_type_object) || !request_target(m, &kind, &name))
                return 1;

        Backend *b;
        const char *backend_name = name;
        if (server == aggregate_server(g->aggregate))
                b = aggregate_target(g->aggregate, kind, name, &backend_name);
        else
                b = relay_backend(g, server);
        if (!b)
                return 1; /* nobody offers it: the engine answers that it is unknown */
        if (mcp_scopes_allow(identity->scopes, kind, b->config->name, backend_name))
                return 1;

        _cleanup_free_ char *scope = NULL, *message = NULL;
        if (asprintf(&scope, "%s:%s:%s", kind, b->config->name, backend_name) < 0 ||
                asprintf(&message, "Forbidden: %s may not use %s (the scope %s or %s:%s is needed)",
                        identity->principal, name, scope, kind, b->config->name) < 0)
                return -ENOMEM;
        log_info("Refused %s %s to %s: insufficient scope.", kind, name, identity->principal);
        int r = refuse(g->auth, ret_refusal, MHD_HTTP_FORBIDDEN, "insufficient_scope", scope, message);
        return r < 0 ? r : 0;
}

int gateway_auth_authorize(void *userdata, McpServer *server, const McpIdentity *identity, json_object *message,
        McpHttpRefusal *ret_refusal) {
        Gateway *g = userdata;
        if (!identity)
                return 1;
        if (!json_object_is_type(message, json_type_array))
                return authorize_one(g, server, identity, message, ret_refusal);
        for (size_t i = 0; i < json_object_array_length(message); i++) {
                int r = authorize_one(g, server, identity, json_object_array_get_idx(message, i), ret_refusal);
                if (r <= 0)
                        return r;
        }
        return 1;
}

bool gateway_auth_list_visible(McpRequest *req, const char *key, json_object *entry) {
        const char *scopes = mcp_request_get_scopes(req);
        if (!scopes)
                return true; /* a transport that authenticates nobody */
        Aggregate *a = mcp_server_get_userdata(mcp_request_get_server(req));
        bool tool = streq(key, "tools"), prompt = streq(key, "prompts"), template = streq(key, "resourceTemplates");
        const char *name = json_get_string(entry, tool || prompt ? "name" : template ? "uriTemplate" : "uri");
        const char *backend_name;
        Backend *b = aggregate_target(a, key, name, &backend_name);
        if (!b)
                return false;
        const char *kind = tool ? "tools" : prompt ? "prompts" : "resources";
        if (template)
                return mcp_scopes_allow_any(scopes, kind, b->config->name);
        return mcp_scopes_allow(scopes, kind, b->config->name, backend_name);
}

void gateway_auth_filter_list(json_object *response, const char *method, const char *backend, const char *scopes) {
        static const struct {
                const char *method, *key, *name, *kind;
        } lists[] = {
                { "tools/list", "tools", "name", "tools" },
                { "prompts/list", "prompts", "name", "prompts" },
                { "resources/list", "resources", "uri", "resources" },
                { "resources/templates/list", "resourceTemplates", NULL, "resources" },
        };
        if (!scopes || !method)
                return;
        for (size_t i = 0; i < ELEMENTSOF(lists); i++) {
                if (!streq(method, lists[i].method))
                        continue;
                json_object *entries = json_get_array(json_get_object(response, "result"), lists[i].key);
                if (!entries)
                        return;
                for (size_t j = json_object_array_length(entries); j > 0; j--) {
                        json_object *entry = json_object_array_get_idx(entries, j - 1);
                        bool visible = lists[i].name ? mcp_scopes_allow(scopes, lists[i].kind, backend,
                                                               json_get_string(entry, lists[i].name))
                                                     : mcp_scopes_allow_any(scopes, lists[i].kind, backend);
                        if (!visible)
                                json_object_array_del_idx(entries, j - 1, 1);
                }
                return;
        }
}

json_object *gateway_auth_resource_metadata(GatewayAuth *a) {
        _cleanup_json_ json_object *m = json_object_new_object(), *methods = json_object_new_array(),
                                   *scopes = json_object_new_array(), *servers = json_object_new_array();
        if (!m || !methods || !scopes || !servers)
                return NULL;
        if (json_object_array_add(methods, json_object_new_string("header")) < 0)
                return NULL;
        static const char *const supported[] = { "tools:*", "resources:*", "prompts:*", "admin" };
        for (size_t i = 0; i < ELEMENTSOF(supported); i++)
                if (json_object_array_add(scopes, json_object_new_string(supported[i])) < 0)
                        return NULL;
        if (json_add_string(m, "resource", a->resource) < 0 ||
                json_add(m, "authorization_servers", TAKE_PTR(servers)) < 0 ||
                json_add(m, "scopes_supported", TAKE_PTR(scopes)) < 0 ||
                json_add(m, "bearer_methods_supported", TAKE_PTR(methods)) < 0 ||
                json_add_string(m, "resource_name", "aios") < 0)
                return NULL;
        return TAKE_PTR(m);
}
