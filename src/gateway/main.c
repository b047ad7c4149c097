/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-gatewayd: MCP over HTTP for clients, org.aios.MCP1 over D-Bus to the servers. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>

#include "aggregate.h"
#include "auth.h"
#include "backend.h"
#include "curl-dlopen.h"
#include "daemon.h"
#include "guard.h"
#include "heap-trim.h"
#include "log.h"
#include "mcp-bus.h"
#include "mcp-session.h"
#include "monitor.h"
#include "result-cache.h"
#include "relay.h"
#include "routes.h"
#include "seccomp-policy.h"
#include "strv.h"
#include "web.h"

#define HEALTH_INTERVAL_USEC (10 * USEC_PER_SEC)
/* How long the gateway waits at start for the backends' catalogs before it serves anyway. */
#define CATALOG_WAIT_USEC (10 * USEC_PER_SEC)

static const char *arg_config_dir = NULL;
static const char *arg_listen = NULL;
static const char *arg_listen_local = NULL;
static const char *arg_web_dir = NULL;
static uint64_t arg_exit_idle_usec = UINT64_MAX; /* unset: 5 minutes when socket-activated, else never */

static void help(void) {
        printf("%s [OPTIONS...]\n\n"
               "The aios MCP gateway: MCP over HTTP at /mcp (every server's tools) and /servers/NAME/mcp (one\n"
               "server), bridged to the servers over D-Bus and to remote MCP servers over HTTP.\n\n"
               "  -h --help              Show this help\n"
               "     --version           Show the version\n"
               "     --config-dir=DIR    Read gateway.conf and backends.d/ here\n"
               "                         (default: $CONFIGURATION_DIRECTORY, else /etc/aios)\n"
               "     --listen=ADDR:PORT  Listen here when no socket is passed in (overrides Listen=)\n"
               "     --listen-local=PATH Also listen on this AF_UNIX socket when none is passed in: its\n"
               "                         clients are unix-user:NAME, decided by polkit as themselves\n"
               "     --web-dir=DIR       Serve the dashboard's files from here (overrides WebDirectory=;\n"
               "                         default: " WEB_DIRECTORY_DEFAULT ")\n"
               "     --exit-idle-time=SEC\n"
               "                         Exit after this long without sessions or requests; 0 never\n"
               "                         (default: 300 when socket-activated, else 0)\n"
               "     --log-level=LEVEL   debug, info, notice, warning or err (default: info)\n",
                program_invocation_short_name);
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_VERSION = 0x100,
                ARG_CONFIG_DIR,
                ARG_LISTEN,
                ARG_LISTEN_LOCAL,
                ARG_WEB_DIR,
                ARG_EXIT_IDLE_TIME,
                ARG_LOG_LEVEL
        };
        static const struct option options[] = { { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "config-dir", required_argument, NULL, ARG_CONFIG_DIR },
                { "listen", required_argument, NULL, ARG_LISTEN },
                { "listen-local", required_argument, NULL, ARG_LISTEN_LOCAL },
                { "web-dir", required_argument, NULL, ARG_WEB_DIR },
                { "exit-idle-time", required_argument, NULL, ARG_EXIT_IDLE_TIME },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL }, {} };

        int c;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        puts(PROJECT_VERSION);
                        return 0;
                case ARG_CONFIG_DIR:
                        arg_config_dir = optarg;
                        break;
                case ARG_LISTEN:
                        arg_listen = optarg;
                        break;
                case ARG_LISTEN_LOCAL:
                        if (optarg[0] != '/')
                                return log_error_errno(EINVAL, "--listen-local= wants an absolute path, not \"%s\".",
                                        optarg);
                        arg_listen_local = optarg;
                        break;
                case ARG_WEB_DIR:
                        if (optarg[0] != '/')
                                return log_error_errno(EINVAL, "--web-dir= wants an absolute path, not \"%s\".",
                                        optarg);
                        arg_web_dir = optarg;
                        break;
                case ARG_EXIT_IDLE_TIME: {
                        char *end;
                        errno = 0;
                        unsigned long long v = strtoull(optarg, &end, 10);
                        if (errno != 0 || end == optarg || *end || v > 86400 || optarg[0] == '-')
                                return log_error_errno(EINVAL,
                                        "--exit-idle-time= wants 0 to 86400 seconds, not \"%s\".", optarg);
                        arg_exit_idle_usec = v * USEC_PER_SEC;
                        break;
                }
                case ARG_LOG_LEVEL: {
                        int level = log_level_from_string(optarg);
                        if (level < 0)
                                return log_error_errno(level, "Unknown log level \"%s\".", optarg);
                        log_set_max_level(level);
                        break;
                }
                default:
                        return -EINVAL;
                }

        if (optind < argc)
                return log_error_errno(EINVAL, "%s takes no positional arguments.", program_invocation_short_name);
        return 1;
}

