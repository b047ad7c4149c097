/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The warm pool: workers started ahead, interpreter up and waiting, handed out one per run or session; each
 * one taken is replaced behind it. */
#include "log.h"
#include "pool.h"

/* How long a call waits for a sandbox when every one allowed is in use. */
#define WAIT_TIMEOUT_USEC (30 * USEC_PER_SEC)
/* A worker taken is replaced this long after: starting a sandbox takes the loop a few ms and python3's start
 * takes a CPU for longer, which the run just handed out should not wait for. */
#define REPLACE_DELAY_USEC (20 * USEC_PER_MSEC)
/* After a sandbox failed to start, the next try waits this long: a broken set-up must not spin. */
#define RETRY_USEC (1 * USEC_PER_SEC)

struct PoolWaiter {
        WorkerPool *pool;
        PoolTaken got;
        void *userdata;
        sd_event_source *timeout;
        LIST_FIELDS(PoolWaiter);
};

struct WorkerPool {
        PythonContext *ctx;
        Worker *ready, *starting;
        unsigned n_ready, n_starting, n_waiters;
        PoolWaiter *waiters, *waiters_tail;
        sd_event_source *refill_event, *retry_timer, *idle_timer, *replace_timer;
        uint64_t last_take_usec;
        bool emptied; /* idle for pool_idle_usec: no warm workers until the next take */
        int last_error;
};

static void pool_refill(WorkerPool *p);

static void waiter_free(PoolWaiter *w) {
        if (!w)
                return;
        LIST_REMOVE(w->pool->waiters, w);
        if (w->pool->waiters_tail == w) {
                /* The tail is the last item: walk to the new one (the list is short). */
                w->pool->waiters_tail = w->pool->waiters;
                while (w->pool->waiters_tail && w->pool->waiters_tail->next)
                        w->pool->waiters_tail = w->pool->waiters_tail->next;
        }
        w->pool->n_waiters--;
        sd_event_source_disable_unref(w->timeout);
        free(w);
}

void pool_waiter_cancel(PoolWaiter *w) {
        waiter_free(w);
}

/* Hands a worker (or an error) to the first waiter. */
static void waiter_serve(WorkerPool *p, Worker *worker, int error) {
        PoolWaiter *w = p->waiters;
        assert(w);
        PoolTaken got = w->got;
        void *userdata = w->userdata;
        waiter_free(w);
        got(worker, error, userdata);
}

static void pool_ready(Worker *w, void *userdata);
static void pool_dead(Worker *w, int status, const char *reason, void *userdata);
static const WorkerOps pool_ops = { .ready = pool_ready, .dead = pool_dead };

static void take_out(WorkerPool *p, Worker *w) {
        if (w->state == WORKER_STARTING) {
                LIST_REMOVE(p->starting, w);
                p->n_starting--;
        } else {
                LIST_REMOVE(p->ready, w);
                p->n_ready--;
        }
        worker_set_owner(w, NULL, NULL);
}

static void pool_ready(Worker *w, void *userdata) {
        WorkerPool *p = userdata;
        LIST_REMOVE(p->starting, w);
        p->n_starting--;
        p->last_error = 0;
        uint64_t now = 0;
        (void) sd_event_now(p->ctx->event, CLOCK_MONOTONIC, &now);
        log_debug("A Python worker is ready (%.1f ms to start).", (double) (now - w->started_usec) / USEC_PER_MSEC);
        if (p->waiters) {
                worker_set_owner(w, NULL, NULL);
                waiter_serve(p, w, 0);
                pool_schedule_refill(p);
                return;
        }
        LIST_PREPEND(p->ready, w);
        p->n_ready++;
}

static void pool_dead(Worker *w, int status, const char *reason, void *userdata) {
        WorkerPool *p = userdata;
        bool was_starting = w->state == WORKER_DEAD && w->python_version == NULL;
        take_out(p, w);
        if (was_starting) {
                log_warning("A Python worker ended before it was ready (%s, status 0x%x).",
                        reason ?: "its sandbox exited", (unsigned) status);
                p->last_error = -ECHILD;
        }
        worker_free(w);
}

static int on_refill(sd_event_source *s, void *userdata) {
        WorkerPool *p = userdata;
        (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        pool_refill(p);
        return 0;
}

void pool_schedule_refill(WorkerPool *p) {
        if (p->refill_event)
                (void) sd_event_source_set_enabled(p->refill_event, SD_EVENT_ONESHOT);
}

static int on_replace(sd_event_source *s, uint64_t usec, void *userdata) {
        WorkerPool *p = userdata;
        p->replace_timer = sd_event_source_disable_unref(p->replace_timer);
        pool_refill(p);
        return 0;
}

/* The replacement of a worker taken, a little later (REPLACE_DELAY_USEC); at once when none is left ready. */
static void pool_schedule_replace(WorkerPool *p) {
        if (p->n_ready == 0 || p->replace_timer ||
                sd_event_add_time_relative(p->ctx->event, &p->replace_timer, CLOCK_MONOTONIC, REPLACE_DELAY_USEC, 0,
                        on_replace, p) < 0)
                pool_schedule_refill(p);
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        WorkerPool *p = userdata;
        p->retry_timer = sd_event_source_disable_unref(p->retry_timer);
        pool_refill(p);
        return 0;
}

static void pool_refill(WorkerPool *p) {
        const PythonConfig *c = &p->ctx->config;
        if (p->retry_timer)
                return;
        unsigned want = (p->emptied ? 0 : c->pool_size) + p->n_waiters;
        while (p->n_ready + p->n_starting < want && p->ctx->n_workers < c->max_workers) {
                Worker *w = NULL;
                int r = worker_new(p->ctx, &pool_ops, p, &w);
                if (r < 0) {
                        log_error_errno(r, "Failed to start a Python sandbox: %m");
                        p->last_error = r;
                        /* Those waiting for one hear why; the next try waits a little. */
                        while (p->waiters && p->n_waiters > p->n_starting)
                                waiter_serve(p, NULL, r);
                        (void) sd_event_add_time_relative(p->ctx->event, &p->retry_timer, CLOCK_MONOTONIC, RETRY_USEC,
                                0, on_retry, p);
                        return;
                }
                LIST_PREPEND(p->starting, w);
                p->n_starting++;
        }
}

static int on_wait_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        PoolWaiter *w = userdata;
        PoolTaken got = w->got;
        void *data = w->userdata;
        int error = w->pool->last_error < 0 ? w->pool->last_error : -EBUSY;
        waiter_free(w);
        got(NULL, error, data);
        return 0;
}

