/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* comm_send_email and the outbox's tools: a message is checked whole (addresses, allow-list, header safety,
 * UTF-8, attachments), each recipient is put to polkit, the attachments that name an IDE workspace's file are
 * fetched from aios-ided (which asks polkit about the principal) and their bytes put in the message, and only
 * then is it written to the outbox and accepted. Their schemas are in schemas/. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "address.h"
#include "base64.h"
#include "comm.h"
#include "log.h"
#include "mcp-content.h"
#include "mcp-request.h"
#include "message.h"
#include "schemas.h"
#include "workspace-file.h"

#define SUBJECT_MAX 998U
#define RECIPIENTS_MAX 100U

static CommContext *context_of(McpRequest *req) {
        return mcp_server_get_userdata(mcp_request_get_server(req));
}

static int reply_structured(McpRequest *req, json_object *structured, const char *format, ...) _printf_(3, 4);
static int reply_structured(McpRequest *req, json_object *structured, const char *format, ...) {
        _cleanup_free_ char *text = NULL;
        va_list ap;
        va_start(ap, format);
        int k = vasprintf(&text, format, ap);
        va_end(ap);
        if (k < 0) {
                json_object_put(structured);
                return -ENOMEM;
        }
        return mcp_request_reply_content(req, JSON_ARRAY(mcp_content_text(text)), structured, false);
}

/* --- checking a message ------------------------------------------------------------------------------ */

typedef struct SendCheck {
        const CommConfig *config;
        char **recipients;     /* each once, in order */
        char *error;           /* why the message is refused, for the caller */
        uint64_t inline_bytes; /* decoded bytes of the inline attachments */
        bool workspace_files;  /* some attachments are files of a workspace */
} SendCheck;

static int check_fail(SendCheck *c, const char *format, ...) _printf_(2, 3);
static int check_fail(SendCheck *c, const char *format, ...) {
        va_list ap;
        va_start(ap, format);
        int k = vasprintf(&c->error, format, ap);
        va_end(ap);
        return k < 0 ? -ENOMEM : -EINVAL;
}

/* Addresses are quoted back in errors: a control character is shown escaped, so the reply stays one line. */
static void printable(const char *s, char *buf, size_t size) {
        size_t o = 0;
        for (const unsigned char *p = (const unsigned char *) s; *p && o + 5 < size; p++)
                o += (*p < 0x20 || *p == 0x7f) ? (size_t) snprintf(buf + o, size - o, "\\x%02x", *p)
                                               : (size_t) snprintf(buf + o, size - o, "%c", *p);
        buf[o] = 0;
}

static int check_address(SendCheck *c, const char *field, const char *a) {
        char shown[ADDRESS_MAX * 4 + 8];
        printable(a, shown, sizeof(shown));
        if (!header_value_is_safe(a))
                return check_fail(c,
                        "The address \"%s\" in %s contains a line break (CR or LF) or another control character, "
                        "which could inject mail headers: nothing was sent.",
                        shown, field);
        if (!address_is_valid(a))
                return check_fail(c,
                        "\"%s\" in %s is not a plain mail address (local@domain, ASCII, without a display "
                        "name): nothing was sent.",
                        shown, field);
        return 0;
}

static int check_recipients(SendCheck *c, json_object *args, const char *field) {
        json_object *list = json_get_array(args, field);
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                const char *a = json_object_get_string(json_object_array_get_idx(list, i));
                int r = check_address(c, field, a);
                if (r < 0)
                        return r;
                if (!allowlist_match(c->config->recipients, a))
                        return check_fail(c,
                                "%s is not on the administrator's allow-list of recipients ([Recipients] in "
                                "comm.conf): nothing was sent.",
                                a);
                if (strv_contains(c->recipients, a))
                        continue;
                if (strv_length(c->recipients) >= RECIPIENTS_MAX)
                        return check_fail(c, "More than %u recipients: nothing was sent.", RECIPIENTS_MAX);
                size_t n = strv_length(c->recipients);
                char **grown = reallocarray(c->recipients, n + 2, sizeof(char *));
                if (!grown)
                        return -ENOMEM;
                c->recipients = grown;
                grown[n + 1] = NULL;
                if (!(grown[n] = strdup(a)))
                        return -ENOMEM;
        }
        return 0;
}

