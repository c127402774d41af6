/* unspin.align's sentence loop in C: which source sentence each copy sentence aligns
 * with, and the changed stretches inside each pair.
 *
 * align_rows(copy, source, Change, SentencePair, min_sentence, min_clause, marks)
 *     -> (pairs, aligned copy words, matched words, reused source words)
 *
 * copy and source are unspin.align.Encoded documents coded with one Codes. The result
 * is the one unspin.align._align_rows_py returns given the sentence similarities that
 * align_encoded computes with rapidfuzz (the reference and the fallback;
 * tests/test_native.py holds the two together): SentencePair and Change are the named
 * tuple types to make, min_sentence and min_clause the thresholds, marks the clause
 * marks (one character each). similarities(copy, source) gives the whole similarity
 * matrix, for the tests.
 *
 * spans(pairs, sentences, copy, source) -> [(start, end, text, original)]: the changed
 * stretches of the aligned pairs, as unspin.trace._substitution_spans_py gives them, for
 * a copy and a source (unspin.segment.Analysis) whose texts are ASCII (input offsets
 * are then the normalised ones); None for other texts, which Python maps.
 *
 * Word alignment inside a pair is a longest common subsequence. Its length comes from
 * the bit-parallel recurrence of Allison and Dix, in Hyyro's formulation; the
 * alignment is read back from the stored bit rows with the preferences rapidfuzz's
 * Indel.editops has (common prefix and suffix first, then from the end: skip a copy
 * token when that keeps the LCS, else skip a source token when that keeps it, else
 * match), so the changes are the ones the Python version gets from rapidfuzz.
 *
 * Why C: Python spent ~0.1 ms per cluster member between rapidfuzz calls (editops
 * objects, matching blocks, clause pairing), more than half of aligning it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "_offsets.h"

typedef struct {
    Py_UCS4 key;
    int mask;
} Entry;

/* Scratch space reused across the pairs of one call. */
typedef struct {
    uint64_t *masks; /* per distinct copy character: a bit per copy position */
    Py_ssize_t masks_cap;
    uint64_t *rows; /* the bit row after each source character */
    Py_ssize_t rows_cap;
    Entry *table; /* open addressing: character -> its mask (-1: a free slot) */
    Py_ssize_t table_cap;
    char *ops; /* the alignment, back to front: 'D' skip copy, 'I' skip source, 'M' */
    Py_ssize_t ops_cap;
    Py_ssize_t pat_n, pat_cap; /* the sequence in masks and table: its length, table size */
} Work;

static int grow(void **p, Py_ssize_t *cap, Py_ssize_t need, size_t item) {
    if (need <= *cap) return 0;
    Py_ssize_t n = need < 64 ? 64 : need * 2;
    void *q = PyMem_Realloc(*p, (size_t)n * item);
    if (!q) {
        PyErr_NoMemory();
        return -1;
    }
    *p = q;
    *cap = n;
    return 0;
}

/* The first slot of code c in an open-addressing table of `cap` (a power of two) slots. */
static inline size_t hash_slot(Py_UCS4 c, Py_ssize_t cap) {
    return ((size_t)c * 2654435761u) & (size_t)(cap - 1);
}

/* The slot of c in `table` (`cap` slots, a power of two): its own, or the free one where
 * it would go. */
static size_t table_find(const Entry *table, Py_ssize_t cap, Py_UCS4 c) {
    size_t h = hash_slot(c, cap);
    while (table[h].mask >= 0 && table[h].key != c) h = (h + 1) & (size_t)(cap - 1);
    return h;
}

static void work_free(Work *w) {
    PyMem_Free(w->masks);
    PyMem_Free(w->rows);
    PyMem_Free(w->table);
    PyMem_Free(w->ops);
}

/* The masks of sequence a (n1 codes: the bit positions) for lcs_run, which can then
 * run it against any number of sequences: a copy sentence is built once for all the
 * source sentences it is compared with. 0, or -1 on error. */
static int lcs_pattern(const Py_UCS4 *a, Py_ssize_t n1, Work *w) {
    w->pat_n = n1;
    if (n1 == 0) return 0;
    Py_ssize_t words = (n1 + 63) / 64;
    Py_ssize_t cap = 16;
    while (cap < 2 * n1) cap *= 2;
    if (grow((void **)&w->table, &w->table_cap, cap, sizeof(Entry)) < 0) return -1;
    Entry *table = w->table;
    for (Py_ssize_t i = 0; i < cap; i++) table[i].mask = -1;
    Py_ssize_t distinct = 0;
    for (Py_ssize_t k = 0; k < n1; k++) {
        size_t h = table_find(table, cap, a[k]);
        if (table[h].mask < 0) {
            /* a mask per distinct character (not per position: long sentences) */
            if (grow((void **)&w->masks, &w->masks_cap, (distinct + 1) * words,
                     sizeof(uint64_t)) < 0)
                return -1;
            table[h].mask = (int)distinct;
            table[h].key = a[k];
            memset(w->masks + distinct * words, 0, (size_t)words * sizeof(uint64_t));
            distinct++;
        }
        w->masks[table[h].mask * words + k / 64] |= (uint64_t)1 << (k % 64);
    }
    w->pat_cap = cap;
    return 0;
}

/* Bit rows of the LCS of the pattern (lcs_pattern's a) and b (n2, one row per
 * character). Bit k of a row is set when a[k] adds nothing to the LCS of a[..k] with b
 * so far. Returns the LCS length, or -1 on error. Rows are stored only when `keep`. */
