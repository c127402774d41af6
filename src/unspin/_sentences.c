/* Sentences of a normalised text in C: the rest of unspin.segment.analyze's loop.
 *
 * sentences(text, starts, splitter) -> (sentences, sentence_spans) or None
 *
 * The same result as unspin.segment._sentences_py (the reference and the fallback): each
 * line of the text that is not blank is split into sentences, whole when blingfire
 * would return it whole (segment._whole: printable ASCII, no space at either end, no
 * [.!?;:] before its last character), else by blingfire's TextToSentences, whose
 * sentences are found in the line in order; each sentence's character span is mapped
 * to the tokens it holds ([bisect_left(starts, start), bisect_left(starts, end)) in the
 * token start offsets, an array('q') as the tokenizer gives them) and kept when it
 * holds one. ``splitter`` is the address
 * of TextToSentences in the library the blingfire package loaded (ctypes): the model
 * is blingfire's, only the calls are made from here.
 *
 * None when a sentence blingfire returned is not in its line verbatim or a line cannot
 * be encoded (a lone surrogate): the Python reference then decides (its slower path, or
 * its error).
 *
 * Why C: blingfire's own work is about half of splitting a news article; the other half
 * was Python around it (the line loop, encoding, decoding and finding each sentence, the
 * bisects), ~0.06 ms of the ~0.5 ms that verifying a cluster member costs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <limits.h>
#include <string.h>

#include "_offsets.h"
#include "_uclass.h"

typedef int (*splitter_fn)(const char *in, int in_bytes, char *out, const int max_out);

/* Growing scratch buffers: blingfire's output, and a non-ASCII line's UTF-8. The GIL
 * is held throughout, so one of each serves every call; one grown past KEEP_BYTES by a
 * huge line is given back when the call ends. */
#define KEEP_BYTES ((size_t)1 << 20)
typedef struct {
    char *data;
    size_t cap;
} Scratch;

static Scratch out_buf, line_buf;

static char *reserve(Scratch *s, size_t size) {
    if (s->cap < size) {
        char *p = PyMem_Realloc(s->data, size);
        if (!p) {
            PyErr_NoMemory();
            return NULL;
        }
        s->data = p;
        s->cap = size;
    }
    return s->data;
}

static void trim(Scratch *s) {
    if (s->cap > KEEP_BYTES) {
        PyMem_Free(s->data);
        s->data = NULL;
        s->cap = 0;
    }
}

/* UTF-8 of the characters [a, b) into line_buf; -1 (no exception) on a surrogate. */
static Py_ssize_t encode_line(int kind, const void *data, Py_ssize_t a, Py_ssize_t b) {
    char *o = reserve(&line_buf, (size_t)(b - a) * 4 + 1);
    if (!o) return -2;
    Py_ssize_t n = 0;
    for (Py_ssize_t i = a; i < b; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c < 0x80) {
            o[n++] = (char)c;
        } else if (c < 0x800) {
            o[n++] = (char)(0xC0 | (c >> 6));
            o[n++] = (char)(0x80 | (c & 0x3F));
        } else if (c >= 0xD800 && c < 0xE000) {
            return -1;
        } else if (c < 0x10000) {
            o[n++] = (char)(0xE0 | (c >> 12));
            o[n++] = (char)(0x80 | ((c >> 6) & 0x3F));
            o[n++] = (char)(0x80 | (c & 0x3F));
        } else {
            o[n++] = (char)(0xF0 | (c >> 18));
            o[n++] = (char)(0x80 | ((c >> 12) & 0x3F));
            o[n++] = (char)(0x80 | ((c >> 6) & 0x3F));
            o[n++] = (char)(0x80 | (c & 0x3F));
        }
    }
    return n;
}

/* segment._whole on the characters [a, b) (not blank, so b > a). */
static int whole(int kind, const void *data, Py_ssize_t a, Py_ssize_t b) {
    if (PyUnicode_READ(kind, data, a) == ' ' || PyUnicode_READ(kind, data, b - 1) == ' ')
        return 0;
    for (Py_ssize_t i = a; i < b; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c < 0x20 || c > 0x7E) return 0; /* not printable ASCII */
        if (i < b - 1 && (c == '.' || c == '!' || c == '?' || c == ';' || c == ':')) return 0;
    }
    return 1;
}

/* The token start offsets. */
typedef struct {
    const long long *at;
    Py_ssize_t n;
} Starts;

