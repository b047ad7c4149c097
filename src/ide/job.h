/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Work that would block the loop (a search over a big tree, git on a large repository, a deep walk) runs in
 * a thread of its own; what it finds comes back to the loop over an eventfd the loop watches. A job can be
 * cancelled (the client cancels its request): the thread sees it at its next check and stops. */
#pragma once

#include "ide.h"
#include "json-util.h"
#include "mcp-request.h"

/* Runs in the job's thread. It reads only what it was given and the workspace's fd, returns 0 or a negative
 * errno, and leaves its answer with ide_job_set_result() or ide_job_set_error(). */
typedef int (*IdeJobWork)(IdeJob *job, void *userdata);

/* Starts work for req (at once, or when fewer than MaxJobs= run). The job answers req when the work is done:
 * the result's content is its text (and its structuredContent when structured), or the error as a tool error.
 * free_userdata runs on the loop once the thread is gone. */
int ide_job_start(IdeContext *ctx, McpRequest *req, IdeJobWork work, void *userdata, void (*free_userdata)(void *));

/* In the thread: whether the request was cancelled (or the server stops): the work returns early. */
bool ide_job_cancelled(IdeJob *job);
/* In the thread: the answer. structured is taken; text is copied (NULL: structured's JSON). */
void ide_job_set_result(IdeJob *job, json_object *structured, const char *text);
void ide_job_set_error(IdeJob *job, const char *format, ...) _printf_(2, 3);
/* In the thread: an item the client sees at once, as a logging notification (logger: the tool's name) and
 * a progress notification with count. item is taken. */
void ide_job_emit(IdeJob *job, json_object *item, double count);
/* Whether the client wants emitted items: it asked for progress (a progressToken), and its log level lets
 * info through. */
bool ide_job_streams(IdeJob *job);

/* Cancels every job and waits for their threads (the server stops). */
void ide_jobs_stop(IdeContext *ctx);
