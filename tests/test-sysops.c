/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd's shipped tables served in-process: the read tools checked against what the machine says
 * independently, the polkit actions the engine asks about, and polkit's refusals.
 * usage: test-sysops [journal|virt]: the tests that need journald or systemd-detect-virt, alone, exiting 77
 * (skipped, with the reason) where those cannot be had. */
#include <arpa/inet.h>
#include <check.h>
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <systemd/sd-id128.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "info.h"
#include "journal.h"
#include "jsonschema.h"
#include "mcp-session.h"
#include "mcp-protocol.h"
#include "sysops.h"
#include "systemd-bus.h"
#include "test-util.h"

/* --- a server with the read-only families, and a session ----------------------------------------------- */

static const McpServerDefinition definition = {
        .name = "aios-sysopsd-test",
        .version = "1",
        .resources = sysops_resources,
        .resource_templates = sysops_resource_templates,
        .prompts = sysops_prompts,
};

static SysopsContext context;
static sd_event *event;
static McpServer *server;
static McpSession *session;
static Capture capture;
static unsigned next_id = 1;

static void setup(void) {
        ck_assert_int_ge(sd_event_new(&event), 0);
        ck_assert_int_ge(sysops_context_init(&context), 0);
        ck_assert_int_ge(mcp_server_new(&server, &definition, event, &context), 0);
        ck_assert_int_ge(sysops_add_tools(server), 0);
        ck_assert_int_ge(mcp_session_new(server, &session), 0);
        json_object *r = capture_dispatch(&capture, server, session, event,
                "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\","
                "\"capabilities\":{},\"clientInfo\":{\"name\":\"test\",\"version\":\"1\"}}}");
        ck_assert_ptr_nonnull(json_get_object(r, "result"));
}

static void teardown(void) {
        mcp_session_close(session);
        session = mcp_session_unref(session);
        server = mcp_server_free(server);
        sysops_context_done(&context);
        event = sd_event_unref(event);
        capture_reset(&capture);
        test_polkit_deny(NULL);
}

static const McpTool *tool_find(const char *name) {
        for (const McpTool *const *family = sysops_tool_families; *family; family++)
                for (const McpTool *t = *family; t->name; t++)
                        if (streq(t->name, name))
                                return t;
        ck_abort_msg("no tool %s", name);
        return NULL;
}

static json_object *parse(const char *text) {
        json_object *o = NULL;
        const char *reason = NULL;
        ck_assert_msg(json_parse_strict(text, strlen(text), &o, &reason) == 0, "%s: %s", text, reason);
        return o;
}

/* Sends a request; returns its result (owned by capture), failing on a JSON-RPC error. */
static json_object *request(const char *method, const char *params) {
        char *text = NULL;
        ck_assert_int_ge(asprintf(&text, "{\"jsonrpc\":\"2.0\",\"id\":%u,\"method\":\"%s\",\"params\":%s}", next_id++,
                                 method, params),
                0);
        json_object *reply = capture_dispatch(&capture, server, session, event, text);
        free(text);
        json_object *result = json_get_object(reply, "result");
        ck_assert_msg(result, "%s gave no result: %s", method, json_to_string(reply));
        return result;
}

/* Calls a tool; returns its result. A successful one's structuredContent must match its outputSchema. */
static json_object *call(const char *tool, const char *arguments) {
        char params[8192];
        snprintf(params, sizeof(params), "{\"name\":\"%s\",\"arguments\":%s}", tool, arguments);
        json_object *result = request("tools/call", params);
        ck_assert_msg(json_get_array(result, "content"), "no content: %s", json_to_string(result));
        if (!json_get_bool(result, "isError", false)) {
                json_object *structured = json_get_object(result, "structuredContent");
                ck_assert_msg(structured, "%s: no structuredContent", tool);
                _cleanup_json_ json_object *schema = parse(tool_find(tool)->output_schema);
                _cleanup_free_ char *error = NULL;
                ck_assert_msg(jsonschema_validate(schema, structured, &error) == 1,
                        "%s: structuredContent does not match "
                        "its outputSchema: %s",
                        tool, strempty(error));
        }
        return result;
}

static const char *text_of(json_object *result) {
        return json_get_string(json_object_array_get_idx(json_get_array(result, "content"), 0), "text");
}

/* Calls a tool expecting a tool error (isError) whose text contains what. */
static void call_fails(const char *tool, const char *arguments, const char *what) {
        json_object *result = call(tool, arguments);
        ck_assert_msg(json_get_bool(result, "isError", false), "%s %s should fail, gave %s", tool, arguments,
                json_to_string(result));
        ck_assert_msg(strstr(strempty(text_of(result)), what), "%s %s: expected \"%s\" in \"%s\"", tool, arguments,
                what, text_of(result));
}

static json_object *structured_of(json_object *result) {
        ck_assert_msg(!json_get_bool(result, "isError", false), "tool error: %s", text_of(result));
        return json_get_object(result, "structuredContent");
}

static int64_t int_of(json_object *o, const char *key) {
        json_object *v;
        ck_assert_msg(json_object_object_get_ex(o, key, &v) && v, "no %s in %s", key, json_to_string(o));
        return json_object_get_int64(v);
}

static uint64_t uint_of(json_object *o, const char *key) {
        json_object *v;
        ck_assert_msg(json_object_object_get_ex(o, key, &v) && v, "no %s in %s", key, json_to_string(o));
        return json_object_get_uint64(v);
}

/* "2025-01-02T03:04:05Z" to seconds, with the test's own parser. */
static time_t iso_seconds(const char *s) {
        struct tm tm = {};
        ck_assert_ptr_nonnull(s);
        const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        ck_assert_msg(end && (*end == 'Z' || *end == '.'), "not ISO 8601 UTC: %s", s);
        return timegm(&tm);
}

