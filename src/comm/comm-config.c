/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reads comm.conf with libinih into a CommConfig, checking each value and then the whole. */
#include <ini.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>

#include "address.h"
#include "comm-config.h"
#include "conf-parser.h"
#include "credential.h"
#include "log.h"

#define EXPECTED_SIZE "a positive number of bytes, optionally followed by K, M or G (powers of 1024), such as 10M"

static const char *const webhook_template_table[_WEBHOOK_TEMPLATE_MAX] = {
        [WEBHOOK_SLACK] = "slack",
        [WEBHOOK_MATRIX] = "matrix",
        [WEBHOOK_DISCORD] = "discord",
        [WEBHOOK_NTFY] = "ntfy",
        [WEBHOOK_JSON] = "json",
};

const char *webhook_template_to_string(WebhookTemplate t) {
        return t >= 0 && t < _WEBHOOK_TEMPLATE_MAX ? webhook_template_table[t] : NULL;
}

WebhookTemplate webhook_template_from_string(const char *s) {
        for (WebhookTemplate t = 0; s && t < _WEBHOOK_TEMPLATE_MAX; t++)
                if (streq(s, webhook_template_table[t]))
                        return t;
        return _WEBHOOK_TEMPLATE_INVALID;
}

static void webhook_config_done(WebhookConfig *w) {
        free(w->name);
        free(w->url);
        free(w->method);
        strv_free(w->headers);
        strv_free(w->header_credentials);
        strv_free(w->resolved_headers);
}

static void mailbox_config_done(MailboxConfig *m) {
        free(m->name);
        free(m->url);
        free(m->user);
        free(m->password_credential);
        if (m->password)
                explicit_bzero(m->password, strlen(m->password));
        free(m->password);
        free(m->ca_file);
}

void comm_config_done(CommConfig *c) {
        free(c->smtp_url);
        free(c->smtp_user);
        free(c->password_credential);
        if (c->password)
                explicit_bzero(c->password, strlen(c->password));
        free(c->password);
        free(c->from);
        free(c->ca_file);
        strv_free(c->recipients);
        for (size_t i = 0; i < c->n_webhooks; i++)
                webhook_config_done(&c->webhooks[i]);
        free(c->webhooks);
        for (size_t i = 0; i < c->n_mailboxes; i++)
                mailbox_config_done(&c->mailboxes[i]);
        free(c->mailboxes);
        strv_free(c->notify_users);
        *c = (CommConfig){};
}

const WebhookConfig *comm_config_find_webhook(const CommConfig *c, const char *name) {
        for (size_t i = 0; i < c->n_webhooks; i++)
                if (streq(c->webhooks[i].name, name))
                        return &c->webhooks[i];
        return NULL;
}

const MailboxConfig *comm_config_find_mailbox(const CommConfig *c, const char *name) {
        for (size_t i = 0; i < c->n_mailboxes; i++)
                if (streq(c->mailboxes[i].name, name))
                        return &c->mailboxes[i];
        return NULL;
}

static int strv_push(char ***l, const char *value) {
        size_t n = strv_length(*l);
        char **grown = reallocarray(*l, n + 2, sizeof(char *));
        if (!grown)
                return -ENOMEM;
        *l = grown;
        grown[n + 1] = NULL;
        return (grown[n] = strdup(value)) ? 0 : -ENOMEM;
}

/* --- value parsers of comm.conf's own; the others are conf-parser.h's ------------------------------------- */

static int config_parse_smtp_url(const char *value, void *data) {
        const char *rest = startswith_ptr(value, "smtp://") ? value + strlen("smtp://")
                : startswith_ptr(value, "smtps://")         ? value + strlen("smtps://")
                                                            : NULL;
        if (!isempty(value)) {
                if (!rest || !rest[0] || rest[0] == '/' || rest[0] == ':')
                        return -EINVAL;
                for (const char *p = value; *p; p++)
                        if ((unsigned char) *p <= ' ' || *p == 0x7f || *p == '@')
                                return -EINVAL; /* no user in the URL: User= and the credential */
        }
        return config_set_string(data, value);
}

