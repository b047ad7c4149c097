/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Speech synthesis with libespeak-ng: text or SSML to mono 16-bit PCM at the engine's rate. */
#pragma once

#include <stdbool.h>

#include "job.h"
#include "pcm.h"

typedef struct SynthOptions {
        const char *text;
        bool ssml;
        const char *voice; /* a name, identifier or language from voice_voices; NULL: English (en-us) */
        int rate;          /* words per minute, 80-450 */
        int pitch;         /* 0-100 */
        int volume;        /* 0-200, 100 normal */
} SynthOptions;

/* Once per process, before fork(): loads the engine's data. Returns its sample rate or a negative errno. */
int voice_synth_init(void);
/* The voices and languages: [{"name", "identifier", "languages": [...], "gender"}], a new array. */
json_object *voice_synth_voices(void);
/* Whether name picks a voice (voice_synth() fails for it otherwise). */
bool voice_synth_voice_exists(const char *name);
/* In a job's child: speaks o into out, reporting progress through c. Returns 0, or a negative errno after
 * voice_child_fail(). Speech longer than VOICE_MAX_SECONDS is an error, never cut short. */
int voice_synth(VoiceChild *c, const SynthOptions *o, VoicePcm *out);
