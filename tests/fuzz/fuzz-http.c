/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for the HTTP entry: any bytes, sent as they are on a TCP connection to the Streamable HTTP
 * transport the gateway serves with (libmicrohttpd on sd-event, the router's authentication with API keys and
 * JWTs, Host and Origin checks, body limits, sessions, both wires) in front of a small engine with a tool that
 * checks its arguments, one that answers later, a resource and a prompt. Whatever comes in, the process must
 * neither crash nor leak, and the transport must keep serving: every few inputs a well-formed ping must still
 * be answered. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth-bearer.h"
#include "log.h"
#include "mcp-http.h"
#include "mcp-request.h"

static sd_event *event;
static McpServer *server;
static McpHttp *http;
static struct sockaddr_in address;
static char dir[64], store_path[128];
static ApiKeyStore *keys;
static JwtVerifier *jwt;

static int echo(McpRequest *req, json_object *arguments) {
        return mcp_request_reply_text(req, "%s", json_object_get_string(json_object_object_get(arguments, "text")));
}

static void later_done(McpRequest *req, void *userdata) {
        (void) mcp_request_progress(req, 1, 1, "done");
        (void) mcp_request_reply_text(req, "later");
}

static int later(McpRequest *req, json_object *arguments) {
        return mcp_request_sleep(req, 100, later_done, NULL);
}

static int read_note(McpRequest *req, const char *uri, json_object *variables) {
        json_object *contents = json_object_new_array();
        json_object *c = json_object_new_object();
        json_object_object_add(c, "uri", json_object_new_string(uri));
        json_object_object_add(c, "text", json_object_new_string("note"));
        json_object_array_add(contents, c);
        json_object *result = json_object_new_object();
        json_object_object_add(result, "contents", contents);
        return mcp_request_reply(req, result);
}

static int get_prompt(McpRequest *req, json_object *arguments) {
        json_object *result = json_object_new_object();
        json_object_object_add(result, "messages", json_object_new_array());
        return mcp_request_reply(req, result);
}

static const McpTool tools[] = {
        { .name = "echo",
                .input_schema = "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\",\"maxLength\":64}},"
                                "\"required\":[\"text\"],\"additionalProperties\":false}",
                .handler = echo },
        { .name = "later", .handler = later },
        {},
};
static const McpResource resources[] = {
        { .uri = "note://one", .name = "one", .mime_type = "text/plain", .read = read_note },
        {},
};
static const McpResourceTemplate templates[] = {
        { .uri_template = "note://{id}", .name = "note", .read = read_note },
        {},
};
static const McpPrompt prompts[] = {
        { .name = "p", .arguments = "[{\"name\":\"a\",\"required\":true}]", .get = get_prompt },
        {},
};
static const McpServerDefinition definition = {
        .name = "fuzz",
        .version = "1",
        .tools = tools,
        .resources = resources,
        .resource_templates = templates,
        .prompts = prompts,
};

static McpServer *find(void *userdata, const char *url) {
        return strcmp(url, "/mcp") == 0 ? server : NULL;
}

static int authenticate(void *userdata, struct MHD_Connection *c, McpIdentity **ret_identity,
        McpHttpRefusal *ret_refusal) {
        const char *header = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        if (!header)
                return mcp_identity_new(ret_identity, MCP_PRINCIPAL_ANONYMOUS, "") < 0 ? -ENOMEM : 1;
        BearerResult result;
        int r = auth_bearer_check(keys, jwt, header, (uint64_t) time(NULL) * USEC_PER_SEC, &result);
        if (r < 0)
                return r;
        if (r == 0) {
                *ret_refusal = (McpHttpRefusal){ .status = 401, .code = -32001, .message = strdup("unauthorized") };
                bearer_result_done(&result);
                return ret_refusal->message ? 0 : -ENOMEM;
        }
        r = mcp_identity_new(ret_identity, result.principal, result.scopes);
        bearer_result_done(&result);
        return r < 0 ? r : 1;
}

static void cleanup(void) {
        mcp_http_free(http);
        mcp_server_free(server);
        sd_event_unref(event);
        apikey_store_free(keys);
        jwt_verifier_free(jwt);
        char lock[160];
        snprintf(lock, sizeof(lock), "%s.lock", store_path);
        (void) unlink(store_path);
        (void) unlink(lock);
        (void) rmdir(dir);
}

