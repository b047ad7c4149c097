/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* browser_select_option and browser_fill_form: fields set as a user would leave them, with their input and
 * change events. */
#include <stdio.h>

#include "action.h"
#include "mcp-request.h"

static json_object *arguments_of(McpRequest *req) {
        return json_get_object(mcp_request_get_params(req), "arguments");
}

/* Both run on the element in the tab's isolated world; they answer {error} or what they did. */
static const char select_function[] =
        "function(values, one) {"
        "  if (this.localName !== 'select') return { error: 'it is not a select element (a combobox or listbox)' };"
        "  if (!this.multiple && values.length > 1) return { error: 'it takes one option, not ' + values.length };"
        "  const wanted = (o) => values.includes(o.value) || values.includes(o.label) ||"
        "    values.includes(o.textContent.trim());"
        "  const hits = [...this.options].filter(wanted);"
        "  if (hits.length === 0) return { error: 'it has none of those options; it has: ' +"
        "    [...this.options].map((o) => JSON.stringify(o.label)).join(', ') };"
        "  for (const o of this.options) o.selected = hits.includes(o);"
        "  this.dispatchEvent(new Event('input', { bubbles: true }));"
        "  this.dispatchEvent(new Event('change', { bubbles: true }));"
        "  return { selected: hits.map((o) => o.label) };"
        "}";

static const char fill_function[] =
        "function(type, value) {"
        "  const fire = () => { this.dispatchEvent(new Event('input', { bubbles: true }));"
        "    this.dispatchEvent(new Event('change', { bubbles: true })); };"
        "  if (type === 'checkbox' || type === 'radio') {"
        "    if (value !== 'true' && value !== 'false') return { error: 'a ' + type + ' takes \"true\" or \"false\"' };"
        "    const want = value === 'true';"
        "    if (!('checked' in this)) return { error: 'it is not a ' + type };"
        "    if (this.checked !== want) this.click();"
        "    return this.checked === want ? { done: true } : { error: 'it did not change (disabled, or a radio cannot"
        " be unticked)' };"
        "  }"
        "  if (type === 'combobox') {"
        "    if (this.localName !== 'select') return { error: 'it is not a select element' };"
        "    const o = [...this.options].find((o) => o.value === value || o.label === value ||"
        "      o.textContent.trim() === value);"
        "    if (!o) return { error: 'it has no option ' + JSON.stringify(value) };"
        "    this.value = o.value; fire(); return { done: true };"
        "  }"
        "  if (this.disabled || this.readOnly) return { error: 'it is disabled or read-only' };"
        "  this.focus();"
        "  const d = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(this), 'value');"
        "  if (d && d.set) d.set.call(this, value);"
        "  else if (this.isContentEditable) this.textContent = value;"
        "  else return { error: 'it takes no text' };"
        "  fire(); return { done: true };"
        "}";

static void call_on(Tab *t, McpRequest *req, const char *cdp_session, const char *object_id, const char *function,
        json_object *args, TabReply reply, void *userdata) {
        json_object *p = json_object_new_object();
        json_add_string(p, "objectId", object_id);
        json_add_string(p, "functionDeclaration", function);
        json_add(p, "arguments", args);
        json_add(p, "returnByValue", json_object_new_boolean(true));
        json_add(p, "userGesture", json_object_new_boolean(true));
        (void) tab_send_to(t, cdp_session, req, "Runtime.callFunctionOn", p, reply, userdata);
}

static json_object *call_value(json_object *result) {
        json_object *r = result ? json_get_object(result, "result") : NULL;
        return r ? json_get_object(r, "value") : NULL;
}

/* --- select_option ------------------------------------------------------------------------------------- */

static void on_selected(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        json_object *arguments = arguments_of(req);
        json_object *v = call_value(result);
        const char *problem = error ?: json_get_string(v, "error");
        if (problem || !v) {
                (void) mcp_request_reply_tool_error(req, "Selecting in %.200s (%s) failed: %s.",
                        strempty(json_get_string(arguments, "element")), strempty(json_get_string(arguments, "ref")),
                        problem ?: "no answer");
                return;
        }
        char what[600];
        snprintf(what, sizeof(what), "Selected %.300s in %.200s (%s)", json_to_string(json_get_array(v, "selected")),
                strempty(json_get_string(arguments, "element")), strempty(json_get_string(arguments, "ref")));
        free(t->action_what);
        t->action_what = strdup(what);
        action_settle(req, t);
}

static void select_on(McpRequest *req, Tab *t, const char *cdp_session, const char *object_id, void *userdata) {
        json_object *values = json_get_array(arguments_of(req), "values");
        json_object *args = json_object_new_array();
        json_object *a = json_object_new_object();
        json_add(a, "value", json_object_get(values));
        json_object_array_add(args, a);
        action_begin(t, req, "Selected");
        call_on(t, req, cdp_session, object_id, select_function, args, on_selected, NULL);
}

static void select_in_tab(McpRequest *req, Tab *t) {
        (void) tab_resolve_ref(t, req, json_get_string(arguments_of(req), "ref"), select_on, NULL);
}

int tool_browser_select_option(McpRequest *req, json_object *arguments) {
        return browser_with_tab(req, select_in_tab);
}

/* --- fill_form ------------------------------------------------------------------------------------------- */

static void fill_next(McpRequest *req, Tab *t, size_t index);

static void on_filled(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        size_t index = (size_t) userdata;
        json_object *field = json_object_array_get_idx(json_get_array(arguments_of(req), "fields"), index);
        json_object *v = call_value(result);
        const char *problem = error ?: json_get_string(v, "error");
        if (problem || !v) {
                (void) mcp_request_reply_tool_error(req,
                        "Filling %.200s (%s) failed: %s. The fields before it are set.",
                        strempty(json_get_string(field, "name")), strempty(json_get_string(field, "ref")),
                        problem ?: "no answer");
                return;
        }
        fill_next(req, t, index + 1);
}

static void fill_on(McpRequest *req, Tab *t, const char *cdp_session, const char *object_id, void *userdata) {
        size_t index = (size_t) userdata;
        json_object *field = json_object_array_get_idx(json_get_array(arguments_of(req), "fields"), index);
        json_object *args = json_object_new_array();
        json_object *a = json_object_new_object(), *b = json_object_new_object();
        json_add_string(a, "value", json_get_string(field, "type"));
        json_add_string(b, "value", json_get_string(field, "value"));
        json_object_array_add(args, a);
        json_object_array_add(args, b);
        call_on(t, req, cdp_session, object_id, fill_function, args, on_filled, userdata);
}

static void fill_next(McpRequest *req, Tab *t, size_t index) {
        json_object *fields = json_get_array(arguments_of(req), "fields");
        if (index >= json_object_array_length(fields)) {
                char what[64];
                snprintf(what, sizeof(what), "Filled %zu fields", json_object_array_length(fields));
                free(t->action_what);
                t->action_what = strdup(what);
                action_settle(req, t);
                return;
        }
        json_object *field = json_object_array_get_idx(fields, index);
        (void) tab_resolve_ref(t, req, json_get_string(field, "ref"), fill_on, (void *) index);
}

static void fill_in_tab(McpRequest *req, Tab *t) {
        action_begin(t, req, "Filled the form");
        fill_next(req, t, 0);
}

int tool_browser_fill_form(McpRequest *req, json_object *arguments) {
        return browser_with_tab(req, fill_in_tab);
}
