#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Embeds the page reader (snapshot.js) as the C string snapshot_script.
# usage: embed-script.py IN.js OUT.c
import json
import sys

with open(sys.argv[1], encoding='utf-8') as f:
    source = f.read()
with open(sys.argv[2], 'w') as f:
    f.write('/* Generated from snapshot.js by embed-script.py. */\n#include "snapshot.h"\n\n')
    f.write('const char snapshot_script[] = ' + json.dumps(source) + ';\n')
