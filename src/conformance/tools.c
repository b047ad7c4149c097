/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The test_* tools the conformance suite calls, with the answers its checks expect. */
#include <stdio.h>

#include "conformance.h"
#include "mcp-content.h"
#include "mcp-request.h"

#define STEP_USEC (50 * USEC_PER_MSEC)

static int tool_simple_text(McpRequest *req, json_object *args) {
        return mcp_request_reply_text(req, "This is a simple text response for testing.");
}

static int tool_image_content(McpRequest *req, json_object *args) {
        return mcp_request_reply_content(req, JSON_ARRAY(mcp_content_image(TEST_IMAGE_BASE64, "image/png")), NULL,
                false);
}

static int tool_audio_content(McpRequest *req, json_object *args) {
        return mcp_request_reply_content(req, JSON_ARRAY(mcp_content_audio(TEST_AUDIO_BASE64, "audio/wav")), NULL,
                false);
}

static int tool_embedded_resource(McpRequest *req, json_object *args) {
        return mcp_request_reply_content(req,
                JSON_ARRAY(mcp_content_resource(mcp_resource_text("test://embedded-resource", "text/plain",
                        "This is an embedded resource content."))),
                NULL, false);
}

static int tool_multiple_content_types(McpRequest *req, json_object *args) {
        return mcp_request_reply_content(req,
                JSON_ARRAY(mcp_content_text("Multiple content types test:"),
                        mcp_content_image(TEST_IMAGE_BASE64, "image/png"),
                        mcp_content_resource(mcp_resource_text("test://mixed-content-resource", "application/json",
                                "{\"test\":\"data\",\"value\":123}"))),
                NULL, false);
}

/* test_tool_with_logging and test_tool_with_progress: three steps 50 ms apart. */
static const char *const logging_steps[] = {
        "Tool execution started",
        "Tool processing data",
        "Tool execution completed",
};

static void logging_step(McpRequest *req, void *userdata) {
        size_t step = (size_t) userdata;

        (void) mcp_request_log(req, MCP_LOG_INFO, NULL, json_object_new_string(logging_steps[step]));
        if (step + 1 == ELEMENTSOF(logging_steps)) {
                (void) mcp_request_reply_text(req, "Tool with logging executed successfully");
                return;
        }
        if (mcp_request_sleep(req, STEP_USEC, logging_step, (void *) (step + 1)) < 0)
                (void) mcp_request_reply_tool_error(req, "Failed to schedule the next step.");
}

static int tool_with_logging(McpRequest *req, json_object *args) {
        logging_step(req, (void *) (size_t) 0);
        return 0;
}

static void progress_step(McpRequest *req, void *userdata) {
        size_t percent = (size_t) userdata;
        char message[64];

        snprintf(message, sizeof(message), "Completed step %zu of 100", percent);
        (void) mcp_request_progress(req, (double) percent, 100, message);
        if (percent == 100) {
                (void) mcp_request_reply_text(req, "%s", mcp_request_get_progress_token(req) ?: "0");
                return;
        }
        if (mcp_request_sleep(req, STEP_USEC, progress_step, (void *) (percent + 50)) < 0)
                (void) mcp_request_reply_tool_error(req, "Failed to schedule the next step.");
}

static int tool_with_progress(McpRequest *req, json_object *args) {
        progress_step(req, (void *) (size_t) 0);
        return 0;
}

static int tool_error_handling(McpRequest *req, json_object *args) {
        return mcp_request_reply_tool_error(req, "This tool intentionally returns an error for testing");
}

static void reconnection_done(McpRequest *req, void *userdata) {
        (void) mcp_request_reply_text(req,
                "Reconnection test completed successfully. If you received this, the client properly reconnected after stream closure.");
}

static int tool_reconnection(McpRequest *req, json_object *args) {
        /* Close the SSE stream mid-call; the result arrives once the client resumes with Last-Event-ID. */
        (void) mcp_request_close_stream(req, 500);
        return mcp_request_sleep(req, 100 * USEC_PER_MSEC, reconnection_done, NULL);
}