static Py_ssize_t lcs_run(const Py_UCS4 *b, Py_ssize_t n2, int keep, Work *w) {
    Py_ssize_t n1 = w->pat_n, cap = w->pat_cap;
    if (n1 == 0 || n2 == 0) return 0;
    Py_ssize_t words = (n1 + 63) / 64;
    const Entry *table = w->table;
    uint64_t *v, *row0;
    Py_ssize_t need = keep ? n2 * words : words;
    if (grow((void **)&w->rows, &w->rows_cap, need + words, sizeof(uint64_t)) < 0) return -1;
    row0 = w->rows + need; /* the all-ones row before the first character */
    for (Py_ssize_t i = 0; i < words; i++) row0[i] = ~(uint64_t)0;
    const uint64_t *prev = row0;
    for (Py_ssize_t r = 0; r < n2; r++) {
        v = keep ? w->rows + r * words : w->rows;
        size_t h = table_find(table, cap, b[r]);
        if (table[h].mask < 0) {
            if (v != prev) memcpy(v, prev, (size_t)words * sizeof(uint64_t));
        } else {
            const uint64_t *m = w->masks + table[h].mask * words;
            uint64_t carry = 0;
            for (Py_ssize_t i = 0; i < words; i++) {
                uint64_t x = prev[i], u = x & m[i];
                uint64_t sum = x + u;
                uint64_t c1 = sum < x;
                uint64_t sum2 = sum + carry;
                carry = c1 | (sum2 < sum);
                v[i] = sum2 | (x - u);
            }
        }
        prev = v;
    }
    Py_ssize_t ones = 0;
    for (Py_ssize_t i = 0; i < words; i++) {
        uint64_t x = prev[i];
        if (i == words - 1 && n1 % 64) x &= ((uint64_t)1 << (n1 % 64)) - 1;
        ones += __builtin_popcountll(x);
    }
    return n1 - ones;
}

/* lcs_run of a against b. */
static Py_ssize_t lcs_rows(const Py_UCS4 *a, Py_ssize_t n1, const Py_UCS4 *b, Py_ssize_t n2,
                           int keep, Work *w) {
    if (lcs_pattern(a, n1, w) < 0) return -1;
    return lcs_run(b, n2, keep, w);
}

/* rapidfuzz's Indel normalized similarity of sequences of n1 and n2 codes sharing an LCS
 * of `lcs`, computed the way it computes it, in float32 as its cdist returns it. */
static float indel_f(Py_ssize_t n1, Py_ssize_t n2, Py_ssize_t lcs) {
    Py_ssize_t total = n1 + n2;
    double dist = total ? (double)(total - 2 * lcs) / (double)total : 0.0;
    return (float)(1.0 - dist);
}

/* indel_f of the pattern (lcs_pattern) and b. */
static int indel_similarity(const Py_UCS4 *b, Py_ssize_t n2, Work *w, double *out) {
    Py_ssize_t lcs = lcs_run(b, n2, 0, w);
    if (lcs < 0) return -1;
    *out = indel_f(w->pat_n, n2, lcs);
    return 0;
}

typedef struct {
    PyTypeObject *change;
    PyTypeObject *pair;
    double min_sentence;
    double min_clause;
    Py_UCS4 marks[8];
    int n_marks;
} Config;

/* A named tuple of `type` holding n new references (stolen, also on failure). */
static PyObject *make(PyTypeObject *type, Py_ssize_t n, PyObject **items) {
    for (Py_ssize_t i = 0; i < n; i++)
        if (!items[i]) {
            for (Py_ssize_t k = 0; k < n; k++) Py_XDECREF(items[k]);
            return NULL;
        }
    PyObject *t = type->tp_alloc(type, n);
    if (!t) {
        for (Py_ssize_t k = 0; k < n; k++) Py_DECREF(items[k]);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) PyTuple_SET_ITEM(t, i, items[i]);
    return t;
}

static int add_change(PyObject *list, const Config *cf, Py_ssize_t cs, Py_ssize_t ce,
                      Py_ssize_t ss, Py_ssize_t se) {
    PyObject *items[4] = {PyLong_FromSsize_t(cs), PyLong_FromSsize_t(ce), PyLong_FromSsize_t(ss),
                          PyLong_FromSsize_t(se)};
    PyObject *ch = make(cf->change, 4, items);
    if (!ch) return -1;
    int r = PyList_Append(list, ch);
    Py_DECREF(ch);
    return r;
}

/* One document's data, as the loop reads it. */
typedef struct {
    Py_UCS4 *codes;         /* the code of each token (inside sentences) */
    const char *kinds;      /* w, n or p per token */
    Py_ssize_t n_tokens;
    Py_ssize_t n_sents;
    Py_ssize_t *start, *end; /* each sentence's token range */
    Py_ssize_t *words;       /* words and numbers per sentence */
    PyObject *word_bags;     /* borrowed list of str */
    PyObject *bags;          /* borrowed list of str: each sentence's codes sorted */
    PyObject *tokens;        /* borrowed list of str */
    PyObject *keep[8];       /* references held while the call runs */
} Doc;

static void doc_free(Doc *d) {
    PyMem_Free(d->codes);
    PyMem_Free(d->start);
    PyMem_Free(d->end);
    PyMem_Free(d->words);
    for (int i = 0; i < 8; i++) Py_XDECREF(d->keep[i]);
}

/* What doc_load reads: attributes of the Encoded, then of its Analysis (keep[0]). */
static const char *const DOC_ATTRS[8] = {"a",         "sents", "word_bags", "words",
                                         "bags",      "sentences", "kinds", "tokens"};