static int check_text(SendCheck *c, json_object *args, const char *field, bool header) {
        json_object *v;
        if (!json_object_object_get_ex(args, field, &v) || !v)
                return 0;
        const char *s = json_object_get_string(v);
        size_t n = json_object_get_string_len(v);
        /* json-c keeps "\u0000" and makes lone surrogates ("\ud800") into bytes that are not UTF-8. */
        if (!utf8_is_valid(s, n))
                return check_fail(c, "The %s is not valid UTF-8 (or holds a NUL): nothing was sent.", field);
        if (header && !header_value_is_safe(s))
                return check_fail(c,
                        "The %s contains a line break (CR or LF) or another control character, which could inject "
                        "mail headers: nothing was sent.",
                        field);
        return 0;
}

static bool content_type_is_valid(const char *s) {
        static const char token[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&-^_.+";
        size_t a = strspn(s, token);
        return a > 0 && s[a] == '/' && strspn(s + a + 1, token) > 0 && !s[a + 1 + strspn(s + a + 1, token)];
}

/* A workspace file's attachment name: its filename, or the last component of its path. */
static const char *attachment_name(json_object *a) {
        const char *name = json_get_string(a, "filename"), *path = json_get_string(a, "path");
        if (name || !path)
                return name;
        const char *slash = strrchr(path, '/');
        return slash ? slash + 1 : path;
}

static int check_attachments(SendCheck *c, json_object *args) {
        json_object *list = json_get_array(args, "attachments");
        uint64_t total = 0;
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                json_object *a = json_object_array_get_idx(list, i);
                const char *name = attachment_name(a), *type = json_get_string(a, "content_type");
                json_object *data;
                bool from_workspace = json_get_string(a, "workspace") && json_get_string(a, "path");
                if (from_workspace && json_object_object_get_ex(a, "data", NULL))
                        return check_fail(c, "Attachment %zu has both data and a workspace file: give one.", i + 1);
                if (!from_workspace &&
                        (!json_object_object_get_ex(a, "data", &data) || !json_object_is_type(data, json_type_string)))
                        return check_fail(c, "Attachment %zu has no data (nor a workspace and path).", i + 1);
                if (!name || !filename_is_valid(name))
                        return check_fail(c,
                                "Attachment %zu's file name is not 1 to 255 bytes of UTF-8 without control "
                                "characters, quotes, backslashes or slashes: nothing was sent.",
                                i + 1);
                if (type && !content_type_is_valid(type))
                        return check_fail(c,
                                "Attachment %s's content_type is not a media type such as application/pdf: "
                                "nothing was sent.",
                                name);
                if (from_workspace) {
                        /* Its size is known once aios-ided opened it (send_attach_next()). */
                        c->workspace_files = true;
                        continue;
                }
                const char *text = json_object_get_string(data);
                size_t n = json_object_get_string_len(data);
                _cleanup_free_ uint8_t *bytes = NULL;
                size_t size;
                /* Measured before decoding, so that an oversized one costs nothing. */
                if (n % 4 == 0 && (total += comm_base64_decoded_size(text, n)) > c->config->max_attachments_size)
                        return check_fail(c,
                                "The attachments come to more than the %llu bytes a message may carry "
                                "(MaxAttachmentsSize= in comm.conf): nothing was sent.",
                                (unsigned long long) c->config->max_attachments_size);
                int r = comm_base64_decode(text, n, &bytes, &size);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return check_fail(c,
                                "Attachment %s's data is not standard base64 (RFC 4648, padded): "
                                "nothing was sent.",
                                name);
        }
        c->inline_bytes = total;
        return 0;
}