Backend *gateway_find_backend(Gateway *g, const char *name) {
        for (size_t i = 0; i < g->n_backends; i++)
                if (streq(g->backends[i]->config->name, name))
                        return g->backends[i];
        return NULL;
}

bool gateway_is_ready(Gateway *g) {
        for (size_t i = 0; i < g->n_backends; i++)
                if (!g->backends[i]->up)
                        return false;
        return true;
}

void gateway_backend_changed(Gateway *g, Backend *b) {
        if (b->owner)
                (void) backend_list_tools(b); /* a new process may offer other tools */
}

void gateway_tools_listed(Gateway *g, Backend *b) {
        if (g->aggregate)
                aggregate_refresh(g->aggregate, b);
}

void gateway_session_notify(Gateway *g, Backend *b, const char *session, json_object *notification) {
        /* What a backend says outside a call leaves the gateway filtered like what it answers. */
        if (g->guard)
                guard_filter_notification(g->guard, notification);
        McpSession *s = mcp_server_find_session(b->relay, session);
        if (s) {
                (void) mcp_session_send(s, notification);
                return;
        }

        /* A session of /mcp: the gateway's lists follow the backend's and tell their clients themselves;
         * resource updates go to the session that subscribed. */
        s = mcp_server_find_session(aggregate_server(g->aggregate), session);
        const char *method = json_get_string(notification, "method");
        if (!s || !method)
                return;
        if (streq(method, "notifications/tools/list_changed") ||
                streq(method, "notifications/resources/list_changed") ||
                streq(method, "notifications/prompts/list_changed"))
                (void) backend_list_tools(b);
        else if (streq(method, "notifications/resources/updated"))
                (void) mcp_session_send(s, notification);
}

static int on_health_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        Gateway *g = userdata;
        for (size_t i = 0; i < g->n_backends; i++)
                backend_check_health(g->backends[i]);
        return sd_event_source_set_time_relative(s, HEALTH_INTERVAL_USEC);
}

static bool catalogs_listed(Gateway *g) {
        for (size_t i = 0; i < g->n_backends; i++)
                if (!g->backends[i]->listed)
                        return false;
        return true;
}

/* /mcp's first tools/list must have every backend's tools, also those of servers that are not running yet:
 * the health check starts each activatable one for its catalog, and the loop runs until all have answered
 * (or CATALOG_WAIT_USEC passed) before HTTP is served. Clients that connect meanwhile wait in the listening
 * socket's backlog. Returns 0 when the gateway was told to stop meanwhile. */
static int wait_for_catalogs(Gateway *g) {
        uint64_t deadline = now_usec() + CATALOG_WAIT_USEC;
        while (!catalogs_listed(g)) {
                uint64_t now = now_usec();
                if (now >= deadline) {
                        log_warning("Not every backend said what it offers within %llu s; serving without their tools "
                                    "until they do.",
                                (unsigned long long) (CATALOG_WAIT_USEC / USEC_PER_SEC));
                        break;
                }
                int r = sd_event_run(g->event, deadline - now);
                if (r < 0)
                        return log_error_errno(r, "Failed to run the event loop: %m");
                if (sd_event_get_state(g->event) == SD_EVENT_FINISHED)
                        return 0;
        }
        return 1;
}

/* SIGHUP: the keys that sign tokens are read again. (gateway.conf and backends.d are read at start only.) */
static int reload(void *userdata) {
        Gateway *g = userdata;
        return gateway_auth_reload(g->auth);
}

static bool is_idle(void *userdata) {
        Gateway *g = userdata;
        if (hashmap_size(g->calls) > 0 || mcp_server_n_sessions(aggregate_server(g->aggregate)) > 0 ||
                !mcp_http_is_idle(g->http) || (g->http_local && !mcp_http_is_idle(g->http_local)) ||
                !web_is_idle(g->web))
                return false;
        for (size_t i = 0; i < g->n_backends; i++)
                if (mcp_server_n_sessions(g->backends[i]->relay) > 0)
                        return false;
        return true;
}

