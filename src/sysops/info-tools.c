/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: the table of system_info, system_disk_usage and system_network; their schemas are in schemas/. */
#include "info-internal.h"
#include "schemas.h"
#include "sysops.h"

#define READ_ONLY_ANNOTATIONS "{\"readOnlyHint\":true,\"idempotentHint\":true,\"openWorldHint\":false}"

/* --- the table ---------------------------------------------------------------------------------------- */

const McpTool sysops_info_tools[] = {
        { .name = "system_info",
                .title = "System information",
                .description =
                        "This machine at a glance: hostname, OS release, kernel, boot time and uptime, load averages, "
                        "memory and swap, CPU count and virtualization (none, vm or container, with its kind).",
                .input_schema = sysops_schema_system_info_input,
                .output_schema = sysops_schema_system_info_output,
                .annotations = READ_ONLY_ANNOTATIONS,
                .polkit_action = SYSOPS_ACTION_READ,
                /* Load, memory and uptime a second old are as good to an agent as fresh ones. */
                .cache_ttl_msec = 1000,
                .handler = tool_system_info },
        { .name = "system_disk_usage",
                .title = "Disk usage",
                .description =
                        "Mounted file systems with their size, used and available bytes, inodes and percent used "
                        "(as df reports them). Pseudo file systems are left out unless include_pseudo is true; with path, "
                        "only the file system mounted there (path must be a mount point). Remote, FUSE and automounted file systems are listed "
                        "without usage, so that a server that is gone cannot stall the call. At most 256 entries.",
                .input_schema = sysops_schema_system_disk_usage_input,
                .output_schema = sysops_schema_system_disk_usage_output,
                .annotations = READ_ONLY_ANNOTATIONS,
                .polkit_action = SYSOPS_ACTION_READ,
                .handler = tool_system_disk_usage },
        { .name = "system_network",
                .title = "Network interfaces",
                .description =
                        "Network interfaces with their state (up, running, operstate), MAC address, MTU, IPv4 and IPv6 "
                        "addresses with prefix length and scope, and receive/transmit counters (bytes, packets, errors, "
                        "drops). Optionally one interface by name; an unknown name is an error listing the known ones.",
                .input_schema = sysops_schema_system_network_input,
                .output_schema = sysops_schema_system_network_output,
                .annotations = READ_ONLY_ANNOTATIONS,
                .polkit_action = SYSOPS_ACTION_READ,
                .handler = tool_system_network },
        {}
};
