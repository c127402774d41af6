/* Stray lines of an ASCII text in C: unspin.clean.find_strays's per-line tests.
 *
 * find_strays(text, title_key, title_words, function_words, share_words, promo_labels,
 *             promo_phrases, min_overlap) -> [(start, end, reason)]
 *
 * The same strays as unspin.clean._find_strays_py (the reference and the fallback) on a
 * text that is all ASCII, in the order that function appends them (each line's, then
 * the spintax outside them); the caller sorts them by start as it does. ``title_key``
 * and ``title_words`` are the page title's _norm_line and _content_words (None without a
 * title), computed by the caller (a title need not be ASCII); the word lists are
 * unspin.clean's (FUNCTION_WORDS, _SHARE_NEEDLES, _PROMO_LABELS, _PROMO_PHRASES), and
 * ``min_overlap`` its MIN_OVERLAP.
 *
 * The Python version narrows its tests with hint-word searches (a share bar names two
 * share buttons, a call to action holds one of a few words, a repeated headline holds
 * the headline's longest word); each narrowing only skips lines the full test would
 * reject, so here every test runs in full, each a scan of one line.
 *
 * Why C: stray lines were ~0.09 ms of the ~0.45 ms that verifying a cluster member
 * costs, Python's per-line calls more than the work in them.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

/* str.isspace() on an ASCII character. */
static inline int sp(unsigned char c) {
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}
static inline int lower_c(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }
static inline int is_letter(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static inline int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static inline int is_wordc(unsigned char c) { return is_letter(c) || is_digit(c) || c == '_'; }

typedef struct {
    const unsigned char *t; /* the text */
    const unsigned char *low; /* the text lowercased */
    Py_ssize_t n;
    Py_ssize_t nl;             /* lines that are not blank */
    Py_ssize_t *s, *e;         /* each line's span ([^\n]+) */
    Py_ssize_t *ss, *se;       /* the span of the line stripped */
    PyObject *fw;              /* FUNCTION_WORDS */
} Doc;

/* Case-insensitive: does t[a:b] start with the lowercase ASCII p (length m)? */
static int starts_ci(const unsigned char *t, Py_ssize_t a, Py_ssize_t b, const char *p,
                     Py_ssize_t m) {
    if (b - a < m) return 0;
    for (Py_ssize_t q = 0; q < m; q++)
        if (lower_c(t[a + q]) != (unsigned char)p[q]) return 0;
    return 1;
}

/* _ends_with_stop on t[a:b] (stripped): a final stop after closing quotes or brackets. */
static int ends_with_stop(const unsigned char *t, Py_ssize_t a, Py_ssize_t b) {
    while (b > a && sp(t[b - 1])) b--;
    while (b > a && (t[b - 1] == '"' || t[b - 1] == '\'' || t[b - 1] == ')' || t[b - 1] == ']'))
        b--;
    return b > a && strchr(".!?:;", t[b - 1]) != NULL;
}

/* len(t[a:b].split()) */
static Py_ssize_t n_split(const unsigned char *t, Py_ssize_t a, Py_ssize_t b) {
    Py_ssize_t k = 0;
    for (Py_ssize_t p = a; p < b;) {
        while (p < b && sp(t[p])) p++;
        if (p == b) break;
        k++;
        while (p < b && !sp(t[p])) p++;
    }
    return k;
}

/* _AD_MARKER.match on a stripped line. */
static int ad_marker(const unsigned char *t, Py_ssize_t a, Py_ssize_t b) {
    Py_ssize_t p = a;
    if (t[p] == '[') {
        p++;
        while (p < b && sp(t[p])) p++;
        if (!starts_ci(t, p, b, "ad", 2)) return 0;
        p += 2;
        if (p < b && (t[p] == '_' || t[p] == ' ')) p++;
        while (p < b && is_digit(t[p])) p++;
        while (p < b && sp(t[p])) p++;
        if (p >= b || t[p] != ']') return 0;
        p++;
    } else if (starts_ci(t, p, b, "advertisement", 13)) {
        p += 13;
    } else if (starts_ci(t, p, b, "sponsored", 9)) {
        p += 9;
        Py_ssize_t q = p;
        if (starts_ci(t, q, b, " content", 8)) {
            q += 8;
            while (q < b && sp(t[q])) q++;
            if (q == b) return 1;
        }
    } else if (starts_ci(t, p, b, "ad", 2)) {
        p += 2;
    } else {
        return 0;
    }
    while (p < b && sp(t[p])) p++;
    return p == b;
}

/* _share_bar on a stripped line: most of its words (stripped of .,:;|!?) name buttons. */
static int share_bar(const unsigned char *t, Py_ssize_t a, Py_ssize_t b, PyObject *share) {
    Py_ssize_t words = n_split(t, a, b), hits = 0, k = PyTuple_GET_SIZE(share);
    Py_ssize_t need = words / 2 > 2 ? words / 2 : 2, left = words;
    for (Py_ssize_t p = a; p < b && hits + left >= need;) {
        while (p < b && sp(t[p])) p++;
        if (p == b) break;
        Py_ssize_t x = p;
        while (p < b && !sp(t[p])) p++;
        left--;
        Py_ssize_t y = p;
        while (x < y && strchr(".,:;|!?", t[x])) x++;
        while (y > x && strchr(".,:;|!?", t[y - 1])) y--;
        for (Py_ssize_t j = 0; j < k; j++) {
            PyObject *w = PyTuple_GET_ITEM(share, j);
            if (PyUnicode_GET_LENGTH(w) == y - x &&
                starts_ci(t, x, y, (const char *)PyUnicode_DATA(w), y - x)) {
                hits++;
                break;
            }
        }
    }
    return hits >= need;
}

/* _navigation on a stripped ASCII line: three items or more between '|', each of four
 * words at most, and no '{' (the other separators are not ASCII). */
static int navigation(const unsigned char *t, Py_ssize_t a, Py_ssize_t b) {
    if (!memchr(t + a, '|', (size_t)(b - a)) || memchr(t + a, '{', (size_t)(b - a))) return 0;
    Py_ssize_t items = 0;
    for (Py_ssize_t p = a;; p++) {
        Py_ssize_t q = p;
        while (q < b && t[q] != '|') q++;
        if (n_split(t, p, q) > 4) return 0;
        items++;
        if (q >= b) break;
        p = q;
    }
    return items >= 3;
}

/* _promo on a stripped ASCII line t[a:b]: a promo label then '\s*[:|>-]' at its start,
 * or a call to action anywhere in it as a whole word (``calls``: the start of each call
 * to action in the text, found once for the text, with ``ends``). */
static int promo(const unsigned char *t, Py_ssize_t a, Py_ssize_t b, PyObject *labels,
                 const Py_ssize_t *calls, const Py_ssize_t *ends, Py_ssize_t ncalls) {
    for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(labels); j++) {
        PyObject *l = PyTuple_GET_ITEM(labels, j);
        Py_ssize_t m = PyUnicode_GET_LENGTH(l);
        if (!starts_ci(t, a, b, (const char *)PyUnicode_DATA(l), m)) continue;
        Py_ssize_t p = a + m;
        while (p < b && sp(t[p])) p++;
        if (p < b && strchr(":|>-", t[p])) return 1;
    }
    for (Py_ssize_t j = 0; j < ncalls; j++)
        if (calls[j] >= a && ends[j] <= b) return 1;
    return 0;
}

