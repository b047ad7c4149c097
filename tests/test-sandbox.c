/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sandboxes hold what runs in them: real payloads in real namespaces, checked from inside and from outside.
 *
 * usage: test-sandbox [seccomp] [unprivileged] | cgroup
 *   seccomp       each test first confines itself as a daemon that runs sandboxes does: base.syscalls and
 *                 sandbox.syscalls (and @socket AF_INET AF_INET6, for the sandboxes with the host's network)
 *   unprivileged  each test first becomes nobody, when started as root (the daemon's own user under systemd)
 *   cgroup        the cgroup limits, in a delegated cgroup v2 (sandbox_cgroup_setup()); exits 77 without one
 * Exits 77 (skipped), with the reason, where the kernel gives no user namespaces. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "mcp-session.h" /* now_usec() */
#include "sandbox.h"
#include "seccomp-policy.h"
#include "test-util.h"

#define EXIT_TEST_SKIP 77
#define PYTHON "/usr/bin/python3" /* Debian's, in /usr, which every sandbox has */
#define MIB (UINT64_C(1) << 20)
#define RUN_TIMEOUT_USEC (30 * USEC_PER_SEC)

static struct {
        bool seccomp;
        bool unprivileged;
        char list_dir[64]; /* the daemon's list for seccomp mode, with the shipped lists it includes */
} mode;

static const char secret[] = "AIOS_TEST_SECRET=the-daemons-own-value";

/* What a test does first, after what it prepares as root: become the daemon it plays. */
static void become_daemon(void) {
        if (mode.unprivileged && geteuid() == 0) {
                ck_assert_int_eq(setgroups(0, NULL), 0);
                ck_assert_int_eq(setresgid(65534, 65534, 65534), 0);
                ck_assert_int_eq(setresuid(65534, 65534, 65534), 0);
                /* As a daemon started as this user is, not one that changed to it. */
                ck_assert_int_eq(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0);
        }
        if (mode.seccomp)
                ck_assert_int_eq(seccomp_policy_load("test-daemon", mode.list_dir), 0);
}

/* ---- running a payload ---- */

typedef struct Outcome {
        Sandbox *sandbox;
        sd_event *event;
        sd_event_source *out_source;
        int status; /* the payload's wait status */
        bool exited;
        char *output; /* stdout and stderr */
        size_t size;
        int out_fd;
        double spawn_msec;
} Outcome;

static char *const default_env[] = { "PATH=/usr/bin:/bin", "HOME=/work", "LANG=C.UTF-8", NULL };

static SandboxConfig config_new(char *const *argv) {
        return (SandboxConfig){
                .argv = argv,
                .envp = default_env,
                .workspace = "/work",
                .stdin_fd = -1,
                .stdout_fd = -1,
                .stderr_fd = -1,
                .control_fd = -1,
                .limits = {
                        .memory_bytes = 512 * MIB,
                        .tasks = 64,
                        .tmp_bytes = 4 * MIB,
                        .workspace_bytes = 4 * MIB,
                },
        };
}

static void outcome_done(Outcome *o) {
        sandbox_free(o->sandbox);
        sd_event_source_unref(o->out_source);
        sd_event_unref(o->event);
        safe_close(o->out_fd);
        free(o->output);
        *o = (Outcome){ .out_fd = -EBADF };
}

static int on_output(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        Outcome *o = userdata;
        char buf[4096];
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0) {
                (void) sd_event_source_set_enabled(source, SD_EVENT_OFF);
                o->out_fd = safe_close(o->out_fd);
                return 0;
        }
        o->output = realloc(o->output, o->size + n + 1);
        ck_assert_ptr_nonnull(o->output);
        memcpy(o->output + o->size, buf, n);
        o->size += n;
        o->output[o->size] = 0;
        return 0;
}

static void on_exited(Sandbox *s, int status, void *userdata) {
        Outcome *o = userdata;
        o->status = status;
        o->exited = true;
}

/* Starts the payload with its stdout and stderr into o->output, watched by o's own event loop. */
static void start(SandboxConfig *c, Outcome *o) {
        *o = (Outcome){ .out_fd = -EBADF };
        int out[2];
        ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
        c->stdout_fd = c->stderr_fd = out[1];

        uint64_t t = now_usec();
        int r = sandbox_spawn(c, &o->sandbox);
        o->spawn_msec = (now_usec() - t) / 1000.0;
        close(out[1]);
        o->out_fd = out[0];
        ck_assert_msg(r == 0, "sandbox_spawn: %s", strerror(-r));
        printf("%s: spawned %s in %.2f ms\n", tcase_name(), c->argv[0], o->spawn_msec);

        ck_assert_int_ge(sd_event_new(&o->event), 0);
        ck_assert_int_ge(sd_event_add_io(o->event, &o->out_source, o->out_fd, EPOLLIN, on_output, o), 0);
        ck_assert_int_ge(sandbox_watch(o->sandbox, o->event, on_exited, o), 0);
}

/* Runs o's loop until the payload exited and its output ended, or until marker appears in its output. */
static void wait_for(Outcome *o, const char *marker) {
        uint64_t deadline = now_usec() + RUN_TIMEOUT_USEC;
        while (!(o->exited && o->out_fd < 0) && !(marker && o->output && strstr(o->output, marker))) {
                ck_assert_msg(now_usec() < deadline, "The payload ran for more than 30 s; its output: %s",
                        strempty(o->output));
                ck_assert_int_ge(sd_event_run(o->event, 100 * USEC_PER_MSEC), 0);
        }
}

static void run(SandboxConfig *c, Outcome *o) {
        start(c, o);
        wait_for(o, NULL);
}

static void run_sh(const char *script, Outcome *o) {
        char *argv[] = { "/bin/sh", "-c", (char *) script, NULL };
        SandboxConfig c = config_new(argv);
        run(&c, o);
}

static void run_python(const char *code, Outcome *o) {
        char *argv[] = { PYTHON, "-c", (char *) code, NULL };
        SandboxConfig c = config_new(argv);
        run(&c, o);
}

static bool output_has(const Outcome *o, const char *s) {
        return o->output && strstr(o->output, s);
}

#define assert_output_has(o, s)                                                                                        \
        ck_assert_msg(output_has((o), (s)), "Expected \"%s\" in: %s", (s), strempty((o)->output))
#define assert_output_lacks(o, s)                                                                                      \
        ck_assert_msg(!output_has((o), (s)), "Did not expect \"%s\" in: %s", (s), strempty((o)->output))
#define assert_exit_code(o, code)                                                                                      \
        ck_assert_msg(WIFEXITED((o)->status) && WEXITSTATUS((o)->status) == (code),                                    \
                "Expected exit code %d, got wait status 0x%x; output: %s", (code), (o)->status, strempty((o)->output))

/* ---- looking from outside ---- */

static ino_t ns_inode(pid_t pid, const char *ns) {
        char path[64];
        struct stat st;
        (void) snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, ns);
        return stat(path, &st) == 0 ? st.st_ino : 0;
}

