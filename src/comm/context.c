/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-commd: its context (configuration, outbox, delivery, webhooks) and its whole tool surface. */
#include "comm.h"
#include "log.h"

const McpTool *const comm_tool_families[] = { comm_email_tools, comm_webhook_tools, comm_read_tools, comm_notify_tools,
        NULL };

int comm_add_tools(McpServer *server) {
        for (const McpTool *const *family = comm_tool_families; *family; family++)
                for (const McpTool *t = *family; t->name; t++) {
                        int r = mcp_server_add_tool(server, t);
                        if (r < 0)
                                return r;
                }
        return 0;
}

int comm_context_init(CommContext *c, sd_event *event, const char *config_path, const char *state_dir) {
        int r = comm_config_load(&c->config, config_path);
        if (r < 0)
                return r;

        _cleanup_free_ char *dir = NULL;
        if (!state_dir) {
                /* StateDirectory=aios-comm: the first entry of $STATE_DIRECTORY. */
                const char *e = getenv("STATE_DIRECTORY");
                if (e && e[0] == '/') {
                        dir = strndup(e, strcspn(e, ":"));
                        if (!dir)
                                return log_oom();
                        state_dir = dir;
                } else
                        state_dir = COMM_STATE_DIRECTORY_DEFAULT;
        }
        r = outbox_open(state_dir, &c->outbox);
        if (r < 0)
                return r;
        (void) outbox_prune(c->outbox, c->config.keep_usec);
        r = delivery_new(event, &c->config, c->outbox, &c->delivery);
        if (r < 0)
                return log_error_errno(r, "Failed to set up SMTP delivery: %m");
        r = webhook_init(c, event);
        if (r < 0)
                return log_error_errno(r, "Failed to set up webhooks: %m");
        r = mail_init(c, event);
        if (r < 0)
                return log_error_errno(r, "Failed to set up IMAP: %m");
        delivery_kick(c->delivery);
        return 0;
}

void comm_context_done(CommContext *c) {
        notify_done(c);
        mail_done(c);
        webhook_done(c);
        c->delivery = delivery_free(c->delivery);
        c->outbox = outbox_free(c->outbox);
        comm_config_done(&c->config);
}

bool comm_context_busy(void *userdata) {
        CommContext *c = userdata;
        return (c->outbox && outbox_n_pending(c->outbox) > 0) || c->webhook_posts || c->mail_reads || c->notifications;
}
