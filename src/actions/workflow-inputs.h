/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A workflow file's declared workflow_dispatch inputs (on.workflow_dispatch.inputs), read with libyaml, and
 * the inputs a caller gives checked against them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "json-util.h"

/* GitHub takes at most this many inputs in one dispatch. */
#define WORKFLOW_INPUTS_MAX 25U

typedef enum InputType {
        INPUT_STRING,
        INPUT_BOOLEAN,
        INPUT_NUMBER,
        INPUT_CHOICE,
        INPUT_ENVIRONMENT,
} InputType;

typedef struct WorkflowInput {
        char *name;
        char *description;
        InputType type;
        bool required;
        char *default_value; /* NULL: none */
        char **options;      /* choice */
} WorkflowInput;

typedef struct WorkflowInputs {
        bool dispatchable; /* the workflow has the workflow_dispatch trigger */
        WorkflowInput *inputs;
        size_t n_inputs;
} WorkflowInputs;

void workflow_inputs_done(WorkflowInputs *w);
/* Reads the workflow file's text. -EINVAL with *ret_error (a new string) when it is not YAML that GitHub
 * would take. */
int workflow_inputs_parse(const char *text, size_t size, WorkflowInputs *w, char **ret_error);
/* Checks given (an object, or NULL) against the declared inputs: every name declared, every value of the
 * declared type (a choice among its options), every required input without a default given. *ret is the
 * object to dispatch with, each value a string as GitHub wants them. -EINVAL with *ret_error (every
 * problem, in one sentence each) when they do not fit. */
int workflow_inputs_check(const WorkflowInputs *w, json_object *given, json_object **ret, char **ret_error);
/* The declared inputs as JSON, for the caller to see what the workflow takes. */
json_object *workflow_inputs_describe(const WorkflowInputs *w);
