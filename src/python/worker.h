/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A worker: one python3 running aios_worker.py in a sandbox, its control channel (fd 3) and its output pipes. */
#pragma once

#include "json-util.h"
#include "list.h"
#include "python.h"

typedef struct Worker Worker;
typedef struct Sandbox Sandbox;

/* What the worker's owner (the pool, a run, a session) hears. Each callback may free the worker. */
typedef struct WorkerOps {
        /* The interpreter is up, with the preloaded modules imported, and waits for a request. */
        void (*ready)(Worker *w, void *userdata);
        /* Output of the code as it comes: stream 1 (stdout) or 2 (stderr). */
        void (*output)(Worker *w, int stream, const char *p, size_t n, void *userdata);
        /* The answer to the request sent (borrowed). The pipes were drained first. */
        void (*reply)(Worker *w, json_object *reply, void *userdata);
        /* The sandbox is gone: its init exited (status as waitpid() gives it) or it was killed; reason says
         * why when the worker knows (NULL otherwise). The worker can only be freed from now on. */
        void (*dead)(Worker *w, int status, const char *reason, void *userdata);
} WorkerOps;

typedef enum WorkerState {
        WORKER_STARTING,
        WORKER_READY, /* waiting for a request */
        WORKER_BUSY,  /* a request is out */
        WORKER_DEAD,
} WorkerState;

struct Worker {
        PythonContext *ctx;
        Sandbox *sandbox;
        WorkerState state;
        const WorkerOps *ops;
        void *userdata;
        int control_fd;
        int output_fd[2]; /* stdout, stderr (read ends); -EBADF once closed */
        sd_event_source *control_source, *output_source[2], *ready_timer, *dead_event;
        char *in; /* control bytes received, not yet a whole line */
        size_t in_size, in_allocated;
        char *out; /* control bytes to send */
        size_t out_size, out_offset;
        int exit_status;
        char *dead_reason;
        char *python_version; /* as the worker reported it when ready */
        uint64_t started_usec;
        LIST_FIELDS(Worker); /* in the pool's ready or starting list */
};

/* Starts a sandbox with a worker in it; ops->ready follows once it waits for code. */
int worker_new(PythonContext *ctx, const WorkerOps *ops, void *userdata, Worker **ret);
/* Kills the sandbox (if it still runs) and frees the worker. */
Worker *worker_free(Worker *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(Worker *, worker_free);

void worker_set_owner(Worker *w, const WorkerOps *ops, void *userdata);
/* Sends one request (a JSON object); its output is read from now until ops->reply. -EBUSY when one is out. */
int worker_send(Worker *w, json_object *request);
/* Kills the sandbox and frees the worker once it is gone, from the loop: waiting for the sandbox's end is
 * not done while an answer waits to be sent. */
void worker_discard(Worker *w);
/* SIGINT to the interpreter: KeyboardInterrupt in the code, the interpreter lives on. */
int worker_interrupt(Worker *w);
/* Kills the sandbox; ops->dead follows, with reason. */
int worker_kill(Worker *w, const char *reason);
/* The workspace as an O_PATH directory fd, for sandbox_openat(). */
int worker_open_workspace(Worker *w);
