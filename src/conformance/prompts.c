/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The test_* prompts. */
#include <stdio.h>

#include "conformance.h"
#include "jsonrpc.h"
#include "mcp-content.h"
#include "mcp-request.h"

static json_object *message_new(json_object *content) {
        _cleanup_json_ json_object *c = content;
        _cleanup_json_ json_object *m = json_object_new_object();
        if (!m || !c || json_add_string(m, "role", "user") < 0 || json_add(m, "content", TAKE_PTR(c)) < 0)
                return NULL;
        return TAKE_PTR(m);
}

static int reply_messages(McpRequest *req, json_object *messages) {
        _cleanup_json_ json_object *m = messages;
        _cleanup_json_ json_object *result = json_object_new_object();
        if (!result || !m || json_add(result, "messages", TAKE_PTR(m)) < 0)
                return -ENOMEM;
        return mcp_request_reply(req, TAKE_PTR(result));
}

static int get_simple(McpRequest *req, json_object *args) {
        return reply_messages(req, JSON_ARRAY(message_new(mcp_content_text("This is a simple prompt for testing."))));
}

static int get_with_arguments(McpRequest *req, json_object *args) {
        char text[1024];
        snprintf(text, sizeof(text), "Prompt with arguments: arg1='%s', arg2='%s'", json_get_string(args, "arg1"),
                json_get_string(args, "arg2"));
        return reply_messages(req, JSON_ARRAY(message_new(mcp_content_text(text))));
}

static int get_with_embedded_resource(McpRequest *req, json_object *args) {
        return reply_messages(req,
                JSON_ARRAY(message_new(mcp_content_resource(mcp_resource_text(json_get_string(args, "resourceUri"),
                                   "text/plain", "Embedded resource content for testing."))),
                        message_new(mcp_content_text("Please process the embedded resource above."))));
}

static int get_with_image(McpRequest *req, json_object *args) {
        return reply_messages(req,
                JSON_ARRAY(message_new(mcp_content_image(TEST_IMAGE_BASE64, "image/png")),
                        message_new(mcp_content_text("Please analyze the image above."))));
}

static void on_context(McpRequest *req, json_object *result, json_object *error, void *userdata) {
        if (error) {
                (void) mcp_request_reply_error(req, JSONRPC_INTERNAL_ERROR, "The client could not answer: %s",
                        json_get_string(error, "message") ?: "unknown error");
                return;
        }
        json_object *context = json_object_object_get(json_get_object(result, "content"), "context");
        char text[1024];
        snprintf(text, sizeof(text), "Answer with this context in mind: %s",
                context ? json_object_get_string(context) : "(none given)");
        (void) reply_messages(req, JSON_ARRAY(message_new(mcp_content_text(text))));
}

/* A prompt that needs the client's input first: on the stateless wire, an input_required round trip. */
static int get_with_input(McpRequest *req, json_object *args) {
        static const char schema[] =
                "{\"type\":\"object\",\"properties\":{\"context\":{\"type\":\"string\"}},\"required\":[\"context\"]}";
        json_object *requested = NULL;
        if (json_parse_strict(schema, strlen(schema), &requested, NULL) < 0)
                return -EINVAL;
        _cleanup_json_ json_object *params = json_object_new_object();
        if (!params || json_add_string(params, "message", "What context should the prompt use?") < 0 ||
                json_add(params, "requestedSchema", requested) < 0)
                return -ENOMEM;
        return mcp_request_ask_named(req, "user_context", "elicitation/create", TAKE_PTR(params), on_context, NULL);
}

static int complete_arguments(const char *argument, const char *value, json_object *context, json_object **ret) {
        static const char *const words[] = { "alpha", "beta", "gamma", "delta" };
        _cleanup_json_ json_object *values = json_object_new_array();
        if (!values)
                return -ENOMEM;
        FOREACH_ELEMENT(w, words)
        if (startswith_ptr(*w, value) && json_object_array_add(values, json_object_new_string(*w)) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(values);
        return 0;
}

const McpPrompt conformance_prompts[] = { { .name = "test_simple_prompt",
                                                  .title = "Simple Test Prompt",
                                                  .description = "A simple prompt without arguments",
                                                  .get = get_simple },
        { .name = "test_prompt_with_arguments",
                .title = "Prompt With Arguments",
                .description = "A prompt with required arguments",
                .arguments = "[{\"name\":\"arg1\",\"description\":\"First test argument\",\"required\":true},"
                             "{\"name\":\"arg2\",\"description\":\"Second test argument\",\"required\":true}]",
                .get = get_with_arguments,
                .complete = complete_arguments },
        { .name = "test_prompt_with_embedded_resource",
                .title = "Prompt With Embedded Resource",
                .description = "A prompt that includes an embedded resource",
                .arguments =
                        "[{\"name\":\"resourceUri\",\"description\":\"URI of the resource to embed\",\"required\":true}]",
                .get = get_with_embedded_resource },
        { .name = "test_prompt_with_image",
                .title = "Prompt With Image",
                .description = "A prompt that includes image content",
                .get = get_with_image },
        { .name = "test_input_required_result_prompt",
                .title = "Prompt Needing Input",
                .description = "A prompt that asks the client for context before it is built",
                .get = get_with_input },
        {} };
