/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fixtures of the MCP conformance suite: declarations shared by the tables. */
#pragma once

#include "mcp-server.h"

#define TEST_IMAGE_BASE64                                                                                              \
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
/* Every fixture tool runs under this polkit action (polkit/org.aios.policy). */
#define CONFORMANCE_ACTION "org.aios.conformance.call"

#define TEST_AUDIO_BASE64 "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA="

extern const McpTool conformance_tools[];
extern const McpTool conformance_input_tools[];
extern const McpResource conformance_resources[];
extern const McpResourceTemplate conformance_resource_templates[];
extern const McpPrompt conformance_prompts[];