/* --- the surface ------------------------------------------------------------------------------------------- */

START_TEST(test_tools_declare_schemas_annotations_and_their_polkit_action) {
        json_object *tools = json_get_array(request("tools/list", "{}"), "tools");
        ck_assert_int_eq(json_object_array_length(tools), 8);
        for (size_t i = 0; i < json_object_array_length(tools); i++) {
                json_object *t = json_object_array_get_idx(tools, i);
                const char *name = json_get_string(t, "name");
                const McpTool *shipped = tool_find(name);
                ck_assert_msg(json_get_string(t, "title") && json_get_string(t, "description"), "%s: title", name);
                json_object *input = json_get_object(t, "inputSchema"), *extra;
                ck_assert_msg(json_object_object_get_ex(input, "additionalProperties", &extra) &&
                                !json_object_get_boolean(extra),
                        "%s: inputSchema allows additional properties", name);
                ck_assert_msg(json_get_object(t, "outputSchema"), "%s: no outputSchema", name);
                json_object *annotations = json_get_object(t, "annotations");
                ck_assert(!json_get_bool(annotations, "openWorldHint", true));
                if (streq(name, "system_unit_control")) {
                        /* It acts with the server's own grant from systemd: only for a caller polkit allowed, per unit.
                         */
                        ck_assert(!json_get_bool(annotations, "readOnlyHint", true));
                        ck_assert(json_get_bool(annotations, "destructiveHint", false));
                        ck_assert_str_eq(shipped->polkit_action, SYSOPS_ACTION_MANAGE_UNITS);
                        ck_assert_str_eq(shipped->polkit_detail_argument, "unit");
                        ck_assert(shipped->polkit_required);
                        continue;
                }
                ck_assert_msg(json_get_bool(annotations, "readOnlyHint", false), "%s is not read-only", name);
                ck_assert_str_eq(shipped->polkit_action, SYSOPS_ACTION_READ);
                /* What reads the journal is for callers polkit vouched for. */
                ck_assert_msg(shipped->polkit_required ==
                                (streq(name, "system_unit_status") || streq(name, "system_journal")),
                        "%s: polkit_required", name);
        }
        ck_assert(sysops_resource_templates[0].polkit_required);
        ck_assert_str_eq(sysops_resource_templates[0].polkit_action, SYSOPS_ACTION_READ);
        ck_assert_str_eq(sysops_resources[0].polkit_action, SYSOPS_ACTION_READ);
}
END_TEST

/* The engine's answer when polkit says no: access denied, naming the action, and the tool never ran. */
static void assert_access_denied(json_object *reply, const char *action) {
        json_object *error = json_get_object(reply, "error");
        ck_assert_msg(error, "not refused: %s", json_to_string(reply));
        ck_assert_int_eq(int_of(error, "code"), MCP_ERROR_ACCESS_DENIED);
        ck_assert_str_eq(json_get_string(json_get_object(error, "data"), "action"), action);
}

static json_object *dispatch(const char *text) {
        return capture_dispatch(&capture, server, session, event, text);
}

START_TEST(test_polkit_refusing_the_read_action_refuses_tools_and_resources) {
        test_polkit_deny(SYSOPS_ACTION_READ);
        assert_access_denied(dispatch("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
                                      "{\"name\":\"system_info\",\"arguments\":{}}}"),
                SYSOPS_ACTION_READ);
        ck_assert_str_eq(json_get_string(test_polkit_last_asked(), "action"), SYSOPS_ACTION_READ);
        json_object *reply = dispatch("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"resources/read\",\"params\":"
                                      "{\"uri\":\"system://info\"}}");
        ck_assert_msg(json_get_object(reply, "error"), "resources/read was not refused: %s", json_to_string(reply));

        /* Another action is not refused with it. */
        test_polkit_deny(SYSOPS_ACTION_MANAGE_UNITS);
        structured_of(call("system_info", "{}"));
}
END_TEST

START_TEST(test_polkit_is_asked_about_unit_control_with_the_unit) {
        test_polkit_deny(SYSOPS_ACTION_MANAGE_UNITS);
        assert_access_denied(dispatch("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
                                      "{\"name\":\"system_unit_control\",\"arguments\":"
                                      "{\"unit\":\"nginx.service\",\"action\":\"stop\"}}}"),
                SYSOPS_ACTION_MANAGE_UNITS);
        json_object *asked = test_polkit_last_asked();
        ck_assert_str_eq(json_get_string(asked, "action"), SYSOPS_ACTION_MANAGE_UNITS);
        ck_assert_str_eq(json_get_string(asked, "unit"), "nginx.service");
}
END_TEST

START_TEST(test_unknown_arguments_are_refused) {
        call_fails("system_info", "{\"verbose\":true}", "Invalid arguments");
        call_fails("system_processes", "{\"sort\":\"cpu\",\"colour\":1}", "Invalid arguments");
}
END_TEST

/* --- system_info ------------------------------------------------------------------------------------------- */

/* PRETTY_NAME as the test reads it: the line, its value, quotes stripped. */
static char *os_release_pretty_name(void) {
        FILE *f = fopen("/etc/os-release", "re");
        if (!f)
                f = fopen("/usr/lib/os-release", "re");
        if (!f)
                return NULL;
        char line[1024], *found = NULL;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "PRETTY_NAME=", 12) == 0) {
                        char *v = line + 12;
                        v[strcspn(v, "\n")] = 0;
                        size_t n = strlen(v);
                        if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
                                v[n - 1] = 0;
                                v++;
                        }
                        free(found);
                        found = strdup(v);
                }
        fclose(f);
        return found;
}

