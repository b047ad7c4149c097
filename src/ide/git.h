/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The workspace's git repository through libgit2: no git command line, so no argument can become an option,
 * no hook, alias or fsmonitor of the repository's configuration runs, and no other repository is reached. */
#pragma once

#include <git2.h>

#include "call.h"
#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(git_repository *, git_repository_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(git_object *, git_object_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(git_commit *, git_commit_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(git_tree *, git_tree_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(git_diff *, git_diff_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(git_index *, git_index_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(git_reference *, git_reference_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(git_revwalk *, git_revwalk_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(git_status_list *, git_status_list_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(git_signature *, git_signature_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(git_blame *, git_blame_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(git_branch_iterator *, git_branch_iterator_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(git_blob *, git_blob_free);

static inline void git_buf_disposep(git_buf *b) {
        git_buf_dispose(b);
}

/* Once per process, by the first ide_git_open() (from any thread): libgit2 initialised, and the
 * configuration only of the repository itself (no global, XDG or system files), the owner check off (the
 * administrator chose the workspace; the server's user is not its owner). Not at start: libgit2's start
 * (its TLS and SSH back ends, OpenSSL's providers, the CA certificates parsed) is 3 MiB of an idle server's
 * memory. ide_git_done() shuts libgit2 down if it was started. */
int ide_git_init(void);
void ide_git_done(void);

/* Opens the workspace's repository (the workspace is its work tree; no search upwards). On failure the job's
 * error is set and a negative errno returned. */
int ide_git_open(IdeTask *t, git_repository **ret);
/* Sets the job's error from libgit2's last error, as "what: reason." Returns -EIO. */
int ide_git_error(IdeTask *t, const char *what);
/* Pathspecs from the argument key (a string or an array of strings), each a normalized workspace path
 * without ".." (libgit2 matches them against the repository's paths). NULL-terminated in ret->strings. */
int ide_git_pathspec(IdeTask *t, const char *key, git_strarray *ret);
void ide_git_pathspec_done(git_strarray *a);
/* A commit's id in hex, its 10-character short form. */
void ide_git_oid_str(const git_oid *oid, char full[GIT_OID_HEXSZ + 1], char abbrev[11]);
/* An ISO 8601 time of a git_time. */
void ide_git_time_str(const git_time *t, char buf[64]);
