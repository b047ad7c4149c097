/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Speech synthesis with libespeak-ng in synchronous mode: the engine calls back with each chunk of samples. */
#include <espeak-ng/speak_lib.h>
#include <strings.h>

#include "log.h"
#include "synth.h"

static int synth_rate;

typedef struct SynthRun {
        VoiceChild *child;
        VoicePcm *out;
        size_t text_length;
        int last_percent;
        int error;
} SynthRun;

int voice_synth_init(void) {
        if (synth_rate > 0)
                return synth_rate;
        int rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL, espeakINITIALIZE_DONT_EXIT);
        if (rate <= 0)
                return log_error_errno(ENOENT, "libespeak-ng could not load its data (espeak-ng-data).");
        synth_rate = rate;
        return rate;
}

static const char *gender_name(unsigned char g) {
        return g == 1 ? "male" : g == 2 ? "female" : "unknown";
}

json_object *voice_synth_voices(void) {
        _cleanup_json_ json_object *list = json_object_new_array();
        if (!list)
                return NULL;
        for (const espeak_VOICE **v = espeak_ListVoices(NULL); v && *v; v++) {
                _cleanup_json_ json_object *o = json_object_new_object();
                _cleanup_json_ json_object *langs = json_object_new_array();
                if (!o || !langs)
                        return NULL;
                /* languages: a priority byte, a NUL-terminated name, ..., and a 0 byte at the end. */
                for (const char *l = (*v)->languages; l && *l;) {
                        const char *name = l + 1;
                        if (json_object_array_add(langs, json_object_new_string(name)) < 0)
                                return NULL;
                        l = name + strlen(name) + 1;
                }
                if (json_add_string(o, "name", (*v)->name) < 0 ||
                        json_add_string(o, "identifier", (*v)->identifier) < 0 ||
                        json_add(o, "languages", TAKE_PTR(langs)) < 0 ||
                        json_add_string(o, "gender", gender_name((*v)->gender)) < 0 ||
                        json_object_array_add(list, TAKE_PTR(o)) < 0)
                        return NULL;
        }
        return TAKE_PTR(list);
}

bool voice_synth_voice_exists(const char *voice) {
        /* "en-us+f3": a voice and one of espeak-ng's variants, which the child's set_voice() checks. */
        char name[128];
        snprintf(name, sizeof(name), "%s", voice);
        name[strcspn(name, "+")] = 0;
        for (const espeak_VOICE **v = espeak_ListVoices(NULL); v && *v; v++) {
                if (strcasecmp((*v)->name, name) == 0 || strcasecmp((*v)->identifier, name) == 0)
                        return true;
                for (const char *l = (*v)->languages; l && *l; l += strlen(l + 1) + 2)
                        if (strcasecmp(l + 1, name) == 0)
                                return true;
        }
        return false;
}

static SynthRun *current;

static int on_samples(short *wav, int n, espeak_EVENT *events) {
        SynthRun *s = current;
        if (!wav)
                return 0;
        if (s->out->n + (size_t) n > (size_t) VOICE_MAX_SECONDS * s->out->rate) {
                s->error = -EFBIG;
                return 1; /* stops the synthesis */
        }
        if (voice_pcm_append(s->out, wav, (size_t) n) < 0) {
                s->error = -ENOMEM;
                return 1;
        }
        for (espeak_EVENT *e = events; e && e->type != espeakEVENT_LIST_TERMINATED; e++)
                if (e->type == espeakEVENT_WORD && s->text_length > 0) {
                        int percent = (int) (100.0 * e->text_position / s->text_length);
                        if (percent >= s->last_percent + 10) {
                                s->last_percent = percent;
                                voice_child_progress(s->child, MIN(percent, 100), 100, "Speaking");
                        }
                }
        return 0;
}

/* A voice by its name, identifier ("gmw/en-US") or language ("en-gb"), then espeak-ng's variant ("+klatt"), if
 * any: espeak_SetVoiceByName() takes "NAME+VARIANT" with the voice's own name. */
static espeak_ERROR set_voice(const char *voice) {
        char base[128];
        snprintf(base, sizeof(base), "%s", voice);
        base[strcspn(base, "+")] = 0;
        const char *variant = strchr(voice, '+');
        for (const espeak_VOICE **v = espeak_ListVoices(NULL); v && *v; v++) {
                bool match = strcasecmp((*v)->name, base) == 0 || strcasecmp((*v)->identifier, base) == 0;
                for (const char *l = (*v)->languages; !match && l && *l; l += strlen(l + 1) + 2)
                        match = strcasecmp(l + 1, base) == 0;
                if (!match)
                        continue;
                char full[256];
                snprintf(full, sizeof(full), "%s%s", (*v)->name, strempty(variant));
                return espeak_SetVoiceByName(full);
        }
        return EE_NOT_FOUND;
}

int voice_synth(VoiceChild *c, const SynthOptions *o, VoicePcm *out) {
        assert(synth_rate > 0);
        out->rate = (unsigned) synth_rate;
        const char *voice = o->voice ?: "en-us";
        if (set_voice(voice) != EE_OK) {
                voice_child_fail(c, "There is no voice \"%s\"; voice_voices lists them.", voice);
                return -ENOENT;
        }
        (void) espeak_SetParameter(espeakRATE, o->rate, 0);
        (void) espeak_SetParameter(espeakPITCH, o->pitch, 0);
        (void) espeak_SetParameter(espeakVOLUME, o->volume, 0);

        SynthRun run = { .child = c, .out = out, .text_length = strlen(o->text) };
        current = &run;
        espeak_SetSynthCallback(on_samples);
        unsigned flags = espeakCHARS_UTF8 | (o->ssml ? espeakSSML : 0);
        espeak_ERROR e = espeak_Synth(o->text, strlen(o->text) + 1, 0, POS_CHARACTER, 0, flags, NULL, NULL);
        if (e == EE_OK)
                e = espeak_Synchronize();
        current = NULL;
        if (run.error == -EFBIG) {
                voice_child_fail(c, "The speech would last more than %u s; say it in shorter parts.",
                        VOICE_MAX_SECONDS);
                return run.error;
        }
        if (run.error < 0) {
                voice_child_fail(c, "Out of memory while speaking.");
                return run.error;
        }
        if (e != EE_OK) {
                voice_child_fail(c, "libespeak-ng could not speak the text (error %d).", (int) e);
                return -EIO;
        }
        if (out->n == 0) {
                voice_child_fail(c, "The text has nothing to say: libespeak-ng made no sound of it.");
                return -ENODATA;
        }
        return 0;
}