START_TEST(test_system_info_matches_the_machine) {
        json_object *info = structured_of(call("system_info", "{}"));

        char hostname[256] = "";
        ck_assert_int_eq(gethostname(hostname, sizeof(hostname) - 1), 0);
        ck_assert_str_eq(json_get_string(info, "hostname"), hostname);

        struct utsname u;
        ck_assert_int_eq(uname(&u), 0);
        json_object *kernel = json_get_object(info, "kernel");
        ck_assert_str_eq(json_get_string(kernel, "release"), u.release);
        ck_assert_str_eq(json_get_string(kernel, "machine"), u.machine);
        ck_assert_str_eq(json_get_string(kernel, "sysname"), u.sysname);

        _cleanup_free_ char *pretty = os_release_pretty_name();
        if (pretty)
                ck_assert_str_eq(json_get_string(json_get_object(info, "os"), "pretty_name"), pretty);

        /* sysinfo(2) and get_nprocs(3) are other ways to the same facts than /proc/meminfo and sysconf. */
        struct sysinfo si;
        ck_assert_int_eq(sysinfo(&si), 0);
        ck_assert_uint_eq(uint_of(json_get_object(info, "memory"), "total_bytes"),
                (uint64_t) si.totalram * si.mem_unit);
        ck_assert_uint_eq(uint_of(json_get_object(info, "swap"), "total_bytes"), (uint64_t) si.totalswap * si.mem_unit);
        ck_assert_int_eq(int_of(json_get_object(info, "cpus"), "online"), get_nprocs());
        time_t boot = time(NULL) - si.uptime;
        ck_assert_msg(labs((long) (iso_seconds(json_get_string(info, "boot_time")) - boot)) <= 2, "boot_time %s is off",
                json_get_string(info, "boot_time"));
        ck_assert_msg(strstr(text_of(call("system_info", "{}")), hostname), "the summary names the host");
}
END_TEST

/* What systemd-detect-virt says, when it is installed. */
static bool detect_virt(const char *option, char *buf, size_t size) {
        if (access("/usr/bin/systemd-detect-virt", X_OK) < 0)
                return false;
        char command[128];
        snprintf(command, sizeof(command), "/usr/bin/systemd-detect-virt %s 2>/dev/null", option);
        FILE *p = popen(command, "re");
        if (!p)
                return false;
        bool ok = fgets(buf, (int) size, p) != NULL;
        pclose(p);
        buf[strcspn(buf, "\n")] = 0;
        return ok;
}

START_TEST(test_virtualization_agrees_with_systemd_detect_virt) {
        json_object *virt = json_get_object(structured_of(call("system_info", "{}")), "virtualization");
        char vm[64], container[64];
        ck_assert(detect_virt("--vm", vm, sizeof(vm)) && detect_virt("--container", container, sizeof(container)));
        ck_assert_str_eq(json_get_string(virt, "vm") ?: "none", vm);
        /* As root systemd-detect-virt also reads PID 1's environment, which the daemon's user cannot. */
        if (!streq(container, "none") || !json_get_string(virt, "container"))
                ck_assert_str_eq(json_get_string(virt, "container") ?: "none", container);
        ck_assert_str_eq(json_get_string(virt, "type"),
                !streq(container, "none")    ? "container"
                        : !streq(vm, "none") ? "vm"
                                             : "none");
}
END_TEST

/* Without a system bus (a container, --no-bus on a laptop) the failure to reach one is logged once, not on
 * every call. */
START_TEST(test_a_missing_system_bus_is_logged_once) {
        char path[] = "/tmp/test-sysops-log-XXXXXX";
        int fd = mkstemp(path);
        ck_assert_int_ge(fd, 0);
        unlink(path);
        fflush(stderr);
        int saved = dup(STDERR_FILENO);
        ck_assert_int_ge(dup2(fd, STDERR_FILENO), 0);
        for (int i = 0; i < 3; i++)
                structured_of(call("system_info", "{}"));
        fflush(stderr);
        ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
        close(saved);

        char log[8192] = "";
        ssize_t n = pread(fd, log, sizeof(log) - 1, 0);
        close(fd);
        ck_assert_int_ge(n, 0);
        unsigned times = 0;
        for (const char *p = log; (p = strstr(p, "Failed to connect to the system bus")); p++)
                times++;
        ck_assert_msg(times <= 1, "logged %u times:\n%s", times, log);
}
END_TEST

START_TEST(test_system_info_resource_is_the_same_json) {
        json_object *contents = json_get_array(request("resources/read", "{\"uri\":\"system://info\"}"), "contents");
        json_object *c = json_object_array_get_idx(contents, 0);
        ck_assert_str_eq(json_get_string(c, "mimeType"), "application/json");
        _cleanup_json_ json_object *info = parse(json_get_string(c, "text"));
        char hostname[256] = "";
        gethostname(hostname, sizeof(hostname) - 1);
        ck_assert_str_eq(json_get_string(info, "hostname"), hostname);
        _cleanup_json_ json_object *schema = parse(tool_find("system_info")->output_schema);
        ck_assert_int_eq(jsonschema_validate(schema, info, NULL), 1);
}
END_TEST

/* --- system_disk_usage ------------------------------------------------------------------------------------- */

START_TEST(test_disk_usage_of_root_matches_statvfs) {
        json_object *fs = json_get_array(structured_of(call("system_disk_usage", "{\"path\":\"/\"}")), "filesystems");
        ck_assert_int_eq(json_object_array_length(fs), 1);
        json_object *root = json_object_array_get_idx(fs, 0), *usage = json_get_object(root, "usage");
        ck_assert_str_eq(json_get_string(root, "mount_point"), "/");
        ck_assert_msg(usage, "no usage for /: %s", json_get_string(root, "usage_note"));

        struct statvfs st;
        ck_assert_int_eq(statvfs("/", &st), 0);
        ck_assert_uint_eq(uint_of(usage, "total_bytes"), (uint64_t) st.f_blocks * st.f_frsize);
        ck_assert_uint_eq(uint_of(usage, "inodes_total"), (uint64_t) st.f_files);
}
END_TEST