static int config_parse_imap_url(const char *value, void *data) {
        const char *rest = startswith_ptr(value, "imap://") ? value + strlen("imap://")
                : startswith_ptr(value, "imaps://")         ? value + strlen("imaps://")
                                                            : NULL;
        if (!rest || !rest[0] || rest[0] == '/' || rest[0] == ':')
                return -EINVAL;
        /* The folder comes from each call, the user from User=: the URL names the server only. */
        if (strchr(rest, '/') && rest[strcspn(rest, "/") + 1])
                return -EINVAL;
        for (const char *p = value; *p; p++)
                if ((unsigned char) *p <= ' ' || *p == 0x7f || *p == '@' || *p == ';' || *p == '?')
                        return -EINVAL;
        return config_set_string(data, value);
}

/* AllowUser= adds a user name; AllowUser= with nothing drops those before it. */
static int config_parse_allow_user(const char *value, void *data) {
        char ***l = data;
        if (isempty(value)) {
                *l = strv_free(*l);
                return 0;
        }
        /* A POSIX-ish user name, as useradd and systemd-sysusers accept them. */
        if (strlen(value) > 32 || value[0] == '-' ||
                value[strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")])
                return -EINVAL;
        return strv_push(l, value);
}

static int config_parse_http_url(const char *value, void *data) {
        const char *rest = startswith_ptr(value, "http://") ? value + strlen("http://")
                : startswith_ptr(value, "https://")         ? value + strlen("https://")
                                                            : NULL;
        if (!rest || !rest[0] || rest[0] == '/')
                return -EINVAL;
        for (const char *p = value; *p; p++)
                if ((unsigned char) *p <= ' ' || *p == 0x7f)
                        return -EINVAL;
        return config_set_string(data, value);
}

static int config_parse_address(const char *value, void *data) {
        if (!isempty(value) && !address_is_valid(value))
                return -EINVAL;
        return config_set_string(data, value);
}

static int config_parse_user(const char *value, void *data) {
        if (!header_value_is_safe(value))
                return -EINVAL;
        return config_set_string(data, value);
}

static bool credential_name_is_valid(const char *s) {
        return s[0] == '/' ||
                (!isempty(s) && !streq(s, ".") && !streq(s, "..") &&
                        !s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")]);
}

/* Allow= adds an address or @domain; Allow= with nothing drops those before it. */
static int config_parse_allow(const char *value, void *data) {
        char ***l = data;
        if (isempty(value)) {
                *l = strv_free(*l);
                return 0;
        }
        if (!allow_entry_is_valid(value))
                return -EINVAL;
        return strv_push(l, value);
}

static bool header_name_is_valid(const char *s, size_t n) {
        if (n == 0 || n > 64)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
                            s[i] == '-'))
                        return false;
        return true;
}

/* Header=Name: value */
static int config_parse_header(const char *value, void *data) {
        char ***l = data;
        if (isempty(value)) {
                *l = strv_free(*l);
                return 0;
        }
        const char *colon = strchr(value, ':');
        if (!colon || !header_name_is_valid(value, colon - value) || !header_value_is_safe(colon + 1))
                return -EINVAL;
        return strv_push(l, value);
}

/* HeaderCredential=Name credential */
static int config_parse_header_credential(const char *value, void *data) {
        char ***l = data;
        if (isempty(value)) {
                *l = strv_free(*l);
                return 0;
        }
        const char *space = strchr(value, ' ');
        if (!space || !header_name_is_valid(value, space - value) ||
                !credential_name_is_valid(space + strspn(space, " ")))
                return -EINVAL;
        return strv_push(l, value);
}

static int config_parse_method(const char *value, void *data) {
        if (!isempty(value) && !streq(value, "POST") && !streq(value, "PUT"))
                return -EINVAL;
        return config_set_string(data, value);
}

static int config_parse_template(const char *value, void *data) {
        WebhookTemplate t = webhook_template_from_string(value);
        if (t < 0)
                return -EINVAL;
        *(WebhookTemplate *) data = t;
        return 0;
}

static const ConfigItem smtp_items[] = {
        { "URL", config_parse_smtp_url, offsetof(CommConfig, smtp_url),
                "smtp://HOST[:PORT] (STARTTLS) or smtps://HOST[:PORT] (TLS from the start), without a user" },
        { "StartTLS", config_parse_bool, offsetof(CommConfig, starttls), CONFIG_EXPECTED_BOOLEAN },
        { "User", config_parse_user, offsetof(CommConfig, smtp_user), "a user name without control characters" },
        { "PasswordCredential", config_parse_credential, offsetof(CommConfig, password_credential),
                "the name of a systemd credential (LoadCredential=), or an absolute path" },
        { "From", config_parse_address, offsetof(CommConfig, from), "a mail address such as aios@example.com" },
        { "CAFile", config_parse_path, offsetof(CommConfig, ca_file), "an absolute path" },
        { "TimeoutSec", config_parse_sec, offsetof(CommConfig, smtp_timeout_usec), CONFIG_EXPECTED_TIME_SPAN },
        { "MaxAttachmentsSize", config_parse_size, offsetof(CommConfig, max_attachments_size), EXPECTED_SIZE },
};

static const ConfigItem recipients_items[] = {
        { "Allow", config_parse_allow, offsetof(CommConfig, recipients),
                "a mail address (alice@example.com) or a domain after an @ (@example.com)" },
};

static const ConfigItem outbox_items[] = {
        { "RetryMinSec", config_parse_sec, offsetof(CommConfig, retry_min_usec), CONFIG_EXPECTED_TIME_SPAN },
        { "RetryMaxSec", config_parse_sec, offsetof(CommConfig, retry_max_usec), CONFIG_EXPECTED_TIME_SPAN },
        { "GiveUpSec", config_parse_sec, offsetof(CommConfig, give_up_usec), CONFIG_EXPECTED_TIME_SPAN },
        { "KeepSec", config_parse_sec, offsetof(CommConfig, keep_usec), CONFIG_EXPECTED_TIME_SPAN },
        { "MaxMessages", config_parse_unsigned, offsetof(CommConfig, max_messages), CONFIG_EXPECTED_POSITIVE_INTEGER },
};

static const ConfigItem webhook_items[] = {
        { "URL", config_parse_http_url, offsetof(WebhookConfig, url),
                "an http:// or https:// URL with a host, such as https://ntfy.sh/mytopic" },
        { "Method", config_parse_method, offsetof(WebhookConfig, method), "POST or PUT" },
        { "Template", config_parse_template, offsetof(WebhookConfig, template),
                "slack, matrix, discord, ntfy or json" },
        { "Header", config_parse_header, offsetof(WebhookConfig, headers), "Name: value, such as Priority: high" },
        { "HeaderCredential", config_parse_header_credential, offsetof(WebhookConfig, header_credentials),
                "a header's name, a space and a credential's name, such as Authorization ntfy-token" },
        { "TimeoutSec", config_parse_sec, offsetof(WebhookConfig, timeout_usec), CONFIG_EXPECTED_TIME_SPAN },
};

static const ConfigItem mailbox_items[] = {
        { "URL", config_parse_imap_url, offsetof(MailboxConfig, url),
                "imap://HOST[:PORT] (STARTTLS) or imaps://HOST[:PORT] (TLS from the start), without a user or folder" },
        { "StartTLS", config_parse_bool, offsetof(MailboxConfig, starttls), CONFIG_EXPECTED_BOOLEAN },
        { "User", config_parse_user, offsetof(MailboxConfig, user), "a user name without control characters" },
        { "PasswordCredential", config_parse_credential, offsetof(MailboxConfig, password_credential),
                "the name of a systemd credential (LoadCredential=), or an absolute path" },
        { "CAFile", config_parse_path, offsetof(MailboxConfig, ca_file), "an absolute path" },
        { "TimeoutSec", config_parse_sec, offsetof(MailboxConfig, timeout_usec), CONFIG_EXPECTED_TIME_SPAN },
        { "MaxMessageSize", config_parse_size, offsetof(MailboxConfig, max_message_size), EXPECTED_SIZE },
        { "DownloadAttachments", config_parse_bool, offsetof(MailboxConfig, download_attachments),
                CONFIG_EXPECTED_BOOLEAN },
        { "MaxAttachmentSize", config_parse_size, offsetof(MailboxConfig, max_attachment_size), EXPECTED_SIZE },
};

static const ConfigItem notifications_items[] = {
        { "AllowUser", config_parse_allow_user, offsetof(CommConfig, notify_users),
                "a user name (of letters, digits, '_', '.' or '-')" },
        { "TimeoutSec", config_parse_sec, offsetof(CommConfig, notify_timeout_usec), CONFIG_EXPECTED_TIME_SPAN },
};

typedef struct CommConfigFile {
        const char *path;
        CommConfig *config;
        FILE *file;
        unsigned line;
        unsigned error_line;
        char warned_section[64];
        int r;
} CommConfigFile;

/* inih's fgets-style reader: it counts lines for the messages, refuses lines longer than inih's buffer
 * (which it would parse as two), and drops indentation, which means nothing in systemd's format but
 * continues the previous value for inih. */
static char *comm_config_read_line(char *buf, int size, void *userdata) {
        CommConfigFile *f = userdata;
        if (!fgets(buf, size, f->file))
                return NULL;
        f->line++;
        size_t n = strlen(buf);
        if ((int) n == size - 1 && buf[n - 1] != '\n' && getc(f->file) != EOF) {
                log_error("%s:%u: Line too long, expected at most %d characters.", f->path, f->line, size - 2);
                if (f->r >= 0) {
                        f->r = -EINVAL;
                        f->error_line = f->line;
                }
                return NULL;
        }
        size_t skip = strspn(buf, " \t");
        memmove(buf, buf + skip, n - skip + 1);
        return buf;
}

static int comm_config_file_fail(CommConfigFile *f, int r) {
        if (f->r >= 0) {
                f->r = r;
                f->error_line = f->line;
        }
        return 0;
}

static int comm_config_parse_items(CommConfigFile *f, const ConfigItem *items, size_t n, void *target,
        const char *section, const char *key, const char *value) {
        for (size_t i = 0; i < n; i++) {
                if (!streq(key, items[i].key))
                        continue;
                int r = items[i].parse(value, (uint8_t *) target + items[i].offset);
                if (r == -ENOMEM)
                        return comm_config_file_fail(f, log_oom());
                if (r < 0) {
                        log_error("%s:%u: Invalid value \"%s\" for %s=, expected %s.", f->path, f->line, value, key,
                                items[i].expected);
                        return comm_config_file_fail(f, -EINVAL);
                }
                return 1;
        }
        log_warning("%s:%u: Unknown key %s= in section [%s], ignoring.", f->path, f->line, key, section);
        return 1;
}

/* The [Webhook NAME] section's entry, made on its first assignment. */
static int webhook_section(CommConfigFile *f, const char *name, WebhookConfig **ret) {
        CommConfig *c = f->config;
        for (size_t i = 0; i < c->n_webhooks; i++)
                if (streq(c->webhooks[i].name, name)) {
                        *ret = &c->webhooks[i];
                        return 0;
                }
        size_t n = strlen(name);
        if (n == 0 || n > WEBHOOK_NAME_MAX ||
                name[strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")])
                return -EINVAL;
        WebhookConfig *grown = reallocarray(c->webhooks, c->n_webhooks + 1, sizeof(WebhookConfig));
        if (!grown)
                return -ENOMEM;
        c->webhooks = grown;
        WebhookConfig *w = &grown[c->n_webhooks];
        *w = (WebhookConfig){ .template = _WEBHOOK_TEMPLATE_INVALID, .name = strdup(name) };
        if (!w->name)
                return -ENOMEM;
        c->n_webhooks++;
        *ret = w;
        return 0;
}

/* The [Mailbox NAME] section's entry, made on its first assignment. */
static int mailbox_section(CommConfigFile *f, const char *name, MailboxConfig **ret) {
        CommConfig *c = f->config;
        for (size_t i = 0; i < c->n_mailboxes; i++)
                if (streq(c->mailboxes[i].name, name)) {
                        *ret = &c->mailboxes[i];
                        return 0;
                }
        size_t n = strlen(name);
        if (n == 0 || n > MAILBOX_NAME_MAX ||
                name[strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")])
                return -EINVAL;
        MailboxConfig *grown = reallocarray(c->mailboxes, c->n_mailboxes + 1, sizeof(MailboxConfig));
        if (!grown)
                return -ENOMEM;
        c->mailboxes = grown;
        MailboxConfig *m = &grown[c->n_mailboxes];
        *m = (MailboxConfig){ .starttls = true, .name = strdup(name) };
        if (!m->name)
                return -ENOMEM;
        c->n_mailboxes++;
        *ret = m;
        return 0;
}

static int comm_config_handle_assignment(void *userdata, const char *section, const char *key, const char *value) {
        CommConfigFile *f = userdata;
        CommConfig *c = f->config;

        if (streq(section, "SMTP"))
                return comm_config_parse_items(f, smtp_items, ELEMENTSOF(smtp_items), c, section, key, value);
        if (streq(section, "Recipients"))
                return comm_config_parse_items(f, recipients_items, ELEMENTSOF(recipients_items), c, section, key,
                        value);
        if (streq(section, "Outbox"))
                return comm_config_parse_items(f, outbox_items, ELEMENTSOF(outbox_items), c, section, key, value);
        if (startswith_ptr(section, "Webhook ")) {
                WebhookConfig *w;
                int r = webhook_section(f, section + strlen("Webhook "), &w);
                if (r == -ENOMEM)
                        return comm_config_file_fail(f, log_oom());
                if (r < 0) {
                        log_error("%s:%u: Invalid section [%s], expected [Webhook NAME] with a NAME of at most %u "
                                  "letters, digits, '_' or '-'.",
                                f->path, f->line, section, WEBHOOK_NAME_MAX);
                        return comm_config_file_fail(f, -EINVAL);
                }
                return comm_config_parse_items(f, webhook_items, ELEMENTSOF(webhook_items), w, section, key, value);
        }
        if (startswith_ptr(section, "Mailbox ")) {
                MailboxConfig *m;
                int r = mailbox_section(f, section + strlen("Mailbox "), &m);
                if (r == -ENOMEM)
                        return comm_config_file_fail(f, log_oom());
                if (r < 0) {
                        log_error("%s:%u: Invalid section [%s], expected [Mailbox NAME] with a NAME of at most %u "
                                  "letters, digits, '_' or '-'.",
                                f->path, f->line, section, MAILBOX_NAME_MAX);
                        return comm_config_file_fail(f, -EINVAL);
                }
                return comm_config_parse_items(f, mailbox_items, ELEMENTSOF(mailbox_items), m, section, key, value);
        }
        if (streq(section, "Notifications"))
                return comm_config_parse_items(f, notifications_items, ELEMENTSOF(notifications_items), c, section, key,
                        value);
        if (!streq(section, f->warned_section)) {
                log_warning("%s:%u: Unknown section [%s], ignoring its assignments.", f->path, f->line, section);
                snprintf(f->warned_section, sizeof(f->warned_section), "%s", section);
        }
        return 1;
}

static void config_defaults(CommConfig *c) {
        *c = (CommConfig){ .starttls = true };
}

/* An empty assignment resets a number to 0: the default then. */
static void config_finish(CommConfig *c) {
        if (c->smtp_timeout_usec == 0)
                c->smtp_timeout_usec = 60 * USEC_PER_SEC;
        if (c->max_attachments_size == 0)
                c->max_attachments_size = 10 * 1024 * 1024;
        if (c->retry_min_usec == 0)
                c->retry_min_usec = 30 * USEC_PER_SEC;
        if (c->retry_max_usec == 0)
                c->retry_max_usec = 3600 * USEC_PER_SEC;
        if (c->give_up_usec == 0)
                c->give_up_usec = 72 * 3600 * USEC_PER_SEC;
        if (c->max_messages == 0)
                c->max_messages = 1000;
        if (c->keep_usec == 0)
                c->keep_usec = 30 * 24 * 3600 * USEC_PER_SEC;
        for (size_t i = 0; i < c->n_webhooks; i++)
                if (c->webhooks[i].timeout_usec == 0)
                        c->webhooks[i].timeout_usec = 10 * USEC_PER_SEC;
        for (size_t i = 0; i < c->n_mailboxes; i++) {
                MailboxConfig *m = &c->mailboxes[i];
                if (m->timeout_usec == 0)
                        m->timeout_usec = 30 * USEC_PER_SEC;
                if (m->max_message_size == 0)
                        m->max_message_size = 10 * 1024 * 1024;
                if (m->max_attachment_size == 0)
                        m->max_attachment_size = 5 * 1024 * 1024;
        }
        if (c->notify_timeout_usec == 0)
                c->notify_timeout_usec = 10 * USEC_PER_SEC;
}

/* What no single line shows: keys that need each other. */
static int config_check(const CommConfig *c, const char *path) {
        if (c->smtp_url && !c->from)
                return log_error_errno(EINVAL, "%s: [SMTP] URL= is set without From=: mail needs a sender.", path);
        if (c->smtp_user && !c->password_credential)
                return log_error_errno(EINVAL,
                        "%s: [SMTP] User= is set without PasswordCredential=, the credential with its password.", path);
        if (c->retry_min_usec > c->retry_max_usec)
                return log_error_errno(EINVAL, "%s: [Outbox] RetryMinSec= is longer than RetryMaxSec=.", path);
        for (size_t i = 0; i < c->n_webhooks; i++) {
                const WebhookConfig *w = &c->webhooks[i];
                if (!w->url)
                        return log_error_errno(EINVAL, "%s: [Webhook %s] has no URL=.", path, w->name);
                if (w->template <0)
                        return log_error_errno(EINVAL,
                                "%s: [Webhook %s] has no Template= (slack, matrix, discord, ntfy or json).", path,
                                w->name);
        }
        for (size_t i = 0; i < c->n_mailboxes; i++) {
                const MailboxConfig *m = &c->mailboxes[i];
                if (!m->url)
                        return log_error_errno(EINVAL, "%s: [Mailbox %s] has no URL=.", path, m->name);
                if (m->user && !m->password_credential)
                        return log_error_errno(EINVAL,
                                "%s: [Mailbox %s] User= is set without PasswordCredential=, the credential with its "
                                "password.",
                                path, m->name);
        }
        return 0;
}

int comm_config_parse(CommConfig *c, const char *path) {
        config_defaults(c);

        _cleanup_(fclosep) FILE *file = fopen(path, "re");
        if (!file) {
                if (errno == ENOENT) {
                        log_info("%s does not exist: no mail is sent and no webhook is configured.", path);
                        config_finish(c);
                        return 0;
                }
                return log_error_errno(errno, "Failed to open %s: %m", path);
        }
        struct stat st;
        if (fstat(fileno(file), &st) < 0)
                return log_error_errno(errno, "Failed to check %s: %m", path);
        if (S_ISDIR(st.st_mode))
                return log_error_errno(EISDIR, "Failed to read %s: %m", path);

        CommConfigFile f = { .path = path, .config = c, .file = file };
        int k = ini_parse_stream(comm_config_read_line, &f, comm_config_handle_assignment, &f);
        if (ferror(file))
                return log_error_errno(EIO, "Failed to read %s: %m", path);
        if (k == -2)
                return log_oom();
        if (k > 0 && (unsigned) k != f.error_line)
                return log_error_errno(EINVAL,
                        "%s:%d: Syntax error, expected a [Section] header, a Key=Value assignment or a comment.", path,
                        k);
        if (k < 0)
                return log_error_errno(EIO, "Failed to parse %s.", path);
        if (f.r < 0)
                return f.r;
        config_finish(c);
        return config_check(c, path);
}

static int read_credential(const char *name, const char *what, char **ret) {
        _cleanup_free_ char *v = NULL;
        int r = credential_read(name, 64 * 1024, &v);
        if (r < 0)
                return log_error_errno(r, "Failed to read the credential %s (%s): %m", name, what);
        if (r == 0)
                return log_error_errno(ENOENT,
                        "The credential %s (%s) is missing: LoadCredential=%s in the unit, or a file in "
                        "/etc/credstore.",
                        name, what, name);
        /* A file written with echo ends in a newline, which is not part of the secret. */
        size_t n = strlen(v);
        while (n > 0 && (v[n - 1] == '\n' || v[n - 1] == '\r'))
                v[--n] = 0;
        if (!header_value_is_safe(v))
                return log_error_errno(EINVAL, "The credential %s (%s) holds control characters.", name, what);
        *ret = TAKE_PTR(v);
        return 0;
}

static int webhook_resolve_headers(WebhookConfig *w) {
        for (char **h = w->headers; h && *h; h++) {
                int r = strv_push(&w->resolved_headers, *h);
                if (r < 0)
                        return log_oom();
        }
        for (char **h = w->header_credentials; h && *h; h++) {
                const char *space = strchr(*h, ' ');
                _cleanup_free_ char *value = NULL, *line = NULL, *what = NULL;
                if (asprintf(&what, "header %.*s of the webhook %s", (int) (space - *h), *h, w->name) < 0)
                        return log_oom();
                int r = read_credential(space + strspn(space, " "), what, &value);
                if (r < 0)
                        return r;
                if (asprintf(&line, "%.*s: %s", (int) (space - *h), *h, value) < 0)
                        return log_oom();
                explicit_bzero(value, strlen(value));
                if (strv_push(&w->resolved_headers, line) < 0)
                        return log_oom();
                explicit_bzero(line, strlen(line));
        }
        return 0;
}

static const char *config_path_default(void) {
        const char *e = getenv("AIOS_COMM_CONFIG");
        if (!isempty(e))
                return e;
        return COMM_CONFIG_FILE_DEFAULT;
}

int comm_config_load(CommConfig *c, const char *path) {
        _cleanup_free_ char *from_directory = NULL;
        if (!path) {
                /* ConfigurationDirectory=aios: the first entry of $CONFIGURATION_DIRECTORY. */
                const char *d = getenv("CONFIGURATION_DIRECTORY");
                if (!getenv("AIOS_COMM_CONFIG") && d && d[0] == '/') {
                        if (asprintf(&from_directory, "%.*s/comm.conf", (int) strcspn(d, ":"), d) < 0)
                                return log_oom();
                        path = from_directory;
                } else
                        path = config_path_default();
        }

        int r = comm_config_parse(c, path);
        if (r < 0)
                return r;
        if (c->password_credential) {
                r = read_credential(c->password_credential, "the SMTP password", &c->password);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < c->n_webhooks; i++) {
                r = webhook_resolve_headers(&c->webhooks[i]);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < c->n_mailboxes; i++) {
                MailboxConfig *m = &c->mailboxes[i];
                if (!m->password_credential)
                        continue;
                _cleanup_free_ char *what = NULL;
                if (asprintf(&what, "the password of the mailbox %s", m->name) < 0)
                        return log_oom();
                r = read_credential(m->password_credential, what, &m->password);
                if (r < 0)
                        return r;
        }
        if (c->smtp_url && strv_length(c->recipients) == 0)
                log_notice("%s: [Recipients] allows nobody: comm_send_email refuses every message.", path);
        return 0;
}