/* Where the phrases are in the lowercased text as whole words: their starts and ends
 * (the text around a stripped line is whitespace, so a word boundary in the line is one
 * in the text). Returns how many, or -1 without memory (*starts, *ends: PyMem). */
static Py_ssize_t find_calls(const Doc *d, PyObject *phrases, Py_ssize_t **starts,
                             Py_ssize_t **ends) {
    Py_ssize_t k = 0, cap = 8;
    *starts = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)cap);
    *ends = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)cap);
    if (!*starts || !*ends) return -1;
    for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(phrases); j++) {
        PyObject *l = PyTuple_GET_ITEM(phrases, j);
        const char *ph = (const char *)PyUnicode_DATA(l);
        Py_ssize_t m = PyUnicode_GET_LENGTH(l);
        const unsigned char *from = d->low, *stop = d->low + d->n, *at;
        while (stop - from >= m && (at = memmem(from, (size_t)(stop - from), ph, (size_t)m))) {
            Py_ssize_t p = at - d->low;
            from = at + 1;
            if ((p > 0 && is_wordc(d->t[p - 1])) || (p + m < d->n && is_wordc(d->t[p + m])))
                continue;
            if (k == cap) {
                cap *= 2;
                Py_ssize_t *s2 = PyMem_Realloc(*starts, sizeof(Py_ssize_t) * (size_t)cap);
                if (!s2) return -1;
                *starts = s2;
                Py_ssize_t *e2 = PyMem_Realloc(*ends, sizeof(Py_ssize_t) * (size_t)cap);
                if (!e2) return -1;
                *ends = e2;
            }
            (*starts)[k] = p;
            (*ends)[k++] = p + m;
        }
    }
    return k;
}

