/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reads gateway.conf, its drop-ins and backends.d with libinih into a GatewayConfig, checking each value. */
#include <arpa/inet.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>

#include "conf-parser.h"
#include "gateway-config.h"
#include "log.h"
#include "redact.h"
#include "strv.h"

#define EXPECTED_BOOLEAN CONFIG_EXPECTED_BOOLEAN
#define EXPECTED_TIME_SPAN CONFIG_EXPECTED_TIME_SPAN

static const char *const backend_type_table[_BACKEND_TYPE_MAX] = {
        [BACKEND_DBUS] = "dbus",
        [BACKEND_HTTP] = "http",
};

const char *backend_type_to_string(BackendType t) {
        return t >= 0 && t < _BACKEND_TYPE_MAX ? backend_type_table[t] : NULL;
}

BackendType backend_type_from_string(const char *s) {
        for (BackendType t = 0; s && t < _BACKEND_TYPE_MAX; t++)
                if (streq(s, backend_type_table[t]))
                        return t;
        return _BACKEND_TYPE_INVALID;
}

static char *path_join(const char *dir, const char *name) {
        char *p;
        return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

static bool backend_name_is_valid(const char *s) {
        return !isempty(s) && config_string_is_token(s, "_-", BACKEND_NAME_MAX);
}

static bool listen_address_is_valid(const char *s) {
        const char *colon = strrchr(s, ':'), *end;
        uint64_t port;
        if (!colon || config_parse_digits(colon + 1, &port, &end) < 0 || *end || port == 0 || port > 65535)
                return false;

        char host[INET6_ADDRSTRLEN + 2];
        size_t n = colon - s;
        if (n >= sizeof(host))
                return false;
        memcpy(host, s, n);
        host[n] = 0;

        struct in6_addr a;
        if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
                host[n - 1] = 0;
                return inet_pton(AF_INET6, host + 1, &a) == 1;
        }
        return inet_pton(AF_INET, host, &a) == 1;
}

static bool url_is_valid(const char *s) {
        const char *rest = startswith_ptr(s, "http://") ? s + strlen("http://")
                : startswith_ptr(s, "https://")         ? s + strlen("https://")
                                                        : NULL;
        if (!rest || !rest[0] || rest[0] == '/')
                return false;
        for (const char *p = s; *p; p++)
                if ((unsigned char) *p <= ' ' || *p == 0x7f)
                        return false;
        return true;
}

/* TLS=off is the only value: the gateway has no TLS of its own, and saying so is a decision. */
static int config_parse_tls(const char *value, void *data) {
        int b = config_parse_boolean(value);
        if (b != 0)
                return -EINVAL;
        *(bool *) data = true;
        return 0;
}

static int config_parse_listen(const char *value, void *data) {
        if (!isempty(value) && !listen_address_is_valid(value))
                return -EINVAL;
        return config_set_string(data, value);
}

/* AllowHost=: names (or [IPv6] addresses) separated by spaces, added to those of earlier lines; empty
 * forgets them. */
static int config_parse_allow_host(const char *value, void *data) {
        char ***hosts = data;
        if (isempty(value)) {
                *hosts = strv_free(*hosts);
                return 0;
        }
        for (const char *p = value; *p;) {
                p += strspn(p, " \t");
                size_t n = strcspn(p, " \t");
                if (n == 0)
                        break;
                bool bracketed = p[0] == '[' && p[n - 1] == ']' && n > 2;
                const char *allowed = bracketed ? "0123456789abcdefABCDEF:.[]"
                                                : "abcdefghijklmnopqrstuvwxyz"
                                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-";
                if (n > 253 || strspn(p, allowed) < n || p[0] == '.' || p[0] == '-')
                        return -EINVAL;
                _cleanup_free_ char *name = strndup(p, n);
                if (!name || strv_extend(hosts, name) < 0)
                        return -ENOMEM;
                p += n;
        }
        return 0;
}

static int config_parse_bus_name(const char *value, void *data) {
        /* sd-bus also accepts unique names (":1.42"), which change on every start. */
        if (!isempty(value) && (value[0] == ':' || sd_bus_service_name_is_valid(value) <= 0))
                return -EINVAL;
        return config_set_string(data, value);
}

static int config_parse_object_path(const char *value, void *data) {
        if (!isempty(value) && sd_bus_object_path_is_valid(value) <= 0)
                return -EINVAL;
        return config_set_string(data, value);
}

