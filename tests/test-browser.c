/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-browserd's parts that need no browser: the DevTools pipe's framing and a connection over real pipes, the
 * launcher (with a shell playing the browser: its fds, its profile directory and environment, one at a time,
 * stopped and cleaned up), the origin policy (patterns, the host's own addresses in their many spellings,
 * schemes), and snapshots written within their budget from what the page reader collected. */
#include <check.h>
#include <dirent.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cdp-frame.h"
#include "cdp.h"
#include "launcher.h"
#include "origin.h"
#include "snapshot.h"
#include "socks-proxy.h"
#include "test-util.h"

/* --- framing --------------------------------------------------------------------------------------------- */

START_TEST(test_frame_finds_the_first_message) {
        const char data[] = "{\"id\":1}\0{\"id\":2}\0{\"id\"";
        ck_assert_int_eq(cdp_frame_find(data, sizeof(data) - 1, 1024), 8);
        ck_assert_int_eq(cdp_frame_find(data + 9, sizeof(data) - 10, 1024), 8);
        ck_assert_int_eq(cdp_frame_find(data + 18, 5, 1024), -EAGAIN);
}
END_TEST

START_TEST(test_frame_without_nul_past_the_limit_is_too_big) {
        char data[100];
        memset(data, 'x', sizeof(data));
        ck_assert_int_eq(cdp_frame_find(data, sizeof(data), 64), -E2BIG);
        ck_assert_int_eq(cdp_frame_find(data, 64, 64), -EAGAIN);
}
END_TEST

START_TEST(test_frame_command_ends_with_nul) {
        _cleanup_free_ char *frame = NULL;
        size_t size;
        _cleanup_json_ json_object *params = json_object_new_object();
        json_add_string(params, "url", "https://example.com/\"q\"");
        ck_assert_int_eq(cdp_frame_command(7, "S1", "Page.navigate", params, &frame, &size), 0);
        ck_assert_uint_eq(size, strlen(frame) + 1);
        ck_assert_int_eq(frame[size - 1], 0);
        _cleanup_json_ json_object *m = NULL;
        ck_assert_int_eq(json_parse_strict(frame, size - 1, &m, NULL), 0);
        ck_assert_int_eq(json_object_get_int(json_object_object_get(m, "id")), 7);
        ck_assert_str_eq(json_get_string(m, "method"), "Page.navigate");
        ck_assert_str_eq(json_get_string(m, "sessionId"), "S1");
        ck_assert_str_eq(json_get_string(json_get_object(m, "params"), "url"), "https://example.com/\"q\"");

        _cleanup_free_ char *bare = NULL;
        ck_assert_int_eq(cdp_frame_command(8, NULL, "Browser.getVersion", NULL, &bare, &size), 0);
        ck_assert_ptr_null(strstr(bare, "sessionId"));
        ck_assert_ptr_null(strstr(bare, "params"));
}
END_TEST

/* --- a connection over pipes, the far end played by the test ------------------------------------------------ */

typedef struct Peer {
        int replies, errors, events, closed;
        char last_error[256];
        char last_event[64];
} Peer;

static void on_reply(Cdp *c, json_object *result, const char *error, void *userdata) {
        Peer *p = userdata;
        if (error) {
                p->errors++;
                snprintf(p->last_error, sizeof(p->last_error), "%s", error);
        } else
                p->replies++;
}

static void on_event(Cdp *c, const char *session, const char *method, json_object *params, void *userdata) {
        Peer *p = userdata;
        p->events++;
        snprintf(p->last_event, sizeof(p->last_event), "%s/%s", strempty(session), method);
}

static void on_closed(Cdp *c, const char *reason, void *userdata) {
        Peer *p = userdata;
        p->closed++;
}

static const CdpOps peer_ops = { .event = on_event, .closed = on_closed };

static void run_until(sd_event *e, int *counter, int value) {
        for (int i = 0; i < 200 && *counter < value; i++)
                ck_assert_int_ge(sd_event_run(e, 10 * 1000), 0);
        ck_assert_int_ge(*counter, value);
}

START_TEST(test_connection_matches_replies_and_events) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        ck_assert_int_ge(sd_event_new(&e), 0);
        int to_browser[2], from_browser[2];
        ck_assert_int_eq(pipe2(to_browser, O_CLOEXEC), 0);
        ck_assert_int_eq(pipe2(from_browser, O_CLOEXEC), 0);
        Peer peer = {};
        Cdp *c = NULL;
        ck_assert_int_eq(cdp_new(e, to_browser[1], from_browser[0], &peer_ops, &peer, &c), 0);

        ck_assert_int_eq(cdp_send(c, NULL, "Browser.getVersion", NULL, on_reply, &peer), 0);
        ck_assert_int_eq(cdp_send(c, "S", "Page.navigate", json_object_new_object(), on_reply, &peer), 0);
        char buf[512];
        ssize_t n = read(to_browser[0], buf, sizeof(buf));
        ck_assert_int_gt(n, 0);
        ck_assert_ptr_nonnull(memmem(buf, n, "\"id\":1", 6));
        ck_assert_ptr_nonnull(memmem(buf, n, "\"id\":2", 6));

        /* An event, the second answer as an error, then the first, in pieces and in one write. */
        const char part1[] = "{\"method\":\"Page.loadEventFired\",\"sessionId\":\"S\",\"params\":{}}\0{\"id\":2,\"err";
        const char part2[] = "or\":{\"message\":\"no such page\"}}\0{\"id\":1,\"result\":{\"product\":\"x\"}}\0";
        ck_assert_int_eq(write(from_browser[1], part1, sizeof(part1) - 1), (ssize_t) sizeof(part1) - 1);
        run_until(e, &peer.events, 1);
        ck_assert_str_eq(peer.last_event, "S/Page.loadEventFired");
        ck_assert_int_eq(write(from_browser[1], part2, sizeof(part2) - 1), (ssize_t) sizeof(part2) - 1);
        run_until(e, &peer.replies, 1);
        ck_assert_int_eq(peer.errors, 1);
        ck_assert_str_eq(peer.last_error, "no such page");

        /* Garbage is skipped; a command still pending when the browser goes away is answered. */
        ck_assert_int_eq(cdp_send(c, NULL, "Target.createTarget", NULL, on_reply, &peer), 0);
        const char garbage[] = "not json\0";
        ck_assert_int_eq(write(from_browser[1], garbage, sizeof(garbage) - 1), (ssize_t) sizeof(garbage) - 1);
        close(from_browser[1]);
        run_until(e, &peer.closed, 1);
        ck_assert_int_eq(peer.errors, 2);
        ck_assert_ptr_nonnull(strstr(peer.last_error, "went away"));
        ck_assert(cdp_is_dead(c));
        ck_assert_int_eq(cdp_send(c, NULL, "Browser.close", NULL, on_reply, &peer), -ENOTCONN);
        cdp_free(c);
        close(to_browser[0]);
}
END_TEST

