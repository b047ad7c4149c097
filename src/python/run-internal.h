/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A run's state, shared by its lifecycle (run.c) and the answer made of it (run-result.c). */
#pragma once

#include "run.h"

struct PythonRun {
        PythonContext *ctx;
        McpRequest *req;
        Worker *worker;
        RunFinished finished;
        void *userdata;
        char *session_id;
        uint64_t timeout_usec;

        char *kept[2]; /* stdout, stderr: what is kept for the answer */
        size_t kept_size[2];
        uint64_t total[2];  /* all that came, kept or not */
        size_t streamed[2]; /* how much of kept went out as log notifications */

        sd_event_source *deadline, *grace, *progress;
        uint64_t start_usec, end_usec;
        bool timed_out, cancelled, flooded, died, restarted;
        int exit_status; /* the sandbox's wait status, when it died */
        char *dead_reason;
        json_object *reply; /* the worker's answer */
};

/* Answers the run's request from what the run gathered. */
int run_answer(PythonRun *run);
/* Percent-encodes a workspace path as one URI segment ('/' too). */
char *uri_segment_encode(const char *path);