/* URL=: one endpoint of the backend, added to those of earlier lines; empty forgets them. */
static int config_parse_url(const char *value, void *data) {
        char ***urls = data;
        if (isempty(value)) {
                *urls = strv_free(*urls);
                return 0;
        }
        if (!url_is_valid(value))
                return -EINVAL;
        return strv_extend(urls, value);
}

static int config_parse_prefix(const char *value, void *data) {
        if (!config_string_is_token(value, "_.-", BACKEND_PREFIX_MAX))
                return -EINVAL;
        return config_set_string(data, value);
}

static int config_parse_backend_type(const char *value, void *data) {
        BackendType t = backend_type_from_string(value);
        if (t < 0)
                return -EINVAL;
        *(BackendType *) data = t;
        return 0;
}

static const ConfigItem gateway_items[] = {
        { "Listen", config_parse_listen, offsetof(GatewayConfig, listen),
                "ADDRESS:PORT with an IPv4 address or an IPv6 address in brackets, such as 127.0.0.1:9000 or [::1]:9000" },
        { "MaxRequestsPerPrincipal", config_parse_unsigned, offsetof(GatewayConfig, max_requests_per_principal),
                "a positive integer" },
        { "MaxBodyMemory", config_parse_size, offsetof(GatewayConfig, max_body_memory),
                "a positive number of bytes, optionally followed by K, M or G (powers of 1024), such as 64M" },
        { "MaxBodySize", config_parse_size, offsetof(GatewayConfig, max_body),
                "a positive number of bytes, optionally followed by K, M or G (powers of 1024), such as 4M" },
        { "SessionLifetimeSec", config_parse_sec, offsetof(GatewayConfig, session_lifetime_usec), EXPECTED_TIME_SPAN },
        { "CallTimeoutSec", config_parse_sec, offsetof(GatewayConfig, call_timeout_usec), EXPECTED_TIME_SPAN },
        { "MaxInFlightPerBackend", config_parse_unsigned, offsetof(GatewayConfig, max_in_flight),
                "a positive integer" },
        { "MaxConnections", config_parse_unsigned, offsetof(GatewayConfig, max_connections), "a positive integer" },
        { "MaxConnectionsPerSource", config_parse_unsigned, offsetof(GatewayConfig, max_connections_per_source),
                "a positive integer" },
        { "ConnectionTimeoutSec", config_parse_sec, offsetof(GatewayConfig, connection_timeout_usec),
                EXPECTED_TIME_SPAN },
        { "RequestHeadTimeoutSec", config_parse_sec, offsetof(GatewayConfig, request_head_timeout_usec),
                EXPECTED_TIME_SPAN },
        { "MaxSessions", config_parse_unsigned, offsetof(GatewayConfig, max_sessions), "a positive integer" },
        { "MaxSessionsPerPrincipal", config_parse_unsigned, offsetof(GatewayConfig, max_sessions_per_principal),
                "a positive integer" },
        { "SessionIdleSec", config_parse_sec, offsetof(GatewayConfig, session_idle_usec), EXPECTED_TIME_SPAN },
        { "MonitorIntervalSec", config_parse_sec, offsetof(GatewayConfig, monitor_interval_usec), EXPECTED_TIME_SPAN },
        { "CacheResults", config_parse_bool, offsetof(GatewayConfig, cache_results), EXPECTED_BOOLEAN },
        { "DirectConnections", config_parse_bool, offsetof(GatewayConfig, direct_connections), EXPECTED_BOOLEAN },
        { "WebDirectory", config_parse_path, offsetof(GatewayConfig, web_directory), "an absolute path" },
        { "AllowHost", config_parse_allow_host, offsetof(GatewayConfig, allowed_hosts),
                "host names separated by spaces, such as aios.example.com" },
};

static const ConfigItem authentication_items[] = {
        { "Anonymous", config_parse_bool, offsetof(AuthConfig, anonymous), EXPECTED_BOOLEAN },
        { "AnonymousScopes", config_parse_string, offsetof(AuthConfig, anonymous_scopes),
                "scopes separated by spaces, such as tools:sysops:system_info" },
        { "LocalScopes", config_parse_string, offsetof(AuthConfig, local_scopes),
                "scopes separated by spaces, such as tools:sysops" },
        { "APIKeyFile", config_parse_path, offsetof(AuthConfig, api_key_file), "an absolute path" },
        { "Audience", config_parse_string, offsetof(AuthConfig, audience),
                "the gateway's canonical URI, such as https://aios.example.com/mcp" },
        { "JWTIssuer", config_parse_string, offsetof(AuthConfig, jwt_issuer), "the issuer URI tokens name in iss" },
        { "JWTPublicKeyFile", config_parse_path, offsetof(AuthConfig, jwt_public_key), "an absolute path" },
        { "JWKSFile", config_parse_path, offsetof(AuthConfig, jwks_file), "an absolute path" },
        { "TLS", config_parse_tls, offsetof(AuthConfig, tls_off), "off (TLS is terminated in front of the gateway)" },
};