static int on_idle_check(sd_event_source *s, uint64_t usec, void *userdata) {
        WorkerPool *p = userdata;
        uint64_t idle = p->ctx->config.pool_idle_usec, now = 0;
        (void) sd_event_now(p->ctx->event, CLOCK_MONOTONIC, &now);
        if (!p->emptied && !p->waiters && now - p->last_take_usec >= idle && (p->n_ready > 0 || p->n_starting > 0)) {
                log_info("No Python run for %llu s: the warm workers end until the next one.",
                        (unsigned long long) (idle / USEC_PER_SEC));
                p->emptied = true;
                LIST_FOREACH(w, p->ready) {
                        take_out(p, w);
                        worker_free(w);
                }
                LIST_FOREACH(w, p->starting) {
                        take_out(p, w);
                        worker_free(w);
                }
        }
        return sd_event_source_set_time_relative(s, MAX(idle / 4, USEC_PER_SEC));
}

int pool_new(PythonContext *ctx, WorkerPool **ret) {
        WorkerPool *p = new0(WorkerPool, 1);
        if (!p)
                return -ENOMEM;
        p->ctx = ctx;
        (void) sd_event_now(ctx->event, CLOCK_MONOTONIC, &p->last_take_usec);
        int r = sd_event_add_defer(ctx->event, &p->refill_event, on_refill, p);
        if (r >= 0)
                r = sd_event_source_set_enabled(p->refill_event, SD_EVENT_ONESHOT);
        if (r >= 0 && ctx->config.pool_idle_usec > 0) {
                r = sd_event_add_time_relative(ctx->event, &p->idle_timer, CLOCK_MONOTONIC,
                        MAX(ctx->config.pool_idle_usec / 4, USEC_PER_SEC), 0, on_idle_check, p);
                if (r >= 0)
                        r = sd_event_source_set_enabled(p->idle_timer, SD_EVENT_ON);
        }
        if (r < 0) {
                pool_free(p);
                return r;
        }
        *ret = p;
        return 0;
}

WorkerPool *pool_free(WorkerPool *p) {
        if (!p)
                return NULL;
        /* Workers freed here must not schedule a refill of the pool that goes. */
        p->refill_event = sd_event_source_disable_unref(p->refill_event);
        while (p->waiters)
                waiter_serve(p, NULL, -ECANCELED);
        LIST_FOREACH(w, p->ready) {
                take_out(p, w);
                worker_free(w);
        }
        LIST_FOREACH(w, p->starting) {
                take_out(p, w);
                worker_free(w);
        }
        sd_event_source_disable_unref(p->retry_timer);
        sd_event_source_disable_unref(p->idle_timer);
        sd_event_source_disable_unref(p->replace_timer);
        free(p);
        return NULL;
}

int pool_take(WorkerPool *p, PoolTaken got, void *userdata, Worker **ret, PoolWaiter **ret_waiter) {
        (void) sd_event_now(p->ctx->event, CLOCK_MONOTONIC, &p->last_take_usec);
        p->emptied = false;

        /* A worker that died while waiting in the pool is still listed until its dead callback runs. */
        LIST_FOREACH(w, p->ready) {
                if (w->state != WORKER_READY)
                        continue;
                take_out(p, w);
                pool_schedule_replace(p);
                *ret = w;
                return 1;
        }

        PoolWaiter *waiter = new0(PoolWaiter, 1);
        if (!waiter)
                return -ENOMEM;
        *waiter = (PoolWaiter){ .pool = p, .got = got, .userdata = userdata };
        int r = sd_event_add_time_relative(p->ctx->event, &waiter->timeout, CLOCK_MONOTONIC, WAIT_TIMEOUT_USEC, 0,
                on_wait_timeout, waiter);
        if (r < 0) {
                free(waiter);
                return r;
        }
        /* First come, first served: appended at the tail. */
        if (p->waiters_tail) {
                p->waiters_tail->next = waiter;
                waiter->prev = p->waiters_tail;
        } else
                p->waiters = waiter;
        p->waiters_tail = waiter;
        p->n_waiters++;
        /* From the loop: a sandbox that fails to start answers the waiter, which the caller must hold first. */
        pool_schedule_refill(p);
        *ret_waiter = waiter;
        return 0;
}

unsigned pool_n_ready(WorkerPool *p) {
        return p->n_ready;
}

unsigned pool_n_starting(WorkerPool *p) {
        return p->n_starting;
}
