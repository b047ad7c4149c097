/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Seccomp allow-lists: the syscalls a daemon may make once it has initialised, read from a text file. */
#pragma once

#include <seccomp.h>

#include "macro.h"

/* The file format of <name>.syscalls, one entry a line:
 *
 *   read              allowed
 *   !ptrace           kill-listed: the call kills the whole process (SIGSYS)
 *   @include base     everything in base.syscalls, in the same directory
 *   # comment         also after an entry; blank lines are ignored
 *
 * Every syscall not listed fails with EPERM. Names this architecture does not have are skipped, so one
 * list serves all architectures. A syscall both allowed and kill-listed (in any included file) is an
 * error, so that a daemon's list cannot quietly undo what base.syscalls kill-lists. */

/* Loads the allow-list <dir>/<name>.syscalls and installs it in this process (all threads:
 * SCMP_FLTATR_CTL_TSYNC), with NO_NEW_PRIVS set. dir NULL means $AIOS_SECCOMP_DIR, else the compiled-in
 * SECCOMP_DIR. In a build with AddressSanitizer, <dir>/sanitizers.syscalls is added first and its
 * entries win over a kill-listing (LeakSanitizer uses ptrace at exit). Setting the environment variable
 * AIOS_SECCOMP=off skips loading with a warning in the log (for debugging only). Returns 0 or a negative
 * errno, logged. */
int seccomp_policy_load(const char *name, const char *dir);

/* Parses one allow-list file into a filter without loading it; exposed for tests. Returns 0, -ENOENT
 * when the file or an included one is missing, -EINVAL for a malformed line or a conflicting entry,
 * -ELOOP for an include loop; logged with the file and line. */
int seccomp_policy_parse(const char *path, scmp_filter_ctx *ret);

DEFINE_TRIVIAL_CLEANUP_FUNC(scmp_filter_ctx, seccomp_release);
