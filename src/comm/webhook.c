/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* comm_post_webhook: a message to an endpoint the administrator named in comm.conf, shaped by its payload
 * template, posted with libcurl on the event loop. The client names the endpoint, never a URL. */
#include <stdio.h>

#include "address.h"
#include "buffer.h"
#include "comm.h"
#include "log.h"
#include "mcp-content.h"
#include "mcp-request.h"
#include "schemas.h"

#define RESPONSE_MAX 4096U

struct WebhookPost {
        LIST_FIELDS(WebhookPost);
        CommContext *ctx;
        McpRequest *req;
        const WebhookConfig *hook;
        CURL *easy;
        struct curl_slist *headers;
        char *url;
        char *body;
        Buffer response;
        char error[CURL_ERROR_SIZE];
};

static WebhookPost *webhook_post_free(WebhookPost *p) {
        if (!p)
                return NULL;
        if (p->ctx)
                LIST_REMOVE(p->ctx->webhook_posts, p);
        if (p->easy) {
                curl_event_remove(p->ctx->webhook_curl, p->easy);
                sym_curl_easy_cleanup(p->easy);
        }
        sym_curl_slist_free_all(p->headers);
        free(p->url);
        free(p->body);
        buffer_done(&p->response);
        mcp_request_unref(p->req);
        free(p);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(WebhookPost *, webhook_post_free);

static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata) {
        WebhookPost *p = userdata;
        size_t n = size * nmemb;
        /* Only the start of an answer is kept, for an error message. */
        (void) buffer_append(&p->response, data, MIN(n, RESPONSE_MAX - MIN(RESPONSE_MAX, p->response.size)),
                RESPONSE_MAX);
        return n;
}

static void on_finished(CURL *easy, CURLcode result, void *userdata) {
        WebhookPost *p = NULL;
        (void) sym_curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **) &p);
        _cleanup_(webhook_post_freep) WebhookPost *post = p;
        long status = 0;
        (void) sym_curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        const char *name = post->hook->name;

        if (result != CURLE_OK) {
                (void) mcp_request_reply_tool_error(post->req, "The webhook %s could not be reached: %s", name,
                        post->error[0] ? post->error : sym_curl_easy_strerror(result));
                return;
        }
        if (status < 200 || status > 299) {
                /* The answer's start, on one line, for the model to read. */
                for (size_t i = 0; i < post->response.size; i++)
                        if ((unsigned char) post->response.data[i] < 0x20)
                                post->response.data[i] = ' ';
                (void) mcp_request_reply_tool_error(post->req, "The webhook %s answered HTTP %ld: %.500s", name, status,
                        strempty(post->response.data));
                return;
        }
        _cleanup_json_ json_object *structured = json_object_new_object();
        if (!structured || json_add_string(structured, "endpoint", name) < 0 ||
                json_add_string(structured, "template", webhook_template_to_string(post->hook->template)) < 0 ||
                json_add(structured, "status", json_object_new_int64(status)) < 0) {
                (void) mcp_request_reply_error(post->req, -32603, "Out of memory.");
                return;
        }
        char text[256];
        snprintf(text, sizeof(text), "Posted to the webhook %s (HTTP %ld).", name, status);
        (void) mcp_request_reply_content(post->req, JSON_ARRAY(mcp_content_text(text)), TAKE_PTR(structured), false);
}

static const CurlEventOps curl_ops = {
        .finished = on_finished,
};

int webhook_init(CommContext *c, sd_event *event) {
        return curl_event_new(event, &curl_ops, c, &c->webhook_curl);
}

void webhook_done(CommContext *c) {
        while (c->webhook_posts)
                webhook_post_free(c->webhook_posts);
        c->webhook_curl = curl_event_free(c->webhook_curl);
}

static void on_cancel(McpRequest *req, void *userdata) {
        webhook_post_free(userdata);
}

