/* Token offsets as the tokenizer gives them (array('q'), unspin.segment.Spans) for the C
 * modules that read them: a C-contiguous buffer of int64 items, read in place.
 */
#ifndef UNSPIN_OFFSETS_H
#define UNSPIN_OFFSETS_H

#include <Python.h>
#include <string.h>

/* ``o``'s buffer of int64 items into ``view`` (release it with PyBuffer_Release): 0, or
 * -1 with no exception set when ``o`` is not such a buffer (the caller says what it
 * wanted). */
static int offsets_buffer(PyObject *o, Py_buffer *view) {
    if (PyObject_GetBuffer(o, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyErr_Clear();
        return -1;
    }
    if (view->itemsize != 8 || !view->format || strcmp(view->format, "q") != 0) {
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

#endif
