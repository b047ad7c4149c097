/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The on.workflow_dispatch.inputs of a workflow file, from libyaml's document tree, and checking inputs
 * against them as GitHub would before it starts a run. */
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include <yaml.h>

#include "macro.h"
#include "strv.h"
#include "workflow-inputs.h"

static const char *const type_names[] = {
        [INPUT_STRING] = "string",
        [INPUT_BOOLEAN] = "boolean",
        [INPUT_NUMBER] = "number",
        [INPUT_CHOICE] = "choice",
        [INPUT_ENVIRONMENT] = "environment",
};

void workflow_inputs_done(WorkflowInputs *w) {
        for (size_t i = 0; i < w->n_inputs; i++) {
                free(w->inputs[i].name);
                free(w->inputs[i].description);
                free(w->inputs[i].default_value);
                strv_free(w->inputs[i].options);
        }
        free(w->inputs);
        *w = (WorkflowInputs){};
}

static const char *scalar(yaml_node_t *n) {
        return n && n->type == YAML_SCALAR_NODE ? (const char *) n->data.scalar.value : NULL;
}

/* The value under key in a mapping node, or NULL. */
static yaml_node_t *mapping_get(yaml_document_t *d, yaml_node_t *map, const char *key) {
        if (!map || map->type != YAML_MAPPING_NODE)
                return NULL;
        for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++)
                if (streq_ptr(scalar(yaml_document_get_node(d, p->key)), key))
                        return yaml_document_get_node(d, p->value);
        return NULL;
}

/* YAML 1.1's and 1.2's spellings of true, as GitHub's parser takes them. */
static int yaml_boolean(const char *s) {
        static const char *const yes[] = { "true", "yes", "on", "y" };
        static const char *const no[] = { "false", "no", "off", "n" };
        FOREACH_ELEMENT(i, yes)
        if (s && strcasecmp(s, *i) == 0)
                return 1;
        FOREACH_ELEMENT(i, no)
        if (s && strcasecmp(s, *i) == 0)
                return 0;
        return -EINVAL;
}

static int fail(char **ret_error, const char *format, ...) _printf_(2, 3);
static int fail(char **ret_error, const char *format, ...) {
        va_list ap;
        va_start(ap, format);
        if (vasprintf(ret_error, format, ap) < 0)
                *ret_error = NULL;
        va_end(ap);
        return -EINVAL;
}

