/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The test:// resources and the resource template. */
#include <stdio.h>

#include "conformance.h"
#include "mcp-content.h"
#include "mcp-request.h"

static int reply_contents(McpRequest *req, json_object *contents) {
        _cleanup_json_ json_object *result = json_object_new_object();
        if (!result || json_add(result, "contents", JSON_ARRAY(contents)) < 0)
                return -ENOMEM;
        return mcp_request_reply(req, TAKE_PTR(result));
}

static int read_static_text(McpRequest *req, const char *uri, json_object *variables) {
        return reply_contents(req,
                mcp_resource_text(uri, "text/plain", "This is the content of the static text resource."));
}

static int read_static_binary(McpRequest *req, const char *uri, json_object *variables) {
        return reply_contents(req, mcp_resource_blob(uri, "image/png", TEST_IMAGE_BASE64));
}

static int read_watched(McpRequest *req, const char *uri, json_object *variables) {
        return reply_contents(req, mcp_resource_text(uri, "text/plain", "Watched resource content"));
}

static int read_template(McpRequest *req, const char *uri, json_object *variables) {
        const char *id = json_get_string(variables, "id");
        _cleanup_json_ json_object *data = json_object_new_object();
        char text[256];
        if (!data || json_add_string(data, "id", id) < 0 ||
                json_add(data, "templateTest", json_object_new_boolean(true)) < 0)
                return -ENOMEM;
        snprintf(text, sizeof(text), "Data for ID: %s", id);
        if (json_add_string(data, "data", text) < 0)
                return -ENOMEM;
        return reply_contents(req, mcp_resource_text(uri, "application/json", json_to_string(data)));
}

static int complete_template(const char *argument, const char *value, json_object *context, json_object **ret) {
        /* Suggest ids that start with what was typed. */
        static const char *const ids[] = { "1", "2", "3", "42", "100" };
        _cleanup_json_ json_object *values = json_object_new_array();
        if (!values)
                return -ENOMEM;
        FOREACH_ELEMENT(id, ids)
        if (streq(argument, "id") && startswith_ptr(*id, value) &&
                json_object_array_add(values, json_object_new_string(*id)) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(values);
        return 0;
}

const McpResource conformance_resources[] = { { .uri = "test://static-text",
                                                      .name = "static-text",
                                                      .title = "Static Text Resource",
                                                      .description = "A static text resource for testing",
                                                      .mime_type = "text/plain",
                                                      .read = read_static_text },
        { .uri = "test://static-binary",
                .name = "static-binary",
                .title = "Static Binary Resource",
                .description = "A static binary resource (image) for testing",
                .mime_type = "image/png",
                .read = read_static_binary },
        { .uri = "test://watched-resource",
                .name = "watched-resource",
                .title = "Watched Resource",
                .description = "A resource that auto-updates every 3 seconds",
                .mime_type = "text/plain",
                .read = read_watched },
        {} };

const McpResourceTemplate conformance_resource_templates[] = {
        { .uri_template = "test://template/{id}/data",
                .name = "template",
                .title = "Resource Template",
                .description = "A resource template with parameter substitution",
                .mime_type = "application/json",
                .read = read_template,
                .complete = complete_template },
        {}
};