START_TEST(test_disk_usage_path_is_a_mount_point) {
        json_object *fs =
                json_get_array(structured_of(call("system_disk_usage", "{\"path\":\"/proc/\"}")), "filesystems");
        ck_assert_int_eq(json_object_array_length(fs), 1);
        ck_assert_str_eq(json_get_string(json_object_array_get_idx(fs, 0), "fs_type"), "proc");
        ck_assert_str_eq(json_get_string(json_object_array_get_idx(fs, 0), "mount_point"), "/proc");
        ck_assert_msg(strstr(text_of(call("system_disk_usage", "{\"path\":\"/\"}")), "The file system mounted on / ("),
                "the summary names the mount point");
}
END_TEST

/* A path that is not a mount point gets the same answer whether it exists or not: the tool tells nobody what
 * is on the file system. */
static void assert_not_a_mount_point(const char *path) {
        char args[512], expected[1024];
        snprintf(args, sizeof(args), "{\"path\":\"%s\"}", path);
        json_object *result = call("system_disk_usage", args);
        ck_assert(json_get_bool(result, "isError", false));
        snprintf(expected, sizeof(expected),
                "\"%s\" is not a mount point. system_disk_usage answers for mount points only; without path it lists "
                "every mounted file system, with its mount point.",
                path);
        ck_assert_str_eq(text_of(result), expected);
}

START_TEST(test_disk_usage_does_not_tell_whether_a_path_exists) {
        char dir[] = "/tmp/test-sysops-XXXXXX", missing[64], file[64];
        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(file, sizeof(file), "%s/file", dir);
        snprintf(missing, sizeof(missing), "%s/missing", dir);
        int fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        ck_assert_int_ge(fd, 0);
        close(fd);
        /* Made unreadable to anyone but root, as another user's home would be. */
        ck_assert_int_eq(chmod(dir, 0700), 0);

        assert_not_a_mount_point(dir);
        assert_not_a_mount_point(file);
        assert_not_a_mount_point(missing);
        assert_not_a_mount_point("/proc/self/status");
        assert_not_a_mount_point("/no/such/directory/here");
        unlink(file);
        rmdir(dir);
}
END_TEST

START_TEST(test_disk_usage_leaves_out_pseudo_file_systems_unless_asked) {
        json_object *all = structured_of(call("system_disk_usage", "{}"));
        json_object *fs = json_get_array(all, "filesystems");
        bool root = false;
        for (size_t i = 0; i < json_object_array_length(fs); i++) {
                json_object *f = json_object_array_get_idx(fs, i);
                ck_assert_str_ne(json_get_string(f, "fs_type"), "proc");
                ck_assert_str_ne(json_get_string(f, "fs_type"), "sysfs");
                root = root || streq(json_get_string(f, "mount_point"), "/");
        }
        ck_assert(root);
        ck_assert_int_eq(int_of(all, "count"), (int64_t) json_object_array_length(fs));

        fs = json_get_array(structured_of(call("system_disk_usage", "{\"include_pseudo\":true}")), "filesystems");
        bool proc = false;
        for (size_t i = 0; i < json_object_array_length(fs); i++)
                proc = proc || streq(json_get_string(json_object_array_get_idx(fs, i), "fs_type"), "proc");
        ck_assert(proc);
        ck_assert_int_le(json_object_array_length(fs), 256);
}
END_TEST

START_TEST(test_disk_usage_bad_paths_are_tool_errors) {
        call_fails("system_disk_usage", "{\"path\":\"relative/path\"}", "Invalid arguments");
        call_fails("system_disk_usage", "{\"include_pseudo\":\"yes\"}", "Invalid arguments");
}
END_TEST

/* --- system_network ---------------------------------------------------------------------------------------- */

START_TEST(test_network_loopback_has_127_0_0_1) {
        json_object *list =
                json_get_array(structured_of(call("system_network", "{\"interface\":\"lo\"}")), "interfaces");
        ck_assert_int_eq(json_object_array_length(list), 1);
        json_object *lo = json_object_array_get_idx(list, 0);
        ck_assert_str_eq(json_get_string(lo, "name"), "lo");
        ck_assert(json_get_bool(lo, "loopback", false));
        ck_assert(json_get_bool(lo, "up", false));

        bool found = false;
        json_object *addresses = json_get_array(lo, "addresses");
        for (size_t i = 0; i < json_object_array_length(addresses); i++) {
                json_object *a = json_object_array_get_idx(addresses, i);
                if (streq(json_get_string(a, "address"), "127.0.0.1")) {
                        found = true;
                        ck_assert_int_eq(int_of(a, "prefix_length"), 8);
                        ck_assert_str_eq(json_get_string(a, "family"), "inet");
                }
        }
        ck_assert_msg(found, "no 127.0.0.1 on lo: %s", json_to_string(lo));

        /* The kernel's answers to ioctl() and if_nametoindex(), not sysfs. */
        ck_assert_int_eq(int_of(lo, "index"), (int64_t) if_nametoindex("lo"));
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr = {};
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
        ck_assert_int_eq(ioctl(fd, SIOCGIFMTU, &ifr), 0);
        close(fd);
        ck_assert_int_eq(int_of(lo, "mtu"), ifr.ifr_mtu);
        ck_assert_ptr_nonnull(json_get_object(lo, "statistics"));
}
END_TEST

