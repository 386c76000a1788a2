/* A batch's plain puts prepared in C: proven_puts.prepare for every entry of one table's list.
 *
 * ``prepare_all(entries, table, canonical_size, fast_key, dumps, max_size)`` answers the list of
 * ``(table, key, item, size, record)`` that ``proven_puts.prepare`` makes for each
 * ``{"PutRequest": {"Item": item}}`` of ``entries``, when every entry has exactly that shape, every
 * item is proven (``canonical_size``, the C walk of ``_sizes.c``) and at most ``max_size``, every
 * key is built (``fast_key``, the table's key builder) and no key repeats; ``record`` is the
 * stored record ``records.encode_item(item, size, False)`` makes: flags 0, the size as four
 * big-endian bytes, then ``dumps(item)``. For anything else the answer is None and the caller's
 * Python loop decides, entry by entry, exactly as before (and words any error). A walk too deep for
 * the interpreter (RecursionError) is "not proven", as ``values.canonical_size`` says.
 *
 * ``prepare(item, table, canonical_size, fast_key, dumps, max_size)`` is the same for one item
 * (a dict): ``proven_puts.prepare`` once the table has been found plain.
 *
 * Why C: ingest and replication write 25-item batches of exactly these puts, and the Python loop
 * around the C walk, the key builder and the encoder (shape checks, three calls, a tuple and a
 * duplicate set per item) was a sixth of a batched item's instructions.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

static PyObject *PUT_REQUEST, *ITEM;

/* The entry's item if the entry is exactly {"PutRequest": {"Item": <dict>}}, else NULL (no error). */
static PyObject *
item_of(PyObject *entry)
{
    if (!PyDict_CheckExact(entry) || PyDict_GET_SIZE(entry) != 1) {
        return NULL;
    }
    PyObject *put = PyDict_GetItemWithError(entry, PUT_REQUEST);
    if (put == NULL || !PyDict_CheckExact(put) || PyDict_GET_SIZE(put) != 1) {
        return NULL;
    }
    PyObject *item = PyDict_GetItemWithError(put, ITEM);
    return item != NULL && PyDict_CheckExact(item) ? item : NULL;
}

/* The prepared put of ``item`` (a dict); NULL with an error set, or NULL without one if it is not
 * plain. ``args`` are the module functions' arguments after the first. */
static PyObject *
prepare_item(PyObject *item, PyObject *const *args, Py_ssize_t max_size)
{
    PyObject *table = args[1], *canonical_size = args[2], *fast_key = args[3], *dumps = args[4];
    Py_INCREF(item); /* the calls below run Python code: hold the item while they do */
    PyObject *size = PyObject_CallOneArg(canonical_size, item);
    if (size == NULL) {
        if (PyErr_ExceptionMatches(PyExc_RecursionError)) {
            PyErr_Clear();
        }
        Py_DECREF(item);
        return NULL;
    }
    Py_ssize_t n = PyLong_AsSsize_t(size);
    if ((n == -1 && PyErr_Occurred()) || n < 0 || n > max_size || n > 0xFFFFFFFFL) {
        Py_DECREF(size);
        Py_DECREF(item);
        return NULL;
    }
    PyObject *key = PyObject_CallOneArg(fast_key, item);
    if (key == NULL || !PyBytes_CheckExact(key)) {
        Py_XDECREF(key);
        Py_DECREF(size);
        Py_DECREF(item);
        return NULL;
    }
    PyObject *body = PyObject_CallOneArg(dumps, item);
    if (body == NULL || !PyBytes_CheckExact(body)) {
        if (body != NULL) {
            Py_DECREF(body);
            PyErr_SetString(PyExc_TypeError, "prepare_all: dumps must return bytes");
        }
        Py_DECREF(key);
        Py_DECREF(size);
        Py_DECREF(item);
        return NULL;
    }
    Py_ssize_t length = PyBytes_GET_SIZE(body);
    PyObject *record = PyBytes_FromStringAndSize(NULL, 5 + length);
    if (record == NULL) {
        Py_DECREF(body);
        Py_DECREF(key);
        Py_DECREF(size);
        Py_DECREF(item);
        return NULL;
    }
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(record);
    out[0] = 0;
    out[1] = (unsigned char)((n >> 24) & 0xFF);
    out[2] = (unsigned char)((n >> 16) & 0xFF);
    out[3] = (unsigned char)((n >> 8) & 0xFF);
    out[4] = (unsigned char)(n & 0xFF);
    memcpy(out + 5, PyBytes_AS_STRING(body), (size_t)length);
    Py_DECREF(body);
    PyObject *put = PyTuple_Pack(5, table, key, item, size, record);
    Py_DECREF(record);
    Py_DECREF(key);
    Py_DECREF(size);
    Py_DECREF(item);
    return put;
}