static char *join_title(const char *title, const char *text, const char *before, const char *after) {
        char *s;
        if (!title)
                return strdup(text);
        return asprintf(&s, "%s%s%s\n%s", before, title, after, text) < 0 ? NULL : s;
}

/* The body and the headers of a post of text (and title) in the template's shape. */
static int payload(WebhookPost *p, const char *title, const char *text) {
        _cleanup_json_ json_object *o = json_object_new_object();
        _cleanup_free_ char *joined = NULL;
        const char *content_type = "Content-Type: application/json";
        if (!o)
                return -ENOMEM;
        switch (p->hook->template) {
        case WEBHOOK_SLACK:
                joined = join_title(title, text, "*", "*");
                if (!joined || json_add_string(o, "text", joined) < 0)
                        return -ENOMEM;
                break;
        case WEBHOOK_DISCORD:
                joined = join_title(title, text, "**", "**");
                if (!joined || json_add_string(o, "content", joined) < 0)
                        return -ENOMEM;
                break;
        case WEBHOOK_MATRIX:
                /* m.room.message: the URL ends in .../send/m.room.message; the transaction id makes a retry of
                 * the same PUT idempotent. */
                joined = join_title(title, text, "", "");
                if (!joined || json_add_string(o, "msgtype", "m.text") < 0 || json_add_string(o, "body", joined) < 0)
                        return -ENOMEM;
                break;
        case WEBHOOK_NTFY: {
                /* ntfy takes the message as the body and the title as a header (RFC 2047 for non-ASCII). */
                content_type = "Content-Type: text/plain; charset=utf-8";
                if (!(p->body = strdup(text)))
                        return -ENOMEM;
                if (title) {
                        _cleanup_free_ char *encoded = header_encode(title), *line = NULL;
                        if (!encoded || asprintf(&line, "Title: %s", encoded) < 0)
                                return -ENOMEM;
                        /* curl wants one line per header: the encoded words' folding is undone. */
                        for (char *c = line; *c; c++)
                                if (*c == '\r' || *c == '\n')
                                        *c = ' ';
                        struct curl_slist *l = sym_curl_slist_append(p->headers, line);
                        if (!l)
                                return -ENOMEM;
                        p->headers = l;
                }
                break;
        }
        case WEBHOOK_JSON:
                if ((title && json_add_string(o, "title", title) < 0) || json_add_string(o, "text", text) < 0)
                        return -ENOMEM;
                break;
        default:
                assert(false);
        }
        if (!p->body && !(p->body = strdup(json_to_string(o))))
                return -ENOMEM;

        struct curl_slist *l = sym_curl_slist_append(p->headers, content_type);
        if (!l)
                return -ENOMEM;
        p->headers = l;
        for (char **h = p->hook->resolved_headers; h && *h; h++) {
                if (!(l = sym_curl_slist_append(p->headers, *h)))
                        return -ENOMEM;
                p->headers = l;
        }
        if (!(l = sym_curl_slist_append(p->headers, "Expect:")))
                return -ENOMEM;
        p->headers = l;
        return 0;
}

static int post_setup(WebhookPost *p) {
        const WebhookConfig *w = p->hook;
        const char *method = w->method ?: (w->template == WEBHOOK_MATRIX ? "PUT" : "POST");
        if (w->template == WEBHOOK_MATRIX) {
                char txn[OUTBOX_ID_LENGTH + 1];
                outbox_new_id(txn);
                if (asprintf(&p->url, "%s/%s", w->url, txn) < 0)
                        return -ENOMEM;
        } else if (!(p->url = strdup(w->url)))
                return -ENOMEM;

        CURL *e = p->easy = sym_curl_easy_init();
        if (!e)
                return -ENOMEM;
        CURLcode c = sym_curl_easy_setopt(e, CURLOPT_URL, p->url);
        c = c ?: sym_curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        c = c ?: sym_curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
        c = c ?: sym_curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        c = c ?: sym_curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long) (w->timeout_usec / USEC_PER_MSEC));
        c = c ?: sym_curl_easy_setopt(e, CURLOPT_USERAGENT, "aios-commd");
        c = c ?: sym_curl_easy_setopt(e, CURLOPT_HTTPHEADER, p->headers);
        c = c ?: sym_curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long) strlen(p->body));
        c = c ?: sym_curl_easy_setopt(e, CURLOPT_POSTFIELDS, p->body);
        c = c ?: sym_curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
        c = c ?: sym_curl_easy_setopt(e, CURLOPT_ERRORBUFFER, p->error);
        c = c ?: sym_curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
        c = c ?: sym_curl_easy_setopt(e, CURLOPT_WRITEDATA, p);
        c = c ?: sym_curl_easy_setopt(e, CURLOPT_PRIVATE, p);
        return c == CURLE_OK ? 0 : -EINVAL;
}