/* --- the launcher, with a shell playing the browser on fds 3 and 4 ----------------------------------------------- */

static void launcher_expect(int fd, const char *prefix, char *buf, size_t size) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ck_assert_int_eq(poll(&p, 1, 10000), 1);
        ssize_t n = recv(fd, buf, size - 1, 0);
        ck_assert_int_gt(n, 0);
        buf[n] = 0;
        ck_assert_msg(startswith_ptr(buf, prefix), "expected \"%s...\", got \"%s\"", prefix, buf);
}

static size_t count_entries(const char *dir) {
        DIR *d = opendir(dir);
        ck_assert_ptr_nonnull(d);
        size_t n = 0;
        for (struct dirent *e; (e = readdir(d));)
                n += e->d_name[0] != '.';
        closedir(d);
        return n;
}

START_TEST(test_launcher_starts_only_its_browser_and_cleans_up) {
        char base[] = "/tmp/test-browser-launcher.XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(base));
        /* The "browser" says where its home is, then echoes what it reads on fd 3 to fd 4. */
        char *argv[] = { (char *) "/bin/sh", (char *) "-c",
                (char *) "printf '%s %s\\n' \"$HOME\" \"$0\" >&4; exec cat <&3 >&4", NULL };
        char *envp[] = { (char *) "PATH=/usr/bin:/bin", NULL };
        LauncherConfig lc = { .argv = argv, .envp = envp, .profile_base = base };
        pid_t pid;
        int fd = launcher_fork(&lc, &pid);
        ck_assert_int_ge(fd, 0);

        char buf[512];
        for (int round = 0; round < 2; round++) {
                int to[2], from[2];
                ck_assert_int_eq(pipe2(to, O_CLOEXEC), 0);
                ck_assert_int_eq(pipe2(from, O_CLOEXEC), 0);
                ck_assert_int_eq(launcher_send_start(fd, to[0], from[1]), 0);
                close(to[0]);
                close(from[1]);
                launcher_expect(fd, "started ", buf, sizeof(buf));
                /* A second start while one runs is refused. */
                int spare[2];
                ck_assert_int_eq(pipe2(spare, O_CLOEXEC), 0);
                ck_assert_int_eq(launcher_send_start(fd, spare[0], spare[1]), 0);
                launcher_expect(fd, "failed ", buf, sizeof(buf));
                close(spare[0]);
                close(spare[1]);

                /* Its home is a fresh profile directory under the base, named on its command line too. */
                FILE *f = fdopen(from[0], "r");
                ck_assert_ptr_nonnull(f);
                char line[512];
                ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
                ck_assert_msg(startswith_ptr(line, base), "home %s not under %s", line, base);
                ck_assert_ptr_nonnull(strstr(line, " --user-data-dir="));
                ck_assert_uint_eq(count_entries(base), 1);
                ck_assert_int_eq(write(to[1], "ping\n", 5), 5);
                ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
                ck_assert_str_eq(line, "ping\n");

                if (round == 0)
                        close(to[1]); /* the pipe closed: the browser ends by itself */
                else
                        ck_assert_int_eq(launcher_send_stop(fd), 0);
                launcher_expect(fd, "exited ", buf, sizeof(buf));
                int child, status;
                ck_assert_int_eq(sscanf(buf, "exited %d %d", &child, &status), 2);
                if (round == 0)
                        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
                else {
                        ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
                        close(to[1]);
                }
                fclose(f);
                /* The profile is gone with it. */
                ck_assert_uint_eq(count_entries(base), 0);
        }

        /* The server going away ends the launcher. */
        close(fd);
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        ck_assert_int_eq(rmdir(base), 0);
}
END_TEST

/* --- origins ------------------------------------------------------------------------------------------------- */

static bool matches(const char *pattern, const char *url) {
        OriginParts o;
        ck_assert_int_eq(origin_parse(url, &o), 0);
        return origin_pattern_matches(pattern, &o);
}

START_TEST(test_origin_parse) {
        OriginParts o;
        ck_assert_int_eq(origin_parse("HTTPS://User:pw@Example.COM.:8443/path?q#f", &o), 0);
        ck_assert_str_eq(o.scheme, "https");
        ck_assert_str_eq(o.host, "example.com");
        ck_assert_uint_eq(o.port, 8443);
        ck_assert_int_eq(origin_parse("http://[::1]/", &o), 0);
        ck_assert_str_eq(o.host, "[::1]");
        ck_assert_uint_eq(o.port, 80);
        ck_assert_int_eq(origin_parse("http://h:0/", &o), -EINVAL);
        ck_assert_int_eq(origin_parse("http://h:65536/", &o), -EINVAL);
        ck_assert_int_eq(origin_parse("http://h:8x/", &o), -EINVAL);
        ck_assert_int_eq(origin_parse("http:///path", &o), -EINVAL);
        ck_assert_int_eq(origin_parse("mailto:a@b", &o), -EINVAL);
}
END_TEST

