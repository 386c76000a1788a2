/* Consumed Kafka messages as dynaflow records, in C.
 *
 * ``records(messages, record_type, headers)`` is ``KafkaSource.poll_batch``'s loop for a batch with
 * no error event: each confluent-kafka ``Message`` becomes ``record_type(topic, partition, offset,
 * key, value, timestamp_ms, headers)``, with ``timestamp_ms`` None where the message has no
 * timestamp (not above 0) and ``headers`` the ``headers`` function's answer for a message that
 * has any, else ``()``. If any message is an error event (end of partition, a broker error) the
 * answer is None and the Python loop handles the batch, skipping, logging or raising as it does.
 *
 * Why C: the loop runs once per consumed record on the consumer's thread, under the interpreter
 * lock the ingester's event loop needs: eight method calls and a named tuple per record cost
 * ~1.2 µs of that lock in Python, ~6 % of an ingested record's time at 50,000 records a second.
 * ``record_type`` must be a tuple subclass taking its fields in that order (``model.Record``); the
 * record is made the way a named tuple makes itself, by ``tuple.__new__``.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *ERROR, *HEADERS, *TIMESTAMP, *TOPIC, *PARTITION, *OFFSET, *KEY, *VALUE, *ZERO;

static PyObject *
call(PyObject *message, PyObject *name)
{
    return PyObject_CallMethodNoArgs(message, name);
}

/* The record of ``message``; NULL with an error set, or NULL without one for an error event. */
static PyObject *
record_of(PyObject *message, PyTypeObject *record_type, PyObject *headers_fn)
{
    PyObject *error = call(message, ERROR);
    if (error == NULL) {
        return NULL;
    }
    if (error != Py_None) {
        Py_DECREF(error);
        return NULL;
    }
    Py_DECREF(error);
    PyObject *fields = PyTuple_New(7);
    if (fields == NULL) {
        return NULL;
    }
    PyObject *names[5] = {TOPIC, PARTITION, OFFSET, KEY, VALUE};
    for (Py_ssize_t i = 0; i < 5; i++) {
        PyObject *field = call(message, names[i]);
        if (field == NULL) {
            Py_DECREF(fields);
            return NULL;
        }
        PyTuple_SET_ITEM(fields, i, field);
    }
    PyObject *stamp = call(message, TIMESTAMP);
    if (stamp == NULL) {
        Py_DECREF(fields);
        return NULL;
    }
    PyObject *ms = Py_None;
    if (PyTuple_Check(stamp) && PyTuple_GET_SIZE(stamp) == 2) {
        ms = PyTuple_GET_ITEM(stamp, 1);
        int positive = PyObject_RichCompareBool(ms, ZERO, Py_GT);
        if (positive < 0) {
            Py_DECREF(stamp);
            Py_DECREF(fields);
            return NULL;
        }
        if (!positive) {
            ms = Py_None;
        }
    }
    PyTuple_SET_ITEM(fields, 5, Py_NewRef(ms));
    Py_DECREF(stamp);
    PyObject *headers = call(message, HEADERS);
    if (headers == NULL) {
        Py_DECREF(fields);
        return NULL;
    }
    int any = headers == Py_None ? 0 : PyObject_IsTrue(headers);
    PyObject *pairs = any > 0 ? PyObject_CallOneArg(headers_fn, headers) : any == 0 ? PyTuple_New(0) : NULL;
    Py_DECREF(headers);
    if (pairs == NULL) {
        Py_DECREF(fields);
        return NULL;
    }
    PyTuple_SET_ITEM(fields, 6, pairs);
    PyObject *args = PyTuple_Pack(1, fields);
    Py_DECREF(fields);
    if (args == NULL) {
        return NULL;
    }
    PyObject *record = PyTuple_Type.tp_new(record_type, args, NULL);
    Py_DECREF(args);
    return record;
}

static PyObject *
records(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyList_Check(args[0]) || !PyType_Check(args[1])
            || !PyType_IsSubtype((PyTypeObject *)args[1], &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "records(messages: list, record_type: tuple subclass, headers)");
        return NULL;
    }
    PyObject *messages = args[0];
    Py_ssize_t n = PyList_GET_SIZE(messages);
    PyObject *out = PyList_New(0);
    if (out == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(messages) && i < n; i++) {
        PyObject *message = Py_NewRef(PyList_GET_ITEM(messages, i));
        PyObject *record = record_of(message, (PyTypeObject *)args[1], args[2]);
        Py_DECREF(message);
        if (record == NULL) {
            Py_DECREF(out);
            if (PyErr_Occurred()) {
                return NULL;
            }
            Py_RETURN_NONE;  /* an error event: the Python loop handles this batch */
        }
        int appended = PyList_Append(out, record);
        Py_DECREF(record);
        if (appended < 0) {
            Py_DECREF(out);
            return NULL;
        }
    }
    return out;
}

static PyMethodDef methods[] = {
    {"records", (PyCFunction)(void (*)(void))records, METH_FASTCALL,
     "Consumed messages as records, or None if one is an error event; see _messages.c."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_messages", "Consumed Kafka messages as records, in C (see _messages.c).", -1, methods,
};

PyMODINIT_FUNC
PyInit__messages(void)
{
    const char *texts[8] = {"error", "headers", "timestamp", "topic", "partition", "offset", "key", "value"};
    PyObject **names[8] = {&ERROR, &HEADERS, &TIMESTAMP, &TOPIC, &PARTITION, &OFFSET, &KEY, &VALUE};
    for (int i = 0; i < 8; i++) {
        *names[i] = PyUnicode_InternFromString(texts[i]);
        if (*names[i] == NULL) {
            return NULL;
        }
    }
    ZERO = PyLong_FromLong(0);
    if (ZERO == NULL) {
        return NULL;
    }
    return PyModule_Create(&module);
}
