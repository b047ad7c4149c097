/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A tool's CPU work (synthesis, recognition, a recording) in a child process: the loop keeps serving, progress
 * comes back over a pipe, the result in a memfd, and a cancelled request kills the child. */
#pragma once

#include "json-util.h"
#include "mcp-server.h"

typedef struct VoiceChild VoiceChild;

/* Runs in the child: does the work and returns its result (a new object), or NULL after voice_child_fail().
 * Whatever it allocates goes with the child. */
typedef json_object *(*VoiceWork)(VoiceChild *c, void *userdata);
/* Runs in the server once the child is done: result is what work returned ({"error": text} when it failed). */
typedef void (*VoiceJobDone)(McpRequest *req, json_object *result, void *userdata);

typedef struct VoiceJobSpec {
        const char *what;      /* for messages: "synthesis", "recognition", "recording" */
        uint64_t timeout_usec; /* the child is killed after this long */
        VoiceWork work;
        void *work_data;
        VoiceJobDone done; /* optional: without it the result is the reply (voice_job_reply) */
        void *userdata;
        void (*free_userdata)(void *userdata); /* called once the job ends, whichever way */
} VoiceJobSpec;

/* Starts the work for req. Returns 0 (the job answers req), -EBUSY when as many jobs run as the server allows
 * (VOICE_MAX_JOBS), or another negative errno. On failure free_userdata has been called. */
int voice_job_start(McpRequest *req, const VoiceJobSpec *spec);
/* Jobs running in this server. */
unsigned voice_jobs_running(void);
#define VOICE_MAX_JOBS 2U

/* The usual end of a job: {"error": text} becomes a tool error; otherwise "content" (an array) and
 * "structured" (an object) are the result. */
void voice_job_reply(McpRequest *req, json_object *result, void *userdata);

/* In the child. */
void voice_child_progress(VoiceChild *c, double progress, double total, const char *message);
/* Sets the error the job ends with; returns NULL for `return voice_child_fail(...)`. */
json_object *voice_child_fail(VoiceChild *c, const char *format, ...) _printf_(2, 3);
