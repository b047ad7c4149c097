/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reads actions.conf with libinih into an ActionsConfig, checking each value; and the repository allow-list. */
#include <ini.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>

#include "actions-config.h"
#include "log.h"
#include "strv.h"

#define EXPECTED_BOOLEAN "a boolean: yes, no, true, false, on, off, 1 or 0"
#define EXPECTED_TIME_SPAN "a time span: seconds, or a number followed by ms, s, min or h, such as 30 or 1.5min"

void actions_config_done(ActionsConfig *c) {
        free(c->api_url);
        free(c->token_credential);
        free(c->app_id);
        free(c->installation_id);
        free(c->app_key_credential);
        strv_free(c->repositories);
        *c = (ActionsConfig){};
}

static bool is_alnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool owner_is_valid(const char *s, size_t n) {
        if (n == 0 || n > 39 || s[0] == '-' || s[n - 1] == '-')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!is_alnum(s[i]) && !(s[i] == '-' && s[i + 1] != '-'))
                        return false;
        return true;
}

static bool name_is_valid(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > 100 || streq(s, ".") || streq(s, ".."))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!is_alnum(s[i]) && !strchr("._-", s[i]))
                        return false;
        return true;
}

bool repository_name_is_valid(const char *s) {
        const char *slash = s ? strchr(s, '/') : NULL;
        return slash && owner_is_valid(s, slash - s) && name_is_valid(slash + 1);
}

/* An allow-list entry: a repository, or the owner, a slash and "*" for all of its repositories. */
static bool pattern_is_valid(const char *s) {
        const char *slash = strchr(s, '/');
        if (slash && streq(slash + 1, "*"))
                return owner_is_valid(s, slash - s);
        return repository_name_is_valid(s);
}

bool actions_config_allows(const ActionsConfig *c, const char *repository) {
        size_t owner = strcspn(repository, "/");
        for (char **p = c->repositories; p && *p; p++) {
                size_t n = strcspn(*p, "/");
                if (streq((*p) + n, "/*")) {
                        if (n == owner && strncasecmp(*p, repository, n) == 0)
                                return true;
                } else if (strcasecmp(*p, repository) == 0)
                        return true;
        }
        return false;
}

static int parse_boolean(const char *s) {
        static const char *const yes[] = { "yes", "true", "on", "1" };
        static const char *const no[] = { "no", "false", "off", "0" };
        FOREACH_ELEMENT(i, yes)
        if (strcasecmp(s, *i) == 0)
                return 1;
        FOREACH_ELEMENT(i, no)
        if (strcasecmp(s, *i) == 0)
                return 0;
        return -EINVAL;
}

/* A time span: a number with an optional fraction and an optional unit; no unit means seconds. */
static int parse_time_span(const char *value, uint64_t *ret) {
        static const struct {
                const char *suffix;
                uint64_t usec;
        } units[] = { { "", USEC_PER_SEC }, { "ms", USEC_PER_MSEC }, { "s", USEC_PER_SEC }, { "sec", USEC_PER_SEC },
                { "min", 60 * USEC_PER_SEC }, { "h", 3600 * USEC_PER_SEC } };
        char *end;
        errno = 0;
        if (!(value[0] >= '0' && value[0] <= '9'))
                return -EINVAL;
        double v = strtod(value, &end);
        if (errno != 0 || v > 86400.0 * 365)
                return -EINVAL;
        end += strspn(end, " ");
        FOREACH_ELEMENT(u, units)
        if (streq(end, u->suffix)) {
                *ret = (uint64_t) (v * (double) u->usec);
                return 0;
        }
        return -EINVAL;
}

static bool url_is_valid(const char *s) {
        const char *rest = startswith_ptr(s, "https://") ? s + strlen("https://")
                : startswith_ptr(s, "http://")           ? s + strlen("http://")
                                                         : NULL;
        if (!rest || !rest[0] || rest[0] == '/')
                return false;
        for (const char *p = s; *p; p++)
                if ((unsigned char) *p <= ' ' || *p == 0x7f || *p == '?' || *p == '#')
                        return false;
        return true;
}