START_TEST(test_origin_patterns) {
        ck_assert(matches("https://example.com", "https://example.com/x"));
        ck_assert(!matches("https://example.com", "http://example.com/"));
        ck_assert(!matches("https://example.com", "https://example.com:8443/"));
        ck_assert(matches("https://example.com:8443", "https://example.com:8443/"));
        ck_assert(matches("http://127.0.0.1:*", "http://127.0.0.1:41234/"));
        ck_assert(!matches("http://127.0.0.1:*", "http://127.0.0.2:41234/"));
        ck_assert(matches("example.com", "http://example.com:81/"));
        ck_assert(matches("example.com", "https://example.com/"));
        ck_assert(!matches("example.com", "https://www.example.com/"));
        ck_assert(matches("*.example.org", "https://a.b.example.org/"));
        ck_assert(!matches("*.example.org", "https://example.org/"));
        ck_assert(!matches("*.example.org", "https://badexample.org/"));
        ck_assert(matches("https://*.example.org", "https://a.example.org/"));
        ck_assert(!matches("https://*.example.org", "http://a.example.org/"));
        ck_assert(matches("*", "https://anything.test/"));
        ck_assert(origin_pattern_is_valid("http://127.0.0.1:*"));
        ck_assert(!origin_pattern_is_valid("http://exa*mple.com"));
        ck_assert(!origin_pattern_is_valid("https://example.com/path"));
        ck_assert(!origin_pattern_is_valid("https://example.com:99999"));
}
END_TEST

