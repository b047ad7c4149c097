/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The warm pool: workers started ahead, interpreter up and waiting, handed out one per run or session; each
 * one taken is replaced behind it. */
#pragma once

#include "python.h"
#include "worker.h"

typedef struct PoolWaiter PoolWaiter;
/* A worker for the caller (its owner from now on, ops to be set with worker_set_owner()), or NULL with a
 * negative errno: -EBUSY when no sandbox could be had in time, or why the sandbox did not start. */
typedef void (*PoolTaken)(Worker *w, int error, void *userdata);

int pool_new(PythonContext *ctx, WorkerPool **ret);
WorkerPool *pool_free(WorkerPool *p);

/* Takes a ready worker: 1 with it in *ret at once, or 0 when none is ready: then got is called later, and
 * *ret_waiter can cancel that until it is. */
int pool_take(WorkerPool *p, PoolTaken got, void *userdata, Worker **ret, PoolWaiter **ret_waiter);
void pool_waiter_cancel(PoolWaiter *waiter);

/* Starts the workers the pool lacks, from the loop (a sandbox ended: there may be room now). */
void pool_schedule_refill(WorkerPool *p);
/* Warm workers ready now, and being started. */
unsigned pool_n_ready(WorkerPool *p);
unsigned pool_n_starting(WorkerPool *p);