static void sampling_answer(McpRequest *req, json_object *result, json_object *error, void *userdata) {
        if (error) {
                (void) mcp_request_reply_text(req, "Sampling not supported or error: %s",
                        json_get_string(error, "message") ?: "unknown error");
                return;
        }
        const char *text = json_get_string(json_get_object(result, "content"), "text");
        if (!text)
                text = json_get_string(json_get_object(json_get_object(result, "message"), "content"), "text");
        (void) mcp_request_reply_text(req, "LLM response: %s", text ?: "No response");
}

static int tool_sampling(McpRequest *req, json_object *args) {
        if (!mcp_request_client_supports(req, "sampling"))
                return mcp_request_reply_text(req, "Sampling not supported or error: Client does not support sampling");

        json_object *content = mcp_content_text(json_get_string(args, "prompt"));
        _cleanup_json_ json_object *message = json_object_new_object();
        _cleanup_json_ json_object *params = json_object_new_object();
        if (!content || !message || !params || json_add_string(message, "role", "user") < 0 ||
                json_add(message, "content", content) < 0 ||
                json_add(params, "messages", JSON_ARRAY(TAKE_PTR(message))) < 0 ||
                json_add(params, "maxTokens", json_object_new_int(100)) < 0)
                return -ENOMEM;
        return mcp_request_ask(req, "sampling/createMessage", TAKE_PTR(params), sampling_answer, NULL);
}

/* Elicitations: the answer is reported back as the reference server words it. */
static void elicitation_answer(McpRequest *req, json_object *result, json_object *error, void *userdata) {
        const char *prefix = userdata;
        if (error) {
                (void) mcp_request_reply_text(req, "Elicitation not supported or error: %s",
                        json_get_string(error, "message") ?: "unknown error");
                return;
        }
        json_object *content = json_get_object(result, "content");
        _cleanup_json_ json_object *empty = content ? NULL : json_object_new_object();
        (void) mcp_request_reply_text(req, "%s: action=%s, content=%s", prefix,
                strempty(json_get_string(result, "action")), json_to_string(content ?: empty));
}

static int elicit(McpRequest *req, const char *message, const char *schema, const char *prefix) {
        if (!mcp_request_client_supports(req, "elicitation"))
                return mcp_request_reply_text(req,
                        "Elicitation not supported or error: Client does not support form elicitation.");

        json_object *requested;
        int r = json_parse_strict(schema, strlen(schema), &requested, NULL);
        if (r < 0)
                return r;
        _cleanup_json_ json_object *params = json_object_new_object();
        if (!params || json_add_string(params, "message", message) < 0 ||
                json_add(params, "requestedSchema", requested) < 0)
                return -ENOMEM;
        return mcp_request_ask(req, "elicitation/create", TAKE_PTR(params), elicitation_answer, (void *) prefix);
}

static int tool_elicitation(McpRequest *req, json_object *args) {
        return elicit(req, json_get_string(args, "message"),
                "{\"type\":\"object\",\"properties\":{\"response\":{\"type\":\"string\",\"description\":\"User's response\"}},"
                "\"required\":[\"response\"]}",
                "User response");
}

static int tool_elicitation_sep1034_defaults(McpRequest *req, json_object *args) {
        return elicit(req, "Please review and update the form fields with defaults",
                "{\"type\":\"object\",\"properties\":{"
                "\"name\":{\"type\":\"string\",\"description\":\"User name\",\"default\":\"John Doe\"},"
                "\"age\":{\"type\":\"integer\",\"description\":\"User age\",\"default\":30},"
                "\"score\":{\"type\":\"number\",\"description\":\"User score\",\"default\":95.5},"
                "\"status\":{\"type\":\"string\",\"description\":\"User status\",\"enum\":[\"active\",\"inactive\",\"pending\"],\"default\":\"active\"},"
                "\"verified\":{\"type\":\"boolean\",\"description\":\"Verification status\",\"default\":true}"
                "},\"required\":[]}",
                "Elicitation completed");
}

