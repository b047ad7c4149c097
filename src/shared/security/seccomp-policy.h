/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Seccomp allow-lists: the syscalls a daemon may make once it has initialised, read from a text file. */
#pragma once

#include <seccomp.h>

#include "macro.h"

/* The file format of <name>.syscalls, one entry a line:
 *
 *   read                      allowed
 *   !ptrace                   kill-listed: the call kills the whole process (SIGSYS)
 *   @socket AF_UNIX AF_INET   socket() may open these address families; any other family fails with
 *                             EAFNOSUPPORT. The families of every @socket line, in any included list, add
 *                             up; with no @socket line at all, socket() fails with EPERM.
 *   @include base             everything in base.syscalls, in the same directory
 *   @sandbox                  the process makes sandboxes (sandbox.h): clone may take namespace flags, and
 *                             unshare, mount, umount2 and pivot_root are allowed, whatever a list says of
 *                             them (sandbox.syscalls says it, and lists what sandboxes need besides)
 *   # comment                 also after an entry; blank lines are ignored
 *
 * Every syscall not listed fails with EPERM. Names this architecture does not have are skipped, so one
 * list serves all architectures. A syscall both allowed and kill-listed (in any included file) is an
 * error, so that a daemon's list cannot quietly undo what base.syscalls kill-lists.
 *
 * Every filter also has these rules, whatever its lists say (a list that contradicts them is an error):
 * a system call of another ABI (i386 or x32 on x86-64) kills the process; unshare and setns kill it, and
 * so does clone with a namespace flag (CLONE_NEWNS, NEWUSER, NEWPID, NEWNET, NEWIPC, NEWUTS, NEWCGROUP,
 * NEWTIME); a listed "clone" allows it without them; clone3, whose flags a filter cannot see, fails with
 * ENOSYS so that callers fall back to clone; "socket" is allowed only through @socket. @sandbox alone
 * lifts the rules on namespaces, but for setns. */

/* Loads the allow-list <dir>/<name>.syscalls and installs it in this process (all threads:
 * SCMP_FLTATR_CTL_TSYNC), with NO_NEW_PRIVS set. dir NULL means seccomp_policy_default_dir(). In a build
 * with AddressSanitizer, <dir>/sanitizers.syscalls is added first and its entries win over a kill-listing
 * (LeakSanitizer uses ptrace at exit). The environment variable AIOS_SECCOMP=off skips loading with a
 * warning, in a binary run from its build tree only: an installed one logs that it ignores it and loads
 * the list. Returns 0 or a negative errno, logged (a missing list with how to point to one). */
int seccomp_policy_load(const char *name, const char *dir);

/* Where the lists are read from: $AIOS_SECCOMP_DIR when set; else for a binary run from its build tree
 * the source tree's seccomp/, for an installed one SECCOMP_DIR (share/aios/seccomp). */
const char *seccomp_policy_default_dir(void);

/* Parses one allow-list file into a filter without loading it; exposed for tests. Returns 0, -ENOENT
 * when the file or an included one is missing, -EINVAL for a malformed line or a conflicting entry,
 * -ELOOP for an include loop; logged with the file and line. */
int seccomp_policy_parse(const char *path, scmp_filter_ctx *ret);

/* The same, after the list pinned (NULL for none), whose entries win over path's: sanitizers.syscalls. */
int seccomp_policy_parse_pinned(const char *pinned, const char *path, scmp_filter_ctx *ret);

/* Whether s names a list, as @include and seccomp_policy_load() take it: no path, no leading dot. */
bool seccomp_policy_name_is_valid(const char *s);

DEFINE_TRIVIAL_CLEANUP_FUNC(scmp_filter_ctx, seccomp_release);
