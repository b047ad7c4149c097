/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* comm.conf: the SMTP server, the recipients mail may go to, the outbox's retries, the named webhooks, the
 * mailboxes read over IMAP and the users desktop notifications may reach. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"
#include "strv.h"

#define COMM_CONFIG_FILE_DEFAULT "/etc/aios/comm.conf"
#define WEBHOOK_NAME_MAX 64U
#define MAILBOX_NAME_MAX 64U

typedef enum WebhookTemplate {
        WEBHOOK_SLACK,
        WEBHOOK_MATRIX,
        WEBHOOK_DISCORD,
        WEBHOOK_NTFY,
        WEBHOOK_JSON,
        _WEBHOOK_TEMPLATE_MAX,
        _WEBHOOK_TEMPLATE_INVALID = -EINVAL,
} WebhookTemplate;

const char *webhook_template_to_string(WebhookTemplate t);
WebhookTemplate webhook_template_from_string(const char *s);

typedef struct WebhookConfig {
        char *name;
        char *url;
        char *method; /* NULL: the template's (PUT for matrix, POST for the others) */
        WebhookTemplate template;
        char **headers;            /* "Name: value", as configured with Header= */
        char **header_credentials; /* "Name credential", as configured with HeaderCredential= */
        char **resolved_headers;   /* "Name: value" with the credentials' contents, after comm_config_load() */
        uint64_t timeout_usec;
} WebhookConfig;

/* [Mailbox NAME]: an IMAP account comm_list_emails and comm_read_email read. */
typedef struct MailboxConfig {
        char *name;
        char *url;     /* imap://HOST[:PORT] (STARTTLS) or imaps://HOST[:PORT] */
        bool starttls; /* for imap://: refuse to log in unless the server takes STARTTLS (default yes) */
        char *user;
        char *password_credential;
        char *password; /* the credential's contents, after comm_config_load() */
        char *ca_file;
        uint64_t timeout_usec;
        uint64_t max_message_size;    /* bytes of one message read; the rest is left on the server */
        bool download_attachments;    /* comm_read_email may return attachments' contents (default no) */
        uint64_t max_attachment_size; /* decoded bytes of one attachment returned */
} MailboxConfig;

typedef struct CommConfig {
        /* [SMTP] */
        char *smtp_url; /* smtp://HOST[:PORT] or smtps://HOST[:PORT]; NULL: no mail is sent */
        bool starttls;  /* for smtp://: refuse to send unless the server takes STARTTLS (default yes) */
        char *smtp_user;
        char *password_credential;
        char *password; /* the credential's contents, after comm_config_load() */
        char *from;
        char *ca_file;
        uint64_t smtp_timeout_usec;
        uint64_t max_attachments_size; /* decoded bytes of all attachments of one message */

        /* [Recipients] Allow=: exact addresses and @domain patterns; none: no mail is sent at all. */
        char **recipients;

        /* [Outbox] */
        uint64_t retry_min_usec;
        uint64_t retry_max_usec;
        uint64_t give_up_usec; /* a message still not delivered this long after it was accepted fails */
        unsigned max_messages; /* messages waiting to be delivered at once */
        uint64_t keep_usec;    /* how long finished messages stay listed */

        /* [Webhook NAME] */
        WebhookConfig *webhooks;
        size_t n_webhooks;

        /* [Mailbox NAME] */
        MailboxConfig *mailboxes;
        size_t n_mailboxes;

        /* [Notifications] AllowUser=: the users comm_notify_user may reach; none: nobody. */
        char **notify_users;
        uint64_t notify_timeout_usec;
} CommConfig;

void comm_config_done(CommConfig *c);
/* Reads path (or $AIOS_COMM_CONFIG, else $CONFIGURATION_DIRECTORY/comm.conf, else COMM_CONFIG_FILE_DEFAULT,
 * when path is NULL) into c, checks it and reads the credentials it names. A missing file is an empty
 * configuration: nothing is sent. Logs what is wrong, with the file and line. */
int comm_config_load(CommConfig *c, const char *path);
/* Parses the file without reading credentials; for tests. */
int comm_config_parse(CommConfig *c, const char *path);

const WebhookConfig *comm_config_find_webhook(const CommConfig *c, const char *name);
const MailboxConfig *comm_config_find_mailbox(const CommConfig *c, const char *name);
