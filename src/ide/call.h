/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every tool does first: find the workspace it names, refuse a change to a read-only one, and ask polkit
 * about each path it touches (action, with the details "workspace" and "path"). */
#pragma once

#include "ide.h"
#include "json-util.h"

/* One allowed call, as its work (in a job's thread, job.h) sees it. */
typedef struct IdeTask {
        IdeJob *job;
        const IdeConfig *config; /* read-only once loaded */
        IdeWorkspace *ws;
        json_object *arguments; /* the thread's own copy */
        char *principal;        /* who the caller acts for, or NULL */
        int (*work)(struct IdeTask *t);
} IdeTask;

/* The tool proper, once the call was allowed: runs in a thread, answers with ide_job_set_result() or
 * ide_job_set_error() (or a negative errno). */
typedef int (*IdeTaskWork)(IdeTask *t);

/* path_keys: the arguments that hold paths (strings, or arrays of strings), NULL-terminated, or NULL. An
 * absent one is the workspace itself for polkit only when it is the first key. */
int ide_call(McpRequest *req, json_object *arguments, const char *action, const char *const *path_keys,
        IdeTaskWork work);

/* The same, for a tool whose work is an event source on the loop (a sandbox): go runs on the loop and answers
 * req itself. */
typedef int (*IdeCallGo)(McpRequest *req, IdeContext *ctx, IdeWorkspace *ws, json_object *arguments);
int ide_call_loop(McpRequest *req, json_object *arguments, const char *action, const char *const *path_keys,
        IdeCallGo go);

IdeContext *ide_context_of(McpRequest *req);