START_TEST(test_network_lists_every_interface) {
        json_object *list = json_get_array(structured_of(call("system_network", "{}")), "interfaces");
        struct if_nameindex *names = if_nameindex();
        ck_assert_ptr_nonnull(names);
        for (struct if_nameindex *n = names; n->if_index; n++) {
                bool found = false;
                for (size_t i = 0; i < json_object_array_length(list); i++)
                        found = found || streq(json_get_string(json_object_array_get_idx(list, i), "name"), n->if_name);
                ck_assert_msg(found, "interface %s is missing", n->if_name);
        }
        if_freenameindex(names);
}
END_TEST

START_TEST(test_network_unknown_or_malformed_interface_is_a_tool_error) {
        call_fails("system_network", "{\"interface\":\"nosuch0\"}", "No network interface is named \"nosuch0\"");
        call_fails("system_network", "{\"interface\":\"nosuch0\"}", "lo");
        call_fails("system_network", "{\"interface\":\"../../etc\"}", "Invalid arguments");
        call_fails("system_network", "{\"interface\":\"a-name-much-too-long\"}", "Invalid arguments");
        call_fails("system_network", "{\"interface\":\"\"}", "Invalid arguments");
}
END_TEST

/* --- system_processes ---------------------------------------------------------------------------------------- */

static json_object *process_find(json_object *structured, pid_t pid) {
        json_object *list = json_get_array(structured, "processes");
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                json_object *p = json_object_array_get_idx(list, i);
                if (int_of(p, "pid") == pid)
                        return p;
        }
        return NULL;
}

START_TEST(test_processes_find_the_test_itself) {
        json_object *s = structured_of(call("system_processes", "{\"name\":\"test-sysops\",\"limit\":1000}"));
        json_object *me = process_find(s, getpid());
        ck_assert_msg(me, "pid %d not found: %s", (int) getpid(), json_to_string(s));
        ck_assert_int_eq(int_of(me, "ppid"), getppid());
        ck_assert_int_eq(int_of(me, "uid"), geteuid());
        struct passwd *pw = getpwuid(geteuid());
        if (pw)
                ck_assert_str_eq(json_get_string(me, "user"), pw->pw_name);
        ck_assert_str_eq(json_get_string(me, "name"), "test-sysops");
        ck_assert_ptr_nonnull(strstr(json_get_string(me, "command"), "test-sysops"));
        ck_assert_str_eq(json_get_string(me, "state"), "running"); /* it is the one reading /proc */
        ck_assert_int_ge(int_of(me, "threads"), 1);
        ck_assert_uint_gt(uint_of(me, "rss_bytes"), 0);
        ck_assert(!json_get_bool(me, "kernel_thread", true));
        ck_assert_int_ge(int_of(s, "total"), int_of(s, "matched"));
        ck_assert_int_ge(int_of(s, "matched"), int_of(s, "returned"));

        /* A glob finds it too, and the other filters keep it. */
        char args[256];
        snprintf(args, sizeof(args), "{\"name\":\"test-sy?ops*\",\"state\":\"running\",\"user\":\"%s\",\"limit\":1000}",
                pw ? pw->pw_name : "root");
        ck_assert_ptr_nonnull(process_find(structured_of(call("system_processes", args)), getpid()));
        ck_assert_ptr_null(
                process_find(structured_of(call("system_processes", "{\"name\":\"test-sysops\",\"state\":\"zombie\"}")),
                        getpid()));
}
END_TEST

static int count_proc_pids(void) {
        int n = 0;
        DIR *d = opendir("/proc");
        ck_assert_ptr_nonnull(d);
        for (struct dirent *de; (de = readdir(d));)
                n += de->d_name[0] >= '1' && de->d_name[0] <= '9';
        closedir(d);
        return n;
}

START_TEST(test_processes_total_matches_proc) {
        /* Count /proc's numeric entries around the call: the tool's total lies in between, give or take what
         * parallel tests start and stop meanwhile. */
        int before = count_proc_pids();
        json_object *s = structured_of(call("system_processes", "{\"limit\":1}"));
        int after = count_proc_pids(), slack = MAX(20, MAX(before, after) / 10);
        ck_assert_int_ge(int_of(s, "total"), MIN(before, after) - slack);
        ck_assert_int_le(int_of(s, "total"), MAX(before, after) + slack);
        ck_assert_int_eq(int_of(s, "returned"), 1);
}
END_TEST

START_TEST(test_processes_sort_and_limit) {
        json_object *list =
                json_get_array(structured_of(call("system_processes", "{\"sort\":\"pid\",\"limit\":5}")), "processes");
        ck_assert_int_le(json_object_array_length(list), 5);
        for (size_t i = 1; i < json_object_array_length(list); i++)
                ck_assert_int_lt(int_of(json_object_array_get_idx(list, i - 1), "pid"),
                        int_of(json_object_array_get_idx(list, i), "pid"));

        list = json_get_array(structured_of(call("system_processes", "{\"sort\":\"memory\",\"limit\":20}")),
                "processes");
        for (size_t i = 1; i < json_object_array_length(list); i++)
                ck_assert_uint_ge(uint_of(json_object_array_get_idx(list, i - 1), "rss_bytes"),
                        uint_of(json_object_array_get_idx(list, i), "rss_bytes"));

        list = json_get_array(structured_of(call("system_processes", "{\"sort\":\"name\",\"limit\":20}")), "processes");
        for (size_t i = 1; i < json_object_array_length(list); i++)
                ck_assert_int_le(strcmp(json_get_string(json_object_array_get_idx(list, i - 1), "name"),
                                         json_get_string(json_object_array_get_idx(list, i), "name")),
                        0);
}
END_TEST

START_TEST(test_processes_bad_input_is_a_tool_error) {
        call_fails("system_processes", "{\"name\":\"[abc\"}", "malformed");
        call_fails("system_processes", "{\"name\":\"abc*\\\\\"}", "lone backslash");
        call_fails("system_processes", "{\"limit\":100000}", "maximum");
        call_fails("system_processes", "{\"limit\":0}", "minimum");
        call_fails("system_processes", "{\"sort\":\"colour\"}", "Invalid arguments");
        call_fails("system_processes", "{\"state\":\"asleep\"}", "Invalid arguments");
        call_fails("system_processes", "{\"user\":\"no-such-user-here\"}", "No user is named");
}
END_TEST

