"""The DynamoDB Streams client of a conformance target, and reading a whole stream.

boto3 reaches DynamoDB Streams through a separate client (``dynamodbstreams``), on the same
endpoint for local targets; dynaflow's embedded client serves both APIs itself.
"""

from __future__ import annotations

import os
from typing import Any

import pytest


def streams_client(target: str, request: pytest.FixtureRequest, dynamodb: Any) -> Any:
    """The client for ListStreams/DescribeStream/GetShardIterator/GetRecords on ``target``."""
    if target == "embedded":
        return dynamodb
    import boto3
    from botocore.config import Config

    config = Config(parameter_validation=False, retries={"max_attempts": 0}, connect_timeout=10, read_timeout=60)
    if target == "aws":
        region = os.environ.get("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
        return boto3.session.Session(region_name=region).client("dynamodbstreams", config=config)
    endpoint = request.getfixturevalue("dynamodb_local_endpoint" if target == "dynamodb-local" else "wire_endpoint")
    return boto3.session.Session(
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name="us-east-1",
    ).client("dynamodbstreams", endpoint_url=endpoint, config=config)


def all_shards(streams: Any, arn: str) -> list[dict[str, Any]]:
    """Every shard of a stream, following DescribeStream's pagination."""
    found: list[dict[str, Any]] = []
    request: dict[str, Any] = {"StreamArn": arn}
    while True:
        description = streams.describe_stream(**request)["StreamDescription"]
        found.extend(description["Shards"])
        if "LastEvaluatedShardId" not in description:
            return found
        request["ExclusiveStartShardId"] = description["LastEvaluatedShardId"]


def read_shard(streams: Any, arn: str, shard_id: str, kind: str = "TRIM_HORIZON", **extra: Any
               ) -> tuple[list[dict[str, Any]], str | None]:
    """A shard's records from ``kind`` until a read returns none; and the last NextShardIterator."""
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id, ShardIteratorType=kind,
                                          **extra)["ShardIterator"]
    found: list[dict[str, Any]] = []
    while True:
        response = streams.get_records(ShardIterator=iterator)
        found.extend(response["Records"])
        following = response.get("NextShardIterator")
        if following is None or not response["Records"]:
            return found, following
        iterator = following


def read_stream(streams: Any, arn: str) -> list[dict[str, Any]]:
    """Every record of the stream in sequence-number order."""
    found: list[dict[str, Any]] = []
    for shard in all_shards(streams, arn):
        found.extend(read_shard(streams, arn, shard["ShardId"])[0])
    return sorted(found, key=lambda r: int(r["dynamodb"]["SequenceNumber"]))
