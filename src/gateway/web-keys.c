/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /api/v1/keys: the gateway's API keys for the dashboard, listed, created and revoked in its key store, by
 * principals with the admin scope. */
#include <stdio.h>
#include <time.h>

#include <openssl/crypto.h>

#include "apikey.h"
#include "auth.h"
#include "gateway.h"
#include "json-util.h"
#include "log.h"
#include "strv.h"
#include "web-internal.h"

/* Keys made here live at most this long unless the form says otherwise (0: never expires). */
#define EXPIRES_IN_MAX (UINT64_C(10) * 365 * 24 * 3600)

static uint64_t realtime_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static json_object *key_json(const ApiKeyInfo *k, uint64_t now_sec) {
        _cleanup_json_ json_object *o = json_object_new_object(), *scopes = json_object_new_array();
        if (!o || !scopes)
                return NULL;
        for (char **s = k->scopes; s && *s; s++)
                if (json_object_array_add(scopes, json_object_new_string(*s)) < 0)
                        return NULL;
        _cleanup_free_ char *principal = NULL;
        if (asprintf(&principal, "key:%s", k->name) < 0)
                return NULL;
        if (json_add_string(o, "id", k->id) < 0 || json_add_string(o, "name", k->name) < 0 ||
                json_add_string(o, "principal", principal) < 0 || json_add(o, "scopes", TAKE_PTR(scopes)) < 0 ||
                json_add(o, "created", json_object_new_int64((int64_t) k->created)) < 0 ||
                json_object_object_add(o, "expires", k->expires ? json_object_new_int64((int64_t) k->expires) : NULL) <
                        0 ||
                json_add(o, "expired", json_object_new_boolean(k->expires != 0 && k->expires <= now_sec)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

static int list_keys(Web *w, struct MHD_Connection *c) {
        ApiKeyStore *store = gateway_auth_keys(w->gateway->auth);
        ApiKeyInfo *keys = NULL;
        size_t n = 0;
        int r = apikey_list(store, &keys, &n);
        if (r < 0) {
                log_warning_errno(r, "Failed to list the API keys of %s: %m", apikey_store_path(store));
                return web_respond_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "The API key store %s cannot be read: %s",
                        apikey_store_path(store), strerror(-r));
        }
        _cleanup_json_ json_object *body = json_object_new_object(), *array = json_object_new_array();
        uint64_t now = realtime_usec() / USEC_PER_SEC;
        bool ok = body && array;
        for (size_t i = 0; ok && i < n; i++) {
                json_object *o = key_json(&keys[i], now);
                ok = o && json_object_array_add(array, o) >= 0;
        }
        apikey_info_array_free(keys, n);
        if (!ok || json_add(body, "keys", TAKE_PTR(array)) < 0)
                return MHD_NO;
        return web_respond_json(c, MHD_HTTP_OK, body);
}

typedef struct CreateArgs {
        const char *name;
        const char *expires_in;
        char **scopes;
        bool unknown, oom;
} CreateArgs;

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
        CreateArgs *a = cls;
        if (streq(key, "name"))
                a->name = value;
        else if (streq(key, "expires_in"))
                a->expires_in = value;
        else if (streq(key, "scope")) {
                if (!isempty(value) && strv_extend(&a->scopes, value) < 0)
                        a->oom = true;
        } else
                a->unknown = true;
        return MHD_YES;
}

/* POST /api/v1/keys?name=NAME&scope=SCOPE[&scope=...][&expires_in=SECONDS]: the new key's text, shown this
 * once. */
static int create_key(Web *w, struct MHD_Connection *c, const McpIdentity *identity) {
        _cleanup_strv_free_ char **scopes = NULL;
        CreateArgs a = {};
        MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &a);
        scopes = a.scopes;
        if (a.oom)
                return MHD_NO;
        if (a.unknown)
                return web_respond_error(c, MHD_HTTP_BAD_REQUEST,
                        "A key is made from name=, scope= (one or more) and expires_in= (seconds) alone");
        if (isempty(a.name) || strv_length(scopes) == 0)
                return web_respond_error(c, MHD_HTTP_BAD_REQUEST, "A key needs a name and at least one scope");
        uint64_t expires_in = 0;
        if (!isempty(a.expires_in)) {
                char *end;
                errno = 0;
                unsigned long long v = strtoull(a.expires_in, &end, 10);
                if (errno != 0 || *end || a.expires_in[0] == '-' || v > EXPIRES_IN_MAX)
                        return web_respond_error(c, MHD_HTTP_BAD_REQUEST,
                                "expires_in= wants a number of seconds up to ten years, or 0 for never");
                expires_in = v;
        }

        ApiKeyStore *store = gateway_auth_keys(w->gateway->auth);
        uint64_t now = realtime_usec();
        _cleanup_free_ char *key = NULL;
        _cleanup_(apikey_info_done) ApiKeyInfo info = {};
        int r = apikey_create(store, a.name, scopes, now, expires_in ? now + expires_in * USEC_PER_SEC : 0, &key,
                &info);
        if (r == -EINVAL)
                return web_respond_error(c, MHD_HTTP_BAD_REQUEST,
                        "Invalid key: a name is 1 to %d of A-Z a-z 0-9 . _ @ -, and scopes look like tools:SERVER, "
                        "tools:SERVER:TOOL, resources:*, prompts:* or admin",
                        APIKEY_NAME_MAX);
        if (r < 0) {
                log_warning_errno(r, "Failed to create an API key in %s: %m", apikey_store_path(store));
                return web_respond_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "The key could not be stored in %s: %s",
                        apikey_store_path(store), strerror(-r));
        }
        log_info("API key %s (key:%s) created by %s from the dashboard.", info.id, info.name, identity->principal);

        _cleanup_json_ json_object *body = key_json(&info, now / USEC_PER_SEC);
        int k = body ? json_add_string(body, "key", key) : -ENOMEM;
        OPENSSL_cleanse(key, strlen(key));
        if (k < 0)
                return MHD_NO;
        return web_respond_json(c, MHD_HTTP_CREATED, body);
}