/* --- system_journal: arguments ------------------------------------------------------------------------------- */

START_TEST(test_journal_bad_input_is_a_tool_error) {
        call_fails("system_journal", "{\"since\":\"-1h\",\"until\":\"-2h\"}", "upside down");
        call_fails("system_journal", "{\"since\":\"2025-03-02T00:00:00Z\",\"until\":\"2025-03-01\"}", "upside down");
        call_fails("system_journal", "{\"cursor\":\"not-a-cursor\"}", "cursor");
        call_fails("system_journal", "{\"boot\":\"0123\"}", "/boot");
        call_fails("system_journal", "{\"boot\":\"previous\"}", "/boot");
        call_fails("system_journal", "{\"since\":\"yesterday-ish\"}", "Cannot understand since");
        call_fails("system_journal", "{\"until\":\"2025-02-30T00:00:00Z\"}", "Cannot understand until");
        call_fails("system_journal", "{\"since\":\"-5 fortnights\"}", "Cannot understand since");
        call_fails("system_journal", "{\"limit\":5000}", "maximum");
        call_fails("system_journal", "{\"priority\":9}", "Invalid arguments");
        call_fails("system_journal", "{\"priority\":\"loud\"}", "Invalid arguments");
        call_fails("system_journal", "{\"unit\":\"two words\"}", "not a unit name");
        call_fails("system_journal", "{\"unit\":\"a/b.service\"}", "not a unit name");

        char args[512] = "{\"grep\":\"";
        memset(args + strlen(args), 'x', 300);
        strcpy(args + 9 + 300, "\"}");
        call_fails("system_journal", args, "Invalid arguments");
}
END_TEST

START_TEST(test_journal_good_time_forms_are_accepted) {
        static const char *const forms[] = {
                "{\"since\":\"-30min\"}",
                "{\"since\":\"-1h30min\",\"until\":\"now\"}",
                "{\"since\":\"2020-01-02\",\"until\":\"2020-01-02T03:04\"}",
                "{\"since\":\"2020-01-02 03:04:05.123456\",\"until\":\"2020-01-02T06:04:05+02:00\"}",
                "{\"since\":\"2020-01-02T03:04:05Z\",\"until\":\"+1d\"}",
        };
        FOREACH_ELEMENT(f, forms)
        structured_of(call("system_journal", *f));
}
END_TEST

/* --- system_journal: real entries -------------------------------------------------------------------------- */

static pid_t journald_pid = 0;

static bool journal_socket_works(void) {
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = "/run/systemd/journal/socket" };
        bool ok = fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof(sa)) >= 0;
        if (fd >= 0)
                close(fd);
        return ok;
}

/* journald on this machine, or else (as root) a private one: this test process moves into a mount namespace of
 * its own with an empty /run and /var/log/journal, and starts systemd-journald there, which dies with it. Returns
 * false (with the reason) when neither is possible. */
static bool journal_ensure(const char **ret_reason) {
        if (journal_socket_works())
                return true;
        if (geteuid() != 0) {
                *ret_reason = "journald is not running here and only root can start a private one";
                return false;
        }
        const char *journald = "/lib/systemd/systemd-journald";
        if (access(journald, X_OK) < 0) {
                *ret_reason = "journald is not running here and /lib/systemd/systemd-journald is missing";
                return false;
        }
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
                mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0) {
                *ret_reason = "journald is not running here and a private mount namespace for one cannot be made";
                return false;
        }
        struct stat st;
        if ((stat("/var/log/journal", &st) >= 0 &&
                    mount("tmpfs", "/var/log/journal", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0) ||
                mkdir("/run/systemd", 0755) < 0 || mkdir("/run/log", 0755) < 0) {
                *ret_reason = "journald is not running here and its directories cannot be made in a private namespace";
                return false;
        }

        pid_t parent = getpid();
        journald_pid = fork();
        if (journald_pid < 0) {
                *ret_reason = "fork failed";
                return false;
        }
        if (journald_pid == 0) {
                (void) prctl(PR_SET_PDEATHSIG, SIGTERM);
                if (getppid() != parent)
                        _exit(EXIT_FAILURE);
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                dup2(null, STDOUT_FILENO);
                dup2(null, STDERR_FILENO);
                execl(journald, journald, (char *) NULL);
                _exit(EXIT_FAILURE);
        }
        /* journald binds its socket within a moment; 5 s at most. */
        for (int i = 0; i < 100 && !journal_socket_works() && waitpid(journald_pid, NULL, WNOHANG) == 0; i++)
                usleep(50 * 1000);
        if (!journal_socket_works()) {
                /* Not a skip: journald is there and root may run it, so it failing to start is a failure. */
                fprintf(stderr, "test-sysops: the private systemd-journald did not start\n");
                exit(EXIT_FAILURE);
        }
        fprintf(stderr, "test-sysops: no journald here; started a private one (pid %d) in a mount namespace\n",
                (int) journald_pid);
        return true;
}

static void journal_stop(void) {
        if (journald_pid > 0) {
                kill(journald_pid, SIGTERM);
                waitpid(journald_pid, NULL, 0);
                journald_pid = 0;
        }
}

static void random_marker(char *buf, size_t size) {
        sd_id128_t id;
        char hex[SD_ID128_STRING_MAX];
        ck_assert_int_ge(sd_id128_randomize(&id), 0);
        snprintf(buf, size, "aios-sysops-%s", sd_id128_to_string(id, hex));
}

