/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aiosctl: the command-line client; for now the API key commands, which edit the gateway's key store. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "apikey.h"
#include "log.h"
#include "strv.h"

#define PEPPER_CREDSTORE "/etc/credstore/" APIKEY_PEPPER_CREDENTIAL

static const char *arg_store = NULL;
static const char *arg_pepper = NULL;
static char **arg_scopes = NULL;
static uint64_t arg_expires_usec = 0; /* a duration; 0: never */

static void help(void) {
        printf("%s [OPTIONS...] COMMAND ...\n\n"
               "Manage aios.\n\n"
               "Commands:\n"
               "  key create NAME --scope SCOPE... [--expires DURATION]\n"
               "                         Make an API key for the principal key:NAME; prints it once\n"
               "  key list               Show the keys (never their secrets)\n"
               "  key revoke ID          Remove a key; the gateway refuses it from the next request on\n\n"
               "Options:\n"
               "  -h --help              Show this help\n"
               "     --version           Show the version\n"
               "     --store=PATH        The key store (default: $STATE_DIRECTORY/api-keys or\n"
               "                         " APIKEY_STORE_DEFAULT ")\n"
               "     --pepper=FILE       The gateway's pepper (default: $CREDENTIALS_DIRECTORY/api-key-pepper,\n"
               "                         else " PEPPER_CREDSTORE " when it exists)\n"
               "  -s --scope=SCOPE       A scope of the new key; repeat it or separate scopes with commas\n"
               "     --expires=DURATION  The new key's lifetime, e.g. 90d, 12h, 1h30m, 3600 (default: never)\n",
                program_invocation_short_name);
}

/* "90d", "1h30m", "3600" (seconds), with s, m, h, d, w, y (365 days). */
static int parse_duration(const char *s, uint64_t *ret) {
        static const struct {
                char unit;
                uint64_t sec;
        } units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 7 * 86400 },
                { 'y', 365 * 86400 } };
        uint64_t total = 0;
        if (isempty(s))
                return -EINVAL;
        while (*s) {
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                char *end;
                errno = 0;
                unsigned long long v = strtoull(s, &end, 10);
                if (errno != 0)
                        return -EINVAL;
                uint64_t mult = 0;
                if (!*end)
                        mult = 1;
                else
                        FOREACH_ELEMENT(u, units)
                if (*end == u->unit)
                        mult = u->sec;
                if (mult == 0 || v > UINT64_MAX / USEC_PER_SEC / mult / 2)
                        return -EINVAL;
                total += v * mult;
                if (total > 100 * 365 * 86400ULL)
                        return -ERANGE;
                s = *end ? end + 1 : end;
        }
        if (total == 0)
                return -EINVAL;
        *ret = total * USEC_PER_SEC;
        return 0;
}

