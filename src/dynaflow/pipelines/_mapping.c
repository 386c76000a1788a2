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
 * ``RecordMapper(loads, keys, drops, renames, fallback, version)`` maps a whole record for the
 * commonest rule shape (``rules.CompiledRule._fast``): JSON values whose string keys are built from
 * top-level fields, by template (``"{tenant}#{id}"``) or by name. Called with a record's value
 * bytes and offset it parses the value with ``loads`` and answers ``(item, identity)``: the item as
 * ``json_item`` maps it with each key attribute then set (partition key first, as
 * ``CompiledRule.apply`` sets them) and then, unless ``version`` is None, that attribute set to the
 * offset; and the identity tuple ``rules._identity`` makes (key names in sorted order). ``keys`` holds one or
 * two ``(attribute, head, fields, literals)``: the key text is ``head`` followed by each field's
 * value and its literal. A field's value must be a str or an int (written as its digits) and the
 * text must not be empty; otherwise, or if the value is not a JSON object, the answer is None and
 * the caller takes the Python path, which words the record's error. So this fast path answers
 * either exactly what the Python path answers or nothing.
 *
 * Why C: mapping a record was a quarter of the ingester's per-record time, most of it the
 * interpreter's loop over a handful of fields, each making one small dict; the glue around it (the
 * key template, the identity, three calls) was another ~2.8 µs a record.
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

static PyObject *map_fields(PyObject *document, PyObject *drops, PyObject *renames, PyObject *fallback);

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
    return map_fields(document, drops, renames, fallback);
}

/* json_item's work, its arguments checked (a dict; a set or None; a dict or None). */
static PyObject *
map_fields(PyObject *document, PyObject *drops, PyObject *renames, PyObject *fallback)
{
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

/* ------------------------------------------------------------------ RecordMapper */

typedef struct {
    PyObject_HEAD
    PyObject *loads, *drops, *renames, *fallback;
    PyObject *version;                        /* the version attribute's name, or None */
    Py_ssize_t nkeys;                         /* 1 (partition key) or 2 (and sort key) */
    PyObject *names[2], *heads[2], *fields[2], *literals[2];
    int sort_first;                           /* the identity lists the sort key's name first */
} RecordMapper;

static int
mapper_traverse(RecordMapper *self, visitproc visit, void *arg)
{
    Py_VISIT(self->loads);
    Py_VISIT(self->drops);
    Py_VISIT(self->renames);
    Py_VISIT(self->fallback);
    Py_VISIT(self->version);
    for (Py_ssize_t i = 0; i < 2; i++) {
        Py_VISIT(self->names[i]);
        Py_VISIT(self->heads[i]);
        Py_VISIT(self->fields[i]);
        Py_VISIT(self->literals[i]);
    }
    return 0;
}

static int
mapper_clear(RecordMapper *self)
{
    Py_CLEAR(self->loads);
    Py_CLEAR(self->drops);
    Py_CLEAR(self->renames);
    Py_CLEAR(self->fallback);
    Py_CLEAR(self->version);
    for (Py_ssize_t i = 0; i < 2; i++) {
        Py_CLEAR(self->names[i]);
        Py_CLEAR(self->heads[i]);
        Py_CLEAR(self->fields[i]);
        Py_CLEAR(self->literals[i]);
    }
    return 0;
}

static void
mapper_dealloc(RecordMapper *self)
{
    PyObject_GC_UnTrack(self);
    mapper_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int
mapper_init(RecordMapper *self, PyObject *args, PyObject *kwds)
{
    PyObject *loads, *keys, *drops, *renames, *fallback, *version;
    if (kwds != NULL && PyDict_GET_SIZE(kwds) > 0) {
        PyErr_SetString(PyExc_TypeError, "RecordMapper takes positional arguments only");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "OO!OOOO:RecordMapper", &loads, &PyTuple_Type, &keys, &drops, &renames, &fallback,
                          &version)) {
        return -1;
    }
    if (version != Py_None && !PyUnicode_CheckExact(version)) {
        PyErr_SetString(PyExc_TypeError, "RecordMapper: the version attribute must be a str or None");
        return -1;
    }
    Py_ssize_t nkeys = PyTuple_GET_SIZE(keys);
    if (nkeys < 1 || nkeys > 2 || (drops != Py_None && !PyAnySet_Check(drops))
            || (renames != Py_None && !PyDict_Check(renames))) {
        PyErr_SetString(PyExc_TypeError, "RecordMapper: one or two keys; drops a set or None; renames a dict or None");
        return -1;
    }
    mapper_clear(self);
    for (Py_ssize_t i = 0; i < nkeys; i++) {
        PyObject *name, *head, *fields, *literals;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(keys, i), "UUO!O!:RecordMapper key", &name, &head,
                              &PyTuple_Type, &fields, &PyTuple_Type, &literals)) {
            return -1;
        }
        if (PyTuple_GET_SIZE(fields) < 1 || PyTuple_GET_SIZE(fields) != PyTuple_GET_SIZE(literals)) {
            PyErr_SetString(PyExc_TypeError, "RecordMapper: a key needs as many literals as fields, one at least");
            return -1;
        }
        for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(fields); j++) {
            if (!PyUnicode_CheckExact(PyTuple_GET_ITEM(fields, j)) || !PyUnicode_CheckExact(PyTuple_GET_ITEM(literals, j))) {
                PyErr_SetString(PyExc_TypeError, "RecordMapper: fields and literals must be str");
                return -1;
            }
        }
        self->names[i] = Py_NewRef(name);
        self->heads[i] = Py_NewRef(head);
        self->fields[i] = Py_NewRef(fields);
        self->literals[i] = Py_NewRef(literals);
    }
    self->nkeys = nkeys;
    self->sort_first = nkeys == 2 ? PyUnicode_Compare(self->names[1], self->names[0]) < 0 : 0;
    if (PyErr_Occurred()) {
        return -1;
    }
    self->loads = Py_NewRef(loads);
    self->drops = Py_NewRef(drops);
    self->renames = Py_NewRef(renames);
    self->fallback = Py_NewRef(fallback);
    self->version = Py_NewRef(version);
    return 0;
}