/* Queries with grep=marker (plus extra arguments) until n entries are there, at most 5 s: journald writes what it
 * receives asynchronously. */
static json_object *journal_wait(const char *marker, const char *extra, size_t n) {
        char args[1024];
        snprintf(args, sizeof(args), "{\"grep\":\"%s\"%s%s}", marker, extra ? "," : "", strempty(extra));
        json_object *s = NULL;
        for (int i = 0; i < 100; i++) {
                s = structured_of(call("system_journal", args));
                if (json_object_array_length(json_get_array(s, "entries")) >= n)
                        break;
                usleep(50 * 1000);
        }
        return s;
}

START_TEST(test_journal_finds_a_line_the_test_wrote) {
        char marker[64];
        random_marker(marker, sizeof(marker));
        ck_assert_int_ge(sd_journal_print(LOG_WARNING, "hello from %s", marker), 0);

        json_object *s = journal_wait(marker, NULL, 1);
        json_object *entries = json_get_array(s, "entries");
        ck_assert_msg(json_object_array_length(entries) == 1, "the line was not found: %s", json_to_string(s));
        json_object *e = json_object_array_get_idx(entries, 0);
        char expected[128];
        snprintf(expected, sizeof(expected), "hello from %s", marker);
        ck_assert_str_eq(json_get_string(e, "message"), expected);
        ck_assert_int_eq(int_of(e, "priority"), LOG_WARNING);
        ck_assert_int_eq(int_of(e, "pid"), getpid());
        ck_assert_str_eq(json_get_string(e, "identifier"), program_invocation_short_name);
        ck_assert(json_get_bool(s, "journal_available", false));
        ck_assert_msg(labs((long) (iso_seconds(json_get_string(e, "timestamp")) - time(NULL))) < 60, "timestamp %s",
                json_get_string(e, "timestamp"));

        /* Grep ignores case; the filters that fit keep it, the ones that do not drop it. */
        char upper[64];
        for (size_t i = 0; i <= strlen(marker); i++)
                upper[i] = (char) toupper((unsigned char) marker[i]);
        ck_assert_int_eq(json_object_array_length(json_get_array(
                                 journal_wait(upper,
                                         "\"boot\":\"current\",\"priority\":\"warning\",\"since\":\"-10min\"", 1),
                                 "entries")),
                1);
        ck_assert_int_eq(json_object_array_length(
                                 json_get_array(structured_of(call("system_journal",
                                                        "{\"grep\":\"nothing-will-match-this-text-at-all\"}")),
                                         "entries")),
                0);
        char args[256];
        snprintf(args, sizeof(args), "{\"grep\":\"%s\",\"priority\":\"err\"}", marker);
        ck_assert_int_eq(json_object_array_length(
                                 json_get_array(structured_of(call("system_journal", args)), "entries")),
                0);
        snprintf(args, sizeof(args), "{\"grep\":\"%s\",\"since\":\"+1h\"}", marker);
        ck_assert_int_eq(json_object_array_length(
                                 json_get_array(structured_of(call("system_journal", args)), "entries")),
                0);
        snprintf(args, sizeof(args), "{\"grep\":\"%s\",\"boot\":\"00000000000000000000000000000001\"}", marker);
        ck_assert_int_eq(json_object_array_length(
                                 json_get_array(structured_of(call("system_journal", args)), "entries")),
                0);
        snprintf(args, sizeof(args), "{\"grep\":\"%s\",\"unit\":\"no-such-unit\"}", marker);
        ck_assert_int_eq(json_object_array_length(
                                 json_get_array(structured_of(call("system_journal", args)), "entries")),
                0);
}
END_TEST

START_TEST(test_journal_cursor_continues_where_an_answer_stopped) {
        char marker[64];
        random_marker(marker, sizeof(marker));
        for (int i = 1; i <= 5; i++)
                ck_assert_int_ge(sd_journal_print(LOG_INFO, "%s line %d", marker, i), 0);
        journal_wait(marker, NULL, 5);

        /* Oldest first, two at a time: 1 2, 3 4, 5. */
        char args[2048], expected[128];
        _cleanup_free_ char *cursor = NULL, *after_line_4 = NULL;
        int line = 1;
        for (int page = 0; page < 3; page++) {
                if (cursor)
                        snprintf(args, sizeof(args),
                                "{\"grep\":\"%s\",\"reverse\":false,\"limit\":2,\"cursor\":\"%s\"}", marker, cursor);
                else
                        snprintf(args, sizeof(args), "{\"grep\":\"%s\",\"reverse\":false,\"limit\":2}", marker);
                json_object *s = structured_of(call("system_journal", args));
                json_object *entries = json_get_array(s, "entries");
                ck_assert_int_eq(json_object_array_length(entries), page < 2 ? 2 : 1);
                for (size_t i = 0; i < json_object_array_length(entries); i++) {
                        snprintf(expected, sizeof(expected), "%s line %d", marker, line++);
                        ck_assert_str_eq(json_get_string(json_object_array_get_idx(entries, i), "message"), expected);
                }
                ck_assert(json_get_bool(s, "more", false) == (page < 2));
                free(cursor);
                cursor = strdup(json_get_string(s, "next_cursor"));
                if (page == 1)
                        after_line_4 = strdup(cursor);
        }

        /* Newest first from line 4's cursor: the lines before it, newest first. */
        snprintf(args, sizeof(args), "{\"grep\":\"%s\",\"limit\":10,\"cursor\":\"%s\"}", marker, after_line_4);
        json_object *entries = json_get_array(structured_of(call("system_journal", args)), "entries");
        ck_assert_int_eq(json_object_array_length(entries), 3);
        for (int i = 0; i < 3; i++) {
                snprintf(expected, sizeof(expected), "%s line %d", marker, 3 - i);
                ck_assert_str_eq(json_get_string(json_object_array_get_idx(entries, (size_t) i), "message"), expected);
        }
}
END_TEST