/* Rates as ratelimit_rule_parse() reads them ("100/s"); "" resets to no limit. */
static int config_parse_rate(const char *value, void *data) {
        return ratelimit_rule_parse(value, data);
}

static int config_parse_burst(const char *value, void *data) {
        uint64_t v = 0;
        const char *end;
        if (!isempty(value) && (config_parse_digits(value, &v, &end) < 0 || *end || v == 0 || v > 1000000000))
                return -EINVAL;
        *(uint64_t *) data = v;
        return 0;
}

/* RedactPattern= adds a pattern, RedactPattern= with nothing drops those before it. */
static int config_parse_pattern(const char *value, void *data) {
        char ***l = data;
        if (isempty(value)) {
                *l = strv_free(*l);
                return 0;
        }
        char *const one[] = { (char *) value, NULL };
        _cleanup_(redactor_freep) Redactor *r = NULL;
        int k = redactor_new(false, one, &r, NULL);
        if (k < 0)
                return k;

        size_t n = 0;
        while (*l && (*l)[n])
                n++;
        char **grown = realloc(*l, (n + 2) * sizeof(char *));
        if (!grown)
                return -ENOMEM;
        *l = grown;
        grown[n + 1] = NULL;
        return (grown[n] = strdup(value)) ? 0 : -ENOMEM;
}

/* ToolMaxResultSize=TOOL SIZE sets one tool's limit; with nothing, drops those before it. data: the FilterConfig. */
static int config_parse_tool_size(const char *value, void *data) {
        FilterConfig *f = data;
        if (isempty(value)) {
                for (size_t i = 0; i < f->n_tool_limits; i++)
                        free(f->tool_limits[i].tool);
                f->tool_limits = mfree(f->tool_limits);
                f->n_tool_limits = 0;
                return 0;
        }
        const char *space = strchr(value, ' ');
        uint64_t max = 0;
        if (!space || space == value || config_parse_size(space + strspn(space, " "), &max) < 0 || max == 0)
                return -EINVAL;
        _cleanup_free_ char *tool = strndup(value, space - value);
        if (!tool)
                return -ENOMEM;
        for (size_t i = 0; i < f->n_tool_limits; i++)
                if (streq(f->tool_limits[i].tool, tool)) {
                        f->tool_limits[i].max = max;
                        return 0;
                }
        ToolResultLimit *grown = reallocarray(f->tool_limits, f->n_tool_limits + 1, sizeof(ToolResultLimit));
        if (!grown)
                return -ENOMEM;
        f->tool_limits = grown;
        f->tool_limits[f->n_tool_limits++] = (ToolResultLimit){ .tool = TAKE_PTR(tool), .max = max };
        return 0;
}

#define EXPECTED_RATE "a rate such as 100/s, 20/min or 500/h, or infinity"
#define EXPECTED_BURST "a positive number of calls"

static const ConfigItem rate_limit_items[] = {
        { "Read", config_parse_rate, offsetof(RateLimitConfig, rules[TOOL_CLASS_READ]), EXPECTED_RATE },
        { "ReadBurst", config_parse_burst, offsetof(RateLimitConfig, rules[TOOL_CLASS_READ].burst), EXPECTED_BURST },
        { "Write", config_parse_rate, offsetof(RateLimitConfig, rules[TOOL_CLASS_WRITE]), EXPECTED_RATE },
        { "WriteBurst", config_parse_burst, offsetof(RateLimitConfig, rules[TOOL_CLASS_WRITE].burst), EXPECTED_BURST },
        { "Destructive", config_parse_rate, offsetof(RateLimitConfig, rules[TOOL_CLASS_DESTRUCTIVE]), EXPECTED_RATE },
        { "DestructiveBurst", config_parse_burst, offsetof(RateLimitConfig, rules[TOOL_CLASS_DESTRUCTIVE].burst),
                EXPECTED_BURST },
        { "MaxPrincipals", config_parse_unsigned, offsetof(RateLimitConfig, max_principals), "a positive integer" },
};

