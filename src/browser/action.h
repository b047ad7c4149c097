/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the acting tools (input.c, form.c) share. */
#pragma once

#include "browser.h"

/* The request acts on the tab: a dialog the action opens answers it at once (with what). */
void action_begin(Tab *t, McpRequest *req, const char *what);
/* Answers once the page had a moment to start a navigation, and that navigation loaded (or timed out). */
void action_settle(McpRequest *req, Tab *t);
/* Answers now: what was done, and where the page is. */
void action_reply(McpRequest *req, Tab *t, const char *what);

/* The centre of the element ref names, in CSS pixels of the viewport, after scrolling it into view. */
typedef void (*CenterReply)(McpRequest *req, Tab *t, double x, double y, const char *object_id, void *userdata);
int action_element_center(Tab *t, McpRequest *req, const char *ref, CenterReply then, void *userdata);

/* Input.dispatchMouseEvent; button NULL for a move with no button held, or the one held during a move (a drag).
 * Without reply, fire and forget. */
int action_mouse(Tab *t, McpRequest *req, const char *type, double x, double y, const char *button, int click_count,
        int modifiers, TabReply reply, void *userdata);

typedef struct ActionKey {
        char key[32], code[32], text[8];
        int key_code;
        int modifiers; /* Alt 1, Control 2, Meta 4, Shift 8 */
} ActionKey;
/* "Enter", "a", "Control+a", "Shift+Tab": -EINVAL for what is none of them. */
int action_key_parse(const char *spec, ActionKey *ret);
/* The key down and up; reply after the key up. */
int action_key(Tab *t, McpRequest *req, const ActionKey *k, TabReply reply, void *userdata);