static int doc_load(PyObject *enc, Doc *d) {
    memset(d, 0, sizeof(*d));
    for (int k = 0; k < 8; k++) { /* stop at the first missing one: its error stands */
        d->keep[k] = PyObject_GetAttrString(k < 5 ? enc : d->keep[0], DOC_ATTRS[k]);
        if (!d->keep[k]) return -1;
    }
    PyObject *sents = d->keep[1], *words = d->keep[3], *sentences = d->keep[5];
    PyObject *kinds = d->keep[6];
    d->word_bags = d->keep[2];
    d->bags = d->keep[4];
    d->tokens = d->keep[7];
    int ok = PyList_Check(sents) && PyList_Check(d->word_bags) &&
             PyList_Check(d->bags) && PyList_Check(words) && PyList_Check(sentences) &&
             PyUnicode_Check(kinds) && PyList_Check(d->tokens) && PyUnicode_IS_ASCII(kinds);
    if (!ok) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "align_rows: not an Encoded");
        return -1;
    }
    d->kinds = (const char *)PyUnicode_1BYTE_DATA(kinds);
    d->n_tokens = PyUnicode_GET_LENGTH(kinds);
    d->n_sents = PyList_GET_SIZE(sentences);
    if (PyList_GET_SIZE(sents) != d->n_sents || PyList_GET_SIZE(d->word_bags) != d->n_sents ||
        PyList_GET_SIZE(d->bags) != d->n_sents ||
        PyList_GET_SIZE(words) != d->n_sents || PyList_GET_SIZE(d->tokens) != d->n_tokens) {
        PyErr_SetString(PyExc_ValueError, "align_rows: inconsistent Encoded");
        return -1;
    }
    Py_ssize_t ns = d->n_sents ? d->n_sents : 1;
    d->codes = PyMem_Malloc(sizeof(Py_UCS4) * (size_t)(d->n_tokens ? d->n_tokens : 1));
    d->start = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)ns);
    d->end = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)ns);
    d->words = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)ns);
    if (!d->codes || !d->start || !d->end || !d->words) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t s = 0; s < d->n_sents; s++) {
        Py_ssize_t i, j;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(sentences, s), "nn:sentence", &i, &j)) return -1;
        PyObject *str = PyList_GET_ITEM(sents, s);
        if (i < 0 || j < i || j > d->n_tokens || !PyUnicode_Check(str) ||
            PyUnicode_GET_LENGTH(str) != j - i || !PyUnicode_Check(PyList_GET_ITEM(d->bags, s)) ||
            !PyUnicode_Check(PyList_GET_ITEM(d->word_bags, s))) {
            PyErr_SetString(PyExc_ValueError, "align_rows: sentence out of range");
            return -1;
        }
        d->start[s] = i;
        d->end[s] = j;
        int kind = PyUnicode_KIND(str);
        const void *data = PyUnicode_DATA(str);
        for (Py_ssize_t k = 0; k < j - i; k++) d->codes[i + k] = PyUnicode_READ(kind, data, k);
        d->words[s] = PyLong_AsSsize_t(PyList_GET_ITEM(words, s));
        if (d->words[s] == -1 && PyErr_Occurred()) return -1;
    }
    return 0;
}

/* Shared words of two sentences: the LCS of their sorted word codes is the size of the
 * multiset intersection, which a merge counts. */
static Py_ssize_t shared_words(PyObject *x, PyObject *y) {
    int kx = PyUnicode_KIND(x), ky = PyUnicode_KIND(y);
    const void *dx = PyUnicode_DATA(x), *dy = PyUnicode_DATA(y);
    Py_ssize_t nx = PyUnicode_GET_LENGTH(x), ny = PyUnicode_GET_LENGTH(y), i = 0, j = 0, n = 0;
    while (i < nx && j < ny) {
        Py_UCS4 a = PyUnicode_READ(kx, dx, i), b = PyUnicode_READ(ky, dy, j);
        if (a == b) {
            n++;
            i++;
            j++;
        } else if (a < b) {
            i++;
        } else {
            j++;
        }
    }
    return n;
}

/* Changes and matched words of the LCS alignment of copy tokens [c0, c1) with source
 * tokens [s0, s1), appended to `changes`. Returns matched words, or -1. */
static Py_ssize_t lcs_changes(const Doc *c, Py_ssize_t c0, Py_ssize_t c1, const Doc *s,
                              Py_ssize_t s0, Py_ssize_t s1, const Config *cf, Work *w,
                              PyObject *changes) {
    const Py_UCS4 *a = c->codes + c0, *b = s->codes + s0;
    Py_ssize_t n1 = c1 - c0, n2 = s1 - s0, p = 0, q = 0;
    while (p < n1 && p < n2 && a[p] == b[p]) p++;
    while (q < n1 - p && q < n2 - p && a[n1 - 1 - q] == b[n2 - 1 - q]) q++;
    const Py_UCS4 *ma = a + p, *mb = b + p;
    Py_ssize_t m1 = n1 - p - q, m2 = n2 - p - q;
    if (lcs_rows(ma, m1, mb, m2, 1, w) < 0) return -1;
    if (grow((void **)&w->ops, &w->ops_cap, m1 + m2 + 1, 1) < 0) return -1;
    Py_ssize_t words = (m1 + 63) / 64, n_ops = 0, col = m1, row = m2;
#define BIT(r, k) ((w->rows[(r) * words + (k) / 64] >> ((k) % 64)) & 1)
    while (row && col) {
        if (BIT(row - 1, col - 1)) {
            w->ops[n_ops++] = 'D';
            col--;
        } else {
            row--;
            if (row && !BIT(row - 1, col - 1)) {
                w->ops[n_ops++] = 'I';
            } else {
                w->ops[n_ops++] = 'M';
                col--;
            }
        }
    }
#undef BIT
    while (col) {
        w->ops[n_ops++] = 'D';
        col--;
    }
    while (row) {
        w->ops[n_ops++] = 'I';
        row--;
    }
    Py_ssize_t matched = 0;
    for (Py_ssize_t k = 0; k < p; k++) matched += c->kinds[c0 + k] != 'p';
    Py_ssize_t i = p, j = p, gi = -1, gj = -1; /* gi >= 0: a change is open at (gi, gj) */
    for (Py_ssize_t k = n_ops - 1; k >= 0; k--) {
        char op = w->ops[k];
        if (op == 'M') {
            if (gi >= 0) {
                if (add_change(changes, cf, c0 + gi, c0 + i, s0 + gj, s0 + j) < 0) return -1;
                gi = -1;
            }
            matched += c->kinds[c0 + i] != 'p';
            i++;
            j++;
            continue;
        }
        if (gi < 0) {
            gi = i;
            gj = j;
        }
        if (op == 'D')
            i++;
        else
            j++;
    }
    if (gi >= 0 && add_change(changes, cf, c0 + gi, c0 + i, s0 + gj, s0 + j) < 0) return -1;
    for (Py_ssize_t k = 0; k < q; k++) matched += c->kinds[c0 + i + k] != 'p';
    return matched;
}

