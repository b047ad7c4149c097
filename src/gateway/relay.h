/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /servers/<name>/mcp: the engine that relays one backend. */
#pragma once

#include "backend.h"

int relay_new(Backend *b);
void relay_free(Backend *b);
