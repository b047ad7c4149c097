/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Mono 16-bit PCM buffers. */
#include <math.h>

#include "pcm.h"

int voice_pcm_append(VoicePcm *p, const int16_t *samples, size_t n) {
        if (n == 0)
                return 0;
        if (p->n + n > p->allocated) {
                size_t want = MAX(p->allocated * 2, p->n + n);
                want = MAX(want, (size_t) 16384);
                int16_t *s = realloc(p->samples, want * sizeof(int16_t));
                if (!s)
                        return -ENOMEM;
                p->samples = s;
                p->allocated = want;
        }
        memcpy(p->samples + p->n, samples, n * sizeof(int16_t));
        p->n += n;
        return 0;
}

void voice_pcm_done(VoicePcm *p) {
        p->samples = mfree(p->samples);
        p->n = p->allocated = 0;
}

double voice_pcm_rms(const int16_t *samples, size_t n) {
        if (n == 0)
                return 0;
        double sum = 0;
        for (size_t i = 0; i < n; i++)
                sum += (double) samples[i] * samples[i];
        return sqrt(sum / n);
}
