/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reads actions.conf with libinih into an ActionsConfig, checking each value; and the repository allow-list. */
#include <stdio.h>
#include <strings.h>

#include "actions-config.h"
#include "conf-parser.h"
#include "log.h"
#include "strv.h"

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

/* --- value parsers of actions.conf's own; the others are conf-parser.h's ---------------------------------- */

static int config_parse_api_url(const char *value, void *data) {
        if (!isempty(value) && !url_is_valid(value))
                return -EINVAL;
        return config_set_string(data, value);
}

/* An App's id is a number, its client id letters, digits and dots ("Iv1.0123abcd"). */
static int config_parse_app_id(const char *value, void *data) {
        if (!isempty(value) &&
                (strlen(value) > 64 ||
                        value[strspn(value, "0123456789abcdefABCDEFghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ.")]))
                return -EINVAL;
        return config_set_string(data, value);
}

static int config_parse_installation_id(const char *value, void *data) {
        if (!isempty(value) && (strlen(value) > 64 || value[strspn(value, "0123456789")]))
                return -EINVAL;
        return config_set_string(data, value);
}

/* Repositories= adds its words to the list; an empty value empties it. */
static int config_parse_repositories(const char *value, void *data) {
        char ***repositories = data;
        if (isempty(value)) {
                *repositories = strv_free(*repositories);
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
                if (!strv_contains(*repositories, word) && strv_extend(repositories, word) < 0)
                        return -ENOMEM;
                p += n;
        }
}

#define EXPECTED_CREDENTIAL "a credential's name ([A-Za-z0-9_.-]) or an absolute path"

static const ConfigItem github_items[] = {
        { "APIURL", config_parse_api_url, offsetof(ActionsConfig, api_url),
                "an http:// or https:// URL without query, such as https://github.example.com/api/v3" },
        { "TokenCredential", config_parse_credential, offsetof(ActionsConfig, token_credential), EXPECTED_CREDENTIAL },
        { "AppKeyCredential", config_parse_credential, offsetof(ActionsConfig, app_key_credential),
                EXPECTED_CREDENTIAL },
        { "AppID", config_parse_app_id, offsetof(ActionsConfig, app_id), "a GitHub App's id or client id" },
        { "InstallationID", config_parse_installation_id, offsetof(ActionsConfig, installation_id),
                "an installation's id, a number" },
        { "Repositories", config_parse_repositories, offsetof(ActionsConfig, repositories),
                "repositories as OWNER/NAME or OWNER/*, separated by spaces" },
        { "ReadOnly", config_parse_bool, offsetof(ActionsConfig, read_only), CONFIG_EXPECTED_BOOLEAN },
        { "MaxRateLimitWaitSec", config_parse_sec, offsetof(ActionsConfig, max_rate_limit_wait_usec),
                CONFIG_EXPECTED_TIME_SPAN },
        { "PollIntervalSec", config_parse_sec, offsetof(ActionsConfig, poll_interval_usec), CONFIG_EXPECTED_TIME_SPAN },
        { "RequestTimeoutSec", config_parse_sec, offsetof(ActionsConfig, request_timeout_usec),
                CONFIG_EXPECTED_TIME_SPAN },
        { "MaxArtifactSize", config_parse_size, offsetof(ActionsConfig, max_artifact_size),
                "a size in bytes, with K, M or G" },
};

static int config_parse(ActionsConfig *c, const char *path) {
        ConfigFile f = {
                .path = path,
                .section = "GitHub",
                .items = github_items,
                .n_items = ELEMENTSOF(github_items),
                .target = c,
        };
        int r = config_file_parse(&f);
        if (r == 0)
                log_info("No %s, no repository may be touched.", path);
        return r < 0 ? r : 0;
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
        if (c->max_artifact_size == 0)
                c->max_artifact_size = ACTIONS_MAX_ARTIFACT_SIZE_DEFAULT;
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
