/* The common case of keys.py's string-key builder in C: the LMDB key of an item or Key whose
 * partition key is an S (and sort key, if any, an S) of a partition seen before.
 *
 * ``string_key(item, hash_name, range_name, prefixes, max_exact, max_sort)`` returns
 *   - the key (bytes), when the partition's prefix is in ``prefixes`` (the builder's cache) and
 *     the sort key needs no escaping and the key fits in ``max_exact`` bytes;
 *   - None, where keys.py's builder returns None (a missing or mistyped key attribute, an empty
 *     string, a sort key over ``max_sort`` bytes): the caller's checked path words the error;
 *   - NotImplemented for everything else (a partition not cached yet, a NUL byte to escape, a
 *     long key, a string that cannot be encoded), which the Python builder then handles as before.
 *
 * Why C: every GetItem, PutItem, DeleteItem, UpdateItem and batch member builds a key, and the
 * Python builder cost ~1.4 us of a ~10 us GetItem. tests/engine/test_fast_paths.py checks the
 * two builders against each other.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

static PyObject *S; /* "S", interned */

/* The non-empty exact-str S value of attribute ``name`` of ``item``; NULL with no error set if
 * the attribute is missing or not {"S": non-empty str}; NULL with an error on failure. */
static PyObject *
string_value(PyObject *item, PyObject *name)
{
    PyObject *av = PyDict_GetItemWithError(item, name);
    if (av == NULL || !PyDict_CheckExact(av) || PyDict_GET_SIZE(av) != 1) {
        return NULL;
    }
    PyObject *value = PyDict_GetItemWithError(av, S);
    if (value == NULL || !PyUnicode_CheckExact(value) || PyUnicode_GET_LENGTH(value) == 0) {
        return NULL;
    }
    return value;
}

static PyObject *
string_key(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError, "string_key takes 6 arguments");
        return NULL;
    }
    PyObject *item = args[0], *hash_name = args[1], *range_name = args[2], *prefixes = args[3];
    Py_ssize_t max_exact = PyLong_AsSsize_t(args[4]);
    Py_ssize_t max_sort = PyLong_AsSsize_t(args[5]);
    if ((max_exact == -1 || max_sort == -1) && PyErr_Occurred()) {
        return NULL;
    }
    if (!PyDict_CheckExact(item) || !PyDict_CheckExact(prefixes)) {
        Py_RETURN_NOTIMPLEMENTED;
    }
    PyObject *hash_value = string_value(item, hash_name);
    if (hash_value == NULL) {
        if (PyErr_Occurred()) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
    PyObject *prefix = PyDict_GetItemWithError(prefixes, hash_value);
    if (prefix == NULL) {
        if (PyErr_Occurred()) {
            return NULL;
        }
        Py_RETURN_NOTIMPLEMENTED;
    }
    if (!PyBytes_CheckExact(prefix)) {
        Py_RETURN_NOTIMPLEMENTED;
    }
    if (range_name == Py_None) {
        Py_INCREF(prefix);
        return prefix;
    }
    PyObject *range_value = string_value(item, range_name);
    if (range_value == NULL) {
        if (PyErr_Occurred()) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
    Py_ssize_t size;
    const char *utf8 = PyUnicode_AsUTF8AndSize(range_value, &size);
    if (utf8 == NULL) { /* a lone surrogate: the Python builder raises as it always did */
        PyErr_Clear();
        Py_RETURN_NOTIMPLEMENTED;
    }
    if (size > max_sort) {
        Py_RETURN_NONE;
    }
    Py_ssize_t prefix_size = PyBytes_GET_SIZE(prefix);
    Py_ssize_t total = prefix_size + size + 2;
    if (total > max_exact || memchr(utf8, 0, (size_t)size) != NULL) {
        Py_RETURN_NOTIMPLEMENTED;
    }
    PyObject *key = PyBytes_FromStringAndSize(NULL, total);
    if (key == NULL) {
        return NULL;
    }
    char *out = PyBytes_AS_STRING(key);
    memcpy(out, PyBytes_AS_STRING(prefix), (size_t)prefix_size);
    memcpy(out + prefix_size, utf8, (size_t)size);
    out[total - 2] = 0;
    out[total - 1] = 0;
    return key;
}

static PyMethodDef methods[] = {
    {"string_key", (PyCFunction)(void (*)(void))string_key, METH_FASTCALL,
     "LMDB key of an item with S keys of a cached partition; None if invalid; NotImplemented "
     "when the Python builder must decide."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_keys",
    "The common case of dynaflow.engine.keys' string-key builder, in C (see _keys.c).", -1, methods,
};

PyMODINIT_FUNC
PyInit__keys(void)
{
    S = PyUnicode_InternFromString("S");
    if (S == NULL) {
        return NULL;
    }
    return PyModule_Create(&module);
}
