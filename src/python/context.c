/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-pythond's context: what every worker's sandbox is started with, the cgroup subtree, the warm pool and
 * the session table, set up once the engine exists. */
#include <glob.h>
#include <stdio.h>

#include "log.h"
#include "pool.h"
#include "python.h"
#include "sandbox.h"
#include "session.h"
#include "strv.h"

static int strv_push(char ***v, const char *s) {
        size_t n = strv_length(*v);
        char **a = reallocarray(*v, n + 2, sizeof(char *));
        if (!a)
                return -ENOMEM;
        *v = a;
        if (!(a[n] = strdup(s)))
                return -ENOMEM;
        a[n + 1] = NULL;
        return 0;
}

/* What the sandbox binds read-only besides /usr and its base set: Debian's python3 settings
 * (sitecustomize.py is a link into /etc/python3.X), matplotlib's rc file, which mpl-data links to. */
static int worker_ro_binds(char ***ret) {
        _cleanup_(strv_freep) char **v = new0(char *, 1);
        if (!v)
                return -ENOMEM;
        glob_t g = {};
        if (glob("/etc/python3*", GLOB_NOSORT, NULL, &g) == 0)
                for (size_t i = 0; i < g.gl_pathc; i++)
                        if (strv_push(&v, g.gl_pathv[i]) < 0) {
                                globfree(&g);
                                return -ENOMEM;
                        }
        globfree(&g);
        static const char *const extra[] = { "/etc/matplotlibrc", "/etc/mime.types", "/etc/fonts" };
        FOREACH_ELEMENT(e, extra) {
                if (strv_push(&v, *e) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(v);
        return 0;
}

/* The worker's source, read once: it is passed to python3 -c, so that no host path (the source tree's
 * /work/... in development would meet the workspace at /work) needs binding into the sandbox. */
static int worker_source(const char *dir, char **ret) {
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/aios_worker.py", dir) < 0)
                return -ENOMEM;
        _cleanup_(fclosep) FILE *f = fopen(path, "re");
        if (!f)
                return log_error_errno(errno, "%s cannot be read (AIOS_PYTHON_WORKER_DIR=): %m", path);
        char *text = NULL;
        size_t size = 0;
        ssize_t n = getdelim(&text, &size, 0, f);
        if (n <= 0 || (size_t) n != strlen(text)) {
                free(text);
                return log_error_errno(EINVAL, "%s is empty or not text.", path);
        }
        *ret = text;
        return 0;
}

static int worker_command(PythonContext *ctx) {
        const PythonConfig *c = &ctx->config;
        _cleanup_free_ char *source = NULL;
        int r = worker_source(c->worker_dir, &source);
        if (r < 0)
                return r;
        /* -I: no PYTHON* variables, no user site, not the current directory on sys.path; site itself loads, so
         * that Debian's dist-packages are there. -B: /usr is read-only, and bytecode is not for the sandbox to
         * keep. */
        const char *const argv[] = { c->interpreter, "-I", "-B", "-c", source, "--preload", c->preload, NULL };
        const char *const envp[] = {
                "PATH=/usr/local/bin:/usr/bin:/bin",
                "LANG=C.UTF-8",
                "HOME=/work",
                "TMPDIR=/tmp",
                /* Caches (fontconfig's, pip's) in the private /tmp, not among the workspace's files. */
                "XDG_CACHE_HOME=/tmp/.cache",
                /* Figures are rendered to PNG, never shown; matplotlib keeps its font cache in the private /tmp. */
                "MPLBACKEND=Agg",
                "MPLCONFIGDIR=/tmp/matplotlib",
                /* One thread each for the BLAS libraries: a thread per CPU would count against the task limit and
                 * reserve address space against the memory limit at import. */
                "OPENBLAS_NUM_THREADS=1",
                "OMP_NUM_THREADS=1",
                "MKL_NUM_THREADS=1",
                NULL,
        };
        ctx->worker_argv = strv_copy((char *const *) argv);
        ctx->worker_envp = strv_copy((char *const *) envp);
        if (!ctx->worker_argv || !ctx->worker_envp)
                return log_oom();
        r = worker_ro_binds(&ctx->worker_ro_binds);
        return r < 0 ? log_oom() : 0;
}

int python_context_init(PythonContext *ctx, McpServer *server) {
        ctx->server = server;
        ctx->event = mcp_server_get_event(server);

        if (access(ctx->config.interpreter, X_OK) < 0)
                return log_error_errno(errno, "%s cannot be run (AIOS_PYTHON_INTERPRETER=): %m",
                        ctx->config.interpreter);
        int r = worker_command(ctx);
        if (r < 0)
                return r;

        /* Under systemd with Delegate=yes every sandbox gets a cgroup with memory, task and CPU limits;
         * elsewhere (the development stack) rlimits alone limit it. */
        r = sandbox_cgroup_setup(&ctx->cgroup_parent);
        if (r < 0)
                log_info_errno(r, "No delegated cgroup (%m): sandboxes are limited by rlimits alone.");
        else
                log_info("Sandboxes get cgroups under %s.", ctx->cgroup_parent);

        r = session_table_init(ctx);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the session table: %m");
        r = pool_new(ctx, &ctx->pool);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the worker pool: %m");
        log_info("Warm pool of %u workers (%s%s%s), at most %u sandboxes, %u sessions (%u per principal).",
                ctx->config.pool_size, ctx->config.interpreter, isempty(ctx->config.preload) ? "" : ", preloading ",
                ctx->config.preload, ctx->config.max_workers, ctx->config.max_sessions,
                ctx->config.max_sessions_per_principal);
        return 0;
}

void python_context_done(PythonContext *ctx) {
        session_table_done(ctx);
        WorkerPool *p = TAKE_PTR(ctx->pool);
        pool_free(p);
        json_object_put(ctx->packages);
        ctx->packages = NULL;
        ctx->worker_argv = strv_free(ctx->worker_argv);
        ctx->worker_envp = strv_free(ctx->worker_envp);
        ctx->worker_ro_binds = strv_free(ctx->worker_ro_binds);
        ctx->cgroup_parent = mfree(ctx->cgroup_parent);
        python_config_done(&ctx->config);
}

bool python_context_busy(void *userdata) {
        PythonContext *ctx = userdata;
        /* Sessions hold state that an exit would lose; runs hold sandboxes that are not the pool's. */
        return hashmap_size(ctx->sessions) > 0 ||
                ctx->n_workers > (ctx->pool ? pool_n_ready(ctx->pool) + pool_n_starting(ctx->pool) : 0);
}