static char *proc_status_field(pid_t pid, const char *field) {
        char path[64], line[256];
        (void) snprintf(path, sizeof(path), "/proc/%d/status", pid);
        FILE *f = fopen(path, "re");
        if (!f)
                return NULL;
        char *value = NULL;
        while (!value && fgets(line, sizeof(line), f))
                if (startswith_ptr(line, field) && line[strlen(field)] == ':')
                        value = strdup(line + strlen(field) + 1 + strspn(line + strlen(field) + 1, " \t"));
        fclose(f);
        return value;
}

/* The init and every process below it, as pids of ours, from the PPid: of every process (orphans in the
 * sandbox are the init's). */
static size_t sandbox_processes(pid_t init, pid_t *pids, size_t max) {
        size_t n = 0;
        pids[n++] = init;
        for (bool more = true; more;) {
                more = false;
                DIR *d = opendir("/proc");
                ck_assert_ptr_nonnull(d);
                for (struct dirent *de; (de = readdir(d));) {
                        pid_t p = atoi(de->d_name);
                        if (p <= 0)
                                continue;
                        _cleanup_free_ char *ppid = proc_status_field(p, "PPid");
                        if (!ppid)
                                continue;
                        bool parent_known = false, known = false;
                        for (size_t i = 0; i < n; i++) {
                                parent_known |= pids[i] == atoi(ppid);
                                known |= pids[i] == p;
                        }
                        if (parent_known && !known && n < max) {
                                pids[n++] = p;
                                more = true;
                        }
                }
                closedir(d);
        }
        return n;
}

/* ---- the tests ---- */

START_TEST(test_payload_is_the_sandbox_user_under_its_own_init) {
        become_daemon();
        Outcome o;
        char *argv[] = { "/bin/sh", "-c",
                "echo uid=$(id -u) gid=$(id -g) user=$(id -un) pid=$$ init=$(cat /proc/1/comm) "
                "host=$(uname -n) cwd=$(pwd); echo ready; read x",
                NULL };
        SandboxConfig c = config_new(argv);
        int in[2];
        ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
        c.stdin_fd = in[0];
        start(&c, &o);
        close(in[0]);
        wait_for(&o, "ready");
        assert_output_has(&o, "uid=1000 gid=1000 user=sandbox pid=2 init=sandbox-init host=sandbox cwd=/work");

        /* Outside: the init is PID 1 of its namespace, and the sandbox user is nobody (or the daemon's own
         * user), never root. */
        pid_t init = sandbox_get_pid(o.sandbox);
        _cleanup_free_ char *nspid = proc_status_field(init, "NSpid");
        ck_assert_ptr_nonnull(nspid);
        char expected[64];
        (void) snprintf(expected, sizeof(expected), "%d\t1\n", init);
        ck_assert_str_eq(nspid, expected);
        pid_t pids[16];
        size_t n = sandbox_processes(init, pids, 16);
        ck_assert_uint_ge(n, 2);
        uid_t outer = geteuid() == 0 ? 65534 : geteuid();
        char want[64];
        (void) snprintf(want, sizeof(want), "%u\t%u\t%u\t%u\n", outer, outer, outer, outer);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *uid = proc_status_field(pids[i], "Uid");
                ck_assert_ptr_nonnull(uid);
                ck_assert_str_eq(uid, want);
        }
        ck_assert_uint_ne(ns_inode(sandbox_get_pid(o.sandbox), "user"), ns_inode(getpid(), "user"));
        ck_assert_uint_ne(ns_inode(sandbox_get_pid(o.sandbox), "mnt"), ns_inode(getpid(), "mnt"));
        ck_assert_uint_ne(ns_inode(sandbox_get_pid(o.sandbox), "net"), ns_inode(getpid(), "net"));
        ck_assert_uint_ne(ns_inode(sandbox_get_pid(o.sandbox), "ipc"), ns_inode(getpid(), "ipc"));
        ck_assert_uint_ne(ns_inode(sandbox_get_pid(o.sandbox), "uts"), ns_inode(getpid(), "uts"));
        outcome_done(&o);
        close(in[1]);
}
END_TEST

