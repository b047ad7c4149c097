/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The main() of every aios server: options, the transports (D-Bus, HTTP, stdio), idle exit, seccomp. */
#include <getopt.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>

#include "credential.h"
#include "daemon.h"
#include "log.h"
#include "mcp-bus.h"
#include "mcp-http.h"
#include "mcp-session.h"
#include "mcp-stdio.h"
#include "seccomp-policy.h"
#include "server-main.h"

static const McpServerMain *main_of;
static const char *arg_listen = NULL;
static uint64_t arg_exit_idle_usec = UINT64_MAX; /* unset: 2 minutes when activated, else never */
static bool arg_bus = true;
static bool arg_stdio = false;
static char **arg_allowed_hosts = NULL;
static size_t arg_n_allowed_hosts = 0;
static McpHttpOptions arg_http;
static const char *arg_request_state_key = NULL;
static const char *arg_front_end_credential = NULL;
static char *front_end_token = NULL; /* read from it; the HTTP transport holds on to it until the end */

static void help(void) {
        printf("%s [OPTIONS...]\n\n"
               "%s\n\n"
               "  -h --help              Show this help\n"
               "     --version           Show the version\n"
               "     --listen=ADDR:PORT  Serve HTTP here when no socket is passed in\n"
               "     --no-bus            Stay off the system bus\n"
               "     --bus-name=NAME     Own this bus name (default: %s)\n"
               "     --exit-idle-time=SEC\n"
               "                         Exit after this long without sessions or calls; 0 never\n"
               "                         (default: 120 when socket-activated, else 0)\n"
               "     --allow-host=NAME   Accept this Host/Origin name besides the loopback names\n"
               "     --stdio             Speak MCP on stdin and stdout instead of HTTP\n"
               "     --max-body=BYTES    Refuse larger request bodies with 413 (default: %zu)\n"
               "     --max-body-memory=BYTES\n"
               "                         Request bodies held at once; past it 503 (default: %zu)\n"
               "     --max-connections=N Open HTTP connections at once (default: %u)\n"
               "     --max-connections-per-source=N\n"
               "                         Open HTTP connections from one address (default: %u)\n"
               "     --connection-timeout=SEC\n"
               "                         Close HTTP connections idle this long (default: %u)\n"
               "     --request-head-timeout=SEC\n"
               "                         Close connections whose request head takes longer (default: %u)\n"
               "     --max-sessions=N    Sessions at once; when full, the least recently used idle\n"
               "                         session of the client holding the most ends (default: %zu)\n"
               "     --max-sessions-per-client=N\n"
               "                         Sessions of one principal or address; past it, its least\n"
               "                         recently used idle one ends (default: %zu)\n"
               "     --session-timeout=SEC\n"
               "                         End sessions unused this long (default: %llu)\n"
               "     --request-state-key=FILE\n"
               "                         Seal requestState with this secret, shared by replicas\n"
               "                         (default: the request-state-key credential, else random)\n"
               "     --front-end-credential=NAME\n"
               "                         Answer HTTP only to requests with \"Authorization: Bearer\" and\n"
               "                         the token in this credential (name or absolute path): the\n"
               "                         gateway's, for a server that only the gateway may reach\n"
               "     --log-level=LEVEL   debug, info, notice, warning or err (default: info)\n"
               "\nEnvironment:\n"
               "  AIOS_SECCOMP_DIR        Where %s.syscalls, the seccomp allow-list, is read\n"
               "                          (default: %s)\n",
                program_invocation_short_name, main_of->summary, main_of->definition->bus_name, arg_http.max_body,
                arg_http.max_body_memory, arg_http.http.connection_limit, arg_http.http.per_ip_connection_limit,
                arg_http.http.idle_timeout_sec, arg_http.http.head_timeout_sec, arg_http.max_sessions,
                arg_http.max_sessions_per_owner, (unsigned long long) (arg_http.session_idle_usec / USEC_PER_SEC),
                program_invocation_short_name, seccomp_policy_default_dir());
}

static int append_allowed_host(const char *name) {
        char **a = reallocarray(arg_allowed_hosts, arg_n_allowed_hosts + 2, sizeof(char *));
        if (!a)
                return -ENOMEM;
        arg_allowed_hosts = a;
        a[arg_n_allowed_hosts++] = (char *) name;
        a[arg_n_allowed_hosts] = NULL;
        return 0;
}

static int add_allowed_host(const char *name) {
        /* Once any name is given the list replaces the default, so the loopback names go in first. */
        static const char *const loopback[] = { "localhost", "127.0.0.1", "[::1]" };
        if (arg_n_allowed_hosts == 0)
                FOREACH_ELEMENT(l, loopback)
        if (append_allowed_host(*l) < 0)
                return -ENOMEM;
        return append_allowed_host(name);
}

