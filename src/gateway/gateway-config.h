/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The gateway's configuration: gateway.conf with its drop-ins, and one file per backend in backends.d. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "ratelimit.h"

#define GATEWAY_CONFIG_DIR_DEFAULT "/etc/aios"
#define GATEWAY_LISTEN_DEFAULT "127.0.0.1:9000"
#define GATEWAY_MAX_BODY_DEFAULT (UINT64_C(4) * 1024 * 1024)
#define GATEWAY_CALL_TIMEOUT_USEC_DEFAULT (UINT64_C(300) * USEC_PER_SEC)
#define GATEWAY_MAX_IN_FLIGHT_DEFAULT 256U
#define GATEWAY_MAX_RESULT_SIZE_DEFAULT (UINT64_C(1) * 1024 * 1024)
#define BACKEND_OBJECT_PATH_DEFAULT "/org/aios/MCP1"
#define BACKEND_NAME_MAX 64
#define BACKEND_PREFIX_MAX 32
#define BACKEND_URLS_MAX 64
#define BACKEND_RESOLVE_INTERVAL_USEC_DEFAULT (UINT64_C(10) * USEC_PER_SEC)

typedef enum BackendType {
        BACKEND_DBUS,
        BACKEND_HTTP,
        _BACKEND_TYPE_MAX,
        _BACKEND_TYPE_INVALID = -EINVAL,
} BackendType;

const char *backend_type_to_string(BackendType t);
BackendType backend_type_from_string(const char *s);

typedef struct BackendConfig {
        char *name; /* the file's name without .conf, [A-Za-z0-9_-]{1,64} */
        BackendType type;
        char *bus_name;    /* BACKEND_DBUS: a well-known name; NULL for BACKEND_HTTP */
        char *object_path; /* BACKEND_DBUS: BACKEND_OBJECT_PATH_DEFAULT unless set; NULL for BACKEND_HTTP */
        char **urls;       /* BACKEND_HTTP: its endpoints (URL= lines), http:// or https://; NULL for BACKEND_DBUS */
        bool resolve_addresses;         /* BACKEND_HTTP: ResolveAddresses=: an endpoint per address of each name */
        uint64_t resolve_interval_usec; /* BACKEND_HTTP: ResolveIntervalSec=: how often the names are resolved */
        char *bearer_token_credential;  /* BACKEND_HTTP: the gateway's own token for it, a credential or a path */
        char *unit;   /* BACKEND_DBUS: its systemd unit (Unit=), for the resource monitor; NULL: found by pid */
        char *prefix; /* never NULL: "" when the backend's names are not prefixed */
        uint64_t timeout_usec; /* the gateway's call_timeout_usec unless TimeoutSec= is set */
        bool enabled;
        bool aggregate; /* Aggregate=: on /mcp too (default), or only on /servers/NAME/mcp */
} BackendConfig;

/* [Authentication]: who may call, and how a request says who it is. */
#define GATEWAY_ANONYMOUS_SCOPES_DEFAULT "tools:* resources:* prompts:*"
#define GATEWAY_LOCAL_SCOPES_DEFAULT "tools:* resources:* prompts:*"
typedef struct AuthConfig {
        bool anonymous;         /* requests without credentials are served, as "anonymous"; default yes */
        char *anonymous_scopes; /* what the gateway lets anonymous ask for; polkit decides on the servers */
        char *local_scopes;     /* what the local socket's clients may ask for; polkit decides for their process */
        char *api_key_file;     /* NULL: $STATE_DIRECTORY/api-keys, else /var/lib/aios-gateway/api-keys */
        char *audience;         /* the canonical URI tokens must be issued for; NULL: http://LISTEN/mcp */
        bool tls_off;           /* TLS=off: a non-loopback address is served in plain HTTP (behind a proxy) */
        char *jwt_issuer;       /* JWTIssuer=: tokens' iss must equal it; NULL: not checked */
        char *jwt_public_key;   /* JWTPublicKeyFile=: a PEM public key that signs tokens */
        char *jwks_file;        /* JWKSFile=: the identity provider's keys, reloaded when the file changes */
} AuthConfig;

/* [Filter]: what is done to results before they leave the gateway. */
typedef struct ToolResultLimit {
        char *tool; /* the name the client calls it by */
        uint64_t max;
} ToolResultLimit;

typedef struct FilterConfig {
        bool redact_secrets;          /* RedactSecrets=: the built-in patterns; default yes */
        char **redact_patterns;       /* RedactPattern=, NULL-terminated; NULL when none */
        uint64_t max_result_size;     /* MaxResultSize=, bytes of a tools/call result */
        ToolResultLimit *tool_limits; /* ToolMaxResultSize=TOOL SIZE */
        size_t n_tool_limits;
} FilterConfig;

typedef struct GatewayConfig {
        char *listen;                        /* ADDRESS:PORT, the IPv6 address in brackets */
        uint64_t max_body;                   /* bytes */
        uint64_t max_body_memory;            /* bytes of request bodies held at once; 0: the transport's default */
        unsigned max_requests_per_principal; /* open requests of one principal; 0: the default */
        uint64_t call_timeout_usec;
        unsigned max_in_flight; /* per backend */
        /* The HTTP transport's limits; 0: its default. */
        unsigned max_connections;
        unsigned max_connections_per_source;
        uint64_t connection_timeout_usec;
        uint64_t request_head_timeout_usec;
        unsigned max_sessions;
        unsigned max_sessions_per_principal; /* sessions of one principal on each endpoint */
        uint64_t session_idle_usec;          /* SessionIdleSec=: a session unused this long ends; 0: the default */
        uint64_t monitor_interval_usec;      /* MonitorIntervalSec=: how often servers' figures are asked for */
        bool cache_results;                  /* CacheResults=: reuse results of tools that allow it; default yes */
        bool direct_connections;             /* DirectConnections=: D-Bus calls bypass the broker; default yes */
        char *web_directory;                 /* WebDirectory=: the dashboard's files; NULL: the installed ones */
        char **allowed_hosts;                /* AllowHost=: Host and Origin names besides the loopback ones */
        AuthConfig auth;
        RateLimitConfig rate_limit; /* [RateLimit] */
        FilterConfig filter;
        /* SessionLifetimeSec=: how long a sealed session id (a shared request-state-key) is good; 0: the default */
        uint64_t session_lifetime_usec;
        BackendConfig *backends; /* in the alphabetical order of their files; disabled ones included */
        size_t n_backends;
} GatewayConfig;

/* Loads DIR/gateway.conf, then DIR/gateway.conf.d/NAME.conf in alphabetical order (later files override
 * earlier settings), then DIR/backends.d/NAME.conf in alphabetical order. Missing files and directories
 * mean defaults and no backends; dir NULL means gateway_config_dir(). An empty assignment (Key=) resets a
 * string or number to its default. Unknown sections and keys are logged as warnings and ignored; a value
 * that does not parse, a line that is neither a section, an assignment nor a comment, and an incomplete
 * backend are logged with file and line and fail the load with -EINVAL. Other failures: -ENOMEM, or the
 * errno of a file or directory that exists but cannot be read. */
int gateway_config_load(const char *dir, GatewayConfig **ret);
GatewayConfig *gateway_config_free(GatewayConfig *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(GatewayConfig *, gateway_config_free);

/* The first entry of $CONFIGURATION_DIRECTORY when it is an absolute path, else GATEWAY_CONFIG_DIR_DEFAULT.
 * The string may live in static storage that the next call overwrites. */
const char *gateway_config_dir(void);