static bool credential_name_is_valid(const char *s) {
        if (s[0] == '/')
                return true;
        return !isempty(s) && !streq(s, ".") && !streq(s, "..") &&
                !s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")];
}

typedef struct ConfigFile {
        const char *path;
        FILE *file;
        unsigned line;
        unsigned error_line;
        int r;
        ActionsConfig *config;
} ConfigFile;

static char *config_read_line(char *str, int num, void *stream) {
        ConfigFile *f = stream;
        char *s = fgets(str, num, f->file);
        if (s)
                f->line++;
        return s;
}

static int config_fail(ConfigFile *f, int r) {
        if (f->r >= 0) {
                f->r = r;
                f->error_line = f->line;
        }
        return 0;
}

static int set_string(char **s, const char *value) {
        char *copy = NULL;
        if (!isempty(value) && !(copy = strdup(value)))
                return -ENOMEM;
        free(*s);
        *s = copy;
        return 0;
}

/* Repositories= adds its words to the list; an empty value empties it. */
static int add_repositories(ActionsConfig *c, const char *value) {
        if (isempty(value)) {
                c->repositories = strv_free(c->repositories);
                return 0;
        }
        for (const char *p = value;;) {
                p += strspn(p, " \t");
                size_t n = strcspn(p, " \t");
                if (n == 0)
                        return 0;
                char word[ACTIONS_REPOSITORY_MAX + 1];
                if (n > ACTIONS_REPOSITORY_MAX)
                        return -EINVAL;
                memcpy(word, p, n);
                word[n] = 0;
                if (!pattern_is_valid(word))
                        return -EINVAL;
                if (!strv_contains(c->repositories, word) && strv_extend(&c->repositories, word) < 0)
                        return -ENOMEM;
                p += n;
        }
}

static int config_assign(ConfigFile *f, const char *key, const char *value, const char **ret_expected) {
        ActionsConfig *c = f->config;
        int b;
        if (streq(key, "APIURL")) {
                *ret_expected = "an http:// or https:// URL without query, such as https://github.example.com/api/v3";
                if (!isempty(value) && !url_is_valid(value))
                        return -EINVAL;
                return set_string(&c->api_url, value);
        }
        if (streq(key, "TokenCredential")) {
                *ret_expected = "a credential's name ([A-Za-z0-9_.-]) or an absolute path";
                if (!isempty(value) && !credential_name_is_valid(value))
                        return -EINVAL;
                return set_string(&c->token_credential, value);
        }
        if (streq(key, "AppKeyCredential")) {
                *ret_expected = "a credential's name ([A-Za-z0-9_.-]) or an absolute path";
                if (!isempty(value) && !credential_name_is_valid(value))
                        return -EINVAL;
                return set_string(&c->app_key_credential, value);
        }
        if (streq(key, "AppID") || streq(key, "InstallationID")) {
                /* An App's id is a number, its client id letters, digits and dots ("Iv1.0123abcd"). */
                *ret_expected =
                        streq(key, "AppID") ? "a GitHub App's id or client id" : "an installation's id, a number";
                const char *allowed = streq(key, "AppID")
                        ? "0123456789abcdefABCDEFghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ."
                        : "0123456789";
                if (!isempty(value) && (strlen(value) > 64 || value[strspn(value, allowed)]))
                        return -EINVAL;
                return set_string(streq(key, "AppID") ? &c->app_id : &c->installation_id, value);
        }
        if (streq(key, "Repositories")) {
                *ret_expected = "repositories as OWNER/NAME or OWNER/*, separated by spaces";
                return add_repositories(c, value);
        }
        if (streq(key, "ReadOnly")) {
                *ret_expected = EXPECTED_BOOLEAN;
                if ((b = parse_boolean(value)) < 0)
                        return b;
                c->read_only = b;
                return 0;
        }
        struct {
                const char *key;
                uint64_t *target;
        } spans[] = { { "MaxRateLimitWaitSec", &c->max_rate_limit_wait_usec },
                { "PollIntervalSec", &c->poll_interval_usec }, { "RequestTimeoutSec", &c->request_timeout_usec } };
        FOREACH_ELEMENT(s, spans)
        if (streq(key, s->key)) {
                *ret_expected = EXPECTED_TIME_SPAN;
                if (isempty(value)) {
                        *s->target = 0;
                        return 0;
                }
                return parse_time_span(value, s->target);
        }
        return -ENOENT;
}