/* Clause ranges of tokens [lo, hi) into out (start, end pairs): cut at the clause marks.
 * Returns how many. */
static Py_ssize_t clauses(const Doc *d, Py_ssize_t lo, Py_ssize_t hi, const Config *cf,
                          Py_ssize_t *out) {
    Py_ssize_t n = 0, start = lo;
    for (Py_ssize_t i = lo; i < hi; i++) {
        if (d->kinds[i] != 'p') continue;
        PyObject *t = PyList_GET_ITEM(d->tokens, i);
        if (!PyUnicode_Check(t) || PyUnicode_GET_LENGTH(t) != 1) continue;
        Py_UCS4 ch = PyUnicode_READ_CHAR(t, 0);
        int mark = 0;
        for (int k = 0; k < cf->n_marks; k++) mark |= cf->marks[k] == ch;
        if (!mark) continue;
        if (i > start) {
            out[2 * n] = start;
            out[2 * n + 1] = i;
            n++;
        }
        start = i + 1;
    }
    if (hi > start) {
        out[2 * n] = start;
        out[2 * n + 1] = hi;
        n++;
    }
    return n;
}

typedef struct {
    double sim;
    Py_ssize_t index;
} Ranked;

static int by_sim(const void *x, const void *y) {
    const Ranked *a = x, *b = y;
    if (a->sim != b->sim) return a->sim > b->sim ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

/* The clause-by-clause alignment of copy sentence ci with source sentence si when their
 * clauses pair up out of order and that matches more words than `straight` (the
 * straight alignment's matched words, its changes in *changes). Replaces *changes then
 * and returns the new matched count; else returns `straight`. -1 on error. */
static Py_ssize_t align_clauses(const Doc *c, Py_ssize_t ci, const Doc *s, Py_ssize_t si,
                                Py_ssize_t straight, PyObject **changes, const Config *cf,
                                Work *w) {
    Py_ssize_t c0 = c->start[ci], c1 = c->end[ci], s0 = s->start[si], s1 = s->end[si];
    Py_ssize_t result = -1;
    Py_ssize_t *cc = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(2 * (c1 - c0) + 2));
    Py_ssize_t *sc = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(2 * (s1 - s0) + 2));
    Ranked *order = NULL;
    Py_ssize_t *to = NULL;
    char *used = NULL;
    PyObject *out = NULL;
    if (!cc || !sc) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t nc = clauses(c, c0, c1, cf, cc), ns = clauses(s, s0, s1, cf, sc);
    if (nc < 2 || ns < 2) {
        result = straight;
        goto done;
    }
    order = PyMem_Malloc(sizeof(Ranked) * (size_t)(nc * ns));
    to = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)nc);
    used = PyMem_Calloc((size_t)(nc + ns), 1);
    if (!order || !to || !used) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < nc; i++) {
        to[i] = -1;
        if (lcs_pattern(c->codes + cc[2 * i], cc[2 * i + 1] - cc[2 * i], w) < 0) goto done;
        for (Py_ssize_t j = 0; j < ns; j++) {
            Ranked *r = &order[i * ns + j];
            r->index = i * ns + j;
            if (indel_similarity(s->codes + sc[2 * j], sc[2 * j + 1] - sc[2 * j], w, &r->sim) < 0)
                goto done;
        }
    }
    qsort(order, (size_t)(nc * ns), sizeof(Ranked), by_sim);
    for (Py_ssize_t k = 0; k < nc * ns; k++) {
        if (order[k].sim < cf->min_clause) break;
        Py_ssize_t i = order[k].index / ns, j = order[k].index % ns;
        if (used[i] || used[nc + j]) continue;
        used[i] = used[nc + j] = 1;
        to[i] = j;
    }
    int in_order = 1;
    for (Py_ssize_t i = 0, last = -1; i < nc; i++) {
        if (to[i] < 0) continue;
        if (to[i] <= last) in_order = 0;
        last = to[i];
    }
    if (in_order) {
        result = straight;
        goto done;
    }
    out = PyList_New(0);
    if (!out) goto done;
    Py_ssize_t matched = 0;
    for (Py_ssize_t i = 0; i < nc; i++) {
        Py_ssize_t a = cc[2 * i], b = cc[2 * i + 1], j = to[i];
        if (j < 0) { /* a clause with no counterpart */
            if (add_change(out, cf, a, b, s0, s0) < 0) goto done;
            continue;
        }
        Py_ssize_t m = lcs_changes(c, a, b, s, sc[2 * j], sc[2 * j + 1], cf, w, out);
        if (m < 0) goto done;
        matched += m;
    }
    if (matched > straight) {
        Py_SETREF(*changes, out);
        out = NULL;
        result = matched;
    } else {
        result = straight;
    }