static int check_message(SendCheck *c, json_object *args) {
        const CommConfig *config = c->config;
        if (!config->smtp_url)
                return check_fail(c,
                        "aios-commd has no SMTP server configured ([SMTP] URL= in comm.conf): no mail "
                        "can be sent.");
        if (strv_length(config->recipients) == 0)
                return check_fail(c,
                        "No recipient is allowed: the administrator's allow-list ([Recipients] Allow= in "
                        "comm.conf) is empty, so no mail is sent.");
        static const char *const fields[] = { "to", "cc", "bcc" };
        FOREACH_ELEMENT(f, fields) {
                int r = check_recipients(c, args, *f);
                if (r < 0)
                        return r;
        }
        static const char *const texts[] = { "subject", "text", "html", "in_reply_to" };
        FOREACH_ELEMENT(f, texts) {
                int r = check_text(c, args, *f, streq(*f, "subject") || streq(*f, "in_reply_to"));
                if (r < 0)
                        return r;
        }
        const char *reply_to = json_get_string(args, "reply_to");
        if (reply_to) {
                int r = check_address(c, "reply_to", reply_to);
                if (r < 0)
                        return r;
        }
        const char *in_reply_to = json_get_string(args, "in_reply_to");
        if (in_reply_to &&
                !(in_reply_to[0] == '<' && in_reply_to[strlen(in_reply_to) - 1] == '>' && !strpbrk(in_reply_to, " \t")))
                return check_fail(c, "in_reply_to must be one Message-ID in angle brackets, such as <id@host>.");
        return check_attachments(c, args);
}

/* --- the message as it is kept ---------------------------------------------------------------------- */

static int copy_member(json_object *to, json_object *from, const char *key) {
        json_object *v;
        if (!json_object_object_get_ex(from, key, &v) || !v)
                return 0;
        return json_add(to, key, json_object_get(v));
}

static json_object *message_new(const CommConfig *config, const char *id, json_object *args) {
        char date[64], message_id[OUTBOX_ID_LENGTH + ADDRESS_MAX + 8];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        /* RFC 5322 in the C locale's names. */
        static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
        static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                "Nov", "Dec" };
        snprintf(date, sizeof(date), "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
                months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
        snprintf(message_id, sizeof(message_id), "<%s%s>", id, strrchr(config->from, '@'));

        _cleanup_json_ json_object *m = json_object_new_object();
        if (!m || json_add_string(m, "id", id) < 0 || json_add_string(m, "from", config->from) < 0 ||
                json_add_string(m, "date", date) < 0 || json_add_string(m, "message_id", message_id) < 0)
                return NULL;
        static const char *const keys[] = { "to", "cc", "bcc", "subject", "text", "html", "reply_to", "in_reply_to",
                "attachments" };
        FOREACH_ELEMENT(k, keys)
        if (copy_member(m, args, *k) < 0)
                return NULL;
        return TAKE_PTR(m);
}

static json_object *summary_new(json_object *args) {
        _cleanup_json_ json_object *s = json_object_new_object();
        if (!s)
                return NULL;
        static const char *const keys[] = { "to", "cc", "bcc", "subject" };
        FOREACH_ELEMENT(k, keys)
        if (copy_member(s, args, *k) < 0)
                return NULL;
        json_object *attachments = json_get_array(args, "attachments");
        if (json_add(s, "attachments", json_object_new_int64(attachments ? json_object_array_length(attachments) : 0)) <
                0)
                return NULL;
        return TAKE_PTR(s);
}

/* --- comm_send_email ------------------------------------------------------------------------------------- */

typedef struct SendRequest {
        json_object *args; /* a copy of its own when workspace files are put in it */
        char **recipients;
        size_t next;            /* the recipient polkit is asked about next */
        size_t next_attachment; /* the attachment looked at next for a workspace file */
        uint64_t room;          /* what MaxAttachmentsSize= leaves for workspace files */
} SendRequest;