/* _title_like on a stripped line. */
static int title_like(const unsigned char *t, Py_ssize_t a, Py_ssize_t b) {
    Py_ssize_t words = n_split(t, a, b);
    if (words < 2 || words > 20 || ends_with_stop(t, a, b)) return 0;
    Py_ssize_t alpha = 0, caps = 0;
    for (Py_ssize_t p = a; p < b;) {
        while (p < b && sp(t[p])) p++;
        if (p == b) break;
        if (is_letter(t[p])) {
            alpha++;
            caps += t[p] >= 'A' && t[p] <= 'Z';
        }
        while (p < b && !sp(t[p])) p++;
    }
    if (!alpha) return 0;
    int upper = 0, lower = 0;
    for (Py_ssize_t p = a; p < b; p++) {
        upper |= t[p] >= 'A' && t[p] <= 'Z';
        lower |= t[p] >= 'a' && t[p] <= 'z';
    }
    return (upper && !lower) || 2 * caps >= alpha || words <= 12;
}

/* _numeric on t[a:b]'s words: a quarter of them hold a digit. */
static int numeric(const unsigned char *t, Py_ssize_t a, Py_ssize_t b) {
    Py_ssize_t words = 0, with = 0;
    for (Py_ssize_t p = a; p < b;) {
        while (p < b && sp(t[p])) p++;
        if (p == b) break;
        words++;
        int d = 0;
        while (p < b && !sp(t[p])) d |= is_digit(t[p++]);
        with += d;
    }
    return with * 4 >= words;
}

/* Line i's words ([a-z]{3,} in the lowercased line) joined by spaces, into a new str. */
static PyObject *line_key(const Doc *d, Py_ssize_t i) {
    Py_ssize_t cap = d->e[i] - d->s[i] + 1, len = 0;
    char *buf = PyMem_Malloc((size_t)cap);
    if (!buf) return PyErr_NoMemory();
    for (Py_ssize_t p = d->s[i]; p < d->e[i];) {
        while (p < d->e[i] && !is_letter(d->t[p])) p++;
        Py_ssize_t w0 = p;
        while (p < d->e[i] && is_letter(d->t[p])) p++;
        if (p - w0 >= 3) {
            if (len) buf[len++] = ' ';
            memcpy(buf + len, d->low + w0, (size_t)(p - w0));
            len += p - w0;
        }
    }
    PyObject *out = PyUnicode_FromStringAndSize(buf, len);
    PyMem_Free(buf);
    return out;
}

/* Whether line i's words ([a-z]{3,} in the lowercased line) joined by spaces are the
 * ASCII string h (length hn), without building them. */