static int revoke_key(Web *w, struct MHD_Connection *c, const McpIdentity *identity, const char *id) {
        ApiKeyStore *store = gateway_auth_keys(w->gateway->auth);
        int r = apikey_revoke(store, id);
        if (r == -ENOENT)
                return web_respond_error(c, MHD_HTTP_NOT_FOUND, "No API key has the id \"%s\"", id);
        if (r < 0) {
                log_warning_errno(r, "Failed to revoke the API key %s in %s: %m", id, apikey_store_path(store));
                return web_respond_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "The key could not be revoked in %s: %s",
                        apikey_store_path(store), strerror(-r));
        }
        log_info("API key %s revoked by %s from the dashboard.", id, identity->principal);
        return web_respond_empty(c, MHD_HTTP_NO_CONTENT, NULL);
}

int web_keys_route(Web *w, struct MHD_Connection *c, const char *method, const char *id) {
        bool get = streq(method, MHD_HTTP_METHOD_GET) || streq(method, MHD_HTTP_METHOD_HEAD);
        bool post = streq(method, MHD_HTTP_METHOD_POST), delete = streq(method, MHD_HTTP_METHOD_DELETE);
        if (id ? !delete : !get && !post)
                return web_respond_empty(c, MHD_HTTP_METHOD_NOT_ALLOWED, id ? "DELETE" : "GET, HEAD, POST");

        _cleanup_(mcp_identity_unrefp) McpIdentity *identity = NULL;
        int result = MHD_NO;
        int r = web_identify(w, c, !get, &identity, &result);
        if (r < 0)
                return MHD_NO;
        if (r == 0)
                return result;
        if (!web_scopes_have(identity->scopes, "admin"))
                return web_respond_error(c, MHD_HTTP_FORBIDDEN,
                        "Forbidden: %s may not manage API keys (the scope admin is needed)", identity->principal);
        if (get)
                return list_keys(w, c);
        if (post)
                return create_key(w, c, identity);
        return revoke_key(w, c, identity, id);
}
