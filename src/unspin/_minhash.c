/* MinHash signatures in C: unspin.cluster.sketching.sketch_columns's arithmetic.
 *
 * signatures(hashes, ends, a, b, empty, out) -> None
 *
 * ``hashes`` holds the shingle hashes of several documents one after the other (uint32),
 * ``ends`` where each document's end (int64, cumulative), ``a`` and ``b`` the
 * permutations (uint32, one per slot) and ``empty`` the signature of a document without
 * shingles. Each document's signature is, slot by slot, the minimum over its shingles of
 * a * fmix32(h) + b in uint32 arithmetic (datasketch's affine32 scheme after MurmurHash3's
 * finalizer), as the numpy version in sketching._signatures_py (the reference and the
 * fallback) computes it; written to ``out`` (uint32, one row per document).
 *
 * Why C: numpy makes the (slots x shingles) products of a batch in memory before taking
 * minima, ~0.025 ms per news article; here the minima stay in a row of registers and
 * cache, ~5x less.
 *
 * band_keys(signatures, bands, rows, out) -> None
 *
 * The LSH band keys of each signature (uint32 rows; band k is slots [k * rows, (k + 1) *
 * rows), slots past the last band unused):
 * XXH64 of each band's bytes (little-endian), seeded with the band's number, its top bit
 * flipped (a signed int64), written to ``out`` (int64, a row per signature): what
 * fingerprint._band_keys_py computes with the xxhash package, one call per band and
 * document there (~14% of reading and sketching a crawl). XXH64 as its specification
 * (xxHash's doc/xxhash_spec.md) defines it; a test holds it to the xxhash package.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "_xxhash.h"

static inline uint32_t fmix32(uint32_t h) {
    h ^= h >> 16;
    h *= 0x85EBCA6BU;
    h ^= h >> 13;
    h *= 0xC2B2AE35U;
    h ^= h >> 16;
    return h;
}

/* The signature of the n hashes at h into sig (none of the arrays overlap: the loop
 * over slots vectorises, with AVX2 where the processor has it: a clone for each,
 * chosen when the module loads). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
__attribute__((target_clones("avx2", "default"), optimize("O3")))
#endif
static void minima(const uint32_t *restrict h, int64_t n, const uint32_t *restrict a,
                   const uint32_t *restrict b, uint32_t *restrict sig, Py_ssize_t slots) {
    for (Py_ssize_t k = 0; k < slots; k++) sig[k] = UINT32_MAX;
    for (int64_t s = 0; s < n; s++) {
        uint32_t x = fmix32(h[s]);
        for (Py_ssize_t k = 0; k < slots; k++) {
            uint32_t v = a[k] * x + b[k];
            sig[k] = v < sig[k] ? v : sig[k];
        }
    }
}

/* A C-contiguous buffer (writable with ``flags``) of items of ``size`` bytes, or -1
 * with an exception. */
static int get(PyObject *o, Py_buffer *view, Py_ssize_t size, const char *what, int flags) {
    if (PyObject_GetBuffer(o, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | flags) < 0) return -1;
    if (view->itemsize != size) {
        PyErr_Format(PyExc_TypeError, "signatures: %s must hold %zd-byte items", what, size);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static PyObject *signatures(PyObject *self, PyObject *args) {
    PyObject *objs[6];
    if (!PyArg_ParseTuple(args, "OOOOOO:signatures", &objs[0], &objs[1], &objs[2], &objs[3],
                          &objs[4], &objs[5]))
        return NULL;
    static const char *names[6] = {"hashes", "ends", "a", "b", "empty", "out"};
    static const Py_ssize_t sizes[6] = {4, 8, 4, 4, 4, 4};
    Py_buffer views[6];
    PyObject *res = NULL;
    int got = 0;
    for (; got < 6; got++)
        if (get(objs[got], &views[got], sizes[got], names[got], got == 5 ? PyBUF_WRITABLE : 0) < 0)
            goto done;
    Py_ssize_t slots = views[2].len / 4, n_docs = views[1].len / 8, n_hashes = views[0].len / 4;
    if (views[3].len / 4 != slots || views[4].len / 4 != slots || slots == 0) {
        PyErr_SetString(PyExc_ValueError, "signatures: a, b and empty must have one item per slot");
        goto done;
    }
    if (views[5].len / 4 != n_docs * slots) {
        PyErr_SetString(PyExc_ValueError, "signatures: out must have a row per document");
        goto done;
    }
    const uint32_t *h = views[0].buf, *a = views[2].buf, *b = views[3].buf, *empty = views[4].buf;
    const int64_t *ends = views[1].buf;
    uint32_t *sig = views[5].buf;
    int64_t start = 0;
    for (Py_ssize_t d = 0; d < n_docs; d++, sig += slots) {
        int64_t end = ends[d];
        if (end < start || end > n_hashes) {
            PyErr_SetString(PyExc_ValueError, "signatures: ends must rise within the hashes");
            goto done;
        }
        if (end == start) {
            memcpy(sig, empty, (size_t)slots * 4);
            continue;
        }
        minima(h + start, end - start, a, b, sig, slots);
        start = end;
    }
    res = Py_None;
    Py_INCREF(res);
done:
    while (got-- > 0) PyBuffer_Release(&views[got]);
    return res;
}

static PyObject *band_keys(PyObject *self, PyObject *args) {
    PyObject *sig_obj, *out_obj;
    Py_ssize_t bands, width_slots;
    if (!PyArg_ParseTuple(args, "OnnO:band_keys", &sig_obj, &bands, &width_slots, &out_obj))
        return NULL;
    Py_buffer sig, out;
    if (get(sig_obj, &sig, 4, "signatures", 0) < 0) return NULL;
    if (get(out_obj, &out, 8, "out", PyBUF_WRITABLE) < 0) {
        PyBuffer_Release(&sig);
        return NULL;
    }
    PyObject *res = NULL;
    Py_ssize_t n = sig.ndim == 2 ? sig.shape[0] : -1; /* signatures */
    Py_ssize_t slots = sig.ndim == 2 ? sig.shape[1] : 0;
    if (bands <= 0 || width_slots <= 0 || n < 0 || bands > slots / width_slots ||
        out.len / 8 != n * bands) {
        PyErr_SetString(PyExc_ValueError,
                        "band_keys: signatures must be rows of at least bands x rows slots, "
                        "out a row of band keys for each");
        goto done;
    }
    size_t width = (size_t)width_slots * 4;
    const unsigned char *row = sig.buf;
    int64_t *keys = out.buf;
    for (Py_ssize_t r = 0; r < n; r++, row += slots * 4)
        for (Py_ssize_t band = 0; band < bands; band++)
            *keys++ = (int64_t)(xxh64(row + band * width, width, (uint64_t)band) ^
                                0x8000000000000000ULL);
    res = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&sig);
    PyBuffer_Release(&out);
    return res;
}

static PyMethodDef methods[] = {
    {"signatures", signatures, METH_VARARGS,
     "signatures(hashes, ends, a, b, empty, out) -> None: one uint32 row per document."},
    {"band_keys", band_keys, METH_VARARGS,
     "band_keys(signatures, bands, rows, out) -> None: a row of int64 band keys per "
     "signature."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_minhash", NULL, -1, methods};

PyMODINIT_FUNC PyInit__minhash(void) { return PyModule_Create(&module); }
