/* The JSON-record mapper's per-field work in C: a parsed JSON object as DynamoDB attribute values.
 *
 * ``json_item(document, drops, renames, fallback)`` is ``rules.CompiledRule._json_item``: every
 * field of ``document`` (a dict from orjson) not in ``drops`` (a frozenset, empty or None for
 * none), renamed by ``renames`` (a dict, empty or None for none), as an attribute value the way
 * ``rules.to_attribute`` makes one:
 *
 *   str -> {"S": s}        int -> {"N": str(i)}       bool -> {"BOOL": b}      None -> {"NULL": True}
 *   float -> {"N": text}   (an integral float under 1e16 as its digits, else its repr)
 *   dict -> {"M": {...}}   list -> {"L": [...]}
 *
 * Anything else (a non-finite float, a subclass, another type) goes to ``fallback`` (the Python
 * ``to_attribute``), which answers it or raises the record error, so the two mappers agree on
 * every value; tests/pipelines/test_mapping_native.py checks them against each other.
 *
 * Why C: mapping a record was a quarter of the ingester's per-record time, most of it the
 * interpreter's loop over a handful of fields, each making one small dict.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>

static PyObject *S, *N, *M, *L, *BOOL_, *NULL_;

/* {tag: value}, stealing the reference to ``value`` */
static PyObject *
tagged(PyObject *tag, PyObject *value)
{
    if (value == NULL) {
        return NULL;
    }
    PyObject *av = PyDict_New();
    if (av == NULL || PyDict_SetItem(av, tag, value) < 0) {
        Py_XDECREF(av);
        Py_DECREF(value);
        return NULL;
    }
    Py_DECREF(value);
    return av;
}

/* The number text of a finite float (rules._float_text); NULL with no error set if not finite. */
static PyObject *
float_text(PyObject *value)
{
    double v = PyFloat_AS_DOUBLE(value);
    if (!isfinite(v)) {
        return NULL;
    }
    if (v > -1e16 && v < 1e16 && v == floor(v)) {
        PyObject *whole = PyLong_FromDouble(v);
        if (whole == NULL) {
            return NULL;
        }
        PyObject *text = PyObject_Str(whole);
        Py_DECREF(whole);
        return text;
    }
    return PyObject_Repr(value);
}

static PyObject *to_attribute(PyObject *value, PyObject *fallback);

static PyObject *
map_of(PyObject *value, PyObject *fallback)
{
    PyObject *out = PyDict_New();
    if (out == NULL) {
        return NULL;
    }
    PyObject *key, *inner;
    Py_ssize_t pos = 0;
    while (PyDict_Next(value, &pos, &key, &inner)) {
        PyObject *name = PyUnicode_CheckExact(key) ? Py_NewRef(key) : PyObject_Str(key);
        Py_INCREF(inner); /* the fallback runs Python code: hold the value while it does */
        PyObject *av = name == NULL ? NULL : to_attribute(inner, fallback);
        Py_DECREF(inner);
        if (av == NULL || PyDict_SetItem(out, name, av) < 0) {
            Py_XDECREF(name);
            Py_XDECREF(av);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(name);
        Py_DECREF(av);
    }
    return out;
}

static PyObject *
list_of(PyObject *value, PyObject *fallback)
{
    Py_ssize_t n = PyList_GET_SIZE(value);
    PyObject *out = PyList_New(n);
    if (out == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *av = to_attribute(PyList_GET_ITEM(value, i), fallback);
        if (av == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, i, av);
    }
    return out;
}

static PyObject *
to_attribute(PyObject *value, PyObject *fallback)
{
    if (PyUnicode_CheckExact(value)) {
        return tagged(S, Py_NewRef(value));
    }
    if (PyLong_CheckExact(value)) {
        return tagged(N, PyObject_Str(value));
    }
    if (PyFloat_CheckExact(value)) {
        PyObject *text = float_text(value);
        if (text != NULL) {
            return tagged(N, text);
        }
        if (PyErr_Occurred()) {
            return NULL;
        }
    }
    else if (PyBool_Check(value)) {
        return tagged(BOOL_, Py_NewRef(value));
    }
    else if (value == Py_None) {
        return tagged(NULL_, Py_NewRef(Py_True));
    }
    else if (PyDict_CheckExact(value)) {
        if (Py_EnterRecursiveCall(" while mapping a record")) {
            return NULL;
        }
        PyObject *inner = map_of(value, fallback);
        Py_LeaveRecursiveCall();
        return tagged(M, inner);
    }
    else if (PyList_CheckExact(value)) {
        if (Py_EnterRecursiveCall(" while mapping a record")) {
            return NULL;
        }
        PyObject *inner = list_of(value, fallback);
        Py_LeaveRecursiveCall();
        return tagged(L, inner);
    }
    return PyObject_CallOneArg(fallback, value);
}

static PyObject *
json_item(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "json_item takes 4 arguments");
        return NULL;
    }
    PyObject *document = args[0], *drops = args[1], *renames = args[2], *fallback = args[3];
    if (!PyDict_Check(document)) {
        PyErr_SetString(PyExc_TypeError, "json_item: the document must be a dict");
        return NULL;
    }
    if (drops != Py_None && !PyAnySet_Check(drops)) {
        PyErr_SetString(PyExc_TypeError, "json_item: drops must be a set or None");
        return NULL;
    }
    if (renames != Py_None && !PyDict_Check(renames)) {
        PyErr_SetString(PyExc_TypeError, "json_item: renames must be a dict or None");
        return NULL;
    }
    int dropping = drops != Py_None && PySet_GET_SIZE(drops) > 0;
    int renaming = renames != Py_None && PyDict_GET_SIZE(renames) > 0;
    PyObject *item = PyDict_New();
    if (item == NULL) {
        return NULL;
    }
    PyObject *field, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(document, &pos, &field, &value)) {
        if (dropping) {
            int dropped = PySet_Contains(drops, field);
            if (dropped < 0) {
                goto fail;
            }
            if (dropped) {
                continue;
            }
        }
        PyObject *name = field;
        if (renaming) {
            PyObject *renamed = PyDict_GetItemWithError(renames, field);
            if (renamed != NULL) {
                name = renamed;
            }
            else if (PyErr_Occurred()) {
                goto fail;
            }
        }
        PyObject *av = to_attribute(value, fallback);
        if (av == NULL) {
            goto fail;
        }
        int stored = PyDict_SetItem(item, name, av);
        Py_DECREF(av);
        if (stored < 0) {
            goto fail;
        }
    }
    return item;
fail:
    Py_DECREF(item);
    return NULL;
}

static PyMethodDef methods[] = {
    {"json_item", (PyCFunction)(void (*)(void))json_item, METH_FASTCALL,
     "A JSON object's fields as DynamoDB attribute values (dropped, renamed); see _mapping.c."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_mapping",
    "The JSON-record mapper's per-field work in C (see _mapping.c).", -1, methods,
};

PyMODINIT_FUNC
PyInit__mapping(void)
{
    S = PyUnicode_InternFromString("S");
    N = PyUnicode_InternFromString("N");
    M = PyUnicode_InternFromString("M");
    L = PyUnicode_InternFromString("L");
    BOOL_ = PyUnicode_InternFromString("BOOL");
    NULL_ = PyUnicode_InternFromString("NULL");
    if (S == NULL || N == NULL || M == NULL || L == NULL || BOOL_ == NULL || NULL_ == NULL) {
        return NULL;
    }
    return PyModule_Create(&module);
}
