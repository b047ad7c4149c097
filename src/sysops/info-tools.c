/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: the table of system_info, system_disk_usage and system_network, with their schemas. */
#include "info-internal.h"
#include "sysops.h"

#define READ_ONLY_ANNOTATIONS "{\"readOnlyHint\":true,\"openWorldHint\":false}"

/* --- the table ---------------------------------------------------------------------------------------- */

#define NULLABLE_STRING "{\"type\":[\"string\",\"null\"]}"
#define COUNT "{\"type\":\"integer\",\"minimum\":0}"

static const char system_info_output[] =
        "{\"type\":\"object\",\"properties\":{"
        "\"hostname\":{\"type\":\"string\"},"
        "\"source\":{\"enum\":[\"hostname1\",\"proc\"]},\"chassis\":{\"type\":\"string\"},"
        "\"hardware\":{\"type\":\"object\",\"properties\":{\"vendor\":{\"type\":\"string\"},\"model\":{\"type\":\"string\"}}},"
        "\"os\":{\"type\":\"object\",\"description\":\"From /etc/os-release (or /usr/lib/os-release)\",\"properties\":{"
        "\"name\":" NULLABLE_STRING ",\"id\":" NULLABLE_STRING ",\"version_id\":" NULLABLE_STRING ",\"pretty_name\":" NULLABLE_STRING "},"
        "\"required\":[\"name\",\"id\",\"version_id\",\"pretty_name\"]},"
        "\"kernel\":{\"type\":\"object\",\"description\":\"uname(2)\",\"properties\":{"
        "\"sysname\":{\"type\":\"string\"},\"release\":{\"type\":\"string\"},\"version\":{\"type\":\"string\"},\"machine\":{\"type\":\"string\"}},"
        "\"required\":[\"sysname\",\"release\",\"version\",\"machine\"]},"
        "\"boot_time\":{\"type\":\"string\",\"format\":\"date-time\",\"description\":\"ISO 8601, UTC\"},"
        "\"uptime_seconds\":{\"type\":\"number\",\"minimum\":0},"
        "\"load_average\":{\"type\":\"object\",\"properties\":{\"1min\":{\"type\":\"number\"},\"5min\":{\"type\":\"number\"},\"15min\":{\"type\":\"number\"}},"
        "\"required\":[\"1min\",\"5min\",\"15min\"]},"
        "\"tasks\":{\"type\":\"object\",\"properties\":{\"runnable\":" COUNT ",\"total\":" COUNT "},\"required\":[\"runnable\",\"total\"]},"
        "\"memory\":{\"type\":\"object\",\"properties\":{\"total_bytes\":" COUNT ",\"available_bytes\":" COUNT "},"
        "\"required\":[\"total_bytes\",\"available_bytes\"]},"
        "\"swap\":{\"type\":\"object\",\"properties\":{\"total_bytes\":" COUNT ",\"free_bytes\":" COUNT "},"
        "\"required\":[\"total_bytes\",\"free_bytes\"]},"
        "\"cpus\":{\"type\":\"object\",\"properties\":{\"online\":{\"type\":\"integer\",\"minimum\":1},\"configured\":{\"type\":\"integer\",\"minimum\":1}},"
        "\"required\":[\"online\",\"configured\"]},"
        "\"virtualization\":{\"type\":\"object\",\"properties\":{"
        "\"type\":{\"enum\":[\"none\",\"vm\",\"container\"],\"description\":\"The innermost layer\"},"
        "\"name\":{\"type\":[\"string\",\"null\"],\"description\":\"kvm, qemu, vmware, microsoft, xen, amazon, oracle, ... for a vm; "
        "systemd-nspawn, docker, podman, lxc, wsl, ... for a container, as systemd-detect-virt names them; vm-other or container-other when the kind is not known\"},"
        "\"vm\":{\"type\":[\"string\",\"null\"],\"description\":\"The hypervisor beneath, also when inside a container\"},"
        "\"container\":{\"type\":[\"string\",\"null\"]}},"
        "\"required\":[\"type\",\"name\",\"vm\",\"container\"]}},"
        "\"required\":[\"hostname\",\"os\",\"kernel\",\"boot_time\",\"uptime_seconds\",\"load_average\",\"tasks\",\"memory\",\"swap\",\"cpus\",\"virtualization\"]}";

static const char disk_usage_input[] =
        "{\"type\":\"object\",\"properties\":{"
        "\"include_pseudo\":{\"type\":\"boolean\",\"default\":false,"
        "\"description\":\"Also list kernel-internal file systems without storage (proc, sysfs, cgroup, devpts, ...)\"},"
        "\"path\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":4096,\"pattern\":\"^/\","
        "\"description\":\"A mount point, e.g. \\\"/\\\" or \\\"/home\\\": only the file system mounted there is reported\"}},"
        "\"additionalProperties\":false}";

