/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GitHub's objects cut down to what an agent acts on: the members each tool's output schema names. */
#pragma once

#include "json-util.h"

/* Each returns a new object, or NULL when out of memory. */
json_object *summary_workflow(json_object *workflow);
json_object *summary_run(json_object *run);
json_object *summary_job(json_object *job);
json_object *summary_artifact(json_object *artifact);