static void setup(void) {
        log_set_max_level(LOG_CRIT);
        strcpy(dir, "/tmp/fuzz-http-XXXXXX");
        if (!mkdtemp(dir))
                abort();
        snprintf(store_path, sizeof(store_path), "%s/api-keys", dir);
        char *scopes[] = { (char *) "tools:*", NULL }, *key = NULL;
        if (apikey_store_open(store_path, NULL, 0, &keys) < 0 ||
                apikey_create(keys, "k", scopes, (uint64_t) time(NULL) * USEC_PER_SEC, 0, &key, NULL) < 0)
                abort();
        free(key);
        const JwtPolicy policy = { .audience = "http://127.0.0.1/mcp", .leeway_usec = JWT_LEEWAY_USEC_DEFAULT };
        static const char secret[] = "0123456789abcdef0123456789abcdef0123456789abcdef";
        if (jwt_verifier_new(&policy, &jwt) < 0 || jwt_verifier_add_secret(jwt, NULL, secret, strlen(secret), NULL) < 0)
                abort();

        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        address = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t l = sizeof(address);
        if (fd < 0 || bind(fd, (struct sockaddr *) &address, sizeof(address)) < 0 || listen(fd, 64) < 0 ||
                getsockname(fd, (struct sockaddr *) &address, &l) < 0)
                abort();

        McpHttpOptions options = MCP_HTTP_OPTIONS_DEFAULT;
        options.max_body = 64 * 1024;
        options.max_sessions = 64;
        options.max_sessions_per_owner = 16;
        options.http.head_timeout_sec = 1;
        const McpHttpRouter router = { .find = find, .authenticate = authenticate };
        if (sd_event_default(&event) < 0 || mcp_server_new(&server, &definition, event, NULL) < 0 ||
                mcp_http_new_routed(&http, event, fd, &options, &router) < 0)
                abort();
        atexit(cleanup);
}

/* Sends data on a new connection and runs the loop until the server has been quiet for a few rounds.
 * Returns what came back (up to size - 1 bytes, NUL-terminated), or -1 when the connection failed. */
static ssize_t exchange(const void *data, size_t n, char *reply, size_t size) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                abort();
        if (connect(fd, (struct sockaddr *) &address, sizeof(address)) < 0 && errno != EINPROGRESS) {
                close(fd);
                return -1;
        }
        size_t sent = 0, got = 0;
        bool eof = false;
        for (unsigned quiet = 0, rounds = 0; !eof && quiet < 4 && rounds < 400; rounds++) {
                if (sent < n) {
                        ssize_t k = send(fd, (const char *) data + sent, n - sent, MSG_NOSIGNAL);
                        if (k > 0)
                                sent += (size_t) k;
                        else if (k < 0 && errno != EAGAIN)
                                sent = n;
                }
                int r = sd_event_run(event, 200);
                ssize_t k = recv(fd, reply + got, size - 1 - got, 0);
                if (k > 0)
                        got += (size_t) k;
                eof = k == 0 || (k < 0 && errno != EAGAIN) || got == size - 1;
                quiet = (r == 0 && k <= 0 && sent == n) ? quiet + 1 : 0;
        }
        close(fd);
        (void) sd_event_run(event, 0); /* the server notices the close */
        reply[got] = 0;
        return (ssize_t) got;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static unsigned inputs;
        if (!server)
                setup();
        if (size > 128 * 1024)
                return 0;

        static char reply[16384];
        (void) exchange(data, size, reply, sizeof(reply));

        /* Still serving: a new client is answered. */
        if (++inputs % 64 == 0) {
                static const char body[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                                           "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                                           "\"clientInfo\":{\"name\":\"c\",\"version\":\"1\"}}}";
                char request[1024];
                int l = snprintf(request, sizeof(request),
                        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        "Accept: application/json, text/event-stream\r\nConnection: close\r\n"
                        "Content-Length: %zu\r\n\r\n%s",
                        strlen(body), body);
                if (exchange(request, (size_t) l, reply, sizeof(reply)) <= 0 || !strstr(reply, "HTTP/1.1 200"))
                        abort();
        }
        return 0;
}
