/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: the table of system_units, system_unit_status and system_unit_control, with their schemas. */
#include "sysops.h"
#include "units-internal.h"

/* --- the table ------------------------------------------------------------------------------------- */

#define UNIT_NAME_SCHEMA                                                                                     \
        "{\"type\":\"string\",\"minLength\":1,\"maxLength\":255,\"pattern\":\"^[A-Za-z0-9:_.\\\\x5c@-]+$\","    \
        "\"description\":\"A unit's full name with its type, e.g. \\\"ssh.service\\\", \\\"apt-daily.timer\\\", "     \
        "\\\"getty@tty1.service\\\"\"}"

#define UNIT_STATE_SCHEMA                                                                                    \
        "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},\"description\":{\"type\":\"string\"},"   \
        "\"load_state\":{\"type\":\"string\"},\"active_state\":{\"type\":\"string\"},\"sub_state\":{\"type\":\"string\"}},"  \
        "\"required\":[\"name\",\"description\",\"load_state\",\"active_state\",\"sub_state\"]}"

#define LOG_LINE_SCHEMA                                                                                      \
        "{\"type\":\"object\",\"properties\":{\"timestamp\":{\"type\":\"string\"},\"priority\":{\"type\":\"integer\"},"      \
        "\"pid\":{\"type\":\"integer\"},\"message\":{\"type\":\"string\"}}}"

const McpTool sysops_unit_tools[] = {
        {
                .name = "system_units",
                .title = "List systemd units",
                .description =
                        "Lists the units systemd has loaded (as `systemctl list-units --all` does), sorted by name, "
                        "with their load, active and sub state. Filter by a glob on the full name (\"ssh*\", "
                        "\"*.timer\", \"getty@*\"), a type, and a state (any of the load, active or sub state: "
                        "\"failed\" finds failed units, \"running\" running services).",
                .input_schema =
                        "{\"type\":\"object\",\"properties\":{"
                        "\"pattern\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":256,"
                        "\"pattern\":\"^[A-Za-z0-9@._:*?\\\\[\\\\]-]+$\","
                        "\"description\":\"A shell-style glob matched against the whole unit name, e.g. \\\"ssh*\\\" or \\\"*.timer\\\"\"},"
                        "\"type\":{\"type\":\"string\",\"enum\":[\"service\",\"socket\",\"timer\",\"target\",\"mount\","
                        "\"path\",\"slice\",\"scope\",\"device\",\"swap\",\"automount\"]},"
                        "\"state\":{\"type\":\"string\",\"enum\":[\"active\",\"inactive\",\"failed\",\"activating\","
                        "\"deactivating\",\"reloading\",\"maintenance\",\"running\",\"exited\",\"dead\",\"waiting\","
                        "\"listening\",\"mounted\",\"plugged\",\"elapsed\",\"auto-restart\",\"loaded\",\"not-found\","
                        "\"masked\",\"error\",\"bad-setting\"]},"
                        "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":2000,\"default\":200}},"
                        "\"additionalProperties\":false}",
                .output_schema =
                        "{\"type\":\"object\",\"properties\":{"
                        "\"units\":{\"type\":\"array\",\"items\":" UNIT_STATE_SCHEMA "},"
                        "\"total\":{\"type\":\"integer\",\"description\":\"How many units matched, before the limit\"},"
                        "\"truncated\":{\"type\":\"boolean\"}},"
                        "\"required\":[\"units\",\"total\",\"truncated\"]}",
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
                .input_schema = "{\"type\":\"object\",\"properties\":{\"unit\":" UNIT_NAME_SCHEMA "},"
                                "\"required\":[\"unit\"],\"additionalProperties\":false}",
                .output_schema =
                        "{\"type\":\"object\",\"properties\":{"
                        "\"id\":{\"type\":\"string\"},\"names\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
                        "\"description\":{\"type\":\"string\"},\"load_state\":{\"type\":\"string\"},"
                        "\"active_state\":{\"type\":\"string\"},\"sub_state\":{\"type\":\"string\"},"
                        "\"unit_file_state\":{\"type\":\"string\"},\"fragment_path\":{\"type\":\"string\"},"
                        "\"active_enter_timestamp\":{\"type\":\"string\"},\"main_pid\":{\"type\":\"integer\"},"
                        "\"exec_main_status\":{\"type\":\"integer\"},\"result\":{\"type\":\"string\"},"
                        "\"n_restarts\":{\"type\":\"integer\"},\"memory_current_bytes\":{\"type\":\"integer\"},"
                        "\"cpu_usage_nsec\":{\"type\":\"integer\"},\"tasks_current\":{\"type\":\"integer\"},"
                        "\"log\":{\"type\":\"array\",\"items\":" LOG_LINE_SCHEMA "},"
                        "\"log_error\":{\"type\":\"string\"}},"
                        "\"required\":[\"id\",\"load_state\",\"active_state\",\"sub_state\",\"log\"]}",
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
                        "reloads systemd. The units the host needs to be reached and administered (the bus, the "
                        "journal, logind, polkit, sshd, the network) and aios itself are protected: they are never "
                        "stopped, restarted or disabled, nor is a unit stopped that they depend on.",
                .input_schema = "{\"type\":\"object\",\"properties\":{"
                                "\"unit\":" UNIT_NAME_SCHEMA ","
                                "\"action\":{\"type\":\"string\",\"enum\":[\"start\",\"stop\",\"restart\",\"reload\","
                                "\"enable\",\"disable\"]},"
                                "\"timeout_sec\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":600,\"default\":60,"
                                "\"description\":\"How long to wait for the job to finish\"}},"
                                "\"required\":[\"unit\",\"action\"],\"additionalProperties\":false}",
                .output_schema =
                        "{\"type\":\"object\",\"properties\":{"
                        "\"unit\":{\"type\":\"string\"},\"action\":{\"type\":\"string\"},"
                        "\"result\":{\"type\":\"string\",\"description\":\"systemd's result for the job, \\\"done\\\" when it succeeded\"},"
                        "\"job\":{\"type\":\"string\"},\"active_state\":{\"type\":\"string\"},\"sub_state\":{\"type\":\"string\"},"
                        "\"changes\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
                        "\"type\":{\"type\":\"string\"},\"file\":{\"type\":\"string\"},\"destination\":{\"type\":\"string\"}}}}},"
                        "\"required\":[\"unit\",\"action\",\"result\"]}",
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