done:
    PyMem_Free(cc);
    PyMem_Free(sc);
    PyMem_Free(order);
    PyMem_Free(to);
    PyMem_Free(used);
    Py_XDECREF(out);
    return result;
}


/* Sentence similarity as unspin.align computes it with rapidfuzz: the mean of the Indel
 * normalized similarities of two sentences' codes and of their sorted codes ("bags"), in
 * float32 as rapidfuzz's cdist returns them and numpy adds them. A bag similarity is a
 * multiset intersection (the LCS of two sorted strings), counted for every source
 * sentence at once from an index of the source's bags; the sentence LCS is computed only
 * where it can change the two best (the mean is at most the bag similarity). */
typedef struct {
    Entry *table; /* open addressing (table_find): a code of the source -> its first
                   * posting, in the entry's mask (-1: a free slot, or no posting) */
    Py_ssize_t cap;
    int *next, *sent, *count; /* postings: (source sentence, how many times) */
    Py_ssize_t *acc;          /* per source sentence: codes shared with the copy sentence */
    float *bag;               /* per source sentence: bag similarity with the copy sentence */
    char *seen;
} Sims;

static void sims_free(Sims *x) {
    PyMem_Free(x->table);
    PyMem_Free(x->next);
    PyMem_Free(x->sent);
    PyMem_Free(x->count);
    PyMem_Free(x->acc);
    PyMem_Free(x->bag);
    PyMem_Free(x->seen);
}

/* Where the run of equal codes that starts at i ends in a sorted bag. */
static Py_ssize_t run_end(int kind, const void *data, Py_ssize_t len, Py_ssize_t i) {
    Py_UCS4 c = PyUnicode_READ(kind, data, i);
    Py_ssize_t j = i + 1;
    while (j < len && PyUnicode_READ(kind, data, j) == c) j++;
    return j;
}

/* Index the source's bags. */
static int sims_load(Sims *x, const Doc *s) {
    memset(x, 0, sizeof(*x));
    Py_ssize_t n = 0;
    for (Py_ssize_t k = 0; k < s->n_sents; k++)
        n += PyUnicode_GET_LENGTH(PyList_GET_ITEM(s->bags, k));
    x->cap = 16;
    while (x->cap < 2 * n) x->cap *= 2;
    Py_ssize_t ns = s->n_sents ? s->n_sents : 1;
    x->table = PyMem_Malloc(sizeof(Entry) * (size_t)x->cap);
    x->next = PyMem_Malloc(sizeof(int) * (size_t)(n ? n : 1));
    x->sent = PyMem_Malloc(sizeof(int) * (size_t)(n ? n : 1));
    x->count = PyMem_Malloc(sizeof(int) * (size_t)(n ? n : 1));
    x->acc = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)ns);
    x->bag = PyMem_Malloc(sizeof(float) * (size_t)ns);
    x->seen = PyMem_Malloc((size_t)ns);
    if (!x->table || !x->next || !x->sent || !x->count || !x->acc || !x->bag || !x->seen) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < x->cap; i++) x->table[i].mask = -1;
    int posts = 0;
    for (Py_ssize_t k = 0; k < s->n_sents; k++) {
        PyObject *bag = PyList_GET_ITEM(s->bags, k);
        int kind = PyUnicode_KIND(bag);
        const void *data = PyUnicode_DATA(bag);
        Py_ssize_t len = PyUnicode_GET_LENGTH(bag);
        for (Py_ssize_t i = 0, j; i < len; i = j) {
            Py_UCS4 c = PyUnicode_READ(kind, data, i);
            j = run_end(kind, data, len, i);
            Entry *e = &x->table[table_find(x->table, x->cap, c)];
            e->key = c; /* a free slot takes the code; its -1 ends the chain */
            x->sent[posts] = (int)k;
            x->count[posts] = (int)(j - i);
            x->next[posts] = e->mask;
            e->mask = posts++;
        }
    }
    return 0;
}

/* Bag similarities of copy sentence ci with every source sentence, into x->bag. */
static void sims_bags(Sims *x, const Doc *c, Py_ssize_t ci, const Doc *s) {
    for (Py_ssize_t k = 0; k < s->n_sents; k++) x->acc[k] = 0;
    PyObject *bag = PyList_GET_ITEM(c->bags, ci);
    int kind = PyUnicode_KIND(bag);
    const void *data = PyUnicode_DATA(bag);
    Py_ssize_t len = PyUnicode_GET_LENGTH(bag);
    for (Py_ssize_t i = 0, j; i < len; i = j) {
        j = run_end(kind, data, len, i);
        size_t h = table_find(x->table, x->cap, PyUnicode_READ(kind, data, i));
        for (int p = x->table[h].mask; p >= 0; p = x->next[p])
            x->acc[x->sent[p]] += (j - i) < x->count[p] ? (j - i) : x->count[p];
    }
    for (Py_ssize_t k = 0; k < s->n_sents; k++)
        x->bag[k] = indel_f(len, PyUnicode_GET_LENGTH(PyList_GET_ITEM(s->bags, k)), x->acc[k]);
}

/* The copy sentence ci as the pattern of the sim_at calls that follow. */
static int sim_pattern(const Doc *c, Py_ssize_t ci, Work *w) {
    return lcs_pattern(c->codes + c->start[ci], c->end[ci] - c->start[ci], w);
}