START_TEST(test_host_files_and_secrets_are_out_of_reach) {
        become_daemon();
        Outcome o;
        run_python("import os\n"
                   "for p in ['/etc/shadow', '/home', '/root', '/run/dbus/system_bus_socket', '/var', '/sys', '/run',\n"
                   "          '/proc/1/environ', '/proc/1/mem', '/proc/1/root/etc']:\n"
                   "    try:\n"
                   "        open(p, 'rb').read(1) if not os.path.isdir(p) else os.listdir(p)\n"
                   "        print('reached', p)\n"
                   "    except OSError as e:\n"
                   "        print('refused', p, e.errno)\n"
                   "print(open('/etc/passwd').read(), end='')\n"
                   "print(open('/etc/group').read(), end='')\n"
                   "print('etc:', sorted(os.listdir('/etc')))\n"
                   "print('dev:', sorted(os.listdir('/dev')))\n"
                   "for p in os.listdir('/proc'):\n"
                   "    if p.isdigit():\n"
                   "        try:\n"
                   "            print('environ', p, open('/proc/%s/environ' % p, 'rb').read())\n"
                   "        except OSError as e:\n"
                   "            print('environ', p, 'refused', e.errno)\n",
                &o);
        assert_exit_code(&o, 0);
        assert_output_lacks(&o, "reached");
        assert_output_has(&o, "refused /proc/1/environ 13");
        assert_output_has(&o, "refused /proc/1/mem 13");
        assert_output_has(&o, "refused /etc/shadow 2");
        /* The sandbox's own passwd and group know its user alone. */
        assert_output_has(&o, "sandbox:x:1000:1000:sandbox:/work:/bin/sh\nsandbox:x:1000:\n");
        assert_output_lacks(&o, "root:");
        assert_output_has(&o,
                "etc: ['alternatives', 'group', 'hosts', 'ld.so.cache', 'localtime', 'nsswitch.conf', "
                "'passwd']");
        assert_output_has(&o,
                "dev: ['fd', 'full', 'null', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'urandom', "
                "'zero']");
        /* Nothing of the daemon's environment, whose copy the init holds. */
        assert_output_lacks(&o, "AIOS_TEST_SECRET");
        outcome_done(&o);
}
END_TEST

START_TEST(test_proc_shows_the_sandbox_alone) {
        become_daemon();
        Outcome o;
        run_sh("sleep 1 & ls /proc | grep -E '^[0-9]+$' | sort -n | tr '\\n' ' '; echo; ls /proc/net/dev", &o);
        assert_exit_code(&o, 0);
        /* The init, sh, sleep, ls, grep and sort or tr: a few small pids, not the host's hundreds. */
        ck_assert_msg(startswith_ptr(o.output, "1 2 "), "Unexpected /proc: %s", o.output);
        int count = 0;
        for (char *p = o.output; *p && *p != '\n'; p++)
                count += *p == ' ';
        ck_assert_int_le(count, 8);
        outcome_done(&o);
}
END_TEST

START_TEST(test_only_tmp_and_the_workspace_are_writable) {
        become_daemon();
        Outcome o;
        run_python(
                "import os\n"
                "for p in ['/usr/x', '/x', '/etc/x', '/etc/passwd', '/dev/x', '/bin/x', '/lib/x', '/tmp/x', '/work/x',\n"
                "          '/dev/shm/x']:\n"
                "    try:\n"
                "        open(p, 'w').write('x')\n"
                "        print('wrote', p)\n"
                "    except OSError as e:\n"
                "        print('refused', p, e.errno)\n"
                "st = os.stat('/work'); print('work', oct(st.st_mode), st.st_uid)\n"
                "st = os.stat('/tmp'); print('tmp', oct(st.st_mode))\n",
                &o);
        assert_exit_code(&o, 0);
        assert_output_has(&o, "refused /usr/x 30\n"); /* EROFS */
        assert_output_has(&o, "refused /x 30\n");
        assert_output_has(&o, "refused /etc/x 30\n");
        assert_output_has(&o, "refused /etc/passwd 30\n");
        assert_output_has(&o, "refused /dev/x 30\n");
        assert_output_has(&o, "wrote /tmp/x\n");
        assert_output_has(&o, "wrote /work/x\n");
        assert_output_has(&o, "wrote /dev/shm/x\n");
        assert_output_has(&o, "work 0o40700 1000\n");
        assert_output_has(&o, "tmp 0o41777\n");
        outcome_done(&o);
}
END_TEST

/* SandboxConfig.workspace_bind: a host directory is the workspace, read-write or read-only, and nothing else of
 * the host comes with it. */
