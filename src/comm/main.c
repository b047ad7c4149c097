/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-commd: mail through the administrator's SMTP server with a durable outbox, mailboxes read over IMAP,
 * named webhooks and desktop notifications. */
#include "comm.h"
#include "server-main.h"

static McpServerDefinition definition = {
        .name = "aios-commd",
        .title = "aios communication",
        .version = PROJECT_VERSION,
        .instructions = "Sends email to the recipients the administrator allows, through a durable outbox "
                        "(comm_send_email, then comm_outbox for the delivery's state), reads the mailboxes the "
                        "administrator configured (comm_list_emails, then comm_read_email), posts messages to "
                        "webhook endpoints the administrator named (comm_post_webhook), and shows desktop "
                        "notifications to the users the administrator allows (comm_notify_user).",
        .bus_name = "org.aios.Communication1",
};

static CommContext context;

static int setup(McpServer *server, void *userdata) {
        int r = comm_context_init(&context, mcp_server_get_event(server), NULL, NULL);
        if (r < 0)
                return r;
        return comm_add_tools(server);
}

int main(int argc, char *argv[]) {
        static const McpServerMain m = {
                .definition = &definition,
                .summary = "Serves communication over MCP: email through a durable outbox, mailboxes over IMAP, "
                           "webhooks and desktop notifications.",
                .setup = setup,
                .userdata = &context,
                .busy = comm_context_busy,
        };
        int r = mcp_server_main(argc, argv, &m);
        comm_context_done(&context);
        return r;
}
