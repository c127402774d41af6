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
 * unspin.clean's (FUNCTION_WORDS, _SHARE_NEEDLES, _PROMO_LABELS, _PROMO_PHRASES: the
 * last two lowercase, each phrase starting and ending with a letter), and
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

#include "_uclass.h"

/* Python's classes (_uclass.h's table) on the ASCII text: the table alone, without the
 * branch to the Unicode database that a_space() and friends keep for other text. */
#define ASCII_CLASS(name, bit) \
    static inline int name(unsigned char c) { return (u_ascii[c & 127] & (bit)) != 0; }
ASCII_CLASS(a_space, U_SPACE)
ASCII_CLASS(a_alpha, U_ALPHA)
ASCII_CLASS(a_decimal, U_DECIMAL)
ASCII_CLASS(a_upper, U_UPPER)
ASCII_CLASS(a_lower, U_LOWER)
ASCII_CLASS(a_alnum, U_ALNUM)
#undef ASCII_CLASS
static inline int a_word(unsigned char c) { return c == '_' || a_alnum(c); }

static inline unsigned char lower_c(unsigned char c) {
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* c is one of ``chars`` (strchr alone would also find the terminating NUL). */
static inline int one_of(unsigned char c, const char *chars) {
    return c && strchr(chars, c) != NULL;
}

typedef struct {
    const unsigned char *t;   /* the text */
    const unsigned char *low; /* the text lowercased */
    Py_ssize_t n;
    Py_ssize_t nl;       /* lines that are not blank */
    Py_ssize_t *ss, *se; /* each line's span, stripped (what lies around it is whitespace) */
    PyObject *fw;        /* FUNCTION_WORDS */
} Doc;

/* The next word of str.split() in t[*p:b]: 1 and its span [*x, *y), or 0 at the end. */
static int next_word(const unsigned char *t, Py_ssize_t *p, Py_ssize_t b, Py_ssize_t *x,
                     Py_ssize_t *y) {
    while (*p < b && a_space(t[*p])) (*p)++;
    if (*p == b) return 0;
    *x = *p;
    while (*p < b && !a_space(t[*p])) (*p)++;
    *y = *p;
    return 1;
}

/* The next run of three letters or more ([a-z]{3,} in the lowercased text) in line i
 * from *p: 1 and its span [*x, *y), or 0 at the end of the line. */
static int next_run(const Doc *d, Py_ssize_t i, Py_ssize_t *p, Py_ssize_t *x, Py_ssize_t *y) {
    Py_ssize_t b = d->se[i];
    while (*p < b) {
        while (*p < b && !a_alpha(d->t[*p])) (*p)++;
        *x = *p;
        while (*p < b && a_alpha(d->t[*p])) (*p)++;
        *y = *p;
        if (*y - *x >= 3) return 1;
    }
    return 0;
}

/* The line that position p is in or after: the last i with ss[i] <= p, or -1. */
static Py_ssize_t line_at(const Doc *d, Py_ssize_t p) {
    Py_ssize_t lo = 0, hi = d->nl;
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (d->ss[mid] <= p)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - 1;
}

/* Case-insensitive: does t[a:b] start with the lowercase ASCII p (length m)? */
static int starts_ci(const unsigned char *t, Py_ssize_t a, Py_ssize_t b, const char *p,
                     Py_ssize_t m) {
    if (b - a < m) return 0;
    for (Py_ssize_t q = 0; q < m; q++)
        if (lower_c(t[a + q]) != (unsigned char)p[q]) return 0;
    return 1;
}

/* _ends_with_stop on a stripped line: a final stop after closing quotes or brackets. */
static int ends_with_stop(const unsigned char *t, Py_ssize_t a, Py_ssize_t b) {
    while (b > a && one_of(t[b - 1], "\"')]")) b--;
    return b > a && one_of(t[b - 1], ".!?:;");
}

/* _AD_MARKER.match on a stripped line. */
static int ad_marker(const unsigned char *t, Py_ssize_t a, Py_ssize_t b) {
    Py_ssize_t p = a;
    if (t[p] == '[') {
        p++;
        while (p < b && a_space(t[p])) p++;
        if (!starts_ci(t, p, b, "ad", 2)) return 0;
        p += 2;
        if (p < b && (t[p] == '_' || t[p] == ' ')) p++;
        while (p < b && a_decimal(t[p])) p++;
        while (p < b && a_space(t[p])) p++;
        if (p >= b || t[p] != ']') return 0;
        p++;
    } else if (starts_ci(t, p, b, "advertisement", 13)) {
        p += 13;
    } else if (starts_ci(t, p, b, "sponsored", 9)) {
        p += 9;
        if (starts_ci(t, p, b, " content", 8)) p += 8;
    } else if (starts_ci(t, p, b, "ad", 2)) {
        p += 2;
    } else {
        return 0;
    }
    while (p < b && a_space(t[p])) p++;
    return p == b;
}

/* _share_bar on a stripped line of ``words`` words: most of them (stripped of
 * .,:;|!?) name buttons. */
static int share_bar(const unsigned char *t, Py_ssize_t a, Py_ssize_t b, Py_ssize_t words,
                     PyObject *share) {
    Py_ssize_t hits = 0, k = PyTuple_GET_SIZE(share), x, y;
    Py_ssize_t need = words / 2 > 2 ? words / 2 : 2, left = words;
    for (Py_ssize_t p = a; hits + left >= need && next_word(t, &p, b, &x, &y);) {
        left--;
        while (x < y && one_of(t[x], ".,:;|!?")) x++;
        while (y > x && one_of(t[y - 1], ".,:;|!?")) y--;
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
        Py_ssize_t q = p, words = 0, x, y;
        while (q < b && t[q] != '|') q++;
        for (Py_ssize_t r = p; next_word(t, &r, q, &x, &y);) words++;
        if (words > 4) return 0;
        items++;
        if (q >= b) break;
        p = q;
    }
    return items >= 3;
}

/* _promo's label test on a stripped ASCII line: a promo label then '\s*[:|>-]' at its
 * start (its calls to action anywhere are found for the whole text: find_calls). */
static int promo_label(const unsigned char *t, Py_ssize_t a, Py_ssize_t b, PyObject *labels) {
    for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(labels); j++) {
        PyObject *l = PyTuple_GET_ITEM(labels, j);
        Py_ssize_t m = PyUnicode_GET_LENGTH(l);
        if (!starts_ci(t, a, b, (const char *)PyUnicode_DATA(l), m)) continue;
        Py_ssize_t p = a + m;
        while (p < b && a_space(t[p])) p++;
        if (p < b && one_of(t[p], ":|>-")) return 1;
    }
    return 0;
}