START_TEST(test_loopback_in_every_spelling) {
        char *own[] = { (char *) "192.0.2.7", (char *) "2001:db8::7", NULL };
        const char *const loopback[] = { "localhost", "LOCALHOST", "app.localhost", "127.0.0.1", "127.1", "127.255.0.3",
                "0x7f000001", "2130706433", "0177.0.0.1", "0.0.0.0", "0", "[::1]", "[0:0:0:0:0:0:0:1]", "[::]",
                "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "192.0.2.7", "[2001:db8:0::7]" };
        FOREACH_ELEMENT(h, loopback)
        ck_assert_msg(origin_host_is_loopback(*h, own), "%s should be this machine", *h);
        const char *const elsewhere[] = { "example.com", "localhost.example.com", "128.0.0.1", "10.0.0.1",
                "[2001:db8::8]", "192.0.2.8", "[::ffff:192.0.2.8]" };
        FOREACH_ELEMENT(h, elsewhere)
        ck_assert_msg(!origin_host_is_loopback(*h, own), "%s should not be this machine", *h);
}
END_TEST

START_TEST(test_origin_verdicts) {
        char *allow[] = { (char *) "https://example.com", (char *) "http://127.0.0.1:8080", NULL };
        char *block[] = { (char *) "https://example.com", NULL };
        OriginPolicy open = {};
        ck_assert_int_eq(origin_check(&open, "https://example.net/"), ORIGIN_ALLOWED);
        ck_assert_int_eq(origin_check(&open, "about:blank"), ORIGIN_ALLOWED);
        ck_assert_int_eq(origin_check(&open, "data:text/html,x"), ORIGIN_ALLOWED);
        ck_assert_int_eq(origin_check(&open, "file:///etc/passwd"), ORIGIN_SCHEME);
        ck_assert_int_eq(origin_check(&open, "chrome://settings"), ORIGIN_SCHEME);
        ck_assert_int_eq(origin_check(&open, "devtools://devtools/x"), ORIGIN_SCHEME);
        ck_assert_int_eq(origin_check(&open, "javascript:alert(1)"), ORIGIN_SCHEME);
        ck_assert_int_eq(origin_check(&open, "ftp://example.com/"), ORIGIN_SCHEME);
        ck_assert_int_eq(origin_check(&open, "http://127.0.0.1:8080/"), ORIGIN_LOOPBACK);
        ck_assert_int_eq(origin_check(&open, "http://localhost./"), ORIGIN_LOOPBACK);
        ck_assert_int_eq(origin_check(&open, "not a url"), ORIGIN_MALFORMED);

        OriginPolicy narrow = { .allow = allow, .allow_loopback = true };
        ck_assert_int_eq(origin_check(&narrow, "https://example.com/a"), ORIGIN_ALLOWED);
        ck_assert_int_eq(origin_check(&narrow, "http://127.0.0.1:8080/"), ORIGIN_ALLOWED);
        ck_assert_int_eq(origin_check(&narrow, "http://127.0.0.1:8081/"), ORIGIN_NOT_ALLOWED);
        ck_assert_int_eq(origin_check(&narrow, "https://example.net/"), ORIGIN_NOT_ALLOWED);

        /* Block wins over Allow. */
        OriginPolicy both = { .allow = allow, .block = block };
        ck_assert_int_eq(origin_check(&both, "https://example.com/"), ORIGIN_BLOCKED);
        ck_assert_ptr_nonnull(strstr(origin_verdict_to_string(ORIGIN_BLOCKED), "Block="));
}
END_TEST

/* --- snapshots ----------------------------------------------------------------------------------------------- */

static json_object *page_of(const char *json) {
        json_object *o = NULL;
        ck_assert_int_eq(json_parse_strict(json, strlen(json), &o, NULL), 0);
        return o;
}

START_TEST(test_snapshot_lines) {
        _cleanup_json_ json_object *page =
                page_of("{\"items\":["
                        "[0,\"heading\",\"Order form\",\"\",\"\",\"level=1\",0],"
                        "[0,\"form\",\"Order\",\"\",\"\",\"\",0],"
                        "[1,\"textbox\",\"Name\",\"e1\",\"Ada \\\"A\\\"\",\"\",0],"
                        "[1,\"checkbox\",\"Gift \\\"wrap\\\"\",\"e2\",\"\",\"checked disabled\",0],"
                        "[1,\"text\",\"line one\\nline \\\"two\\\"\",\"\",\"\",\"\",0],"
                        "[1,\"list\",\"\",\"e3\",\"\",\"\",42],"
                        "[1,\"button\",\"Send\",\"9x\",\"\",\"\",0],"
                        "[1,\"heading\",\"No level\",\"\",\"\",\"expanded\",0],"
                        "[1,\"heading\",\"Level 9\",\"\",\"\",\"level=9\",0],"
                        "\"not an item\"],"
                        "\"more\":0,\"moreRefs\":0}");
        SnapshotResult r;
        ck_assert_int_eq(snapshot_render(page, 0, &r), 0);
        ck_assert_str_eq(r.text,
                "- h1 \"Order form\"\n"
                "- form \"Order\":\n"
                "  - textbox \"Name\" [ref=e1]: Ada \"A\"\n"
                "  - checkbox \"Gift \\\"wrap\\\"\" [checked] [disabled] [ref=e2]\n"
                "  - \"line one line \\\"two\\\"\"\n"
                "  - list [ref=e3] [+42]\n"
                "  - button \"Send\"\n"
                "  - heading \"No level\" [expanded], \"Level 9\" [level=9]\n"
                "# [+N]: N elements below, left out at the depth limit; browser_snapshot ref=<its ref> shows them.\n");
        ck_assert_uint_eq(r.lines, 8);
        ck_assert_uint_eq(r.lines_shown, 8);
        ck_assert_uint_eq(r.refs, 3);
        ck_assert(r.truncated);
        snapshot_result_done(&r);
}
END_TEST

/* Siblings of one role, named, with nothing below them and no value, share a line; anything else ends it. */
START_TEST(test_snapshot_siblings_share_a_line) {
        _cleanup_json_ json_object *page = page_of("{\"items\":["
                                                   "[0,\"navigation\",\"Main\",\"\",\"\",\"\",0],"
                                                   "[1,\"link\",\"Home\",\"b1\",\"\",\"\",0],"
                                                   "[1,\"link\",\"Docs\",\"b2\",\"\",\"\",0],"
                                                   "[1,\"link\",\"Shop\",\"b3\",\"\",\"pressed\",0],"
                                                   "[1,\"button\",\"Search\",\"b4\",\"\",\"\",0],"
                                                   "[1,\"link\",\"Value\",\"b5\",\"has one\",\"\",0],"
                                                   "[1,\"link\",\"After\",\"b6\",\"\",\"\",0],"
                                                   "[1,\"link\",\"\",\"b7\",\"\",\"\",0],"
                                                   "[1,\"link\",\"Parent\",\"b8\",\"\",\"\",0],"
                                                   "[2,\"img\",\"Logo\",\"\",\"\",\"\",0],"
                                                   "[1,\"heading\",\"A\",\"\",\"\",\"level=2\",0],"
                                                   "[1,\"heading\",\"B\",\"\",\"\",\"level=2\",0],"
                                                   "[1,\"heading\",\"C\",\"\",\"\",\"level=3\",0],"
                                                   "[1,\"text\",\"one\",\"\",\"\",\"\",0],"
                                                   "[1,\"text\",\"two\",\"\",\"\",\"\",0],"
                                                   "[0,\"link\",\"Top\",\"b9\",\"\",\"\",0]],"
                                                   "\"more\":0,\"moreRefs\":0}");
        SnapshotResult r;
        ck_assert_int_eq(snapshot_render(page, 0, &r), 0);
        ck_assert_str_eq(r.text,
                "- navigation \"Main\":\n"
                "  - link \"Home\" [ref=b1], \"Docs\" [ref=b2], \"Shop\" [pressed] [ref=b3]\n"
                "  - button \"Search\" [ref=b4]\n"
                "  - link \"Value\" [ref=b5]: has one\n"
                "  - link \"After\" [ref=b6]\n"
                "  - link [ref=b7]\n"
                "  - link \"Parent\" [ref=b8]:\n"
                "    - img \"Logo\"\n"
                "  - h2 \"A\", \"B\"\n"
                "  - h3 \"C\"\n"
                "  - \"one\"\n"
                "  - \"two\"\n"
                "- link \"Top\" [ref=b9]\n");
        ck_assert_uint_eq(r.lines, 13);
        ck_assert_uint_eq(r.lines_shown, 13);
        ck_assert_uint_eq(r.refs, 9);
        ck_assert_uint_eq(r.refs_shown, 9);
        ck_assert(!r.truncated);
        snapshot_result_done(&r);

        /* A shared line ends before it grows past SNAPSHOT_LINE_CHARS. */
        _cleanup_json_ json_object *items = json_object_new_array();
        for (int i = 0; i < 40; i++) {
                char ref[16], name[32];
                snprintf(ref, sizeof(ref), "c%d", i + 1);
                snprintf(name, sizeof(name), "Section %d", i + 1);
                json_object *item = json_object_new_array();
                json_object_array_add(item, json_object_new_int(0));
                json_object_array_add(item, json_object_new_string("link"));
                json_object_array_add(item, json_object_new_string(name));
                json_object_array_add(item, json_object_new_string(ref));
                json_object_array_add(item, json_object_new_string(""));
                json_object_array_add(item, json_object_new_string(""));
                json_object_array_add(item, json_object_new_int(0));
                json_object_array_add(items, item);
        }
        _cleanup_json_ json_object *many = json_object_new_object();
        json_add(many, "items", json_object_get(items));
        ck_assert_int_eq(snapshot_render(many, 0, &r), 0);
        ck_assert_uint_gt(r.lines, 1);
        ck_assert_uint_lt(r.lines, 40);
        ck_assert_uint_eq(r.refs_shown, 40);
        size_t refs = 0;
        for (const char *p = r.text; *p;) {
                size_t n = strcspn(p, "\n");
                ck_assert_uint_le(n, SNAPSHOT_LINE_CHARS);
                ck_assert(strncmp(p, "- link \"Section ", 16) == 0);
                for (const char *q = p; (q = strstr(q, "[ref=c")) && q < p + n; q++)
                        refs++;
                p += n + (p[n] == '\n');
        }
        ck_assert_uint_eq(refs, 40);
        snapshot_result_done(&r);
}
END_TEST

START_TEST(test_snapshot_counts_the_text_it_cut) {
        _cleanup_json_ json_object *page = page_of("{\"items\":["
                                                   "[0,\"text\",\"A long paragraph\u2026\",\"\",\"\",\"cut\",0],"
                                                   "[0,\"text\",\"A short one\",\"\",\"\",\"\",0],"
                                                   "[0,\"button\",\"cut\",\"e1\",\"\",\"\",0]],"
                                                   "\"more\":0,\"moreRefs\":0,\"textMax\":200}");
        SnapshotResult r;
        ck_assert_int_eq(snapshot_render(page, 0, &r), 0);
        ck_assert_uint_eq(r.texts_cut, 1);
        ck_assert(r.truncated);
        ck_assert_ptr_nonnull(strstr(r.text, "- \"A long paragraph\u2026\"\n- \"A short one\"\n"));
        ck_assert_ptr_nonnull(strstr(r.text, "# Runs of text cut at 200 characters (\u2026): 1;"));
        ck_assert_ptr_nonnull(strstr(r.text, "text_chars=2000"));
        snapshot_result_done(&r);
}
END_TEST

START_TEST(test_snapshot_budget_says_what_it_left_out) {
        _cleanup_json_ json_object *items = json_object_new_array();
        for (int i = 0; i < 200; i++) {
                char ref[16];
                snprintf(ref, sizeof(ref), "e%d", i + 1);
                json_object *item = json_object_new_array();
                json_object_array_add(item, json_object_new_int(i == 0 ? 0 : 1));
                json_object_array_add(item, json_object_new_string(i == 0 ? "list" : "link"));
                json_object_array_add(item, json_object_new_string("A link with a name"));
                json_object_array_add(item, json_object_new_string(ref));
                json_object_array_add(item, json_object_new_string(""));
                json_object_array_add(item, json_object_new_string(""));
                json_object_array_add(item, json_object_new_int(0));
                json_object_array_add(items, item);
        }
        _cleanup_json_ json_object *page = json_object_new_object();
        json_add(page, "items", json_object_get(items));
        json_add(page, "more", json_object_new_int(5000));
        json_add(page, "moreRefs", json_object_new_int(300));
        json_add_string(page, "resume", "e1");
        json_object *tail = json_object_new_array(), *last = json_object_new_array();
        json_object_array_add(last, json_object_new_int(0));
        json_object_array_add(last, json_object_new_string("button"));
        json_object_array_add(last, json_object_new_string("Bottom button"));
        json_object_array_add(last, json_object_new_string("e9000"));
        json_object_array_add(last, json_object_new_string(""));
        json_object_array_add(last, json_object_new_string(""));
        json_object_array_add(last, json_object_new_int(0));
        json_object_array_add(tail, last);
        json_add(page, "tail", tail);
        SnapshotResult r;
        ck_assert_int_eq(snapshot_render(page, 1000, &r), 0);
        const char *footer = strstr(r.text, "# Left out");
        ck_assert_ptr_nonnull(footer);
        ck_assert_uint_le((size_t) (footer - r.text), 1000);
        ck_assert_uint_lt(r.lines_shown, r.lines);
        ck_assert_uint_eq(r.refs, 500);
        ck_assert_ptr_nonnull(strstr(footer, "5000 more elements"));
        ck_assert_ptr_nonnull(strstr(footer, "max_chars=4000"));
        ck_assert_ptr_nonnull(strstr(footer, "ref="));
        /* What one acts on further down keeps its ref. */
        ck_assert_ptr_nonnull(strstr(footer, "# Further down, to act on"));
        ck_assert_ptr_nonnull(strstr(footer, "- button \"Bottom button\" [ref=e9000]\n"));
        ck_assert(r.truncated);
        /* Whole lines only. */
        ck_assert_int_eq(footer[-1], '\n');
        snapshot_result_done(&r);

        ck_assert_int_eq(snapshot_render(page, SNAPSHOT_MAX_MAX_CHARS, &r), 0);
        ck_assert_uint_eq(r.lines_shown, r.lines);
        snapshot_result_done(&r);
}
END_TEST

START_TEST(test_snapshot_refuses_what_is_not_the_reader_answer) {
        _cleanup_json_ json_object *page = page_of("{\"missing\":true}");
        SnapshotResult r;
        ck_assert_int_eq(snapshot_render(page, 0, &r), -EINVAL);
        ck_assert(snapshot_ref_is_valid("e1"));
        ck_assert(snapshot_ref_is_valid("e2001"));
        ck_assert(snapshot_ref_is_valid("f1"));
        ck_assert(snapshot_ref_is_valid("zz1234567890"));
        ck_assert(!snapshot_ref_is_valid("e0"));
        ck_assert(!snapshot_ref_is_valid("e01"));
        ck_assert(!snapshot_ref_is_valid("e12x"));
        ck_assert(!snapshot_ref_is_valid("abc1"));
        ck_assert(!snapshot_ref_is_valid("E1"));
        ck_assert(!snapshot_ref_is_valid("12"));
        ck_assert(!snapshot_ref_is_valid("e"));
        ck_assert(!snapshot_ref_is_valid(""));
        ck_assert(!snapshot_ref_is_valid("e12345678901"));
        ck_assert(!snapshot_ref_is_valid(NULL));
}
END_TEST

/* A ref's letters name its document: one letter for the first 26, then two, round again after zz. */
START_TEST(test_snapshot_ref_letters) {
        static const struct {
                unsigned block;
                const char *prefix;
        } cases[] = { { 0, "a" }, { 4, "e" }, { 25, "z" }, { 26, "aa" }, { 27, "ab" }, { 52, "ba" }, { 701, "zz" } };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char prefix[SNAPSHOT_REF_PREFIX_MAX + 1], ref[16];
                snapshot_ref_prefix(cases[i].block, prefix);
                ck_assert_str_eq(prefix, cases[i].prefix);
                snprintf(ref, sizeof(ref), "%s17", prefix);
                ck_assert_int_eq(snapshot_ref_block(ref), (int) cases[i].block);
        }
        char prefix[SNAPSHOT_REF_PREFIX_MAX + 1];
        snapshot_ref_prefix(SNAPSHOT_REF_BLOCKS, prefix);
        ck_assert_str_eq(prefix, "a");
        ck_assert_int_eq(snapshot_ref_block("a0"), -EINVAL);
        ck_assert_int_eq(snapshot_ref_block("abc1"), -EINVAL);
}
END_TEST

