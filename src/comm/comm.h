/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-commd: its context, its polkit actions and the tables of its tool families. */
#pragma once

#include "comm-config.h"
#include "curl-event.h"
#include "delivery.h"
#include "mcp-server.h"
#include "outbox.h"

/* polkit actions (polkit/org.aios.policy). */
#define COMM_ACTION_SEND "org.aios.comm.send"
#define COMM_ACTION_READ "org.aios.comm.read"

#define COMM_STATE_DIRECTORY_DEFAULT "/var/lib/aios-comm"

typedef struct WebhookPost WebhookPost;
typedef struct MailRead MailRead;
typedef struct Notification Notification;

typedef struct CommContext {
        CommConfig config;
        Outbox *outbox;
        Delivery *delivery;
        CurlEvent *webhook_curl;
        WebhookPost *webhook_posts; /* in flight */
        CurlEvent *imap_curl;
        MailRead *mail_reads;        /* IMAP commands in flight */
        Notification *notifications; /* helper processes running */
} CommContext;

/* Reads the configuration (config_path: NULL for the default), opens the outbox in state_dir (NULL:
 * $STATE_DIRECTORY, else COMM_STATE_DIRECTORY_DEFAULT) and starts delivering what it holds. */
int comm_context_init(CommContext *c, sd_event *event, const char *config_path, const char *state_dir);
void comm_context_done(CommContext *c);
/* Whether messages wait to be delivered or posts are in flight: the server must not exit when idle. */
bool comm_context_busy(void *userdata);

/* Each family's table ends with an entry whose name is NULL. */
extern const McpTool comm_email_tools[];   /* email-tools.c: comm_send_email, comm_outbox, comm_outbox_retry,
                                              comm_outbox_cancel */
extern const McpTool comm_webhook_tools[]; /* webhook.c: comm_post_webhook */
extern const McpTool comm_read_tools[];    /* read-tools.c: comm_list_emails, comm_read_email */
extern const McpTool comm_notify_tools[];  /* notify.c: comm_notify_user */
extern const McpTool *const comm_tool_families[];
int comm_add_tools(McpServer *server);

/* webhook.c */
int webhook_init(CommContext *c, sd_event *event);
void webhook_done(CommContext *c);

/* read-tools.c */
int mail_init(CommContext *c, sd_event *event);
void mail_done(CommContext *c);

/* notify.c */
void notify_done(CommContext *c);