/* Whether the gateway may serve where it listens: on an address other than loopback only with
 * authentication required and TLS (its own, or TLS=off for one in front of it). loopback: 1, 0, or -errno. */
static int check_exposure(Gateway *g, int loopback, const char *where) {
        if (loopback < 0)
                return log_error_errno(loopback, "Failed to check the address %s: %m", where);
        if (loopback > 0)
                return 0;
        if (gateway_auth_allows_anonymous(g->auth))
                return log_error_errno(EPERM,
                        "Refusing to serve on %s: it is not a loopback address, and requests "
                        "without credentials would be served there. Set [Authentication] Anonymous=no in "
                        "gateway.conf, or listen on 127.0.0.1 or [::1].",
                        where);
        if (!gateway_auth_tls(g->auth, NULL, NULL) && !g->config->auth.tls_off)
                return log_error_errno(EPERM,
                        "Refusing to serve on %s: it is not a loopback address, and clients "
                        "would send their credentials there in plain text. Give the gateway the credentials tls-cert "
                        "and tls-key, or put it behind a TLS-terminating proxy and set [Authentication] TLS=off, or "
                        "listen on 127.0.0.1 or [::1].",
                        where);
        return 0;
}

static void gateway_done(Gateway *g) {
        web_stop_streams(g->web); /* no suspended connection may be left when the HTTP servers stop */
        g->http = mcp_http_free(g->http);
        g->http_local = mcp_http_free(g->http_local);
        /* /mcp's sessions end first: their calls are cancelled at the backends, which must still be there. */
        g->aggregate = aggregate_free(g->aggregate);
        g->monitor = monitor_free(g->monitor); /* it points at the backends */
        g->results = result_cache_free(g->results);
        for (size_t i = 0; i < g->n_backends; i++) {
                relay_free(g->backends[i]);
                backend_free(g->backends[i]);
        }
        free(g->backends);
        hashmap_free(g->calls);
        sd_event_source_disable_unref(g->health_timer);
        sd_bus_slot_unref(g->client_object);
        sd_bus_slot_unref(g->signal_match);
        sd_bus_slot_unref(g->bus_gone);
        sd_event_source_disable_unref(g->bus_retry);
        sd_bus_flush_close_unref(g->bus);
        guard_free(g->guard);
        metrics_free(g->metrics);
        web_free(g->web);
        gateway_auth_free(g->auth);
        gateway_config_free(g->config);
        sd_event_unref(g->event);
}

/* With the request-state-key credential, every replica seals requestState and session ids with the same key, so
 * that a client's requests need not come back to the replica that answered the last one. */
static int gateway_share_state_key(Gateway *g) {
        uint8_t secret[MCP_STATE_SECRET_MAX];
        size_t size;
        int r = mcp_state_secret_read(NULL, secret, &size);
        if (r <= 0)
                return r;
        for (size_t i = 0; r >= 0 && i <= g->n_backends; i++) {
                McpServer *s = i == 0 ? aggregate_server(g->aggregate) : g->backends[i - 1]->relay;
                if (!s)
                        continue;
                r = mcp_server_set_state_secret(s, secret, size);
                if (r < 0)
                        r = log_error_errno(r, "Failed to derive the request state key: %m");
                else if (g->config->session_lifetime_usec > 0)
                        mcp_server_set_session_lifetime(s,
                                MAX(g->config->session_lifetime_usec / USEC_PER_SEC, (uint64_t) 1));
        }
        explicit_bzero(secret, sizeof(secret));
        if (r < 0)
                return r;
        log_info("requestState and session ids are sealed with the key of the credential " MCP_STATE_SECRET_CREDENTIAL
                 ": another replica given it takes up this one's sessions.");
        return 0;
}

static int gateway_setup_backends(Gateway *g) {
        g->backends = new0(Backend *, g->config->n_backends ?: 1);
        if (!g->backends)
                return log_oom();

        for (size_t i = 0; i < g->config->n_backends; i++) {
                const BackendConfig *bc = &g->config->backends[i];
                if (!bc->enabled)
                        continue;
                Backend *b;
                int r = backend_new(g, bc, &b);
                if (r < 0)
                        return r;
                g->backends[g->n_backends++] = b;
                r = relay_new(b);
                if (r < 0)
                        return r;
                const char *where = bc->aggregate ? "and in /mcp" : "only (Aggregate=no)";
                if (bc->type == BACKEND_HTTP)
                        log_info("Backend %s: %s%s%s, at %s %s.", bc->name, bc->urls[0],
                                bc->urls[1] ? " and more endpoints" : "",
                                bc->resolve_addresses ? " (the addresses of its name)" : "", b->endpoint, where);
                else
                        log_info("Backend %s: %s on the system bus, at %s %s.", bc->name, bc->bus_name, b->endpoint,
                                where);
        }
        return 0;
}

