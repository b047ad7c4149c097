/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pocketsphinx 5prealpha: a decoder per job (its child has it to itself), fed half a second at a time. */
#include <ctype.h>
#include <math.h>
#include <pocketsphinx.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#include "log.h"
#include "mcp-request.h"
#include "recognize.h"
#include "voice.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(ps_decoder_t *, ps_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(cmd_ln_t *, cmd_ln_free_r);

const char *voice_model_dir(void) {
        const char *d = getenv("AIOS_VOICE_MODEL_DIR");
        return isempty(d) ? VOICE_MODEL_DIR : d;
}

int voice_model_check(void) {
        static const char *const files[] = { "en-us/mdef", "en-us.lm.bin", "cmudict-en-us.dict" };
        FOREACH_ELEMENT(f, files) {
                char path[4096];
                struct stat st;
                snprintf(path, sizeof(path), "%s/%s", voice_model_dir(), *f);
                if (stat(path, &st) < 0)
                        return -errno;
        }
        return 0;
}

/* A keyword list as a grammar: any sequence of the words and phrases, nothing else. */
static int keywords_grammar(VoiceChild *c, ps_decoder_t *ps, json_object *keywords, char **ret) {
        _cleanup_free_ char *g =
                strdup("#JSGF V1.0;\ngrammar keywords;\npublic <utterance> = <keyword>+;\n<keyword> = ");
        if (!g)
                return -ENOMEM;
        size_t n = json_object_array_length(keywords);
        for (size_t i = 0; i < n; i++) {
                const char *k = json_object_get_string(json_object_array_get_idx(keywords, i));
                _cleanup_free_ char *phrase = strdup(strempty(k));
                if (!phrase)
                        return -ENOMEM;
                /* Lower case, words of letters and apostrophes, one space between them. */
                size_t o = 0;
                for (const char *p = phrase; *p; p++) {
                        char ch = (char) tolower((unsigned char) *p);
                        if (isalpha((unsigned char) ch) || ch == '\'')
                                phrase[o++] = ch;
                        else if (isspace((unsigned char) ch) && o > 0 && phrase[o - 1] != ' ')
                                phrase[o++] = ' ';
                        else if (!isspace((unsigned char) ch)) {
                                voice_child_fail(c, "The keyword \"%s\" holds '%c': keywords are words of letters.", k,
                                        *p);
                                return -EINVAL;
                        }
                }
                while (o > 0 && phrase[o - 1] == ' ')
                        o--;
                phrase[o] = 0;
                if (o == 0) {
                        voice_child_fail(c, "A keyword is empty.");
                        return -EINVAL;
                }
                _cleanup_free_ char *words = strdup(phrase);
                if (!words)
                        return -ENOMEM;
                for (char *save = NULL, *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
                        _cleanup_free_ char *pron = ps_lookup_word(ps, w);
                        if (!pron) {
                                voice_child_fail(c,
                                        "The word \"%s\" is not in the US English dictionary, so it cannot be recognized.",
                                        w);
                                return -ENOENT;
                        }
                }
                _cleanup_free_ char *next = NULL;
                if (asprintf(&next, "%s%s%s", g, i > 0 ? " | " : "", phrase) < 0)
                        return -ENOMEM;
                free(g);
                g = TAKE_PTR(next);
        }
        _cleanup_free_ char *done = NULL;
        if (asprintf(&done, "%s;\n", g) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(done);
        return 0;
}

/* A word as the dictionary spells it, without the alternative pronunciation's "(2)". */
static void word_base(const char *w, char *buf, size_t size) {
        snprintf(buf, size, "%s", w);
        char *paren = strchr(buf, '(');
        if (paren && paren != buf)
                *paren = 0;
}

/* Silences, noises, and the "(NULL)" that keyword search puts between the words of a phrase. */
static bool word_is_filler(const char *w) {
        return w[0] == '<' || w[0] == '[' || w[0] == '(' || streq(w, "++noise++");
}

static int result_new(ps_decoder_t *ps, const char *mode, json_object **ret) {
        logmath_t *lmath = ps_get_logmath(ps);
        int frate = cmd_ln_int32_r(ps_get_config(ps), "-frate");
        if (frate <= 0)
                frate = 100;
        _cleanup_json_ json_object *words = json_object_new_array();
        _cleanup_json_ json_object *o = json_object_new_object();
        if (!words || !o)
                return -ENOMEM;
        int32 score;
        const char *hyp = ps_get_hyp(ps, &score);
        double sum = 0;
        size_t n = 0;
        for (ps_seg_t *seg = ps_seg_iter(ps); seg; seg = ps_seg_next(seg)) {
                const char *w = ps_seg_word(seg);
                if (!w || word_is_filler(w))
                        continue;
                int sf, ef;
                ps_seg_frames(seg, &sf, &ef);
                int32 ascr, lscr, lback;
                double conf = logmath_exp(lmath, ps_seg_prob(seg, &ascr, &lscr, &lback));
                conf = isfinite(conf) ? MIN(MAX(conf, 0.0), 1.0) : 0.0;
                char base[256];
                word_base(w, base, sizeof(base));
                _cleanup_json_ json_object *e = json_object_new_object();
                if (!e || json_add_string(e, "word", base) < 0 ||
                        json_add(e, "start", json_object_new_double((double) sf / frate)) < 0 ||
                        json_add(e, "end", json_object_new_double((double) (ef + 1) / frate)) < 0 ||
                        json_add(e, "confidence", json_object_new_double(round(conf * 1000) / 1000)) < 0 ||
                        json_object_array_add(words, TAKE_PTR(e)) < 0)
                        return -ENOMEM;
                sum += conf;
                n++;
        }
        /* The text from the words, so that it never holds a "(2)" the words do not. */
        _cleanup_free_ char *text = strdup("");
        for (size_t i = 0; text && i < json_object_array_length(words); i++) {
                const char *w = json_get_string(json_object_array_get_idx(words, i), "word");
                char *next = NULL;
                if (asprintf(&next, "%s%s%s", text, i > 0 ? " " : "", w) < 0)
                        next = NULL;
                free(text);
                text = next;
        }
        if (!text)
                return -ENOMEM;
        (void) hyp;
        if (json_add_string(o, "text", text) < 0 ||
                json_add(o, "confidence", json_object_new_double(n > 0 ? round(sum / n * 1000) / 1000 : 0)) < 0 ||
                json_add(o, "words", TAKE_PTR(words)) < 0 || json_add_string(o, "mode", mode) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(o);
        return 0;
}

/* The acoustic model and the dictionary, loaded once in the server and inherited by every job's child through
 * fork(): each child adds its own search to its copy, which nothing else sees. Not loaded at start (they are
 * 30 MB of the server's memory) but by a thread of the server's when the first recognition starts
 * (voice_recognizer_warm_up()), so that the loop goes on serving; the jobs that start before it is done load
 * their own in their child. */
static ps_decoder_t *warm; /* set on the loop once the thread is done */

static ps_decoder_t *decoder_new(void) {
        char hmm[4096], dict[4096];
        snprintf(hmm, sizeof(hmm), "%s/en-us", voice_model_dir());
        snprintf(dict, sizeof(dict), "%s/cmudict-en-us.dict", voice_model_dir());
        /* Word posteriors (the confidence) come from the lattice, which -bestpath builds. No search yet: the
         * language model or a grammar comes per call. */
        _cleanup_(cmd_ln_free_rp) cmd_ln_t *config = cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", hmm, "-dict", dict,
                "-logfn", "/dev/null", "-bestpath", "yes", NULL);
        return config ? ps_init(config) : NULL;
}

static struct {
        bool started;
        pthread_t thread;
        int eventfd; /* written by the thread when it is done */
        sd_event_source *source;
        ps_decoder_t *loaded; /* the thread's, read after the join */
} loader = { .eventfd = -EBADF };

static void *loader_run(void *userdata) {
        loader.loaded = decoder_new();
        uint64_t one = 1;
        (void) write(loader.eventfd, &one, sizeof(one));
        return NULL;
}

static int on_loaded(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        (void) pthread_join(loader.thread, NULL);
        warm = loader.loaded;
        loader.source = sd_event_source_disable_unref(loader.source);
        loader.eventfd = safe_close(loader.eventfd);
        if (warm)
                log_debug("The speech model is loaded: the next recognitions' children inherit it.");
        else
                log_warning("The speech model in %s could not be loaded: each recognition loads its own.",
                        voice_model_dir());
        return 0;
}

int voice_recognizer_warm_up(sd_event *event) {
        if (loader.started)
                return 0;
        if (voice_model_check() < 0)
                return -ENOENT;

        loader.eventfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (loader.eventfd < 0)
                return -errno;
        int r = sd_event_add_io(event, &loader.source, loader.eventfd, EPOLLIN, on_loaded, NULL);
        if (r >= 0)
                r = -pthread_create(&loader.thread, NULL, loader_run, NULL);
        if (r < 0) {
                loader.source = sd_event_source_disable_unref(loader.source);
                loader.eventfd = safe_close(loader.eventfd);
                return r;
        }
        loader.started = true;
        return 0;
}

int voice_recognition_start(McpRequest *req, const VoiceJobSpec *spec) {
        int r = voice_job_start(req, spec);
        if (r < 0)
                return voice_reply_job_error(req, r);
        /* After the fork: this job's child loads the model itself, the server loads it for the next ones. */
        r = voice_recognizer_warm_up(mcp_request_get_event(req));
        if (r < 0 && r != -ENOENT)
                log_warning_errno(r, "Failed to start loading the speech model: each recognition loads its own. (%m)");
        return 0;
}

int voice_recognize(VoiceChild *c, const VoicePcm *pcm, const RecognizeOptions *o, json_object **ret) {
        assert(pcm->rate == VOICE_RECOGNIZER_RATE);
        bool constrained = o->grammar || o->keywords;
        voice_child_progress(c, 0, 100, "Loading the speech model");
        ps_decoder_t *ps = warm ?: (warm = decoder_new());
        if (!ps) {
                voice_child_fail(c, "The speech model in %s could not be loaded.", voice_model_dir());
                return -EIO;
        }
        if (!constrained) {
                /* The language model is most of a free-form call's start, and of its memory: only the calls
                 * that need it load it. */
                char lm[4096];
                snprintf(lm, sizeof(lm), "%s/en-us.lm.bin", voice_model_dir());
                if (ps_set_lm_file(ps, "free", lm) < 0 || ps_set_search(ps, "free") < 0) {
                        voice_child_fail(c, "The language model %s could not be loaded.", lm);
                        return -EIO;
                }
        }
        const char *mode = "free";
        if (constrained) {
                _cleanup_free_ char *jsgf = NULL;
                if (o->keywords) {
                        int r = keywords_grammar(c, ps, o->keywords, &jsgf);
                        if (r < 0)
                                return r;
                        mode = "keywords";
                } else
                        mode = "grammar";
                if (ps_set_jsgf_string(ps, "commands", jsgf ?: o->grammar) < 0 || ps_set_search(ps, "commands") < 0) {
                        voice_child_fail(c,
                                "The %s could not be compiled: check its JSGF syntax (a \"public\" rule, "
                                "';' after each rule) and that every word is in the US English dictionary.",
                                o->keywords ? "keyword list" : "grammar");
                        return -EINVAL;
                }
        }
        if (ps_start_utt(ps) < 0) {
                voice_child_fail(c, "The recognizer could not start.");
                return -EIO;
        }
        size_t chunk = VOICE_RECOGNIZER_RATE / 2;
        for (size_t at = 0; at < pcm->n; at += chunk) {
                size_t k = MIN(chunk, pcm->n - at);
                if (ps_process_raw(ps, pcm->samples + at, k, FALSE, FALSE) < 0) {
                        voice_child_fail(c, "The recognizer failed on the audio.");
                        return -EIO;
                }
                voice_child_progress(c, 100.0 * (at + k) / pcm->n, 100, "Transcribing");
        }
        if (ps_end_utt(ps) < 0) {
                voice_child_fail(c, "The recognizer failed at the end of the audio.");
                return -EIO;
        }
        int r = result_new(ps, mode, ret);
        if (r < 0)
                voice_child_fail(c, "Out of memory.");
        return r;
}
