/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aiosctl: the command-line client of aios. It talks to the gateway over its local socket (the caller is
 * who the kernel says) or at --url with an API key, and edits the gateway's key store. */
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>

#include "aiosctl.h"
#include "apikey.h"
#include "log.h"
#include "strv.h"

Arguments arg;

/* From keys.c, for the options of key create. */
int key_add_scopes(const char *value);
int key_parse_duration(const char *s, uint64_t *ret);

static void help(void) {
        printf("%s [OPTIONS...] COMMAND ...\n\n"
               "Use and manage aios: its servers, tools, resources and prompts through the gateway.\n\n"
               "Gateway commands:\n"
               "  status                 The gateway and each server: state, calls, calls in flight\n"
               "  list-servers           The servers behind the gateway\n"
               "  list-tools [SERVER]    The tools the caller may use (all servers, or one)\n"
               "  describe TOOL          A tool's description, annotations and schemas\n"
               "  call TOOL [JSON]       Run a tool with a JSON object of arguments, or with --arg\n"
               "  list-resources [SERVER]\n"
               "                         The resources and resource templates\n"
               "  read URI               Read a resource\n"
               "  list-prompts [SERVER]  The prompts\n"
               "  get-prompt NAME        Get a prompt, its arguments given with --arg\n"
               "  metrics                The gateway's metrics (Prometheus text; --json: samples)\n"
               "  audit                  The audit records of tool calls from the journal\n"
               "  completion bash|zsh    A completion script for the shell\n\n"
               "Key commands (edit the key store; run as root or as the gateway's user):\n"
               "  key create NAME --scope SCOPE... [--expires DURATION]\n"
               "                         Make an API key for the principal key:NAME; prints it once\n"
               "  key list               Show the keys (never their secrets)\n"
               "  key revoke ID          Remove a key; the gateway refuses it from the next request on\n\n"
               "Options:\n"
               "  -h --help              Show this help\n"
               "     --version           Show the version\n"
               "     --json              Print JSON instead of tables and text\n"
               "     --no-pager          Do not send the output through a pager\n"
               "     --no-legend         Leave out the header line and the \"N listed.\" footer\n"
               "     --socket=PATH       The gateway's local socket (default: $AIOS_GATEWAY_SOCKET or\n"
               "                         " GATEWAY_SOCKET_DEFAULT ")\n"
               "     --url=URL           A gateway at a URL instead, e.g. https://aios.example:9000\n"
               "     --key=KEY           The API key for --url (default: $AIOS_API_KEY)\n"
               "     --server=NAME       Use one server's endpoint (/servers/NAME/mcp) instead of /mcp\n"
               "  -a --arg=KEY=VALUE     An argument of call or get-prompt; VALUE is JSON where it parses as\n"
               "                         JSON and the tool does not declare a string, else text\n"
               "     --principal=NAME    audit: only this principal's calls\n"
               "     --tool=NAME         audit: only calls of this tool\n"
               "  -f --follow            audit: show new records as they come\n"
               "  -n --lines=N           audit: how many of the last records (default: 20)\n"
               "     --store=PATH        key: the key store (default: $STATE_DIRECTORY/api-keys or\n"
               "                         " APIKEY_STORE_DEFAULT ")\n"
               "     --pepper=FILE       key: the gateway's pepper (default: its credential)\n"
               "  -s --scope=SCOPE       key create: a scope; repeat it or separate scopes with commas\n"
               "     --expires=DURATION  key create: the key's lifetime, e.g. 90d, 12h, 1h30m (default: never)\n\n"
               "Exit status: 0 done, 1 failed (an error or a tool's error result), 2 wrong usage, 3 no such\n"
               "tool, resource, prompt, server or key, 4 access denied, 5 no gateway answered.\n",
                program_invocation_short_name);
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_VERSION = 0x100,
                ARG_JSON,
                ARG_NO_PAGER,
                ARG_NO_LEGEND,
                ARG_SOCKET,
                ARG_URL,
                ARG_KEY,
                ARG_SERVER,
                ARG_PRINCIPAL,
                ARG_TOOL,
                ARG_STORE,
                ARG_PEPPER,
                ARG_EXPIRES,
        };
        static const struct option options[] = { { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION }, { "json", no_argument, NULL, ARG_JSON },
                { "no-pager", no_argument, NULL, ARG_NO_PAGER }, { "no-legend", no_argument, NULL, ARG_NO_LEGEND },
                { "socket", required_argument, NULL, ARG_SOCKET }, { "url", required_argument, NULL, ARG_URL },
                { "key", required_argument, NULL, ARG_KEY }, { "server", required_argument, NULL, ARG_SERVER },
                { "arg", required_argument, NULL, 'a' }, { "principal", required_argument, NULL, ARG_PRINCIPAL },
                { "tool", required_argument, NULL, ARG_TOOL }, { "follow", no_argument, NULL, 'f' },
                { "lines", required_argument, NULL, 'n' }, { "store", required_argument, NULL, ARG_STORE },
                { "pepper", required_argument, NULL, ARG_PEPPER }, { "scope", required_argument, NULL, 's' },
                { "expires", required_argument, NULL, ARG_EXPIRES }, {} };

        arg.key = getenv("AIOS_API_KEY");
        arg.socket = getenv("AIOS_GATEWAY_SOCKET") ?: GATEWAY_SOCKET_DEFAULT;
        int c, r;
        while ((c = getopt_long(argc, argv, "ha:fn:s:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        puts(PROJECT_VERSION);
                        return 0;
                case ARG_JSON:
                        output.json = true;
                        break;
                case ARG_NO_PAGER:
                        output.no_pager = true;
                        break;
                case ARG_NO_LEGEND:
                        output.no_legend = true;
                        break;
                case ARG_SOCKET:
                        arg.socket = optarg;
                        break;
                case ARG_URL:
                        if (!startswith_ptr(optarg, "http://") && !startswith_ptr(optarg, "https://"))
                                return log_error("--url wants an http:// or https:// URL, not \"%s\".", optarg),
                                       -EINVAL;
                        arg.url = optarg;
                        break;
                case ARG_KEY:
                        arg.key = optarg;
                        break;
                case ARG_SERVER:
                        if (!*optarg ||
                                optarg[strspn(optarg,
                                        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")])
                                return log_error(
                                               "--server wants a server's name (see aiosctl list-servers), not \"%s\".",
                                               optarg),
                                       -EINVAL;
                        arg.server = optarg;
                        break;
                case 'a':
                        if (strv_extend(&arg.call_arguments, optarg) < 0)
                                return log_oom();
                        break;
                case ARG_PRINCIPAL:
                        arg.principal = optarg;
                        break;
                case ARG_TOOL:
                        arg.tool = optarg;
                        break;
                case 'f':
                        arg.follow = true;
                        break;
                case 'n': {
                        char *end;
                        unsigned long n = strtoul(optarg, &end, 10);
                        if (*end || n == 0 || n > 1000000)
                                return log_error("--lines wants a number from 1 to 1000000, not \"%s\".", optarg),
                                       -EINVAL;
                        arg.lines = (unsigned) n;
                        break;
                }
                case ARG_STORE:
                        arg.store = optarg;
                        break;
                case ARG_PEPPER:
                        arg.pepper = optarg;
                        break;
                case 's':
                        r = key_add_scopes(optarg);
                        if (r < 0)
                                return r;
                        break;
                case ARG_EXPIRES:
                        if (key_parse_duration(optarg, &arg.expires_usec) < 0)
                                return log_error_errno(EINVAL,
                                        "--expires wants a duration such as 90d, 12h or 1h30m (at most 100y), not \"%s\".",
                                        optarg);
                        break;
                default:
                        return -EINVAL;
                }
        return 1;
}

int gateway_connect(Client **ret) {
        if (arg.key && !arg.url && !getenv("AIOS_API_KEY"))
                log_notice("--key is sent on the local socket too; the key's principal is used, not your own user.");
        return client_new(ret, arg.socket, arg.url, arg.key) < 0 ? EXIT_FAILED : 0;
}

const char *gateway_endpoint(const char *server, char buf[static 256]) {
        server = server ?: arg.server;
        if (!server)
                return "/mcp";
        snprintf(buf, 256, "/servers/%s/mcp", server);
        return buf;
}

static int run(int argc, char *argv[]) {
        log_set_ident(program_invocation_short_name);
        int r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_OK;

        static const struct {
                const char *verb;
                int (*run)(char **args);
        } verbs[] = {
                { "status", verb_status },
                { "list-servers", verb_list_servers },
                { "list-tools", verb_list_tools },
                { "describe", verb_describe },
                { "call", verb_call },
                { "list-resources", verb_list_resources },
                { "read", verb_read },
                { "list-prompts", verb_list_prompts },
                { "get-prompt", verb_get_prompt },
                { "metrics", verb_metrics },
                { "audit", verb_audit },
                { "completion", verb_completion },
                { "key", verb_key },
        };
        char **args = argv + optind;
        if (!args[0])
                return log_error("A command is needed (see --help)."), EXIT_USAGE;
        FOREACH_ELEMENT(v, verbs)
        if (streq(args[0], v->verb))
                return v->run(args + 1);
        return log_error("Unknown command \"%s\" (see --help).", args[0]), EXIT_USAGE;
}

int main(int argc, char *argv[]) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        int r = run(argc, argv);
        pager_close();
        arg.scopes = strv_free(arg.scopes);
        arg.call_arguments = strv_free(arg.call_arguments);
        curl_global_cleanup();
        return r;
}
