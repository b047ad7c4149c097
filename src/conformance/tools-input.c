/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tools that ask the client for input: the fixtures of the 2026-07-28 input-required scenarios. Each is an
 * ordinary handler that asks with mcp_request_ask_named(); on the session wire the questions are
 * server-to-client requests, on the stateless wire input_required round trips. */
#include <stdio.h>

#include "conformance.h"
#include "mcp-content.h"
#include "mcp-request.h"

static json_object *parse(const char *text) {
        json_object *o = NULL;
        return json_parse_strict(text, strlen(text), &o, NULL) < 0 ? NULL : o;
}

static json_object *elicitation_params(const char *message, const char *schema) {
        _cleanup_json_ json_object *params = json_object_new_object();
        if (!params || json_add_string(params, "message", message) < 0 ||
                json_add(params, "requestedSchema", parse(schema)) < 0)
                return NULL;
        return TAKE_PTR(params);
}

static json_object *sampling_params(const char *prompt, int max_tokens) {
        _cleanup_json_ json_object *message = json_object_new_object(), *params = json_object_new_object();
        if (!message || !params || json_add_string(message, "role", "user") < 0 ||
                json_add(message, "content", mcp_content_text(prompt)) < 0 ||
                json_add(params, "messages", JSON_ARRAY(TAKE_PTR(message))) < 0 ||
                json_add(params, "maxTokens", json_object_new_int(max_tokens)) < 0)
                return NULL;
        return TAKE_PTR(params);
}

#define NAME_SCHEMA "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}},\"required\":[\"name\"]}"
#define OK_SCHEMA "{\"type\":\"object\",\"properties\":{\"ok\":{\"type\":\"boolean\"}},\"required\":[\"ok\"]}"

/* What an answer says, in a few words. */
static const char *elicited(json_object *result, const char *field) {
        if (!streq_ptr(json_get_string(result, "action"), "accept"))
                return "(declined)";
        json_object *v = json_object_object_get(json_get_object(result, "content"), field);
        return v ? json_object_get_string(v) : "(missing)";
}

static const char *sampled(json_object *result) {
        return json_get_string(json_get_object(result, "content"), "text") ?: "(no text)";
}

static void roots_text(json_object *result, char *buf, size_t size) {
        json_object *roots = json_get_array(result, "roots");
        size_t used = 0, n = roots ? json_object_array_length(roots) : 0;
        buf[0] = 0;
        for (size_t i = 0; i < n && used < size; i++)
                used += (size_t) snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
                        strempty(json_get_string(json_object_array_get_idx(roots, i), "uri")));
        if (n == 0)
                snprintf(buf, size, "(none)");
}

static bool answer_failed(McpRequest *req, json_object *error) {
        if (!error)
                return false;
        (void) mcp_request_reply_tool_error(req, "The client could not answer: %s",
                json_get_string(error, "message") ?: "unknown error");
        return true;
}

static void on_name(McpRequest *req, json_object *result, json_object *error, void *userdata) {
        if (!answer_failed(req, error))
                (void) mcp_request_reply_text(req, "Hello, %s!", elicited(result, "name"));
}

static int tool_elicitation(McpRequest *req, json_object *args) {
        return mcp_request_ask_named(req, "user_name", "elicitation/create",
                elicitation_params("What is your name?", NAME_SCHEMA), on_name, NULL);
}

static void on_capital(McpRequest *req, json_object *result, json_object *error, void *userdata) {
        if (!answer_failed(req, error))
                (void) mcp_request_reply_text(req, "Sampling response: %s", sampled(result));
}

static int tool_sampling(McpRequest *req, json_object *args) {
        return mcp_request_ask_named(req, "capital_question", "sampling/createMessage",
                sampling_params("What is the capital of France?", 100), on_capital, NULL);
}

static void on_roots(McpRequest *req, json_object *result, json_object *error, void *userdata) {
        char text[1024];
        if (answer_failed(req, error))
                return;
        roots_text(result, text, sizeof(text));
        (void) mcp_request_reply_text(req, "Client roots: %s", text);
}

static int tool_list_roots(McpRequest *req, json_object *args) {
        return mcp_request_ask_named(req, "client_roots", "roots/list", json_object_new_object(), on_roots, NULL);
}

static void on_confirm(McpRequest *req, json_object *result, json_object *error, void *userdata) {
        if (answer_failed(req, error))
                return;
        /* "state-ok": the request came back with the requestState this server sealed, unaltered. */
        (void) mcp_request_reply_text(req, "%s: ok=%s", mcp_request_is_resumed(req) ? "state-ok" : "no-state",
                elicited(result, "ok"));
}

