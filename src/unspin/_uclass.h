/* Python's str character classes (str.isalnum() and friends, as re's \w \d \s use them)
 * for the C modules, with a table for ASCII.
 *
 * The Py_UNICODE_IS* macros call into the Unicode database for every character, up to
 * four lookups for a space (ISALNUM tries alpha, decimal, digit, numeric). News text is
 * nearly all ASCII, so the answer for the first 128 code points is read from a table,
 * filled at module init from the same macros: the classes cannot differ from Python's.
 */
#ifndef UNSPIN_UCLASS_H
#define UNSPIN_UCLASS_H

#include <Python.h>

enum {
    U_ALNUM = 1,
    U_ALPHA = 2,
    U_LOWER = 4,
    U_UPPER = 8,
    U_DIGIT = 16,
    U_DECIMAL = 32,
    U_SPACE = 64,
};

static unsigned char u_ascii[128];

/* Call once from the module's init function. */
static void u_init(void) {
    for (Py_UCS4 c = 0; c < 128; c++) {
        u_ascii[c] = (unsigned char)((Py_UNICODE_ISALNUM(c) ? U_ALNUM : 0) |
                                     (Py_UNICODE_ISALPHA(c) ? U_ALPHA : 0) |
                                     (Py_UNICODE_ISLOWER(c) ? U_LOWER : 0) |
                                     (Py_UNICODE_ISUPPER(c) ? U_UPPER : 0) |
                                     (Py_UNICODE_ISDIGIT(c) ? U_DIGIT : 0) |
                                     (Py_UNICODE_ISDECIMAL(c) ? U_DECIMAL : 0) |
                                     (Py_UNICODE_ISSPACE(c) ? U_SPACE : 0));
    }
}

#define U_CLASS(name, bit, macro) \
    static inline int name(Py_UCS4 c) { return c < 128 ? (u_ascii[c] & (bit)) != 0 : macro(c); }

U_CLASS(u_alnum, U_ALNUM, Py_UNICODE_ISALNUM)
U_CLASS(u_alpha, U_ALPHA, Py_UNICODE_ISALPHA)
U_CLASS(u_lower, U_LOWER, Py_UNICODE_ISLOWER)
U_CLASS(u_upper, U_UPPER, Py_UNICODE_ISUPPER)
U_CLASS(u_digit, U_DIGIT, Py_UNICODE_ISDIGIT)
U_CLASS(u_decimal, U_DECIMAL, Py_UNICODE_ISDECIMAL)
U_CLASS(u_space, U_SPACE, Py_UNICODE_ISSPACE)

#undef U_CLASS

/* \w: alphanumerics and the underscore. */
static inline int u_word(Py_UCS4 c) { return c == '_' || u_alnum(c); }

#endif