START_TEST(test_a_host_directory_bound_as_the_workspace) {
        char dir[] = "/tmp/test-sandbox-bind.XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(dir));
        ck_assert_int_eq(chmod(dir, 0777), 0); /* the sandbox user is the daemon's user, or nobody */
        if (mode.unprivileged)
                ck_assert_int_eq(chown(dir, 65534, 65534), 0); /* for the daemon it plays to remove it */
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/in.txt", dir);
        FILE *f = fopen(path, "we");
        fputs("from the host\n", f);
        fclose(f);
        become_daemon();

        char *argv[] = { "/bin/sh", "-c",
                "cat in.txt; pwd; echo from-the-sandbox > out.txt && echo wrote; ls /tmp | wc -l; "
                "mkdir -p sub/dir && echo deep > sub/dir/f && echo made",
                NULL };
        SandboxConfig c = config_new(argv);
        c.workspace_bind = dir;
        Outcome o;
        run(&c, &o);
        assert_exit_code(&o, 0);
        assert_output_has(&o, "from the host\n/work\nwrote\n0\nmade\n");
        outcome_done(&o);
        snprintf(path, sizeof(path), "%s/out.txt", dir);
        f = fopen(path, "re");
        ck_assert_ptr_nonnull(f);
        char line[64] = "";
        ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
        fclose(f);
        ck_assert_str_eq(line, "from-the-sandbox\n");

        char *argv_ro[] = { "/bin/sh", "-c", "cat in.txt; echo x > other.txt || echo refused", NULL };
        c = config_new(argv_ro);
        c.workspace_bind = dir;
        c.workspace_read_only = true;
        run(&c, &o);
        assert_output_has(&o, "from the host\n");
        assert_output_has(&o, "refused\n");
        outcome_done(&o);
        snprintf(path, sizeof(path), "%s/other.txt", dir);
        ck_assert_int_ne(access(path, F_OK), 0);

        /* A relative path or "/" is refused before anything starts. */
        c.workspace_bind = "relative/dir";
        Sandbox *s = NULL;
        ck_assert_int_eq(sandbox_spawn(&c, &s), -EINVAL);
        c.workspace_bind = "/";
        ck_assert_int_eq(sandbox_spawn(&c, &s), -EINVAL);

        char cmd[PATH_MAX + 32];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(test_tmp_and_the_workspace_fill_up) {
        become_daemon();
        Outcome o;
        run_python("import errno\n"
                   "for d in ['/tmp', '/work']:\n"
                   "    n = 0\n"
                   "    try:\n"
                   "        with open(d + '/fill', 'wb') as f:\n"
                   "            while n < 64 << 20:\n"
                   "                f.write(b'x' * 65536); f.flush(); n += 65536\n"
                   "    except OSError as e:\n"
                   "        print(d, errno.errorcode[e.errno], n >> 20)\n",
                &o);
        assert_exit_code(&o, 0);
        /* 4 MiB each (config_new()). */
        assert_output_has(&o, "/tmp ENOSPC ");
        assert_output_has(&o, "/work ENOSPC ");
        ck_assert_int_le(atoi(strstr(o.output, "/tmp ENOSPC ") + strlen("/tmp ENOSPC ")), 4);
        ck_assert_int_le(atoi(strstr(o.output, "/work ENOSPC ") + strlen("/work ENOSPC ")), 4);
        outcome_done(&o);
}
END_TEST

/* A TCP service on the host's loopback, for the sandbox to try. */
static int listen_on_loopback(uint16_t *ret_port) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(fd, 0);
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        ck_assert_int_eq(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        ck_assert_int_eq(listen(fd, 16), 0);
        socklen_t l = sizeof(sa);
        ck_assert_int_eq(getsockname(fd, (struct sockaddr *) &sa, &l), 0);
        *ret_port = ntohs(sa.sin_port);
        return fd;
}

static const char net_probe[] =
        "import socket, sys, fcntl, struct, errno\n"
        "def tcp():\n"
        "    try:\n"
        "        socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5).close(); return 'connected'\n"
        "    except OSError as e:\n"
        "        return errno.errorcode.get(e.errno, str(e))\n"
        "def family(f):\n"
        "    try:\n"
        "        socket.socket(f, socket.SOCK_DGRAM if f != socket.AF_PACKET else socket.SOCK_RAW).close(); return 'opened'\n"
        "    except OSError as e:\n"
        "        return errno.errorcode.get(e.errno, str(e))\n"
        "u = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
        "flags = struct.unpack('16sH', fcntl.ioctl(u, 0x8913, struct.pack('16sH22x', b'lo', 0))[:18])[1]\n"
        "print('tcp', tcp())\n"
        "print('inet', family(socket.AF_INET), 'inet6', family(socket.AF_INET6), 'netlink', family(socket.AF_NETLINK),\n"
        "      'packet', family(socket.AF_PACKET), 'unix', family(socket.AF_UNIX))\n"
        "print('lo', 'up' if flags & 1 else 'down')\n"
        "print('interfaces', sorted(l.split(':')[0].strip() for l in open('/proc/net/dev').readlines()[2:]))\n";

START_TEST(test_no_network_but_loopback) {
        uint16_t port;
        _cleanup_close_ int listener = listen_on_loopback(&port);
        become_daemon();

        char port_arg[16];
        (void) snprintf(port_arg, sizeof(port_arg), "%u", port);
        char *argv[] = { PYTHON, "-c", (char *) net_probe, port_arg, NULL };
        SandboxConfig c = config_new(argv);
        Outcome o;
        run(&c, &o);
        assert_exit_code(&o, 0);
        assert_output_has(&o, "tcp EAFNOSUPPORT\n");
        assert_output_has(&o,
                "inet EAFNOSUPPORT inet6 EAFNOSUPPORT netlink EAFNOSUPPORT packet EAFNOSUPPORT unix "
                "opened\n");
        assert_output_has(&o, "lo up\n");
        assert_output_has(&o, "interfaces ['lo']\n");
        outcome_done(&o);
}
END_TEST

START_TEST(test_network_sandbox_reaches_the_host) {
        uint16_t port;
        _cleanup_close_ int listener = listen_on_loopback(&port);
        become_daemon();

        char port_arg[16];
        (void) snprintf(port_arg, sizeof(port_arg), "%u", port);
        char *argv[] = { PYTHON, "-c", (char *) net_probe, port_arg, NULL };
        SandboxConfig c = config_new(argv);
        c.network = true;
        Outcome o;
        run(&c, &o);
        assert_exit_code(&o, 0);
        assert_output_has(&o, "tcp connected\n");
        assert_output_has(&o, "inet opened inet6 opened netlink EAFNOSUPPORT packet EAFNOSUPPORT unix opened\n");
        outcome_done(&o);
}
END_TEST

START_TEST(test_mounts_namespaces_and_tracing_are_refused) {
        become_daemon();
        Outcome o;
        run_python("import ctypes, errno, os\n"
                   "libc = ctypes.CDLL(None, use_errno=True)\n"
                   "def call(name, f, *args):\n"
                   "    r = f(*args)\n"
                   "    print(name, 'succeeded' if r >= 0 else errno.errorcode[ctypes.get_errno()])\n"
                   "call('mount', libc.mount, b'none', b'/tmp', b'tmpfs', 0, None)\n"
                   "call('umount', libc.umount2, b'/tmp', 2)\n"
                   "call('unshare', libc.unshare, 0x10000000)\n"                    /* CLONE_NEWUSER */
                   "call('clone', libc.syscall, 56, 0x20000000 | 17, 0, 0, 0, 0)\n" /* CLONE_NEWPID */
                   "call('chroot', libc.chroot, b'/tmp')\n"
                   "call('personality', libc.personality, 0x0400000)\n" /* READ_IMPLIES_EXEC */
                   "call('io_uring_setup', libc.syscall, 425, 8, ctypes.create_string_buffer(120))\n"
                   "call('sethostname', libc.sethostname, b'x', 1)\n"
                   "call('same personality', libc.personality, 0)\n",
                &o);
        assert_exit_code(&o, 0);
        assert_output_has(&o, "mount EPERM\n");
        assert_output_has(&o, "umount EPERM\n");
        assert_output_has(&o, "unshare EPERM\n");
        assert_output_has(&o, "clone EPERM\n");
        assert_output_has(&o, "chroot EPERM\n");
        assert_output_has(&o, "personality EPERM\n");
        assert_output_has(&o, "io_uring_setup EPERM\n");
        assert_output_has(&o, "sethostname EPERM\n");
        assert_output_has(&o, "same personality succeeded\n");
        outcome_done(&o);

        /* ptrace: EPERM from the sandbox's filter; where the daemon's own list kill-lists it (base.syscalls), that
         * list wins and the payload dies. */
        run_python("import ctypes, errno\n"
                   "libc = ctypes.CDLL(None, use_errno=True)\n"
                   "r = libc.ptrace(0, 0, 0, 0)\n" /* PTRACE_TRACEME */
                   "print('ptrace', 'succeeded' if r >= 0 else errno.errorcode[ctypes.get_errno()])\n",
                &o);
        if (mode.seccomp)
                ck_assert_msg(WIFSIGNALED(o.status) && WTERMSIG(o.status) == SIGSYS, "status 0x%x: %s", o.status,
                        strempty(o.output));
        else {
                assert_exit_code(&o, 0);
                assert_output_has(&o, "ptrace EPERM\n");
        }
        outcome_done(&o);
}
END_TEST

START_TEST(test_fork_bomb_is_stopped) {
        become_daemon();
        Outcome o;
        run_python("import os, time\n"
                   "n = 0\n"
                   "try:\n"
                   "    while n < 10000:\n"
                   "        if os.fork() == 0:\n"
                   "            time.sleep(60); os._exit(0)\n"
                   "        n += 1\n"
                   "except OSError as e:\n"
                   "    print('stopped after', n, e.strerror)\n",
                &o);
        assert_exit_code(&o, 0);
        assert_output_has(&o, "stopped after");
        int n = atoi(strstr(o.output, "after ") + strlen("after "));
        ck_assert_int_lt(n, 64); /* tasks in config_new() */
        printf("%s: %s", tcase_name(), o.output);
        outcome_done(&o);
}
END_TEST

START_TEST(test_memory_bomb_is_stopped) {
        become_daemon();
        Outcome o;
        run_python("a = []\n"
                   "try:\n"
                   "    while True:\n"
                   "        a.append(bytearray(16 << 20))\n"
                   "except MemoryError:\n"
                   "    print('stopped at', len(a) * 16, 'MiB')\n",
                &o);
        assert_exit_code(&o, 0);
        assert_output_has(&o, "stopped at");
        ck_assert_int_lt(atoi(strstr(o.output, "at ") + 3), 512);
        printf("%s: %s", tcase_name(), o.output);
        outcome_done(&o);
}
END_TEST

START_TEST(test_kill_minus_one_stays_in_the_sandbox) {
        become_daemon();
        Outcome other, o;
        char *argv[] = { "/bin/sh", "-c", "echo waiting; exec sleep 60", NULL };
        SandboxConfig c = config_new(argv);
        start(&c, &other);
        wait_for(&other, "waiting");

        run_python("import os, signal, time\n"
                   "child = os.fork()\n"
                   "if child == 0:\n"
                   "    time.sleep(60); os._exit(0)\n"
                   "os.kill(-1, signal.SIGKILL)\n"
                   "_, status = os.waitpid(child, 0)\n"
                   "print('child killed' if os.WIFSIGNALED(status) else 'child lived')\n",
                &o);
        assert_exit_code(&o, 0);
        assert_output_has(&o, "child killed");
        outcome_done(&o);

        /* The other sandbox is still there, and we are. */
        ck_assert(!other.exited);
        ck_assert_int_eq(pidfd_send_signal(sandbox_get_pidfd(other.sandbox), 0, NULL, 0), 0);
        ck_assert_int_eq(sandbox_signal_payload(other.sandbox, SIGTERM), 0);
        wait_for(&other, NULL);
        ck_assert_msg(WIFSIGNALED(other.status) && WTERMSIG(other.status) == SIGTERM, "status 0x%x", other.status);
        outcome_done(&other);
}
END_TEST

START_TEST(test_kill_ends_the_whole_tree) {
        become_daemon();
        Outcome o;
        char *argv[] = { "/bin/sh", "-c",
                "sleep 60 & sleep 60 & (sleep 60 & sleep 60 &) ; setsid sleep 60 & echo started; wait", NULL };
        SandboxConfig c = config_new(argv);
        start(&c, &o);
        wait_for(&o, "started");
        /* The orphans reach the init a moment after their parent's subshell exits. */
        pid_t pids[32];
        size_t n = 0;
        for (unsigned i = 0; i < 100 && (n = sandbox_processes(sandbox_get_pid(o.sandbox), pids, 32)) < 7; i++)
                usleep(10000);
        ck_assert_uint_eq(n, 7); /* init, sh, five sleeps */

        ck_assert_int_eq(sandbox_kill(o.sandbox), 0);
        wait_for(&o, NULL);
        ck_assert_msg(WIFSIGNALED(o.status) && WTERMSIG(o.status) == SIGKILL, "status 0x%x", o.status);
        /* The init is ours to reap (a zombie until then); the others are gone. */
        for (size_t i = 1; i < n; i++)
                ck_assert_msg(kill(pids[i], 0) < 0 && errno == ESRCH, "process %d is still there", pids[i]);
        outcome_done(&o);
        ck_assert(kill(pids[0], 0) < 0 && errno == ESRCH);
}
END_TEST

static char *read_all(int fd) {
        char *buf = calloc(1, 65536);
        ck_assert_ptr_nonnull(buf);
        ssize_t n = read(fd, buf, 65535);
        ck_assert_int_ge(n, 0);
        return buf;
}

START_TEST(test_daemon_reaches_the_workspace_and_stays_inside) {
        become_daemon();
        Outcome o;
        char *argv[] = { PYTHON, "-c",
                "import os\n"
                "open('/work/hello.txt', 'w').write('hello from inside')\n"
                "os.symlink('/etc/passwd', '/work/passwd')\n"
                "os.symlink('../../../../etc/shadow', '/work/shadow')\n"
                "os.symlink('/', '/work/root')\n"
                "os.mkdir('/work/sub'); os.symlink('../hello.txt', '/work/sub/inside')\n"
                "print('ready', flush=True)\n"
                "input()\n"
                "print('daemon wrote:', open('/work/from-daemon').read())\n"
                "print('daemon made:', os.stat('/work/made').st_uid, os.stat('/work/sub/made').st_gid)\n"
                "open('/work/made/by-payload', 'w').write('x')\n",
                NULL };
        SandboxConfig c = config_new(argv);
        int in[2];
        ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
        c.stdin_fd = in[0];
        start(&c, &o);
        close(in[0]);
        wait_for(&o, "ready");

        _cleanup_close_ int ws = sandbox_open_workspace(o.sandbox);
        ck_assert_int_ge(ws, 0);
        int fd = sandbox_openat(ws, "hello.txt", O_RDONLY, 0);
        ck_assert_int_ge(fd, 0);
        _cleanup_free_ char *hello = read_all(fd);
        close(fd);
        ck_assert_str_eq(hello, "hello from inside");

        /* A link that stays inside is followed. */
        fd = sandbox_openat(ws, "sub/inside", O_RDONLY, 0);
        ck_assert_int_ge(fd, 0);
        close(fd);

        /* Links and ".." that lead out resolve inside the workspace, where there is no etc/. */
        static const char *const out[] = { "passwd", "shadow", "root/etc/passwd", "../../etc/shadow",
                "../../../../../etc/passwd", "/etc/passwd", "sub/../../etc/passwd" };
        FOREACH_ELEMENT(path, out) {
                fd = sandbox_openat(ws, *path, O_RDONLY, 0);
                ck_assert_msg(fd == -ENOENT, "%s: %d", *path, fd);
        }
        ck_assert_int_eq(sandbox_openat(ws, "", O_RDONLY, 0), -EINVAL);

        fd = sandbox_openat(ws, "from-daemon", O_WRONLY | O_CREAT | O_EXCL, 0644);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, "hi", 2), 2);
        close(fd);

        /* Directories too, as the sandbox user; one component at a time, and a planted link is no directory. */
        ck_assert_int_eq(sandbox_mkdirat(ws, "made", 0755), 0);
        _cleanup_close_ int sub = sandbox_openat(ws, "sub", O_PATH | O_DIRECTORY, 0);
        ck_assert_int_ge(sub, 0);
        ck_assert_int_eq(sandbox_mkdirat(sub, "made", 0755), 0);
        ck_assert_int_eq(sandbox_mkdirat(ws, "made", 0755), -EEXIST);
        ck_assert_int_eq(sandbox_mkdirat(ws, "root", 0755), -EEXIST);
        ck_assert_int_eq(sandbox_mkdirat(ws, "..", 0755), -EEXIST);
        ck_assert_int_eq(sandbox_mkdirat(ws, "sub/deeper", 0755), -EINVAL);
        ck_assert_int_eq(sandbox_mkdirat(ws, "", 0755), -EINVAL);
        ck_assert_int_eq(write(in[1], "\n", 1), 1);
        wait_for(&o, NULL);
        assert_exit_code(&o, 0);
        assert_output_has(&o, "daemon wrote: hi");
        assert_output_has(&o, "daemon made: 1000 1000");
        close(in[1]);
        outcome_done(&o);
}
END_TEST

