/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: the table of system_units, system_unit_status and system_unit_control; their schemas are in schemas/.
 */
#include "schemas.h"
#include "sysops.h"
#include "units-internal.h"

/* --- the table ------------------------------------------------------------------------------------- */

const McpTool sysops_unit_tools[] = {
        {
                .name = "system_units",
                .title = "List systemd units",
                .description =
                        "Lists the units systemd has loaded (as `systemctl list-units --all` does), sorted by name, "
                        "with their load, active and sub state. Filter by a glob on the full name (\"ssh*\", "
                        "\"*.timer\", \"getty@*\"), a type, and a state (any of the load, active or sub state: "
                        "\"failed\" finds failed units, \"running\" running services).",
                .input_schema = sysops_schema_system_units_input,
                .output_schema = sysops_schema_system_units_output,
                .annotations = "{\"readOnlyHint\":true,\"idempotentHint\":true,\"openWorldHint\":false}",
                .polkit_action = SYSOPS_ACTION_READ,
                .handler = tool_units,
        },
        {
                .name = "system_unit_status",
                .title = "Show a systemd unit",
                .description =
                        "One unit, as `systemctl status` shows it: its states, unit file and its state, when it "
                        "last changed state; for a service its main PID, exit status, result, restarts, memory, "
                        "CPU time and tasks; for a timer when it runs next; and its last 20 lines in the journal.",
                .input_schema = sysops_schema_system_unit_status_input,
                .output_schema = sysops_schema_system_unit_status_output,
                .annotations = "{\"readOnlyHint\":true,\"idempotentHint\":true,\"openWorldHint\":false}",
                .polkit_action = SYSOPS_ACTION_READ,
                /* Its journal lines are for the systemd-journal group: only a caller polkit vouched for. */
                .polkit_required = true,
                .handler = tool_unit_status,
        },
        {
                .name = "system_unit_control",
                .title = "Start, stop, restart, reload, enable or disable a systemd unit",
                .description =
                        "Asks systemd to start, stop, restart or reload a unit and waits for the job to finish "
                        "(up to timeout_sec), reporting its result: \"done\", or \"failed\", \"timeout\", "
                        "\"canceled\", \"dependency\", \"skipped\"; or enables or disables its unit file and "
                        "reloads systemd. Name the unit by its own name (an alias is refused with the name to use). The "
                        "units the host needs to be reached and administered (the bus, the journal, logind, polkit, "
                        "ssh, the network, consoles, logins, the slices), the sleep, rescue and shutdown targets, "
                        "debug-shell and aios itself are protected: no action touches them, nor changes them through "
                        "what it starts, stops or reloads with the unit; the refusal says which unit is in the way.",
                .input_schema = sysops_schema_system_unit_control_input,
                .output_schema = sysops_schema_system_unit_control_output,
                .annotations = "{\"readOnlyHint\":false,\"destructiveHint\":true,\"idempotentHint\":false,"
                               "\"openWorldHint\":false}",
                .polkit_action = SYSOPS_ACTION_MANAGE_UNITS,
                /* A rule can allow a principal to control exactly one unit: action.lookup("unit"). */
                .polkit_detail_argument = "unit",
                /* It acts with the server's own grant from systemd: never for a caller polkit did not check
                 * (HTTP on 127.0.0.1:8002 is open to every local user). */
                .polkit_required = true,
                .handler = tool_unit_control,
        },
        {}
};
