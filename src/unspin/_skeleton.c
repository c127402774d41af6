/* The clustering sketch's inner loop in C: skeleton shingles of a text, hashed.
 *
 * shingle_hashes(text, ngram, function_words) -> bytes
 *
 * Returns the xxh32 (seed 0) of every shingle that unspin.fingerprint.skeleton_shingles
 * gives for ``text`` (already normalised), as native uint32 values in the same order.
 * The rules are those of unspin.fingerprint.skeleton, which stays the reference: tokens
 * are the matches of the regex ``\w+|[.!?]\s|\n`` (Unicode classes as Python's re
 * defines them), a token's first character decides what it is, and a capitalised word
 * that starts a sentence counts only if it also appears capitalised mid-sentence.
 * tests/test_skeleton_core.py holds the two together on crawl texts and Unicode cases.
 *
 * Why C: the Python loop costs ~0.11 ms per news article and was half of the triage
 * mode's CPU time; here the whole sketch input is a few microseconds.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "_uclass.h"
#include "_xxhash.h"

/* -- growable buffers ------------------------------------------------------------------ */

typedef struct {
    char *data;
    size_t len, cap;
} Bytes;

static int bytes_reserve(Bytes *b, size_t extra) {
    if (b->len + extra <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra) cap *= 2;
    char *d = PyMem_Realloc(b->data, cap);
    if (!d) return -1;
    b->data = d;
    b->cap = cap;
    return 0;
}

/* A kept token: bytes [off, off + len) of the arena; pending: a capitalised sentence
 * start still waiting to learn whether the word appears capitalised mid-sentence. */
typedef struct {
    size_t off;
    uint32_t len;
    uint32_t pending;
} Tok;

typedef struct {
    Tok *data;
    size_t len, cap;
} Toks;

static int toks_push(Toks *t, Tok x) {
    if (t->len == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        Tok *d = PyMem_Realloc(t->data, cap * sizeof(Tok));
        if (!d) return -1;
        t->data = d;
        t->cap = cap;
    }
    t->data[t->len++] = x;
    return 0;
}

/* -- a set of byte strings (open addressing, keys point into an arena) ------------------ */

typedef struct {
    size_t *slots; /* index + 1 into keys, 0: empty */
    size_t mask;
    Toks keys; /* off/len into the set's own arena */
    Bytes arena;
} StrSet;

static void strset_free(StrSet *s) {
    PyMem_Free(s->slots);
    PyMem_Free(s->keys.data);
    PyMem_Free(s->arena.data);
    memset(s, 0, sizeof(*s));
}

static int strset_find(const StrSet *s, const char *p, size_t n, size_t *slot) {
    size_t i = xxh32((const unsigned char *)p, n) & s->mask;
    for (;; i = (i + 1) & s->mask) {
        size_t k = s->slots[i];
        if (k == 0) {
            *slot = i;
            return 0;
        }
        const Tok *key = &s->keys.data[k - 1];
        if (key->len == n && memcmp(s->arena.data + key->off, p, n) == 0) return 1;
    }
}

static int strset_grow(StrSet *s) {
    size_t size = s->mask ? (s->mask + 1) * 2 : 64;
    size_t *slots = PyMem_Calloc(size, sizeof(size_t));
    if (!slots) return -1;
    PyMem_Free(s->slots);
    s->slots = slots;
    s->mask = size - 1;
    for (size_t k = 0; k < s->keys.len; k++) {
        const Tok *key = &s->keys.data[k];
        size_t slot;
        strset_find(s, s->arena.data + key->off, key->len, &slot);
        s->slots[slot] = k + 1;
    }
    return 0;
}

static int strset_add(StrSet *s, const char *p, size_t n) {
    if ((s->keys.len + 1) * 2 > s->mask + 1 && strset_grow(s) < 0) return -1;
    size_t slot;
    if (strset_find(s, p, n, &slot)) return 0;
    if (bytes_reserve(&s->arena, n) < 0) return -1;
    memcpy(s->arena.data + s->arena.len, p, n);
    Tok key = {s->arena.len, (uint32_t)n, 0};
    s->arena.len += n;
    if (toks_push(&s->keys, key) < 0) return -1;
    s->slots[slot] = s->keys.len;
    return 0;
}

static int strset_has(const StrSet *s, const char *p, size_t n) {
    size_t slot;
    return s->mask ? strset_find(s, p, n, &slot) : 0;
}