static int parse_input(yaml_document_t *d, const char *name, yaml_node_t *spec, WorkflowInput *in, char **ret_error) {
        if (!(in->name = strdup(name)))
                return -ENOMEM;
        if (!spec || (spec->type == YAML_SCALAR_NODE && isempty(scalar(spec))))
                return 0; /* an input declared with nothing: an optional string */
        if (spec->type != YAML_MAPPING_NODE)
                return fail(ret_error, "The workflow's input \"%s\" is not a mapping.", name);

        const char *description = scalar(mapping_get(d, spec, "description"));
        if (description && !(in->description = strdup(description)))
                return -ENOMEM;
        const char *required = scalar(mapping_get(d, spec, "required"));
        in->required = required && yaml_boolean(required) > 0;
        const char *def = scalar(mapping_get(d, spec, "default"));
        if (def && !(in->default_value = strdup(def)))
                return -ENOMEM;
        const char *type = scalar(mapping_get(d, spec, "type"));
        bool known = !type;
        for (size_t t = 0; type && t < ELEMENTSOF(type_names); t++)
                if (streq(type, type_names[t])) {
                        in->type = t;
                        known = true;
                }
        if (!known)
                return fail(ret_error, "The workflow's input \"%s\" has a type GitHub does not know.", name);

        yaml_node_t *options = mapping_get(d, spec, "options");
        if (in->type == INPUT_CHOICE) {
                if (!options || options->type != YAML_SEQUENCE_NODE)
                        return fail(ret_error, "The workflow's choice input \"%s\" has no options.", name);
                for (yaml_node_item_t *i = options->data.sequence.items.start; i < options->data.sequence.items.top;
                        i++) {
                        const char *o = scalar(yaml_document_get_node(d, *i));
                        if (o && strv_extend(&in->options, o) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

/* on: the workflow_dispatch trigger as a name, in a list of names, or as a key with its settings. */
static yaml_node_t *find_dispatch(yaml_document_t *d, yaml_node_t *on, bool *ret_found) {
        *ret_found = false;
        if (!on)
                return NULL;
        if (on->type == YAML_SCALAR_NODE)
                *ret_found = streq_ptr(scalar(on), "workflow_dispatch");
        else if (on->type == YAML_SEQUENCE_NODE) {
                for (yaml_node_item_t *i = on->data.sequence.items.start; i < on->data.sequence.items.top; i++)
                        if (streq_ptr(scalar(yaml_document_get_node(d, *i)), "workflow_dispatch"))
                                *ret_found = true;
        } else if (on->type == YAML_MAPPING_NODE)
                for (yaml_node_pair_t *p = on->data.mapping.pairs.start; p < on->data.mapping.pairs.top; p++)
                        if (streq_ptr(scalar(yaml_document_get_node(d, p->key)), "workflow_dispatch")) {
                                *ret_found = true;
                                return yaml_document_get_node(d, p->value);
                        }
        return NULL;
}

int workflow_inputs_parse(const char *text, size_t size, WorkflowInputs *w, char **ret_error) {
        *w = (WorkflowInputs){};
        *ret_error = NULL;

        yaml_parser_t parser;
        yaml_document_t doc;
        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&parser, (const unsigned char *) text, size);
        int ok = yaml_parser_load(&parser, &doc);
        if (!ok) {
                char line[32];
                snprintf(line, sizeof(line), "%zu", parser.problem_mark.line + 1);
                int r = asprintf(ret_error, "The workflow file is not valid YAML (line %s: %s).", line,
                        parser.problem ?: "a syntax error");
                if (r < 0)
                        *ret_error = NULL;
                yaml_parser_delete(&parser);
                return -EINVAL;
        }
        yaml_parser_delete(&parser);

        int r = 0;
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        yaml_node_t *dispatch = find_dispatch(&doc, mapping_get(&doc, root, "on"), &w->dispatchable);
        yaml_node_t *inputs = mapping_get(&doc, dispatch, "inputs");
        if (inputs && inputs->type == YAML_MAPPING_NODE) {
                size_t n = inputs->data.mapping.pairs.top - inputs->data.mapping.pairs.start;
                w->inputs = new0(WorkflowInput, MAX(n, (size_t) 1));
                if (!w->inputs)
                        r = -ENOMEM;
                for (yaml_node_pair_t *p = inputs->data.mapping.pairs.start;
                        r >= 0 && p < inputs->data.mapping.pairs.top; p++) {
                        const char *name = scalar(yaml_document_get_node(&doc, p->key));
                        if (isempty(name))
                                continue;
                        r = parse_input(&doc, name, yaml_document_get_node(&doc, p->value), &w->inputs[w->n_inputs++],
                                ret_error);
                }
        }
        yaml_document_delete(&doc);
        if (r < 0)
                workflow_inputs_done(w);
        return r;
}

static const WorkflowInput *input_find(const WorkflowInputs *w, const char *name) {
        for (size_t i = 0; i < w->n_inputs; i++)
                if (streq(w->inputs[i].name, name))
                        return &w->inputs[i];
        return NULL;
}

static bool number_is_valid(const char *s) {
        char *end;
        errno = 0;
        (void) strtod(s, &end);
        return !isempty(s) && errno == 0 && !*end;
}

/* The value as the string GitHub takes, or NULL with a problem noted. */
static char *input_value(const WorkflowInput *in, json_object *v, FILE *problems) {
        const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
        switch (in->type) {
        case INPUT_BOOLEAN:
                if (json_object_is_type(v, json_type_boolean))
                        return strdup(json_object_get_boolean(v) ? "true" : "false");
                if (s && (streq(s, "true") || streq(s, "false")))
                        return strdup(s);
                fprintf(problems, " The input \"%s\" is a boolean: true or false.", in->name);
                return NULL;
        case INPUT_NUMBER:
                if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))
                        return strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
                if (s && number_is_valid(s))
                        return strdup(s);
                fprintf(problems, " The input \"%s\" is a number.", in->name);
                return NULL;
        case INPUT_CHOICE: {
                if (s && strv_contains(in->options, s))
                        return strdup(s);
                _cleanup_free_ char *options = strv_join(in->options, ", ");
                fprintf(problems, " The input \"%s\" is one of: %s.", in->name, strempty(options));
                return NULL;
        }
        case INPUT_STRING:
        case INPUT_ENVIRONMENT:
        default:
                if (s)
                        return strdup(s);
                fprintf(problems, " The input \"%s\" is a string.", in->name);
                return NULL;
        }
}

int workflow_inputs_check(const WorkflowInputs *w, json_object *given, json_object **ret, char **ret_error) {
        *ret = NULL;
        *ret_error = NULL;
        _cleanup_json_ json_object *out = json_object_new_object();
        char *problems_text = NULL;
        size_t problems_size = 0;
        FILE *problems = open_memstream(&problems_text, &problems_size);
        if (!out || !problems) {
                if (problems)
                        fclose(problems);
                free(problems_text);
                return -ENOMEM;
        }

        if (given && json_object_object_length(given) > (int) WORKFLOW_INPUTS_MAX)
                fprintf(problems, " GitHub takes at most %u inputs.", WORKFLOW_INPUTS_MAX);
        if (given) {
                json_object_object_foreach (given, name, value) {
                        const WorkflowInput *in = input_find(w, name);
                        if (!in) {
                                fprintf(problems, " The workflow declares no input \"%s\".", name);
                                continue;
                        }
                        char *s = input_value(in, value, problems);
                        if (s)
                                (void) json_add(out, name, json_object_new_string(s));
                        free(s);
                }
        }
        for (size_t i = 0; i < w->n_inputs; i++) {
                const WorkflowInput *in = &w->inputs[i];
                json_object *v;
                if (in->required && !in->default_value && !(given && json_object_object_get_ex(given, in->name, &v)))
                        fprintf(problems, " The input \"%s\" is required.", in->name);
        }
        if (fclose(problems) != 0) {
                free(problems_text);
                return -ENOMEM;
        }
        if (problems_size > 0) {
                *ret_error = problems_text;
                memmove(*ret_error, *ret_error + 1, problems_size); /* the leading space */
                return -EINVAL;
        }
        free(problems_text);
        *ret = TAKE_PTR(out);
        return 0;
}

json_object *workflow_inputs_describe(const WorkflowInputs *w) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; a && i < w->n_inputs; i++) {
                const WorkflowInput *in = &w->inputs[i];
                json_object *o = json_object_new_object();
                json_object *options = NULL;
                if (in->options) {
                        options = json_object_new_array();
                        for (char **p = in->options; options && *p; p++)
                                (void) json_object_array_add(options, json_object_new_string(*p));
                }
                if (!o || json_add_string(o, "name", in->name) < 0 ||
                        json_add_string(o, "type", type_names[in->type]) < 0 ||
                        json_add(o, "required", json_object_new_boolean(in->required)) < 0 ||
                        (in->default_value && json_add_string(o, "default", in->default_value) < 0) ||
                        (in->description && json_add_string(o, "description", in->description) < 0) ||
                        (options && json_add(o, "options", TAKE_PTR(options)) < 0) || json_object_array_add(a, o) < 0) {
                        json_object_put(options);
                        json_object_put(o);
                        return (json_object_put(a), NULL);
                }
        }
        return a;
}
