/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "buffer.h"
#include "client.h"
#include "json-util.h"
#include "jsonrpc.h"
#include "log.h"
#include "mcp-protocol.h"
#include "sse.h"

#define BODY_MAX (64U * 1024U * 1024U)
#define INPUT_ROUNDS_MAX 8

struct Client {
        CURL *easy;
        char *base;          /* "http://localhost" on the socket, else the URL without its /mcp */
        char *authorization; /* "Authorization: Bearer KEY" or NULL */
        char *socket_path;   /* the local socket, or NULL */
};

int client_new(Client **ret, const char *socket_path, const char *url, const char *key) {
        _cleanup_(client_freep) Client *c = new0(Client, 1);
        if (!c || !(c->easy = curl_easy_init()))
                return log_oom();
        if (url) {
                size_t n = strlen(url);
                while (n > 0 && url[n - 1] == '/')
                        n--;
                if (n >= 4 && strncmp(url + n - 4, "/mcp", 4) == 0)
                        n -= 4;
                c->base = strndup(url, n);
        } else {
                c->socket_path = strdup(socket_path);
                c->base = strdup("http://localhost");
                if (curl_easy_setopt(c->easy, CURLOPT_UNIX_SOCKET_PATH, socket_path) != CURLE_OK)
                        return log_oom();
        }
        if (!c->base || (!url && !c->socket_path) ||
                (key && asprintf(&c->authorization, "Authorization: Bearer %s", key) < 0))
                return log_oom();
        *ret = TAKE_PTR(c);
        return 0;
}

Client *client_free(Client *c) {
        if (!c)
                return NULL;
        if (c->easy)
                curl_easy_cleanup(c->easy);
        if (c->authorization)
                explicit_bzero(c->authorization, strlen(c->authorization));
        free(c->authorization);
        free(c->base);
        free(c->socket_path);
        free(c);
        return NULL;
}

/* --- one HTTP exchange ------------------------------------------------------------------------------- */

typedef struct Exchange {
        Buffer body;
        bool sse, decided, too_large;
        SseParser events;
        json_object *response; /* the JSON-RPC response, once it came */
        const ClientHandlers *handlers;
        char www_authenticate[512];
} Exchange;

static int take_message(Exchange *x, json_object *m /* taken */) {
        if (json_object_object_get_ex(m, "id", NULL) &&
                (json_object_object_get_ex(m, "result", NULL) || json_object_object_get_ex(m, "error", NULL))) {
                json_object_put(x->response);
                x->response = m;
                return 0;
        }
        if (x->handlers && x->handlers->notification && json_get_string(m, "method"))
                x->handlers->notification(m, x->handlers->userdata);
        json_object_put(m);
        return 0;
}

static int on_event(const SseEvent *e, void *userdata) {
        json_object *m = NULL;
        if (json_parse_strict(e->data, e->size, &m, NULL) < 0)
                return 0; /* not JSON: nothing for us */
        return take_message(userdata, m);
}

static size_t on_header(char *data, size_t size, size_t n, void *userdata) {
        Exchange *x = userdata;
        size_t l = size * n;
        if (l > 13 && strncasecmp(data, "content-type:", 13) == 0) {
                x->decided = true;
                x->sse = memmem(data, l, "text/event-stream", 17) != NULL;
        } else if (l > 17 && strncasecmp(data, "www-authenticate:", 17) == 0)
                snprintf(x->www_authenticate, sizeof(x->www_authenticate), "%.*s", (int) MIN(l - 17, 500), data + 17);
        return l;
}

static size_t on_write(char *data, size_t size, size_t n, void *userdata) {
        Exchange *x = userdata;
        size_t l = size * n;
        if (x->sse)
                return sse_feed(&x->events, data, l) < 0 ? 0 : l;
        int r = buffer_append(&x->body, data, l, BODY_MAX);
        x->too_large = r == -E2BIG;
        return r < 0 ? 0 : l;
}

static void exchange_done(Exchange *x) {
        buffer_done(&x->body);
        sse_parser_done(&x->events);
        json_object_put(x->response);
}

/* Performs a request on c's handle; status and what came in x. */
static int perform(Client *c, const char *path, struct curl_slist *headers, const char *post, Exchange *x,
        long *ret_status) {
        _cleanup_free_ char *url = NULL;
        if (asprintf(&url, "%s%s", c->base, path) < 0)
                return log_oom();
        CURL *e = c->easy;
        char error[CURL_ERROR_SIZE] = "";
        CURLcode k = curl_easy_setopt(e, CURLOPT_URL, url);
        k = k ?: curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        k = k ?: curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
        k = k ?: curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error);
        k = k ?: curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
        k = k ?: curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
        k = k ?: curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
        k = k ?: curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
        k = k ?: curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        k = k ?: curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
        if (post) {
                k = k ?: curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long) strlen(post));
                k = k ?: curl_easy_setopt(e, CURLOPT_POSTFIELDS, post);
        } else
                k = k ?: curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        if (k != CURLE_OK)
                return log_error_errno(ENOMEM, "Failed to set up the request: %s", curl_easy_strerror(k)), EXIT_FAILED;

        k = curl_easy_perform(e);
        if (k != CURLE_OK && !(k == CURLE_WRITE_ERROR && x->too_large)) {
                if (c->socket_path)
                        log_error("Failed to reach the gateway on %s: %s. Is aios-gatewayd.socket running "
                                  "(systemctl status aios-gatewayd.socket)?",
                                c->socket_path, *error ? error : curl_easy_strerror(k));
                else
                        log_error("Failed to reach the gateway at %s: %s", c->base,
                                *error ? error : curl_easy_strerror(k));
                return EXIT_UNREACHABLE;
        }
        if (x->too_large)
                return log_error("The gateway's answer is larger than %u MiB; not read.", BODY_MAX >> 20), EXIT_FAILED;
        (void) curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, ret_status);
        return 0;
}