static const char disk_usage_output[] =
        "{\"type\":\"object\",\"properties\":{"
        "\"filesystems\":{\"type\":\"array\",\"maxItems\":256,\"items\":{\"type\":\"object\",\"properties\":{"
        "\"mount_point\":{\"type\":\"string\"},\"device\":{\"type\":\"string\"},\"fs_type\":{\"type\":\"string\"},"
        "\"read_only\":{\"type\":\"boolean\",\"description\":\"The file system is mounted read-only\"},"
        "\"usage\":{\"type\":[\"object\",\"null\"],\"properties\":{"
        "\"total_bytes\":" COUNT ",\"used_bytes\":" COUNT ",\"available_bytes\":" COUNT ","
        "\"percent_used\":{\"type\":\"number\",\"minimum\":0,\"maximum\":100},"
        "\"inodes_total\":" COUNT ",\"inodes_used\":" COUNT ",\"inodes_free\":" COUNT "},"
        "\"required\":[\"total_bytes\",\"used_bytes\",\"available_bytes\",\"percent_used\",\"inodes_total\",\"inodes_used\",\"inodes_free\"]},"
        "\"usage_note\":{\"type\":\"string\",\"description\":\"Why usage is null\"}},"
        "\"required\":[\"mount_point\",\"device\",\"fs_type\",\"read_only\",\"usage\"]}},"
        "\"count\":" COUNT ",\"pseudo_skipped\":" COUNT ",\"truncated\":{\"type\":\"boolean\"}},"
        "\"required\":[\"filesystems\",\"count\",\"pseudo_skipped\",\"truncated\"]}";

static const char network_input[] =
        "{\"type\":\"object\",\"properties\":{"
        "\"interface\":{\"type\":\"string\",\"pattern\":\"^[A-Za-z0-9_.:-]{1,15}$\","
        "\"description\":\"Only this interface, e.g. eth0 or lo\"}},"
        "\"additionalProperties\":false}";

static const char network_output[] =
        "{\"type\":\"object\",\"properties\":{"
        "\"interfaces\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
        "\"name\":{\"type\":\"string\"},\"index\":{\"type\":[\"integer\",\"null\"]},"
        "\"up\":{\"type\":\"boolean\"},\"running\":{\"type\":\"boolean\"},\"loopback\":{\"type\":\"boolean\"},"
        "\"mac\":" NULLABLE_STRING ",\"operstate\":" NULLABLE_STRING ",\"mtu\":{\"type\":[\"integer\",\"null\"]},"
        "\"addresses\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
        "\"family\":{\"enum\":[\"inet\",\"inet6\"]},\"address\":{\"type\":\"string\"},"
        "\"prefix_length\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":128},\"scope\":{\"enum\":[\"host\",\"link\",\"global\"]}},"
        "\"required\":[\"family\",\"address\",\"prefix_length\",\"scope\"]}},"
        "\"statistics\":{\"type\":[\"object\",\"null\"],\"properties\":{"
        "\"rx_bytes\":" COUNT ",\"rx_packets\":" COUNT ",\"rx_errors\":" COUNT ",\"rx_dropped\":" COUNT ","
        "\"tx_bytes\":" COUNT ",\"tx_packets\":" COUNT ",\"tx_errors\":" COUNT ",\"tx_dropped\":" COUNT "}}},"
        "\"required\":[\"name\",\"up\",\"running\",\"loopback\",\"addresses\",\"statistics\"]}},"
        "\"count\":" COUNT ",\"truncated\":{\"type\":\"boolean\"}},"
        "\"required\":[\"interfaces\",\"count\",\"truncated\"]}";

const McpTool sysops_info_tools[] = {
        { .name = "system_info",
          .title = "System information",
          .description = "This machine at a glance: hostname, OS release, kernel, boot time and uptime, load averages, "
                         "memory and swap, CPU count and virtualization (none, vm or container, with its kind).",
          .input_schema = "{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}",
          .output_schema = system_info_output,
          .annotations = READ_ONLY_ANNOTATIONS,
          .polkit_action = SYSOPS_ACTION_READ,
          .handler = tool_system_info },
        { .name = "system_disk_usage",
          .title = "Disk usage",
          .description = "Mounted file systems with their size, used and available bytes, inodes and percent used "
                         "(as df reports them). Pseudo file systems are left out unless include_pseudo is true; with path, "
                         "only the file system mounted there (path must be a mount point). Remote, FUSE and automounted file systems are listed "
                         "without usage, so that a server that is gone cannot stall the call. At most 256 entries.",
          .input_schema = disk_usage_input,
          .output_schema = disk_usage_output,
          .annotations = READ_ONLY_ANNOTATIONS,
          .polkit_action = SYSOPS_ACTION_READ,
          .handler = tool_system_disk_usage },
        { .name = "system_network",
          .title = "Network interfaces",
          .description = "Network interfaces with their state (up, running, operstate), MAC address, MTU, IPv4 and IPv6 "
                         "addresses with prefix length and scope, and receive/transmit counters (bytes, packets, errors, "
                         "drops). Optionally one interface by name; an unknown name is an error listing the known ones.",
          .input_schema = network_input,
          .output_schema = network_output,
          .annotations = READ_ONLY_ANNOTATIONS,
          .polkit_action = SYSOPS_ACTION_READ,
          .handler = tool_system_network },
        {}
};