static int tool_confirm(McpRequest *req, json_object *args) {
        return mcp_request_ask_named(req, "confirm", "elicitation/create",
                elicitation_params("Please confirm", OK_SCHEMA), on_confirm, NULL);
}

static void free_name(McpRequest *req, void *userdata) {
        free(userdata);
}

static void on_step2(McpRequest *req, json_object *result, json_object *error, void *userdata) {
        if (mcp_request_is_done(req))
                return;
        _cleanup_free_ char *name = userdata;
        mcp_request_on_cancel(req, NULL, NULL);
        if (!answer_failed(req, error))
                (void) mcp_request_reply_text(req, "Name and favorite color: %s, %s", name, elicited(result, "color"));
}

static void on_step1(McpRequest *req, json_object *result, json_object *error, void *userdata) {
        if (answer_failed(req, error))
                return;
        /* The first answer is needed with the second: keep a copy until then. */
        char *name = strdup(elicited(result, "name"));
        if (!name) {
                (void) mcp_request_reply_tool_error(req, "Out of memory.");
                return;
        }
        mcp_request_on_cancel(req, free_name, name);
        int r = mcp_request_ask_named(req, "step2", "elicitation/create",
                elicitation_params("Step 2: What is your favorite color?",
                        "{\"type\":\"object\",\"properties\":{\"color\":{\"type\":\"string\"}},\"required\":[\"color\"]}"),
                on_step2, name);
        if (r < 0) {
                mcp_request_on_cancel(req, NULL, NULL);
                free(name);
                if (r != -ESTALE)
                        (void) mcp_request_reply_tool_error(req, "Could not ask the next question: %s", strerror(-r));
        }
}

static int tool_multi_round(McpRequest *req, json_object *args) {
        return mcp_request_ask_named(req, "step1", "elicitation/create",
                elicitation_params("Step 1: What is your name?", NAME_SCHEMA), on_step1, NULL);
}

/* Several questions at once: the answers are collected, and the tool answers when all are in. */
typedef struct Collected {
        unsigned expected, received;
        char text[2048];
        size_t used;
} Collected;

static void collected_free(McpRequest *req, void *userdata) {
        free(userdata);
}

static void on_collected(McpRequest *req, json_object *result, json_object *error, void *userdata) {
        if (mcp_request_is_done(req))
                return; /* the request ended and freed what it collected */
        Collected *c = userdata;
        if (error) {
                mcp_request_on_cancel(req, NULL, NULL);
                free(c);
                (void) answer_failed(req, error);
                return;
        }

        const char *method = json_get_string(result, "model") ? "sampling"
                : json_get_array(result, "roots")             ? "roots"
                                                              : "elicitation";
        char roots[512];
        roots_text(result, roots, sizeof(roots));
        const char *value = streq(method, "sampling") ? sampled(result)
                : streq(method, "roots")              ? roots
                                                      : elicited(result, "name");
        if (c->used < sizeof(c->text))
                c->used += (size_t) snprintf(c->text + c->used, sizeof(c->text) - c->used, "%s%s: %s",
                        c->received ? "; " : "", method, value);

        if (++c->received < c->expected)
                return;
        mcp_request_on_cancel(req, NULL, NULL);
        (void) mcp_request_reply_text(req, "All inputs received: %s", c->text);
        free(c);
}

static int ask_all(McpRequest *req, bool elicitation, bool sampling, bool roots) {
        Collected *c = new0(Collected, 1);
        if (!c)
                return -ENOMEM;
        c->expected = elicitation + sampling + roots;
        mcp_request_on_cancel(req, collected_free, c);

        int r = 0;
        if (elicitation)
                r = mcp_request_ask_named(req, "user_name", "elicitation/create",
                        elicitation_params("What is your name?", NAME_SCHEMA), on_collected, c);
        if (r >= 0 && sampling)
                r = mcp_request_ask_named(req, "greeting", "sampling/createMessage",
                        sampling_params("Generate a greeting", 50), on_collected, c);
        if (r >= 0 && roots)
                r = mcp_request_ask_named(req, "client_roots", "roots/list", json_object_new_object(), on_collected, c);

        if (r < 0) {
                /* Answered already (-ESTALE: a missing capability) or about to be with an error: the cancel
                 * callback will not run. */
                mcp_request_on_cancel(req, NULL, NULL);
                free(c);
        }
        return r == -ESTALE ? 0 : r;
}

static int tool_multiple_inputs(McpRequest *req, json_object *args) {
        return ask_all(req, true, true, true);
}