static int config_handle(void *userdata, const char *section, const char *key, const char *value) {
        ConfigFile *f = userdata;
        if (!streq_ptr(section, "GitHub")) {
                log_warning("%s:%u: Unknown section [%s], ignoring %s=.", f->path, f->line, strempty(section), key);
                return 1;
        }
        const char *expected = NULL;
        int r = config_assign(f, key, value, &expected);
        if (r == -ENOENT)
                log_warning("%s:%u: Unknown key %s= in section [GitHub], ignoring.", f->path, f->line, key);
        else if (r == -ENOMEM)
                return config_fail(f, log_oom());
        else if (r < 0) {
                log_error("%s:%u: Invalid value \"%s\" for %s=, expected %s.", f->path, f->line, value, key, expected);
                return config_fail(f, -EINVAL);
        }
        return 1;
}

static int config_parse(ActionsConfig *c, const char *path) {
        _cleanup_(fclosep) FILE *file = fopen(path, "re");
        if (!file) {
                if (errno == ENOENT) {
                        log_info("No %s, no repository may be touched.", path);
                        return 0;
                }
                return log_error_errno(errno, "Failed to open %s: %m", path);
        }
        struct stat st;
        if (fstat(fileno(file), &st) < 0)
                return log_error_errno(errno, "Failed to check %s: %m", path);
        if (S_ISDIR(st.st_mode))
                return log_error_errno(EISDIR, "Failed to read %s: %m", path);

        ConfigFile f = { .path = path, .file = file, .config = c };
        int k = ini_parse_stream(config_read_line, &f, config_handle, &f);
        if (ferror(file))
                return log_error_errno(EIO, "Failed to read %s: %m", path);
        if (k == -2)
                return log_oom();
        if (f.r < 0)
                return f.r;
        if (k > 0)
                return log_error_errno(EINVAL,
                        "%s:%d: Syntax error, expected a [Section] header, a Key=Value assignment or a comment.", path,
                        k);
        return k < 0 ? log_error_errno(EIO, "Failed to parse %s.", path) : 0;
}

static int config_finish(ActionsConfig *c) {
        if (!c->api_url && !(c->api_url = strdup(ACTIONS_API_URL_DEFAULT)))
                return log_oom();
        size_t n = strlen(c->api_url);
        while (n > 0 && c->api_url[n - 1] == '/')
                c->api_url[--n] = 0;
        if (!c->token_credential && !(c->token_credential = strdup(ACTIONS_TOKEN_CREDENTIAL_DEFAULT)))
                return log_oom();
        if (!c->app_key_credential && !(c->app_key_credential = strdup(ACTIONS_APP_KEY_CREDENTIAL_DEFAULT)))
                return log_oom();
        if (!!c->app_id != !!c->installation_id)
                return log_error_errno(EINVAL,
                        "AppID= and InstallationID= go together: a GitHub App's tokens are "
                        "minted for one of its installations.");
        if (c->max_rate_limit_wait_usec == 0)
                c->max_rate_limit_wait_usec = ACTIONS_MAX_RATE_LIMIT_WAIT_USEC_DEFAULT;
        if (c->poll_interval_usec == 0)
                c->poll_interval_usec = ACTIONS_POLL_INTERVAL_USEC_DEFAULT;
        if (c->request_timeout_usec == 0)
                c->request_timeout_usec = ACTIONS_REQUEST_TIMEOUT_USEC_DEFAULT;
        return 0;
}

int actions_config_load(ActionsConfig *c, const char *path) {
        _cleanup_free_ char *joined = NULL;
        if (!path)
                path = getenv("AIOS_ACTIONS_CONFIG");
        if (!path) {
                const char *d = getenv("CONFIGURATION_DIRECTORY");
                if (d && d[0] == '/' && asprintf(&joined, "%s/actions.conf", d) < 0)
                        return log_oom();
                path = joined ?: ACTIONS_CONFIG_FILE_DEFAULT;
        }
        int r = config_parse(c, path);
        if (r < 0)
                return r;
        return config_finish(c);
}
