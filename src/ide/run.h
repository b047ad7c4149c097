/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A command in a workspace, in the shared sandbox (src/shared/security/sandbox.h): the workspace's directory bound
 * as /work (read-only for a ReadOnly= workspace), no network unless RunNetwork=, time, memory and task
 * limits, its output read from pipes on the loop, capped, and streamed to the client as it comes. */
#pragma once

#include "ide.h"
#include "json-util.h"
#include "mcp-request.h"

#define IDE_RUN_WORKSPACE "/work"

typedef struct IdeRun IdeRun;

typedef struct IdeRunResult {
        int exit_code; /* -1 when killed by a signal */
        int signal;    /* 0 when it exited */
        bool timed_out;
        uint64_t duration_usec;
        const char *stdout_data, *stderr_data; /* what was kept: the last bytes when cut */
        size_t stdout_size, stderr_size;
        uint64_t stdout_total, stderr_total; /* what the command wrote */
} IdeRunResult;

typedef struct IdeRunOptions {
        char **argv;     /* absolute inside the sandbox; run in cwd */
        const char *cwd; /* inside the sandbox, below IDE_RUN_WORKSPACE */
        uint64_t timeout_usec;
        size_t max_output; /* of stdout and of stderr, each, kept */
        bool stream;       /* stdout and stderr as logging notifications while it runs */
        bool read_only;    /* the workspace read-only even where it may be changed */
        /* Called once, on the loop, when the command ended (or could not start: r < 0, result NULL). req is
         * answered by it. */
        void (*done)(McpRequest *req, int r, const IdeRunResult *result, void *userdata);
        void *userdata;
} IdeRunOptions;

/* Starts the command for req in ws. Returns 0 (done follows), or a negative errno with nothing started. */
int ide_run_start(IdeContext *ctx, McpRequest *req, IdeWorkspace *ws, const IdeRunOptions *o);

/* Where argv[0] is inside the sandbox: an absolute path as it is, a name with a "/" relative to the
 * working directory, a bare name found in /usr/local/bin, /usr/bin, /bin, /usr/sbin or /sbin (the sandbox
 * binds those). NULL when a bare name is found nowhere. */
char *ide_run_find_program(const char *name, const char *cwd);