/* Flags the lines that hold one of the phrases as whole words (a phrase holds no line
 * break or whitespace at either end, so one found is inside one stripped line, and a
 * word boundary there is one in the text). */
static void find_calls(const Doc *d, PyObject *phrases, char *called) {
    for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(phrases); j++) {
        PyObject *l = PyTuple_GET_ITEM(phrases, j);
        const char *ph = (const char *)PyUnicode_DATA(l);
        Py_ssize_t m = PyUnicode_GET_LENGTH(l);
        const unsigned char *from = d->low, *stop = d->low + d->n, *at;
        while (stop - from >= m && (at = memmem(from, (size_t)(stop - from), ph, (size_t)m))) {
            Py_ssize_t p = at - d->low, i = line_at(d, p);
            from = at + 1;
            if (i < 0 || p + m > d->se[i]) continue;
            if ((p > 0 && a_word(d->t[p - 1])) || (p + m < d->n && a_word(d->t[p + m])))
                continue;
            called[i] = 1;
        }
    }
}

/* _title_like on a stripped line of ``words`` words. */
static int title_like(const unsigned char *t, Py_ssize_t a, Py_ssize_t b, Py_ssize_t words) {
    if (words < 2 || words > 20 || ends_with_stop(t, a, b)) return 0;
    Py_ssize_t alpha = 0, caps = 0, x, y;
    for (Py_ssize_t p = a; next_word(t, &p, b, &x, &y);) {
        alpha += a_alpha(t[x]);
        caps += a_upper(t[x]);
    }
    if (!alpha) return 0;
    int upper = 0, lower = 0;
    for (Py_ssize_t p = a; p < b; p++) {
        upper |= a_upper(t[p]);
        lower |= a_lower(t[p]);
    }
    return (upper && !lower) || 2 * caps >= alpha || words <= 12;
}

/* _numeric on a line of ``words`` words: a quarter of them hold a digit. */
static int numeric(const unsigned char *t, Py_ssize_t a, Py_ssize_t b, Py_ssize_t words) {
    Py_ssize_t with = 0, x, y;
    for (Py_ssize_t p = a; next_word(t, &p, b, &x, &y);)
        while (x < y)
            if (a_decimal(t[x++])) {
                with++;
                break;
            }
    return with * 4 >= words;
}

/* Line i's words (_line_words' second part) joined by spaces, as a new str. */
static PyObject *line_key(const Doc *d, Py_ssize_t i) {
    char *buf = PyMem_Malloc((size_t)(d->se[i] - d->ss[i]) + 1);
    if (!buf) return PyErr_NoMemory();
    Py_ssize_t len = 0, x, y;
    for (Py_ssize_t p = d->ss[i]; next_run(d, i, &p, &x, &y);) {
        if (len) buf[len++] = ' ';
        memcpy(buf + len, d->low + x, (size_t)(y - x));
        len += y - x;
    }
    PyObject *out = PyUnicode_FromStringAndSize(buf, len);
    PyMem_Free(buf);
    return out;
}

