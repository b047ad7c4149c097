/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The seccomp filter of a sandbox's init and payload: a deny-list on top of the daemon's allow-list. */
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "log.h"
#include "sandbox-internal.h"
#include "seccomp-policy.h"

/* What reaches beyond the sandbox, or into the kernel's less trodden paths: EPERM, as if not permitted. */
static const char *const denied[] = {
        /* Other processes' memory. */
        "ptrace",
        "process_vm_readv",
        "process_vm_writev",
        /* Mounts, and namespaces, in which mounts would be allowed again. */
        "mount",
        "umount2",
        "umount",
        "pivot_root",
        "chroot",
        "move_mount",
        "open_tree",
        "fsopen",
        "fsmount",
        "fsconfig",
        "fspick",
        "mount_setattr",
        "unshare",
        "setns",
        /* The machine's state. */
        "swapon",
        "swapoff",
        "reboot",
        "kexec_load",
        "kexec_file_load",
        "init_module",
        "finit_module",
        "delete_module",
        "acct",
        "quotactl",
        "quotactl_fd",
        "syslog",
        "lookup_dcookie",
        "iopl",
        "ioperm",
        "settimeofday",
        "clock_settime",
        "clock_adjtime",
        "adjtimex",
        "sethostname",
        "setdomainname",
        /* Large attack surfaces no sandboxed program needs. */
        "bpf",
        "perf_event_open",
        "keyctl",
        "add_key",
        "request_key",
        "userfaultfd",
        "io_uring_setup",
        "io_uring_enter",
        "io_uring_register",
        /* Files by handle, past every path check. */
        "open_by_handle_at",
        "name_to_handle_at",
};

#define CLONE_NAMESPACE_FLAGS                                                                                          \
        (CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP |   \
                CLONE_NEWTIME)

#if defined(__s390__) || defined(__s390x__)
#define SCMP_CLONE_FLAGS SCMP_A1
#else
#define SCMP_CLONE_FLAGS SCMP_A0
#endif

static int add_denied(scmp_filter_ctx ctx) {
        FOREACH_ELEMENT(name, denied) {
                int nr = seccomp_syscall_resolve_name(*name);
                if (nr < 0)
                        continue; /* not on this architecture */
                int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
                if (r < 0)
                        return log_error_errno(r, "Failed to add a sandbox seccomp rule for %s: %m", *name);
        }
        return 0;
}

/* clone makes processes and threads, never namespaces; clone3 hides its flags from filters, so it answers
 * ENOSYS and glibc falls back to clone. */
static int add_clone_rules(scmp_filter_ctx ctx) {
        int r;
        for (unsigned bit = 0; bit < 32; bit++) {
                uint64_t flag = UINT64_C(1) << bit;
                if (!(CLONE_NAMESPACE_FLAGS & flag))
                        continue;
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                        SCMP_CLONE_FLAGS(SCMP_CMP_MASKED_EQ, flag, flag));
                if (r < 0)
                        return log_error_errno(r, "Failed to add the sandbox seccomp rule for clone: %m");
        }
        r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
        if (r < 0)
                return log_error_errno(r, "Failed to add the sandbox seccomp rule for clone3: %m");
        return 0;
}

/* personality() may set the persona the sandbox has, never another: some (READ_IMPLIES_EXEC,
 * ADDR_NO_RANDOMIZE) undo hardening. As under systemd's LockPersonality=, the query 0xffffffff is refused too
 * (a filter compares an argument once per rule, and a rule that allows cannot sit in a filter that allows). */
static int add_personality_rules(scmp_filter_ctx ctx) {
        unsigned long current = (unsigned long) personality(0xffffffff);
        int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(personality), 1, SCMP_A0(SCMP_CMP_NE, current));
        if (r < 0)
                return log_error_errno(r, "Failed to add the sandbox seccomp rule for personality: %m");
        return 0;
}

/* socket() and socketpair() for AF_UNIX, and with the host's network AF_INET and AF_INET6: any other family
 * (netlink, packet, ...) fails with EAFNOSUPPORT, as for a family the kernel lacks. */
static int add_socket_rules(scmp_filter_ctx ctx, bool network) {
        static const char *const calls[] = { "socket", "socketpair" };
        FOREACH_ELEMENT(call, calls) {
                int nr = seccomp_syscall_resolve_name(*call);
                if (nr < 0)
                        continue;
                for (int family = 0; family < AF_MAX; family++) {
                        if (family == AF_UNIX || (network && (family == AF_INET || family == AF_INET6)))
                                continue;
                        int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), nr, 1,
                                SCMP_A0(SCMP_CMP_EQ, family));
                        if (r < 0)
                                return log_error_errno(r, "Failed to add a sandbox seccomp rule for %s: %m", *call);
                }
                int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), nr, 1, SCMP_A0(SCMP_CMP_GE, AF_MAX));
                if (r < 0)
                        return log_error_errno(r, "Failed to add a sandbox seccomp rule for %s: %m", *call);
        }
        return 0;
}

/* Typing into a terminal's input (TIOCSTI) and the console's ioctls, should a terminal be passed in. */
static int add_ioctl_rules(scmp_filter_ctx ctx) {
        static const unsigned long requests[] = { TIOCSTI, TIOCLINUX };
        FOREACH_ELEMENT(request, requests) {
                int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                        SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, *request));
                if (r < 0)
                        return log_error_errno(r, "Failed to add a sandbox seccomp rule for ioctl: %m");
        }
        return 0;
}

/* The filter as the kernel takes it, for the init to load without libseccomp (which allocates). */
static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *ret) {
        _cleanup_close_ int fd = memfd_create("sandbox-seccomp", MFD_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "Failed to make a memfd for the sandbox's seccomp filter: %m");
        int r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return log_error_errno(r, "Failed to export the sandbox's seccomp filter: %m");

        struct stat st;
        if (fstat(fd, &st) < 0)
                return log_error_errno(errno, "Failed to stat the sandbox's seccomp filter: %m");
        if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) != 0 ||
                st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS)
                return log_error_errno(EBADMSG, "The sandbox's seccomp filter has a size of %lld bytes.",
                        (long long) st.st_size);

        _cleanup_free_ struct sock_filter *filter = malloc(st.st_size);
        if (!filter)
                return log_oom();
        if (pread(fd, filter, st.st_size, 0) != st.st_size)
                return log_error_errno(errno ?: EIO, "Failed to read the sandbox's seccomp filter: %m");

        *ret = (struct sock_fprog){ .len = st.st_size / sizeof(struct sock_filter), .filter = TAKE_PTR(filter) };
        return 0;
}

int sandbox_seccomp_build(bool network, struct sock_fprog *ret) {
        assert(ret);

        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx)
                return log_error_errno(ENOMEM, "Failed to allocate the sandbox's seccomp filter.");

        /* A system call of another ABI would get past every rule, which names the native ABI's numbers. */
        int r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
        if (r < 0)
                return log_error_errno(r,
                        "Failed to make the sandbox's seccomp filter kill on foreign system calls: %m");

        if ((r = add_denied(ctx)) < 0 || (r = add_clone_rules(ctx)) < 0 || (r = add_personality_rules(ctx)) < 0 ||
                (r = add_socket_rules(ctx, network)) < 0 || (r = add_ioctl_rules(ctx)) < 0)
                return r;

        return export_bpf(ctx, ret);
}
