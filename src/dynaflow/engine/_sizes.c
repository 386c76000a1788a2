/* The canonical walk of values.py in C: prove an item valid and canonical, and size it.
 *
 * ``canonical_size(item)`` returns what ``values._canonical_size_py`` returns for the same item:
 * the item's DynamoDB size when every name and value is valid and already canonical, else -1, in
 * which case the caller takes the checked walk, which normalizes and words every error. So this
 * module only ever answers "proven, of this size" or "not proven"; it never raises for bad input
 * and never decides which error a request gets. It is stricter than the Python walk where that is
 * free (a name or tag that is a ``str`` subclass, a string with a lone surrogate): such items are
 * simply not proven here and take the checked walk. Nesting beyond DynamoDB's 32 levels is not
 * proven either; the checked walk rejects it.
 *
 * Why C: the walk touches every value of every stored item, on every write path (PutItem,
 * BatchWriteItem, transactions, ingest, replication), and in Python it was about a third of a
 * PutItem's CPU. tests/engine/test_fast_paths.py checks it against the Python walk.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* DynamoDB number limits (values.py): 38 significant digits, magnitude 1E-130 .. 9.99E+125. */
#define MAX_DIGITS 38
#define MAX_EXPONENT 125
#define MIN_EXPONENT (-130)
/* DynamoDB's nesting limit (values.MAX_NESTING_LEVELS): a top-level attribute's value is level 1,
 * so an M or L at level 32 would put its members beyond the limit. */
#define MAX_LEVELS 32

static Py_ssize_t value_size(PyObject *av, int depth);

/* UTF-8 length of an exact str, or -1 if it holds a lone surrogate (not encodable). */
static Py_ssize_t
utf8_size(PyObject *text)
{
    if (PyUnicode_IS_ASCII(text)) {
        return PyUnicode_GET_LENGTH(text);
    }
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t size = 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c < 0x80) {
            size += 1;
        } else if (c < 0x800) {
            size += 2;
        } else if (c >= 0xD800 && c <= 0xDFFF) {
            return -1;
        } else if (c < 0x10000) {
            size += 3;
        } else {
            size += 4;
        }
    }
    return size;
}

/* values.canonical_number_size: the size of a number already in canonical form and range, else -1.
 * Canonical: -?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?, and not "-0". */
static Py_ssize_t
number_size(PyObject *text)
{
    if (!PyUnicode_CheckExact(text) || !PyUnicode_IS_ASCII(text)) {
        return -1;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    const char *s = (const char *)PyUnicode_1BYTE_DATA(text);
    Py_ssize_t i = 0;
    if (n > 0 && s[0] == '-') {
        i = 1;
    }
    Py_ssize_t whole_start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        i++;
    }
    Py_ssize_t whole_len = i - whole_start;
    if (whole_len == 0 || (whole_len > 1 && s[whole_start] == '0')) {
        return -1;
    }
    Py_ssize_t fraction_start = n, fraction_len = 0;
    if (i < n) {
        if (s[i] != '.') {
            return -1;
        }
        fraction_start = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
        }
        fraction_len = i - fraction_start;
        if (i < n || fraction_len == 0 || s[n - 1] == '0') {
            return -1;
        }
    }
    int is_zero_whole = whole_len == 1 && s[whole_start] == '0';
    Py_ssize_t digits;
    if (!is_zero_whole) {
        if (whole_len > MAX_EXPONENT + 1) {
            return -1;
        }
        /* whole has no leading zero and a fraction ends in a non-zero digit, so the significant
         * digits are all of them but the whole part's trailing zeros when there is no fraction */
        digits = whole_len + fraction_len;
        if (fraction_len == 0) {
            Py_ssize_t end = whole_start + whole_len;
            while (end > whole_start && s[end - 1] == '0') {
                end--;
                digits--;
            }
        }
    } else if (fraction_len == 0) {
        if (whole_start == 1) { /* "-0" */
            return -1;
        }
        return 1;
    } else {
        Py_ssize_t zeros = 0;
        while (zeros < fraction_len && s[fraction_start + zeros] == '0') {
            zeros++;
        }
        if (zeros >= -MIN_EXPONENT) {
            return -1;
        }
        digits = fraction_len - zeros;
    }
    if (digits > MAX_DIGITS) {
        return -1;
    }
    return (digits + 1) / 2 + 1;
}

/* The one (tag, value) pair of an attribute value, or 0 if ``av`` is not an exact dict of one
 * member whose key is an exact str. */
static int
single_member(PyObject *av, PyObject **tag, PyObject **value)
{
    if (!PyDict_CheckExact(av) || PyDict_GET_SIZE(av) != 1) {
        return 0;
    }
    Py_ssize_t pos = 0;
    if (!PyDict_Next(av, &pos, tag, value) || !PyUnicode_CheckExact(*tag)) {
        return 0;
    }
    return 1;
}

static int
tag_is(PyObject *tag, const char *name)
{
    return PyUnicode_IS_ASCII(tag) && strcmp((const char *)PyUnicode_1BYTE_DATA(tag), name) == 0
           && PyUnicode_GET_LENGTH(tag) == (Py_ssize_t)strlen(name);
}

