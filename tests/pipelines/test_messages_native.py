"""The Kafka source's message-to-record loop in C (``_messages.c``) against its Python loop: the
same records for every batch of real confluent-kafka messages, and the Python loop's handling of
error events."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynaflow.pipelines.model import Record
from dynaflow.pipelines.sources import kafka

_native = pytest.importorskip("dynaflow.pipelines.sources._messages")


class _Batch:
    """A consumer whose next ``consume`` hands over ``messages`` (the broker side is what the
    integration tests cover; here only the conversion of what ``consume`` returned is under test)."""

    def __init__(self, messages: list[Message]) -> None:
        self.messages = messages

    def consume(self, _max: int, _timeout: float) -> list[Message]:
        return self.messages


def _source(messages: list[Message]) -> kafka.KafkaSource:
    source = kafka.KafkaSource.__new__(kafka.KafkaSource)
    source.consumer = _Batch(messages)
    return source


def _both(messages: list[Message], monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    native = _outcome(_source(messages))
    with monkeypatch.context() as patch:
        patch.setattr(kafka, "_native_records", None)
        python = _outcome(_source(messages))
    return native, python


def _outcome(source: kafka.KafkaSource) -> Any:
    try:
        return ("ok", source.poll_batch(500, 0))
    except KafkaException as exc:
        return ("raised", str(exc))


_headers = st.none() | st.lists(st.tuples(st.sampled_from(["h", "trace", "é"]),
                                          st.none() | st.binary(max_size=3) | st.text(max_size=3)), max_size=3)
_messages = st.builds(
    lambda topic, partition, offset, key, value, stamp, headers: Message(
        topic=topic, partition=partition, offset=offset, key=key, value=value, timestamp=stamp, headers=headers),
    st.sampled_from(["orders", "t.2"]), st.integers(0, 7), st.integers(0, 2**62), st.none() | st.binary(max_size=8),
    st.none() | st.binary(max_size=16),
    st.sampled_from([(0, -1), (1, 0), (1, 1_700_000_000_123), (2, 5), (1, -7)]), _headers)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages=st.lists(_messages, max_size=6))
def test_native_loop_makes_the_python_loops_records(messages: list[Message], monkeypatch: pytest.MonkeyPatch) -> None:
    # Why: every consumed record goes through the C loop where it is built; it must hand the
    # pipeline exactly the records the Python loop makes (fields, missing timestamps, headers).
    native, python = _both(messages, monkeypatch)
    assert native == python
    assert all(type(record) is Record for record in native[1])


def test_native_loop_is_used() -> None:
    # Why: the C loop must actually run, and answer records for a plain batch.
    assert kafka._native_records is _native.records
    out = _native.records([Message(topic="t", partition=1, offset=4, key=b"k", value=b"v", timestamp=(1, 9))],
                          Record, kafka._headers)
    assert out == [Record("t", 1, 4, b"k", b"v", 9, ())]


@pytest.mark.parametrize("error", [KafkaError(KafkaError._PARTITION_EOF), KafkaError(KafkaError._TRANSPORT),
                                   KafkaError(KafkaError._FATAL, "fenced", fatal=True)])
def test_a_batch_with_an_error_event_takes_the_python_loop(error: KafkaError, monkeypatch: pytest.MonkeyPatch) -> None:
    # Why: error events are skipped (end of partition), logged (transient) or raised (fatal) by the
    # Python loop; the C loop must hand such a batch over rather than turn an event into a record.
    messages = [Message(topic="t", partition=0, offset=1, value=b"a", timestamp=(1, 3)),
                Message(topic="t", partition=0, offset=2, error=error),
                Message(topic="t", partition=0, offset=3, value=b"b", timestamp=(1, 4))]
    assert _native.records(messages, Record, kafka._headers) is None
    native, python = _both(messages, monkeypatch)
    assert native == python
    if error.fatal():
        assert native[0] == "raised"
    else:
        assert [r.offset for r in native[1]] == [1, 3]