static int tool_elicitation_sep1330_enums(McpRequest *req, json_object *args) {
        return elicit(req, "Please select options from the enum fields",
                "{\"type\":\"object\",\"properties\":{"
                "\"untitledSingle\":{\"type\":\"string\",\"description\":\"Select one option\",\"enum\":[\"option1\",\"option2\",\"option3\"]},"
                "\"titledSingle\":{\"type\":\"string\",\"description\":\"Select one option with titles\",\"oneOf\":["
                "{\"const\":\"value1\",\"title\":\"First Option\"},{\"const\":\"value2\",\"title\":\"Second Option\"},"
                "{\"const\":\"value3\",\"title\":\"Third Option\"}]},"
                "\"legacyEnum\":{\"type\":\"string\",\"description\":\"Select one option (legacy)\",\"enum\":[\"opt1\",\"opt2\",\"opt3\"],"
                "\"enumNames\":[\"Option One\",\"Option Two\",\"Option Three\"]},"
                "\"untitledMulti\":{\"type\":\"array\",\"description\":\"Select multiple options\",\"minItems\":1,\"maxItems\":3,"
                "\"items\":{\"type\":\"string\",\"enum\":[\"option1\",\"option2\",\"option3\"]}},"
                "\"titledMulti\":{\"type\":\"array\",\"description\":\"Select multiple options with titles\",\"minItems\":1,\"maxItems\":3,"
                "\"items\":{\"anyOf\":[{\"const\":\"value1\",\"title\":\"First Choice\"},{\"const\":\"value2\",\"title\":\"Second Choice\"},"
                "{\"const\":\"value3\",\"title\":\"Third Choice\"}]}}"
                "},\"required\":[]}",
                "Elicitation completed");
}

static int tool_json_schema_2020_12(McpRequest *req, json_object *args) {
        return mcp_request_reply_text(req, "JSON Schema 2020-12 tool called with: %s", json_to_string(args));
}

/* A tool that comes and goes, to exercise notifications/tools/list_changed. */
static int tool_dynamic(McpRequest *req, json_object *args) {
        return mcp_request_reply_text(req, "This tool was added at run time.");
}

static const McpTool dynamic_tool = {
        .name = "test_dynamic_tool",
        .description = "A tool that test_toggle_dynamic_tool adds and removes",
        .polkit_action = CONFORMANCE_ACTION,
        .handler = tool_dynamic,
};

static int tool_toggle_dynamic(McpRequest *req, json_object *args) {
        McpServer *s = mcp_request_get_server(req);
        if (mcp_server_remove_tool(s, dynamic_tool.name) >= 0)
                return mcp_request_reply_text(req, "test_dynamic_tool removed");
        int r = mcp_server_add_tool(s, &dynamic_tool);
        if (r < 0)
                return r;
        return mcp_request_reply_text(req, "test_dynamic_tool added");
}

#define EMPTY_SCHEMA "{\"type\":\"object\",\"properties\":{}}"