static int parse_unsigned(const char *s, unsigned long long max, unsigned long long *ret) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno != 0 || end == s || *end || v == 0 || v > max || s[0] == '-')
                return -EINVAL;
        *ret = v;
        return 0;
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_VERSION = 0x100,
                ARG_LISTEN,
                ARG_ALLOW_HOST,
                ARG_STDIO,
                ARG_LOG_LEVEL,
                ARG_MAX_BODY,
                ARG_MAX_BODY_MEMORY,
                ARG_MAX_REQUESTS_PER_PRINCIPAL,
                ARG_MAX_CONNECTIONS,
                ARG_CONNECTION_TIMEOUT,
                ARG_MAX_CONNECTIONS_PER_SOURCE,
                ARG_REQUEST_HEAD_TIMEOUT,
                ARG_MAX_SESSIONS,
                ARG_MAX_SESSIONS_PER_CLIENT,
                ARG_SESSION_TIMEOUT,
                ARG_REQUEST_STATE_KEY,
                ARG_FRONT_END_CREDENTIAL,
                ARG_NO_BUS,
                ARG_BUS_NAME,
                ARG_EXIT_IDLE_TIME,
        };
        static const struct option options[] = { { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION }, { "listen", required_argument, NULL, ARG_LISTEN },
                { "allow-host", required_argument, NULL, ARG_ALLOW_HOST }, { "stdio", no_argument, NULL, ARG_STDIO },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "max-body", required_argument, NULL, ARG_MAX_BODY },
                { "max-body-memory", required_argument, NULL, ARG_MAX_BODY_MEMORY },
                { "max-requests-per-principal", required_argument, NULL, ARG_MAX_REQUESTS_PER_PRINCIPAL },
                { "max-connections", required_argument, NULL, ARG_MAX_CONNECTIONS },
                { "connection-timeout", required_argument, NULL, ARG_CONNECTION_TIMEOUT },
                { "max-connections-per-source", required_argument, NULL, ARG_MAX_CONNECTIONS_PER_SOURCE },
                { "request-head-timeout", required_argument, NULL, ARG_REQUEST_HEAD_TIMEOUT },
                { "max-sessions", required_argument, NULL, ARG_MAX_SESSIONS },
                { "max-sessions-per-client", required_argument, NULL, ARG_MAX_SESSIONS_PER_CLIENT },
                { "session-timeout", required_argument, NULL, ARG_SESSION_TIMEOUT },
                { "request-state-key", required_argument, NULL, ARG_REQUEST_STATE_KEY },
                { "front-end-credential", required_argument, NULL, ARG_FRONT_END_CREDENTIAL },
                { "no-bus", no_argument, NULL, ARG_NO_BUS }, { "bus-name", required_argument, NULL, ARG_BUS_NAME },
                { "exit-idle-time", required_argument, NULL, ARG_EXIT_IDLE_TIME }, {} };

        unsigned long long v;
        int c, r;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        puts(strempty(main_of->definition->version));
                        return 0;
                case ARG_LISTEN:
                        arg_listen = optarg;
                        break;
                case ARG_ALLOW_HOST:
                        if (add_allowed_host(optarg) < 0)
                                return log_oom();
                        break;
                case ARG_STDIO:
                        arg_stdio = true;
                        break;
                case ARG_LOG_LEVEL:
                        r = log_level_from_string(optarg);
                        if (r < 0)
                                return log_error_errno(r, "Unknown log level \"%s\".", optarg);
                        log_set_max_level(r);
                        break;
                case ARG_MAX_BODY:
                        if (parse_unsigned(optarg, 1ULL << 30, &v) < 0)
                                return log_error_errno(EINVAL, "--max-body= wants 1 to 1073741824 bytes, not \"%s\".",
                                        optarg);
                        arg_http.max_body = v;
                        break;
                case ARG_MAX_BODY_MEMORY:
                        if (parse_unsigned(optarg, 1ULL << 34, &v) < 0)
                                return log_error_errno(EINVAL,
                                        "--max-body-memory= wants 1 to 17179869184 bytes, not \"%s\".", optarg);
                        arg_http.max_body_memory = v;
                        break;
                case ARG_MAX_REQUESTS_PER_PRINCIPAL:
                        if (parse_unsigned(optarg, 65536, &v) < 0)
                                return log_error_errno(EINVAL,
                                        "--max-requests-per-principal= wants 1 to 65536, not \"%s\".", optarg);
                        arg_http.max_requests_per_principal = v;
                        break;
                case ARG_MAX_CONNECTIONS:
                        if (parse_unsigned(optarg, 65536, &v) < 0)
                                return log_error_errno(EINVAL, "--max-connections= wants 1 to 65536, not \"%s\".",
                                        optarg);
                        arg_http.http.connection_limit = v;
                        break;
                case ARG_CONNECTION_TIMEOUT:
                        if (parse_unsigned(optarg, 86400, &v) < 0)
                                return log_error_errno(EINVAL,
                                        "--connection-timeout= wants 1 to 86400 seconds, not \"%s\".", optarg);
                        arg_http.http.idle_timeout_sec = v;
                        break;
                case ARG_MAX_CONNECTIONS_PER_SOURCE:
                        if (parse_unsigned(optarg, 65536, &v) < 0)
                                return log_error_errno(EINVAL,
                                        "--max-connections-per-source= wants 1 to 65536, not \"%s\".", optarg);
                        arg_http.http.per_ip_connection_limit = v;
                        break;
                case ARG_REQUEST_HEAD_TIMEOUT:
                        if (parse_unsigned(optarg, 86400, &v) < 0)
                                return log_error_errno(EINVAL,
                                        "--request-head-timeout= wants 1 to 86400 seconds, not \"%s\".", optarg);
                        arg_http.http.head_timeout_sec = v;
                        break;
                case ARG_MAX_SESSIONS:
                        if (parse_unsigned(optarg, 4096, &v) < 0)
                                return log_error_errno(EINVAL, "--max-sessions= wants 1 to 4096, not \"%s\".", optarg);
                        arg_http.max_sessions = v;
                        break;
                case ARG_MAX_SESSIONS_PER_CLIENT:
                        if (parse_unsigned(optarg, 4096, &v) < 0)
                                return log_error_errno(EINVAL,
                                        "--max-sessions-per-client= wants 1 to 4096, not \"%s\".", optarg);
                        arg_http.max_sessions_per_owner = v;
                        break;
                case ARG_SESSION_TIMEOUT:
                        if (parse_unsigned(optarg, 7 * 86400, &v) < 0)
                                return log_error_errno(EINVAL,
                                        "--session-timeout= wants 1 to 604800 seconds, not \"%s\".", optarg);
                        arg_http.session_idle_usec = v * USEC_PER_SEC;
                        break;
                case ARG_REQUEST_STATE_KEY:
                        arg_request_state_key = optarg;
                        break;
                case ARG_FRONT_END_CREDENTIAL:
                        arg_front_end_credential = optarg;
                        break;
                case ARG_NO_BUS:
                        arg_bus = false;
                        break;
                case ARG_BUS_NAME:
                        if (!sd_bus_service_name_is_valid(optarg) || optarg[0] == ':')
                                return log_error_errno(EINVAL, "--bus-name= wants a well-known bus name, not \"%s\".",
                                        optarg);
                        main_of->definition->bus_name = optarg;
                        break;
                case ARG_EXIT_IDLE_TIME:
                        if (streq(optarg, "0"))
                                arg_exit_idle_usec = 0;
                        else if (parse_unsigned(optarg, 86400, &v) < 0)
                                return log_error_errno(EINVAL,
                                        "--exit-idle-time= wants 0 to 86400 seconds, not \"%s\".", optarg);
                        else
                                arg_exit_idle_usec = v * USEC_PER_SEC;
                        break;
                default:
                        return -EINVAL;
                }

        if (optind < argc)
                return log_error_errno(EINVAL, "%s takes no positional arguments.", program_invocation_short_name);
        return 1;
}