START_TEST(test_journal_truncates_long_messages) {
        char marker[64];
        random_marker(marker, sizeof(marker));
        _cleanup_free_ char *padding = malloc(10001);
        memset(padding, 'y', 10000);
        padding[10000] = 0;
        ck_assert_int_ge(sd_journal_print(LOG_INFO, "%s %s", marker, padding), 0);
        json_object *e = json_object_array_get_idx(json_get_array(journal_wait(marker, NULL, 1), "entries"), 0);
        ck_assert_ptr_nonnull(e);
        ck_assert(json_get_bool(e, "message_truncated", false));
        ck_assert_int_eq(strlen(json_get_string(e, "message")), 4096);
}
END_TEST

START_TEST(test_journal_unit_resource) {
        json_object *contents =
                json_get_array(request("resources/read", "{\"uri\":\"journal://unit/no-such-unit-here\"}"), "contents");
        json_object *c = json_object_array_get_idx(contents, 0);
        ck_assert_str_eq(json_get_string(c, "mimeType"), "text/plain");
        /* Whether journal files are readable here at all, as the tool finds out: then it says so. */
        sd_journal *j = NULL;
        uint64_t bytes = 0;
        if (sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY) >= 0) {
                (void) sd_journal_get_usage(j, &bytes);
                sd_journal_close(j);
        }
        if (bytes > 0)
                ck_assert_str_eq(json_get_string(c, "text"), "No journal entries for no-such-unit-here.service.");
        else
                ck_assert_str_eq(json_get_string(c, "text"),
                        "No journal entries for no-such-unit-here.service: no journal files are readable here "
                        "(journald is not running, or this user may not read them).");

        json_object *reply = capture_dispatch(&capture, server, session, event,
                "{\"jsonrpc\":\"2.0\",\"id\":99,\"method\":\"resources/read\",\"params\":{\"uri\":\"journal://unit/two%20words\"}}");
        ck_assert_ptr_nonnull(json_get_object(reply, "error"));
        ck_assert_ptr_nonnull(strstr(json_get_string(json_get_object(reply, "error"), "message"), "not a unit name"));
}
END_TEST

static Suite *sysops_suite(void) {
        Suite *s = suite_create("sysops");
        TCase *tc = tcase_create("surface");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_tools_declare_schemas_annotations_and_their_polkit_action);
        tcase_add_test(tc, test_polkit_refusing_the_read_action_refuses_tools_and_resources);
        tcase_add_test(tc, test_polkit_is_asked_about_unit_control_with_the_unit);
        tcase_add_test(tc, test_unknown_arguments_are_refused);
        suite_add_tcase(s, tc);

        tc = tcase_create("info");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_system_info_matches_the_machine);
        tcase_add_test(tc, test_system_info_resource_is_the_same_json);
        tcase_add_test(tc, test_a_missing_system_bus_is_logged_once);
        tcase_add_test(tc, test_disk_usage_of_root_matches_statvfs);
        tcase_add_test(tc, test_disk_usage_path_is_a_mount_point);
        tcase_add_test(tc, test_disk_usage_does_not_tell_whether_a_path_exists);
        tcase_add_test(tc, test_disk_usage_leaves_out_pseudo_file_systems_unless_asked);
        tcase_add_test(tc, test_disk_usage_bad_paths_are_tool_errors);
        tcase_add_test(tc, test_network_loopback_has_127_0_0_1);
        tcase_add_test(tc, test_network_lists_every_interface);
        tcase_add_test(tc, test_network_unknown_or_malformed_interface_is_a_tool_error);
        suite_add_tcase(s, tc);

        tc = tcase_create("processes");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_processes_find_the_test_itself);
        tcase_add_test(tc, test_processes_total_matches_proc);
        tcase_add_test(tc, test_processes_sort_and_limit);
        tcase_add_test(tc, test_processes_bad_input_is_a_tool_error);
        suite_add_tcase(s, tc);

        tc = tcase_create("journal");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_journal_bad_input_is_a_tool_error);
        tcase_add_test(tc, test_journal_good_time_forms_are_accepted);
        tcase_add_test(tc, test_journal_unit_resource);
        suite_add_tcase(s, tc);
        return s;
}

/* The tests that need journald: this machine's, or a private one started for them. */
static Suite *journal_suite(void) {
        Suite *s = suite_create("sysops-journal");
        TCase *tc = tcase_create("journal");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_journal_finds_a_line_the_test_wrote);
        tcase_add_test(tc, test_journal_cursor_continues_where_an_answer_stopped);
        tcase_add_test(tc, test_journal_truncates_long_messages);
        suite_add_tcase(s, tc);
        return s;
}

static Suite *virt_suite(void) {
        Suite *s = suite_create("sysops-virt");
        TCase *tc = tcase_create("virt");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_virtualization_agrees_with_systemd_detect_virt);
        suite_add_tcase(s, tc);
        return s;
}

#define EXIT_TEST_SKIP 77

int main(int argc, char *argv[]) {
        const char *part = argc > 1 ? argv[1] : "";
        if (streq(part, "journal")) {
                const char *reason = NULL;
                if (!journal_ensure(&reason)) {
                        printf("SKIP: %s\n", reason);
                        return EXIT_TEST_SKIP;
                }
                int r = test_run_suite(journal_suite());
                journal_stop();
                return r;
        }
        if (streq(part, "virt")) {
                char buf[64];
                if (!detect_virt("--vm", buf, sizeof(buf))) {
                        printf("SKIP: systemd-detect-virt is not installed here\n");
                        return EXIT_TEST_SKIP;
                }
                return test_run_suite(virt_suite());
        }
        return test_run_suite(sysops_suite());
}