START_TEST(test_only_the_given_fds_reach_the_payload) {
        _cleanup_close_ int leak = open("/etc/hostname", O_RDONLY); /* no O_CLOEXEC: as a careless daemon's */
        ck_assert_int_ge(leak, 0);
        become_daemon();

        int control[2];
        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, control), 0);
        char *argv[] = { "/bin/sh", "-c", "ls /proc/self/fd | tr '\\n' ' '; echo; echo control >&3", NULL };
        SandboxConfig c = config_new(argv);
        c.control_fd = control[1];
        Outcome o;
        run(&c, &o);
        close(control[1]);
        assert_exit_code(&o, 0);
        /* 0, 1, 2, 3 and ls's own directory. */
        assert_output_has(&o, "0 1 2 3 4 \n");
        char buf[16] = {};
        ck_assert_int_eq(read(control[0], buf, sizeof(buf) - 1), 8);
        ck_assert_str_eq(buf, "control\n");
        close(control[0]);
        outcome_done(&o);
}
END_TEST

START_TEST(test_failures_say_what_failed) {
        become_daemon();
        Sandbox *s = NULL;
        char *missing[] = { "/usr/bin/no-such-program", NULL };
        SandboxConfig c = config_new(missing);
        ck_assert_int_eq(sandbox_spawn(&c, &s), -ENOENT);
        ck_assert_ptr_null(s);

        char *relative[] = { "sh", NULL };
        c = config_new(relative);
        ck_assert_int_eq(sandbox_spawn(&c, &s), -EINVAL);

        char *sh[] = { "/bin/sh", "-c", "true", NULL };
        c = config_new(sh);
        c.workspace = "work";
        ck_assert_int_eq(sandbox_spawn(&c, &s), -EINVAL);
        c.workspace = "/work/../etc";
        ck_assert_int_eq(sandbox_spawn(&c, &s), -EINVAL);

        /* A bind of something the host does not have is skipped. */
        const char *const binds[] = { "/no/such/path", "/etc/os-release", NULL };
        char *cat[] = { "/bin/cat", "/etc/os-release", NULL };
        c = config_new(cat);
        c.ro_binds = binds;
        Outcome o;
        run(&c, &o);
        assert_exit_code(&o, 0);
        outcome_done(&o);
}
END_TEST

