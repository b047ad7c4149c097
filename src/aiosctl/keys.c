/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aiosctl key create|list|revoke: the gateway's API keys, edited in its key store (as root or its user). */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "aiosctl.h"
#include "apikey.h"
#include "json-util.h"
#include "log.h"
#include "strv.h"

#define PEPPER_CREDSTORE "/etc/credstore/" APIKEY_PEPPER_CREDENTIAL

/* "90d", "1h30m", "3600" (seconds), with s, m, h, d, w, y (365 days). */
int key_parse_duration(const char *s, uint64_t *ret) {
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

int key_add_scopes(const char *value) {
        while (*value) {
                size_t n = strcspn(value, ", ");
                if (n > 0) {
                        _cleanup_free_ char *s = strndup(value, n);
                        size_t k = strv_length(arg.scopes);
                        char **l = s ? realloc(arg.scopes, (k + 2) * sizeof(char *)) : NULL;
                        if (!l)
                                return log_oom();
                        arg.scopes = l;
                        arg.scopes[k] = TAKE_PTR(s);
                        arg.scopes[k + 1] = NULL;
                }
                value += n;
                value += strspn(value, ", ");
        }
        return 0;
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
        const char *path = arg.store ?: apikey_store_default_path();
        if (with_pepper) {
                const char *from = arg.pepper;
                if (!from && !getenv("CREDENTIALS_DIRECTORY") && access(PEPPER_CREDSTORE, F_OK) >= 0)
                        from = PEPPER_CREDSTORE;
                int r = apikey_pepper_load(from, &pepper, &size);
                if (r < 0)
                        return log_error_errno(r, "Failed to read the pepper %s: %m",
                                from ?: "credential " APIKEY_PEPPER_CREDENTIAL);
                if (r == 0 && arg.pepper)
                        return log_error_errno(ENOENT, "The pepper file %s does not exist.", arg.pepper);
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
        if (strv_length(arg.scopes) == 0)
                return log_error_errno(EINVAL, "key create needs at least one --scope (e.g. --scope tools:sysops).");

        _cleanup_(apikey_store_freep) ApiKeyStore *s = NULL;
        int r = store_open(true, &s);
        if (r < 0)
                return r;

        uint64_t now = now_usec();
        _cleanup_free_ char *key = NULL;
        _cleanup_(apikey_info_done) ApiKeyInfo info = {};
        r = apikey_create(s, args[0], arg.scopes, now, arg.expires_usec ? now + arg.expires_usec : 0, &key, &info);
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
        static const char *const headers[] = { "ID", "NAME", "CREATED", "EXPIRES", "SCOPES" };
        _cleanup_(table_freep) Table *t = table_new(5, headers);
        _cleanup_json_ json_object *list = json_object_new_array();
        for (size_t i = 0; t && list && i < n; i++) {
                char c[32], e[32];
                _cleanup_free_ char *scopes = strv_join(keys[i].scopes, ",");
                json_object *o = json_object_new_object(), *sc = json_object_new_array();
                for (size_t j = 0; sc && keys[i].scopes[j]; j++)
                        json_object_array_add(sc, json_object_new_string(keys[i].scopes[j]));
                json_add_string(o, "id", keys[i].id);
                json_add_string(o, "name", keys[i].name);
                json_add(o, "created", json_object_new_int64((int64_t) keys[i].created));
                json_add(o, "expires", keys[i].expires ? json_object_new_int64((int64_t) keys[i].expires) : NULL);
                json_add(o, "scopes", sc);
                json_object_array_add(list, o);
                const char *cells[] = { keys[i].id, keys[i].name, format_time(keys[i].created, c),
                        keys[i].expires == 0             ? "never"
                                : keys[i].expires <= now ? "expired"
                                                         : format_time(keys[i].expires, e),
                        scopes };
                if (!scopes || table_add_row(t, cells, NULL) < 0)
                        t = table_free(t);
        }
        apikey_info_array_free(keys, n);
        if (!t || !list)
                return log_oom();
        if (output.json)
                output_json(list);
        else {
                pager_open();
                table_print(t, "keys");
        }
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
                return log_error("No API key has the id \"%s\" (see aiosctl key list).", args[0]), EXIT_NOT_FOUND;
        if (r < 0)
                return store_error(s, r, "remove the key from");
        fprintf(stderr, "Revoked API key %s.\n", args[0]);
        return 0;
}

/* A key command's negative errno as an exit code. */
static int exit_code(int r) {
        if (r >= 0)
                return r;
        if (r == -EINVAL)
                return EXIT_USAGE;
        if (r == -EACCES || r == -EPERM)
                return EXIT_DENIED;
        return EXIT_FAILED;
}

int verb_key(char **args) {
        static const struct {
                const char *verb;
                int (*run)(char **args);
        } verbs[] = { { "create", key_create }, { "list", key_list }, { "revoke", key_revoke } };
        if (args[0])
                FOREACH_ELEMENT(v, verbs)
        if (streq(args[0], v->verb))
                return exit_code(v->run(args + 1));
        return log_error("Unknown command \"key%s%s\": key takes create, list or revoke (see --help).",
                       args[0] ? " " : "", strempty(args[0])),
               EXIT_USAGE;
}