/* The sentence similarity of copy sentence ci (the pattern: sim_pattern) and source
 * sentence si. */
static int sim_at(const Sims *x, const Doc *s, Py_ssize_t si, Work *w, float *out) {
    double a;
    if (indel_similarity(s->codes + s->start[si], s->end[si] - s->start[si], w, &a) < 0)
        return -1;
    *out = ((float)a + x->bag[si]) / 2.0f;
    return 0;
}

/* Whether source sentence a ranks before b for copy sentence ci: more similar, then
 * nearer the copy sentence's place in the text, then first. */
static int ranks_before(float sa, Py_ssize_t a, float sb, Py_ssize_t b, Py_ssize_t ci,
                        Py_ssize_t n_c, Py_ssize_t n_s) {
    if (sa != sb) return sa > sb;
    Py_ssize_t da = a * n_c - ci * n_s, db = b * n_c - ci * n_s;
    if (da < 0) da = -da;
    if (db < 0) db = -db;
    if (da != db) return da < db;
    return a < b;
}

/* The two best source sentences for copy sentence ci (-1: none) and their similarities. */
static int best_two(Sims *x, const Doc *c, Py_ssize_t ci, const Doc *s, Work *w,
                    Py_ssize_t top[2], float top_sim[2]) {
    Py_ssize_t n_s = s->n_sents;
    top[0] = top[1] = -1;
    top_sim[0] = top_sim[1] = 0.0f;
    sims_bags(x, c, ci, s);
    if (sim_pattern(c, ci, w) < 0) return -1;
    memset(x->seen, 0, (size_t)n_s);
    for (;;) {
        /* the most bag-similar source sentence not looked at yet */
        Py_ssize_t next = -1;
        for (Py_ssize_t k = 0; k < n_s; k++)
            if (!x->seen[k] && (next < 0 || x->bag[k] > x->bag[next])) next = k;
        if (next < 0 || (top[1] >= 0 && x->bag[next] < top_sim[1])) break;
        x->seen[next] = 1;
        float v;
        if (sim_at(x, s, next, w, &v) < 0) return -1;
        if (top[0] < 0 || ranks_before(v, next, top_sim[0], top[0], ci, c->n_sents, n_s)) {
            top[1] = top[0];
            top_sim[1] = top_sim[0];
            top[0] = next;
            top_sim[0] = v;
        } else if (top[1] < 0 || ranks_before(v, next, top_sim[1], top[1], ci, c->n_sents, n_s)) {
            top[1] = next;
            top_sim[1] = v;
        }
    }
    return 0;
}

/* What one call holds: both documents, the source's bag index, the scratch space. */
typedef struct {
    Doc c, s;
    Sims x;
    Work w;
} Ctx;

static int ctx_load(Ctx *t, PyObject *copy, PyObject *source) {
    memset(t, 0, sizeof(*t)); /* ctx_free is safe whatever failed */
    if (doc_load(copy, &t->c) < 0 || doc_load(source, &t->s) < 0) return -1;
    return sims_load(&t->x, &t->s);
}

static void ctx_free(Ctx *t) {
    doc_free(&t->c);
    doc_free(&t->s);
    sims_free(&t->x);
    work_free(&t->w);
}

/* similarities(copy, source) -> the whole copy x source matrix as a list of rows (for
 * tests: unspin.align computes it with rapidfuzz and numpy). */
static PyObject *similarities(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *copy, *source, *out = NULL;
    if (!PyArg_ParseTuple(args, "OO:similarities", &copy, &source)) return NULL;
    Ctx ctx;
    Doc *c = &ctx.c, *s = &ctx.s;
    if (ctx_load(&ctx, copy, source) < 0) goto done;
    out = PyList_New(c->n_sents);
    if (!out) goto done;
    for (Py_ssize_t ci = 0; ci < c->n_sents; ci++) {
        PyObject *row = PyList_New(s->n_sents);
        if (!row) {
            Py_CLEAR(out);
            goto done;
        }
        PyList_SET_ITEM(out, ci, row);
        sims_bags(&ctx.x, c, ci, s);
        if (sim_pattern(c, ci, &ctx.w) < 0) {
            Py_CLEAR(out);
            goto done;
        }
        for (Py_ssize_t si = 0; si < s->n_sents; si++) {
            float v;
            PyObject *f;
            if (sim_at(&ctx.x, s, si, &ctx.w, &v) < 0 || !(f = PyFloat_FromDouble(v))) {
                Py_CLEAR(out);
                goto done;
            }
            PyList_SET_ITEM(row, si, f);
        }
    }
done:
    ctx_free(&ctx);
    return out;
}