/* 1 if the members of a set value are distinct, 0 if not, -1 on error. */
static int
distinct(PyObject *list)
{
    PyObject *set = PySet_New(list);
    if (set == NULL) {
        return -1;
    }
    int result = PySet_GET_SIZE(set) == PyList_GET_SIZE(list);
    Py_DECREF(set);
    return result;
}

/* values.MAX_NAME_BYTES: the longest attribute name DynamoDB takes. */
#define MAX_NAME_BYTES 65535

/* Sum of the sizes of the names of an item or M (exact str keys), or -1. */
static Py_ssize_t
names_size(PyObject *map)
{
    Py_ssize_t pos = 0, size = 0;
    PyObject *name, *value;
    while (PyDict_Next(map, &pos, &name, &value)) {
        if (!PyUnicode_CheckExact(name)) {
            return -1;
        }
        Py_ssize_t part = utf8_size(name);
        if (part <= 0 || part > MAX_NAME_BYTES) { /* values.py words an empty name or one over the limit */
            return -1;
        }
        size += part;
    }
    return size;
}

/* Sum of the sizes of the values of an item or M, or -1 at the first that fails. */
static Py_ssize_t
map_values_size(PyObject *map, int depth)
{
    Py_ssize_t pos = 0, size = 0;
    PyObject *name, *value;
    while (PyDict_Next(map, &pos, &name, &value)) {
        Py_ssize_t part = value_size(value, depth);
        if (part < 0) {
            return -1;
        }
        size += part;
    }
    return size;
}

static Py_ssize_t
set_size(PyObject *value, int numbers)
{
    if (!PyList_CheckExact(value) || PyList_GET_SIZE(value) == 0) {
        return -1;
    }
    Py_ssize_t size = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(value); i++) {
        PyObject *member = PyList_GET_ITEM(value, i);
        Py_ssize_t part;
        if (numbers) {
            part = number_size(member);
        } else {
            part = PyUnicode_CheckExact(member) ? utf8_size(member) : -1;
        }
        if (part < 0) {
            return -1;
        }
        size += part;
    }
    int unique = distinct(value);
    if (unique < 0) {
        PyErr_Clear();
        return -1;
    }
    return unique ? size : -1;
}

/* values._canonical_value_size: the size of a valid, canonical attribute value, else -1. */
static Py_ssize_t
value_size(PyObject *av, int depth)
{
    PyObject *tag, *value;
    if (!single_member(av, &tag, &value) || PyUnicode_GET_LENGTH(tag) > 4) {
        return -1;
    }
    if (tag_is(tag, "S")) {
        return PyUnicode_CheckExact(value) ? utf8_size(value) : -1;
    }
    if (tag_is(tag, "N")) {
        return number_size(value);
    }
    if (tag_is(tag, "BOOL")) {
        return value == Py_True || value == Py_False ? 1 : -1;
    }
    if (tag_is(tag, "NULL")) {
        return value == Py_True ? 1 : -1;
    }
    if (tag_is(tag, "M")) {
        if (!PyDict_CheckExact(value) || depth >= MAX_LEVELS) {
            return -1;
        }
        Py_ssize_t names = names_size(value);
        if (names < 0) {
            return -1;
        }
        Py_ssize_t values = map_values_size(value, depth + 1);
        return values < 0 ? -1 : 3 + PyDict_GET_SIZE(value) + names + values;
    }
    if (tag_is(tag, "L")) {
        if (!PyList_CheckExact(value) || depth >= MAX_LEVELS) {
            return -1;
        }
        Py_ssize_t size = 3 + PyList_GET_SIZE(value);
        /* by index, re-reading the size: the list cannot change here (no Python code runs), but
         * an index check costs nothing */
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(value); i++) {
            Py_ssize_t part = value_size(PyList_GET_ITEM(value, i), depth + 1);
            if (part < 0) {
                return -1;
            }
            size += part;
        }
        return size;
    }
    if (tag_is(tag, "SS")) {
        return set_size(value, 0);
    }
    if (tag_is(tag, "NS")) {
        return set_size(value, 1);
    }
    return -1; /* B and BS: their base64 is checked by the checked walk */
}

static PyObject *
canonical_size(PyObject *module, PyObject *item)
{
    if (!PyDict_CheckExact(item)) {
        return PyLong_FromSsize_t(-1);
    }
    Py_ssize_t names = names_size(item);
    Py_ssize_t values = names < 0 ? -1 : map_values_size(item, 1);
    return PyLong_FromSsize_t(values < 0 ? -1 : names + values);
}

static PyObject *
number_size_py(PyObject *module, PyObject *text)
{
    return PyLong_FromSsize_t(number_size(text));
}

static PyMethodDef methods[] = {
    {"canonical_size", canonical_size, METH_O,
     "DynamoDB size of a valid, canonical item (a dict of attribute values), else -1."},
    {"canonical_number_size", number_size_py, METH_O,
     "Size of a number already in canonical form and range, else -1."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_sizes",
    "The canonical item walk of dynaflow.engine.values, in C (see _sizes.c).", -1, methods,
};

PyMODINIT_FUNC
PyInit__sizes(void)
{
    return PyModule_Create(&module);
}
