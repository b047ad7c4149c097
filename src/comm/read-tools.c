/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* comm_list_emails and comm_read_email: mail read over IMAP from the mailboxes the administrator configured
 * ([Mailbox NAME] in comm.conf), never marked as seen (BODY.PEEK). A list is a UID SEARCH, then a UID FETCH of
 * the page's headers; a message is read in UID FETCHes of 256 KiB pieces up to MaxMessageSize= bytes, then
 * parsed by mime.c. Their schemas are in schemas/. */
#include <stdio.h>
#include <strings.h>
#include <time.h>

#include "address.h"
#include "base64.h"
#include "comm.h"
#include "imap.h"
#include "log.h"
#include "mcp-content.h"
#include "mcp-request.h"
#include "mime.h"
#include "schemas.h"

static void *memdup(const void *p, size_t n) {
        void *q = malloc(n);
        return q ? memcpy(q, p, n) : NULL;
}

#define LIST_HEADERS "FROM TO CC SUBJECT DATE MESSAGE-ID"
#define LIST_RESPONSE_MAX (8U * 1024U * 1024U)
#define SEARCH_RESPONSE_MAX (16U * 1024U * 1024U)
#define SEARCH_TERM_MAX 200U
#define TEXT_MAX (512U * 1024U)
#define READ_CHUNK (256U * 1024U)
#define LIST_BATCH 25U

struct MailRead {
        LIST_FIELDS(MailRead);
        CommContext *ctx;
        McpRequest *req;
        const MailboxConfig *mailbox;
        char *folder;
        ImapCommand *command;
        /* comm_list_emails */
        uint32_t *page;
        size_t n_page;
        char *search_keys;   /* " CHARSET UTF-8 FROM ..." */
        json_object *listed; /* the page's messages so far */
        char *list_text;
        size_t batch;       /* where in the page the headers' FETCH in flight starts */
        bool search_return; /* asked with RETURN (ALL), RFC 4731 */
        size_t total, offset;
        /* comm_read_email */
        uint32_t uid;
        json_object *download; /* the attachments' indexes asked for, or NULL */
        Buffer message;        /* as much of it as was read */
        uint64_t size;         /* RFC822.SIZE */
        char **flags;
};