static PyObject *align_rows(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *copy, *source, *change, *pair, *marks;
    Config cf;
    if (!PyArg_ParseTuple(args, "OOO!O!ddU:align_rows", &copy, &source, &PyType_Type, &change,
                          &PyType_Type, &pair, &cf.min_sentence, &cf.min_clause, &marks))
        return NULL;
    cf.change = (PyTypeObject *)change;
    cf.pair = (PyTypeObject *)pair;
    if (!PyType_IsSubtype(cf.change, &PyTuple_Type) || !PyType_IsSubtype(cf.pair, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "align_rows: Change and SentencePair must be tuples");
        return NULL;
    }
    cf.n_marks = (int)PyUnicode_GET_LENGTH(marks);
    if (cf.n_marks > 8) {
        PyErr_SetString(PyExc_ValueError, "align_rows: at most 8 clause marks");
        return NULL;
    }
    for (int k = 0; k < cf.n_marks; k++) cf.marks[k] = PyUnicode_READ_CHAR(marks, k);

    Ctx ctx;
    Doc *c = &ctx.c, *s = &ctx.s;
    PyObject *pairs = NULL, *result = NULL;
    char *reused = NULL;
    if (ctx_load(&ctx, copy, source) < 0) goto done;
    Py_ssize_t n_s = s->n_sents;
    reused = PyMem_Calloc((size_t)(n_s ? n_s : 1), 1);
    pairs = PyList_New(0);
    if (!reused || !pairs) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t aligned = 0, matched_total = 0;
    for (Py_ssize_t ci = 0; ci < c->n_sents; ci++) {
        Py_ssize_t cw = c->words[ci];
        if (cw == 0 || n_s == 0) continue;
        /* The two most similar source sentences; ties go to the one nearest this
         * sentence's place in the text, then the first (as the reference sorts). */
        Py_ssize_t top[2];
        float top_sim[2];
        if (best_two(&ctx.x, c, ci, s, &ctx.w, top, top_sim) < 0) goto done;
        PyObject *best_changes = NULL;
        Py_ssize_t best_si = -1, best_matched = 0;
        double best_dice = 0.0;
        for (int t = 0; t < 2 && top[t] >= 0; t++) {
            Py_ssize_t si = top[t];
            if ((double)top_sim[t] < cf.min_sentence / 2) break;
            Py_ssize_t sw = s->words[si];
            Py_ssize_t shared =
                shared_words(PyList_GET_ITEM(c->word_bags, ci), PyList_GET_ITEM(s->word_bags, si));
            double bound = (double)(2 * shared) / (double)(cw + sw);
            if (bound < cf.min_sentence || (best_si >= 0 && bound <= best_dice)) continue;
            PyObject *changes = PyList_New(0);
            if (!changes) {
                Py_XDECREF(best_changes);
                goto done;
            }
            Py_ssize_t matched = lcs_changes(c, c->start[ci], c->end[ci], s, s->start[si],
                                             s->end[si], &cf, &ctx.w, changes);
            if (matched >= 0 && matched < shared) /* clauses may be swapped */
                matched = align_clauses(c, ci, s, si, matched, &changes, &cf, &ctx.w);
            if (matched < 0) {
                Py_DECREF(changes);
                Py_XDECREF(best_changes);
                goto done;
            }
            double dice = (double)(2 * matched) / (double)(cw + sw);
            if (dice >= cf.min_sentence && (best_si < 0 || dice > best_dice)) {
                Py_XSETREF(best_changes, changes);
                best_si = si;
                best_dice = dice;
                best_matched = matched;
            } else {
                Py_DECREF(changes);
            }
        }
        if (best_si < 0) continue;
        PyObject *items[5] = {PyLong_FromSsize_t(ci), PyLong_FromSsize_t(best_si),
                              PyFloat_FromDouble(best_dice), PyLong_FromSsize_t(best_matched),
                              PyList_AsTuple(best_changes)};
        Py_DECREF(best_changes);
        PyObject *p = make(cf.pair, 5, items);
        if (!p || PyList_Append(pairs, p) < 0) {
            Py_XDECREF(p);
            goto done;
        }
        Py_DECREF(p);
        reused[best_si] = 1;
        aligned += cw;
        matched_total += best_matched;
    }
    Py_ssize_t reused_words = 0;
    for (Py_ssize_t si = 0; si < n_s; si++)
        if (reused[si]) reused_words += s->words[si];
    result = Py_BuildValue("Onnn", pairs, aligned, matched_total, reused_words);
done:
    Py_XDECREF(pairs);
    PyMem_Free(reused);
    ctx_free(&ctx);
    return result;
}

/* The int64 array of an analysis' Spans attribute ``name`` ("starts" or "ends"). */
static int offsets_of(PyObject *spans, const char *name, Py_buffer *view) {
    PyObject *arr = PyObject_GetAttrString(spans, name);
    if (!arr) return -1;
    int r = offsets_buffer(arr, view);
    Py_DECREF(arr);
    if (r < 0) PyErr_Format(PyExc_TypeError, "spans.%s must be an array('q')", name);
    return r;
}

/* What spans() reads of one analysis (references held until side_release). */
typedef struct {
    PyObject *text;  /* the input text (ASCII) */
    PyObject *kinds; /* one ASCII letter per token */
    Py_ssize_t n;    /* tokens */
    Py_buffer starts, ends;
    int held; /* the two buffers */
} Side;

static void side_release(Side *s) {
    if (s->held) {
        PyBuffer_Release(&s->starts);
        PyBuffer_Release(&s->ends);
        s->held = 0;
    }
    Py_CLEAR(s->text);
    Py_CLEAR(s->kinds);
}

/* 1 ready, 0 the text is not ASCII, -1 error (nothing held then). */
static int side_of(PyObject *a, Side *s) {
    memset(s, 0, sizeof(*s));
    PyObject *spans = NULL;
    int r = -1;
    if (!(s->text = PyObject_GetAttrString(a, "text"))) goto out;
    if (!PyUnicode_Check(s->text)) {
        PyErr_SetString(PyExc_TypeError, "analysis.text must be a str");
        goto out;
    }
    if (!PyUnicode_IS_ASCII(s->text)) {
        r = 0;
        goto out;
    }
    if (!(s->kinds = PyObject_GetAttrString(a, "kinds"))) goto out;
    if (!(spans = PyObject_GetAttrString(a, "spans"))) goto out;
    if (!PyUnicode_Check(s->kinds) || !PyUnicode_IS_ASCII(s->kinds)) {
        PyErr_SetString(PyExc_TypeError, "analysis.kinds must be an ASCII str");
        goto out;
    }
    s->n = PyUnicode_GET_LENGTH(s->kinds);
    if (offsets_of(spans, "starts", &s->starts) < 0) goto out;
    if (offsets_of(spans, "ends", &s->ends) < 0) {
        PyBuffer_Release(&s->starts);
        goto out;
    }
    s->held = 1;
    if (s->starts.len / 8 != s->n || s->ends.len / 8 != s->n) {
        PyErr_SetString(PyExc_ValueError, "kinds and spans differ in length");
        goto out;
    }
    r = 1;
out:
    Py_XDECREF(spans);
    if (r != 1) side_release(s);
    return r;
}