/* The function words, rebuilt when a different set object is passed. */
static StrSet fw_set;
static PyObject *fw_obj = NULL;

static int load_function_words(PyObject *words) {
    if (words == fw_obj) return 0;
    StrSet fresh = {0};
    if (strset_grow(&fresh) < 0) goto fail;
    PyObject *it = PyObject_GetIter(words);
    if (!it) goto fail;
    PyObject *w;
    while ((w = PyIter_Next(it))) {
        Py_ssize_t n;
        const char *p = PyUnicode_Check(w) ? PyUnicode_AsUTF8AndSize(w, &n) : NULL;
        if (!p) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "function words must be str");
            Py_DECREF(w);
            Py_DECREF(it);
            goto fail;
        }
        int r = strset_add(&fresh, p, (size_t)n);
        Py_DECREF(w);
        if (r < 0) {
            Py_DECREF(it);
            PyErr_NoMemory();
            goto fail;
        }
    }
    Py_DECREF(it);
    if (PyErr_Occurred()) goto fail;
    strset_free(&fw_set);
    fw_set = fresh;
    Py_INCREF(words);
    Py_XSETREF(fw_obj, words);
    return 0;
fail:
    strset_free(&fresh);
    return -1;
}

/* -- the skeleton ------------------------------------------------------------------------ */

/* Token [a, b) of ``text`` appended to the arena as UTF-8, lowercased if ``lower``
 * (str.lower: ASCII in place, anything else through Python for its full mapping). */