/* Whether line i's key (line_key) is the ASCII string h of length hn, without building
 * it. */
static int key_is(const Doc *d, Py_ssize_t i, const char *h, Py_ssize_t hn) {
    Py_ssize_t at = 0, x, y;
    for (Py_ssize_t p = d->ss[i]; next_run(d, i, &p, &x, &y);) {
        if (at) {
            if (at >= hn || h[at] != ' ') return 0;
            at++;
        }
        if (hn - at < y - x || memcmp(h + at, d->low + x, (size_t)(y - x)) != 0) return 0;
        at += y - x;
    }
    return at == hn;
}

/* Line i's content words: the set of its words that are not function words. */
static PyObject *line_vocab(const Doc *d, Py_ssize_t i) {
    PyObject *out = PySet_New(NULL);
    if (!out) return NULL;
    Py_ssize_t x, y;
    for (Py_ssize_t p = d->ss[i]; next_run(d, i, &p, &x, &y);) {
        PyObject *w = PyUnicode_FromStringAndSize((const char *)d->low + x, y - x);
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
 * line i. */
static int word_outside(const Doc *d, const char *w, Py_ssize_t m, Py_ssize_t i) {
    const unsigned char *p = d->low, *stop = d->low + d->n, *at;
    while (stop - p >= m && (at = memmem(p, (size_t)(stop - p), w, (size_t)m))) {
        Py_ssize_t x = at - d->low;
        if ((x < d->ss[i] || x >= d->se[i]) && (x == 0 || !a_alpha(d->low[x - 1])) &&
            !(x + m < d->n && a_alpha(d->low[x + m])))
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
        found += word_outside(d, (const char *)PyUnicode_DATA(w), PyUnicode_GET_LENGTH(w), i);
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

/* _foreign_headline for the first line: 1, 0, or -1 on error. */
static int glued_headline(const Doc *d, PyObject *title_words) {
    PyObject *vocab = line_vocab(d, 0);
    if (!vocab) return -1;
    int out = -1;
    double body = shared(d, 0, vocab);
    if (body < 0) goto done;
    if (title_words == Py_None) {
        out = body < 0.5;
        goto done;
    }
    Py_ssize_t size = PySet_GET_SIZE(vocab), in = common(vocab, title_words);
    if (in < 0) goto done;
    double in_title = size ? (double)in / (double)size : 0.0;
    out = in_title < 0.34 && body < 0.75;
done:
    Py_DECREF(vocab);
    return out;
}

/* The standalone-line test: line i is its own paragraph, short, not figures, and the
 * rest of the text shares less than ``min_overlap`` of its content words. 1, 0, or -1
 * on error. */
static int lone_promo(const Doc *d, Py_ssize_t i, Py_ssize_t words, double min_overlap) {
    if (words > 25) return 0;
    Py_ssize_t before = 0, after = 0;
    for (Py_ssize_t p = d->se[i - 1]; p < d->ss[i]; p++) before += d->t[p] == '\n';
    if (i + 1 < d->nl)
        for (Py_ssize_t p = d->se[i]; p < d->ss[i + 1]; p++) after += d->t[p] == '\n';
    int standalone = before >= 2 || after >= 2 || i + 1 == d->nl;
    if (!standalone || numeric(d->t, d->ss[i], d->se[i], words)) return 0;
    PyObject *vocab = line_vocab(d, i);
    if (!vocab) return -1;
    double body = shared(d, i, vocab);
    Py_DECREF(vocab);
    return body < 0 ? -1 : body < min_overlap;
}

static int add(PyObject *out, Py_ssize_t a, Py_ssize_t b, const char *reason) {
    PyObject *x = Py_BuildValue("(nns)", a, b, reason);
    int r = x ? PyList_Append(out, x) : -1;
    Py_XDECREF(x);
    return r;
}

/* The reason line i is a stray, or NULL; *err set on an error. */
static const char *judge(const Doc *d, Py_ssize_t i, PyObject **heads, int nh,
                         int first_is_title, int differ, int called, PyObject *title_words,
                         PyObject *share, PyObject *labels, double min_overlap, int *err) {
    const unsigned char *t = d->t;
    Py_ssize_t a = d->ss[i], b = d->se[i], words = 0, x, y;
    for (Py_ssize_t p = a; next_word(t, &p, b, &x, &y);) words++;
    if (ad_marker(t, a, b)) return "ad-marker";
    if (share_bar(t, a, b, words, share)) return "share-bar";
    if (navigation(t, a, b)) return "navigation";
    if (i > 0)
        for (int h = 0; h < nh; h++)
            if (key_is(d, i, (const char *)PyUnicode_DATA(heads[h]),
                       PyUnicode_GET_LENGTH(heads[h])))
                return "repeated-headline";
    if ((called || promo_label(t, a, b, labels)) && words <= 30) return "promo";
    int r = 0;
    if (i == 0) {
        if (first_is_title && differ && !starts_ci(t, a, b, "by ", 3))
            r = glued_headline(d, title_words);
        if (r > 0) return "glued-headline";
    } else if (!ends_with_stop(t, a, b)) {
        r = lone_promo(d, i, words, min_overlap);
        if (r > 0) return "promo";
    }
    *err = r < 0;
    return NULL;
}

static PyObject *find_strays(PyObject *Py_UNUSED(self), PyObject *args) {
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
    PyObject *out = PyList_New(0), *first_key = NULL;
    unsigned char *low = NULL;
    Py_ssize_t *spans = NULL;
    char *flags = NULL; /* per line: a call to action in it (1), a stray found (2) */
    if (!out) return NULL;
    /* Lines: runs of [^\n]+ that are not all whitespace, stripped. */
    Py_ssize_t most = 1;
    low = PyMem_Malloc((size_t)d.n + 1);
    if (!low) goto nomem;
    for (Py_ssize_t p = 0; p < d.n; p++) {
        low[p] = lower_c(d.t[p]);
        most += d.t[p] == '\n';
    }
    d.low = low;
    spans = PyMem_Malloc(sizeof(Py_ssize_t) * 2 * (size_t)most);
    flags = PyMem_Calloc((size_t)most, 1);
    if (!spans || !flags) goto nomem;
    d.ss = spans;
    d.se = spans + most;
    for (Py_ssize_t p = 0; p < d.n;) {
        Py_ssize_t q = p;
        while (q < d.n && d.t[q] != '\n') q++;
        Py_ssize_t a = p, b = q;
        while (a < b && a_space(d.t[a])) a++;
        while (b > a && a_space(d.t[b - 1])) b--;
        if (a < b) {
            d.ss[d.nl] = a;
            d.se[d.nl] = b;
            d.nl++;
        }
        p = q + 1;
    }
    if (d.nl >= 2) {
        find_calls(&d, phrases, flags);
        first_key = line_key(&d, 0);
        if (!first_key) goto fail;
        Py_ssize_t words0 = 0, x, y;
        for (Py_ssize_t p = d.ss[0]; next_word(d.t, &p, d.se[0], &x, &y);) words0++;
        int first_is_title = title_like(d.t, d.ss[0], d.se[0], words0);
        PyObject *heads[2] = {NULL, NULL};
        int nh = 0;
        /* A line of ASCII text has an ASCII key: a title's other key cannot be one. */
        if (title_key != Py_None && PyUnicode_GET_LENGTH(title_key) &&
            PyUnicode_IS_ASCII(title_key))
            heads[nh++] = title_key;
        if (first_is_title && PyUnicode_GET_LENGTH(first_key)) heads[nh++] = first_key;
        int differ = title_key == Py_None ? 1 : PyUnicode_Compare(first_key, title_key) != 0;
        if (PyErr_Occurred()) goto fail;
        for (Py_ssize_t i = 0; i < d.nl; i++) {
            int err = 0;
            const char *reason = judge(&d, i, heads, nh, first_is_title, differ, flags[i] & 1,
                                       title_words, share, labels, min_overlap, &err);
            if (err) goto fail;
            if (reason) {
                if (add(out, d.ss[i], d.se[i], reason) < 0) goto fail;
                flags[i] |= 2;
            }
        }
    }
    /* Spintax: {..|..} without braces or line breaks inside, outside the lines found. */
    for (Py_ssize_t p = 0; p < d.n; p++) {
        if (d.t[p] != '{') continue;
        Py_ssize_t q = p + 1;
        int bar = 0;
        while (q < d.n && d.t[q] != '{' && d.t[q] != '}' && d.t[q] != '\n') bar |= d.t[q++] == '|';
        if (q >= d.n || d.t[q] != '}' || !bar) continue;
        Py_ssize_t i = line_at(&d, p);
        int covered = i >= 0 && (flags[i] & 2) && p < d.se[i];
        if (!covered && add(out, p, q + 1, "spintax") < 0) goto fail;
        p = q;
    }
    goto done;
nomem:
    PyErr_NoMemory();
fail:
    Py_CLEAR(out);
done:
    Py_XDECREF(first_key);
    PyMem_Free(spans);
    PyMem_Free(low);
    PyMem_Free(flags);
    return out;
}

static PyMethodDef methods[] = {
    {"find_strays", find_strays, METH_VARARGS,
     "find_strays(text, title_key, title_words, function_words, share_words, promo_labels, "
     "promo_phrases, min_overlap) -> [(start, end, reason)]"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_strays", NULL, -1, methods};

PyMODINIT_FUNC PyInit__strays(void) {
    u_init();
    return PyModule_Create(&module);
}