START_TEST(test_snapshot_script_is_a_function) {
        ck_assert_ptr_nonnull(strstr(snapshot_script, "(function (options)"));
        ck_assert_ptr_nonnull(strstr(snapshot_script, "__aios"));
}
END_TEST

/* --- the SOCKS5 proxy ---------------------------------------------------------------------------------------- */

START_TEST(test_socks_greeting) {
        ck_assert_int_eq(socks_parse_greeting((const uint8_t[]){ 5, 1, 0 }, 3), 3);
        ck_assert_int_eq(socks_parse_greeting((const uint8_t[]){ 5, 2, 2, 0 }, 4), 4);
        ck_assert_int_eq(socks_parse_greeting((const uint8_t[]){ 5, 2, 0 }, 3), 0); /* one method still to come */
        ck_assert_int_eq(socks_parse_greeting((const uint8_t[]){ 5 }, 1), 0);
        ck_assert_int_eq(socks_parse_greeting((const uint8_t[]){ 4, 1, 0 }, 3), -EPROTO); /* SOCKS4 */
        ck_assert_int_eq(socks_parse_greeting((const uint8_t[]){ 'G', 'E', 'T' }, 3), -EPROTO);
        ck_assert_int_eq(socks_parse_greeting((const uint8_t[]){ 5, 0 }, 2), -EPROTO);   /* no method */
        ck_assert_int_eq(socks_parse_greeting((const uint8_t[]){ 5, 1, 2 }, 3), -EPERM); /* password only */
}
END_TEST