static MailRead *mail_read_free(MailRead *m) {
        if (!m)
                return NULL;
        LIST_REMOVE(m->ctx->mail_reads, m);
        imap_command_free(m->command);
        free(m->folder);
        free(m->page);
        free(m->search_keys);
        json_object_put(m->listed);
        free(m->list_text);
        json_object_put(m->download);
        buffer_done(&m->message);
        strv_free(m->flags);
        mcp_request_unref(m->req);
        free(m);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(MailRead *, mail_read_free);

int mail_init(CommContext *c, sd_event *event) {
        return imap_event_new(event, &c->imap_curl);
}

void mail_done(CommContext *c) {
        while (c->mail_reads)
                mail_read_free(c->mail_reads);
        c->imap_curl = curl_event_free(c->imap_curl);
}

static void on_cancel(McpRequest *req, void *userdata) {
        mail_read_free(userdata);
}

static void reply_failed(MailRead *m, int r) {
        (void) mcp_request_reply_error(m->req, -32603, "%s failed: %s", mcp_request_get_tool_name(m->req),
                strerror(-r));
}

/* The mailbox an argument names, or an answer that lists the configured ones. */
static const MailboxConfig *mailbox_of(McpRequest *req, json_object *args, int *ret_r) {
        CommContext *ctx = mcp_server_get_userdata(mcp_request_get_server(req));
        const char *name = json_get_string(args, "mailbox");
        const MailboxConfig *m = comm_config_find_mailbox(&ctx->config, strempty(name));
        *ret_r = 0;
        if (m)
                return m;
        _cleanup_free_ char *known = strdup("");
        for (size_t i = 0; known && i < ctx->config.n_mailboxes; i++) {
                char *grown;
                if (asprintf(&grown, "%s%s%s", known, i ? ", " : "", ctx->config.mailboxes[i].name) < 0) {
                        *ret_r = -ENOMEM;
                        return NULL;
                }
                free(known);
                known = grown;
        }
        if (!known) {
                *ret_r = -ENOMEM;
                return NULL;
        }
        *ret_r = mcp_request_reply_tool_error(req, "There is no mailbox named %s. The administrator configured %s.",
                strempty(name), isempty(known) ? "none ([Mailbox NAME] in comm.conf)" : known);
        return NULL;
}

static int mail_read_new(McpRequest *req, const MailboxConfig *mailbox, json_object *args, MailRead **ret) {
        CommContext *ctx = mcp_server_get_userdata(mcp_request_get_server(req));
        const char *folder = json_get_string(args, "folder") ?: "INBOX";
        if (!imap_folder_is_valid(folder))
                return mcp_request_reply_tool_error(req,
                        "The folder name is not 1 to %u bytes of UTF-8 without control characters or the wildcards * "
                        "and %%.",
                        IMAP_FOLDER_MAX);
        MailRead *m = new0(MailRead, 1);
        if (!m)
                return -ENOMEM;
        m->ctx = ctx;
        LIST_PREPEND(ctx->mail_reads, m);
        m->req = mcp_request_ref(req);
        m->mailbox = mailbox;
        if (!(m->folder = strdup(folder))) {
                mail_read_free(m);
                return -ENOMEM;
        }
        *ret = m;
        return 1;
}

static int mail_read_start(MailRead *m, const char *command, size_t max, ImapDone done) {
        return imap_command_start(m->ctx->imap_curl, m->mailbox, m->folder, command, max, done, m, &m->command);
}

/* --- comm_list_emails ------------------------------------------------------------------------------------ */

static int append_text(char **s, const char *format, ...) _printf_(2, 3);
static int append_text(char **s, const char *format, ...) {
        _cleanup_free_ char *piece = NULL;
        va_list ap;
        va_start(ap, format);
        int k = vasprintf(&piece, format, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        char *joined;
        if (asprintf(&joined, "%s%s", strempty(*s), piece) < 0)
                return -ENOMEM;
        free(*s);
        *s = joined;
        return 0;
}

/* The search's criteria as IMAP search keys (RFC 3501 §6.4.4); a sentence in *ret_error when one cannot be. */
static int search_keys(json_object *search, char **ret, const char **ret_error) {
        _cleanup_free_ char *keys = strdup("");
        bool utf8 = false;
        if (!keys)
                return -ENOMEM;
        static const struct {
                const char *field, *key;
        } strings[] = {
                { "from", "FROM" },
                { "to", "TO" },
                { "subject", "SUBJECT" },
                { "text", "TEXT" },
        };
        FOREACH_ELEMENT(s, strings) {
                const char *v = json_get_string(search, s->field);
                if (!v)
                        continue;
                if (!header_value_is_safe(v) || !utf8_is_valid(v, strlen(v)) || strlen(v) > SEARCH_TERM_MAX) {
                        *ret_error = "A search term holds a line break or another control character, is not "
                                     "valid UTF-8, or is longer than 200 bytes.";
                        return -EINVAL;
                }
                for (const char *p = v; *p; p++)
                        utf8 = utf8 || (unsigned char) *p >= 0x80;
                _cleanup_free_ char *quoted = imap_quote(v);
                if (!quoted || append_text(&keys, " %s %s", s->key, quoted) < 0)
                        return -ENOMEM;
        }
        static const struct { const char *field, *key; } dates[] = { { "since", "SINCE" }, { "before", "BEFORE" } };
        FOREACH_ELEMENT(d, dates) {
                const char *v = json_get_string(search, d->field);
                if (!v)
                        continue;
                struct tm tm = {};
                const char *end = strptime(v, "%Y-%m-%d", &tm);
                if (!end || *end) {
                        *ret_error = "since and before are dates such as 2026-11-30.";
                        return -EINVAL;
                }
                static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
                        "Oct", "Nov", "Dec" };
                if (append_text(&keys, " %s %d-%s-%04d", d->key, tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900) < 0)
                        return -ENOMEM;
        }
        if (json_get_bool(search, "unseen", false) && append_text(&keys, " UNSEEN") < 0)
                return -ENOMEM;
        if (json_get_bool(search, "flagged", false) && append_text(&keys, " FLAGGED") < 0)
                return -ENOMEM;
        if (isempty(keys) && append_text(&keys, " ALL") < 0)
                return -ENOMEM;
        /* Non-ASCII terms: the charset they are in, which every server must know (RFC 3501 §6.4.4). */
        if (asprintf(ret, "%s%s", utf8 ? " CHARSET UTF-8" : "", keys) < 0)
                return -ENOMEM;
        return 0;
}

static json_object *flags_to_json(char **flags) {
        json_object *a = json_object_new_array();
        for (char **f = flags; a && f && *f; f++)
                if (json_object_array_add(a, json_object_new_string(*f)) < 0) {
                        json_object_put(a);
                        return NULL;
                }
        return a;
}

static bool has_flag(char **flags, const char *flag) {
        for (char **f = flags; f && *f; f++)
                if (strcasecmp(*f, flag) == 0)
                        return true;
        return false;
}

static int add_header_fields(json_object *o, const MimeMessage *h) {
        const struct {
                const char *key, *value;
        } fields[] = {
                { "from", h->from },
                { "to", h->to },
                { "cc", h->cc },
                { "reply_to", h->reply_to },
                { "subject", h->subject },
                { "date", h->date },
                { "message_id", h->message_id },
                { "in_reply_to", h->in_reply_to },
        };
        FOREACH_ELEMENT(f, fields)
        if (f->value && json_add_string(o, f->key, f->value) < 0)
                return -ENOMEM;
        return 0;
}

/* The messages of the page from index from to to, in the page's order (newest first) whatever order the
 * server answered in, added to the list and its text. */
static int list_add(MailRead *m, const ImapFetch *fetches, size_t n, size_t from, size_t to) {
        for (size_t i = from; i < to; i++) {
                const ImapFetch *f = NULL;
                for (size_t j = 0; j < n && !f; j++)
                        if (fetches[j].uid == m->page[i])
                                f = &fetches[j];
                if (!f)
                        continue; /* expunged meanwhile */
                _cleanup_(mime_message_done) MimeMessage h = {};
                if (mime_headers_parse(f->has_body ? f->body : "", f->has_body ? f->body_size : 0, &h) < 0)
                        return -ENOMEM;
                _cleanup_json_ json_object *o = json_object_new_object();
                if (!o || json_add(o, "uid", json_object_new_int64(f->uid)) < 0 || add_header_fields(o, &h) < 0 ||
                        json_add(o, "size", json_object_new_int64((int64_t) f->size)) < 0 ||
                        json_add(o, "flags", flags_to_json(f->flags)) < 0 ||
                        json_add(o, "seen", json_object_new_boolean(has_flag(f->flags, "\\Seen"))) < 0)
                        return -ENOMEM;
                if (append_text(&m->list_text, "UID %u | %s | %s | %s%s\n", f->uid, strempty(h.date), strempty(h.from),
                            strempty(h.subject), has_flag(f->flags, "\\Seen") ? "" : " (unseen)") < 0)
                        return -ENOMEM;
                if (json_object_array_add(m->listed, TAKE_PTR(o)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int list_reply(MailRead *m) {
        _cleanup_json_ json_object *structured = json_object_new_object();
        _cleanup_free_ char *text = NULL;
        if (!structured || (!m->listed && !(m->listed = json_object_new_array())))
                return -ENOMEM;
        if (append_text(&text, "%zu message%s in %s of the mailbox %s", m->total, m->total == 1 ? "" : "s", m->folder,
                    m->mailbox->name) < 0)
                return -ENOMEM;
        if (m->n_page > 0 &&
                append_text(&text, ", %zu to %zu (newest first):\n%s", m->offset + 1, m->offset + m->n_page,
                        strempty(m->list_text)) < 0)
                return -ENOMEM;
        if (json_add_string(structured, "mailbox", m->mailbox->name) < 0 ||
                json_add_string(structured, "folder", m->folder) < 0 ||
                json_add(structured, "total", json_object_new_int64((int64_t) m->total)) < 0 ||
                json_add(structured, "offset", json_object_new_int64((int64_t) m->offset)) < 0 ||
                json_add(structured, "messages", json_object_get(m->listed)) < 0)
                return -ENOMEM;
        return mcp_request_reply_content(m->req, JSON_ARRAY(mcp_content_text(text)), TAKE_PTR(structured), false);
}

static int fetch_headers(MailRead *m);

static void on_fetch_headers(ImapCommand *c, int r, const char *error, const Buffer *response, void *userdata) {
        _cleanup_(mail_read_freep) MailRead *m = userdata;
        m->command = NULL;
        if (r < 0) {
                (void) mcp_request_reply_tool_error(m->req, "%s", error);
                return;
        }
        ImapFetch *fetches = NULL;
        size_t n = 0;
        r = imap_parse_fetch(response->data, response->size, &fetches, &n);
        if (r == -EBADMSG) {
                (void) mcp_request_reply_tool_error(m->req,
                        "The IMAP server of the mailbox %s answered the headers' FETCH with something that is not "
                        "IMAP.",
                        m->mailbox->name);
                return;
        }
        size_t to = MIN(m->batch + LIST_BATCH, m->n_page);
        if (r >= 0)
                r = list_add(m, fetches, n, m->batch, to);
        imap_fetch_free_many(fetches, n);
        if (r >= 0 && to < m->n_page) {
                /* The next batch: m lives on with its command. */
                m->batch = to;
                r = fetch_headers(m);
                if (r >= 0)
                        TAKE_PTR(m);
        } else if (r >= 0)
                r = list_reply(m);
        if (r < 0 && m)
                reply_failed(m, r);
}

/* The headers of the page's next LIST_BATCH messages: in batches, since libcurl takes at most 300 KiB of an
 * answer, which a hundred messages with long recipient lists could pass. */
static int fetch_headers(MailRead *m) {
        _cleanup_free_ char *set = NULL, *command = NULL;
        if (!m->listed && !(m->listed = json_object_new_array()))
                return -ENOMEM;
        for (size_t i = m->batch; i < MIN(m->batch + LIST_BATCH, m->n_page); i++)
                if (append_text(&set, "%s%u", i > m->batch ? "," : "", m->page[i]) < 0)
                        return -ENOMEM;
        if (asprintf(&command, "UID FETCH %s (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (" LIST_HEADERS ")])",
                    set) < 0)
                return -ENOMEM;
        return mail_read_start(m, command, LIST_RESPONSE_MAX, on_fetch_headers);
}

static int compare_uid_descending(const void *a, const void *b) {
        uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
        return x < y ? 1 : x > y ? -1 : 0;
}

static int search_command(const char *keys, bool esearch, char **ret) {
        /* With ESEARCH the UIDs come as ranges (1:500,502): a folder of many messages fits the 300 KiB that curl
         * takes of an answer. */
        return asprintf(ret, "UID SEARCH%s%s", esearch ? " RETURN (ALL)" : "", keys) < 0 ? -ENOMEM : 0;
}

static void on_search(ImapCommand *c, int r, const char *error, const Buffer *response, void *userdata) {
        MailRead *m = userdata;
        m->command = NULL;
        uint32_t *uids = NULL;
        size_t n = 0;
        if (r == -EOPNOTSUPP && m->search_return) {
                /* A server without ESEARCH (RFC 4731): the plain SEARCH, whose answer lists every UID. */
                m->search_return = false;
                _cleanup_free_ char *command = NULL;
                r = search_command(m->search_keys, false, &command);
                if (r >= 0)
                        r = mail_read_start(m, command, SEARCH_RESPONSE_MAX, on_search);
                if (r < 0) {
                        reply_failed(m, r);
                        mail_read_free(m);
                }
                return;
        }
        if (r < 0) {
                (void) mcp_request_reply_tool_error(m->req, "%s", error);
                mail_read_free(m);
                return;
        }
        r = imap_parse_search(response->data, response->size, &uids, &n);
        if (r == -EBADMSG) {
                (void) mcp_request_reply_tool_error(m->req,
                        "The IMAP server of the mailbox %s answered the SEARCH with something that is not IMAP.",
                        m->mailbox->name);
                mail_read_free(m);
                return;
        }
        if (r < 0) {
                reply_failed(m, r);
                mail_read_free(m);
                return;
        }
        if (n > 0)
                qsort(uids, n, sizeof(uint32_t), compare_uid_descending);
        m->total = n;
        size_t limit = (size_t) m->n_page; /* the limit asked for, until the page is known */
        m->n_page = m->offset < n ? MIN(limit, n - m->offset) : 0;
        if (m->n_page > 0 && !(m->page = memdup(uids + m->offset, m->n_page * sizeof(uint32_t)))) {
                free(uids);
                reply_failed(m, -ENOMEM);
                mail_read_free(m);
                return;
        }
        free(uids);
        r = m->n_page == 0 ? list_reply(m) : fetch_headers(m);
        if (r < 0)
                reply_failed(m, r);
        if (r < 0 || m->n_page == 0)
                mail_read_free(m);
}

static int tool_list_emails(McpRequest *req, json_object *args) {
        int r;
        const MailboxConfig *mailbox = mailbox_of(req, args, &r);
        if (!mailbox)
                return r;
        json_object *search = json_get_object(args, "search"), *v;
        _cleanup_free_ char *keys = NULL, *command = NULL;
        const char *error = NULL;
        r = search_keys(search, &keys, &error);
        if (r == -EINVAL)
                return mcp_request_reply_tool_error(req, "%s", error);
        if (r < 0)
                return r;

        MailRead *m;
        r = mail_read_new(req, mailbox, args, &m);
        if (r <= 0)
                return r;
        m->n_page = json_object_object_get_ex(args, "limit", &v) ? (size_t) json_object_get_int64(v) : 20;
        m->offset = json_object_object_get_ex(args, "offset", &v) ? (size_t) json_object_get_int64(v) : 0;
        m->search_keys = TAKE_PTR(keys);
        m->search_return = true;
        r = search_command(m->search_keys, true, &command);
        if (r >= 0)
                r = mail_read_start(m, command, SEARCH_RESPONSE_MAX, on_search);
        if (r < 0) {
                mail_read_free(m);
                return r;
        }
        mcp_request_on_cancel(req, on_cancel, m);
        return 0;
}

/* --- comm_read_email ------------------------------------------------------------------------------------- */

static bool download_wanted(json_object *download, size_t index) {
        for (size_t i = 0; download && i < json_object_array_length(download); i++)
                if (json_object_get_int64(json_object_array_get_idx(download, i)) == (int64_t) index)
                        return true;
        return false;
}

static int attachments_to_json(MailRead *m, const MimeMessage *msg, json_object **ret, char **ret_error) {
        _cleanup_json_ json_object *list = json_object_new_array();
        if (!list)
                return -ENOMEM;
        for (size_t i = 0; i < msg->n_attachments; i++) {
                const MimeAttachment *a = &msg->attachments[i];
                _cleanup_free_ char *data = NULL;
                size_t size;
                int r = mime_transfer_decode(a->encoding, a->raw, a->raw_size, &data, &size);
                if (r < 0)
                        return r;
                _cleanup_json_ json_object *o = json_object_new_object();
                if (!o || json_add(o, "index", json_object_new_int64((int64_t) i)) < 0 ||
                        json_add_string(o, "filename", a->filename) < 0 ||
                        json_add_string(o, "content_type", a->content_type) < 0 ||
                        json_add(o, "size", json_object_new_int64((int64_t) size)) < 0 ||
                        json_add(o, "complete", json_object_new_boolean(a->complete)) < 0)
                        return -ENOMEM;
                if (download_wanted(m->download, i)) {
                        if (!a->complete)
                                return asprintf(ret_error,
                                               "Attachment %zu (%s) is cut off: the message is larger than "
                                               "MaxMessageSize= of the mailbox %s, and only its start was read.",
                                               i, a->filename, m->mailbox->name) < 0
                                        ? -ENOMEM
                                        : -EFBIG;
                        if (size > m->mailbox->max_attachment_size)
                                return asprintf(ret_error,
                                               "Attachment %zu (%s) is %zu bytes, more than the %llu bytes "
                                               "MaxAttachmentSize= of the mailbox %s allows: it was not returned.",
                                               i, a->filename, size,
                                               (unsigned long long) m->mailbox->max_attachment_size,
                                               m->mailbox->name) < 0
                                        ? -ENOMEM
                                        : -EFBIG;
                        _cleanup_free_ char *encoded = base64_encode(data, size);
                        if (!encoded || json_add_string(o, "data", encoded) < 0)
                                return -ENOMEM;
                }
                if (json_object_array_add(list, TAKE_PTR(o)) < 0)
                        return -ENOMEM;
        }
        for (size_t i = 0; m->download && i < json_object_array_length(m->download); i++) {
                int64_t index = json_object_get_int64(json_object_array_get_idx(m->download, i));
                if (index < 0 || (size_t) index >= msg->n_attachments)
                        return asprintf(ret_error, "The message has no attachment %lld (it has %zu).",
                                       (long long) index, msg->n_attachments) < 0
                                ? -ENOMEM
                                : -ENOENT;
        }
        *ret = TAKE_PTR(list);
        return 0;
}

static int read_reply(MailRead *m, const ImapFetch *f) {
        bool truncated = f->size > f->body_size;
        _cleanup_(mime_message_done) MimeMessage msg = {};
        int r = mime_message_parse(f->body, f->body_size, truncated, &msg);
        if (r < 0)
                return r;
        _cleanup_json_ json_object *attachments = NULL;
        _cleanup_free_ char *error = NULL;
        r = attachments_to_json(m, &msg, &attachments, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return mcp_request_reply_tool_error(m->req, "%s", error);

        bool text_cut = strlen(msg.text) > TEXT_MAX;
        if (text_cut) {
                /* At a character's start. */
                size_t n = TEXT_MAX;
                while (n > 0 && ((unsigned char) msg.text[n] & 0xc0) == 0x80)
                        n--;
                msg.text[n] = 0;
        }
        _cleanup_json_ json_object *o = json_object_new_object();
        if (!o || json_add_string(o, "mailbox", m->mailbox->name) < 0 || json_add_string(o, "folder", m->folder) < 0 ||
                json_add(o, "uid", json_object_new_int64(f->uid)) < 0 || add_header_fields(o, &msg) < 0 ||
                json_add(o, "size", json_object_new_int64((int64_t) f->size)) < 0 ||
                json_add(o, "flags", flags_to_json(f->flags)) < 0 ||
                json_add(o, "truncated", json_object_new_boolean(truncated || text_cut)) < 0 ||
                json_add_string(o, "text", msg.text) < 0 ||
                json_add(o, "text_from_html", json_object_new_boolean(msg.text_from_html)) < 0 ||
                json_add(o, "attachments", json_object_get(attachments)) < 0)
                return -ENOMEM;

        _cleanup_free_ char *text = NULL;
        if (append_text(&text, "From: %s\nTo: %s\n", strempty(msg.from), strempty(msg.to)) < 0 ||
                (msg.cc && append_text(&text, "Cc: %s\n", msg.cc) < 0) ||
                append_text(&text, "Date: %s\nSubject: %s\n", strempty(msg.date), strempty(msg.subject)) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < msg.n_attachments; i++)
                if (append_text(&text, "Attachment %zu: %s (%s)%s\n", i, msg.attachments[i].filename,
                            msg.attachments[i].content_type, msg.attachments[i].complete ? "" : ", cut off") < 0)
                        return -ENOMEM;
        if (append_text(&text, "\n%s", msg.text) < 0)
                return -ENOMEM;
        if (truncated &&
                append_text(&text,
                        "\n[The message is %llu bytes; only its first %zu were read (MaxMessageSize= of the "
                        "mailbox %s).]",
                        (unsigned long long) f->size, f->body_size, m->mailbox->name) < 0)
                return -ENOMEM;
        if (text_cut && append_text(&text, "\n[The text is cut off after %u bytes.]", TEXT_MAX) < 0)
                return -ENOMEM;
        return mcp_request_reply_content(m->req, JSON_ARRAY(mcp_content_text(text)), TAKE_PTR(o), false);
}

static int fetch_chunk(MailRead *m);

/* One piece of the message came: kept, and the next asked for until the message (or MaxMessageSize=) is
 * whole. */
static void on_fetch_chunk(ImapCommand *c, int r, const char *error, const Buffer *response, void *userdata) {
        _cleanup_(mail_read_freep) MailRead *m = userdata;
        m->command = NULL;
        if (r < 0) {
                (void) mcp_request_reply_tool_error(m->req, "%s", error);
                return;
        }
        ImapFetch *fetches = NULL;
        size_t n = 0;
        r = imap_parse_fetch(response->data, response->size, &fetches, &n);
        if (r == -EBADMSG) {
                (void) mcp_request_reply_tool_error(m->req,
                        "The IMAP server of the mailbox %s answered the message's FETCH with something that is not "
                        "IMAP.",
                        m->mailbox->name);
                return;
        }
        const ImapFetch *f = NULL;
        for (size_t i = 0; r >= 0 && i < n && !f; i++)
                if (fetches[i].uid == m->uid && fetches[i].has_body)
                        f = &fetches[i];
        if (r >= 0 && !f) {
                if (m->message.size == 0)
                        (void) mcp_request_reply_tool_error(m->req,
                                "The folder %s of the mailbox %s has no message with UID %u; comm_list_emails lists "
                                "them.",
                                m->folder, m->mailbox->name, m->uid);
                else
                        (void) mcp_request_reply_tool_error(m->req,
                                "The message UID %u of the mailbox %s went away while it was read.", m->uid,
                                m->mailbox->name);
        } else if (r >= 0) {
                strv_free(m->flags);
                m->flags = TAKE_PTR(fetches[f - fetches].flags);
                m->size = f->size;
                r = buffer_append(&m->message, f->body, f->body_size, m->mailbox->max_message_size);
                if (r >= 0 && f->body_size > 0 && m->message.size < MIN(m->size, m->mailbox->max_message_size)) {
                        /* More to come: m lives on with the next piece's command. */
                        r = fetch_chunk(m);
                        if (r >= 0)
                                TAKE_PTR(m);
                } else if (r >= 0) {
                        ImapFetch whole = { .uid = m->uid,
                                .size = m->size,
                                .flags = m->flags,
                                .body = strempty(m->message.data),
                                .body_size = m->message.size,
                                .has_body = true };
                        r = read_reply(m, &whole);
                }
        }
        imap_fetch_free_many(fetches, n);
        if (r == -E2BIG && m)
                (void) mcp_request_reply_tool_error(m->req,
                        "The IMAP server of the mailbox %s sent more of the message than was asked for.",
                        m->mailbox->name);
        else if (r < 0 && m)
                reply_failed(m, r);
}

/* The next piece of the message, without setting \Seen. Pieces, not the message at once: libcurl (7.88 with
 * Debian's fix for CVE-2023-38039) refuses an answer to a command of the caller's whose lines, which it
 * counts as headers, come to more than 300 KiB. */
static int fetch_chunk(MailRead *m) {
        uint64_t left = m->mailbox->max_message_size - m->message.size;
        _cleanup_free_ char *command = NULL;
        if (asprintf(&command, "UID FETCH %u (UID RFC822.SIZE FLAGS BODY.PEEK[]<%zu.%llu>)", m->uid, m->message.size,
                    (unsigned long long) MIN(left, (uint64_t) READ_CHUNK)) < 0)
                return -ENOMEM;
        return mail_read_start(m, command, READ_CHUNK + 16 * 1024, on_fetch_chunk);
}

static int tool_read_email(McpRequest *req, json_object *args) {
        int r;
        const MailboxConfig *mailbox = mailbox_of(req, args, &r);
        if (!mailbox)
                return r;
        json_object *download = json_get_array(args, "download_attachments"), *v;
        if (download && json_object_array_length(download) > 0 && !mailbox->download_attachments)
                return mcp_request_reply_tool_error(req,
                        "The administrator does not let attachments of the mailbox %s be downloaded "
                        "(DownloadAttachments= in comm.conf): comm_read_email lists them without their contents.",
                        mailbox->name);
        uint32_t uid = json_object_object_get_ex(args, "uid", &v) ? (uint32_t) json_object_get_int64(v) : 0;

        MailRead *m;
        r = mail_read_new(req, mailbox, args, &m);
        if (r <= 0)
                return r;
        m->uid = uid;
        m->download = download ? json_object_get(download) : NULL;
        r = fetch_chunk(m);
        if (r < 0) {
                mail_read_free(m);
                return r;
        }
        mcp_request_on_cancel(req, on_cancel, m);
        return 0;
}

const McpTool comm_read_tools[] = {
        {
                .name = "comm_list_emails",
                .title = "List emails",
                .description = "Lists the messages of a folder (INBOX unless named) of a mailbox the administrator "
                               "configured, newest first, headers only (from, to, cc, subject, date, "
                               "message id, size, flags), a page at a time (limit, offset), optionally searched "
                               "(from, to, subject, text, since, before, unseen, flagged). Nothing is marked as "
                               "read. The uid of each message is what comm_read_email takes.",
                .input_schema = comm_schema_comm_list_emails_input,
                .output_schema = comm_schema_comm_list_emails_output,
                .annotations = "{\"readOnlyHint\":true,\"idempotentHint\":true,\"openWorldHint\":true}",
                .polkit_action = COMM_ACTION_READ,
                /* A rule can allow a principal one mailbox: action.lookup("mailbox"). */
                .polkit_detail_argument = "mailbox",
                .polkit_required = true,
                .handler = tool_list_emails,
        },
        {
                .name = "comm_read_email",
                .title = "Read an email",
                .description = "Reads one message (by the uid comm_list_emails gave) of a mailbox the administrator "
                               "configured: its headers, its body as text (HTML made into text when it has no "
                               "plain text), and its attachments listed by index, name, type and size. An "
                               "attachment's contents (base64) come only when asked for with "
                               "download_attachments and when the administrator allows it for the mailbox. A "
                               "message larger than the mailbox's limit is read up to it (truncated: true). "
                               "Nothing is marked as read.",
                .input_schema = comm_schema_comm_read_email_input,
                .output_schema = comm_schema_comm_read_email_output,
                .annotations = "{\"readOnlyHint\":true,\"idempotentHint\":true,\"openWorldHint\":true}",
                .polkit_action = COMM_ACTION_READ,
                .polkit_detail_argument = "mailbox",
                .polkit_required = true,
                .handler = tool_read_email,
        },
        {}
};
