/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-pythond's settings: the defaults, and what the administrator changes through the environment
 * (AIOS_PYTHON_*, see aios-pythond(8)), each checked against a range with an error naming the variable. */
#include <stdio.h>

#include "log.h"
#include "python.h"

#define MIB (1024ULL * 1024)

/* Where aios_worker.py is installed (src/python/meson.build), and the source tree's copy for a binary run
 * from its build tree. */
#ifndef PYTHON_WORKER_DIR
#define PYTHON_WORKER_DIR "/usr/share/aios/python"
#endif

typedef struct Setting {
        const char *name; /* AIOS_PYTHON_<name> */
        unsigned long long min, max;
        unsigned long long scale; /* the unit the value is given in: 1, USEC_PER_SEC, MIB */
        size_t offset;
        size_t size; /* of the field: unsigned, uint64_t or size_t */
} Setting;

#define SETTING(n, lo, hi, unit, field)                                                                                \
        { n, lo, hi, unit, offsetof(PythonConfig, field), sizeof(((PythonConfig *) NULL)->field) }

static const Setting settings[] = {
        SETTING("POOL_SIZE", 0, 64, 1, pool_size),
        SETTING("POOL_IDLE_SEC", 0, 86400, USEC_PER_SEC, pool_idle_usec),
        SETTING("MAX_WORKERS", 1, 1024, 1, max_workers),
        SETTING("MAX_SESSIONS", 0, 1024, 1, max_sessions),
        SETTING("MAX_SESSIONS_PER_PRINCIPAL", 0, 1024, 1, max_sessions_per_principal),
        SETTING("SESSION_IDLE_SEC", 1, 7 * 86400, USEC_PER_SEC, session_idle_usec),
        SETTING("TIMEOUT_SEC", 1, 86400, USEC_PER_SEC, timeout_usec),
        SETTING("MAX_TIMEOUT_SEC", 1, 86400, USEC_PER_SEC, max_timeout_usec),
        SETTING("GRACE_SEC", 1, 600, USEC_PER_SEC, grace_usec),
        SETTING("MEMORY_MB", 16, 1024 * 1024, MIB, memory_bytes),
        SETTING("MAX_MEMORY_MB", 16, 1024 * 1024, MIB, max_memory_bytes),
        SETTING("TASKS", 1, 65536, 1, tasks),
        SETTING("CPU_QUOTA_PERCENT", 0, 100 * 1024, 1, cpu_quota_pct),
        SETTING("WORKSPACE_MB", 1, 1024 * 1024, MIB, workspace_bytes),
        SETTING("TMP_MB", 1, 1024 * 1024, MIB, tmp_bytes),
        SETTING("MAX_OUTPUT", 1024, 1ULL << 30, 1, max_output),
        SETTING("FLOOD_OUTPUT", 1024, 1ULL << 34, 1, flood_output),
        SETTING("MAX_CODE", 1024, 1ULL << 30, 1, max_code),
        SETTING("MAX_INPUT_FILES", 0, 1ULL << 32, 1, max_input_files),
        SETTING("MAX_FILE_READ", 0, 1ULL << 30, 1, max_file_read),
        SETTING("MAX_FILES_RETURNED", 0, 1ULL << 32, 1, max_files_returned),
        SETTING("MAX_FIGURES", 0, 64, 1, max_figures),
};

static void set_field(PythonConfig *c, const Setting *s, unsigned long long v) {
        void *p = (char *) c + s->offset;
        if (s->size == sizeof(unsigned))
                *(unsigned *) p = v;
        else
                *(uint64_t *) p = v; /* size_t is 64 bits where aios runs */
}

static int parse_setting(PythonConfig *c, const Setting *s, const char *text) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(text, &end, 10);
        if (errno != 0 || end == text || *end || text[0] == '-' || v < s->min || v > s->max)
                return log_error_errno(EINVAL, "AIOS_PYTHON_%s= wants a whole number from %llu to %llu, not \"%s\".",
                        s->name, s->min, s->max, text);
        set_field(c, s, v * s->scale);
        return 0;
}