int client_get(Client *c, const char *path, long *ret_status, char **ret_body) {
        _cleanup_(exchange_done) Exchange x = {};
        struct curl_slist *headers = c->authorization ? curl_slist_append(NULL, c->authorization) : NULL;
        int r = perform(c, path, headers, NULL, &x, ret_status);
        curl_slist_free_all(headers);
        if (r != 0)
                return r;
        *ret_body = x.body.data ? TAKE_PTR(x.body.data) : strdup("");
        if (!*ret_body)
                return log_oom(), EXIT_FAILED;
        return 0;
}

/* --- MCP on the stateless wire ------------------------------------------------------------------------- */

static json_object *meta_new(const ClientHandlers *handlers) {
        json_object *meta = json_object_new_object(), *caps = json_object_new_object(),
                    *info = json_object_new_object();
        if (!meta || !caps || !info) {
                json_object_put(meta);
                json_object_put(caps);
                json_object_put(info);
                return NULL;
        }
        if (handlers && handlers->elicit) {
                json_object *e = json_object_new_object();
                json_add(e, "form", json_object_new_object());
                json_add(caps, "elicitation", e);
        }
        json_add_string(info, "name", "aiosctl");
        json_add_string(info, "version", PROJECT_VERSION);
        json_add_string(meta, MCP_META_PROTOCOL_VERSION, MCP_VERSION_STATELESS);
        json_add(meta, MCP_META_CLIENT_CAPABILITIES, caps);
        json_add(meta, MCP_META_CLIENT_INFO, info);
        if (handlers && handlers->notification)
                json_add_string(meta, "progressToken", "aiosctl");
        return meta;
}

static const char *target_of(const char *method, json_object *params) {
        if (streq(method, "tools/call") || streq(method, "prompts/get"))
                return json_get_string(params, "name");
        if (streq(method, "resources/read"))
                return json_get_string(params, "uri");
        return NULL;
}

static int refusal(long status, const Exchange *x, json_object *error) {
        const char *message = json_get_string(error, "message");
        if (status == 401)
                log_error("The gateway wants credentials: %s%s", message ?: "unauthorized",
                        *x->www_authenticate ? "" : ".");
        else
                log_error("The gateway refused the request (HTTP %ld): %s", status, message ?: "no reason given");
        return status == 401 || status == 403 ? EXIT_DENIED : EXIT_FAILED;
}

/* The answers to an input_required result's questions, asked at the terminal; NULL when one is declined
 * or cannot be asked. */
static json_object *answer_all(json_object *input_requests, const ClientHandlers *handlers) {
        _cleanup_json_ json_object *answers = json_object_new_object();
        if (!answers || !handlers || !handlers->elicit)
                return NULL;
        json_object_object_foreach (input_requests, key, question) {
                if (!streq_ptr(json_get_string(question, "method"), "elicitation/create"))
                        return NULL;
                json_object *answer = handlers->elicit(json_get_object(question, "params"), handlers->userdata);
                if (!answer)
                        return NULL;
                json_add(answers, key, answer);
        }
        return TAKE_PTR(answers);
}