/* bisect_left(starts, x). */
static Py_ssize_t bisect_left(Starts starts, Py_ssize_t x) {
    Py_ssize_t lo = 0, hi = starts.n;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (starts.at[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Keep the sentence [s, e) (characters) when it holds a token. 0, or -1 on error. */
static int add(Starts starts, PyObject *sents, PyObject *spans, Py_ssize_t s, Py_ssize_t e) {
    Py_ssize_t i = bisect_left(starts, s);
    Py_ssize_t j = bisect_left(starts, e);
    if (j <= i) return 0;
    PyObject *a = Py_BuildValue("(nn)", i, j);
    if (!a) return -1;
    int r = PyList_Append(sents, a);
    Py_DECREF(a);
    if (r < 0) return -1;
    PyObject *b = Py_BuildValue("(nn)", s, e);
    if (!b) return -1;
    r = PyList_Append(spans, b);
    Py_DECREF(b);
    return r;
}

/* The sentences blingfire finds in the line of characters starting at ``base`` whose
 * UTF-8 is ``line`` (``n`` bytes). 1 done, 0 a sentence not found verbatim, -1 error. */
static int split_line(splitter_fn split, const char *line, Py_ssize_t n, Py_ssize_t base,
                      Starts starts, PyObject *sents, PyObject *spans) {
    if (n > INT_MAX / 2) return 0;
    int size = (int)(n * 2);
    char *out = reserve(&out_buf, size > (1 << 14) ? (size_t)size : (size_t)1 << 14);
    if (!out) return -1;
    int got = split(line, (int)n, out, size);
    if (got == -1 || got > size) return 1; /* blingfire failed: no sentences, as in Python */
    const char *end = memchr(out, '\0', (size_t)got);
    Py_ssize_t len = end ? end - out : got;
    Py_ssize_t pos = 0, chars = 0; /* a byte offset in line, and its character offset */
    for (Py_ssize_t k = 0; k < len;) {
        const char *nl = memchr(out + k, '\n', (size_t)(len - k));
        Py_ssize_t m = (nl ? nl - out : len) - k;
        if (m > 0) {
            const char *at = memmem(line + pos, (size_t)(n - pos), out + k, (size_t)m);
            if (!at) return 0;
            Py_ssize_t s = at - line;
            for (; pos < s; pos++) chars += ((unsigned char)line[pos] & 0xC0) != 0x80;
            Py_ssize_t first = chars;
            for (; pos < s + m; pos++) chars += ((unsigned char)line[pos] & 0xC0) != 0x80;
            if (add(starts, sents, spans, base + first, base + chars) < 0) return -1;
        }
        k += m + 1;
    }
    return 1;
}

static PyObject *sentences(PyObject *self, PyObject *args) {
    PyObject *text, *start_obj, *address;
    if (!PyArg_ParseTuple(args, "UOO!:sentences", &text, &start_obj, &PyLong_Type, &address))
        return NULL;
    splitter_fn split = (splitter_fn)PyLong_AsVoidPtr(address);
    if (!split) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "splitter address is NULL");
        return NULL;
    }
    Py_buffer view;
    if (offsets_buffer(start_obj, &view) < 0) {
        PyErr_SetString(PyExc_TypeError, "starts must be an array('q') of token offsets");
        return NULL;
    }
    Starts starts = {(const long long *)view.buf, view.len / (Py_ssize_t)sizeof(long long)};
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    int ascii = PyUnicode_IS_ASCII(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *res = NULL, *sents = PyList_New(0), *spans = PyList_New(0);
    if (!sents || !spans) goto fail;
    for (Py_ssize_t a = 0; a < n;) {
        Py_ssize_t b = a;
        while (b < n && PyUnicode_READ(kind, data, b) != '\n') b++;
        int blank = 1;
        for (Py_ssize_t i = a; i < b && blank; i++) blank = u_space(PyUnicode_READ(kind, data, i));
        if (!blank) {
            if (whole(kind, data, a, b)) {
                if (add(starts, sents, spans, a, b) < 0) goto fail;
            } else {
                const char *line;
                Py_ssize_t bytes;
                if (ascii) { /* the str's own data is its UTF-8 */
                    line = (const char *)data + a;
                    bytes = b - a;
                } else {
                    bytes = encode_line(kind, data, a, b);
                    if (bytes == -2) goto fail;
                    if (bytes == -1) goto defer;
                    line = line_buf.data;
                }
                int r = split_line(split, line, bytes, a, starts, sents, spans);
                if (r < 0) goto fail;
                if (r == 0) goto defer;
            }
        }
        a = b + 1;
    }
    res = PyTuple_Pack(2, sents, spans);
    goto done;
defer:
    res = Py_NewRef(Py_None);
fail: /* res is NULL */
done:
    PyBuffer_Release(&view);
    Py_XDECREF(sents);
    Py_XDECREF(spans);
    trim(&out_buf);
    trim(&line_buf);
    return res;
}

static PyMethodDef methods[] = {
    {"sentences", sentences, METH_VARARGS,
     "sentences(text, starts, splitter) -> (sentences, sentence_spans) or None"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_sentences", NULL, -1, methods};

PyMODINIT_FUNC PyInit__sentences(void) {
    u_init();
    return PyModule_Create(&module);
}