static const ConfigItem filter_items[] = {
        { "RedactSecrets", config_parse_bool, offsetof(FilterConfig, redact_secrets), EXPECTED_BOOLEAN },
        { "RedactPattern", config_parse_pattern, offsetof(FilterConfig, redact_patterns),
                "a PCRE2 regular expression that compiles" },
        { "MaxResultSize", config_parse_size, offsetof(FilterConfig, max_result_size),
                "a positive number of bytes, optionally followed by K, M or G (powers of 1024), such as 1M" },
        { "ToolMaxResultSize", config_parse_tool_size, 0,
                "a tool's name, a space and a size, such as system_journal 4M" },
};

static const ConfigItem backend_items[] = {
        { "Type", config_parse_backend_type, offsetof(BackendConfig, type), "dbus or http" },
        { "BusName", config_parse_bus_name, offsetof(BackendConfig, bus_name),
                "a D-Bus well-known name, such as org.aios.Conformance1" },
        { "ObjectPath", config_parse_object_path, offsetof(BackendConfig, object_path),
                "a D-Bus object path, such as " BACKEND_OBJECT_PATH_DEFAULT },
        { "URL", config_parse_url, offsetof(BackendConfig, urls),
                "an http:// or https:// URL with a host, such as http://127.0.0.1:9100/mcp" },
        { "ResolveAddresses", config_parse_bool, offsetof(BackendConfig, resolve_addresses), EXPECTED_BOOLEAN },
        { "ResolveIntervalSec", config_parse_sec, offsetof(BackendConfig, resolve_interval_usec), EXPECTED_TIME_SPAN },
        { "Prefix", config_parse_prefix, offsetof(BackendConfig, prefix),
                "at most 32 letters, digits, '_', '.' or '-'" },
        { "TimeoutSec", config_parse_sec, offsetof(BackendConfig, timeout_usec), EXPECTED_TIME_SPAN },
        { "Aggregate", config_parse_bool, offsetof(BackendConfig, aggregate), EXPECTED_BOOLEAN },
        { "Enabled", config_parse_bool, offsetof(BackendConfig, enabled), EXPECTED_BOOLEAN },
        { "Unit", config_parse_unit_name, offsetof(BackendConfig, unit),
                "a systemd unit name, such as aios-sysopsd.service" },
        { "BearerTokenCredential", config_parse_credential, offsetof(BackendConfig, bearer_token_credential),
                "the name of a systemd credential (LoadCredential=), or an absolute path" },
};

_Static_assert(ELEMENTSOF(gateway_items) <= CONFIG_ITEMS_MAX, "raise CONFIG_ITEMS_MAX");
_Static_assert(ELEMENTSOF(backend_items) <= CONFIG_ITEMS_MAX, "raise CONFIG_ITEMS_MAX");

static void backend_config_done(BackendConfig *b) {
        free(b->name);
        free(b->bus_name);
        free(b->object_path);
        strv_free(b->urls);
        free(b->bearer_token_credential);
        free(b->unit);
        free(b->prefix);
}

GatewayConfig *gateway_config_free(GatewayConfig *c) {
        if (!c)
                return NULL;
        free(c->listen);
        free(c->web_directory);
        strv_free(c->allowed_hosts);
        free(c->auth.anonymous_scopes);
        free(c->auth.local_scopes);
        free(c->auth.api_key_file);
        free(c->auth.audience);
        free(c->auth.jwt_issuer);
        free(c->auth.jwt_public_key);
        free(c->auth.jwks_file);
        strv_free(c->filter.redact_patterns);
        for (size_t i = 0; i < c->filter.n_tool_limits; i++)
                free(c->filter.tool_limits[i].tool);
        free(c->filter.tool_limits);
        for (size_t i = 0; i < c->n_backends; i++)
                backend_config_done(&c->backends[i]);
        free(c->backends);
        free(c);
        return NULL;
}

static int gateway_config_parse(GatewayConfig *c, const char *path) {
        const ConfigSection more[] = {
                { "Authentication", authentication_items, ELEMENTSOF(authentication_items), &c->auth },
                { "RateLimit", rate_limit_items, ELEMENTSOF(rate_limit_items), &c->rate_limit },
                { "Filter", filter_items, ELEMENTSOF(filter_items), &c->filter },
        };
        ConfigFile f = {
                .path = path,
                .section = "Gateway",
                .items = gateway_items,
                .n_items = ELEMENTSOF(gateway_items),
                .target = c,
                .more = more,
                .n_more = ELEMENTSOF(more),
        };
        int r = config_file_parse(&f);
        return r < 0 ? r : 0;
}

