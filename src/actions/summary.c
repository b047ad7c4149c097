/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The members of GitHub's workflow, workflow-run, job and artifact objects (its OpenAPI description) that the
 * tools pass on. */
#include <stdio.h>

#include "op.h"
#include "summary.h"

json_object *summary_workflow(json_object *workflow) {
        static const char *const keys[] = { "id", "name", "path", "state", "created_at", "updated_at", "html_url",
                NULL };
        return json_pick(workflow, keys);
}

json_object *summary_run(json_object *run) {
        static const char *const keys[] = { "id", "name", "display_title", "run_number", "run_attempt", "event",
                "status", "conclusion", "workflow_id", "path", "head_branch", "head_sha", "created_at", "updated_at",
                "run_started_at", "html_url", NULL };
        json_object *s = json_pick(run, keys);
        const char *actor = json_get_string(json_get_object(run, "actor"), "login");
        if (s && actor && json_add_string(s, "actor", actor) < 0)
                s = (json_object_put(s), NULL);
        return s;
}

static json_object *summary_step(json_object *step) {
        static const char *const keys[] = { "number", "name", "status", "conclusion", "started_at", "completed_at",
                NULL };
        return json_pick(step, keys);
}

json_object *summary_job(json_object *job) {
        static const char *const keys[] = { "id", "run_id", "run_attempt", "name", "workflow_name", "head_branch",
                "status", "conclusion", "created_at", "started_at", "completed_at", "runner_name", "labels", "html_url",
                NULL };
        json_object *s = json_pick(job, keys);
        json_object *steps = json_get_array(job, "steps");
        if (!s || !steps)
                return s;
        json_object *out = json_object_new_array();
        if (!out || json_add(s, "steps", out) < 0) {
                json_object_put(out);
                return (json_object_put(s), NULL);
        }
        for (size_t i = 0; i < json_object_array_length(steps); i++) {
                json_object *st = summary_step(json_object_array_get_idx(steps, i));
                if (!st || json_object_array_add(out, st) < 0) {
                        json_object_put(st);
                        return (json_object_put(s), NULL);
                }
        }
        return s;
}

json_object *summary_artifact(json_object *artifact) {
        static const char *const keys[] = { "id", "name", "size_in_bytes", "expired", "digest", "created_at",
                "expires_at", NULL };
        json_object *s = json_pick(artifact, keys);
        json_object *run = json_get_object(artifact, "workflow_run");
        static const char *const run_keys[] = { "id", "head_branch", "head_sha", NULL };
        if (s && run && json_add(s, "workflow_run", json_pick(run, run_keys)) < 0)
                s = (json_object_put(s), NULL);
        return s;
}
