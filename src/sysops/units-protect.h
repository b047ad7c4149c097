/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: the units system_unit_control never stops, restarts, disables or starts, and the check. */
#pragma once

#include "units-internal.h"

/* Why the action may not be done to the unit with these properties (control_properties), or NULL; with
 * the unit in the way in *ret_unit. */
const char *control_refusal(UnitCall *c, json_object *properties, const char **ret_unit);