/* A field's value as key text: a str as is, an int as its digits; NULL without an error set for
 * anything else (the Python path then reports it). */
static PyObject *
field_text(PyObject *document, PyObject *field)
{
    PyObject *value = PyDict_GetItemWithError(document, field);
    if (value == NULL) {
        return NULL;
    }
    if (PyUnicode_CheckExact(value)) {
        return Py_NewRef(value);
    }
    if (PyLong_CheckExact(value)) {
        return PyObject_Str(value);
    }
    return NULL;
}

/* Key ``i``'s text, or NULL (with an error set only if one occurred). */
static PyObject *
key_text(RecordMapper *self, Py_ssize_t i, PyObject *document)
{
    PyObject *fields = self->fields[i], *literals = self->literals[i], *head = self->heads[i];
    Py_ssize_t n = PyTuple_GET_SIZE(fields);
    if (n == 1 && PyUnicode_GET_LENGTH(head) == 0 && PyUnicode_GET_LENGTH(PyTuple_GET_ITEM(literals, 0)) == 0) {
        return field_text(document, PyTuple_GET_ITEM(fields, 0));  /* "{id}" or a field by name */
    }
    PyObject *parts = PyTuple_New(2 * n + 1);
    if (parts == NULL) {
        return NULL;
    }
    PyTuple_SET_ITEM(parts, 0, Py_NewRef(head));
    for (Py_ssize_t j = 0; j < n; j++) {
        PyObject *text = field_text(document, PyTuple_GET_ITEM(fields, j));
        if (text == NULL) {
            Py_DECREF(parts);
            return NULL;
        }
        PyTuple_SET_ITEM(parts, 2 * j + 1, text);
        PyTuple_SET_ITEM(parts, 2 * j + 2, Py_NewRef(PyTuple_GET_ITEM(literals, j)));
    }
    PyObject *empty = PyUnicode_New(0, 0);
    PyObject *joined = empty == NULL ? NULL : PyUnicode_Join(empty, parts);
    Py_XDECREF(empty);
    Py_DECREF(parts);
    return joined;
}