static int gateway_config_finish(GatewayConfig *c) {
        if (!c->listen && !(c->listen = strdup(GATEWAY_LISTEN_DEFAULT)))
                return log_oom();
        if (c->max_body == 0)
                c->max_body = GATEWAY_MAX_BODY_DEFAULT;
        if (c->call_timeout_usec == 0)
                c->call_timeout_usec = GATEWAY_CALL_TIMEOUT_USEC_DEFAULT;
        if (c->monitor_interval_usec == 0)
                c->monitor_interval_usec = 5 * USEC_PER_SEC;
        if (c->max_in_flight == 0)
                c->max_in_flight = GATEWAY_MAX_IN_FLIGHT_DEFAULT;
        if (c->filter.max_result_size == 0)
                c->filter.max_result_size = GATEWAY_MAX_RESULT_SIZE_DEFAULT;
        if (!c->auth.anonymous_scopes && !(c->auth.anonymous_scopes = strdup(GATEWAY_ANONYMOUS_SCOPES_DEFAULT)))
                return log_oom();
        if (!c->auth.local_scopes && !(c->auth.local_scopes = strdup(GATEWAY_LOCAL_SCOPES_DEFAULT)))
                return log_oom();
        return 0;
}

/* Drops a setting the backend's type does not use, with a warning, so that nobody relies on it. */
static void backend_config_drop(const ConfigFile *f, const BackendConfig *b, const char *key, char **value) {
        if (!*value)
                return;
        log_warning("%s:%u: %s= is not used with Type=%s, ignoring.", f->path, config_file_item_line(f, key), key,
                backend_type_to_string(b->type));
        *value = mfree(*value);
}

/* The endpoints of a Type=http backend: each named once, and not too many. */
static int backend_config_check_urls(const ConfigFile *f, const BackendConfig *b) {
        unsigned line = config_file_item_line(f, "URL");
        size_t n = strv_length(b->urls);
        if (n > BACKEND_URLS_MAX)
                return log_error_errno(EINVAL, "%s:%u: %zu URL= lines, expected at most %u endpoints for one backend.",
                        f->path, line, n, BACKEND_URLS_MAX);
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < i; j++)
                        if (streq(b->urls[i], b->urls[j]))
                                return log_error_errno(EINVAL,
                                        "%s:%u: URL=%s is given twice, expected each endpoint once.", f->path, line,
                                        b->urls[i]);
        return 0;
}

static int backend_config_finish(const ConfigFile *f, BackendConfig *b, const GatewayConfig *c) {
        unsigned type_line = config_file_item_line(f, "Type");
        int r;

        switch (b->type) {
        case BACKEND_DBUS:
                if (!b->bus_name)
                        return log_error_errno(EINVAL,
                                "%s:%u: Type=dbus without BusName=, expected BusName= with a D-Bus well-known name, such as org.aios.Conformance1.",
                                f->path, type_line);
                if (b->urls) {
                        log_warning("%s:%u: URL= is not used with Type=dbus, ignoring.", f->path,
                                config_file_item_line(f, "URL"));
                        b->urls = strv_free(b->urls);
                }
                backend_config_drop(f, b, "BearerTokenCredential", &b->bearer_token_credential);
                if (!b->object_path && !(b->object_path = strdup(BACKEND_OBJECT_PATH_DEFAULT)))
                        return log_oom();
                break;
        case BACKEND_HTTP:
                if (!b->urls)
                        return log_error_errno(EINVAL,
                                "%s:%u: Type=http without URL=, expected URL= with an http:// or https:// URL.",
                                f->path, type_line);
                r = backend_config_check_urls(f, b);
                if (r < 0)
                        return r;
                if (b->resolve_interval_usec == 0)
                        b->resolve_interval_usec = BACKEND_RESOLVE_INTERVAL_USEC_DEFAULT;
                backend_config_drop(f, b, "BusName", &b->bus_name);
                backend_config_drop(f, b, "ObjectPath", &b->object_path);
                backend_config_drop(f, b, "Unit", &b->unit);
                break;
        default:
                return log_error_errno(EINVAL,
                        "%s: Type= missing in section [Backend], expected Type=dbus or Type=http.", f->path);
        }

        if (!b->prefix && !(b->prefix = strdup("")))
                return log_oom();
        if (b->timeout_usec == 0)
                b->timeout_usec = c->call_timeout_usec;
        return 0;
}