START_TEST(test_spawn_takes_a_few_milliseconds) {
        become_daemon();
        double times[20];
        for (size_t i = 0; i < ELEMENTSOF(times); i++) {
                char *argv[] = { "/bin/true", NULL };
                SandboxConfig c = config_new(argv);
                Outcome o;
                run(&c, &o);
                assert_exit_code(&o, 0);
                times[i] = o.spawn_msec;
                outcome_done(&o);
        }
        double min = times[0], max = times[0], sum = 0;
        FOREACH_ELEMENT(t, times) {
                min = MIN(min, *t);
                max = MAX(max, *t);
                sum += *t;
        }
        printf("sandbox_spawn() of /bin/true, 20 times: min %.2f ms, mean %.2f ms, max %.2f ms\n", min,
                sum / ELEMENTSOF(times), max);
}
END_TEST

START_TEST(test_a_cgroup_parent_gets_a_cgroup_per_sandbox) {
        /* Without a delegated cgroup v2 here: a v2 hierarchy anywhere, without controllers, still shows the
         * sandbox's own cgroup and its removal. */
        const char *root = "/sys/fs/cgroup/unified";
        char parent[128];
        (void) snprintf(parent, sizeof(parent), "%s/aios-test-sandbox-%d", root, getpid());
        if (geteuid() != 0 || access(root, W_OK) < 0 || mkdir(parent, 0755) < 0) {
                printf("%s: skipped, no writable cgroup v2 hierarchy at %s\n", tcase_name(), root);
                return;
        }
        char *argv[] = { "/bin/sh", "-c", "cat /proc/self/cgroup; echo ready; exec sleep 60", NULL };
        SandboxConfig c = config_new(argv);
        c.cgroup_parent = parent;
        c.limits.memory_bytes = c.limits.tasks = 0; /* no controllers in this hierarchy */
        Outcome o;
        start(&c, &o);
        wait_for(&o, "ready");
        /* Inside, its cgroup namespace's root is its own cgroup. */
        assert_output_has(&o, "0::/\n");
        char procs[256];
        (void) snprintf(procs, sizeof(procs), "%s/sandbox-%d/cgroup.procs", parent, sandbox_get_pid(o.sandbox));
        FILE *f = fopen(procs, "re");
        ck_assert_ptr_nonnull(f);
        int first = 0;
        ck_assert_int_eq(fscanf(f, "%d", &first), 1);
        fclose(f);
        ck_assert_int_eq(first, sandbox_get_pid(o.sandbox));

        ck_assert_int_eq(sandbox_kill(o.sandbox), 0);
        wait_for(&o, NULL);
        outcome_done(&o);
        ck_assert_int_eq(access(procs, F_OK), -1);
        ck_assert_int_eq(rmdir(parent), 0);
}
END_TEST