static int tool_capabilities(McpRequest *req, json_object *args) {
        bool elicitation = mcp_request_client_supports(req, "elicitation");
        bool sampling = mcp_request_client_supports(req, "sampling");
        bool roots = mcp_request_client_supports(req, "roots");
        if (!elicitation && !sampling && !roots)
                return mcp_request_reply_text(req, "The client declared no capability to ask with.");
        return ask_all(req, elicitation, sampling, roots);
}

/* Needs sampling, whether or not the client declared it: the engine refuses with -32021 when it did not. */
static int tool_missing_capability(McpRequest *req, json_object *args) {
        return mcp_request_ask_named(req, "sample", "sampling/createMessage", sampling_params("Say hello", 20),
                on_capital, NULL);
}

static void on_streaming_answer(McpRequest *req, json_object *result, json_object *error, void *userdata) {
        if (!answer_failed(req, error))
                (void) mcp_request_reply_text(req, "Received: %s", elicited(result, "name"));
}

/* Reports progress, then asks: on the stateless wire the question must come as input_required, never as a
 * request on the response stream. */
static int tool_streaming_elicitation(McpRequest *req, json_object *args) {
        (void) mcp_request_progress(req, 1, 2, "Asking for input");
        return mcp_request_ask_named(req, "user_name", "elicitation/create",
                elicitation_params("What is your name?", NAME_SCHEMA), on_streaming_answer, NULL);
}

/* Logs at three levels; what reaches the client depends on the level it asked for. */
static int tool_logging(McpRequest *req, json_object *args) {
        (void) mcp_request_logf(req, MCP_LOG_DEBUG, "test_logging_tool: debug message");
        (void) mcp_request_logf(req, MCP_LOG_INFO, "test_logging_tool: info message");
        (void) mcp_request_logf(req, MCP_LOG_WARNING, "test_logging_tool: warning message");
        return mcp_request_reply_text(req, "Logged three messages (debug, info, warning).");
}

#define EMPTY_SCHEMA "{\"type\":\"object\",\"properties\":{}}"

const McpTool conformance_input_tools[] = { { .name = "test_input_required_result_elicitation",
                                                    .description = "Asks the client for its name",
                                                    .input_schema = EMPTY_SCHEMA,
                                                    .polkit_action = CONFORMANCE_ACTION,
                                                    .handler = tool_elicitation },
        { .name = "test_input_required_result_sampling",
                .description = "Asks the client's model a question",
                .input_schema = EMPTY_SCHEMA,
                .polkit_action = CONFORMANCE_ACTION,
                .handler = tool_sampling },
        { .name = "test_input_required_result_list_roots",
                .description = "Asks the client for its roots",
                .input_schema = EMPTY_SCHEMA,
                .polkit_action = CONFORMANCE_ACTION,
                .handler = tool_list_roots },
        { .name = "test_input_required_result_request_state",
                .description = "Asks for a confirmation and says whether requestState came back intact",
                .input_schema = EMPTY_SCHEMA,
                .polkit_action = CONFORMANCE_ACTION,
                .handler = tool_confirm },
        { .name = "test_input_required_result_tampered_state",
                .description = "Asks for a confirmation",
                .input_schema = EMPTY_SCHEMA,
                .polkit_action = CONFORMANCE_ACTION,
                .handler = tool_confirm },
        { .name = "test_input_required_result_multiple_inputs",
                .description = "Asks for a name, a greeting from the model and the roots at once",
                .input_schema = EMPTY_SCHEMA,
                .polkit_action = CONFORMANCE_ACTION,
                .handler = tool_multiple_inputs },
        { .name = "test_input_required_result_multi_round",
                .description = "Asks two questions, one after the other",
                .input_schema = EMPTY_SCHEMA,
                .polkit_action = CONFORMANCE_ACTION,
                .handler = tool_multi_round },
        { .name = "test_input_required_result_capabilities",
                .description = "Asks only with the capabilities the client declared",
                .input_schema = EMPTY_SCHEMA,
                .polkit_action = CONFORMANCE_ACTION,
                .handler = tool_capabilities },
        { .name = "test_missing_capability",
                .description = "Needs sampling from the client",
                .input_schema = EMPTY_SCHEMA,
                .polkit_action = CONFORMANCE_ACTION,
                .handler = tool_missing_capability },
        { .name = "test_streaming_elicitation",
                .description = "Reports progress, then asks for a name",
                .input_schema = EMPTY_SCHEMA,
                .polkit_action = CONFORMANCE_ACTION,
                .handler = tool_streaming_elicitation },
        { .name = "test_logging_tool",
                .description = "Logs at debug, info and warning",
                .input_schema = EMPTY_SCHEMA,
                .polkit_action = CONFORMANCE_ACTION,
                .handler = tool_logging },
        {} };
