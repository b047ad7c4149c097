/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-browserd: its whole surface, the table of its tools; their schemas are in schemas/. */
#include "browser.h"
#include "schemas.h"

#define READ_ONLY "{\"readOnlyHint\":true,\"idempotentHint\":true,\"openWorldHint\":true}"
#define ACTS "{\"readOnlyHint\":false,\"destructiveHint\":false,\"idempotentHint\":false,\"openWorldHint\":true}"

const McpTool browser_tools[] = {
        { .name = "browser_navigate",
                .title = "Open a page",
                .description = "Opens an http:// or https:// URL in this session's current tab and waits for it to "
                               "load (at most NavigationTimeoutSec=, default 30 s). Every request the page makes is "
                               "checked against the administrator's origin policy; a refused origin is an error "
                               "that says why. file:, data:, javascript:, chrome: and devtools: URLs are refused.",
                .input_schema = browser_schema_browser_navigate_input,
                .output_schema = browser_schema_browser_page_output,
                .annotations = ACTS,
                .polkit_action = BROWSER_ACTION_NAVIGATE,
                .polkit_detail_argument = "url",
                .polkit_required = true,
                .handler = tool_browser_navigate },
        { .name = "browser_navigate_back",
                .title = "Go back",
                .description = "Goes back to the previous page of the current tab's history.",
                .input_schema = browser_schema_browser_none_input,
                .output_schema = browser_schema_browser_page_output,
                .annotations = ACTS,
                .polkit_action = BROWSER_ACTION_NAVIGATE,
                .polkit_required = true,
                .handler = tool_browser_navigate_back },
        { .name = "browser_snapshot",
                .title = "Page snapshot",
                .description =
                        "The current page as an accessibility tree in YAML-like lines: - role \"name\" [flags] "
                        "[ref=b12]: value; h2 \"name\" is a heading of level 2, a line in quotes is text, and "
                        "siblings of one role share a line (- link \"A\" [ref=b1], \"B\" [ref=b2]). Every element "
                        "one can act on has a ref for the other tools. At most max_chars characters "
                        "(default 20000) and depth levels (default 40): what was left out is said at the end, with "
                        "how to ask for it; ref= shows the part below one element.",
                .input_schema = browser_schema_browser_snapshot_input,
                .output_schema = browser_schema_browser_snapshot_output,
                .annotations = READ_ONLY,
                .polkit_action = BROWSER_ACTION_READ,
                .polkit_required = true,
                .handler = tool_browser_snapshot },
        { .name = "browser_click",
                .title = "Click",
                .description = "Clicks an element of the last snapshot (ref) with real mouse events at its centre, "
                               "after scrolling it into view: a double click, another button or modifier keys on "
                               "request. Waits for a navigation it starts; a dialog it opens is told at once.",
                .input_schema = browser_schema_browser_click_input,
                .output_schema = browser_schema_browser_action_output,
                .annotations = ACTS,
                .polkit_action = BROWSER_ACTION_INTERACT,
                .polkit_required = true,
                .handler = tool_browser_click },
        { .name = "browser_hover",
                .title = "Hover",
                .description = "Moves the mouse over an element of the last snapshot (ref).",
                .input_schema = browser_schema_browser_hover_input,
                .output_schema = browser_schema_browser_action_output,
                .annotations = ACTS,
                .polkit_action = BROWSER_ACTION_INTERACT,
                .polkit_required = true,
                .handler = tool_browser_hover },
        { .name = "browser_drag",
                .title = "Drag and drop",
                .description = "Presses the mouse on one element (startRef), moves it in steps to another (endRef) "
                               "and releases it there.",
                .input_schema = browser_schema_browser_drag_input,
                .output_schema = browser_schema_browser_action_output,
                .annotations = ACTS,
                .polkit_action = BROWSER_ACTION_INTERACT,
                .polkit_required = true,
                .handler = tool_browser_drag },
        { .name = "browser_type",
                .title = "Type text",
                .description = "Types text into an editable element of the last snapshot (ref), replacing what it "
                               "holds: all at once, or with slowly: true one key at a time (for pages that react to "
                               "each key). submit: true presses Enter afterwards.",
                .input_schema = browser_schema_browser_type_input,
                .output_schema = browser_schema_browser_action_output,
                .annotations = ACTS,
                .polkit_action = BROWSER_ACTION_INTERACT,
                .polkit_required = true,
                .handler = tool_browser_type },
        { .name = "browser_press_key",
                .title = "Press a key",
                .description = "Presses a key in the page (where the focus is): a name such as Enter, Tab, Escape, "
                               "ArrowDown, or one character, optionally with modifiers (Control+a, Shift+Tab).",
                .input_schema = browser_schema_browser_press_key_input,
                .output_schema = browser_schema_browser_action_output,
                .annotations = ACTS,
                .polkit_action = BROWSER_ACTION_INTERACT,
                .polkit_required = true,
                .handler = tool_browser_press_key },
        { .name = "browser_select_option",
                .title = "Select options",
                .description = "Selects options, by value or label, in a select element of the last snapshot (ref); "
                               "the others are deselected. An option that is not there is an error naming those "
                               "that are.",
                .input_schema = browser_schema_browser_select_option_input,
                .output_schema = browser_schema_browser_action_output,
                .annotations = ACTS,
                .polkit_action = BROWSER_ACTION_INTERACT,
                .polkit_required = true,
                .handler = tool_browser_select_option },
        { .name = "browser_fill_form",
                .title = "Fill a form",
                .description = "Sets several fields in one call, in order: text boxes to their text, checkboxes and "
                               "radio buttons to \"true\" or \"false\", comboboxes to an option's value or label, "
                               "sliders to a value, each with its input and change events. Stops at the first field "
                               "that cannot be set and says which.",
                .input_schema = browser_schema_browser_fill_form_input,
                .output_schema = browser_schema_browser_action_output,
                .annotations = ACTS,
                .polkit_action = BROWSER_ACTION_INTERACT,
                .polkit_required = true,
                .handler = tool_browser_fill_form },
        { .name = "browser_file_upload",
                .title = "Upload files",
                .description = "Sets files of IDE workspaces (aios-ided; ide_workspaces lists them) on a file input "
                               "of the last snapshot (ref): aios-ided opens each for the principal this call acts "
                               "for, if polkit lets it read the file (as ide_read_file would). Nothing else of "
                               "this machine can be uploaded. At most 10 files of 64 MiB each.",
                .input_schema = browser_schema_browser_file_upload_input,
                .output_schema = browser_schema_browser_action_output,
                .annotations = ACTS,
                .polkit_action = BROWSER_ACTION_UPLOAD,
                .polkit_required = true,
                .handler = tool_browser_file_upload },
        { .name = "browser_handle_dialog",
                .title = "Answer a dialog",
                .description = "Accepts or dismisses the JavaScript dialog (alert, confirm, prompt, beforeunload) "
                               "that stops the current page, with promptText as a prompt's answer. Other tools say "
                               "when a dialog is open.",
                .input_schema = browser_schema_browser_handle_dialog_input,
                .output_schema = browser_schema_browser_action_output,
                .annotations = ACTS,
                .polkit_action = BROWSER_ACTION_INTERACT,
                .polkit_required = true,
                .handler = tool_browser_handle_dialog },
        { .name = "browser_wait_for",
                .title = "Wait for text",
                .description = "Waits until text is on the page (or, with textGone, no longer is), looking every "
                               "200 ms for at most time seconds (default 30); or, with time alone, just waits.",
                .input_schema = browser_schema_browser_wait_for_input,
                .output_schema = browser_schema_browser_wait_for_output,
                .annotations = READ_ONLY,
                .polkit_action = BROWSER_ACTION_READ,
                .polkit_required = true,
                .handler = tool_browser_wait_for },
        { .name = "browser_take_screenshot",
                .title = "Screenshot",
                .description = "The viewport, the whole page (fullPage) or one element (ref) as a PNG or JPEG image. "
                               "browser_snapshot is what to act on; a screenshot is for looking.",
                .input_schema = browser_schema_browser_take_screenshot_input,
                .output_schema = browser_schema_browser_take_screenshot_output,
                .annotations = READ_ONLY,
                .polkit_action = BROWSER_ACTION_READ,
                .polkit_required = true,
                .handler = tool_browser_take_screenshot },
        { .name = "browser_pdf_save",
                .title = "Save as PDF",
                .description = "Prints the current page to PDF and returns it as an embedded resource "
                               "(application/pdf).",
                .input_schema = browser_schema_browser_pdf_save_input,
                .output_schema = browser_schema_browser_pdf_save_output,
                .annotations = READ_ONLY,
                .polkit_action = BROWSER_ACTION_READ,
                .polkit_required = true,
                .handler = tool_browser_pdf_save },
        { .name = "browser_console_messages",
                .title = "Console messages",
                .description = "The current tab's console messages and uncaught errors (the last 200), optionally "
                               "from a level up; clear: true forgets them.",
                .input_schema = browser_schema_browser_console_messages_input,
                .output_schema = browser_schema_browser_console_messages_output,
                .annotations = READ_ONLY,
                .polkit_action = BROWSER_ACTION_READ,
                .polkit_required = true,
                .handler = tool_browser_console_messages },
        { .name = "browser_network_requests",
                .title = "Network requests",
                .description = "The current tab's requests (the last 500): method, URL, type and status, and for "
                               "each one the origin policy refused, why. blockedOnly: true lists only those.",
                .input_schema = browser_schema_browser_network_requests_input,
                .output_schema = browser_schema_browser_network_requests_output,
                .annotations = READ_ONLY,
                .polkit_action = BROWSER_ACTION_READ,
                .polkit_required = true,
                .handler = tool_browser_network_requests },
        { .name = "browser_resize",
                .title = "Resize the viewport",
                .description = "Sets the current tab's viewport to width x height CSS pixels.",
                .input_schema = browser_schema_browser_resize_input,
                .output_schema = browser_schema_browser_action_output,
                .annotations = ACTS,
                .polkit_action = BROWSER_ACTION_INTERACT,
                .polkit_required = true,
                .handler = tool_browser_resize },
        { .name = "browser_tabs",
                .title = "Tabs",
                .description = "Lists this session's tabs, opens a new one (with url: and a page in it, under "
                               "browser_navigate's rules), makes one current (select) or closes one (close; the "
                               "current one without index).",
                .input_schema = browser_schema_browser_tabs_input,
                .output_schema = browser_schema_browser_tabs_output,
                .annotations = ACTS,
                .polkit_action = BROWSER_ACTION_INTERACT,
                .polkit_required = true,
                .handler = tool_browser_tabs },
        { .name = "browser_close",
                .title = "Close the browser",
                .description = "Closes this session's browser context: every tab, its cookies and storage. The next "
                               "call starts a fresh one.",
                .input_schema = browser_schema_browser_none_input,
                .output_schema = browser_schema_browser_close_output,
                .annotations = "{\"readOnlyHint\":false,\"destructiveHint\":true,\"idempotentHint\":true,"
                               "\"openWorldHint\":false}",
                .polkit_action = BROWSER_ACTION_INTERACT,
                .polkit_required = true,
                .handler = tool_browser_close },
        { .name = "browser_evaluate",
                .title = "Run JavaScript",
                .description = "Runs a JavaScript function in the current page's own world and returns its result "
                               "as JSON (a promise is awaited; at most 1 MiB). With ref the element is its argument: "
                               "(element) => element.textContent. Off unless polkit allows "
                               "org.aios.browser.evaluate.",
                .input_schema = browser_schema_browser_evaluate_input,
                .output_schema = browser_schema_browser_evaluate_output,
                .annotations = "{\"readOnlyHint\":false,\"destructiveHint\":true,\"idempotentHint\":false,"
                               "\"openWorldHint\":true}",
                .polkit_action = BROWSER_ACTION_EVALUATE,
                .polkit_required = true,
                .handler = tool_browser_evaluate },
        {}
};

int browser_add_tools(McpServer *server) {
        for (const McpTool *t = browser_tools; t->name; t++) {
                int r = mcp_server_add_tool(server, t);
                if (r < 0)
                        return r;
        }
        return 0;
}
