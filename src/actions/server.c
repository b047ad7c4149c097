/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-actionsd: its whole surface, the tool families as shipped, and its context. */
#include <stdio.h>

#include "actions.h"
#include "credential.h"
#include "log.h"

int actions_add_tools(McpServer *server, const ActionsContext *c) {
        const McpTool *const families[] = { actions_list_tools, actions_log_tools, actions_wait_tools,
                c->config.read_only ? NULL : actions_write_tools };
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

        /* The token is the server's own: no client gives it, and no answer carries it. */
        _cleanup_free_ char *token = NULL;
        r = credential_read(c->config.token_credential, 4096, &token);
        if (r < 0)
                return log_error_errno(r, "Failed to read the credential %s: %m", c->config.token_credential);
        if (r == 0)
                log_notice("No credential %s: GitHub is asked without a token (public repositories only, 60 "
                           "requests an hour).",
                        c->config.token_credential);
        else
                token[strcspn(token, "\r\n")] = 0;

        r = github_new(event, &c->config, token, &c->github);
        if (token)
                explicit_bzero(token, strlen(token));
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
