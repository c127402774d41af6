/* Tokens of a normalised text in C: unspin.segment.analyze's inner loop.
 *
 * tokenize(text) -> (tokens, starts, ends, kinds, capitalised)
 *
 * The same tokens as splitting on the regex of unspin.segment (which stays the reference
 * and the fallback): a number with its inner separators and any letters glued after it
 * ("1.13bn", "10:30"), a word with inner hyphens, apostrophes or periods ("don't",
 * "U.S"), or any other single non-space character. Character classes are those of
 * Python's re on str: \d decimal digits, \w alphanumerics and "_", \s str.isspace().
 * tokens are lowercased (str.lower), starts and ends their offsets (array('q'): two
 * ints and a tuple per token, made and freed again, were half of the cost of tokenizing
 * and of letting an analysis go), kinds one letter per token from its first character
 * ("w" letter, "n" digit, "p" anything else) and capitalised whether that character is
 * upper case. tests/test_native.py holds the two implementations together.
 *
 * Why C: the regex split and the Python glue around it cost ~0.15 ms per news article,
 * the largest share of verifying a cluster member.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#include "_uclass.h"

static int is_word(Py_UCS4 c) { return u_word(c); }
static int is_decimal(Py_UCS4 c) { return u_decimal(c); }

/* The end of the run of ``cls`` characters from j, and of each (one of ``seps``, run)
 * that follows: (?:cls)+(?:[seps](?:cls)+)* from a position known to hold a cls. */
static Py_ssize_t joined_end(int kind, const void *data, Py_ssize_t n, Py_ssize_t j,
                             const char *seps, int (*cls)(Py_UCS4)) {
    for (;;) {
        while (j < n && cls(PyUnicode_READ(kind, data, j))) j++;
        if (j + 1 >= n) return j;
        Py_UCS4 sep = PyUnicode_READ(kind, data, j);
        if (sep == 0 || sep > 127 || !strchr(seps, (int)sep)) return j;
        if (!cls(PyUnicode_READ(kind, data, j + 1))) return j;
        j += 2;
    }
}

/* End of the token starting at i (the text has a non-space character at i). */
static Py_ssize_t token_end(int kind, const void *data, Py_ssize_t n, Py_ssize_t i) {
    Py_UCS4 c = PyUnicode_READ(kind, data, i);
    if (u_decimal(c)) { /* \d+(?:[.,:]\d+)*\w* */
        Py_ssize_t j = joined_end(kind, data, n, i, ".,:", is_decimal);
        while (j < n && is_word(PyUnicode_READ(kind, data, j))) j++;
        return j;
    }
    if (is_word(c)) return joined_end(kind, data, n, i, "-'.", is_word); /* \w+(?:[-'.]\w+)* */
    return i + 1;                                                         /* \S */
}

/* The token [a, b) lowercased, as a new str. */
static PyObject *lowered(PyObject *text, int kind, const void *data, Py_ssize_t a,
                         Py_ssize_t b) {
    Py_ssize_t len = b - a;
    int ascii = 1, upper = 0;
    for (Py_ssize_t i = a; i < b; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c > 127) {
            ascii = 0;
            break;
        }
        upper |= c >= 'A' && c <= 'Z';
    }
    if (!ascii) {
        PyObject *sub = PyUnicode_Substring(text, a, b);
        if (!sub) return NULL;
        PyObject *low = PyObject_CallMethod(sub, "lower", NULL);
        Py_DECREF(sub);
        return low;
    }
    if (!upper) return PyUnicode_Substring(text, a, b);
    PyObject *out = PyUnicode_New(len, 127);
    if (!out) return NULL;
    Py_UCS1 *o = PyUnicode_1BYTE_DATA(out);
    for (Py_ssize_t i = 0; i < len; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, a + i);
        o[i] = (Py_UCS1)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    return out;
}

static PyObject *array_type; /* array.array */

/* array('q') of the ``n`` offsets at ``v``. */
static PyObject *int64_array(const long long *v, Py_ssize_t n) {
    static const long long none = 0;
    return PyObject_CallFunction(array_type, "sy#", "q", (const char *)(n ? v : &none),
                                 n * (Py_ssize_t)sizeof(long long));
}

/* ``*buf`` reallocated to ``n`` items of ``size`` bytes: 0, or -1 with MemoryError (the
 * old buffer kept, for the caller to free). */
static int grow(void **buf, Py_ssize_t n, size_t size) {
    void *p = PyMem_Realloc(*buf, (size_t)n * size);
    if (!p) {
        PyErr_NoMemory();
        return -1;
    }
    *buf = p;
    return 0;
}

static PyObject *tokenize(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *text;
    if (!PyArg_ParseTuple(args, "U:tokenize", &text)) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);

    PyObject *tokens = PyList_New(0), *caps = PyList_New(0);
    PyObject *kinds = NULL, *starts = NULL, *ends = NULL, *result = NULL;
    char *kind_buf = NULL;
    long long *start_buf = NULL, *end_buf = NULL;
    Py_ssize_t n_tok = 0, cap = 0;
    if (!tokens || !caps) goto done;

    for (Py_ssize_t i = 0; i < n;) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (u_space(c)) {
            i++;
            continue;
        }
        Py_ssize_t j = token_end(kind, data, n, i);
        PyObject *tok = lowered(text, kind, data, i, j);
        if (!tok) goto done;
        int r = PyList_Append(tokens, tok);
        Py_DECREF(tok);
        if (r < 0) goto done;
        if (PyList_Append(caps, u_upper(c) ? Py_True : Py_False) < 0) goto done;
        if (n_tok == cap) {
            cap = cap ? cap * 2 : 256;
            if (grow((void **)&kind_buf, cap, 1) < 0 ||
                grow((void **)&start_buf, cap, sizeof(long long)) < 0 ||
                grow((void **)&end_buf, cap, sizeof(long long)) < 0)
                goto done;
        }
        start_buf[n_tok] = i;
        end_buf[n_tok] = j;
        kind_buf[n_tok++] = u_alpha(c) ? 'w' : u_digit(c) ? 'n' : 'p';
        i = j;
    }
    kinds = PyUnicode_FromStringAndSize(kind_buf ? kind_buf : "", n_tok);
    starts = kinds ? int64_array(start_buf, n_tok) : NULL;
    ends = starts ? int64_array(end_buf, n_tok) : NULL;
    if (ends) result = PyTuple_Pack(5, tokens, starts, ends, kinds, caps);
done:
    PyMem_Free(kind_buf);
    PyMem_Free(start_buf);
    PyMem_Free(end_buf);
    Py_XDECREF(tokens);
    Py_XDECREF(starts);
    Py_XDECREF(ends);
    Py_XDECREF(caps);
    Py_XDECREF(kinds);
    return result;
}

static PyMethodDef methods[] = {
    {"tokenize", tokenize, METH_VARARGS,
     "tokenize(text) -> (tokens, starts, ends, kinds, capitalised) of a normalised text."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_tokenize", "unspin.segment's tokenizer in C.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__tokenize(void) {
    u_init();
    if (!array_type) {
        PyObject *array = PyImport_ImportModule("array");
        if (!array) return NULL;
        array_type = PyObject_GetAttrString(array, "array");
        Py_DECREF(array);
        if (!array_type) return NULL;
    }
    return PyModule_Create(&module);
}
