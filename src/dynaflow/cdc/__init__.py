"""Change data capture: stream consumers with leases and checkpoints, and the replication sink.

Everything here speaks the DynamoDB and DynamoDB Streams APIs through
:class:`~dynaflow.dynamo.client.DynamoClient`, so a pipeline reads dynaflow, DynamoDB Local, AWS or
Alternator and writes to any of them. ``docs/operations/cdc.md`` explains the machinery and its
failure scenarios.
"""

from dynaflow.cdc.consumer import ConsumerSettings
from dynaflow.cdc.deadletter import DeadLetter, MemoryDeadLetters, TableDeadLetters
from dynaflow.cdc.leases import Lease, LeaseTable
from dynaflow.cdc.metrics import CdcMetrics, MemoryMetrics
from dynaflow.cdc.model import Change
from dynaflow.cdc.replica import BOOKKEEPING, SEQ_ATTRIBUTE, TOMBSTONE_ATTRIBUTE, ReplicaSink
from dynaflow.cdc.retry import Backoff, Terminal, Transient
from dynaflow.cdc.runtime import PipelineSettings, Worker, replicate
from dynaflow.cdc.sink import Sink

__all__ = [
    "BOOKKEEPING", "SEQ_ATTRIBUTE", "TOMBSTONE_ATTRIBUTE", "Backoff", "CdcMetrics", "Change", "ConsumerSettings",
    "DeadLetter", "Lease", "LeaseTable", "MemoryDeadLetters", "MemoryMetrics", "PipelineSettings", "ReplicaSink",
    "Sink", "TableDeadLetters", "Terminal", "Transient", "Worker", "replicate",
]