static int key_is(const Doc *d, Py_ssize_t i, const char *h, Py_ssize_t hn) {
    Py_ssize_t at = 0;
    for (Py_ssize_t p = d->s[i]; p < d->e[i];) {
        while (p < d->e[i] && !is_letter(d->t[p])) p++;
        Py_ssize_t w0 = p;
        while (p < d->e[i] && is_letter(d->t[p])) p++;
        Py_ssize_t m = p - w0;
        if (m < 3) continue;
        if (at) {
            if (at >= hn || h[at] != ' ') return 0;
            at++;
        }
        if (hn - at < m || memcmp(h + at, d->low + w0, (size_t)m) != 0) return 0;
        at += m;
    }
    return at == hn;
}

/* Line i's content words: the set of its words that are not function words. */
static PyObject *line_vocab(const Doc *d, Py_ssize_t i) {
    PyObject *out = PySet_New(NULL);
    if (!out) return NULL;
    for (Py_ssize_t p = d->s[i]; p < d->e[i];) {
        while (p < d->e[i] && !is_letter(d->t[p])) p++;
        Py_ssize_t w0 = p;
        while (p < d->e[i] && is_letter(d->t[p])) p++;
        if (p - w0 < 3) continue;
        PyObject *w = PyUnicode_FromStringAndSize((const char *)d->low + w0, p - w0);
        if (!w) goto fail;
        int in = PySet_Contains(d->fw, w);
        int r = in == 0 ? PySet_Add(out, w) : in;
        Py_DECREF(w);
        if (r < 0) goto fail;
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

/* _word_outside: the lowercased text holds the word (letters) as a whole word outside
 * [start, end). */
static int word_outside(const Doc *d, const char *w, Py_ssize_t m, Py_ssize_t start,
                        Py_ssize_t end) {
    const unsigned char *p = d->low, *stop = d->low + d->n;
    while (p + m <= stop) {
        const unsigned char *at = memmem(p, (size_t)(stop - p), w, (size_t)m);
        if (!at) return 0;
        Py_ssize_t x = at - d->low;
        if ((x < start || x >= end) && (x == 0 || !(d->low[x - 1] >= 'a' && d->low[x - 1] <= 'z')) &&
            !(x + m < d->n && d->low[x + m] >= 'a' && d->low[x + m] <= 'z'))
            return 1;
        p = at + 1;
    }
    return 0;
}

/* shared(i): the share of line i's content words (``vocab``) found outside it; -1.0
 * on error. */
static double shared(const Doc *d, Py_ssize_t i, PyObject *vocab) {
    Py_ssize_t size = PySet_GET_SIZE(vocab), found = 0;
    if (!size) return 0.0;
    PyObject *it = PyObject_GetIter(vocab), *w;
    if (!it) return -1.0;
    while ((w = PyIter_Next(it))) {
        found += word_outside(d, (const char *)PyUnicode_DATA(w), PyUnicode_GET_LENGTH(w),
                              d->s[i], d->e[i]);
        Py_DECREF(w);
    }
    Py_DECREF(it);
    return PyErr_Occurred() ? -1.0 : (double)found / (double)size;
}

/* How many of ``vocab`` are in ``words``; -1 on error. */
static Py_ssize_t common(PyObject *vocab, PyObject *words) {
    Py_ssize_t in = 0;
    PyObject *it = PyObject_GetIter(vocab), *w;
    if (!it) return -1;
    while ((w = PyIter_Next(it))) {
        int c = PySet_Contains(words, w);
        Py_DECREF(w);
        if (c < 0) {
            Py_DECREF(it);
            return -1;
        }
        in += c;
    }
    Py_DECREF(it);
    return PyErr_Occurred() ? -1 : in;
}

static int add(PyObject *out, Py_ssize_t a, Py_ssize_t b, const char *reason) {
    PyObject *x = Py_BuildValue("(nns)", a, b, reason);
    int r = x ? PyList_Append(out, x) : -1;
    Py_XDECREF(x);
    return r;
}

static PyObject *find_strays(PyObject *self, PyObject *args) {
    PyObject *str, *title_key, *title_words, *fw, *share, *labels, *phrases;
    double min_overlap;
    if (!PyArg_ParseTuple(args, "UOOOO!O!O!d:find_strays", &str, &title_key, &title_words, &fw,
                          &PyTuple_Type, &share, &PyTuple_Type, &labels, &PyTuple_Type,
                          &phrases, &min_overlap))
        return NULL;
    if (!PyUnicode_IS_ASCII(str)) {
        PyErr_SetString(PyExc_ValueError, "find_strays: the text must be ASCII");
        return NULL;
    }
    if (!PyAnySet_Check(fw) || (title_words != Py_None && !PyAnySet_Check(title_words)) ||
        (title_key != Py_None && !PyUnicode_Check(title_key))) {
        PyErr_SetString(PyExc_TypeError, "find_strays: bad title or word set");
        return NULL;
    }
    PyObject *tuples[3] = {share, labels, phrases};
    for (int k = 0; k < 3; k++)
        for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(tuples[k]); j++) {
            PyObject *w = PyTuple_GET_ITEM(tuples[k], j);
            if (!PyUnicode_Check(w) || !PyUnicode_IS_ASCII(w) || PyUnicode_GET_LENGTH(w) == 0) {
                PyErr_SetString(PyExc_ValueError, "find_strays: words must be non-empty ASCII");
                return NULL;
            }
        }
    Doc d = {0};
    d.t = (const unsigned char *)PyUnicode_DATA(str);
    d.n = PyUnicode_GET_LENGTH(str);
    d.fw = fw;
    PyObject *out = PyList_New(0), *first_key = NULL, *vocab0 = NULL;
    PyObject *vocab = NULL;
    unsigned char *low = NULL;
    Py_ssize_t *spans = NULL, *calls = NULL, *call_ends = NULL, ncalls = 0;
    if (!out) return NULL;
    /* Lines: runs of [^\n]+ that are not all whitespace. */
    Py_ssize_t most = 1;
    for (Py_ssize_t p = 0; p < d.n; p++) most += d.t[p] == '\n';
    spans = PyMem_Malloc(sizeof(Py_ssize_t) * 4 * (size_t)most);
    low = PyMem_Malloc((size_t)d.n + 1);
    if (!spans || !low) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t p = 0; p < d.n; p++) low[p] = (unsigned char)lower_c(d.t[p]);
    d.low = low;
    d.s = spans;
    d.e = spans + most;
    d.ss = spans + 2 * most;
    d.se = spans + 3 * most;
    for (Py_ssize_t p = 0; p < d.n;) {
        Py_ssize_t q = p;
        while (q < d.n && d.t[q] != '\n') q++;
        Py_ssize_t a = p, b = q;
        while (a < b && sp(d.t[a])) a++;
        while (b > a && sp(d.t[b - 1])) b--;
        if (a < b) {
            d.s[d.nl] = p;
            d.e[d.nl] = q;
            d.ss[d.nl] = a;
            d.se[d.nl] = b;
            d.nl++;
        }
        p = q + 1;
    }
    if (d.nl >= 2) {
        ncalls = find_calls(&d, phrases, &calls, &call_ends);
        if (ncalls < 0) {
            PyErr_NoMemory();
            goto fail;
        }
        first_key = line_key(&d, 0);
        if (!first_key) goto fail;
        int first_is_title = title_like(d.t, d.ss[0], d.se[0]);
        PyObject *heads[2] = {NULL, NULL};
        int nh = 0;
        if (title_key != Py_None && PyUnicode_GET_LENGTH(title_key)) heads[nh++] = title_key;
        if (first_is_title && PyUnicode_GET_LENGTH(first_key)) heads[nh++] = first_key;
        int differ = title_key == Py_None ? 1 : PyUnicode_Compare(first_key, title_key) != 0;
        if (PyErr_Occurred()) goto fail;
        for (Py_ssize_t i = 0; i < d.nl; i++) {
            const unsigned char *t = d.t;
            Py_ssize_t a = d.ss[i], b = d.se[i];
            const char *reason = NULL;
            if (ad_marker(t, a, b)) {
                reason = "ad-marker";
            } else if (share_bar(t, a, b, share)) {
                reason = "share-bar";
            } else if (navigation(t, a, b)) {
                reason = "navigation";
            } else if (i > 0 && nh) {
                for (int h = 0; h < nh && !reason; h++)
                    if (PyUnicode_IS_ASCII(heads[h]) &&
                        key_is(&d, i, (const char *)PyUnicode_DATA(heads[h]),
                               PyUnicode_GET_LENGTH(heads[h])))
                        reason = "repeated-headline";
            }
            if (reason) {
            } else if (promo(t, a, b, labels, calls, call_ends, ncalls) && n_split(t, a, b) <= 30) {
                reason = "promo";
            } else if (i == 0 && first_is_title && differ) {
                if (!starts_ci(t, a, b, "by ", 3)) {
                    vocab0 = line_vocab(&d, 0);
                    if (!vocab0) goto fail;
                    double body = shared(&d, 0, vocab0);
                    if (body < 0) goto fail;
                    int foreign;
                    if (title_words != Py_None) {
                        Py_ssize_t size = PySet_GET_SIZE(vocab0), in = common(vocab0, title_words);
                        if (in < 0) goto fail;
                        double in_title = size ? (double)in / (double)size : 0.0;
                        foreign = in_title < 0.34 && body < 0.75;
                    } else {
                        foreign = body < 0.5;
                    }
                    if (foreign) reason = "glued-headline";
                }
            } else if (i > 0 && !ends_with_stop(t, a, b)) {
                Py_ssize_t before = 0, after = 0;
                for (Py_ssize_t p = d.e[i - 1]; p < d.s[i]; p++) before += t[p] == '\n';
                if (i + 1 < d.nl)
                    for (Py_ssize_t p = d.e[i]; p < d.s[i + 1]; p++) after += t[p] == '\n';
                int standalone = before >= 2 || after >= 2 || i + 1 == d.nl;
                if (n_split(t, a, b) <= 25 && !numeric(t, a, b) && standalone) {
                    vocab = line_vocab(&d, i);
                    if (!vocab) goto fail;
                    double body = shared(&d, i, vocab);
                    if (body < 0) goto fail;
                    if (body < min_overlap) reason = "promo";
                    Py_CLEAR(vocab);
                }
            }
            if (reason && add(out, a, b, reason) < 0) goto fail;
        }
    }
    /* Spintax: {..|..} without braces or line breaks inside, outside the lines found. */
    Py_ssize_t found = PyList_GET_SIZE(out);
    for (Py_ssize_t p = 0; p < d.n; p++) {
        if (d.t[p] != '{') continue;
        Py_ssize_t q = p + 1;
        int bar = 0;
        while (q < d.n && d.t[q] != '{' && d.t[q] != '}' && d.t[q] != '\n') bar |= d.t[q++] == '|';
        if (q >= d.n || d.t[q] != '}' || !bar) continue;
        int covered = 0;
        for (Py_ssize_t j = 0; j < found && !covered; j++) {
            PyObject *x = PyList_GET_ITEM(out, j);
            Py_ssize_t a = PyLong_AsSsize_t(PyTuple_GET_ITEM(x, 0));
            Py_ssize_t b = PyLong_AsSsize_t(PyTuple_GET_ITEM(x, 1));
            covered = a <= p && p < b;
        }
        if (!covered && add(out, p, q + 1, "spintax") < 0) goto fail;
        p = q;
    }
    goto done;
fail:
    Py_CLEAR(out);
done:
    Py_XDECREF(first_key);
    Py_XDECREF(vocab0);
    Py_XDECREF(vocab);
    PyMem_Free(spans);
    PyMem_Free(low);
    PyMem_Free(calls);
    PyMem_Free(call_ends);
    return out;
}

static PyMethodDef methods[] = {
    {"find_strays", find_strays, METH_VARARGS,
     "find_strays(text, title_key, title_words, function_words, share_words, promo_labels, "
     "promo_phrases, min_overlap) -> [(start, end, reason)]"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_strays", NULL, -1, methods};

PyMODINIT_FUNC PyInit__strays(void) { return PyModule_Create(&module); }