static int backend_config_load(GatewayConfig *c, const char *path, const char *name) {
        _cleanup_(backend_config_done) BackendConfig b = {
                .type = _BACKEND_TYPE_INVALID,
                .enabled = true,
                .aggregate = true,
        };
        ConfigFile f = {
                .path = path,
                .section = "Backend",
                .items = backend_items,
                .n_items = ELEMENTSOF(backend_items),
                .target = &b,
        };

        int r = config_file_parse(&f);
        if (r <= 0) /* 0: removed since we listed it */
                return r;
        r = backend_config_finish(&f, &b, c);
        if (r < 0)
                return r;
        if (!(b.name = strdup(name)))
                return log_oom();

        BackendConfig *grown = realloc(c->backends, (c->n_backends + 1) * sizeof(BackendConfig));
        if (!grown)
                return log_oom();
        c->backends = grown;
        c->backends[c->n_backends++] = b;
        b = (BackendConfig){};
        return 0;
}

/* An invalid file does not stop the load at once, so that every mistake gets logged in one go. */
static int fold_error(int *first, int r) {
        if (r < 0 && *first >= 0)
                *first = r;
        return r == -EINVAL ? 0 : r;
}

int gateway_config_load(const char *dir, GatewayConfig **ret) {
        int r, invalid = 0;

        assert(ret);
        if (!dir)
                dir = gateway_config_dir();

        _cleanup_(gateway_config_freep) GatewayConfig *c = new0(GatewayConfig, 1);
        _cleanup_free_ char *main_path = path_join(dir, "gateway.conf"), *dropin_dir = path_join(dir, "gateway.conf.d"),
                            *backend_dir = path_join(dir, "backends.d");
        if (!c || !main_path || !dropin_dir || !backend_dir)
                return log_oom();
        c->auth.anonymous = true;
        c->cache_results = true;
        c->direct_connections = true;
        c->filter.redact_secrets = true;

        if ((r = fold_error(&invalid, gateway_config_parse(c, main_path))) < 0)
                return r;

        _cleanup_(strv_freep) char **dropins = NULL;
        if ((r = config_list_files(dropin_dir, &dropins)) < 0)
                return r;
        for (char **i = dropins; i && *i; i++) {
                _cleanup_free_ char *path = path_join(dropin_dir, *i);
                if (!path)
                        return log_oom();
                if ((r = fold_error(&invalid, gateway_config_parse(c, path))) < 0)
                        return r;
        }

        if ((r = gateway_config_finish(c)) < 0)
                return r;

        _cleanup_(strv_freep) char **backends = NULL;
        if ((r = config_list_files(backend_dir, &backends)) < 0)
                return r;
        for (char **i = backends; i && *i; i++) {
                _cleanup_free_ char *name = strndup(*i, strlen(*i) - strlen(".conf")),
                                    *path = path_join(backend_dir, *i);
                if (!name || !path)
                        return log_oom();
                if (!backend_name_is_valid(name)) {
                        log_warning(
                                "%s: \"%s\" is not a valid backend name, expected 1 to %d letters, digits, '_' or '-'; ignoring the file.",
                                path, name, BACKEND_NAME_MAX);
                        continue;
                }
                if ((r = fold_error(&invalid, backend_config_load(c, path, name))) < 0)
                        return r;
        }

        if (invalid < 0)
                return invalid;
        *ret = TAKE_PTR(c);
        return 0;
}

const char *gateway_config_dir(void) {
        static char buf[PATH_MAX];

        /* systemd sets $CONFIGURATION_DIRECTORY from ConfigurationDirectory=, colon-separated when the unit
         * names several; ours is the first. */
        const char *e = getenv("CONFIGURATION_DIRECTORY");
        if (isempty(e))
                return GATEWAY_CONFIG_DIR_DEFAULT;

        size_t n = strcspn(e, ":");
        if (e[0] != '/' || n >= sizeof(buf)) {
                log_warning("$CONFIGURATION_DIRECTORY does not start with an absolute path, using %s.",
                        GATEWAY_CONFIG_DIR_DEFAULT);
                return GATEWAY_CONFIG_DIR_DEFAULT;
        }
        memcpy(buf, e, n);
        buf[n] = 0;
        return buf;
}