static PyObject *
mapper_call(RecordMapper *self, PyObject *args, PyObject *kwds)
{
    if (self->loads == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "RecordMapper: not initialized");
        return NULL;
    }
    if (kwds != NULL || PyTuple_GET_SIZE(args) != 2) {
        PyErr_SetString(PyExc_TypeError, "a RecordMapper takes two arguments, the record's value and offset");
        return NULL;
    }
    PyObject *document = PyObject_CallOneArg(self->loads, PyTuple_GET_ITEM(args, 0));
    if (document == NULL) {
        if (PyErr_ExceptionMatches(PyExc_ValueError)) {  /* not JSON: the Python path words it */
            PyErr_Clear();
            Py_RETURN_NONE;
        }
        return NULL;
    }
    PyObject *texts[2] = {NULL, NULL}, *item = NULL, *identity = NULL, *result = NULL;
    if (!PyDict_CheckExact(document)) {
        goto defer;
    }
    for (Py_ssize_t i = 0; i < self->nkeys; i++) {
        texts[i] = key_text(self, i, document);
        if (texts[i] == NULL) {
            if (PyErr_Occurred()) {
                goto done;
            }
            goto defer;
        }
        if (PyUnicode_GET_LENGTH(texts[i]) == 0) {
            goto defer;
        }
    }
    item = map_fields(document, self->drops, self->renames, self->fallback);
    if (item == NULL) {
        goto done;
    }
    identity = PyTuple_New(3 * self->nkeys);
    if (identity == NULL) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < self->nkeys; i++) {
        PyObject *av = tagged(S, Py_NewRef(texts[i]));
        if (av == NULL) {
            goto done;
        }
        int stored = PyDict_SetItem(item, self->names[i], av);
        Py_DECREF(av);
        if (stored < 0) {
            goto done;
        }
        Py_ssize_t at = 3 * (self->sort_first ? self->nkeys - 1 - i : i);
        PyTuple_SET_ITEM(identity, at, Py_NewRef(self->names[i]));
        PyTuple_SET_ITEM(identity, at + 1, Py_NewRef(S));
        PyTuple_SET_ITEM(identity, at + 2, Py_NewRef(texts[i]));
    }
    if (self->version != Py_None) {
        PyObject *av = tagged(N, PyObject_Str(PyTuple_GET_ITEM(args, 1)));
        if (av == NULL) {
            goto done;
        }
        int stored = PyDict_SetItem(item, self->version, av);
        Py_DECREF(av);
        if (stored < 0) {
            goto done;
        }
    }
    result = PyTuple_Pack(2, item, identity);
    goto done;
defer:
    result = Py_NewRef(Py_None);
done:
    Py_XDECREF(texts[0]);
    Py_XDECREF(texts[1]);
    Py_XDECREF(item);
    Py_XDECREF(identity);
    Py_DECREF(document);
    return result;
}

static PyTypeObject RecordMapperType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "dynaflow.pipelines._mapping.RecordMapper",
    .tp_doc = "A whole JSON record as (item, identity) for the commonest rule shape; see _mapping.c.",
    .tp_basicsize = sizeof(RecordMapper),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)mapper_init,
    .tp_dealloc = (destructor)mapper_dealloc,
    .tp_traverse = (traverseproc)mapper_traverse,
    .tp_clear = (inquiry)mapper_clear,
    .tp_call = (ternaryfunc)mapper_call,
};

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
    if (PyType_Ready(&RecordMapperType) < 0) {
        return NULL;
    }
    PyObject *mod = PyModule_Create(&module);
    if (mod == NULL) {
        return NULL;
    }
    if (PyModule_AddObjectRef(mod, "RecordMapper", (PyObject *)&RecordMapperType) < 0) {
        Py_DECREF(mod);
        return NULL;
    }
    return mod;
}
