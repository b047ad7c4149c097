/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Builders for MCP content blocks and resource contents. Each returns a new object or NULL on OOM. */
#pragma once

#include "json-util.h"

json_object *mcp_content_text(const char *text);
json_object *mcp_content_image(const char *base64_data, const char *mime_type);
json_object *mcp_content_audio(const char *base64_data, const char *mime_type);
json_object *mcp_content_resource_link(const char *uri, const char *name, const char *description,
        const char *mime_type);
/* An embedded resource: the contents come from mcp_resource_text()/mcp_resource_blob(). */
json_object *mcp_content_resource(json_object *contents /* taken */);

json_object *mcp_resource_text(const char *uri, const char *mime_type, const char *text);
json_object *mcp_resource_blob(const char *uri, const char *mime_type, const char *base64_blob);

/* Builds an array from n objects (taken); NULL if any of them is NULL. JSON_ARRAY(a, b, c) counts for you. */
json_object *json_array_new_from(size_t n, ...);
#define JSON_ARRAY(...)                                                                                                \
        json_array_new_from(sizeof((json_object *[]){ __VA_ARGS__ }) / sizeof(json_object *), __VA_ARGS__)