/* gateway.conf's HTTP limits over the transport's defaults; the health checks keep connections of their own,
 * so that monitoring still gets through when clients hold every other one. */
static void gateway_http_limits(const GatewayConfig *c, McpHttpOptions *o) {
        static char *health_paths[] = { (char *) "/healthz", (char *) "/readyz", NULL };
        o->http.reserved_paths = health_paths;
        if (c->max_connections > 0)
                o->http.connection_limit = c->max_connections;
        if (c->max_connections_per_source > 0)
                o->http.per_ip_connection_limit = c->max_connections_per_source;
        if (c->connection_timeout_usec > 0)
                o->http.idle_timeout_sec = MAX((c->connection_timeout_usec + USEC_PER_SEC - 1) / USEC_PER_SEC, 1U);
        if (c->request_head_timeout_usec > 0)
                o->http.head_timeout_sec = MAX((c->request_head_timeout_usec + USEC_PER_SEC - 1) / USEC_PER_SEC, 1U);
        if (c->max_sessions > 0)
                o->max_sessions = c->max_sessions;
        if (c->max_sessions_per_principal > 0)
                o->max_sessions_per_owner = c->max_sessions_per_principal;
        if (c->session_idle_usec > 0)
                o->session_idle_usec = c->session_idle_usec;
}