typedef struct IdleState {
        McpServer *server;
        McpHttp *http;
        McpBus *bus;
} IdleState;

static bool is_idle(void *userdata) {
        IdleState *st = userdata;
        if (main_of->busy && main_of->busy(main_of->userdata))
                return false;
        return mcp_server_n_sessions(st->server) == 0 && (!st->http || mcp_http_is_idle(st->http)) &&
                (!st->bus || mcp_bus_is_idle(st->bus));
}

/* The token --front-end-credential= names: one line of visible ASCII (a trailing newline is dropped). */
static int front_end_token_read(const char *credential, char **ret) {
        _cleanup_free_ char *token = NULL;
        int r = credential_read(credential, 4096, &token);
        if (r < 0)
                return log_error_errno(r, "Failed to read the front end's credential %s: %m", credential);
        if (r == 0)
                return log_error_errno(ENOENT,
                        "The front end's credential %s is not there: without it nobody could call this server.",
                        credential);
        size_t n = strlen(token);
        while (n > 0 && (token[n - 1] == '\n' || token[n - 1] == '\r'))
                token[--n] = 0;
        bool visible = n > 0;
        for (size_t i = 0; i < n; i++)
                visible = visible && token[i] > ' ' && token[i] < 0x7f;
        if (!visible)
                return log_error_errno(EBADMSG, "The front end's credential %s is not one line of visible ASCII.",
                        credential);
        *ret = TAKE_PTR(token);
        return 0;
}

/* HTTP when a socket is passed in or --listen is given; the system bus unless --no-bus. A server with
 * neither has nobody to serve. */