int client_request(Client *c, const char *endpoint, const char *method, json_object *params,
        const ClientHandlers *handlers, json_object **ret_result, json_object **ret_error) {
        _cleanup_json_ json_object *p = params ? json_object_get(params) : json_object_new_object();
        _cleanup_json_ json_object *answers = NULL;
        _cleanup_free_ char *state = NULL; /* the last input_required's requestState */
        *ret_result = *ret_error = NULL;

        for (unsigned round = 0;; round++) {
                /* A copy of the caller's params with _meta and, after input_required, the answers. */
                _cleanup_json_ json_object *q = NULL;
                if (!p || json_object_deep_copy(p, &q, NULL) < 0 || json_add(q, "_meta", meta_new(handlers)) < 0)
                        return log_oom(), EXIT_FAILED;
                if (answers &&
                        (json_add(q, "inputResponses", json_object_get(answers)) < 0 ||
                                json_add_string(q, "requestState", state) < 0))
                        return log_oom(), EXIT_FAILED;
                _cleanup_json_ json_object *message = json_object_new_object();
                json_add_string(message, "jsonrpc", "2.0");
                json_add(message, "id", json_object_new_int(1));
                json_add_string(message, "method", method);
                json_add(message, "params", json_object_get(q));

                _cleanup_free_ char *mcp_method = NULL, *mcp_name = NULL;
                const char *target = target_of(method, q);
                struct curl_slist *h = NULL;
                const char *fixed[] = { "Content-Type: application/json", "Accept: application/json, text/event-stream",
                        "MCP-Protocol-Version: " MCP_VERSION_STATELESS, c->authorization };
                FOREACH_ELEMENT(f, fixed)
                if (*f)
                        h = curl_slist_append(h, *f);
                if (asprintf(&mcp_method, "Mcp-Method: %s", method) < 0 ||
                        (target && asprintf(&mcp_name, "Mcp-Name: %s", target) < 0))
                        return curl_slist_free_all(h), log_oom(), EXIT_FAILED;
                h = curl_slist_append(h, mcp_method);
                if (mcp_name)
                        h = curl_slist_append(h, mcp_name);

                _cleanup_(exchange_done) Exchange x = { .handlers = handlers };
                sse_parser_init(&x.events, BODY_MAX, on_event, &x);
                long status = 0;
                int r = perform(c, endpoint, h, json_to_string(message), &x, &status);
                curl_slist_free_all(h);
                if (r != 0)
                        return r;
                if (!x.sse && x.body.size > 0) {
                        json_object *m = NULL;
                        if (json_parse_strict(x.body.data, x.body.size, &m, NULL) >= 0)
                                take_message(&x, m);
                }
                json_object *error = json_get_object(x.response, "error");
                if (status == 404 && !x.response)
                        return log_error("The gateway has no endpoint %s.", endpoint), EXIT_NOT_FOUND;
                if (status >= 400 && (status != 200 && !(status == 400 && error)))
                        return refusal(status, &x, error);
                if (!x.response)
                        return log_error("The gateway's answer (HTTP %ld) holds no JSON-RPC response.", status),
                               EXIT_FAILED;
                if (error) {
                        *ret_error = json_object_get(error);
                        return 0;
                }
                json_object *result = json_get_object(x.response, "result");
                if (!result)
                        return log_error("The gateway's response has neither result nor error."), EXIT_FAILED;
                if (!streq_ptr(json_get_string(result, "resultType"), "input_required")) {
                        *ret_result = json_object_get(result);
                        return 0;
                }

                /* The server asks something before it goes on: ask at the terminal and send the answers. */
                if (round >= INPUT_ROUNDS_MAX)
                        return log_error("The server asked for input %u times over; giving up.", round + 1),
                               EXIT_FAILED;
                json_object_put(answers);
                answers = answer_all(json_get_object(result, "inputRequests"), handlers);
                if (!answers)
                        return log_error("The server needs an answer that was not given (run it on a terminal to "
                                         "answer its questions)."),
                               EXIT_FAILED;
                json_object_put(p);
                p = json_object_get(q);
                json_object_object_del(p, "_meta");
                json_object_object_del(p, "inputResponses");
                json_object_object_del(p, "requestState");
                free(state);
                if (!(state = strdup(strempty(json_get_string(result, "requestState")))))
                        return log_oom(), EXIT_FAILED;
        }
}

int client_list_all(Client *c, const char *endpoint, const char *method, const char *key, json_object **ret) {
        _cleanup_json_ json_object *all = json_object_new_array();
        _cleanup_free_ char *cursor = NULL;
        for (unsigned page = 0; page < 10000; page++) {
                _cleanup_json_ json_object *params = json_object_new_object(), *result = NULL, *error = NULL;
                if (!all || !params || (cursor && json_add_string(params, "cursor", cursor) < 0))
                        return log_oom(), EXIT_FAILED;
                int r = client_request(c, endpoint, method, params, NULL, &result, &error);
                if (r != 0)
                        return r;
                if (error) {
                        log_error("%s failed: %s", method, strempty(json_get_string(error, "message")));
                        return client_error_exit(error);
                }
                json_object *items = json_get_array(result, key);
                for (size_t i = 0; items && i < json_object_array_length(items); i++)
                        json_object_array_add(all, json_object_get(json_object_array_get_idx(items, i)));
                const char *next = json_get_string(result, "nextCursor");
                if (!next) {
                        *ret = TAKE_PTR(all);
                        return 0;
                }
                free(cursor);
                if (!(cursor = strdup(next)))
                        return log_oom(), EXIT_FAILED;
        }
        return log_error("%s: more than 10000 pages; giving up.", method), EXIT_FAILED;
}

int client_error_exit(json_object *error) {
        json_object *code = NULL;
        int c = json_object_object_get_ex(error, "code", &code) ? json_object_get_int(code) : 0;
        const char *message = strempty(json_get_string(error, "message"));
        if (c == MCP_ERROR_ACCESS_DENIED)
                return EXIT_DENIED;
        if (c == MCP_ERROR_RESOURCE_NOT_FOUND || c == JSONRPC_METHOD_NOT_FOUND ||
                (c == JSONRPC_INVALID_PARAMS &&
                        (startswith_ptr(message, "Unknown tool") || startswith_ptr(message, "Unknown prompt"))))
                return EXIT_NOT_FOUND;
        return EXIT_FAILED;
}