START_TEST(test_socks_request) {
        SocksRequest r;
        uint8_t code;
        const uint8_t v4[] = { 5, 1, 0, 1, 192, 0, 2, 8, 0x01, 0xbb };
        ck_assert_int_eq(socks_parse_request(v4, sizeof(v4), &r, &code), (int) sizeof(v4));
        ck_assert_str_eq(r.host, "192.0.2.8");
        ck_assert_int_eq(r.port, 443);
        ck_assert(!r.is_name);
        ck_assert_int_eq(socks_parse_request(v4, sizeof(v4) - 1, &r, &code), 0);

        const uint8_t name[] = { 5, 1, 0, 3, 11, 'E', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm', 0, 80 };
        ck_assert_int_eq(socks_parse_request(name, sizeof(name), &r, &code), (int) sizeof(name));
        ck_assert_str_eq(r.host, "example.com");
        ck_assert(r.is_name);
        ck_assert_int_eq(r.port, 80);

        const uint8_t v6[] = { 5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x1f, 0x90 };
        ck_assert_int_eq(socks_parse_request(v6, sizeof(v6), &r, &code), (int) sizeof(v6));
        ck_assert_str_eq(r.host, "::1");
        ck_assert_int_eq(r.port, 8080);

        /* BIND and UDP ASSOCIATE are refused with "command not supported", an unknown address type likewise. */
        const uint8_t bind[] = { 5, 2, 0, 1, 127, 0, 0, 1, 0, 80 }, udp[] = { 5, 3, 0, 1, 127, 0, 0, 1, 0, 80 };
        ck_assert_int_eq(socks_parse_request(bind, sizeof(bind), &r, &code), -EOPNOTSUPP);
        ck_assert_int_eq(code, SOCKS_REPLY_COMMAND_NOT_SUPPORTED);
        ck_assert_int_eq(socks_parse_request(udp, sizeof(udp), &r, &code), -EOPNOTSUPP);
        ck_assert_int_eq(code, SOCKS_REPLY_COMMAND_NOT_SUPPORTED);
        const uint8_t atyp[] = { 5, 1, 0, 9, 1, 2, 3, 4, 0, 80 };
        ck_assert_int_eq(socks_parse_request(atyp, sizeof(atyp), &r, &code), -EOPNOTSUPP);
        ck_assert_int_eq(code, SOCKS_REPLY_ADDRESS_NOT_SUPPORTED);

        /* Malformed: another version, a reserved byte set, an empty name, a name with a NUL or a slash, port 0. */
        const uint8_t *bad[] = {
                (const uint8_t[]){ 4, 1, 0, 1, 1, 2, 3, 4, 0, 80 },
                (const uint8_t[]){ 5, 1, 1, 1, 1, 2, 3, 4, 0, 80 },
                (const uint8_t[]){ 5, 1, 0, 3, 0, 0, 80, 0, 0, 0 },
                (const uint8_t[]){ 5, 1, 0, 3, 3, 'a', 0, 'b', 0, 80 },
                (const uint8_t[]){ 5, 1, 0, 3, 3, 'a', '/', 'b', 0, 80 },
                (const uint8_t[]){ 5, 1, 0, 1, 1, 2, 3, 4, 0, 0 },
        };
        FOREACH_ELEMENT(b, bad)
        ck_assert_int_eq(socks_parse_request(*b, 10, &r, &code), -EPROTO);
}
END_TEST

START_TEST(test_socks_destinations) {
        char *allow[] = { (char *) "https://example.com", (char *) "ws://chat.example.org:9000", NULL };
        char *block[] = { (char *) "*.evil.example", (char *) "http://127.0.0.3:*", NULL };
        char *own[] = { (char *) "192.0.2.7", NULL };
        OriginPolicy open = { .block = block, .host_addresses = own };
        ck_assert_int_eq(socks_check_destination(&open, "example.net", 443), ORIGIN_ALLOWED);
        ck_assert_int_eq(socks_check_destination(&open, "a.evil.example", 443), ORIGIN_BLOCKED);
        ck_assert_int_eq(socks_check_destination(&open, "127.0.0.1", 8080), ORIGIN_LOOPBACK);
        ck_assert_int_eq(socks_check_destination(&open, "::1", 8080), ORIGIN_LOOPBACK);
        ck_assert_int_eq(socks_check_destination(&open, "localhost", 80), ORIGIN_LOOPBACK);
        ck_assert_int_eq(socks_check_destination(&open, "0.0.0.0", 80), ORIGIN_LOOPBACK);
        ck_assert_int_eq(socks_check_destination(&open, "192.0.2.7", 80), ORIGIN_LOOPBACK);
        ck_assert_int_eq(socks_check_destination(&open, "169.254.169.254", 80), ORIGIN_LOOPBACK);
        ck_assert_int_eq(socks_check_destination(&open, "fe80::1", 80), ORIGIN_LOOPBACK);

        /* Block applies whatever the scheme; loopback allowed does not lift it. */
        OriginPolicy loopback = { .block = block, .allow_loopback = true };
        ck_assert_int_eq(socks_check_destination(&loopback, "127.0.0.1", 8080), ORIGIN_ALLOWED);
        ck_assert_int_eq(socks_check_destination(&loopback, "127.0.0.3", 8080), ORIGIN_BLOCKED);

        /* Allowed when some allowed origin could be on host:port. */
        OriginPolicy narrow = { .allow = allow };
        ck_assert_int_eq(socks_check_destination(&narrow, "example.com", 443), ORIGIN_ALLOWED);
        ck_assert_int_eq(socks_check_destination(&narrow, "Example.COM", 443), ORIGIN_ALLOWED);
        ck_assert_int_eq(socks_check_destination(&narrow, "example.com", 80), ORIGIN_NOT_ALLOWED);
        ck_assert_int_eq(socks_check_destination(&narrow, "chat.example.org", 9000), ORIGIN_ALLOWED);
        ck_assert_int_eq(socks_check_destination(&narrow, "chat.example.org", 9001), ORIGIN_NOT_ALLOWED);

        struct sockaddr_in a4 = { .sin_family = AF_INET };
        struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
        inet_pton(AF_INET, "127.0.1.1", &a4.sin_addr);
        ck_assert_int_eq(socks_check_address(&open, (struct sockaddr *) &a4), ORIGIN_LOOPBACK);
        ck_assert_int_eq(socks_check_address(&loopback, (struct sockaddr *) &a4), ORIGIN_ALLOWED);
        inet_pton(AF_INET, "192.0.2.7", &a4.sin_addr);
        ck_assert_int_eq(socks_check_address(&open, (struct sockaddr *) &a4), ORIGIN_LOOPBACK);
        inet_pton(AF_INET, "192.0.2.8", &a4.sin_addr);
        ck_assert_int_eq(socks_check_address(&open, (struct sockaddr *) &a4), ORIGIN_ALLOWED);
        inet_pton(AF_INET6, "::ffff:127.0.0.1", &a6.sin6_addr);
        ck_assert_int_eq(socks_check_address(&open, (struct sockaddr *) &a6), ORIGIN_LOOPBACK);
        inet_pton(AF_INET6, "fe80::2", &a6.sin6_addr);
        ck_assert_int_eq(socks_check_address(&open, (struct sockaddr *) &a6), ORIGIN_LOOPBACK);
        inet_pton(AF_INET6, "2001:db8::1", &a6.sin6_addr);
        ck_assert_int_eq(socks_check_address(&open, (struct sockaddr *) &a6), ORIGIN_ALLOWED);
}
END_TEST

static int socks_client(unsigned port) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(connect(fd, (struct sockaddr *) &a, sizeof(a)), 0);
        return fd;
}

