/* The common case of keys.py's string-key builder in C: the LMDB key of an item or Key whose
 * partition key is an S (and sort key, if any, an S).
 *
 * ``string_key(item, hash_name, range_name, prefixes, table, max_exact, max_sort, max_partition,
 * long_partition, cache_size)`` returns
 *   - the key (bytes), when the sort key needs no escaping and the key fits in ``max_exact``
 *     bytes, and the partition's prefix is in ``prefixes`` (the builder's cache) or is built here:
 *     a partition value with no NUL byte whose encoding is at most ``long_partition`` bytes gets
 *     ``table | mixed CRC-32 | value | 00 00`` (keys.py's layout), remembered in ``prefixes``
 *     (emptied first when it holds ``cache_size`` entries, as keys.py does);
 *   - None, where keys.py's builder returns None (a missing or mistyped key attribute, an empty
 *     string, a partition key over ``max_partition`` bytes, a sort key over ``max_sort`` bytes):
 *     the caller's checked path words the error;
 *   - NotImplemented for everything else (a NUL byte to escape, a long partition or key, a string
 *     that cannot be encoded), which the Python builder then handles as before.
 *
 * ``StringKeyBuilder(fallback, hash_name, range_name, prefixes, table, max_exact, max_sort,
 * max_partition, long_partition, cache_size)`` is the builder itself as one callable: called with
 * an item it answers ``string_key``'s key or None, and hands anything ``string_key`` answers
 * NotImplemented for to ``fallback`` (the Python builder). It saves the Python frame that called
 * ``string_key`` with its ten arguments for every key (~0.2 us of a GetItem).
 *
 * Why C: every GetItem, PutItem, DeleteItem, UpdateItem and batch member builds a key, and the
 * Python builder cost ~1.4 us of a ~10 us GetItem; a partition seen for the first time (every put
 * of an ingest of distinct keys) cost ~3 us more in Python. tests/engine/test_fast_paths.py checks
 * the two builders against each other.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

static PyObject *S; /* "S", interned */
static uint32_t crc_table[256]; /* CRC-32 (the zlib/IEEE polynomial, reflected), filled at import */

static void
fill_crc_table(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }
        crc_table[n] = c;
    }
}

/* zlib.crc32(data) */
static uint32_t
crc32_of(const unsigned char *data, Py_ssize_t size)
{
    uint32_t c = 0xFFFFFFFFu;
    for (Py_ssize_t i = 0; i < size; i++) {
        c = crc_table[(c ^ data[i]) & 0xFF] ^ (c >> 8);
    }
    return c ^ 0xFFFFFFFFu;
}

/* The prefix of a partition not in the cache, built and remembered; NULL with no error set when
 * the Python builder must decide (a NUL byte to escape, an encoding over ``long_partition``
 * bytes), Py_None (a new reference) for a value over ``max_partition`` bytes. */