/* ---- the cgroup limits, in a delegated cgroup v2 ---- */

static char *cgroup_parent;

START_TEST(test_cgroup_limits_hold) {
        char *argv[] = { PYTHON, "-c",
                "import os, time\n"
                "n = 0\n"
                "try:\n"
                "    while n < 10000:\n"
                "        if os.fork() == 0:\n"
                "            time.sleep(60); os._exit(0)\n"
                "        n += 1\n"
                "except OSError as e:\n"
                "    print('stopped after', n, e.strerror, flush=True)\n"
                "a = []\n"
                "while True:\n"
                "    a.append(b'x' * (16 << 20))\n",
                NULL };
        SandboxConfig c = config_new(argv);
        c.cgroup_parent = cgroup_parent;
        c.limits.memory_bytes = 0; /* no RLIMIT_AS: memory.max alone */
        c.limits.tasks = 0;        /* no RLIMIT_NPROC: pids.max alone */
        c.limits.cpu_quota_pct = 50;
        Outcome o;
        start(&c, &o);
        /* Set now that the sandbox runs: its cgroup limits. */
        char path[512];
        (void) snprintf(path, sizeof(path), "%s/sandbox-%d/pids.max", cgroup_parent, sandbox_get_pid(o.sandbox));
        FILE *f = fopen(path, "we");
        ck_assert_ptr_nonnull(f);
        fprintf(f, "32\n");
        fclose(f);
        (void) snprintf(path, sizeof(path), "%s/sandbox-%d/memory.max", cgroup_parent, sandbox_get_pid(o.sandbox));
        f = fopen(path, "we");
        ck_assert_ptr_nonnull(f);
        fprintf(f, "%llu\n", (unsigned long long) (128 * MIB));
        fclose(f);

        wait_for(&o, NULL);
        assert_output_has(&o, "stopped after");
        ck_assert_int_le(atoi(strstr(o.output, "after ") + 6), 32);
        /* The memory bomb: killed by the cgroup's OOM killer. */
        ck_assert_msg(WIFSIGNALED(o.status) && WTERMSIG(o.status) == SIGKILL, "status 0x%x: %s", o.status, o.output);
        outcome_done(&o);
}
END_TEST

/* ---- running the suites ---- */