static SendRequest *send_request_free(SendRequest *s) {
        if (!s)
                return NULL;
        json_object_put(s->args);
        strv_free(s->recipients);
        free(s);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(SendRequest *, send_request_free);

static int send_accept(McpRequest *req, SendRequest *s) {
        CommContext *ctx = context_of(req);
        char id[OUTBOX_ID_LENGTH + 1];
        outbox_new_id(id);
        _cleanup_json_ json_object *message = message_new(&ctx->config, id, s->args);
        _cleanup_json_ json_object *summary = summary_new(s->args);
        if (!message || !summary)
                return -ENOMEM;

        /* Finished messages past KeepSec= make room as new ones come. */
        (void) outbox_prune(ctx->outbox, ctx->config.keep_usec);
        OutboxEntry *e;
        int r = outbox_add(ctx->outbox, id, message, summary, mcp_request_get_principal(req), &e);
        if (r < 0)
                return mcp_request_reply_tool_error(req,
                        "The message could not be stored in the outbox (%s): nothing was sent.", strerror(-r));
        log_info("Message %s accepted for %zu recipients from %s.", id, strv_length(s->recipients),
                strempty(mcp_request_get_principal(req)));
        delivery_kick(ctx->delivery);

        _cleanup_json_ json_object *structured = outbox_entry_to_json(e);
        if (!structured)
                return -ENOMEM;
        return reply_structured(req, TAKE_PTR(structured),
                "Message %s is in the outbox (written to disk) and will be delivered to %zu recipient%s; "
                "comm_outbox shows its state.",
                id, strv_length(s->recipients), strv_length(s->recipients) == 1 ? "" : "s");
}

static void send_next(McpRequest *req, SendRequest *s);
static void send_attach_next(McpRequest *req, SendRequest *s);

/* The attachment becomes an inline one with the file's bytes, so that the outbox keeps what was accepted. */
static int attachment_inline(json_object *list, size_t i, json_object *a, const uint8_t *bytes, size_t size) {
        _cleanup_free_ char *data = base64_encode(bytes, size);
        _cleanup_json_ json_object *o = json_object_new_object();
        const char *type = json_get_string(a, "content_type");
        if (!data || !o || json_add_string(o, "filename", attachment_name(a)) < 0 ||
                (type && json_add_string(o, "content_type", type) < 0) || json_add_string(o, "data", data) < 0)
                return -ENOMEM;
        return json_object_array_put_idx(list, i, TAKE_PTR(o)) < 0 ? -ENOMEM : 0;
}

static void on_attachment_file(McpRequest *req, WorkspaceFile *f, void *userdata) {
        _cleanup_(send_request_freep) SendRequest *s = userdata;
        if (mcp_request_is_done(req))
                return;
        json_object *list = json_get_array(s->args, "attachments");
        size_t i = s->next_attachment;
        json_object *a = json_object_array_get_idx(list, i);
        if (f->fd == -EFBIG) {
                (void) mcp_request_reply_tool_error(req,
                        "Attachment %zu (%s/%s) would bring the attachments to more than the %llu bytes a message may "
                        "carry (MaxAttachmentsSize= in comm.conf): nothing was sent.",
                        i + 1, json_get_string(a, "workspace"), json_get_string(a, "path"),
                        (unsigned long long) context_of(req)->config.max_attachments_size);
                return;
        }
        if (f->fd < 0) {
                (void) mcp_request_reply_tool_error(req, "Attachment %zu: %s Nothing was sent.", i + 1, f->error);
                return;
        }
        _cleanup_free_ char *bytes = NULL;
        size_t size = 0;
        int r = workspace_file_read_all(f->fd, f->size, &bytes, &size);
        if (r >= 0)
                r = attachment_inline(list, i, a, (const uint8_t *) bytes, size);
        if (r < 0) {
                (void) mcp_request_reply_tool_error(req, "Attachment %zu could not be read: %s. Nothing was sent.",
                        i + 1, strerror(-r));
                return;
        }
        s->room -= size;
        s->next_attachment++;
        send_attach_next(req, TAKE_PTR(s));
}

/* Takes s: fetches the next workspace file, or accepts the message when there is none left. */
static void send_attach_next(McpRequest *req, SendRequest *s) {
        json_object *list = json_get_array(s->args, "attachments");
        for (; list && s->next_attachment < json_object_array_length(list); s->next_attachment++) {
                json_object *a = json_object_array_get_idx(list, s->next_attachment);
                if (!json_get_string(a, "workspace"))
                        continue;
                int r = workspace_file_open(req, json_get_string(a, "workspace"), json_get_string(a, "path"), s->room,
                        on_attachment_file, s);
                if (r < 0) {
                        (void) mcp_request_reply_tool_error(req,
                                "Attachment %zu could not be asked for: %s. Nothing was sent.", s->next_attachment + 1,
                                strerror(-r));
                        send_request_free(s);
                }
                return;
        }
        int r = send_accept(req, s);
        if (r < 0)
                (void) mcp_request_reply_error(req, -32603, "comm_send_email failed: %s", strerror(-r));
        send_request_free(s);
}

static void on_recipient_authorized(McpRequest *req, int allowed, void *userdata) {
        _cleanup_(send_request_freep) SendRequest *s = userdata;
        if (mcp_request_is_done(req))
                return;
        const char *recipient = s->recipients[s->next];
        if (allowed < 0) {
                (void) mcp_request_reply_error(req, -32603, "Could not check authorization for %s: %s",
                        COMM_ACTION_SEND, strerror(-allowed));
                return;
        }
        if (allowed == 0) {
                _cleanup_json_ json_object *data = json_object_new_object();
                if (data) {
                        (void) json_add_string(data, "action", COMM_ACTION_SEND);
                        (void) json_add_string(data, "recipient", recipient);
                }
                _cleanup_free_ char *text = NULL;
                if (asprintf(&text, "Access denied: %s this caller to send mail to %s.", mcp_request_denied_by(req),
                            recipient) < 0)
                        text = NULL;
                (void) mcp_request_reply_error_data(req, -32003, text ?: "Access denied.", TAKE_PTR(data));
                return;
        }
        s->next++;
        send_next(req, TAKE_PTR(s));
}

/* Takes s. */
static void send_next(McpRequest *req, SendRequest *s) {
        if (!s->recipients[s->next]) {
                send_attach_next(req, s);
                return;
        }
        const char *const details[] = { "recipient", s->recipients[s->next], NULL };
        int r = mcp_request_authorize(req, COMM_ACTION_SEND, details, on_recipient_authorized, s);
        if (r < 0) {
                send_request_free(s);
                (void) mcp_request_reply_error(req, -32603, "Could not check authorization: %s", strerror(-r));
        }
}

static int tool_send_email(McpRequest *req, json_object *args) {
        CommContext *ctx = context_of(req);
        SendCheck check = { .config = &ctx->config };
        int r = check_message(&check, args);
        _cleanup_free_ char *error = check.error;
        _cleanup_strv_free_ char **recipients = check.recipients;
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return mcp_request_reply_tool_error(req, "%s", error);
        if (outbox_n_pending(ctx->outbox) >= ctx->config.max_messages)
                return mcp_request_reply_tool_error(req,
                        "The outbox holds %u messages waiting to be delivered, its limit (MaxMessages= in "
                        "comm.conf): nothing was sent. comm_outbox shows them.",
                        ctx->config.max_messages);

        SendRequest *s = new0(SendRequest, 1);
        if (!s)
                return -ENOMEM;
        /* Workspace files are put into a copy: the request's own arguments stay as the client sent them. */
        if (!check.workspace_files)
                s->args = json_object_get(args);
        else if (json_object_deep_copy(args, &s->args, NULL) < 0) {
                free(s);
                return -ENOMEM;
        }
        s->recipients = TAKE_PTR(recipients);
        s->room = ctx->config.max_attachments_size - check.inline_bytes;
        send_next(req, s);
        return 0;
}

/* --- the outbox ------------------------------------------------------------------------------------------ */

static int compare_newest_first(const void *a, const void *b) {
        const OutboxEntry *x = *(OutboxEntry *const *) a, *y = *(OutboxEntry *const *) b;
        return x->created_usec < y->created_usec ? 1 : x->created_usec > y->created_usec ? -1 : strcmp(x->id, y->id);
}

static int tool_outbox(McpRequest *req, json_object *args) {
        CommContext *ctx = context_of(req);
        const char *state = json_get_string(args, "state");
        json_object *limit_value;
        int64_t limit =
                json_object_object_get_ex(args, "limit", &limit_value) ? json_object_get_int64(limit_value) : 50;

        size_t n = 0;
        LIST_FOREACH(e, outbox_entries(ctx->outbox))
        n++;
        _cleanup_free_ OutboxEntry **all = new0(OutboxEntry *, n + 1);
        if (!all)
                return -ENOMEM;
        n = 0;
        LIST_FOREACH(e, outbox_entries(ctx->outbox))
        if (!state || streq(outbox_state_to_string(e->state), state))
                all[n++] = e;
        qsort(all, n, sizeof(OutboxEntry *), compare_newest_first);

        _cleanup_json_ json_object *list = json_object_new_array(), *structured = json_object_new_object();
        if (!list || !structured)
                return -ENOMEM;
        for (size_t i = 0; i < n && (int64_t) i < limit; i++)
                if (json_object_array_add(list, outbox_entry_to_json(all[i])) < 0)
                        return -ENOMEM;
        size_t pending = outbox_n_pending(ctx->outbox);
        if (json_add(structured, "messages", TAKE_PTR(list)) < 0 ||
                json_add(structured, "pending", json_object_new_int64(pending)) < 0 ||
                json_add(structured, "total", json_object_new_int64(n)) < 0)
                return -ENOMEM;
        const char *text = json_to_string(structured);
        return mcp_request_reply_content(req, JSON_ARRAY(mcp_content_text(text)), TAKE_PTR(structured), false);
}

static OutboxEntry *entry_of(McpRequest *req, json_object *args) {
        const char *id = json_get_string(args, "id");
        OutboxEntry *e = outbox_find(context_of(req)->outbox, strempty(id));
        if (!e)
                (void) mcp_request_reply_tool_error(req, "The outbox has no message %s; comm_outbox lists them.",
                        strempty(id));
        return e;
}

static int reply_entry(McpRequest *req, OutboxEntry *e, const char *text) {
        json_object *structured = outbox_entry_to_json(e);
        if (!structured)
                return -ENOMEM;
        return reply_structured(req, structured, "Message %s: %s", e->id, text);
}

static int tool_outbox_retry(McpRequest *req, json_object *args) {
        CommContext *ctx = context_of(req);
        OutboxEntry *e = entry_of(req, args);
        if (!e)
                return 0;
        if (e == delivery_current(ctx->delivery) || e->state == OUTBOX_SENDING)
                return mcp_request_reply_tool_error(req, "Message %s is being handed to the SMTP server now.", e->id);
        if (e->state == OUTBOX_SENT)
                return mcp_request_reply_tool_error(req, "Message %s was delivered already: %s", e->id,
                        strempty(e->smtp_reply));
        uint64_t now = (uint64_t) time(NULL) * USEC_PER_SEC;
        e->next_attempt_usec = now;
        if (e->state != OUTBOX_QUEUED)
                e->queued_usec = now;
        int r = outbox_set_state(ctx->outbox, e, OUTBOX_QUEUED, e->last_error, e->smtp_reply);
        if (r < 0)
                return mcp_request_reply_tool_error(req, "The outbox could not be written: %s", strerror(-r));
        delivery_kick(ctx->delivery);
        return reply_entry(req, e, "queued for delivery now.");
}

static int tool_outbox_cancel(McpRequest *req, json_object *args) {
        CommContext *ctx = context_of(req);
        OutboxEntry *e = entry_of(req, args);
        if (!e)
                return 0;
        if (e == delivery_current(ctx->delivery) || e->state == OUTBOX_SENDING)
                return mcp_request_reply_tool_error(req,
                        "Message %s is being handed to the SMTP server now and cannot be cancelled; comm_outbox "
                        "shows how that ends.",
                        e->id);
        if (e->state != OUTBOX_QUEUED)
                return mcp_request_reply_tool_error(req,
                        "Message %s is %s already: only a queued message can be "
                        "cancelled.",
                        e->id, outbox_state_to_string(e->state));
        int r = outbox_set_state(ctx->outbox, e, OUTBOX_CANCELLED, NULL, e->smtp_reply);
        if (r < 0)
                return mcp_request_reply_tool_error(req, "The outbox could not be written: %s", strerror(-r));
        delivery_kick(ctx->delivery);
        return reply_entry(req, e, "cancelled; it will not be sent.");
}

/* --- the table ----------------------------------------------------------------------------------------- */

const McpTool comm_email_tools[] = {
        {
                .name = "comm_send_email",
                .title = "Send an email",
                .description =
                        "Sends an email through the administrator's SMTP server. Every recipient (to, cc, bcc) must "
                        "be on the administrator's allow-list, or nothing is sent; an empty list sends nothing. "
                        "Plain addresses only (local@domain). Text, optional HTML, attachments inline (base64) or "
                        "from an IDE workspace ({workspace, path}: the caller must be allowed to read the file), "
                        "within the configured size. The message is stored durably in the outbox before this "
                        "answers, then delivered and retried while the server is unreachable or defers it; "
                        "comm_outbox shows its state (queued, sending, sent, failed, unknown, cancelled).",
                .input_schema = comm_schema_comm_send_email_input,
                .output_schema = comm_schema_outbox_entry_output,
                .annotations = "{\"readOnlyHint\":false,\"destructiveHint\":false,\"idempotentHint\":false,"
                               "\"openWorldHint\":true}",
                /* polkit: org.aios.comm.send, asked by the handler once per recipient (detail "recipient"). */
                .polkit_required = true,
                .handler = tool_send_email,
        },
        {
                .name = "comm_outbox",
                .title = "List the outbox",
                .description = "The messages comm_send_email accepted, newest first, with their state: queued "
                               "(waiting for its next attempt), sending, sent, failed (refused for good, with the "
                               "server's answer), unknown (the connection ended after the data was sent: it may "
                               "have arrived, and is never sent again by itself) or cancelled.",
                .input_schema = comm_schema_comm_outbox_input,
                .output_schema = comm_schema_comm_outbox_output,
                .annotations = "{\"readOnlyHint\":true,\"idempotentHint\":true,\"openWorldHint\":false}",
                .polkit_action = COMM_ACTION_READ,
                .polkit_required = true,
                .handler = tool_outbox,
        },
        {
                .name = "comm_outbox_retry",
                .title = "Retry a message in the outbox",
                .description = "Queues a message for delivery now: a queued one at once, a failed, cancelled or "
                               "unknown one again (for an unknown one, its recipients may receive it twice). The "
                               "allow-list is checked again when it is sent.",
                .input_schema = comm_schema_outbox_id_input,
                .output_schema = comm_schema_outbox_entry_output,
                .annotations = "{\"readOnlyHint\":false,\"destructiveHint\":false,\"idempotentHint\":false,"
                               "\"openWorldHint\":true}",
                .polkit_action = COMM_ACTION_SEND,
                .polkit_detail_argument = "id",
                .polkit_required = true,
                .handler = tool_outbox_retry,
        },
        {
                .name = "comm_outbox_cancel",
                .title = "Cancel a queued message",
                .description = "Cancels a message that is still queued; one being handed to the SMTP server, or "
                               "already finished, cannot be.",
                .input_schema = comm_schema_outbox_id_input,
                .output_schema = comm_schema_outbox_entry_output,
                .annotations = "{\"readOnlyHint\":false,\"destructiveHint\":true,\"idempotentHint\":true,"
                               "\"openWorldHint\":false}",
                .polkit_action = COMM_ACTION_SEND,
                .polkit_detail_argument = "id",
                .polkit_required = true,
                .handler = tool_outbox_cancel,
        },
        {}
};
