/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd's prompts: how an agent looks into a failed unit with the server's tools. */
#include <stdio.h>

#include "mcp-content.h"
#include "mcp-request.h"
#include "sysops.h"

static int prompt_diagnose_failed_unit(McpRequest *req, json_object *arguments) {
        const char *unit = json_get_string(arguments, "unit");
        if (!unit || !unit[0] || strlen(unit) > 256)
                return mcp_request_reply_error(req, -32602, "Invalid params: \"unit\" must be a unit name.");

        _cleanup_free_ char *text = NULL;
        if (asprintf(&text,
                    "The systemd unit %s has failed or misbehaves. Find out why, step by step, with the tools of "
                    "aios-sysopsd:\n"
                    "1. system_unit_status for %s: its active and sub state, result, exit status, restarts, "
                    "and its last journal lines.\n"
                    "2. system_journal with unit %s, priority warning, since -1h (widen the window or add boot "
                    "\"current\" if that shows nothing) for the messages around the failure.\n"
                    "3. If it names a dependency, a socket, a file system or the network, look at that with "
                    "system_units, system_unit_status, system_disk_usage or system_network.\n"
                    "Then say what failed, the evidence (quote the log lines), and the fix you propose. Do not "
                    "restart or change anything (system_unit_control) unless you are asked to.",
                    unit, unit, unit) < 0)
                return -ENOMEM;

        _cleanup_json_ json_object *message = json_object_new_object(), *result = json_object_new_object();
        if (!message || !result || json_add_string(message, "role", "user") < 0 ||
                json_add(message, "content", mcp_content_text(text)) < 0 ||
                json_add_string(result, "description", "Diagnose a failed systemd unit") < 0 ||
                json_add(result, "messages", JSON_ARRAY(TAKE_PTR(message))) < 0)
                return -ENOMEM;
        return mcp_request_reply(req, TAKE_PTR(result));
}

const McpPrompt sysops_prompts[] = {
        { .name = "diagnose_failed_unit",
                .title = "Diagnose a failed unit",
                .description = "Guides the diagnosis of a failed or misbehaving systemd unit with the system tools.",
                .arguments = "[{\"name\":\"unit\",\"description\":\"The unit, e.g. nginx.service\",\"required\":true}]",
                .get = prompt_diagnose_failed_unit },
        {}
};