static int set_string(char **field, const char *env, const char *def) {
        const char *v = getenv(env);
        free(*field);
        *field = strdup(!isempty(v) ? v : def);
        return *field ? 0 : -ENOMEM;
}

/* The worker in the source tree when this binary runs from its build tree, as the seccomp lists are. */
static const char *default_worker_dir(void) {
#if defined(AIOS_BUILD_ROOT) && defined(AIOS_SOURCE_ROOT)
        char exe[4096];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n > 0) {
                exe[n] = 0;
                if (startswith_ptr(exe, AIOS_BUILD_ROOT "/"))
                        return AIOS_SOURCE_ROOT "/src/python/worker";
        }
#endif
        return PYTHON_WORKER_DIR;
}

int python_config_load(PythonConfig *c) {
        _Static_assert(sizeof(size_t) == sizeof(uint64_t), "size_t settings are stored as 64 bits");
        *c = (PythonConfig){
                .pool_size = 2,
                .pool_idle_usec = 0,
                .max_workers = 16,
                .max_sessions = 32,
                .max_sessions_per_principal = 4,
                .session_idle_usec = 900 * USEC_PER_SEC,
                .timeout_usec = 30 * USEC_PER_SEC,
                .max_timeout_usec = 300 * USEC_PER_SEC,
                .grace_usec = 2 * USEC_PER_SEC,
                .memory_bytes = 512 * MIB,
                .max_memory_bytes = 1024 * MIB,
                .tasks = 64,
                .cpu_quota_pct = 100,
                .workspace_bytes = 64 * MIB,
                .tmp_bytes = 64 * MIB,
                .max_output = 256 * 1024,
                .flood_output = 64 * MIB,
                .max_code = 1 * MIB,
                .max_input_files = 16 * MIB,
                .max_file_read = 4 * MIB,
                .max_files_returned = 8 * MIB,
                .max_figures = 8,
        };
        int r;
        if ((r = set_string(&c->interpreter, "AIOS_PYTHON_INTERPRETER", "/usr/bin/python3")) < 0 ||
                (r = set_string(&c->worker_dir, "AIOS_PYTHON_WORKER_DIR", default_worker_dir())) < 0 ||
                (r = set_string(&c->preload, "AIOS_PYTHON_PRELOAD", "")) < 0)
                return log_oom();

        FOREACH_ELEMENT(s, settings) {
                char env[64];
                snprintf(env, sizeof(env), "AIOS_PYTHON_%s", s->name);
                const char *v = getenv(env);
                if (!isempty(v) && (r = parse_setting(c, s, v)) < 0)
                        return r;
        }

        if (c->interpreter[0] != '/' || c->worker_dir[0] != '/')
                return log_error_errno(EINVAL,
                        "AIOS_PYTHON_INTERPRETER= and AIOS_PYTHON_WORKER_DIR= want absolute paths.");
        if (c->memory_bytes > c->max_memory_bytes)
                return log_error_errno(EINVAL, "AIOS_PYTHON_MEMORY_MB= is more than AIOS_PYTHON_MAX_MEMORY_MB=.");
        if (c->timeout_usec > c->max_timeout_usec)
                return log_error_errno(EINVAL, "AIOS_PYTHON_TIMEOUT_SEC= is more than AIOS_PYTHON_MAX_TIMEOUT_SEC=.");
        if (c->flood_output < c->max_output * 2)
                return log_error_errno(EINVAL,
                        "AIOS_PYTHON_FLOOD_OUTPUT= must be at least twice AIOS_PYTHON_MAX_OUTPUT=.");
        if (c->max_sessions_per_principal > c->max_sessions)
                c->max_sessions_per_principal = c->max_sessions;
        return 0;
}

void python_config_done(PythonConfig *c) {
        c->interpreter = mfree(c->interpreter);
        c->worker_dir = mfree(c->worker_dir);
        c->preload = mfree(c->preload);
}