static Suite *sandbox_suite(void) {
        Suite *s = suite_create("sandbox");
        TCase *tc = tcase_create("sandbox");
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_payload_is_the_sandbox_user_under_its_own_init);
        tcase_add_test(tc, test_host_files_and_secrets_are_out_of_reach);
        tcase_add_test(tc, test_proc_shows_the_sandbox_alone);
        tcase_add_test(tc, test_only_tmp_and_the_workspace_are_writable);
        tcase_add_test(tc, test_tmp_and_the_workspace_fill_up);
        tcase_add_test(tc, test_a_host_directory_bound_as_the_workspace);
        tcase_add_test(tc, test_no_network_but_loopback);
        tcase_add_test(tc, test_network_sandbox_reaches_the_host);
        tcase_add_test(tc, test_mounts_namespaces_and_tracing_are_refused);
        tcase_add_test(tc, test_fork_bomb_is_stopped);
        tcase_add_test(tc, test_memory_bomb_is_stopped);
        tcase_add_test(tc, test_kill_minus_one_stays_in_the_sandbox);
        tcase_add_test(tc, test_kill_ends_the_whole_tree);
        tcase_add_test(tc, test_daemon_reaches_the_workspace_and_stays_inside);
        tcase_add_test(tc, test_only_the_given_fds_reach_the_payload);
        tcase_add_test(tc, test_failures_say_what_failed);
        tcase_add_test(tc, test_spawn_takes_a_few_milliseconds);
        tcase_add_test(tc, test_a_cgroup_parent_gets_a_cgroup_per_sandbox);
        suite_add_tcase(s, tc);
        return s;
}

static Suite *cgroup_suite(void) {
        Suite *s = suite_create("sandbox-cgroup");
        TCase *tc = tcase_create("cgroup");
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_cgroup_limits_hold);
        suite_add_tcase(s, tc);
        return s;
}

/* Whether this kernel lets us (as the daemon we play) make the namespaces a sandbox has. */
static int probe_namespaces(void) {
        pid_t child = fork();
        if (child < 0)
                return -errno;
        if (child == 0) {
                if (mode.unprivileged && geteuid() == 0 &&
                        (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
                                setresuid(65534, 65534, 65534) < 0))
                        _exit(EXIT_FAILURE);
                pid_t p = (pid_t) syscall(SYS_clone,
                        CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | SIGCHLD, 0, NULL, NULL, 0);
                if (p == 0)
                        _exit(0);
                _exit(p < 0 ? errno : waitpid(p, NULL, 0) == p ? 0 : EXIT_FAILURE);
        }
        int status;
        if (waitpid(child, &status, 0) != child || !WIFEXITED(status))
                return -ECHILD;
        return -WEXITSTATUS(status);
}

/* The daemon's list for seccomp mode: base and sandbox, from the directory of the shipped lists. */
static void write_daemon_list(void) {
        snprintf(mode.list_dir, sizeof(mode.list_dir), "/tmp/test-sandbox-XXXXXX");
        if (!mkdtemp(mode.list_dir))
                abort();
        chmod(mode.list_dir, 0755);
        const char *shipped = seccomp_policy_default_dir();
        static const char *const lists[] = { "base", "sandbox", "sanitizers" };
        char from[PATH_MAX], to[PATH_MAX];
        FOREACH_ELEMENT(l, lists) {
                snprintf(from, sizeof(from), "%s/%s.syscalls", shipped, *l);
                snprintf(to, sizeof(to), "%s/%s.syscalls", mode.list_dir, *l);
                if (symlink(from, to) < 0)
                        abort();
        }
        snprintf(to, sizeof(to), "%s/test-daemon.syscalls", mode.list_dir);
        FILE *f = fopen(to, "we");
        if (!f)
                abort();
        fputs("@include base\n@include sandbox\n@socket AF_INET AF_INET6\n", f);
        fclose(f);
        chmod(to, 0644);
}

static void remove_daemon_list(void) {
        static const char *const files[] = { "base", "sandbox", "sanitizers", "test-daemon" };
        char path[PATH_MAX];
        FOREACH_ELEMENT(name, files) {
                snprintf(path, sizeof(path), "%s/%s.syscalls", mode.list_dir, *name);
                (void) unlink(path);
        }
        (void) rmdir(mode.list_dir);
}

int main(int argc, char *argv[]) {
        bool cgroup = false;
        for (int i = 1; i < argc; i++) {
                if (streq(argv[i], "seccomp"))
                        mode.seccomp = true;
                else if (streq(argv[i], "unprivileged"))
                        mode.unprivileged = true;
                else if (streq(argv[i], "cgroup"))
                        cgroup = true;
                else {
                        fprintf(stderr, "usage: %s [seccomp] [unprivileged] | cgroup\n", argv[0]);
                        return EXIT_FAILURE;
                }
        }
        if (access(PYTHON, X_OK) < 0) {
                printf("SKIP: the tests' payloads need %s.\n", PYTHON);
                return EXIT_TEST_SKIP;
        }
        int r = probe_namespaces();
        if (r < 0) {
                printf("SKIP: this kernel gives %s no user, PID, mount and network namespaces (%s); see "
                       "/proc/sys/user/max_user_namespaces and kernel.unprivileged_userns_clone.\n",
                        mode.unprivileged || geteuid() != 0 ? "an unprivileged user" : "root", strerror(-r));
                return EXIT_TEST_SKIP;
        }
        if (cgroup) {
                r = sandbox_cgroup_setup(&cgroup_parent);
                if (r < 0) {
                        printf("SKIP: no delegated cgroup v2 to make sandboxes' cgroups in (%s): /sys/fs/cgroup is "
                               "no cgroup2 hierarchy, or our cgroup there is not ours to write (Delegate=yes).\n",
                                strerror(-r));
                        return EXIT_TEST_SKIP;
                }
                r = test_run_suite(cgroup_suite());
                free(cgroup_parent);
                return r;
        }

        /* What the payloads must not see of the daemon's environment. */
        putenv((char *) secret);
        if (mode.seccomp)
                write_daemon_list();
        r = test_run_suite(sandbox_suite());
        if (mode.seccomp)
                remove_daemon_list();
        return r;
}
