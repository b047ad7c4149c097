/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-commd's modules: what an address, a header value and UTF-8 may be, the allow-list, header encoding,
 * strict base64, comm.conf's checks, reading mail (RFC 2047, transfer encodings, MIME, IMAP answers), the outbox read
 * back after a stop, and the send tool's refusals in-process (invalid UTF-8 can only reach it there: every transport
 * refuses it in JSON first). */
#include <check.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <sys/stat.h>

#include "address.h"
#include "comm.h"
#include "mcp-request.h"
#include "mcp-session.h"
#include "imap.h"
#include "message.h"
#include "mime.h"
#include "test-util.h"

static char *tmpdir_new(void) {
        char *d = strdup("/tmp/test-comm.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(d));
        return d;
}

static void write_text(const char *path, const char *text) {
        FILE *f = fopen(path, "we");
        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        ck_assert_int_eq(fclose(f), 0);
}

static void rm_rf(const char *dir) {
        char *cmd = NULL;
        ck_assert_int_ge(asprintf(&cmd, "rm -rf '%s'", dir), 0);
        ck_assert_int_eq(system(cmd), 0);
        free(cmd);
}

START_TEST(test_utf8_is_valid_refuses_overlongs_surrogates_and_nul) {
        const char *good = "R\xc3\xa9union \xe2\x82\xac \xf0\x9f\x93\xa7";
        ck_assert(utf8_is_valid(good, strlen(good)));
        ck_assert(!utf8_is_valid("\xc0\x80", 2));         /* overlong NUL */
        ck_assert(!utf8_is_valid("\xe0\x80\xaf", 3));     /* overlong '/' */
        ck_assert(!utf8_is_valid("\xed\xa0\x80", 3));     /* a surrogate */
        ck_assert(!utf8_is_valid("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
        ck_assert(!utf8_is_valid("\xe2\x82", 2));         /* cut short */
        ck_assert(!utf8_is_valid("\xff", 1));
        ck_assert(!utf8_is_valid("a\0b", 3));
}
END_TEST

START_TEST(test_header_values_with_line_breaks_are_unsafe) {
        ck_assert(header_value_is_safe("Hello\tthere"));
        ck_assert(!header_value_is_safe("Hi\r\nBcc: x@evil.example"));
        ck_assert(!header_value_is_safe("Hi\nBcc: x@evil.example"));
        ck_assert(!header_value_is_safe("Hi\rX"));
        ck_assert(!header_value_is_safe("a\x7f"));
}
END_TEST

START_TEST(test_addresses_are_plain_addr_specs) {
        ck_assert(address_is_valid("alice@example.com"));
        ck_assert(address_is_valid("a.b+tag@mail.example.org"));
        ck_assert(!address_is_valid("Alice <alice@example.com>"));
        ck_assert(!address_is_valid("alice@example.com\r\nBcc: x@y.z"));
        ck_assert(!address_is_valid("alice@"));
        ck_assert(!address_is_valid("@example.com"));
        ck_assert(!address_is_valid("a..b@example.com"));
        ck_assert(!address_is_valid(".a@example.com"));
        ck_assert(!address_is_valid("a@-example.com"));
        ck_assert(!address_is_valid("a@exa_mple.com"));
        ck_assert(!address_is_valid("\"a b\"@example.com"));
        ck_assert(!address_is_valid("a@[127.0.0.1]"));
        ck_assert(!address_is_valid("r\xc3\xa9@example.com"));
}
END_TEST

START_TEST(test_allowlist_matches_addresses_and_exact_domains) {
        char *list[] = { (char *) "alice@example.com", (char *) "@example.org", NULL };
        ck_assert(allowlist_match(list, "alice@example.com"));
        ck_assert(allowlist_match(list, "ALICE@Example.COM"));
        ck_assert(!allowlist_match(list, "bob@example.com"));
        ck_assert(allowlist_match(list, "anyone@example.org"));
        ck_assert(allowlist_match(list, "anyone@EXAMPLE.org"));
        ck_assert(!allowlist_match(list, "eve@sub.example.org"));
        ck_assert(!allowlist_match(list, "eve@example.org.evil.example"));
        ck_assert(!allowlist_match(list, "eve@notexample.org"));
        char *empty[] = { NULL };
        ck_assert(!allowlist_match(empty, "alice@example.com"));
        ck_assert(!allowlist_match(NULL, "alice@example.com"));
        ck_assert(allow_entry_is_valid("@example.org"));
        ck_assert(!allow_entry_is_valid("@"));
        ck_assert(!allow_entry_is_valid("example.org"));
}
END_TEST

/* Decodes "=?UTF-8?B?...?=" words separated by CRLF SPACE back into text. */
static void decode_words(const char *encoded, char *out) {
        out[0] = 0;
        for (const char *p = encoded; *p;) {
                ck_assert_msg(strncmp(p, "=?UTF-8?B?", 10) == 0, "not an encoded word: %s", p);
                p += 10;
                const char *end = strstr(p, "?=");
                ck_assert_ptr_nonnull(end);
                unsigned char buf[256];
                int n = EVP_DecodeBlock(buf, (const unsigned char *) p, (int) (end - p));
                ck_assert_int_ge(n, 0);
                while (n > 0 && end[-1] == '=' && buf[n - 1] == 0)
                        n--, end--; /* padding */
                strncat(out, (const char *) buf, n);
                p = strstr(p, "?=") + 2;
                if (*p)
                        ck_assert_msg(strncmp(p, "\r\n ", 3) == 0, "words not folded with CRLF SPACE");
                if (*p)
                        p += 3;
        }
}

START_TEST(test_header_encode_keeps_ascii_and_encodes_the_rest_in_short_words) {
        char *plain = header_encode("Weekly report");
        ck_assert_str_eq(plain, "Weekly report");
        free(plain);

        char subject[400] = "";
        for (int i = 0; i < 30; i++)
                strcat(subject, "R\xc3\xa9union \xe2\x82\xac ");
        char *e = header_encode(subject);
        ck_assert_ptr_nonnull(e);
        ck_assert(header_value_is_safe(strstr(e, "?=") + 2) || strstr(e, "\r\n "));
        /* every encoded word within RFC 2047's 75 characters */
        for (const char *w = e; w; w = strstr(w, "\r\n ")) {
                if (w[0] == '\r')
                        w += 3;
                const char *end = strstr(w, "?=") + 2;
                ck_assert_int_le(end - w, 75);
        }
        char back[800];
        decode_words(e, back);
        ck_assert_str_eq(back, subject);
        free(e);
}
END_TEST

START_TEST(test_base64_decode_is_strict) {
        uint8_t *out = NULL;
        size_t n = 0;
        ck_assert_int_eq(comm_base64_decode("aGVsbG8=", 8, &out, &n), 0);
        ck_assert_int_eq(n, 5);
        ck_assert(memcmp(out, "hello", 5) == 0);
        free(out);
        ck_assert_int_eq(comm_base64_decode("aGVsbG8", 7, &out, &n), -EBADMSG);
        ck_assert_int_eq(comm_base64_decode("aGV=bG8=", 8, &out, &n), -EBADMSG);
        ck_assert_int_eq(comm_base64_decode("aGVs\nbG8=", 9, &out, &n), -EBADMSG);
        ck_assert_int_eq(comm_base64_decode("aGVsbG8_", 8, &out, &n), -EBADMSG);
        ck_assert_int_eq(comm_base64_decode("", 0, &out, &n), 0);
        ck_assert_int_eq(n, 0);
        free(out);
}
END_TEST

static int parse_config(const char *text, CommConfig *c) {
        char *dir = tmpdir_new(), *path = NULL;
        ck_assert_int_ge(asprintf(&path, "%s/comm.conf", dir), 0);
        write_text(path, text);
        int r = comm_config_parse(c, path);
        rm_rf(dir);
        free(dir);
        free(path);
        return r;
}

START_TEST(test_config_reads_smtp_recipients_outbox_and_webhooks) {
        CommConfig c = {};
        ck_assert_int_eq(parse_config("[SMTP]\nURL=smtps://mail.example.com:465\nFrom=aios@example.com\n"
                                      "User=aios\nPasswordCredential=smtp-password\n"
                                      "[Recipients]\nAllow=a@example.com\nAllow=@example.org\n"
                                      "[Outbox]\nRetryMinSec=2\nRetryMaxSec=1min\n"
                                      "[Webhook ops]\nURL=https://hooks.example.com/x\nTemplate=slack\n"
                                      "HeaderCredential=Authorization ops-token\nHeader=X-A: b\n",
                                 &c),
                0);
        ck_assert_str_eq(c.smtp_url, "smtps://mail.example.com:465");
        ck_assert(c.starttls);
        ck_assert_int_eq(strv_length(c.recipients), 2);
        ck_assert_int_eq(c.retry_min_usec, 2 * USEC_PER_SEC);
        ck_assert_int_eq(c.retry_max_usec, 60 * USEC_PER_SEC);
        ck_assert_int_eq(c.max_messages, 1000);
        ck_assert_int_eq(c.n_webhooks, 1);
        const WebhookConfig *w = comm_config_find_webhook(&c, "ops");
        ck_assert_ptr_nonnull(w);
        ck_assert_int_eq(w->template, WEBHOOK_SLACK);
        ck_assert_int_eq(w->timeout_usec, 10 * USEC_PER_SEC);
        comm_config_done(&c);

        /* Allow= with nothing empties the list. */
        ck_assert_int_eq(parse_config("[Recipients]\nAllow=a@example.com\nAllow=\n", &c), 0);
        ck_assert_int_eq(strv_length(c.recipients), 0);
        comm_config_done(&c);
}
END_TEST

START_TEST(test_config_refuses_what_would_be_unsafe_or_incomplete) {
        static const char *const bad[] = {
                "[SMTP]\nURL=http://mail.example.com\nFrom=a@example.com\n",
                "[SMTP]\nURL=smtp://user:pw@mail.example.com\nFrom=a@example.com\n",
                "[SMTP]\nURL=smtp://mail.example.com\n", /* no From= */
                "[SMTP]\nURL=smtp://mail.example.com\nFrom=Aios <a@example.com>\n",
                "[SMTP]\nUser=aios\n", /* no PasswordCredential= */
                "[SMTP]\nStartTLS=maybe\n",
                "[Recipients]\nAllow=example.com\n",
                "[Recipients]\nAllow=@exa mple.com\n",
                "[Webhook ops]\nURL=https://h.example.com/\n",               /* no Template= */
                "[Webhook ops]\nTemplate=slack\n",                           /* no URL= */
                "[Webhook ops]\nURL=file:///etc/passwd\nTemplate=json\n",    /* not HTTP */
                "[Webhook ops]\nURL=https://h.example.com/\nTemplate=irc\n", /* no such template */
                "[Webhook ops]\nURL=https://h.example.com/\nTemplate=json\nMethod=GET\n",
                "[Webhook ops]\nURL=https://h.example.com/\nTemplate=json\nHeader=Bad Name: x\n",
                "[Webhook a/b]\nURL=https://h.example.com/\nTemplate=json\n",
                "[Outbox]\nRetryMinSec=2h\nRetryMaxSec=1h\n",
        };
        FOREACH_ELEMENT(text, bad) {
                CommConfig c = {};
                ck_assert_msg(parse_config(*text, &c) == -EINVAL, "accepted: %s", *text);
                comm_config_done(&c);
        }
}
END_TEST

START_TEST(test_outbox_reads_back_and_a_message_being_sent_becomes_unknown) {
        char *dir = tmpdir_new();
        Outbox *o = NULL;
        ck_assert_int_eq(outbox_open(dir, &o), 0);

        json_object *message = json_object_new_object(), *summary = json_object_new_object();
        char queued_id[OUTBOX_ID_LENGTH + 1], sending_id[OUTBOX_ID_LENGTH + 1];
        OutboxEntry *e;
        outbox_new_id(queued_id);
        ck_assert_int_eq(outbox_add(o, queued_id, message, summary, "unix-user:test", &e), 0);
        outbox_new_id(sending_id);
        ck_assert_int_eq(outbox_add(o, sending_id, message, summary, NULL, &e), 0);
        ck_assert_int_eq(outbox_set_state(o, e, OUTBOX_SENDING, NULL, "354 go ahead"), 0);
        json_object_put(message);
        json_object_put(summary);
        o = outbox_free(o);

        /* An acceptance that did not complete: its .message without a .state. */
        char *orphan = NULL;
        ck_assert_int_ge(asprintf(&orphan, "%s/outbox/0123456789abcdef0123456789abcdef.message", dir), 0);
        write_text(orphan, "{}");

        ck_assert_int_eq(outbox_open(dir, &o), 0);
        ck_assert_int_eq(outbox_n_pending(o), 1);
        ck_assert_int_eq(outbox_find(o, queued_id)->state, OUTBOX_QUEUED);
        ck_assert_str_eq(outbox_find(o, queued_id)->principal, "unix-user:test");
        ck_assert_int_eq(outbox_find(o, sending_id)->state, OUTBOX_UNKNOWN);
        ck_assert_ptr_null(outbox_find(o, "0123456789abcdef0123456789abcdef"));
        ck_assert_int_eq(access(orphan, F_OK), -1);

        /* Finished messages go after KeepSec=, their files too; waiting ones never. */
        ck_assert_int_eq(outbox_prune(o, 3600 * USEC_PER_SEC), 0);
        ck_assert_int_eq(outbox_prune(o, 0), 1);
        ck_assert_ptr_null(outbox_find(o, sending_id));
        ck_assert_ptr_nonnull(outbox_find(o, queued_id));
        char *state = NULL;
        ck_assert_int_ge(asprintf(&state, "%s/outbox/%s.state", dir, sending_id), 0);
        ck_assert_int_eq(access(state, F_OK), -1);
        free(state);
        o = outbox_free(o);
        free(orphan);
        rm_rf(dir);
        free(dir);
}
END_TEST

/* --- the send tool in-process ------------------------------------------------------------------------------ */

static sd_event *event;
static McpServer *server;
static McpSession *session;
static CommContext context;
static Capture capture;
static char *workdir;

static const McpServerDefinition definition = { .name = "aios-commd-test", .version = "1" };

static void server_setup(const char *config) {
        workdir = tmpdir_new();
        char *path = NULL;
        ck_assert_int_ge(asprintf(&path, "%s/comm.conf", workdir), 0);
        write_text(path, config);
        ck_assert_int_ge(sd_event_new(&event), 0);
        ck_assert_int_eq(comm_context_init(&context, event, path, workdir), 0);
        free(path);
        ck_assert_int_ge(mcp_server_new(&server, &definition, event, &context), 0);
        ck_assert_int_ge(comm_add_tools(server), 0);
        ck_assert_int_ge(mcp_session_new(server, &session), 0);
        json_object *r = capture_dispatch(&capture, server, session, event,
                "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\","
                "\"capabilities\":{},\"clientInfo\":{\"name\":\"test\",\"version\":\"1\"}}}");
        ck_assert_ptr_nonnull(json_get_object(r, "result"));
}

static void server_teardown(void) {
        mcp_session_close(session);
        session = mcp_session_unref(session);
        server = mcp_server_free(server);
        comm_context_done(&context);
        context = (CommContext){};
        event = sd_event_unref(event);
        capture_reset(&capture);
        test_polkit_deny(NULL);
        rm_rf(workdir);
        workdir = mfree(workdir);
}

/* Calls comm_send_email with arguments built by hand (so that they may hold what JSON text cannot). */
static json_object *send_email(json_object *arguments) {
        json_object *m = json_object_new_object(), *params = json_object_new_object();
        json_add_string(m, "jsonrpc", "2.0");
        json_add(m, "id", json_object_new_int(7));
        json_add_string(m, "method", "tools/call");
        json_add_string(params, "name", "comm_send_email");
        json_add(params, "arguments", arguments);
        json_add(m, "params", params);
        capture_reset(&capture);
        capture.messages = json_object_new_array();
        if (mcp_server_dispatch(server, session, m, test_capture_ops, &capture, NULL) == 0)
                capture.done = true;
        json_object_put(m);
        capture_run(&capture, event);
        return json_get_object(capture.reply, "result");
}

static json_object *message_args(const char *to, const char *subject, size_t subject_len) {
        json_object *a = json_object_new_object(), *list = json_object_new_array();
        json_object_array_add(list, json_object_new_string(to));
        json_add(a, "to", list);
        json_add(a, "subject", json_object_new_string_len(subject, (int) subject_len));
        json_add_string(a, "text", "hello");
        return a;
}

static const char *text_of(json_object *result) {
        return json_get_string(json_object_array_get_idx(json_get_array(result, "content"), 0), "text");
}

#define CONFIG_SMTP "[SMTP]\nURL=smtp://127.0.0.1:1\nFrom=aios@example.net\n[Outbox]\nRetryMinSec=1h\nRetryMaxSec=1h\n"

static void outbox_is_empty(void) {
        ck_assert_ptr_null(outbox_entries(context.outbox));
}

START_TEST(test_send_refuses_invalid_utf8_in_the_subject) {
        server_setup(CONFIG_SMTP "[Recipients]\nAllow=alice@example.com\n");
        json_object *r = send_email(message_args("alice@example.com", "caf\xc3", 4));
        ck_assert(json_get_bool(r, "isError", false));
        ck_assert_ptr_nonnull(strstr(text_of(r), "subject is not valid UTF-8"));
        r = send_email(message_args("alice@example.com", "\xed\xa0\x80", 3));
        ck_assert_ptr_nonnull(strstr(text_of(r), "not valid UTF-8"));
        outbox_is_empty();
        server_teardown();
}
END_TEST

START_TEST(test_send_with_an_empty_allow_list_sends_nothing) {
        server_setup(CONFIG_SMTP);
        json_object *r = send_email(message_args("alice@example.com", "hi", 2));
        ck_assert(json_get_bool(r, "isError", false));
        ck_assert_ptr_nonnull(strstr(text_of(r), "allow-list ([Recipients] Allow= in comm.conf) is empty"));
        outbox_is_empty();
        server_teardown();
}
END_TEST

START_TEST(test_send_asks_polkit_per_recipient_and_a_refusal_names_it) {
        server_setup(CONFIG_SMTP "[Recipients]\nAllow=@example.com\n");
        test_polkit_deny(COMM_ACTION_SEND);
        send_email(message_args("alice@example.com", "hi", 2));
        json_object *error = json_get_object(capture.reply, "error");
        ck_assert_ptr_nonnull(error);
        ck_assert_ptr_nonnull(strstr(json_get_string(error, "message"), "send mail to alice@example.com"));
        json_object *asked = test_polkit_last_asked();
        ck_assert_str_eq(json_get_string(asked, "action"), COMM_ACTION_SEND);
        ck_assert_str_eq(json_get_string(asked, "recipient"), "alice@example.com");
        outbox_is_empty();

        test_polkit_deny(NULL);
        json_object *r = send_email(message_args("alice@example.com", "hi", 2));
        ck_assert_msg(!json_get_bool(r, "isError", false), "%s", json_to_string(capture.reply));
        ck_assert_str_eq(json_get_string(json_get_object(r, "structuredContent"), "state"), "queued");
        ck_assert_int_eq(outbox_n_pending(context.outbox), 1);
        server_teardown();
}
END_TEST

/* In-process there is no bus, so no subject aios-ided could ask polkit about: a workspace attachment refuses the
 * whole message with the reason, and nothing reaches the outbox. The attachment itself is tested on the
 * development stack (tests/workspace/workspace-check.sh). */
START_TEST(test_send_with_a_workspace_attachment_needs_the_bus) {
        server_setup(CONFIG_SMTP "[Recipients]\nAllow=alice@example.com\n");
        json_object *a = message_args("alice@example.com", "hi", 2);
        json_add(a, "attachments", json_tokener_parse("[{\"workspace\": \"site\", \"path\": \"docs/report.pdf\"}]"));
        json_object *r = send_email(a);
        ck_assert(json_get_bool(r, "isError", false));
        ck_assert_msg(strstr(text_of(r), "site/docs/report.pdf cannot be used here") &&
                        strstr(text_of(r), "Nothing was sent."),
                "%s", text_of(r));
        outbox_is_empty();
        server_teardown();
}
END_TEST

START_TEST(test_config_reads_mailboxes_and_the_users_to_notify) {
        CommConfig c = {};
        ck_assert_int_eq(parse_config("[Mailbox work]\nURL=imaps://imap.example.com\nUser=a\nPasswordCredential=imap\n"
                                      "[Mailbox local]\nURL=imap://127.0.0.1:1143/\nStartTLS=no\nMaxMessageSize=1M\n"
                                      "DownloadAttachments=yes\n"
                                      "[Notifications]\nAllowUser=alice\nAllowUser=bob.smith\n",
                                 &c),
                0);
        ck_assert_int_eq(c.n_mailboxes, 2);
        const MailboxConfig *m = comm_config_find_mailbox(&c, "work");
        ck_assert_ptr_nonnull(m);
        ck_assert(m->starttls);
        ck_assert(!m->download_attachments);
        ck_assert_int_eq(m->max_message_size, 10 * 1024 * 1024);
        ck_assert_int_eq(m->timeout_usec, 30 * USEC_PER_SEC);
        m = comm_config_find_mailbox(&c, "local");
        ck_assert(!m->starttls);
        ck_assert(m->download_attachments);
        ck_assert_int_eq(m->max_message_size, 1024 * 1024);
        ck_assert_ptr_null(comm_config_find_mailbox(&c, "other"));
        ck_assert_int_eq(strv_length(c.notify_users), 2);
        ck_assert_int_eq(c.notify_timeout_usec, 10 * USEC_PER_SEC);
        comm_config_done(&c);

        static const char *const bad[] = {
                "[Mailbox work]\nUser=a\nPasswordCredential=x\n",      /* no URL= */
                "[Mailbox work]\nURL=https://imap.example.com\n",      /* not IMAP */
                "[Mailbox work]\nURL=imap://user@imap.example.com\n",  /* a user in the URL */
                "[Mailbox work]\nURL=imap://imap.example.com/INBOX\n", /* a folder in the URL */
                "[Mailbox work]\nURL=imap://imap.example.com/;UID=1\n",
                "[Mailbox work]\nURL=imap://imap.example.com\nUser=a\n", /* no PasswordCredential= */
                "[Mailbox a.b]\nURL=imap://imap.example.com\n",          /* a name with a dot */
                "[Mailbox work]\nURL=imap://imap.example.com\nMaxMessageSize=lots\n",
                "[Notifications]\nAllowUser=bad user\n",
                "[Notifications]\nAllowUser=-rf\n",
        };
        FOREACH_ELEMENT(text, bad) {
                CommConfig k = {};
                ck_assert_msg(parse_config(*text, &k) == -EINVAL, "accepted: %s", *text);
                comm_config_done(&k);
        }
}
END_TEST

static void assert_decodes(const char *raw, const char *expected) {
        char *d = mime_header_decode(raw);
        ck_assert_ptr_nonnull(d);
        ck_assert_str_eq(d, expected);
        ck_assert(utf8_is_valid(d, strlen(d)));
        free(d);
}

START_TEST(test_mime_header_decode_joins_encoded_words_converts_charsets_and_replaces_bad_bytes) {
        assert_decodes("=?UTF-8?Q?Ren=C3=A9e?= <r@example.com>", "Renée <r@example.com>");
        assert_decodes("=?ISO-8859-1?Q?caf=E9?= plain", "café plain");
        assert_decodes("=?utf-8?b?w4lsw6lwaGFudA==?= =?UTF-8?Q?_et_souris?=", "Éléphant et souris");
        assert_decodes("=?UTF-8*fr?Q?=C3=A0?=", "à"); /* RFC 2231 language */
        assert_decodes("=?windows-1252?Q?=80_5?=", "€ 5");
        assert_decodes("plain =?bogus?Q?x?", "plain =?bogus?Q?x?"); /* not an encoded word */
        assert_decodes("=?no-such-charset?Q?ok?=", "ok");           /* unknown charset: as UTF-8 */
        assert_decodes("Bad \xff bytes", "Bad \xef\xbf\xbd bytes");
        assert_decodes("=?UTF-8?B?/w==?=", "\xef\xbf\xbd"); /* an encoded invalid byte */
        assert_decodes("a\tb\x01"
                       "c",
                "a b\xef\xbf\xbd"
                "c");                                           /* control characters */
        assert_decodes("=?UTF-8?Q?a=0D=0Ab?=", "a b");          /* no line break survives */
        assert_decodes("=?ISO-2022-JP?B?GyRCJEgbKEI=?=", "と"); /* a stateful charset */

        /* A body larger than one piece of the conversion. */
        char *latin = malloc(20001);
        ck_assert_ptr_nonnull(latin);
        memset(latin, 0xe9, 20000);
        char *utf8 = mime_to_utf8("ISO-8859-1", latin, 20000);
        ck_assert_ptr_nonnull(utf8);
        ck_assert_int_eq(strlen(utf8), 40000);
        ck_assert(strncmp(utf8 + 39998, "é", 2) == 0);
        free(utf8);
        free(latin);
}
END_TEST

static void assert_transfer(const char *encoding, const char *in, const char *expected) {
        char *out = NULL;
        size_t n;
        ck_assert_int_eq(mime_transfer_decode(encoding, in, strlen(in), &out, &n), 0);
        ck_assert_int_eq(n, strlen(expected));
        ck_assert_mem_eq(out, expected, n);
        free(out);
}

START_TEST(test_mime_transfer_decode_is_lenient_like_mail_readers) {
        assert_transfer("quoted-printable", "r=C3=A9sum=\r\n=C3=A9 =3D ok", "résumé = ok");
        assert_transfer("Quoted-Printable", "soft=  \nbreak", "softbreak");
        assert_transfer("quoted-printable", "bad =ZZ and =4", "bad =ZZ and =4");
        assert_transfer("base64", "aGVs\r\nbG8g!d29y bGQ=", "hello world");
        assert_transfer("base64", "aGVsbG8", "hello"); /* no padding */
        assert_transfer("7bit", "as =3D is", "as =3D is");
        assert_transfer(NULL, "as is", "as is");
}
END_TEST

START_TEST(test_mime_multipart_gives_the_plain_text_and_lists_attachments) {
        const char *msg =
                "From: a@example.com\r\nSubject: =?UTF-8?Q?r=C3=A9sum=C3=A9?=\r\n"
                "Content-Type: multipart/mixed; boundary=\"o\"\r\n\r\npreamble\r\n"
                "--o\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n--ignored\r\n"
                "--i\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
                "Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9\r\n"
                "--i\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--i--\r\n"
                "--o\r\nContent-Type: application/pdf; name=\"=?UTF-8?Q?r=C3=A9?=.pdf\"\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n"
                "--o\r\nContent-Disposition: attachment; filename*0*=UTF-8''%C3%A9t; filename*1*=%C3%A9.txt\r\n\r\n"
                "summer\r\n--o--\r\nepilogue\r\n";
        MimeMessage m = {};
        ck_assert_int_eq(mime_message_parse(msg, strlen(msg), false, &m), 0);
        ck_assert_str_eq(m.subject, "résumé");
        ck_assert_str_eq(m.text, "café");
        ck_assert(!m.text_from_html);
        ck_assert_int_eq(m.n_attachments, 2);
        ck_assert_str_eq(m.attachments[0].filename, "ré.pdf");
        ck_assert_str_eq(m.attachments[0].content_type, "application/pdf");
        ck_assert(m.attachments[0].complete);
        char *data = NULL;
        size_t n;
        ck_assert_int_eq(mime_transfer_decode(m.attachments[0].encoding, m.attachments[0].raw,
                                 m.attachments[0].raw_size, &data, &n),
                0);
        ck_assert_int_eq(n, 4);
        ck_assert_mem_eq(data, "%PDF", 4);
        free(data);
        ck_assert_str_eq(m.attachments[1].filename, "été.txt");
        ck_assert_str_eq(m.attachments[1].content_type, "text/plain");
        mime_message_done(&m);

        /* Cut off inside the last part: that part is incomplete; so is it without its closing boundary. */
        size_t cut = strstr(msg, "summer") - msg + 3;
        ck_assert_int_eq(mime_message_parse(msg, cut, true, &m), 0);
        ck_assert_int_eq(m.n_attachments, 2);
        ck_assert(m.attachments[0].complete);
        ck_assert(!m.attachments[1].complete);
        mime_message_done(&m);

        /* HTML only; a message without headers; nesting past the limit does not recurse forever. */
        const char *html = "Content-Type: text/html; charset=utf-8\n\n<style>x{}</style><p>a&amp;b&#233;</p><br>c";
        ck_assert_int_eq(mime_message_parse(html, strlen(html), false, &m), 0);
        ck_assert(m.text_from_html);
        ck_assert_str_eq(m.text, "\na&bé\n\nc");
        mime_message_done(&m);
        ck_assert_int_eq(mime_message_parse("", 0, false, &m), 0);
        ck_assert_str_eq(m.text, "");
        ck_assert_ptr_null(m.subject);
        mime_message_done(&m);
        char deep[4096] = "";
        for (int i = 0; i < 40; i++)
                strcat(deep, "Content-Type: multipart/mixed; boundary=b\n\n--b\n");
        ck_assert_int_eq(mime_message_parse(deep, strlen(deep), false, &m), 0);
        mime_message_done(&m);
}
END_TEST

START_TEST(test_imap_parse_fetch_reads_literals_and_refuses_what_is_not_imap) {
        const char *ok =
                "* 3 FETCH (FLAGS (\\Seen))\r\n" /* unsolicited: no UID */
                "* 1 FETCH (UID 7 RFC822.SIZE 190 FLAGS (\\Seen \\Recent) INTERNALDATE \"30-Nov-2026 09:00:00 +0000\" "
                "BODY[HEADER.FIELDS (FROM SUBJECT)] {11}\r\nFrom: a\r\n\r\n)\r\n"
                "* 2 FETCH (UID 9 BODY[]<0> \"quoted \\\"body\\\"\")\r\n"
                "* 4 FETCH (UID 10 BODY[] NIL)\r\n"
                "A006 OK Fetch completed.\r\n";
        ImapFetch *f = NULL;
        size_t n = 0;
        ck_assert_int_eq(imap_parse_fetch(ok, strlen(ok), &f, &n), 0);
        ck_assert_int_eq(n, 3);
        ck_assert_int_eq(f[0].uid, 7);
        ck_assert_int_eq(f[0].size, 190);
        ck_assert_int_eq(strv_length(f[0].flags), 2);
        ck_assert_str_eq(f[0].flags[0], "\\Seen");
        ck_assert_str_eq(f[0].internal_date, "30-Nov-2026 09:00:00 +0000");
        ck_assert(f[0].has_body);
        ck_assert_int_eq(f[0].body_size, 11);
        ck_assert_mem_eq(f[0].body, "From: a\r\n\r\n", 11);
        ck_assert_int_eq(f[1].uid, 9);
        ck_assert_str_eq(f[1].body, "quoted \"body\"");
        ck_assert(!f[2].has_body);
        imap_fetch_free_many(f, n);

        static const char *const bad[] = {
                "* 1 FETCH (UID 1 BODY[] {100}\r\nshort)\r\nA1 OK x\r\n",     /* a literal longer than the answer */
                "* 1 FETCH (UID 1 BODY[] {5}\r\nFrom: a\r\n)\r\nA1 OK x\r\n", /* shorter than what follows */
                "* 1 FETCH (UID 1 RFC822.SIZE 10\r\n",                        /* cut off, no tagged line */
                "* 1 FETCH (UID 0)\r\nA1 OK x\r\n",                           /* UID 0 */
                "* 1 FETCH (UID 99999999999)\r\nA1 OK x\r\n",
                "* 1 FETCH UID 1\r\nA1 OK x\r\n",
                "* 1 FETCH (UID 1 FLAGS (\\Seen)\r\nA1 OK x\r\n", /* unbalanced */
                "garbage\r\n",
                "",
        };
        FOREACH_ELEMENT(text, bad) {
                f = NULL;
                n = 0;
                ck_assert_msg(imap_parse_fetch(*text, strlen(*text), &f, &n) == -EBADMSG, "accepted: %s", *text);
        }

        uint32_t *uids = NULL;
        const char *search = "* SEARCH 3 1 2\r\n* SEARCH\r\nA5 OK done\r\n";
        ck_assert_int_eq(imap_parse_search(search, strlen(search), &uids, &n), 0);
        ck_assert_int_eq(n, 3);
        ck_assert_int_eq(uids[0], 3);
        free(uids);
        uids = NULL;
        const char *esearch = "* ESEARCH (TAG \"A5\") UID ALL 4:2,9\r\nA5 OK done\r\n";
        ck_assert_int_eq(imap_parse_search(esearch, strlen(esearch), &uids, &n), 0);
        ck_assert_int_eq(n, 4);
        ck_assert_int_eq(uids[0], 2);
        ck_assert_int_eq(uids[3], 9);
        free(uids);
        uids = NULL;
        const char *none = "* ESEARCH (TAG \"A5\") UID\r\nA5 OK done\r\n";
        ck_assert_int_eq(imap_parse_search(none, strlen(none), &uids, &n), 0);
        ck_assert_int_eq(n, 0);
        free(uids);
        uids = NULL;
        const char *huge = "* ESEARCH (TAG \"A5\") UID ALL 1:4294967295\r\nA5 OK done\r\n";
        ck_assert_int_eq(imap_parse_search(huge, strlen(huge), &uids, &n), -EBADMSG);
        ck_assert_int_eq(imap_parse_search("* SEARCH 1 two\r\nA5 OK\r\n", 22, &uids, &n), -EBADMSG);
        ck_assert_int_eq(imap_parse_search("* SEARCH 1 2\r\n", 14, &uids, &n), -EBADMSG);
}
END_TEST

START_TEST(test_imap_quotes_search_terms_and_checks_folder_names) {
        char *q = imap_quote("a \"b\" \\c");
        ck_assert_str_eq(q, "\"a \\\"b\\\" \\\\c\"");
        free(q);
        ck_assert(imap_folder_is_valid("INBOX"));
        ck_assert(imap_folder_is_valid("Archive/2026"));
        ck_assert(imap_folder_is_valid("Entwürfe"));
        ck_assert(!imap_folder_is_valid(""));
        ck_assert(!imap_folder_is_valid("INBOX*"));
        ck_assert(!imap_folder_is_valid("a%"));
        ck_assert(!imap_folder_is_valid("a\r\nA1 LOGOUT"));
        ck_assert(!imap_folder_is_valid("\xff"));
}
END_TEST

/* Every byte of a sample message and a sample answer changed, cut or repeated in turn, deterministically: the
 * parsers never read outside their input (the sanitizer build sees that), never fail but with -EBADMSG, and
 * what they give is valid UTF-8. */
START_TEST(test_parsers_take_mangled_input) {
        static const char message[] =
                "From: =?UTF-8?Q?R=C3=A9e?= <r@example.com>\r\nSubject: =?ISO-8859-1?B?Y2Fm6Q==?=\r\n"
                "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
                "Content-Type: text/plain; charset=iso-8859-1\r\n"
                "Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9 =\r\nsoft\r\n--b\r\n"
                "Content-Disposition: attachment; filename*=UTF-8''%C3%A9.txt\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--b--\r\n";
        static const char answer[] =
                "* 1 FETCH (UID 7 RFC822.SIZE 19 FLAGS (\\Seen) BODY[]<0> {19}\r\n"
                "Subject: x\r\n\r\nbody)\r\n* ESEARCH (TAG \"A1\") UID ALL 1:3,5\r\nA1 OK done\r\n";
        static const char mutations[] = { 0, '\r', '\n', '"', '{', '}', '(', ')', '=', '?', '-', ' ', '\\', '\xff',
                '9' };
        char buf[1024];
        for (size_t i = 0; i < sizeof(message) - 1; i++)
                for (size_t k = 0; k <= sizeof(mutations); k++) {
                        size_t n = sizeof(message) - 1;
                        memcpy(buf, message, n);
                        if (k < sizeof(mutations))
                                buf[i] = mutations[k];
                        else
                                n = i; /* cut off there */
                        MimeMessage m = {};
                        ck_assert_int_eq(mime_message_parse(buf, n, k == sizeof(mutations), &m), 0);
                        ck_assert(utf8_is_valid(m.text, strlen(m.text)));
                        if (m.subject)
                                ck_assert(utf8_is_valid(m.subject, strlen(m.subject)));
                        for (size_t a = 0; a < m.n_attachments; a++)
                                ck_assert(utf8_is_valid(m.attachments[a].filename, strlen(m.attachments[a].filename)));
                        mime_message_done(&m);
                }
        for (size_t i = 0; i < sizeof(answer) - 1; i++)
                for (size_t k = 0; k <= sizeof(mutations); k++) {
                        size_t n = sizeof(answer) - 1;
                        memcpy(buf, answer, n);
                        if (k < sizeof(mutations))
                                buf[i] = mutations[k];
                        else
                                n = i;
                        ImapFetch *f = NULL;
                        size_t nf = 0;
                        int r = imap_parse_fetch(buf, n, &f, &nf);
                        ck_assert(r == 0 || r == -EBADMSG);
                        for (size_t j = 0; r == 0 && j < nf; j++)
                                ck_assert(!f[j].has_body || f[j].body + f[j].body_size <= buf + n || f[j].body_copy);
                        if (r == 0)
                                imap_fetch_free_many(f, nf);
                        uint32_t *uids = NULL;
                        r = imap_parse_search(buf, n, &uids, &nf);
                        ck_assert(r == 0 || r == -EBADMSG);
                        free(uids);
                }
}
END_TEST

static Suite *comm_suite(void) {
        Suite *s = suite_create("comm");
        TCase *tc = tcase_create("address");
        tcase_add_test(tc, test_utf8_is_valid_refuses_overlongs_surrogates_and_nul);
        tcase_add_test(tc, test_header_values_with_line_breaks_are_unsafe);
        tcase_add_test(tc, test_addresses_are_plain_addr_specs);
        tcase_add_test(tc, test_allowlist_matches_addresses_and_exact_domains);
        tcase_add_test(tc, test_header_encode_keeps_ascii_and_encodes_the_rest_in_short_words);
        tcase_add_test(tc, test_base64_decode_is_strict);
        suite_add_tcase(s, tc);
        tc = tcase_create("config");
        tcase_add_test(tc, test_config_reads_smtp_recipients_outbox_and_webhooks);
        tcase_add_test(tc, test_config_refuses_what_would_be_unsafe_or_incomplete);
        tcase_add_test(tc, test_config_reads_mailboxes_and_the_users_to_notify);
        suite_add_tcase(s, tc);
        tc = tcase_create("read");
        tcase_add_test(tc, test_mime_header_decode_joins_encoded_words_converts_charsets_and_replaces_bad_bytes);
        tcase_add_test(tc, test_mime_transfer_decode_is_lenient_like_mail_readers);
        tcase_add_test(tc, test_mime_multipart_gives_the_plain_text_and_lists_attachments);
        tcase_add_test(tc, test_imap_parse_fetch_reads_literals_and_refuses_what_is_not_imap);
        tcase_add_test(tc, test_imap_quotes_search_terms_and_checks_folder_names);
        suite_add_tcase(s, tc);
        tc = tcase_create("mangled");
        tcase_set_timeout(tc, 60); /* some thousand parses, slower with the sanitizers */
        tcase_add_test(tc, test_parsers_take_mangled_input);
        suite_add_tcase(s, tc);
        tc = tcase_create("outbox");
        tcase_add_test(tc, test_outbox_reads_back_and_a_message_being_sent_becomes_unknown);
        suite_add_tcase(s, tc);
        tc = tcase_create("send");
        tcase_add_test(tc, test_send_refuses_invalid_utf8_in_the_subject);
        tcase_add_test(tc, test_send_with_an_empty_allow_list_sends_nothing);
        tcase_add_test(tc, test_send_asks_polkit_per_recipient_and_a_refusal_names_it);
        tcase_add_test(tc, test_send_with_a_workspace_attachment_needs_the_bus);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_run_suite(comm_suite());
}
