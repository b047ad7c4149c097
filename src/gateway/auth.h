/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who a request to the gateway comes from (API keys, anonymous) and whether its scopes let it ask for what it
 * asks: the edge of the gateway's security chain. */
#pragma once

#include <microhttpd.h>

#include "apikey.h"
#include "auth-bearer.h"
#include "gateway-config.h"
#include "mcp-http.h"

/* The systemd credential holding the HS256/384/512 secret of JWT bearer tokens. */
#define GATEWAY_JWT_SECRET_CREDENTIAL "jwt-secret"

typedef struct GatewayAuth GatewayAuth;
typedef struct Gateway Gateway;

int gateway_auth_new(GatewayAuth **ret, const AuthConfig *config, const char *listen);
GatewayAuth *gateway_auth_free(GatewayAuth *a);
/* Reads the JWKS file again now, changed or not (SIGHUP). Keys and the key store are read again on their
 * own when their files change. */
int gateway_auth_reload(GatewayAuth *a);
DEFINE_TRIVIAL_CLEANUP_FUNC(GatewayAuth *, gateway_auth_free);

/* The canonical URI of /mcp (RFC 8707): what tokens must be issued for. */
const char *gateway_auth_resource(GatewayAuth *a);
#define GATEWAY_TLS_CERT_CREDENTIAL "tls-cert"
#define GATEWAY_TLS_KEY_CREDENTIAL "tls-key"
/* Whether the gateway serves HTTPS (the credentials tls-cert and tls-key), and their PEM texts. */
bool gateway_auth_tls(GatewayAuth *a, const char **ret_cert, const char **ret_key);

/* Whether requests without credentials are served. */
bool gateway_auth_allows_anonymous(GatewayAuth *a);

/* Checks an Authorization header's value as a request's would be checked (the dashboard's sign-in, and its
 * sessions on every request): 1, 0 (refused, *ret says why) or -ENOMEM, as auth_bearer_check(). */
int gateway_auth_check_bearer(GatewayAuth *a, const char *header, BearerResult *ret);
/* The API key store. */
ApiKeyStore *gateway_auth_keys(GatewayAuth *a);

/* McpHttpRouter's authenticate and authorize, for a router whose userdata is the Gateway. */
int gateway_auth_authenticate(void *userdata, struct MHD_Connection *c, McpIdentity **ret_identity,
        McpHttpRefusal *ret_refusal);
int gateway_auth_authorize(void *userdata, McpServer *server, const McpIdentity *identity, json_object *message,
        McpHttpRefusal *ret_refusal);

/* /mcp's list filter: a principal sees the tools, resources, templates and prompts its scopes let it use. */
bool gateway_auth_list_visible(McpRequest *req, const char *key, json_object *entry);

/* A list a backend answered on /servers/NAME/mcp (tools, prompts, resources, templates), cut in place to what
 * scopes (NULL: no filter) let the principal use on backend. */
void gateway_auth_filter_list(json_object *response, const char *method, const char *backend, const char *scopes);

/* /.well-known/oauth-protected-resource (RFC 9728), a new reference. */
json_object *gateway_auth_resource_metadata(GatewayAuth *a);
