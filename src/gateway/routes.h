/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The gateway's URLs. */
#pragma once

#include "gateway.h"

const McpHttpRouter *routes_router(Gateway *g, McpHttpRouter *router);