static PyObject *
new_prefix(PyObject *value, PyObject *prefixes, PyObject *table, Py_ssize_t max_partition,
           Py_ssize_t long_partition, Py_ssize_t cache_size)
{
    Py_ssize_t size;
    const char *utf8 = PyUnicode_AsUTF8AndSize(value, &size);
    if (utf8 == NULL) { /* a lone surrogate: the Python builder raises as it always did */
        PyErr_Clear();
        return NULL;
    }
    if (size > max_partition) {
        Py_RETURN_NONE;
    }
    if (size + 2 > long_partition || memchr(utf8, 0, (size_t)size) != NULL) {
        return NULL;
    }
    Py_ssize_t table_size = PyBytes_GET_SIZE(table);
    PyObject *prefix = PyBytes_FromStringAndSize(NULL, table_size + 4 + size + 2);
    if (prefix == NULL) {
        return NULL;
    }
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(prefix);
    unsigned char *enc = out + table_size + 4;
    memcpy(out, PyBytes_AS_STRING(table), (size_t)table_size);
    memcpy(enc, utf8, (size_t)size);
    enc[size] = 0;
    enc[size + 1] = 0;
    uint32_t mixed = crc32_of(enc, size + 2) * 0x9E3779B1u;
    mixed ^= mixed >> 16;
    out[table_size] = (unsigned char)(mixed >> 24);
    out[table_size + 1] = (unsigned char)(mixed >> 16);
    out[table_size + 2] = (unsigned char)(mixed >> 8);
    out[table_size + 3] = (unsigned char)mixed;
    if (PyDict_GET_SIZE(prefixes) >= cache_size) {
        PyDict_Clear(prefixes);
    }
    if (PyDict_SetItem(prefixes, value, prefix) < 0) {
        Py_DECREF(prefix);
        return NULL;
    }
    return prefix;
}

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
    if (nargs != 10) {
        PyErr_SetString(PyExc_TypeError, "string_key takes 10 arguments");
        return NULL;
    }
    PyObject *item = args[0], *hash_name = args[1], *range_name = args[2], *prefixes = args[3];
    PyObject *table = args[4];
    Py_ssize_t limits[5];
    for (int i = 0; i < 5; i++) {
        limits[i] = PyLong_AsSsize_t(args[5 + i]);
        if (limits[i] == -1 && PyErr_Occurred()) {
            return NULL;
        }
    }
    Py_ssize_t max_exact = limits[0], max_sort = limits[1];
    if (!PyDict_CheckExact(item) || !PyDict_CheckExact(prefixes) || !PyBytes_CheckExact(table)) {
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
        prefix = new_prefix(hash_value, prefixes, table, limits[2], limits[3], limits[4]);
        if (prefix == NULL) {
            if (PyErr_Occurred()) {
                return NULL;
            }
            Py_RETURN_NOTIMPLEMENTED;
        }
        if (prefix == Py_None) {
            return prefix;
        }
        Py_DECREF(prefix); /* the cache holds it now */
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

/* ------------------------------------------------------------------ StringKeyBuilder */

typedef struct {
    PyObject_HEAD
    PyObject *fallback;
    PyObject *args[10]; /* string_key's arguments; args[0], the item, is filled per call */
} StringKeyBuilder;

static int
builder_traverse(StringKeyBuilder *self, visitproc visit, void *arg)
{
    Py_VISIT(self->fallback);
    for (int i = 1; i < 10; i++) {
        Py_VISIT(self->args[i]);
    }
    return 0;
}

static int
builder_clear(StringKeyBuilder *self)
{
    Py_CLEAR(self->fallback);
    for (int i = 1; i < 10; i++) {
        Py_CLEAR(self->args[i]);
    }
    return 0;
}

static void
builder_dealloc(StringKeyBuilder *self)
{
    PyObject_GC_UnTrack(self);
    builder_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int
builder_init(StringKeyBuilder *self, PyObject *args, PyObject *kwds)
{
    if ((kwds != NULL && PyDict_GET_SIZE(kwds) > 0) || PyTuple_GET_SIZE(args) != 10) {
        PyErr_SetString(PyExc_TypeError, "StringKeyBuilder takes 10 positional arguments");
        return -1;
    }
    builder_clear(self);
    self->fallback = Py_NewRef(PyTuple_GET_ITEM(args, 0));
    for (int i = 1; i < 10; i++) {
        self->args[i] = Py_NewRef(PyTuple_GET_ITEM(args, i));
    }
    return 0;
}

static PyObject *
builder_call(StringKeyBuilder *self, PyObject *args, PyObject *kwds)
{
    if (self->fallback == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "StringKeyBuilder: not initialized");
        return NULL;
    }
    if (kwds != NULL || PyTuple_GET_SIZE(args) != 1) {
        PyErr_SetString(PyExc_TypeError, "a StringKeyBuilder takes one argument, the item");
        return NULL;
    }
    PyObject *item = PyTuple_GET_ITEM(args, 0);
    PyObject *call[10];
    call[0] = item;
    for (int i = 1; i < 10; i++) {
        call[i] = self->args[i];
    }
    PyObject *answer = string_key(NULL, call, 10);
    if (answer != Py_NotImplemented) {
        return answer;
    }
    Py_DECREF(answer);
    return PyObject_CallOneArg(self->fallback, item);
}

static PyTypeObject StringKeyBuilderType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "dynaflow.engine._keys.StringKeyBuilder",
    .tp_doc = "keys.py's string-key builder as one callable: string_key, else the fallback; see _keys.c.",
    .tp_basicsize = sizeof(StringKeyBuilder),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)builder_init,
    .tp_dealloc = (destructor)builder_dealloc,
    .tp_traverse = (traverseproc)builder_traverse,
    .tp_clear = (inquiry)builder_clear,
    .tp_call = (ternaryfunc)builder_call,
};

static PyMethodDef methods[] = {
    {"string_key", (PyCFunction)(void (*)(void))string_key, METH_FASTCALL,
     "LMDB key of an item with S keys (building and caching its partition's prefix); None if "
     "invalid; NotImplemented when the Python builder must decide."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_keys",
    "The common case of dynaflow.engine.keys' string-key builder, in C (see _keys.c).", -1, methods,
};

PyMODINIT_FUNC
PyInit__keys(void)
{
    fill_crc_table();
    S = PyUnicode_InternFromString("S");
    if (S == NULL || PyType_Ready(&StringKeyBuilderType) < 0) {
        return NULL;
    }
    PyObject *mod = PyModule_Create(&module);
    if (mod == NULL) {
        return NULL;
    }
    if (PyModule_AddObjectRef(mod, "StringKeyBuilder", (PyObject *)&StringKeyBuilderType) < 0) {
        Py_DECREF(mod);
        return NULL;
    }
    return mod;
}
