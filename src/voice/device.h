/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host's audio devices through ALSA (and PipeWire or PulseAudio through ALSA's plugins, where present):
 * playing PCM, and recording until a bound or until silence. */
#pragma once

#include "job.h"
#include "pcm.h"

/* The ALSA PCM names: $AIOS_VOICE_OUTPUT and $AIOS_VOICE_INPUT, "default" without them. */
const char *voice_output_device(void);
const char *voice_input_device(void);

/* In a job's child: plays pcm to the end. Returns 0, or a negative errno after voice_child_fail(). */
int voice_play(VoiceChild *c, const VoicePcm *pcm);

typedef struct ListenOptions {
        double max_seconds;     /* the recording's bound */
        double silence_seconds; /* after speech, this much silence ends it */
        double threshold;       /* RMS (0-32768) above which a 100 ms block counts as sound */
} ListenOptions;

/* In a job's child: records VOICE_RECOGNIZER_RATE mono into out. Input that never rose above the threshold
 * is an error (-ENODATA), as is a missing device. */
int voice_record(VoiceChild *c, const ListenOptions *o, VoicePcm *out);
