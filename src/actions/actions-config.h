/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* actions.conf: the GitHub API to talk to, the repositories the server may touch, read-only mode, the token's
 * credential and the limits of waiting. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

#define ACTIONS_CONFIG_FILE_DEFAULT "/etc/aios/actions.conf"
#define ACTIONS_API_URL_DEFAULT "https://api.github.com"
#define ACTIONS_TOKEN_CREDENTIAL_DEFAULT "github-token"
#define ACTIONS_APP_KEY_CREDENTIAL_DEFAULT "github-app-key"
#define ACTIONS_MAX_RATE_LIMIT_WAIT_USEC_DEFAULT (60 * USEC_PER_SEC)
#define ACTIONS_POLL_INTERVAL_USEC_DEFAULT (10 * USEC_PER_SEC)
#define ACTIONS_REQUEST_TIMEOUT_USEC_DEFAULT (30 * USEC_PER_SEC)
#define ACTIONS_MAX_ARTIFACT_SIZE_DEFAULT (100ULL * 1024 * 1024)
/* "owner/name": GitHub's owners are at most 39 characters, repository names at most 100. */
#define ACTIONS_REPOSITORY_MAX 140U

typedef struct ActionsConfig {
        char *api_url;            /* without a trailing slash */
        char *token_credential;   /* a credential's name or an absolute path */
        char *app_id;             /* a GitHub App's id (or client id): tokens minted with its key, or NULL */
        char *installation_id;    /* the App's installation on the repositories' owner */
        char *app_key_credential; /* the App's private key (PEM) */
        char **repositories;      /* "owner/name", and "owner/" followed by "*"; none: nothing may be touched */
        bool read_only;           /* the write tools are not served at all */
        uint64_t max_rate_limit_wait_usec; /* longer waits for a rate limit fail at once */
        uint64_t poll_interval_usec;       /* github_wait_run polls no more often than this */
        uint64_t request_timeout_usec;
        uint64_t max_artifact_size; /* the largest zip github_download_artifact puts in a workspace */
} ActionsConfig;

void actions_config_done(ActionsConfig *c);
/* Reads path (or, when path is NULL, $AIOS_ACTIONS_CONFIG, else $CONFIGURATION_DIRECTORY/actions.conf, else
 * ACTIONS_CONFIG_FILE_DEFAULT) into c and fills in the defaults. A missing file is the defaults: no
 * repository allowed. Logs what is wrong, with the file and line. */
int actions_config_load(ActionsConfig *c, const char *path);

/* Whether s is "owner/name" as GitHub spells them: an owner of letters, digits and single dashes, a name of
 * letters, digits, '.', '_' and '-' (not "." or ".."). */
bool repository_name_is_valid(const char *s);
/* Whether the allow-list lets the server touch repository (already valid). GitHub's names are not case
 * sensitive, and neither is the match. */
bool actions_config_allows(const ActionsConfig *c, const char *repository);