static int serve(McpServer *server, sd_event *event, McpHttp **ret_http, McpBus **ret_bus, char *where, size_t size) {
        int r, n_passed = sd_listen_fds(false);
        bool want_http = n_passed > 0 || arg_listen;
        where[0] = 0;

        if (arg_exit_idle_usec == UINT64_MAX)
                arg_exit_idle_usec = n_passed > 0 ? 120 * USEC_PER_SEC : 0;

        _cleanup_(sd_bus_unrefp) sd_bus *system_bus = NULL;
        if (arg_bus) {
                r = bus_open_system_attached(event, &system_bus);
                if (r < 0 && !want_http)
                        return log_error_errno(r,
                                "Failed to connect to the system bus, and no socket was passed in nor "
                                "--listen= given: there is no way to reach this server. (%m)");
                if (r < 0)
                        log_warning_errno(r, "Failed to connect to the system bus, serving HTTP only: %m");
        } else if (!want_http)
                return log_error_errno(EINVAL,
                        "--no-bus without a socket passed in or --listen=: there is no way "
                        "to reach this server.");

        if (system_bus) {
                r = mcp_bus_new(ret_bus, server, system_bus, !want_http);
                if (r < 0)
                        return r;
                if (main_of->bus_setup) {
                        r = main_of->bus_setup(*ret_bus, system_bus, main_of->userdata);
                        if (r < 0)
                                return r;
                }
                snprintf(where, size, "the system bus as %s", mcp_server_get_definition(server)->bus_name);
        }

        if (want_http) {
                int fd = http_listen_fd(arg_listen ?: "127.0.0.1:8080");
                if (fd < 0)
                        return fd;
                char address[128] = "";
                (void) http_socket_describe(fd, address, sizeof(address));

                arg_http.allowed_hosts = arg_allowed_hosts;
                if (arg_front_end_credential) {
                        r = front_end_token_read(arg_front_end_credential, &front_end_token);
                        if (r < 0)
                                return r;
                        arg_http.front_end_token = front_end_token;
                }
                r = mcp_http_new(ret_http, server, fd, &arg_http);
                if (r < 0)
                        return r;
                log_info("Serving MCP on http://%s/mcp", address);
                size_t l = strlen(where);
                snprintf(where + l, size - l, "%shttp://%s/mcp", l > 0 ? " and " : "", address);
        }
        return 0;
}

static int run(int argc, char *argv[]) {
        log_set_ident(program_invocation_short_name);
        arg_http = MCP_HTTP_OPTIONS_DEFAULT;

        int r = parse_argv(argc, argv);
        if (r <= 0)
                return r;

        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        r = daemon_event_new(&event);
        if (r < 0)
                return r;

        _cleanup_(mcp_server_freep) McpServer *server = NULL;
        r = mcp_server_new(&server, main_of->definition, event, main_of->userdata);
        if (r < 0)
                return r;
        r = mcp_server_load_state_secret(server, arg_request_state_key);
        if (r < 0)
                return r;
        if (main_of->setup) {
                r = main_of->setup(server, main_of->userdata);
                if (r < 0)
                        return r;
        }

        _cleanup_(mcp_stdio_freep) McpStdio *stdio = NULL;
        _cleanup_(mcp_http_freep) McpHttp *http = NULL;
        _cleanup_(mcp_bus_freep) McpBus *bus = NULL;
        char where[256] = "stdio";

        if (arg_stdio) {
                r = mcp_stdio_new(&stdio, server, STDIN_FILENO, STDOUT_FILENO, arg_http.max_body);
                if (r < 0)
                        return r;
        } else {
                r = serve(server, event, &http, &bus, where, sizeof(where));
                if (r < 0)
                        return r;
        }

        _cleanup_(sd_event_source_unrefp) sd_event_source *idle = NULL;
        IdleState state = { .server = server, .http = http, .bus = bus };
        if (arg_exit_idle_usec > 0 && arg_exit_idle_usec != UINT64_MAX) {
                r = daemon_exit_when_idle(event, arg_exit_idle_usec, is_idle, &state, &idle);
                if (r < 0)
                        return r;
        }

        /* Set up: from here on only what serving needs may be called. */
        r = seccomp_policy_load(program_invocation_short_name, NULL);
        if (r < 0)
                return r;

        char status[300];
        snprintf(status, sizeof(status), "Serving MCP on %s", where);
        r = daemon_run(event, status);

        /* Transports go before the server whose sessions they hold. */
        idle = sd_event_source_disable_unref(idle);
        stdio = mcp_stdio_free(stdio);
        http = mcp_http_free(http);
        bus = mcp_bus_free(bus);
        free(arg_allowed_hosts);
        free(front_end_token);
        return r;
}

int mcp_server_main(int argc, char *argv[], const McpServerMain *m) {
        main_of = m;
        int r = run(argc, argv);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