static int put_token(Bytes *arena, PyObject *text, int kind, const void *data, Py_ssize_t a,
                     Py_ssize_t b, int lower, size_t *off, uint32_t *len) {
    int ascii = 1;
    for (Py_ssize_t i = a; i < b; i++) {
        if (PyUnicode_READ(kind, data, i) > 127) {
            ascii = 0;
            break;
        }
    }
    *off = arena->len;
    if (ascii) {
        if (bytes_reserve(arena, (size_t)(b - a)) < 0) return -1;
        char *out = arena->data + arena->len;
        for (Py_ssize_t i = a; i < b; i++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, i);
            out[i - a] = (char)(lower && c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        arena->len += (size_t)(b - a);
        *len = (uint32_t)(b - a);
        return 0;
    }
    PyObject *sub = PyUnicode_Substring(text, a, b);
    if (!sub) return -1;
    if (lower) {
        PyObject *low = PyObject_CallMethod(sub, "lower", NULL);
        Py_DECREF(sub);
        if (!low) return -1;
        sub = low;
    }
    Py_ssize_t n;
    const char *p = PyUnicode_AsUTF8AndSize(sub, &n);
    if (!p || bytes_reserve(arena, (size_t)n) < 0) {
        Py_DECREF(sub);
        return -1;
    }
    memcpy(arena->data + arena->len, p, (size_t)n);
    arena->len += (size_t)n;
    *len = (uint32_t)n;
    Py_DECREF(sub);
    return 0;
}

static int emit(Bytes *out, Bytes *buf, const Bytes *arena, const Tok *toks, size_t n) {
    buf->len = 0;
    for (size_t k = 0; k < n; k++) {
        if (bytes_reserve(buf, toks[k].len + 1) < 0) return -1;
        if (k) buf->data[buf->len++] = ' ';
        memcpy(buf->data + buf->len, arena->data + toks[k].off, toks[k].len);
        buf->len += toks[k].len;
    }
    uint32_t h = xxh32((const unsigned char *)buf->data, buf->len);
    if (bytes_reserve(out, 4) < 0) return -1;
    memcpy(out->data + out->len, &h, 4);
    out->len += 4;
    return 0;
}

static PyObject *shingle_hashes(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *text, *words;
    Py_ssize_t ngram;
    if (!PyArg_ParseTuple(args, "UnO:shingle_hashes", &text, &ngram, &words)) return NULL;
    if (ngram < 1) {
        PyErr_SetString(PyExc_ValueError, "ngram must be at least 1");
        return NULL;
    }
    if (load_function_words(words) < 0) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);

    Bytes arena = {0}, out = {0}, buf = {0};
    Toks toks = {0}, seq = {0};
    Toks sent_starts = {0}; /* .off: first token of each sentence; a sentinel ends the last */
    StrSet mid_caps = {0};
    PyObject *result = NULL;
    int start = 1, failed = 0;
    size_t cur = 0; /* first token of the open sentence */

    for (Py_ssize_t i = 0; i < n && !failed;) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (u_word(c)) {
            Py_ssize_t j = i + 1;
            while (j < n && u_word(PyUnicode_READ(kind, data, j))) j++;
            Tok t = {0, 0, 0};
            if (u_lower(c)) {
                if (put_token(&arena, text, kind, data, i, j, 0, &t.off, &t.len) < 0) {
                    failed = 1;
                } else if (strset_has(&fw_set, arena.data + t.off, t.len)) {
                    failed = toks_push(&toks, t) < 0;
                } else {
                    arena.len = t.off; /* not kept */
                }
            } else if (u_upper(c)) {
                if (put_token(&arena, text, kind, data, i, j, 1, &t.off, &t.len) < 0) {
                    failed = 1;
                } else if (strset_has(&fw_set, arena.data + t.off, t.len)) {
                    failed = toks_push(&toks, t) < 0;
                } else if (start) {
                    t.pending = 1;
                    failed = toks_push(&toks, t) < 0;
                } else {
                    if (mid_caps.mask == 0 && strset_grow(&mid_caps) < 0) failed = 1;
                    if (!failed && strset_add(&mid_caps, arena.data + t.off, t.len) < 0)
                        failed = 1;
                    if (!failed) failed = toks_push(&toks, t) < 0;
                }
            } else if (u_digit(c)) {
                failed = put_token(&arena, text, kind, data, i, j, 0, &t.off, &t.len) < 0 ||
                         toks_push(&toks, t) < 0;
            }
            start = 0;
            i = j;
            continue;
        }
        int end = c == '\n';
        if ((c == '.' || c == '!' || c == '?') && i + 1 < n &&
            u_space(PyUnicode_READ(kind, data, i + 1))) {
            end = 1;
            i++; /* the space belongs to the token */
        }
        if (end) {
            if (toks.len > cur) {
                failed = toks_push(&sent_starts, (Tok){cur, 0, 0}) < 0;
                cur = toks.len;
            }
            start = 1;
        }
        i++;
    }
    if (!failed && toks.len > cur) failed = toks_push(&sent_starts, (Tok){cur, 0, 0}) < 0;
    if (!failed) failed = toks_push(&sent_starts, (Tok){toks.len, 0, 0}) < 0;

    for (size_t s = 0; !failed && s + 1 < sent_starts.len; s++) {
        seq.len = 0;
        for (size_t k = sent_starts.data[s].off; k < sent_starts.data[s + 1].off && !failed; k++) {
            Tok t = toks.data[k];
            if (t.pending && !strset_has(&mid_caps, arena.data + t.off, t.len)) continue;
            failed = toks_push(&seq, t) < 0;
        }
        if (failed) break;
        if ((Py_ssize_t)seq.len < ngram) {
            if (seq.len >= 2) failed = emit(&out, &buf, &arena, seq.data, seq.len) < 0;
            continue;
        }
        for (size_t k = 0; k + (size_t)ngram <= seq.len && !failed; k++)
            failed = emit(&out, &buf, &arena, seq.data + k, (size_t)ngram) < 0;
    }
    if (failed) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
    } else {
        result = PyBytes_FromStringAndSize(out.data ? out.data : "", (Py_ssize_t)out.len);
    }
    PyMem_Free(arena.data);
    PyMem_Free(out.data);
    PyMem_Free(buf.data);
    PyMem_Free(toks.data);
    PyMem_Free(seq.data);
    PyMem_Free(sent_starts.data);
    strset_free(&mid_caps);
    return result;
}

static PyObject *xxh32_py(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer b;
    if (!PyArg_ParseTuple(args, "y*:xxh32", &b)) return NULL;
    uint32_t h = xxh32((const unsigned char *)b.buf, (size_t)b.len);
    PyBuffer_Release(&b);
    return PyLong_FromUnsignedLong(h);
}

static PyMethodDef methods[] = {
    {"shingle_hashes", shingle_hashes, METH_VARARGS,
     "shingle_hashes(text, ngram, function_words) -> bytes\n\n"
     "xxh32 of each skeleton shingle of the normalised text, as native uint32 values."},
    {"xxh32", xxh32_py, METH_VARARGS, "xxh32(data) -> int: xxh32 with seed 0."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_skeleton",
    "The clustering sketch's skeleton shingles, hashed, in C.", -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__skeleton(void) {
    u_init();
    return PyModule_Create(&module);
}