/* Runs the loop until fd has n bytes to read (or ended), then reads them. */
static ssize_t socks_read(sd_event *e, int fd, uint8_t *buf, size_t n) {
        size_t got = 0;
        for (int i = 0; i < 500 && got < n; i++) {
                ck_assert_int_ge(sd_event_run(e, 10 * 1000), 0);
                ssize_t k = recv(fd, buf + got, n - got, MSG_DONTWAIT);
                if (k == 0)
                        break;
                if (k > 0)
                        got += k;
        }
        return (ssize_t) got;
}

/* A CONNECT for name (a name, at port) through the proxy: the reply's code. */
static int socks_connect_name(sd_event *e, unsigned proxy, const char *name, unsigned port) {
        uint8_t out[300] = { 5, 1, 0, 5, 1, 0, 3, (uint8_t) strlen(name) };
        memcpy(out + 8, name, strlen(name));
        out[8 + strlen(name)] = port >> 8;
        out[9 + strlen(name)] = port & 0xff;
        _cleanup_close_ int fd = socks_client(proxy);
        ck_assert_int_eq(send(fd, out, 10 + strlen(name), 0), (ssize_t) (10 + strlen(name)));
        uint8_t in[12];
        ck_assert_int_eq(socks_read(e, fd, in, 12), 12);
        ck_assert_int_eq(in[0], 5);
        ck_assert_int_eq(in[1], 0); /* no authentication */
        return in[3];
}

