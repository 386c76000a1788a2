"""The data and requests every benchmark uses, as DynamoDB request shapes (wire form).

One table, ``bench``: ``pk`` (S, HASH) + ``sk`` (S, RANGE), on-demand billing. Items are ~1 KB in
DynamoDB's size accounting and JSON alike: two short keys, a 700-character string, a 100-character
string, a number, a boolean, a string set and a small nested map with a list - a shape that makes
the engine decode and render more than one flat string.

The preloaded data is ``partitions`` partitions of 20 items each (``load-0000`` ... with sort keys
``0000`` ... ``0019``), so a Query of one partition returns exactly 20 items.

The same request dicts feed the embedded benchmark (as keyword arguments of the client) and the
HTTP benchmark (serialized once, before timing).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

TABLE = "bench"
QUERY_ITEMS = 20
BATCH_SIZE = 25
TRANSACT_SIZE = 4

Request = tuple[str, dict[str, Any]]  # (operation, request body)

CREATE_TABLE: dict[str, Any] = {
    "TableName": TABLE,
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                             {"AttributeName": "sk", "AttributeType": "S"}],
    "BillingMode": "PAY_PER_REQUEST",
}

_TEXT = ("dynaflow benchmark payload " * 30)[:700]
_NOTE = ("abcdefghij" * 10)[:100]


def item(pk: str, sk: str, n: int = 0) -> dict[str, Any]:
    """A ~1 KB item."""
    return {
        "pk": {"S": pk},
        "sk": {"S": sk},
        "payload": {"S": _TEXT},
        "note": {"S": _NOTE},
        "n": {"N": str(n)},
        "active": {"BOOL": True},
        "tags": {"SS": ["red", "green", "blue"]},
        "meta": {"M": {"source": {"S": "bench"}, "version": {"N": "3.25"},
                       "sizes": {"L": [{"N": "1"}, {"N": "2"}, {"N": "3"}]}}},
    }


def load_key(partition: int, index: int) -> dict[str, Any]:
    return {"pk": {"S": f"load-{partition:04d}"}, "sk": {"S": f"{index:04d}"}}


def preload_requests(partitions: int) -> list[Request]:
    """BatchWriteItem requests that store the preloaded partitions."""
    puts = [{"PutRequest": {"Item": item(f"load-{p:04d}", f"{i:04d}", i)}}
            for p in range(partitions) for i in range(QUERY_ITEMS)]
    return [("BatchWriteItem", {"RequestItems": {TABLE: puts[start:start + BATCH_SIZE]}})
            for start in range(0, len(puts), BATCH_SIZE)]


# ---------------------------------------------------------------- workloads
# Each takes (tag, partitions, rng) and yields requests forever; ``tag`` keeps the keys that a
# workload writes apart from every other run's, so every put is a fresh item.


def put(tag: str, partitions: int, rng: random.Random) -> Iterator[Request]:
    i = 0
    while True:
        yield "PutItem", {"TableName": TABLE, "Item": item(f"put-{tag}-{i % 997:04d}", f"{i:08d}", i)}
        i += 1


def get(tag: str, partitions: int, rng: random.Random) -> Iterator[Request]:
    while True:
        key = load_key(rng.randrange(partitions), rng.randrange(QUERY_ITEMS))
        yield "GetItem", {"TableName": TABLE, "Key": key}


def query(tag: str, partitions: int, rng: random.Random) -> Iterator[Request]:
    while True:
        yield "Query", {"TableName": TABLE, "KeyConditionExpression": "pk = :p",
                        "ExpressionAttributeValues": {":p": {"S": f"load-{rng.randrange(partitions):04d}"}}}


def batch(tag: str, partitions: int, rng: random.Random) -> Iterator[Request]:
    i = 0
    while True:
        puts = [{"PutRequest": {"Item": item(f"batch-{tag}-{i % 997:04d}", f"{i:08d}-{j:02d}", j)}}
                for j in range(BATCH_SIZE)]
        yield "BatchWriteItem", {"RequestItems": {TABLE: puts}}
        i += 1


def update(tag: str, partitions: int, rng: random.Random) -> Iterator[Request]:
    while True:
        key = load_key(rng.randrange(partitions), rng.randrange(QUERY_ITEMS))
        yield "UpdateItem", {"TableName": TABLE, "Key": key, "UpdateExpression": "SET n = n + :one",
                             "ExpressionAttributeValues": {":one": {"N": "1"}}}


def transact(tag: str, partitions: int, rng: random.Random) -> Iterator[Request]:
    i = 0
    while True:
        actions = [{"Put": {"TableName": TABLE, "Item": item(f"tx-{tag}-{i % 997:04d}", f"{i:08d}-{j}", j)}}
                   for j in range(TRANSACT_SIZE)]
        yield "TransactWriteItems", {"TransactItems": actions}
        i += 1


#: The mixed workload: a read-heavy service's traffic.
MIX: tuple[tuple[str, int], ...] = (("get", 60), ("query", 10), ("put", 20), ("update", 10))


def mixed(tag: str, partitions: int, rng: random.Random) -> Iterator[Request]:
    streams = {name: WORKLOADS[name](f"{tag}m", partitions, rng) for name, _ in MIX}
    names = [name for name, _ in MIX]
    weights = [weight for _, weight in MIX]
    while True:
        yield next(streams[rng.choices(names, weights)[0]])


WORKLOADS: dict[str, Callable[[str, int, random.Random], Iterator[Request]]] = {
    "put": put, "get": get, "query": query, "batch": batch, "update": update, "transact": transact,
    "mixed": mixed,
}

DESCRIPTIONS = {
    "put": "PutItem, ~1 KB, new key",
    "get": "GetItem, ~1 KB item",
    "query": f"Query, {QUERY_ITEMS} items of ~1 KB",
    "batch": f"BatchWriteItem, {BATCH_SIZE} puts",
    "update": "UpdateItem SET n = n + :one",
    "transact": f"TransactWriteItems, {TRANSACT_SIZE} puts",
    "mixed": "mixed " + "/".join(f"{w}% {n}" for n, w in MIX),
}


def take(workload: str, tag: str, partitions: int, count: int, seed: int = 7) -> list[Request]:
    stream = WORKLOADS[workload](tag, partitions, random.Random(seed))
    return [next(stream) for _ in range(count)]