/* An int field of a named tuple, as an index within [0, n]; -1 with an exception. */
static Py_ssize_t index_at(PyObject *tup, Py_ssize_t k, Py_ssize_t n) {
    Py_ssize_t v = PyLong_AsSsize_t(PyTuple_GET_ITEM(tup, k));
    if (v == -1 && PyErr_Occurred()) return -1;
    if (v < 0 || v > n) {
        PyErr_SetString(PyExc_IndexError, "a change lies outside the tokens");
        return -1;
    }
    return v;
}

static PyObject *spans(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *pairs, *sentences, *copy, *source;
    if (!PyArg_ParseTuple(args, "O!OOO:spans", &PyTuple_Type, &pairs, &sentences, &copy,
                          &source))
        return NULL;
    if (sentences != Py_None && !PyAnySet_Check(sentences)) {
        PyErr_SetString(PyExc_TypeError, "sentences must be a set or None");
        return NULL;
    }
    Side c, s;
    int rc = side_of(copy, &c);
    if (rc <= 0) return rc < 0 ? NULL : Py_NewRef(Py_None);
    int rs = side_of(source, &s);
    if (rs <= 0) {
        side_release(&c);
        return rs < 0 ? NULL : Py_NewRef(Py_None);
    }
    const long long *cst = c.starts.buf, *cen = c.ends.buf;
    const long long *sst = s.starts.buf, *sen = s.ends.buf;
    const char *ckinds = (const char *)PyUnicode_1BYTE_DATA(c.kinds);
    const char *skinds = (const char *)PyUnicode_1BYTE_DATA(s.kinds);
    PyObject *out = PyList_New(0);
    if (!out) goto fail;
    for (Py_ssize_t p = 0; p < PyTuple_GET_SIZE(pairs); p++) {
        PyObject *pair = PyTuple_GET_ITEM(pairs, p);
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) < 5 ||
            !PyTuple_Check(PyTuple_GET_ITEM(pair, 4))) {
            PyErr_SetString(PyExc_TypeError, "pairs must hold SentencePair tuples");
            goto fail;
        }
        if (sentences != Py_None) {
            int in = PySet_Contains(sentences, PyTuple_GET_ITEM(pair, 0));
            if (in < 0) goto fail;
            if (!in) continue;
        }
        PyObject *changes = PyTuple_GET_ITEM(pair, 4);
        for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(changes); k++) {
            PyObject *ch = PyTuple_GET_ITEM(changes, k);
            if (!PyTuple_Check(ch) || PyTuple_GET_SIZE(ch) < 4) {
                PyErr_SetString(PyExc_TypeError, "changes must be Change tuples");
                goto fail;
            }
            Py_ssize_t ci = index_at(ch, 0, c.n), cj = index_at(ch, 1, c.n);
            Py_ssize_t si = index_at(ch, 2, s.n), sj = index_at(ch, 3, s.n);
            if (ci < 0 || cj < 0 || si < 0 || sj < 0) goto fail;
            /* Punctuation at either end is not part of a substitution. */
            while (ci < cj && ckinds[ci] == 'p') ci++;
            while (cj > ci && ckinds[cj - 1] == 'p') cj--;
            if (ci == cj) continue; /* only the source had words here */
            Py_ssize_t start = (Py_ssize_t)cst[ci], end = (Py_ssize_t)cen[cj - 1];
            if (end < start) end = start;
            while (si < sj && skinds[si] == 'p') si++;
            while (sj > si && skinds[sj - 1] == 'p') sj--;
            Py_ssize_t s0 = 0, s1 = 0;
            if (si < sj) {
                s0 = (Py_ssize_t)sst[si];
                s1 = (Py_ssize_t)sen[sj - 1];
                if (s1 < s0) s1 = s0;
            }
            PyObject *text = PyUnicode_Substring(c.text, start, end);
            PyObject *orig = text ? PyUnicode_Substring(s.text, s0, s1) : NULL;
            PyObject *item = orig ? Py_BuildValue("(nnOO)", start, end, text, orig) : NULL;
            Py_XDECREF(text);
            Py_XDECREF(orig);
            if (!item || PyList_Append(out, item) < 0) {
                Py_XDECREF(item);
                goto fail;
            }
            Py_DECREF(item);
        }
    }
    side_release(&c);
    side_release(&s);
    return out;
fail:
    Py_XDECREF(out);
    side_release(&c);
    side_release(&s);
    return NULL;
}

static PyMethodDef methods[] = {
    {"align_rows", align_rows, METH_VARARGS,
     "align_rows(copy, source, Change, SentencePair, min_sentence, min_clause, marks)"},
    {"similarities", similarities, METH_VARARGS,
     "similarities(copy, source) -> rows of copy x source sentence similarities"},
    {"spans", spans, METH_VARARGS,
     "spans(pairs, sentences, copy, source) -> [(start, end, text, original)] or None"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_align", "unspin.align's sentence loop in C.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__align(void) { return PyModule_Create(&module); }