START_TEST(test_socks_proxy_relays_and_refuses) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        ck_assert_int_ge(sd_event_new(&e), 0);
        char *block[] = { (char *) "http://127.0.0.3:*", NULL };
        OriginPolicy policy = { .block = block };
        SocksProxy *p = NULL;
        ck_assert_int_eq(socks_proxy_new(e, &policy, &p), 0);
        unsigned port = socks_proxy_port(p);
        ck_assert_uint_gt(port, 0);

        /* A listener on loopback to aim at. */
        _cleanup_close_ int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        struct sockaddr_in a = { .sin_family = AF_INET };
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof(a);
        ck_assert_int_eq(bind(listener, (struct sockaddr *) &a, sizeof(a)), 0);
        ck_assert_int_eq(listen(listener, 8), 0);
        ck_assert_int_eq(getsockname(listener, (struct sockaddr *) &a, &len), 0);
        unsigned target = ntohs(a.sin_port);

        /* Not SOCKS5: 0xff, closed. A BIND: "command not supported". */
        uint8_t in[64];
        {
                _cleanup_close_ int fd = socks_client(port);
                ck_assert_int_eq(send(fd, "GET / HTTP/1.1\r\n\r\n", 18, 0), 18);
                ck_assert_int_eq(socks_read(e, fd, in, 2), 2);
                ck_assert_int_eq(in[1], 0xff);
                ck_assert_int_eq(socks_read(e, fd, in, 1), 0);
        }
        {
                _cleanup_close_ int fd = socks_client(port);
                const uint8_t bind_request[] = { 5, 1, 0, 5, 2, 0, 1, 127, 0, 0, 1, 0, 80 };
                ck_assert_int_eq(send(fd, bind_request, sizeof(bind_request), 0), (ssize_t) sizeof(bind_request));
                ck_assert_int_eq(socks_read(e, fd, in, 12), 12);
                ck_assert_int_eq(in[3], SOCKS_REPLY_COMMAND_NOT_SUPPORTED);
        }

        /* Another user's connection is closed unanswered. */
        pid_t child = fork();
        ck_assert_int_ge(child, 0);
        if (child == 0) {
                if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
                        _exit(77);
                int fd = socks_client(port);
                (void) send(fd, "\x05\x01\x00", 3, MSG_NOSIGNAL);
                uint8_t reply[2];
                _exit(recv(fd, reply, sizeof(reply), 0) <= 0 ? 0 : 1);
        }
        int status = -1;
        for (int i = 0; i < 500 && waitpid(child, &status, WNOHANG) == 0; i++)
                ck_assert_int_ge(sd_event_run(e, 10 * 1000), 0);
        ck_assert(WIFEXITED(status));
        if (geteuid() == 0)
                ck_assert_int_eq(WEXITSTATUS(status), 0);
        else /* not root: the child could not become another user */
                ck_assert_int_eq(WEXITSTATUS(status), 77);

        /* AllowLoopback=no: the loopback address, "localhost", and this machine's name (which resolves to a loopback
         * or own address, found only once resolved) are refused; nothing reaches the listener. */
        {
                _cleanup_close_ int fd = socks_client(port);
                uint8_t literal[] = { 5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, target >> 8, target & 0xff };
                ck_assert_int_eq(send(fd, literal, sizeof(literal), 0), (ssize_t) sizeof(literal));
                ck_assert_int_eq(socks_read(e, fd, in, 12), 12);
                ck_assert_int_eq(in[3], SOCKS_REPLY_NOT_ALLOWED);
        }
        ck_assert_int_eq(socks_connect_name(e, port, "localhost", target), SOCKS_REPLY_NOT_ALLOWED);
        char host[256] = "";
        ck_assert_int_eq(gethostname(host, sizeof(host) - 1), 0);
        if (!strchr(host, '.')) /* a plain name: make it look like any other, not "localhost" by name */
                ck_assert_int_eq(socks_connect_name(e, port, host, target), SOCKS_REPLY_NOT_ALLOWED);
        ck_assert_int_lt(accept4(listener, NULL, NULL, SOCK_CLOEXEC), 0);
        ck_assert_uint_ge(socks_proxy_refused(p), geteuid() == 0 ? 6 : 5);

        /* AllowLoopback=yes: the name resolves, the connection is made and relayed both ways; a blocked address is
         * still refused. */
        policy.allow_loopback = true;
        ck_assert_int_eq(socks_connect_name(e, port, "127.0.0.3", target), SOCKS_REPLY_NOT_ALLOWED);
        {
                /* A port nothing listens on: "connection refused". */
                _cleanup_close_ int closed = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                struct sockaddr_in c = { .sin_family = AF_INET };
                c.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                socklen_t clen = sizeof(c);
                ck_assert_int_eq(bind(closed, (struct sockaddr *) &c, sizeof(c)), 0);
                ck_assert_int_eq(getsockname(closed, (struct sockaddr *) &c, &clen), 0);
                ck_assert_int_eq(socks_connect_name(e, port, "localhost", ntohs(c.sin_port)),
                        SOCKS_REPLY_CONNECTION_REFUSED);
        }
        _cleanup_close_ int fd = socks_client(port);
        const uint8_t name[] = { 5, 1, 0, 5, 1, 0, 3, 9, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't', target >> 8,
                target & 0xff };
        ck_assert_int_eq(send(fd, name, sizeof(name), 0), (ssize_t) sizeof(name));
        ck_assert_int_eq(socks_read(e, fd, in, 12), 12);
        ck_assert_int_eq(in[3], SOCKS_REPLY_SUCCEEDED);
        ck_assert_int_eq(send(fd, "ping", 4, 0), 4);
        int server = -EBADF;
        for (int i = 0; i < 500 && server < 0; i++) {
                ck_assert_int_ge(sd_event_run(e, 10 * 1000), 0);
                server = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        }
        ck_assert_int_ge(server, 0);
        struct timeval tv = { .tv_sec = 5 };
        ck_assert_int_eq(setsockopt(server, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
        for (int i = 0; i < 500; i++) { /* the proxy copies when the loop runs */
                ck_assert_int_ge(sd_event_run(e, 10 * 1000), 0);
                if (recv(server, in, 4, MSG_PEEK | MSG_DONTWAIT) == 4)
                        break;
        }
        ck_assert_int_eq(recv(server, in, sizeof(in), 0), 4);
        ck_assert(memcmp(in, "ping", 4) == 0);
        ck_assert_int_eq(send(server, "pong", 4, 0), 4);
        close(server); /* the remote's end: the client reads it and then the end */
        ck_assert_int_eq(socks_read(e, fd, in, 4), 4);
        ck_assert(memcmp(in, "pong", 4) == 0);
        ck_assert_int_eq(socks_read(e, fd, in, 1), 0);
        socks_proxy_free(p);
}
END_TEST

static Suite *browser_suite(void) {
        Suite *s = suite_create("browser");
        TCase *tc = tcase_create("framing");
        tcase_add_test(tc, test_frame_finds_the_first_message);
        tcase_add_test(tc, test_frame_without_nul_past_the_limit_is_too_big);
        tcase_add_test(tc, test_frame_command_ends_with_nul);
        tcase_add_test(tc, test_connection_matches_replies_and_events);
        tcase_add_test(tc, test_launcher_starts_only_its_browser_and_cleans_up);
        suite_add_tcase(s, tc);
        tc = tcase_create("origins");
        tcase_add_test(tc, test_origin_parse);
        tcase_add_test(tc, test_origin_patterns);
        tcase_add_test(tc, test_loopback_in_every_spelling);
        tcase_add_test(tc, test_origin_verdicts);
        suite_add_tcase(s, tc);

        tc = tcase_create("socks");
        tcase_add_test(tc, test_socks_greeting);
        tcase_add_test(tc, test_socks_request);
        tcase_add_test(tc, test_socks_destinations);
        tcase_add_test(tc, test_socks_proxy_relays_and_refuses);
        suite_add_tcase(s, tc);
        tc = tcase_create("snapshot");
        tcase_add_test(tc, test_snapshot_lines);
        tcase_add_test(tc, test_snapshot_siblings_share_a_line);
        tcase_add_test(tc, test_snapshot_ref_letters);
        tcase_add_test(tc, test_snapshot_counts_the_text_it_cut);
        tcase_add_test(tc, test_snapshot_budget_says_what_it_left_out);
        tcase_add_test(tc, test_snapshot_refuses_what_is_not_the_reader_answer);
        tcase_add_test(tc, test_snapshot_script_is_a_function);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_run_suite(browser_suite());
}