static int add_scopes(const char *value) {
        while (*value) {
                size_t n = strcspn(value, ", ");
                if (n > 0) {
                        _cleanup_free_ char *s = strndup(value, n);
                        size_t k = strv_length(arg_scopes);
                        char **l = s ? realloc(arg_scopes, (k + 2) * sizeof(char *)) : NULL;
                        if (!l)
                                return log_oom();
                        arg_scopes = l;
                        arg_scopes[k] = TAKE_PTR(s);
                        arg_scopes[k + 1] = NULL;
                }
                value += n;
                value += strspn(value, ", ");
        }
        return 0;
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_STORE, ARG_PEPPER, ARG_EXPIRES };
        static const struct option options[] = { { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION }, { "store", required_argument, NULL, ARG_STORE },
                { "pepper", required_argument, NULL, ARG_PEPPER }, { "scope", required_argument, NULL, 's' },
                { "expires", required_argument, NULL, ARG_EXPIRES }, {} };

        int c, r;
        while ((c = getopt_long(argc, argv, "hs:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        puts(PROJECT_VERSION);
                        return 0;
                case ARG_STORE:
                        arg_store = optarg;
                        break;
                case ARG_PEPPER:
                        arg_pepper = optarg;
                        break;
                case 's':
                        r = add_scopes(optarg);
                        if (r < 0)
                                return r;
                        break;
                case ARG_EXPIRES:
                        if (parse_duration(optarg, &arg_expires_usec) < 0)
                                return log_error_errno(EINVAL,
                                        "--expires wants a duration such as 90d, 12h or 1h30m (at most 100y), not \"%s\".",
                                        optarg);
                        break;
                default:
                        return -EINVAL;
                }
        return 1;
}

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static const char *format_time(uint64_t sec, char buf[static 32]) {
        time_t t = (time_t) sec;
        struct tm tm;
        if (!gmtime_r(&t, &tm) || strftime(buf, 32, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
                snprintf(buf, 32, "@%" PRIu64, sec);
        return buf;
}

static int store_open(bool with_pepper, ApiKeyStore **ret) {
        _cleanup_free_ void *pepper = NULL;
        size_t size = 0;
        const char *path = arg_store ?: apikey_store_default_path();
        if (with_pepper) {
                const char *from = arg_pepper;
                if (!from && !getenv("CREDENTIALS_DIRECTORY") && access(PEPPER_CREDSTORE, F_OK) >= 0)
                        from = PEPPER_CREDSTORE;
                int r = apikey_pepper_load(from, &pepper, &size);
                if (r < 0)
                        return log_error_errno(r, "Failed to read the pepper %s: %m",
                                from ?: "credential " APIKEY_PEPPER_CREDENTIAL);
                if (r == 0 && arg_pepper)
                        return log_error_errno(ENOENT, "The pepper file %s does not exist.", arg_pepper);
        }
        int r = apikey_store_open(path, pepper, size, ret);
        if (r < 0)
                return log_error_errno(r, "Failed to open the key store %s: %m", path);
        return 0;
}

static int store_error(ApiKeyStore *s, int r, const char *what) {
        if (r == -EBADMSG)
                return log_error_errno(r, "The key store %s is corrupt; no key verifies until it is repaired.",
                        apikey_store_path(s));
        if (r == -EKEYREJECTED)
                return log_error_errno(r,
                        "The keys in %s were made with another pepper than the one given here (or with none, or with one where none is given): pass the gateway's pepper with --pepper.",
                        apikey_store_path(s));
        if (r == -EACCES || r == -EPERM)
                return log_error_errno(r, "Failed to %s %s: %m (run as root or as the gateway's user).", what,
                        apikey_store_path(s));
        return log_error_errno(r, "Failed to %s %s: %m", what, apikey_store_path(s));
}

static int key_create(char **args) {
        if (strv_length(args) != 1)
                return log_error_errno(EINVAL, "key create takes one NAME.");
        if (strv_length(arg_scopes) == 0)
                return log_error_errno(EINVAL, "key create needs at least one --scope (e.g. --scope tools:sysops).");

        _cleanup_(apikey_store_freep) ApiKeyStore *s = NULL;
        int r = store_open(true, &s);
        if (r < 0)
                return r;

        uint64_t now = now_usec();
        _cleanup_free_ char *key = NULL;
        _cleanup_(apikey_info_done) ApiKeyInfo info = {};
        r = apikey_create(s, args[0], arg_scopes, now, arg_expires_usec ? now + arg_expires_usec : 0, &key, &info);
        if (r == -EINVAL)
                return log_error_errno(r,
                        "A key NAME is 1 to %d of A-Z a-z 0-9 . _ @ -, and a scope 1 to %d of A-Z a-z 0-9 : _ . * / -.",
                        APIKEY_NAME_MAX, APIKEY_SCOPE_MAX);
        if (r < 0)
                return store_error(s, r, "add the key to");

        char buf[32];
        fprintf(stderr, "Created API key %s for the principal key:%s\n", info.id, info.name);
        fprintf(stderr, "Scopes:  ");
        for (size_t i = 0; info.scopes[i]; i++)
                fprintf(stderr, "%s%s", i > 0 ? " " : "", info.scopes[i]);
        fprintf(stderr, "\nExpires: %s\n", info.expires ? format_time(info.expires, buf) : "never");
        fprintf(stderr, "This is the only time the key is shown; send it as \"Authorization: Bearer KEY\":\n");
        puts(key);
        return 0;
}

static int key_list(char **args) {
        if (strv_length(args) != 0)
                return log_error_errno(EINVAL, "key list takes no arguments.");
        _cleanup_(apikey_store_freep) ApiKeyStore *s = NULL;
        int r = store_open(false, &s);
        if (r < 0)
                return r;
        ApiKeyInfo *keys = NULL;
        size_t n = 0;
        r = apikey_list(s, &keys, &n);
        if (r < 0)
                return store_error(s, r, "read");

        uint64_t now = now_usec() / USEC_PER_SEC;
        printf("%-12s  %-24s  %-23s  %-23s  %s\n", "ID", "NAME", "CREATED", "EXPIRES", "SCOPES");
        for (size_t i = 0; i < n; i++) {
                char c[32], e[32];
                printf("%-12s  %-24s  %-23s  %-23s  ", keys[i].id, keys[i].name, format_time(keys[i].created, c),
                        keys[i].expires == 0             ? "never"
                                : keys[i].expires <= now ? "expired"
                                                         : format_time(keys[i].expires, e));
                for (size_t j = 0; keys[i].scopes[j]; j++)
                        printf("%s%s", j > 0 ? "," : "", keys[i].scopes[j]);
                putchar('\n');
        }
        apikey_info_array_free(keys, n);
        return 0;
}

static int key_revoke(char **args) {
        if (strv_length(args) != 1)
                return log_error_errno(EINVAL, "key revoke takes one ID (see aiosctl key list).");
        _cleanup_(apikey_store_freep) ApiKeyStore *s = NULL;
        int r = store_open(false, &s);
        if (r < 0)
                return r;
        r = apikey_revoke(s, args[0]);
        if (r == -ENOENT)
                return log_error_errno(r, "No API key has the id \"%s\" (see aiosctl key list).", args[0]);
        if (r < 0)
                return store_error(s, r, "remove the key from");
        fprintf(stderr, "Revoked API key %s.\n", args[0]);
        return 0;
}

static int run(int argc, char *argv[]) {
        log_set_ident(program_invocation_short_name);
        int r = parse_argv(argc, argv);
        if (r <= 0)
                return r;

        char **args = argv + optind;
        size_t n = strv_length(args);
        if (n >= 2 && streq(args[0], "key")) {
                static const struct {
                        const char *verb;
                        int (*run)(char **args);
                } verbs[] = { { "create", key_create }, { "list", key_list }, { "revoke", key_revoke } };
                FOREACH_ELEMENT(v, verbs)
                if (streq(args[1], v->verb))
                        return v->run(args + 2);
        }
        if (n == 0)
                return log_error_errno(EINVAL, "A command is needed: key create|list|revoke (see --help).");
        return log_error_errno(EINVAL, "Unknown command \"%s%s%s\" (see --help).", args[0], n > 1 ? " " : "",
                n > 1 ? args[1] : "");
}

int main(int argc, char *argv[]) {
        int r = run(argc, argv);
        arg_scopes = strv_free(arg_scopes);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