static int tool_post_webhook(McpRequest *req, json_object *args) {
        CommContext *ctx = mcp_server_get_userdata(mcp_request_get_server(req));
        const char *name = json_get_string(args, "endpoint"), *title = json_get_string(args, "title");
        json_object *text = NULL;
        (void) json_object_object_get_ex(args, "text", &text);

        const WebhookConfig *hook = comm_config_find_webhook(&ctx->config, strempty(name));
        if (!hook) {
                _cleanup_free_ char *known = strdup("");
                for (size_t i = 0; known && i < ctx->config.n_webhooks; i++) {
                        char *grown;
                        if (asprintf(&grown, "%s%s%s", known, i ? ", " : "", ctx->config.webhooks[i].name) < 0)
                                return -ENOMEM;
                        free(known);
                        known = grown;
                }
                if (!known)
                        return -ENOMEM;
                return mcp_request_reply_tool_error(req,
                        "There is no webhook endpoint named %s. The administrator configured %s.", strempty(name),
                        isempty(known) ? "none ([Webhook NAME] in comm.conf)" : known);
        }
        if (!utf8_is_valid(json_object_get_string(text), json_object_get_string_len(text)) ||
                (title && !utf8_is_valid(title, strlen(title))))
                return mcp_request_reply_tool_error(req, "The text or title is not valid UTF-8 (or holds a NUL).");
        if (title && !header_value_is_safe(title))
                return mcp_request_reply_tool_error(req,
                        "The title contains a line break (CR or LF) or another control character, which could "
                        "inject headers: nothing was posted.");

        _cleanup_(webhook_post_freep) WebhookPost *p = new0(WebhookPost, 1);
        if (!p)
                return -ENOMEM;
        p->ctx = ctx;
        LIST_PREPEND(ctx->webhook_posts, p);
        p->req = mcp_request_ref(req);
        p->hook = hook;
        int r = payload(p, title, json_object_get_string(text));
        if (r < 0)
                return r;
        r = post_setup(p);
        if (r < 0)
                return r;
        r = curl_event_add(ctx->webhook_curl, p->easy);
        if (r < 0)
                return r;
        mcp_request_on_cancel(req, on_cancel, p);
        TAKE_PTR(p);
        return 0;
}

const McpTool comm_webhook_tools[] = {
        {
                .name = "comm_post_webhook",
                .title = "Post to a webhook",
                .description = "Posts a message (text, optional title) to an endpoint the administrator configured "
                               "by name (Slack, Matrix, Discord, ntfy or plain JSON); the endpoint's URL and "
                               "credentials stay with the server. An unknown name is an error listing the "
                               "configured ones.",
                .input_schema = comm_schema_comm_post_webhook_input,
                .output_schema = comm_schema_comm_post_webhook_output,
                .annotations = "{\"readOnlyHint\":false,\"destructiveHint\":false,\"idempotentHint\":false,"
                               "\"openWorldHint\":true}",
                .polkit_action = COMM_ACTION_SEND,
                /* A rule can allow a principal one endpoint: action.lookup("endpoint"). */
                .polkit_detail_argument = "endpoint",
                .polkit_required = true,
                .handler = tool_post_webhook,
        },
        {}
};
