/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-actionsd: its whole surface, the tool families as shipped, and its context. */
#include <stdio.h>

#include "actions.h"
#include "credential.h"
#include "log.h"

int actions_add_tools(McpServer *server, const ActionsContext *c) {
        const McpTool *const families[] = { actions_list_tools, actions_log_tools, actions_wait_tools,
                actions_artifact_tools, c->config.read_only ? NULL : actions_write_tools };
        FOREACH_ELEMENT(family, families)
        for (const McpTool *t = *family; t && t->name; t++) {
                int r = mcp_server_add_tool(server, t);
                if (r < 0)
                        return r;
        }
        return 0;
}

int actions_context_init(ActionsContext *c, sd_event *event, const char *config_path) {
        int r = actions_config_load(&c->config, config_path);
        if (r < 0)
                return r;

        /* The token (or the App's key) is the server's own: no client gives it, and no answer carries it. */
        const char *credential = c->config.app_id ? c->config.app_key_credential : c->config.token_credential;
        _cleanup_free_ char *secret = NULL;
        r = credential_read(credential, 64 * 1024, &secret);
        if (r < 0)
                return log_error_errno(r, "Failed to read the credential %s: %m", credential);
        if (r == 0 && c->config.app_id)
                return log_error_errno(ENOKEY, "No credential %s with the GitHub App's private key.", credential);
        if (r == 0)
                log_notice("No credential %s: GitHub is asked without a token (public repositories only, 60 "
                           "requests an hour).",
                        credential);
        else if (!c->config.app_id)
                secret[strcspn(secret, "\r\n")] = 0;

        r = github_new(event, &c->config, c->config.app_id ? NULL : secret, c->config.app_id ? secret : NULL,
                &c->github);
        if (secret)
                explicit_bzero(secret, strlen(secret));
        if (r == -EINVAL && c->config.app_id)
                return log_error_errno(r, "The credential %s is not an RSA private key in PEM.", credential);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the GitHub client: %m");

        size_t n = 0;
        for (char **p = c->config.repositories; p && *p; p++)
                n++;
        log_info("GitHub API at %s, %zu repository pattern(s) allowed%s.", c->config.api_url, n,
                c->config.read_only ? ", read-only" : "");
        return 0;
}

void actions_context_done(ActionsContext *c) {
        c->github = github_free(c->github);
        actions_config_done(&c->config);
}