static int run(int argc, char *argv[]) {
        log_set_ident(program_invocation_short_name);
        int r = parse_argv(argc, argv);
        if (r <= 0)
                return r;

        _cleanup_(gateway_done) Gateway g = {};
        r = gateway_config_load(arg_config_dir, &g.config);
        if (r < 0)
                return log_error_errno(r, "Failed to load the configuration from %s: %m",
                        arg_config_dir ?: gateway_config_dir());

        const char *listen = arg_listen ?: g.config->listen;
        int n_passed = sd_listen_fds(false);
        r = gateway_auth_new(&g.auth, &g.config->auth, listen);
        if (r < 0)
                return r;
        if (arg_exit_idle_usec == UINT64_MAX)
                arg_exit_idle_usec = n_passed > 0 ? 300 * USEC_PER_SEC : 0;

        r = daemon_event_new(&g.event);
        if (r < 0)
                return r;
        r = web_new(&g.web, &g, arg_web_dir ?: g.config->web_directory);
        if (r < 0)
                return r;
        r = metrics_new(&g.metrics);
        if (r < 0)
                return log_oom();
        r = guard_new(&g.guard, g.config, g.metrics, g.event);
        if (r < 0)
                return r;
        g.calls = hashmap_new();
        if (!g.calls)
                return log_oom();

        /* The bus is where D-Bus backends are; with only HTTP backends the gateway does without it. */
        bool need_bus = false;
        for (size_t i = 0; i < g.config->n_backends; i++)
                need_bus = need_bus || (g.config->backends[i].enabled && g.config->backends[i].type == BACKEND_DBUS);
        r = bus_open_system_attached(g.event, &g.bus);
        if (r < 0 && need_bus)
                return log_error_errno(r, "Failed to connect to the system bus, where the servers are: %m");
        if (r < 0)
                (void) log_full_errno(LOG_NOTICE, r,
                        "No system bus (%m); going on without D-Bus, as no backend is on it.");
        if (g.bus) {
                r = backend_dbus_broker_attach(&g);
                if (r < 0)
                        return r;
        }

        r = aggregate_new(&g, &g.aggregate);
        if (r < 0)
                return r;
        r = gateway_setup_backends(&g);
        if (r < 0)
                return r;
        r = gateway_share_state_key(&g);
        if (r < 0)
                return r;
        if (g.n_backends == 0)
                log_warning("No backends are configured in %s/backends.d: /mcp offers no tools.",
                        arg_config_dir ?: gateway_config_dir());

        /* Listen= is checked before it is bound, and the socket itself after (systemd may have handed in one
         * bound anywhere). */
        if (n_passed <= 0 && (r = check_exposure(&g, http_address_is_loopback(listen), listen)) < 0)
                return r;
        /* The local socket first: taking the TCP one unsets $LISTEN_FDS. */
        _cleanup_close_ int local_fd = http_local_listen_fd(arg_listen_local);
        if (local_fd < 0 && local_fd != -ENOENT)
                return local_fd;
        int fd = http_listen_fd(listen);
        if (fd < 0)
                return fd;
        char where[128] = "";
        (void) http_socket_describe(fd, where, sizeof(where));
        r = check_exposure(&g, http_socket_is_loopback(fd), where);
        if (r < 0) {
                safe_close(fd);
                return r;
        }

        r = sd_event_add_time_relative(g.event, &g.health_timer, CLOCK_MONOTONIC, 0, USEC_PER_SEC, on_health_tick, &g);
        if (r < 0)
                return log_error_errno(r, "Failed to add the health timer: %m");
        (void) sd_event_source_set_enabled(g.health_timer, SD_EVENT_ON);

        _cleanup_(sd_event_source_disable_unrefp) sd_event_source *trim = NULL;
        r = heap_trim_start(g.event, &trim);
        if (r < 0)
                return log_error_errno(r, "Failed to add the heap trim timer: %m");

        r = wait_for_catalogs(&g);
        if (r <= 0)
                return r;

        McpHttpOptions options = MCP_HTTP_OPTIONS_DEFAULT;
        options.max_body = g.config->max_body;
        if (g.config->max_body_memory > 0)
                options.max_body_memory = g.config->max_body_memory;
        if (g.config->max_requests_per_principal > 0)
                options.max_requests_per_principal = g.config->max_requests_per_principal;
        gateway_http_limits(g.config, &options);
        _cleanup_strv_free_ char **hosts = NULL;
        if (g.config->allowed_hosts) {
                /* Named ones come on top of the loopback names, which local clients and probes use. */
                static const char *const loopback[] = { "localhost", "127.0.0.1", "[::1]" };
                FOREACH_ELEMENT(l, loopback)
                if (strv_extend(&hosts, *l) < 0)
                        return log_oom();
                for (char **h = g.config->allowed_hosts; *h; h++)
                        if (strv_extend(&hosts, *h) < 0)
                                return log_oom();
                options.allowed_hosts = hosts;
        }
        gateway_auth_tls(g.auth, &options.http.tls_cert_pem, &options.http.tls_key_pem);
        McpHttpRouter router;
        r = mcp_http_new_routed(&g.http, g.event, fd, &options, routes_router(&g, &router));
        if (r < 0)
                return r;
        if (local_fd >= 0) {
                McpHttpOptions local_options = options;
                local_options.http.tls_cert_pem = local_options.http.tls_key_pem = NULL;
                r = mcp_http_new_routed(&g.http_local, g.event, TAKE_FD(local_fd), &local_options, &router);
                if (r < 0)
                        return r;
                log_info("Serving MCP to local clients on %s too.", arg_listen_local ?: "the socket systemd passed in");
        }

        if (g.config->cache_results && result_cache_new(&g.results) < 0)
                return log_oom();

        r = monitor_new(&g.monitor, &g, g.config->monitor_interval_usec);
        if (r < 0)
                return log_oom();

        r = daemon_on_reload(g.event, reload, &g);
        if (r < 0)
                return r;

        _cleanup_(sd_event_source_unrefp) sd_event_source *idle = NULL;
        if (arg_exit_idle_usec > 0) {
                r = daemon_exit_when_idle(g.event, arg_exit_idle_usec, is_idle, &g, &idle);
                if (r < 0)
                        return r;
        }

        /* Set up: from here on only what serving needs may be called. */
        r = seccomp_policy_load(program_invocation_short_name, NULL);
        if (r < 0)
                return r;

        log_info("Serving MCP on http://%s/mcp and http://%s/servers/NAME/mcp", where, where);
        char status[256];
        snprintf(status, sizeof(status), "Serving MCP on http://%s/mcp, %zu backends", where, g.n_backends);
        r = daemon_run(g.event, status);
        idle = sd_event_source_disable_unref(idle);
        return r;
}

int main(int argc, char *argv[]) {
        /* libcurl (and the OpenSSL it starts) is loaded for the first remote backend (curl-dlopen.h). */
        int r = run(argc, argv);
        curl_dlclose();
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