static PyObject *
prepare_all(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 6 || !PyList_CheckExact(args[0])) {
        PyErr_SetString(PyExc_TypeError, "prepare_all(entries: list, table, canonical_size, fast_key, dumps, max_size)");
        return NULL;
    }
    Py_ssize_t max_size = PyLong_AsSsize_t(args[5]);
    if (max_size == -1 && PyErr_Occurred()) {
        return NULL;
    }
    PyObject *entries = args[0];
    Py_ssize_t count = PyList_GET_SIZE(entries);
    PyObject *puts = PyList_New(0);
    if (puts == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < count && i < PyList_GET_SIZE(entries); i++) {
        PyObject *entry = Py_NewRef(PyList_GET_ITEM(entries, i));
        PyObject *item = item_of(entry);
        PyObject *put = item == NULL ? NULL : prepare_item(item, args, max_size);
        Py_DECREF(entry);
        if (put == NULL) {
            Py_DECREF(puts);
            if (PyErr_Occurred()) {
                return NULL;
            }
            Py_RETURN_NONE;
        }
        PyObject *key = PyTuple_GET_ITEM(put, 1);
        for (Py_ssize_t j = 0; j < PyList_GET_SIZE(puts); j++) { /* 25 at most: compare, no set */
            PyObject *other = PyTuple_GET_ITEM(PyList_GET_ITEM(puts, j), 1);
            if (PyBytes_GET_SIZE(other) == PyBytes_GET_SIZE(key)
                    && memcmp(PyBytes_AS_STRING(other), PyBytes_AS_STRING(key), (size_t)PyBytes_GET_SIZE(key)) == 0) {
                Py_DECREF(put);
                Py_DECREF(puts);
                Py_RETURN_NONE; /* a duplicate key: the general path words it */
            }
        }
        int appended = PyList_Append(puts, put);
        Py_DECREF(put);
        if (appended < 0) {
            Py_DECREF(puts);
            return NULL;
        }
    }
    return puts;
}

static PyObject *
prepare(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 6 || !PyDict_CheckExact(args[0])) {
        PyErr_SetString(PyExc_TypeError, "prepare(item: dict, table, canonical_size, fast_key, dumps, max_size)");
        return NULL;
    }
    Py_ssize_t max_size = PyLong_AsSsize_t(args[5]);
    if (max_size == -1 && PyErr_Occurred()) {
        return NULL;
    }
    PyObject *put = prepare_item(args[0], args, max_size);
    if (put == NULL && !PyErr_Occurred()) {
        Py_RETURN_NONE;
    }
    return put;
}

static PyMethodDef methods[] = {
    {"prepare", (PyCFunction)(void (*)(void))prepare, METH_FASTCALL,
     "One item's prepared plain put, or None if it is not one; see _proven_puts.c."},
    {"prepare_all", (PyCFunction)(void (*)(void))prepare_all, METH_FASTCALL,
     "A table's batch entries as prepared plain puts, or None if one is not; see _proven_puts.c."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_proven_puts", "A batch's plain puts prepared in C (see _proven_puts.c).", -1, methods,
};

PyMODINIT_FUNC
PyInit__proven_puts(void)
{
    PUT_REQUEST = PyUnicode_InternFromString("PutRequest");
    ITEM = PyUnicode_InternFromString("Item");
    if (PUT_REQUEST == NULL || ITEM == NULL) {
        return NULL;
    }
    return PyModule_Create(&module);
}
