"""Shapes the DynamoDB Streams operations share (botocore ``dynamodbstreams/2012-08-10``)."""

from __future__ import annotations

from typing import Final

from dynaflow.engine.shapes.types import String

STREAM_ARN: Final = String(min=37, max=1024)
SHARD_ID: Final = String(min=28, max=65)