const McpTool conformance_tools[] = { { .name = "test_simple_text",
                                              .description = "Tests simple text content response",
                                              .input_schema = EMPTY_SCHEMA,
                                              .annotations = "{\"readOnlyHint\":true}",
                                              .polkit_action = CONFORMANCE_ACTION,
                                              .handler = tool_simple_text },
        { .name = "test_image_content",
                .description = "Tests image content response",
                .input_schema = EMPTY_SCHEMA,
                .polkit_action = CONFORMANCE_ACTION,
                .handler = tool_image_content },
        { .name = "test_audio_content",
                .description = "Tests audio content response",
                .input_schema = EMPTY_SCHEMA,
                .polkit_action = CONFORMANCE_ACTION,
                .handler = tool_audio_content },
        { .name = "test_embedded_resource",
                .description = "Tests embedded resource content response",
                .input_schema = EMPTY_SCHEMA,
                .polkit_action = CONFORMANCE_ACTION,
                .handler = tool_embedded_resource },
        { .name = "test_multiple_content_types",
                .description = "Tests response with multiple content types (text, image, resource)",
                .input_schema = EMPTY_SCHEMA,
                .polkit_action = CONFORMANCE_ACTION,
                .handler = tool_multiple_content_types },
        { .name = "test_tool_with_logging",
                .description = "Tests tool that emits log messages during execution",
                .input_schema = EMPTY_SCHEMA,
                .polkit_action = CONFORMANCE_ACTION,
                .handler = tool_with_logging },
        { .name = "test_tool_with_progress",
                .description = "Tests tool that reports progress notifications",
                .input_schema = EMPTY_SCHEMA,
                .polkit_action = CONFORMANCE_ACTION,
                .handler = tool_with_progress },
        { .name = "test_error_handling",
                .description = "Tests error response handling",
                .input_schema = EMPTY_SCHEMA,
                .polkit_action = CONFORMANCE_ACTION,
                .handler = tool_error_handling },
        { .name = "test_reconnection",
                .description =
                        "Tests SSE stream disconnection and client reconnection (SEP-1699). Server will close the stream mid-call and send the result after client reconnects.",
                .input_schema = EMPTY_SCHEMA,
                .polkit_action = CONFORMANCE_ACTION,
                .handler = tool_reconnection },
        { .name = "test_sampling",
                .description = "Tests server-initiated sampling (LLM completion request)",
                .input_schema =
                        "{\"type\":\"object\",\"properties\":{\"prompt\":{\"type\":\"string\",\"description\":\"The prompt to send to the LLM\"}},\"required\":[\"prompt\"]}",
                .polkit_action = CONFORMANCE_ACTION,
                .handler = tool_sampling },
        { .name = "test_elicitation",
                .description = "Tests server-initiated elicitation (user input request)",
                .input_schema =
                        "{\"type\":\"object\",\"properties\":{\"message\":{\"type\":\"string\",\"description\":\"The message to show the user\"}},\"required\":[\"message\"]}",
                .polkit_action = CONFORMANCE_ACTION,
                .handler = tool_elicitation },
        { .name = "test_elicitation_sep1034_defaults",
                .description = "Tests elicitation with default values per SEP-1034",
                .input_schema = EMPTY_SCHEMA,
                .polkit_action = CONFORMANCE_ACTION,
                .handler = tool_elicitation_sep1034_defaults },
        { .name = "test_elicitation_sep1330_enums",
                .description = "Tests elicitation with enum schema improvements per SEP-1330",
                .input_schema = EMPTY_SCHEMA,
                .polkit_action = CONFORMANCE_ACTION,
                .handler = tool_elicitation_sep1330_enums },
        { .name = "json_schema_2020_12_tool",
                .description = "Tool with JSON Schema 2020-12 features for conformance testing (SEP-1613)",
                .input_schema =
                        "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"type\":\"object\","
                        "\"$defs\":{\"address\":{\"$anchor\":\"addressDef\",\"type\":\"object\",\"properties\":{"
                        "\"street\":{\"type\":\"string\"},\"city\":{\"type\":\"string\"}}}},"
                        "\"properties\":{\"name\":{\"type\":\"string\"},\"address\":{\"$ref\":\"#/$defs/address\"},"
                        "\"contactMethod\":{\"type\":\"string\",\"enum\":[\"phone\",\"email\"]},"
                        "\"phone\":{\"type\":\"string\"},\"email\":{\"type\":\"string\"}},"
                        "\"allOf\":[{\"anyOf\":[{\"required\":[\"phone\"]},{\"required\":[\"email\"]}]}],"
                        "\"if\":{\"properties\":{\"contactMethod\":{\"const\":\"phone\"}},\"required\":[\"contactMethod\"]},"
                        "\"then\":{\"required\":[\"phone\"]},\"else\":{\"required\":[\"email\"]},"
                        "\"additionalProperties\":false}",
                .polkit_action = CONFORMANCE_ACTION,
                .handler = tool_json_schema_2020_12 },
        { .name = "test_toggle_dynamic_tool",
                .description = "Adds test_dynamic_tool, or removes it when present",
                .input_schema = EMPTY_SCHEMA,
                .polkit_action = CONFORMANCE_ACTION,
                .handler = tool_toggle_dynamic },
        { .name = "test_trigger_tool_change",
                .description =
                        "Changes the tool list (adds or removes test_dynamic_tool), so that listeners hear of it",
                .input_schema = EMPTY_SCHEMA,
                .polkit_action = CONFORMANCE_ACTION,
                .handler = tool_toggle_dynamic },
        {} };
